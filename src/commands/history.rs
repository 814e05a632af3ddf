//! `kubectl kfp history REF [--contexts CTX,…]`: where a version came from (its `promoted-from`
//! chain, through namespaces and clusters) and where it went (every copy whose
//! `promoted-from-uid` is its UID, and theirs), plus same content without a provenance link.
//! Collect (metadata of every readable namespace, clusters concurrently; sources looked up hop
//! by hop) → link (pure, `lineage::tree`) → print. Exit 0, or 2 on error.

use std::collections::HashSet;

use anyhow::Result;
use jiff::Timestamp;
use serde::Serialize;

use crate::cli::{HistoryArgs, ReportFormat};
use crate::client::Session;
use crate::config::Config;
use crate::digest;
use crate::error::ExitStatus;
use crate::lineage::collect::{self, NoClusterWideAccess, Scope, cluster_of, one_line};
use crate::lineage::tree::{self, Content, Lineage, Missing, Node, Source};
use crate::lineage::{ClusterId, Provenance, Record, Snapshot};
use crate::output::{DataFormat, PlainTable, Printer, age};
use crate::resolve::{self, Paging};
use crate::resources::{ANNOTATION_DIGEST, VersionSummary};

use super::parse_reference;

/// Hops followed back along `promoted-from` at most (hand-edited annotations may loop).
const MAX_SOURCES: usize = 32;

pub async fn run(config: &Config, args: &HistoryArgs, printer: &Printer) -> Result<ExitStatus> {
    let reference = parse_reference(&args.reference)?;
    let primary = Session::connect(config, None).await?;
    let (resolved, version) = resolve::version(&primary, &reference, Paging::Stream, printer).await?;
    // The digest of the version asked about is computed from its spec, never trusted blindly.
    let mut summary = VersionSummary::of(&version);
    summary.digest = digest::of(&version.spec.pipeline_spec, version.spec.platform_spec.as_ref());
    summary.annotations.remove(ANNOTATION_DIGEST);
    let me = Record::of(&cluster_of(&primary), &summary);

    // Where copies are looked for when the user may not list across all namespaces.
    let mut known: Vec<String> = vec![primary.namespace.clone(), resolved.namespace.clone()];
    known.extend(primary.shared.namespace.clone());
    known.extend(me.provenance.as_ref().and_then(|p| p.namespace.clone()));
    known.sort();
    known.dedup();

    let mut pool = Pool::default();
    pool.clusters
        .push(Cluster::new(cluster_of(&primary), Ok(primary.clone())));
    let others: Vec<String> = args
        .contexts
        .iter()
        .filter(|c| Some(c.as_str()) != primary.context.as_deref())
        .cloned()
        .collect();
    for (id, session) in collect::connect_all(config, &others).await {
        pool.clusters.push(Cluster::new(id, session));
    }
    pool.read_all(&known, printer).await;

    let mut sources = Vec::new();
    let mut seen: HashSet<String> = HashSet::from([me.uid.clone()]);
    let mut current = me.clone();
    while let Some(recorded) = current.provenance.clone() {
        if sources.len() >= MAX_SOURCES {
            break;
        }
        let found = pool
            .find_source(config, &recorded, &current.cluster, printer)
            .await;
        let next = found
            .as_ref()
            .ok()
            .filter(|r| seen.insert(r.uid.clone()))
            .cloned();
        sources.push(Source { recorded, found });
        match next {
            Some(record) => current = record,
            None => break,
        }
    }
    let all: Vec<Record> = pool
        .clusters
        .iter()
        .flat_map(|c| c.records.iter().cloned())
        .collect();
    let lineage = tree::lineage(me, sources, &all);

    let now = Timestamp::now();
    match args.output {
        ReportFormat::Table => printer.table(&table(&lineage, !args.no_headers, now)),
        ReportFormat::Json => printer.value(&report(&lineage), DataFormat::Json)?,
        ReportFormat::Yaml => printer.value(&report(&lineage), DataFormat::Yaml)?,
    }
    // Listed contexts that could not be read: the rest printed, but the answer is incomplete.
    let failed = collect::context_errors(
        pool.clusters
            .iter()
            .filter(|c| c.listed)
            .filter_map(|c| Some((&c.id, c.error.as_deref()?))),
    );
    if !failed.is_empty() {
        printer.error_lines(&failed);
        return Ok(ExitStatus::Error);
    }
    Ok(ExitStatus::Success)
}

