//! `create` against the real server: every valid SDK pipeline round-trips, idempotency,
//! SDK manifests, bad input leaves nothing behind, RBAC, dry runs, rollback, races.

use std::path::{Path, PathBuf};

use kubectl_kfp::{digest, yaml};
use serde_json::Value;

use crate::support::{ControlPlane, Namespaces, compiled_examples, crds_dir, external_corpus, shared_data};

/// The pipeline spec and platform spec of a compiled file, normalized for comparison.
fn file_specs(path: &Path) -> (Value, Option<Value>) {
    let mut docs = yaml::documents(&std::fs::read_to_string(path).unwrap())
        .unwrap()
        .into_iter()
        .map(digest::normalized);
    (docs.next().unwrap(), docs.next())
}

#[test]
fn every_compiled_example_round_trips_and_is_idempotent() {
    let files: Vec<_> = compiled_examples()
        .into_iter()
        .filter(|file| file.parent().is_some_and(|dir| dir.ends_with("ir")))
        .collect();
    assert_eq!(files.len(), 6);
    round_trips_and_is_idempotent("create-examples", &files);
}

#[test]
fn external_corpus_every_valid_sdk_pipeline_round_trips_and_is_idempotent() {
    let test = "external_corpus_every_valid_sdk_pipeline_round_trips_and_is_idempotent";
    let Some(files) = external_corpus(test, "pipelines/valid") else {
        return;
    };
    assert_eq!(files.len(), 74);
    round_trips_and_is_idempotent("create-all", &files);
}

/// Creates each file as its own pipeline, reads its spec back, creates it again.
fn round_trips_and_is_idempotent(test: &str, files: &[PathBuf]) {
    let cp = ControlPlane::get();
    let ns = cp.namespaces(test);
    for file in files {
        let path = file.to_str().unwrap();
        // One pipeline per file (named after it): some files share a pipelineInfo.name, and two
        // have identical content, which would (rightly) be reported unchanged under one pipeline.
        let stem = file
            .file_stem()
            .unwrap()
            .to_str()
            .unwrap()
            .to_lowercase()
            .replace('_', "-");
        let created = cp.kfp(&ns, &["create", &stem, "-f", path]).ok();
        assert_eq!(
            created.stdout,
            format!(
                "pipeline.pipelines.kubeflow.org/{stem} created\npipelineversion.pipelines.kubeflow.org/{stem}-v1 created\n"
            ),
            "{path}"
        );
        let spec = cp.kfp(&ns, &["get", &stem, "--spec"]).ok();
        let mut docs = yaml::documents(&spec.stdout)
            .unwrap()
            .into_iter()
            .map(digest::normalized);
        let (want_spec, want_platform) = file_specs(file);
        assert_eq!(
            docs.next().unwrap(),
            want_spec,
            "{path}: pipeline spec differs after the round trip"
        );
        assert_eq!(docs.next(), want_platform, "{path}: platform spec differs");
        let again = cp.kfp(&ns, &["create", &stem, "-f", path]).ok();
        assert_eq!(
            again.stdout,
            format!("pipelineversion.pipelines.kubeflow.org/{stem}-v1 unchanged\n"),
            "{path}"
        );
    }
}

#[test]
fn get_spec_output_feeds_back_into_create() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("create-feedback");
    let file = shared_data("pipelines/variants/with_platform.yaml");
    cp.kfp(&ns, &["create", "-f", file.to_str().unwrap()]).ok();
    let spec = cp.kfp(&ns, &["get", "with-platform", "--spec"]).ok();
    assert_eq!(
        spec.stdout.matches("\n---\n").count(),
        1,
        "platform spec is a second document"
    );
    let again = cp.kfp(&ns, &["create", "-f", "-"]).stdin(spec.stdout).ok();
    assert_eq!(
        again.stdout,
        "pipelineversion.pipelines.kubeflow.org/with-platform-v1 unchanged\n"
    );
}

