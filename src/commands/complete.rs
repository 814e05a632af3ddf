//! Shell completion: `completion SHELL` prints a script; the hidden `__complete` prints live
//! candidates (pipelines, versions, namespaces, contexts, formats) read from the cluster
//! within a short timeout, and never an error (a prompt is no place for one).
//!
//! `__complete WORDS…` speaks Cobra's protocol, because kubectl relays it unchanged for
//! `kubectl kfp <TAB>` (through `completions/kubectl_complete-kfp`): one candidate per line,
//! optionally `candidate<TAB>description`, then `:<directive>`. The bash, zsh and fish scripts
//! below are thin: they pass the words typed so far and hand the candidates to the shell.

use std::collections::BTreeMap;
use std::path::PathBuf;

use clap::{Arg, ArgAction, Command, CommandFactory};
use k8s_openapi::api::core::v1::Namespace;
use kube::ResourceExt;
use kube::api::{Api, ListParams};
use kube::config::Kubeconfig;
use tokio::time::{Instant, timeout_at};

use crate::cli::{Cli, CompleteArgs, CompletionArgs, GlobalArgs, Shell};
use crate::client::{COMPLETION_TIMEOUT, Session};
use crate::config::Config;
use crate::error::ExitStatus;
use crate::output::{Printer, age};
use crate::reference::{Reference, VersionSelector};
use crate::resolve;
use crate::resources::Pipeline;

/// Cobra's ShellCompDirective bits (kubectl relays them; our scripts honour the same ones).
const DIRECTIVE_DEFAULT: u8 = 0;
const DIRECTIVE_NO_SPACE: u8 = 2;
const DIRECTIVE_NO_FILE_COMP: u8 = 4;

/// `completion SHELL`: prints the script (the same as completions/ in the repository).
pub fn print_script(args: &CompletionArgs, printer: &Printer) -> anyhow::Result<ExitStatus> {
    printer.data(&script(args.shell));
    Ok(ExitStatus::Success)
}

/// The completion script for a shell. Bash, zsh and fish get small scripts that ask
/// `kubectl-kfp __complete` (so names come from the cluster); PowerShell gets clap_complete's
/// static script (subcommands and flags only).
pub fn script(shell: Shell) -> String {
    match shell {
        Shell::Bash => BASH_SCRIPT.to_string(),
        Shell::Zsh => ZSH_SCRIPT.to_string(),
        Shell::Fish => FISH_SCRIPT.to_string(),
        Shell::Powershell => {
            let mut command = Cli::command();
            let mut buffer = Vec::new();
            clap_complete::generate(
                clap_complete::Shell::PowerShell,
                &mut command,
                "kubectl-kfp",
                &mut buffer,
            );
            String::from_utf8_lossy(&buffer).into_owned()
        }
    }
}

/// `__complete WORDS…`: prints the candidates for the last word, then the directive. Any
/// failure (bad flags on the line, no kubeconfig, a slow or unreachable server) just means
/// fewer candidates: nothing goes to stderr and the exit status is always 0.
/// `outer` holds flags clap took before the words (`__complete --context c list`); the
/// scripts pass `--` first, so normally everything is in the words.
pub fn run(args: &CompleteArgs, outer: &GlobalArgs, printer: &Printer) -> ExitStatus {
    let mut request = analyze(&args.words);
    fill_from(&mut request.global, outer);
    let candidates = match &request.want {
        Want::Values(values) => values.clone(),
        Want::Nothing | Want::Files => Vec::new(),
        Want::Contexts | Want::Clusters | Want::Users => kubeconfig_names(&request),
        Want::Namespaces | Want::Reference { .. } | Want::LocalPipeline => live(&request),
    };
    printer.data(&render(&request, candidates));
    ExitStatus::Success
}

/// Flags typed on the line win; those clap parsed outside the words fill the gaps.
fn fill_from(global: &mut GlobalArgs, outer: &GlobalArgs) {
    let fill = |mine: &mut Option<String>, theirs: &Option<String>| {
        if mine.is_none() {
            mine.clone_from(theirs);
        }
    };
    fill(&mut global.context, &outer.context);
    fill(&mut global.cluster, &outer.cluster);
    fill(&mut global.user, &outer.user);
    fill(&mut global.namespace, &outer.namespace);
    fill(&mut global.impersonate, &outer.impersonate);
    fill(&mut global.request_timeout, &outer.request_timeout);
    fill(&mut global.shared_namespace, &outer.shared_namespace);
    if global.kubeconfig.is_none() {
        global.kubeconfig.clone_from(&outer.kubeconfig);
    }
    if global.impersonate_groups.is_empty() {
        global.impersonate_groups.clone_from(&outer.impersonate_groups);
    }
    global.no_shared |= outer.no_shared;
    global.insecure_skip_tls_verify |= outer.insecure_skip_tls_verify;
}

