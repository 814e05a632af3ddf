//! Faults between the plugin and the real control plane, injected by the TCP proxy in
//! `proxy.rs`: server down, resets mid-answer, answers that never come, and create/promote cut
//! off at every point of their conversation. Plus races for automatic version names.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kubectl_kfp::{digest, yaml};
use serde_json::Value;

use crate::proxy::{Mode, Proxy};
use crate::support::{
    ControlPlane, Kfp, Namespaces, Output, example, pipeline_manifest, shared_data, version_manifest,
};

/// The documented failure shape plus what a fault must never produce: exit 2, nothing on
/// stdout, no panic, and stderr ending in one `error:` line naming the server and at most one
/// hint (promote's plan may come before them).
pub(crate) fn assert_fails_naming(out: &Output, server: &str) {
    assert_eq!(out.code, 2, "{out:?}");
    assert!(out.stdout.is_empty(), "stdout: {}", out.stdout);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    let lines: Vec<&str> = out.stderr.lines().collect();
    let errors: Vec<usize> = (0..lines.len())
        .filter(|i| lines[*i].starts_with("error: "))
        .collect();
    let [at] = errors[..] else {
        panic!("exactly one error line: {}", out.stderr)
    };
    assert!(lines[at].contains(server), "{:?} lacks {server:?}", lines[at]);
    let rest = &lines[at + 1..];
    assert!(
        rest.is_empty() || (rest.len() == 1 && rest[0].starts_with("hint: ")),
        "at most one hint after the error: {}",
        out.stderr
    );
}

fn proxied(cp: &ControlPlane) -> (Proxy, PathBuf) {
    let proxy = Proxy::start(&cp.kubeconfig);
    let kubeconfig = proxy.kubeconfig(&cp.kubeconfig, &cp.dir);
    (proxy, kubeconfig)
}

fn file(name: &str) -> String {
    shared_data(&format!("pipelines/{name}")).display().to_string()
}

#[test]
fn server_down_reset_and_silence_fail_in_one_line_naming_the_server() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("faults-down");
    let spec = example("chain").display().to_string();
    cp.kfp(&ns, &["create", "big", "-f", &spec]).ok();
    let (proxy, kubeconfig) = proxied(cp);
    let through = |args: &[&str]| cp.kfp(&ns, args).kubeconfig(&kubeconfig).run();

    // Nothing listens on the port at all.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap();
    let mut config = std::fs::read_to_string(&kubeconfig).unwrap();
    config = config.replace(&proxy.url(), &format!("https://127.0.0.1:{port}"));
    let down = cp.dir.join(format!("down-{port}.kubeconfig"));
    std::fs::write(&down, config).unwrap();
    let out = cp.kfp(&ns, &["list"]).kubeconfig(&down).run();
    assert_fails_naming(
        &out,
        &format!("cannot reach the Kubernetes API server at https://127.0.0.1:{port}: Connection refused"),
    );

    // The proxy accepts and hangs up at once, on every attempt.
    proxy.set(Mode::Refuse);
    let out = through(&["get", "big", "--spec"]);
    assert_fails_naming(
        &out,
        &format!("cannot reach the Kubernetes API server at {}", proxy.url()),
    );
    assert_eq!(proxy.connections(), 5, "a read is tried 5 times: {}", out.stderr);

    // Every answer is cut off by a reset after 8 KiB (past the TLS handshake, inside the body).
    proxy.set(Mode::ResetAfter {
        server_bytes: 8 * 1024,
        connections: usize::MAX,
    });
    let out = through(&["get", "big", "--spec"]);
    assert_fails_naming(
        &out,
        &format!("cannot reach the Kubernetes API server at {}", proxy.url()),
    );
    // Five attempts for the request that crosses the limit (earlier small ones may share one).
    assert!(proxy.connections() >= 5, "{}", out.stderr);

    // No answer at all, then an answer that stops halfway: --request-timeout bounds both.
    for server_bytes in [0, 8 * 1024] {
        proxy.set(Mode::Stall { server_bytes });
        let started = Instant::now();
        let out = through(&["get", "big", "--spec", "--request-timeout", "1s"]);
        // Silence during the TLS handshake may hit the connect timeout (the same 1s) first.
        let why = if server_bytes == 0 {
            ""
        } else {
            " within 1s (--request-timeout)"
        };
        assert_fails_naming(
            &out,
            &format!("the Kubernetes API server at {} did not answer{why}", proxy.url()),
        );
        assert!(out.stderr.contains("hint: "), "{}", out.stderr);
        // Generous: the point is that it ends, not how fast.
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{:?}",
            started.elapsed()
        );
    }
}

