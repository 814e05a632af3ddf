//! Talking to the cluster: one constructor that honours kubeconfig (`--kubeconfig`,
//! `KUBECONFIG` lists, `--context`/`--cluster`/`--user`) and in-cluster config, a scope-aware
//! `Api` helper, paged lists, and API errors turned into sentences that name the verb, the
//! resource and the namespace.

use std::fmt;
use std::time::Duration;

use anyhow::Result;
use kube::api::{Api, ListParams, ObjectList};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;

use crate::config::{Config, ConnectionSettings, SharedNamespace};
use crate::error::UserError;

/// A connection to one cluster plus the namespaces this invocation works with.
#[derive(Clone)]
pub struct Session {
    pub client: Client,
    /// The kubeconfig context in use (None in-cluster).
    pub context: Option<String>,
    /// The kubeconfig cluster name in use (None in-cluster).
    pub cluster: Option<String>,
    pub server: String,
    /// `-n`, else the context's namespace, else `default`.
    pub namespace: String,
    pub shared: SharedNamespace,
}

impl fmt::Debug for Session {
    // Hand-written so credentials inside the client can never reach a debug print.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("context", &self.context)
            .field("server", &self.server)
            .field("namespace", &self.namespace)
            .finish()
    }
}

impl Session {
    /// Connects using the settings; `context` overrides `--context` (for `--context-b`, `--to-context`).
    pub async fn connect(config: &Config, context: Option<&str>) -> Result<Session> {
        let mut connection = config.connection.clone();
        if let Some(context) = context {
            connection.context = Some(context.to_string());
        }
        let (kube_config, context, cluster) = load(&connection).await?;
        let server = kube_config
            .cluster_url
            .to_string()
            .trim_end_matches('/')
            .to_string();
        let namespace = config
            .namespace
            .clone()
            .unwrap_or_else(|| kube_config.default_namespace.clone());
        let shared = config.shared.resolve(context.as_deref());
        let client = Client::try_from(kube_config).map_err(|err| {
            UserError::new(format!(
                "cannot set up a client for {server}: {}",
                innermost(&err)
            ))
        })?;
        Ok(Session {
            client,
            context,
            cluster,
            server,
            namespace,
            shared,
        })
    }

    /// An `Api` for namespaced resource `K` in `namespace`, or across all namespaces for None.
    pub fn api<K>(&self, namespace: Option<&str>) -> Api<K>
    where
        K: Resource<Scope = kube::core::NamespaceResourceScope>,
        K::DynamicType: Default,
    {
        match namespace {
            Some(ns) => Api::namespaced(self.client.clone(), ns),
            None => Api::all(self.client.clone()),
        }
    }

    /// The shared namespace, unless sharing is off or it is the current namespace.
    pub fn other_shared_namespace(&self) -> Option<&str> {
        self.shared
            .namespace
            .as_deref()
            .filter(|ns| *ns != self.namespace)
    }
}

/// Reads the kubeconfig (or in-cluster config) and applies the connection flags.
async fn load(settings: &ConnectionSettings) -> Result<(kube::Config, Option<String>, Option<String>)> {
    let options = KubeConfigOptions {
        context: settings.context.clone(),
        cluster: settings.cluster.clone(),
        user: settings.user.clone(),
    };
    let kubeconfig = match &settings.kubeconfig {
        Some(path) => Some(Kubeconfig::read_from(path).map_err(|err| {
            UserError::new(format!(
                "cannot read kubeconfig {}: {}",
                path.display(),
                innermost(&err)
            ))
        })?),
        None => match Kubeconfig::from_env() {
            Ok(Some(k)) => Some(k),
            Ok(None) => default_kubeconfig()?,
            Err(err) => {
                return Err(UserError::new(format!(
                    "cannot read the kubeconfig files in KUBECONFIG: {}",
                    innermost(&err)
                ))
                .into());
            }
        },
    };
    let (mut config, context, cluster) = match kubeconfig {
        Some(kubeconfig) => {
            let context_name = options
                .context
                .clone()
                .or_else(|| kubeconfig.current_context.clone());
            if let Some(name) = &options.context
                && !kubeconfig.contexts.iter().any(|c| &c.name == name)
            {
                return Err(
                    UserError::new(format!("context {name:?} not found in the kubeconfig"))
                        .with_hint("list contexts with: kubectl config get-contexts")
                        .into(),
                );
            }
            let cluster_name = options.cluster.clone().or_else(|| {
                let context = kubeconfig
                    .contexts
                    .iter()
                    .find(|c| Some(&c.name) == context_name.as_ref())?;
                context.context.as_ref().map(|c| c.cluster.clone())
            });
            let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|err| {
                    UserError::new(format!("invalid kubeconfig: {}", innermost(&err)))
                        .with_hint("check it with: kubectl config view")
                })?;
            (config, context_name, cluster_name)
        }
        None => {
            let config = kube::Config::incluster().map_err(|_| {
                UserError::new("no kubeconfig found and not running inside a cluster")
                    .with_hint("pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config")
            })?;
            (config, None, None)
        }
    };
    if let Some(user) = &settings.impersonate {
        config.auth_info.impersonate = Some(user.clone());
    }
    if !settings.impersonate_groups.is_empty() {
        config.auth_info.impersonate_groups = Some(settings.impersonate_groups.clone());
    }
    if settings.insecure_skip_tls_verify {
        config.accept_invalid_certs = true;
    }
    if let Some(timeout) = settings.request_timeout {
        config.connect_timeout = Some(timeout.min(config.connect_timeout.unwrap_or(timeout)));
        config.read_timeout = Some(timeout);
        config.write_timeout = Some(timeout);
    }
    Ok((config, context, cluster))
}