/// One completion candidate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub value: String,
    pub description: String,
}

impl Candidate {
    fn new(value: impl Into<String>, description: impl Into<String>) -> Self {
        Candidate {
            value: value.into(),
            description: description.into(),
        }
    }
}

/// What the word under the cursor can become.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Want {
    Nothing,
    /// Known without asking anyone: subcommands, flags, enum values.
    Values(Vec<Candidate>),
    /// Paths: the shell completes them.
    Files,
    Namespaces,
    /// Kubeconfig contexts, clusters and users (no server call).
    Contexts,
    Clusters,
    Users,
    /// `[NAMESPACE/]PIPELINE`, and `@VERSION` after it when `versions`.
    Reference {
        versions: bool,
    },
    /// A pipeline name in the current namespace (`create [PIPELINE]`).
    LocalPipeline,
}

/// A parsed partial command line.
#[derive(Debug, Clone)]
pub struct Request {
    pub want: Want,
    /// Text of the word before the value being completed (`--output=`), kept on candidates.
    pub lead: String,
    /// The part of the value typed so far.
    pub partial: String,
    /// Connection and namespace flags already on the line.
    pub global: GlobalArgs,
    /// `diff --context-b`: REF_B is read from that context.
    pub context: Option<String>,
}

/// Reads the words typed after `kubectl kfp` (the last one is being completed) against the
/// clap definitions: which subcommand, which flags were given, and what the last word is.
pub fn analyze(words: &[String]) -> Request {
    let mut root = Cli::command();
    root.build();
    let (current, done) = match words.split_last() {
        Some((last, rest)) => (last.as_str(), rest),
        None => ("", &[][..]),
    };
    let mut state = LineState::default();
    let mut command = &root;
    let mut pending: Option<&Arg> = None;
    let mut options_done = false;
    for word in done {
        if let Some(arg) = pending.take() {
            state.record(arg, Some(word));
            continue;
        }
        if !options_done && word == "--" {
            options_done = true;
        } else if !options_done && word.starts_with("--") {
            let (name, value) = match word[2..].split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (&word[2..], None),
            };
            if let Some(arg) = find_long(command, name) {
                if value.is_none() && takes_separate_value(arg) {
                    pending = Some(arg);
                } else {
                    state.record(arg, value);
                }
            }
        } else if !options_done && word.starts_with('-') && word.len() > 1 {
            pending = state.record_shorts(command, &word[1..]);
        } else if let Some(sub) = find_subcommand(command, word) {
            command = sub;
            state.path.push(sub.get_name().to_string());
            state.positionals.clear();
        } else {
            state.positionals.push(word.clone());
        }
    }

    let (want, lead, partial) = if let Some(arg) = pending {
        (value_want(arg), String::new(), current)
    } else if !options_done && current.starts_with("--") {
        match current[2..].split_once('=') {
            Some((name, value)) => match find_long(command, name) {
                Some(arg) => (value_want(arg), format!("--{name}="), value),
                None => (Want::Nothing, String::new(), current),
            },
            None => (Want::Values(flags(command, &state)), String::new(), current),
        }
    } else if !options_done && current.starts_with('-') {
        // `-nteam-a`, `-n=team-a`: a short flag with its value attached.
        let mut chars = current[1..].chars();
        match (chars.next().and_then(|c| find_short(command, c)), chars.as_str()) {
            (Some(arg), rest) if !rest.is_empty() && takes_separate_value(arg) => {
                let value = rest.strip_prefix('=').unwrap_or(rest);
                (
                    value_want(arg),
                    current[..current.len() - value.len()].to_string(),
                    value,
                )
            }
            _ => (Want::Values(flags(command, &state)), String::new(), current),
        }
    } else {
        (positional_want(command, &state), String::new(), current)
    };
    let context = match (state.path.last().map(String::as_str), state.positionals.len()) {
        (Some("diff"), 1) if want == (Want::Reference { versions: true }) => state.context_b.clone(),
        _ => None,
    };
    Request {
        want,
        lead,
        partial: partial.to_string(),
        global: state.global,
        context,
    }
}

