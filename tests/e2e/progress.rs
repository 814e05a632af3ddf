//! Progress on stderr, seen as a person sees it: the plugin runs with stderr on a
//! pseudo-terminal against a server slowed by the fault proxy's throttle, the terminal's bytes
//! are replayed into a terminal emulator (vt100), and the final screen is checked.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::proxy::{Mode, Proxy};
use crate::support::{
    ControlPlane, Namespaces, next_second, pipeline_manifest, shared_data, version_manifest,
};
use std::path::PathBuf;

/// What a run left behind: the terminal's raw bytes, stdout, and the exit code.
struct TerminalRun {
    terminal: Vec<u8>,
    stdout: String,
    code: i32,
}

impl TerminalRun {
    /// The terminal's text as the person sees it at the end (trailing blank lines dropped).
    fn screen(&self) -> String {
        let size = |n| std::num::NonZeroU16::new(n).expect("non-zero size");
        // Tall enough that nothing a test prints scrolls off.
        let mut parser = vt100::Parser::new(size(1000), size(200), 0);
        parser.process(&self.terminal);
        parser.screen().contents().trim_end().to_string()
    }

    fn terminal_text(&self) -> String {
        String::from_utf8_lossy(&self.terminal).into_owned()
    }
}

/// A new pseudo-terminal: (controller, device).
fn open_terminal() -> (OwnedFd, OwnedFd) {
    let (mut controller, mut device) = (0, 0);
    // SAFETY: openpty writes two new file descriptors, which we own from here on.
    let rc = unsafe {
        libc::openpty(
            &mut controller,
            &mut device,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(controller), OwnedFd::from_raw_fd(device)) }
}

/// When a run on the terminal gets Ctrl-C (SIGINT).
enum Interrupt<'a> {
    Never,
    /// Once the terminal's text so far satisfies the condition.
    When(&'a dyn Fn(&str) -> bool),
}

/// Runs `command` with stderr (and stdout too when `stdout_on_terminal`) on a pseudo-terminal.
fn run_on_terminal(mut command: Command, stdout_on_terminal: bool, interrupt: Interrupt) -> TerminalRun {
    let (controller, device) = open_terminal();
    command.stdin(Stdio::null());
    command.stderr(Stdio::from(device.try_clone().expect("dup terminal")));
    if stdout_on_terminal {
        command.stdout(Stdio::from(device.try_clone().expect("dup terminal")));
    } else {
        command.stdout(Stdio::piped());
    }
    let mut child = command.spawn().expect("start kubectl-kfp");
    // The terminal reads as ended only once no process here holds its device open: the
    // command keeps its copies of the descriptors until it is dropped.
    drop(command);
    drop(device);
    // Read the terminal until every writer has closed it (EIO on Linux).
    let seen = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let seen = Arc::clone(&seen);
        std::thread::spawn(move || {
            let mut file = std::fs::File::from(controller);
            let mut buffer = [0u8; 4096];
            loop {
                match file.read(&mut buffer) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => seen
                        .lock()
                        .expect("terminal bytes")
                        .extend_from_slice(&buffer[..n]),
                }
            }
        })
    };
    let sigint = || {
        // SAFETY: sends SIGINT to our own child, as Ctrl-C would.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    };
    match interrupt {
        Interrupt::Never => {}
        Interrupt::When(condition) => loop {
            let text = String::from_utf8_lossy(&seen.lock().expect("terminal bytes")).into_owned();
            if condition(&text) {
                sigint();
                break;
            }
            assert!(
                !reader.is_finished(),
                "the run ended before the condition: {text:?}"
            );
            std::thread::sleep(Duration::from_millis(10));
        },
    }
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).expect("read stdout");
    }
    let status = child.wait().expect("wait for kubectl-kfp");
    reader.join().expect("terminal reader");
    let terminal = std::mem::take(&mut *seen.lock().expect("terminal bytes"));
    TerminalRun {
        terminal,
        stdout,
        code: status.code().unwrap_or(-1),
    }
}