#[test]
fn reads_are_retried_after_a_reset_and_the_answer_is_complete() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("faults-retry");
    let spec = example("chain").display().to_string();
    cp.kfp(&ns, &["create", "big", "-f", &spec]).ok();
    let direct = cp.kfp(&ns, &["get", "big", "--spec"]).ok();
    let (proxy, kubeconfig) = proxied(cp);
    for server_bytes in [0, 100, 8 * 1024, 30 * 1024] {
        proxy.set(Mode::ResetAfter {
            server_bytes,
            connections: 2,
        });
        let out = cp
            .kfp(&ns, &["get", "big", "--spec", "-v", "4"])
            .kubeconfig(&kubeconfig)
            .ok();
        assert_eq!(out.stdout, direct.stdout, "reset after {server_bytes} bytes");
        // Two connections reset (a later request may fit within the limit), then the answer.
        assert!(proxy.connections() >= 2, "{}", out.stderr);
        assert!(
            out.stderr.contains("retrying GET"),
            "-v 4 logs retries: {}",
            out.stderr
        );
    }
}

/// What a namespace holds for `pipeline`, in a form two runs can be compared by: the pipeline,
/// then each version with its version name, digest, and whether its pipeline-id label and
/// owner reference point at that pipeline's UID.
fn state(cp: &ControlPlane, namespace: &str, pipeline: &str) -> Vec<String> {
    let list = cp.get_json(
        namespace,
        "pipelines.v2beta1.pipelines.kubeflow.org,pipelineversions.v2beta1.pipelines.kubeflow.org",
    );
    let items = list["items"].as_array().cloned().unwrap_or_default();
    let pipelines: Vec<&Value> = items
        .iter()
        .filter(|o| o["kind"] == "Pipeline" && o["metadata"]["name"] == pipeline)
        .collect();
    let uid = pipelines
        .first()
        .and_then(|p| p["metadata"]["uid"].as_str())
        .map(str::to_string);
    let mut lines: Vec<String> = pipelines.iter().map(|_| format!("pipeline {pipeline}")).collect();
    for version in &items {
        if version["kind"] != "PipelineVersion" || version["spec"]["pipelineName"] != pipeline {
            continue;
        }
        let linked = uid.is_some()
            && version["metadata"]["labels"]["pipelines.kubeflow.org/pipeline-id"].as_str() == uid.as_deref()
            && version["metadata"]["ownerReferences"][0]["uid"].as_str() == uid.as_deref();
        lines.push(format!(
            "version {} {} {} {}",
            version["metadata"]["name"].as_str().unwrap_or_default(),
            version["spec"]["versionName"].as_str().unwrap_or_default(),
            version["metadata"]["annotations"]["kubectl-kfp.io/digest"]
                .as_str()
                .unwrap_or_default(),
            if linked { "linked" } else { "unlinked" }
        ));
    }
    lines
}

fn spec_digest(path: &str) -> String {
    let docs = yaml::documents(&std::fs::read_to_string(path).unwrap()).unwrap();
    digest::of(&docs[0], docs.get(1))
}

/// Runs a command, through the proxy's kubeconfig when given, on pipeline `name`.
type Run<'a> = dyn Fn(&str, Option<&Path>) -> Output + Sync + 'a;
/// The objects one complete, uncut run leaves for pipeline `name`.
type Expected<'a> = dyn Fn(&str) -> Vec<String> + Sync + 'a;

/// How a cut point is exercised: chunk dropped or delivered, network back or gone afterwards.
const VARIANTS: [(bool, bool); 3] = [(false, false), (true, false), (true, true)];

