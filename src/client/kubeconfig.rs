//! Kubeconfig loading as kubectl does it: `--kubeconfig`, else the `KUBECONFIG` list merged in
//! order, else `~/.kube/config`, else in-cluster config; then the connection flags on top.

use anyhow::Result;
use kube::config::{KubeConfigOptions, Kubeconfig};

use super::explain::innermost;
use crate::config::ConnectionSettings;
use crate::error::UserError;

/// Reads the kubeconfig (or in-cluster config) and applies the connection flags.
pub(super) async fn load(
    settings: &ConnectionSettings,
) -> Result<(kube::Config, Option<String>, Option<String>)> {
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
