//! `doctor` with the cluster's machinery: Kubernetes' garbage collector deleting a version whose
//! owner is gone unless `--fix` ran first, sixteen concurrent `--fix` runs racing with another
//! writer, and the API and access checks.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::doctor::{codes, lines, pipeline, report, spec, uid, version};
use crate::support::ControlPlane;

const VERSIONS: &str = "pipelineversions.pipelines.kubeflow.org";

/// Polls (no timed assertion: the bound only ends a hung test) until `done`.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(180),
            "gave up waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// A ValidatingAdmissionPolicy that denies deleting versions in `namespace`: it holds the
/// garbage collector back while doctor runs. Returns once it is in force.
fn hold_deletes(cp: &ControlPlane, namespace: &str) -> String {
    let name = format!("hold-{namespace}");
    let policy = json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {"failurePolicy": "Fail",
                 "matchConstraints": {"resourceRules": [{"apiGroups": ["pipelines.kubeflow.org"], "apiVersions": ["*"],
                     "operations": ["DELETE"], "resources": ["pipelineversions"]}],
                     "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}}},
                 "validations": [{"expression": "false", "message": "deletes held by the test"}]}});
    let binding = json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name}, "spec": {"policyName": name, "validationActions": ["Deny"]}});
    cp.kubectl(
        "admin",
        &["create", "-f", "-"],
        Some(&format!("{policy}\n{binding}")),
    );
    cp.create(
        namespace,
        &version("probe", "probe", json!({}), spec("probe", "probe")),
    );
    wait_until("the policy holds deletes", || {
        let out = cp.kubectl_raw(
            "admin",
            &["delete", VERSIONS, "probe", "-n", namespace, "--dry-run=server"],
            None,
        );
        out.code != 0 && out.stderr.contains("deletes held by the test")
    });
    name
}

fn release(cp: &ControlPlane, name: &str) {
    cp.kubectl(
        "admin",
        &[
            "delete",
            "validatingadmissionpolicybinding,validatingadmissionpolicy",
            name,
        ],
        None,
    );
}

fn exists(cp: &ControlPlane, namespace: &str, name: &str) -> bool {
    let out = cp.kubectl_raw(
        "admin",
        &["get", VERSIONS, name, "-n", namespace, "-o", "name"],
        None,
    );
    if out.code != 0 {
        assert!(out.stderr.contains("NotFound"), "{}", out.stderr);
    }
    out.code == 0
}

#[test]
fn garbage_collector_deletes_a_dangling_version_unless_fix_ran_first() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("doctor-gc");
    let l = &ns.local;
    cp.create(l, &pipeline("train"));
    let train = uid(cp, l, "pipelines.pipelines.kubeflow.org", "train");
    let dead = "0bad0000-0000-0000-0000-000000000000";
    let dangling = |pipeline: &str| {
        json!({"labels": {"pipelines.kubeflow.org/pipeline-id": dead, "pipelines.kubeflow.org/pipeline": pipeline},
               "ownerReferences": [{"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "Pipeline",
                                    "name": pipeline, "uid": dead, "blockOwnerDeletion": true}]})
    };
    // First without doctor: the collector deletes a version whose owner does not exist.
    cp.create(
        l,
        &version("train-lost", "train", dangling("train"), spec("train", "lost")),
    );
    wait_until("the collector deletes train-lost", || {
        !exists(cp, l, "train-lost")
    });

    // Again, with the collector held back until doctor --fix has run.
    let hold = hold_deletes(cp, l);
    cp.create(
        l,
        &version("train-saved", "train", dangling("train"), spec("train", "saved")),
    );
    cp.create(
        l,
        &version("gone-v1", "gone", dangling("gone"), spec("gone", "gone")),
    );
    let out = cp.kfp(&ns, &["doctor"]).run();
    assert_eq!(out.code, 1);
    let data = lines(&out, "data");
    for line in [
        format!(
            "problem data pipelineversion {l}/gone-v1: its Pipeline \"gone\" does not exist; nor does its owner: the garbage collector will delete it"
        ),
        format!(
            "problem data pipelineversion {l}/train-saved: its owner Pipeline train (uid {dead}) does not exist: the garbage collector will delete this version"
        ),
    ] {
        assert!(data.contains(&line), "missing {line:?} in:\n{}", data.join("\n"));
    }
    let (json, _) = report(cp, &ns, &[]);
    assert!(codes(&json, "data").contains(&("OwnerMissing".into(), "pipelineversion/train-saved".into())));
    let fix = cp.kfp(&ns, &["doctor", "--fix", "--yes"]).run();
    assert!(
        fix.stdout
            .contains("pipelineversion.pipelines.kubeflow.org/train-saved configured\n"),
        "{}",
        fix.stdout
    );
    assert_eq!(fix.code, 1, "gone-v1 cannot be fixed: {}", fix.stdout);
    release(cp, &hold);
    // The collector runs again: it deletes gone-v1 and keeps the repaired version.
    wait_until("the collector deletes gone-v1", || !exists(cp, l, "gone-v1"));
    let saved = cp.get_json(l, &format!("{VERSIONS}/train-saved"));
    assert_eq!(saved["metadata"]["ownerReferences"][0]["uid"], train.as_str());
    assert!(exists(cp, l, "train-saved"));
}

