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
use crate::output::progress::{self, Work};
use crate::reference::{NameRule, check};
use crate::resolve::{self, digest_of};
use crate::resources::{
    ANNOTATION_DIGEST, ANNOTATION_VERSION_NAME, LABEL_PIPELINE_ID, LABEL_PIPELINE_NAME, Pipeline,
    PipelineSpec, PipelineVersion, PipelineVersionSpec, VersionSummary, is_label_value, owner_reference,
    pipeline_label_value,
};

/// The largest object etcd stores by default (1.5 MiB); bigger ones are refused before sending.
pub const MAX_OBJECT_BYTES: usize = 1536 * 1024;

/// How often an automatically named version is renamed after losing a race. Each loss means
/// another writer's version landed, so this bounds the writers one create can yield to.
pub const AUTO_NAME_ATTEMPTS: u32 = 64;

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
    check_label_value(&draft.pipeline_name)?;
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
        .unwrap_or_else(|| next_version_name(&draft.pipeline_name, &target.versions, 0));
    let version = new_version(draft, namespace, &version_name, target.pipeline.as_ref(), &digest)?;
    Ok(Plan {
        namespace: namespace.to_string(),
        pipeline,
        version: VersionStep::Create(Box::new(version)),
        digest,
        auto_named,
    })
}

/// `v<N+1>` where N is the highest of `floor` and every number taken by `versions`: their
/// version names and their object names (`<pipeline>-vN`; the SDK's manifests name objects so
/// without setting `spec.versionName`).
pub fn next_version_name<'a>(
    pipeline_name: &str,
    versions: impl IntoIterator<Item = &'a VersionSummary>,
    floor: u64,
) -> String {
    let highest = versions
        .into_iter()
        .flat_map(|v| {
            let object = v
                .name
                .strip_prefix(pipeline_name)
                .and_then(|rest| rest.strip_prefix('-'));
            [version_number(&v.version_name()), object.and_then(version_number)]
        })
        .flatten()
        .fold(floor, u64::max);
    format!("v{}", highest + 1)
}

/// N of an automatic version name `vN`.
fn version_number(name: &str) -> Option<u64> {
    name.strip_prefix('v').and_then(|n| n.parse().ok())
}

/// Refuses a pipeline whose name KFP's webhook would turn into an invalid label: it sets
/// `pipelines.kubeflow.org/pipeline` to the name's first 63 characters as they are, and the API
/// server refuses a label value ending in `-` or `.`.
fn check_label_value(pipeline_name: &str) -> Result<(), UserError> {
    let label = pipeline_label_value(pipeline_name);
    if is_label_value(label) {
        return Ok(());
    }
    Err(UserError::new(format!(
        "pipeline name {pipeline_name:?} cannot be used with KFP: its first 63 characters {label:?} become the label {LABEL_PIPELINE_NAME}, and a label value must end in a letter or digit"
    ))
    .with_hint("choose a pipeline name whose 63rd character is a letter or digit"))
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

/// Sets exactly what KFP's mutating webhook sets (its `Default()`), so it has nothing to
/// change: the two labels, the name one cut to 63 characters, and one ownerReference to the
/// Pipeline with `blockOwnerDeletion` (UID parts only when the UID is known).
fn link_to_pipeline(version: &mut PipelineVersion, pipeline_name: &str, pipeline: Option<&Pipeline>) {
    let labels = version.metadata.labels.get_or_insert_with(BTreeMap::new);
    labels.insert(
        LABEL_PIPELINE_NAME.to_string(),
        pipeline_label_value(pipeline_name).to_string(),
    );
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
    /// What a server dry run checked and what it could not, for stderr.
    pub notes: Vec<String>,
    /// Warnings for stderr: the unchanged version is one KFP does not list.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum VersionOutcome {
    Created(Box<PipelineVersion>),
    Unchanged(Box<PipelineVersion>),
    /// Server dry run of a new pipeline: an admission webhook (KFP's) denied the version only
    /// because its Pipeline exists in the dry run alone.
    Unchecked(Box<PipelineVersion>),
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
                Ok(created) => {
                    progress::add(Work::Written, 1);
                    (created, true)
                }
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
                warnings: resolve::unlinked_warning(namespace, &pipeline, &existing)
                    .into_iter()
                    .collect(),
                pipeline_created: created.then_some(pipeline),
                version: VersionOutcome::Unchanged(Box::new(existing)),
                notes: Vec::new(),
            });
        }
        VersionStep::Create(v) => *v,
    };
    link_to_pipeline(&mut version, &draft.pipeline_name, Some(&pipeline));
    let writer = Writer {
        session,
        params: &params,
        pipeline: &pipeline,
        digest: &plan.digest,
        auto_named: plan.auto_named,
        allow_duplicate: draft.allow_duplicate,
    };
    let result = writer.write(version).await;
    progress::add(Work::Written, 1);
    let dry_run_of_new = created && dry_run == DryRun::Server;
    match result {
        Ok(outcome) => {
            let notes = if dry_run_of_new {
                vec![dry_run_note(&pipeline, &outcome)]
            } else {
                Vec::new()
            };
            let warnings = match &outcome {
                VersionOutcome::Unchanged(existing) => {
                    resolve::unlinked_warning(namespace, &pipeline, existing.as_ref())
                        .into_iter()
                        .collect()
                }
                _ => Vec::new(),
            };
            Ok(Outcome {
                pipeline_created: created.then_some(pipeline),
                version: outcome,
                notes,
                warnings,
            })
        }
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

/// What a server dry run of a new pipeline checked: the Pipeline fully; the version against the
/// schema and admission, except what needs the Pipeline to exist (KFP's webhook looks it up).
fn dry_run_note(pipeline: &Pipeline, outcome: &VersionOutcome) -> String {
    let name = pipeline.name_any();
    match outcome {
        VersionOutcome::Unchecked(version) => format!(
            "server dry run: pipeline {name:?} passed every check; pipelineversion {:?} passed the schema checks, but an admission webhook (KFP's) could not check it: it looks up the Pipeline, which exists only in this dry run",
            version.name_any()
        ),
        _ => format!(
            "server dry run: pipeline {name:?} and its version passed every check the server made; a webhook that looks up the Pipeline (KFP's) would see it only once it is created"
        ),
    }
}

/// The message of KFP's webhook when a version's Pipeline does not exist.
const WEBHOOK_NO_PIPELINE: &str = "doesn't map to an existing Pipeline object";

/// Whether a dry-run create was denied only because its Pipeline exists in the dry run alone.
fn denied_for_missing_pipeline(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(status) if status.message.contains(WEBHOOK_NO_PIPELINE))
}