/// What the words before the cursor said.
#[derive(Debug, Default)]
struct LineState {
    path: Vec<String>,
    positionals: Vec<String>,
    given: Vec<String>,
    global: GlobalArgs,
    context_b: Option<String>,
}

impl LineState {
    /// Notes a flag (and its value) that was typed.
    fn record(&mut self, arg: &Arg, value: Option<&str>) {
        let id = arg.get_id().as_str();
        self.given.push(id.to_string());
        let text = value.map(str::to_string);
        let global = &mut self.global;
        match id {
            "kubeconfig" => global.kubeconfig = value.map(expand_home),
            "context" => global.context = text,
            "cluster" => global.cluster = text,
            "user" => global.user = text,
            "namespace" => global.namespace = text,
            "impersonate" => global.impersonate = text,
            "impersonate_groups" => global.impersonate_groups.extend(text),
            "request_timeout" => global.request_timeout = text,
            "shared_namespace" => global.shared_namespace = text,
            "no_shared" => global.no_shared = true,
            "insecure_skip_tls_verify" => global.insecure_skip_tls_verify = true,
            "context_b" => self.context_b = text,
            _ => {}
        }
    }

    /// Notes a cluster of short flags (`-yv`, `-n`, `-nteam-a`); returns a flag still waiting
    /// for its value in the next word.
    fn record_shorts<'a>(&mut self, command: &'a Command, cluster: &str) -> Option<&'a Arg> {
        for (index, c) in cluster.char_indices() {
            let arg = find_short(command, c)?;
            if takes_separate_value(arg) {
                let rest = &cluster[index + c.len_utf8()..];
                let rest = rest.strip_prefix('=').unwrap_or(rest);
                if rest.is_empty() {
                    return Some(arg);
                }
                self.record(arg, Some(rest));
                return None;
            }
            self.record(arg, None);
        }
        None
    }
}

fn expand_home(path: &str) -> PathBuf {
    match (path.strip_prefix("~/"), dirs::home_dir()) {
        (Some(rest), Some(home)) => home.join(rest),
        _ => PathBuf::from(path),
    }
}

fn find_long<'a>(command: &'a Command, name: &str) -> Option<&'a Arg> {
    command.get_arguments().find(|arg| {
        arg.get_long() == Some(name)
            || arg
                .get_visible_aliases()
                .is_some_and(|aliases| aliases.contains(&name))
    })
}

fn find_short(command: &Command, c: char) -> Option<&Arg> {
    command.get_arguments().find(|arg| arg.get_short() == Some(c))
}

fn find_subcommand<'a>(command: &'a Command, word: &str) -> Option<&'a Command> {
    command
        .get_subcommands()
        .find(|sub| sub.get_name() == word || sub.get_all_aliases().any(|alias| alias == word))
}

/// Whether the flag's value is the next word (`-n NS`); `--dry-run` takes it only after `=`.
fn takes_separate_value(arg: &Arg) -> bool {
    arg.get_action().takes_values()
        && !arg.is_require_equals_set()
        && arg.get_num_args().is_none_or(|range| range.min_values() > 0)
}

/// The flags of the subcommand at hand (globals included), minus those already given once.
fn flags(command: &Command, state: &LineState) -> Vec<Candidate> {
    let mut candidates = Vec::new();
    for arg in command.get_arguments() {
        if arg.is_positional() || arg.is_hide_set() {
            continue;
        }
        let repeatable = matches!(arg.get_action(), ArgAction::Append | ArgAction::Count);
        if !repeatable && state.given.iter().any(|id| id == arg.get_id().as_str()) {
            continue;
        }
        let help = first_line(arg.get_help().map(ToString::to_string));
        if let Some(short) = arg.get_short() {
            candidates.push(Candidate::new(format!("-{short}"), help.clone()));
        }
        if let Some(long) = arg.get_long() {
            candidates.push(Candidate::new(format!("--{long}"), help.clone()));
        }
        for alias in arg.get_visible_aliases().into_iter().flatten() {
            candidates.push(Candidate::new(format!("--{alias}"), help.clone()));
        }
    }
    candidates
}

