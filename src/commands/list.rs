//! `kubectl kfp list [PIPELINE]`: pipelines of the namespace plus the shared namespace, or the
//! versions of one pipeline. Collect (API) → transform (rows, pure) → display (printer).
//! `-w` on either is in `list/watch_overview.rs` and `list/watch_versions.rs`.

use std::collections::HashMap;

use anyhow::Result;
use futures::StreamExt;
use jiff::Timestamp;
use kube::ResourceExt;
use kube::api::ListParams;
use serde_json::Value;

use crate::cli::{ListArgs, OutputFormat, SortBy};
use crate::client::{Action, Session, explain, is_forbidden, list_pages};
use crate::digest;
use crate::error::ExitStatus;
use crate::output::{DataFormat, PlainTable, Printer, age, truncate};
use crate::reference::{Reference, VersionSelector};
use crate::resolve::{self, ListRead, Paging, ResolvedPipeline, newest_first, origin_label};
use crate::resources::{
    ANNOTATION_PROMOTED_FROM, LABEL_PIPELINE_ID, Pipeline, PipelineVersion, VersionSummary,
};

use super::{parse_reference, print_objects};

mod watch_overview;
mod watch_print;
mod watch_versions;

pub async fn run(session: &Session, args: &ListArgs, printer: &Printer) -> Result<ExitStatus> {
    match &args.reference {
        Some(text) => {
            let reference = parse_reference(text)?;
            if reference.version != VersionSelector::Latest {
                return Err(crate::error::user_error_hint(
                    format!("list takes a pipeline, not a version: {text:?}"),
                    format!("drop the @VERSION part, or use: kubectl kfp get {text}"),
                ));
            }
            list_versions(session, &reference, args, printer).await
        }
        None if args.watch || args.watch_only => watch_overview::run(session, args, printer).await,
        None => list_pipelines(session, args, printer).await,
    }
}

/// One pipeline with what the table shows about it.
#[derive(Debug, Clone)]
pub struct PipelineRow {
    pub pipeline: Pipeline,
    pub namespace: String,
    pub shared: bool,
    pub shadowed: bool,
    pub version_count: usize,
    pub latest: Option<LatestVersion>,
}

/// The newest version of a pipeline row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LatestVersion {
    pub object_name: String,
    /// None when only metadata was read and it carries no version-name annotation: the name
    /// is then read from that one object's spec.
    pub version_name: Option<String>,
}

async fn list_pipelines(session: &Session, args: &ListArgs, printer: &Printer) -> Result<ExitStatus> {
    let scopes: Vec<(Option<String>, bool)> = if args.all_namespaces {
        vec![(None, false)]
    } else {
        let mut scopes = vec![(Some(session.namespace.clone()), false)];
        if let Some(shared) = session.other_shared_namespace() {
            scopes.push((Some(shared.to_string()), true));
        }
        scopes
    };
    // The scopes are read concurrently; their outcomes are handled in order.
    let outcomes = futures::future::join_all(
        scopes
            .iter()
            .map(|(namespace, shared)| collect_namespace(session, namespace.as_deref(), *shared, args)),
    )
    .await;
    let mut collected = Vec::new();
    for ((namespace, shared), outcome) in scopes.into_iter().zip(outcomes) {
        match outcome {
            Ok(listing) => collected.push(listing),
            Err(err) if shared && err.downcast_ref::<ForbiddenShared>().is_some() => {
                printer.warn(&format!(
                    "cannot list pipelines in shared namespace {:?}: forbidden; showing namespace {:?} only",
                    namespace.unwrap_or_default(),
                    session.namespace
                ));
            }
            Err(err) => return Err(err),
        }
    }
    let shared_ns = session.shared.namespace.as_deref();
    let mut rows = pipeline_rows(collected, shared_ns);
    if matches!(args.output, OutputFormat::Table | OutputFormat::Wide) {
        name_latest_versions(session, &mut rows).await;
    }
    sort_pipeline_rows(&mut rows, args.sort_by.unwrap_or(SortBy::Name));
    if rows.is_empty() {
        printer.info(&empty_message(session, args.all_namespaces));
        return Ok(ExitStatus::Success);
    }
    match args.output {
        OutputFormat::Table | OutputFormat::Wide => printer.table(&pipeline_table(
            &rows,
            args.output == OutputFormat::Wide,
            !args.no_headers,
            Timestamp::now(),
        )),
        OutputFormat::Json | OutputFormat::Yaml | OutputFormat::Name => {
            let objects: Vec<&Pipeline> = rows.iter().map(|r| &r.pipeline).collect();
            print_objects(printer, &objects, args.output, "pipeline")?;
        }
    }
    Ok(ExitStatus::Success)
}

