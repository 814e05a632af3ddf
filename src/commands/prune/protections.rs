//! Reading what uses versions: KFP's ScheduledWorkflows (`kubeflow.org/v1beta1`) and copies
//! promoted from them (`kubectl-kfp.io/promoted-from-uid`), across namespaces where the user may
//! read them, saying what could not be checked.

use std::collections::BTreeSet;

use anyhow::Result;
use k8s_openapi::api::core::v1::Namespace;
use kube::ResourceExt;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};

use crate::client::{Action, Session, can_i, explain, is_forbidden, list_pages};
use crate::resolve::{self, ListRead, Paging};
use crate::resources::ANNOTATION_PROMOTED_FROM_UID;

use super::plan::Uses;

/// Whether ScheduledWorkflows could be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schedules {
    /// Read (everywhere, or in the namespaces named in the notes).
    Checked,
    /// Not readable: why, as a sentence.
    Unknown(String),
    /// Not served: KFP's ScheduledWorkflow CRD is not installed.
    Unserved,
}

impl Schedules {
    /// Why they could not be checked, and the hint for a refusal; None when they were.
    pub fn unknown(&self) -> Option<(String, String)> {
        const SKIP: &str = "pass --skip-schedule-check to delete without that check";
        match self {
            Schedules::Checked => None,
            Schedules::Unknown(why) => Some((
                why.clone(),
                format!("ask for read access to scheduledworkflows.kubeflow.org, or {SKIP}"),
            )),
            // Nothing to ask for: where KFP's recurring runs are not installed there is none.
            Schedules::Unserved => Some((
                "the server does not serve scheduledworkflows.kubeflow.org/v1beta1 (KFP's ScheduledWorkflow CRD is not installed)".to_string(),
                format!("if this cluster runs no KFP recurring runs, {SKIP}"),
            )),
        }
    }
}

/// What was found, and what the user should be told about its limits.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    pub uses: Uses,
    pub schedules: Option<Schedules>,
    /// Warnings: scopes that could not be checked.
    pub notes: Vec<String>,
}

fn scheduled_workflows() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("kubeflow.org", "v1beta1", "ScheduledWorkflow"),
        "scheduledworkflows",
    )
}

/// Reads the uses of versions in `namespaces` (the pipelines' own namespaces).
pub async fn collect(session: &Session, namespaces: &[String], with_sources: bool) -> Result<Findings> {
    let mut findings = Findings::default();
    let (schedules, copies) = futures::future::join(read_schedules(session, namespaces), async {
        if with_sources {
            Some(read_copies(session, namespaces).await)
        } else {
            None
        }
    })
    .await;
    let (schedule_uses, schedule_state, mut notes) = schedules?;
    findings.uses.scheduled_versions = schedule_uses.scheduled_versions;
    findings.uses.scheduled_pipelines = schedule_uses.scheduled_pipelines;
    findings.schedules = Some(schedule_state);
    findings.notes.append(&mut notes);
    if let Some(copies) = copies {
        let (copies, mut notes) = copies?;
        findings.uses.copies = copies;
        findings.notes.append(&mut notes);
    }
    Ok(findings)
}

/// ScheduledWorkflows across all namespaces, else in the pipelines' namespaces.
async fn read_schedules(session: &Session, namespaces: &[String]) -> Result<(Uses, Schedules, Vec<String>)> {
    let resource = scheduled_workflows();
    let params = ListParams::default().limit(500);
    let all: Api<DynamicObject> = Api::all_with(session.client.clone(), &resource);
    let mut uses = Uses::default();
    match list_pages(&all, &params).await {
        Ok(items) => {
            add_schedules(&mut uses, &items);
            return Ok((uses, Schedules::Checked, Vec::new()));
        }
        Err(err) if is_unserved(&err) => {
            return Ok((uses, Schedules::Unserved, Vec::new()));
        }
        Err(err) if is_forbidden(&err) => {}
        Err(err) => {
            return Err(explain(
                err,
                &Action::new("list", "scheduledworkflows", None),
                &session.server,
            ));
        }
    }
    for namespace in namespaces {
        let api: Api<DynamicObject> = Api::namespaced_with(session.client.clone(), namespace, &resource);
        match list_pages(&api, &params).await {
            Ok(items) => add_schedules(&mut uses, &items),
            Err(err) if is_forbidden(&err) => {
                return Ok((
                    uses,
                    Schedules::Unknown(format!(
                        "you may not list scheduledworkflows.kubeflow.org in namespace {namespace:?}"
                    )),
                    Vec::new(),
                ));
            }
            Err(err) => {
                return Err(explain(
                    err,
                    &Action::new("list", "scheduledworkflows", Some(namespace)),
                    &session.server,
                ));
            }
        }
    }
    let note = format!(
        "ScheduledWorkflows were checked in namespace {} only: you may not list them across namespaces",
        quoted(namespaces)
    );
    Ok((uses, Schedules::Checked, vec![note]))
}