fn first_line(text: Option<String>) -> String {
    text.unwrap_or_default()
        .lines()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// What a flag's value can be.
fn value_want(arg: &Arg) -> Want {
    match arg.get_id().as_str() {
        "namespace" | "to" | "shared_namespace" => Want::Namespaces,
        "context" | "to_context" | "context_b" => Want::Contexts,
        "cluster" => Want::Clusters,
        "user" => Want::Users,
        "kubeconfig" | "file" | "files" => Want::Files,
        _ => possible_values(arg),
    }
}

/// What the next positional word of the subcommand can be.
fn positional_want(command: &Command, state: &LineState) -> Want {
    if command.has_subcommands() {
        let subcommands = command
            .get_subcommands()
            // clap adds `help` to every level; like kubectl, offer it at the top only.
            .filter(|sub| !sub.is_hide_set() && (state.path.is_empty() || sub.get_name() != "help"))
            .map(|sub| {
                Candidate::new(
                    sub.get_name(),
                    first_line(sub.get_about().map(ToString::to_string)),
                )
            })
            .collect();
        return Want::Values(subcommands);
    }
    let mut positionals: Vec<&Arg> = command.get_positionals().collect();
    positionals.sort_by_key(|arg| arg.get_index());
    let Some(arg) = positionals.get(state.positionals.len()) else {
        return Want::Nothing;
    };
    let subcommand = state.path.last().map(String::as_str).unwrap_or_default();
    match (subcommand, arg.get_id().as_str()) {
        ("list", "reference") => Want::Reference { versions: false },
        ("prune", "reference") => Want::Reference { versions: false },
        (_, "reference" | "reference_a" | "reference_b") => Want::Reference { versions: true },
        ("create", "pipeline") => Want::LocalPipeline,
        // `config set shared-namespace NS`: the only setting is a namespace.
        ("set", "value") => Want::Namespaces,
        _ => possible_values(arg),
    }
}

fn possible_values(arg: &Arg) -> Want {
    let values: Vec<Candidate> = arg
        .get_possible_values()
        .into_iter()
        .filter(|value| !value.is_hide_set())
        .map(|value| {
            Candidate::new(
                value.get_name(),
                first_line(value.get_help().map(ToString::to_string)),
            )
        })
        .collect();
    if values.is_empty() {
        Want::Nothing
    } else {
        Want::Values(values)
    }
}

/// The output: matching candidates, one per line with an optional tab and description, then
/// the directive. Candidates ending in `/` or `=` (a namespace prefix, a flag's `=`) take no
/// space after them; file arguments with no candidates leave the completing to the shell.
pub fn render(request: &Request, candidates: Vec<Candidate>) -> String {
    let mut chosen: BTreeMap<String, String> = BTreeMap::new();
    for candidate in candidates {
        if candidate.value.starts_with(&request.partial) && !candidate.value.is_empty() {
            let value = format!("{}{}", request.lead, candidate.value);
            // The first description wins: local pipelines are offered before shared ones.
            chosen.entry(value).or_insert(candidate.description);
        }
    }
    let mut text = String::new();
    for (value, description) in &chosen {
        text.push_str(&clean(value));
        let description = clean(description);
        if !description.is_empty() {
            text.push('\t');
            text.push_str(&description);
        }
        text.push('\n');
    }
    let mut directive = DIRECTIVE_NO_FILE_COMP;
    if request.want == Want::Files && chosen.is_empty() {
        directive = DIRECTIVE_DEFAULT;
    }
    if !chosen.is_empty() && chosen.keys().all(|v| v.ends_with('/') || v.ends_with('=')) {
        directive |= DIRECTIVE_NO_SPACE;
    }
    text.push_str(&format!(":{directive}\n"));
    text
}

/// Tabs and newlines would break the line format.
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c == '\t' || c == '\n' || c == '\r' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// The kubeconfig the line points at (`--kubeconfig`, else `KUBECONFIG`, else
/// `~/.kube/config`), or None.
fn read_kubeconfig(global: &GlobalArgs) -> Option<Kubeconfig> {
    if let Some(path) = &global.kubeconfig {
        return Kubeconfig::read_from(path).ok();
    }
    if let Ok(Some(kubeconfig)) = Kubeconfig::from_env() {
        return Some(kubeconfig);
    }
    let path = dirs::home_dir()?.join(".kube").join("config");
    Kubeconfig::read_from(path).ok()
}

fn kubeconfig_names(request: &Request) -> Vec<Candidate> {
    let Some(kubeconfig) = read_kubeconfig(&request.global) else {
        return Vec::new();
    };
    match request.want {
        Want::Contexts => kubeconfig
            .contexts
            .iter()
            .map(|named| {
                let description = named
                    .context
                    .as_ref()
                    .map(|c| match &c.namespace {
                        Some(ns) => format!("cluster {}, namespace {ns}", c.cluster),
                        None => format!("cluster {}", c.cluster),
                    })
                    .unwrap_or_default();
                Candidate::new(&named.name, description)
            })
            .collect(),
        Want::Clusters => kubeconfig
            .clusters
            .iter()
            .map(|named| Candidate::new(&named.name, ""))
            .collect(),
        Want::Users => kubeconfig
            .auth_infos
            .iter()
            .map(|named| Candidate::new(&named.name, ""))
            .collect(),
        _ => Vec::new(),
    }
}

/// Candidates read from the cluster, all within [`COMPLETION_TIMEOUT`]; what is not there by
/// then is left out.
fn live(request: &Request) -> Vec<Candidate> {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return Vec::new();
    };
    runtime.block_on(async {
        let deadline = Instant::now() + COMPLETION_TIMEOUT;
        let Some(session) = connect(request, deadline).await else {
            return Vec::new();
        };
        match &request.want {
            Want::Namespaces => namespaces(&session, deadline).await,
            Want::LocalPipeline => pipelines(&session, &session.namespace, deadline, "")
                .await
                .unwrap_or_default(),
            Want::Reference { versions } => references(&session, &request.partial, *versions, deadline).await,
            _ => Vec::new(),
        }
    })
}

