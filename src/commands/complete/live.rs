//! Candidates looked up live: kubeconfig contexts, clusters and users, and namespaces,
//! pipelines and versions read from the cluster within [`COMPLETION_TIMEOUT`].

use k8s_openapi::api::core::v1::Namespace;
use kube::ResourceExt;
use kube::api::{Api, ListParams};
use kube::config::Kubeconfig;
use tokio::time::{Instant, timeout_at};

use super::analyze::{Candidate, Request, Want};
use crate::cli::GlobalArgs;
use crate::client::{COMPLETION_TIMEOUT, Session};
use crate::config::Config;
use crate::output::age;
use crate::reference::{Reference, VersionSelector};
use crate::resolve;
use crate::resources::Pipeline;

/// The kubeconfig the line points at (`--kubeconfig`, else `KUBECONFIG`, else
/// `~/.kube/config`), or None.
fn read_kubeconfig(global: &GlobalArgs) -> Option<Kubeconfig> {
    if let Some(path) = &global.kubeconfig {
        return Kubeconfig::read_from(path).ok();
    }
    if let Ok(Some(kubeconfig)) = Kubeconfig::from_env() {
        return Some(kubeconfig);
    }
    let path = dirs::home_dir()?.join(".kube").join("config");
    Kubeconfig::read_from(path).ok()
}

pub(super) fn kubeconfig_names(request: &Request) -> Vec<Candidate> {
    let Some(kubeconfig) = read_kubeconfig(&request.global) else {
        return Vec::new();
    };
    match request.want {
        Want::Contexts => kubeconfig
            .contexts
            .iter()
            .map(|named| {
                let description = named
                    .context
                    .as_ref()
                    .map(|c| match &c.namespace {
                        Some(ns) => format!("cluster {}, namespace {ns}", c.cluster),
                        None => format!("cluster {}", c.cluster),
                    })
                    .unwrap_or_default();
                Candidate::new(&named.name, description)
            })
            .collect(),
        Want::Clusters => kubeconfig
            .clusters
            .iter()
            .map(|named| Candidate::new(&named.name, ""))
            .collect(),
        Want::Users => kubeconfig
            .auth_infos
            .iter()
            .map(|named| Candidate::new(&named.name, ""))
            .collect(),
        _ => Vec::new(),
    }
}

/// Candidates read from the cluster, all within [`COMPLETION_TIMEOUT`]; what is not there by
/// then is left out.
pub(super) fn live(request: &Request) -> Vec<Candidate> {
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() else {
        return Vec::new();
    };
    runtime.block_on(async {
        let deadline = Instant::now() + COMPLETION_TIMEOUT;
        let Some(session) = connect(request, deadline).await else {
            return Vec::new();
        };
        match &request.want {
            Want::Namespaces => namespaces(&session, deadline).await,
            Want::LocalPipeline => pipelines(&session, &session.namespace, deadline, "")
                .await
                .unwrap_or_default(),
            Want::Reference { versions } => references(&session, &request.partial, *versions, deadline).await,
            _ => Vec::new(),
        }
    })
}

/// A session for the line's flags, with every request bounded by the completion timeout.
async fn connect(request: &Request, deadline: Instant) -> Option<Session> {
    let mut config = Config::from_cli(&request.global).ok()?;
    let limit = config
        .connection
        .request_timeout
        .map_or(COMPLETION_TIMEOUT, |t| t.min(COMPLETION_TIMEOUT));
    config.connection.request_timeout = Some(limit);
    timeout_at(deadline, Session::connect(&config, request.context.as_deref()))
        .await
        .ok()?
        .ok()
}

/// Namespaces the user can see: all of them when they may list namespaces (few may), else
/// the current and the shared namespace.
async fn namespaces(session: &Session, deadline: Instant) -> Vec<Candidate> {
    let api: Api<Namespace> = Api::all(session.client.clone());
    if let Ok(Ok(list)) = timeout_at(deadline, api.list_metadata(&ListParams::default())).await {
        return list
            .items
            .iter()
            .map(|ns| Candidate::new(ns.name_any(), ""))
            .collect();
    }
    let mut candidates = vec![Candidate::new(&session.namespace, "current namespace")];
    if let Some(shared) = &session.shared.namespace {
        candidates.push(Candidate::new(shared, "shared namespace"));
    }
    candidates
}

/// Pipeline names in `namespace`, each prefixed with `prefix` (`team-a/` or nothing).
async fn pipelines(
    session: &Session,
    namespace: &str,
    deadline: Instant,
    prefix: &str,
) -> Option<Vec<Candidate>> {
    let api = session.api::<Pipeline>(Some(namespace));
    let list = timeout_at(deadline, api.list_metadata(&ListParams::default()))
        .await
        .ok()?
        .ok()?;
    let shared = session.shared.namespace.as_deref() == Some(namespace);
    let description = resolve::origin_label(namespace, shared && namespace != session.namespace, false);
    Some(
        list.items
            .iter()
            .map(|p| Candidate::new(format!("{prefix}{}", p.name_any()), description.clone()))
            .collect(),
    )
}

/// `[NAMESPACE/]PIPELINE[@VERSION]` candidates for the word typed so far.
async fn references(session: &Session, word: &str, versions: bool, deadline: Instant) -> Vec<Candidate> {
    if let Some((head, _)) = word.split_once('@') {
        if !versions {
            return Vec::new();
        }
        return timeout_at(deadline, version_candidates(session, head))
            .await
            .unwrap_or_default();
    }
    if let Some((namespace, _)) = word.split_once('/') {
        return pipelines(session, namespace, deadline, &format!("{namespace}/"))
            .await
            .unwrap_or_default();
    }
    let local = pipelines(session, &session.namespace, deadline, "");
    let shared = async {
        match session.other_shared_namespace() {
            Some(shared) => pipelines(session, shared, deadline, "").await,
            None => None,
        }
    };
    let prefixes = namespaces(session, deadline);
    let (local, shared, prefixes) = tokio::join!(local, shared, prefixes);
    let mut candidates: Vec<Candidate> = local.into_iter().chain(shared).flatten().collect();
    candidates.extend(
        prefixes
            .into_iter()
            .map(|ns| Candidate::new(format!("{}/", ns.value), "namespace")),
    );
    candidates
}

/// The versions of the pipeline named before `@`, newest marked `latest`, plus `@latest`.
async fn version_candidates(session: &Session, head: &str) -> Vec<Candidate> {
    let (namespace, pipeline) = match head.split_once('/') {
        Some((ns, name)) => (Some(ns.to_string()), name.to_string()),
        None => (None, head.to_string()),
    };
    let reference = Reference {
        namespace,
        pipeline,
        version: VersionSelector::Latest,
    };
    let Ok(resolved) = resolve::pipeline(session, &reference, resolve::Paging::Stream).await else {
        return Vec::new();
    };
    let now = jiff::Timestamp::now();
    let mut candidates = vec![Candidate::new(format!("{head}@latest"), "the newest version")];
    for (index, version) in resolved.versions.iter().enumerate() {
        let created = age(version.created.as_ref(), now);
        let description = if index == 0 {
            format!("latest, {created} old")
        } else {
            format!("{created} old")
        };
        candidates.push(Candidate::new(
            format!("{head}@{}", version.version_name()),
            description,
        ));
    }
    // Tags in use: `PIPELINE@KEY=VALUE` is the newest version carrying one (see tag.rs).
    candidates.extend(
        crate::commands::tag::tags_in_use(&resolved.versions)
            .into_iter()
            .map(|(tag, description)| Candidate::new(format!("{head}@{tag}"), description)),
    );
    candidates
}
