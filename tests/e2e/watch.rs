//! `list [PIPELINE] -w`: the table, then one row per version (or, without PIPELINE, per
//! pipeline) created, changed or deleted; resumed after a cut connection, an unreachable or a
//! restarted server, relisted after 410 Gone without repeating rows; one object per event with
//! `-o json`. Waits are bounded only to fail instead of hanging.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::Duration;

use serde_json::Value;

use crate::proxy::{Mode, Proxy};
use crate::support::{ControlPlane, Namespaces, crds_dir, next_second, shared_data, version_manifest};

const PV: &str = "pipelineversions.v2beta1.pipelines.kubeflow.org";
/// Only a guard against hanging: every wait ends as soon as its line arrives.
const GUARD: Duration = Duration::from_secs(120);

/// A running `kubectl kfp … -w` whose output is read line by line.
struct Watching {
    child: Child,
    lines: Receiver<String>,
    stderr: std::path::PathBuf,
    seen: Vec<String>,
}

impl Watching {
    fn start(mut command: Command, dir: &std::path::Path) -> Watching {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let stderr = dir.join(format!("watch-{}-{n}.stderr", std::process::id()));
        let file = std::fs::File::create(&stderr).expect("stderr file");
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(file))
            .spawn()
            .expect("start the watch");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Watching {
            child,
            lines,
            stderr,
            seen: Vec::new(),
        }
    }

    /// The next `n` lines of stdout.
    fn next(&mut self, n: usize) -> Vec<String> {
        let mut out = Vec::new();
        while out.len() < n {
            match self.lines.recv_timeout(GUARD) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    out.push(line);
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => panic!(
                    "expected {n} more lines; got {out:?} after {:?}\nstderr:\n{}",
                    self.seen,
                    self.stderr_text()
                ),
            }
        }
        out
    }

    fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Ctrl-C: returns the exit code and whatever stdout still held.
    fn interrupt(mut self) -> (i32, Vec<String>, String) {
        let status = Command::new("kill")
            .arg("-INT")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill -INT");
        assert!(status.success());
        let code = self.child.wait().expect("wait").code().unwrap_or(-1);
        let rest: Vec<String> = self.lines.iter().collect();
        (code, rest, self.stderr_text())
    }
}

impl Drop for Watching {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (VERSION, latest?) of a table row: the LATEST cell is `*` or empty.
fn version_row(line: &str) -> (String, bool) {
    let cells: Vec<&str> = line.split_whitespace().collect();
    (cells[0].to_string(), cells.contains(&"*"))
}

fn rows(lines: &[String]) -> Vec<(String, bool)> {
    lines.iter().map(|l| version_row(l)).collect()
}

fn v(name: &str, latest: bool) -> (String, bool) {
    (name.to_string(), latest)
}

fn add_version(cp: &ControlPlane, ns: &Namespaces, version: &str) {
    add_version_in(cp, &ns.local, "train", version);
}

fn add_version_in(cp: &ControlPlane, namespace: &str, pipeline: &str, version: &str) {
    let spec = shared_data("pipelines/variants/train_v2.yaml");
    cp.create(namespace, &version_manifest(pipeline, version, &spec, true));
}

fn watch_command(cp: &ControlPlane, ns: &Namespaces, kubeconfig: &std::path::Path, args: &[&str]) -> Command {
    let mut command = cp.kfp(ns, args).kubeconfig(kubeconfig).command();
    command.env_remove("NO_COLOR");
    command
}

/// Seeds train with v1 and v2, starts the watch and reads its table.
fn start(cp: &ControlPlane, ns: &Namespaces, kubeconfig: &std::path::Path, args: &[&str]) -> Watching {
    cp.seed(&ns.local, "train", &["v1"]);
    next_second();
    add_version(cp, ns, "v2");
    let mut watching = Watching::start(watch_command(cp, ns, kubeconfig, args), &cp.dir);
    let table = watching.next(3);
    assert!(table[0].starts_with("VERSION"), "{table:?}");
    assert_eq!(rows(&table[1..]), [v("v2", true), v("v1", false)]);
    next_second();
    watching
}

#[test]
fn watch_prints_the_table_then_a_row_per_change_until_interrupted() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("watch-rows");
    let mut watching = start(cp, &ns, &cp.kubeconfig, &["list", "train", "-w"]);
    add_version(cp, &ns, "v3");
    assert_eq!(rows(&watching.next(1)), [v("v3", true)]);
    // Tags and display name are the mutable part of a version.
    cp.kubectl(
        "admin",
        &[
            "patch",
            PV,
            "train-v1",
            "-n",
            &ns.local,
            "--type=merge",
            "-p",
            r#"{"spec":{"tags":{"stage":"prod"},"displayName":"first"}}"#,
        ],
        None,
    );
    assert_eq!(rows(&watching.next(1)), [v("v1", false)]);
    cp.kubectl("admin", &["delete", PV, "train-v2", "-n", &ns.local], None);
    assert_eq!(rows(&watching.next(1)), [v("v2", false)]);
    let (code, rest, stderr) = watching.interrupt();
    assert_eq!(code, 130, "{stderr}");
    assert!(rest.is_empty(), "{rest:?}");
}

