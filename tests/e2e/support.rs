//! Test harness: one real kube-apiserver + etcd per test run (started on first use, stopped
//! when the test process exits because its stdin closes), fresh namespaces per test with the
//! same RBAC shape as the demo cluster, and the plugin run as a user runs it.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

#[path = "../common/data.rs"]
mod data;
// For every test module; not each is used yet.
#[allow(unused_imports)]
pub use data::{
    compiled_examples, example, example_manifest, external_corpus, invalid_input, invalid_inputs, repo,
};

/// A test pipeline by its path in the layout of the external corpus (`../shared/kfp`), served
/// from this repository: `pipelines/variants/{train_v1,train_v2,fanout,with_platform}.yaml` are
/// `example(NAME)`, `manifests/{train-v1,train-v2,fanout,with-platform}.yaml` are
/// `example_manifest(NAME)`, `pipelines/invalid/FILE` is `invalid_input(FILE)`.
pub fn shared_data(path: &str) -> PathBuf {
    data::corpus_path_in_repo(path)
}

/// `tests/data/crds`: KFP's CRDs (Pipeline, PipelineVersion, ScheduledWorkflow), committed.
pub fn crds_dir() -> PathBuf {
    repo().join("tests/data/crds")
}

/// The plugin binary cargo built for this test run.
pub fn plugin_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_kubectl-kfp"))
}

/// The running control plane.
pub struct ControlPlane {
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
    // Held so the server lives as long as the test process; dropping stdin stops it.
    _child: Mutex<Child>,
    stdin: Mutex<ChildStdin>,
    // Kept open: the control plane answers on it (a closed pipe would end it).
    stdout: Mutex<BufReader<ChildStdout>>,
}

static CONTROL_PLANE: OnceLock<ControlPlane> = OnceLock::new();
static COUNTER: AtomicUsize = AtomicUsize::new(0);

fn control_plane_binary() -> PathBuf {
    repo().join("target/control-plane/bin/kfp-control-plane")
}

/// The kubectl built with the control plane (same Kubernetes version), else the one on PATH.
pub fn kubectl_binary() -> PathBuf {
    let built = repo().join("target/control-plane/bin/kubectl");
    if built.exists() {
        built
    } else {
        PathBuf::from("kubectl")
    }
}

