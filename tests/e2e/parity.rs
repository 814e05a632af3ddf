//! Parity with KFP (issue 14, points 1 and 3) against the real server: what `create` and
//! `promote` write is exactly what KFP's mutating webhook would set; long pipeline names;
//! membership by the pipeline-id label; stored versions whose spec cannot be read; SDK object
//! names; empty lists; server dry runs of new pipelines. The broken states are written with
//! kubectl as admin (the test control plane runs no KFP webhook).

use serde_json::{Value, json};

use crate::support::{
    ControlPlane, Namespaces, Output, next_second, pipeline_manifest, shared_data, version_manifest,
};

const VERSIONS: &str = "pipelineversions.v2beta1.pipelines.kubeflow.org";
const PIPELINES: &str = "pipelines.v2beta1.pipelines.kubeflow.org";

/// A table's cells by column, cut at the header's column starts (cells may be empty).
fn cells(out: &Output, columns: &[&str]) -> Vec<Vec<String>> {
    let mut lines = out.stdout.lines();
    let header = lines.next().unwrap_or_default();
    let starts: Vec<usize> = columns
        .iter()
        .map(|c| {
            header
                .find(&format!("{c} "))
                .or_else(|| header.rfind(c))
                .unwrap_or_else(|| panic!("{c} in {header:?}"))
        })
        .collect();
    lines
        .map(|line| {
            starts
                .iter()
                .map(|&start| {
                    let rest = line.get(start..).unwrap_or_default();
                    let end = rest.find("  ").unwrap_or(rest.len());
                    rest[..end].trim().to_string()
                })
                .collect()
        })
        .collect()
}

/// `create train -f <variant>` prints exactly `pipelineversion…/<line>`.
fn assert_creates(cp: &ControlPlane, ns: &Namespaces, variant: &str, line: &str) {
    let out = cp.kfp(ns, &["create", "train", "-f", &file(variant)]).ok();
    assert_eq!(
        out.stdout,
        format!("pipelineversion.pipelines.kubeflow.org/{line}\n")
    );
}

fn file(name: &str) -> String {
    shared_data(&format!("pipelines/variants/{name}"))
        .display()
        .to_string()
}

/// KFP's webhook `Default()` (kubeflow/pipelines, backend/src/apiserver/webhook/
/// pipelineversion_webhook.go at 7b70c7b), transcribed: both labels (the name cut with
/// `name[:63]`), then the first ownerReference of apiVersion/kind Pipeline gets name, uid and
/// blockOwnerDeletion overwritten, or one is appended.
fn kfp_webhook_default(version: &Value, pipeline: &Value) -> Value {
    let mut version = version.clone();
    let name = pipeline["metadata"]["name"].as_str().unwrap();
    let uid = pipeline["metadata"]["uid"].as_str().unwrap();
    let meta = &mut version["metadata"];
    if meta["labels"].is_null() {
        meta["labels"] = json!({});
    }
    meta["labels"]["pipelines.kubeflow.org/pipeline-id"] = json!(uid);
    meta["labels"]["pipelines.kubeflow.org/pipeline"] = json!(&name[..name.len().min(63)]);
    if meta["ownerReferences"].is_null() {
        meta["ownerReferences"] = json!([]);
    }
    let owners = meta["ownerReferences"].as_array_mut().unwrap();
    let ours = owners
        .iter_mut()
        .find(|o| o["apiVersion"] == "pipelines.kubeflow.org/v2beta1" && o["kind"] == "Pipeline");
    match ours {
        Some(owner) => {
            owner["name"] = json!(name);
            owner["uid"] = json!(uid);
            owner["blockOwnerDeletion"] = json!(true);
        }
        None => owners.push(json!({
            "apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "Pipeline",
            "name": name, "uid": uid, "blockOwnerDeletion": true,
        })),
    }
    version
}

