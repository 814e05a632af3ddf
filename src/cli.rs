//! Command-line definitions only (clap). No logic: `config::Config::from_cli` turns this into
//! the settings commands use.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Lists, creates, diffs and promotes Kubeflow Pipelines versions stored as Kubernetes
/// resources (pipelines.kubeflow.org/v2beta1), resolving shared pipelines from a shared namespace.
#[derive(Debug, Parser)]
#[command(
    name = "kubectl-kfp",
    bin_name = "kubectl kfp",
    version,
    max_term_width = 100,
    after_help = "References: [NAMESPACE/]PIPELINE[@VERSION], VERSION = version name, object name, latest or sha256:<hex prefix>.\nExit codes: 0 ok, 1 differences (diff, drift) or problems (doctor), 2 error, 130 interrupted."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command takes, spelled as kubectl spells them. Listed after each command's own
/// flags, under their own heading (kubectl keeps them in `kubectl options`).
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Global options")]
pub struct GlobalArgs {
    /// Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config, else in-cluster).
    #[arg(long, global = true, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context to use.
    #[arg(long, global = true, value_name = "NAME")]
    pub context: Option<String>,
    /// The kubeconfig cluster to use.
    #[arg(long, global = true, value_name = "NAME")]
    pub cluster: Option<String>,
    /// The kubeconfig user to use.
    #[arg(long, global = true, value_name = "NAME")]
    pub user: Option<String>,
    /// Namespace to work in (default: the context's namespace, else "default").
    #[arg(short = 'n', long, global = true, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Username to impersonate.
    #[arg(long = "as", global = true, value_name = "USER")]
    pub impersonate: Option<String>,
    /// Group to impersonate (repeatable).
    #[arg(long = "as-group", global = true, value_name = "GROUP")]
    pub impersonate_groups: Vec<String>,
    /// Time to wait for one server request, e.g. 10s, 1m; 0 waits forever.
    #[arg(long, global = true, value_name = "DURATION")]
    pub request_timeout: Option<String>,
    /// Skip TLS certificate verification (insecure; prints a warning).
    #[arg(long, global = true)]
    pub insecure_skip_tls_verify: bool,
    /// Shared namespace to resolve pipelines from (env KUBECTL_KFP_SHARED_NAMESPACE; default kubeflow; "" turns sharing off).
    #[arg(long, global = true, value_name = "NAMESPACE")]
    pub shared_namespace: Option<String>,
    /// Do not look in any shared namespace.
    #[arg(long, global = true, conflicts_with = "shared_namespace")]
    pub no_shared: bool,
    /// Log verbosity (0-9); 6 and up log each request.
    #[arg(
        short = 'v',
        long = "v",
        global = true,
        value_name = "LEVEL",
        default_value_t = 0
    )]
    pub verbosity: u8,
    /// Never show progress on stderr (also KUBECTL_KFP_NO_PROGRESS=1).
    #[arg(long, global = true)]
    pub no_progress: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List pipelines of the namespace and the shared namespace, or the versions of one pipeline.
    #[command(visible_alias = "ls")]
    List(ListArgs),
    /// Show one pipeline version.
    Get(GetArgs),
    /// Create a pipeline version from a compiled pipeline.
    Create(CreateArgs),
    /// Compare two pipeline versions, or a version with a file (exit 1 when they differ).
    Diff(DiffArgs),
    /// Copy a pipeline version into another namespace or cluster.
    Promote(PromoteArgs),
    /// Show where a version came from and where it was promoted to, across namespaces and clusters.
    History(HistoryArgs),
    /// Compare namespaces or clusters with the shared pipelines (exit 1 when something drifts).
    Drift(DriftArgs),
    /// Check what breaks KFP's Kubernetes mode (API, webhooks, access, data); --fix repairs labels and owners.
    Doctor(DoctorArgs),
    /// Set or remove tags (spec.tags) of a pipeline version, or its display name.
    Tag(TagArgs),
    /// Delete old versions of a pipeline; never the latest, newest, tagged, scheduled or promoted-from ones.
    Prune(PruneArgs),
    /// Show or change this plugin's settings.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Print the CustomResourceDefinitions this plugin expects (kubectl kfp crds | kubectl apply -f -).
    Crds,
    /// Print the client and server versions and whether the KFP resources are served.
    Version(VersionArgs),
    /// Print a shell completion script.
    Completion(CompletionArgs),
    /// Print completion candidates for a partial command line (used by the completion scripts).
    #[command(name = "__complete", hide = true)]
    Complete(CompleteArgs),
}

