//! Watching pipelines or versions as `kubectl get -w` does, through what a long watch meets: a dropped
//! connection or a restarted server (resumed from the last resourceVersion seen; bookmarks keep
//! it fresh), and `410 Gone` once etcd compacted that revision away (listed again, with only
//! real differences reported). The watch task reports raw items; [`WatchState`] (pure) decides
//! what is new.

use std::collections::HashMap;
use std::time::Duration;

use futures::TryStreamExt;
use kube::api::{ListParams, ObjectList, WatchEvent, WatchParams};
use kube::core::Request;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender};
use tokio::time::Instant;

use crate::client::{Action, RETRY_WINDOW, Session, explain};
use crate::resources::{Pipeline, VersionSummary};

/// What happened to a version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    Added,
    Modified,
    Deleted,
}

impl ChangeKind {
    /// The event type as the API (and `kubectl get -w --output-watch-events`) names it.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Added => "ADDED",
            ChangeKind::Modified => "MODIFIED",
            ChangeKind::Deleted => "DELETED",
        }
    }
}

/// What one watch task reports, tagged with its source (one per label selector).
#[derive(Debug)]
pub enum Report {
    /// A (re)list begins: the items that follow are the whole current set.
    Listing(usize),
    /// One object of the current set.
    Listed(usize, Value),
    /// The current set is complete.
    Synced(usize),
    /// A change after the set was complete.
    Changed(usize, ChangeKind, Value),
    /// The source may not be watched (403) and its [`Target::forbidden_ends`] was set.
    Forbidden(usize),
}

/// One watch: a namespace's (or every namespace's) pipelines or versions matching a label
/// selector.
#[derive(Debug, Clone)]
pub struct Target {
    pub source: usize,
    /// Plural resource name: `pipelines` or `pipelineversions`.
    pub resource: &'static str,
    /// None: all namespaces.
    pub namespace: Option<String>,
    pub selector: Option<String>,
    /// A 403 is reported as [`Report::Forbidden`] and ends the watch, instead of failing it
    /// (the shared namespace of the overview degrades to a warning, as its list does).
    pub forbidden_ends: bool,
}

impl Target {
    fn path(&self) -> String {
        match &self.namespace {
            Some(namespace) => format!(
                "/apis/pipelines.kubeflow.org/v2beta1/namespaces/{namespace}/{}",
                self.resource
            ),
            None => format!("/apis/pipelines.kubeflow.org/v2beta1/{}", self.resource),
        }
    }
}

/// The reports of every target's watch, and the first watch that failed.
pub struct Watches {
    pub reports: UnboundedReceiver<Report>,
    pub failed: UnboundedReceiver<anyhow::Error>,
}

impl Watches {
    /// The next report; None once every watch has ended (their deadline passed); Err as soon
    /// as one has failed.
    pub async fn next(&mut self) -> anyhow::Result<Option<Report>> {
        tokio::select! {
            report = self.reports.recv() => Ok(report),
            Some(err) = self.failed.recv() => Err(err),
        }
    }
}

/// Runs `work` until it ends, or until `deadline` passes, which ends it with `at_deadline`
/// (`--request-timeout` on a watch: the user asked it to stop then).
pub async fn until<T>(
    deadline: Option<Instant>,
    work: impl Future<Output = anyhow::Result<T>>,
    at_deadline: T,
) -> anyhow::Result<T> {
    match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, work)
            .await
            .unwrap_or(Ok(at_deadline)),
        None => work.await,
    }
}

/// Starts one [`run`] task per target; `reports` ends once every watch has ended.
pub fn start_all(session: &Session, targets: Vec<Target>, deadline: Option<Instant>) -> Watches {
    let (tx, reports) = tokio::sync::mpsc::unbounded_channel();
    let (failed_tx, failed) = tokio::sync::mpsc::unbounded_channel();
    for target in targets {
        let (session, tx, failed_tx) = (session.clone(), tx.clone(), failed_tx.clone());
        tokio::spawn(async move {
            if let Err(err) = run(session, target, deadline, tx).await {
                let _ = failed_tx.send(err);
            }
        });
    }
    Watches { reports, failed }
}

