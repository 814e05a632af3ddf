//! Applying the fix plan: each version is re-read, repaired with [`plan::repair`] and written
//! back with update (PUT; KFP's edit role has no patch) carrying the resourceVersion just read.
//! A conflict means someone else wrote it meanwhile: read again and repair what is then there,
//! never overwrite. The object is kept as JSON, so fields this plugin does not know survive.

use std::collections::BTreeMap;

use anyhow::Result;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, PostParams};
use kube::{Api, ResourceExt};
use serde::Serialize;

use crate::cli::DryRun;
use crate::client::{Action, Session, explain, is_not_found};
use crate::interrupt;
use crate::resources::{GROUP, Pipeline, VERSION};

use super::plan::{self, Fix};

/// What happened to one planned fix.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub namespace: String,
    pub name: String,
    pub pipeline: String,
    /// `configured`, `unchanged` (already right when re-read) or `skipped`.
    pub result: &'static str,
    pub changes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<&'static str>,
}

impl Outcome {
    fn of(fix: &Fix, result: &'static str, changes: Vec<String>) -> Outcome {
        Outcome {
            namespace: fix.namespace.clone(),
            name: fix.name.clone(),
            pipeline: fix.pipeline.clone(),
            result,
            changes,
            reason: None,
            dry_run: None,
        }
    }

    /// Whether the version is right now (or would be, in a dry run).
    pub fn repaired(&self) -> bool {
        self.result != "skipped"
    }
}

/// `--dry-run=client`: the plan as outcomes, nothing sent.
pub fn dry_run_client(fixes: &[Fix]) -> Vec<Outcome> {
    fixes
        .iter()
        .map(|fix| Outcome {
            dry_run: Some("dry run"),
            ..Outcome::of(fix, "configured", fix.changes.clone())
        })
        .collect()
}

/// Attempts per version; each conflict costs one. Sixteen writers racing for one object
/// settle well within this.
const ATTEMPTS: usize = 32;

fn versions_api(session: &Session, namespace: &str) -> Api<DynamicObject> {
    let resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(GROUP, VERSION, "PipelineVersion"),
        "pipelineversions",
    );
    Api::namespaced_with(session.client.clone(), namespace, &resource)
}

/// Applies the fixes one after another, calling `report` as each ends (to print its line then).
/// After Ctrl-C none is started; the outcomes so far are returned.
pub async fn apply(
    session: &Session,
    fixes: &[Fix],
    dry_run: DryRun,
    mut report: impl FnMut(&Outcome),
) -> Result<Vec<Outcome>> {
    let params = PostParams {
        dry_run: dry_run == DryRun::Server,
        ..PostParams::default()
    };
    // The Pipeline's UID as it is now: a Pipeline re-created since the check must not be
    // written as owner from the old plan (the collector would delete the version).
    let mut current: BTreeMap<(String, String), Option<String>> = BTreeMap::new();
    let mut outcomes = Vec::new();
    for fix in fixes {
        if interrupt::requested() {
            break;
        }
        let key = (fix.namespace.clone(), fix.pipeline.clone());
        if !current.contains_key(&key) {
            let uid = match session
                .api::<Pipeline>(Some(&fix.namespace))
                .get(&fix.pipeline)
                .await
            {
                Ok(p) => p.uid(),
                Err(err) if is_not_found(&err) => None,
                Err(err) => {
                    let action = Action::new("get", "pipelines", Some(&fix.namespace)).named(&fix.pipeline);
                    return Err(explain(err, &action, &session.server));
                }
            };
            current.insert(key.clone(), uid);
        }
        let outcome = if current[&key].as_deref() != Some(fix.pipeline_uid.as_str()) {
            Outcome {
                reason: Some(format!(
                    "Pipeline {:?} was deleted or re-created since the check; run doctor again",
                    fix.pipeline
                )),
                ..Outcome::of(fix, "skipped", Vec::new())
            }
        } else {
            let mut outcome = write(session, fix, &params).await?;
            if dry_run == DryRun::Server {
                outcome.dry_run = Some("server dry run");
            }
            outcome
        };
        report(&outcome);
        outcomes.push(outcome);
    }
    Ok(outcomes)
}

/// Read, repair, update; again on conflict.
async fn write(session: &Session, fix: &Fix, params: &PostParams) -> Result<Outcome> {
    let api = versions_api(session, &fix.namespace);
    let action = |verb| Action::new(verb, "pipelineversions", Some(&fix.namespace)).named(&fix.name);
    for _ in 0..ATTEMPTS {
        let mut object = match api.get(&fix.name).await {
            Ok(object) => object,
            Err(err) if is_not_found(&err) => {
                return Ok(Outcome {
                    reason: Some("deleted since the check".into()),
                    ..Outcome::of(fix, "skipped", Vec::new())
                });
            }
            Err(err) => return Err(explain(err, &action("get"), &session.server)),
        };
        if object.data["spec"]["pipelineName"].as_str() != Some(fix.pipeline.as_str()) {
            return Ok(Outcome {
                reason: Some("its spec.pipelineName changed since the check".into()),
                ..Outcome::of(fix, "skipped", Vec::new())
            });
        }
        let meta = &mut object.metadata;
        let mut labels = meta.labels.take().unwrap_or_default();
        let mut owners = meta.owner_references.take().unwrap_or_default();
        let changes = plan::repair(&mut labels, &mut owners, &fix.pipeline, &fix.pipeline_uid);
        if changes.is_empty() {
            return Ok(Outcome::of(fix, "unchanged", changes));
        }
        meta.labels = Some(labels);
        meta.owner_references = Some(owners);
        // managedFields are the server's; sending them back only risks a stale copy.
        meta.managed_fields = None;
        match api.replace(&fix.name, params, &object).await {
            Ok(_) => return Ok(Outcome::of(fix, "configured", changes)),
            Err(kube::Error::Api(status)) if status.code == 409 => {
                tracing::debug!(
                    "conflict updating {}/{}: reading it again",
                    fix.namespace,
                    fix.name
                );
            }
            Err(err) => return Err(explain(err, &action("update"), &session.server)),
        }
    }
    Ok(Outcome {
        reason: Some(format!(
            "still conflicting after {ATTEMPTS} attempts; run doctor again"
        )),
        ..Outcome::of(fix, "skipped", Vec::new())
    })
}
