//! `kubectl kfp promote REF`: copy a version into another namespace (`--to`, `--to-shared`) or
//! cluster (`--to-context`), with provenance. Resolve, plan, check permissions for every write,
//! show the plan and the semantic diff against the target's latest, confirm, then write.

use std::collections::BTreeMap;

use anyhow::Result;
use jiff::Timestamp;
use kube::ResourceExt;

use crate::cli::{DryRun, PromoteArgs};
use crate::client::{Session, can_i, whoami};
use crate::config::Config;
use crate::diff::{self, Options, Side};
use crate::digest;
use crate::error::{ExitStatus, UserError, user_error_hint};
use crate::output::Printer;
use crate::output::progress::{self, Work};
use crate::prompt;
use crate::publish::{self, PipelineStep, Plan, VersionDraft, VersionStep};
use crate::resolve::{self, ResolvedPipeline, digest_of};
use crate::resources::{
    ANNOTATION_PROMOTED_AT, ANNOTATION_PROMOTED_FROM, ANNOTATION_PROMOTED_FROM_CLUSTER,
    ANNOTATION_PROMOTED_FROM_CONTEXT, ANNOTATION_PROMOTED_FROM_UID, PipelineVersion,
};
use crate::validate;

use super::create::{invalid_spec, print_outcome, print_plan};
use super::parse_reference;

pub async fn run(config: &Config, args: &PromoteArgs, printer: &Printer) -> Result<ExitStatus> {
    let reference = parse_reference(&args.reference)?;
    let extra_tags = promote_tags(&args.tags)?;
    let source = Session::connect(config, None).await?;
    let cross_cluster = args.to_context.is_some();
    if cross_cluster {
        progress::set_total(Work::Clusters, 2);
        progress::set_message(
            Work::Clusters,
            format!("reading {} in {}", args.reference, cluster_name(&source)),
        );
    }
    let (resolved, version) = resolve::version(&source, &reference, resolve::Paging::Stream, printer).await?;
    let target = match &args.to_context {
        Some(context) => Session::connect(config, Some(context)).await?,
        None => source.clone(),
    };
    if cross_cluster {
        progress::add(Work::Clusters, 1);
        progress::set_message(
            Work::Clusters,
            format!("reading the target in {}", cluster_name(&target)),
        );
    }
    let namespace = target_namespace(args, &target)?;
    let mut draft = draft(&source, &resolved, &version, args.as_version.as_deref());
    // What KFP would refuse is not copied: checked before any request to the target.
    validate::check(&draft.pipeline_spec, draft.platform_spec.as_ref()).map_err(|err| {
        let source = format!(
            "{}/{}@{}",
            resolved.namespace,
            resolved.pipeline.name_any(),
            version.version_name()
        );
        invalid_spec(&format!("version {source:?}"), &err)
    })?;
    draft.tags.extend(extra_tags.clone());
    let state = publish::collect_target(&target, &namespace, &draft.pipeline_name).await?;
    let plan = publish::plan(&draft, &namespace, &state)?;
    if cross_cluster {
        progress::add(Work::Clusters, 1);
    }
    let writes = planned_writes(&plan);
    if !writes.is_empty() && args.dry_run != DryRun::Client {
        check_permissions(&target, &writes, &namespace).await?;
    }
    if args.dry_run == DryRun::Client {
        return print_plan(&plan, args.output, printer);
    }
    if writes.is_empty() {
        // Same content is there already: nothing to confirm, nothing to write.
        let outcome = publish::apply(&target, plan, args.dry_run, &draft).await?;
        print_outcome(&outcome, args.output, args.dry_run, printer)?;
        tag_existing_copy(&target, &outcome, &extra_tags, args, printer).await?;
        return Ok(ExitStatus::Success);
    }
    let ask = !args.yes && args.dry_run == DryRun::None;
    if ask && !prompt::interactive() {
        return Err(prompt::no_terminal("Promote?", "--yes"));
    }
    // The semantic diff needs the target's latest version in full.
    let target_latest = match resolve::latest(&state.versions) {
        Some(latest) => Some(resolve::fetch(&target, &namespace, &latest.name).await?),
        None => None,
    };
    printer.info(&describe_plan(
        &source,
        &target,
        &resolved,
        &version,
        &plan,
        target_latest.as_ref(),
    ));
    if ask && !prompt::confirm("Promote?", "--yes")? {
        return Err(UserError::new("promotion cancelled at the prompt; nothing was written").into());
    }
    let objects = writes.iter().filter(|(verb, _)| *verb == "create").count();
    progress::set_total(Work::Written, objects as u64);
    progress::set_message(Work::Written, format!("to {}", cluster_name(&target)));
    let outcome = publish::apply(&target, plan, args.dry_run, &draft).await?;
    print_outcome(&outcome, args.output, args.dry_run, printer)?;
    Ok(ExitStatus::Success)
}