/// Reports `target`'s versions to `tx` until the receiver goes away, `deadline` passes (the
/// server is asked to end the watch then), or the server stays unreachable for longer than
/// [`RETRY_WINDOW`] (Err). Lists with one streaming watch (`sendInitialEvents`) where the
/// server allows it, else with a list followed by a watch from its resourceVersion.
pub async fn run(
    session: Session,
    target: Target,
    deadline: Option<Instant>,
    tx: UnboundedSender<Report>,
) -> anyhow::Result<()> {
    let action = Action::new("watch", target.resource, target.namespace.as_deref());
    let mut resource_version: Option<String> = None;
    let mut streaming = true;
    let mut failing_since: Option<Instant> = None;
    let mut attempt: u32 = 0;
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) || tx.is_closed() {
            return Ok(());
        }
        let outcome = match &resource_version {
            None if !streaming => list(&session, &target, &tx).await.map(Some),
            _ => {
                watch(
                    &session,
                    &target,
                    resource_version.as_deref(),
                    deadline,
                    &tx,
                    &mut streaming,
                )
                .await
            }
        };
        match outcome {
            Ok(next) => {
                // None: listed again from scratch (410 Gone, or cut short while listing).
                resource_version = next;
                failing_since = None;
                attempt = 0;
            }
            Err(Failed::Fatal(err)) if target.forbidden_ends && crate::client::is_forbidden(&err) => {
                let _ = tx.send(Report::Forbidden(target.source));
                return Ok(());
            }
            Err(Failed::Fatal(err)) => return Err(explain(err, &action, &session.server)),
            Err(Failed::Retry(err, kept)) => {
                resource_version = kept;
                let since = *failing_since.get_or_insert_with(Instant::now);
                if since.elapsed() > RETRY_WINDOW {
                    return Err(explain(err, &action, &session.server));
                }
                attempt += 1;
                let wait = Duration::from_millis(100 * (1 << attempt.min(5))).min(Duration::from_secs(2));
                tracing::debug!(
                    "watch of {} ended ({}): again in {} ms",
                    target.path(),
                    crate::client::innermost(&err),
                    wait.as_millis()
                );
                tokio::time::sleep(wait).await;
            }
        }
    }
}

enum Failed {
    /// Not worth repeating (403, 404, a malformed answer).
    Fatal(kube::Error),
    /// The connection failed; try again from this resourceVersion (None: list again).
    Retry(kube::Error, Option<String>),
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct Meta {
    resource_version: String,
}

/// The resourceVersion of an object in a watch event.
fn resource_version_of(object: &Value) -> Option<String> {
    let meta = object.get("metadata").and_then(|m| Meta::deserialize(m).ok())?;
    Some(meta.resource_version).filter(|rv| !rv.is_empty())
}

/// One watch request, read until it ends. Ok(resourceVersion to resume from; None to list again).
async fn watch(
    session: &Session,
    target: &Target,
    from: Option<&str>,
    deadline: Option<Instant>,
    tx: &UnboundedSender<Report>,
    streaming: &mut bool,
) -> Result<Option<String>, Failed> {
    let listing = from.is_none();
    let mut params = if listing {
        WatchParams::default().initial_events()
    } else {
        WatchParams::default()
    };
    if let Some(selector) = &target.selector {
        params = params.labels(selector);
    }
    if let Some(deadline) = deadline {
        let left = deadline.saturating_duration_since(Instant::now());
        params = params.timeout((left.as_secs_f64().ceil() as u32).max(1));
    }
    let request = Request::new(target.path())
        .watch(&params, from.unwrap_or(""))
        .map_err(|err| Failed::Fatal(kube::Error::BuildRequest(err)))?;
    let events = match session.client.request_events::<Value>(request).await {
        Ok(events) => events,
        Err(kube::Error::Api(status)) if status.code == 410 => {
            tracing::debug!("watch of {} expired (410 Gone): listing again", target.path());
            return Ok(None);
        }
        // A server that cannot stream lists (WatchList off, before 1.27) rejects the parameters.
        Err(kube::Error::Api(status)) if listing && matches!(status.code, 400 | 422) => {
            *streaming = false;
            return Ok(None);
        }
        // A server starting up (after a restart) answers 503 until its APIs are installed.
        Err(err) if unavailable(&err) => return Err(Failed::Retry(err, from.map(str::to_string))),
        Err(err @ kube::Error::Api(_)) => return Err(Failed::Fatal(err)),
        Err(err) => return Err(Failed::Retry(err, from.map(str::to_string))),
    };
    let mut events = std::pin::pin!(events);
    let mut in_listing = listing;
    let mut last = from.map(str::to_string);
    if listing {
        let _ = tx.send(Report::Listing(target.source));
    }
    loop {
        let event = match events.try_next().await {
            Ok(Some(event)) => event,
            // The server ended the watch (its timeout) or the connection closed: resume. A list
            // cut short is started again.
            Ok(None) => {
                tracing::debug!("watch of {} ended by the server: watching again", target.path());
                return Ok(if in_listing { None } else { last });
            }
            Err(err) => return Err(Failed::Retry(err, if in_listing { None } else { last })),
        };
        match event {
            WatchEvent::Added(object) if in_listing => {
                let _ = tx.send(Report::Listed(target.source, object));
            }
            WatchEvent::Added(object) | WatchEvent::Modified(object) | WatchEvent::Deleted(object)
                if in_listing =>
            {
                // Cannot happen before the initial events end; list again rather than guess.
                tracing::debug!(
                    "unexpected event while listing {:?}: listing again",
                    resource_version_of(&object)
                );
                return Ok(None);
            }
            WatchEvent::Added(object) => changed(tx, target.source, ChangeKind::Added, object, &mut last),
            WatchEvent::Modified(object) => {
                changed(tx, target.source, ChangeKind::Modified, object, &mut last)
            }
            WatchEvent::Deleted(object) => changed(tx, target.source, ChangeKind::Deleted, object, &mut last),
            WatchEvent::Bookmark(bookmark) => {
                let end = bookmark
                    .metadata
                    .annotations
                    .get("k8s.io/initial-events-end")
                    .is_some_and(|v| v == "true");
                if in_listing && end {
                    in_listing = false;
                    let _ = tx.send(Report::Synced(target.source));
                }
                if !in_listing && !bookmark.metadata.resource_version.is_empty() {
                    last = Some(bookmark.metadata.resource_version);
                }
            }
            // 410 Gone: the revision was compacted away; list again.
            WatchEvent::Error(status) if status.code == 410 => {
                tracing::debug!("watch of {} expired (410 Gone): listing again", target.path());
                return Ok(None);
            }
            WatchEvent::Error(status) if in_listing => {
                tracing::debug!(
                    "streaming list refused ({}): listing, then watching",
                    status.message
                );
                *streaming = false;
                return Ok(None);
            }
            WatchEvent::Error(status) => return Err(Failed::Fatal(kube::Error::Api(status))),
        }
    }
}

/// An answer saying the server cannot serve now but may soon (kube's retries ran out first).
fn unavailable(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(status) if matches!(status.code, 429 | 500 | 502 | 503 | 504))
}