#[test]
fn watch_only_with_request_timeout_ends_cleanly() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("watch-timeout");
    cp.seed(&ns.local, "train", &["v1"]);
    // The server ends the watch when --request-timeout runs out: exit 0, and no table.
    let out = cp
        .kfp(&ns, &["list", "train", "--watch-only", "--request-timeout", "2s"])
        .ok();
    assert_eq!(out.stdout, "");
    // So does the overview's.
    let out = cp
        .kfp(&ns, &["list", "--watch-only", "--request-timeout", "2s"])
        .ok();
    assert_eq!(out.stdout, "");
    // A shared namespace the user may not watch degrades to a warning, as the list does.
    let out = cp
        .kfp(&ns, &["list", "-w", "--request-timeout", "2s"])
        .context("outsider")
        .namespace(&ns.other)
        .ok();
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        (
            "",
            format!(
                "warning: cannot watch pipelines in shared namespace {:?}: forbidden; showing namespace {:?} only\nNo pipelines found in namespace {} (shared namespace: {}); watching for new ones.\n",
                ns.shared, ns.other, ns.other, ns.shared
            )
            .as_str()
        )
    );
}

#[test]
fn watch_of_a_shared_pipeline_shows_and_follows_the_shared_namespace() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("watch-shared");
    cp.seed(&ns.shared, "train", &["v1"]);
    let command = watch_command(cp, &ns, &cp.kubeconfig, &["list", "train", "-w"]);
    let mut watching = Watching::start(command, &cp.dir);
    let table = watching.next(2);
    assert!(table[0].starts_with("VERSION"), "{table:?}");
    let origin = format!("{} (shared)", ns.shared);
    assert_eq!(overview_cells(&table[1])[..2], ["v1".to_string(), origin.clone()]);
    assert_eq!(rows(&table[1..]), [v("v1", true)]);
    next_second();
    add_version_in(cp, &ns.shared, "train", "v2");
    let row = watching.next(1).remove(0);
    assert_eq!(overview_cells(&row)[..2], ["v2".to_string(), origin]);
    assert_eq!(rows(&[row]), [v("v2", true)]);
    let (code, rest, stderr) = watching.interrupt();
    assert_eq!((code, rest), (130, vec![]), "{stderr}");
}

/// A table row's cells (split on runs of two or more spaces), AGE dropped where it is the last
/// of five overview columns.
fn overview_cells(line: &str) -> Vec<String> {
    let mut cells: Vec<String> = line
        .split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(String::from)
        .collect();
    if cells.len() == 5 {
        cells.pop();
    }
    cells
}

fn overview_row(name: &str, origin: &str, versions: usize, latest: &str) -> Vec<String> {
    vec![name.into(), origin.into(), versions.to_string(), latest.into()]
}

#[test]
fn overview_watch_reprints_a_pipeline_row_when_it_or_its_versions_change() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("watch-overview");
    cp.seed(&ns.local, "train", &["v1"]);
    cp.seed(&ns.shared, "train", &["v1"]);
    cp.seed(&ns.shared, "eval", &["v1"]);
    let command = watch_command(cp, &ns, &cp.kubeconfig, &["list", "-w"]);
    let mut watching = Watching::start(command, &cp.dir);
    let table = watching.next(4);
    let shared = format!("{} (shared)", ns.shared);
    let shadowed = format!("{} (shared, shadowed)", ns.shared);
    assert_eq!(
        table.iter().map(|l| overview_cells(l)).collect::<Vec<_>>(),
        [
            ["NAME", "ORIGIN", "VERSIONS", "LATEST"]
                .map(String::from)
                .to_vec(),
            overview_row("eval", &shared, 1, "v1"),
            overview_row("train", &ns.local, 1, "v1"),
            overview_row("train", &shadowed, 1, "v1"),
        ]
    );
    next_second();
    // A version added in the shared namespace: that pipeline's row, now.
    add_version_in(cp, &ns.shared, "eval", "v2");
    assert_eq!(
        overview_cells(&watching.next(1)[0]),
        overview_row("eval", &shared, 2, "v2")
    );
    // A version added locally counts for the local pipeline only.
    add_version_in(cp, &ns.local, "train", "v2");
    assert_eq!(
        overview_cells(&watching.next(1)[0]),
        overview_row("train", &ns.local, 2, "v2")
    );
    // Deleting the local pipeline prints its last row, and the shared one is no longer shadowed.
    cp.kubectl(
        "admin",
        &[
            "delete",
            "pipelines.v2beta1.pipelines.kubeflow.org",
            "train",
            "-n",
            &ns.local,
        ],
        None,
    );
    assert_eq!(
        watching
            .next(2)
            .iter()
            .map(|l| overview_cells(l))
            .collect::<Vec<_>>(),
        [
            overview_row("train", &ns.local, 2, "v2"),
            overview_row("train", &shared, 1, "v1"),
        ]
    );
    // A shared pipeline deleted: its last row, once.
    cp.kubectl(
        "admin",
        &[
            "delete",
            "pipelines.v2beta1.pipelines.kubeflow.org",
            "eval",
            "-n",
            &ns.shared,
        ],
        None,
    );
    assert_eq!(
        overview_cells(&watching.next(1)[0]),
        overview_row("eval", &shared, 2, "v2")
    );
    let (code, rest, stderr) = watching.interrupt();
    assert_eq!((code, rest), (130, vec![]), "{stderr}");
}