fn empty_message(session: &Session, all_namespaces: bool) -> String {
    if all_namespaces {
        return "No pipelines found in any namespace.".to_string();
    }
    match session.other_shared_namespace() {
        Some(shared) => format!(
            "No pipelines found in namespace {} (shared namespace: {shared}).",
            session.namespace
        ),
        None => format!("No pipelines found in namespace {}.", session.namespace),
    }
}

/// What one namespace (or all of them) holds.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub pipelines: Vec<Pipeline>,
    pub versions: Vec<VersionSummary>,
    /// Listed as the shared namespace.
    pub shared: bool,
}

/// Marks a 403 on the shared namespace, which degrades to a warning.
#[derive(Debug, thiserror::Error)]
#[error("forbidden")]
struct ForbiddenShared;

/// Pipelines of one namespace (or all) with their versions. A 403 in the shared namespace
/// comes back as [`ForbiddenShared`] so the caller can degrade to a warning.
async fn collect_namespace(
    session: &Session,
    namespace: Option<&str>,
    shared: bool,
    args: &ListArgs,
) -> Result<Listing> {
    let paging = Paging::from_flag(args.chunk_size);
    let mut params = ListParams::default().limit(paging.chunk_size());
    if let Some(selector) = &args.selector {
        params = params.labels(selector);
    }
    // Only the table shows version counts and latest versions. Their versions are read at the
    // same time as the pipelines: the answers are what takes time, not the requests.
    let table = matches!(args.output, OutputFormat::Table | OutputFormat::Wide);
    let api = session.api::<Pipeline>(namespace);
    let pipelines = list_pages(&api, &params);
    let (pipelines, versions) = if table {
        let (pipelines, versions) =
            futures::future::join(pipelines, versions_by_membership(session, namespace, paging)).await;
        (pipelines, Some(versions))
    } else {
        (pipelines.await, None)
    };
    // The pipelines' error first: it is the one that names what the user cannot see.
    let pipelines = match pipelines {
        Ok(items) => items,
        Err(err) if shared && is_forbidden(&err) => return Err(ForbiddenShared.into()),
        Err(err) => {
            return Err(explain(
                err,
                &Action::new("list", "pipelines", namespace),
                &session.server,
            ));
        }
    };
    let versions = match versions {
        Some(versions) if !pipelines.is_empty() => versions?,
        _ => Vec::new(),
    };
    Ok(Listing {
        pipelines,
        versions,
        shared,
    })
}