/// Output formats for lists and objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Wide,
    Json,
    Yaml,
    Name,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SortBy {
    Name,
    Age,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// A pipeline reference ([NAMESPACE/]PIPELINE) to list the versions of.
    #[arg(value_name = "PIPELINE")]
    pub reference: Option<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = OutputFormat::Table)]
    pub output: OutputFormat,
    /// Do not print the header row.
    #[arg(long)]
    pub no_headers: bool,
    /// Label selector, e.g. team=ml,tier!=dev.
    #[arg(short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,
    /// List across all namespaces.
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Read lists in pages of N objects, following continue tokens (0: one request). Without
    /// it, lists are streamed from the API server's cache in one request, or read in pages of
    /// 500 where the server or your role does not allow streaming.
    #[arg(long, value_name = "N")]
    pub chunk_size: Option<u32>,
    /// Sort order (default: name for pipelines, newest first for versions).
    #[arg(long, value_enum)]
    pub sort_by: Option<SortBy>,
    /// After the table, print a row (or object) per change until interrupted (or
    /// --request-timeout passes): with PIPELINE per version created, changed or deleted;
    /// without, a pipeline's row again when it or one of its versions changes.
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// Like --watch, without printing what exists already.
    #[arg(long, conflicts_with = "watch")]
    pub watch_only: bool,
    /// Only versions with this tag, KEY=VALUE (repeatable: all must match); with PIPELINE.
    #[arg(long = "tag", value_name = "KEY=VALUE", requires = "reference")]
    pub tags: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GetFormat {
    Json,
    Yaml,
    Name,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    /// A version reference: [NAMESPACE/]PIPELINE[@VERSION].
    pub reference: String,
    /// Print the object instead of the summary.
    #[arg(short = 'o', long, value_enum, conflicts_with = "spec")]
    pub output: Option<GetFormat>,
    /// Print only the pipeline spec (and the platform spec as a second document), as `create -f` takes it.
    #[arg(long)]
    pub spec: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRun {
    None,
    Client,
    Server,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WriteFormat {
    Name,
    Yaml,
    Json,
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Pipeline to add the version to (default: the spec's pipelineInfo.name).
    pub pipeline: Option<String>,
    /// Compiled pipeline: IR YAML/JSON or the SDK's Kubernetes manifests; - reads stdin.
    #[arg(short = 'f', long = "filename", value_name = "FILE")]
    pub file: PathBuf,
    /// Version name (default: the next free vN).
    #[arg(long = "version", value_name = "NAME")]
    pub version_name: Option<String>,
    /// Display name of the version (and of the pipeline when it is created).
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,
    /// Description of the version (and of the pipeline when it is created).
    #[arg(long, value_name = "TEXT")]
    pub description: Option<String>,
    /// Tag as KEY=VALUE (repeatable).
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Where the pipeline's source code lives.
    #[arg(long, value_name = "URL")]
    pub code_source_url: Option<String>,
    /// Create a version even when one with the same content exists.
    #[arg(long)]
    pub allow_duplicate: bool,
    /// client: print what would be created; server: let the server check it without storing it.
    #[arg(long, value_enum, default_value_t = DryRun::None, num_args = 0..=1, require_equals = true, default_missing_value = "client")]
    pub dry_run: DryRun,
    /// Output format of the result.
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<WriteFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Unified diff of the canonical YAML.
    Text,
    /// Changes in pipeline terms.
    Summary,
    /// Changes in pipeline terms as JSON.
    Json,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The version to compare from: [NAMESPACE/]PIPELINE[@VERSION].
    #[arg(value_name = "REF_A")]
    pub reference_a: Option<String>,
    /// The version to compare to (default: the version before REF_A, or FILE with -f).
    #[arg(value_name = "REF_B")]
    pub reference_b: Option<String>,
    /// A local compiled pipeline to compare with (twice: compare two files).
    #[arg(
        short = 'f',
        long = "filename",
        value_name = "FILE",
        conflicts_with = "reference_b"
    )]
    pub files: Vec<PathBuf>,
    /// Read REF_B from this kubeconfig context.
    #[arg(long, value_name = "NAME")]
    pub context_b: Option<String>,
    /// Show changes in pipeline terms (same as -o summary).
    #[arg(long)]
    pub semantic: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<DiffFormat>,
    /// Lines of context in the text diff.
    #[arg(short = 'U', long = "unified", default_value_t = 3, value_name = "N")]
    pub context_lines: usize,
    /// Ignore pipelineSpec.sdkVersion.
    #[arg(long)]
    pub ignore_sdk_version: bool,
    /// When to colour the output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Args)]
pub struct PromoteArgs {
    /// The version to promote: [NAMESPACE/]PIPELINE[@VERSION].
    pub reference: String,
    /// Target namespace (default: the current namespace).
    #[arg(long, value_name = "NAMESPACE", conflicts_with = "to_shared")]
    pub to: Option<String>,
    /// Promote into the configured shared namespace.
    #[arg(long)]
    pub to_shared: bool,
    /// Target kubeconfig context (another cluster).
    #[arg(long, value_name = "NAME")]
    pub to_context: Option<String>,
    /// Version name in the target (default: the source's version name).
    #[arg(long = "as-version", visible_alias = "as-name", value_name = "VERSION")]
    pub as_version: Option<String>,
    /// Tag the copy KEY=VALUE (repeatable), besides the tags it copies from the source.
    #[arg(long = "tag", value_name = "KEY=VALUE")]
    pub tags: Vec<String>,
    /// Do not ask for confirmation.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// client: print the objects; server: let the server check them without storing them.
    #[arg(long, value_enum, default_value_t = DryRun::None, num_args = 0..=1, require_equals = true, default_missing_value = "client")]
    pub dry_run: DryRun,
    /// Output format of the result.
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<WriteFormat>,
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective settings and where each comes from.
    View(ConfigViewArgs),
    /// Change a setting in the config file.
    Set(ConfigSetArgs),
}

#[derive(Debug, Args)]
pub struct ConfigViewArgs {
    /// Output format.
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<GetFormat>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SettingName {
    SharedNamespace,
}

#[derive(Debug, Args)]
pub struct ConfigSetArgs {
    /// The setting to change.
    #[arg(value_enum)]
    pub setting: SettingName,
    /// The new value; an empty value turns sharing off. With --context, only for that context.
    pub value: String,
}

#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Print only the client version.
    #[arg(long)]
    pub client: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

#[derive(Debug, Args)]
pub struct CompletionArgs {
    /// The shell to print the script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// The words of the command line after `kubectl kfp`, the last one being completed.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub words: Vec<String>,
}

/// Output formats of the lineage reports (`history`, `drift`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Yaml,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// A version reference: [NAMESPACE/]PIPELINE[@VERSION].
    pub reference: String,
    /// Also look for copies in these kubeconfig contexts (comma-separated).
    #[arg(long, value_name = "CONTEXT,...", value_delimiter = ',')]
    pub contexts: Vec<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = ReportFormat::Table)]
    pub output: ReportFormat,
    /// Do not print the header row.
    #[arg(long)]
    pub no_headers: bool,
}

