//! Hostile and broken input, generated here (the shared invalid files are create.rs's): every
//! file-reading command refuses it with one clear error and exit 2, within bounded memory and
//! time, and writes nothing. Bad references and flags get the same treatment in every command.

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{ControlPlane, Namespaces, Output, example, shared_data};

/// Generous bounds: they catch runaway parsing, not slowness.
const MAX_RSS_KIB: i64 = 512 * 1024;
const MAX_WALL: Duration = Duration::from_secs(20);

/// Runs `command` to completion and returns what it printed with its peak resident memory
/// (KiB, from wait4's rusage for that one child) and wall time.
#[expect(
    clippy::zombie_processes,
    reason = "the child is reaped by wait4, which also reports its peak memory"
)]
fn run_measured(mut command: Command, stdin: Option<&Path>) -> (Output, i64, Duration) {
    command.stdin(match stdin {
        Some(path) => Stdio::from(File::open(path).expect("stdin file")),
        None => Stdio::null(),
    });
    command.stdout(Stdio::piped()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command.spawn().expect("spawn plugin");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    // Drained from threads so a chatty child cannot block on a full pipe.
    let out = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stdout.read_to_end(&mut text);
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = Vec::new();
        let _ = stderr.read_to_end(&mut text);
        text
    });
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own unwaited child; status and usage point at live locals.
    let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(reaped, pid, "wait4: {}", std::io::Error::last_os_error());
    let wall = started.elapsed();
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    let output = Output {
        stdout: String::from_utf8_lossy(&out.join().expect("stdout thread")).into_owned(),
        stderr: String::from_utf8_lossy(&err.join().expect("stderr thread")).into_owned(),
        code,
    };
    (output, usage.ru_maxrss, wall)
}

/// The hostile files, written into `dir`: (path, what the error must say after the file's name).
fn hostile_files(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write input");
        path
    };
    let valid = std::fs::read_to_string(example("chain")).unwrap();
    let mut files = vec![
        (
            write("truncated.yaml", &valid.as_bytes()[..valid.len() / 2]),
            "is not valid YAML or JSON: found unexpected end of stream",
        ),
        (
            write(
                "deep-flow.json",
                format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000)).as_bytes(),
            ),
            "is too complex to be a compiled pipeline: it nests brackets more than 256 levels deep",
        ),
        (
            write(
                "deep-block.yaml",
                (0..2000)
                    .map(|depth| format!("{}a:\n", " ".repeat(depth)))
                    .collect::<String>()
                    .as_bytes(),
            ),
            "is not valid YAML or JSON: recursion limit exceeded",
        ),
        (
            write(
                "many-nodes.json",
                format!("[{}1]", "1,".repeat(3_000_000)).as_bytes(),
            ),
            "is too complex to be a compiled pipeline: it has more than 500000 YAML nodes",
        ),
        (
            write(
                "non-utf8.yaml",
                b"pipelineInfo: {name: x}\nroot: {}\nx: \"\xff\xfe\"\n",
            ),
            "is not UTF-8 text",
        ),
        (dir.to_path_buf(), "is a directory"),
        (dir.join("missing.yaml"), "cannot be read: no such file"),
    ];
    // Billion laughs: ten levels of nine aliases each would expand to 10^9 strings.
    let mut laughs = String::from(
        "pipelineInfo: {name: x}\nroot: {}\na0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for level in 1..10 {
        let refs = vec![format!("*a{}", level - 1); 9].join(", ");
        laughs.push_str(&format!("a{level}: &a{level} [{refs}]\n"));
    }
    files.push((
        write("laughs.yaml", laughs.as_bytes()),
        "is not valid YAML or JSON: repetition limit exceeded",
    ));
    // 100 MB without writing 100 MB: a sparse file.
    let big = dir.join("big.yaml");
    File::create(&big)
        .and_then(|f| f.set_len(100 * 1024 * 1024))
        .expect("sparse file");
    files.push((big, "is 104857600 bytes; the limit is 16777216 bytes"));
    files
}