fn changed(
    tx: &UnboundedSender<Report>,
    source: usize,
    kind: ChangeKind,
    object: Value,
    last: &mut Option<String>,
) {
    if let Some(rv) = resource_version_of(&object) {
        *last = Some(rv);
    }
    let _ = tx.send(Report::Changed(source, kind, object));
}

/// A plain list (pages of 500) for servers that cannot stream one; Ok(its resourceVersion).
async fn list(session: &Session, target: &Target, tx: &UnboundedSender<Report>) -> Result<String, Failed> {
    let mut params = ListParams::default().limit(crate::resolve::DEFAULT_CHUNK_SIZE);
    if let Some(selector) = &target.selector {
        params = params.labels(selector);
    }
    let mut items = Vec::new();
    let version = loop {
        let request = Request::new(target.path())
            .list(&params)
            .map_err(|err| Failed::Fatal(kube::Error::BuildRequest(err)))?;
        let page: ObjectList<Value> = match session.client.request(request).await {
            Ok(page) => page,
            Err(err) if unavailable(&err) => return Err(Failed::Retry(err, None)),
            Err(err @ kube::Error::Api(_)) => return Err(Failed::Fatal(err)),
            Err(err) => return Err(Failed::Retry(err, None)),
        };
        items.extend(page.items);
        match page.metadata.continue_.filter(|token| !token.is_empty()) {
            Some(token) => params.continue_token = Some(token),
            None => break page.metadata.resource_version.unwrap_or_default(),
        }
    };
    let _ = tx.send(Report::Listing(target.source));
    for item in items {
        let _ = tx.send(Report::Listed(target.source, item));
    }
    let _ = tx.send(Report::Synced(target.source));
    Ok(version)
}

/// What a watch keeps of each object: read from the object, identified by its UID.
pub trait Watched: DeserializeOwned + Clone {
    fn uid(&self) -> Option<String>;
}

impl Watched for VersionSummary {
    fn uid(&self) -> Option<String> {
        self.uid.clone()
    }
}