impl ControlPlane {
    /// The control plane of this test run, started on first use.
    pub fn get() -> &'static ControlPlane {
        CONTROL_PLANE.get_or_init(|| ControlPlane::start(&crds_dir()))
    }

    fn start(crds: &Path) -> ControlPlane {
        ControlPlane::start_with(crds, &[])
    }

    /// Starts a control plane with extra kube-apiserver flags.
    pub fn start_with(crds: &Path, apiserver_args: &[&str]) -> ControlPlane {
        let binary = control_plane_binary();
        assert!(
            binary.exists(),
            "{} is missing: build it with scripts/build-control-plane (scripts/test does)",
            binary.display()
        );
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let instance = STARTED.fetch_add(1, Ordering::SeqCst);
        let dir = repo()
            .join("target/e2e")
            .join(format!("cp-{}-{instance}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create control plane dir");
        let log = std::fs::File::create(dir.join("control-plane.log")).expect("log file");
        let started = Instant::now();
        let mut child = Command::new(&binary)
            .arg("--dir")
            .arg(&dir)
            .arg("--crds")
            .arg(crds)
            .arg("--exit-on-stdin-eof")
            .args(apiserver_args.iter().map(|a| format!("--apiserver-arg={a}")))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start control plane");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read ready line");
        let fields = parse_ready(&line).unwrap_or_else(|| {
            let log = std::fs::read_to_string(dir.join("control-plane.log")).unwrap_or_default();
            panic!("control plane did not become ready: {line:?}\n{}", tail(&log, 40))
        });
        eprintln!(
            "control plane ready in {:.1}s at {}",
            started.elapsed().as_secs_f64(),
            fields.1
        );
        let stdin = child.stdin.take().expect("stdin");
        ControlPlane {
            dir,
            kubeconfig: PathBuf::from(fields.0),
            _child: Mutex::new(child),
            stdin: Mutex::new(stdin),
            stdout: Mutex::new(stdout),
        }
    }

    /// Stops kube-apiserver and starts it again on the same etcd and port, as a server
    /// restart does; returns once it is ready again.
    #[allow(dead_code)]
    pub fn restart_apiserver(&self) {
        let mut stdin = self.stdin.lock().expect("stdin lock");
        writeln!(stdin, "restart-apiserver").expect("ask for a restart");
        stdin.flush().expect("flush");
        let mut line = String::new();
        self.stdout
            .lock()
            .expect("stdout lock")
            .read_line(&mut line)
            .expect("read restart answer");
        if line.trim() != "restarted" {
            let log = std::fs::read_to_string(self.dir.join("control-plane.log")).unwrap_or_default();
            panic!("kube-apiserver did not restart: {line:?}\n{}", tail(&log, 40));
        }
    }

    /// Runs kubectl as `context` (admin unless told), failing the test if it fails.
    pub fn kubectl(&self, context: &str, args: &[&str], stdin: Option<&str>) -> Output {
        let output = self.kubectl_raw(context, args, stdin);
        assert_eq!(output.code, 0, "kubectl {args:?} failed: {}", output.stderr);
        output
    }

    pub fn kubectl_raw(&self, context: &str, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = Command::new(kubectl_binary());
        command
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--context")
            .arg(context)
            .args(args);
        run(command, stdin.map(str::as_bytes))
    }

    /// A fresh set of namespaces for one test, shaped like team-a / kubeflow / team-b.
    pub fn namespaces(&self, test: &str) -> Namespaces {
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let base: String = test
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        let base = &base[..base.len().min(40)];
        let suffix = format!("{}-{n}", std::process::id() % 100_000);
        let ns = Namespaces {
            local: format!("{base}-a-{suffix}"),
            shared: format!("{base}-s-{suffix}"),
            other: format!("{base}-b-{suffix}"),
        };
        let mut manifest = String::new();
        for name in [&ns.local, &ns.shared, &ns.other] {
            manifest.push_str(&format!(
                "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {name}\n---\n"
            ));
        }
        // Same grants as the demo cluster: editor edits local/other and reads shared; viewer reads
        // all three; outsider edits `other` only.
        let bindings = [
            ("editor", "edit", &ns.local),
            ("editor", "edit", &ns.other),
            ("editor", "view", &ns.shared),
            ("viewer", "view", &ns.local),
            ("viewer", "view", &ns.shared),
            ("viewer", "view", &ns.other),
            ("outsider", "edit", &ns.other),
        ];
        for (user, role, namespace) in bindings {
            manifest.push_str(&format!(
                "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: {user}-{role}\n  namespace: {namespace}\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: ClusterRole\n  name: kfp-test:{role}\nsubjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: User\n  name: {user}\n---\n"
            ));
        }
        self.kubectl("admin", &["apply", "-f", "-"], Some(&manifest));
        ns
    }

    /// The plugin, as `context`, with the test's namespaces wired in through a config file.
    pub fn kfp(&self, ns: &Namespaces, args: &[&str]) -> Kfp {
        let config = self.dir.join(format!("config-{}.yaml", ns.local));
        if !config.exists() {
            std::fs::write(&config, format!("sharedNamespace: {}\n", ns.shared)).expect("write config");
        }
        Kfp {
            args: args.iter().map(|a| a.to_string()).collect(),
            context: "admin".into(),
            namespace: Some(ns.local.clone()),
            kubeconfig: self.kubeconfig.clone(),
            config,
            env: Vec::new(),
            stdin: None,
            through_kubectl: false,
        }
    }

    /// The KFP objects in a namespace as `kind/name` lines (empty when there are none), read by
    /// admin with kubectl: what tests compare to prove that nothing was written.
    pub fn kfp_objects(&self, namespace: &str) -> String {
        self.kubectl(
            "admin",
            &[
                "get",
                "pipelines.v2beta1.pipelines.kubeflow.org,pipelineversions.v2beta1.pipelines.kubeflow.org",
                "-n",
                namespace,
                "-o",
                "name",
            ],
            None,
        )
        .stdout
    }

    /// Seeds a pipeline with versions through kubectl (no plugin involved), shaped like the
    /// objects KFP stores: versions labelled with the pipeline's name, all with one spec.
    pub fn seed(&self, namespace: &str, pipeline: &str, versions: &[&str]) {
        let spec = shared_data("pipelines/variants/train_v1.yaml");
        let mut yaml = pipeline_manifest(pipeline, &format!("{pipeline} in {namespace}"));
        for version in versions {
            yaml.push_str("---\n");
            yaml.push_str(&version_manifest(pipeline, version, &spec, true));
        }
        self.create(namespace, &yaml);
    }

    /// `kubectl get RESOURCE -n NAMESPACE -o json` as admin, parsed: what the server stored.
    pub fn get_json(&self, namespace: &str, resource: &str) -> serde_json::Value {
        let out = self.kubectl("admin", &["get", resource, "-n", namespace, "-o", "json"], None);
        serde_json::from_str(&out.stdout).expect("kubectl printed JSON")
    }

    /// Creates objects from YAML as admin (`kubectl create`).
    pub fn create(&self, namespace: &str, yaml: &str) {
        self.kubectl("admin", &["create", "-n", namespace, "-f", "-"], Some(yaml));
    }
}

