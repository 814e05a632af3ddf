//! Resolving references against the cluster: which namespace a pipeline comes from (the
//! current one, then the shared one), its versions, and which version a selector means.
//! The choosing is pure (`latest`, `select`, `predecessor`) and unit-tested; the fetching is thin.

mod listing;

use std::cmp::Ordering;
use std::fmt;

use anyhow::Result;
use kube::ResourceExt;
use kube::api::ListParams;

pub use listing::{DEFAULT_CHUNK_SIZE, ListRead, Paging, Streamed, initial_events, list_summaries};

use crate::client::{Action, Session, explain, is_forbidden};
use crate::digest;
use crate::error::UserError;
use crate::output::Printer;
use crate::reference::{Reference, VersionSelector};
use crate::resources::{
    LABEL_PIPELINE_ID, LABEL_PIPELINE_NAME, Membership, Pipeline, PipelineVersion, VersionSummary,
    is_label_value, pipeline_label_value,
};

/// Where a pipeline was found relative to the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// The current namespace, or a namespace the reference named.
    Local,
    /// The configured shared namespace.
    Shared,
}

/// A pipeline with summaries of its versions, newest first.
#[derive(Debug, Clone)]
pub struct ResolvedPipeline {
    pub namespace: String,
    pub origin: Origin,
    pub pipeline: Pipeline,
    pub versions: Vec<VersionSummary>,
}

impl ResolvedPipeline {
    /// `kubeflow (shared)` or `team-a`.
    pub fn origin_label(&self) -> String {
        origin_label(&self.namespace, self.origin == Origin::Shared, false)
    }
}

/// The ORIGIN column text.
pub fn origin_label(namespace: &str, shared: bool, shadowed: bool) -> String {
    match (shared, shadowed) {
        (true, true) => format!("{namespace} (shared, shadowed)"),
        (true, false) => format!("{namespace} (shared)"),
        _ => namespace.to_string(),
    }
}

/// Why a selector picks no single version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SelectError {
    NoVersions,
    NotFound,
    Ambiguous(Vec<String>),
}

/// Orders versions newest first: creationTimestamp, ties broken by the greater UID (as KFP).
pub fn newest_first(a: &VersionSummary, b: &VersionSummary) -> Ordering {
    b.created.cmp(&a.created).then_with(|| b.uid.cmp(&a.uid))
}

/// The latest version of a list in any order.
pub fn latest(versions: &[VersionSummary]) -> Option<&VersionSummary> {
    versions.iter().min_by(|a, b| newest_first(a, b))
}

/// The content digest of a full version object: the stored annotation, else computed.
pub fn digest_of(version: &PipelineVersion) -> String {
    match version.stored_digest() {
        Some(d) if d.starts_with("sha256:") => d.to_string(),
        _ => digest::of(&version.spec.pipeline_spec, version.spec.platform_spec.as_ref()),
    }
}

/// Picks the version a selector means from a pipeline's versions (newest first).
pub fn select<'a>(
    versions: &'a [VersionSummary],
    selector: &VersionSelector,
) -> Result<&'a VersionSummary, SelectError> {
    if versions.is_empty() {
        return Err(SelectError::NoVersions);
    }
    let matches: Vec<&VersionSummary> = match selector {
        VersionSelector::Latest => return latest(versions).ok_or(SelectError::NoVersions),
        VersionSelector::Tag(key, value) => return select_tagged(versions, key, value),
        VersionSelector::Named(name) => versions
            .iter()
            .filter(|v| v.spec_version_name.as_deref() == Some(name.as_str()) || v.name == *name)
            .collect(),
        VersionSelector::Digest(prefix) => versions
            .iter()
            .filter(|v| digest::matches_prefix(&v.digest, prefix))
            .collect(),
    };
    match matches.as_slice() {
        [] => Err(SelectError::NotFound),
        [one] => Ok(one),
        many => Err(SelectError::Ambiguous(
            many.iter()
                .map(|v| {
                    format!(
                        "{} (object {}, {})",
                        v.version_name(),
                        v.name,
                        digest::short(&v.digest)
                    )
                })
                .collect(),
        )),
    }
}

