//! `list` and `list PIPELINE` against the real server: local, shared, shadowed, ties,
//! pagination, -A, -l, output formats and RBAC degradation.

use serde_json::Value;

use crate::support::{ControlPlane, Namespaces, pipeline_manifest, shared_data, version_manifest};

const SPEC: &str = "pipelines/variants/train_v1.yaml";

fn setup(test: &str) -> (&'static ControlPlane, Namespaces) {
    let cp = ControlPlane::get();
    let ns = cp.namespaces(test);
    (cp, ns)
}

#[test]
fn list_shows_local_shared_and_shadowed_pipelines() {
    let (cp, ns) = setup("list-origins");
    cp.seed(&ns.local, "train", &["v1", "v2"]);
    cp.seed(&ns.local, "local-only", &["v1"]);
    cp.seed(&ns.shared, "train", &["v1"]);
    cp.seed(&ns.shared, "shared-only", &["v1", "v2", "v3"]);
    let out = cp.kfp(&ns, &["list"]).ok();
    let rows = out.rows();
    let header: Vec<&str> = out.stdout.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "ORIGIN", "VERSIONS", "LATEST", "AGE"]);
    let summary: Vec<(String, String, String, String)> = rows
        .iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone(), r[3].clone()))
        .collect();
    let s = |a: &str, b: &str, c: &str, d: &str| (a.to_string(), b.to_string(), c.to_string(), d.to_string());
    // Created in one burst, the three versions may share a timestamp: KFP's rule decides.
    let shared_latest = expected_latest(cp, &ns.shared, "shared-only");
    let local_latest = expected_latest(cp, &ns.local, "train");
    assert_eq!(
        summary,
        vec![
            s("local-only", &ns.local, "1", "v1"),
            s(
                "shared-only",
                &format!("{} (shared)", ns.shared),
                "3",
                &shared_latest
            ),
            s("train", &ns.local, "2", &local_latest),
            s("train", &format!("{} (shared, shadowed)", ns.shared), "1", "v1"),
        ]
    );
    // A reference without a namespace resolves to the local pipeline (it shadows the shared one).
    let versions = cp.kfp(&ns, &["list", "train", "--no-headers"]).ok();
    assert_eq!(versions.stdout.lines().count(), 2);
    assert!(
        versions.stdout.lines().all(|l| l.contains(&ns.local)),
        "{}",
        versions.stdout
    );
    let shared_only = cp.kfp(&ns, &["list", "shared-only"]).ok();
    assert!(
        shared_only.stdout.lines().skip(1).all(|l| l.contains("(shared)")),
        "{}",
        shared_only.stdout
    );
}

#[test]
fn list_with_sharing_off_or_only_shared() {
    let (cp, ns) = setup("list-shared-only");
    cp.seed(&ns.shared, "common", &["v1"]);
    let out = cp.kfp(&ns, &["list", "--no-headers"]).ok();
    assert_eq!(out.stdout.lines().count(), 1, "one shared row: {}", out.stdout);
    assert!(out.stdout.starts_with("common "), "{}", out.stdout);
    let off = cp.kfp(&ns, &["list", "--no-shared"]).ok();
    assert_eq!(off.stdout, "");
    assert_eq!(
        off.stderr,
        format!("No pipelines found in namespace {}.\n", ns.local)
    );
}

#[test]
fn list_empty_namespace_message() {
    let (cp, ns) = setup("list-empty");
    let out = cp.kfp(&ns, &["list"]).ok();
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!(
            "No pipelines found in namespace {} (shared namespace: {}).\n",
            ns.local, ns.shared
        )
    );
}

