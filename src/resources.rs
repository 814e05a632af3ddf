//! Typed KFP resources: `pipelines.kubeflow.org/v2beta1` Pipeline and PipelineVersion,
//! field for field as KFP's CRDs define them (see `../shared/kfp/crds/`).
//!
//! `pipelineSpec` and `platformSpec` are kept as free-form JSON so nothing the SDK writes is
//! lost on a round trip.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::{CustomResource, Resource, ResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The API group every KFP resource lives in. Always used with the version: another project
/// uses the same kind names in other versions.
pub const GROUP: &str = "pipelines.kubeflow.org";
pub const VERSION: &str = "v2beta1";
pub const API_VERSION: &str = "pipelines.kubeflow.org/v2beta1";

/// Label KFP's webhook sets on a version: the owning Pipeline's UID.
pub const LABEL_PIPELINE_ID: &str = "pipelines.kubeflow.org/pipeline-id";
/// Label KFP's webhook sets on a version: the owning Pipeline's name.
pub const LABEL_PIPELINE_NAME: &str = "pipelines.kubeflow.org/pipeline";

/// Prefix of every annotation this tool writes.
pub const ANNOTATION_PREFIX: &str = "kubectl-kfp.io/";
/// `sha256:<hex>` content digest of `{pipelineSpec, platformSpec}` (see `digest`).
pub const ANNOTATION_DIGEST: &str = "kubectl-kfp.io/digest";
/// A copy of `spec.versionName`, so lists that read only metadata can show version names.
pub const ANNOTATION_VERSION_NAME: &str = "kubectl-kfp.io/version-name";
/// Provenance written by `promote`.
pub const ANNOTATION_PROMOTED_FROM: &str = "kubectl-kfp.io/promoted-from";
pub const ANNOTATION_PROMOTED_FROM_CONTEXT: &str = "kubectl-kfp.io/promoted-from-context";
pub const ANNOTATION_PROMOTED_FROM_CLUSTER: &str = "kubectl-kfp.io/promoted-from-cluster";
pub const ANNOTATION_PROMOTED_FROM_UID: &str = "kubectl-kfp.io/promoted-from-uid";
pub const ANNOTATION_PROMOTED_AT: &str = "kubectl-kfp.io/promoted-at";

/// Spec of a Pipeline: a named container of versions.
#[derive(CustomResource, Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[kube(
    group = "pipelines.kubeflow.org",
    version = "v2beta1",
    kind = "Pipeline",
    plural = "pipelines",
    singular = "pipeline",
    namespaced,
    doc = "Pipeline is the Schema for the pipelines API."
)]
#[serde(rename_all = "camelCase")]
pub struct PipelineSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
}

/// Spec of a PipelineVersion: one immutable compiled pipeline.
#[derive(CustomResource, Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
#[kube(
    group = "pipelines.kubeflow.org",
    version = "v2beta1",
    kind = "PipelineVersion",
    plural = "pipelineversions",
    singular = "pipelineversion",
    namespaced,
    status = "PipelineVersionStatus",
    doc = "PipelineVersion is the Schema for the pipelineversions API."
)]
#[serde(rename_all = "camelCase")]
pub struct PipelineVersionSpec {
    #[serde(default, rename = "codeSourceURL", skip_serializing_if = "Option::is_none")]
    pub code_source_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(default)]
    pub pipeline_name: String,
    /// The SDK's pipeline IR, verbatim.
    #[schemars(schema_with = "free_form")]
    pub pipeline_spec: Value,
    #[serde(default, rename = "pipelineSpecURI", skip_serializing_if = "Option::is_none")]
    pub pipeline_spec_uri: Option<String>,
    /// The SDK's platform spec (Kubernetes settings), verbatim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "free_form")]
    pub platform_spec: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 253), regex(pattern = r"^[a-z0-9]([a-z0-9\.\-]*[a-z0-9])?$"))]
    pub version_name: Option<String>,
}

/// Observed state of a PipelineVersion, as KFP reports it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
pub struct PipelineVersionStatus {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<SimplifiedCondition>,
}

/// A metav1.Condition without lastTransitionTime, as KFP's CRD defines it.
#[derive(Clone, Debug, Default, Deserialize, Serialize, JsonSchema, PartialEq)]
pub struct SimplifiedCondition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub message: String,
}

fn free_form(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({ "x-kubernetes-preserve-unknown-fields": true })
}