/// A namespace with a pipeline of many versions behind a proxy that delivers about 100 KB/s, so
/// listing it takes well over the progress delay; returns the plugin invocation for `args`.
fn slow_listing(test: &str) -> (Proxy, Namespaces, std::path::PathBuf) {
    let cp = ControlPlane::get();
    let ns = cp.namespaces(test);
    let versions: Vec<String> = (1..=40).map(|i| format!("v{i}")).collect();
    let names: Vec<&str> = versions.iter().map(String::as_str).collect();
    cp.seed(&ns.local, "train", &names);
    // Linked to their Pipeline as KFP's webhook would, so the listing has nothing to warn about.
    let uid = cp.get_json(&ns.local, "pipelines.v2beta1.pipelines.kubeflow.org/train")["metadata"]["uid"]
        .as_str()
        .expect("pipeline uid")
        .to_string();
    cp.kubectl(
        "admin",
        &[
            "label",
            "pipelineversions.v2beta1.pipelines.kubeflow.org",
            "--all",
            "-n",
            &ns.local,
            &format!("pipelines.kubeflow.org/pipeline-id={uid}"),
        ],
        None,
    );
    let proxy = Proxy::start(&cp.kubeconfig);
    let kubeconfig = proxy.kubeconfig(&cp.kubeconfig, &cp.dir);
    proxy.set(Mode::Throttle {
        bytes: 2048,
        pause: Duration::from_millis(20),
    });
    (proxy, ns, kubeconfig)
}

/// The plugin's command line for `args`, with no progress setting from the test's environment.
fn kfp(ns: &Namespaces, kubeconfig: &std::path::Path, args: &[&str]) -> Command {
    let mut command = ControlPlane::get().kfp(ns, args).kubeconfig(kubeconfig).command();
    command
        .env_remove("KUBECTL_KFP_NO_PROGRESS")
        .env_remove("NO_COLOR");
    command
}

#[test]
fn progress_appears_on_a_terminal_and_is_gone_before_the_result() {
    let (_proxy, ns, kubeconfig) = slow_listing("progress-shown");
    let shown = run_on_terminal(kfp(&ns, &kubeconfig, &["list", "train"]), false, Interrupt::Never);
    assert_eq!(shown.code, 0, "{}", shown.terminal_text());
    assert!(
        shown.terminal_text().contains("versions read…"),
        "no progress on the terminal: {:?}",
        shown.terminal_text()
    );
    assert_eq!(shown.screen(), "", "progress left on the terminal");
    assert_eq!(shown.stdout.lines().count(), 41, "{}", shown.stdout);
}

#[test]
fn stdout_is_the_same_with_and_without_progress() {
    let (_proxy, ns, kubeconfig) = slow_listing("progress-stdout");
    // A newer version with other content, so the diff has something to say (and no ages).
    next_second();
    let newer = shared_data("pipelines/variants/train_v2.yaml");
    ControlPlane::get()
        .kfp(
            &ns,
            &["create", "train", "-f", newer.to_str().expect("UTF-8 path")],
        )
        .ok();
    let diff = || kfp(&ns, &kubeconfig, &["diff", "train@v1", "train"]);

    let shown = run_on_terminal(diff(), false, Interrupt::Never);
    assert_eq!(shown.code, 1, "{}", shown.terminal_text());
    assert!(
        shown.terminal_text().contains("versions read…"),
        "{:?}",
        shown.terminal_text()
    );
    assert_eq!(shown.screen(), "", "progress left on the terminal");
    assert!(shown.stdout.contains("python:3.12"), "{}", shown.stdout);

    // The same command with stderr in a file: no progress, byte-for-byte the same stdout.
    let log = tempfile::NamedTempFile::new().expect("temp file");
    let mut command = diff();
    command.stderr(Stdio::from(log.reopen().expect("reopen")));
    let out = command.output().expect("run kubectl-kfp");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(String::from_utf8_lossy(&out.stdout), shown.stdout);
    assert_eq!(std::fs::read_to_string(log.path()).expect("read log"), "");
}

#[test]
fn the_table_replaces_the_progress_when_both_streams_are_the_terminal() {
    let (_proxy, ns, kubeconfig) = slow_listing("progress-same-terminal");
    let run = run_on_terminal(kfp(&ns, &kubeconfig, &["list", "train"]), true, Interrupt::Never);
    assert_eq!(run.code, 0, "{}", run.terminal_text());
    assert!(run.terminal_text().contains("versions read…"));
    let screen = run.screen();
    assert!(screen.starts_with("VERSION"), "{screen}");
    assert!(!screen.contains("versions read"), "{screen}");
    assert_eq!(screen.lines().count(), 41, "{screen}");
}

#[test]
fn no_progress_when_turned_off_or_when_machine_output_is_piped() {
    let (_proxy, ns, kubeconfig) = slow_listing("progress-off");
    let mut with_env = kfp(&ns, &kubeconfig, &["list", "train"]);
    with_env.env("KUBECTL_KFP_NO_PROGRESS", "1");
    let cases = [
        (
            "--no-progress",
            kfp(&ns, &kubeconfig, &["list", "train", "--no-progress"]),
        ),
        ("KUBECTL_KFP_NO_PROGRESS=1", with_env),
        (
            "-o json piped",
            kfp(&ns, &kubeconfig, &["list", "train", "-o", "json"]),
        ),
        (
            "-o name piped",
            kfp(&ns, &kubeconfig, &["get", "train", "-o", "name"]),
        ),
    ];
    for (case, command) in cases {
        let run = run_on_terminal(command, false, Interrupt::Never);
        assert_eq!(run.code, 0, "{case}: {}", run.terminal_text());
        assert_eq!(run.terminal_text(), "", "{case}: progress was shown");
    }
}

