//! Writing a version into a pipeline, shared by `create` and `promote`: plan what to write
//! (pure: names, labels, owner, digest, immutability and duplicate checks), then apply it with
//! POST only (KFP's edit role has no patch), removing a Pipeline this run created when the
//! version cannot be written.

use std::collections::BTreeMap;

use anyhow::Result;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::ResourceExt;
use kube::api::{DeleteParams, PostParams, Preconditions};
use serde_json::Value;

use crate::cli::DryRun;
use crate::client::{Action, Session, explain, is_already_exists};
use crate::digest;
use crate::error::{UserError, summarize};
use crate::reference::{NameRule, check};
use crate::resolve::{self, digest_of};
use crate::resources::{
    ANNOTATION_DIGEST, ANNOTATION_VERSION_NAME, LABEL_PIPELINE_ID, LABEL_PIPELINE_NAME, Pipeline,
    PipelineSpec, PipelineVersion, PipelineVersionSpec, VersionSummary, owner_reference,
};

/// The largest object etcd stores by default (1.5 MiB); bigger ones are refused before sending.
pub const MAX_OBJECT_BYTES: usize = 1536 * 1024;

/// How often an automatically named version is renamed after losing a race.
const AUTO_NAME_ATTEMPTS: u32 = 5;

/// Everything about the version to write that does not depend on the cluster.
#[derive(Debug, Clone, Default)]
pub struct VersionDraft {
    pub pipeline_name: String,
    /// None: the next free `vN`.
    pub version_name: Option<String>,
    /// None: `<pipeline>-<version>`, as KFP's REST API names version objects.
    pub object_name: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub code_source_url: Option<String>,
    pub tags: BTreeMap<String, String>,
    pub pipeline_spec: Value,
    pub platform_spec: Option<Value>,
    /// Extra annotations (provenance), besides the digest.
    pub annotations: BTreeMap<String, String>,
    /// Used when the Pipeline must be created.
    pub pipeline_display_name: Option<String>,
    pub pipeline_description: Option<String>,
    /// Create even when a version with the same digest exists.
    pub allow_duplicate: bool,
}

/// What the target namespace holds now.
#[derive(Debug, Clone, Default)]
pub struct TargetState {
    pub pipeline: Option<Pipeline>,
    /// The pipeline's versions, newest first.
    pub versions: Vec<VersionSummary>,
}

/// What will be written.
#[derive(Debug, Clone)]
pub struct Plan {
    pub namespace: String,
    pub pipeline: PipelineStep,
    pub version: VersionStep,
    pub digest: String,
    /// The version name was chosen here and may be bumped after an AlreadyExists race.
    pub auto_named: bool,
}

#[derive(Debug, Clone)]
pub enum PipelineStep {
    Existing(Pipeline),
    Create(Pipeline),
}

#[derive(Debug, Clone)]
pub enum VersionStep {
    Create(Box<PipelineVersion>),
    /// A version with the same content exists already.
    Unchanged(Box<VersionSummary>),
}

/// Decides names and objects. Fails on an immutable-version clash or a bad name.
pub fn plan(draft: &VersionDraft, namespace: &str, target: &TargetState) -> Result<Plan, UserError> {
    let digest = digest::of(&draft.pipeline_spec, draft.platform_spec.as_ref());
    check(&draft.pipeline_name, NameRule::DnsSubdomain)
        .map_err(|rule| UserError::new(format!("pipeline name {:?} {rule}", draft.pipeline_name)))?;
    let pipeline = match &target.pipeline {
        Some(existing) => PipelineStep::Existing(existing.clone()),
        None => PipelineStep::Create(new_pipeline(draft, namespace)),
    };
    let unchanged = |existing: &VersionSummary| Plan {
        namespace: namespace.to_string(),
        pipeline: pipeline.clone(),
        version: VersionStep::Unchanged(Box::new(existing.clone())),
        digest: digest.clone(),
        auto_named: false,
    };
    if let Some(name) = &draft.version_name
        && let Some(existing) = target
            .versions
            .iter()
            .find(|v| v.spec_version_name.as_deref() == Some(name.as_str()) || v.version_name() == *name)
    {
        if existing.digest == digest {
            return Ok(unchanged(existing));
        }
        return Err(UserError::new(format!(
            "version {name:?} of pipeline {:?} in namespace {namespace:?} exists with different content ({} ≠ {})",
            draft.pipeline_name,
            digest::short(&existing.digest),
            digest::short(&digest),
        ))
        .with_hint("versions are immutable; choose another version name"));
    }
    if !draft.allow_duplicate
        && let Some(existing) = target.versions.iter().find(|v| v.digest == digest)
    {
        return Ok(unchanged(existing));
    }
    let auto_named = draft.version_name.is_none();
    let version_name = draft
        .version_name
        .clone()
        .unwrap_or_else(|| next_version_name(&target.versions, 0));
    let version = new_version(draft, namespace, &version_name, target.pipeline.as_ref(), &digest)?;
    Ok(Plan {
        namespace: namespace.to_string(),
        pipeline,
        version: VersionStep::Create(Box::new(version)),
        digest,
        auto_named,
    })
}

