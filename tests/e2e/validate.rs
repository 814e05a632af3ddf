//! Specs KFP would refuse are refused by `create` and `promote` before any request: exit 2, one
//! error line naming the field, nothing written (`-v 6` would log any request).

use std::path::{Path, PathBuf};

use kubectl_kfp::manifest;
use serde_json::{Value, json};

use crate::support::{ControlPlane, pipeline_manifest, repo, shared_data};

/// A compiled pipeline from the test data as JSON (`[pipelineSpec, platformSpec?]` documents),
/// changed by `edit`, written to `dir/name`.
fn variant(
    dir: &Path,
    name: &str,
    source: &str,
    edit: impl FnOnce(&mut Value, &mut Option<Value>),
) -> PathBuf {
    let compiled = manifest::read(&shared_data(&format!("pipelines/variants/{source}"))).expect("test data");
    let (mut spec, mut platform) = (compiled.pipeline_spec, compiled.platform_spec);
    edit(&mut spec, &mut platform);
    let mut text = serde_json::to_string(&spec).unwrap();
    if let Some(platform) = platform {
        text.push_str("\n---\n");
        text.push_str(&serde_json::to_string(&platform).unwrap());
    }
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn create_refuses_what_kfp_refuses_with_the_field_and_writes_nothing() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("validate-create");
    let dir = tempfile::tempdir_in(&cp.dir).expect("temp dir");
    let dir = dir.path();
    let executor_reason =
        "unknown field of SecretAsEnv; it has secretName, keyToEnv, optional, secretNameParameter";
    let cases: Vec<(PathBuf, String)> = vec![
        (
            variant(dir, "schema-2.0.0.yaml", "train_v1.yaml", |s, _| s["schemaVersion"] = json!("2.0.0")),
            r#"schemaVersion: is "2.0.0"; KFP accepts only "2.1.0""#.into(),
        ),
        (
            variant(dir, "no-schema.yaml", "train_v1.yaml", |s, _| {
                s.as_object_mut().unwrap().remove("schemaVersion");
            }),
            r#"schemaVersion: is missing; KFP accepts only "2.1.0""#.into(),
        ),
        (
            variant(dir, "root-null.yaml", "train_v1.yaml", |s, _| s["root"] = Value::Null),
            "root: is missing; a pipeline spec needs its root component".into(),
        ),
        (
            variant(dir, "unknown.yaml", "train_v1.yaml", |s, _| {
                s["root"]["dag"]["tasks"]["train"]["componentRef"]["version"] = json!("2");
            }),
            "root.dag.tasks['train'].componentRef.version: unknown field of ComponentRef; it has name".into(),
        ),
        (
            variant(dir, "wrong-type.yaml", "train_v1.yaml", |s, _| {
                s["root"]["dag"]["tasks"]["train"]["taskInfo"]["name"] = json!(42);
            }),
            "root.dag.tasks['train'].taskInfo.name: expected a string, found integer `42`".into(),
        ),
        (
            variant(dir, "bad-enum.yaml", "train_v1.yaml", |s, _| {
                s["root"]["inputDefinitions"]["parameters"]["epochs"]["parameterType"] = json!("INT");
            }),
            r#"root.inputDefinitions.parameters['epochs'].parameterType: "INT" is not a value of ParameterTypeEnum: PARAMETER_TYPE_ENUM_UNSPECIFIED, NUMBER_DOUBLE, NUMBER_INTEGER, STRING, BOOLEAN, LIST, STRUCT, TASK_FINAL_STATUS, TASK_CONFIG"#.into(),
        ),
        (
            variant(dir, "executor.yaml", "with_platform.yaml", |_, p| {
                let executors = &mut p.as_mut().unwrap()["platforms"]["kubernetes"]["deploymentSpec"]["executors"];
                executors["exec-fetch"]["secretAsEnv"][0]["secretNmae"] = json!("s3-creds");
            }),
            format!(
                "platformSpec.platforms['kubernetes'].deploymentSpec.executors['exec-fetch'].secretAsEnv[0].secretNmae: {executor_reason}"
            ),
        ),
        (
            repo().join("examples/invalid/typo-in-task.yaml"),
            "root.dag.tasks['hello'].cachingOptions.enableCahce: unknown field of CachingOptions; it has enableCache, cacheKey".into(),
        ),
    ];
    for (path, reason) in &cases {
        let file = path.to_str().unwrap();
        let out = cp.kfp(&ns, &["create", "-f", file, "-v", "6"]).run();
        out.assert_error(reason);
        assert_eq!(
            out.stderr,
            format!("error: file {file:?} is not a valid KFP pipeline spec: {reason}\n"),
            "one line, and no request logged at -v 6"
        );
        assert_eq!(out.stdout, "");
    }
    assert_eq!(cp.kfp_objects(&ns.local), "", "nothing was written");
    // The same files, fixed, are accepted: each case broke only what it names (and -v 6 does
    // log requests, so the empty logs above mean something).
    let good = variant(dir, "good.yaml", "with_platform.yaml", |_, _| {});
    let out = cp
        .kfp(&ns, &["create", "-f", good.to_str().unwrap(), "-v", "6"])
        .ok();
    assert!(
        out.stderr.lines().count() > 1,
        "requests are logged: {}",
        out.stderr
    );
}

#[test]
fn promote_refuses_a_stored_version_kfp_would_refuse() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("validate-promote");
    let dir = tempfile::tempdir_in(&cp.dir).expect("temp dir");
    // Stored by another tool where KFP's webhook does not run.
    let old = variant(dir.path(), "old.yaml", "train_v1.yaml", |s, _| {
        s["schemaVersion"] = json!("2.0.0")
    });
    let mut yaml = pipeline_manifest("train", "stored without validation");
    yaml.push_str("---\n");
    yaml.push_str(&crate::support::version_manifest("train", "v1", &old, true));
    cp.create(&ns.local, &yaml);
    let source = format!("{}/train@v1", ns.local);
    let out = cp
        .kfp(&ns, &["promote", &source, "--to", &ns.other, "--yes"])
        .run();
    out.assert_error("");
    // Written without the webhook, the version also has no pipeline-id: a warning comes first.
    assert!(out.stderr.starts_with("warning: "), "{}", out.stderr);
    assert_eq!(
        out.stderr
            .lines()
            .last()
            .map(|l| format!("{l}\n"))
            .unwrap_or_default(),
        format!(
            "error: version \"{}/train@v1\" is not a valid KFP pipeline spec: schemaVersion: is \"2.0.0\"; KFP accepts only \"2.1.0\"\n",
            ns.local
        )
    );
    assert_eq!(cp.kfp_objects(&ns.other), "", "nothing was written");
}