#[test]
fn versions_are_numbered_labelled_owned_and_annotated() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("create-labels");
    let v1 = shared_data("pipelines/variants/train_v1.yaml");
    let v2 = shared_data("pipelines/variants/train_v2.yaml");
    let out = cp
        .kfp(
            &ns,
            &[
                "create",
                "-f",
                v1.to_str().unwrap(),
                "--tag",
                "team=ml",
                "--code-source-url",
                "https://example.com/train",
            ],
        )
        .ok();
    assert_eq!(
        out.stdout,
        "pipeline.pipelines.kubeflow.org/train created\npipelineversion.pipelines.kubeflow.org/train-v1 created\n"
    );
    let out = cp.kfp(&ns, &["create", "-f", v2.to_str().unwrap()]).ok();
    assert_eq!(
        out.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v2 created\n"
    );
    let pipeline: Value = cp.get_json(&ns.local, "pipelines.v2beta1.pipelines.kubeflow.org/train");
    let version: Value = cp.get_json(
        &ns.local,
        "pipelineversions.v2beta1.pipelines.kubeflow.org/train-v2",
    );
    let uid = pipeline["metadata"]["uid"].as_str().unwrap();
    assert_eq!(
        version["metadata"]["labels"]["pipelines.kubeflow.org/pipeline-id"],
        uid
    );
    assert_eq!(
        version["metadata"]["labels"]["pipelines.kubeflow.org/pipeline"],
        "train"
    );
    assert_eq!(version["metadata"]["ownerReferences"][0]["uid"], uid);
    assert_eq!(version["metadata"]["ownerReferences"][0]["kind"], "Pipeline");
    assert_eq!(
        version["metadata"]["ownerReferences"][0]["apiVersion"],
        "pipelines.kubeflow.org/v2beta1"
    );
    assert_eq!(version["spec"]["versionName"], "v2");
    assert_eq!(version["spec"]["pipelineName"], "train");
    let (spec, _) = file_specs(&v2);
    assert_eq!(
        version["metadata"]["annotations"]["kubectl-kfp.io/digest"],
        digest::of(&spec, None)
    );
    // --version with the same content is unchanged; with other content it is refused.
    let same = cp
        .kfp(&ns, &["create", "-f", v2.to_str().unwrap(), "--version", "v2"])
        .ok();
    assert_eq!(
        same.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v2 unchanged\n"
    );
    let clash = cp
        .kfp(
            &ns,
            &[
                "create",
                "-f",
                v1.to_str().unwrap(),
                "--version",
                "v2",
                "--allow-duplicate",
            ],
        )
        .run();
    clash.assert_error("version \"v2\" of pipeline \"train\"");
    assert!(
        clash.stderr.contains("versions are immutable"),
        "{}",
        clash.stderr
    );
    let dup = cp
        .kfp(&ns, &["create", "-f", v1.to_str().unwrap(), "--allow-duplicate"])
        .ok();
    assert_eq!(
        dup.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v3 created\n"
    );
    let named = cp
        .kfp(
            &ns,
            &[
                "create",
                "-f",
                v2.to_str().unwrap(),
                "--allow-duplicate",
                "--version",
                "1.4.0",
                "--display-name",
                "Release 1.4",
            ],
        )
        .ok();
    assert_eq!(
        named.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-1.4.0 created\n"
    );
}

#[test]
fn sdk_kubernetes_manifests_create_correctly() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("create-manifests");
    for (file, expected) in [
        (
            "manifests/train-v1.yaml",
            "pipeline.pipelines.kubeflow.org/train created\npipelineversion.pipelines.kubeflow.org/train-v1 created\n",
        ),
        (
            "manifests/train-v2.yaml",
            "pipelineversion.pipelines.kubeflow.org/train-v2 created\n",
        ),
        (
            "manifests/fanout.yaml",
            "pipeline.pipelines.kubeflow.org/fanout created\npipelineversion.pipelines.kubeflow.org/fanout-v1 created\n",
        ),
        (
            "manifests/with-platform.yaml",
            "pipeline.pipelines.kubeflow.org/with-platform created\npipelineversion.pipelines.kubeflow.org/with-platform-v1 created\n",
        ),
    ] {
        let out = cp
            .kfp(&ns, &["create", "-f", shared_data(file).to_str().unwrap()])
            .ok();
        assert_eq!(out.stdout, expected, "{file}");
    }
    let pipeline: Value = cp.get_json(&ns.local, "pipelines.v2beta1.pipelines.kubeflow.org/train");
    assert_eq!(pipeline["spec"]["displayName"], "Train");
    let list = cp.kfp(&ns, &["list", "train", "--no-headers"]).ok();
    let versions: Vec<&str> = list
        .stdout
        .lines()
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(versions.len(), 2);
    assert!(
        versions.contains(&"v1") && versions.contains(&"v2"),
        "{versions:?}"
    );
}

