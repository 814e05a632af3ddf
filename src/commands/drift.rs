//! `kubectl kfp drift [PIPELINE…] [-n NS,… | -A] [--contexts CTX,…]`: which namespaces (and
//! clusters) run the shared pipelines' latest versions, older ones, other content, or none.
//! Collect (metadata of every scope, clusters concurrently) → compare (pure,
//! `lineage::drift`) → print. Exit 0 nothing drifts, 1 something does (`--fail-on`), 2 error.

use std::collections::HashSet;

use anyhow::Result;
use serde::Serialize;

use crate::cli::{Cli, Command, DriftArgs, DriftState, GlobalArgs, ReportFormat};
use crate::client::Session;
use crate::config::{Config, check_namespace};
use crate::digest;
use crate::error::{ExitStatus, UserError, user_error, user_error_hint};
use crate::lineage::collect::{self, Scope, one_line};
use crate::lineage::drift::{FailOn, Namespaces, Row, Target, VersionRef, compare, drifted};
use crate::lineage::{ClusterId, Snapshot, members};
use crate::output::progress::{self, Work};
use crate::output::{DataFormat, PlainTable, Printer};

/// The global flags as the settings take them: `drift -n a,b` keeps only `a` there.
pub fn settings_args(cli: &Cli) -> GlobalArgs {
    let mut global = cli.global.clone();
    if let (Command::Drift(_), Some(namespace)) = (&cli.command, &mut global.namespace)
        && let Some((first, _)) = namespace.split_once(',')
    {
        *namespace = first.to_string();
    }
    global
}

/// The namespaces `drift -n` names (empty without `-n`), each checked.
pub fn namespaces(cli: &Cli) -> Result<Vec<String>> {
    let Command::Drift(_) = &cli.command else {
        return Ok(Vec::new());
    };
    let mut list: Vec<String> = Vec::new();
    for namespace in cli.global.namespace.iter().flat_map(|n| n.split(',')) {
        let namespace = namespace.trim();
        check_namespace(namespace, "--namespace")?;
        if !list.iter().any(|n| n == namespace) {
            list.push(namespace.to_string());
        }
    }
    Ok(list)
}

pub async fn run(
    config: &Config,
    args: &DriftArgs,
    listed: &[String],
    printer: &Printer,
) -> Result<ExitStatus> {
    if args.all_namespaces && !listed.is_empty() {
        return Err(user_error_hint(
            "-A and -n cannot be combined",
            "compare every namespace with -A, or name them with -n NS,…",
        ));
    }
    // The first context is the baseline; without --contexts, the current one alone.
    let connections = match args.contexts.as_slice() {
        [] => vec![(
            None,
            Session::connect(config, None).await.map_err(|e| one_line(&e)),
        )],
        contexts => collect::connect_all(config, &unique(contexts))
            .await
            .into_iter()
            .map(|(cluster, session)| (Some(cluster), session))
            .collect(),
    };
    let baseline_session = match &connections[0].1 {
        Ok(session) => session.clone(),
        Err(why) => return Err(user_error(why.clone())),
    };
    let Some(shared) = baseline_session.shared.namespace.clone() else {
        return Err(user_error_hint(
            "drift compares with the shared namespace, but sharing is off",
            "set one with --shared-namespace NS or: kubectl kfp config set shared-namespace NS",
        ));
    };
    let cross_cluster = connections.len() > 1 && listed.is_empty() && !args.all_namespaces;
    let plans: Vec<ClusterPlan> = connections
        .into_iter()
        .enumerate()
        .map(|(index, (cluster, session))| match session {
            Ok(session) => {
                let (scope, namespaces) = scope_of(
                    &session,
                    index == 0,
                    &shared,
                    listed,
                    args.all_namespaces,
                    cross_cluster,
                );
                ClusterPlan {
                    cluster: collect::cluster_of(&session),
                    read: Ok((session, scope)),
                    namespaces,
                }
            }
            Err(why) => ClusterPlan {
                cluster: cluster.unwrap_or(ClusterId {
                    context: None,
                    server: String::new(),
                }),
                read: Err(why),
                namespaces: Namespaces::All,
            },
        })
        .collect();
    // Every cluster is read at once; one that fails becomes its row.
    let shared_ref = shared.as_str();
    if plans.len() > 1 {
        progress::set_total(Work::Clusters, plans.len() as u64);
    }
    let reads = futures::future::join_all(plans.iter().map(|plan| async move {
        let (session, scope) = plan.read.as_ref().map_err(Clone::clone)?;
        let snapshot = collect::snapshot(session, scope).await;
        progress::add(Work::Clusters, 1);
        let mut snapshot = snapshot.map_err(|err| one_line(&err))?;
        trust_compared_digests(session, &mut snapshot, shared_ref, &args.pipelines)
            .await
            .map_err(|err| one_line(&err))?;
        Ok::<_, String>(snapshot)
    }))
    .await;
    let baseline: &Snapshot = match &reads[0] {
        Ok(snapshot) => snapshot,
        Err(why) => {
            let error = UserError::new(why.clone());
            return Err(match why.contains("in all namespaces") {
                true => error.with_hint("name the namespaces with -n NS,…").into(),
                false => error.into(),
            });
        }
    };
    if baseline.forbidden.contains(&shared) {
        return Err(user_error_hint(
            format!("cannot list pipelines in shared namespace {shared:?}: forbidden"),
            format!("drift compares with {shared:?}; ask for read access there"),
        ));
    }
    check_named_pipelines(baseline, &shared, &args.pipelines)?;
    let targets: Vec<Target<'_>> = plans
        .iter()
        .zip(&reads)
        .map(|(plan, read)| Target {
            cluster: plan.cluster.clone(),
            snapshot: read.as_ref().map_err(Clone::clone),
            namespaces: plan.namespaces.clone(),
        })
        .collect();
    warn_forbidden(printer, &targets);
    let rows = compare(baseline, &shared, &args.pipelines, &targets);
    let fail_on: Vec<FailOn> = args
        .fail_on
        .iter()
        .map(|state| match state {
            DriftState::Behind => FailOn::Behind,
            DriftState::Diverged => FailOn::Diverged,
            DriftState::Absent => FailOn::Absent,
        })
        .collect();
    let drift = drifted(&rows, &fail_on);
    let show_context = targets.len() > 1;
    match args.output {
        ReportFormat::Table if rows.is_empty() => printer.info(&empty_message(baseline, &shared)),
        ReportFormat::Table => printer.table(&table(&rows, show_context, !args.no_headers)),
        ReportFormat::Json | ReportFormat::Yaml => {
            let report = Report::new(baseline, &shared, &targets, &rows, &args.fail_on, drift);
            let format = if args.output == ReportFormat::Json {
                DataFormat::Json
            } else {
                DataFormat::Yaml
            };
            printer.value(&report, format)?;
        }
    }
    let unreachable = collect::context_errors(
        rows.iter()
            .filter_map(|r| Some((&r.cluster, r.error.as_deref()?))),
    );
    if !unreachable.is_empty() {
        // The rest printed; a cluster that could not be compared is still an error (exit 2).
        printer.error_lines(&unreachable);
        return Ok(ExitStatus::Error);
    }
    Ok(if drift {
        ExitStatus::Differences
    } else {
        ExitStatus::Success
    })
}