/// The newest version whose `spec.tags` holds `key=value` (a `PIPELINE@KEY=VALUE` reference).
pub fn select_tagged<'a>(
    versions: &'a [VersionSummary],
    key: &str,
    value: &str,
) -> Result<&'a VersionSummary, SelectError> {
    versions
        .iter()
        .filter(|v| v.has_tag(key, Some(value)))
        .min_by(|a, b| newest_first(a, b))
        .ok_or(SelectError::NotFound)
}

/// The version created just before `version` in the same pipeline.
pub fn predecessor<'a>(
    versions: &'a [VersionSummary],
    version: &VersionSummary,
) -> Option<&'a VersionSummary> {
    versions
        .iter()
        .filter(|v| newest_first(v, version) == Ordering::Greater)
        .min_by(|a, b| newest_first(a, b))
}

/// The label selectors that find a pipeline's versions by KFP's rule, each with the user's
/// `-l` added: `[labelled with its UID, without a pipeline-id label (matched on
/// spec.pipelineName)]`, and the one finding stale versions (its name label with another
/// pipeline-id) when the name label can be selected on.
pub fn membership_selectors(pipeline: &Pipeline, selector: Option<&str>) -> ([String; 2], Option<String>) {
    let extra = selector.map(|s| format!(",{s}")).unwrap_or_default();
    let uid = pipeline.metadata.uid.as_deref().unwrap_or_default();
    let name_label = pipeline_label_value(&pipeline.name_any()).to_string();
    let stale = is_label_value(&name_label).then(|| {
        format!("{LABEL_PIPELINE_NAME}={name_label},{LABEL_PIPELINE_ID},{LABEL_PIPELINE_ID}!={uid}{extra}")
    });
    (
        [
            format!("{LABEL_PIPELINE_ID}={uid}{extra}"),
            format!("!{LABEL_PIPELINE_ID}{extra}"),
        ],
        stale,
    )
}

/// Summaries of a namespace's versions that belong to `pipeline` (labelled with its UID, or
/// unlabelled and naming it in spec.pipelineName), read with label selectors so other
/// pipelines' versions are never transferred. Newest first.
pub async fn versions_of(
    session: &Session,
    namespace: &str,
    pipeline: &Pipeline,
    selector: Option<&str>,
    paging: Paging,
) -> Result<Vec<VersionSummary>> {
    member_summaries(session, namespace, pipeline, selector, paging, ListRead::Objects).await
}

/// [`versions_of`] with the labelled versions read as metadata only: enough to choose the latest
/// (creation time, UID, labels) without the server sending every spec. Unlabelled versions are
/// still read whole, since only their spec says which pipeline they belong to.
pub async fn version_metadata_of(
    session: &Session,
    namespace: &str,
    pipeline: &Pipeline,
    paging: Paging,
) -> Result<Vec<VersionSummary>> {
    member_summaries(session, namespace, pipeline, None, paging, ListRead::MetadataOnly).await
}

/// The members of `pipeline` among a namespace's versions, the labelled ones read as `read` says.
async fn member_summaries(
    session: &Session,
    namespace: &str,
    pipeline: &Pipeline,
    selector: Option<&str>,
    paging: Paging,
    read: ListRead,
) -> Result<Vec<VersionSummary>> {
    let ([labelled, unlabelled], _) = membership_selectors(pipeline, selector);
    let (labelled, unlabelled) = futures::future::try_join(
        list_summaries(session, Some(namespace), Some(&labelled), paging, read),
        list_summaries(
            session,
            Some(namespace),
            Some(&unlabelled),
            paging,
            ListRead::Objects,
        ),
    )
    .await?;
    Ok(newest_first_where(labelled.into_iter().chain(unlabelled), |v| {
        v.belongs_to(pipeline)
    }))
}

/// The versions that pass `keep`, newest first.
fn newest_first_where(
    versions: impl Iterator<Item = VersionSummary>,
    keep: impl Fn(&VersionSummary) -> bool,
) -> Vec<VersionSummary> {
    let mut kept: Vec<VersionSummary> = versions.filter(|v| keep(v)).collect();
    kept.sort_by(newest_first);
    kept
}

