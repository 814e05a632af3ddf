//! `kubectl kfp list -w|--watch-only` (no pipeline): the overview table, then a pipeline's row
//! again whenever it or one of its versions is created, changed or deleted, as `kubectl get
//! pipelines -w` prints them (a deleted pipeline's last row once). `-o json|yaml|name` print
//! one Pipeline per pipeline event. Watching and recovering is `crate::watch`; which rows to
//! print is [`plan`] (pure).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use anyhow::Result;
use jiff::Timestamp;
use kube::ResourceExt;
use tokio::time::Instant;

use crate::cli::{ListArgs, OutputFormat, SortBy};
use crate::client::Session;
use crate::error::ExitStatus;
use crate::output::Printer;
use crate::resources::{Pipeline, PipelineSpec, VersionSummary};
use crate::watch::{self, Change, Report, Target, WatchState};

use super::watch_print::RowPrinter;
use super::{
    LatestVersion, Listing, PipelineRow, empty_message, pipeline_rows, pipeline_table, sort_pipeline_rows,
};

/// A row's identity: namespace and pipeline name.
pub type Key = (String, String);

/// One namespace watched (or all of them, for `-A`).
struct Scope {
    namespace: Option<String>,
    shared: bool,
}

/// What a watch source follows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Pipelines,
    Versions,
}

/// Watches the overview until interrupted, or until `--request-timeout` passes (exit 0).
pub async fn run(session: &Session, args: &ListArgs, printer: &Printer) -> Result<ExitStatus> {
    let deadline = session.retry.deadline.map(|limit| Instant::now() + limit);
    let scopes: Vec<Scope> = if args.all_namespaces {
        vec![Scope {
            namespace: None,
            shared: false,
        }]
    } else {
        let mut scopes = vec![Scope {
            namespace: Some(session.namespace.clone()),
            shared: false,
        }];
        if let Some(shared) = session.other_shared_namespace() {
            scopes.push(Scope {
                namespace: Some(shared.to_string()),
                shared: true,
            });
        }
        scopes
    };
    // Only the table shows version counts and latest versions; objects and names are the
    // pipelines' alone, as `kubectl get pipelines -o json -w` prints them.
    let table = matches!(args.output, OutputFormat::Table | OutputFormat::Wide);
    let mut sources: Vec<(usize, Kind)> = Vec::new();
    for scope in 0..scopes.len() {
        sources.push((scope, Kind::Pipelines));
        if table {
            sources.push((scope, Kind::Versions));
        }
    }
    let targets = sources
        .iter()
        .enumerate()
        .map(|(source, (scope, kind))| {
            let scope = &scopes[*scope];
            Target {
                source,
                resource: match kind {
                    Kind::Pipelines => "pipelines",
                    Kind::Versions => "pipelineversions",
                },
                namespace: scope.namespace.clone(),
                // `-l` selects pipelines; their versions are counted whatever their labels.
                selector: match kind {
                    Kind::Pipelines => args.selector.clone(),
                    Kind::Versions => None,
                },
                forbidden_ends: scope.shared,
            }
        })
        .collect();
    let mut watches = watch::start_all(session, targets, deadline);
    let mut overview = Overview {
        scopes: &scopes,
        sources: &sources,
        shared_ns: session.shared.namespace.as_deref(),
        pipelines: WatchState::new(!table),
        versions: WatchState::new(false),
        shown: BTreeMap::new(),
    };
    let mut out = OverviewPrinter {
        out: RowPrinter::new(printer, args.output.into()),
        args,
    };
    let mut synced: HashSet<usize> = HashSet::new();
    let mut forbidden_warned: HashSet<usize> = HashSet::new();
    let consume = async {
        loop {
            let Some(report) = watches.next().await? else {
                // Every watch ended: the deadline passed.
                return Ok(ExitStatus::Success);
            };
            let started = synced.len() == sources.len();
            let mut changes = Changes::default();
            match report {
                Report::Listing(source) => overview.listing(source),
                Report::Listed(source, object) => overview.listed(source, object, &mut changes),
                Report::Changed(source, kind, object) => overview.changed(source, kind, object, &mut changes),
                Report::Synced(source) => {
                    overview.synced(source, &mut changes);
                    synced.insert(source);
                }
                Report::Forbidden(source) => {
                    let scope = sources[source].0;
                    if forbidden_warned.insert(scope) {
                        printer.warn(&format!(
                            "cannot watch pipelines in shared namespace {:?}: forbidden; showing namespace {:?} only",
                            scopes[scope].namespace.as_deref().unwrap_or_default(),
                            session.namespace
                        ));
                    }
                    synced.insert(source);
                }
            }
            if started {
                out.changes(&mut overview, changes)?;
            } else if synced.len() == sources.len() {
                let rows = overview.rows();
                if !args.watch_only {
                    out.initial(session, &overview, rows.values().cloned().collect())?;
                }
                overview.shown = rows;
            }
        }
    };
    watch::until(deadline, consume, ExitStatus::Success).await
}

