//! `kubectl kfp create [PIPELINE] -f FILE`: a pipeline version from a compiled pipeline.
//! Read and check the file, plan against what the namespace holds, then write (or print).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Result;
use kube::ResourceExt;

use crate::cli::{CreateArgs, DryRun, WriteFormat};
use crate::client::Session;
use crate::error::{ExitStatus, UserError};
use crate::manifest::{self, CompiledPipeline, ManifestError};
use crate::output::{DataFormat, Printer};
use crate::publish::{self, Outcome, PipelineStep, Plan, VersionDraft, VersionOutcome, VersionStep};
use crate::reference::{NameRule, check};
use crate::resolve;
use crate::validate::{self, SpecError};

use super::printable;

pub async fn run(session: &Session, args: &CreateArgs, printer: &Printer) -> Result<ExitStatus> {
    let compiled = manifest::read(&args.file).map_err(|err| file_error(&args.file, err))?;
    validate::check(&compiled.pipeline_spec, compiled.platform_spec.as_ref())
        .map_err(|err| invalid_spec(&file_subject(&args.file), &err))?;
    let draft = draft(args, &compiled)?;
    let target = publish::collect_target(session, &session.namespace, &draft.pipeline_name).await?;
    let plan = publish::plan(&draft, &session.namespace, &target)?;
    if args.dry_run == DryRun::Client {
        return print_plan(&plan, args.output, printer);
    }
    let outcome = publish::apply(session, plan, args.dry_run, &draft).await?;
    print_outcome(&outcome, args.output, args.dry_run, printer)?;
    Ok(ExitStatus::Success)
}

/// `file "x" …` for a path, `standard input …` for `-`.
pub fn file_error(path: &Path, err: ManifestError) -> anyhow::Error {
    let subject = file_subject(path);
    let hint = match err {
        ManifestError::Syntax(_) | ManifestError::NotAPipeline(_) => {
            Some("pass the YAML that `kfp dsl compile` writes (IR, or --kubernetes-manifest-format)")
        }
        ManifestError::Zip | ManifestError::Gzip => {
            Some("unzip it, then: kubectl kfp create -f pipeline.yaml")
        }
        _ => None,
    };
    let error = UserError::new(format!("{subject} {err}"));
    match hint {
        Some(hint) => error.with_hint(hint).into(),
        None => error.into(),
    }
}

fn file_subject(path: &Path) -> String {
    if path.as_os_str() == "-" {
        "standard input".to_string()
    } else {
        format!("file {:?}", path.display().to_string())
    }
}

/// `<subject> is not a valid KFP pipeline spec: <path>: <why>`; `subject` names the file or
/// the version the spec came from.
pub fn invalid_spec(subject: &str, err: &SpecError) -> anyhow::Error {
    UserError::new(format!("{subject} is not a valid KFP pipeline spec: {err}")).into()
}

/// Names and texts for the new version: flags first, then the SDK's manifests, then the spec.
fn draft(args: &CreateArgs, compiled: &CompiledPipeline) -> Result<VersionDraft> {
    let names = compiled.manifest.clone().unwrap_or_default();
    let pipeline_name = args
        .pipeline
        .clone()
        .or_else(|| names.pipeline_name.clone())
        .unwrap_or_else(|| compiled.pipeline_info_name().to_string());
    check(&pipeline_name, NameRule::DnsSubdomain).map_err(|rule| {
        UserError::new(format!("pipeline name {pipeline_name:?} {rule}"))
            .with_hint("pass a valid name as PIPELINE")
    })?;
    // The SDK names version objects `<pipeline>-<version>`; recover the version from that.
    let manifest_version = names.version_name.clone().or_else(|| {
        let object = names.version_object_name.as_deref()?;
        Some(
            object
                .strip_prefix(&format!("{pipeline_name}-"))
                .unwrap_or(object)
                .to_string(),
        )
    });
    let version_name = args.version_name.clone().or(manifest_version);
    if let Some(name) = &version_name {
        check(name, NameRule::VersionName).map_err(|rule| {
            UserError::new(format!("version {name:?} {rule}"))
                .with_hint("pass a valid name with --version, e.g. v2 or 1.4.0")
        })?;
    }
    let object_name = match (&args.version_name, &names.version_object_name) {
        (None, Some(object)) if args.pipeline.is_none() => Some(object.clone()),
        _ => None,
    };
    let description = args
        .description
        .clone()
        .or_else(|| names.version_description.clone())
        .or_else(|| compiled.description().map(str::to_string));
    Ok(VersionDraft {
        pipeline_name,
        version_name,
        object_name,
        display_name: args
            .display_name
            .clone()
            .or_else(|| names.version_display_name.clone()),
        description: description.clone(),
        code_source_url: args.code_source_url.clone(),
        tags: parse_tags(&args.tags)?,
        pipeline_spec: compiled.pipeline_spec.clone(),
        platform_spec: compiled.platform_spec.clone(),
        annotations: BTreeMap::new(),
        pipeline_display_name: args
            .display_name
            .clone()
            .or_else(|| names.pipeline_display_name.clone())
            .or_else(|| compiled.display_name().map(str::to_string)),
        pipeline_description: args
            .description
            .clone()
            .or_else(|| names.pipeline_description.clone())
            .or(description),
        allow_duplicate: args.allow_duplicate,
    })
}