/// Asserts the webhook would change nothing on every version of `pipeline` in `namespace`.
fn assert_webhook_has_nothing_to_change(cp: &ControlPlane, namespace: &str, pipeline: &str) -> usize {
    let p = cp.get_json(namespace, &format!("{PIPELINES}/{pipeline}"));
    let list = cp.get_json(namespace, VERSIONS);
    let mut checked = 0;
    for version in list["items"].as_array().unwrap() {
        if version["spec"]["pipelineName"] != pipeline {
            continue;
        }
        assert_eq!(
            &kfp_webhook_default(version, &p),
            version,
            "the webhook would patch it"
        );
        let owners = version["metadata"]["ownerReferences"].as_array().unwrap();
        assert_eq!(owners.len(), 1, "{owners:?}");
        assert!(owners[0].get("controller").is_none(), "{owners:?}");
        checked += 1;
    }
    checked
}

#[test]
fn create_and_promote_write_what_kfps_webhook_would_set() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("parity-webhook");
    let (v1, v2) = (file("train_v1.yaml"), file("train_v2.yaml"));
    cp.kfp(&ns, &["create", "train", "-f", &v1]).ok();
    cp.kfp(&ns, &["create", "train", "-f", &v2]).ok();
    assert_eq!(assert_webhook_has_nothing_to_change(cp, &ns.local, "train"), 2);
    cp.kfp(&ns, &["promote", "train@v2", "--to", &ns.other, "--yes"])
        .ok();
    assert_eq!(assert_webhook_has_nothing_to_change(cp, &ns.other, "train"), 1);

    // A legal object name longer than 63 characters: the label holds its first 63.
    let long = format!("{}-z", "a".repeat(70));
    let out = cp.kfp(&ns, &["create", &long, "-f", &v1]).ok();
    assert_eq!(
        out.stdout,
        format!(
            "pipeline.pipelines.kubeflow.org/{long} created\npipelineversion.pipelines.kubeflow.org/{long}-v1 created\n"
        )
    );
    cp.kfp(&ns, &["create", &long, "-f", &v2]).ok();
    assert_eq!(assert_webhook_has_nothing_to_change(cp, &ns.local, &long), 2);
    let stored = cp.get_json(&ns.local, &format!("{VERSIONS}/{long}-v2"));
    assert_eq!(
        stored["metadata"]["labels"]["pipelines.kubeflow.org/pipeline"],
        "a".repeat(63)
    );
    let rows = cp.kfp(&ns, &["list", "--no-headers"]).ok();
    assert!(
        rows.stdout
            .lines()
            .any(|l| l.starts_with(&long) && l.contains("  2  ")),
        "{}",
        rows.stdout
    );
    let versions = cp.kfp(&ns, &["list", &long, "--no-headers", "-o", "name"]).ok();
    assert_eq!(versions.stdout.lines().count(), 2, "{}", versions.stdout);
    cp.kfp(&ns, &["get", &format!("{long}@v1")]).ok();
    cp.kfp(
        &ns,
        &["promote", &format!("{long}@v2"), "--to", &ns.other, "--yes"],
    )
    .ok();
    assert_eq!(assert_webhook_has_nothing_to_change(cp, &ns.other, &long), 1);

    // KFP cuts without trimming: a cut ending in '-' would be an invalid label with or without
    // its webhook, so it is refused before anything is written.
    let bad = format!("{}-b", "c".repeat(62));
    let before = cp.kfp_objects(&ns.local);
    cp.kfp(&ns, &["create", &bad, "-f", &v1])
        .run()
        .assert_error(&format!(
            "pipeline name \"{bad}\" cannot be used with KFP: its first 63 characters \"{}-\" become the label pipelines.kubeflow.org/pipeline",
            "c".repeat(62)
        ));
    assert_eq!(cp.kfp_objects(&ns.local), before);
}