impl Watched for Pipeline {
    fn uid(&self) -> Option<String> {
        self.metadata.uid.clone()
    }
}

/// An object as last seen.
#[derive(Debug, Clone)]
pub struct Known<T> {
    pub source: usize,
    pub resource_version: String,
    pub summary: T,
    /// The object without its specs, kept only when objects are printed (`-o json|yaml`), for
    /// objects found deleted by a relist.
    pub slim: Option<Value>,
    /// The listing that last saw it.
    generation: u64,
}

/// One change to print.
#[derive(Debug, Clone)]
pub struct Change<T = VersionSummary> {
    pub kind: ChangeKind,
    pub summary: T,
    /// The object as the event carried it (the slim copy for deletions found by a relist).
    pub object: Option<Value>,
}

/// The objects seen so far and what each report changes about them.
#[derive(Debug)]
pub struct WatchState<T = VersionSummary> {
    pub known: HashMap<String, Known<T>>,
    generations: HashMap<usize, u64>,
    /// Keep slim copies of objects.
    pub keep_objects: bool,
}

/// An object as a summary plus its identity, or None when it cannot be read as one.
fn read<T: Watched>(object: &Value) -> Option<(String, String, T)> {
    let summary = T::deserialize(object).ok()?;
    let uid = summary.uid()?;
    Some((uid, resource_version_of(object).unwrap_or_default(), summary))
}

fn slim(object: &Value) -> Value {
    let mut copy = object.clone();
    if let Some(spec) = copy.get_mut("spec").and_then(Value::as_object_mut) {
        spec.remove("pipelineSpec");
        spec.remove("platformSpec");
    }
    crate::output::trim_object(&mut copy);
    copy
}

impl<T: Watched> WatchState<T> {
    pub fn new(keep_objects: bool) -> WatchState<T> {
        WatchState {
            known: HashMap::new(),
            generations: HashMap::new(),
            keep_objects,
        }
    }

    /// A listing of `source` begins.
    pub fn listing(&mut self, source: usize) {
        *self.generations.entry(source).or_default() += 1;
    }

    /// One object of a listing: a change only when it is new or differs from what was seen
    /// (a relist after 410 repeats what is already known). `member` says whether it belongs
    /// to what is watched.
    pub fn listed(&mut self, source: usize, object: Value, member: impl Fn(&T) -> bool) -> Option<Change<T>> {
        let (uid, rv, summary) = read::<T>(&object)?;
        if !member(&summary) {
            return None;
        }
        self.upsert(source, uid, rv, summary, object)
    }

    /// The listing of `source` is complete: what it did not contain was deleted meanwhile.
    pub fn synced(&mut self, source: usize) -> Vec<Change<T>> {
        let generation = self.generation(source);
        let gone: Vec<String> = self
            .known
            .iter()
            .filter(|(_, k)| k.source == source && k.generation != generation)
            .map(|(uid, _)| uid.clone())
            .collect();
        gone.into_iter()
            .filter_map(|uid| self.known.remove(&uid))
            .map(|known| Change {
                kind: ChangeKind::Deleted,
                summary: known.summary,
                object: known.slim,
            })
            .collect()
    }

    /// A live change. An object that stops being a member reads as deleted; an event
    /// repeating the known resourceVersion is dropped.
    pub fn changed(
        &mut self,
        source: usize,
        kind: ChangeKind,
        object: Value,
        member: impl Fn(&T) -> bool,
    ) -> Option<Change<T>> {
        let (uid, rv, summary) = read::<T>(&object)?;
        if kind == ChangeKind::Deleted || !member(&summary) {
            self.known.remove(&uid)?;
            return Some(Change {
                kind: ChangeKind::Deleted,
                summary,
                object: Some(object),
            });
        }
        self.upsert(source, uid, rv, summary, object)
    }

    fn generation(&self, source: usize) -> u64 {
        self.generations.get(&source).copied().unwrap_or_default()
    }

    /// Records an object seen now: a change when it is new or its resourceVersion moved.
    fn upsert(
        &mut self,
        source: usize,
        uid: String,
        resource_version: String,
        summary: T,
        object: Value,
    ) -> Option<Change<T>> {
        let generation = self.generation(source);
        let kind = match self.known.get_mut(&uid) {
            Some(known) if known.resource_version == resource_version => {
                known.generation = generation;
                known.source = source;
                return None;
            }
            Some(_) => ChangeKind::Modified,
            None => ChangeKind::Added,
        };
        let slim = self.keep_objects.then(|| slim(&object));
        self.known.insert(
            uid,
            Known {
                source,
                resource_version,
                summary: summary.clone(),
                slim,
                generation,
            },
        );
        Some(Change {
            kind,
            summary,
            object: Some(object),
        })
    }