/// One cluster to read: its session and scope (or why there is none), and its row namespaces.
struct ClusterPlan {
    cluster: ClusterId,
    read: Result<(Session, Scope), String>,
    namespaces: Namespaces,
}

/// The contexts in their first order, each once.
fn unique(contexts: &[String]) -> Vec<String> {
    let mut seen = HashSet::new();
    contexts
        .iter()
        .filter(|c| seen.insert(c.as_str()))
        .cloned()
        .collect()
}

/// What to read in one cluster and which of its namespaces are rows.
fn scope_of(
    session: &Session,
    baseline: bool,
    shared: &str,
    listed: &[String],
    all: bool,
    cross_cluster: bool,
) -> (Scope, Namespaces) {
    if all {
        return (Scope::All, Namespaces::All);
    }
    let mut rows: Vec<String> = if cross_cluster {
        // Cluster against cluster: each one's shared namespace against the baseline's.
        session.shared.namespace.clone().into_iter().collect()
    } else if listed.is_empty() {
        vec![session.namespace.clone()]
    } else {
        listed.to_vec()
    };
    rows.dedup();
    let mut read = rows.clone();
    if baseline && !read.iter().any(|n| n == shared) {
        read.push(shared.to_string());
    }
    (Scope::Namespaces(read), Namespaces::Listed(rows))
}

/// Makes the digests drift compares trustworthy: every version of the compared shared
/// pipelines, and each namespace's latest version of them.
async fn trust_compared_digests(
    session: &Session,
    snapshot: &mut Snapshot,
    shared: &str,
    only: &[String],
) -> Result<()> {
    let wanted = |name: &str| only.is_empty() || only.iter().any(|p| p == name);
    let needed: HashSet<String> = {
        let grouped = members(&snapshot.pipelines, &snapshot.versions);
        grouped
            .iter()
            .filter(|m| m.pipeline.metadata.name.as_deref().is_some_and(wanted))
            .flat_map(|m| match m.namespace == shared {
                true => m.versions.clone(),
                // Other clusters' shared namespaces and team namespaces: the latest only.
                false => m.latest().into_iter().collect(),
            })
            .filter_map(|v| v.uid.clone())
            .collect()
    };
    let indices: Vec<usize> = snapshot
        .versions
        .iter()
        .enumerate()
        .filter(|(_, v)| v.uid.as_ref().is_some_and(|uid| needed.contains(uid)))
        .map(|(index, _)| index)
        .collect();
    collect::trust_digests(session, &mut snapshot.versions, &indices).await
}