/// Every cluster read so far and what was read there.
#[derive(Default)]
struct Pool {
    clusters: Vec<Cluster>,
}

struct Cluster {
    id: ClusterId,
    session: Option<Session>,
    /// Why it could not be read.
    error: Option<String>,
    /// The current context or one of --contexts (its failure is an error), not a source's.
    listed: bool,
    /// None: every namespace was read.
    covered: Option<HashSet<String>>,
    forbidden: HashSet<String>,
    records: Vec<Record>,
}

impl Cluster {
    fn new(id: ClusterId, session: Result<Session, String>) -> Cluster {
        let (session, error) = match session {
            Ok(session) => (Some(session), None),
            Err(why) => (None, Some(why)),
        };
        Cluster {
            id,
            session,
            error,
            listed: true,
            covered: Some(HashSet::new()),
            forbidden: HashSet::new(),
            records: Vec::new(),
        }
    }

    fn add(&mut self, snapshot: Snapshot, namespaces: Option<&[String]>) {
        self.records
            .extend(snapshot.versions.iter().map(|v| Record::of(&snapshot.cluster, v)));
        self.forbidden.extend(snapshot.forbidden);
        match (namespaces, &mut self.covered) {
            (None, _) => self.covered = None,
            (Some(list), Some(covered)) => covered.extend(list.iter().cloned()),
            (Some(_), None) => {}
        }
    }

    fn covers(&self, namespace: &str) -> bool {
        self.covered.as_ref().is_none_or(|c| c.contains(namespace))
    }
}

impl Pool {
    /// Reads every cluster at once: all namespaces where the user may list across them, else
    /// the `known` ones (with a warning saying so).
    async fn read_all(&mut self, known: &[String], printer: &Printer) {
        let reads = futures::future::join_all(self.clusters.iter().map(|cluster| async move {
            let session = cluster.session.as_ref()?;
            Some(match read(session, &Scope::All).await {
                Err(err) if err.downcast_ref::<NoClusterWideAccess>().is_some() => {
                    let scope = Scope::Namespaces(known.to_vec());
                    (read(session, &scope).await, Some(known.to_vec()))
                }
                outcome => (outcome, None),
            })
        }))
        .await;
        for (cluster, outcome) in self.clusters.iter_mut().zip(reads) {
            match outcome {
                None => {}
                Some((Ok(snapshot), namespaces)) => {
                    if let Some(list) = &namespaces {
                        let names: Vec<String> = list.iter().map(|n| format!("{n:?}")).collect();
                        printer.warn(&format!(
                            "cannot list pipelines across all namespaces{}: copies were looked for in namespaces {} only",
                            in_context(&cluster.id),
                            names.join(", ")
                        ));
                    }
                    if !snapshot.forbidden.is_empty() {
                        let names: Vec<String> =
                            snapshot.forbidden.iter().map(|n| format!("{n:?}")).collect();
                        printer.warn(&format!(
                            "cannot read pipelines in namespace{} {}{}: forbidden; not searched",
                            if names.len() == 1 { "" } else { "s" },
                            names.join(", "),
                            in_context(&cluster.id)
                        ));
                    }
                    cluster.add(snapshot, namespaces.as_deref());
                }
                Some((Err(err), _)) => cluster.error = Some(one_line(&err)),
            }
        }
    }

    /// Finds the version `recorded` names, in its cluster: one already read, else its context
    /// from the kubeconfig.
    async fn find_source(
        &mut self,
        config: &Config,
        recorded: &Provenance,
        copy_cluster: &ClusterId,
        printer: &Printer,
    ) -> Result<Record, Missing> {
        let index = match self.cluster_index(recorded, copy_cluster) {
            Some(index) => index,
            None => self.connect_source(config, recorded).await?,
        };
        let cluster = &mut self.clusters[index];
        if let Some(why) = &cluster.error {
            return Err(Missing::Unreachable(why.clone()));
        }
        let Some(namespace) = recorded.namespace.clone() else {
            return Err(Missing::Deleted);
        };
        if !cluster.covers(&namespace) && !cluster.forbidden.contains(&namespace) {
            let Some(session) = cluster.session.clone() else {
                return Err(Missing::Unreachable(String::new()));
            };
            let list = vec![namespace.clone()];
            match read(&session, &Scope::Namespaces(list.clone())).await {
                Ok(snapshot) => cluster.add(snapshot, Some(&list)),
                Err(err) => {
                    printer.warn(&one_line(&err));
                    return Err(Missing::Unreachable(one_line(&err)));
                }
            }
        }
        if cluster.forbidden.contains(&namespace) {
            return Err(Missing::Forbidden);
        }
        let candidates: Vec<Record> = cluster
            .records
            .iter()
            .filter(|r| r.namespace == namespace)
            .cloned()
            .collect();
        tree::find_source(recorded, &candidates)
    }

