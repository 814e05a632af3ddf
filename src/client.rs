//! Talking to the cluster: one constructor that honours kubeconfig (`--kubeconfig`,
//! `KUBECONFIG` lists, `--context`/`--cluster`/`--user`) and in-cluster config, a scope-aware
//! `Api` helper, paged lists, and API errors turned into sentences that name the verb, the
//! resource and the namespace.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::task::{Context, Poll};
use std::time::Duration;

use anyhow::Result;
use kube::api::{Api, ListParams, ObjectList};
use kube::client::{AuthError, Body, ClientBuilder, DynBody};
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
    /// Cleared once the server or the user's role refuses a streaming list, so later lists in
    /// the same run go straight to pages (see `resolve::Paging`).
    pub streaming_lists: Arc<AtomicBool>,
    /// The retry policy of every request, for streams that retry themselves.
    pub retry: RetryPolicy,
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
        let retry = RetryPolicy::new(connection.request_timeout);
        let client = build_client(kube_config, retry)
            .map_err(|err| UserError::new(format!("cannot set up a client for {server}: {}", cause(&err))))?;
        Ok(Session {
            client,
            context,
            cluster,
            server,
            namespace,
            shared,
            streaming_lists: Arc::new(AtomicBool::new(true)),
            retry,
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
        None => match kubeconfig_from_env()? {
            Some(k) => Some(k),
            None => default_kubeconfig()?,
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

/// The files in `KUBECONFIG` (a colon-separated list), merged in order as kubectl merges them.
/// Like kubectl, files that do not exist are skipped; None when the variable names no file.
fn kubeconfig_from_env() -> Result<Option<Kubeconfig>> {
    let Some(value) = std::env::var_os("KUBECONFIG") else {
        return Ok(None);
    };
    let mut merged: Option<Kubeconfig> = None;
    for path in std::env::split_paths(&value).filter(|p| !p.as_os_str().is_empty() && p.exists()) {
        let next = Kubeconfig::read_from(&path).map_err(|err| {
            UserError::new(format!(
                "cannot read kubeconfig {} (from KUBECONFIG): {}",
                path.display(),
                innermost(&err)
            ))
        })?;
        merged = Some(match merged {
            None => next,
            Some(first) => first.merge(next).map_err(|err| {
                UserError::new(format!(
                    "cannot merge kubeconfig {} (from KUBECONFIG): {}",
                    path.display(),
                    innermost(&err)
                ))
            })?,
        });
    }
    Ok(merged)
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
    // An answer that arrived but could not be parsed is no connection problem. (kube reports a
    // watch event it cannot parse as a Status with code 0.)
    match &err {
        kube::Error::SerdeError(e) => {
            return UserError::new(format!(
                "cannot {what}: the answer of the Kubernetes API server at {server} cannot be read: {e}"
            ))
            .into();
        }
        kube::Error::Api(status) if status.code == 0 => {
            return UserError::new(format!(
                "cannot {what}: the answer of the Kubernetes API server at {server} cannot be read"
            ))
            .into();
        }
        _ => {}
    }
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
        _ => transport_error(&err, &what, server),
    }
}

/// A failure below HTTP (connection, TLS, credentials, time) as one sentence naming the server.
fn transport_error(err: &kube::Error, what: &str, server: &str) -> anyhow::Error {
    if let Some(auth) = find_cause::<AuthError>(err) {
        return UserError::new(format!(
            "cannot {what}: cannot get credentials for the Kubernetes API server at {server}: {}",
            auth_reason(auth)
        ))
        .with_hint("check the user of this kubeconfig context (kubectl config view --minify)")
        .into();
    }
    // The whole request ran out of --request-timeout, or one connect or read did.
    let timed_out = match find_cause::<RequestTimedOut>(err) {
        Some(RequestTimedOut(limit)) => Some(format!("within {} (--request-timeout)", seconds(*limit))),
        None => (find_cause::<tokio::time::error::Elapsed>(err).is_some()
            || find_cause::<std::io::Error>(err).is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut))
        .then(|| format!("in time ({})", innermost(err))),
    };
    if let Some(when) = timed_out {
        return UserError::new(format!(
            "cannot {what}: the Kubernetes API server at {server} did not answer {when}"
        ))
        .with_hint("check the server's health, or allow more time with --request-timeout")
        .into();
    }
    let reason = innermost(err);
    // rustls reports an untrusted or mismatched server certificate as "invalid peer certificate: …".
    if reason.contains("certificate") {
        return UserError::new(format!(
            "cannot {what}: cannot verify the identity of the Kubernetes API server at {server}: {reason}"
        ))
        .with_hint(
            "check the cluster's certificate-authority-data in the kubeconfig (--insecure-skip-tls-verify skips the check, insecurely)",
        )
        .into();
    }
    UserError::new(format!(
        "cannot {what}: cannot reach the Kubernetes API server at {server}: {reason}"
    ))
    .with_hint("check that the cluster is running and the kubeconfig points at it (kubectl cluster-info)")
    .into()
}

/// An error and its causes, including the errors that I/O errors wrap (an io::Error's
/// `source()` skips the error it wraps, and connectors wrap I/O errors in I/O errors).
fn causes<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(err), |error| match error.downcast_ref::<std::io::Error>() {
        Some(io) => io
            .get_ref()
            .map(|inner| inner as &(dyn std::error::Error + 'static)),
        None => error.source(),
    })
}

/// The first error of type `T` among an error's causes.
fn find_cause<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    causes(err).find_map(|error| error.downcast_ref::<T>())
}

