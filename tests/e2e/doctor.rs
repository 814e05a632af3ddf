//! `doctor` against the real server: each data check with a broken state made by kubectl,
//! reported in the table and in `-o json`, repaired by `--fix` where it can be, and sixteen
//! concurrent `--fix` runs that never overwrite each other or anyone else. The garbage
//! collector, API and access checks are here too; admission is in `doctor_admission.rs`.

use serde_json::{Value, json};

use crate::support::{ControlPlane, Namespaces, Output, next_second, shared_data};

/// A valid spec; `marker` makes its digest unique.
pub fn spec(pipeline: &str, marker: &str) -> Value {
    json!({"pipelineInfo": {"name": pipeline}, "root": {"dag": {"tasks": {}}},
           "schemaVersion": "2.1.0", "sdkVersion": marker})
}

/// A PipelineVersion manifest as JSON, with the metadata given (labels, owners, annotations).
pub fn version(name: &str, pipeline: &str, metadata: Value, pipeline_spec: Value) -> String {
    let mut meta = metadata;
    meta["name"] = json!(name);
    json!({"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "PipelineVersion",
           "metadata": meta,
           "spec": {"pipelineName": pipeline, "versionName": name, "pipelineSpec": pipeline_spec}})
    .to_string()
}

pub fn pipeline(name: &str) -> String {
    json!({"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "Pipeline",
           "metadata": {"name": name}, "spec": {"displayName": name}})
    .to_string()
}

pub fn uid(cp: &ControlPlane, namespace: &str, resource: &str, name: &str) -> String {
    cp.kubectl(
        "admin",
        &[
            "get",
            resource,
            name,
            "-n",
            namespace,
            "-o",
            "jsonpath={.metadata.uid}",
        ],
        None,
    )
    .stdout
}

/// `doctor -o json` parsed.
pub fn report(cp: &ControlPlane, ns: &Namespaces, args: &[&str]) -> (Value, i32) {
    let mut all = vec!["doctor", "-o", "json"];
    all.extend_from_slice(args);
    let out = cp.kfp(ns, &all).run();
    let value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "doctor -o json printed no JSON ({e}): {}\n{}",
            out.stdout, out.stderr
        )
    });
    (value, out.code)
}