#[test]
fn bad_input_is_refused_and_nothing_is_created() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("create-bad");
    let cases: Vec<(String, &str)> = vec![
        (
            shared_data("pipelines/invalid/empty_file.yaml")
                .display()
                .to_string(),
            "has no YAML document",
        ),
        (
            shared_data("pipelines/invalid/empty_zip.zip")
                .display()
                .to_string(),
            "has no YAML document",
        ),
        (
            shared_data("pipelines/invalid/invalid-zip.zip")
                .display()
                .to_string(),
            "is a zip archive",
        ),
        (
            shared_data("pipelines/invalid/invalid_yaml.yaml")
                .display()
                .to_string(),
            "is not a valid KFP pipeline spec: components_1: unknown field of PipelineSpec; it has pipelineInfo, ",
        ),
        (
            shared_data("pipelines/invalid/no_name.yaml")
                .display()
                .to_string(),
            "is not a valid KFP pipeline spec: pipelineInfo.name: is missing",
        ),
        (
            shared_data("pipelines/invalid/wrong_format.png")
                .display()
                .to_string(),
            "has no YAML document",
        ),
        (crds_dir().display().to_string(), "is a directory"),
        (
            "/nonexistent/pipeline.yaml".to_string(),
            "cannot be read: no such file",
        ),
    ];
    for (file, reason) in &cases {
        let out = cp.kfp(&ns, &["create", "-f", file]).run();
        out.assert_error(&format!("file {file:?} {reason}"));
        assert!(
            out.stderr.lines().count() <= 2,
            "one line plus a hint: {}",
            out.stderr
        );
    }
    let stdin_cases: Vec<(Vec<u8>, &str)> = vec![
        (
            b"apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\n".to_vec(),
            "is not a compiled KFP pipeline: it holds a Deployment (apps/v1)",
        ),
        (
            b"executorLabel: exec-x\n".to_vec(),
            "is not a compiled KFP pipeline: it looks like a component spec",
        ),
        (
            b"pipelineInfo: {name: x}\nschemaVersion: 2.1.0\n".to_vec(),
            "is not a valid KFP pipeline spec: root: is missing",
        ),
        (
            b"pipelineInfo: {name: Bad_Name}\nroot: {}\nschemaVersion: 2.1.0\n".to_vec(),
            "is not a valid KFP pipeline spec: pipelineInfo.name: \"Bad_Name\" is not a valid pipeline name",
        ),
        (b"a: [1, 2\nb: 3\n".to_vec(), "is not valid YAML or JSON"),
        (vec![0xff, 0xfe, 0xfd], "is not UTF-8 text"),
    ];
    for (bytes, reason) in stdin_cases {
        cp.kfp(&ns, &["create", "-f", "-"])
            .stdin(bytes)
            .run()
            .assert_error(&format!("standard input {reason}"));
    }
    let good = shared_data("pipelines/variants/train_v1.yaml");
    let good = good.to_str().unwrap();
    cp.kfp(&ns, &["create", "-f", good, "--version", "V1"])
        .run()
        .assert_error("version \"V1\" is not a valid version name");
    cp.kfp(&ns, &["create", "Bad_Name", "-f", good])
        .run()
        .assert_error("pipeline name \"Bad_Name\"");
    cp.kfp(&ns, &["create", "-f", good, "--tag", "novalue"])
        .run()
        .assert_error("invalid --tag \"novalue\"");
    let long = "a".repeat(252);
    cp.kfp(&ns, &["create", &long, "-f", good, "--version", "v1"])
        .run()
        .assert_error("PipelineVersion name");
    assert_eq!(
        cp.kfp_objects(&ns.local),
        "",
        "bad input must leave nothing behind"
    );
}

