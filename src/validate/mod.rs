//! Validating a pipeline version's spec as KFP does, against KFP's own protobuf schema.
//!
//! KFP (`NewV2SpecTemplate` and its PipelineVersion webhook) parses the pipeline spec with
//! strict protobuf JSON into `ml_pipelines.PipelineSpec` (unknown fields, wrong types and
//! unknown enum names are errors), then requires `schemaVersion` "2.1.0", a `pipelineInfo.name`
//! matching `^[a-z0-9][a-z0-9-]{0,127}$` and a `root`. [`check`] applies the same rules, and
//! goes further where KFP only fails when a run starts: the platform spec is parsed strictly
//! into `PlatformSpec`, and each executor's Kubernetes settings
//! (`platforms.kubernetes.deploymentSpec.executors.<name>`, a free-form Struct there) into
//! kfp-kubernetes' `KubernetesExecutorConfig`.
//!
//! The schema is `kfp-2.17.3.binpb`, generated from KFP's PyPI packages by
//! `scripts/gen-descriptors` (see [`schema`]).

mod platform;
mod schema;
mod strict;

use serde_json::Value;

use crate::reference::{NameRule, check as check_name};

/// The only schema version KFP accepts (`template.SCHEMA_VERSION_2_1_0`).
pub const SCHEMA_VERSION: &str = "2.1.0";

/// Why a spec is not valid, and where.
///
/// `path` names the field the way the input spells it: fields joined by `.`, map keys as
/// `['key']`, list items as `[index]`, relative to the pipeline spec
/// (`root.dag.tasks['train'].componentRef.name`). Platform spec fields start with
/// `platformSpec.` (`platformSpec.platforms['kubernetes'].deploymentSpec.executors['exec-train'].secretAsEnv[0].secretName`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct SpecError {
    pub path: String,
    pub reason: String,
}

impl SpecError {
    fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        SpecError {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// Checks a pipeline spec, and the platform spec when there is one, as KFP would on upload
/// (plus each executor's Kubernetes settings). The schema is loaded on first use.
pub fn check(pipeline_spec: &Value, platform_spec: Option<&Value>) -> Result<(), SpecError> {
    let schema = schema::get();
    let spec = strict::parse(pipeline_spec, &schema.pipeline_spec, "")?;
    match spec.get_field_by_name("schema_version").as_deref() {
        Some(prost_reflect::Value::String(version)) if version == SCHEMA_VERSION => {}
        Some(prost_reflect::Value::String(version)) if !version.is_empty() => {
            return Err(SpecError::new(
                "schemaVersion",
                format!("is {version:?}; KFP accepts only {SCHEMA_VERSION:?}"),
            ));
        }
        _ => {
            return Err(SpecError::new(
                "schemaVersion",
                format!("is missing; KFP accepts only {SCHEMA_VERSION:?}"),
            ));
        }
    }
    let name = spec
        .get_field_by_name("pipeline_info")
        .and_then(|info| match info.as_message() {
            Some(info) => info
                .get_field_by_name("name")
                .and_then(|name| name.as_str().map(str::to_string)),
            None => None,
        })
        .unwrap_or_default();
    if name.is_empty() {
        return Err(SpecError::new("pipelineInfo.name", "is missing"));
    }
    check_name(&name, NameRule::PipelineInfoName)
        .map_err(|rule| SpecError::new("pipelineInfo.name", format!("{name:?} {rule}")))?;
    if !spec.has_field_by_name("root") {
        return Err(SpecError::new(
            "root",
            "is missing; a pipeline spec needs its root component",
        ));
    }
    if let Some(platform_spec) = platform_spec {
        platform::check(platform_spec, schema)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