/// Cuts `run` at every chunk K of its conversation, each cut on a pipeline of its own, in
/// three ways:
/// - the chunk is dropped, then the network recovers: the command's retries complete it;
/// - the chunk is delivered and its answer lost, then the network recovers: same;
/// - the chunk is delivered and its answer lost, then the network stays down: the command fails
///   in one line naming the server, and what it left is either nothing or a prefix that running
///   the command again completes.
///
/// Every run ends in exactly `expected(name)`. The cut points run on a few threads, each with
/// its own proxy (retry back-off is most of the time). Returns how many chunks an uncut run has
/// and how many dead-network runs had already written something.
fn cut_everywhere(
    cp: &ControlPlane,
    namespace: &str,
    names: &[String],
    run: &Run<'_>,
    expected: &Expected<'_>,
) -> (usize, usize) {
    let proxy = Proxy::start(&cp.kubeconfig);
    let kubeconfig = proxy.kubeconfig(&cp.kubeconfig, &cp.dir);
    let out = run(&names[0], Some(&kubeconfig));
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(state(cp, namespace, &names[0]), expected(&names[0]));
    let chunks = proxy.chunks();
    // One cut point past the end: the run must then finish uncut, whatever the variant.
    let jobs: Vec<(usize, bool, bool)> = (1..=chunks + 1)
        .flat_map(|chunk| VARIANTS.map(|(deliver, then_dead)| (chunk, deliver, then_dead)))
        .collect();
    assert!(
        jobs.len() < names.len(),
        "{} cut runs need more pipelines",
        jobs.len()
    );
    let next = AtomicUsize::new(0);
    let partial = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                let proxy = Proxy::start(&cp.kubeconfig);
                let kubeconfig = proxy.kubeconfig(&cp.kubeconfig, &cp.dir);
                loop {
                    let index = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&(chunk, deliver, then_dead)) = jobs.get(index) else {
                        return;
                    };
                    let name = &names[index + 1];
                    proxy.set(Mode::Cut {
                        chunk,
                        deliver,
                        then_dead,
                    });
                    let out = run(name, Some(&kubeconfig));
                    let context = format!(
                        "cut at chunk {chunk} of {chunks} (deliver {deliver}, then dead {then_dead}): {out:?}"
                    );
                    if !proxy.was_cut() || !then_dead {
                        assert_eq!(out.code, 0, "uncut, or cut once and retried: {context}");
                        assert_eq!(state(cp, namespace, name), expected(name), "{context}");
                        continue;
                    }
                    assert_fails_naming(&out, &proxy.url());
                    let left = state(cp, namespace, name);
                    let complete = expected(name);
                    // Nothing, the pipeline alone, or everything; never a wrong or extra object.
                    assert!(
                        left.is_empty() || left == complete[..1] || left == complete,
                        "{context}\nleft behind: {left:?}"
                    );
                    if !left.is_empty() {
                        partial.fetch_add(1, Ordering::SeqCst);
                    }
                    let again = run(name, None);
                    assert_eq!(again.code, 0, "re-running completes it: {context}\n{again:?}");
                    assert_eq!(state(cp, namespace, name), complete, "{context}");
                }
            });
        }
    });
    let partial = partial.into_inner();
    eprintln!(
        "{chunks} chunks, {} cut runs, {partial} dead-network runs wrote something",
        jobs.len()
    );
    (chunks, partial)
}

/// Runs `kfp` through another kubeconfig (the cutting proxy's) when given one.
fn run_through(kfp: Kfp, kubeconfig: Option<&Path>) -> Output {
    match kubeconfig {
        Some(path) => kfp.kubeconfig(path).run(),
        None => kfp.run(),
    }
}

/// The state a completed write of `name`'s v1 leaves (see [`state`]).
fn linked_v1(name: &str, digest: &str) -> Vec<String> {
    vec![
        format!("pipeline {name}"),
        format!("version {name}-v1 v1 {digest} linked"),
    ]
}

