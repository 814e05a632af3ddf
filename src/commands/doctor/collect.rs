//! Collecting the data checks' facts. Pipelines and promotion sources are read as metadata only
//! (`PartialObjectMetadata`); versions are read whole, because digests and validation need
//! their specs, but streamed and reduced to [`VersionFacts`] while each object is parsed, so
//! no more than one spec is held at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::Ordering as AtomicOrdering;

use anyhow::Result;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use kube::api::{ListParams, ObjectList, WatchParams};
use kube::core::Request;
use serde::Deserialize;
use serde_json::Value;

use crate::client::{Action, RequestTimedOut, Session, explain, is_forbidden};
use crate::digest;
use crate::output::progress::{self, Work};
use crate::resolve::{self, Streamed};
use crate::resources::{
    ANNOTATION_DIGEST, ANNOTATION_PROMOTED_FROM, ANNOTATION_PROMOTED_FROM_CLUSTER,
    ANNOTATION_PROMOTED_FROM_UID, ANNOTATION_VERSION_NAME, LABEL_PIPELINE_NAME,
};
use crate::validate::{self, SpecError};

use super::cluster::Scope;

/// A Pipeline as the checks need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineFacts {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

/// A PipelineVersion reduced to what the checks need; the spec itself is not kept.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VersionFacts {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub created: Option<jiff::Timestamp>,
    pub labels: BTreeMap<String, String>,
    pub owners: Vec<OwnerReference>,
    /// `spec.pipelineName`: the Pipeline KFP's webhook looks up.
    pub spec_pipeline_name: String,
    /// `spec.versionName`, else the object name.
    pub version_name: String,
    /// The `kubectl-kfp.io/digest` annotation, if any.
    pub stored_digest: Option<String>,
    /// The digest of the content as stored.
    pub digest: String,
    pub spec_error: Option<SpecError>,
    pub promoted_from: Option<String>,
    pub promoted_from_uid: Option<String>,
    pub promoted_from_cluster: Option<String>,
}

/// A version elsewhere that a `promoted-from` annotation may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFacts {
    pub uid: String,
    pub pipeline: String,
    pub version_name: String,
}

/// Everything the data checks look at.
#[derive(Debug, Clone, Default)]
pub struct DataState {
    /// The namespaces checked (with `-A`: those holding pipelines or versions).
    pub namespaces: Vec<String>,
    pub pipelines: Vec<PipelineFacts>,
    pub versions: Vec<VersionFacts>,
    /// Versions of namespaces named by `promoted-from` that were not checked themselves; None
    /// where they cannot be read.
    pub sources: BTreeMap<String, Option<Vec<SourceFacts>>>,
}

/// The wire form of a version; [`VersionFacts`] is built from it as soon as it is parsed.
#[derive(Deserialize, Clone)]
struct RawVersion {
    #[serde(default)]
    metadata: ObjectMeta,
    #[serde(default)]
    spec: RawSpec,
}

#[derive(Deserialize, Clone, Default)]
#[serde(rename_all = "camelCase", default)]
struct RawSpec {
    pipeline_name: String,
    version_name: Option<String>,
    pipeline_spec: Value,
    platform_spec: Option<Value>,
}

impl From<RawVersion> for VersionFacts {
    fn from(raw: RawVersion) -> VersionFacts {
        let meta = raw.metadata;
        let annotations = meta.annotations.unwrap_or_default();
        let platform = raw.spec.platform_spec.as_ref().filter(|p| !p.is_null());
        let name = meta.name.unwrap_or_default();
        VersionFacts {
            namespace: meta.namespace.unwrap_or_default(),
            uid: meta.uid.unwrap_or_default(),
            created: meta.creation_timestamp.map(|t| t.0),
            labels: meta.labels.unwrap_or_default(),
            owners: meta.owner_references.unwrap_or_default(),
            spec_pipeline_name: raw.spec.pipeline_name,
            version_name: raw
                .spec
                .version_name
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| name.clone()),
            name,
            stored_digest: annotations.get(ANNOTATION_DIGEST).cloned(),
            digest: digest::of(&raw.spec.pipeline_spec, platform),
            spec_error: validate::check(&raw.spec.pipeline_spec, platform).err(),
            promoted_from: annotations.get(ANNOTATION_PROMOTED_FROM).cloned(),
            promoted_from_uid: annotations.get(ANNOTATION_PROMOTED_FROM_UID).cloned(),
            promoted_from_cluster: annotations.get(ANNOTATION_PROMOTED_FROM_CLUSTER).cloned(),
        }
    }
}