/// Drift states `--fail-on` can pick.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DriftState {
    Behind,
    Diverged,
    Absent,
}

#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Pipelines of the shared namespace to compare (default: all of them).
    #[arg(value_name = "PIPELINE")]
    pub pipelines: Vec<String>,
    /// Compare every namespace that holds pipelines (-n takes a comma-separated list instead).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Compare these kubeconfig contexts (comma-separated); the first one's shared namespace is the baseline.
    #[arg(long, value_name = "CONTEXT,...", value_delimiter = ',')]
    pub contexts: Vec<String>,
    /// States that make the exit status 1 (comma-separated).
    #[arg(long, value_enum, value_name = "STATE,...", value_delimiter = ',', default_values_t = [DriftState::Behind, DriftState::Diverged])]
    pub fail_on: Vec<DriftState>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = ReportFormat::Table)]
    pub output: ReportFormat,
    /// Do not print the header row.
    #[arg(long)]
    pub no_headers: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DoctorFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Check the data of all namespaces (default: the namespace and the shared namespace).
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
    /// Repair what KFP's webhook would have written: the pipeline labels and owner reference
    /// of versions whose Pipeline exists (asks first; never deletes).
    #[arg(long)]
    pub fix: bool,
    /// With --fix: do not ask for confirmation.
    #[arg(short = 'y', long, requires = "fix")]
    pub yes: bool,
    /// With --fix: client prints the repairs; server sends them as a server-side dry run.
    #[arg(long, value_enum, default_value_t = DryRun::None, num_args = 0..=1, require_equals = true, default_missing_value = "client", requires = "fix")]
    pub dry_run: DryRun,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value_t = DoctorFormat::Table)]
    pub output: DoctorFormat,
}