/// (code, object) of the findings of one check in a report, in order.
pub fn codes(report: &Value, check: &str) -> Vec<(String, String)> {
    report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["check"] == check)
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_string(),
                f["object"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The table lines of one check (its rows and the hints under them).
pub fn lines(out: &Output, check: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut inside = false;
    for line in out.stdout.lines().skip(1) {
        let columns: Vec<&str> = line.split_whitespace().collect();
        if columns.first() == Some(&"hint:") {
            if inside {
                lines.push(line.trim().to_string());
            }
            continue;
        }
        inside = columns.get(1) == Some(&check);
        if inside {
            lines.push(columns.join(" "));
        }
    }
    lines
}

fn create_json(cp: &ControlPlane, namespace: &str, objects: &[String]) {
    for object in objects {
        cp.create(namespace, object);
    }
}

#[test]
fn labels_kfp_needs_are_reported_and_fixed() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("doctor-labels");
    let l = &ns.local;
    create_json(cp, l, &[pipeline("train")]);
    create_json(
        cp,
        l,
        &[
            // Written while the webhook was down: no labels, no owner.
            version("train-raw", "train", json!({}), spec("train", "a")),
            // Restored from a backup: the pipeline-id of the Pipeline before.
            version(
                "train-restored",
                "train",
                json!({"labels": {"pipelines.kubeflow.org/pipeline-id": "0bad0000-0000-0000-0000-000000000000",
                                  "pipelines.kubeflow.org/pipeline": "train"}}),
                spec("train", "b"),
            ),
        ],
    );
    let train = uid(cp, l, "pipelines.pipelines.kubeflow.org", "train");
    let out = cp.kfp(&ns, &["doctor"]).run();
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        lines(&out, "data").join("\n"),
        [
            "problem data pipeline {l}/train: has 2 versions but none KFP can see (pipeline-id label): KFP's UI reports \"PipelineVersion latest not found\"".to_string(),
            format!("hint: kubectl kfp doctor -n {l} --fix"),
            format!("problem data pipelineversion {l}/train-raw: no pipelines.kubeflow.org/pipeline-id label: KFP does not list it under \"train\""),
            format!("hint: kubectl kfp doctor -n {l} --fix"),
            format!("warning data pipelineversion {l}/train-raw: label pipelines.kubeflow.org/pipeline is missing, not \"train\""),
            format!("hint: kubectl kfp doctor -n {l} --fix"),
            format!("warning data pipelineversion {l}/train-raw: no ownerReference to Pipeline \"train\": deleting the Pipeline leaves it behind"),
            format!("hint: kubectl kfp doctor -n {l} --fix"),
            format!("problem data pipelineversion {l}/train-restored: label pipelines.kubeflow.org/pipeline-id=0bad0000-0000-0000-0000-000000000000 is not the UID of Pipeline \"train\" ({train}): KFP does not list it (Pipeline re-created?)"),
            format!("hint: kubectl kfp doctor -n {l} --fix"),
            format!("warning data pipelineversion {l}/train-restored: no ownerReference to Pipeline \"train\": deleting the Pipeline leaves it behind"),
            format!("hint: kubectl kfp doctor -n {l} --fix"),
            format!("ok data namespace \"{}\": 0 pipelines, 0 versions: all visible to KFP, owned by their Pipeline, valid, digests match", ns.shared),
        ]
        .join("\n")
        .replace("{l}", l)
    );
    assert!(
        out.stderr
            .contains("3 problems, 6 warnings; 6 fixable with --fix"),
        "{}",
        out.stderr
    );
    let (json, code) = report(cp, &ns, &[]);
    assert_eq!(code, 1);
    assert_eq!(
        codes(&json, "data"),
        [
            ("PipelineWithoutVisibleVersions", "pipeline/train"),
            ("MissingPipelineID", "pipelineversion/train-raw"),
            ("PipelineLabel", "pipelineversion/train-raw"),
            ("NotOwned", "pipelineversion/train-raw"),
            ("StalePipelineID", "pipelineversion/train-restored"),
            ("NotOwned", "pipelineversion/train-restored"),
            ("DataOk", ""),
        ]
        .map(|(c, o)| (c.to_string(), o.to_string()))
    );
    let first = &json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "MissingPipelineID")
        .unwrap();
    assert_eq!(first["status"], "problem");
    assert_eq!(first["namespace"], l.as_str());
    assert_eq!(first["fixable"], true);
    assert_eq!(first["hint"], format!("kubectl kfp doctor -n {l} --fix"));

    // -A reads every namespace: this one's findings are among them.
    let (all, _) = report(cp, &ns, &["-A"]);
    let mine: Vec<&str> = all["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["namespace"] == l.as_str() && f["check"] == "data")
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert_eq!(
        mine,
        [
            "PipelineWithoutVisibleVersions",
            "MissingPipelineID",
            "PipelineLabel",
            "NotOwned",
            "StalePipelineID",
            "NotOwned"
        ]
    );

    // Dry runs write nothing.
    let before = cp.get_json(l, "pipelineversions.pipelines.kubeflow.org");
    let dry = cp
        .kfp(&ns, &["doctor", "--fix", "--dry-run=server", "--yes"])
        .run();
    assert!(
        dry.stdout
            .contains("pipelineversion.pipelines.kubeflow.org/train-raw configured (server dry run)\n"),
        "{}",
        dry.stdout
    );
    let dry = cp.kfp(&ns, &["doctor", "--fix", "--dry-run"]).run();
    assert!(
        dry.stdout
            .contains("pipelineversion.pipelines.kubeflow.org/train-restored configured (dry run)\n"),
        "{}",
        dry.stdout
    );
    assert_eq!(cp.get_json(l, "pipelineversions.pipelines.kubeflow.org"), before);

    // Without a terminal and without --yes, nothing is written.
    cp.kfp(&ns, &["doctor", "--fix"])
        .run()
        .assert_error("refusing to write without confirmation");

    let fixed = cp.kfp(&ns, &["doctor", "--fix", "--yes"]).run();
    assert_eq!(fixed.code, 0, "{}\n{}", fixed.stdout, fixed.stderr);
    assert!(
        fixed.stdout.ends_with(
            "pipelineversion.pipelines.kubeflow.org/train-raw configured\npipelineversion.pipelines.kubeflow.org/train-restored configured\n"
        ),
        "{}",
        fixed.stdout
    );
    for name in ["train-raw", "train-restored"] {
        let v = cp.get_json(l, &format!("pipelineversions.pipelines.kubeflow.org/{name}"));
        assert_eq!(
            v["metadata"]["labels"]["pipelines.kubeflow.org/pipeline-id"],
            train.as_str()
        );
        assert_eq!(
            v["metadata"]["labels"]["pipelines.kubeflow.org/pipeline"],
            "train"
        );
        assert_eq!(
            v["metadata"]["ownerReferences"],
            json!([{"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "Pipeline", "name": "train",
                    "uid": train, "blockOwnerDeletion": true}])
        );
    }
    let after = cp.kfp(&ns, &["doctor"]).run();
    assert_eq!(after.code, 0, "{}", after.stdout);
    assert_eq!(
        lines(&after, "data")[0],
        format!(
            "ok data namespace \"{l}\": 1 pipeline, 2 versions: all visible to KFP, owned by their Pipeline, valid, digests match"
        )
    );
    // KFP's view now lists them.
    let listed = cp.kfp(&ns, &["list", "train", "--no-headers"]).ok();
    assert_eq!(listed.stdout.lines().count(), 2, "{}", listed.stdout);
}