/// `--tag KEY=VALUE` pairs.
pub fn parse_tags(tags: &[String]) -> Result<BTreeMap<String, String>> {
    let mut map = BTreeMap::new();
    for tag in tags {
        match tag.split_once('=') {
            Some((key, value)) if !key.is_empty() => {
                map.insert(key.to_string(), value.to_string());
            }
            _ => {
                return Err(
                    UserError::new(format!("invalid --tag {tag:?}: expected KEY=VALUE"))
                        .with_hint("for example --tag team=ml")
                        .into(),
                );
            }
        }
    }
    Ok(map)
}

/// `--dry-run=client`: the objects that would be created, or the success lines.
pub fn print_plan(plan: &Plan, format: Option<WriteFormat>, printer: &Printer) -> Result<ExitStatus> {
    let mut objects = Vec::new();
    let mut lines = Vec::new();
    if let PipelineStep::Create(pipeline) = &plan.pipeline {
        objects.push(printable(pipeline)?);
        lines.push(format!(
            "pipeline.pipelines.kubeflow.org/{} created (dry run)",
            pipeline.name_any()
        ));
    }
    match &plan.version {
        VersionStep::Create(version) => {
            objects.push(printable(version.as_ref())?);
            lines.push(format!(
                "pipelineversion.pipelines.kubeflow.org/{} created (dry run)",
                version.name_any()
            ));
        }
        VersionStep::Unchanged(version) => {
            if let PipelineStep::Existing(pipeline) = &plan.pipeline
                && let Some(warning) = resolve::unlinked_warning(&plan.namespace, pipeline, version.as_ref())
            {
                printer.warn(&warning);
            }
            lines.push(format!(
                "pipelineversion.pipelines.kubeflow.org/{} unchanged (dry run)",
                version.name
            ));
        }
    }
    print_result(printer, format, &objects, &lines)?;
    Ok(ExitStatus::Success)
}

/// Success lines as kubectl prints them, or the written objects with `-o`.
pub fn print_outcome(
    outcome: &Outcome,
    format: Option<WriteFormat>,
    dry_run: DryRun,
    printer: &Printer,
) -> Result<()> {
    let suffix = if dry_run == DryRun::Server {
        " (server dry run)"
    } else {
        ""
    };
    let mut objects = Vec::new();
    let mut lines = Vec::new();
    if let Some(pipeline) = &outcome.pipeline_created {
        objects.push(printable(pipeline)?);
        lines.push(format!(
            "pipeline.pipelines.kubeflow.org/{} created{suffix}",
            pipeline.name_any()
        ));
    }
    match &outcome.version {
        VersionOutcome::Created(version) => {
            objects.push(printable(version.as_ref())?);
            lines.push(format!(
                "pipelineversion.pipelines.kubeflow.org/{} created{suffix}",
                version.name_any()
            ));
        }
        VersionOutcome::Unchanged(version) => {
            objects.push(printable(version.as_ref())?);
            lines.push(format!(
                "pipelineversion.pipelines.kubeflow.org/{} unchanged",
                version.name_any()
            ));
        }
        VersionOutcome::Unchecked(version) => {
            objects.push(printable(version.as_ref())?);
            lines.push(format!(
                "pipelineversion.pipelines.kubeflow.org/{} unchecked{suffix}",
                version.name_any()
            ));
        }
    }
    for note in &outcome.notes {
        printer.info(note);
    }
    for warning in &outcome.warnings {
        printer.warn(warning);
    }
    print_result(printer, format, &objects, &lines)
}

fn print_result(
    printer: &Printer,
    format: Option<WriteFormat>,
    objects: &[serde_json::Value],
    lines: &[String],
) -> Result<()> {
    match format {
        None => {
            for line in lines {
                printer.line(line);
            }
            Ok(())
        }
        Some(WriteFormat::Name) => {
            for line in lines {
                let name = line.split_whitespace().next().unwrap_or_default();
                printer.line(name);
            }
            Ok(())
        }
        Some(WriteFormat::Yaml) => print_objects_stream(printer, objects, DataFormat::Yaml),
        Some(WriteFormat::Json) => print_objects_stream(printer, objects, DataFormat::Json),
    }
}

/// One object as itself, several as a kubectl-style List (which `kubectl create -f` accepts).
fn print_objects_stream(printer: &Printer, objects: &[serde_json::Value], format: DataFormat) -> Result<()> {
    match objects {
        [one] => printer.value(one, format),
        many => printer.list(many, format),
    }
}