/// What the watches saw, and the rows as last printed (or as the first table showed them).
struct Overview<'a> {
    scopes: &'a [Scope],
    sources: &'a [(usize, Kind)],
    shared_ns: Option<&'a str>,
    pipelines: WatchState<Pipeline>,
    versions: WatchState<VersionSummary>,
    shown: BTreeMap<Key, PipelineRow>,
}

/// What one report changed.
#[derive(Default)]
struct Changes {
    pipelines: Vec<Change<Pipeline>>,
    versions: Vec<Change<VersionSummary>>,
}

fn all<T>(_: &T) -> bool {
    true
}

impl Overview<'_> {
    fn kind(&self, source: usize) -> Kind {
        self.sources[source].1
    }

    fn listing(&mut self, source: usize) {
        match self.kind(source) {
            Kind::Pipelines => self.pipelines.listing(source),
            Kind::Versions => self.versions.listing(source),
        }
    }

    fn listed(&mut self, source: usize, object: serde_json::Value, changes: &mut Changes) {
        match self.kind(source) {
            Kind::Pipelines => changes
                .pipelines
                .extend(self.pipelines.listed(source, object, all)),
            Kind::Versions => changes.versions.extend(self.versions.listed(source, object, all)),
        }
    }

    fn changed(
        &mut self,
        source: usize,
        kind: watch::ChangeKind,
        object: serde_json::Value,
        changes: &mut Changes,
    ) {
        match self.kind(source) {
            Kind::Pipelines => changes
                .pipelines
                .extend(self.pipelines.changed(source, kind, object, all)),
            Kind::Versions => changes
                .versions
                .extend(self.versions.changed(source, kind, object, all)),
        }
    }

    fn synced(&mut self, source: usize, changes: &mut Changes) {
        match self.kind(source) {
            Kind::Pipelines => changes.pipelines.extend(self.pipelines.synced(source)),
            Kind::Versions => changes.versions.extend(self.versions.synced(source)),
        }
    }

    /// Every row as the overview table would show it now.
    fn rows(&self) -> BTreeMap<Key, PipelineRow> {
        let listings = (0..self.scopes.len())
            .map(|scope| {
                let of = |kind: Kind| {
                    self.sources
                        .iter()
                        .position(|s| *s == (scope, kind))
                        .unwrap_or(usize::MAX)
                };
                Listing {
                    pipelines: self.pipelines.of_source(of(Kind::Pipelines)).cloned().collect(),
                    versions: self.versions.of_source(of(Kind::Versions)).cloned().collect(),
                    shared: self.scopes[scope].shared,
                }
            })
            .collect();
        pipeline_rows(listings, self.shared_ns)
            .into_iter()
            .map(|row| ((row.namespace.clone(), row.pipeline.name_any()), row))
            .collect()
    }

    /// The rows a change is about: its pipeline, or the pipelines a version belongs to.
    fn affected(&self, changes: &Changes) -> BTreeSet<Key> {
        let mut keys: BTreeSet<Key> = changes
            .pipelines
            .iter()
            .map(|c| (c.summary.namespace().unwrap_or_default(), c.summary.name_any()))
            .collect();
        for change in &changes.versions {
            let version = &change.summary;
            keys.extend(
                self.pipelines
                    .known
                    .values()
                    .map(|k| &k.summary)
                    .filter(|p| p.namespace().as_deref() == Some(version.namespace.as_str()))
                    .filter(|p| version.belongs_to(p))
                    .map(|p| (version.namespace.clone(), p.name_any())),
            );
        }
        keys
    }
}

/// What a row shows, AGE aside (it moves with the clock, not with the objects).
#[derive(PartialEq)]
struct Visible<'a> {
    origin: (bool, bool),
    versions: usize,
    latest: Option<&'a LatestVersion>,
    spec: &'a PipelineSpec,
}

fn visible(row: &PipelineRow) -> Visible<'_> {
    Visible {
        origin: (row.shared, row.shadowed),
        versions: row.version_count,
        latest: row.latest.as_ref(),
        spec: &row.pipeline.spec,
    }
}

/// The rows to print after a change, in key order: each affected row as it now is, a row that
/// is gone as it was last shown (once), and any other row whose cells changed (a local
/// pipeline created or deleted shadows or unshadows the shared one of its name).
pub fn plan(
    shown: &BTreeMap<Key, PipelineRow>,
    now: &BTreeMap<Key, PipelineRow>,
    affected: &BTreeSet<Key>,
) -> Vec<PipelineRow> {
    let keys: BTreeSet<&Key> = shown.keys().chain(now.keys()).chain(affected.iter()).collect();
    keys.into_iter()
        .filter_map(|key| match (shown.get(key), now.get(key)) {
            (Some(before), None) => Some(before.clone()),
            (None, Some(row)) => Some(row.clone()),
            (Some(before), Some(row)) if affected.contains(key) || visible(before) != visible(row) => {
                Some(row.clone())
            }
            _ => None,
        })
        .collect()
}

/// Prints the first table and the rows (or objects) after it.
struct OverviewPrinter<'a> {
    out: RowPrinter<'a>,
    args: &'a ListArgs,
}