#[derive(Debug, Args)]
pub struct TagArgs {
    /// The version to tag: [NAMESPACE/]PIPELINE[@VERSION].
    pub reference: String,
    /// KEY=VALUE sets a tag, KEY- removes one (Kubernetes label syntax).
    #[arg(value_name = "KEY=VALUE|KEY-")]
    pub changes: Vec<String>,
    /// Set the version's display name (spec.displayName).
    #[arg(long, value_name = "TEXT")]
    pub display_name: Option<String>,
    /// Remove each KEY=VALUE set here from every other version of the pipeline (an exclusive tag).
    #[arg(long = "move")]
    pub move_tags: bool,
    /// client: print the result without sending it; server: let the server check it without storing it.
    #[arg(long, value_enum, default_value_t = DryRun::None, num_args = 0..=1, require_equals = true, default_missing_value = "client")]
    pub dry_run: DryRun,
    /// Output format of the result.
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<WriteFormat>,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    /// The pipeline whose old versions to delete: [NAMESPACE/]PIPELINE.
    #[arg(
        value_name = "PIPELINE",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub reference: Option<String>,
    /// Prune every pipeline of the namespace.
    #[arg(long)]
    pub all: bool,
    /// How many of the newest versions to keep.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub keep: usize,
    /// Delete only versions older than this, e.g. 30d, 12h, 1w2d.
    #[arg(long, value_name = "DURATION")]
    pub older_than: Option<String>,
    /// Keep only versions with this tag (KEY or KEY=VALUE, repeatable); default: every tagged version is kept.
    #[arg(long = "protect-tag", value_name = "KEY[=VALUE]")]
    pub protect_tags: Vec<String>,
    /// Also delete versions that copies elsewhere were promoted from.
    #[arg(long)]
    pub include_sources: bool,
    /// Delete even when ScheduledWorkflows cannot be read (forbidden, or their CRD absent): a version a recurring run uses may go.
    #[arg(long)]
    pub skip_schedule_check: bool,
    /// Do not ask for confirmation.
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// client: print the plan only; server: let the server check each delete without doing it.
    #[arg(long, value_enum, default_value_t = DryRun::None, num_args = 0..=1, require_equals = true, default_missing_value = "client")]
    pub dry_run: DryRun,
}