/// `~/.kube/config` when it exists; None means "try in-cluster".
fn default_kubeconfig() -> Result<Option<Kubeconfig>> {
    let Some(path) = dirs::home_dir().map(|h| h.join(".kube").join("config")) else {
        return Ok(None);
    };
    if !path.exists() {
        return Ok(None);
    }
    Kubeconfig::read_from(&path).map(Some).map_err(|err| {
        UserError::new(format!(
            "cannot read kubeconfig {}: {}",
            path.display(),
            innermost(&err)
        ))
        .into()
    })
}

/// What a request was trying to do, for error messages.
#[derive(Debug, Clone)]
pub struct Action<'a> {
    pub verb: &'a str,
    /// Plural resource name, e.g. `pipelineversions`.
    pub resource: &'a str,
    pub namespace: Option<&'a str>,
    pub name: Option<&'a str>,
}

impl<'a> Action<'a> {
    pub fn new(verb: &'a str, resource: &'a str, namespace: Option<&'a str>) -> Self {
        Action {
            verb,
            resource,
            namespace,
            name: None,
        }
    }

    pub fn named(mut self, name: &'a str) -> Self {
        self.name = Some(name);
        self
    }

    fn describe(&self) -> String {
        let mut text = format!("{} {}", self.verb, self.resource);
        if let Some(name) = self.name {
            text = format!("{} {} {name:?}", self.verb, singular(self.resource));
        }
        match self.namespace {
            Some(ns) => format!("{text} in namespace {ns:?}"),
            None => format!("{text} in all namespaces"),
        }
    }
}

fn singular(resource: &str) -> &str {
    resource.strip_suffix('s').unwrap_or(resource)
}

/// Turns a client error into a user error naming the action, the server and the fix.
pub fn explain(err: kube::Error, action: &Action<'_>, server: &str) -> anyhow::Error {
    let what = action.describe();
    match &err {
        kube::Error::Api(status) => {
            let code = status.code;
            let message = status.message.trim();
            match code {
                401 => UserError::new(format!(
                    "cannot {what}: the server at {server} rejected the credentials (401 Unauthorized)"
                ))
                .with_hint("check the user of this kubeconfig context, or log in again")
                .into(),
                403 => {
                    let user = forbidden_user(message)
                        .map(|u| format!(" for user {u:?}"))
                        .unwrap_or_default();
                    let hint = match action.verb {
                        "get" | "list" | "watch" => format!(
                            "ask for read access to {} in {}",
                            action.resource,
                            ns_text(action)
                        ),
                        _ => format!(
                            "ask for the edit role in {}, or write to a namespace you can edit",
                            ns_text(action)
                        ),
                    };
                    UserError::new(format!("cannot {what}: forbidden{user}"))
                        .with_hint(hint)
                        .into()
                }
                404 if status.details.as_ref().is_none_or(|d| d.name.is_empty()) => not_served(server),
                404 => UserError::new(format!("cannot {what}: not found")).into(),
                409 => UserError::new(format!("cannot {what}: {message}")).into(),
                _ => UserError::new(format!("cannot {what}: {message} ({code} {})", status.reason)).into(),
            }
        }
        _ => UserError::new(format!(
            "cannot {what}: cannot reach the Kubernetes API server at {server}: {}",
            innermost(&err)
        ))
        .with_hint("check that the cluster is running and the kubeconfig points at it (kubectl cluster-info)")
        .into(),
    }
}

fn ns_text(action: &Action<'_>) -> String {
    match action.namespace {
        Some(ns) => format!("namespace {ns:?}"),
        None => "all namespaces".to_string(),
    }
}

/// The error for a cluster that does not serve KFP's resources.
pub fn not_served(server: &str) -> anyhow::Error {
    UserError::new(format!(
        "the server at {server} does not serve pipelines.kubeflow.org/v2beta1 Pipeline and PipelineVersion"
    ))
    .with_hint(
        "install KFP with --pipelinesStoreKubernetes=true, or the CRDs alone with: kubectl kfp crds | kubectl apply -f -",
    )
    .into()
}