/// The SDK's `--kubernetes-manifest-format` objects, applied with kubectl: `train-v1` without
/// `spec.versionName` or labels.
#[test]
fn automatic_names_skip_object_names_the_sdk_took() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("parity-sdk-names");
    let manifest = std::fs::read_to_string(shared_data("manifests/train-v1.yaml")).unwrap();
    cp.create(&ns.local, &manifest);
    next_second();
    assert_creates(cp, &ns, "train_v2.yaml", "train-v2 created");
    // The SDK's object is counted by spec.pipelineName, and flagged: KFP does not list it.
    let list = cp.kfp(&ns, &["list", "train", "--sort-by", "name"]).ok();
    assert_eq!(
        cells(&list, &["VERSION", "LATEST", "STATUS"]),
        [["train-v1", "", "NoPipelineID"], ["v2", "*", "-"]],
        "{}",
        list.stdout
    );
    assert_eq!(
        list.stderr,
        format!(
            "warning: version \"train-v1\" of pipeline \"train\" in namespace \"{}\" has no pipelines.kubeflow.org/pipeline-id label: it is counted by spec.pipelineName, but KFP does not list it\n",
            ns.local
        )
    );
}

/// A version stored with `root: null` (possible where KFP's webhook does not run).
fn broken_version(pipeline: &str, name: &str, digest_annotation: bool) -> String {
    let annotation = if digest_annotation {
        "  annotations:\n    kubectl-kfp.io/digest: sha256:0000000000000000000000000000000000000000000000000000000000000000\n"
    } else {
        ""
    };
    format!(
        "apiVersion: pipelines.kubeflow.org/v2beta1\nkind: PipelineVersion\nmetadata:\n  name: {pipeline}-{name}\n{annotation}spec:\n  pipelineName: {pipeline}\n  versionName: {name}\n  pipelineSpec:\n    pipelineInfo: {{name: {pipeline}}}\n    schemaVersion: 2.1.0\n    root: null\n"
    )
}

#[test]
fn a_version_whose_spec_cannot_be_read_is_shown_and_the_others_work() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("parity-unreadable");
    cp.kfp(&ns, &["create", "train", "-f", &file("train_v1.yaml")])
        .ok();
    // Both readers: with a digest annotation (lean) and without (spec read whole).
    cp.create(&ns.local, &broken_version("train", "bad", true));
    cp.create(&ns.local, &broken_version("train", "worse", false));
    let warnings = |ns: &Namespaces| {
        let place = format!("of pipeline \"train\" in namespace \"{}\"", ns.local);
        let mut lines = String::new();
        for version in ["bad", "worse"] {
            let version = format!("\"{version}\" (object \"train-{version}\")");
            lines.push_str(&format!(
                "warning: version {version} {place} cannot be read: spec.pipelineSpec.root is null, not an object\n"
            ));
            lines.push_str(&format!(
                "warning: version {version} {place} has no pipelines.kubeflow.org/pipeline-id label: it is counted by spec.pipelineName, but KFP does not list it\n"
            ));
        }
        lines
    };
    for extra in [&[][..], &["--chunk-size", "1"][..]] {
        let mut args = vec!["list", "train", "--sort-by", "name"];
        args.extend_from_slice(extra);
        let out = cp.kfp(&ns, &args).ok();
        assert_eq!(
            cells(&out, &["VERSION", "STATUS"]),
            [["bad", "InvalidSpec"], ["v1", "-"], ["worse", "InvalidSpec"]],
            "{extra:?}: {}",
            out.stdout
        );
        let mut expected: Vec<String> = warnings(&ns).lines().map(String::from).collect();
        let mut got: Vec<String> = out.stderr.lines().map(String::from).collect();
        expected.sort();
        got.sort();
        assert_eq!(got, expected, "{extra:?}");
    }
    let pipelines = cp.kfp(&ns, &["list", "--no-headers"]).ok();
    assert!(pipelines.stdout.starts_with("train "), "{}", pipelines.stdout);
    cp.kfp(&ns, &["get", "train@v1"]).ok();
    cp.kfp(&ns, &["get", "train@bad"]).ok();
    cp.kfp(&ns, &["list", "train", "-o", "json"]).ok();
    assert_creates(cp, &ns, "train_v2.yaml", "train-v2 created");
    assert_creates(cp, &ns, "train_v1.yaml", "train-v1 unchanged");
}