    /// The known objects.
    pub fn summaries(&self) -> Vec<T> {
        self.known.values().map(|k| k.summary.clone()).collect()
    }

    /// The known objects of `source`.
    pub fn of_source(&self, source: usize) -> impl Iterator<Item = &T> {
        self.known
            .values()
            .filter(move |k| k.source == source)
            .map(|k| &k.summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(name: &str, uid: &str, rv: &str) -> Value {
        json!({
            "apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "PipelineVersion",
            "metadata": {"name": name, "uid": uid, "resourceVersion": rv, "creationTimestamp": "2026-01-01T00:00:00Z"},
            "spec": {"pipelineName": "p", "versionName": name, "pipelineSpec": {"n": name}}
        })
    }

    fn kinds(changes: &[Change]) -> Vec<(ChangeKind, String)> {
        changes.iter().map(|c| (c.kind, c.summary.name.clone())).collect()
    }

    #[test]
    fn a_relist_reports_only_what_changed_meanwhile() {
        let all = |_: &VersionSummary| true;
        let mut state: WatchState = WatchState::new(true);
        state.listing(0);
        for (name, uid) in [("a", "1"), ("b", "2"), ("c", "3")] {
            assert!(state.listed(0, object(name, uid, "10"), all).is_some());
        }
        assert!(state.synced(0).is_empty());
        // After 410 Gone: a unchanged, b modified, c deleted, d added.
        state.listing(0);
        let mut changes: Vec<Change> = [
            object("a", "1", "10"),
            object("b", "2", "12"),
            object("d", "4", "13"),
        ]
        .into_iter()
        .filter_map(|o| state.listed(0, o, all))
        .collect();
        changes.extend(state.synced(0));
        assert_eq!(
            kinds(&changes),
            [
                (ChangeKind::Modified, "b".into()),
                (ChangeKind::Added, "d".into()),
                (ChangeKind::Deleted, "c".into())
            ]
        );
        // The deleted one is printed as last seen, without its spec.
        let deleted = changes[2].object.as_ref().unwrap();
        assert_eq!(deleted["metadata"]["name"], "c");
        assert!(deleted["spec"].get("pipelineSpec").is_none());
    }

    #[test]
    fn live_events_repeating_what_is_known_are_dropped() {
        let all = |_: &VersionSummary| true;
        let mut state: WatchState = WatchState::new(false);
        state.listing(0);
        state.listed(0, object("a", "1", "10"), all);
        state.synced(0);
        assert!(
            state
                .changed(0, ChangeKind::Modified, object("a", "1", "10"), all)
                .is_none()
        );
        let tagged = state
            .changed(0, ChangeKind::Modified, object("a", "1", "11"), all)
            .unwrap();
        assert_eq!(tagged.kind, ChangeKind::Modified);
        // Leaving the pipeline reads as a deletion; deleting what was never seen prints nothing.
        let none = |_: &VersionSummary| false;
        let left = state
            .changed(0, ChangeKind::Modified, object("a", "1", "12"), none)
            .unwrap();
        assert_eq!(left.kind, ChangeKind::Deleted);
        assert!(
            state
                .changed(0, ChangeKind::Deleted, object("z", "9", "13"), all)
                .is_none()
        );
    }

    #[test]
    fn a_server_starting_up_is_waited_for_and_a_refusal_is_not() {
        let status =
            |code: u16| kube::Error::Api(kube::core::Status::failure("x", "y").with_code(code).boxed());
        assert!(unavailable(&status(503)));
        assert!(unavailable(&status(429)));
        assert!(!unavailable(&status(403)));
        assert!(!unavailable(&status(410)));
    }

    #[test]
    fn sources_relist_independently() {
        let all = |_: &VersionSummary| true;
        let mut state: WatchState = WatchState::new(false);
        state.listing(0);
        state.listed(0, object("a", "1", "10"), all);
        state.listing(1);
        state.listed(1, object("bare", "2", "10"), all);
        state.synced(0);
        state.synced(1);
        // Source 0 relists and finds nothing: only its own version is gone.
        state.listing(0);
        assert_eq!(kinds(&state.synced(0)), [(ChangeKind::Deleted, "a".into())]);
        assert_eq!(state.summaries().len(), 1);
    }
}