#[test]
fn create_cut_at_every_point_leaves_nothing_or_what_a_rerun_completes() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("faults-cut-create");
    let spec = file("variants/train_v1.yaml");
    let digest = spec_digest(&spec);
    let names: Vec<String> = (1..=60).map(|i| format!("cut-{i}")).collect();
    let run = |name: &str, kubeconfig: Option<&Path>| {
        let kfp = cp.kfp(&ns, &["create", name, "-f", &spec]);
        run_through(kfp, kubeconfig)
    };
    let expected = |name: &str| linked_v1(name, &digest);
    let (chunks, partial) = cut_everywhere(cp, &ns.local, &names, &run, &expected);
    // A TLS handshake and three requests (get, create pipeline, create version) at least.
    assert!(chunks >= 5, "{chunks} chunks");
    assert!(partial >= 1, "some cut fell after a write landed");
}

#[test]
fn promote_cut_at_every_point_leaves_nothing_or_what_a_rerun_completes() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("faults-cut-promote");
    let spec = shared_data("pipelines/variants/train_v1.yaml");
    let digest = spec_digest(spec.to_str().unwrap());
    // One source pipeline per run, seeded in one go.
    let count = 60;
    let mut manifest = String::new();
    for i in 1..=count {
        let name = format!("src-{i}");
        manifest.push_str(&pipeline_manifest(&name, "seed"));
        manifest.push_str("---\n");
        manifest.push_str(&version_manifest(&name, "v1", &spec, true));
        manifest.push_str("---\n");
    }
    cp.create(&ns.local, &manifest);
    let names: Vec<String> = (1..=count).map(|i| format!("src-{i}")).collect();
    let target = ns.other.clone();
    let run = |name: &str, kubeconfig: Option<&Path>| {
        let reference = format!("{name}@v1");
        let kfp = cp.kfp(&ns, &["promote", &reference, "--to", &target, "--yes"]);
        run_through(kfp, kubeconfig)
    };
    let expected = |name: &str| linked_v1(name, &digest);
    let (chunks, partial) = cut_everywhere(cp, &ns.other, &names, &run, &expected);
    // The handshake, resolving, reading the target, three access reviews, two creates.
    assert!(chunks >= 9, "{chunks} chunks");
    assert!(partial >= 1, "some cut fell after a write landed");
}

#[test]
fn different_specs_racing_for_automatic_names_get_one_version_each() {
    let cp = ControlPlane::get();
    let ns: Namespaces = cp.namespaces("faults-race-names");
    let files = [
        "variants/train_v1.yaml",
        "variants/train_v2.yaml",
        "variants/fanout.yaml",
        "variants/echo.yaml",
    ]
    .map(file);
    let handles: Vec<_> = files
        .iter()
        .map(|spec| {
            let ns = ns.clone();
            let spec = spec.clone();
            std::thread::spawn(move || {
                ControlPlane::get()
                    .kfp(&ns, &["create", "race", "-f", &spec])
                    .run()
            })
        })
        .collect();
    let outputs: Vec<Output> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for out in &outputs {
        assert_eq!(out.code, 0, "{out:?}");
        assert!(
            out.stdout
                .contains("pipelineversion.pipelines.kubeflow.org/race-v")
                && out.stdout.contains(" created"),
            "{out:?}"
        );
    }
    let left = state(cp, &ns.local, "race");
    assert_eq!(
        left.first().map(String::as_str),
        Some("pipeline race"),
        "{left:?}"
    );
    let versions: BTreeSet<(String, String)> = left[1..]
        .iter()
        .map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            assert_eq!(fields[4], "linked", "{line}");
            (fields[2].to_string(), fields[3].to_string())
        })
        .collect();
    let names: BTreeSet<String> = versions.iter().map(|(name, _)| name.clone()).collect();
    let digests: BTreeSet<String> = versions.iter().map(|(_, digest)| digest.clone()).collect();
    let want_names: BTreeSet<String> = (1..=4).map(|i| format!("v{i}")).collect();
    let want_digests: BTreeSet<String> = files.iter().map(|f| spec_digest(f)).collect();
    assert_eq!(names, want_names, "{left:?}");
    assert_eq!(digests, want_digests, "no version was overwritten: {left:?}");
}