#[test]
fn content_checks_spec_digest_duplicates_and_provenance() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("doctor-content");
    let l = &ns.local;
    cp.kfp(
        &ns,
        &[
            "create",
            "-f",
            shared_data("pipelines/variants/train_v1.yaml").to_str().unwrap(),
        ],
    )
    .ok();
    let train = uid(cp, l, "pipelines.pipelines.kubeflow.org", "train");
    let labels =
        json!({"pipelines.kubeflow.org/pipeline-id": train, "pipelines.kubeflow.org/pipeline": "train"});
    let owned = |extra: Value| {
        let mut meta = json!({"labels": labels.clone(), "ownerReferences": [{"apiVersion": "pipelines.kubeflow.org/v2beta1",
            "kind": "Pipeline", "name": "train", "uid": train, "blockOwnerDeletion": true}]});
        if let Some(a) = extra.get("annotations") {
            meta["annotations"] = a.clone();
        }
        meta
    };
    let v1 = cp.get_json(l, "pipelineversions.pipelines.kubeflow.org/train-v1");
    // Later than v1 by the clock, so the copy (not v1) is the duplicate.
    next_second();
    let mut old_schema = spec("train", "old");
    old_schema["schemaVersion"] = json!("2.0.0");
    create_json(
        cp,
        l,
        &[
            version("train-old", "train", owned(json!({})), old_schema),
            version(
                "train-edited",
                "train",
                owned(
                    json!({"annotations": {"kubectl-kfp.io/digest": "sha256:0000000000000000000000000000000000000000000000000000000000000000"}}),
                ),
                spec("train", "edited"),
            ),
            version(
                "train-again",
                "train",
                owned(json!({})),
                v1["spec"]["pipelineSpec"].clone(),
            ),
            version(
                "train-promoted",
                "train",
                owned(
                    json!({"annotations": {"kubectl-kfp.io/promoted-from": format!("{}/train@v9", ns.other),
                                            "kubectl-kfp.io/promoted-from-uid": "0bad0000-0000-0000-0000-000000000000"}}),
                ),
                spec("train", "promoted"),
            ),
        ],
    );
    create_json(cp, l, &[pipeline("empty")]);
    // Nothing of `gone` exists but this version.
    create_json(cp, l, &[version("gone-v1", "gone", json!({}), spec("gone", "x"))]);
    let out = cp.kfp(&ns, &["doctor"]).run();
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    let gone_manifest = format!(
        "{{\"apiVersion\":\"pipelines.kubeflow.org/v2beta1\",\"kind\":\"Pipeline\",\"metadata\":{{\"name\":\"gone\",\"namespace\":\"{l}\"}}}}"
    );
    let v1_digest = v1["metadata"]["annotations"]["kubectl-kfp.io/digest"]
        .as_str()
        .unwrap();
    let data = lines(&out, "data");
    let expected = [
        format!(
            "warning data pipeline {l}/empty: has no versions: KFP's UI reports \"PipelineVersion latest not found\""
        ),
        format!(
            "hint: create one: kubectl kfp create empty -n {l} -f PIPELINE.yaml, or remove it: kubectl delete pipelines.pipelines.kubeflow.org empty -n {l}"
        ),
        format!("problem data pipelineversion {l}/gone-v1: its Pipeline \"gone\" does not exist"),
        format!(
            "hint: create the Pipeline, then fix: echo '{gone_manifest}' | kubectl create -f - && kubectl kfp doctor -n {l} --fix"
        ),
        format!(
            "warning data pipelineversion {l}/train-again: same content as v1 in pipeline \"train\" ({})",
            &v1_digest[..19]
        ),
        format!(
            "hint: if nothing runs it: kubectl delete pipelineversions.pipelines.kubeflow.org train-again -n {l}"
        ),
    ];
    for line in &expected {
        assert!(data.contains(line), "missing {line:?} in:\n{}", data.join("\n"));
    }
    let (json, code) = report(cp, &ns, &[]);
    assert_eq!(code, 1);
    let mut found = codes(&json, "data");
    found.sort();
    assert_eq!(
        found,
        [
            ("DataOk", ""),
            ("DigestMismatch", "pipelineversion/train-edited"),
            ("DuplicateContent", "pipelineversion/train-again"),
            ("NoPipeline", "pipelineversion/gone-v1"),
            ("PipelineWithoutVersions", "pipeline/empty"),
            ("PromotedFromMissing", "pipelineversion/train-promoted"),
            ("SpecInvalid", "pipelineversion/train-old"),
        ]
        .map(|(c, o)| (c.to_string(), o.to_string()))
    );
    let find = |code: &str| {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["code"] == code)
            .unwrap()
            .clone()
    };
    assert_eq!(
        find("SpecInvalid")["message"],
        "its spec is not valid: schemaVersion: is \"2.0.0\"; KFP accepts only \"2.1.0\""
    );
    let edited_digest = kubectl_kfp_digest(&spec("train", "edited"));
    assert_eq!(
        find("DigestMismatch")["hint"],
        format!(
            "kubectl annotate pipelineversions.pipelines.kubeflow.org train-edited -n {l} kubectl-kfp.io/digest={edited_digest} --overwrite"
        )
    );
    assert_eq!(
        find("PromotedFromMissing")["message"],
        format!(
            "it was promoted from {}/train@v9, which no longer exists",
            ns.other
        )
    );
    // Nothing here is --fix's to repair: it writes nothing and says what a person would run.
    let before = cp.get_json(l, "pipelineversions.pipelines.kubeflow.org");
    let fix = cp.kfp(&ns, &["doctor", "--fix", "--yes"]).run();
    assert_eq!(fix.code, 1);
    assert!(!fix.stdout.contains(" configured"), "{}", fix.stdout);
    assert_eq!(cp.get_json(l, "pipelineversions.pipelines.kubeflow.org"), before);
    // The hint's command repairs the digest, and doctor then agrees.
    let hint = find("DigestMismatch")["hint"].as_str().unwrap().to_string();
    let args: Vec<&str> = hint.split_whitespace().skip(1).collect();
    cp.kubectl("admin", &args, None);
    let (json, _) = report(cp, &ns, &[]);
    assert!(!codes(&json, "data").iter().any(|(c, _)| c == "DigestMismatch"));
}

/// The digest as the plugin computes it.
fn kubectl_kfp_digest(pipeline_spec: &Value) -> String {
    kubectl_kfp::digest::of(pipeline_spec, None)
}
