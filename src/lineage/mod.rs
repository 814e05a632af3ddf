//! Lineage and drift of versions across namespaces and clusters (`history`, `drift`).
//! `collect` reads metadata from the clusters; everything else here is pure: versions become
//! [`Record`]s, grouped into pipelines by the project's membership rule, then compared
//! (`drift`) or linked by provenance (`tree`).

pub mod collect;
pub mod drift;
pub mod tree;

use std::collections::HashMap;

use jiff::Timestamp;
use kube::ResourceExt;
use serde::Serialize;

use crate::reference::{Reference, VersionSelector};
use crate::resolve::newest_first;
use crate::resources::{
    ANNOTATION_PROMOTED_AT, ANNOTATION_PROMOTED_FROM, ANNOTATION_PROMOTED_FROM_CLUSTER,
    ANNOTATION_PROMOTED_FROM_CONTEXT, ANNOTATION_PROMOTED_FROM_UID, Pipeline, VersionSummary,
};

/// One cluster as the user named it: a kubeconfig context and its API server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ClusterId {
    /// The kubeconfig context (None in-cluster).
    pub context: Option<String>,
    /// The API server URL.
    pub server: String,
}

impl ClusterId {
    /// The context name, else the server URL: what tables show.
    pub fn label(&self) -> String {
        self.context.clone().unwrap_or_else(|| self.server.clone())
    }
}

/// What one cluster holds, as far as the user could read it.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub cluster: ClusterId,
    pub pipelines: Vec<Pipeline>,
    pub versions: Vec<VersionSummary>,
    /// Namespaces that were asked for but could not be read (403), sorted.
    pub forbidden: Vec<String>,
}

/// One version with what lineage and drift need: where it is, its content digest, its
/// provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub cluster: ClusterId,
    pub namespace: String,
    pub pipeline: String,
    pub version: String,
    /// The PipelineVersion object's name.
    pub name: String,
    pub uid: String,
    /// `sha256:<hex>`.
    pub digest: String,
    pub created: Option<Timestamp>,
    pub provenance: Option<Provenance>,
}

impl Record {
    /// A version summary read from `cluster` (its digest must be trusted: see `collect`).
    pub fn of(cluster: &ClusterId, version: &VersionSummary) -> Record {
        Record {
            cluster: cluster.clone(),
            namespace: version.namespace.clone(),
            pipeline: version.pipeline_name().to_string(),
            version: version.version_name(),
            name: version.name.clone(),
            uid: version.uid.clone().unwrap_or_default(),
            digest: version.digest.clone(),
            created: version.created,
            provenance: Provenance::of(version),
        }
    }

    /// `namespace/pipeline@version`.
    pub fn reference(&self) -> String {
        format!("{}/{}@{}", self.namespace, self.pipeline, self.version)
    }
}

/// Where `promote` recorded a copy came from (the `kubectl-kfp.io/promoted-from*` annotations).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// `namespace/pipeline@version` as written.
    pub from: String,
    pub namespace: Option<String>,
    pub pipeline: Option<String>,
    pub version: Option<String>,
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub uid: Option<String>,
    pub at: Option<Timestamp>,
}

impl Provenance {
    /// The provenance annotations of a version; None when it was not promoted.
    pub fn of(version: &VersionSummary) -> Option<Provenance> {
        let annotation = |key: &str| {
            version
                .annotations
                .get(key)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let from = annotation(ANNOTATION_PROMOTED_FROM)?;
        let parsed = Reference::parse(&from).ok();
        Some(Provenance {
            namespace: parsed.as_ref().and_then(|r| r.namespace.clone()),
            pipeline: parsed.as_ref().map(|r| r.pipeline.clone()),
            version: parsed.and_then(|r| match r.version {
                VersionSelector::Named(name) => Some(name),
                _ => None,
            }),
            context: annotation(ANNOTATION_PROMOTED_FROM_CONTEXT),
            cluster: annotation(ANNOTATION_PROMOTED_FROM_CLUSTER),
            uid: annotation(ANNOTATION_PROMOTED_FROM_UID),
            at: annotation(ANNOTATION_PROMOTED_AT).and_then(|t| t.parse().ok()),
            from,
        })
    }
}

/// A pipeline of one namespace with its member versions, newest first.
#[derive(Debug, Clone)]
pub struct Members<'a> {
    pub pipeline: &'a Pipeline,
    pub namespace: String,
    pub versions: Vec<&'a VersionSummary>,
}

impl Members<'_> {
    /// The latest version (KFP's rule: newest creationTimestamp, ties by greater UID).
    pub fn latest(&self) -> Option<&VersionSummary> {
        self.versions.first().copied()
    }
}