/// The namespaces of one test.
#[derive(Debug, Clone)]
pub struct Namespaces {
    /// The current namespace (like team-a).
    pub local: String,
    /// The shared namespace (like kubeflow).
    pub shared: String,
    /// Another team's namespace (like team-b).
    pub other: String,
}

/// A plugin invocation being built.
pub struct Kfp {
    args: Vec<String>,
    context: String,
    namespace: Option<String>,
    kubeconfig: PathBuf,
    config: PathBuf,
    env: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
    through_kubectl: bool,
}

impl Kfp {
    pub fn context(mut self, context: &str) -> Self {
        self.context = context.to_string();
        self
    }

    /// Run without `--context` (the kubeconfig's current context applies).
    pub fn no_context(mut self) -> Self {
        self.context.clear();
        self
    }

    /// Run without `-n` (the context's namespace applies).
    pub fn no_namespace(mut self) -> Self {
        self.namespace = None;
        self
    }

    pub fn namespace(mut self, namespace: &str) -> Self {
        self.namespace = Some(namespace.to_string());
        self
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_string(), value.to_string()));
        self
    }

    pub fn config_file(mut self, path: &Path) -> Self {
        self.config = path.to_path_buf();
        self
    }

    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Self {
        self.stdin = Some(bytes.into());
        self
    }

    /// Run as `kubectl kfp …` through kubectl's plugin mechanism.
    pub fn through_kubectl(mut self) -> Self {
        self.through_kubectl = true;
        self
    }

    pub fn run(self) -> Output {
        let mut command = if self.through_kubectl {
            let mut c = Command::new(kubectl_binary());
            c.arg("kfp");
            let bin_dir = plugin_binary().parent().expect("bin dir").to_path_buf();
            let path = std::env::var("PATH").unwrap_or_default();
            c.env("PATH", format!("{}:{path}", bin_dir.display()));
            c
        } else {
            Command::new(plugin_binary())
        };
        command.args(&self.args);
        if !self.context.is_empty() {
            command.arg("--context").arg(&self.context);
        }
        if let Some(ns) = &self.namespace {
            command.arg("-n").arg(ns);
        }
        command
            .env("KUBECONFIG", &self.kubeconfig)
            .env("KUBECTL_KFP_CONFIG", &self.config)
            .env_remove("KUBECTL_KFP_SHARED_NAMESPACE")
            .env_remove("NO_COLOR");
        for (key, value) in &self.env {
            command.env(key, value);
        }
        run(command, self.stdin.as_deref())
    }

    /// Runs and asserts exit 0.
    pub fn ok(self) -> Output {
        let description = self.args.join(" ");
        let output = self.run();
        assert_eq!(
            output.code, 0,
            "kubectl kfp {description} failed:\nstdout:\n{}\nstderr:\n{}",
            output.stdout, output.stderr
        );
        output
    }
}

