//! `kubectl kfp list PIPELINE -w|--watch-only`: the versions table, then one row per version
//! created, changed or deleted, as `kubectl get -w` prints them (objects one by one with
//! `-o json|yaml`). Watching and recovering is `crate::watch`; this file prints.

use std::collections::HashSet;

use anyhow::Result;
use jiff::Timestamp;
use kube::ResourceExt;
use tokio::time::Instant;

use crate::cli::{ListArgs, OutputFormat, SortBy};
use crate::client::Session;
use crate::error::ExitStatus;
use crate::output::{PlainTable, Printer};
use crate::resolve::{self, ResolvedPipeline, newest_first};
use crate::resources::VersionSummary;
use crate::watch::{self, Change, Report, Target, WatchState};

use super::version_table;
use super::watch_print::RowPrinter;

/// Watches `resolved`'s versions until interrupted, or until `--request-timeout` passes (exit 0).
pub async fn run(
    session: &Session,
    resolved: ResolvedPipeline,
    args: &ListArgs,
    printer: &Printer,
) -> Result<ExitStatus> {
    let deadline = session.retry.deadline.map(|limit| Instant::now() + limit);
    // Two watches, as versions are listed: labelled with the pipeline's name, and unlabelled
    // (matched on spec.pipelineName).
    let (selectors, _) = resolve::membership_selectors(&resolved.pipeline, args.selector.as_deref());
    let sources = selectors.len();
    let targets = selectors
        .into_iter()
        .enumerate()
        .map(|(source, selector)| Target {
            source,
            resource: "pipelineversions",
            namespace: Some(resolved.namespace.clone()),
            selector: Some(selector),
            forbidden_ends: false,
        })
        .collect();
    let mut watches = watch::start_all(session, targets, deadline);
    let mut printer = WatchPrinter::new(&resolved, args, printer);
    let mut state = WatchState::new(printer.out.format.is_some());
    let member = |v: &VersionSummary| v.belongs_to(&resolved.pipeline);
    let mut synced: HashSet<usize> = HashSet::new();
    let consume = async {
        loop {
            let Some(report) = watches.next().await? else {
                // Every watch ended: the deadline passed.
                return Ok(ExitStatus::Success);
            };
            let started = synced.len() == sources;
            match report {
                Report::Listing(source) => state.listing(source),
                Report::Listed(source, object) => {
                    if let Some(change) = state.listed(source, object, member) {
                        if started {
                            printer.change(&change, &state)?;
                        } else if printer.out.format.is_some() && !args.watch_only {
                            // Objects are printed as they arrive rather than kept whole.
                            printer.out.object(change.object.as_ref())?;
                        }
                    }
                }
                Report::Synced(source) => {
                    let gone = state.synced(source);
                    if started {
                        for change in &gone {
                            printer.change(change, &state)?;
                        }
                    } else if synced.insert(source) && synced.len() == sources && !args.watch_only {
                        printer.initial_table(&state);
                    }
                }
                // Not asked for on these targets.
                Report::Forbidden(_) => {}
                Report::Changed(source, kind, object) => {
                    if let Some(change) = state.changed(source, kind, object, member)
                        && started
                    {
                        printer.change(&change, &state)?;
                    }
                }
            }
        }
    };
    watch::until(deadline, consume, ExitStatus::Success).await
}

/// Prints the first table and the rows after it in the same columns.
struct WatchPrinter<'a> {
    out: RowPrinter<'a>,
    resolved: &'a ResolvedPipeline,
    /// `-o name`.
    names: bool,
    wide: bool,
    headers: bool,
    sort_by_name: bool,
}

impl<'a> WatchPrinter<'a> {
    fn new(resolved: &'a ResolvedPipeline, args: &ListArgs, printer: &'a Printer) -> Self {
        WatchPrinter {
            out: RowPrinter::new(printer, args.output.into()),
            resolved,
            names: args.output == OutputFormat::Name,
            wide: args.output == OutputFormat::Wide,
            headers: !args.no_headers,
            sort_by_name: args.sort_by == Some(SortBy::Name),
        }
    }

    fn table(&self, versions: &[VersionSummary], latest: Option<&str>, headers: bool) -> PlainTable {
        version_table(
            self.resolved,
            versions,
            latest,
            self.wide,
            headers,
            Timestamp::now(),
        )
    }

    fn initial_table(&mut self, state: &WatchState) {
        if self.out.format.is_some() {
            return;
        }
        let mut versions = state.summaries();
        if self.sort_by_name {
            versions.sort_by_key(VersionSummary::version_name);
        } else {
            versions.sort_by(newest_first);
        }
        if versions.is_empty() {
            self.out.printer.info(&format!(
                "No versions found for pipeline {}/{}; watching for new ones.",
                self.resolved.namespace,
                self.resolved.pipeline.name_any()
            ));
            return;
        }
        if self.names {
            versions.iter().for_each(|v| self.name(v));
            return;
        }
        let latest = resolve::latest(&versions).and_then(|v| v.uid.clone());
        let table = self.table(&versions, latest.as_deref(), self.headers);
        self.out.rows(&table);
    }

    fn name(&self, version: &VersionSummary) {
        self.out.printer.line(&format!(
            "pipelineversion.pipelines.kubeflow.org/{}",
            version.name
        ));
    }

    fn change(&mut self, change: &Change, state: &WatchState) -> Result<()> {
        if self.out.format.is_some() {
            return self.out.object(change.object.as_ref());
        }
        if self.names {
            self.name(&change.summary);
            return Ok(());
        }
        let versions = state.summaries();
        let latest = resolve::latest(&versions).and_then(|v| v.uid.clone());
        let first = self.out.first();
        let table = self.table(
            std::slice::from_ref(&change.summary),
            latest.as_deref(),
            first && self.headers,
        );
        self.out.rows(&table);
        Ok(())
    }
}
