//! `kubectl kfp prune PIPELINE | --all`: delete old versions, never one that is the latest,
//! among the newest, tagged, used by a ScheduledWorkflow or the source of a copy. Resolve,
//! check the right to delete (SSAR), read what uses versions, plan (pure, `plan.rs`), print the
//! plan, confirm, then delete (`apply.rs`).

pub mod apply;
pub mod plan;
pub mod protections;

use std::collections::BTreeSet;

use anyhow::Result;
use jiff::Timestamp;
use kube::ResourceExt;
use kube::api::ListParams;

use crate::cli::{DryRun, PruneArgs};
use crate::client::{Action, Session, can_i, list_all, whoami};
use crate::error::{ExitStatus, UserError, summarize};
use crate::labels;
use crate::output::progress::Work;
use crate::output::{PlainTable, Printer, age};
use crate::prompt;
use crate::reference::VersionSelector;
use crate::resolve::{self, Origin, Paging, ResolvedPipeline};
use crate::resources::Pipeline;

use self::apply::{Deleted, Target};
use self::plan::{Decision, Policy};
use self::protections::Schedules;
use super::parse_reference;

pub async fn run(session: &Session, args: &PruneArgs, printer: &Printer) -> Result<ExitStatus> {
    let policy = policy(args, Timestamp::now())?;
    let pipelines = pipelines(session, args).await?;
    let namespaces: Vec<String> = pipelines
        .iter()
        .map(|p| p.namespace.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let deleting = args.dry_run != DryRun::Client;
    if deleting {
        for namespace in &namespaces {
            check_delete(session, namespace).await?;
        }
    }
    let findings = protections::collect(session, &namespaces, !args.include_sources).await?;
    if let Some((why, hint)) = findings.schedules.as_ref().and_then(Schedules::unknown) {
        if deleting && !args.skip_schedule_check {
            return Err(UserError::new(format!(
                "cannot tell which versions recurring runs use: {why}; nothing was deleted"
            ))
            .with_hint(hint)
            .into());
        }
        printer.warn(&format!(
            "ScheduledWorkflows were not checked ({why}): a version a recurring run uses may be in the plan"
        ));
    }
    for note in &findings.notes {
        printer.warn(note);
    }
    let plans: Vec<(ResolvedPipeline, Vec<Decision>)> = pipelines
        .into_iter()
        .map(|p| {
            let decisions = plan::plan(
                &p.versions,
                p.pipeline.metadata.uid.as_deref(),
                &policy,
                &findings.uses,
            );
            (p, decisions)
        })
        .collect();
    let ask = !args.yes && args.dry_run == DryRun::None;
    let has_deletes = plans
        .iter()
        .any(|(_, decisions)| decisions.iter().any(Decision::delete));
    if ask && has_deletes && !prompt::interactive() {
        // As promote: a script gets the refusal alone; --dry-run shows the plan.
        return Err(prompt::no_terminal("Delete the planned versions?", "--yes"));
    }
    printer.info(&describe(&plans, Timestamp::now()));
    let targets: Vec<Target> = plans
        .iter()
        .flat_map(|(p, decisions)| {
            decisions.iter().filter(|d| d.delete()).map(|d| Target {
                namespace: p.namespace.clone(),
                name: d.version.name.clone(),
                uid: d.version.uid.clone(),
            })
        })
        .collect();
    if targets.is_empty() {
        printer.info("Nothing to delete.");
        return Ok(ExitStatus::Success);
    }
    if args.dry_run == DryRun::Client {
        for target in &targets {
            printer.line(&format!(
                "pipelineversion.pipelines.kubeflow.org/{} deleted (dry run)",
                target.name
            ));
        }
        return Ok(ExitStatus::Success);
    }
    let question = format!(
        "Delete {} version{}?",
        targets.len(),
        if targets.len() == 1 { "" } else { "s" }
    );
    if ask && !prompt::confirm(&question, "--yes")? {
        return Err(UserError::new("prune cancelled at the prompt; nothing was deleted").into());
    }
    apply_plan(session, targets, args.dry_run, printer).await
}

/// Deletes; one error for whatever failed. The success lines are kubectl's, printed as
/// [`Writes`](crate::output::Writes) does (as each delete lands, or after a bar on a terminal), in plan order.
async fn apply_plan(
    session: &Session,
    targets: Vec<Target>,
    dry_run: DryRun,
    printer: &Printer,
) -> Result<ExitStatus> {
    let total = targets.len();
    let suffix = if dry_run == DryRun::Server {
        " (server dry run)"
    } else {
        ""
    };
    let mut writes = printer.writes(Work::Deleted, total);
    let mut failed = 0;
    let mut first_failure = None;
    apply::delete_all(session, targets, dry_run, |target, outcome| {
        writes.count();
        match outcome {
            Deleted::Done => writes.line(format!(
                "pipelineversion.pipelines.kubeflow.org/{} deleted{suffix}",
                target.name
            )),
            Deleted::Gone => printer.info(&format!(
                "pipelineversion.pipelines.kubeflow.org/{} was gone already",
                target.name
            )),
            Deleted::Replaced => printer.warn(&format!(
                "pipelineversion {:?} in namespace {:?} was deleted and created again meanwhile; the new one was not deleted",
                target.name, target.namespace
            )),
            Deleted::Failed(err) => {
                failed += 1;
                if first_failure.is_none() {
                    first_failure = Some(summarize(err).0);
                }
            }
        }
    })
    .await;
    writes.finish()?;
    match first_failure {
        None => Ok(ExitStatus::Success),
        Some(why) => Err(UserError::new(format!(
            "{failed} of {total} planned deletes failed, the first: {why}"
        ))
        .with_hint("run the same command again to delete the rest (what was deleted is listed above)")
        .into()),
    }
}

/// The policy from the flags, checked before anything is read.
fn policy(args: &PruneArgs, now: Timestamp) -> Result<Policy> {
    let cutoff = match &args.older_than {
        Some(text) => {
            let age = plan::parse_age(text).map_err(|why| {
                UserError::new(format!("invalid --older-than {text:?}: {why}"))
                    .with_hint("for example --older-than 30d (units s, m, h, d, w)")
            })?;
            Some(now.checked_sub(age).map_err(|_| {
                UserError::new(format!("invalid --older-than {text:?}: the duration is too long"))
            })?)
        }
        None => None,
    };
    let protect_tags = if args.protect_tags.is_empty() {
        None
    } else {
        let mut rules = Vec::new();
        for text in &args.protect_tags {
            let (key, value) = match text.split_once('=') {
                Some((key, value)) => (key, Some(value)),
                None => (text.as_str(), None),
            };
            let checked = labels::check_key(key)
                .map_err(|err| format!("key {key:?} {err}"))
                .and_then(|()| match value {
                    Some(v) => labels::check_value(v).map_err(|err| format!("value {v:?} {err}")),
                    None => Ok(()),
                });
            if let Err(why) = checked {
                return Err(UserError::new(format!("invalid --protect-tag {text:?}: {why}"))
                    .with_hint("for example --protect-tag stage or --protect-tag stage=production")
                    .into());
            }
            rules.push((key.to_string(), value.map(str::to_string)));
        }
        Some(rules)
    };
    Ok(Policy {
        keep: args.keep,
        cutoff,
        protect_tags,
        include_sources: args.include_sources,
    })
}

/// The pipeline named, or with `--all` every pipeline of the namespace, with their versions.
async fn pipelines(session: &Session, args: &PruneArgs) -> Result<Vec<ResolvedPipeline>> {
    if let Some(text) = &args.reference {
        let reference = parse_reference(text)?;
        if reference.version != VersionSelector::Latest {
            return Err(crate::error::user_error_hint(
                format!("prune takes a pipeline, not a version: {text:?}"),
                "drop the @VERSION part: prune decides which versions go",
            ));
        }
        return Ok(vec![
            resolve::pipeline(session, &reference, Paging::Stream).await?,
        ]);
    }
    let namespace = session.namespace.as_str();
    let api = session.api::<Pipeline>(Some(namespace));
    let listed = list_all(
        &api,
        &ListParams::default().limit(resolve::DEFAULT_CHUNK_SIZE),
        &Action::new("list", "pipelines", Some(namespace)),
        &session.server,
    )
    .await?;
    let mut resolved = Vec::new();
    for pipeline in listed {
        let versions = resolve::versions_of(session, namespace, &pipeline, None, Paging::Stream).await?;
        resolved.push(ResolvedPipeline {
            namespace: namespace.to_string(),
            origin: Origin::Local,
            pipeline,
            versions,
        });
    }
    Ok(resolved)
}

/// Refuses before anything is deleted when the user may not delete versions there.
async fn check_delete(session: &Session, namespace: &str) -> Result<()> {
    if can_i(session, "delete", "pipelineversions", namespace).await? {
        return Ok(());
    }
    let user = whoami(session)
        .await
        .map(|u| format!(" for user {u:?}"))
        .unwrap_or_default();
    Err(UserError::new(format!(
        "cannot delete pipelineversions in namespace {namespace:?}: forbidden{user}; nothing was deleted"
    ))
    .with_hint(format!("ask for the edit role in {namespace:?}"))
    .into())
}

/// The plan as the user reads it (stderr): per pipeline, each version kept (with why) or deleted.
fn describe(plans: &[(ResolvedPipeline, Vec<Decision>)], now: Timestamp) -> String {
    let mut text = String::new();
    for (pipeline, decisions) in plans {
        let deleted = decisions.iter().filter(|d| d.delete()).count();
        text.push_str(&format!(
            "Pipeline {}/{}: {} version{}, {deleted} to delete, {} kept\n",
            pipeline.namespace,
            pipeline.pipeline.name_any(),
            decisions.len(),
            if decisions.len() == 1 { "" } else { "s" },
            decisions.len() - deleted,
        ));
        if decisions.is_empty() {
            continue;
        }
        let mut table = PlainTable::new(&["VERSION", "AGE", "ACTION", "WHY"], true);
        for decision in decisions {
            let why: Vec<String> = decision.reasons.iter().map(ToString::to_string).collect();
            table.push(vec![
                decision.version.version_name(),
                age(decision.version.created.as_ref(), now),
                if decision.delete() { "delete" } else { "keep" }.to_string(),
                why.join("; "),
            ]);
        }
        text.push_str(&table.render());
    }
    text.trim_end().to_string()
}