impl PipelineVersion {
    /// The version's name as users see it: `spec.versionName`, else the object name.
    pub fn version_name(&self) -> String {
        self.spec
            .version_name
            .clone()
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| self.name_any())
    }

    /// The stored content digest annotation, if this tool (or a promote) wrote one.
    pub fn stored_digest(&self) -> Option<&str> {
        self.meta()
            .annotations
            .as_ref()
            .and_then(|a| a.get(ANNOTATION_DIGEST))
            .map(String::as_str)
    }

    /// The name of the Pipeline this version belongs to, as KFP decides it:
    /// the `pipelines.kubeflow.org/pipeline` label when present, else `spec.pipelineName`.
    pub fn pipeline_name(&self) -> &str {
        self.meta()
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_PIPELINE_NAME))
            .map(String::as_str)
            .unwrap_or(&self.spec.pipeline_name)
    }

    /// Whether this version belongs to `pipeline` (by UID label, else name label, else spec).
    pub fn belongs_to(&self, pipeline: &Pipeline) -> bool {
        let labels = self.meta().labels.as_ref();
        if let (Some(id), Some(uid)) = (
            labels.and_then(|l| l.get(LABEL_PIPELINE_ID)),
            pipeline.meta().uid.as_ref(),
        ) {
            return id == uid;
        }
        self.pipeline_name() == pipeline.name_any()
    }

    /// `pipelineSpec.sdkVersion`, e.g. `kfp-2.7.0`.
    pub fn sdk_version(&self) -> Option<&str> {
        self.spec.pipeline_spec.get("sdkVersion").and_then(Value::as_str)
    }

    /// Number of tasks in the root DAG.
    pub fn task_count(&self) -> usize {
        self.spec
            .pipeline_spec
            .pointer("/root/dag/tasks")
            .and_then(Value::as_object)
            .map_or(0, |tasks| tasks.len())
    }

    /// A one-word status from `status.conditions`: the type of the first condition that is
    /// True (e.g. `Ready`), `Not<Type>` for a False one, `-` when there are none.
    pub fn status_summary(&self) -> String {
        status_summary(self.status.as_ref())
    }
}

fn status_summary(status: Option<&PipelineVersionStatus>) -> String {
    let conditions = status.map(|s| s.conditions.as_slice()).unwrap_or(&[]);
    if let Some(c) = conditions.iter().find(|c| c.status == "True") {
        return c.type_.clone();
    }
    match conditions.first() {
        Some(c) if c.status == "False" => format!("Not{}", c.type_),
        Some(c) => format!("{}Unknown", c.type_),
        None => "-".to_string(),
    }
}

/// The owner reference KFP's webhook puts on a version: its Pipeline, as controller.
pub fn owner_reference(pipeline: &Pipeline) -> Option<OwnerReference> {
    Some(OwnerReference {
        api_version: API_VERSION.to_string(),
        kind: "Pipeline".to_string(),
        name: pipeline.name_any(),
        uid: pipeline.meta().uid.clone()?,
        controller: Some(true),
        block_owner_deletion: None,
    })
}