#[test]
fn hostile_files_are_refused_in_bounded_memory_and_time_and_nothing_is_written() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("bad-files");
    let dir = tempfile::tempdir_in(&cp.dir).expect("temp dir");
    let good = shared_data("pipelines/variants/train_v1.yaml");
    let good = good.to_str().unwrap();
    for (path, reason) in hostile_files(dir.path()) {
        let file = path.to_str().unwrap();
        for args in [vec!["create", "-f", file], vec!["diff", "-f", good, "-f", file]] {
            let (out, rss, wall) = run_measured(cp.kfp(&ns, &args).command(), None);
            out.assert_error(&format!("file {file:?} {reason}"));
            assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
            assert!(out.stderr.lines().count() <= 2, "{args:?}: {}", out.stderr);
            assert!(rss < MAX_RSS_KIB, "{args:?}: peak RSS {rss} KiB");
            assert!(wall < MAX_WALL, "{args:?}: took {wall:?}");
        }
    }
    assert_eq!(cp.kfp_objects(&ns.local), "", "refused input writes nothing");
}

#[test]
fn hostile_standard_input_is_refused_in_bounded_memory_and_time() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("bad-stdin");
    let dir = tempfile::tempdir_in(&cp.dir).expect("temp dir");
    let cases = [
        // Read up to the limit and no further: a pipe gives no size up front.
        (
            "big.yaml",
            100 * 1024 * 1024,
            "standard input is 16777217 bytes; the limit is 16777216 bytes",
        ),
        (
            "huge-scalar.yaml",
            15 * 1024 * 1024,
            "PipelineVersion \"huge-v1\" would be 15.0 MiB",
        ),
    ];
    for (name, size, reason) in cases {
        let path = dir.path().join(name);
        if name == "big.yaml" {
            File::create(&path)
                .and_then(|f| f.set_len(size))
                .expect("sparse file");
        } else {
            // One scalar of 15 MiB in an otherwise valid pipeline: parsed, then refused before
            // sending for being larger than etcd stores.
            let text = format!(
                "pipelineInfo: {{name: huge}}\nroot: {{}}\nschemaVersion: 2.1.0\ndeploymentSpec: {{blob: '{}'}}\n",
                "x".repeat(size as usize)
            );
            std::fs::write(&path, text).expect("write input");
        }
        let (out, rss, wall) = run_measured(cp.kfp(&ns, &["create", "-f", "-"]).command(), Some(&path));
        out.assert_error(reason);
        assert!(rss < MAX_RSS_KIB, "{name}: peak RSS {rss} KiB");
        assert!(wall < MAX_WALL, "{name}: took {wall:?}");
    }
    assert_eq!(cp.kfp_objects(&ns.local), "");
}

fn seeded(test: &str) -> (&'static ControlPlane, Namespaces) {
    let cp = ControlPlane::get();
    let ns = cp.namespaces(test);
    let file = shared_data("pipelines/variants/train_v1.yaml");
    cp.kfp(&ns, &["create", "-f", file.to_str().unwrap()]).ok();
    (cp, ns)
}

#[test]
fn bad_references_are_refused_by_every_command() {
    let (cp, ns) = seeded("bad-refs");
    let file = shared_data("pipelines/variants/train_v2.yaml");
    let file = file.to_str().unwrap();
    let bad = [
        "a/b/c",
        "@",
        "x@",
        "Bad",
        "has space",
        "x@a@b",
        "/x",
        "ns/",
        "x@sha256:abc",
        "x@V1",
    ];
    for reference in bad {
        let commands: Vec<Vec<&str>> = vec![
            vec!["get", reference],
            vec!["get", reference, "--spec"],
            vec!["list", reference],
            vec!["diff", reference, "train@v1"],
            vec!["diff", "train@v1", reference],
            vec!["diff", reference, "-f", file],
            vec!["promote", reference, "--to", &ns.other, "--yes"],
        ];
        for args in commands {
            let out = cp.kfp(&ns, &args).run();
            out.assert_error(&format!("invalid reference {reference:?}"));
            assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
            assert!(
                out.stderr
                    .contains("hint: references look like [NAMESPACE/]PIPELINE[@VERSION]"),
                "{args:?}: {}",
                out.stderr
            );
        }
    }
    assert_eq!(cp.kfp_objects(&ns.other), "");
}