/// Joins pipelines with their versions by the project's rule (`VersionSummary::belongs_to`:
/// the pipeline-id label when present, else the pipeline's name) and orders each pipeline's
/// versions newest first (`resolve::newest_first`).
pub fn members<'a>(pipelines: &'a [Pipeline], versions: &'a [VersionSummary]) -> Vec<Members<'a>> {
    let mut by_name: HashMap<(&str, &str), Vec<&VersionSummary>> = HashMap::new();
    for version in versions {
        by_name
            .entry((version.namespace.as_str(), version.pipeline_name()))
            .or_default()
            .push(version);
    }
    pipelines
        .iter()
        .map(|pipeline| {
            let namespace = pipeline.namespace().unwrap_or_default();
            let name = pipeline.name_any();
            let mut mine: Vec<&VersionSummary> = by_name
                .get(&(namespace.as_str(), name.as_str()))
                .map(|vs| vs.iter().copied().filter(|v| v.belongs_to(pipeline)).collect())
                .unwrap_or_default();
            mine.sort_by(|a, b| newest_first(a, b));
            Members {
                pipeline,
                namespace,
                versions: mine,
            }
        })
        .collect()
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Versions and pipelines as list responses carry them, for the unit tests.
    use serde_json::json;

    use crate::resources::{API_VERSION, Pipeline, VersionSummary};

    pub fn pipeline(namespace: &str, name: &str, uid: &str) -> Pipeline {
        serde_json::from_value(json!({
            "apiVersion": API_VERSION, "kind": "Pipeline",
            "metadata": {"name": name, "namespace": namespace, "uid": uid}, "spec": {}
        }))
        .unwrap()
    }

    /// A metadata-only version of `pipeline` (labelled with its UID), created at second `at`.
    pub fn version(
        namespace: &str,
        pipeline_uid: &str,
        pipeline: &str,
        name: &str,
        digest: &str,
        at: u32,
        annotations: &[(&str, &str)],
    ) -> VersionSummary {
        let mut all = serde_json::Map::new();
        all.insert("kubectl-kfp.io/digest".into(), json!(format!("sha256:{digest}")));
        all.insert("kubectl-kfp.io/version-name".into(), json!(name));
        for (k, v) in annotations {
            all.insert((*k).into(), json!(v));
        }
        serde_json::from_value(json!({
            "apiVersion": "meta.k8s.io/v1", "kind": "PartialObjectMetadata",
            "metadata": {
                "name": format!("{pipeline}-{name}"), "namespace": namespace,
                "uid": format!("{namespace}-{pipeline}-{name}"),
                "creationTimestamp": format!("2026-01-01T00:{:02}:{:02}Z", at / 60, at % 60),
                "generation": 1,
                "labels": {"pipelines.kubeflow.org/pipeline": pipeline,
                           "pipelines.kubeflow.org/pipeline-id": pipeline_uid},
                "annotations": all,
            }
        }))
        .unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::{pipeline, version};
    use super::*;

    #[test]
    fn members_follow_the_uid_label_and_order_newest_first() {
        let pipelines = vec![pipeline("a", "train", "u1")];
        let versions = vec![
            version("a", "u1", "train", "v1", "11", 1, &[]),
            version("a", "u1", "train", "v2", "22", 2, &[]),
            // A re-created Pipeline's leftovers: another UID, never a member.
            version("a", "old", "train", "v9", "99", 9, &[]),
            version("b", "u1", "train", "v3", "33", 3, &[]),
        ];
        let grouped = members(&pipelines, &versions);
        let names: Vec<String> = grouped[0].versions.iter().map(|v| v.version_name()).collect();
        assert_eq!(names, ["v2", "v1"]);
        assert_eq!(grouped[0].latest().unwrap().version_name(), "v2");
    }

    #[test]
    fn provenance_is_read_from_annotations() {
        let v = version(
            "b",
            "u",
            "train",
            "v1",
            "11",
            1,
            &[
                ("kubectl-kfp.io/promoted-from", "a/train@v1"),
                ("kubectl-kfp.io/promoted-from-uid", "uid-1"),
                ("kubectl-kfp.io/promoted-from-context", "staging"),
                ("kubectl-kfp.io/promoted-at", "2026-01-02T03:04:05Z"),
            ],
        );
        let p = Provenance::of(&v).unwrap();
        assert_eq!(
            (
                p.namespace.as_deref(),
                p.pipeline.as_deref(),
                p.version.as_deref()
            ),
            (Some("a"), Some("train"), Some("v1"))
        );
        assert_eq!(p.uid.as_deref(), Some("uid-1"));
        assert_eq!(p.context.as_deref(), Some("staging"));
        assert_eq!(p.at.unwrap().to_string(), "2026-01-02T03:04:05Z");
        assert!(Provenance::of(&version("b", "u", "train", "v2", "22", 2, &[])).is_none());
    }
}
