//! Failures in the user's words: API errors and transport errors as one sentence naming the
//! action, the server and the fix, without ever printing a credential.

use kube::client::AuthError;

use super::retry::{RequestTimedOut, seconds};
use crate::error::UserError;

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
pub(super) fn causes<'a>(
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
pub(super) fn find_cause<'a, T: std::error::Error + 'static>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a T> {
    causes(err).find_map(|error| error.downcast_ref::<T>())
}

/// Why a client could not be built or a request not be sent, safe to print.
pub(super) fn cause(err: &kube::Error) -> String {
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
