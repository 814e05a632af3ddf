//! Settings, resolved once: flag > environment > config file > default.
//!
//! The config file is `kubectl-kfp/config.yaml` in the user's config directory
//! (`$KUBECTL_KFP_CONFIG` overrides the path):
//! ```yaml
//! sharedNamespace: kubeflow          # for every context
//! contexts:
//!   staging: {sharedNamespace: shared-pipelines}
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::cli::GlobalArgs;
use crate::error::{UserError, user_error_hint};
use crate::reference::{NameRule, check};
use crate::yaml;

/// The shared namespace when nothing else is configured.
pub const DEFAULT_SHARED_NAMESPACE: &str = "kubeflow";
pub const ENV_SHARED_NAMESPACE: &str = "KUBECTL_KFP_SHARED_NAMESPACE";
pub const ENV_CONFIG_PATH: &str = "KUBECTL_KFP_CONFIG";

/// Everything a command needs to know before it talks to a cluster.
#[derive(Debug, Clone)]
pub struct Config {
    pub connection: ConnectionSettings,
    /// `-n`, when given; otherwise the context's namespace is used.
    pub namespace: Option<String>,
    pub shared: SharedNamespaceSettings,
    pub verbosity: u8,
}

/// How to reach the cluster; consumed by `client`.
#[derive(Debug, Clone, Default)]
pub struct ConnectionSettings {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
    pub impersonate: Option<String>,
    pub impersonate_groups: Vec<String>,
    /// None: no limit (kubectl's `--request-timeout=0`, the default).
    pub request_timeout: Option<Duration>,
    pub insecure_skip_tls_verify: bool,
}

/// The inputs to the shared-namespace decision; the kubeconfig context is only known after
/// the kubeconfig is read, so the final choice is made by [`SharedNamespaceSettings::resolve`].
#[derive(Debug, Clone, Default)]
pub struct SharedNamespaceSettings {
    pub flag: Option<String>,
    pub no_shared_flag: bool,
    pub env: Option<String>,
    pub file: ConfigFile,
    pub file_path: PathBuf,
}

/// Where a setting's value came from, for `config view`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum Source {
    Flag { name: String },
    Env { name: String },
    ContextConfig { path: PathBuf, context: String },
    GlobalConfig { path: PathBuf },
    Kubeconfig { context: Option<String> },
    Default,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag { name } => write!(f, "flag {name}"),
            Source::Env { name } => write!(f, "env {name}"),
            Source::ContextConfig { path, context } => {
                write!(
                    f,
                    "config file {} (contexts.{context}.sharedNamespace)",
                    path.display()
                )
            }
            Source::GlobalConfig { path } => write!(f, "config file {} (sharedNamespace)", path.display()),
            Source::Kubeconfig { context: Some(c) } => write!(f, "kubeconfig context {c:?}"),
            Source::Kubeconfig { context: None } => write!(f, "kubeconfig"),
            Source::Default => write!(f, "default"),
        }
    }
}

/// The decided shared namespace: None means sharing is off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SharedNamespace {
    pub namespace: Option<String>,
    pub source: Source,
}

/// The parsed config file. Unknown keys are kept in `other` so `config set` preserves them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ConfigFile {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_namespace: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub contexts: BTreeMap<String, ContextSettings>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextSettings {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_namespace: Option<String>,
    #[serde(flatten)]
    pub other: BTreeMap<String, Value>,
}

impl Config {
    /// Resolves the command line, environment and config file into settings.
    pub fn from_cli(global: &GlobalArgs) -> Result<Config> {
        let file_path = config_path();
        let file = ConfigFile::load(&file_path)?;
        let request_timeout = match &global.request_timeout {
            Some(text) => parse_duration(text).map_err(|why| {
                user_error_hint(
                    format!("invalid --request-timeout {text:?}: {why}"),
                    "use a number with a unit, e.g. 30s, 2m or 1h; 0 waits forever",
                )
            })?,
            None => None,
        };
        if let Some(ns) = &global.namespace {
            check_namespace(ns, "--namespace")?;
        }
        let env = std::env::var(ENV_SHARED_NAMESPACE).ok();
        for (value, origin) in [
            (&global.shared_namespace, "--shared-namespace"),
            (&env, ENV_SHARED_NAMESPACE),
        ] {
            if let Some(ns) = value.as_deref().filter(|ns| !ns.is_empty()) {
                check_namespace(ns, origin)?;
            }
        }
        Ok(Config {
            connection: ConnectionSettings {
                kubeconfig: global.kubeconfig.clone(),
                context: global.context.clone(),
                cluster: global.cluster.clone(),
                user: global.user.clone(),
                impersonate: global.impersonate.clone(),
                impersonate_groups: global.impersonate_groups.clone(),
                request_timeout,
                insecure_skip_tls_verify: global.insecure_skip_tls_verify,
            },
            namespace: global.namespace.clone(),
            shared: SharedNamespaceSettings {
                flag: global.shared_namespace.clone(),
                no_shared_flag: global.no_shared,
                env,
                file,
                file_path,
            },
            verbosity: global.verbosity,
        })
    }
}