/// Why a client could not be built or a request not be sent, safe to print.
fn cause(err: &kube::Error) -> String {
    match find_cause::<AuthError>(err) {
        Some(auth) => format!("cannot get credentials: {}", auth_reason(auth)),
        None => innermost(err),
    }
}

/// A credential failure in words that cannot carry a secret: kube's own texts for exec plugins
/// include the plugin's command line, environment and output, where tokens live.
fn auth_reason(err: &AuthError) -> String {
    match err {
        AuthError::AuthExecRun { out, .. } => format!("the exec credential plugin failed ({})", out.status),
        AuthError::AuthExecStart(io) => {
            format!("the exec credential plugin cannot be started: {}", innermost(io))
        }
        AuthError::AuthExecParse(_) | AuthError::ParseTokenKey(_) => {
            "the credential plugin's output is not a valid credential".to_string()
        }
        AuthError::ReadTokenFile(_, path) => format!("cannot read the token file {}", path.display()),
        AuthError::InvalidBasicAuth(_)
        | AuthError::InvalidBearerToken(_)
        | AuthError::UnrefreshableTokenResponse
        | AuthError::ExecPluginFailed
        | AuthError::MissingCommand
        | AuthError::ExecMissingClusterInfo => err.to_string(),
        _ => "the credentials of this kubeconfig user cannot be obtained".to_string(),
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

// ---------------------------------------------------------------------------------------------
// Retries. kube's own retry layer (429/503/504, up to 15 times, any `Retry-After` honoured) is
// turned off because nothing bounds it by `--request-timeout`; this one is bounded, also retries
// broken connections, and decides by the request's method whether repeating it is safe.

/// Whether a request may be sent again after it may have reached the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// Reads, and this plugin's POSTs: every create is followed by an AlreadyExists check against
    /// the digest (publish.rs), and access reviews change nothing.
    Safe,
    /// DELETE, PUT, PATCH: repeated only when the server certainly did not act on the first try.
    UnsentOnly,
}

impl Replay {
    pub fn of(method: &http::Method) -> Replay {
        match *method {
            http::Method::GET | http::Method::HEAD | http::Method::OPTIONS | http::Method::POST => {
                Replay::Safe
            }
            _ => Replay::UnsentOnly,
        }
    }
}

/// How one attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// An HTTP answer with this status, and the server's `Retry-After` when it sent one.
    Status {
        code: u16,
        retry_after: Option<Duration>,
    },
    /// No connection: the request never left this machine.
    NotConnected,
    /// The connection broke (reset, closed, cut short) after the request may have been sent.
    Broken,
    /// Anything retrying cannot fix: TLS verification, credentials, timeouts, other statuses.
    Permanent,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Status { code, .. } => write!(f, "status {code}"),
            Failure::NotConnected => f.write_str("no connection"),
            Failure::Broken => f.write_str("a broken connection"),
            Failure::Permanent => f.write_str("a permanent failure"),
        }
    }
}