impl OverviewPrinter<'_> {
    fn wide(&self) -> bool {
        self.args.output == OutputFormat::Wide
    }

    fn initial(&mut self, session: &Session, overview: &Overview, mut rows: Vec<PipelineRow>) -> Result<()> {
        if self.out.format.is_some() || self.args.output == OutputFormat::Name {
            // Objects and names: the pipelines as `list -o json` orders them, one by one.
            let mut known: Vec<_> = overview.pipelines.known.values().collect();
            known.sort_by_key(|k| (k.summary.name_any(), k.summary.namespace()));
            for k in known {
                self.pipeline(&k.summary, k.slim.as_ref())?;
            }
            return Ok(());
        }
        if rows.is_empty() {
            let message = empty_message(session, self.args.all_namespaces);
            self.out.printer.info(&format!(
                "{}; watching for new ones.",
                message.trim_end_matches('.')
            ));
            return Ok(());
        }
        sort_pipeline_rows(&mut rows, self.args.sort_by.unwrap_or(SortBy::Name));
        self.table(&rows);
        Ok(())
    }

    fn table(&mut self, rows: &[PipelineRow]) {
        let headers = self.out.first() && !self.args.no_headers;
        let table = pipeline_table(rows, self.wide(), headers, Timestamp::now());
        self.out.rows(&table);
    }

    fn pipeline(&mut self, pipeline: &Pipeline, object: Option<&serde_json::Value>) -> Result<()> {
        if self.args.output == OutputFormat::Name {
            self.out.printer.line(&format!(
                "pipeline.pipelines.kubeflow.org/{}",
                pipeline.name_any()
            ));
            return Ok(());
        }
        self.out.object(object)
    }

    fn changes(&mut self, overview: &mut Overview, changes: Changes) -> Result<()> {
        if self.out.format.is_some() || self.args.output == OutputFormat::Name {
            for change in &changes.pipelines {
                self.pipeline(&change.summary, change.object.as_ref())?;
            }
            return Ok(());
        }
        if changes.pipelines.is_empty() && changes.versions.is_empty() {
            return Ok(());
        }
        let affected = overview.affected(&changes);
        let now = overview.rows();
        let rows = plan(&overview.shown, &now, &affected);
        if !rows.is_empty() {
            self.table(&rows);
        }
        overview.shown = now;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::api::ObjectMeta;

    fn row(namespace: &str, name: &str, shared: bool, versions: usize) -> PipelineRow {
        PipelineRow {
            pipeline: Pipeline {
                metadata: ObjectMeta {
                    name: Some(name.into()),
                    namespace: Some(namespace.into()),
                    ..ObjectMeta::default()
                },
                spec: PipelineSpec::default(),
            },
            namespace: namespace.into(),
            shared,
            shadowed: false,
            version_count: versions,
            latest: None,
        }
    }

    fn map(rows: &[PipelineRow]) -> BTreeMap<Key, PipelineRow> {
        rows.iter()
            .map(|r| ((r.namespace.clone(), r.pipeline.name_any()), r.clone()))
            .collect()
    }

    fn key(namespace: &str, name: &str) -> Key {
        (namespace.into(), name.into())
    }

    fn printed(rows: &[PipelineRow]) -> Vec<(String, usize, bool)> {
        rows.iter()
            .map(|r| (r.pipeline.name_any(), r.version_count, r.shadowed))
            .collect()
    }

    #[test]
    fn an_affected_row_is_printed_as_it_now_is() {
        let shown = map(&[row("a", "train", false, 1), row("a", "eval", false, 2)]);
        let now = map(&[row("a", "train", false, 2), row("a", "eval", false, 2)]);
        let affected = BTreeSet::from([key("a", "train")]);
        assert_eq!(
            printed(&plan(&shown, &now, &affected)),
            [("train".into(), 2, false)]
        );
    }

    #[test]
    fn a_deleted_pipeline_prints_its_last_row_once() {
        let shown = map(&[row("a", "train", false, 3)]);
        let now = map(&[]);
        let affected = BTreeSet::from([key("a", "train")]);
        assert_eq!(
            printed(&plan(&shown, &now, &affected)),
            [("train".into(), 3, false)]
        );
        // Once gone from both, a late event about it prints nothing.
        assert!(plan(&now, &now, &affected).is_empty());
    }

    #[test]
    fn nothing_is_printed_when_nothing_changed_after_a_relist() {
        let shown = map(&[row("a", "train", false, 1), row("s", "train", true, 1)]);
        assert!(plan(&shown, &shown.clone(), &BTreeSet::new()).is_empty());
    }

    #[test]
    fn a_local_pipeline_created_shadows_the_shared_one_and_both_rows_print() {
        let shown = map(&[row("s", "train", true, 4)]);
        let mut shadowed = row("s", "train", true, 4);
        shadowed.shadowed = true;
        let now = map(&[row("a", "train", false, 0), shadowed]);
        let affected = BTreeSet::from([key("a", "train")]);
        assert_eq!(
            printed(&plan(&shown, &now, &affected)),
            [("train".into(), 0, false), ("train".into(), 4, true)]
        );
    }
}
