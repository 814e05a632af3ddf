//! The public types of a comparison (its two sides, its options, the changes found) and the
//! JSON document `diff -o json` prints (see the module documentation of `diff` for the format).

use serde::Serialize;
use serde_json::{Map, Value};

/// `apiVersion` of the JSON document written by [`to_json`].
pub const API_VERSION: &str = "kubectl-kfp.io/v1";
/// `kind` of the JSON document written by [`to_json`].
pub const KIND: &str = "PipelineDiff";

/// One side of a comparison.
#[derive(Debug, Clone)]
pub struct Side<'a> {
    /// Names the side in the diff headers and in the JSON `from`/`to` (a file name, `train@v1`…).
    pub label: String,
    /// The pipeline spec (KFP IR), parsed.
    pub pipeline_spec: &'a Value,
    /// The platform spec (the IR file's second document), when there is one.
    pub platform_spec: Option<&'a Value>,
}

/// What to show and what to ignore.
#[derive(Debug, Clone)]
pub struct Options {
    /// Unchanged lines shown around each change in [`unified`](super::unified).
    pub context_lines: usize,
    /// Ignore `sdkVersion`, which changes whenever the pipeline is recompiled with another SDK.
    pub ignore_sdk_version: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            context_lines: 3,
            ignore_sdk_version: false,
        }
    }
}

/// One difference, in pipeline terms. See the module documentation for the meaning of each field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// What happened: to the field when there is one, else to the thing itself.
    pub op: Op,
    /// What kind of thing changed.
    pub scope: Scope,
    /// Which one: task path, input name, component key… (see the module documentation).
    pub name: String,
    /// The field that changed: a vocabulary name or a JSON pointer; None for the whole thing.
    pub field: Option<String>,
    /// The old value; None where it did not exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The new value; None where it no longer exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// A short human note (`after train` on an added task…).
    pub detail: Option<String>,
}

/// What happened to the thing a [`Change`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Added,
    Removed,
    Changed,
    Renamed,
}

/// What kind of thing a [`Change`] names; the order is the order of
/// [`render_summary`](super::render_summary).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Pipeline,
    Input,
    Output,
    Task,
    Component,
    Executor,
    Platform,
}

impl Scope {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            Scope::Pipeline => "pipeline",
            Scope::Input => "input",
            Scope::Output => "output",
            Scope::Task => "task",
            Scope::Component => "component",
            Scope::Executor => "executor",
            Scope::Platform => "platform",
        }
    }
}

/// Stable JSON for scripts and CI bots (see the module documentation for the format).
pub fn to_json(a: &Side, b: &Side, changes: &[Change]) -> Value {
    let mut document = Map::new();
    document.insert("apiVersion".into(), Value::String(API_VERSION.into()));
    document.insert("kind".into(), Value::String(KIND.into()));
    document.insert("from".into(), Value::String(a.label.clone()));
    document.insert("to".into(), Value::String(b.label.clone()));
    document.insert("identical".into(), Value::Bool(changes.is_empty()));
    // Serializing a Change cannot fail: it holds only strings, enums and JSON values.
    let changes = changes
        .iter()
        .map(|change| serde_json::to_value(change).unwrap_or_default())
        .collect();
    document.insert("changes".into(), Value::Array(changes));
    Value::Object(document)
}

pub(super) fn entity_change(
    op: Op,
    scope: Scope,
    name: &str,
    before: Option<Value>,
    after: Option<Value>,
    detail: Option<String>,
) -> Change {
    Change {
        op,
        scope,
        name: name.to_string(),
        field: None,
        before,
        after,
        detail,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::semantic;
    use crate::diff::test_support::*;
    use serde_json::json;

    #[test]
    fn train_v1_to_v2_as_json() {
        let (old, new) = (load("variants/train_v1.yaml"), load("variants/train_v2.yaml"));
        let (old, new) = (side("train@v1", &old), side("train@v2", &new));
        let changes = semantic(&old, &new, &Options::default());
        let document = to_json(&old, &new, &changes);
        assert_eq!(document["apiVersion"], "kubectl-kfp.io/v1");
        assert_eq!(document["kind"], "PipelineDiff");
        assert_eq!(document["from"], "train@v1");
        assert_eq!(document["to"], "train@v2");
        assert_eq!(document["identical"], false);
        let listed = document["changes"].as_array().expect("changes is a list");
        assert_eq!(listed.len(), 9);
        assert!(listed.contains(&json!({
            "op": "changed", "scope": "task", "name": "train", "field": "image",
            "before": "python:3.11", "after": "python:3.12", "detail": null
        })));
        assert!(listed.contains(&json!({
            "op": "changed", "scope": "input", "name": "learning_rate", "field": "default",
            "before": 0.1, "after": 0.05, "detail": null
        })));
        assert!(listed.contains(&json!({
            "op": "changed", "scope": "task", "name": "prepare", "field": "caching",
            "before": true, "after": false, "detail": null
        })));
        assert!(listed.contains(&json!({
            "op": "removed", "scope": "input", "name": "epochs", "field": null,
            "before": {"defaultValue": 3.0, "isOptional": true, "parameterType": "NUMBER_INTEGER"},
            "detail": null
        })));
        let added = listed
            .iter()
            .find(|change| change["op"] == "added")
            .expect("an added task");
        assert_eq!(added["name"], "evaluate");
        assert_eq!(added["detail"], "after train");
        assert_eq!(added["after"]["componentRef"]["name"], "comp-evaluate");
        assert!(added.get("before").is_none(), "absent side is omitted: {added}");
    }
}