/// Bounded exponential backoff for one request; see [`RetryPolicy::delay`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub attempts: u32,
    pub first_delay: Duration,
    pub max_delay: Duration,
    /// `--request-timeout`: a request and its retries end within it (None waits forever).
    pub deadline: Option<Duration>,
}

/// Without `--request-timeout`, no wait is started that would end later than this after the
/// first attempt began (a server asking for long `Retry-After` pauses gets its answer reported).
pub const RETRY_WINDOW: Duration = Duration::from_secs(30);

impl RetryPolicy {
    /// 5 attempts, waiting 0.1 s, 0.2 s, 0.4 s, 0.8 s between them (or what `Retry-After` asks).
    pub fn new(deadline: Option<Duration>) -> RetryPolicy {
        RetryPolicy {
            attempts: 5,
            first_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(2),
            deadline,
        }
    }

    /// How long to wait before attempt `attempt + 1`, or None to give up and report `failure`.
    /// `elapsed` is the time since the first attempt began.
    pub fn delay(
        &self,
        replay: Replay,
        failure: Failure,
        attempt: u32,
        elapsed: Duration,
    ) -> Option<Duration> {
        if attempt >= self.attempts {
            return None;
        }
        let retry = match failure {
            // 429 means the server turned the request away unprocessed (rate limit, APF).
            Failure::Status { code: 429, .. } | Failure::NotConnected => true,
            Failure::Status {
                code: 500 | 502 | 503 | 504,
                ..
            }
            | Failure::Broken => replay == Replay::Safe,
            Failure::Status { .. } | Failure::Permanent => false,
        };
        if !retry {
            return None;
        }
        let exponent = attempt.saturating_sub(1).min(16);
        let backoff = self.first_delay.saturating_mul(1 << exponent).min(self.max_delay);
        let wait = match failure {
            Failure::Status {
                retry_after: Some(asked),
                ..
            } => backoff.max(asked),
            _ => backoff,
        };
        let window = self.deadline.unwrap_or(RETRY_WINDOW);
        (elapsed.saturating_add(wait) < window).then_some(wait)
    }
}