/// Every version of a namespace (or all), for counting members. Versions with a pipeline-id
/// label (all that KFP's webhook or this tool wrote) are read as metadata only: membership (the
/// UID), creation time and the version-name annotation are all there, and large specs are not
/// sent. Unlabelled ones are matched on spec.pipelineName, so read whole.
async fn versions_by_membership(
    session: &Session,
    namespace: Option<&str>,
    paging: Paging,
) -> Result<Vec<VersionSummary>> {
    let labelled_only = LABEL_PIPELINE_ID.to_string();
    let unlabelled_only = format!("!{LABEL_PIPELINE_ID}");
    let (mut versions, unlabelled) = futures::future::try_join(
        resolve::list_summaries(
            session,
            namespace,
            Some(&labelled_only),
            paging,
            ListRead::MetadataOnly,
        ),
        resolve::list_summaries(
            session,
            namespace,
            Some(&unlabelled_only),
            paging,
            ListRead::Objects,
        ),
    )
    .await?;
    versions.extend(unlabelled);
    Ok(versions)
}
/// Joins pipelines with their versions and marks shared and shadowed ones.
pub fn pipeline_rows(listings: Vec<Listing>, shared_ns: Option<&str>) -> Vec<PipelineRow> {
    let mut rows = Vec::new();
    for Listing {
        pipelines,
        versions,
        shared: shared_scope,
    } in listings
    {
        // Index versions once by what makes them members (KFP's rule): the pipeline-id label,
        // else (no such label) the namespace and spec.pipelineName.
        let mut by_uid: HashMap<&str, Vec<&VersionSummary>> = HashMap::new();
        let mut by_name: HashMap<(&str, &str), Vec<&VersionSummary>> = HashMap::new();
        for v in &versions {
            match v.labels.get(LABEL_PIPELINE_ID) {
                Some(uid) => by_uid.entry(uid.as_str()).or_default().push(v),
                None => by_name
                    .entry((v.namespace.as_str(), v.spec_pipeline_name.as_str()))
                    .or_default()
                    .push(v),
            }
        }
        for pipeline in pipelines {
            let namespace = pipeline.namespace().unwrap_or_default();
            let name = pipeline.name_any();
            let by_id = pipeline.metadata.uid.as_deref().and_then(|uid| by_uid.get(uid));
            let mine: Vec<&VersionSummary> = by_id
                .into_iter()
                .chain(by_name.get(&(namespace.as_str(), name.as_str())))
                .flatten()
                .copied()
                .filter(|v| v.belongs_to(&pipeline))
                .collect();
            let latest = mine
                .iter()
                .copied()
                .min_by(|a, b| newest_first(a, b))
                .map(|v| LatestVersion {
                    object_name: v.name.clone(),
                    version_name: v.known_version_name(),
                });
            let shared = shared_scope || shared_ns == Some(namespace.as_str());
            rows.push(PipelineRow {
                pipeline,
                namespace,
                shared,
                shadowed: false,
                version_count: mine.len(),
                latest,
            });
        }
    }
    // A local pipeline shadows a shared one of the same name (only when both scopes were listed).
    let local_names: Vec<String> = rows
        .iter()
        .filter(|r| !r.shared)
        .map(|r| r.pipeline.name_any())
        .collect();
    for row in rows.iter_mut().filter(|r| r.shared) {
        row.shadowed = local_names.contains(&row.pipeline.name_any());
    }
    rows
}

/// Reads the version name of each latest version that metadata did not name (objects written
/// without this tool's annotation) from that object's spec, a few at a time. A version that
/// cannot be read keeps its object name: the row is still right about everything else.
async fn name_latest_versions(session: &Session, rows: &mut [PipelineRow]) {
    let unnamed: Vec<(usize, String, String)> = rows
        .iter()
        .enumerate()
        .filter_map(|(index, row)| {
            let latest = row.latest.as_ref().filter(|l| l.version_name.is_none())?;
            Some((index, row.namespace.clone(), latest.object_name.clone()))
        })
        .collect();
    let named: Vec<(usize, Option<String>)> = futures::stream::iter(unnamed)
        .map(|(index, namespace, object_name)| async move {
            let api = session.api::<PipelineVersion>(Some(&namespace));
            let name = api.get(&object_name).await.ok().map(|v| v.version_name());
            (index, name)
        })
        .buffer_unordered(8)
        .collect()
        .await;
    for (index, name) in named {
        if let Some(latest) = rows[index].latest.as_mut() {
            latest.version_name = Some(name.unwrap_or_else(|| latest.object_name.clone()));
        }
    }
}