#[test]
fn ctrl_c_leaves_a_clean_line() {
    let (_proxy, ns, kubeconfig) = slow_listing("progress-interrupt");
    // Long enough to be in the middle of the throttled list, past the progress delay.
    let run = run_on_terminal(
        kfp(&ns, &kubeconfig, &["list", "train"]),
        false,
        // In the middle of the throttled list, once its progress is shown.
        Interrupt::When(&|text| text.contains("versions read…")),
    );
    assert_eq!(run.code, 130, "{}", run.terminal_text());
    assert!(
        run.terminal_text().contains("versions read…"),
        "{:?}",
        run.terminal_text()
    );
    assert_eq!(run.screen(), "error: interrupted");
    assert_eq!(run.stdout, "");
}

/// A pipeline `train` with versions `train-v1`… whose requests the proxy holds back `delay`
/// each; the versions lack KFP's `pipeline-id` label and owner, so `doctor --fix` writes each.
/// Returns the versions' object names in the order the plugin handles them (by name).
fn slow_writes(test: &str, count: usize, delay: Duration) -> (Proxy, Namespaces, PathBuf, Vec<String>) {
    let cp = ControlPlane::get();
    let ns = cp.namespaces(test);
    let versions: Vec<String> = (1..=count).map(|i| format!("v{i}")).collect();
    let names: Vec<&str> = versions.iter().map(String::as_str).collect();
    cp.seed(&ns.local, "train", &names);
    let proxy = Proxy::start(&cp.kubeconfig);
    let kubeconfig = proxy.kubeconfig(&cp.kubeconfig, &cp.dir);
    proxy.set(Mode::Delay { each: delay });
    let mut objects: Vec<String> = versions.iter().map(|v| format!("train-{v}")).collect();
    objects.sort();
    (proxy, ns, kubeconfig, objects)
}

/// The versions of the test's namespace as the server has them (name, has `pipeline-id`).
fn stored_versions(ns: &Namespaces) -> Vec<(String, bool)> {
    let list = ControlPlane::get().get_json(&ns.local, "pipelineversions.v2beta1.pipelines.kubeflow.org");
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|v| {
            let name = v["metadata"]["name"].as_str().expect("name").to_string();
            let linked = v["metadata"]["labels"]["pipelines.kubeflow.org/pipeline-id"].is_string();
            (name, linked)
        })
        .collect()
}

/// The names in kubectl's success lines `pipelineversion.pipelines.kubeflow.org/NAME VERB`, in
/// the order printed.
fn success_names(text: &str, verb: &str) -> Vec<String> {
    let suffix = format!(" {verb}");
    text.lines()
        .filter_map(|line| {
            line.trim_end()
                .strip_prefix("pipelineversion.pipelines.kubeflow.org/")
        })
        .filter_map(|rest| rest.strip_suffix(suffix.as_str()))
        .map(str::to_string)
        .collect()
}

fn signal(child: &std::process::Child, signal: i32) {
    // SAFETY: signals our own child.
    unsafe { libc::kill(child.id() as i32, signal) };
}

/// What a run with stdout and stderr piped printed, and what `left` counted (objects not yet
/// written, read from the server) while the command was held still (SIGSTOP) right after it
/// printed the first line ending in `marker`.
struct PipedRun {
    stdout: String,
    stderr: String,
    code: Option<i32>,
    left_at_first_line: usize,
}

fn run_piped(mut command: Command, marker: &str, left: impl FnOnce() -> usize) -> PipedRun {
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().expect("start kubectl-kfp");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut printed = String::new();
    loop {
        let mut line = String::new();
        let n = std::io::BufRead::read_line(&mut stdout, &mut line).expect("read stdout");
        assert!(n > 0, "no {marker:?} line before the end: {printed}");
        printed.push_str(&line);
        if line.trim_end().ends_with(marker) {
            break;
        }
    }
    signal(&child, libc::SIGSTOP);
    let left_at_first_line = left();
    signal(&child, libc::SIGCONT);
    stdout.read_to_string(&mut printed).expect("read stdout");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    let status = child.wait().expect("wait for kubectl-kfp");
    PipedRun {
        stdout: printed,
        stderr,
        code: status.code(),
        left_at_first_line,
    }
}