/// The stale versions named for `pipeline` (see [`Membership::Stale`]), newest first. Read only
/// where they are shown: nothing else counts them.
pub async fn stale_versions_of(
    session: &Session,
    namespace: &str,
    pipeline: &Pipeline,
    selector: Option<&str>,
    paging: Paging,
) -> Result<Vec<VersionSummary>> {
    let Some(labels) = membership_selectors(pipeline, selector).1 else {
        return Ok(Vec::new());
    };
    let listed = list_summaries(session, Some(namespace), Some(&labels), paging, ListRead::Objects).await?;
    Ok(newest_first_where(listed.into_iter(), |v| {
        v.membership(pipeline) == Membership::Stale
    }))
}

/// The full objects of [`versions_of`], for `-o json|yaml`.
pub async fn full_versions_of(
    session: &Session,
    namespace: &str,
    pipeline: &Pipeline,
    selector: Option<&str>,
    paging: Paging,
) -> Result<Vec<PipelineVersion>> {
    let api = session.api::<PipelineVersion>(Some(namespace));
    let action = Action::new("list", "pipelineversions", Some(namespace));
    let mut versions = Vec::new();
    for labels in membership_selectors(pipeline, selector).0 {
        let params = ListParams::default().labels(&labels).limit(paging.chunk_size());
        let page = crate::client::list_all(&api, &params, &action, &session.server).await?;
        versions.extend(page.into_iter().filter(|v| v.belongs_to(pipeline)));
    }
    Ok(versions)
}

/// One warning line per version that is not what KFP would list as the pipeline's: counted
/// without a pipeline-id label, left with another Pipeline's UID, or with a spec that cannot be
/// read. Empty when all is well.
pub fn version_warnings(resolved: &ResolvedPipeline, stale: &[VersionSummary]) -> Vec<String> {
    let place = format!(
        "pipeline {:?} in namespace {:?}",
        resolved.pipeline.name_any(),
        resolved.namespace
    );
    let mut warnings = Vec::new();
    for version in &resolved.versions {
        if let Some(why) = &version.unreadable {
            warnings.push(format!(
                "version {} of {place} cannot be read: {why}",
                describe_version(version)
            ));
        }
    }
    let unlinked: Vec<&VersionSummary> = resolved
        .versions
        .iter()
        .filter(|version| version.membership(&resolved.pipeline) == Membership::Unlinked)
        .collect();
    warnings.extend(grouped(&unlinked, |names, one| unlinked_line(names, &place, one)));
    let stale: Vec<&VersionSummary> = stale.iter().collect();
    let pipeline = resolved.pipeline.name_any();
    warnings.extend(grouped(&stale, |names, one| match one {
        true => format!(
            "version {names} is labelled with the UID of an earlier pipeline {pipeline:?}, not of {place}: KFP does not list it, and it is not counted"
        ),
        false => format!(
            "versions {names} are labelled with the UID of an earlier pipeline {pipeline:?}, not of {place}: KFP does not list them, and they are not counted"
        ),
    }));
    warnings
}

/// A few versions get a warning each; more share one line naming the first few, so a pipeline
/// of thousands of versions written without KFP's webhook does not flood the terminal.
fn grouped(versions: &[&VersionSummary], line: impl Fn(&str, bool) -> String) -> Vec<String> {
    const EACH_UP_TO: usize = 3;
    if versions.len() <= EACH_UP_TO {
        return versions
            .iter()
            .map(|version| line(&describe_version(*version), true))
            .collect();
    }
    let named: Vec<String> = versions[..EACH_UP_TO]
        .iter()
        .map(|version| format!("{:?}", version.version_name()))
        .collect();
    let names = format!("{} and {} more", named.join(", "), versions.len() - EACH_UP_TO);
    vec![line(&names, false)]
}

fn unlinked_line(names: &str, place: &str, one: bool) -> String {
    match one {
        true => format!(
            "version {names} of {place} has no {LABEL_PIPELINE_ID} label: it is counted by spec.pipelineName, but KFP does not list it"
        ),
        false => format!(
            "versions {names} of {place} have no {LABEL_PIPELINE_ID} label: they are counted by spec.pipelineName, but KFP does not list them"
        ),
    }
}

/// `"v2" (object "train-v2")`, or `"train-v2"` when they are the same.
fn describe_version(version: &impl Chosen) -> String {
    let (name, object) = (version.version_name(), version.object_name());
    if name == object {
        format!("{name:?}")
    } else {
        format!("{name:?} (object {object:?})")
    }
}

