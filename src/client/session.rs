//! A connection to one cluster and the namespaces one invocation works with.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Result;
use kube::api::Api;
use kube::{Client, Resource};

use super::explain::cause;
use super::kubeconfig::load;
use super::retry::{RetryPolicy, build_client};
use crate::config::{Config, SharedNamespace};
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
