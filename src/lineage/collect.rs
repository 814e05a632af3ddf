//! Reading what `history` and `drift` compare: pipelines and version metadata
//! (`PartialObjectMetadata`: digests, version names and provenance are annotations) of many
//! namespaces, in one list across all namespaces when the user may, else one list per
//! namespace with a bounded number in flight. Namespaces the user cannot read are collected,
//! not failed on. Specs are read only for versions whose digest metadata cannot tell.

use std::collections::{BTreeMap, HashMap};

use anyhow::Result;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Namespace;
use kube::ResourceExt;
use kube::api::ListParams;

use super::{ClusterId, Snapshot};
use crate::client::{Action, Session, explain, is_forbidden, is_not_found, list_pages};
use crate::digest;
use crate::error::summarize;
use crate::output::progress::{self, Work};
use crate::resolve::{self, DEFAULT_CHUNK_SIZE, ListRead, Paging};
use crate::resources::{ANNOTATION_DIGEST, LABEL_PIPELINE_NAME, Pipeline, PipelineVersion, VersionSummary};

/// Lists (or reads of single versions) in flight at once per cluster.
pub const IN_FLIGHT: usize = 16;

/// Which namespaces to read in one cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every namespace: one list across all of them when allowed, else one per namespace.
    All,
    /// These namespaces, one list each.
    Namespaces(Vec<String>),
}

/// The user may neither list across all namespaces nor list the namespaces.
#[derive(Debug, thiserror::Error)]
#[error(
    "cannot list pipelines in all namespaces of {server}: forbidden, and the namespaces cannot be listed either"
)]
pub struct NoClusterWideAccess {
    pub server: String,
}

/// The cluster a session talks to.
pub fn cluster_of(session: &Session) -> ClusterId {
    ClusterId {
        context: session.context.clone(),
        server: session.server.clone(),
    }
}

/// Reads pipelines and version metadata of `scope`.
pub async fn snapshot(session: &Session, scope: &Scope) -> Result<Snapshot> {
    let cluster = cluster_of(session);
    let namespaces = match scope {
        Scope::Namespaces(list) => list.clone(),
        Scope::All => match read(session, None).await {
            Ok(Some((pipelines, versions))) => {
                return Ok(Snapshot {
                    cluster,
                    pipelines,
                    versions,
                    forbidden: Vec::new(),
                });
            }
            Ok(None) => list_namespaces(session).await?,
            Err(err) => return Err(err),
        },
    };
    progress::set_total(Work::Namespaces, namespaces.len() as u64);
    let reads: Vec<(String, Result<Option<Read>>)> = futures::stream::iter(namespaces)
        .map(|namespace| async move {
            let outcome = read(session, Some(&namespace)).await;
            progress::add(Work::Namespaces, 1);
            (namespace, outcome)
        })
        .buffer_unordered(IN_FLIGHT)
        .collect()
        .await;
    let mut snapshot = Snapshot {
        cluster,
        pipelines: Vec::new(),
        versions: Vec::new(),
        forbidden: Vec::new(),
    };
    for (namespace, outcome) in reads {
        match outcome? {
            Some((pipelines, versions)) => {
                snapshot.pipelines.extend(pipelines);
                snapshot.versions.extend(versions);
            }
            None => snapshot.forbidden.push(namespace),
        }
    }
    snapshot.forbidden.sort();
    Ok(snapshot)
}

type Read = (Vec<Pipeline>, Vec<VersionSummary>);

/// Pipelines and versions of one namespace (None: all), or None when forbidden. Labelled
/// versions are read as metadata only; unlabelled ones whole, since their pipeline is known
/// only from `spec.pipelineName` (as `list` reads them).
async fn read(session: &Session, namespace: Option<&str>) -> Result<Option<Read>> {
    let params = ListParams::default().limit(DEFAULT_CHUNK_SIZE);
    let labelled = LABEL_PIPELINE_NAME.to_string();
    let unlabelled = format!("!{LABEL_PIPELINE_NAME}");
    let (pipelines, labelled, unlabelled) = futures::future::join3(
        list_pages(&session.api::<Pipeline>(namespace), &params),
        resolve::list_summaries(
            session,
            namespace,
            Some(&labelled),
            Paging::Stream,
            ListRead::MetadataOnly,
        ),
        resolve::list_summaries(
            session,
            namespace,
            Some(&unlabelled),
            Paging::Stream,
            ListRead::Objects,
        ),
    )
    .await;
    // Who may not list pipelines there may not list their versions either (one role grants both).
    let pipelines = match pipelines {
        Ok(pipelines) => pipelines,
        Err(err) if is_forbidden(&err) => return Ok(None),
        Err(err) => {
            return Err(explain(
                err,
                &Action::new("list", "pipelines", namespace),
                &session.server,
            ));
        }
    };
    let mut versions = labelled?;
    versions.extend(unlabelled?);
    Ok(Some((pipelines, versions)))
}