/// Strips what the server owns from object metadata before printing it.
pub fn trim_metadata(meta: &mut ObjectMeta) {
    meta.managed_fields = None;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn version(value: Value) -> PipelineVersion {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn membership_prefers_uid_label_then_name_label_then_spec() {
        let pipeline: Pipeline = serde_json::from_value(json!({
            "apiVersion": API_VERSION, "kind": "Pipeline",
            "metadata": {"name": "train", "uid": "u1"}, "spec": {}
        }))
        .unwrap();
        let by_uid = version(json!({
            "apiVersion": API_VERSION, "kind": "PipelineVersion",
            "metadata": {"name": "a", "labels": {LABEL_PIPELINE_ID: "u2", LABEL_PIPELINE_NAME: "train"}},
            "spec": {"pipelineName": "train", "pipelineSpec": {}}
        }));
        assert!(
            !by_uid.belongs_to(&pipeline),
            "a different UID is another pipeline of that name"
        );
        let by_spec = version(json!({
            "apiVersion": API_VERSION, "kind": "PipelineVersion",
            "metadata": {"name": "b"}, "spec": {"pipelineName": "train", "pipelineSpec": {}}
        }));
        assert!(by_spec.belongs_to(&pipeline));
        assert_eq!(by_spec.version_name(), "b");
    }

    #[test]
    fn round_trip_keeps_unknown_spec_fields() {
        let original = json!({
            "apiVersion": API_VERSION, "kind": "PipelineVersion",
            "metadata": {"name": "train-v1"},
            "spec": {"pipelineName": "train", "versionName": "v1", "codeSourceURL": "https://x",
                     "pipelineSpecURI": "gs://y",
                     "pipelineSpec": {"pipelineInfo": {"name": "train"}, "x": [1, {"y": null}]},
                     "platformSpec": {"platforms": {"kubernetes": {}}}}
        });
        let typed = version(original.clone());
        assert_eq!(serde_json::to_value(&typed).unwrap(), original);
    }

    #[test]
    fn status_summary_reads_conditions() {
        let mut v = version(json!({
            "apiVersion": API_VERSION, "kind": "PipelineVersion",
            "metadata": {"name": "a"}, "spec": {"pipelineName": "p", "pipelineSpec": {}}
        }));
        assert_eq!(v.status_summary(), "-");
        v.status = Some(PipelineVersionStatus {
            conditions: vec![SimplifiedCondition {
                type_: "PipelineVersionStatus".into(),
                status: "True".into(),
                reason: "READY".into(),
                message: String::new(),
            }],
        });
        assert_eq!(v.status_summary(), "PipelineVersionStatus");
    }
}

/// What tables and resolution need of a PipelineVersion, read from a list response without
/// keeping its spec or managedFields (with thousands of 40 KB versions those dominate memory).
///
/// The pipeline spec is only parsed in full when the object carries no digest annotation;
/// otherwise only `sdkVersion` and the number of root tasks are picked out of it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VersionSummary {
    pub name: String,
    pub namespace: String,
    pub uid: Option<String>,
    pub created: Option<jiff::Timestamp>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// `spec.versionName`.
    pub spec_version_name: Option<String>,
    /// `spec.pipelineName`.
    pub spec_pipeline_name: String,
    pub display_name: Option<String>,
    /// `sha256:<hex>`: the annotation, else computed from the spec.
    pub digest: String,
    pub sdk_version: Option<String>,
    pub task_count: usize,
    pub status: Option<PipelineVersionStatus>,
    /// Whether the spec was read: false for metadata-only lists, where the spec fields above
    /// are empty and the version name comes from the annotation.
    pub spec_read: bool,
    /// `spec.tags` (empty when the spec was not read).
    pub tags: BTreeMap<String, String>,
}

impl VersionSummary {
    /// Summarizes a full object (for objects fetched one by one).
    pub fn of(version: &PipelineVersion) -> VersionSummary {
        let meta = version.meta();
        VersionSummary {
            name: version.name_any(),
            namespace: meta.namespace.clone().unwrap_or_default(),
            uid: meta.uid.clone(),
            created: meta.creation_timestamp.as_ref().map(|t| t.0),
            labels: meta.labels.clone().unwrap_or_default(),
            annotations: meta.annotations.clone().unwrap_or_default(),
            spec_version_name: version.spec.version_name.clone(),
            spec_pipeline_name: version.spec.pipeline_name.clone(),
            display_name: version.spec.display_name.clone(),
            digest: match version.stored_digest() {
                Some(d) if d.starts_with("sha256:") => d.to_string(),
                _ => crate::digest::of(&version.spec.pipeline_spec, version.spec.platform_spec.as_ref()),
            },
            sdk_version: version.sdk_version().map(str::to_string),
            task_count: version.task_count(),
            status: version.status.clone(),
            spec_read: true,
            tags: version.spec.tags.clone().unwrap_or_default(),
        }
    }

    /// Whether `spec.tags` has `key` (with `value`, when given).
    pub fn has_tag(&self, key: &str, value: Option<&str>) -> bool {
        self.tags
            .get(key)
            .is_some_and(|v| value.is_none_or(|wanted| v == wanted))
    }

    /// `spec.versionName`, else (metadata-only reads) its annotated copy, else the object name.
    pub fn version_name(&self) -> String {
        self.known_version_name().unwrap_or_else(|| self.name.clone())
    }

    /// The version name when what was read tells it; None when only the spec (not read) could.
    pub fn known_version_name(&self) -> Option<String> {
        if let Some(name) = self.spec_version_name.as_ref().filter(|n| !n.is_empty()) {
            return Some(name.clone());
        }
        if self.spec_read {
            return Some(self.name.clone());
        }
        self.annotations
            .get(ANNOTATION_VERSION_NAME)
            .filter(|n| !n.is_empty())
            .cloned()
    }

    /// The owning pipeline's name: the name label, else `spec.pipelineName`.
    pub fn pipeline_name(&self) -> &str {
        self.labels
            .get(LABEL_PIPELINE_NAME)
            .map(String::as_str)
            .unwrap_or(&self.spec_pipeline_name)
    }

    /// Whether this version belongs to `pipeline` (by UID label, else name label, else spec).
    pub fn belongs_to(&self, pipeline: &Pipeline) -> bool {
        if let (Some(id), Some(uid)) = (self.labels.get(LABEL_PIPELINE_ID), pipeline.meta().uid.as_ref()) {
            return id == uid;
        }
        self.pipeline_name() == pipeline.name_any()
    }

