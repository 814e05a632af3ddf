//! Typed KFP resources: `pipelines.kubeflow.org/v2beta1` Pipeline and PipelineVersion,
//! field for field as KFP's CRDs define them (committed in `tests/data/crds/`).
//!
//! `pipelineSpec` and `platformSpec` are kept as free-form JSON so nothing the SDK writes is
//! lost on a round trip.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::{CustomResource, Resource, ResourceExt};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

mod lenient;

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

    /// The name of the Pipeline this version names: `spec.pipelineName` (KFP's webhook looks
    /// the Pipeline up by it), else the `pipelines.kubeflow.org/pipeline` label, which KFP cuts
    /// to 63 characters.
    pub fn pipeline_name(&self) -> &str {
        if !self.spec.pipeline_name.is_empty() {
            return &self.spec.pipeline_name;
        }
        self.meta()
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_PIPELINE_NAME))
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// How this version relates to `pipeline` (see [`Membership`]).
    pub fn membership(&self, pipeline: &Pipeline) -> Membership {
        let id = self
            .meta()
            .labels
            .as_ref()
            .and_then(|l| l.get(LABEL_PIPELINE_ID))
            .map(String::as_str);
        Membership::of(id, self.spec.pipeline_name == pipeline.name_any(), pipeline)
    }

    /// Whether this version counts as one of `pipeline`'s versions (see [`Membership::counts`]).
    pub fn belongs_to(&self, pipeline: &Pipeline) -> bool {
        self.membership(pipeline).counts()
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

/// The owner reference KFP's webhook puts on a version (its `Default()`): the Pipeline with
/// `blockOwnerDeletion: true` and no `controller` field, so the webhook has nothing to change.
pub fn owner_reference(pipeline: &Pipeline) -> Option<OwnerReference> {
    Some(OwnerReference {
        api_version: API_VERSION.to_string(),
        kind: "Pipeline".to_string(),
        name: pipeline.name_any(),
        uid: pipeline.meta().uid.clone()?,
        controller: None,
        block_owner_deletion: Some(true),
    })
}

/// The `pipelines.kubeflow.org/pipeline` label value KFP's webhook sets: the Pipeline's name cut
/// to its first 63 bytes (`name[:63]` in Go, nothing trimmed after the cut).
pub fn pipeline_label_value(pipeline_name: &str) -> &str {
    // Object names are ASCII, so a byte cut is a character cut.
    pipeline_name.get(..63).unwrap_or(pipeline_name)
}

/// Whether the API server accepts `value` as a label value (at most 63 characters, alphanumeric
/// at both ends, `-`, `_`, `.` inside).
pub fn is_label_value(value: &str) -> bool {
    let bytes = value.as_bytes();
    let inner = |b: &u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.');
    value.is_empty()
        || (bytes.len() <= 63
            && bytes.first().is_some_and(u8::is_ascii_alphanumeric)
            && bytes.last().is_some_and(u8::is_ascii_alphanumeric)
            && bytes.iter().all(inner))
}

/// How a version relates to a Pipeline, by KFP's rule (the `pipeline-id` label equals the
/// Pipeline's UID) and ours for versions without that label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    /// Labelled with the Pipeline's UID: KFP lists it.
    Member,
    /// No `pipeline-id` label, `spec.pipelineName` names the Pipeline: counted here (latest
    /// included), but KFP does not list it.
    Unlinked,
    /// Labelled with another UID (the Pipeline was deleted and created again) but named for this
    /// one: never a member; shown so it is not lost from sight.
    Stale,
    /// Another pipeline's version.
    Other,
}

impl Membership {
    /// Counted as one of the pipeline's versions (listed, resolvable, compared by create).
    pub fn counts(self) -> bool {
        matches!(self, Membership::Member | Membership::Unlinked)
    }

    /// Decides membership from a version's `pipeline-id` label and the pipeline name it names.
    fn of(pipeline_id: Option<&str>, names_pipeline: bool, pipeline: &Pipeline) -> Membership {
        match (pipeline_id, pipeline.meta().uid.as_deref()) {
            (Some(id), Some(uid)) if id == uid => Membership::Member,
            (Some(_), _) if names_pipeline => Membership::Stale,
            (None, _) if names_pipeline => Membership::Unlinked,
            _ => Membership::Other,
        }
    }
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

    /// Pipeline `train` with UID `u1`.
    fn train_pipeline() -> Pipeline {
        serde_json::from_value(json!({
            "apiVersion": API_VERSION, "kind": "Pipeline",
            "metadata": {"name": "train", "uid": "u1"}, "spec": {}
        }))
        .unwrap()
    }