    /// The cluster a record points at: by API server URL, else by context, else the copy's own.
    fn cluster_index(&self, recorded: &Provenance, copy_cluster: &ClusterId) -> Option<usize> {
        let position = |f: &dyn Fn(&Cluster) -> bool| self.clusters.iter().position(f);
        match (&recorded.cluster, &recorded.context) {
            (Some(server), _) => position(&|c| c.session.is_some() && &c.id.server == server),
            (None, Some(context)) => position(&|c| c.id.context.as_ref() == Some(context)),
            (None, None) => position(&|c| &c.id == copy_cluster),
        }
    }

    /// Connects to a source's context when the kubeconfig has it and it still points at the
    /// recorded server.
    async fn connect_source(&mut self, config: &Config, recorded: &Provenance) -> Result<usize, Missing> {
        let server = recorded.cluster.clone().unwrap_or_default();
        let Some(context) = &recorded.context else {
            return Err(Missing::Unreachable(format!(
                "the source's cluster {server} is not in the kubeconfig"
            )));
        };
        let session = Session::connect(config, Some(context))
            .await
            .map_err(|err| Missing::Unreachable(one_line(&err)))?;
        if recorded.cluster.as_ref().is_some_and(|s| *s != session.server) {
            return Err(Missing::Unreachable(format!(
                "context {context:?} now points at {}, not at the source's cluster {server}",
                session.server
            )));
        }
        let mut cluster = Cluster::new(cluster_of(&session), Ok(session));
        cluster.listed = false;
        self.clusters.push(cluster);
        Ok(self.clusters.len() - 1)
    }
}

/// A snapshot with every version's digest made trustworthy (history compares them all).
async fn read(session: &Session, scope: &Scope) -> Result<Snapshot> {
    let mut snapshot = collect::snapshot(session, scope).await?;
    let all: Vec<usize> = (0..snapshot.versions.len()).collect();
    collect::trust_digests(session, &mut snapshot.versions, &all).await?;
    Ok(snapshot)
}

fn in_context(cluster: &ClusterId) -> String {
    cluster
        .context
        .as_ref()
        .map(|c| format!(" (context {c})"))
        .unwrap_or_default()
}

/// The CONTENT column.
fn content_text(content: Content) -> &'static str {
    match content {
        Content::Origin => "origin",
        Content::Matches => "matches source",
        Content::Differs => "differs from source",
        Content::SourceMissing => "source missing",
    }
}

/// How a found source compares with its own source (the next one back).
fn source_content(sources: &[Source], index: usize) -> Content {
    match &sources[index].found {
        Ok(record) if record.provenance.is_some() => {
            tree::content(record, sources.get(index + 1).map(|s| &s.found))
        }
        _ => Content::Origin,
    }
}