/// The cluster a session talks to, as the progress line names it.
fn cluster_name(session: &Session) -> String {
    match &session.context {
        Some(context) => format!("context {context:?}"),
        None => session.server.clone(),
    }
}

/// `--tag KEY=VALUE…`, checked before anything is read or written.
fn promote_tags(tags: &[String]) -> Result<BTreeMap<String, String>> {
    if tags.is_empty() {
        return Ok(BTreeMap::new());
    }
    let edit = super::tag::Edit::parse(tags, None)?;
    if !edit.remove.is_empty() {
        return Err(user_error_hint(
            "promote --tag takes KEY=VALUE only",
            "remove tags with: kubectl kfp tag REF KEY-",
        ));
    }
    Ok(edit.set)
}

/// With `--tag`, a copy that was there already (same content) gets the tags too.
async fn tag_existing_copy(
    target: &Session,
    outcome: &publish::Outcome,
    tags: &BTreeMap<String, String>,
    args: &PromoteArgs,
    printer: &Printer,
) -> Result<()> {
    let publish::VersionOutcome::Unchanged(existing) = &outcome.version else {
        return Ok(());
    };
    if tags.is_empty() || args.dry_run != DryRun::None {
        return Ok(());
    }
    let edit = super::tag::Edit {
        set: tags.clone(),
        ..Default::default()
    };
    let tagged = super::tag::update(target, existing.as_ref().clone(), &edit, args.dry_run).await?;
    if args.output.is_none() && matches!(tagged, super::tag::Outcome::Changed { .. }) {
        printer.line(&format!(
            "pipelineversion.pipelines.kubeflow.org/{} tagged",
            existing.name_any()
        ));
    }
    Ok(())
}

fn target_namespace(args: &PromoteArgs, target: &Session) -> Result<String> {
    if let Some(ns) = &args.to {
        crate::config::check_namespace(ns, "--to")?;
        return Ok(ns.clone());
    }
    if args.to_shared {
        return target.shared.namespace.clone().ok_or_else(|| {
            user_error_hint(
                "--to-shared needs a shared namespace, but sharing is off",
                "set one with --shared-namespace NS or: kubectl kfp config set shared-namespace NS",
            )
        });
    }
    Ok(target.namespace.clone())
}

/// The target version: same content and texts, the same (or `--as-version`) name, and provenance.
fn draft(
    source: &Session,
    resolved: &ResolvedPipeline,
    version: &PipelineVersion,
    as_version: Option<&str>,
) -> VersionDraft {
    let from = format!(
        "{}/{}@{}",
        resolved.namespace,
        resolved.pipeline.name_any(),
        version.version_name()
    );
    let mut annotations = BTreeMap::from([
        (ANNOTATION_PROMOTED_FROM.to_string(), from),
        (
            ANNOTATION_PROMOTED_FROM_CLUSTER.to_string(),
            source.server.clone(),
        ),
        (
            ANNOTATION_PROMOTED_FROM_UID.to_string(),
            version.metadata.uid.clone().unwrap_or_default(),
        ),
        (ANNOTATION_PROMOTED_AT.to_string(), Timestamp::now().to_string()),
    ]);
    if let Some(context) = &source.context {
        annotations.insert(ANNOTATION_PROMOTED_FROM_CONTEXT.to_string(), context.clone());
    }
    VersionDraft {
        pipeline_name: resolved.pipeline.name_any(),
        version_name: Some(
            as_version
                .map(str::to_string)
                .unwrap_or_else(|| version.version_name()),
        ),
        object_name: None,
        display_name: version.spec.display_name.clone(),
        description: version.spec.description.clone(),
        code_source_url: version.spec.code_source_url.clone(),
        tags: version.spec.tags.clone().unwrap_or_default(),
        pipeline_spec: version.spec.pipeline_spec.clone(),
        platform_spec: version.spec.platform_spec.clone(),
        annotations,
        pipeline_display_name: resolved.pipeline.spec.display_name.clone(),
        pipeline_description: resolved.pipeline.spec.description.clone(),
        allow_duplicate: false,
    }
}