#[test]
fn versions_newest_first_with_latest_marker_digest_and_status() {
    let (cp, ns) = setup("list-versions");
    for v in ["v1", "v2", "v3"] {
        // Separate creates so creation order is known; timestamps may still tie (same second).
        if v == "v1" {
            cp.seed(&ns.local, "train", &[v]);
        } else {
            cp.create(&ns.local, &version_manifest("train", v, &shared_data(SPEC), true));
        }
    }
    let out = cp.kfp(&ns, &["list", "train"]).ok();
    let header: Vec<&str> = out.stdout.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["VERSION", "ORIGIN", "DIGEST", "LATEST", "STATUS", "AGE"]);
    let expected_latest = expected_latest(cp, &ns.local, "train");
    let latest_rows: Vec<String> = out
        .rows()
        .iter()
        .filter(|r| r.contains(&"*".to_string()))
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(latest_rows, vec![expected_latest.clone()]);
    assert_eq!(out.rows()[0][0], expected_latest, "newest first");
    // All three share one spec, so one digest, computed on the client (kubectl wrote no annotation).
    let digests: std::collections::BTreeSet<String> = out.rows().iter().map(|r| r[2].clone()).collect();
    assert_eq!(digests.len(), 1);
    assert!(digests.iter().next().unwrap().starts_with("sha256:"));
    let wide = cp.kfp(&ns, &["list", "train", "-o", "wide"]).ok();
    assert!(
        wide.stdout.lines().next().unwrap().contains("SDK"),
        "{}",
        wide.stdout
    );
    assert!(wide.stdout.contains("kfp-2.17.3"), "{}", wide.stdout);
}