#[test]
fn membership_follows_kfps_pipeline_id_rule() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("parity-membership");
    let v1 = file("train_v1.yaml");
    cp.kfp(&ns, &["create", "train", "-f", &v1]).ok();
    // Delete the Pipeline, keep its version (orphaned: the garbage collector drops its owner
    // reference instead of deleting it, as after a restore), create the Pipeline again (a new UID).
    cp.kubectl(
        "admin",
        &[
            "delete",
            &format!("{PIPELINES}/train"),
            "-n",
            &ns.local,
            "--cascade=orphan",
        ],
        None,
    );
    cp.create(&ns.local, &pipeline_manifest("train", "again"));
    next_second();
    // The old version carries the old UID: KFP does not list it, so it is not compared against.
    let out = cp.kfp(&ns, &["create", "train", "-f", &v1]).ok();
    assert_eq!(
        out.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v2 created\n"
    );
    // An unlabelled version naming the pipeline still counts (latest included), flagged.
    next_second();
    cp.create(
        &ns.local,
        &version_manifest(
            "train",
            "v3",
            &shared_data("pipelines/variants/train_v2.yaml"),
            false,
        ),
    );
    let list = cp.kfp(&ns, &["list", "train"]).ok();
    assert_eq!(
        cells(&list, &["VERSION", "LATEST", "STATUS"]),
        [
            ["v3", "*", "NoPipelineID"],
            ["v2", "", "-"],
            ["v1", "", "StalePipelineID"],
        ],
        "{}",
        list.stdout
    );
    let place = format!("pipeline \"train\" in namespace \"{}\"", ns.local);
    assert_eq!(
        list.stderr,
        format!(
            "warning: version \"v3\" (object \"train-v3\") of {place} has no pipelines.kubeflow.org/pipeline-id label: it is counted by spec.pipelineName, but KFP does not list it\nwarning: version \"v1\" (object \"train-v1\") is labelled with the UID of an earlier pipeline \"train\", not of {place}: KFP does not list it, and it is not counted\n"
        )
    );
    // The stale version resolves nowhere; the unlabelled one is the latest.
    cp.kfp(&ns, &["get", "train@v1"])
        .run()
        .assert_error("version \"v1\" not found");
    let latest = cp.kfp(&ns, &["get", "train"]).ok();
    assert!(latest.stdout.contains("Version:       v3\n"), "{}", latest.stdout);
    let json = cp.kfp(&ns, &["list", "train", "-o", "json"]).ok();
    let items: Value = serde_json::from_str(&json.stdout).unwrap();
    let names: Vec<&str> = items["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["train-v3", "train-v2"]);
}

#[test]
fn a_pipeline_without_versions_lists_as_an_empty_kubectl_list() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("parity-empty-list");
    cp.create(&ns.local, &pipeline_manifest("empty", "none yet"));
    let json = cp.kfp(&ns, &["list", "empty", "-o", "json"]).ok();
    assert_eq!(
        json.stdout,
        "{\n  \"apiVersion\": \"v1\",\n  \"items\": [],\n  \"kind\": \"List\",\n  \"metadata\": {\n    \"resourceVersion\": \"\"\n  }\n}\n"
    );
    assert_eq!(json.stderr, "");
    let yaml = cp.kfp(&ns, &["list", "empty", "-o", "yaml"]).ok();
    assert_eq!(
        yaml.stdout,
        "apiVersion: v1\nitems: []\nkind: List\nmetadata:\n  resourceVersion: ''\n"
    );
    let table = cp.kfp(&ns, &["list", "empty"]).ok();
    assert_eq!(table.stdout, "");
    assert_eq!(
        table.stderr,
        format!("No versions found for pipeline {}/empty.\n", ns.local)
    );
}