#[test]
fn overview_watch_json_prints_one_pipeline_per_event() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("watch-overview-json");
    cp.seed(&ns.shared, "eval", &["v1"]);
    let command = watch_command(cp, &ns, &cp.kubeconfig, &["list", "-o", "json", "-w"]);
    let mut watching = Watching::start(command, &cp.dir);
    let first = read_json(&mut watching);
    assert_eq!(
        (
            &first["kind"],
            &first["metadata"]["name"],
            &first["metadata"]["namespace"]
        ),
        (&"Pipeline".into(), &"eval".into(), &ns.shared.as_str().into())
    );
    cp.create(&ns.local, &crate::support::pipeline_manifest("train", "new"));
    let added = read_json(&mut watching);
    assert_eq!(
        (&added["kind"], &added["metadata"]["name"]),
        (&"Pipeline".into(), &"train".into())
    );
    assert!(added["metadata"].get("managedFields").is_none());
    let (code, rest, _) = watching.interrupt();
    assert_eq!((code, rest), (130, vec![]));
}

/// One pretty-printed JSON object from the watch's stdout.
fn read_json(watching: &mut Watching) -> Value {
    let mut text = String::new();
    loop {
        let line = watching.next(1).remove(0);
        text.push_str(&line);
        text.push('\n');
        if line == "}" {
            return serde_json::from_str(&text).expect("one JSON object");
        }
    }
}

#[test]
fn watch_json_prints_one_object_per_event() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("watch-json");
    cp.seed(&ns.local, "train", &["v1"]);
    let command = watch_command(cp, &ns, &cp.kubeconfig, &["list", "train", "-o", "json", "-w"]);
    let mut watching = Watching::start(command, &cp.dir);
    let first = read_json(&mut watching);
    assert_eq!(first["kind"], "PipelineVersion");
    assert_eq!(first["metadata"]["name"], "train-v1");
    assert!(first["metadata"].get("managedFields").is_none());
    add_version(cp, &ns, "v2");
    let added = read_json(&mut watching);
    assert_eq!(added["metadata"]["name"], "train-v2");
    assert!(added["spec"]["pipelineSpec"].is_object());
    let (code, rest, _) = watching.interrupt();
    assert_eq!((code, rest), (130, vec![]));
}

#[test]
fn watch_resumes_after_the_connection_is_cut_mid_stream() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("watch-cut");
    let proxy = Proxy::start(&cp.kubeconfig);
    let kubeconfig = proxy.kubeconfig(&cp.kubeconfig, &cp.dir);
    let mut watching = start(cp, &ns, &kubeconfig, &["list", "train", "-w", "-v", "4"]);
    let before = proxy.connections();
    proxy.cut_open_connections();
    add_version(cp, &ns, "v3");
    // Exactly the new row: the resumed watch repeats nothing.
    assert_eq!(rows(&watching.next(1)), [v("v3", true)]);
    assert!(proxy.connections() > before, "the watch did not reconnect");
    // Unreachable for a while (as during a server restart), then back.
    proxy.set(Mode::Refuse);
    proxy.cut_open_connections();
    cp.kubectl("admin", &["delete", PV, "train-v1", "-n", &ns.local], None);
    std::thread::sleep(Duration::from_secs(2));
    proxy.set(Mode::Pass);
    assert_eq!(rows(&watching.next(1)), [v("v1", false)]);
    let (code, rest, stderr) = watching.interrupt();
    assert_eq!((code, rest), (130, vec![]), "{stderr}");
    assert!(stderr.contains("watch of"), "{stderr}");
}