#[test]
fn objects_too_large_for_etcd_are_refused_before_sending() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("create-large");
    let big = format!(
        "pipelineInfo: {{name: big}}\nroot: {{}}\nschemaVersion: 2.1.0\ncomponents:\n  comp-blob: {{executorLabel: '{}'}}\n",
        "x".repeat(2 * 1024 * 1024)
    );
    let out = cp.kfp(&ns, &["create", "-f", "-"]).stdin(big).run();
    out.assert_error("would be 2.0 MiB; the server stores at most 1.5 MiB per object");
    assert_eq!(cp.kfp_objects(&ns.local), "");
}

#[test]
fn a_failed_version_write_removes_the_pipeline_it_created() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("create-rollback");
    // A user who may create and delete Pipelines but not PipelineVersions, via impersonation.
    let rbac = format!(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {{name: half, namespace: {ns}}}\nrules:\n- apiGroups: [pipelines.kubeflow.org]\n  resources: [pipelines]\n  verbs: [get, list, create, delete]\n- apiGroups: [pipelines.kubeflow.org]\n  resources: [pipelineversions]\n  verbs: [get, list]\n---\napiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {{name: half, namespace: {ns}}}\nroleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: half}}\nsubjects: [{{apiGroup: rbac.authorization.k8s.io, kind: User, name: half-writer}}]\n",
        ns = ns.local
    );
    cp.kubectl("admin", &["apply", "-f", "-"], Some(&rbac));
    let file = shared_data("pipelines/variants/train_v1.yaml");
    let out = cp
        .kfp(
            &ns,
            &["create", "-f", file.to_str().unwrap(), "--as", "half-writer"],
        )
        .run();
    out.assert_error("cannot create pipelineversion \"train-v1\"");
    assert!(
        out.stderr.contains("forbidden for user \"half-writer\""),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("the pipeline \"train\" this command created was removed again"),
        "{}",
        out.stderr
    );
    assert_eq!(cp.kfp_objects(&ns.local), "");
}

#[test]
fn dry_runs_write_nothing_and_client_output_is_creatable() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("create-dry");
    let file = shared_data("pipelines/variants/train_v1.yaml");
    let client = cp
        .kfp(
            &ns,
            &[
                "create",
                "-f",
                file.to_str().unwrap(),
                "--dry-run=client",
                "-o",
                "yaml",
            ],
        )
        .ok();
    assert!(client.stdout.contains("kind: List"), "{}", client.stdout);
    let server = cp
        .kfp(&ns, &["create", "-f", file.to_str().unwrap(), "--dry-run=server"])
        .ok();
    assert_eq!(
        server.stdout,
        "pipeline.pipelines.kubeflow.org/train created (server dry run)\npipelineversion.pipelines.kubeflow.org/train-v1 created (server dry run)\n"
    );
    assert_eq!(cp.kfp_objects(&ns.local), "", "dry runs store nothing");
    // What --dry-run=client printed is what a GitOps repository would apply.
    cp.kubectl(
        "admin",
        &["create", "-n", &ns.local, "-f", "-"],
        Some(&client.stdout),
    );
    let listed = cp.kfp(&ns, &["list", "train", "--no-headers"]).ok();
    assert!(listed.stdout.starts_with("v1 "), "{}", listed.stdout);
    let again = cp.kfp(&ns, &["create", "-f", file.to_str().unwrap()]).ok();
    assert_eq!(
        again.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v1 unchanged\n"
    );
}

#[test]
fn concurrent_creates_of_one_spec_make_exactly_one_version() {
    let cp = ControlPlane::get();
    let ns: Namespaces = cp.namespaces("create-race");
    let file = shared_data("pipelines/variants/fanout.yaml");
    let file = file.to_str().unwrap().to_string();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let ns = ns.clone();
            let file = file.clone();
            std::thread::spawn(move || ControlPlane::get().kfp(&ns, &["create", "-f", &file]).run())
        })
        .collect();
    let outputs: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for out in &outputs {
        assert_eq!(out.code, 0, "{}", out.stderr);
    }
    let created = outputs
        .iter()
        .filter(|o| {
            o.stdout
                .contains("pipelineversion.pipelines.kubeflow.org/fanout-v1 created")
        })
        .count();
    let unchanged = outputs.iter().filter(|o| o.stdout.contains("unchanged")).count();
    assert_eq!((created, unchanged), (1, 3), "{outputs:?}");
    assert_eq!(
        cp.kfp_objects(&ns.local).lines().count(),
        2,
        "one pipeline, one version"
    );
}