/// The namespaces of the cluster, when the user may list them.
async fn list_namespaces(session: &Session) -> Result<Vec<String>> {
    let api: kube::Api<Namespace> = kube::Api::all(session.client.clone());
    match list_pages(&api, &ListParams::default().limit(DEFAULT_CHUNK_SIZE)).await {
        Ok(namespaces) => Ok(namespaces.iter().map(|n| n.name_any()).collect()),
        Err(err) if is_forbidden(&err) => Err(NoClusterWideAccess {
            server: session.server.clone(),
        }
        .into()),
        Err(err) => Err(explain(
            err,
            &Action::new("list", "namespaces", None),
            &session.server,
        )),
    }
}

/// Makes the digests of the versions at `needed` trustworthy (`VersionSummary::digest_trusted`):
/// versions without the digest annotation are read whole (a namespace's list when it has many,
/// else one by one), annotated ones whose spec changed after creation one by one.
pub async fn trust_digests(
    session: &Session,
    versions: &mut [VersionSummary],
    needed: &[usize],
) -> Result<()> {
    let mut unannotated: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut single: Vec<usize> = Vec::new();
    for &index in needed {
        let version = &versions[index];
        if version.digest_trusted() {
            continue;
        }
        if version.digest_annotated() {
            single.push(index);
        } else {
            unannotated
                .entry(version.namespace.clone())
                .or_default()
                .push(index);
        }
    }
    // A few versions are cheaper one by one; many are cheaper as one list of the namespace.
    let mut lists = Vec::new();
    for (namespace, indices) in unannotated {
        if indices.len() > 4 {
            lists.push((namespace, indices));
        } else {
            single.extend(indices);
        }
    }
    let listed: Vec<(Vec<usize>, Vec<VersionSummary>)> = futures::stream::iter(lists)
        .map(|(namespace, indices)| async move {
            let whole =
                resolve::list_summaries(session, Some(&namespace), None, Paging::Stream, ListRead::Objects)
                    .await?;
            Ok::<_, anyhow::Error>((indices, whole))
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    for (indices, whole) in listed {
        let by_uid: HashMap<Option<&str>, &VersionSummary> =
            whole.iter().map(|v| (v.uid.as_deref(), v)).collect();
        for index in indices {
            if let Some(read) = by_uid.get(&versions[index].uid.as_deref()) {
                versions[index] = (*read).clone();
            }
        }
    }
    let fetched: Vec<(usize, Option<VersionSummary>)> = futures::stream::iter(single)
        .map(|index| {
            let (namespace, name) = (versions[index].namespace.clone(), versions[index].name.clone());
            async move { Ok::<_, anyhow::Error>((index, read_whole(session, &namespace, &name).await?)) }
        })
        .buffer_unordered(IN_FLIGHT)
        .try_collect()
        .await?;
    for (index, read) in fetched {
        if let Some(read) = read {
            versions[index] = read;
        }
    }
    Ok(())
}

/// One version read whole, its digest computed from the spec (not taken from an annotation
/// that may be stale); None when it was deleted meanwhile.
async fn read_whole(session: &Session, namespace: &str, name: &str) -> Result<Option<VersionSummary>> {
    match session.api::<PipelineVersion>(Some(namespace)).get(name).await {
        Ok(version) => {
            let mut summary = VersionSummary::of(&version);
            summary.digest = digest::of(&version.spec.pipeline_spec, version.spec.platform_spec.as_ref());
            summary.annotations.remove(ANNOTATION_DIGEST);
            Ok(Some(summary))
        }
        Err(err) if is_not_found(&err) => Ok(None),
        Err(err) => Err(explain(
            err,
            &Action::new("get", "pipelineversions", Some(namespace)).named(name),
            &session.server,
        )),
    }
}

/// Connects to each context; a context that cannot be set up is kept with its error (one
/// line), so the others still run.
pub async fn connect_all(
    config: &crate::config::Config,
    contexts: &[String],
) -> Vec<(ClusterId, Result<Session, String>)> {
    futures::future::join_all(contexts.iter().map(|context| async move {
        match Session::connect(config, Some(context)).await {
            Ok(session) => (cluster_of(&session), Ok(session)),
            Err(err) => (
                ClusterId {
                    context: Some(context.clone()),
                    server: String::new(),
                },
                Err(summarize(&err).0),
            ),
        }
    }))
    .await
}

/// The one-line text of an error, for a row.
pub fn one_line(err: &anyhow::Error) -> String {
    summarize(err).0
}

/// `error: context "x": …` lines for the clusters that could not be read: printed after the
/// rest of the answer, which then exits 2.
pub fn context_errors<'a>(failures: impl Iterator<Item = (&'a ClusterId, &'a str)>) -> Vec<String> {
    failures
        .map(|(cluster, why)| format!("error: context {:?}: {why}", cluster.label()))
        .collect()
}