fn sort_pipeline_rows(rows: &mut [PipelineRow], sort_by: SortBy) {
    match sort_by {
        SortBy::Name => rows.sort_by(|a, b| {
            a.pipeline
                .name_any()
                .cmp(&b.pipeline.name_any())
                .then(a.shared.cmp(&b.shared))
                .then(a.namespace.cmp(&b.namespace))
        }),
        // Youngest first, like reading a changelog.
        SortBy::Age => rows.sort_by(|a, b| {
            let created = |r: &PipelineRow| r.pipeline.metadata.creation_timestamp.as_ref().map(|t| t.0);
            created(b)
                .cmp(&created(a))
                .then_with(|| a.pipeline.name_any().cmp(&b.pipeline.name_any()))
        }),
    }
}

pub fn pipeline_table(rows: &[PipelineRow], wide: bool, headers: bool, now: Timestamp) -> PlainTable {
    let mut columns = vec!["NAME", "ORIGIN", "VERSIONS", "LATEST", "AGE"];
    if wide {
        columns.extend(["DISPLAY NAME", "DESCRIPTION"]);
    }
    let mut table = PlainTable::new(&columns, headers);
    for row in rows {
        let mut cells = vec![
            row.pipeline.name_any(),
            origin_label(&row.namespace, row.shared, row.shadowed),
            row.version_count.to_string(),
            row.latest
                .as_ref()
                .map(|l| l.version_name.clone().unwrap_or_else(|| l.object_name.clone()))
                .unwrap_or_else(|| "<none>".into()),
            age(
                row.pipeline.metadata.creation_timestamp.as_ref().map(|t| &t.0),
                now,
            ),
        ];
        if wide {
            cells.push(row.pipeline.spec.display_name.clone().unwrap_or_default());
            cells.push(truncate(
                row.pipeline.spec.description.as_deref().unwrap_or(""),
                60,
            ));
        }
        table.push(cells);
    }
    table
}

async fn list_versions(
    session: &Session,
    reference: &Reference,
    args: &ListArgs,
    printer: &Printer,
) -> Result<ExitStatus> {
    let paging = Paging::from_flag(args.chunk_size);
    if args.watch || args.watch_only {
        // The watch lists the versions itself; only the pipeline is needed here.
        let resolved = resolve::pipeline_metadata(session, reference, paging).await?;
        return watch_versions::run(session, resolved, args, printer).await;
    }
    let mut resolved = resolve::pipeline(session, reference, paging).await?;
    if args.selector.is_some() {
        resolved.versions = resolve::versions_of(
            session,
            &resolved.namespace,
            &resolved.pipeline,
            args.selector.as_deref(),
            paging,
        )
        .await?;
    }
    let latest_uid = resolve::latest(&resolved.versions).and_then(|v| v.uid.clone());
    // Stale versions are no members; tables show them (marked) so they are not lost from sight.
    let table = matches!(args.output, OutputFormat::Table | OutputFormat::Wide);
    let stale = if table {
        let selector = args.selector.as_deref();
        resolve::stale_versions_of(session, &resolved.namespace, &resolved.pipeline, selector, paging).await?
    } else {
        Vec::new()
    };
    for warning in resolve::version_warnings(&resolved, &stale) {
        printer.warn(&warning);
    }
    let mut versions = std::mem::take(&mut resolved.versions);
    versions.extend(stale);
    filter_by_tags(&mut versions, &args.tags)?;
    if args.sort_by == Some(SortBy::Name) {
        versions.sort_by_key(VersionSummary::version_name);
    } else {
        versions.sort_by(newest_first);
    }
    if versions.is_empty() {
        if let Some(format) = Option::<DataFormat>::from(args.output) {
            // As kubectl: an empty List, so scripts always get a document.
            printer.list::<Value>(&[], format)?;
            return Ok(ExitStatus::Success);
        }
        printer.info(&format!(
            "No versions found for pipeline {}/{}.",
            resolved.namespace,
            resolved.pipeline.name_any()
        ));
        return Ok(ExitStatus::Success);
    }
    match args.output {
        OutputFormat::Table | OutputFormat::Wide => printer.table(&version_table(
            &resolved,
            &versions,
            latest_uid.as_deref(),
            args.output == OutputFormat::Wide,
            !args.no_headers,
            Timestamp::now(),
        )),
        OutputFormat::Name => {
            let names: String = versions
                .iter()
                .map(|v| format!("pipelineversion.pipelines.kubeflow.org/{}\n", v.name))
                .collect();
            printer.data(&names);
        }
        // Whole objects were asked for: read them in full (the summaries keep no spec).
        OutputFormat::Json | OutputFormat::Yaml => {
            let mut objects = resolve::full_versions_of(
                session,
                &resolved.namespace,
                &resolved.pipeline,
                args.selector.as_deref(),
                paging,
            )
            .await?;
            let order: HashMap<&str, usize> = versions
                .iter()
                .enumerate()
                .map(|(i, v)| (v.name.as_str(), i))
                .collect();
            // --tag filtered the summaries; the objects follow them.
            objects.retain(|o| order.contains_key(o.name_any().as_str()));
            objects.sort_by_key(|o| order.get(o.name_any().as_str()).copied().unwrap_or(usize::MAX));
            print_objects(
                printer,
                &objects.iter().collect::<Vec<_>>(),
                args.output,
                "pipelineversion",
            )?;
        }
    }
    Ok(ExitStatus::Success)
}