/// A session for the line's flags, with every request bounded by the completion timeout.
async fn connect(request: &Request, deadline: Instant) -> Option<Session> {
    let mut config = Config::from_cli(&request.global).ok()?;
    let limit = config
        .connection
        .request_timeout
        .map_or(COMPLETION_TIMEOUT, |t| t.min(COMPLETION_TIMEOUT));
    config.connection.request_timeout = Some(limit);
    timeout_at(deadline, Session::connect(&config, request.context.as_deref()))
        .await
        .ok()?
        .ok()
}

/// Namespaces the user can see: all of them when they may list namespaces (few may), else
/// the current and the shared namespace.
async fn namespaces(session: &Session, deadline: Instant) -> Vec<Candidate> {
    let api: Api<Namespace> = Api::all(session.client.clone());
    if let Ok(Ok(list)) = timeout_at(deadline, api.list_metadata(&ListParams::default())).await {
        return list
            .items
            .iter()
            .map(|ns| Candidate::new(ns.name_any(), ""))
            .collect();
    }
    let mut candidates = vec![Candidate::new(&session.namespace, "current namespace")];
    if let Some(shared) = &session.shared.namespace {
        candidates.push(Candidate::new(shared, "shared namespace"));
    }
    candidates
}

/// Pipeline names in `namespace`, each prefixed with `prefix` (`team-a/` or nothing).
async fn pipelines(
    session: &Session,
    namespace: &str,
    deadline: Instant,
    prefix: &str,
) -> Option<Vec<Candidate>> {
    let api = session.api::<Pipeline>(Some(namespace));
    let list = timeout_at(deadline, api.list_metadata(&ListParams::default()))
        .await
        .ok()?
        .ok()?;
    let shared = session.shared.namespace.as_deref() == Some(namespace);
    let description = resolve::origin_label(namespace, shared && namespace != session.namespace, false);
    Some(
        list.items
            .iter()
            .map(|p| Candidate::new(format!("{prefix}{}", p.name_any()), description.clone()))
            .collect(),
    )
}

/// `[NAMESPACE/]PIPELINE[@VERSION]` candidates for the word typed so far.
async fn references(session: &Session, word: &str, versions: bool, deadline: Instant) -> Vec<Candidate> {
    if let Some((head, _)) = word.split_once('@') {
        if !versions {
            return Vec::new();
        }
        return timeout_at(deadline, version_candidates(session, head))
            .await
            .unwrap_or_default();
    }
    if let Some((namespace, _)) = word.split_once('/') {
        return pipelines(session, namespace, deadline, &format!("{namespace}/"))
            .await
            .unwrap_or_default();
    }
    let local = pipelines(session, &session.namespace, deadline, "");
    let shared = async {
        match session.other_shared_namespace() {
            Some(shared) => pipelines(session, shared, deadline, "").await,
            None => None,
        }
    };
    let prefixes = namespaces(session, deadline);
    let (local, shared, prefixes) = tokio::join!(local, shared, prefixes);
    let mut candidates: Vec<Candidate> = local.into_iter().chain(shared).flatten().collect();
    candidates.extend(
        prefixes
            .into_iter()
            .map(|ns| Candidate::new(format!("{}/", ns.value), "namespace")),
    );
    candidates
}

