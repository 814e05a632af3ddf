//! Progress on stderr, seen as a person sees it: the plugin runs with stderr on a
//! pseudo-terminal against a server slowed by the fault proxy's throttle, the terminal's bytes
//! are replayed into a terminal emulator (vt100), and the final screen is checked.

use std::io::Read;
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::proxy::{Mode, Proxy};
use crate::support::{ControlPlane, Namespaces, next_second, shared_data};

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
        let mut parser = vt100::Parser::new(size(60), size(200), 0);
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

/// Runs `command` with stderr (and stdout too when `stdout_on_terminal`) on a pseudo-terminal.
fn run_on_terminal(
    mut command: Command,
    stdout_on_terminal: bool,
    interrupt_after: Option<Duration>,
) -> TerminalRun {
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
    let reader = std::thread::spawn(move || {
        let mut file = std::fs::File::from(controller);
        let mut bytes = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            match file.read(&mut buffer) {
                Ok(0) | Err(_) => return bytes,
                Ok(n) => bytes.extend_from_slice(&buffer[..n]),
            }
        }
    });
    if let Some(wait) = interrupt_after {
        std::thread::sleep(wait);
        // SAFETY: sends SIGINT to our own child, as Ctrl-C would.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    }
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).expect("read stdout");
    }
    let status = child.wait().expect("wait for kubectl-kfp");
    TerminalRun {
        terminal: reader.join().expect("terminal reader"),
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
    let shown = run_on_terminal(kfp(&ns, &kubeconfig, &["list", "train"]), false, None);
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

    let shown = run_on_terminal(diff(), false, None);
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
    let run = run_on_terminal(kfp(&ns, &kubeconfig, &["list", "train"]), true, None);
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
        let run = run_on_terminal(command, false, None);
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
        Some(Duration::from_millis(1200)),
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