/// Sources (furthest first) down to the version, its copies as a tree, then same content.
fn table(lineage: &Lineage, headers: bool, now: Timestamp) -> PlainTable {
    let mut table = PlainTable::new(
        &["VERSION", "RELATION", "CONTEXT", "DIGEST", "AGE", "CONTENT"],
        headers,
    );
    let branch = |depth: usize| match depth {
        0 => String::new(),
        d => format!("{}└─ ", "   ".repeat(d - 1)),
    };
    let found_row = |tree: String, relation: &str, record: &Record, content: &str| {
        vec![
            format!("{tree}{}", record.reference()),
            relation.to_string(),
            record.cluster.label(),
            digest::short(&record.digest),
            age(record.created.as_ref(), now),
            content.to_string(),
        ]
    };
    let depth = lineage.sources.len();
    for (index, source) in lineage.sources.iter().enumerate().rev() {
        let tree = branch(depth - 1 - index);
        table.push(match &source.found {
            Ok(record) => found_row(
                tree,
                "source",
                record,
                content_text(source_content(&lineage.sources, index)),
            ),
            Err(missing) => vec![
                format!("{tree}{}", source.recorded.from),
                "source".into(),
                source
                    .recorded
                    .context
                    .clone()
                    .or_else(|| source.recorded.cluster.clone())
                    .unwrap_or_else(|| "-".into()),
                "-".into(),
                "-".into(),
                missing.word().into(),
            ],
        });
    }
    let version = &lineage.version;
    table.push(found_row(
        branch(depth),
        "this",
        &version.record,
        content_text(version.content),
    ));
    fn copies(
        table: &mut PlainTable,
        nodes: &[Node],
        base: &str,
        row: &dyn Fn(String, &Record, &str) -> Vec<String>,
    ) {
        for (index, node) in nodes.iter().enumerate() {
            let last = index + 1 == nodes.len();
            let tree = format!("{base}{}", if last { "└─ " } else { "├─ " });
            table.push(row(tree, &node.record, content_text(node.content)));
            let next = format!("{base}{}", if last { "   " } else { "│  " });
            copies(table, &node.copies, &next, row);
        }
    }
    let copy_row = |tree: String, record: &Record, content: &str| found_row(tree, "copy", record, content);
    copies(&mut table, &version.copies, &"   ".repeat(depth), &copy_row);
    for record in &lineage.same_content {
        table.push(found_row(String::new(), "same content", record, "-"));
    }
    table
}

/// `-o json|yaml`: stable field names (README, "history").
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    version: JsonNode,
    sources: Vec<JsonNode>,
    same_content: Vec<JsonNode>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct JsonNode {
    /// present, deleted, replaced, forbidden, unreachable.
    state: &'static str,
    context: Option<String>,
    cluster: Option<String>,
    namespace: Option<String>,
    pipeline: Option<String>,
    version: Option<String>,
    name: Option<String>,
    uid: Option<String>,
    digest: Option<String>,
    created: Option<Timestamp>,
    promoted_from: Option<String>,
    promoted_at: Option<Timestamp>,
    /// origin, matches-source, differs-from-source, source-missing (None: not compared).
    content: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    copies: Option<Vec<JsonNode>>,
}

impl JsonNode {
    fn of(record: &Record, content: Option<Content>) -> JsonNode {
        JsonNode {
            state: "present",
            context: record.cluster.context.clone(),
            cluster: Some(record.cluster.server.clone()),
            namespace: Some(record.namespace.clone()),
            pipeline: Some(record.pipeline.clone()),
            version: Some(record.version.clone()),
            name: Some(record.name.clone()),
            uid: Some(record.uid.clone()),
            digest: Some(record.digest.clone()),
            created: record.created,
            promoted_from: record.provenance.as_ref().map(|p| p.from.clone()),
            promoted_at: record.provenance.as_ref().and_then(|p| p.at),
            content: content.map(Content::word),
            error: None,
            copies: None,
        }
    }

    fn tree(node: &Node) -> JsonNode {
        JsonNode {
            copies: Some(node.copies.iter().map(JsonNode::tree).collect()),
            ..JsonNode::of(&node.record, Some(node.content))
        }
    }

    fn missing(recorded: &Provenance, missing: &Missing) -> JsonNode {
        JsonNode {
            state: missing.word(),
            context: recorded.context.clone(),
            cluster: recorded.cluster.clone(),
            namespace: recorded.namespace.clone(),
            pipeline: recorded.pipeline.clone(),
            version: recorded.version.clone(),
            name: None,
            uid: recorded.uid.clone(),
            digest: None,
            created: None,
            promoted_from: None,
            promoted_at: None,
            content: None,
            error: match missing {
                Missing::Unreachable(why) if !why.is_empty() => Some(why.clone()),
                _ => None,
            },
            copies: None,
        }
    }
}

fn report(lineage: &Lineage) -> Report {
    Report {
        version: JsonNode::tree(&lineage.version),
        sources: lineage
            .sources
            .iter()
            .enumerate()
            .map(|(index, source)| match &source.found {
                Ok(record) => JsonNode::of(record, Some(source_content(&lineage.sources, index))),
                Err(missing) => JsonNode::missing(&source.recorded, missing),
            })
            .collect(),
        same_content: lineage
            .same_content
            .iter()
            .map(|r| JsonNode::of(r, None))
            .collect(),
    }
}