/// (verb, resource) pairs the plan needs; rollback needs delete on pipelines it creates.
fn planned_writes(plan: &Plan) -> Vec<(&'static str, &'static str)> {
    let mut writes = Vec::new();
    if matches!(plan.pipeline, PipelineStep::Create(_)) {
        writes.push(("create", "pipelines"));
        writes.push(("delete", "pipelines"));
    }
    if matches!(plan.version, VersionStep::Create(_)) {
        writes.push(("create", "pipelineversions"));
    }
    writes
}

/// Refuses before any write when one of them would be denied.
async fn check_permissions(target: &Session, writes: &[(&str, &str)], namespace: &str) -> Result<()> {
    for (verb, resource) in writes {
        if !can_i(target, verb, resource, namespace).await? {
            let user = whoami(target)
                .await
                .map(|u| format!(" for user {u:?}"))
                .unwrap_or_default();
            let hint = match target.shared.namespace.as_deref() {
                Some(shared) if shared == namespace => {
                    format!(
                        "ask for the edit role in {namespace:?}, or promote into your own namespace with --to"
                    )
                }
                _ => format!("ask for the edit role in {namespace:?}"),
            };
            return Err(UserError::new(format!(
                "cannot {verb} {resource} in namespace {namespace:?}: forbidden{user}; nothing was written"
            ))
            .with_hint(hint)
            .into());
        }
    }
    Ok(())
}

/// The plan shown before confirmation (stderr): what is created, and what changes against the
/// target pipeline's current latest version.
fn describe_plan(
    source: &Session,
    target: &Session,
    resolved: &ResolvedPipeline,
    version: &PipelineVersion,
    plan: &Plan,
    target_latest: Option<&PipelineVersion>,
) -> String {
    let cluster = |s: &Session| {
        s.context
            .clone()
            .map(|c| format!(" (context {c})"))
            .unwrap_or_default()
    };
    let mut text = format!(
        "Promote {}/{}@{} ({}){} to namespace {:?}{}:\n",
        resolved.namespace,
        resolved.pipeline.name_any(),
        version.version_name(),
        digest::short(&digest_of(version)),
        cluster(source),
        plan.namespace,
        cluster(target),
    );
    if let PipelineStep::Create(p) = &plan.pipeline {
        text.push_str(&format!(
            "  + create pipeline.pipelines.kubeflow.org/{}\n",
            p.name_any()
        ));
    }
    if let VersionStep::Create(v) = &plan.version {
        text.push_str(&format!(
            "  + create pipelineversion.pipelines.kubeflow.org/{} (version {})\n",
            v.name_any(),
            v.version_name()
        ));
    }
    match target_latest {
        Some(latest) => {
            let a = Side {
                label: format!(
                    "{}/{}@{}",
                    plan.namespace,
                    latest.pipeline_name(),
                    latest.version_name()
                ),
                pipeline_spec: &latest.spec.pipeline_spec,
                platform_spec: latest.spec.platform_spec.as_ref(),
            };
            let b = Side {
                label: "promoted".into(),
                pipeline_spec: &version.spec.pipeline_spec,
                platform_spec: version.spec.platform_spec.as_ref(),
            };
            let changes = diff::semantic(
                &a,
                &b,
                &Options {
                    context_lines: 3,
                    ignore_sdk_version: false,
                },
            );
            text.push_str(&format!(
                "Changes against the target's latest version {}:\n",
                latest.version_name()
            ));
            if changes.is_empty() {
                text.push_str("  (none)\n");
            } else {
                for line in diff::render_summary(&changes).lines() {
                    text.push_str(&format!("  {line}\n"));
                }
            }
        }
        None => text.push_str("The target pipeline has no versions yet.\n"),
    }
    text
}