/// Why there are no rows: nothing shared, or nothing to compare it with.
fn empty_message(baseline: &Snapshot, shared: &str) -> String {
    if baseline
        .pipelines
        .iter()
        .any(|p| p.metadata.namespace.as_deref() == Some(shared))
    {
        format!(
            "No namespaces to compare with shared namespace {shared:?}; name them with -n NS,… or use -A."
        )
    } else {
        format!("No pipelines found in shared namespace {shared:?}.")
    }
}

/// Pipelines named on the command line must exist in the baseline.
fn check_named_pipelines(baseline: &Snapshot, shared: &str, named: &[String]) -> Result<()> {
    let present: HashSet<&str> = baseline
        .pipelines
        .iter()
        .filter(|p| p.metadata.namespace.as_deref() == Some(shared))
        .filter_map(|p| p.metadata.name.as_deref())
        .collect();
    match named.iter().find(|name| !present.contains(name.as_str())) {
        Some(name) => Err(user_error_hint(
            format!("pipeline {name:?} not found in shared namespace {shared:?}"),
            format!("list the shared pipelines with: kubectl kfp list -n {shared}"),
        )),
        None => Ok(()),
    }
}

/// One warning line naming the namespaces that could not be read, per cluster.
fn warn_forbidden(printer: &Printer, targets: &[Target<'_>]) {
    for target in targets {
        let Ok(snapshot) = &target.snapshot else { continue };
        if snapshot.forbidden.is_empty() {
            continue;
        }
        let names: Vec<String> = snapshot.forbidden.iter().map(|n| format!("{n:?}")).collect();
        let place = match (&target.cluster.context, targets.len() > 1) {
            (Some(context), true) => format!(" (context {context})"),
            _ => String::new(),
        };
        printer.warn(&format!(
            "cannot read pipelines in namespace{} {}{place}: forbidden; not compared",
            if names.len() == 1 { "" } else { "s" },
            names.join(", ")
        ));
    }
}

fn table(rows: &[Row], show_context: bool, headers: bool) -> PlainTable {
    let mut columns = vec!["PIPELINE"];
    if show_context {
        columns.push("CONTEXT");
    }
    columns.extend(["NAMESPACE", "LATEST", "DIGEST", "SHARED", "STATE"]);
    let mut table = PlainTable::new(&columns, headers);
    let dash = || "-".to_string();
    for row in rows {
        let mut cells = vec![row.pipeline.clone().unwrap_or_else(dash)];
        if show_context {
            cells.push(row.cluster.label());
        }
        cells.extend([
            row.namespace.clone().unwrap_or_else(dash),
            match (&row.latest, row.error.is_some()) {
                (Some(latest), _) => latest.version.clone(),
                (None, true) => dash(),
                (None, false) => "<none>".to_string(),
            },
            row.latest
                .as_ref()
                .map(|l| digest::short(&l.digest))
                .unwrap_or_else(dash),
            row.baseline_latest
                .as_ref()
                .map(|l| l.version.clone())
                .unwrap_or_else(dash),
            row.state.text(),
        ]);
        table.push(cells);
    }
    table
}

/// `-o json|yaml`: the report, with stable field names (README, "drift").
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    baseline: Place,
    fail_on: Vec<&'static str>,
    drifted: bool,
    items: Vec<Item>,
    forbidden_namespaces: Vec<Place>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Place {
    context: Option<String>,
    cluster: String,
    namespace: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    pipeline: Option<String>,
    context: Option<String>,
    cluster: String,
    namespace: Option<String>,
    state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    behind: Option<usize>,
    latest: Option<VersionRef>,
    matches: Option<String>,
    baseline: Option<VersionRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

impl Report {
    fn new(
        baseline: &Snapshot,
        shared: &str,
        targets: &[Target<'_>],
        rows: &[Row],
        fail_on: &[DriftState],
        drifted: bool,
    ) -> Report {
        let place = |cluster: &ClusterId, namespace: &str| Place {
            context: cluster.context.clone(),
            cluster: cluster.server.clone(),
            namespace: namespace.to_string(),
        };
        Report {
            baseline: place(&baseline.cluster, shared),
            fail_on: fail_on
                .iter()
                .map(|s| match s {
                    DriftState::Behind => "behind",
                    DriftState::Diverged => "diverged",
                    DriftState::Absent => "absent",
                })
                .collect(),
            drifted,
            items: rows
                .iter()
                .map(|row| Item {
                    pipeline: row.pipeline.clone(),
                    context: row.cluster.context.clone(),
                    cluster: row.cluster.server.clone(),
                    namespace: row.namespace.clone(),
                    state: row.state.word(),
                    behind: match row.state {
                        crate::lineage::drift::State::Behind(n) => Some(n),
                        _ => None,
                    },
                    latest: row.latest.clone(),
                    matches: row.matches.clone(),
                    baseline: row.baseline_latest.clone(),
                    error: row.error.clone(),
                })
                .collect(),
            forbidden_namespaces: targets
                .iter()
                .filter_map(|t| t.snapshot.as_ref().ok())
                .flat_map(|s| s.forbidden.iter().map(|ns| place(&s.cluster, ns)))
                .collect(),
        }
    }
}