#[test]
fn doctor_fix_prints_each_line_as_it_is_written_when_stdout_is_piped() {
    let (_proxy, ns, kubeconfig, objects) = slow_writes("progress-fix-piped", 6, Duration::from_millis(100));
    let run = run_piped(
        kfp(&ns, &kubeconfig, &["doctor", "--fix", "--yes"]),
        " configured",
        || stored_versions(&ns).iter().filter(|(_, linked)| !linked).count(),
    );
    // At its first success line the command had versions left to write: the line came as
    // that version was written, not with the rest at the end.
    assert!(
        run.left_at_first_line > 0,
        "every version was fixed before the first line"
    );
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        success_names(&run.stdout, "configured"),
        objects,
        "{}",
        run.stdout
    );
    assert!(run.stdout.starts_with("STATUS"), "{}", run.stdout);
    assert!(
        run.stderr.ends_with(" fixed, 0 problems left\n"),
        "{}",
        run.stderr
    );
}

/// `train-v1`…`train-vN` behind a delaying proxy, `v2` and later tagged `stage=production`.
fn tagged_versions(test: &str, count: usize) -> (Proxy, Namespaces, PathBuf) {
    let cp = ControlPlane::get();
    let ns = cp.namespaces(test);
    let spec = shared_data("pipelines/variants/train_v1.yaml");
    let mut manifest = pipeline_manifest("train", "tag --move");
    for i in 1..=count {
        let version = version_manifest("train", &format!("v{i}"), &spec, true);
        let version = match i {
            1 => version,
            _ => version.replacen("spec:\n", "spec:\n  tags:\n    stage: production\n", 1),
        };
        manifest.push_str("---\n");
        manifest.push_str(&version);
    }
    cp.create(&ns.local, &manifest);
    let proxy = Proxy::start(&cp.kubeconfig);
    let kubeconfig = proxy.kubeconfig(&cp.kubeconfig, &cp.dir);
    proxy.set(Mode::Delay {
        each: Duration::from_millis(100),
    });
    (proxy, ns, kubeconfig)
}

/// Versions still tagged `stage=production`, other than `train-v1`.
fn still_tagged(ns: &Namespaces) -> usize {
    let list = ControlPlane::get().get_json(&ns.local, "pipelineversions.v2beta1.pipelines.kubeflow.org");
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|v| v["metadata"]["name"] != "train-v1" && v["spec"]["tags"]["stage"] == "production")
        .count()
}

#[test]
fn tag_move_prints_each_line_as_it_is_written_when_stdout_is_piped() {
    let (_proxy, ns, kubeconfig) = tagged_versions("progress-move-piped", 25);
    let run = run_piped(
        kfp(
            &ns,
            &kubeconfig,
            &["tag", "train@v1", "stage=production", "--move"],
        ),
        " untagged",
        || still_tagged(&ns),
    );
    assert!(
        run.left_at_first_line > 0,
        "the tag was moved before the first line"
    );
    assert_eq!(run.code, Some(0), "{}\n{}", run.stdout, run.stderr);
    assert_eq!(still_tagged(&ns), 0);
    assert_eq!(
        success_names(&run.stdout, "tagged"),
        ["train-v1"],
        "{}",
        run.stdout
    );
    let mut untagged = success_names(&run.stdout, "untagged");
    untagged.sort();
    let mut expected: Vec<String> = (2..=25).map(|i| format!("train-v{i}")).collect();
    expected.sort();
    assert_eq!(untagged, expected, "{}", run.stdout);
    assert!(
        run.stdout
            .starts_with("pipelineversion.pipelines.kubeflow.org/train-v1 tagged\n")
    );
}