impl SharedNamespaceSettings {
    /// Decides the shared namespace for a kubeconfig context, in the documented precedence:
    /// `--no-shared`/`--shared-namespace` > env > the context's entry > the global entry > default.
    pub fn resolve(&self, context: Option<&str>) -> SharedNamespace {
        let path = &self.file_path;
        let chosen = if self.no_shared_flag {
            (
                None,
                Source::Flag {
                    name: "--no-shared".into(),
                },
            )
        } else if let Some(ns) = &self.flag {
            (
                Some(ns.clone()),
                Source::Flag {
                    name: "--shared-namespace".into(),
                },
            )
        } else if let Some(ns) = &self.env {
            (
                Some(ns.clone()),
                Source::Env {
                    name: ENV_SHARED_NAMESPACE.into(),
                },
            )
        } else if let Some((ctx, ns)) = context.and_then(|c| {
            self.file
                .contexts
                .get(c)
                .and_then(|s| s.shared_namespace.clone())
                .map(|ns| (c, ns))
        }) {
            (
                Some(ns),
                Source::ContextConfig {
                    path: path.clone(),
                    context: ctx.to_string(),
                },
            )
        } else if let Some(ns) = &self.file.shared_namespace {
            (Some(ns.clone()), Source::GlobalConfig { path: path.clone() })
        } else {
            (Some(DEFAULT_SHARED_NAMESPACE.to_string()), Source::Default)
        };
        SharedNamespace {
            // An empty value anywhere means "sharing off".
            namespace: chosen.0.filter(|ns| !ns.is_empty()),
            source: chosen.1,
        }
    }
}

impl ConfigFile {
    /// Reads the config file; a missing file is an empty config.
    pub fn load(path: &Path) -> Result<ConfigFile> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(ConfigFile::default()),
            Err(err) => {
                return Err(
                    anyhow::Error::new(err).context(format!("cannot read config file {}", path.display()))
                );
            }
        };
        ConfigFile::parse(&text).map_err(|err| {
            let place = match (err.line, err.column) {
                (Some(line), Some(column)) => format!(" at line {line} column {column}"),
                _ => String::new(),
            };
            // serde_yaml repeats the position in its message; keep only the reason.
            let reason = err
                .message
                .split(" at line ")
                .next()
                .unwrap_or(&err.message)
                .to_string();
            UserError::new(format!("invalid config file {}{place}: {reason}", path.display()))
                .with_hint(format!(
                    "fix or remove the file, or point {ENV_CONFIG_PATH} at another one"
                ))
                .into()
        })
    }

    pub fn parse(text: &str) -> Result<ConfigFile, yaml::YamlError> {
        if text.trim().is_empty() {
            return Ok(ConfigFile::default());
        }
        yaml::from_str(text)
    }

    /// Writes the file atomically (temporary file, then rename), creating its folder.
    pub fn save(&self, path: &Path) -> Result<()> {
        let text = yaml::to_string(self)?;
        let folder = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::create_dir_all(folder)
            .with_context(|| format!("cannot create folder {}", folder.display()))?;
        let temporary = folder.join(format!(".config.yaml.{}", std::process::id()));
        std::fs::write(&temporary, text).with_context(|| format!("cannot write {}", temporary.display()))?;
        std::fs::rename(&temporary, path)
            .with_context(|| format!("cannot write config file {}", path.display()))?;
        Ok(())
    }
}

/// `$KUBECTL_KFP_CONFIG`, else `<config dir>/kubectl-kfp/config.yaml`.
pub fn config_path() -> PathBuf {
    if let Some(path) = std::env::var_os(ENV_CONFIG_PATH).filter(|p| !p.is_empty()) {
        return PathBuf::from(path);
    }
    dirs::config_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("kubectl-kfp")
        .join("config.yaml")
}