/// A version streamed and reduced while parsing (see [`RawVersion`]).
#[derive(Deserialize, Clone)]
#[serde(from = "RawVersion")]
struct Reduced(VersionFacts);

impl From<RawVersion> for Reduced {
    fn from(raw: RawVersion) -> Reduced {
        Reduced(raw.into())
    }
}

/// Metadata of any object, from a `PartialObjectMetadataList`.
#[derive(Deserialize, Clone)]
struct Meta {
    #[serde(default)]
    metadata: ObjectMeta,
}

const METADATA_LIST: &str = "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1";

fn path(resource: &str, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("/apis/pipelines.kubeflow.org/v2beta1/namespaces/{ns}/{resource}"),
        None => format!("/apis/pipelines.kubeflow.org/v2beta1/{resource}"),
    }
}

/// Reads the facts of the scope's namespaces (all of them with `-A`).
pub async fn data(session: &Session, scope: &Scope) -> Result<DataState> {
    let mut state = DataState::default();
    for namespace in scope.lists() {
        let (pipelines, versions) =
            futures::future::try_join(pipelines(session, namespace), versions(session, namespace)).await?;
        state.pipelines.extend(pipelines);
        state.versions.extend(versions);
    }
    state.namespaces = match &scope.namespaces {
        Some(namespaces) => namespaces.clone(),
        None => state
            .pipelines
            .iter()
            .map(|p| p.namespace.clone())
            .chain(state.versions.iter().map(|v| v.namespace.clone()))
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
    };
    let checked: BTreeSet<&str> = state.namespaces.iter().map(String::as_str).collect();
    let wanted: BTreeSet<String> = state
        .versions
        .iter()
        .filter(|v| same_cluster(v, &session.server))
        .filter_map(|v| v.promoted_from.as_deref())
        .filter_map(|from| from.split_once('/').map(|(ns, _)| ns.to_string()))
        .filter(|ns| !checked.contains(ns.as_str()))
        .collect();
    for namespace in wanted {
        let sources = sources(session, &namespace).await?;
        state.sources.insert(namespace, sources);
    }
    Ok(state)
}

/// Whether a version's `promoted-from` names a source in this cluster.
pub fn same_cluster(version: &VersionFacts, server: &str) -> bool {
    version
        .promoted_from_cluster
        .as_deref()
        .is_none_or(|cluster| cluster == server)
}

/// Pipelines' names and UIDs, metadata only.
async fn pipelines(session: &Session, namespace: Option<&str>) -> Result<Vec<PipelineFacts>> {
    let action = Action::new("list", "pipelines", namespace);
    let items = metadata_list(session, &path("pipelines", namespace), None)
        .await
        .map_err(|err| explain(err, &action, &session.server))?;
    Ok(items
        .into_iter()
        .map(|meta| PipelineFacts {
            namespace: meta.namespace.unwrap_or_default(),
            name: meta.name.unwrap_or_default(),
            uid: meta.uid.unwrap_or_default(),
        })
        .collect())
}

/// Versions of a namespace `promoted-from` names, metadata only; None when forbidden.
async fn sources(session: &Session, namespace: &str) -> Result<Option<Vec<SourceFacts>>> {
    let action = Action::new("list", "pipelineversions", Some(namespace));
    match metadata_list(session, &path("pipelineversions", Some(namespace)), None).await {
        Ok(items) => Ok(Some(
            items
                .into_iter()
                .map(|meta| {
                    let name = meta.name.unwrap_or_default();
                    let labels = meta.labels.unwrap_or_default();
                    let annotations = meta.annotations.unwrap_or_default();
                    SourceFacts {
                        uid: meta.uid.unwrap_or_default(),
                        pipeline: labels.get(LABEL_PIPELINE_NAME).cloned().unwrap_or_default(),
                        version_name: annotations.get(ANNOTATION_VERSION_NAME).cloned().unwrap_or(name),
                    }
                })
                .collect(),
        )),
        Err(err) if is_forbidden(&err) => Ok(None),
        Err(err) => Err(explain(err, &action, &session.server)),
    }
}

