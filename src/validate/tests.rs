use serde_json::{Value, json};

use super::*;

fn spec() -> Value {
    json!({
        "pipelineInfo": {"name": "train"},
        "root": {"dag": {"tasks": {"train": {"componentRef": {"name": "comp-train"}}}}},
        "schemaVersion": "2.1.0",
    })
}

/// The spec with `value` at `pointer`, whose parent must exist.
fn with(pointer: &str, value: Value) -> Value {
    let mut spec = spec();
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    spec.pointer_mut(parent).unwrap()[key] = value;
    spec
}

fn error(pipeline_spec: &Value, platform_spec: Option<&Value>) -> String {
    check(pipeline_spec, platform_spec).unwrap_err().to_string()
}

fn executor(config: Value) -> Value {
    json!({"platforms": {"kubernetes": {"deploymentSpec": {"executors": {"exec-train": config}}}}})
}

#[test]
fn a_valid_spec_passes_with_and_without_a_platform_spec() {
    assert_eq!(check(&spec(), None), Ok(()));
    let platform = executor(
        json!({"secretAsEnv": [{"secretName": "creds", "keyToEnv": [{"secretKey": "k", "envVar": "K"}]}]}),
    );
    assert_eq!(check(&spec(), Some(&platform)), Ok(()));
    // Proto field names are as good as JSON names, in protobuf's JSON mapping.
    let mut proto_names = spec();
    let version = proto_names
        .as_object_mut()
        .unwrap()
        .remove("schemaVersion")
        .unwrap();
    proto_names["schema_version"] = version;
    assert_eq!(check(&proto_names, Some(&json!({"platforms": {}}))), Ok(()));
}

#[test]
fn kfp_rules_on_schema_version_name_and_root() {
    assert_eq!(
        error(&with("/schemaVersion", json!("2.0.0")), None),
        r#"schemaVersion: is "2.0.0"; KFP accepts only "2.1.0""#
    );
    let mut missing = spec();
    missing.as_object_mut().unwrap().remove("schemaVersion");
    assert_eq!(
        error(&missing, None),
        r#"schemaVersion: is missing; KFP accepts only "2.1.0""#
    );
    assert_eq!(
        error(&with("/pipelineInfo/name", Value::Null), None),
        "pipelineInfo.name: is missing"
    );
    assert_eq!(
        error(&with("/pipelineInfo/name", json!("My_Pipeline")), None),
        r#"pipelineInfo.name: "My_Pipeline" is not a valid pipeline name: lowercase letters, digits and '-', starting with a letter or digit, at most 128 (^[a-z0-9][a-z0-9-]{0,127}$)"#
    );
    assert!(check(&with("/pipelineInfo/name", json!("a-")), None).is_ok());
    assert_eq!(
        error(&with("/root", Value::Null), None),
        "root: is missing; a pipeline spec needs its root component"
    );
}

#[test]
fn strict_json_errors_name_the_field() {
    assert_eq!(
        error(&with("/root/dag/tasks/train/componentRef/nmae", json!("x")), None),
        "root.dag.tasks['train'].componentRef.nmae: unknown field of ComponentRef; it has name"
    );
    assert_eq!(
        error(&with("/schemaVersion", json!(2)), None),
        "schemaVersion: expected a string, found integer `2`"
    );
    let bad_enum = with(
        "/root/inputDefinitions",
        json!({"parameters": {"epochs": {"parameterType": "INTEGER"}}}),
    );
    assert_eq!(
        error(&bad_enum, None),
        r#"root.inputDefinitions.parameters['epochs'].parameterType: "INTEGER" is not a value of ParameterTypeEnum: PARAMETER_TYPE_ENUM_UNSPECIFIED, NUMBER_DOUBLE, NUMBER_INTEGER, STRING, BOOLEAN, LIST, STRUCT, TASK_FINAL_STATUS, TASK_CONFIG"#
    );
    assert_eq!(
        error(
            &with("/root/dag/tasks/train/dependentTasks", json!(["a", 1])),
            None
        ),
        "root.dag.tasks['train'].dependentTasks[1]: expected a string, found integer `1`"
    );
    assert_eq!(
        error(&json!([]), None),
        "(document): expected a map, found sequence"
    );
    // deploymentSpec is a free-form Struct in PipelineSpec, as in KFP.
    assert!(check(&with("/deploymentSpec", json!({"executors": 1})), None).is_ok());
    // Keys that need quoting stay readable.
    let odd = with("/root/dag/tasks", json!({"it's": {"x": 1}}));
    assert_eq!(
        error(&odd, None).split(':').next().unwrap(),
        r"root.dag.tasks['it\'s'].x"
    );
}

#[test]
fn platform_specs_and_executor_settings_are_checked_strictly() {
    assert_eq!(
        error(
            &spec(),
            Some(&json!({"platforms": {"kubernetes": {"deploymentSpec": {"executor": {}}}}}))
        ),
        "platformSpec.platforms['kubernetes'].deploymentSpec.executor: unknown field of PlatformDeploymentConfig; it has executors"
    );
    let typo = executor(json!({"secretAsVolume": [{"secretNam": "creds", "mountPath": "/c"}]}));
    assert_eq!(
        error(&spec(), Some(&typo)),
        "platformSpec.platforms['kubernetes'].deploymentSpec.executors['exec-train'].secretAsVolume[0].secretNam: unknown field of SecretAsVolume; it has secretName, mountPath, optional, secretNameParameter"
    );
    let wrong = executor(json!({"activeDeadlineSeconds": "soon"}));
    assert!(
        error(&spec(), Some(&wrong)).starts_with(
            "platformSpec.platforms['kubernetes'].deploymentSpec.executors['exec-train'].activeDeadlineSeconds: "
        ),
        "{}",
        error(&spec(), Some(&wrong))
    );
    // Other platforms are not KFP's to check beyond PlatformSpec.
    let other = json!({"platforms": {"vertex": {"deploymentSpec": {"executors": {"x": {"anything": 1}}}}}});
    assert!(check(&spec(), Some(&other)).is_ok());
}

#[test]
fn the_invalid_test_pipelines_are_refused() {
    let read = |file: &str| crate::manifest::read(&crate::test_data::invalid_input(file)).unwrap();
    let no_name = read("no_name.yaml");
    assert_eq!(
        error(&no_name.pipeline_spec, None),
        "pipelineInfo.name: is missing"
    );
    let unknown = read("invalid_yaml.yaml");
    assert!(
        error(&unknown.pipeline_spec, None)
            .starts_with("components_1: unknown field of PipelineSpec; it has pipelineInfo, "),
        "{}",
        error(&unknown.pipeline_spec, None)
    );
}