#[test]
fn sixteen_concurrent_fixes_write_each_version_once_and_lose_no_other_write() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("doctor-race");
    let l = ns.local.clone();
    cp.create(&l, &pipeline("train"));
    let names: Vec<String> = (0..8).map(|i| format!("train-c{i}")).collect();
    for (i, name) in names.iter().enumerate() {
        cp.create(
            &l,
            &version(name, "train", json!({}), spec("train", &format!("c{i}"))),
        );
    }
    std::thread::scope(|scope| {
        // Another writer tags every version (read, change, replace with its resourceVersion).
        let writer = scope.spawn(|| {
            for name in &names {
                loop {
                    let mut object = cp.get_json(&l, &format!("{VERSIONS}/{name}"));
                    object["spec"]["tags"] = json!({"writer": name});
                    let out = cp.kubectl_raw("admin", &["replace", "-f", "-"], Some(&object.to_string()));
                    if out.code == 0 {
                        break;
                    }
                    assert!(
                        out.stderr.contains("the object has been modified"),
                        "{}",
                        out.stderr
                    );
                }
            }
        });
        let runs: Vec<_> = (0..16)
            .map(|_| scope.spawn(|| cp.kfp(&ns, &["doctor", "--fix", "--yes"]).run()))
            .collect();
        let mut configured: BTreeMap<String, usize> = BTreeMap::new();
        for run in runs {
            let out = run.join().expect("doctor run");
            assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
            for line in out.stdout.lines() {
                if let Some(name) = line
                    .strip_prefix("pipelineversion.pipelines.kubeflow.org/")
                    .and_then(|l| l.strip_suffix(" configured"))
                {
                    *configured.entry(name.to_string()).or_default() += 1;
                }
            }
        }
        writer.join().expect("writer");
        let once: BTreeMap<String, usize> = names.iter().map(|n| (n.clone(), 1)).collect();
        assert_eq!(configured, once, "each version is written by exactly one run");
    });
    let train = uid(cp, &l, "pipelines.pipelines.kubeflow.org", "train");
    for name in &names {
        let v = cp.get_json(&l, &format!("{VERSIONS}/{name}"));
        assert_eq!(
            v["metadata"]["labels"]["pipelines.kubeflow.org/pipeline-id"],
            train.as_str()
        );
        assert_eq!(
            v["spec"]["tags"],
            json!({"writer": name}),
            "the other writer's change survives"
        );
    }
    let after = cp.kfp(&ns, &["doctor"]).run();
    assert_eq!(after.code, 0, "{}", after.stdout);
}

#[test]
fn api_check_names_missing_crds_and_other_projects_kinds() {
    // This control plane serves Tekton's Pipeline kind and not KFP's.
    let cp = ControlPlane::without_kfp();
    let ns = cp.namespaces("doctor-api");
    let out = cp.kfp(&ns, &["doctor"]).run();
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        lines(&out, "api"),
        [
            "problem api the API group pipelines.kubeflow.org is not served: KFP's CRDs are not installed",
            "hint: install KFP in Kubernetes mode, or for a dev cluster: kubectl kfp crds | kubectl apply -f -",
            "warning api tekton.dev/v1 also serves a kind Pipeline: `kubectl get pipelines` may list those, not KFP's",
            "hint: name KFP's in full: kubectl get pipelines.pipelines.kubeflow.org",
        ]
    );
    let cp = ControlPlane::get();
    let ns = cp.namespaces("doctor-api-served");
    let out = cp.kfp(&ns, &["doctor"]).run();
    assert_eq!(
        lines(&out, "api"),
        ["ok api pipelines.kubeflow.org/v2beta1 is served with every field kubectl-kfp uses"]
    );
}

#[test]
fn access_check_names_what_each_user_can_run() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("doctor-access");
    let (l, s) = (&ns.local, &ns.shared);
    let out = cp.kfp(&ns, &["doctor"]).context("editor").run();
    assert_eq!(
        lines(&out, "access"),
        [
            format!("ok access namespace \"{l}\" for user \"editor\": list, get, create, doctor --fix"),
            format!(
                "warning access namespace \"{s}\" (shared) for user \"editor\": can list, get; cannot promote --to-shared (no create pipelines, create pipelineversions)"
            ),
            format!("hint: ask for KFP's edit role in \"{s}\""),
        ]
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    // outsider cannot read the namespace: a problem, and its data is not read.
    let out = cp.kfp(&ns, &["doctor"]).context("outsider").run();
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        lines(&out, "access")[..2],
        [
            format!(
                "problem access namespace \"{l}\" for user \"outsider\": cannot list, get, create, doctor --fix (no create pipelines, create pipelineversions, delete pipelines, get pipelines, get pipelineversions, list pipelines, list pipelineversions, update pipelineversions)"
            ),
            format!("hint: ask for KFP's view role in \"{l}\""),
        ]
    );
    let out = cp.kfp(&ns, &["doctor", "-o", "json"]).context("outsider").run();
    let json: Value = serde_json::from_str(&out.stdout).expect("json");
    let data: Vec<Value> = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["check"] == "data")
        .cloned()
        .collect();
    assert!(data.is_empty(), "{data:?}");
}