pub fn version_table(
    resolved: &ResolvedPipeline,
    versions: &[VersionSummary],
    latest_uid: Option<&str>,
    wide: bool,
    headers: bool,
    now: Timestamp,
) -> PlainTable {
    let mut columns = vec!["VERSION", "ORIGIN", "DIGEST", "LATEST", "STATUS", "AGE"];
    if wide {
        columns.extend(["NAME", "DISPLAY NAME", "SDK", "TASKS", "PROMOTED FROM", "TAGS"]);
    }
    let origin = resolved.origin_label();
    let mut table = PlainTable::new(&columns, headers);
    for version in versions {
        let is_latest = latest_uid.is_some() && version.uid.as_deref() == latest_uid;
        let mut cells = vec![
            version.version_name(),
            origin.clone(),
            digest::short(&version.digest),
            if is_latest { "*".into() } else { String::new() },
            resolve::version_status(version, &resolved.pipeline),
            age(version.created.as_ref(), now),
        ];
        if wide {
            cells.extend([
                version.name.clone(),
                version.display_name.clone().unwrap_or_default(),
                version.sdk_version.clone().unwrap_or_else(|| "-".into()),
                version.task_count.to_string(),
                version
                    .annotations
                    .get(ANNOTATION_PROMOTED_FROM)
                    .cloned()
                    .unwrap_or_else(|| "-".into()),
                tags_cell(version),
            ]);
        }
        table.push(cells);
    }
    table
}

/// `--tag KEY=VALUE…`: keeps the versions that carry every one of them.
fn filter_by_tags(versions: &mut Vec<VersionSummary>, tags: &[String]) -> Result<()> {
    let mut wanted = Vec::new();
    for text in tags {
        let pair = crate::labels::parse_pair(text).map_err(|why| {
            crate::error::user_error_hint(
                format!("invalid --tag {text:?}: {why}"),
                "for example --tag stage=production",
            )
        })?;
        wanted.push(pair);
    }
    versions.retain(|v| wanted.iter().all(|(k, value)| v.has_tag(k, Some(value))));
    Ok(())
}

/// The TAGS cell: `k=v,k=v`, or `-`.
fn tags_cell(version: &VersionSummary) -> String {
    if version.tags.is_empty() {
        return "-".into();
    }
    version
        .tags
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

impl From<OutputFormat> for Option<DataFormat> {
    fn from(format: OutputFormat) -> Self {
        match format {
            OutputFormat::Json => Some(DataFormat::Json),
            OutputFormat::Yaml => Some(DataFormat::Yaml),
            _ => None,
        }
    }
}