/// The versions of the pipeline named before `@`, newest marked `latest`, plus `@latest`.
async fn version_candidates(session: &Session, head: &str) -> Vec<Candidate> {
    let (namespace, pipeline) = match head.split_once('/') {
        Some((ns, name)) => (Some(ns.to_string()), name.to_string()),
        None => (None, head.to_string()),
    };
    let reference = Reference {
        namespace,
        pipeline,
        version: VersionSelector::Latest,
    };
    let Ok(resolved) = resolve::pipeline(session, &reference, resolve::Paging::Stream).await else {
        return Vec::new();
    };
    let now = jiff::Timestamp::now();
    let mut candidates = vec![Candidate::new(format!("{head}@latest"), "the newest version")];
    for (index, version) in resolved.versions.iter().enumerate() {
        let created = age(version.created.as_ref(), now);
        let description = if index == 0 {
            format!("latest, {created} old")
        } else {
            format!("{created} old")
        };
        candidates.push(Candidate::new(
            format!("{head}@{}", version.version_name()),
            description,
        ));
    }
    // Tags in use: `PIPELINE@KEY=VALUE` is the newest version carrying one (see tag.rs).
    candidates.extend(
        super::tag::tags_in_use(&resolved.versions)
            .into_iter()
            .map(|(tag, description)| Candidate::new(format!("{head}@{tag}"), description)),
    );
    candidates
}

const BASH_SCRIPT: &str = r#"# bash completion for kubectl-kfp
# Generated by `kubectl-kfp completion bash`; load it with
#   source <(kubectl-kfp completion bash)
# or save it as kubectl-kfp in ~/.local/share/bash-completion/completions/.
# Candidates come from `kubectl-kfp __complete`, which reads pipeline, version and
# namespace names from the cluster (within about a second, silently).
# For `kubectl kfp <TAB>`, put kubectl_complete-kfp on PATH instead (see the README).