/// What the warning about one chosen version needs of it, as a summary or a full object.
pub trait Chosen {
    fn membership(&self, pipeline: &Pipeline) -> Membership;
    fn version_name(&self) -> String;
    fn object_name(&self) -> String;
}

impl Chosen for VersionSummary {
    fn membership(&self, pipeline: &Pipeline) -> Membership {
        VersionSummary::membership(self, pipeline)
    }
    fn version_name(&self) -> String {
        VersionSummary::version_name(self)
    }
    fn object_name(&self) -> String {
        self.name.clone()
    }
}

impl Chosen for PipelineVersion {
    fn membership(&self, pipeline: &Pipeline) -> Membership {
        PipelineVersion::membership(self, pipeline)
    }
    fn version_name(&self) -> String {
        PipelineVersion::version_name(self)
    }
    fn object_name(&self) -> String {
        self.name_any()
    }
}

/// The warning for the one version a command resolved or acts on when KFP does not list it
/// (no pipeline-id label; it counts only by spec.pipelineName), with the command that labels it.
/// Every command resolving a single version says so, so using it is never silent.
pub fn unlinked_warning(namespace: &str, pipeline: &Pipeline, version: &impl Chosen) -> Option<String> {
    if version.membership(pipeline) != Membership::Unlinked {
        return None;
    }
    let place = format!("pipeline {:?} in namespace {namespace:?}", pipeline.name_any());
    Some(format!(
        "{}; kubectl kfp doctor -n {namespace} --fix adds it",
        unlinked_line(&describe_version(version), &place, true)
    ))
}

/// Prints [`unlinked_warning`] for a version chosen from `resolved`, when it needs one.
pub fn warn_if_unlinked(printer: &Printer, resolved: &ResolvedPipeline, version: &impl Chosen) {
    if let Some(warning) = unlinked_warning(&resolved.namespace, &resolved.pipeline, version) {
        printer.warn(&warning);
    }
}

/// The STATUS a version shows: why it is not what KFP lists, else its conditions.
pub fn version_status(version: &VersionSummary, pipeline: &Pipeline) -> String {
    if version.unreadable.is_some() {
        return "InvalidSpec".to_string();
    }
    match version.membership(pipeline) {
        Membership::Unlinked => "NoPipelineID".to_string(),
        Membership::Stale => "StalePipelineID".to_string(),
        _ => version.status_summary(),
    }
}

/// Reads one version in full.
pub async fn fetch(session: &Session, namespace: &str, name: &str) -> Result<PipelineVersion> {
    session
        .api::<PipelineVersion>(Some(namespace))
        .get(name)
        .await
        .map_err(|err| {
            explain(
                err,
                &Action::new("get", "pipelineversions", Some(namespace)).named(name),
                &session.server,
            )
        })
}

/// Looks a pipeline up: in the reference's namespace, else the current namespace then the
/// shared one (a local pipeline shadows a shared one of the same name).
pub async fn pipeline(session: &Session, reference: &Reference, paging: Paging) -> Result<ResolvedPipeline> {
    find_pipeline(session, reference, paging, ListRead::Objects).await
}

/// [`pipeline`] with its versions read as metadata only ([`version_metadata_of`]): enough to
/// choose the latest version or its predecessor, not to show digests or statuses of others.
pub async fn pipeline_metadata(
    session: &Session,
    reference: &Reference,
    paging: Paging,
) -> Result<ResolvedPipeline> {
    find_pipeline(session, reference, paging, ListRead::MetadataOnly).await
}