/// KFP's rule computed from the raw objects: newest creationTimestamp, then greater UID.
fn expected_latest(cp: &ControlPlane, namespace: &str, pipeline: &str) -> String {
    let out = cp.kubectl(
        "admin",
        &[
            "get",
            "pipelineversions.v2beta1.pipelines.kubeflow.org",
            "-n",
            namespace,
            "-l",
            &format!("pipelines.kubeflow.org/pipeline={pipeline}"),
            "-o",
            "json",
        ],
        None,
    );
    let list: Value = serde_json::from_str(&out.stdout).unwrap();
    let items = list["items"].as_array().unwrap();
    let best = items
        .iter()
        .max_by(|a, b| {
            let key = |v: &Value| {
                (
                    v["metadata"]["creationTimestamp"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    v["metadata"]["uid"].as_str().unwrap_or("").to_string(),
                )
            };
            key(a).cmp(&key(b))
        })
        .unwrap();
    best["spec"]["versionName"].as_str().unwrap().to_string()
}

#[test]
fn equal_creation_timestamps_break_ties_by_greater_uid() {
    let (cp, ns) = setup("list-ties");
    // Created in one request burst: most land in the same second, so timestamps tie.
    let names: Vec<String> = (1..=8).map(|i| format!("t{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    cp.seed(&ns.local, "ties", &refs);
    let list = cp.get_json(&ns.local, "pipelineversions.v2beta1.pipelines.kubeflow.org");
    let stamps: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["metadata"]["creationTimestamp"].as_str().unwrap())
        .collect();
    let newest = stamps.iter().max().unwrap();
    assert!(
        stamps.iter().filter(|s| s == &newest).count() >= 2,
        "the burst should produce a tie: {stamps:?}"
    );
    let expected = expected_latest(cp, &ns.local, "ties");
    let listed = cp.kfp(&ns, &["list"]).ok();
    assert!(
        listed.rows()[0].contains(&expected),
        "{} should show latest {expected}",
        listed.stdout
    );
    let got = cp.kfp(&ns, &["get", "ties"]).ok();
    assert!(
        got.stdout.contains(&format!("Version:       {expected}\n")),
        "{}",
        got.stdout
    );
}

#[test]
fn pagination_lists_1200_versions() {
    let (cp, ns) = setup("list-pages");
    let mut yaml = pipeline_manifest("big", "many versions");
    for i in 0..1200 {
        yaml.push_str(&format!(
            "---\napiVersion: pipelines.kubeflow.org/v2beta1\nkind: PipelineVersion\nmetadata:\n  name: big-v{i}\n  labels: {{pipelines.kubeflow.org/pipeline: big}}\nspec:\n  pipelineName: big\n  versionName: v{i}\n  pipelineSpec: {{pipelineInfo: {{name: big}}, root: {{}}, n: {i}}}\n"
        ));
    }
    cp.create(&ns.local, &yaml);
    let out = cp
        .kfp(&ns, &["list", "big", "--chunk-size", "100", "--no-headers"])
        .ok();
    assert_eq!(out.stdout.lines().count(), 1200);
    let names: std::collections::BTreeSet<&str> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names.len(), 1200, "no duplicates across pages");
    let pipelines = cp.kfp(&ns, &["list", "--chunk-size", "50", "--no-headers"]).ok();
    assert_eq!(pipelines.stdout.lines().count(), 1, "{}", pipelines.stdout);
    assert!(pipelines.stdout.contains(" 1200 "), "{}", pipelines.stdout);
}

/// Versions written by other tools carry no `kubectl-kfp.io/version-name` annotation: the
/// overview reads only metadata, so it must read the latest one's spec for its version name,
/// and still count versions that have no labels at all (matched on spec.pipelineName).
#[test]
fn overview_names_versions_written_by_other_tools() {
    let (cp, ns) = setup("list-foreign");
    let mut yaml = pipeline_manifest("ext", "written by kubectl");
    yaml.push_str(
        "---\napiVersion: pipelines.kubeflow.org/v2beta1\nkind: PipelineVersion\nmetadata:\n  name: ext-object-1\n  labels: {pipelines.kubeflow.org/pipeline: ext}\nspec:\n  pipelineName: ext\n  versionName: first\n  pipelineSpec: {pipelineInfo: {name: ext}, root: {}}\n",
    );
    cp.create(&ns.local, &yaml);
    crate::support::next_second();
    cp.create(
        &ns.local,
        "apiVersion: pipelines.kubeflow.org/v2beta1\nkind: PipelineVersion\nmetadata:\n  name: ext-object-2\nspec:\n  pipelineName: ext\n  versionName: second\n  pipelineSpec: {pipelineInfo: {name: ext}, root: {}, n: 2}\n",
    );
    let out = cp.kfp(&ns, &["list"]).ok();
    let rows = out.rows();
    assert_eq!(rows.len(), 1, "{}", out.stdout);
    assert_eq!(
        rows[0][..4],
        ["ext", ns.local.as_str(), "2", "second"],
        "{}",
        out.stdout
    );
    // One more, labelled, newest: its name comes from its spec (no annotation to read).
    crate::support::next_second();
    cp.create(
        &ns.local,
        "apiVersion: pipelines.kubeflow.org/v2beta1\nkind: PipelineVersion\nmetadata:\n  name: ext-object-3\n  labels: {pipelines.kubeflow.org/pipeline: ext}\nspec:\n  pipelineName: ext\n  versionName: third\n  pipelineSpec: {pipelineInfo: {name: ext}, root: {}, n: 3}\n",
    );
    let out = cp.kfp(&ns, &["list"]).ok();
    assert_eq!(
        out.rows()[0][..4],
        ["ext", ns.local.as_str(), "3", "third"],
        "{}",
        out.stdout
    );
}

/// What `create` writes carries the version name in an annotation too, so lists that read only
/// metadata can show it.
#[test]
fn created_versions_carry_their_version_name_annotation() {
    let (cp, ns) = setup("list-annotation");
    let spec = shared_data(SPEC);
    cp.kfp(
        &ns,
        &[
            "create",
            "annotated",
            "-f",
            spec.to_str().unwrap(),
            "--version",
            "v7",
        ],
    )
    .ok();
    let versions = cp.get_json(&ns.local, "pipelineversions.v2beta1.pipelines.kubeflow.org");
    let annotations = &versions["items"][0]["metadata"]["annotations"];
    assert_eq!(annotations["kubectl-kfp.io/version-name"], "v7", "{annotations}");
}

#[test]
fn all_namespaces_and_label_selector() {
    let (cp, ns) = setup("list-all");
    cp.seed(&ns.local, "alpha", &["v1"]);
    cp.seed(&ns.other, "beta", &["v1"]);
    cp.kubectl(
        "admin",
        &[
            "label",
            "pipelines.v2beta1.pipelines.kubeflow.org/alpha",
            "-n",
            &ns.local,
            "team=ml",
        ],
        None,
    );
    let all = cp.kfp(&ns, &["list", "-A", "--no-headers"]).ok();
    assert!(
        all.stdout
            .lines()
            .any(|l| l.starts_with("alpha ") && l.contains(&ns.local)),
        "{}",
        all.stdout
    );
    assert!(
        all.stdout
            .lines()
            .any(|l| l.starts_with("beta ") && l.contains(&ns.other)),
        "{}",
        all.stdout
    );
    let selected = cp.kfp(&ns, &["list", "-l", "team=ml", "-o", "name"]).ok();
    assert_eq!(selected.stdout, "pipeline.pipelines.kubeflow.org/alpha\n");
}

#[test]
fn json_and_yaml_are_kubectl_lists_without_managed_fields() {
    let (cp, ns) = setup("list-json");
    cp.seed(&ns.local, "train", &["v1"]);
    let json = cp.kfp(&ns, &["list", "-o", "json"]).ok();
    let list: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(list["kind"], "List");
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["items"][0]["kind"], "Pipeline");
    assert!(list["items"][0]["metadata"].get("managedFields").is_none());
    let yaml = cp.kfp(&ns, &["list", "train", "-o", "yaml"]).ok();
    assert!(
        yaml.stdout.starts_with("apiVersion: v1\nitems:\n"),
        "{}",
        yaml.stdout
    );
    assert!(!yaml.stdout.contains("managedFields"));
    let names = cp.kfp(&ns, &["list", "train", "-o", "name"]).ok();
    assert_eq!(names.stdout, "pipelineversion.pipelines.kubeflow.org/train-v1\n");
}

