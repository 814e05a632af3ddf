//! KFP's CRDs as committed (`tests/data/crds/`) against the plugin's own `kubectl kfp crds`:
//! they must agree on every field the plugin reads and writes, so that what the plugin writes
//! passes KFP's validation and what KFP stores reads back into the plugin's types.

use std::collections::BTreeMap;

use kubectl_kfp::yaml;
use serde_json::Value;

use crate::support::{crds_dir, plugin_binary};

/// What a schema node promises about one field. `description`, `title`, `default` and
/// `nullable` are left out: the first two are prose, the plugin never writes a default or a
/// null (`None` fields are omitted), and it reads a missing field as KFP does.
#[derive(Debug, PartialEq)]
struct Contract {
    type_: Option<Value>,
    preserve_unknown_fields: Option<Value>,
    additional_properties: Option<Value>,
    pattern: Option<Value>,
    max_length: Option<Value>,
    enum_: Option<Value>,
}

/// Every field under `root` (`spec`, `status`): path → (contract, required children).
fn fields(openapi: &Value, root: &str) -> BTreeMap<String, (Contract, Vec<String>)> {
    fn walk(schema: &Value, path: String, out: &mut BTreeMap<String, (Contract, Vec<String>)>) {
        let get = |key: &str| schema.get(key).cloned();
        let mut required: Vec<String> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).map(str::to_string).collect())
            .unwrap_or_default();
        required.sort();
        let contract = Contract {
            type_: get("type"),
            preserve_unknown_fields: get("x-kubernetes-preserve-unknown-fields"),
            additional_properties: get("additionalProperties"),
            pattern: get("pattern"),
            max_length: get("maxLength"),
            enum_: get("enum"),
        };
        out.insert(path.clone(), (contract, required));
        if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
            for (name, child) in properties {
                walk(child, format!("{path}.{name}"), out);
            }
        }
        if let Some(items) = schema.get("items") {
            walk(items, format!("{path}[]"), out);
        }
    }
    let mut out = BTreeMap::new();
    if let Some(schema) = openapi.pointer(&format!("/properties/{root}")) {
        walk(schema, root.to_string(), &mut out);
    }
    out
}

/// The parts of a CRD a client relies on: names, scope, served version, status subresource.
fn identity(crd: &Value) -> Vec<Option<&Value>> {
    [
        "/spec/group",
        "/spec/names/kind",
        "/spec/names/plural",
        "/spec/names/singular",
        "/spec/scope",
        "/spec/versions/0/name",
        "/spec/versions/0/served",
        "/spec/versions/0/storage",
        "/spec/versions/0/subresources",
    ]
    .iter()
    .map(|pointer| crd.pointer(pointer))
    .collect()
}

/// The CRDs `kubectl kfp crds` prints, by kind.
fn plugin_crds() -> BTreeMap<String, Value> {
    let out = std::process::Command::new(plugin_binary())
        .arg("crds")
        .output()
        .expect("run kubectl-kfp crds");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    yaml::documents(&String::from_utf8(out.stdout).unwrap())
        .unwrap()
        .into_iter()
        .map(|crd| (crd["spec"]["names"]["kind"].as_str().unwrap().to_string(), crd))
        .collect()
}

#[test]
fn committed_crds_and_the_plugins_crds_agree_on_every_field_it_reads_and_writes() {
    let ours = plugin_crds();
    assert_eq!(ours.keys().collect::<Vec<_>>(), ["Pipeline", "PipelineVersion"]);
    for (kind, file) in [
        ("Pipeline", "pipelines.kubeflow.org_pipelines.yaml"),
        ("PipelineVersion", "pipelines.kubeflow.org_pipelineversions.yaml"),
    ] {
        let text = std::fs::read_to_string(crds_dir().join(file)).unwrap();
        let kfp = yaml::documents(&text).unwrap().remove(0);
        let ours = &ours[kind];
        assert_eq!(
            identity(ours),
            identity(&kfp),
            "{kind}: names, scope or subresources"
        );
        let schema = |crd: &Value| crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone();
        let (ours, kfp) = (schema(ours), schema(&kfp));

        // spec: the plugin writes it. Same fields, same types and the same constraints, so the
        // server validates a write against KFP's CRD exactly as against the plugin's.
        assert_eq!(fields(&ours, "spec"), fields(&kfp, "spec"), "{kind}: spec");

        // status: the plugin only reads it. Same fields and types; the plugin may require no
        // more than KFP guarantees (it requires less: a missing reason or message reads as "").
        let (ours, kfp) = (fields(&ours, "status"), fields(&kfp, "status"));
        assert_eq!(
            ours.keys().collect::<Vec<_>>(),
            kfp.keys().collect::<Vec<_>>(),
            "{kind}: status fields"
        );
        for (path, (contract, required)) in &ours {
            let (theirs, guaranteed) = &kfp[path];
            assert_eq!(contract.type_, theirs.type_, "{kind}: {path}");
            assert_eq!(
                contract.preserve_unknown_fields, theirs.preserve_unknown_fields,
                "{kind}: {path}"
            );
            for field in required {
                assert!(
                    guaranteed.contains(field),
                    "{kind}: {path}.{field} is required by the plugin, optional in KFP's CRD"
                );
            }
        }
    }
}

#[test]
fn the_comparison_notices_a_changed_field() {
    // The walk above sees a constraint, a type and a required field change anywhere under spec.
    let text =
        std::fs::read_to_string(crds_dir().join("pipelines.kubeflow.org_pipelineversions.yaml")).unwrap();
    let crd = yaml::documents(&text).unwrap().remove(0);
    let schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"].clone();
    let spec = fields(&schema, "spec");
    assert!(spec.len() >= 10, "{:?}", spec.keys());
    for pointer in [
        "/properties/spec/properties/versionName/pattern",
        "/properties/spec/properties/tags/additionalProperties/type",
        "/properties/spec/required/0",
    ] {
        let mut changed = schema.clone();
        *changed.pointer_mut(pointer).unwrap() = Value::from("x");
        assert_ne!(fields(&changed, "spec"), spec, "{pointer}");
    }
}