    #[test]
    fn membership_prefers_uid_label_then_name_label_then_spec() {
        let pipeline = train_pipeline();
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
    fn membership_follows_kfps_pipeline_id_rule() {
        let pipeline = train_pipeline();
        let summary = |labels: Value, pipeline_name: &str, spec: bool| -> VersionSummary {
            let mut object = json!({
                "apiVersion": API_VERSION, "kind": "PipelineVersion",
                "metadata": {"name": "v", "labels": labels},
            });
            if spec {
                object["spec"] = json!({"pipelineName": pipeline_name, "pipelineSpec": {}});
            }
            serde_json::from_value(object).unwrap()
        };
        let cases = [
            (
                json!({LABEL_PIPELINE_ID: "u1"}),
                "other",
                true,
                Membership::Member,
            ),
            (
                json!({LABEL_PIPELINE_ID: "u0", LABEL_PIPELINE_NAME: "train"}),
                "train",
                true,
                Membership::Stale,
            ),
            (
                json!({LABEL_PIPELINE_NAME: "train"}),
                "train",
                true,
                Membership::Unlinked,
            ),
            (json!({}), "train", true, Membership::Unlinked),
            (
                json!({LABEL_PIPELINE_NAME: "train"}),
                "other",
                true,
                Membership::Other,
            ),
            (json!({LABEL_PIPELINE_ID: "u0"}), "other", true, Membership::Other),
            // Metadata-only reads: the name label stands in for spec.pipelineName.
            (
                json!({LABEL_PIPELINE_ID: "u0", LABEL_PIPELINE_NAME: "train"}),
                "",
                false,
                Membership::Stale,
            ),
            (json!({LABEL_PIPELINE_ID: "u1"}), "", false, Membership::Member),
        ];
        for (labels, name, spec, want) in cases {
            let v = summary(labels.clone(), name, spec);
            assert_eq!(v.membership(&pipeline), want, "{labels} {name} {spec}");
            assert_eq!(v.belongs_to(&pipeline), want.counts());
        }
    }

    #[test]
    fn unreadable_specs_are_summarized_with_the_reason() {
        let read = |spec: Value, digest: bool| -> VersionSummary {
            let annotations = if digest {
                json!({ANNOTATION_DIGEST: "sha256:00"})
            } else {
                json!({})
            };
            let text = json!({
                "metadata": {"name": "v", "annotations": annotations},
                "spec": {"pipelineName": "p", "pipelineSpec": spec}
            })
            .to_string();
            serde_json::from_str(&text).unwrap()
        };
        for digest in [true, false] {
            let bad = read(json!({"root": null, "sdkVersion": "kfp-2"}), digest);
            assert_eq!(
                bad.unreadable.as_deref(),
                Some("spec.pipelineSpec.root is null, not an object")
            );
            assert_eq!(bad.sdk_version.as_deref(), Some("kfp-2"));
            let tasks = read(json!({"root": {"dag": {"tasks": [1]}}}), digest);
            assert_eq!(
                tasks.unreadable.as_deref(),
                Some("spec.pipelineSpec.root.dag.tasks is a list, not an object")
            );
            let good = read(json!({"root": {"dag": {"tasks": {"a": {}, "b": {}}}}}), digest);
            assert_eq!((good.unreadable, good.task_count), (None, 2));
            let scalar = read(json!("text"), digest);
            assert_eq!(
                scalar.unreadable.as_deref(),
                Some("spec.pipelineSpec is a string, not an object")
            );
        }
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
    /// Why the spec cannot be read (a field of the wrong type), e.g.
    /// `spec.pipelineSpec.root is null, not an object`.
    pub unreadable: Option<String>,
    /// `metadata.generation`: above 1 the spec was changed after creation, so a digest
    /// annotation may no longer describe it.
    pub generation: Option<i64>,
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
            unreadable: summary::read_value(&version.spec.pipeline_spec).2,
            generation: meta.generation,
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

    /// How this version relates to `pipeline` (see [`Membership`]). When only metadata was
    /// read, the name label stands in for `spec.pipelineName`.
    pub fn membership(&self, pipeline: &Pipeline) -> Membership {
        let name = pipeline.name_any();
        let names_pipeline = if self.spec_read {
            self.spec_pipeline_name == name
        } else {
            self.labels.get(LABEL_PIPELINE_NAME).map(String::as_str) == Some(pipeline_label_value(&name))
        };
        Membership::of(
            self.labels.get(LABEL_PIPELINE_ID).map(String::as_str),
            names_pipeline,
            pipeline,
        )
    }

    /// Whether this version counts as one of `pipeline`'s versions (see [`Membership::counts`]).
    pub fn belongs_to(&self, pipeline: &Pipeline) -> bool {
        self.membership(pipeline).counts()
    }

    /// See [`PipelineVersion::status_summary`].
    pub fn status_summary(&self) -> String {
        status_summary(self.status.as_ref())
    }

    /// Whether `digest` describes the spec: computed from it, or annotated on an object whose
    /// spec never changed since (generation 1; a `kubectl replace` of the spec bumps it).
    pub fn digest_trusted(&self) -> bool {
        self.digest.starts_with("sha256:")
            && (!self.digest_annotated() || self.generation.is_none_or(|generation| generation <= 1))
    }

    /// Whether `digest` was taken from the annotation rather than computed from the spec.
    pub fn digest_annotated(&self) -> bool {
        self.annotations.get(ANNOTATION_DIGEST) == Some(&self.digest)
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

    use super::lenient::{Lenient, Shape, Text, describe};
    use super::{ANNOTATION_DIGEST, PipelineVersionStatus, VersionSummary};

    /// [`read_pipeline_spec`] of a spec already parsed (objects fetched one by one).
    pub(super) fn read_value(spec: &Value) -> (Option<String>, usize, Option<String>) {
        match Lenient::<LeanPipelineSpec>::deserialize(spec) {
            Ok(lean) => read_pipeline_spec(&lean),
            Err(err) => (None, 0, Some(format!("spec.pipelineSpec: {err}"))),
        }
    }

    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    struct Meta {
        name: String,
        namespace: String,
        uid: Option<String>,
        creation_timestamp: Option<String>,
        labels: BTreeMap<String, String>,
        annotations: BTreeMap<String, String>,
        generation: Option<i64>,
    }

    /// The spec when the digest is known: the pipeline spec only for its SDK version and tasks.
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    struct LeanSpec {
        version_name: Option<String>,
        pipeline_name: String,
        display_name: Option<String>,
        tags: Option<BTreeMap<String, String>>,
        pipeline_spec: Lenient<LeanPipelineSpec>,
    }

    /// What summaries read of a pipeline spec; every field may hold the wrong type.
    #[derive(Deserialize, Default)]
    #[serde(rename_all = "camelCase", default)]
    pub(super) struct LeanPipelineSpec {
        sdk_version: Text,
        root: Lenient<LeanRoot>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct LeanRoot {
        dag: Lenient<LeanDag>,
    }

    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct LeanDag {
        tasks: Lenient<Count>,
    }

    impl Shape for LeanPipelineSpec {
        const OBJECT: bool = true;
    }
    impl Shape for LeanRoot {
        const OBJECT: bool = true;
    }
    impl Shape for LeanDag {
        const OBJECT: bool = true;
    }
    impl Shape for Count {
        const OBJECT: bool = true;
    }

    /// SDK version, root task count and, when a field has the wrong type, why the spec cannot
    /// be read (e.g. `spec.pipelineSpec.root is null, not an object`).
    pub(super) fn read_pipeline_spec(
        spec: &Lenient<LeanPipelineSpec>,
    ) -> (Option<String>, usize, Option<String>) {
        let Some(lean) = &spec.value else {
            return (None, 0, describe("spec.pipelineSpec", spec));
        };
        let root = lean.root.value.as_ref();
        let dag = root.and_then(|r| r.dag.value.as_ref());
        let tasks = dag.and_then(|d| d.tasks.value.as_ref()).map_or(0, |c| c.0);
        let problem = describe("spec.pipelineSpec.sdkVersion", &lean.sdk_version)
            .or_else(|| describe("spec.pipelineSpec.root", &lean.root))
            .or_else(|| root.and_then(|r| describe("spec.pipelineSpec.root.dag", &r.dag)))
            .or_else(|| dag.and_then(|d| describe("spec.pipelineSpec.root.dag.tasks", &d.tasks)));
        (lean.sdk_version.value.clone(), tasks, problem)
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
            }
            deserializer.deserialize_map(CountVisitor)
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
                        out.generation = meta.generation;
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
                        (out.sdk_version, out.task_count, out.unreadable) =
                            read_pipeline_spec(&spec.pipeline_spec);
                        out.tags = spec.tags.unwrap_or_default();
                    }
                    "spec" => {
                        out.spec_read = true;
                        let spec: FullSpec = map.next_value()?;
                        out.digest = crate::digest::of(&spec.pipeline_spec, spec.platform_spec.as_ref());
                        (out.sdk_version, out.task_count, out.unreadable) = read_value(&spec.pipeline_spec);
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
