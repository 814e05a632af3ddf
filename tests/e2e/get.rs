//! `get` against the real server: summary, object output, version selectors.

use serde_json::Value;

use crate::support::{ControlPlane, next_second, shared_data};

#[test]
fn get_summary_object_and_selectors() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("get");
    let v1 = shared_data("pipelines/variants/train_v1.yaml");
    let v2 = shared_data("pipelines/variants/train_v2.yaml");
    cp.kfp(&ns, &["create", "-f", v1.to_str().unwrap()])
        .namespace(&ns.shared)
        .ok();
    // v2 must be newer than v1: within one second KFP's UID tie-break would decide.
    next_second();
    cp.kfp(&ns, &["create", "-f", v2.to_str().unwrap()])
        .namespace(&ns.shared)
        .ok();

    let summary = cp.kfp(&ns, &["get", "train"]).ok();
    let text = &summary.stdout;
    assert!(
        text.starts_with("Pipeline:      train\nVersion:       v2\nName:          train-v2\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!("Origin:        {} (shared)\n", ns.shared)),
        "{text}"
    );
    assert!(text.contains("Digest:        sha256:"), "{text}");
    assert!(text.contains("Latest:        yes\n"), "{text}");
    assert!(text.contains("Owner:         Pipeline/train\n"), "{text}");
    assert!(text.contains("Labels:        pipelines.kubeflow.org/pipeline=train\n               pipelines.kubeflow.org/pipeline-id="), "{text}");
    let section = |title: &str| -> Vec<Vec<String>> {
        let start = text
            .find(&format!("{title}:\n"))
            .unwrap_or_else(|| panic!("no {title} in {text}"))
            + title.len()
            + 2;
        text[start..]
            .lines()
            .take_while(|l| l.starts_with("  "))
            .map(|l| {
                l.split("  ")
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(String::from)
                    .collect()
            })
            .collect()
    };
    assert_eq!(
        section("Inputs"),
        [
            ["learning_rate", "NUMBER_DOUBLE", "default 0.05"],
            ["rows", "NUMBER_INTEGER", "default 1000"]
        ]
    );
    assert_eq!(
        section("Tasks"),
        [
            vec!["evaluate", "python:3.12", "after train"],
            vec!["prepare", "python:3.11"],
            vec!["train", "python:3.12", "after prepare"]
        ]
    );

    let older = cp.kfp(&ns, &["get", &format!("{}/train@v1", ns.shared)]).ok();
    assert!(
        older.stdout.contains("Version:       v1\n") && older.stdout.contains("Latest:        no\n"),
        "{}",
        older.stdout
    );

    let object = cp.kfp(&ns, &["get", "train@train-v1", "-o", "json"]).ok();
    let value: Value = serde_json::from_str(&object.stdout).unwrap();
    assert_eq!(value["kind"], "PipelineVersion");
    assert!(value["metadata"].get("managedFields").is_none());
    let digest = value["metadata"]["annotations"]["kubectl-kfp.io/digest"]
        .as_str()
        .unwrap()
        .to_string();
    let by_digest = cp
        .kfp(&ns, &["get", &format!("train@{}", &digest[..15]), "-o", "name"])
        .ok();
    assert_eq!(
        by_digest.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v1\n"
    );
    cp.kfp(&ns, &["get", "train@v9"]).run().assert_error(&format!(
        "version \"v9\" not found in pipeline \"train\" in namespace {:?}",
        ns.shared
    ));
    cp.kfp(&ns, &["get", "train@sha256:00000000"])
        .run()
        .assert_error("version \"sha256:00000000\" not found");
}
