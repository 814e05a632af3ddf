//! `kubectl kfp get REF`: one version as a readable summary, the object (`-o yaml|json|name`),
//! or only its pipeline spec (`--spec`, which `create -f` takes back).

use std::fmt::Write as _;

use anyhow::Result;
use jiff::Timestamp;
use kube::ResourceExt;
use serde_json::Value;

use crate::cli::{GetArgs, GetFormat, OutputFormat};
use crate::client::Session;
use crate::error::ExitStatus;
use crate::output::{PlainTable, Printer, human_duration};
use crate::resolve::{self, ResolvedPipeline, digest_of};
use crate::resources::{
    ANNOTATION_PROMOTED_AT, ANNOTATION_PROMOTED_FROM, ANNOTATION_PROMOTED_FROM_CONTEXT,
    ANNOTATION_PROMOTED_FROM_UID, PipelineVersion,
};
use crate::yaml;

use super::{parse_reference, print_objects};

/// Width of the label column in the summary ("Promoted from: " is the longest).
const LABEL_WIDTH: usize = 15;

pub async fn run(session: &Session, args: &GetArgs, printer: &Printer) -> Result<ExitStatus> {
    let reference = parse_reference(&args.reference)?;
    let (resolved, version) = resolve::version(session, &reference, resolve::Paging::Stream, printer).await?;
    if args.spec {
        printer.data(&spec_documents(&version)?);
        return Ok(ExitStatus::Success);
    }
    match args.output {
        Some(format) => {
            let format = match format {
                GetFormat::Json => OutputFormat::Json,
                GetFormat::Yaml => OutputFormat::Yaml,
                GetFormat::Name => OutputFormat::Name,
            };
            print_single(printer, &version, format)?;
        }
        None => printer.data(&summary(&resolved, &version, Timestamp::now())),
    }
    Ok(ExitStatus::Success)
}

/// One object, printed as itself rather than as a List (as `kubectl get NAME -o yaml` does).
fn print_single(printer: &Printer, version: &PipelineVersion, format: OutputFormat) -> Result<()> {
    match format {
        OutputFormat::Json => printer.value(&super::printable(version)?, crate::output::DataFormat::Json),
        OutputFormat::Yaml => printer.value(&super::printable(version)?, crate::output::DataFormat::Yaml),
        _ => print_objects(printer, &[version], OutputFormat::Name, "pipelineversion"),
    }
}

/// The pipeline spec, then the platform spec as a second document when there is one.
pub fn spec_documents(version: &PipelineVersion) -> Result<String> {
    let mut documents = vec![&version.spec.pipeline_spec];
    if let Some(platform) = version.spec.platform_spec.as_ref().filter(|p| !p.is_null()) {
        documents.push(platform);
    }
    Ok(yaml::to_stream(&documents)?)
}

/// The readable summary, in the style of `kubectl describe`.
pub fn summary(resolved: &ResolvedPipeline, version: &PipelineVersion, now: Timestamp) -> String {
    let mut out = String::new();
    let mut field = |name: &str, value: &str| {
        let _ = writeln!(out, "{:<LABEL_WIDTH$}{value}", format!("{name}:"));
    };
    field("Pipeline", &resolved.pipeline.name_any());
    field("Version", &version.version_name());
    field("Name", &version.name_any());
    field("Origin", &resolved.origin_label());
    field("Digest", &digest_of(version));
    if let Some(created) = &version.metadata.creation_timestamp {
        let ago = human_duration(now.as_second() - created.0.as_second());
        field("Created", &format!("{} ({ago} ago)", created.0));
    }
    let is_latest =
        resolve::latest(&resolved.versions).and_then(|l| l.uid.as_ref()) == version.metadata.uid.as_ref();
    field("Latest", if is_latest { "yes" } else { "no" });
    if let Some(text) = &version.spec.display_name {
        field("Display name", text);
    }
    if let Some(text) = &version.spec.description {
        field(
            "Description",
            &text.split_whitespace().collect::<Vec<_>>().join(" "),
        );
    }
    field("SDK", version.sdk_version().unwrap_or("-"));
    if let Some(url) = &version.spec.code_source_url {
        field("Code source", url);
    }
    field("Status", &version.status_summary());
    let labels = version.labels();
    field(
        "Labels",
        &if labels.is_empty() {
            "<none>".to_string()
        } else {
            key_values(labels, LABEL_WIDTH)
        },
    );
    if let Some(tags) = version.spec.tags.as_ref().filter(|t| !t.is_empty()) {
        field("Tags", &key_values(tags, LABEL_WIDTH));
    }
    let owners: Vec<String> = version
        .owner_references()
        .iter()
        .map(|o| format!("{}/{}", o.kind, o.name))
        .collect();
    field(
        "Owner",
        &if owners.is_empty() {
            "<none>".to_string()
        } else {
            owners.join(", ")
        },
    );
    let annotations = version.annotations();
    if let Some(from) = annotations.get(ANNOTATION_PROMOTED_FROM) {
        let mut text = from.clone();
        if let Some(context) = annotations.get(ANNOTATION_PROMOTED_FROM_CONTEXT) {
            text.push_str(&format!(" (context {context})"));
        }
        if let Some(uid) = annotations.get(ANNOTATION_PROMOTED_FROM_UID) {
            text.push_str(&format!(", uid {uid}"));
        }
        if let Some(at) = annotations.get(ANNOTATION_PROMOTED_AT) {
            text.push_str(&format!(", at {at}"));
        }
        field("Promoted from", &text);
    }
    let spec = &version.spec.pipeline_spec;
    section(&mut out, "Inputs", inputs(spec));
    section(&mut out, "Tasks", tasks(spec));
    out
}

