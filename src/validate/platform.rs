//! The platform spec: strictly a `PlatformSpec`, and each executor's Kubernetes settings
//! strictly a kfp-kubernetes `KubernetesExecutorConfig`. KFP keeps those settings as a free-form
//! Struct and reads them only when a run starts, so a typo there would fail every run.

use serde_json::Value;

use super::schema::Schema;
use super::{SpecError, strict};

const PREFIX: &str = "platformSpec";

pub fn check(platform_spec: &Value, schema: &Schema) -> Result<(), SpecError> {
    strict::parse(platform_spec, &schema.platform_spec, PREFIX)?;
    let Some(kubernetes) = platform_spec
        .get("platforms")
        .and_then(|platforms| platforms.get("kubernetes"))
    else {
        return Ok(());
    };
    // The strict parse accepted the document, so each field is spelled one way: its JSON name
    // or its proto name.
    let (deployment_key, deployment) = match field(kubernetes, "deploymentSpec", "deployment_spec") {
        Some(found) => found,
        None => return Ok(()),
    };
    let Some(Value::Object(executors)) = deployment.get("executors") else {
        return Ok(());
    };
    for (name, config) in executors {
        let mut prefix = format!("{PREFIX}.platforms['kubernetes'].{deployment_key}.executors");
        strict::push_key(&mut prefix, name);
        strict::parse(config, &schema.kubernetes_executor_config, &prefix)?;
    }
    Ok(())
}

fn field<'a>(
    object: &'a Value,
    json_name: &'static str,
    proto_name: &'static str,
) -> Option<(&'static str, &'a Value)> {
    object
        .get(json_name)
        .map(|value| (json_name, value))
        .or_else(|| object.get(proto_name).map(|value| (proto_name, value)))
}