/// Writes one version, renaming an automatically named one after each lost race.
struct Writer<'a> {
    session: &'a Session,
    params: &'a PostParams,
    pipeline: &'a Pipeline,
    digest: &'a str,
    auto_named: bool,
    allow_duplicate: bool,
}

impl Writer<'_> {
    /// POSTs the version. On AlreadyExists: the same content in this pipeline is `unchanged`;
    /// an automatic name moves above everything seen taken (the failed name, and the highest
    /// number in a consistent read of the versions, which holds the winner's write); a chosen
    /// name is a clash.
    async fn write(&self, mut version: PipelineVersion) -> Result<VersionOutcome> {
        let namespace = version.namespace().unwrap_or_default();
        let api = self.session.api::<PipelineVersion>(Some(&namespace));
        let pipeline_name = self.pipeline.name_any();
        let mut floor = 0;
        for attempt in 1.. {
            let name = version.name_any();
            let action = Action::new("create", "pipelineversions", Some(&namespace)).named(&name);
            let err = match api.create(self.params, &version).await {
                Ok(created) => return Ok(VersionOutcome::Created(Box::new(created))),
                Err(err) if self.params.dry_run && denied_for_missing_pipeline(&err) => {
                    return Ok(VersionOutcome::Unchecked(Box::new(version)));
                }
                Err(err) if is_already_exists(&err) => err,
                Err(err) => return Err(explain(err, &action, &self.session.server)),
            };
            // A GET by name is a quorum read: it sees the object that made the create fail.
            let existing = api
                .get_opt(&name)
                .await
                .map_err(|e| explain(e, &action, &self.session.server))?;
            let member = existing.as_ref().is_some_and(|e| e.belongs_to(self.pipeline));
            if let Some(existing) = existing.filter(|e| member && digest_of(e) == self.digest) {
                return Ok(VersionOutcome::Unchanged(Box::new(existing)));
            }
            if !self.auto_named {
                let why = if member {
                    "it exists with different content".to_string()
                } else {
                    format!("it exists and is not a version of pipeline {pipeline_name:?}")
                };
                return Err(UserError::new(format!(
                    "cannot create pipelineversion {name:?} in namespace {namespace:?}: {why}"
                ))
                .with_hint("versions are immutable; choose another version name")
                .into());
            }
            if attempt >= AUTO_NAME_ATTEMPTS {
                return Err(UserError::new(format!(
                    "cannot create a version of pipeline {pipeline_name:?} in namespace {namespace:?}: {AUTO_NAME_ATTEMPTS} automatic names in a row were taken by other writers; the last was {name:?} ({err})"
                ))
                .with_hint("run it again, or choose a version name with --version")
                .into());
            }
            // Lost a race for an automatic name: never take a name seen taken again.
            let lost = version.spec.version_name.as_deref().and_then(version_number);
            floor = floor.max(lost.unwrap_or(0));
            // Pages without a resourceVersion are consistent reads (etcd quorum, or a cache
            // proven current), unlike the streaming list. Objects in the way that are no
            // members (a stale version, another pipeline's) are passed by the floor.
            let versions = resolve::versions_of(
                self.session,
                &namespace,
                self.pipeline,
                None,
                resolve::Paging::Chunks(resolve::DEFAULT_CHUNK_SIZE),
            )
            .await?;
            if !self.allow_duplicate
                && let Some(same) = versions.iter().find(|v| v.digest == self.digest)
            {
                // A concurrent writer stored this content meanwhile.
                let existing = resolve::fetch(self.session, &namespace, &same.name).await?;
                return Ok(VersionOutcome::Unchanged(Box::new(existing)));
            }
            let next = next_version_name(&pipeline_name, &versions, floor);
            tracing::debug!(
                "{name:?} was taken by another writer; trying {next:?} (attempt {})",
                attempt + 1
            );
            version.spec.version_name = Some(next.clone());
            version.metadata.name = Some(format!("{pipeline_name}-{next}"));
            if let Some(annotations) = version.metadata.annotations.as_mut() {
                annotations.insert(ANNOTATION_VERSION_NAME.to_string(), next);
            }
        }
        unreachable!("the loop returns by its last attempt")
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::{API_VERSION, Membership};
    use serde_json::json;

    fn summary(object: &str, version_name: Option<&str>) -> VersionSummary {
        serde_json::from_value(json!({
            "apiVersion": API_VERSION, "kind": "PipelineVersion",
            "metadata": {"name": object},
            "spec": {"pipelineName": "train", "versionName": version_name, "pipelineSpec": {}}
        }))
        .unwrap()
    }

    #[test]
    fn next_name_skips_version_names_object_names_and_the_floor() {
        let none: [VersionSummary; 0] = [];
        assert_eq!(next_version_name("train", &none, 0), "v1");
        // The SDK's manifests: objects `train-vN` without spec.versionName.
        let sdk = [summary("train-v1", None), summary("train-v4", None)];
        assert_eq!(next_version_name("train", &sdk, 0), "v5");
        let named = [summary("train-v2", Some("v2")), summary("train-1.0", Some("1.0"))];
        assert_eq!(next_version_name("train", &named, 0), "v3");
        // A name lost to a writer the read does not show yet is never tried again.
        assert_eq!(next_version_name("train", &named, 7), "v8");
        // Another pipeline's prefix is no number of ours.
        let other = [summary("training-v9", None)];
        assert_eq!(next_version_name("train", &other, 0), "v1");
    }

    #[test]
    fn webhook_labels_and_owner_are_exactly_kfps() {
        let pipeline: Pipeline = serde_json::from_value(json!({
            "apiVersion": API_VERSION, "kind": "Pipeline",
            "metadata": {"name": format!("{}-z", "a".repeat(70)), "uid": "u-1"}, "spec": {}
        }))
        .unwrap();
        let mut version = PipelineVersion::new("x", PipelineVersionSpec::default());
        link_to_pipeline(&mut version, &pipeline.name_any(), Some(&pipeline));
        let value = serde_json::to_value(&version.metadata).unwrap();
        assert_eq!(
            value["labels"],
            json!({LABEL_PIPELINE_ID: "u-1", LABEL_PIPELINE_NAME: "a".repeat(63)})
        );
        assert_eq!(
            value["ownerReferences"],
            json!([{"apiVersion": API_VERSION, "kind": "Pipeline", "name": pipeline.name_any(),
                    "uid": "u-1", "blockOwnerDeletion": true}])
        );
        assert_eq!(version.membership(&pipeline), Membership::Member);
        assert!(check_label_value(&pipeline.name_any()).is_ok());
        let bad = format!("{}-b", "c".repeat(62));
        assert!(check_label_value(&bad).is_err());
        assert!(check_label_value(&format!("{}.b", "c".repeat(62))).is_err());
        assert!(check_label_value("short-name").is_ok());
    }

    #[test]
    fn only_the_missing_pipeline_denial_counts_as_unchecked() {
        let status = |code: u16, message: &str| {
            kube::Error::Api(
                kube::core::Status::failure(message, "BadRequest")
                    .with_code(code)
                    .boxed(),
            )
        };
        assert!(denied_for_missing_pipeline(&status(
            400,
            "admission webhook \"pipelineversions.pipelines.kubeflow.org\" denied the request: The spec.pipelineName doesn't map to an existing Pipeline object"
        )));
        assert!(!denied_for_missing_pipeline(&status(
            400,
            "The pipeline spec is invalid: missing root"
        )));
    }
}