/// `v<N+1+skip>` where N is the highest `vN` among the versions (skip > 0 after lost races).
pub fn next_version_name(versions: &[VersionSummary], skip: u32) -> String {
    let highest = versions
        .iter()
        .filter_map(|v| {
            v.version_name()
                .strip_prefix('v')
                .and_then(|n| n.parse::<u64>().ok())
        })
        .max()
        .unwrap_or(0);
    format!("v{}", highest + 1 + u64::from(skip))
}

fn new_pipeline(draft: &VersionDraft, namespace: &str) -> Pipeline {
    Pipeline {
        metadata: ObjectMeta {
            name: Some(draft.pipeline_name.clone()),
            namespace: Some(namespace.to_string()),
            ..ObjectMeta::default()
        },
        spec: PipelineSpec {
            display_name: draft.pipeline_display_name.clone(),
            description: draft.pipeline_description.clone(),
            tags: None,
        },
    }
}

/// The version object, with what KFP's webhook would add when the Pipeline's UID is known.
fn new_version(
    draft: &VersionDraft,
    namespace: &str,
    version_name: &str,
    pipeline: Option<&Pipeline>,
    digest: &str,
) -> Result<PipelineVersion, UserError> {
    check(version_name, NameRule::VersionName)
        .map_err(|rule| UserError::new(format!("version {version_name:?} {rule}")))?;
    let object_name = draft
        .object_name
        .clone()
        .unwrap_or_else(|| format!("{}-{version_name}", draft.pipeline_name));
    check(&object_name, NameRule::DnsSubdomain).map_err(|rule| {
        UserError::new(format!("PipelineVersion name {object_name:?} {rule}"))
            .with_hint("shorten the pipeline or version name")
    })?;
    let mut annotations = draft.annotations.clone();
    annotations.insert(ANNOTATION_DIGEST.to_string(), digest.to_string());
    annotations.insert(ANNOTATION_VERSION_NAME.to_string(), version_name.to_string());
    let mut version = PipelineVersion {
        metadata: ObjectMeta {
            name: Some(object_name),
            namespace: Some(namespace.to_string()),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        },
        spec: PipelineVersionSpec {
            code_source_url: draft.code_source_url.clone(),
            description: draft.description.clone(),
            display_name: draft.display_name.clone(),
            pipeline_name: draft.pipeline_name.clone(),
            pipeline_spec: draft.pipeline_spec.clone(),
            pipeline_spec_uri: None,
            platform_spec: draft.platform_spec.clone(),
            tags: (!draft.tags.is_empty()).then(|| draft.tags.clone()),
            version_name: Some(version_name.to_string()),
        },
        status: None,
    };
    link_to_pipeline(&mut version, &draft.pipeline_name, pipeline);
    let size = serde_json::to_vec(&version).map(|b| b.len()).unwrap_or(0);
    if size > MAX_OBJECT_BYTES {
        return Err(UserError::new(format!(
            "PipelineVersion {:?} would be {:.1} MiB; the server stores at most 1.5 MiB per object",
            version.name_any(),
            size as f64 / 1024.0 / 1024.0
        ))
        .with_hint("split the pipeline, or move large inline code into container images"));
    }
    Ok(version)
}

/// Sets the labels and owner reference KFP's webhook sets (UID parts only when known).
fn link_to_pipeline(version: &mut PipelineVersion, pipeline_name: &str, pipeline: Option<&Pipeline>) {
    let labels = version.metadata.labels.get_or_insert_with(BTreeMap::new);
    labels.insert(LABEL_PIPELINE_NAME.to_string(), pipeline_name.to_string());
    if let Some(pipeline) = pipeline
        && let Some(uid) = &pipeline.metadata.uid
    {
        labels.insert(LABEL_PIPELINE_ID.to_string(), uid.clone());
        version.metadata.owner_references = owner_reference(pipeline).map(|o| vec![o]);
    }
}

/// What happened, for the success lines.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub pipeline_created: Option<Pipeline>,
    pub version: VersionOutcome,
}

#[derive(Debug, Clone)]
pub enum VersionOutcome {
    Created(Box<PipelineVersion>),
    Unchanged(Box<PipelineVersion>),
}

/// Reads what the target namespace holds for a pipeline.
pub async fn collect_target(session: &Session, namespace: &str, pipeline_name: &str) -> Result<TargetState> {
    let api = session.api::<Pipeline>(Some(namespace));
    let pipeline = api.get_opt(pipeline_name).await.map_err(|err| {
        explain(
            err,
            &Action::new("get", "pipelines", Some(namespace)).named(pipeline_name),
            &session.server,
        )
    })?;
    let versions = match &pipeline {
        Some(p) => resolve::versions_of(session, namespace, p, None, resolve::Paging::Stream).await?,
        None => Vec::new(),
    };
    Ok(TargetState { pipeline, versions })
}