/// A 404 without an object name: the resource is not served (its CRD is absent).
fn is_unserved(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == 404 && s.details.as_ref().is_none_or(|d| d.name.is_empty()))
}

/// Notes which versions a ScheduledWorkflow names (`spec.pipelineVersionId`), or which
/// pipeline when it names only that (`spec.pipelineId`: it runs the latest).
pub fn add_schedules(uses: &mut Uses, items: &[DynamicObject]) {
    for item in items {
        let spec = &item.data["spec"];
        let name = format!("{}/{}", item.namespace().unwrap_or_default(), item.name_any());
        let text = |key: &str| spec[key].as_str().filter(|s| !s.is_empty()).map(str::to_string);
        match (text("pipelineVersionId"), text("pipelineId")) {
            (Some(version), _) => uses.scheduled_versions.entry(version).or_default().push(name),
            (None, Some(pipeline)) => uses.scheduled_pipelines.entry(pipeline).or_default().push(name),
            (None, None) => {}
        }
    }
}

/// Copies promoted from any version: a metadata-only list across all namespaces, else each
/// namespace the user may read (all namespaces when they may list them, else the pipelines'
/// and the shared one).
async fn read_copies(
    session: &Session,
    namespaces: &[String],
) -> Result<(std::collections::BTreeMap<String, Vec<String>>, Vec<String>)> {
    let mut copies = std::collections::BTreeMap::new();
    let mut add = |versions: Vec<crate::resources::VersionSummary>| {
        for v in versions {
            if let Some(uid) = v
                .annotations
                .get(ANNOTATION_PROMOTED_FROM_UID)
                .filter(|u| !u.is_empty())
            {
                copies
                    .entry(uid.clone())
                    .or_insert_with(Vec::new)
                    .push(format!("{}/{}", v.namespace, v.name));
            }
        }
    };
    // An access review first: a forbidden list is then never mistaken for another failure.
    if can_i(session, "list", "pipelineversions", "").await? {
        add(all_metadata(session, None).await?);
        return Ok((copies, Vec::new()));
    }
    let (scopes, listed) = readable_namespaces(session, namespaces).await;
    let mut unreadable = Vec::new();
    for namespace in &scopes {
        if can_i(session, "list", "pipelineversions", namespace).await? {
            add(all_metadata(session, Some(namespace)).await?);
        } else {
            unreadable.push(namespace.clone());
        }
    }
    let mut notes = Vec::new();
    if !listed {
        notes.push(format!(
            "copies promoted from these versions were looked for in namespace {} only: you may not list pipelineversions across namespaces, nor namespaces",
            quoted(&scopes)
        ));
    }
    if !unreadable.is_empty() {
        notes.push(format!(
            "copies in namespace {} could not be checked: forbidden",
            quoted(&unreadable)
        ));
    }
    Ok((copies, notes))
}

async fn all_metadata(
    session: &Session,
    namespace: Option<&str>,
) -> Result<Vec<crate::resources::VersionSummary>> {
    resolve::list_summaries(session, namespace, None, Paging::Stream, ListRead::MetadataOnly).await
}

/// Every namespace when the user may list them (true), else the pipelines' and the shared one.
async fn readable_namespaces(session: &Session, namespaces: &[String]) -> (Vec<String>, bool) {
    let api: Api<Namespace> = Api::all(session.client.clone());
    if let Ok(list) = api.list_metadata(&ListParams::default()).await {
        return (list.items.iter().map(|n| n.name_any()).collect(), true);
    }
    let mut scopes: BTreeSet<String> = namespaces.iter().cloned().collect();
    scopes.insert(session.namespace.clone());
    if let Some(shared) = &session.shared.namespace {
        scopes.insert(shared.clone());
    }
    (scopes.into_iter().collect(), false)
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn schedules_name_a_version_or_only_the_pipeline() {
        let item = |name: &str, spec: serde_json::Value| -> DynamicObject {
            serde_json::from_value(json!({
                "apiVersion": "kubeflow.org/v1beta1", "kind": "ScheduledWorkflow",
                "metadata": {"name": name, "namespace": "team-a"}, "spec": spec
            }))
            .unwrap()
        };
        let mut uses = Uses::default();
        add_schedules(
            &mut uses,
            &[
                item("pinned", json!({"pipelineId": "p1", "pipelineVersionId": "v1"})),
                item("floating", json!({"pipelineId": "p1"})),
                item("other", json!({"workflow": {}})),
            ],
        );
        assert_eq!(uses.scheduled_versions["v1"], ["team-a/pinned"]);
        assert_eq!(uses.scheduled_pipelines["p1"], ["team-a/floating"]);
        assert_eq!(uses.scheduled_versions.len() + uses.scheduled_pipelines.len(), 2);
    }
}