/// Classifies an attempt's error by the innermost I/O error under it, or the HTTP connection's
/// state when there is none.
pub fn classify(err: &(dyn std::error::Error + 'static)) -> Failure {
    use std::io::ErrorKind;
    // A failure while connecting (TCP or TLS handshake) means no request bytes were sent.
    let connecting = find_cause::<hyper_util::client::legacy::Error>(err).is_some_and(|e| e.is_connect());
    let mut io_kind = None;
    let mut http_broken = false;
    for error in causes(err) {
        if error.is::<RequestTimedOut>() {
            return Failure::Permanent;
        }
        // The innermost I/O error says what happened (`UnexpectedEof` inside `Other`).
        if let Some(io) = error.downcast_ref::<std::io::Error>() {
            io_kind = Some(io.kind());
        }
        // Plain-HTTP servers (kubectl proxy) closing mid-message leave no I/O error behind.
        if let Some(http) = error.downcast_ref::<hyper::Error>() {
            http_broken |= http.is_incomplete_message() || http.is_closed() || http.is_canceled();
        }
    }
    let connection_ended = |kind: ErrorKind| {
        matches!(
            kind,
            ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::BrokenPipe
                | ErrorKind::UnexpectedEof
                | ErrorKind::NotConnected
        )
    };
    match io_kind {
        Some(ErrorKind::ConnectionRefused) => Failure::NotConnected,
        Some(kind) if connection_ended(kind) && connecting => Failure::NotConnected,
        Some(kind) if connection_ended(kind) => Failure::Broken,
        // Certificate errors (InvalidData), timeouts and the rest do not go away.
        Some(_) => Failure::Permanent,
        None if http_broken => Failure::Broken,
        None => Failure::Permanent,
    }
}

/// A request that got no complete answer within `--request-timeout`, retries included.
#[derive(Debug, thiserror::Error)]
#[error("no answer within {} (--request-timeout)", seconds(*.0))]
pub struct RequestTimedOut(pub Duration);

fn seconds(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{}s", duration.as_secs())
    } else {
        format!("{}ms", duration.as_millis())
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type BoxResponse = http::Response<Box<DynBody>>;

/// kube's client with kube's retry replaced by [`RetryLayer`] (outermost, so each retry goes
/// through authentication again and a refreshed token is used).
fn build_client(mut config: kube::Config, policy: RetryPolicy) -> Result<Client, kube::Error> {
    config.default_retry = false;
    let server = config.cluster_url.to_string().trim_end_matches('/').into();
    Ok(ClientBuilder::try_from(config)?
        .with_layer(&RetryLayer { policy, server })
        .build())
}

/// Retries requests as [`RetryPolicy`] allows and reads each answer whole before returning it,
/// so a connection that breaks halfway through a body is retried like one that broke earlier.
#[derive(Debug, Clone)]
pub struct RetryLayer {
    pub policy: RetryPolicy,
    /// The server's URL, for log lines (requests carry only the path here).
    pub server: Arc<str>,
}

impl<S> tower::Layer<S> for RetryLayer {
    type Service = RetryService<S>;

    fn layer(&self, inner: S) -> RetryService<S> {
        RetryService {
            inner: Arc::new(tokio::sync::Mutex::new(inner)),
            policy: self.policy,
            server: Arc::clone(&self.server),
        }
    }
}

/// The service [`RetryLayer`] makes. The inner stack is not `Clone`; a lock lets each attempt
/// dispatch through it while earlier answers are still being read.
pub struct RetryService<S> {
    inner: Arc<tokio::sync::Mutex<S>>,
    policy: RetryPolicy,
    server: Arc<str>,
}

impl<S> tower::Service<http::Request<Body>> for RetryService<S>
where
    S: tower::Service<http::Request<Body>, Response = BoxResponse, Error = BoxError> + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = BoxResponse;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<BoxResponse, BoxError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Readiness of the inner stack is awaited per attempt, under the lock.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        let inner = Arc::clone(&self.inner);
        let policy = self.policy;
        let server = Arc::clone(&self.server);
        Box::pin(async move {
            let attempts = send_with_retries(inner, policy, server, request);
            match policy.deadline {
                Some(limit) => tokio::time::timeout(limit, attempts)
                    .await
                    .unwrap_or_else(|_| Err(Box::new(RequestTimedOut(limit)))),
                None => attempts.await,
            }
        })
    }
}