/// Performs a plan. `dry_run` must not be `Client` (nothing is sent then).
pub async fn apply(session: &Session, plan: Plan, dry_run: DryRun, draft: &VersionDraft) -> Result<Outcome> {
    let params = PostParams {
        dry_run: dry_run == DryRun::Server,
        field_manager: Some("kubectl-kfp".to_string()),
    };
    let namespace = plan.namespace.as_str();
    let pipelines = session.api::<Pipeline>(Some(namespace));
    let (pipeline, created) = match plan.pipeline {
        PipelineStep::Existing(p) => (p, false),
        PipelineStep::Create(p) => {
            let action = Action::new("create", "pipelines", Some(namespace)).named(&draft.pipeline_name);
            match pipelines.create(&params, &p).await {
                Ok(created) => (created, true),
                // Another writer created it meanwhile: use theirs.
                Err(err) if is_already_exists(&err) => {
                    let existing = pipelines
                        .get(&draft.pipeline_name)
                        .await
                        .map_err(|e| explain(e, &action, &session.server))?;
                    (existing, false)
                }
                Err(err) => return Err(explain(err, &action, &session.server)),
            }
        }
    };
    let mut version = match plan.version {
        VersionStep::Unchanged(existing) => {
            // The plan knew only a summary; the outcome carries the object (for -o yaml).
            let existing = resolve::fetch(session, namespace, &existing.name).await?;
            return Ok(Outcome {
                pipeline_created: created.then_some(pipeline),
                version: VersionOutcome::Unchanged(Box::new(existing)),
            });
        }
        VersionStep::Create(v) => *v,
    };
    link_to_pipeline(&mut version, &draft.pipeline_name, Some(&pipeline));
    let result = write_version(session, &params, version, &plan.digest, plan.auto_named, draft).await;
    match result {
        Ok(outcome) => Ok(Outcome {
            pipeline_created: created.then_some(pipeline),
            version: outcome,
        }),
        Err(err) if created && dry_run == DryRun::None => {
            // Leave nothing half-written: the Pipeline without its version goes again.
            let (message, hint) = summarize(&err);
            if let Err(rollback) = rollback_pipeline(session, &pipeline).await {
                let (why, _) = summarize(&rollback);
                return Err(UserError::new(format!(
                    "{message}; removing the pipeline {:?} this command created failed too: {why}",
                    pipeline.name_any()
                ))
                .into());
            }
            let error = UserError::new(format!(
                "{message}; the pipeline {:?} this command created was removed again",
                pipeline.name_any()
            ));
            Err(match hint {
                Some(hint) => error.with_hint(hint),
                None => error,
            }
            .into())
        }
        Err(err) => Err(err),
    }
}

/// POSTs the version; on AlreadyExists decides between "unchanged", a new automatic name, or a clash.
async fn write_version(
    session: &Session,
    params: &PostParams,
    mut version: PipelineVersion,
    digest: &str,
    auto_named: bool,
    draft: &VersionDraft,
) -> Result<VersionOutcome> {
    let namespace = version.namespace().unwrap_or_default();
    let api = session.api::<PipelineVersion>(Some(&namespace));
    let mut attempt = 0;
    loop {
        attempt += 1;
        let name = version.name_any();
        let action = Action::new("create", "pipelineversions", Some(&namespace)).named(&name);
        match api.create(params, &version).await {
            Ok(created) => return Ok(VersionOutcome::Created(Box::new(created))),
            Err(err) if is_already_exists(&err) => {
                let existing = api
                    .get(&name)
                    .await
                    .map_err(|e| explain(e, &action, &session.server))?;
                if digest_of(&existing) == digest {
                    return Ok(VersionOutcome::Unchanged(Box::new(existing)));
                }
                if !auto_named || attempt >= AUTO_NAME_ATTEMPTS {
                    return Err(UserError::new(format!(
                        "cannot create pipelineversion {name:?} in namespace {namespace:?}: it exists with different content"
                    ))
                    .with_hint("versions are immutable; choose another version name")
                    .into());
                }
                // Lost a race for an automatic name: take the next one.
                let versions = match session
                    .api::<Pipeline>(Some(&namespace))
                    .get(&draft.pipeline_name)
                    .await
                {
                    Ok(p) => {
                        resolve::versions_of(session, &namespace, &p, None, resolve::Paging::Stream).await?
                    }
                    Err(e) => return Err(explain(e, &action, &session.server)),
                };
                let next = next_version_name(&versions, 0);
                version.spec.version_name = Some(next.clone());
                version.metadata.name = Some(format!("{}-{next}", draft.pipeline_name));
            }
            Err(err) => return Err(explain(err, &action, &session.server)),
        }
    }
}

/// Deletes a Pipeline this run created, only if it is still the same object (UID precondition).
async fn rollback_pipeline(session: &Session, pipeline: &Pipeline) -> Result<()> {
    let namespace = pipeline.namespace().unwrap_or_default();
    let api = session.api::<Pipeline>(Some(&namespace));
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            uid: pipeline.metadata.uid.clone(),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    api.delete(&pipeline.name_any(), &params).await.map_err(|err| {
        explain(
            err,
            &Action::new("delete", "pipelines", Some(&namespace)).named(&pipeline.name_any()),
            &session.server,
        )
    })?;
    Ok(())
}
