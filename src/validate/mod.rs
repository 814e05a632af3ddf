//! STAND-IN for the pipeline-spec validator (the KFP-parity issue), with its fixed interface.
//! The real `src/validate/` module, written on another branch, replaces this file at merge; it
//! rejects everything this one rejects (a missing or null `root`, a schemaVersion other than
//! 2.1.0) and much more. Only `kubectl kfp doctor` calls it on this branch.

use serde_json::Value;

/// Why a spec is not one KFP can run: where (a JSON-pointer-like path) and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct SpecError {
    pub path: String,
    pub reason: String,
}

/// Checks a pipeline spec (and its platform spec) as KFP would before running it.
pub fn check(pipeline_spec: &Value, platform_spec: Option<&Value>) -> Result<(), SpecError> {
    let error = |path: &str, reason: &str| SpecError {
        path: path.to_string(),
        reason: reason.to_string(),
    };
    let Some(spec) = pipeline_spec.as_object() else {
        return Err(error("pipelineSpec", "not an object"));
    };
    match spec.get("schemaVersion").and_then(Value::as_str) {
        Some("2.1.0") => {}
        Some(other) => {
            return Err(error(
                "pipelineSpec.schemaVersion",
                &format!("{other:?} is not supported (want \"2.1.0\")"),
            ));
        }
        None => return Err(error("pipelineSpec.schemaVersion", "missing")),
    }
    if !spec.get("root").is_some_and(Value::is_object) {
        return Err(error("pipelineSpec.root", "missing or not an object"));
    }
    if let Some(platform) = platform_spec
        && !platform.is_object()
        && !platform.is_null()
    {
        return Err(error("platformSpec", "not an object"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rejects_null_root_and_old_schema() {
        let ok = json!({"schemaVersion": "2.1.0", "root": {"dag": {"tasks": {}}}});
        assert_eq!(check(&ok, None), Ok(()));
        let null_root = json!({"schemaVersion": "2.1.0", "root": null});
        assert_eq!(
            check(&null_root, None).unwrap_err().to_string(),
            "pipelineSpec.root: missing or not an object"
        );
        let old = json!({"schemaVersion": "2.0.0", "root": {}});
        assert_eq!(check(&old, None).unwrap_err().path, "pipelineSpec.schemaVersion");
    }
}