async fn send_with_retries<S>(
    inner: Arc<tokio::sync::Mutex<S>>,
    policy: RetryPolicy,
    server: Arc<str>,
    request: http::Request<Body>,
) -> Result<BoxResponse, BoxError>
where
    S: tower::Service<http::Request<Body>, Response = BoxResponse, Error = BoxError>,
{
    let started = tokio::time::Instant::now();
    let replay = Replay::of(request.method());
    // Watches stream for as long as they run, and streamed request bodies cannot be copied:
    // both are sent once, as they are.
    let streaming = request.uri().query().is_some_and(|q| q.contains("watch=true"));
    let template = match copy_request(&request) {
        Some(copy) if !streaming => copy,
        _ => return send(&inner, request, false).await,
    };
    let mut next = request;
    let mut attempt = 1;
    loop {
        let (method, uri) = (next.method().clone(), next.uri().clone());
        let sent = tokio::time::Instant::now();
        let result = send(&inner, next, true).await;
        let failure = match &result {
            Ok(response) => {
                tracing::debug!(target: "kubectl_kfp::http", "{method} {server}{uri} {} ({} ms)", response.status().as_u16(), sent.elapsed().as_millis());
                match status_failure(response) {
                    Some(failure) => failure,
                    None => return result,
                }
            }
            Err(err) => {
                tracing::debug!(target: "kubectl_kfp::http", "{method} {server}{uri} failed: {} ({} ms)", innermost(err.as_ref()), sent.elapsed().as_millis());
                classify(err.as_ref())
            }
        };
        let Some(wait) = policy.delay(replay, failure, attempt, started.elapsed()) else {
            return result;
        };
        tracing::debug!(
            "retrying {method} {server}{uri} in {} ms after {failure} (attempt {} of {})",
            wait.as_millis(),
            attempt + 1,
            policy.attempts
        );
        tokio::time::sleep(wait).await;
        attempt += 1;
        next = match copy_request(&template) {
            Some(copy) => copy,
            None => return result,
        };
    }
}

/// One attempt; with `whole`, the body is read completely (within the same attempt).
async fn send<S>(
    inner: &tokio::sync::Mutex<S>,
    request: http::Request<Body>,
    whole: bool,
) -> Result<BoxResponse, BoxError>
where
    S: tower::Service<http::Request<Body>, Response = BoxResponse, Error = BoxError>,
{
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let answer = {
        let mut service = inner.lock().await;
        service.ready().await?.call(request)
    };
    let response = answer.await?;
    if !whole {
        return Ok(response);
    }
    let (parts, body) = response.into_parts();
    let bytes = body.collect().await?.to_bytes();
    let body = http_body_util::Full::new(bytes).map_err(|never| -> BoxError { match never {} });
    Ok(http::Response::from_parts(parts, Box::new(body) as Box<DynBody>))
}

/// A copy of a request whose body is in memory (every request kube makes but streams).
fn copy_request(request: &http::Request<Body>) -> Option<http::Request<Body>> {
    let mut copy = http::Request::builder()
        .method(request.method().clone())
        .uri(request.uri().clone())
        .version(request.version())
        .body(request.body().try_clone()?)
        .ok()?;
    *copy.headers_mut() = request.headers().clone();
    *copy.extensions_mut() = request.extensions().clone();
    Some(copy)
}