_kubectl_kfp() {
    local line="${COMP_LINE:0:COMP_POINT}"
    local -a words lines
    # Split on blanks ourselves: readline's COMP_WORDS also breaks at @ = and :, which
    # are part of references (team-a/train@v3) and flags (--output=json).
    read -r -a words <<<"$line"
    [[ "$line" == *[[:blank:]] ]] && words+=("")
    ((${#words[@]} >= 2)) || return 0
    local word="${words[${#words[@]}-1]}" program="${words[0]}"
    [[ "$program" == "~/"* ]] && program="$HOME/${program#"~/"}"
    local output
    output="$("$program" __complete -- "${words[@]:1}" 2>/dev/null)" || return 0
    local item directive=0
    while IFS= read -r item; do lines+=("$item"); done <<<"$output"
    if [[ "${lines[${#lines[@]}-1]}" =~ ^:([0-9]+)$ ]]; then
        directive="${BASH_REMATCH[1]}"
        unset 'lines[${#lines[@]}-1]'
    fi
    # Readline replaces only the text after the last word-break character (from it, for
    # bash's special prefixes $ and @), so that much of the word is cut from every candidate.
    local stem="" i
    for ((i = ${#word} - 1; i >= 0; i--)); do
        if [[ "$COMP_WORDBREAKS" == *"${word:i:1}"* ]]; then
            case "${word:i:1}" in
                '$' | '@') stem="${word:0:i}" ;;
                *) stem="${word:0:i+1}" ;;
            esac
            break
        fi
    done
    COMPREPLY=()
    for item in "${lines[@]}"; do
        item="${item%%$'\t'*}"
        [[ -n "$item" && "$item" == "$word"* ]] || continue
        COMPREPLY+=("${item#"$stem"}")
    done
    if type compopt >/dev/null 2>&1; then
        ((directive & 2)) && compopt -o nospace
        ((${#COMPREPLY[@]} == 0 && (directive & 4) == 0)) && compopt -o default
    fi
    return 0
}

complete -F _kubectl_kfp kubectl-kfp
"#;

const ZSH_SCRIPT: &str = r#"#compdef kubectl-kfp
# zsh completion for kubectl-kfp
# Generated by `kubectl-kfp completion zsh`; save it as _kubectl-kfp in a directory of
# $fpath, or load it (after compinit) with
#   source <(kubectl-kfp completion zsh)
# Candidates come from `kubectl-kfp __complete`, which reads pipeline, version and
# namespace names from the cluster (within about a second, silently).

_kubectl-kfp() {
  local program=${(Q)words[1]} output line value directive=0 ret=1
  local -a args lines plain nospace
  program=${program/#\~/$HOME}
  args=("${(@Q)words[2,CURRENT-1]}" "${(Q)PREFIX}")
  output=$("$program" __complete -- "${args[@]}" 2>/dev/null) || return 1
  lines=("${(@f)output}")
  if [[ ${lines[-1]} == :<-> ]]; then
    directive=${lines[-1]#:}
    lines[-1]=()
  fi
  for line in "${lines[@]}"; do
    [[ -n $line ]] || continue
    value=${line%%$'\t'*}
    # _describe reads value:description, so colons in values are escaped.
    if [[ $line == *$'\t'* ]]; then
      line="${value//:/\\:}:${line#*$'\t'}"
    else
      line=${value//:/\\:}
    fi
    # A namespace prefix (team-a/) or a flag's = is continued, not followed by a space.
    if [[ $value == */ || $value == *= ]]; then
      nospace+=("$line")
    else
      plain+=("$line")
    fi
  done
  if (( ${#plain} )); then
    _describe -t kfp-values 'kubectl-kfp' plain && ret=0
  fi
  if (( ${#nospace} )); then
    _describe -t kfp-prefixes 'kubectl-kfp' nospace -S '' && ret=0
  fi
  if (( ret && ${#plain} + ${#nospace} == 0 && (directive & 4) == 0 )); then
    _files && ret=0
  fi
  return ret
}

if [[ $funcstack[1] == _kubectl-kfp ]]; then
  _kubectl-kfp "$@"
else
  compdef _kubectl-kfp kubectl-kfp
fi
"#;

const FISH_SCRIPT: &str = r#"# fish completion for kubectl-kfp
# Generated by `kubectl-kfp completion fish`; save it as
# ~/.config/fish/completions/kubectl-kfp.fish, or load it with
#   kubectl-kfp completion fish | source
# Candidates come from `kubectl-kfp __complete`, which reads pipeline, version and
# namespace names from the cluster (within about a second, silently).

function __kubectl_kfp_complete
    set -l tokens (commandline -opc)
    set -l current (commandline -ct)
    # Quoted: an empty current token is still a word (the one being completed).
    set -l output ($tokens[1] __complete -- $tokens[2..-1] "$current" 2>/dev/null)
    or return 0
    set -l directive 0
    if string match -qr '^:[0-9]+$' -- $output[-1]
        set directive (string sub -s 2 -- $output[-1])
        set -e output[-1]
    end
    # No candidates and no "no file completion" bit (4): complete paths (-f FILE).
    if test (count $output) -eq 0; and test (math "floor($directive / 4) % 2") -eq 0
        __fish_complete_path $current
        return 0
    end
    printf '%s\n' $output
end

complete -c kubectl-kfp -f -a '(__kubectl_kfp_complete)'
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn words(line: &str) -> Vec<String> {
        let mut words: Vec<String> = line.split(' ').map(String::from).collect();
        if words.len() == 1 && words[0].is_empty() {
            words.clear();
        }
        words
    }

    fn want(line: &str) -> Want {
        analyze(&words(line)).want
    }

    fn values(line: &str) -> Vec<String> {
        let request = analyze(&words(line));
        let candidates = match &request.want {
            Want::Values(values) => values.clone(),
            other => panic!("{line:?}: expected values, got {other:?}"),
        };
        render(&request, candidates)
            .lines()
            .map(|l| l.split('\t').next().unwrap_or_default().to_string())
            .collect()
    }

    #[test]
    fn subcommands_at_the_start() {
        assert_eq!(
            values("l"),
            ["list", ":4"],
            "aliases and hidden commands are not offered"
        );
        let all = values("");
        assert!(all.contains(&"promote".to_string()), "{all:?}");
        assert!(!all.iter().any(|v| v == "__complete" || v == "ls"), "{all:?}");
        assert_eq!(values("config "), ["set", "view", ":4"]);
        assert_eq!(values("-n team-a config s"), ["set", ":4"]);
    }

    #[test]
    fn references_per_subcommand() {
        assert_eq!(want("list "), Want::Reference { versions: false });
        assert_eq!(want("get tr"), Want::Reference { versions: true });
        assert_eq!(want("diff a@v1 "), Want::Reference { versions: true });
        assert_eq!(want("diff a@v1 b@v2 "), Want::Nothing);
        assert_eq!(want("promote -y x"), Want::Reference { versions: true });
        assert_eq!(want("create "), Want::LocalPipeline);
        assert_eq!(want("config set shared-namespace "), Want::Namespaces);
        assert_eq!(want("version "), Want::Nothing);
    }

    #[test]
    fn flag_values() {
        assert_eq!(want("list -n "), Want::Namespaces);
        assert_eq!(want("-n "), Want::Namespaces);
        assert_eq!(want("promote x --to "), Want::Namespaces);
        assert_eq!(want("list --shared-namespace "), Want::Namespaces);
        assert_eq!(want("list --context "), Want::Contexts);
        assert_eq!(want("promote x --to-context "), Want::Contexts);
        assert_eq!(want("diff x --context-b "), Want::Contexts);
        assert_eq!(want("create -f "), Want::Files);
        assert_eq!(want("list --kubeconfig "), Want::Files);
        assert_eq!(
            values("list -o "),
            ["json", "name", "table", "wide", "yaml", ":4"]
        );
        assert_eq!(values("get x -o "), ["json", "name", "yaml", ":4"]);
        assert_eq!(values("diff -o s"), ["summary", ":4"]);
        assert_eq!(values("list --output=j"), ["--output=json", ":4"]);
        assert_eq!(
            values("create -f x --dry-run="),
            ["--dry-run=client", "--dry-run=none", "--dry-run=server", ":4"]
        );
        assert_eq!(values("completion "), ["bash", "fish", "powershell", "zsh", ":4"]);
        let request = analyze(&words("list -nteam"));
        assert_eq!(
            (request.want, request.lead.as_str(), request.partial.as_str()),
            (Want::Namespaces, "-n", "team")
        );
        assert_eq!(values("list -o=y"), ["-o=yaml", ":4"]);
    }

    #[test]
    fn flags_of_the_subcommand() {
        let list = values("list --");
        assert!(list.contains(&"--no-headers".to_string()), "{list:?}");
        assert!(list.contains(&"--context".to_string()), "globals too: {list:?}");
        assert!(!list.contains(&"--to".to_string()), "{list:?}");
        assert_eq!(values("promote x --to-"), ["--to-context", "--to-shared", ":4"]);
        // Given once: not offered again; repeatable flags are.
        assert_eq!(values("list --no-headers --no-h"), [":4"]);
        assert_eq!(values("create --tag a=b --ta"), ["--tag", ":4"]);
        assert_eq!(
            values("promote x --as-"),
            ["--as-group", "--as-name", "--as-version", ":4"]
        );
    }

    #[test]
    fn line_flags_are_collected_for_the_connection() {
        let request = analyze(&words(
            "--kubeconfig /k -n team-b --context viewer list --shared-namespace=s --no-shared x",
        ));
        assert_eq!(request.global.kubeconfig, Some(PathBuf::from("/k")));
        assert_eq!(request.global.namespace.as_deref(), Some("team-b"));
        assert_eq!(request.global.context.as_deref(), Some("viewer"));
        assert_eq!(request.global.shared_namespace.as_deref(), Some("s"));
        assert!(request.global.no_shared);
        assert_eq!(request.want, Want::Reference { versions: false });
        // Flag values are not positionals; `--` ends the flags.
        assert_eq!(want("get -n ns x "), Want::Nothing);
        assert_eq!(want("get -- -x"), Want::Reference { versions: true });
        assert_eq!(
            analyze(&words("diff --context-b remote a ")).context.as_deref(),
            Some("remote")
        );
        assert_eq!(analyze(&words("diff --context-b remote a")).context, None);
    }

    #[test]
    fn rendering_filters_and_sets_the_directive() {
        let request = analyze(&words("get te"));
        let candidates = vec![
            Candidate::new("team-a/", "namespace"),
            Candidate::new("test", "team-a"),
            Candidate::new("train", "team-a"),
            Candidate::new("test", "kubeflow (shared)"),
        ];
        assert_eq!(
            render(&request, candidates.clone()),
            "team-a/\tnamespace\ntest\tteam-a\n:4\n"
        );
        let request = analyze(&words("get tea"));
        assert_eq!(render(&request, candidates), "team-a/\tnamespace\n:6\n");
        let request = analyze(&words("create -f "));
        assert_eq!(render(&request, Vec::new()), ":0\n");
        assert_eq!(
            render(&request, vec![Candidate::new("a\tb", "two\nlines")]),
            "a b\ttwo lines\n:4\n"
        );
    }
}