async fn find_pipeline(
    session: &Session,
    reference: &Reference,
    paging: Paging,
    read: ListRead,
) -> Result<ResolvedPipeline> {
    let mut candidates = vec![];
    match &reference.namespace {
        Some(ns) => {
            let shared = session.shared.namespace.as_deref() == Some(ns.as_str());
            candidates.push((ns.clone(), if shared { Origin::Shared } else { Origin::Local }));
        }
        None => {
            candidates.push((session.namespace.clone(), Origin::Local));
            if let Some(shared) = session.other_shared_namespace() {
                candidates.push((shared.to_string(), Origin::Shared));
            }
        }
    }
    let mut forbidden_shared = None;
    for (namespace, origin) in &candidates {
        let api = session.api::<Pipeline>(Some(namespace));
        match api.get_opt(&reference.pipeline).await {
            Ok(Some(pipeline)) => {
                let versions = member_summaries(session, namespace, &pipeline, None, paging, read).await?;
                return Ok(ResolvedPipeline {
                    namespace: namespace.clone(),
                    origin: *origin,
                    pipeline,
                    versions,
                });
            }
            Ok(None) => {}
            Err(err) if *origin == Origin::Shared && reference.namespace.is_none() && is_forbidden(&err) => {
                forbidden_shared = Some(namespace.clone());
            }
            Err(err) => {
                let action = Action::new("get", "pipelines", Some(namespace)).named(&reference.pipeline);
                return Err(explain(err, &action, &session.server));
            }
        }
    }
    Err(not_found(reference, &candidates, forbidden_shared).into())
}

fn not_found(
    reference: &Reference,
    candidates: &[(String, Origin)],
    forbidden_shared: Option<String>,
) -> UserError {
    let name = &reference.pipeline;
    let message = match candidates {
        [(local, _), (shared, Origin::Shared)] => {
            format!("pipeline {name:?} not found in namespace {local:?} or shared namespace {shared:?}")
        }
        [(ns, _), ..] => format!("pipeline {name:?} not found in namespace {ns:?}"),
        [] => format!("pipeline {name:?} not found"),
    };
    let error = UserError::new(message);
    match forbidden_shared {
        Some(shared) => error.with_hint(format!(
            "you may not read the shared namespace {shared:?}; ask for read access there, or name the namespace (NAMESPACE/{name})"
        )),
        None => error.with_hint("list the pipelines you can see with: kubectl kfp list"),
    }
}

/// Resolves a reference to one version, read in full; warns when KFP does not list it.
pub async fn version(
    session: &Session,
    reference: &Reference,
    paging: Paging,
    printer: &Printer,
) -> Result<(ResolvedPipeline, PipelineVersion)> {
    let resolved = pipeline_for(session, reference, paging).await?;
    let chosen = select(&resolved.versions, &reference.version)
        .map_err(|err| select_error(err, reference, &resolved))?;
    warn_if_unlinked(printer, &resolved, chosen);
    let version = fetch(session, &resolved.namespace, &chosen.name).await?;
    Ok((resolved, version))
}

/// The pipeline of a reference with as much of its versions as its selector needs: metadata
/// for `@latest` (the chosen version is then read alone), whole summaries for names and digests,
/// which metadata carries only for versions this tool wrote.
pub async fn pipeline_for(
    session: &Session,
    reference: &Reference,
    paging: Paging,
) -> Result<ResolvedPipeline> {
    match reference.version {
        VersionSelector::Latest => pipeline_metadata(session, reference, paging).await,
        _ => pipeline(session, reference, paging).await,
    }
}

/// Words a selection failure for the user.
pub fn select_error(err: SelectError, reference: &Reference, resolved: &ResolvedPipeline) -> UserError {
    let place = format!(
        "pipeline {:?} in namespace {:?}",
        resolved.pipeline.name_any(),
        resolved.namespace
    );
    match err {
        SelectError::NoVersions => UserError::new(format!("{place} has no versions")).with_hint(format!(
            "create one with: kubectl kfp create {} -f FILE",
            resolved.pipeline.name_any()
        )),
        SelectError::NotFound => UserError::new(format!(
            "version {:?} not found in {place}",
            selector_text(reference)
        ))
        .with_hint(format!(
            "list its versions with: kubectl kfp list {}/{}",
            resolved.namespace,
            resolved.pipeline.name_any()
        )),
        SelectError::Ambiguous(candidates) => UserError::new(format!(
            "version {:?} is ambiguous in {place}: it matches {}",
            selector_text(reference),
            candidates.join(", ")
        ))
        .with_hint("use a longer digest prefix or the object name"),
    }
}