    /// See [`PipelineVersion::status_summary`].
    pub fn status_summary(&self) -> String {
        status_summary(self.status.as_ref())
    }
}

impl<'de> Deserialize<'de> for VersionSummary {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(summary::Visitor)
    }
}

/// The streaming reader behind `VersionSummary`'s Deserialize.
mod summary {
    use std::collections::BTreeMap;
    use std::fmt;

    use serde::Deserialize;
    use serde::de::{IgnoredAny, MapAccess};
    use serde_json::Value;

    use super::{ANNOTATION_DIGEST, PipelineVersionStatus, VersionSummary};

    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    struct Meta {
        name: String,
        namespace: String,
        uid: Option<String>,
        creation_timestamp: Option<String>,
        labels: BTreeMap<String, String>,
        annotations: BTreeMap<String, String>,
    }

    /// The spec when the digest is known: the pipeline spec only for its SDK version and tasks.
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    struct LeanSpec {
        version_name: Option<String>,
        pipeline_name: String,
        display_name: Option<String>,
        tags: Option<BTreeMap<String, String>>,
        pipeline_spec: LeanPipelineSpec,
    }

    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    struct LeanPipelineSpec {
        sdk_version: Option<String>,
        root: LeanRoot,
    }

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct LeanRoot {
        dag: LeanDag,
    }

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct LeanDag {
        tasks: Count,
    }

    /// Counts a map's entries without keeping them.
    #[derive(Default)]
    struct Count(usize);

    impl<'de> Deserialize<'de> for Count {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct CountVisitor;
            impl<'de> serde::de::Visitor<'de> for CountVisitor {
                type Value = Count;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a map of tasks")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Count, A::Error> {
                    let mut n = 0;
                    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {
                        n += 1;
                    }
                    Ok(Count(n))
                }
                fn visit_unit<E>(self) -> Result<Count, E> {
                    Ok(Count(0))
                }
            }
            deserializer.deserialize_any(CountVisitor)
        }
    }

    /// The spec when the digest must be computed.
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    struct FullSpec {
        version_name: Option<String>,
        pipeline_name: String,
        display_name: Option<String>,
        tags: Option<BTreeMap<String, String>>,
        pipeline_spec: Value,
        platform_spec: Option<Value>,
    }

    pub(super) struct Visitor;

    impl<'de> serde::de::Visitor<'de> for Visitor {
        type Value = VersionSummary;

        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a PipelineVersion object")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<VersionSummary, A::Error> {
            let mut out = VersionSummary::default();
            let mut have_digest = false;
            while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
                match key.as_ref() {
                    "metadata" => {
                        let meta: Meta = map.next_value()?;
                        out.name = meta.name;
                        out.namespace = meta.namespace;
                        out.uid = meta.uid;
                        out.created = meta.creation_timestamp.and_then(|t| t.parse().ok());
                        if let Some(d) = meta
                            .annotations
                            .get(ANNOTATION_DIGEST)
                            .filter(|d| d.starts_with("sha256:"))
                        {
                            out.digest = d.clone();
                            have_digest = true;
                        }
                        out.labels = meta.labels;
                        out.annotations = meta.annotations;
                    }
                    // The API server writes keys sorted, so metadata (and the digest) come first.
                    "spec" if have_digest => {
                        out.spec_read = true;
                        let spec: LeanSpec = map.next_value()?;
                        out.spec_version_name = spec.version_name;
                        out.spec_pipeline_name = spec.pipeline_name;
                        out.display_name = spec.display_name;
                        out.tags = spec.tags.unwrap_or_default();
                        out.sdk_version = spec.pipeline_spec.sdk_version;
                        out.task_count = spec.pipeline_spec.root.dag.tasks.0;
                    }
                    "spec" => {
                        out.spec_read = true;
                        let spec: FullSpec = map.next_value()?;
                        out.digest = crate::digest::of(&spec.pipeline_spec, spec.platform_spec.as_ref());
                        out.sdk_version = spec
                            .pipeline_spec
                            .get("sdkVersion")
                            .and_then(Value::as_str)
                            .map(str::to_string);
                        out.task_count = spec
                            .pipeline_spec
                            .pointer("/root/dag/tasks")
                            .and_then(Value::as_object)
                            .map_or(0, |t| t.len());
                        out.spec_version_name = spec.version_name;
                        out.spec_pipeline_name = spec.pipeline_name;
                        out.display_name = spec.display_name;
                        out.tags = spec.tags.unwrap_or_default();
                    }
                    "status" => out.status = map.next_value::<Option<PipelineVersionStatus>>()?,
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
            }
            Ok(out)
        }
    }
}