/// Whether an error is a 404 for a named object (as opposed to an unserved resource).
pub fn is_not_found(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == 404 && s.details.as_ref().is_some_and(|d| !d.name.is_empty()))
}

pub fn is_already_exists(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == 409 && s.reason == "AlreadyExists")
}

pub fn is_forbidden(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(s) if s.code == 403)
}

/// Pulls the user name out of the server's RBAC message (`User "x" cannot …`).
fn forbidden_user(message: &str) -> Option<&str> {
    let rest = &message[message.find("User \"")? + 6..];
    Some(&rest[..rest.find('"')?])
}

/// The innermost cause's text: for network errors the useful part ("Connection refused").
pub fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    let text = current.to_string();
    // io errors append " (os error N)"; users do not need it.
    match text.find(" (os error") {
        Some(index) => text[..index].to_string(),
        None => text,
    }
}

/// Lists every object matching `params`, following continue tokens page by page.
pub async fn list_pages<K>(api: &Api<K>, params: &ListParams) -> Result<Vec<K>, kube::Error>
where
    K: Clone + DeserializeOwned + fmt::Debug,
{
    let mut items = Vec::new();
    let mut params = params.clone();
    loop {
        let page: ObjectList<K> = api.list(&params).await?;
        items.extend(page.items);
        match page.metadata.continue_.filter(|token| !token.is_empty()) {
            Some(token) => params.continue_token = Some(token),
            None => return Ok(items),
        }
    }
}

/// [`list_pages`] with errors explained for the user.
pub async fn list_all<K>(
    api: &Api<K>,
    params: &ListParams,
    action: &Action<'_>,
    server: &str,
) -> Result<Vec<K>>
where
    K: Clone + DeserializeOwned + fmt::Debug,
{
    list_pages(api, params)
        .await
        .map_err(|err| explain(err, action, server))
}

/// How long completion waits for the cluster before giving up silently.
pub const COMPLETION_TIMEOUT: Duration = Duration::from_secs(1);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_user_is_extracted() {
        let message = r#"pipelines.pipelines.kubeflow.org is forbidden: User "viewer" cannot create resource "pipelines""#;
        assert_eq!(forbidden_user(message), Some("viewer"));
        assert_eq!(forbidden_user("nothing here"), None);
    }

    #[test]
    fn actions_read_as_sentences() {
        let action = Action::new("create", "pipelineversions", Some("kubeflow")).named("train-v1");
        assert_eq!(
            action.describe(),
            "create pipelineversion \"train-v1\" in namespace \"kubeflow\""
        );
        assert_eq!(
            Action::new("list", "pipelines", None).describe(),
            "list pipelines in all namespaces"
        );
    }
}

/// The kubeconfig's context and namespace for `config view`; never fails (no kubeconfig is
/// a valid state there).
#[derive(Debug, Clone, Default)]
pub struct KubeconfigDefaults {
    pub context: Option<String>,
    pub namespace: Option<String>,
}

pub async fn kubeconfig_defaults(settings: &ConnectionSettings) -> KubeconfigDefaults {
    let kubeconfig = match &settings.kubeconfig {
        Some(path) => Kubeconfig::read_from(path).ok(),
        None => Kubeconfig::from_env()
            .ok()
            .flatten()
            .or_else(|| default_kubeconfig().ok().flatten()),
    };
    let Some(kubeconfig) = kubeconfig else {
        return KubeconfigDefaults::default();
    };
    let context = settings
        .context
        .clone()
        .or_else(|| kubeconfig.current_context.clone());
    let namespace = kubeconfig
        .contexts
        .iter()
        .find(|c| Some(&c.name) == context.as_ref())
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.namespace.clone());
    KubeconfigDefaults { context, namespace }
}

/// Asks the server whether the session's user may `verb` `resource` in `namespace`
/// (SelfSubjectAccessReview), so a command can refuse before writing anything.
pub async fn can_i(session: &Session, verb: &str, resource: &str, namespace: &str) -> Result<bool> {
    use k8s_openapi::api::authorization::v1::{
        ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
    };
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                group: Some(crate::resources::GROUP.to_string()),
                version: Some(crate::resources::VERSION.to_string()),
                resource: Some(resource.to_string()),
                verb: Some(verb.to_string()),
                namespace: Some(namespace.to_string()),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(session.client.clone());
    let answer = api.create(&Default::default(), &review).await.map_err(|err| {
        explain(
            err,
            &Action::new("create", "selfsubjectaccessreviews", None),
            &session.server,
        )
    })?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

/// The user name the server sees (SelfSubjectReview), for messages; None when unavailable.
pub async fn whoami(session: &Session) -> Option<String> {
    use k8s_openapi::api::authentication::v1::SelfSubjectReview;
    let api: Api<SelfSubjectReview> = Api::all(session.client.clone());
    let review = api
        .create(&Default::default(), &SelfSubjectReview::default())
        .await
        .ok()?;
    review.status?.user_info?.username
}