fn selector_text(reference: &Reference) -> String {
    match &reference.version {
        VersionSelector::Latest => "latest".to_string(),
        VersionSelector::Named(n) => n.clone(),
        VersionSelector::Digest(d) => format!("sha256:{d}"),
        VersionSelector::Tag(k, v) => format!("{k}={v}"),
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Origin::Local => "local",
            Origin::Shared => "shared",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::API_VERSION;
    use serde_json::json;

    fn version(name: &str, version_name: &str, created: &str, uid: &str) -> VersionSummary {
        // Read through the lean list reader, as list responses are.
        serde_json::from_value(json!({
            "apiVersion": API_VERSION, "kind": "PipelineVersion",
            "metadata": {"name": name, "uid": uid, "creationTimestamp": created},
            "spec": {"pipelineName": "p", "versionName": version_name, "pipelineSpec": {"n": name}}
        }))
        .unwrap()
    }

    #[test]
    fn latest_breaks_timestamp_ties_by_greater_uid() {
        let versions = vec![
            version("p-a", "a", "2026-01-01T00:00:00Z", "0001"),
            version("p-b", "b", "2026-01-02T00:00:00Z", "0002"),
            version("p-c", "c", "2026-01-02T00:00:00Z", "0003"),
        ];
        assert_eq!(latest(&versions).unwrap().version_name(), "c");
        let mut sorted = versions.clone();
        sorted.sort_by(newest_first);
        let names: Vec<String> = sorted.iter().map(|v| v.version_name()).collect();
        assert_eq!(names, ["c", "b", "a"]);
        assert_eq!(predecessor(&versions, &sorted[0]).unwrap().version_name(), "b");
        assert_eq!(predecessor(&versions, &sorted[1]).unwrap().version_name(), "a");
        assert!(predecessor(&versions, &sorted[2]).is_none());
    }

    #[test]
    fn select_by_name_object_name_and_digest() {
        let versions = vec![
            version("p-v1", "v1", "2026-01-01T00:00:00Z", "1"),
            version("p-v2", "v2", "2026-01-02T00:00:00Z", "2"),
        ];
        let named = |n: &str| select(&versions, &VersionSelector::Named(n.into())).map(|v| v.name.clone());
        assert_eq!(named("v1"), Ok("p-v1".into()));
        assert_eq!(named("p-v2"), Ok("p-v2".into()));
        assert_eq!(named("v9"), Err(SelectError::NotFound));
        let digest = versions[0].digest.clone();
        let prefix = digest["sha256:".len().."sha256:".len() + 8].to_string();
        assert_eq!(
            select(&versions, &VersionSelector::Digest(prefix)).map(|v| v.name.clone()),
            Ok("p-v1".into())
        );
        assert_eq!(
            select(&[], &VersionSelector::Latest).err(),
            Some(SelectError::NoVersions)
        );
    }

    #[test]
    fn tag_selects_the_newest_version_carrying_it() {
        let tagged = |mut v: VersionSummary, tags: &[(&str, &str)]| {
            v.tags = tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            v
        };
        let versions = vec![
            tagged(
                version("p-v1", "v1", "2026-01-01T00:00:00Z", "1"),
                &[("stage", "prod")],
            ),
            tagged(
                version("p-v2", "v2", "2026-01-02T00:00:00Z", "2"),
                &[("stage", "prod")],
            ),
            tagged(
                version("p-v3", "v3", "2026-01-03T00:00:00Z", "3"),
                &[("stage", "dev")],
            ),
        ];
        let tag = |k: &str, v: &str| {
            select(&versions, &VersionSelector::Tag(k.into(), v.into())).map(|v| v.name.clone())
        };
        assert_eq!(tag("stage", "prod"), Ok("p-v2".into()));
        assert_eq!(tag("stage", "dev"), Ok("p-v3".into()));
        assert_eq!(tag("stage", "qa"), Err(SelectError::NotFound));
        assert_eq!(tag("team", "prod"), Err(SelectError::NotFound));
    }

    #[test]
    fn ambiguous_selection_lists_candidates() {
        // One version's versionName is another's object name.
        let versions = vec![
            version("x", "v1", "2026-01-01T00:00:00Z", "1"),
            version("v1", "v2", "2026-01-02T00:00:00Z", "2"),
        ];
        match select(&versions, &VersionSelector::Named("v1".into())) {
            Err(SelectError::Ambiguous(c)) => assert_eq!(c.len(), 2, "{c:?}"),
            other => panic!("{other:?}"),
        }
    }
}
