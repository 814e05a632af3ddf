//! `kubectl kfp config view|set`: the effective settings with their sources, and writing the
//! config file (keeping keys this version does not know).

use anyhow::Result;
use serde_json::json;

use crate::cli::{ConfigCommand, GetFormat, SettingName};
use crate::client::kubeconfig_defaults;
use crate::config::{Config, ConfigFile, ContextSettings, check_namespace};
use crate::error::ExitStatus;
use crate::output::{DataFormat, PlainTable, Printer};

pub async fn run(config: &Config, command: &ConfigCommand, printer: &Printer) -> Result<ExitStatus> {
    match command {
        ConfigCommand::View(args) => view(config, args.output, printer).await,
        ConfigCommand::Set(args) => match args.setting {
            SettingName::SharedNamespace => set_shared_namespace(config, &args.value, printer),
        },
    }
}

async fn view(config: &Config, format: Option<GetFormat>, printer: &Printer) -> Result<ExitStatus> {
    let defaults = kubeconfig_defaults(&config.connection).await;
    let context = defaults.context.clone();
    let shared = config.shared.resolve(context.as_deref());
    let (namespace, namespace_source) = match &config.namespace {
        Some(ns) => (ns.clone(), "flag --namespace".to_string()),
        None => match &defaults.namespace {
            Some(ns) => (
                ns.clone(),
                format!("kubeconfig context {:?}", context.clone().unwrap_or_default()),
            ),
            None => ("default".to_string(), "default".to_string()),
        },
    };
    let file_path = config.shared.file_path.display().to_string();
    let file_state = if config.shared.file_path.exists() {
        "present"
    } else {
        "not present"
    };
    let shared_text = shared
        .namespace
        .clone()
        .unwrap_or_else(|| "<none: sharing off>".into());
    match format {
        Some(GetFormat::Json | GetFormat::Yaml) => {
            let value = json!({
                "configFile": {"path": file_path, "exists": config.shared.file_path.exists()},
                "context": {"value": context, "source": if config.connection.context.is_some() { "flag --context" } else { "kubeconfig current-context" }},
                "namespace": {"value": namespace, "source": namespace_source},
                "sharedNamespace": {"value": shared.namespace, "source": shared.source.to_string()},
            });
            let data_format = if format == Some(GetFormat::Json) {
                DataFormat::Json
            } else {
                DataFormat::Yaml
            };
            printer.value(&value, data_format)?;
        }
        _ => {
            let mut table = PlainTable::new(&["SETTING", "VALUE", "SOURCE"], true);
            table.push(vec![
                "shared-namespace".into(),
                shared_text,
                shared.source.to_string(),
            ]);
            table.push(vec!["namespace".into(), namespace, namespace_source]);
            table.push(vec![
                "context".into(),
                context.unwrap_or_else(|| "<none>".into()),
                if config.connection.context.is_some() {
                    "flag --context".into()
                } else {
                    "kubeconfig current-context".into()
                },
            ]);
            table.push(vec!["config-file".into(), file_path, file_state.into()]);
            printer.table(&table);
        }
    }
    Ok(ExitStatus::Success)
}

fn set_shared_namespace(config: &Config, value: &str, printer: &Printer) -> Result<ExitStatus> {
    if !value.is_empty() {
        check_namespace(value, "config set shared-namespace")?;
    }
    let path = &config.shared.file_path;
    // Re-read rather than reuse: the file is the source of truth and other keys must survive.
    let mut file = ConfigFile::load(path)?;
    let target = match &config.connection.context {
        Some(context) => {
            let entry = file
                .contexts
                .entry(context.clone())
                .or_insert_with(ContextSettings::default);
            entry.shared_namespace = Some(value.to_string());
            format!("for context {context:?}")
        }
        None => {
            file.shared_namespace = Some(value.to_string());
            "for all contexts".to_string()
        }
    };
    file.save(path)?;
    let shown = if value.is_empty() {
        "\"\" (sharing off)".to_string()
    } else {
        format!("{value:?}")
    };
    printer.line(&format!(
        "shared-namespace set to {shown} {target} in {}",
        path.display()
    ));
    Ok(ExitStatus::Success)
}