#[test]
fn server_dry_run_of_a_new_pipeline_says_what_was_checked() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("parity-dry-run");
    let v1 = file("train_v1.yaml");
    let out = cp
        .kfp(&ns, &["create", "fresh", "-f", &v1, "--dry-run=server"])
        .ok();
    assert_eq!(
        out.stdout,
        "pipeline.pipelines.kubeflow.org/fresh created (server dry run)\npipelineversion.pipelines.kubeflow.org/fresh-v1 created (server dry run)\n"
    );
    assert_eq!(
        out.stderr,
        "server dry run: pipeline \"fresh\" and its version passed every check the server made; a webhook that looks up the Pipeline (KFP's) would see it only once it is created\n"
    );
    assert_eq!(cp.kfp_objects(&ns.local), "");

    // Where an admission webhook denies the version because its Pipeline does not exist (as
    // KFP's does; imitated here by a ValidatingAdmissionPolicy with KFP's message), the dry run
    // still passes, naming what the server could not check.
    let policy = format!("kfp-webhook-{}", ns.local);
    cp.kubectl(
        "admin",
        &["create", "-f", "-"],
        Some(&format!(
            "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {{name: {policy}}}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
    - apiGroups: [pipelines.kubeflow.org]
      apiVersions: [v2beta1]
      operations: [CREATE]
      resources: [pipelineversions]
  validations:
  - expression: object.spec.pipelineName != 'fresh'
    message: The spec.pipelineName doesn't map to an existing Pipeline object
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {{name: {policy}}}
spec:
  policyName: {policy}
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchLabels: {{kubernetes.io/metadata.name: {}}}
",
            ns.local
        )),
    );
    // The policy takes effect once the API server has loaded it.
    let mut denied = false;
    for _ in 0..100 {
        let probe = cp.kubectl_raw(
            "admin",
            &["create", "--dry-run=server", "-n", &ns.local, "-f", "-"],
            Some(&version_manifest(
                "fresh",
                "v1",
                &shared_data("pipelines/variants/train_v1.yaml"),
                false,
            )),
        );
        if probe.code != 0 && probe.stderr.contains("doesn't map to an existing Pipeline") {
            denied = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(denied, "the policy never took effect");
    let out = cp
        .kfp(&ns, &["create", "fresh", "-f", &v1, "--dry-run=server"])
        .ok();
    assert_eq!(
        out.stdout,
        "pipeline.pipelines.kubeflow.org/fresh created (server dry run)\npipelineversion.pipelines.kubeflow.org/fresh-v1 unchecked (server dry run)\n"
    );
    assert_eq!(
        out.stderr,
        "server dry run: pipeline \"fresh\" passed every check; pipelineversion \"fresh-v1\" passed the schema checks, but an admission webhook (KFP's) could not check it: it looks up the Pipeline, which exists only in this dry run\n"
    );
    assert_eq!(cp.kfp_objects(&ns.local), "");
    // A real create is still denied (nothing stands in for the webhook's real answer).
    cp.kfp(&ns, &["create", "fresh", "-f", &v1])
        .run()
        .assert_error("doesn't map to an existing Pipeline");
    assert_eq!(cp.kfp_objects(&ns.local), "");
    for kind in ["validatingadmissionpolicybinding", "validatingadmissionpolicy"] {
        cp.kubectl("admin", &["delete", kind, &policy], None);
    }
}

/// Every command that resolves or acts on one version says, on stderr, when that version is one
/// KFP does not list (no pipeline-id label); stdout is what it is for a labelled version.
#[test]
fn every_command_on_an_unlinked_version_warns_and_prints_the_same() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("parity-unlinked-one");
    let (v1, v2) = (file("train_v1.yaml"), file("train_v2.yaml"));
    cp.kfp(&ns, &["create", "train", "-f", &v1]).ok();
    next_second();
    // v2 is the latest and has no pipeline-id label (written where KFP's webhook does not run).
    cp.create(
        &ns.local,
        &version_manifest(
            "train",
            "v2",
            &shared_data("pipelines/variants/train_v2.yaml"),
            false,
        ),
    );
    let local = &ns.local;
    let warning = format!(
        "warning: version \"v2\" (object \"train-v2\") of pipeline \"train\" in namespace \"{local}\" has no pipelines.kubeflow.org/pipeline-id label: it is counted by spec.pipelineName, but KFP does not list it; kubectl kfp doctor -n {local} --fix adds it\n"
    );
    // Each command with its exit code, and how often it names v2 (a predecessor diff of v2 names
    // it once, as side B; v1 is labelled and never warned about).
    let commands: Vec<(Vec<&str>, i32, usize)> = vec![
        (vec!["get", "train", "-o", "name"], 0, 1),
        (vec!["get", "train@latest", "--spec"], 0, 1),
        (vec!["get", "train@v2", "-o", "name"], 0, 1),
        (vec!["get", "train@v1", "-o", "name"], 0, 0),
        (vec!["diff", "train@v1", "train@v2"], 1, 1),
        (vec!["diff", "train@v2", "train@v1"], 1, 1),
        (vec!["diff", "train@v2", "train@v2"], 0, 2),
        (vec!["diff", "train"], 1, 1),
        (vec!["diff", "train@v2", "-f", &v2], 0, 1),
        (vec!["diff", "train@v1", "-f", &v1], 0, 0),
        (vec!["create", "train", "-f", &v2], 0, 1),
        (vec!["create", "train", "-f", &v2, "--dry-run=client"], 0, 1),
        (vec!["create", "train", "-f", &v2, "--dry-run=server"], 0, 1),
        (vec!["create", "train", "-f", &v1], 0, 0),
    ];
    let mut unlinked = Vec::new();
    for (args, code, warnings) in &commands {
        let out = cp.kfp(&ns, args).run();
        assert_eq!(out.code, *code, "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr, warning.repeat(*warnings), "{args:?}");
        unlinked.push(out.stdout);
    }
    assert_eq!(unlinked[0], "pipelineversion.pipelines.kubeflow.org/train-v2\n");
    assert_eq!(
        unlinked[10],
        "pipelineversion.pipelines.kubeflow.org/train-v2 unchanged\n"
    );
    assert_eq!(
        unlinked[11],
        "pipelineversion.pipelines.kubeflow.org/train-v2 unchanged (dry run)\n"
    );

    // tag and promote act on it: the same warning, kubectl's lines on stdout.
    let out = cp.kfp(&ns, &["tag", "train@v2", "team=ml"]).ok();
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        (
            "pipelineversion.pipelines.kubeflow.org/train-v2 tagged\n",
            warning.as_str()
        )
    );
    let out = cp
        .kfp(&ns, &["promote", "train@team=ml", "--to", &ns.other, "--yes"])
        .ok();
    assert_eq!(
        out.stdout,
        "pipeline.pipelines.kubeflow.org/train created\npipelineversion.pipelines.kubeflow.org/train-v2 created\n"
    );
    assert!(out.stderr.starts_with(&warning), "{}", out.stderr);
    assert_eq!(out.stderr.matches("warning:").count(), 1, "{}", out.stderr);

    // Labelled as KFP's webhook would: the same stdout, no warning.
    let pipeline_uid = cp.get_json(local, &format!("{PIPELINES}/train"))["metadata"]["uid"]
        .as_str()
        .unwrap()
        .to_string();
    cp.kubectl(
        "admin",
        &[
            "label",
            &format!("{VERSIONS}/train-v2"),
            "-n",
            local,
            &format!("pipelines.kubeflow.org/pipeline-id={pipeline_uid}"),
        ],
        None,
    );
    for ((args, code, _), before) in commands.iter().zip(&unlinked) {
        let out = cp.kfp(&ns, args).run();
        assert_eq!(out.code, *code, "{args:?}: {}", out.stderr);
        assert_eq!(out.stderr, "", "{args:?}");
        assert_eq!(&out.stdout, before, "{args:?}");
    }
}