#[test]
fn bad_flags_are_refused_by_every_command() {
    let (cp, ns) = seeded("bad-flags");
    let file = shared_data("pipelines/variants/train_v2.yaml");
    let file = file.to_str().unwrap();
    // (arguments, text the error must contain)
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["list", "-o", "xml"], "invalid value 'xml'"),
        (vec!["get", "train", "-o", "xml"], "invalid value 'xml'"),
        (
            vec!["diff", "train@v1", "-f", file, "-o", "xml"],
            "invalid value 'xml'",
        ),
        (vec!["create", "-f", file, "-o", "xml"], "invalid value 'xml'"),
        (
            vec!["promote", "train@v1", "--to", &ns.other, "-o", "xml"],
            "invalid value 'xml'",
        ),
        (vec!["config", "view", "-o", "xml"], "invalid value 'xml'"),
        (
            vec!["create", "-f", file, "--dry-run=maybe"],
            "invalid value 'maybe'",
        ),
        (vec!["list", "--frobnicate"], "unexpected argument '--frobnicate'"),
        (
            vec!["list", "--request-timeout", "soon"],
            "invalid --request-timeout \"soon\"",
        ),
        (
            vec!["get", "train", "--request-timeout=-1s"],
            "invalid --request-timeout \"-1s\"",
        ),
        (vec!["get", "train", "--shared-namespace", "Bad_NS"], "\"Bad_NS\""),
        (
            vec!["promote", "train@v1", "--to", "Bad_NS", "--yes"],
            "\"Bad_NS\"",
        ),
        (
            vec!["promote", "train@v1", "--to-context", "nope", "--yes"],
            "context \"nope\" not found",
        ),
        (
            vec![
                "promote",
                "train@v1",
                "--to",
                &ns.other,
                "--as-version",
                "V2",
                "--yes",
            ],
            "\"V2\"",
        ),
        (
            vec!["create", "-f", file, "--version", "V2"],
            "version \"V2\" is not a valid version name",
        ),
        (
            vec!["create", "Has Space", "-f", file],
            "pipeline name \"Has Space\"",
        ),
        (
            vec!["create", "-f", file, "--tag", "novalue"],
            "invalid --tag \"novalue\"",
        ),
        (vec!["diff", "-f", file], "diff"),
        (vec!["list", "--chunk-size", "many"], "invalid value 'many'"),
    ];
    let runs = cases
        .into_iter()
        .map(|(args, reason)| (cp.kfp(&ns, &args).run(), args, reason))
        .chain([
            (
                cp.kfp(&ns, &["list"]).namespace("Bad NS").run(),
                vec!["list", "-n", "Bad NS"],
                "\"Bad NS\"",
            ),
            (
                cp.kfp(&ns, &["get", "train"]).context("nope").run(),
                vec!["get", "train", "--context", "nope"],
                "context \"nope\" not found",
            ),
        ]);
    for (out, args, reason) in runs {
        assert_eq!(out.code, 2, "{args:?}: {out:?}");
        assert!(out.stderr.starts_with("error: "), "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(reason),
            "{args:?}: {:?} lacks {reason:?}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{args:?}: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}: {}", out.stdout);
    }
    assert_eq!(cp.kfp_objects(&ns.other), "");
    assert_eq!(
        cp.kfp_objects(&ns.local).lines().count(),
        2,
        "only the seeded pipeline and version"
    );
}
