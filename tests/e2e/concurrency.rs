//! Many writers at once (issue 22) against the real server, as CI jobs finishing together
//! would run them: 16 creates of distinct contents, 16 of one content, 16 promotes, and the 16
//! distinct creates again through the fault proxy cutting connections after requests landed.
//! Nothing here is timed: the writers start together and every outcome is counted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Barrier;

use kubectl_kfp::{digest, yaml};
use serde_json::Value;

use crate::proxy::{Mode, Proxy};
use crate::support::{ControlPlane, Namespaces, Output, shared_data};

/// Writers per test: twice the eight of the report in issue 22.
const WRITERS: usize = 16;

const VERSIONS: &str = "pipelineversions.v2beta1.pipelines.kubeflow.org";

/// `train_v1.yaml` with `pipelineInfo.description` set to `build N`: `count` distinct contents.
fn distinct_specs(cp: &ControlPlane, test: &str, count: usize) -> Vec<PathBuf> {
    let text = std::fs::read_to_string(shared_data("pipelines/variants/train_v1.yaml")).unwrap();
    let spec = yaml::documents(&text).unwrap().remove(0);
    (0..count)
        .map(|i| {
            let mut spec = spec.clone();
            spec["pipelineInfo"]["description"] = Value::from(format!("build {i}"));
            let path = cp.dir.join(format!("{test}-build-{i}.yaml"));
            std::fs::write(&path, yaml::to_string(&spec).unwrap()).unwrap();
            path
        })
        .collect()
}

fn digest_of_file(path: &Path) -> String {
    let docs = yaml::documents(&std::fs::read_to_string(path).unwrap()).unwrap();
    digest::of(&docs[0], docs.get(1))
}