/// Statuses worth retrying, with the server's `Retry-After` (seconds form).
fn status_failure(response: &BoxResponse) -> Option<Failure> {
    let code = response.status().as_u16();
    if !matches!(code, 429 | 500 | 502 | 503 | 504) {
        return None;
    }
    let retry_after = response
        .headers()
        .get(http::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|text| text.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    Some(Failure::Status { code, retry_after })
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

    const MS: fn(u64) -> Duration = Duration::from_millis;

    fn status(code: u16) -> Failure {
        Failure::Status {
            code,
            retry_after: None,
        }
    }

    #[test]
    fn transient_answers_to_reads_are_retried_with_exponential_backoff() {
        let policy = RetryPolicy::new(Some(Duration::from_secs(30)));
        for failure in [
            status(429),
            status(500),
            status(502),
            status(503),
            status(504),
            Failure::Broken,
            Failure::NotConnected,
        ] {
            let waits: Vec<Option<Duration>> = (1..=5)
                .map(|attempt| policy.delay(Replay::Safe, failure, attempt, Duration::ZERO))
                .collect();
            assert_eq!(
                waits,
                [Some(MS(100)), Some(MS(200)), Some(MS(400)), Some(MS(800)), None],
                "{failure:?}"
            );
        }
        for failure in [
            status(400),
            status(403),
            status(404),
            status(409),
            status(501),
            Failure::Permanent,
        ] {
            assert_eq!(
                policy.delay(Replay::Safe, failure, 1, Duration::ZERO),
                None,
                "{failure:?}"
            );
        }
    }

    #[test]
    fn unsafe_writes_are_retried_only_when_the_server_did_not_act() {
        let policy = RetryPolicy::new(None);
        assert_eq!(Replay::of(&http::Method::DELETE), Replay::UnsentOnly);
        assert_eq!(Replay::of(&http::Method::PATCH), Replay::UnsentOnly);
        assert_eq!(Replay::of(&http::Method::PUT), Replay::UnsentOnly);
        assert_eq!(Replay::of(&http::Method::GET), Replay::Safe);
        assert_eq!(Replay::of(&http::Method::POST), Replay::Safe);
        for failure in [status(503), status(500), Failure::Broken] {
            assert_eq!(
                policy.delay(Replay::UnsentOnly, failure, 1, Duration::ZERO),
                None,
                "{failure:?}"
            );
        }
        for failure in [status(429), Failure::NotConnected] {
            assert_eq!(
                policy.delay(Replay::UnsentOnly, failure, 1, Duration::ZERO),
                Some(MS(100)),
                "{failure:?}"
            );
        }
    }

    #[test]
    fn retry_after_is_honoured_only_within_the_request_timeout() {
        let policy = RetryPolicy::new(Some(Duration::from_secs(5)));
        let asked = |seconds| Failure::Status {
            code: 429,
            retry_after: Some(Duration::from_secs(seconds)),
        };
        assert_eq!(
            policy.delay(Replay::Safe, asked(2), 1, MS(500)),
            Some(Duration::from_secs(2))
        );
        assert_eq!(policy.delay(Replay::Safe, asked(5), 1, Duration::ZERO), None);
        // Backoff is never shorter than asked-for pauses, and never runs past the deadline.
        assert_eq!(
            policy.delay(Replay::Safe, asked(0), 4, Duration::ZERO),
            Some(MS(800))
        );
        assert_eq!(policy.delay(Replay::Safe, status(503), 2, MS(4850)), None);
        assert_eq!(
            policy.delay(Replay::Safe, status(503), 2, MS(4700)),
            Some(MS(200))
        );
        // Without --request-timeout, waits still end within the retry window.
        let open = RetryPolicy::new(None);
        assert_eq!(open.delay(Replay::Safe, asked(60), 1, Duration::ZERO), None);
        assert_eq!(
            open.delay(Replay::Safe, asked(20), 1, Duration::ZERO),
            Some(Duration::from_secs(20))
        );
    }

    #[test]
    fn retry_after_is_read_from_answers_to_retry() {
        let answer = |code: u16, retry_after: &str| {
            http::Response::builder()
                .status(code)
                .header(http::header::RETRY_AFTER, retry_after)
                .body(
                    Box::new(http_body_util::Empty::new().map_err(|never| -> BoxError { match never {} }))
                        as Box<DynBody>,
                )
                .unwrap()
        };
        use http_body_util::BodyExt as _;
        assert_eq!(
            status_failure(&answer(429, "3")),
            Some(Failure::Status {
                code: 429,
                retry_after: Some(Duration::from_secs(3))
            })
        );
        // The HTTP-date form is not worth a date parser here; backoff applies instead.
        assert_eq!(
            status_failure(&answer(503, "Wed, 21 Oct 2015 07:28:00 GMT")),
            Some(status(503))
        );
        assert_eq!(status_failure(&answer(404, "3")), None);
    }

    #[test]
    fn errors_are_classified_by_their_innermost_io_error() {
        use std::io::{Error, ErrorKind};
        let wrapped = |kind| Error::other(Error::new(kind, "inner"));
        assert_eq!(classify(&wrapped(ErrorKind::ConnectionReset)), Failure::Broken);
        assert_eq!(classify(&wrapped(ErrorKind::UnexpectedEof)), Failure::Broken);
        assert_eq!(
            classify(&wrapped(ErrorKind::ConnectionRefused)),
            Failure::NotConnected
        );
        assert_eq!(classify(&wrapped(ErrorKind::InvalidData)), Failure::Permanent);
        assert_eq!(classify(&wrapped(ErrorKind::TimedOut)), Failure::Permanent);
        assert_eq!(classify(&RequestTimedOut(MS(1000))), Failure::Permanent);
        assert_eq!(classify(&Error::other("no cause")), Failure::Permanent);
    }

    /// A stand-in for kube's stack that answers with `statuses` in turn (then 200), and breaks
    /// the body of each answer listed in `broken_bodies`.
    fn scripted(
        statuses: Vec<u16>,
        broken_bodies: Vec<usize>,
        calls: Arc<std::sync::atomic::AtomicUsize>,
    ) -> impl tower::Service<
        http::Request<Body>,
        Response = BoxResponse,
        Error = BoxError,
        Future = impl Future<Output = Result<BoxResponse, BoxError>> + Send,
    > + Send
    + 'static {
        use http_body_util::BodyExt as _;
        use hyper::body::{Bytes, Frame};
        tower::service_fn(move |_request: http::Request<Body>| {
            let call = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let code = statuses.get(call).copied().unwrap_or(200);
            let broken = broken_bodies.contains(&call);
            async move {
                let frames: Vec<Result<Frame<Bytes>, BoxError>> = if broken {
                    vec![
                        Ok(Frame::data(Bytes::from_static(b"{\"half"))),
                        Err(Box::new(std::io::Error::from(
                            std::io::ErrorKind::ConnectionReset,
                        ))),
                    ]
                } else {
                    vec![Ok(Frame::data(Bytes::from(format!("answer {call}"))))]
                };
                let body = http_body_util::StreamBody::new(futures::stream::iter(frames));
                let response = http::Response::builder()
                    .status(code)
                    .body(Box::new(body.map_err(|e| e)) as Box<DynBody>)?;
                Ok::<_, BoxError>(response)
            }
        })
    }

    async fn call_through(
        method: http::Method,
        statuses: Vec<u16>,
        broken_bodies: Vec<usize>,
    ) -> (u16, String, usize) {
        use http_body_util::BodyExt as _;
        use tower::{Layer as _, ServiceExt as _};
        let calls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let layer = RetryLayer {
            policy: RetryPolicy {
                first_delay: MS(1),
                ..RetryPolicy::new(Some(Duration::from_secs(10)))
            },
            server: "https://test".into(),
        };
        let service = layer.layer(scripted(statuses, broken_bodies, Arc::clone(&calls)));
        let request = http::Request::builder()
            .method(method)
            .uri("/apis/x")
            .body(Body::from(b"{}".to_vec()))
            .unwrap();
        let response = service.oneshot(request).await.unwrap();
        let code = response.status().as_u16();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (
            code,
            String::from_utf8_lossy(&body).into_owned(),
            calls.load(std::sync::atomic::Ordering::SeqCst),
        )
    }

    #[tokio::test]
    async fn the_layer_retries_429_and_503_and_broken_bodies_then_answers() {
        assert_eq!(
            call_through(http::Method::GET, vec![429, 503, 502], vec![]).await,
            (200, "answer 3".into(), 4)
        );
        // A create is safe to repeat: its AlreadyExists answer is checked against the digest.
        assert_eq!(
            call_through(http::Method::POST, vec![503], vec![0, 1]).await,
            (200, "answer 2".into(), 3)
        );
        // Gives up after 5 attempts with the last answer.
        assert_eq!(
            call_through(http::Method::GET, vec![503; 9], vec![]).await,
            (503, "answer 4".into(), 5)
        );
        // A delete is not repeated once the server may have acted on it.
        assert_eq!(
            call_through(http::Method::DELETE, vec![503], vec![]).await,
            (503, "answer 0".into(), 1)
        );
        assert_eq!(
            call_through(http::Method::DELETE, vec![429], vec![]).await,
            (200, "answer 1".into(), 2)
        );
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
        None => kubeconfig_from_env()
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