/// A control plane without the watch cache that compacts etcd every second, so a watch resumed
/// from an old resourceVersion is answered with 410 Gone.
fn compacting() -> &'static ControlPlane {
    static CP: OnceLock<ControlPlane> = OnceLock::new();
    CP.get_or_init(|| {
        ControlPlane::start_with(
            &crds_dir(),
            &["--watch-cache=false", "--etcd-compaction-interval=1s"],
        )
    })
}

/// Tags `version` three times, two seconds apart: with `compacting()`'s compaction every second,
/// a watch cut off before these writes cannot resume from its resourceVersion (410 Gone).
fn outlast_compaction(cp: &ControlPlane, ns: &Namespaces, version: &str) {
    for tag in 0..3 {
        let patch = format!(r#"{{"spec":{{"tags":{{"n":"{tag}"}}}}}}"#);
        let args = [
            "patch",
            PV,
            version,
            "-n",
            &ns.local,
            "--type=merge",
            "-p",
            &patch,
        ];
        cp.kubectl("admin", &args, None);
        std::thread::sleep(Duration::from_secs(2));
    }
}

#[test]
fn compaction_forces_a_relist_without_repeated_rows() {
    let cp = compacting();
    let ns = cp.namespaces("watch-410");
    let proxy = Proxy::start(&cp.kubeconfig);
    let kubeconfig = proxy.kubeconfig(&cp.kubeconfig, &cp.dir);
    let watching = start(cp, &ns, &kubeconfig, &["list", "train", "-w", "-v", "4"]);
    let mut watching = watching;
    proxy.set(Mode::Refuse);
    proxy.cut_open_connections();
    add_version(cp, &ns, "v3");
    cp.kubectl("admin", &["delete", PV, "train-v1", "-n", &ns.local], None);
    // More writes and a few compactions, so the watch's resourceVersion is gone from etcd.
    outlast_compaction(cp, &ns, "train-v3");
    proxy.set(Mode::Pass);
    // The relist finds v3 (new) and v1 (gone); v2, unchanged, is not printed again.
    let mut changed = rows(&watching.next(2));
    changed.sort();
    assert_eq!(changed, [v("v1", false), v("v3", true)]);
    let (code, rest, stderr) = watching.interrupt();
    assert_eq!((code, rest), (130, vec![]), "{stderr}");
    assert!(
        stderr.contains("expired (410 Gone): listing again"),
        "no relist after 410 Gone:\n{stderr}"
    );
}

#[test]
fn watch_resumes_after_the_server_restarted() {
    // Its own control plane: the restart must not disturb other tests.
    static CP: OnceLock<ControlPlane> = OnceLock::new();
    let cp = CP.get_or_init(|| ControlPlane::start_with(&crds_dir(), &[]));
    let ns = cp.namespaces("watch-restart");
    let mut watching = start(cp, &ns, &cp.kubeconfig, &["list", "train", "-w", "-v", "4"]);
    cp.restart_apiserver();
    add_version(cp, &ns, "v3");
    // Exactly the new row: neither the resumed watch nor a relist repeats v1 or v2.
    assert_eq!(rows(&watching.next(1)), [v("v3", true)]);
    let (code, rest, stderr) = watching.interrupt();
    assert_eq!((code, rest), (130, vec![]), "{stderr}");
    // The restart did reach the watch: it ended and was taken up again.
    assert!(stderr.contains("ended by the server: watching again"), "{stderr}");
}

#[test]
fn overview_watch_relists_after_compaction_without_repeated_rows() {
    let cp = compacting();
    let ns = cp.namespaces("watch-overview-410");
    cp.seed(&ns.local, "train", &["v1"]);
    cp.seed(&ns.shared, "eval", &["v1"]);
    let proxy = Proxy::start(&cp.kubeconfig);
    let kubeconfig = proxy.kubeconfig(&cp.kubeconfig, &cp.dir);
    let command = watch_command(cp, &ns, &kubeconfig, &["list", "-w", "-v", "4"]);
    let mut watching = Watching::start(command, &cp.dir);
    assert_eq!(watching.next(3).len(), 3);
    proxy.set(Mode::Refuse);
    proxy.cut_open_connections();
    next_second();
    add_version(cp, &ns, "v2");
    // More writes and a few compactions, so the watches' resourceVersions are gone from etcd.
    outlast_compaction(cp, &ns, "train-v2");
    proxy.set(Mode::Pass);
    // The relist changes train's row only; eval, unchanged, is not printed again.
    assert_eq!(
        overview_cells(&watching.next(1)[0]),
        overview_row("train", &ns.local, 2, "v2")
    );
    let (code, rest, stderr) = watching.interrupt();
    assert_eq!((code, rest), (130, vec![]), "{stderr}");
    assert!(
        stderr.contains("expired (410 Gone): listing again"),
        "no relist after 410 Gone:\n{stderr}"
    );
}