/// Runs one command per argument list, all started at the same moment.
fn together(
    cp: &'static ControlPlane,
    ns: &Namespaces,
    runs: Vec<Vec<String>>,
    kubeconfig: Option<&Path>,
) -> Vec<Output> {
    let barrier = Barrier::new(runs.len());
    std::thread::scope(|scope| {
        let handles: Vec<_> = runs
            .iter()
            .map(|args| {
                let barrier = &barrier;
                scope.spawn(move || {
                    let args: Vec<&str> = args.iter().map(String::as_str).collect();
                    let mut kfp = cp.kfp(ns, &args);
                    if let Some(path) = kubeconfig {
                        kfp = kfp.kubeconfig(path);
                    }
                    barrier.wait();
                    kfp.run()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// (object name, version name, digest, linked to the pipeline's UID) of every version of
/// `pipeline`, read by admin with kubectl.
fn stored_versions(
    cp: &ControlPlane,
    namespace: &str,
    pipeline: &str,
) -> Vec<(String, String, String, bool)> {
    let uid = cp.get_json(
        namespace,
        &format!("pipelines.v2beta1.pipelines.kubeflow.org/{pipeline}"),
    )["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    let list = cp.get_json(namespace, VERSIONS);
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["spec"]["pipelineName"] == pipeline)
        .map(|v| {
            let text = |value: &Value| value.as_str().unwrap_or_default().to_string();
            let linked = v["metadata"]["labels"]["pipelines.kubeflow.org/pipeline-id"] == uid.as_str()
                && v["metadata"]["ownerReferences"][0]["uid"] == uid.as_str();
            (
                text(&v["metadata"]["name"]),
                text(&v["spec"]["versionName"]),
                text(&v["metadata"]["annotations"]["kubectl-kfp.io/digest"]),
                linked,
            )
        })
        .collect()
}

/// The version object a create or promote reported, and whether it was `created` or `unchanged`.
fn reported(out: &Output) -> (String, String) {
    let line = out
        .stdout
        .lines()
        .find(|l| l.starts_with("pipelineversion.pipelines.kubeflow.org/"))
        .unwrap_or_else(|| panic!("no version line: {out:?}"));
    let (object, verb) = line.split_once(' ').unwrap();
    (
        object
            .trim_start_matches("pipelineversion.pipelines.kubeflow.org/")
            .to_string(),
        verb.to_string(),
    )
}

/// 16 distinct contents racing for automatic names on a pipeline that has v1: each gets a
/// number of its own, v2 to v17, and every writer succeeds. Through `proxy` when given.
fn distinct_creates(test: &str, proxy: Option<Mode>) -> usize {
    let cp = ControlPlane::get();
    let ns = cp.namespaces(test);
    let first = shared_data("pipelines/variants/train_v2.yaml");
    cp.kfp(&ns, &["create", "race", "-f", first.to_str().unwrap()])
        .ok();
    let specs = distinct_specs(cp, test, WRITERS);
    let runs = specs
        .iter()
        .map(|s| {
            vec![
                "create".into(),
                "race".into(),
                "-f".into(),
                s.display().to_string(),
            ]
        })
        .collect();
    let proxied = proxy.map(|mode| {
        let proxy = Proxy::start(&cp.kubeconfig);
        let kubeconfig = proxy.kubeconfig(&cp.kubeconfig, &cp.dir);
        proxy.set(mode);
        (proxy, kubeconfig)
    });
    let outputs = together(cp, &ns, runs, proxied.as_ref().map(|(_, k)| k.as_path()));
    let cuts = proxied.as_ref().map_or(0, |(p, _)| p.cuts());
    for out in &outputs {
        assert_eq!(out.code, 0, "{out:?}");
        assert_eq!(
            out.stderr, "",
            "no line but documented retries (shown at -v 4): {out:?}"
        );
    }
    let stored = stored_versions(cp, &ns.local, "race");
    let names: BTreeSet<String> = stored.iter().map(|v| v.1.clone()).collect();
    let want: BTreeSet<String> = (1..=WRITERS + 1).map(|i| format!("v{i}")).collect();
    assert_eq!(names, want, "{stored:?}");
    assert!(
        stored.iter().all(|v| v.3 && v.0 == format!("race-{}", v.1)),
        "{stored:?}"
    );
    // Exactly one version per content: each writer's content once, under the name it reported.
    let mut digests: Vec<String> = stored.iter().map(|v| v.2.clone()).collect();
    digests.sort();
    let mut want_digests: Vec<String> = specs.iter().map(|s| digest_of_file(s)).collect();
    want_digests.push(digest_of_file(&first));
    want_digests.sort();
    assert_eq!(digests, want_digests, "{stored:?}");
    for (spec, out) in specs.iter().zip(&outputs) {
        let (object, verb) = reported(out);
        let found = stored
            .iter()
            .find(|v| v.0 == object)
            .unwrap_or_else(|| panic!("{out:?}"));
        assert_eq!(found.2, digest_of_file(spec), "{out:?}");
        // A create whose answer was cut and whose retry found its own write reports unchanged.
        if proxy.is_none() {
            assert_eq!(verb, "created", "{out:?}");
        }
    }
    let distinct_objects: BTreeSet<String> = outputs.iter().map(|o| reported(o).0).collect();
    assert_eq!(distinct_objects.len(), WRITERS);
    let created = outputs.iter().filter(|o| reported(o).1 == "created").count();
    eprintln!(
        "{test}: {WRITERS} writers exited 0, {created} reported created, {} unchanged (own write found after a cut answer), {} versions stored, {cuts} connections cut",
        WRITERS - created,
        stored.len()
    );
    cuts
}

#[test]
fn sixteen_creates_of_distinct_content_get_one_number_each() {
    distinct_creates("race-distinct", None);
}

#[test]
fn sixteen_creates_of_distinct_content_through_cut_connections() {
    let cuts = distinct_creates("race-distinct-cut", Some(Mode::CutEvery { every: 13 }));
    assert!(cuts >= 5, "the proxy cut {cuts} connections");
}

#[test]
fn sixteen_creates_of_one_content_make_one_version() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("race-same");
    let spec = shared_data("pipelines/variants/fanout.yaml")
        .display()
        .to_string();
    let runs = (0..WRITERS)
        .map(|_| vec!["create".into(), "same".into(), "-f".into(), spec.clone()])
        .collect();
    let outputs = together(cp, &ns, runs, None);
    assert!(
        outputs.iter().all(|o| o.code == 0 && o.stderr.is_empty()),
        "{outputs:?}"
    );
    let count = |line: &str| outputs.iter().filter(|o| o.stdout.contains(line)).count();
    assert_eq!(
        count("pipeline.pipelines.kubeflow.org/same created\n"),
        1,
        "{outputs:?}"
    );
    assert_eq!(
        (
            count("pipelineversion.pipelines.kubeflow.org/same-v1 created\n"),
            count("pipelineversion.pipelines.kubeflow.org/same-v1 unchanged\n")
        ),
        (1, WRITERS - 1),
        "{outputs:?}"
    );
    let stored = stored_versions(cp, &ns.local, "same");
    eprintln!(
        "race-same: {WRITERS} writers exited 0, {} versions stored",
        stored.len()
    );
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(stored[0].3, "{stored:?}");
}

#[test]
fn sixteen_promotes_make_one_copy() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("race-promote");
    let spec = shared_data("pipelines/variants/with_platform.yaml")
        .display()
        .to_string();
    cp.kfp(&ns, &["create", "train", "-f", &spec]).ok();
    let runs = (0..WRITERS)
        .map(|_| {
            ["promote", "train@v1", "--to", &ns.other, "--yes"]
                .map(String::from)
                .to_vec()
        })
        .collect();
    let outputs = together(cp, &ns, runs, None);
    assert!(outputs.iter().all(|o| o.code == 0), "{outputs:?}");
    let verbs: Vec<(String, String)> = outputs.iter().map(reported).collect();
    let created = verbs.iter().filter(|v| v.1 == "created").count();
    let unchanged = verbs.iter().filter(|v| v.1 == "unchanged").count();
    assert_eq!((created, unchanged), (1, WRITERS - 1), "{outputs:?}");
    assert!(verbs.iter().all(|v| v.0 == "train-v1"), "{verbs:?}");
    let stored = stored_versions(cp, &ns.other, "train");
    eprintln!(
        "race-promote: {created} created, {unchanged} unchanged, {} copies stored",
        stored.len()
    );
    assert_eq!(stored.len(), 1, "{stored:?}");
    assert!(stored[0].3, "{stored:?}");
}