/// Checks a namespace given by the user, naming where it came from.
pub fn check_namespace(namespace: &str, origin: &str) -> Result<()> {
    check(namespace, NameRule::DnsLabel).map_err(|rule| {
        UserError::new(format!("invalid namespace {namespace:?} ({origin}): it {rule}"))
            .with_hint("namespaces are lowercase DNS labels, e.g. team-a")
            .into()
    })
}

/// Parses kubectl-style durations: `30s`, `2m`, `1h`, `1m30s`, `500ms`, or a bare number of
/// seconds. `0` means no timeout.
pub fn parse_duration(text: &str) -> Result<Option<Duration>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("it is empty".into());
    }
    if let Ok(seconds) = text.parse::<u64>() {
        return Ok((seconds > 0).then(|| Duration::from_secs(seconds)));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit() && c != '.')
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err("expected a number".into());
        }
        let number: f64 = rest[..digits]
            .parse()
            .map_err(|_| "expected a number".to_string())?;
        rest = &rest[digits..];
        let unit_len = rest.find(|c: char| c.is_ascii_digit()).unwrap_or(rest.len());
        let seconds_per_unit = match &rest[..unit_len] {
            "ms" => 0.001,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err("a unit is missing after the number".into()),
            unit => return Err(format!("unknown unit {unit:?}")),
        };
        rest = &rest[unit_len..];
        total += Duration::from_secs_f64(number * seconds_per_unit);
    }
    Ok((!total.is_zero()).then_some(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(flag: Option<&str>, env: Option<&str>, file: &str) -> SharedNamespaceSettings {
        SharedNamespaceSettings {
            flag: flag.map(str::to_string),
            no_shared_flag: false,
            env: env.map(str::to_string),
            file: ConfigFile::parse(file).unwrap(),
            file_path: PathBuf::from("/cfg.yaml"),
        }
    }

    const FILE: &str = "sharedNamespace: global-ns\ncontexts:\n  prod: {sharedNamespace: prod-ns}\n";

    #[test]
    fn precedence_flag_env_context_global_default() {
        let ns = |s: SharedNamespace| s.namespace;
        assert_eq!(
            ns(settings(Some("f"), Some("e"), FILE).resolve(Some("prod"))),
            Some("f".into())
        );
        assert_eq!(
            ns(settings(None, Some("e"), FILE).resolve(Some("prod"))),
            Some("e".into())
        );
        assert_eq!(
            ns(settings(None, None, FILE).resolve(Some("prod"))),
            Some("prod-ns".into())
        );
        assert_eq!(
            ns(settings(None, None, FILE).resolve(Some("dev"))),
            Some("global-ns".into())
        );
        assert_eq!(
            ns(settings(None, None, "").resolve(Some("dev"))),
            Some("kubeflow".into())
        );
        assert_eq!(settings(None, None, "").resolve(None).source, Source::Default);
    }

    #[test]
    fn empty_values_and_no_shared_turn_sharing_off() {
        assert_eq!(settings(Some(""), None, FILE).resolve(None).namespace, None);
        assert_eq!(settings(None, Some(""), FILE).resolve(None).namespace, None);
        let mut off = settings(Some("x"), None, FILE);
        off.no_shared_flag = true;
        assert_eq!(off.resolve(None).namespace, None);
        let ctx_off = settings(None, None, "contexts:\n  prod: {sharedNamespace: ''}\n");
        assert_eq!(ctx_off.resolve(Some("prod")).namespace, None);
    }

    #[test]
    fn unknown_keys_survive_a_round_trip() {
        let file =
            ConfigFile::parse("other: [1, 2]\ncontexts:\n  a: {sharedNamespace: x, note: keep}\n").unwrap();
        let text = yaml::to_string(&file).unwrap();
        assert_eq!(ConfigFile::parse(&text).unwrap(), file);
        assert!(text.contains("note: keep") && text.contains("other:"), "{text}");
    }

    #[test]
    fn durations_parse_like_kubectl() {
        assert_eq!(parse_duration("0"), Ok(None));
        assert_eq!(parse_duration("5"), Ok(Some(Duration::from_secs(5))));
        assert_eq!(parse_duration("1m30s"), Ok(Some(Duration::from_secs(90))));
        assert_eq!(parse_duration("500ms"), Ok(Some(Duration::from_millis(500))));
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("s").is_err());
        assert!(parse_duration("").is_err());
    }
}
