//! How lists are read: streamed from the API server's cache by default (a watch with
//! sendInitialEvents), in pages with `--chunk-size`, and in pages when the server or the
//! user's role refuses streaming. Every way must show exactly the same versions.

use crate::support::{ControlPlane, Namespaces, Output, pipeline_manifest, shared_data, version_manifest};

/// What `-v 4` logs when a streaming list is refused.
const FELL_BACK: &str = "streaming list refused";

/// A pipeline `train` with four labelled versions and one without labels (matched on
/// spec.pipelineName), as other tools may write them.
fn seed(cp: &ControlPlane, ns: &Namespaces) {
    let spec = shared_data("pipelines/variants/train_v1.yaml");
    let mut yaml = pipeline_manifest("train", "streamed or paged");
    for version in ["v1", "v2", "v3", "v4"] {
        yaml.push_str("---\n");
        yaml.push_str(&version_manifest("train", version, &spec, true));
    }
    cp.create(&ns.local, &yaml);
    // A second later, so the unlabelled one is the latest whatever the UIDs.
    crate::support::next_second();
    cp.create(&ns.local, &version_manifest("train", "bare", &spec, false));
}

/// Table rows without the AGE column, which may tick between two runs.
fn rows_without_age(out: &Output) -> Vec<Vec<String>> {
    out.rows()
        .into_iter()
        .map(|mut row| {
            row.pop();
            row
        })
        .collect()
}

/// The overview counts all five versions and names the unlabelled one as the latest.
fn assert_overview(cp: &ControlPlane, ns: &Namespaces) -> Output {
    let overview = cp.kfp(ns, &["list"]).ok();
    assert_eq!(
        rows_without_age(&overview)[0][..4],
        ["train", ns.local.as_str(), "5", "bare"].map(String::from),
        "{}",
        overview.stdout
    );
    overview
}

#[test]
fn streamed_and_paged_lists_agree() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("stream-vs-pages");
    seed(cp, &ns);
    let streamed = cp.kfp(&ns, &["list", "train", "-v", "4"]).ok();
    assert_eq!(streamed.rows().len(), 5, "{}", streamed.stdout);
    assert!(!streamed.stderr.contains(FELL_BACK), "{}", streamed.stderr);
    for chunk in ["2", "1", "0"] {
        let paged = cp.kfp(&ns, &["list", "train", "--chunk-size", chunk]).ok();
        assert_eq!(
            rows_without_age(&paged),
            rows_without_age(&streamed),
            "--chunk-size {chunk}"
        );
    }
    let overview = assert_overview(cp, &ns);
    let paged = cp.kfp(&ns, &["list", "--chunk-size", "2"]).ok();
    assert_eq!(rows_without_age(&paged), rows_without_age(&overview));
}

#[test]
fn a_server_that_cannot_stream_lists_is_read_in_pages() {
    let cp = ControlPlane::without_streaming_lists();
    let ns = cp.namespaces("no-watch-list");
    seed(cp, &ns);
    let out = cp.kfp(&ns, &["list", "train", "-v", "4"]).ok();
    assert!(out.stderr.contains(FELL_BACK), "{}", out.stderr);
    let rows = out.rows();
    let versions: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(versions.len(), 5, "{}", out.stdout);
    assert_eq!(versions[0], "bare", "{}", out.stdout);
    assert_overview(cp, &ns);
    let got = cp.kfp(&ns, &["get", "train", "-o", "name"]).ok();
    assert_eq!(
        got.stdout.trim(),
        "pipelineversion.pipelines.kubeflow.org/train-bare"
    );
}

#[test]
fn a_role_without_watch_reads_pages() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("no-watch-role");
    seed(cp, &ns);
    // get and list only: what some namespaces grant readers.
    cp.create(
        &ns.local,
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: list-only\nrules:\n- apiGroups: [pipelines.kubeflow.org]\n  resources: [pipelines, pipelineversions]\n  verbs: [get, list]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata:\n  name: outsider-list-only\nroleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: list-only\nsubjects:\n- apiGroup: rbac.authorization.k8s.io\n  kind: User\n  name: outsider\n",
    );
    let as_admin = cp.kfp(&ns, &["list", "train"]).ok();
    let as_reader = cp.kfp(&ns, &["list", "train"]).context("outsider").ok();
    assert_eq!(rows_without_age(&as_reader), rows_without_age(&as_admin));
    // The same warnings as admin (the seeded versions have no pipeline-id label), none for
    // the fallback.
    assert_eq!(
        as_reader.stderr, as_admin.stderr,
        "no warning for a fallback: {}",
        as_reader.stderr
    );
    let got = cp
        .kfp(&ns, &["get", "train", "-o", "name"])
        .context("outsider")
        .ok();
    assert_eq!(
        got.stdout.trim(),
        "pipelineversion.pipelines.kubeflow.org/train-bare"
    );
}

#[test]
fn latest_is_chosen_from_metadata_and_only_it_is_read_whole() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("latest-by-metadata");
    seed(cp, &ns);
    // The unlabelled version is the latest: its spec (read in the unlabelled list) says whose it is.
    let got = cp.kfp(&ns, &["get", "train", "-o", "name", "-v", "6"]).ok();
    assert_eq!(
        got.stdout.trim(),
        "pipelineversion.pipelines.kubeflow.org/train-bare"
    );
    let single_gets: Vec<&str> = got
        .stderr
        .lines()
        .filter(|l| l.contains(" GET https://") && l.contains("/pipelineversions/"))
        .collect();
    assert_eq!(single_gets.len(), 1, "{}", got.stderr);
    assert!(
        single_gets[0].contains("/pipelineversions/train-bare "),
        "{}",
        got.stderr
    );
    assert!(
        got.stderr
            .lines()
            .any(|l| l.contains("labelled pipelines.kubeflow.org/pipeline-id=")
                && l.ends_with("(metadata only)")),
        "{}",
        got.stderr
    );
}