#[test]
fn tag_move_on_a_terminal_shows_a_bar_then_the_lines() {
    let (_proxy, ns, kubeconfig) = tagged_versions("progress-move-terminal", 25);
    let run = run_on_terminal(
        kfp(
            &ns,
            &kubeconfig,
            &["tag", "train@v1", "stage=production", "--move"],
        ),
        true,
        Interrupt::Never,
    );
    let text = run.terminal_text();
    assert_eq!(run.code, 0, "{text}");
    let bar = text.find("/25 written (").expect("no bar on the terminal");
    let first_line = text.find("train-v1 tagged").expect("no success line");
    assert!(bar < first_line, "the lines came before the bar: {text:?}");
    let screen = run.screen();
    assert!(!screen.contains("/25 written"), "progress left: {screen}");
    // The seeded versions carry no pipeline-id label, so a warning line may precede the result.
    let screen: String = screen
        .lines()
        .filter(|l| !l.starts_with("warning: "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(
        screen.starts_with("pipelineversion.pipelines.kubeflow.org/train-v1 tagged\n"),
        "{screen}"
    );
    assert_eq!(success_names(&screen, "untagged").len(), 24, "{screen}");
}

#[test]
fn doctor_fix_on_a_terminal_shows_a_bar_then_the_lines() {
    let (_proxy, ns, kubeconfig, objects) =
        slow_writes("progress-fix-terminal", 6, Duration::from_millis(100));
    let run = run_on_terminal(
        kfp(&ns, &kubeconfig, &["doctor", "--fix", "--yes"]),
        true,
        Interrupt::Never,
    );
    let text = run.terminal_text();
    assert_eq!(run.code, 0, "{text}");
    let bar = text.find("/6 written (").expect("no bar on the terminal");
    let first_line = text
        .find("pipelineversion.pipelines.kubeflow.org/train-v1 configured")
        .expect("no success line");
    assert!(bar < first_line, "the lines came before the bar: {text:?}");
    let screen = run.screen();
    assert!(!screen.contains("/6 written"), "progress left: {screen}");
    assert_eq!(success_names(&screen, "configured"), objects, "{screen}");
    // The findings first, then the lines together, then the counts on stderr.
    let lines: Vec<&str> = screen.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.ends_with("train-v1 configured"))
        .expect("first line");
    assert!(lines[..start].iter().any(|l| l.starts_with("STATUS")), "{screen}");
    assert_eq!(
        success_names(&lines[start..start + 6].join("\n"), "configured"),
        objects
    );
    assert!(lines[start + 6].ends_with(" fixed, 0 problems left"), "{screen}");
}

#[test]
fn ctrl_c_during_prune_prints_what_was_deleted() {
    let (_proxy, ns, kubeconfig, objects) =
        slow_writes("progress-prune-interrupt", 150, Duration::from_millis(200));
    // Once the bar counts more than the first deletes in flight: the connections are open and
    // the next deletes are on their way to the server when Ctrl-C comes.
    let some_deleted = |text: &str| {
        text.match_indices("/149 deleted").any(|(at, _)| {
            let digits: String = text[..at]
                .chars()
                .rev()
                .take_while(char::is_ascii_digit)
                .collect();
            digits
                .chars()
                .rev()
                .collect::<String>()
                .parse::<u32>()
                .is_ok_and(|n| n > 32)
        })
    };
    let run = run_on_terminal(
        kfp(&ns, &kubeconfig, &["prune", "train", "--keep", "0", "--yes"]),
        true,
        Interrupt::When(&some_deleted),
    );
    assert_eq!(run.code, 130, "{}", run.terminal_text());
    let screen = run.screen();
    assert!(screen.ends_with("\nerror: interrupted"), "{screen}");
    assert!(!screen.contains(" deleted ("), "progress left: {screen}");
    let mut printed = success_names(&screen, "deleted");
    printed.sort();
    let left: Vec<String> = stored_versions(&ns).into_iter().map(|(name, _)| name).collect();
    let gone: Vec<String> = objects.into_iter().filter(|o| !left.contains(o)).collect();
    assert_eq!(printed, gone, "printed lines and deleted versions differ");
    assert!(
        !gone.is_empty() && left.len() > 1,
        "not interrupted midway: {} left",
        left.len()
    );
}

#[test]
fn promote_to_another_context_shows_the_clusters_and_the_writes() {
    let (_proxy, ns, kubeconfig, _) = slow_writes("progress-promote", 1, Duration::from_millis(300));
    let run = run_on_terminal(
        kfp(
            &ns,
            &kubeconfig,
            &[
                "promote",
                "train@v1",
                "--to",
                &ns.other,
                "--to-context",
                "editor",
                "--yes",
            ],
        ),
        false,
        Interrupt::Never,
    );
    let text = run.terminal_text();
    assert_eq!(run.code, 0, "{text}");
    for shown in [
        "0/2 clusters: reading train@v1 in context \"admin\"",
        "1/2 clusters: reading the target in context \"editor\"",
        "/2 written (",
        "): to context \"editor\"",
    ] {
        assert!(text.contains(shown), "{shown:?} not shown: {text:?}");
    }
    let screen = run.screen();
    assert!(
        !screen.contains("clusters:") && !screen.contains("/2 written"),
        "{screen}"
    );
    assert_eq!(
        run.stdout,
        "pipeline.pipelines.kubeflow.org/train created\npipelineversion.pipelines.kubeflow.org/train-v1 created\n"
    );
}