/// What a process printed and how it exited.
#[derive(Debug, Clone)]
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: i32,
}

impl Output {
    /// Asserts the documented error shape: exit 2, `error: …` first line, nothing on stdout.
    pub fn assert_error(&self, contains: &str) -> &Self {
        assert_eq!(
            self.code, 2,
            "expected exit 2, got {}: stdout {:?} stderr {:?}",
            self.code, self.stdout, self.stderr
        );
        // Warnings (e.g. about the version acted on) come first, as kubectl prints them.
        let first_other = self.stderr.lines().find(|l| !l.starts_with("warning: "));
        assert!(
            first_other.is_some_and(|l| l.starts_with("error: ")),
            "stderr: {:?}",
            self.stderr
        );
        assert!(
            self.stderr.contains(contains),
            "stderr {:?} lacks {contains:?}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "{}", self.stderr);
        self
    }

    /// Table rows (after the header) split on whitespace runs.
    pub fn rows(&self) -> Vec<Vec<String>> {
        self.stdout
            .lines()
            .skip(1)
            .map(|l| {
                l.split("  ")
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(String::from)
                    .collect()
            })
            .collect()
    }
}

fn run(mut command: Command, stdin: Option<&[u8]>) -> Output {
    command.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("spawn {command:?}: {e}"));
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        let bytes = bytes.to_vec();
        // Written from a thread so a child that stops reading early cannot deadlock the test.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&bytes);
        });
    }
    let output = child.wait_with_output().expect("wait");
    Output {
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        code: output.status.code().unwrap_or(-1),
    }
}

fn parse_ready(line: &str) -> Option<(String, String)> {
    let rest = line.trim().strip_prefix("ready ")?;
    let mut kubeconfig = None;
    let mut server = None;
    for field in rest.split_whitespace() {
        if let Some(v) = field.strip_prefix("kubeconfig=") {
            kubeconfig = Some(v.to_string());
        } else if let Some(v) = field.strip_prefix("server=") {
            server = Some(v.to_string());
        }
    }
    Some((kubeconfig?, server?))
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// A PipelineVersion manifest as KFP's API server would store it, for seeding through kubectl.
pub fn version_manifest(pipeline: &str, version: &str, spec_file: &Path, labels: bool) -> String {
    let text = std::fs::read_to_string(spec_file).expect("spec file");
    let mut docs = text.split("\n---\n");
    let spec = docs.next().unwrap_or_default();
    let indented: String = spec
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| format!("    {l}\n"))
        .collect();
    let label_block = if labels {
        format!("  labels:\n    pipelines.kubeflow.org/pipeline: {pipeline}\n")
    } else {
        String::new()
    };
    format!(
        "apiVersion: pipelines.kubeflow.org/v2beta1\nkind: PipelineVersion\nmetadata:\n  name: {pipeline}-{version}\n{label_block}spec:\n  pipelineName: {pipeline}\n  versionName: {version}\n  pipelineSpec:\n{indented}"
    )
}

/// A Pipeline manifest.
pub fn pipeline_manifest(name: &str, description: &str) -> String {
    format!(
        "apiVersion: pipelines.kubeflow.org/v2beta1\nkind: Pipeline\nmetadata:\n  name: {name}\nspec:\n  displayName: {name}\n  description: {description}\n"
    )
}

static SECOND: OnceLock<ControlPlane> = OnceLock::new();
static MERGED: OnceLock<PathBuf> = OnceLock::new();

