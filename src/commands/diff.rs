//! `kubectl kfp diff`: two versions, a version and a local file, a version and its predecessor,
//! or two files. Exit 0 when equal, 1 when different, 2 on error (as `kubectl diff`).

use anyhow::Result;
use kube::ResourceExt;
use serde_json::Value;

use crate::cli::{ColorChoice, DiffArgs, DiffFormat};
use crate::client::Session;
use crate::config::Config;
use crate::diff::{self, Options, Side};
use crate::digest;
use crate::error::{ExitStatus, user_error_hint};
use crate::manifest;
use crate::output::{Printer, colorize_diff_line};
use crate::reference::VersionSelector;
use crate::resolve::{self, ResolvedPipeline};
use crate::resources::PipelineVersion;

use super::create::file_error;
use super::parse_reference;

/// One side's content, owned. Numbers are normalized as the digest does (the API server
/// stores `3.0` as `3`), so a file and its stored copy compare equal.
struct Content {
    label: String,
    pipeline_spec: Value,
    platform_spec: Option<Value>,
}

impl Content {
    fn side(&self) -> Side<'_> {
        Side {
            label: self.label.clone(),
            pipeline_spec: &self.pipeline_spec,
            platform_spec: self.platform_spec.as_ref(),
        }
    }
}

pub async fn run(config: &Config, args: &DiffArgs, printer: &Printer) -> Result<ExitStatus> {
    let (a, b) = collect(config, args, printer).await?;
    let options = Options {
        context_lines: args.context_lines,
        ignore_sdk_version: args.ignore_sdk_version,
    };
    let format = match (args.output, args.semantic) {
        (Some(format), _) => format,
        (None, true) => DiffFormat::Summary,
        (None, false) => DiffFormat::Text,
    };
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => printer.stdout_color_auto(),
    };
    // Freeing two multi-megabyte JSON trees costs more than the comparison; the process is about
    // to exit, so leave that to the OS.
    let (a, b) = (std::mem::ManuallyDrop::new(a), std::mem::ManuallyDrop::new(b));
    let (a, b) = (a.side(), b.side());
    let text = match format {
        DiffFormat::Text => diff::unified(&a, &b, &options),
        DiffFormat::Summary => {
            let changes = diff::semantic(&a, &b, &options);
            (!changes.is_empty()).then(|| diff::render_summary(&changes))
        }
        DiffFormat::Json => {
            let changes = diff::semantic(&a, &b, &options);
            if changes.is_empty() {
                None
            } else {
                let mut text = serde_json::to_string_pretty(&diff::to_json(&a, &b, &changes))?;
                text.push('\n');
                Some(text)
            }
        }
    };
    match text {
        None => Ok(ExitStatus::Success),
        Some(text) => {
            if color && format != DiffFormat::Json {
                let colored: String = text
                    .lines()
                    .map(|l| format!("{}\n", colorize_diff_line(l)))
                    .collect();
                printer.data(&colored);
            } else {
                printer.data(&text);
            }
            Ok(ExitStatus::Differences)
        }
    }
}

/// Resolves both sides from the arguments.
async fn collect(config: &Config, args: &DiffArgs, printer: &Printer) -> Result<(Content, Content)> {
    match (&args.reference_a, &args.reference_b, args.files.as_slice()) {
        (None, None, [file_a, file_b]) => {
            // Two large files parse in parallel (YAML parsing is most of a big diff's time).
            let (a, b) = std::thread::scope(|scope| {
                let a = scope.spawn(|| read_file(file_a));
                let b = read_file(file_b);
                (a.join(), b)
            });
            let a = a.map_err(|_| anyhow::anyhow!("reading {} failed", file_a.display()))?;
            Ok((a?, b?))
        }
        (Some(a), None, [file]) => {
            let session = Session::connect(config, None).await?;
            Ok((live(&session, a, false, printer).await?, read_file(file)?))
        }
        (Some(a), Some(b), []) => {
            let session = Session::connect(config, None).await?;
            let side_a = live(&session, a, false, printer).await?;
            let side_b = match &args.context_b {
                Some(context) => {
                    live(&Session::connect(config, Some(context)).await?, b, true, printer).await?
                }
                None => live(&session, b, false, printer).await?,
            };
            Ok((side_a, side_b))
        }
        (Some(a), None, []) => {
            let session = Session::connect(config, None).await?;
            predecessor_pair(&session, a, printer).await
        }
        _ => Err(user_error_hint(
            "diff takes REF_A REF_B, REF -f FILE, REF alone (against its predecessor) or -f FILE -f FILE",
            "for example: kubectl kfp diff team-a/train@v3 kubeflow/train",
        )),
    }
}

fn read_file(path: &std::path::Path) -> Result<Content> {
    let compiled = manifest::read(path).map_err(|err| file_error(path, err))?;
    Ok(Content {
        label: compiled.source,
        pipeline_spec: digest::normalized(compiled.pipeline_spec),
        platform_spec: compiled.platform_spec.map(digest::normalized),
    })
}

async fn live(session: &Session, text: &str, show_context: bool, printer: &Printer) -> Result<Content> {
    let reference = parse_reference(text)?;
    let (resolved, version) = resolve::version(session, &reference, resolve::Paging::Stream, printer).await?;
    Ok(content(session, &resolved, version, show_context))
}

fn content(
    session: &Session,
    resolved: &ResolvedPipeline,
    version: PipelineVersion,
    show_context: bool,
) -> Content {
    let context = match (&session.context, show_context) {
        (Some(c), true) => format!("{c}:"),
        _ => String::new(),
    };
    Content {
        label: format!(
            "{context}{}/{}@{}",
            resolved.namespace,
            resolved.pipeline.name_any(),
            version.version_name()
        ),
        pipeline_spec: digest::normalized(version.spec.pipeline_spec),
        platform_spec: version.spec.platform_spec.map(digest::normalized),
    }
}

/// REF and the version created just before it in the same pipeline.
async fn predecessor_pair(session: &Session, text: &str, printer: &Printer) -> Result<(Content, Content)> {
    let reference = parse_reference(text)?;
    let resolved = resolve::pipeline_for(session, &reference, resolve::Paging::Stream).await?;
    let chosen = resolve::select(&resolved.versions, &reference.version)
        .map_err(|err| resolve::select_error(err, &reference, &resolved))?;
    let Some(previous) = resolve::predecessor(&resolved.versions, chosen) else {
        let which = if reference.version == VersionSelector::Latest {
            "its latest version".to_string()
        } else {
            format!("version {:?}", chosen.version_name())
        };
        return Err(user_error_hint(
            format!(
                "pipeline {:?} in namespace {:?} has no version before {which}",
                resolved.pipeline.name_any(),
                resolved.namespace
            ),
            "name two versions: kubectl kfp diff REF_A REF_B",
        ));
    };
    resolve::warn_if_unlinked(printer, &resolved, previous);
    resolve::warn_if_unlinked(printer, &resolved, chosen);
    let previous = resolve::fetch(session, &resolved.namespace, &previous.name).await?;
    let version = resolve::fetch(session, &resolved.namespace, &chosen.name).await?;
    Ok((
        content(session, &resolved, previous, false),
        content(session, &resolved, version, false),
    ))
}