/// A titled, indented block of aligned rows (`<none>` when empty).
fn section(out: &mut String, title: &str, rows: Vec<Vec<String>>) {
    if rows.is_empty() {
        out.push_str(&format!("{:<LABEL_WIDTH$}<none>\n", format!("{title}:")));
        return;
    }
    out.push_str(&format!("{title}:\n"));
    let mut table = PlainTable::new(&[], false);
    for row in rows {
        table.push(row);
    }
    for line in table.render().lines() {
        out.push_str(&format!("  {line}\n"));
    }
}

fn key_values(map: &std::collections::BTreeMap<String, String>, indent: usize) -> String {
    map.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(&format!("\n{}", " ".repeat(indent)))
}

/// `name, TYPE, default X` for each root input parameter and artifact.
fn inputs(spec: &Value) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    if let Some(parameters) = spec
        .pointer("/root/inputDefinitions/parameters")
        .and_then(Value::as_object)
    {
        for (name, definition) in parameters {
            let kind = definition
                .get("parameterType")
                .and_then(Value::as_str)
                .unwrap_or("?");
            let default = match definition.get("defaultValue") {
                Some(value) => format!("default {}", compact(value)),
                None if definition.get("isOptional") == Some(&Value::Bool(true)) => "optional".to_string(),
                None => "required".to_string(),
            };
            rows.push(vec![name.clone(), kind.to_string(), default]);
        }
    }
    if let Some(artifacts) = spec
        .pointer("/root/inputDefinitions/artifacts")
        .and_then(Value::as_object)
    {
        for (name, definition) in artifacts {
            let kind = definition
                .pointer("/artifactType/schemaTitle")
                .and_then(Value::as_str)
                .unwrap_or("artifact");
            rows.push(vec![name.clone(), kind.to_string(), "artifact".to_string()]);
        }
    }
    rows
}

fn compact(value: &Value) -> String {
    match value {
        Value::String(s) => format!("{s:?}"),
        other => other.to_string(),
    }
}

/// One line per task (nested DAGs indented under their parent), with the image it runs and
/// the tasks it waits for.
fn tasks(spec: &Value) -> Vec<Vec<String>> {
    let mut lines = Vec::new();
    if let Some(dag) = spec.pointer("/root/dag/tasks") {
        walk_tasks(spec, dag, 0, &mut lines);
    }
    lines
}

fn walk_tasks(spec: &Value, tasks: &Value, depth: usize, lines: &mut Vec<Vec<String>>) {
    let Some(tasks) = tasks.as_object() else { return };
    for (name, task) in tasks {
        let component_name = task
            .pointer("/componentRef/name")
            .and_then(Value::as_str)
            .unwrap_or("");
        let component = spec.pointer(&format!("/components/{}", escape_pointer(component_name)));
        let executor_label = component
            .and_then(|c| c.get("executorLabel"))
            .and_then(Value::as_str);
        let image = executor_label
            .and_then(|label| spec.pointer(&format!("/deploymentSpec/executors/{}", escape_pointer(label))))
            .map(|executor| {
                executor
                    .pointer("/container/image")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| {
                        if executor.get("importer").is_some() {
                            "(importer)".into()
                        } else {
                            "(no container)".into()
                        }
                    })
            });
        let after: Vec<&str> = task
            .get("dependentTasks")
            .and_then(Value::as_array)
            .map(|d| d.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let after = if after.is_empty() {
            String::new()
        } else {
            format!("after {}", after.join(", "))
        };
        lines.push(vec![
            format!("{}{name}", "  ".repeat(depth)),
            image.unwrap_or_else(|| "(group)".into()),
            after,
        ]);
        if let Some(nested) = component.and_then(|c| c.pointer("/dag/tasks")) {
            walk_tasks(spec, nested, depth + 1, lines);
        }
    }
}

/// JSON pointer escaping for a single path segment.
pub fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}
