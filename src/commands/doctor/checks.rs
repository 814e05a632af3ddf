//! The data checks: collected facts in, findings out. Pure and unit-tested.

use std::collections::BTreeMap;

use crate::digest;
use crate::resources::{
    ANNOTATION_DIGEST, ANNOTATION_PROMOTED_FROM, ANNOTATION_PROMOTED_FROM_UID, LABEL_PIPELINE_ID,
    LABEL_PIPELINE_NAME,
};

use super::collect::{DataState, SourceFacts, VersionFacts, same_cluster};
use super::plan::{is_pipeline_owner, pipeline_label, pipeline_of};
use super::{Area, Finding, Status};

const VERSIONS: &str = "pipelineversions.pipelines.kubeflow.org";

fn version_finding(v: &VersionFacts, status: Status, code: &'static str, message: String) -> Finding {
    Finding::new(Area::Data, status, code, message)
        .namespace(&v.namespace)
        .object("pipelineversion", &v.name)
}

fn fix_hint(namespace: &str) -> String {
    format!("kubectl kfp doctor -n {namespace} --fix")
}

/// Every data finding, namespace by namespace; an `ok` line for a namespace without any.
pub fn data(data: &DataState, server: &str) -> Vec<Finding> {
    let mut findings = Vec::new();
    for namespace in &data.namespaces {
        let before = findings.len();
        pipelines(data, namespace, &mut findings);
        for version in data.versions.iter().filter(|v| &v.namespace == namespace) {
            membership(data, version, &mut findings);
            content(version, &mut findings);
            provenance(data, version, server, &mut findings);
        }
        duplicates(data, namespace, &mut findings);
        if findings.len() == before {
            let pipelines = data
                .pipelines
                .iter()
                .filter(|p| &p.namespace == namespace)
                .count();
            let versions = data.versions.iter().filter(|v| &v.namespace == namespace).count();
            findings.push(
                Finding::new(
                    Area::Data,
                    Status::Ok,
                    "DataOk",
                    format!(
                        "{pipelines} pipeline{}, {versions} version{}: all visible to KFP, owned by their Pipeline, valid, digests match",
                        plural(pipelines),
                        plural(versions)
                    ),
                )
                .namespace(namespace),
            );
        }
    }
    findings
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// Pipelines KFP shows without a usable version ("PipelineVersion latest not found").
fn pipelines(data: &DataState, namespace: &str, findings: &mut Vec<Finding>) {
    for pipeline in data.pipelines.iter().filter(|p| p.namespace == namespace) {
        let members: Vec<&VersionFacts> = data
            .versions
            .iter()
            .filter(|v| v.namespace == namespace && v.spec_pipeline_name == pipeline.name)
            .collect();
        let visible = members
            .iter()
            .filter(|v| v.labels.get(LABEL_PIPELINE_ID) == Some(&pipeline.uid))
            .count();
        let finding = |status, code, message: String| {
            Finding::new(Area::Data, status, code, message)
                .namespace(namespace)
                .object("pipeline", &pipeline.name)
        };
        if members.is_empty() {
            findings.push(
                finding(Status::Warning, "PipelineWithoutVersions", "has no versions: KFP's UI reports \"PipelineVersion latest not found\"".into())
                    .hint(format!(
                        "create one: kubectl kfp create {} -n {namespace} -f PIPELINE.yaml, or remove it: kubectl delete pipelines.pipelines.kubeflow.org {} -n {namespace}",
                        pipeline.name, pipeline.name
                    )),
            );
        } else if visible == 0 {
            findings.push(
                finding(
                    Status::Problem,
                    "PipelineWithoutVisibleVersions",
                    format!(
                        "has {} version{} but none KFP can see (pipeline-id label): KFP's UI reports \"PipelineVersion latest not found\"",
                        members.len(),
                        plural(members.len())
                    ),
                )
                .hint(fix_hint(namespace))
                .fixable(),
            );
        }
    }
}

/// Labels and owner references against the version's Pipeline (by `spec.pipelineName`).
fn membership(data: &DataState, v: &VersionFacts, findings: &mut Vec<Finding>) {
    let owners: Vec<_> = v.owners.iter().filter(|o| is_pipeline_owner(o)).collect();
    let dangling: Vec<_> = owners
        .iter()
        .filter(|o| {
            !data
                .pipelines
                .iter()
                .any(|p| p.namespace == v.namespace && p.uid == o.uid)
        })
        .collect();
    let Some(pipeline) = pipeline_of(data, &v.namespace, &v.spec_pipeline_name) else {
        let collected = if dangling.is_empty() {
            ""
        } else {
            "; nor does its owner: the garbage collector will delete it"
        };
        let manifest = format!(
            "{{\"apiVersion\":\"pipelines.kubeflow.org/v2beta1\",\"kind\":\"Pipeline\",\"metadata\":{{\"name\":\"{}\",\"namespace\":\"{}\"}}}}",
            v.spec_pipeline_name, v.namespace
        );
        findings.push(
            version_finding(
                v,
                Status::Problem,
                "NoPipeline",
                format!(
                    "its Pipeline {:?} does not exist{collected}",
                    v.spec_pipeline_name
                ),
            )
            .hint(format!(
                "create the Pipeline, then fix: echo '{manifest}' | kubectl create -f - && {}",
                fix_hint(&v.namespace)
            )),
        );
        return;
    };
    match v.labels.get(LABEL_PIPELINE_ID) {
        None => findings.push(
            version_finding(
                v,
                Status::Problem,
                "MissingPipelineID",
                format!("no {LABEL_PIPELINE_ID} label: KFP does not list it under {:?}", pipeline.name),
            )
            .hint(fix_hint(&v.namespace))
            .fixable(),
        ),
        Some(id) if *id != pipeline.uid => findings.push(
            version_finding(
                v,
                Status::Problem,
                "StalePipelineID",
                format!(
                    "label {LABEL_PIPELINE_ID}={id} is not the UID of Pipeline {:?} ({}): KFP does not list it (Pipeline re-created?)",
                    pipeline.name, pipeline.uid
                ),
            )
            .hint(fix_hint(&v.namespace))
            .fixable(),
        ),
        Some(_) => {}
    }
    let want = pipeline_label(&pipeline.name);
    if v.labels.get(LABEL_PIPELINE_NAME) != Some(&want) {
        findings.push(
            version_finding(
                v,
                Status::Warning,
                "PipelineLabel",
                format!(
                    "label {LABEL_PIPELINE_NAME} is {}, not {want:?}",
                    v.labels
                        .get(LABEL_PIPELINE_NAME)
                        .map_or("missing".to_string(), |l| format!("{l:?}"))
                ),
            )
            .hint(fix_hint(&v.namespace))
            .fixable(),
        );
    }
    for owner in &dangling {
        findings.push(
            version_finding(
                v,
                Status::Problem,
                "OwnerMissing",
                format!(
                    "its owner Pipeline {} (uid {}) does not exist: the garbage collector will delete this version",
                    owner.name, owner.uid
                ),
            )
            .hint(fix_hint(&v.namespace))
            .fixable(),
        );
    }
    if !owners.iter().any(|o| o.uid == pipeline.uid) && dangling.is_empty() {
        findings.push(
            version_finding(
                v,
                Status::Warning,
                "NotOwned",
                format!(
                    "no ownerReference to Pipeline {:?}: deleting the Pipeline leaves it behind",
                    pipeline.name
                ),
            )
            .hint(fix_hint(&v.namespace))
            .fixable(),
        );
    }
}

/// The spec validates, and the digest annotation matches it.
fn content(v: &VersionFacts, findings: &mut Vec<Finding>) {
    if let Some(error) = &v.spec_error {
        findings.push(
            version_finding(
                v,
                Status::Problem,
                "SpecInvalid",
                format!("its spec is not valid: {error}"),
            )
            .hint(format!(
                "versions are immutable: create a corrected one, then: kubectl delete {VERSIONS} {} -n {}",
                v.name, v.namespace
            )),
        );
    }
    if let Some(stored) = &v.stored_digest
        && *stored != v.digest
    {
        findings.push(
            version_finding(
                v,
                Status::Problem,
                "DigestMismatch",
                format!(
                    "annotation {ANNOTATION_DIGEST} is {} but the content's digest is {}",
                    digest::short(stored),
                    digest::short(&v.digest)
                ),
            )
            .hint(format!(
                "kubectl annotate {VERSIONS} {} -n {} {ANNOTATION_DIGEST}={} --overwrite",
                v.name, v.namespace, v.digest
            )),
        );
    }
}

/// `promoted-from` names a version of this cluster that still exists.
fn provenance(data: &DataState, v: &VersionFacts, server: &str, findings: &mut Vec<Finding>) {
    let Some(from) = v.promoted_from.as_deref() else {
        return;
    };
    if !same_cluster(v, server) {
        return;
    }
    let Some((namespace, rest)) = from.split_once('/') else {
        return;
    };
    let (pipeline, version) = rest.split_once('@').unwrap_or((rest, ""));
    let exists = |uid: &str, p: &str, name: &str| match v.promoted_from_uid.as_deref() {
        Some(want) => uid == want,
        None => p == pipeline && name == version,
    };
    let found = if data.namespaces.iter().any(|n| n == namespace) {
        data.versions
            .iter()
            .filter(|s| s.namespace == namespace)
            .any(|s| exists(&s.uid, &s.spec_pipeline_name, &s.version_name))
    } else {
        match data.sources.get(namespace) {
            Some(Some(sources)) => sources
                .iter()
                .any(|s: &SourceFacts| exists(&s.uid, &s.pipeline, &s.version_name)),
            // Unreadable: nothing can be said.
            _ => return,
        }
    };
    if !found {
        findings.push(
            version_finding(
                v,
                Status::Warning,
                "PromotedFromMissing",
                format!("it was promoted from {from}, which no longer exists"),
            )
            .hint(format!(
                "this version is now the only copy; to drop the stale provenance: kubectl annotate {VERSIONS} {} -n {} {ANNOTATION_PROMOTED_FROM}- {ANNOTATION_PROMOTED_FROM_UID}-",
                v.name, v.namespace
            )),
        );
    }
}

/// Versions of one pipeline with the same content: each but the oldest is named.
fn duplicates(data: &DataState, namespace: &str, findings: &mut Vec<Finding>) {
    let mut groups: BTreeMap<(&str, &str), Vec<&VersionFacts>> = BTreeMap::new();
    for v in data.versions.iter().filter(|v| v.namespace == namespace) {
        groups
            .entry((v.spec_pipeline_name.as_str(), v.digest.as_str()))
            .or_default()
            .push(v);
    }
    for ((pipeline, digest), mut versions) in groups {
        if versions.len() < 2 {
            continue;
        }
        versions.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.uid.cmp(&b.uid)));
        let first = versions[0];
        for v in &versions[1..] {
            findings.push(
                version_finding(
                    v,
                    Status::Warning,
                    "DuplicateContent",
                    format!(
                        "same content as {} in pipeline {pipeline:?} ({})",
                        first.version_name,
                        digest::short(digest)
                    ),
                )
                .hint(format!(
                    "if nothing runs it: kubectl delete {VERSIONS} {} -n {namespace}",
                    v.name
                )),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::doctor::collect::PipelineFacts;
    use crate::resources::API_VERSION;
    use crate::validate::SpecError;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

    fn pipeline(name: &str, uid: &str) -> PipelineFacts {
        PipelineFacts {
            namespace: "team-a".into(),
            name: name.into(),
            uid: uid.into(),
        }
    }

    /// A version KFP's webhook would have written for `train` (uid u1).
    fn healthy(name: &str, digest: &str) -> VersionFacts {
        VersionFacts {
            namespace: "team-a".into(),
            name: name.into(),
            uid: format!("uid-{name}"),
            labels: BTreeMap::from([
                (LABEL_PIPELINE_ID.to_string(), "u1".to_string()),
                (LABEL_PIPELINE_NAME.to_string(), "train".to_string()),
            ]),
            owners: vec![OwnerReference {
                api_version: API_VERSION.into(),
                kind: "Pipeline".into(),
                name: "train".into(),
                uid: "u1".into(),
                block_owner_deletion: Some(true),
                controller: None,
            }],
            spec_pipeline_name: "train".into(),
            version_name: name.into(),
            digest: digest.into(),
            ..VersionFacts::default()
        }
    }

    fn state(pipelines: Vec<PipelineFacts>, versions: Vec<VersionFacts>) -> DataState {
        DataState {
            namespaces: vec!["team-a".into()],
            pipelines,
            versions,
            sources: BTreeMap::new(),
        }
    }

    fn codes(findings: &[Finding]) -> Vec<(&str, Option<&str>, Status)> {
        findings
            .iter()
            .map(|f| (f.code, f.object.as_deref(), f.status))
            .collect()
    }

    #[test]
    fn a_healthy_namespace_is_one_ok_line() {
        let findings = data(
            &state(vec![pipeline("train", "u1")], vec![healthy("v1", "sha256:a")]),
            "s",
        );
        assert_eq!(codes(&findings), [("DataOk", None, Status::Ok)]);
        assert_eq!(
            findings[0].message,
            "1 pipeline, 1 version: all visible to KFP, owned by their Pipeline, valid, digests match"
        );
    }

    #[test]
    fn finds_what_kfp_cannot_see_and_what_the_collector_will_delete() {
        let mut unlabelled = healthy("v2", "sha256:b");
        unlabelled.labels.clear();
        unlabelled.owners.clear();
        let mut restored = healthy("v3", "sha256:c");
        restored.labels.insert(LABEL_PIPELINE_ID.into(), "u-old".into());
        restored.owners[0].uid = "u-old".into();
        let mut orphan = healthy("x1", "sha256:d");
        orphan.spec_pipeline_name = "gone".into();
        orphan.owners[0].uid = "u-deleted".into();
        let findings = data(
            &state(
                vec![pipeline("train", "u1"), pipeline("empty", "u2")],
                vec![healthy("v1", "sha256:a"), unlabelled, restored, orphan],
            ),
            "s",
        );
        assert_eq!(
            codes(&findings),
            [
                ("PipelineWithoutVersions", Some("pipeline/empty"), Status::Warning),
                ("MissingPipelineID", Some("pipelineversion/v2"), Status::Problem),
                ("PipelineLabel", Some("pipelineversion/v2"), Status::Warning),
                ("NotOwned", Some("pipelineversion/v2"), Status::Warning),
                ("StalePipelineID", Some("pipelineversion/v3"), Status::Problem),
                ("OwnerMissing", Some("pipelineversion/v3"), Status::Problem),
                ("NoPipeline", Some("pipelineversion/x1"), Status::Problem),
            ]
        );
        let orphan = findings.last().unwrap();
        assert_eq!(
            orphan.message,
            "its Pipeline \"gone\" does not exist; nor does its owner: the garbage collector will delete it"
        );
        assert_eq!(
            orphan.hint.as_deref(),
            Some(
                "create the Pipeline, then fix: echo '{\"apiVersion\":\"pipelines.kubeflow.org/v2beta1\",\"kind\":\"Pipeline\",\"metadata\":{\"name\":\"gone\",\"namespace\":\"team-a\"}}' | kubectl create -f - && kubectl kfp doctor -n team-a --fix"
            )
        );
        assert!(!orphan.fixable);
    }

    #[test]
    fn a_pipeline_whose_versions_are_all_invisible_is_a_problem() {
        let mut v = healthy("v1", "sha256:a");
        v.labels.remove(LABEL_PIPELINE_ID);
        let findings = data(&state(vec![pipeline("train", "u1")], vec![v]), "s");
        assert_eq!(findings[0].code, "PipelineWithoutVisibleVersions");
        assert_eq!(findings[0].status, Status::Problem);
    }

    #[test]
    fn content_checks_spec_digest_and_duplicates() {
        let mut invalid = healthy("v1", "sha256:aaaaaaaaaaaaaaaa");
        invalid.spec_error = Some(SpecError {
            path: "pipelineSpec.root".into(),
            reason: "missing or not an object".into(),
        });
        let mut edited = healthy("v2", "sha256:bbbbbbbbbbbbbbbb");
        edited.stored_digest = Some("sha256:cccccccccccccccc".into());
        let mut again = healthy("v3", "sha256:bbbbbbbbbbbbbbbb");
        again.created = Some("2026-01-02T00:00:00Z".parse().unwrap());
        edited.created = Some("2026-01-01T00:00:00Z".parse().unwrap());
        let findings = data(
            &state(vec![pipeline("train", "u1")], vec![invalid, edited, again]),
            "s",
        );
        assert_eq!(
            codes(&findings),
            [
                ("SpecInvalid", Some("pipelineversion/v1"), Status::Problem),
                ("DigestMismatch", Some("pipelineversion/v2"), Status::Problem),
                ("DuplicateContent", Some("pipelineversion/v3"), Status::Warning),
            ]
        );
        assert_eq!(
            findings[0].message,
            "its spec is not valid: pipelineSpec.root: missing or not an object"
        );
        assert_eq!(
            findings[1].hint.as_deref(),
            Some(
                "kubectl annotate pipelineversions.pipelines.kubeflow.org v2 -n team-a kubectl-kfp.io/digest=sha256:bbbbbbbbbbbbbbbb --overwrite"
            )
        );
        assert_eq!(
            findings[2].message,
            "same content as v2 in pipeline \"train\" (sha256:bbbbbbbbbbbb)"
        );
    }

    #[test]
    fn provenance_is_checked_by_uid_in_this_cluster_only() {
        let mut promoted = healthy("v1", "sha256:a");
        promoted.promoted_from = Some("team-b/train@v7".into());
        promoted.promoted_from_uid = Some("src-uid".into());
        let mut elsewhere = healthy("v2", "sha256:b");
        elsewhere.promoted_from = Some("team-b/train@v7".into());
        elsewhere.promoted_from_cluster = Some("https://other".into());
        let mut s = state(vec![pipeline("train", "u1")], vec![promoted, elsewhere]);
        s.sources.insert(
            "team-b".into(),
            Some(vec![SourceFacts {
                uid: "re-created".into(),
                pipeline: "train".into(),
                version_name: "v7".into(),
            }]),
        );
        let findings = data(&s, "https://here");
        assert_eq!(
            codes(&findings),
            [("PromotedFromMissing", Some("pipelineversion/v1"), Status::Warning)]
        );
        s.sources.get_mut("team-b").unwrap().as_mut().unwrap()[0].uid = "src-uid".into();
        assert_eq!(data(&s, "https://here")[0].code, "DataOk");
    }
}