/// A `PartialObjectMetadataList`, in pages of 500.
async fn metadata_list(
    session: &Session,
    path: &str,
    selector: Option<&str>,
) -> Result<Vec<ObjectMeta>, kube::Error> {
    let mut params = ListParams::default().limit(500);
    if let Some(selector) = selector {
        params = params.labels(selector);
    }
    let mut items = Vec::new();
    loop {
        let mut request = Request::new(path)
            .list(&params)
            .map_err(kube::Error::BuildRequest)?;
        request.headers_mut().insert(
            http::header::ACCEPT,
            http::HeaderValue::from_static(METADATA_LIST),
        );
        let page: ObjectList<Meta> = session.client.request(request).await?;
        items.extend(page.items.into_iter().map(|m| m.metadata));
        match page.metadata.continue_.filter(|token| !token.is_empty()) {
            Some(token) => params.continue_token = Some(token),
            None => return Ok(items),
        }
    }
}

/// Every version of the namespace (all with None), reduced while parsed: one streaming list
/// from the API server's cache, or pages of 100 where streaming is refused.
async fn versions(session: &Session, namespace: Option<&str>) -> Result<Vec<VersionFacts>> {
    let action = Action::new("list", "pipelineversions", namespace);
    if session.streaming_lists.load(AtomicOrdering::Relaxed) {
        // The retry layer bounds single requests; a stream is bounded here as a whole.
        let streamed = match session.retry.deadline {
            Some(limit) => tokio::time::timeout(limit, stream(session, namespace))
                .await
                .unwrap_or_else(|_| Err(kube::Error::Service(Box::new(RequestTimedOut(limit))))),
            None => stream(session, namespace).await,
        };
        match streamed {
            Ok(Some(items)) => return Ok(items),
            Ok(None) => session.streaming_lists.store(false, AtomicOrdering::Relaxed),
            Err(err) => return Err(explain(err, &action, &session.server)),
        }
    }
    pages(session, namespace)
        .await
        .map_err(|err| explain(err, &action, &session.server))
}

/// One streaming list (a watch with `sendInitialEvents`); Ok(None) when the server or the role
/// refuses it, or it ends early (then pages are read).
async fn stream(
    session: &Session,
    namespace: Option<&str>,
) -> Result<Option<Vec<VersionFacts>>, kube::Error> {
    let params = WatchParams::default().initial_events();
    let request = Request::new(path("pipelineversions", namespace))
        .watch(&params, "")
        .map_err(kube::Error::BuildRequest)?;
    // Every stream that does not list whole is read in pages instead.
    Ok(
        match resolve::initial_events::<Reduced>(session, request).await? {
            Streamed::Listed(items) => Some(items.into_iter().map(|Reduced(v)| v).collect()),
            Streamed::Refused | Streamed::CutShort => None,
        },
    )
}

/// Pages of 100 whole versions (each reduced while parsed).
async fn pages(session: &Session, namespace: Option<&str>) -> Result<Vec<VersionFacts>, kube::Error> {
    let mut params = ListParams::default().limit(100);
    let mut items = Vec::new();
    loop {
        let request = Request::new(path("pipelineversions", namespace))
            .list(&params)
            .map_err(kube::Error::BuildRequest)?;
        let page: ObjectList<Reduced> = session.client.request(request).await?;
        progress::add(Work::VersionsRead, page.items.len() as u64);
        items.extend(page.items.into_iter().map(|Reduced(v)| v));
        match page.metadata.continue_.filter(|token| !token.is_empty()) {
            Some(token) => params.continue_token = Some(token),
            None => return Ok(items),
        }
    }
}