#[test]
fn viewer_lists_and_outsider_gets_a_warning_for_the_shared_namespace() {
    let (cp, ns) = setup("list-rbac");
    cp.seed(&ns.shared, "common", &["v1"]);
    cp.seed(&ns.other, "theirs", &["v1"]);
    let viewer = cp.kfp(&ns, &["list", "--no-headers"]).context("viewer").ok();
    assert!(viewer.stdout.starts_with("common "), "{}", viewer.stdout);
    let outsider = cp
        .kfp(&ns, &["list", "--no-headers"])
        .context("outsider")
        .namespace(&ns.other)
        .ok();
    assert!(outsider.stdout.starts_with("theirs "), "{}", outsider.stdout);
    assert!(!outsider.stdout.contains("common"));
    assert_eq!(
        outsider.stderr,
        format!(
            "warning: cannot list pipelines in shared namespace {:?}: forbidden; showing namespace {:?} only\n",
            ns.shared, ns.other
        )
    );
    // Resolution for the outsider does not find shared pipelines and says why.
    let get = cp
        .kfp(&ns, &["get", "common"])
        .context("outsider")
        .namespace(&ns.other)
        .run();
    get.assert_error(&format!(
        "pipeline \"common\" not found in namespace {:?} or shared namespace {:?}",
        ns.other, ns.shared
    ));
    assert!(
        get.stderr.contains("hint: you may not read the shared namespace"),
        "{}",
        get.stderr
    );
}

#[test]
fn not_found_and_bad_references() {
    let (cp, ns) = setup("list-errors");
    let out = cp.kfp(&ns, &["list", "nope"]).run();
    out.assert_error(&format!(
        "pipeline \"nope\" not found in namespace {:?} or shared namespace {:?}",
        ns.local, ns.shared
    ));
    for bad in ["a/b/c", "@", "x@", "Bad", "has space"] {
        cp.kfp(&ns, &["get", bad])
            .run()
            .assert_error(&format!("invalid reference {bad:?}"));
    }
    let format = cp.kfp(&ns, &["list", "-o", "xml"]).run();
    assert_eq!(format.code, 2, "{}", format.stderr);
    assert!(format.stderr.contains("invalid value 'xml'"), "{}", format.stderr);
}