impl ControlPlane {
    /// A second, independent control plane (another "cluster"), started on first use.
    pub fn second() -> &'static ControlPlane {
        SECOND.get_or_init(|| ControlPlane::start(&crds_dir()))
    }

    /// A control plane without KFP's CRDs, serving instead another project's `Pipeline` kind
    /// (Tekton's group), so tests see a cluster where the names exist but KFP's API does not.
    pub fn without_kfp() -> &'static ControlPlane {
        static BARE: OnceLock<ControlPlane> = OnceLock::new();
        BARE.get_or_init(|| {
            let dir = repo()
                .join("target/e2e")
                .join(format!("other-crds-{}", std::process::id()));
            std::fs::create_dir_all(&dir).expect("crd dir");
            std::fs::write(dir.join("tekton-pipelines.yaml"), OTHER_PROJECT_CRD).expect("crd file");
            ControlPlane::start(&dir)
        })
    }

    /// A control plane whose API server cannot stream lists (the WatchList feature is off, as
    /// on servers before 1.27 or where an operator turned it off), so lists read pages.
    pub fn without_streaming_lists() -> &'static ControlPlane {
        static PAGED: OnceLock<ControlPlane> = OnceLock::new();
        PAGED.get_or_init(|| ControlPlane::start_with(&crds_dir(), &["--feature-gates=WatchList=false"]))
    }

    /// One kubeconfig holding both clusters: the first control plane's contexts as they are,
    /// the second's prefixed with `remote-` (e.g. `remote-admin`, `remote-editor`).
    pub fn two_cluster_kubeconfig() -> &'static Path {
        MERGED.get_or_init(|| {
            let first = ControlPlane::get();
            let second = ControlPlane::second();
            let read = |path: &Path| -> serde_json::Value {
                kubectl_kfp::yaml::from_str(&std::fs::read_to_string(path).expect("kubeconfig"))
                    .expect("kubeconfig yaml")
            };
            let mut merged = read(&first.kubeconfig);
            let mut remote = read(&second.kubeconfig);
            let rename = |list: &mut serde_json::Value| {
                for item in list.as_array_mut().into_iter().flatten() {
                    let name = item["name"].as_str().unwrap_or_default().to_string();
                    item["name"] = format!("remote-{name}").into();
                    if let Some(context) = item.get_mut("context") {
                        for key in ["cluster", "user"] {
                            let value = context[key].as_str().unwrap_or_default().to_string();
                            context[key] = format!("remote-{value}").into();
                        }
                    }
                }
            };
            for key in ["clusters", "users", "contexts"] {
                rename(&mut remote[key]);
                let extra = remote[key].as_array().cloned().unwrap_or_default();
                merged[key].as_array_mut().expect("list").extend(extra);
            }
            let path = first.dir.join("two-clusters.kubeconfig");
            std::fs::write(&path, kubectl_kfp::yaml::to_string(&merged).expect("yaml"))
                .expect("write kubeconfig");
            path
        })
    }
}

impl Kfp {
    pub fn kubeconfig(mut self, path: &Path) -> Self {
        self.kubeconfig = path.to_path_buf();
        self
    }

    /// The command line this invocation would run, for driving it in a pseudo-terminal.
    pub fn command(&self) -> Command {
        let mut command = Command::new(plugin_binary());
        command.args(&self.args).arg("--context").arg(&self.context);
        if let Some(ns) = &self.namespace {
            command.arg("-n").arg(ns);
        }
        command
            .env("KUBECONFIG", &self.kubeconfig)
            .env("KUBECTL_KFP_CONFIG", &self.config)
            .env_remove("KUBECTL_KFP_SHARED_NAMESPACE");
        command
    }
}

/// Sleeps into the next wall-clock second, so the next object gets a later creationTimestamp
/// (the API server stamps whole seconds; equal stamps fall to KFP's UID tie-break).
pub fn next_second() {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let into_second = now.subsec_millis() as u64;
    std::thread::sleep(std::time::Duration::from_millis(1000 - into_second + 20));
}

/// Another project's `Pipeline` kind (Tekton's group and version), for the "not served" tests.
const OTHER_PROJECT_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: pipelines.tekton.dev
spec:
  group: tekton.dev
  names: {kind: Pipeline, plural: pipelines, singular: pipeline, listKind: PipelineList}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
";
