//! Compares two pipeline versions: a unified diff of their canonical YAML ([`unified`]), and a
//! semantic diff that says what changed in pipeline terms ([`semantic`], [`render_summary`],
//! [`to_json`]).
//!
//! # JSON format
//!
//! `to_json` returns one object; the format is stable within `apiVersion` `kubectl-kfp.io/v1`:
//!
//! ```json
//! {
//!   "apiVersion": "kubectl-kfp.io/v1",
//!   "kind": "PipelineDiff",
//!   "from": "train@v1",
//!   "to": "train@v2",
//!   "identical": false,
//!   "changes": [
//!     {"op": "changed", "scope": "task", "name": "train", "field": "image",
//!      "before": "python:3.11", "after": "python:3.12", "detail": null},
//!     {"op": "added", "scope": "task", "name": "evaluate", "field": null,
//!      "after": {"componentRef": {"name": "comp-evaluate"}, "...": "..."}, "detail": "after train"},
//!     {"op": "removed", "scope": "input", "name": "epochs", "field": null,
//!      "before": {"defaultValue": 3.0, "isOptional": true, "parameterType": "NUMBER_INTEGER"},
//!      "detail": null}
//!   ]
//! }
//! ```
//!
//! - `from`, `to`: the labels of the two sides. `identical`: true exactly when `changes` is empty.
//!   `changes` are ordered by scope (in the order listed below), then by name (task paths segment
//!   by segment, numbers by value: `train-5` before `train-10`), the whole-thing change first, then
//!   fields in a fixed order (what runs, then wiring, then policies, then JSON pointers).
//! - `op`: `added`, `removed`, `changed` or `renamed`. When `field` is null the op applies to the
//!   whole thing named by `scope` and `name`; otherwise to that field of it (`"op": "removed",
//!   "field": "env[DEBUG]"` means the task lost the variable `DEBUG`). `renamed` is for tasks only.
//! - `scope`: `pipeline`, `input` (pipeline input), `output` (pipeline output), `task`,
//!   `component`, `executor` or `platform`. Changes to a component or an executor are reported on
//!   the tasks that use them; scopes `component` and `executor` hold only changes to ones that a
//!   side has but none of its tasks uses.
//! - `name`: for `pipeline` the pipeline's name (`pipelineInfo.name` of `to`, else of `from`);
//!   for `input`/`output` the parameter or artifact name; for `task` the task path (below); for
//!   `component`/`executor` the key under `components` / `deploymentSpec.executors`; for
//!   `platform` the path of the task whose executor the settings belong to, else the executor
//!   label (settings no compared task uses), or the platform's name (`kubernetes`) for settings
//!   outside `deploymentSpec.executors`, or empty for keys outside `platforms`.
//! - `field`: null, a name from the vocabulary below, or a JSON pointer (RFC 6901, starts with
//!   `/`) for anything the vocabulary does not cover. The pointer points into the `to` document
//!   (into `from` when the value exists only there): the platform spec for scope `platform`, the
//!   pipeline spec otherwise.
//! - `before`, `after`: the value on each side as found in the spec, omitted where it does not
//!   exist on that side. Two fields are normalised: `dependencies` (sorted list, `[]` when
//!   absent) and `caching` (boolean). For `renamed`, the old and the new task path.
//! - `detail`: a short human note or null: `after a, b` (its dependencies) on an added or removed
//!   task, type and default on an added input or output.
//!
//! Field vocabulary, by scope (`NAME`, `KEY`… stand for the map key or list entry id):
//!
//! - `pipeline`: `name`, `displayName`, `description`, `sdkVersion`, `schemaVersion`.
//! - `input`: `type`, `default`, `optional`, `description`.
//! - `output`: `type`, `description`, `source` (the `dag.outputs` entry that feeds it).
//! - `task`, from the task itself: `dependencies`, `input[NAME]` (how the input is wired),
//!   `caching`, `retryPolicy`, `condition`, `triggerStrategy`, `parallelism`,
//!   `parameterIterator`, `artifactIterator`, `displayName` (`taskInfo.name`), `component` (the
//!   component key); from its component: `componentInput[NAME]`, `componentOutput[NAME]`
//!   (definitions), `executor` (the executor label); from its executor: `image`, `command`,
//!   `args`, `env[NAME]` (the value, or the whole entry when it has more), `resources.KEY`
//!   (`resources.cpuLimit`, `resources.accelerator`…), `importer.KEY`.
//! - `component`, `executor`: the component and executor fields of `task`.
//! - `platform`: `nodeSelector[LABEL]`, `podMetadata.labels[KEY]`,
//!   `podMetadata.annotations[KEY]`, `secretAsEnv[SECRET]`, `secretAsVolume[MOUNT_PATH]`,
//!   `configMapAsEnv[CONFIG_MAP]`, `configMapAsVolume[MOUNT_PATH]`, `pvcMount[MOUNT_PATH]`,
//!   `emptyDirMounts[MOUNT_PATH]`, `genericEphemeralVolume[MOUNT_PATH]`, `imagePullSecret[SECRET]`,
//!   `fieldPathAsEnv[NAME]`, `tolerations[KEY]`, `imagePullPolicy`, `activeDeadlineSeconds`,
//!   `enabledSharedMemory`, `nodeAffinity`, `podAffinity`.
//!
//! A platform list whose entries lack a unique id (say, two tolerations for one key) is compared
//! as a whole, with the field named after the list (`tolerations`). A renamed task does not also
//! report its new `component`/`executor` keys, and its old name in other tasks' `dependencies`
//! and `input[…]` wiring counts as the new one.
//!
//! # Task paths
//!
//! A task is named by the keys of `dag.tasks` from the root DAG down to it, joined by `/`: a
//! task `work` inside the loop task `for-loop-2` inside the exit handler `exit-handler-1` is
//! `exit-handler-1/for-loop-2/work`. KFP task keys never contain `/`.
//!
//! # Summary lines
//!
//! [`render_summary`] writes one line per change: `+` added, `-` removed, `~` changed or renamed,
//! then scope, name and, for a field, the field with its values:
//!
//! ```text
//! ~ pipeline train: description Prepare data and train a model. → Train and evaluate a model.
//! ~ input learning_rate: default 0.1 → 0.05
//! + task evaluate (after train)
//! ~ task prepare: caching enabled → disabled
//! ~ task train: image python:3.11 → python:3.12
//! ~ task train: command changed (+2 -2 lines)
//! - task train: input[epochs]
//! ~ task prepare → load (renamed)
//! ~ platform fetch: nodeSelector[gpu] "true" → "false"
//! ```
//!
//! Values are written compactly: strings unquoted unless that would mislead (`"true"` is a
//! string), `[a, b]`, `{k: v}`, task inputs as `input NAME` (a pipeline or parent DAG input),
//! `TASK.OUTPUT` or a JSON constant, definitions as `TYPE, default X, optional`. A value longer
//! than 60 characters or spanning lines is summarised as `changed (+A -R lines)` (a line diff of
//! the two values as YAML), or `(N lines)` when added. Removed fields show no value.
//!
//! Differences without meaning (the order of `dependentTasks`, `cachingOptions: {}` against
//! `enableCache: false`) are reported, as changes with a JSON pointer, only when nothing else
//! differs, so the semantic diff is never empty while the text diff is not.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};
use similar::{Algorithm, DiffOp, DiffTag, TextDiff};

/// `apiVersion` of the JSON document written by [`to_json`].
pub const API_VERSION: &str = "kubectl-kfp.io/v1";
/// `kind` of the JSON document written by [`to_json`].
pub const KIND: &str = "PipelineDiff";

const SDK_VERSION: &str = "sdkVersion";
/// Longest value shown inline in a summary line; longer ones are summarised by line counts.
const INLINE_VALUE_CHARS: usize = 60;
/// A line diff of a changed region gives up being minimal after this long (huge rewrites only).
const LINE_DIFF_TIMEOUT: Duration = Duration::from_secs(2);
/// Beyond this many task visits nested DAGs are compared as plain data: a spec reusing one
/// sub-pipeline inside another many levels deep would otherwise take exponential time.
const MAX_TASK_VISITS: usize = 1_000_000;

/// One side of a comparison.
#[derive(Debug, Clone)]
pub struct Side<'a> {
    /// Names the side in the diff headers and in the JSON `from`/`to` (a file name, `train@v1`…).
    pub label: String,
    /// The pipeline spec (KFP IR), parsed.
    pub pipeline_spec: &'a Value,
    /// The platform spec (the IR file's second document), when there is one.
    pub platform_spec: Option<&'a Value>,
}

/// What to show and what to ignore.
#[derive(Debug, Clone)]
pub struct Options {
    /// Unchanged lines shown around each change in [`unified`].
    pub context_lines: usize,
    /// Ignore `sdkVersion`, which changes whenever the pipeline is recompiled with another SDK.
    pub ignore_sdk_version: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            context_lines: 3,
            ignore_sdk_version: false,
        }
    }
}

/// One difference, in pipeline terms. See the module documentation for the meaning of each field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// What happened: to the field when there is one, else to the thing itself.
    pub op: Op,
    /// What kind of thing changed.
    pub scope: Scope,
    /// Which one: task path, input name, component key… (see the module documentation).
    pub name: String,
    /// The field that changed: a vocabulary name or a JSON pointer; None for the whole thing.
    pub field: Option<String>,
    /// The old value; None where it did not exist.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub before: Option<Value>,
    /// The new value; None where it no longer exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub after: Option<Value>,
    /// A short human note (`after train` on an added task…).
    pub detail: Option<String>,
}

/// What happened to the thing a [`Change`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Op {
    Added,
    Removed,
    Changed,
    Renamed,
}

/// What kind of thing a [`Change`] names; the order is the order of [`render_summary`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    Pipeline,
    Input,
    Output,
    Task,
    Component,
    Executor,
    Platform,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::Pipeline => "pipeline",
            Scope::Input => "input",
            Scope::Output => "output",
            Scope::Task => "task",
            Scope::Component => "component",
            Scope::Executor => "executor",
            Scope::Platform => "platform",
        }
    }
}

/// True when the two sides have the same content, after what `options` says to ignore.
pub fn identical(a: &Side, b: &Side, options: &Options) -> bool {
    let specs_equal = if options.ignore_sdk_version {
        equal_without_key(a.pipeline_spec, b.pipeline_spec, SDK_VERSION)
    } else {
        a.pipeline_spec == b.pipeline_spec
    };
    specs_equal && a.platform_spec == b.platform_spec
}

fn equal_without_key(a: &Value, b: &Value, ignored: &str) -> bool {
    match (a.as_object(), b.as_object()) {
        (Some(a), Some(b)) => {
            let mut a = a.iter().filter(|(key, _)| *key != ignored);
            let mut b = b.iter().filter(|(key, _)| *key != ignored);
            loop {
                match (a.next(), b.next()) {
                    (None, None) => return true,
                    (Some(x), Some(y)) if x == y => {}
                    _ => return false,
                }
            }
        }
        _ => a == b,
    }
}

// ---------------------------------------------------------------------------------------------
// Unified diff
// ---------------------------------------------------------------------------------------------

/// Unified diff (like `diff -u`) of the canonical YAML of both sides: the pipeline spec, then —
/// when either side has one — the platform spec as a second document after a `---` line.
/// Starts with `--- <a.label>` / `+++ <b.label>`, then hunks `@@ -l,n +l,n @@`. None when there
/// is no difference after ignoring what `options` says to ignore.
pub fn unified(a: &Side, b: &Side, options: &Options) -> Option<String> {
    // Cheap next to the rest, and "no change" is a common answer.
    if identical(a, b, options) {
        return None;
    }
    let skip = options.ignore_sdk_version.then_some(SDK_VERSION);
    let with_platform = a.platform_spec.is_some() || b.platform_spec.is_some();
    let old_segments = segments(a, skip, with_platform);
    let new_segments = segments(b, skip, with_platform);
    let anchors = equal_segments(&old_segments, &new_segments);
    if anchors.len() == old_segments.len() && anchors.len() == new_segments.len() {
        return None;
    }
    let [mut old, mut new] = SegmentedText::pair(&old_segments, &new_segments, &anchors);
    let ops = line_ops(&old, &new, &anchors);
    if ops.iter().all(|op| op.tag() == DiffTag::Equal) {
        return None;
    }
    let mut out = format!("--- {}\n+++ {}\n", a.label, b.label);
    for hunk in similar::group_diff_ops(ops, options.context_lines) {
        let _ = writeln!(out, "{}", similar::udiff::UnifiedHunkHeader::new(&hunk));
        for op in &hunk {
            let (tag, old_range, new_range) = op.as_tag_tuple();
            if tag == DiffTag::Equal {
                old.write_lines(old_range, ' ', &mut out);
            } else {
                old.write_lines(old_range, '-', &mut out);
                new.write_lines(new_range, '+', &mut out);
            }
        }
    }
    Some(out)
}

/// The canonical text [`unified`] compares for one side (exposed for `get --spec`-like uses and
/// tests): the same as `yaml::to_string` of the spec, plus the platform document when asked.
pub fn canonical_text(side: &Side, options: &Options, with_platform: bool) -> String {
    let skip = options.ignore_sdk_version.then_some(SDK_VERSION);
    let list = segments(side, skip, with_platform);
    list.iter().map(render_segment).collect()
}

/// A piece of one side's canonical YAML. The text is cut into one piece per entry of the big maps
/// (`components`, `deploymentSpec.executors`, `dag.tasks`…) so that pieces equal on both sides
/// need not be serialized at all (only their lines counted) nor diffed: serde_yaml is by far the
/// slowest part on multi-megabyte specs. serde_yaml writes no line folding, so a piece written
/// with its ancestors' keys above it has exactly the text it has inside the whole document, once
/// the repeated key lines are dropped (the tests check this on every spec in the test data).
struct Segment<'a> {
    document: u8,
    parents: Vec<&'a str>,
    body: Body<'a>,
    /// Leading lines (ancestor keys) already written by an earlier segment.
    strip: usize,
}

enum Body<'a> {
    Entry(&'a str, &'a Value),
    Whole(&'a Value),
    EmptyMap,
    Separator,
}

const DOCUMENT_PIPELINE: u8 = 0;
const DOCUMENT_SEPARATOR: u8 = 1;
const DOCUMENT_PLATFORM: u8 = 2;
/// A map with more entries than this ("wide": tasks, components, executors) is split into one
/// segment per entry; so is a map with more nodes than `SEGMENT_SPLIT_NODES`, unless it is an
/// entry of a wide map itself (counting the nodes of each entry would cost more than it saves).
const WIDE_MAP_ENTRIES: usize = 16;
const SEGMENT_SPLIT_NODES: usize = 256;
const MAX_SEGMENT_DEPTH: usize = 8;
/// Fewer segments than this are rendered on the calling thread.
const PARALLEL_RENDER_MIN_SEGMENTS: usize = 64;

impl<'a> Segment<'a> {
    fn key(&self) -> Option<&'a str> {
        match self.body {
            Body::Entry(key, _) => Some(key),
            _ => None,
        }
    }

    /// Segments come in document order, which is the order of their key paths (maps are sorted).
    fn position(&self, other: &Segment) -> Ordering {
        self.document.cmp(&other.document).then_with(|| {
            let mine = self.parents.iter().copied().chain(self.key());
            let theirs = other.parents.iter().copied().chain(other.key());
            mine.cmp(theirs)
        })
    }

    fn same_content(&self, other: &Segment) -> bool {
        self.strip == other.strip
            && self.parents == other.parents
            && match (&self.body, &other.body) {
                (Body::Entry(k1, v1), Body::Entry(k2, v2)) => k1 == k2 && v1 == v2,
                (Body::Whole(v1), Body::Whole(v2)) => v1 == v2,
                (Body::EmptyMap, Body::EmptyMap) | (Body::Separator, Body::Separator) => true,
                _ => false,
            }
    }
}

fn segments<'a>(side: &Side<'a>, skip: Option<&str>, with_platform: bool) -> Vec<Segment<'a>> {
    let mut out = Vec::new();
    segment_document(DOCUMENT_PIPELINE, side.pipeline_spec, skip, &mut out);
    if with_platform {
        out.push(Segment {
            document: DOCUMENT_SEPARATOR,
            parents: Vec::new(),
            body: Body::Separator,
            strip: 0,
        });
        if let Some(platform) = side.platform_spec {
            segment_document(DOCUMENT_PLATFORM, platform, None, &mut out);
        }
    }
    out
}

fn segment_document<'a>(document: u8, value: &'a Value, skip: Option<&str>, out: &mut Vec<Segment<'a>>) {
    let Some(map) = value.as_object() else {
        out.push(Segment {
            document,
            parents: Vec::new(),
            body: Body::Whole(value),
            strip: 0,
        });
        return;
    };
    let start = out.len();
    let mut walker = SegmentWalker {
        document,
        parents: Vec::new(),
        printed: 0,
        out,
    };
    walker.walk(map, skip);
    if out.len() == start {
        out.push(Segment {
            document,
            parents: Vec::new(),
            body: Body::EmptyMap,
            strip: 0,
        });
    }
}

struct SegmentWalker<'a, 'o> {
    document: u8,
    parents: Vec<&'a str>,
    /// How many of `parents` have had their key line written (always a prefix).
    printed: usize,
    out: &'o mut Vec<Segment<'a>>,
}

impl<'a> SegmentWalker<'a, '_> {
    fn walk(&mut self, map: &'a Map<String, Value>, skip: Option<&str>) {
        let wide = map.len() > WIDE_MAP_ENTRIES;
        for (key, value) in map {
            if skip == Some(key.as_str()) {
                continue;
            }
            match value.as_object() {
                Some(child)
                    if self.parents.len() < MAX_SEGMENT_DEPTH
                        && is_simple_key(key)
                        && (child.len() > WIDE_MAP_ENTRIES
                            || (!wide && more_nodes_than(value, SEGMENT_SPLIT_NODES))) =>
                {
                    self.parents.push(key);
                    self.walk(child, None);
                    self.parents.pop();
                    self.printed = self.printed.min(self.parents.len());
                }
                _ => {
                    self.out.push(Segment {
                        document: self.document,
                        parents: self.parents.clone(),
                        body: Body::Entry(key, value),
                        strip: self.printed,
                    });
                    self.printed = self.parents.len();
                }
            }
        }
    }
}

/// Counts map entries and list items only (scalars are not visited), stopping at `limit`.
fn more_nodes_than(value: &Value, limit: usize) -> bool {
    fn visit(child: &Value, budget: &mut usize) -> bool {
        if *budget == 0 {
            return true;
        }
        *budget -= 1;
        count(child, budget)
    }
    fn count(value: &Value, budget: &mut usize) -> bool {
        match value {
            Value::Object(map) => map.values().any(|child| visit(child, budget)),
            Value::Array(items) => items.iter().any(|child| visit(child, budget)),
            _ => false,
        }
    }
    let mut budget = limit;
    count(value, &mut budget)
}

/// Serializes `{parents[0]: {parents[1]: … {key: value}}}` without building it.
struct Nested<'s, 'a> {
    parents: &'s [&'a str],
    key: &'a str,
    value: &'a Value,
}

impl Serialize for Nested<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        match self.parents.split_first() {
            Some((first, rest)) => map.serialize_entry(
                first,
                &Nested {
                    parents: rest,
                    key: self.key,
                    value: self.value,
                },
            )?,
            None => map.serialize_entry(self.key, self.value)?,
        }
        map.end()
    }
}

fn render_segment(segment: &Segment) -> String {
    let rendered = match segment.body {
        Body::Separator => return "---\n".to_string(),
        Body::EmptyMap => crate::yaml::to_string(&Map::new()),
        Body::Whole(value) => crate::yaml::to_string(value),
        Body::Entry(key, value) => crate::yaml::to_string(&Nested {
            parents: &segment.parents,
            key,
            value,
        }),
    };
    match rendered {
        Ok(text) => drop_lines(text, segment.strip),
        // A serde_json::Value always serializes; keep the diff going rather than fail it.
        Err(err) => format!("# cannot be written as YAML: {err}\n"),
    }
}

fn drop_lines(text: String, count: usize) -> String {
    let mut start = 0;
    for _ in 0..count {
        match text[start..].find('\n') {
            Some(end) => start += end + 1,
            None => return String::new(),
        }
    }
    if start == 0 {
        text
    } else {
        text[start..].to_string()
    }
}

/// Renders segments, on several threads when there are many (serde_yaml is slow: changing the
/// image of 2,000 executors means rendering megabytes of YAML).
fn render_all(segments: &[&Segment]) -> Vec<String> {
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(8);
    if threads < 2 || segments.len() < PARALLEL_RENDER_MIN_SEGMENTS {
        return segments.iter().map(|segment| render_segment(segment)).collect();
    }
    let render = |part: &[&Segment]| {
        part.iter()
            .map(|segment| render_segment(segment))
            .collect::<Vec<_>>()
    };
    std::thread::scope(|scope| {
        let parts: Vec<_> = segments
            .chunks(segments.len().div_ceil(threads))
            .map(|part| (part, scope.spawn(move || render(part))))
            .collect();
        // A thread cannot fail (rendering does not panic); should it, render its part here.
        parts
            .into_iter()
            .flat_map(|(part, handle)| handle.join().unwrap_or_else(|_| render(part)))
            .collect()
    })
}

/// A segment equal on both sides: (old index, new index).
type Anchor = (usize, usize);

/// Pairs the segments that are the same on both sides; both lists are in path order.
fn equal_segments(old: &[Segment], new: &[Segment]) -> Vec<Anchor> {
    let mut anchors = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < old.len() && j < new.len() {
        match old[i].position(&new[j]) {
            Ordering::Less => i += 1,
            Ordering::Greater => j += 1,
            Ordering::Equal => {
                if old[i].same_content(&new[j]) {
                    anchors.push((i, j));
                }
                i += 1;
                j += 1;
            }
        }
    }
    anchors
}

/// One side's canonical text as segments. Equal segments are only counted, not written: their
/// lines are needed only where a hunk shows them as context, and are rendered then.
struct SegmentedText<'s, 'a> {
    segments: &'s [Segment<'a>],
    texts: Vec<Option<String>>,
    /// First line of each segment, then the total line count.
    starts: Vec<usize>,
}

impl<'s, 'a> SegmentedText<'s, 'a> {
    fn pair(old: &'s [Segment<'a>], new: &'s [Segment<'a>], anchors: &[Anchor]) -> [Self; 2] {
        let sides = [old, new];
        let mut counts = [vec![None; old.len()], vec![None; new.len()]];
        // Anchors whose lines cannot be counted are rendered once, on the old side.
        let mut copy_from_old = Vec::new();
        for &(i, j) in anchors {
            match segment_lines(&old[i]) {
                Some(count) => {
                    counts[OLD][i] = Some(count);
                    counts[NEW][j] = Some(count);
                }
                None => copy_from_old.push((i, j)),
            }
        }
        let mut skip_new = vec![false; new.len()];
        for &(_, j) in &copy_from_old {
            skip_new[j] = true;
        }
        let jobs: Vec<(usize, usize)> = [OLD, NEW]
            .into_iter()
            .flat_map(|side| (0..sides[side].len()).map(move |index| (side, index)))
            .filter(|&(side, index)| counts[side][index].is_none() && !(side == NEW && skip_new[index]))
            .collect();
        let rendered = render_all(
            &jobs
                .iter()
                .map(|&(side, index)| &sides[side][index])
                .collect::<Vec<_>>(),
        );
        let mut texts = [vec![None; old.len()], vec![None; new.len()]];
        for ((side, index), text) in jobs.into_iter().zip(rendered) {
            counts[side][index] = Some(text.split_inclusive('\n').count());
            texts[side][index] = Some(text);
        }
        for (i, j) in copy_from_old {
            counts[NEW][j] = counts[OLD][i];
            texts[NEW][j] = texts[OLD][i].clone();
        }
        let [old_texts, new_texts] = texts;
        let [old_counts, new_counts] = counts;
        [
            SegmentedText::new(old, old_texts, &old_counts),
            SegmentedText::new(new, new_texts, &new_counts),
        ]
    }

    fn new(segments: &'s [Segment<'a>], texts: Vec<Option<String>>, counts: &[Option<usize>]) -> Self {
        let mut starts = Vec::with_capacity(segments.len() + 1);
        let mut total = 0;
        for count in counts {
            starts.push(total);
            total += count.unwrap_or_default();
        }
        starts.push(total);
        SegmentedText {
            segments,
            texts,
            starts,
        }
    }

    fn line_range(&self, first_segment: usize, end_segment: usize) -> std::ops::Range<usize> {
        self.starts[first_segment]..self.starts[end_segment]
    }

    /// Lines of segments that are rendered (the changed ones).
    fn rendered_lines(&self, first_segment: usize, end_segment: usize) -> Vec<&str> {
        let texts = self.texts[first_segment..end_segment].iter();
        texts
            .flat_map(|text| text.as_deref().unwrap_or_default().split_inclusive('\n'))
            .collect()
    }

    fn text(&mut self, segment: usize) -> &str {
        let segments = self.segments;
        self.texts[segment].get_or_insert_with(|| render_segment(&segments[segment]))
    }

    /// Writes lines `range`, each after `prefix`, rendering segments as needed.
    fn write_lines(&mut self, range: std::ops::Range<usize>, prefix: char, out: &mut String) {
        let mut line = range.start;
        let mut segment = self
            .starts
            .partition_point(|&start| start <= line)
            .saturating_sub(1);
        while line < range.end && segment < self.segments.len() {
            let skip = line - self.starts[segment];
            let wanted = range.end - line;
            for piece in self.text(segment).split_inclusive('\n').skip(skip).take(wanted) {
                out.push(prefix);
                out.push_str(piece);
                if !piece.ends_with('\n') {
                    out.push_str("\n\\ No newline at end of file\n");
                }
            }
            segment += 1;
            line = self.starts[segment].max(line);
        }
    }
}

/// Line-level edit script: anchors are equal lines; the lines between them are diffed.
fn line_ops(old: &SegmentedText, new: &SegmentedText, anchors: &[Anchor]) -> Vec<DiffOp> {
    let mut ops = Vec::new();
    let (old_count, new_count) = (old.segments.len(), new.segments.len());
    let (mut old_next, mut new_next) = (0, 0);
    for &(old_anchor, new_anchor) in anchors.iter().chain([(old_count, new_count)].iter()) {
        let old_lines = old.rendered_lines(old_next, old_anchor);
        let new_lines = new.rendered_lines(new_next, new_anchor);
        let (old_start, new_start) = (old.starts[old_next], new.starts[new_next]);
        if !old_lines.is_empty() || !new_lines.is_empty() {
            let diff = TextDiff::configure()
                .algorithm(Algorithm::Myers)
                .timeout(LINE_DIFF_TIMEOUT)
                .diff_slices(&old_lines, &new_lines);
            for op in diff.ops() {
                push_op(&mut ops, shift(*op, old_start, new_start));
            }
        }
        if old_anchor < old_count {
            let old_range = old.line_range(old_anchor, old_anchor + 1);
            let new_index = new.starts[new_anchor];
            push_op(
                &mut ops,
                DiffOp::Equal {
                    old_index: old_range.start,
                    new_index,
                    len: old_range.len(),
                },
            );
        }
        (old_next, new_next) = (old_anchor + 1, new_anchor + 1);
    }
    ops
}

fn shift(op: DiffOp, old_by: usize, new_by: usize) -> DiffOp {
    match op {
        DiffOp::Equal {
            old_index,
            new_index,
            len,
        } => DiffOp::Equal {
            old_index: old_index + old_by,
            new_index: new_index + new_by,
            len,
        },
        DiffOp::Delete {
            old_index,
            old_len,
            new_index,
        } => DiffOp::Delete {
            old_index: old_index + old_by,
            old_len,
            new_index: new_index + new_by,
        },
        DiffOp::Insert {
            old_index,
            new_index,
            new_len,
        } => DiffOp::Insert {
            old_index: old_index + old_by,
            new_index: new_index + new_by,
            new_len,
        },
        DiffOp::Replace {
            old_index,
            old_len,
            new_index,
            new_len,
        } => DiffOp::Replace {
            old_index: old_index + old_by,
            old_len,
            new_index: new_index + new_by,
            new_len,
        },
    }
}

/// Appends an op, merging it into the previous equal run so hunks get the usual context.
fn push_op(ops: &mut Vec<DiffOp>, op: DiffOp) {
    if let (Some(DiffOp::Equal { len: previous, .. }), DiffOp::Equal { len, .. }) = (ops.last_mut(), op) {
        *previous += len;
        return;
    }
    let (_, old_range, new_range) = op.as_tag_tuple();
    if !old_range.is_empty() || !new_range.is_empty() {
        ops.push(op);
    }
}

/// How many lines serde_yaml writes for a segment, without writing it; None when that is not
/// certain (unusual text), and the segment must be rendered to know. Mirrors libyaml's block
/// style as serde_yaml configures it (no line folding, literal style for multi-line text).
fn segment_lines(segment: &Segment) -> Option<usize> {
    match segment.body {
        Body::Entry(key, value) if is_simple_key(key) && segment.parents.iter().all(|p| is_simple_key(p)) => {
            Some(segment.parents.len() - segment.strip + entry_lines(value)?)
        }
        Body::Separator | Body::EmptyMap => Some(1),
        _ => None,
    }
}

/// `key: value` in a block map.
fn entry_lines(value: &Value) -> Option<usize> {
    match value {
        Value::Object(map) if !map.is_empty() => Some(1 + map_lines(map)?),
        Value::Array(items) if !items.is_empty() => Some(1 + sequence_lines(items)?),
        Value::String(text) => text_lines(text),
        _ => Some(1),
    }
}

fn map_lines(map: &Map<String, Value>) -> Option<usize> {
    map.iter().try_fold(0, |total, (key, value)| {
        Some(total + is_simple_key(key).then(|| entry_lines(value))??)
    })
}

/// A block sequence; a map or sequence item starts on the `- ` line.
fn sequence_lines(items: &[Value]) -> Option<usize> {
    items.iter().try_fold(0, |total, item| {
        let lines = match item {
            Value::Object(map) if !map.is_empty() => map_lines(map)?,
            Value::Array(items) if !items.is_empty() => sequence_lines(items)?,
            Value::String(text) => text_lines(text)?,
            _ => 1,
        };
        Some(total + lines)
    })
}

/// A string starting on the current line: one line, or a literal block (`|`, `|-`, `|+`) whose
/// every `\n` ends a line. Text libyaml would quote instead, or whose other line breaks
/// (`\r`, U+2028…) it may write as breaks, is left to rendering.
fn text_lines(text: &str) -> Option<usize> {
    const OTHER_BREAKS: [char; 4] = ['\r', '\u{85}', '\u{2028}', '\u{2029}'];
    let bytes = text.as_bytes();
    // Specs are nearly all ASCII: check bytes, which is much faster than chars.
    let ascii = text.is_ascii();
    let other_breaks = if ascii {
        bytes.contains(&b'\r')
    } else {
        text.contains(OTHER_BREAKS)
    };
    if other_breaks {
        return None;
    }
    let breaks = bytes.iter().filter(|&&byte| byte == b'\n').count();
    if breaks == 0 {
        return Some(1);
    }
    let printable = if ascii {
        bytes
            .iter()
            .all(|&byte| byte == b'\n' || (b' '..=b'~').contains(&byte))
    } else {
        text.chars().all(|c| {
            c == '\n'
                || (' '..='~').contains(&c)
                || ('\u{a0}'..='\u{d7ff}').contains(&c)
                || (('\u{e000}'..='\u{fffd}').contains(&c) && c != '\u{feff}')
        })
    };
    // A space before a line break or at the end makes libyaml quote the text instead.
    if !printable || text.ends_with(' ') || text.contains(" \n") {
        return None;
    }
    Some(1 + breaks + usize::from(!text.ends_with('\n')))
}

/// Keys libyaml surely writes on one line as a simple key.
fn is_simple_key(key: &str) -> bool {
    let one_line = if key.is_ascii() {
        !key.bytes().any(|byte| byte == b'\n' || byte == b'\r')
    } else {
        !key.contains(['\n', '\r', '\u{85}', '\u{2028}', '\u{2029}'])
    };
    key.len() <= 64 && one_line
}

// ---------------------------------------------------------------------------------------------
// Semantic diff
// ---------------------------------------------------------------------------------------------

/// What changed, in pipeline terms, ordered as [`render_summary`] prints it. Empty exactly when
/// [`unified`] returns None.
pub fn semantic(a: &Side, b: &Side, options: &Options) -> Vec<Change> {
    if identical(a, b, options) {
        return Vec::new();
    }
    let mut differ = Differ::new(a, b, options);
    differ.pipeline();
    differ.platform();
    let mut changes = differ.changes;
    if changes.is_empty() {
        // Only differences the rules normalise away are left (see the module docs): show them raw.
        let name = pipeline_name(a, b);
        let skip = options.ignore_sdk_version.then_some(SDK_VERSION);
        let (old, new) = (a.pipeline_spec, b.pipeline_spec);
        match (old.as_object(), new.as_object()) {
            (Some(old), Some(new)) => {
                for (key, old, new) in zip_maps(Some(old), Some(new)) {
                    if Some(key) != skip {
                        let pointer = format!("/{}", escape(key));
                        generic_pair(&mut changes, Scope::Pipeline, &name, old, new, &pointer, &pointer);
                    }
                }
            }
            _ => generic_pair(&mut changes, Scope::Pipeline, &name, Some(old), Some(new), "", ""),
        }
        let (old, new) = (a.platform_spec, b.platform_spec);
        generic_pair(&mut changes, Scope::Platform, "", old, new, "", "");
    }
    sort_changes(&mut changes);
    changes
}

fn pipeline_name(a: &Side, b: &Side) -> String {
    [b.pipeline_spec, a.pipeline_spec]
        .iter()
        .find_map(|spec| spec.pointer("/pipelineInfo/name").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string()
}

/// Groups changes by scope, then by name; within one name the order of detection is kept.
fn sort_changes(changes: &mut [Change]) {
    changes.sort_by(|x, y| {
        x.scope
            .cmp(&y.scope)
            .then_with(|| compare_names(&x.name, &y.name))
    });
}

/// Task paths segment by segment, so nested tasks follow their parent; numbers in names by
/// value, so `train-5` comes before `train-10`.
fn compare_names(x: &str, y: &str) -> Ordering {
    let mut x_segments = x.split('/');
    let mut y_segments = y.split('/');
    loop {
        match (x_segments.next(), y_segments.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(a), Some(b)) => match natural_order(a, b) {
                Ordering::Equal => {}
                order => return order,
            },
        }
    }
}

fn natural_order(x: &str, y: &str) -> Ordering {
    let (mut x, mut y) = (x.as_bytes(), y.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(a), Some(b)) if a.is_ascii_digit() && b.is_ascii_digit() => {
                let x_digits = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let y_digits = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (x_number, y_number) = (&x[..x_digits], &y[..y_digits]);
                let trim = |digits: &[u8]| -> usize { digits.iter().take_while(|c| **c == b'0').count() };
                let (x_value, y_value) = (&x_number[trim(x_number)..], &y_number[trim(y_number)..]);
                let order = x_value
                    .len()
                    .cmp(&y_value.len())
                    .then_with(|| x_value.cmp(y_value))
                    .then(x_digits.cmp(&y_digits));
                if order != Ordering::Equal {
                    return order;
                }
                (x, y) = (&x[x_digits..], &y[y_digits..]);
            }
            (Some(a), Some(b)) => {
                if a != b {
                    return a.cmp(b);
                }
                (x, y) = (&x[1..], &y[1..]);
            }
        }
    }
}

const OLD: usize = 0;
const NEW: usize = 1;

/// The parts of one side that tasks point into.
struct Doc<'a> {
    components: Option<&'a Map<String, Value>>,
    executors: Option<&'a Map<String, Value>>,
    platform_executors: Option<&'a Map<String, Value>>,
}

impl<'a> Doc<'a> {
    fn new(side: &Side<'a>) -> Self {
        let spec = side.pipeline_spec;
        Doc {
            components: spec.get("components").and_then(Value::as_object),
            executors: spec
                .pointer("/deploymentSpec/executors")
                .and_then(Value::as_object),
            platform_executors: side
                .platform_spec
                .and_then(|platform| platform.pointer("/platforms/kubernetes/deploymentSpec/executors"))
                .and_then(Value::as_object),
        }
    }

    fn task(&self, parent: &Dag<'a>, key: &'a str, task: &'a Value) -> TaskSide<'a> {
        let component_name = task
            .get("componentRef")
            .and_then(|r| r.get("name"))
            .and_then(Value::as_str);
        let component = component_name.and_then(|name| self.components?.get(name));
        let executor_label = component
            .and_then(|c| c.get("executorLabel"))
            .and_then(Value::as_str);
        let executor = executor_label.and_then(|label| self.executors?.get(label));
        TaskSide {
            key,
            path: format!("{}{key}", parent.path_prefix),
            pointer: format!("{}/{}", parent.pointer, escape(key)),
            task,
            component_name,
            component,
            executor_label,
            executor,
        }
    }

    /// What makes two tasks the same modulo their names: component and executor content.
    fn content_key(&self, task: &'a Value) -> Option<String> {
        let component_name = task.get("componentRef")?.get("name")?.as_str()?;
        let component = self.components?.get(component_name)?.as_object()?;
        let executor = component
            .get("executorLabel")
            .and_then(Value::as_str)
            .and_then(|l| self.executors?.get(l));
        let unnamed: BTreeMap<&String, &Value> = component
            .iter()
            .filter(|(key, _)| *key != "executorLabel")
            .collect();
        serde_json::to_string(&(unnamed, executor)).ok()
    }
}

/// A DAG being compared: its tasks and where they sit.
struct Dag<'a> {
    tasks: Option<&'a Map<String, Value>>,
    /// Task path prefix: empty for the root DAG, else the parent task's path and `/`.
    path_prefix: String,
    /// JSON pointer of the `tasks` map.
    pointer: String,
}

/// One task on one side, resolved to its component and executor.
struct TaskSide<'a> {
    key: &'a str,
    path: String,
    pointer: String,
    task: &'a Value,
    component_name: Option<&'a str>,
    component: Option<&'a Value>,
    executor_label: Option<&'a str>,
    executor: Option<&'a Value>,
}

impl<'a> TaskSide<'a> {
    fn nested_dag(&self) -> Option<Dag<'a>> {
        let tasks = self.component?.get("dag")?.get("tasks")?.as_object()?;
        Some(Dag {
            tasks: Some(tasks),
            path_prefix: format!("{}/", self.path),
            pointer: format!("{}/dag/tasks", component_pointer(self.component_name?)),
        })
    }

    fn view(&self, walk_nested: bool, renames: Option<&HashMap<&str, &str>>) -> View<'a> {
        let mut view = View::default();
        add_task_fields(
            &mut view,
            self.task,
            Loc::Root {
                part: "task",
                pointer: &self.pointer,
            },
            renames,
        );
        if let (Some(name), Some(component)) = (self.component_name, self.component) {
            let loc = Loc::Keyed {
                part: "component",
                prefix: "/components",
                key: name,
            };
            add_component_fields(&mut view, component, loc, walk_nested);
        }
        if let (Some(label), Some(executor)) = (self.executor_label, self.executor) {
            let loc = Loc::Keyed {
                part: "executor",
                prefix: "/deploymentSpec/executors",
                key: label,
            };
            add_executor_fields(&mut view, executor, loc);
        }
        view
    }

    fn display_name(&self) -> Option<&'a str> {
        self.task
            .get("taskInfo")
            .and_then(|info| info.get("name"))
            .and_then(Value::as_str)
    }
}

fn component_pointer(name: &str) -> String {
    format!("/components/{}", escape(name))
}

fn executor_pointer(label: &str) -> String {
    format!("/deploymentSpec/executors/{}", escape(label))
}

fn platform_executor_pointer(label: &str) -> String {
    format!("/platforms/kubernetes/deploymentSpec/executors/{}", escape(label))
}

/// What the compared tasks of one side use (and so account for).
#[derive(Default)]
struct Reach<'a> {
    components: HashSet<&'a str>,
    executors: HashSet<&'a str>,
}

struct Differ<'a> {
    sides: [&'a Side<'a>; 2],
    docs: [Doc<'a>; 2],
    ignore_sdk_version: bool,
    pipeline_name: String,
    /// Components and executors the compared tasks use, per side.
    reach: [Reach<'a>; 2],
    /// Components whose DAG is being walked, outermost first, per side.
    walking: [Vec<&'a str>; 2],
    visits: usize,
    changes: Vec<Change>,
}

impl<'a> Differ<'a> {
    fn new(old: &'a Side<'a>, new: &'a Side<'a>, options: &Options) -> Self {
        Differ {
            sides: [old, new],
            docs: [Doc::new(old), Doc::new(new)],
            ignore_sdk_version: options.ignore_sdk_version,
            pipeline_name: pipeline_name(old, new),
            reach: [Reach::default(), Reach::default()],
            walking: [Vec::new(), Vec::new()],
            visits: 0,
            changes: Vec::new(),
        }
    }

    fn generic(&mut self, scope: Scope, name: &str, old: Option<&Value>, new: Option<&Value>, pointer: &str) {
        generic_pair(&mut self.changes, scope, name, old, new, pointer, pointer);
    }

    /// Both values as maps (absent counts as an empty map); otherwise reports them as plain data
    /// and returns None.
    fn maps(
        &mut self,
        scope: Scope,
        name: &str,
        old: Option<&'a Value>,
        new: Option<&'a Value>,
        pointer: &str,
    ) -> Option<[Option<&'a Map<String, Value>>; 2]> {
        match (old.map(Value::as_object), new.map(Value::as_object)) {
            (Some(None), _) | (_, Some(None)) => {
                self.generic(scope, name, old, new, pointer);
                None
            }
            (old, new) => Some([old.flatten(), new.flatten()]),
        }
    }

    /// Reports, as plain data, every key of the two maps not in `handled`.
    fn rest(
        &mut self,
        scope: Scope,
        name: &str,
        maps: [Option<&'a Map<String, Value>>; 2],
        pointer: &str,
        handled: &[&str],
    ) {
        for (key, old, new) in zip_maps(maps[OLD], maps[NEW]) {
            if !handled.contains(&key) {
                self.generic(scope, name, old, new, &format!("{pointer}/{}", escape(key)));
            }
        }
    }

    fn pipeline(&mut self) {
        let name = self.pipeline_name.clone();
        let specs = [self.sides[OLD].pipeline_spec, self.sides[NEW].pipeline_spec];
        let Some(maps) = self.maps(Scope::Pipeline, &name, Some(specs[OLD]), Some(specs[NEW]), "") else {
            return;
        };
        let views = maps.map(|map| {
            let mut view = View::default();
            if let Some(map) = map {
                add_pipeline_fields(&mut view, map, self.ignore_sdk_version);
            }
            view
        });
        compare_views(
            &views[OLD],
            &views[NEW],
            Scope::Pipeline,
            &name,
            &mut self.changes,
        );

        let root = maps.map(|map| map.and_then(|m| m.get("root")));
        self.root(root);

        let components = maps.map(|map| map.and_then(|m| m.get("components")));
        let components = self.maps(
            Scope::Pipeline,
            &name,
            components[OLD],
            components[NEW],
            "/components",
        );
        let deployment = maps.map(|map| map.and_then(|m| m.get("deploymentSpec")));
        let executors = self
            .maps(
                Scope::Pipeline,
                &name,
                deployment[OLD],
                deployment[NEW],
                "/deploymentSpec",
            )
            .and_then(|deployment| {
                self.rest(
                    Scope::Pipeline,
                    &name,
                    deployment,
                    "/deploymentSpec",
                    &["executors"],
                );
                let executors = deployment.map(|map| map.and_then(|m| m.get("executors")));
                self.maps(
                    Scope::Pipeline,
                    &name,
                    executors[OLD],
                    executors[NEW],
                    "/deploymentSpec/executors",
                )
            });
        // After the task walk: what no task accounted for.
        if let Some(components) = components {
            self.unreached(Scope::Component, components);
        }
        if let Some(executors) = executors {
            self.unreached(Scope::Executor, executors);
        }
        // `sdkVersion` is a pipeline field, or ignored.
        let handled = [
            "pipelineInfo",
            SDK_VERSION,
            "schemaVersion",
            "root",
            "components",
            "deploymentSpec",
        ];
        self.rest(Scope::Pipeline, &name, maps, "", &handled);
    }

    fn root(&mut self, root: [Option<&'a Value>; 2]) {
        let name = self.pipeline_name.clone();
        let Some(root) = self.maps(Scope::Pipeline, &name, root[OLD], root[NEW], "/root") else {
            return;
        };
        let child = |key: &str| root.map(|map| map.and_then(|m| m.get(key)));

        let inputs = child("inputDefinitions");
        if let Some(inputs) = self.maps(
            Scope::Pipeline,
            &name,
            inputs[OLD],
            inputs[NEW],
            "/root/inputDefinitions",
        ) {
            self.rest(
                Scope::Pipeline,
                &name,
                inputs,
                "/root/inputDefinitions",
                &["parameters", "artifacts"],
            );
            for kind in ["parameters", "artifacts"] {
                let pointer = format!("/root/inputDefinitions/{kind}");
                let values = inputs.map(|map| map.and_then(|m| m.get(kind)));
                if let Some(defs) = self.maps(Scope::Pipeline, &name, values[OLD], values[NEW], &pointer) {
                    for (input, old, new) in zip_maps(defs[OLD], defs[NEW]) {
                        let pointer = format!("{pointer}/{}", escape(input));
                        self.definition(Scope::Input, input, [old, new], [None, None], &pointer, "");
                    }
                }
            }
        }

        let dag = child("dag");
        let dag = self.maps(Scope::Pipeline, &name, dag[OLD], dag[NEW], "/root/dag");
        let outputs = child("outputDefinitions");
        let outputs = self.maps(
            Scope::Pipeline,
            &name,
            outputs[OLD],
            outputs[NEW],
            "/root/outputDefinitions",
        );
        let sources = dag.and_then(|dag| {
            let sources = dag.map(|map| map.and_then(|m| m.get("outputs")));
            self.maps(
                Scope::Pipeline,
                &name,
                sources[OLD],
                sources[NEW],
                "/root/dag/outputs",
            )
        });
        if let Some(outputs) = outputs {
            self.rest(
                Scope::Pipeline,
                &name,
                outputs,
                "/root/outputDefinitions",
                &["parameters", "artifacts"],
            );
        }
        if let Some(sources) = sources {
            self.rest(
                Scope::Pipeline,
                &name,
                sources,
                "/root/dag/outputs",
                &["parameters", "artifacts"],
            );
        }
        for kind in ["parameters", "artifacts"] {
            let definitions_pointer = format!("/root/outputDefinitions/{kind}");
            let sources_pointer = format!("/root/dag/outputs/{kind}");
            let defs = outputs.and_then(|maps| {
                let values = maps.map(|map| map.and_then(|m| m.get(kind)));
                self.maps(
                    Scope::Pipeline,
                    &name,
                    values[OLD],
                    values[NEW],
                    &definitions_pointer,
                )
            });
            let feeds = sources.and_then(|maps| {
                let values = maps.map(|map| map.and_then(|m| m.get(kind)));
                self.maps(Scope::Pipeline, &name, values[OLD], values[NEW], &sources_pointer)
            });
            let defs = defs.unwrap_or([None, None]);
            let feeds = feeds.unwrap_or([None, None]);
            let names: BTreeSet<&str> = [defs[OLD], defs[NEW], feeds[OLD], feeds[NEW]]
                .into_iter()
                .flatten()
                .flat_map(|map| map.keys().map(String::as_str))
                .collect();
            for output in names {
                let get = |map: Option<&'a Map<String, Value>>| map.and_then(|m| m.get(output));
                self.definition(
                    Scope::Output,
                    output,
                    [get(defs[OLD]), get(defs[NEW])],
                    [get(feeds[OLD]), get(feeds[NEW])],
                    &format!("{definitions_pointer}/{}", escape(output)),
                    &format!("{sources_pointer}/{}", escape(output)),
                );
            }
        }

        if let Some(dag) = dag {
            self.rest(Scope::Pipeline, &name, dag, "/root/dag", &["tasks", "outputs"]);
            let tasks = dag.map(|map| map.and_then(|m| m.get("tasks")));
            if let Some(tasks) = self.maps(Scope::Pipeline, &name, tasks[OLD], tasks[NEW], "/root/dag/tasks")
            {
                let dags = tasks.map(|tasks| Dag {
                    tasks,
                    path_prefix: String::new(),
                    pointer: "/root/dag/tasks".into(),
                });
                self.compare_dag(dags);
            }
        }
        self.rest(
            Scope::Pipeline,
            &name,
            root,
            "/root",
            &["inputDefinitions", "outputDefinitions", "dag"],
        );
    }

    /// A pipeline input or output: its definition and, for outputs, the DAG output feeding it.
    fn definition(
        &mut self,
        scope: Scope,
        name: &str,
        definitions: [Option<&'a Value>; 2],
        sources: [Option<&'a Value>; 2],
        definition_pointer: &str,
        source_pointer: &str,
    ) {
        let present = |side: usize| definitions[side].is_some() || sources[side].is_some();
        let value = |side: usize| definitions[side].or(sources[side]).cloned();
        match (present(OLD), present(NEW)) {
            (true, false) => {
                self.changes
                    .push(entity_change(Op::Removed, scope, name, value(OLD), None, None))
            }
            (false, true) => {
                let detail = definitions[NEW].and_then(describe_definition);
                self.changes
                    .push(entity_change(Op::Added, scope, name, None, value(NEW), detail));
            }
            _ => {
                let views = [OLD, NEW].map(|side| {
                    let mut view = View::default();
                    if let Some(definition) = definitions[side] {
                        let loc = Loc::Root {
                            part: "definition",
                            pointer: definition_pointer,
                        };
                        add_definition_fields(&mut view, definition, loc);
                    }
                    if let Some(source) = sources[side] {
                        let loc = Loc::Root {
                            part: "source",
                            pointer: source_pointer,
                        };
                        view.set(RANK_SOURCE, "source", Cow::Borrowed(source), loc);
                    }
                    view
                });
                compare_views(&views[OLD], &views[NEW], scope, name, &mut self.changes);
            }
        }
    }

    fn compare_dag(&mut self, dags: [Dag<'a>; 2]) {
        let mut matched = Vec::new();
        let mut removed = Vec::new();
        let mut added = Vec::new();
        for (key, old, new) in zip_maps(dags[OLD].tasks, dags[NEW].tasks) {
            match (old, new) {
                (Some(old), Some(new)) => matched.push((key, old, new)),
                (Some(old), None) => removed.push((key, old)),
                (None, Some(new)) => added.push((key, new)),
                (None, None) => {}
            }
        }
        // A removed and an added task running the same component content are one renamed task.
        // Bucketing by content keeps this linear in the number of tasks.
        let mut renames: HashMap<&str, &str> = HashMap::new();
        let mut renamed_pairs = Vec::new();
        if !removed.is_empty() && !added.is_empty() {
            let mut buckets: HashMap<String, VecDeque<(&'a str, &'a Value)>> = HashMap::new();
            for &(key, task) in &removed {
                if let Some(content) = self.docs[OLD].content_key(task) {
                    buckets.entry(content).or_default().push_back((key, task));
                }
            }
            for &(key, task) in &added {
                let candidate = self.docs[NEW]
                    .content_key(task)
                    .and_then(|content| buckets.get_mut(&content));
                if let Some((old_key, old_task)) = candidate.and_then(VecDeque::pop_front) {
                    renames.insert(old_key, key);
                    renamed_pairs.push((old_key, old_task, key, task));
                }
            }
        }
        for (key, old, new) in matched {
            let old = self.docs[OLD].task(&dags[OLD], key, old);
            let new = self.docs[NEW].task(&dags[NEW], key, new);
            self.task_pair(old, new, false, &renames);
        }
        for &(old_key, old, new_key, new) in &renamed_pairs {
            let old = self.docs[OLD].task(&dags[OLD], old_key, old);
            let new = self.docs[NEW].task(&dags[NEW], new_key, new);
            self.changes.push(Change {
                op: Op::Renamed,
                scope: Scope::Task,
                name: new.path.clone(),
                field: None,
                before: Some(Value::String(old.path.clone())),
                after: Some(Value::String(new.path.clone())),
                detail: None,
            });
            self.task_pair(old, new, true, &renames);
        }
        for (key, task) in removed {
            if !renames.contains_key(key) {
                let task = self.docs[OLD].task(&dags[OLD], key, task);
                self.unpaired_task(OLD, task);
            }
        }
        let renamed_to: HashSet<&str> = renames.values().copied().collect();
        for (key, task) in added {
            if !renamed_to.contains(key) {
                let task = self.docs[NEW].task(&dags[NEW], key, task);
                self.unpaired_task(NEW, task);
            }
        }
    }

    /// Whether the nested DAG of `task` may be walked: not a component already being walked (a
    /// cycle, in a broken spec) and within the visit budget.
    fn may_enter(&self, side: usize, task: &TaskSide<'a>) -> bool {
        self.visits < MAX_TASK_VISITS
            && task
                .component_name
                .is_some_and(|name| !self.walking[side].contains(&name))
    }

    fn enter(&mut self, side: usize, task: &TaskSide<'a>) {
        if let Some(name) = task.component_name {
            self.walking[side].push(name);
        }
    }

    fn leave(&mut self, side: usize) {
        self.walking[side].pop();
    }

    fn mark_reached(&mut self, side: usize, task: &TaskSide<'a>) {
        self.visits += 1;
        if let Some(name) = task.component_name {
            self.reach[side].components.insert(name);
        }
        if let Some(label) = task.executor_label {
            self.reach[side].executors.insert(label);
        }
    }

    fn task_pair(
        &mut self,
        old: TaskSide<'a>,
        new: TaskSide<'a>,
        renamed: bool,
        renames: &HashMap<&str, &str>,
    ) {
        self.mark_reached(OLD, &old);
        self.mark_reached(NEW, &new);
        let nested = match (old.nested_dag(), new.nested_dag()) {
            (Some(old_dag), Some(new_dag)) if self.may_enter(OLD, &old) && self.may_enter(NEW, &new) => {
                Some([old_dag, new_dag])
            }
            _ => None,
        };
        // Most tasks are unchanged: comparing the raw values is much cheaper than building views.
        let unchanged = !renamed
            && old.task == new.task
            && old.component == new.component
            && old.executor == new.executor;
        if !unchanged {
            let mut old_view = old.view(nested.is_some(), Some(renames));
            let mut new_view = new.view(nested.is_some(), None);
            if renamed {
                // Implied by the rename: the compiler names components and executors after tasks.
                for view in [&mut old_view, &mut new_view] {
                    view.remove(RANK_COMPONENT, "component");
                    view.remove(RANK_EXECUTOR_LABEL, "executor");
                }
                if old.display_name() == Some(old.key) && new.display_name() == Some(new.key) {
                    old_view.remove(RANK_DISPLAY_NAME, "displayName");
                    new_view.remove(RANK_DISPLAY_NAME, "displayName");
                }
            }
            compare_views(&old_view, &new_view, Scope::Task, &new.path, &mut self.changes);
        }

        let configs = [(OLD, &old), (NEW, &new)].map(|(side, task)| {
            let label = task.executor_label?;
            Some((label, self.docs[side].platform_executors?.get(label)?))
        });
        if configs[OLD].map(|(_, config)| config) != configs[NEW].map(|(_, config)| config) {
            let configs =
                configs.map(|config| config.map(|(label, value)| (value, platform_executor_pointer(label))));
            self.platform_config(&new.path, configs);
        }

        if let Some(nested) = nested {
            self.enter(OLD, &old);
            self.enter(NEW, &new);
            self.compare_dag(nested);
            self.leave(OLD);
            self.leave(NEW);
        }
    }

    /// An added (side NEW) or removed (side OLD) task, and the tasks nested in it.
    fn unpaired_task(&mut self, side: usize, task: TaskSide<'a>) {
        self.mark_reached(side, &task);
        let (op, before, after) = if side == NEW {
            (Op::Added, None, Some(task.task.clone()))
        } else {
            (Op::Removed, Some(task.task.clone()), None)
        };
        let detail = task
            .task
            .get("dependentTasks")
            .and_then(Value::as_array)
            .and_then(|dependencies| {
                let mut names: Vec<&str> = dependencies.iter().filter_map(Value::as_str).collect();
                names.sort_unstable();
                (!names.is_empty()).then(|| format!("after {}", names.join(", ")))
            });
        self.changes
            .push(entity_change(op, Scope::Task, &task.path, before, after, detail));
        if self.may_enter(side, &task)
            && let Some(nested) = task.nested_dag()
            && let Some(tasks) = nested.tasks
        {
            self.enter(side, &task);
            for (key, child) in tasks {
                let child = self.docs[side].task(&nested, key, child);
                self.unpaired_task(side, child);
            }
            self.leave(side);
        }
    }

    /// Components or executors that no compared task accounted for: reported on their own.
    fn unreached(&mut self, scope: Scope, maps: [Option<&'a Map<String, Value>>; 2]) {
        for (name, old, new) in zip_maps(maps[OLD], maps[NEW]) {
            // Where a side has it and a task there uses it, the task's changes, addition or
            // removal account for it.
            let used = |side: usize| match scope {
                Scope::Component => self.reach[side].components.contains(name),
                _ => self.reach[side].executors.contains(name),
            };
            let covered = (old.is_none() || used(OLD)) && (new.is_none() || used(NEW));
            if covered || old == new {
                continue;
            }
            let pointer = match scope {
                Scope::Component => component_pointer(name),
                _ => executor_pointer(name),
            };
            match (old, new) {
                (Some(old), None) => self.changes.push(entity_change(
                    Op::Removed,
                    scope,
                    name,
                    Some(old.clone()),
                    None,
                    None,
                )),
                (None, Some(new)) => self.changes.push(entity_change(
                    Op::Added,
                    scope,
                    name,
                    None,
                    Some(new.clone()),
                    None,
                )),
                _ => {
                    let views = [old, new].map(|value| {
                        let mut view = View::default();
                        if let Some(value) = value {
                            let loc = Loc::Root {
                                part: scope.as_str(),
                                pointer: &pointer,
                            };
                            match scope {
                                Scope::Component => add_component_fields(&mut view, value, loc, false),
                                _ => add_executor_fields(&mut view, value, loc),
                            }
                        }
                        view
                    });
                    compare_views(&views[OLD], &views[NEW], scope, name, &mut self.changes);
                }
            }
        }
    }

    /// Platform settings of one task's executor (or of an executor no compared task uses).
    fn platform_config(&mut self, name: &str, configs: [Option<(&'a Value, String)>; 2]) {
        let views = configs.each_ref().map(|config| {
            let mut view = View::default();
            if let Some((value, pointer)) = config {
                add_platform_fields(
                    &mut view,
                    value,
                    Loc::Root {
                        part: "platform",
                        pointer,
                    },
                );
            }
            view
        });
        let before = self.changes.len();
        compare_views(&views[OLD], &views[NEW], Scope::Platform, name, &mut self.changes);
        let [old, new] = configs.map(|config| config.map(|(value, _)| value));
        // Settings without fields (`{}`, `nodeSelector: {}`) appeared or went: say so as a whole.
        if self.changes.len() == before && old != new {
            let op = match (old, new) {
                (None, _) => Op::Added,
                (_, None) => Op::Removed,
                _ => Op::Changed,
            };
            let change = entity_change(op, Scope::Platform, name, old.cloned(), new.cloned(), None);
            self.changes.push(change);
        }
    }

    fn platform(&mut self) {
        let platforms = [OLD, NEW].map(|side| self.sides[side].platform_spec);
        if platforms == [None, None] {
            return;
        }
        let Some(top) = self.maps(Scope::Platform, "", platforms[OLD], platforms[NEW], "") else {
            return;
        };
        self.rest(Scope::Platform, "", top, "", &["platforms"]);
        let all = top.map(|map| map.and_then(|m| m.get("platforms")));
        let Some(all) = self.maps(Scope::Platform, "", all[OLD], all[NEW], "/platforms") else {
            return;
        };
        for (platform, old, new) in zip_maps(all[OLD], all[NEW]) {
            if platform != "kubernetes" {
                let pointer = format!("/platforms/{}", escape(platform));
                self.generic(Scope::Platform, platform, old, new, &pointer);
            }
        }
        let kubernetes = all.map(|map| map.and_then(|m| m.get("kubernetes")));
        let pointer = "/platforms/kubernetes";
        let Some(kubernetes) = self.maps(
            Scope::Platform,
            "kubernetes",
            kubernetes[OLD],
            kubernetes[NEW],
            pointer,
        ) else {
            return;
        };
        self.rest(
            Scope::Platform,
            "kubernetes",
            kubernetes,
            pointer,
            &["deploymentSpec"],
        );
        let deployment = kubernetes.map(|map| map.and_then(|m| m.get("deploymentSpec")));
        let pointer = "/platforms/kubernetes/deploymentSpec";
        let Some(deployment) = self.maps(
            Scope::Platform,
            "kubernetes",
            deployment[OLD],
            deployment[NEW],
            pointer,
        ) else {
            return;
        };
        self.rest(Scope::Platform, "kubernetes", deployment, pointer, &["executors"]);
        let executors = deployment.map(|map| map.and_then(|m| m.get("executors")));
        let pointer = "/platforms/kubernetes/deploymentSpec/executors";
        let Some(executors) = self.maps(
            Scope::Platform,
            "kubernetes",
            executors[OLD],
            executors[NEW],
            pointer,
        ) else {
            return;
        };
        for (label, old, new) in zip_maps(executors[OLD], executors[NEW]) {
            // Entries of executors some task uses were compared with that task.
            let old = old.filter(|_| !self.reach[OLD].executors.contains(label));
            let new = new.filter(|_| !self.reach[NEW].executors.contains(label));
            if old.is_some() || new.is_some() {
                let pointer = platform_executor_pointer(label);
                self.platform_config(
                    label,
                    [
                        old.map(|v| (v, pointer.clone())),
                        new.map(|v| (v, pointer.clone())),
                    ],
                );
            }
        }
    }
}

fn entity_change(
    op: Op,
    scope: Scope,
    name: &str,
    before: Option<Value>,
    after: Option<Value>,
    detail: Option<String>,
) -> Change {
    Change {
        op,
        scope,
        name: name.to_string(),
        field: None,
        before,
        after,
        detail,
    }
}

/// Entries of two maps side by side, in key order. Relies on serde_json keeping maps sorted
/// (no `preserve_order` feature), as the canonical YAML does; a test guards this.
fn zip_maps<'m>(
    old: Option<&'m Map<String, Value>>,
    new: Option<&'m Map<String, Value>>,
) -> Vec<(&'m str, Option<&'m Value>, Option<&'m Value>)> {
    let mut out = Vec::with_capacity(old.map_or(0, Map::len).max(new.map_or(0, Map::len)));
    let mut old = old.into_iter().flatten().peekable();
    let mut new = new.into_iter().flatten().peekable();
    loop {
        let order = match (old.peek(), new.peek()) {
            (None, None) => return out,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((a, _)), Some((b, _))) => a.cmp(b),
        };
        match order {
            Ordering::Less => {
                if let Some((key, value)) = old.next() {
                    out.push((key.as_str(), Some(value), None));
                }
            }
            Ordering::Greater => {
                if let Some((key, value)) = new.next() {
                    out.push((key.as_str(), None, Some(value)));
                }
            }
            Ordering::Equal => {
                if let (Some((key, a)), Some((_, b))) = (old.next(), new.next()) {
                    out.push((key.as_str(), Some(a), Some(b)));
                }
            }
        }
    }
}

/// JSON pointer escaping of one key (RFC 6901).
fn escape(key: &str) -> Cow<'_, str> {
    if key.bytes().any(|byte| byte == b'~' || byte == b'/') {
        Cow::Owned(key.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(key)
    }
}

/// Field-level differences of two values the semantic rules do not interpret, named by JSON
/// pointer; maps are descended into so that the pointer names the smallest differing part.
fn generic_pair(
    out: &mut Vec<Change>,
    scope: Scope,
    name: &str,
    old: Option<&Value>,
    new: Option<&Value>,
    old_pointer: &str,
    new_pointer: &str,
) {
    if old == new {
        return;
    }
    let change = |op, pointer: &str| Change {
        op,
        scope,
        name: name.to_string(),
        field: Some(pointer.to_string()),
        before: old.cloned(),
        after: new.cloned(),
        detail: None,
    };
    match (old, new) {
        (Some(Value::Object(old)), Some(Value::Object(new))) => {
            for (key, a, b) in zip_maps(Some(old), Some(new)) {
                let key = escape(key);
                let (a_pointer, b_pointer) = (format!("{old_pointer}/{key}"), format!("{new_pointer}/{key}"));
                generic_pair(out, scope, name, a, b, &a_pointer, &b_pointer);
            }
        }
        (Some(_), None) => out.push(change(Op::Removed, old_pointer)),
        (None, Some(_)) => out.push(change(Op::Added, new_pointer)),
        _ => out.push(change(Op::Changed, new_pointer)),
    }
}

// ---------------------------------------------------------------------------------------------
// Views: the fields of one thing on one side, keyed so that both sides line up
// ---------------------------------------------------------------------------------------------

// Field order in the output: what runs, then how it is wired, then policies, then the rest.
const RANK_PIPELINE_NAME: u8 = 0;
const RANK_PIPELINE_DISPLAY_NAME: u8 = 1;
const RANK_PIPELINE_DESCRIPTION: u8 = 2;
const RANK_SCHEMA_VERSION: u8 = 3;
const RANK_SDK_VERSION: u8 = 4;
const RANK_TYPE: u8 = 5;
const RANK_DEFAULT: u8 = 6;
const RANK_OPTIONAL: u8 = 7;
const RANK_DESCRIPTION: u8 = 8;
const RANK_SOURCE: u8 = 9;
const RANK_IMAGE: u8 = 10;
const RANK_COMMAND: u8 = 11;
const RANK_ARGS: u8 = 12;
const RANK_ENV: u8 = 13;
const RANK_RESOURCES: u8 = 14;
const RANK_IMPORTER: u8 = 15;
const RANK_DEPENDENCIES: u8 = 20;
const RANK_INPUT: u8 = 21;
const RANK_CACHING: u8 = 30;
const RANK_RETRY: u8 = 31;
const RANK_CONDITION: u8 = 32;
const RANK_TRIGGER_STRATEGY: u8 = 33;
const RANK_PARALLELISM: u8 = 34;
const RANK_ITERATOR: u8 = 35;
const RANK_COMPONENT_INPUT: u8 = 40;
const RANK_COMPONENT_OUTPUT: u8 = 41;
const RANK_DISPLAY_NAME: u8 = 50;
const RANK_COMPONENT: u8 = 51;
const RANK_EXECUTOR_LABEL: u8 = 52;
const RANK_PLATFORM: u8 = 60;
const RANK_OTHER: u8 = 90;

/// Where a value sits, built without allocating: most places are never reported.
#[derive(Clone, Copy)]
enum Loc<'p> {
    /// `part` names the kind of thing (`task`, `executor`…) so both sides line up although the
    /// pointers differ (component names, task paths); `pointer` is what the user sees.
    Root {
        part: &'static str,
        pointer: &'p str,
    },
    /// A root whose pointer is `prefix/key` (`/components/comp-train`).
    Keyed {
        part: &'static str,
        prefix: &'static str,
        key: &'p str,
    },
    Child {
        parent: &'p Loc<'p>,
        key: &'p str,
    },
    Index {
        parent: &'p Loc<'p>,
        index: usize,
    },
}

impl<'p> Loc<'p> {
    fn child(&'p self, key: &'p str) -> Loc<'p> {
        Loc::Child { parent: self, key }
    }

    fn index(&'p self, index: usize) -> Loc<'p> {
        Loc::Index { parent: self, index }
    }

    /// The key that lines a field up with the other side's.
    fn relative(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, true);
        out
    }

    fn pointer(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, false);
        out
    }

    fn write(&self, out: &mut String, relative: bool) {
        match *self {
            Loc::Root { part, pointer } => out.push_str(if relative { part } else { pointer }),
            Loc::Keyed { part, prefix, key } => {
                if relative {
                    out.push_str(part);
                } else {
                    out.push_str(prefix);
                    out.push('/');
                    out.push_str(&escape(key));
                }
            }
            Loc::Child { parent, key } => {
                parent.write(out, relative);
                out.push('/');
                out.push_str(&escape(key));
            }
            Loc::Index { parent, index } => {
                parent.write(out, relative);
                let _ = write!(out, "/{index}");
            }
        }
    }
}

enum Field<'a> {
    Named(Cow<'a, Value>),
    /// Not interpreted: compared with [`generic_pair`] and reported by JSON pointer.
    Generic(&'a Value, String),
}

type FieldName = Cow<'static, str>;

#[derive(Default)]
struct View<'a> {
    fields: BTreeMap<(u8, FieldName), Field<'a>>,
}

impl<'a> View<'a> {
    /// Records a named field; `loc` is used only if the name is taken already (a parameter and
    /// an artifact with one name, say): then the value is kept as plain data.
    fn set(&mut self, rank: u8, name: impl Into<FieldName>, value: Cow<'a, Value>, loc: Loc) {
        match self.fields.entry((rank, name.into())) {
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(Field::Named(value));
            }
            std::collections::btree_map::Entry::Occupied(_) => {
                if let Cow::Borrowed(value) = value {
                    self.generic(loc, value);
                }
            }
        }
    }

    fn generic(&mut self, loc: Loc, value: &'a Value) {
        self.fields.insert(
            (RANK_OTHER, Cow::Owned(loc.relative())),
            Field::Generic(value, loc.pointer()),
        );
    }

    fn remove(&mut self, rank: u8, name: &'static str) {
        self.fields.remove(&(rank, Cow::Borrowed(name)));
    }

    /// Calls `handle` on each entry of the map `value`; entries it declines, and non-maps, are
    /// kept as plain data.
    fn entries(
        &mut self,
        value: &'a Value,
        loc: Loc,
        mut handle: impl FnMut(&mut Self, &'a str, &'a Value) -> bool,
    ) {
        let Some(map) = value.as_object() else {
            self.generic(loc, value);
            return;
        };
        for (key, child) in map {
            if !handle(self, key, child) {
                self.generic(loc.child(key), child);
            }
        }
    }
}

fn add_pipeline_fields<'a>(view: &mut View<'a>, spec: &'a Map<String, Value>, ignore_sdk_version: bool) {
    if let Some(info) = spec.get("pipelineInfo") {
        let loc = Loc::Root {
            part: "pipelineInfo",
            pointer: "/pipelineInfo",
        };
        view.entries(info, loc, |view, key, value| {
            let (rank, name) = match key {
                "name" => (RANK_PIPELINE_NAME, "name"),
                "displayName" => (RANK_PIPELINE_DISPLAY_NAME, "displayName"),
                "description" => (RANK_PIPELINE_DESCRIPTION, "description"),
                _ => return false,
            };
            view.set(rank, name, Cow::Borrowed(value), loc.child(key));
            true
        });
    }
    if let Some(version) = spec.get("schemaVersion") {
        let loc = Loc::Root {
            part: "schemaVersion",
            pointer: "/schemaVersion",
        };
        view.set(RANK_SCHEMA_VERSION, "schemaVersion", Cow::Borrowed(version), loc);
    }
    if let Some(version) = spec.get(SDK_VERSION).filter(|_| !ignore_sdk_version) {
        let loc = Loc::Root {
            part: SDK_VERSION,
            pointer: "/sdkVersion",
        };
        view.set(RANK_SDK_VERSION, SDK_VERSION, Cow::Borrowed(version), loc);
    }
}

/// A parameter or artifact definition (pipeline input or output).
fn add_definition_fields<'a>(view: &mut View<'a>, definition: &'a Value, loc: Loc) {
    view.entries(definition, loc, |view, key, value| {
        let (rank, name) = match key {
            "parameterType" | "artifactType" => (RANK_TYPE, "type"),
            "defaultValue" => (RANK_DEFAULT, "default"),
            "isOptional" => (RANK_OPTIONAL, "optional"),
            "description" => (RANK_DESCRIPTION, "description"),
            _ => return false,
        };
        view.set(rank, name, Cow::Borrowed(value), loc.child(key));
        true
    });
}

fn add_task_fields<'a>(
    view: &mut View<'a>,
    task: &'a Value,
    loc: Loc,
    renames: Option<&HashMap<&str, &str>>,
) {
    let renames = renames.filter(|renames| !renames.is_empty());
    view.entries(task, loc, |view, key, value| {
        let here = loc.child(key);
        match key {
            "componentRef" => view.entries(value, here, |view, key, value| {
                key == "name" && {
                    view.set(RANK_COMPONENT, "component", Cow::Borrowed(value), here.child(key));
                    true
                }
            }),
            "dependentTasks" => match value.as_array().and_then(|items| dependencies(items, renames)) {
                Some(sorted) => view.set(RANK_DEPENDENCIES, "dependencies", Cow::Owned(sorted), here),
                None => view.generic(here, value),
            },
            "inputs" => view.entries(value, here, |view, kind, inputs| {
                if kind != "parameters" && kind != "artifacts" {
                    return false;
                }
                let kind_loc = here.child(kind);
                view.entries(inputs, kind_loc, |view, input, wiring| {
                    let wiring = with_renamed_producer(wiring, renames);
                    view.set(
                        RANK_INPUT,
                        format!("input[{input}]"),
                        wiring,
                        kind_loc.child(input),
                    );
                    true
                });
                true
            }),
            "cachingOptions" => {
                view.entries(value, here, |view, key, value| {
                    key == "enableCache" && {
                        view.set(RANK_CACHING, "caching", Cow::Borrowed(value), here.child(key));
                        true
                    }
                });
                if value.is_object() && value.get("enableCache").is_none() {
                    // KFP writes `cachingOptions: {}` for a task with caching off.
                    view.set(RANK_CACHING, "caching", Cow::Owned(Value::Bool(false)), here);
                }
            }
            "retryPolicy" => view.set(RANK_RETRY, "retryPolicy", Cow::Borrowed(value), here),
            "triggerPolicy" => view.entries(value, here, |view, key, value| {
                let (rank, name) = match key {
                    "condition" => (RANK_CONDITION, "condition"),
                    "strategy" => (RANK_TRIGGER_STRATEGY, "triggerStrategy"),
                    _ => return false,
                };
                view.set(rank, name, Cow::Borrowed(value), here.child(key));
                true
            }),
            "iteratorPolicy" => view.entries(value, here, |view, key, value| {
                key == "parallelismLimit" && {
                    view.set(
                        RANK_PARALLELISM,
                        "parallelism",
                        Cow::Borrowed(value),
                        here.child(key),
                    );
                    true
                }
            }),
            "parameterIterator" => view.set(RANK_ITERATOR, "parameterIterator", Cow::Borrowed(value), here),
            "artifactIterator" => view.set(RANK_ITERATOR, "artifactIterator", Cow::Borrowed(value), here),
            "taskInfo" => view.entries(value, here, |view, key, value| {
                key == "name" && {
                    view.set(
                        RANK_DISPLAY_NAME,
                        "displayName",
                        Cow::Borrowed(value),
                        here.child(key),
                    );
                    true
                }
            }),
            _ => return false,
        }
        true
    });
    if task.is_object() && task.get("dependentTasks").is_none() {
        let none = Cow::Owned(Value::Array(Vec::new()));
        view.set(
            RANK_DEPENDENCIES,
            "dependencies",
            none,
            loc.child("dependentTasks"),
        );
    }
}

/// `dependentTasks` as a sorted list, old names of renamed tasks replaced by the new ones.
fn dependencies(items: &[Value], renames: Option<&HashMap<&str, &str>>) -> Option<Value> {
    let mut names = Vec::with_capacity(items.len());
    for item in items {
        let name = item.as_str()?;
        names.push(
            renames
                .and_then(|renames| renames.get(name).copied())
                .unwrap_or(name),
        );
    }
    names.sort_unstable();
    Some(Value::Array(
        names
            .into_iter()
            .map(|name| Value::String(name.to_string()))
            .collect(),
    ))
}

/// An input wiring with a renamed producer task replaced by its new name.
fn with_renamed_producer<'a>(wiring: &'a Value, renames: Option<&HashMap<&str, &str>>) -> Cow<'a, Value> {
    let Some(renames) = renames else {
        return Cow::Borrowed(wiring);
    };
    for source in ["taskOutputParameter", "taskOutputArtifact"] {
        let producer = wiring
            .get(source)
            .and_then(|s| s.get("producerTask"))
            .and_then(Value::as_str);
        if let Some(new_name) = producer.and_then(|producer| renames.get(producer)) {
            let mut renamed = wiring.clone();
            if let Some(slot) = renamed.get_mut(source).and_then(|s| s.get_mut("producerTask")) {
                *slot = Value::String(new_name.to_string());
            }
            return Cow::Owned(renamed);
        }
    }
    Cow::Borrowed(wiring)
}

fn add_component_fields<'a>(view: &mut View<'a>, component: &'a Value, loc: Loc, nested_tasks_walked: bool) {
    view.entries(component, loc, |view, key, value| {
        let here = loc.child(key);
        match key {
            "executorLabel" => view.set(RANK_EXECUTOR_LABEL, "executor", Cow::Borrowed(value), here),
            "inputDefinitions" | "outputDefinitions" => {
                let (rank, prefix) = if key == "inputDefinitions" {
                    (RANK_COMPONENT_INPUT, "componentInput")
                } else {
                    (RANK_COMPONENT_OUTPUT, "componentOutput")
                };
                view.entries(value, here, |view, kind, definitions| {
                    if kind != "parameters" && kind != "artifacts" {
                        return false;
                    }
                    let kind_loc = here.child(kind);
                    view.entries(definitions, kind_loc, |view, name, definition| {
                        let field = format!("{prefix}[{name}]");
                        view.set(rank, field, Cow::Borrowed(definition), kind_loc.child(name));
                        true
                    });
                    true
                });
            }
            // Nested tasks are compared one by one by the DAG walk.
            "dag" if nested_tasks_walked => view.entries(value, here, |_, key, _| key == "tasks"),
            _ => return false,
        }
        true
    });
}

fn add_executor_fields<'a>(view: &mut View<'a>, executor: &'a Value, loc: Loc) {
    view.entries(executor, loc, |view, key, value| {
        let here = loc.child(key);
        match key {
            "container" => view.entries(value, here, |view, key, value| {
                let field = here.child(key);
                match key {
                    "image" => view.set(RANK_IMAGE, "image", Cow::Borrowed(value), field),
                    "command" => view.set(RANK_COMMAND, "command", Cow::Borrowed(value), field),
                    "args" => view.set(RANK_ARGS, "args", Cow::Borrowed(value), field),
                    "env" => add_env(view, value, field),
                    "resources" => view.entries(value, field, |view, key, value| {
                        let name = format!("resources.{key}");
                        view.set(RANK_RESOURCES, name, Cow::Borrowed(value), field.child(key));
                        true
                    }),
                    _ => return false,
                }
                true
            }),
            "importer" => view.entries(value, here, |view, key, value| {
                view.set(
                    RANK_IMPORTER,
                    format!("importer.{key}"),
                    Cow::Borrowed(value),
                    here.child(key),
                );
                true
            }),
            _ => return false,
        }
        true
    });
}

/// `env[NAME]` per variable: its value, or the whole entry when it has more than a value.
fn add_env<'a>(view: &mut View<'a>, env: &'a Value, loc: Loc) {
    let Some(entries) = keyed_entries(env, &["/name"]) else {
        view.set(RANK_ENV, "env", Cow::Borrowed(env), loc);
        return;
    };
    for (index, (name, entry)) in entries.into_iter().enumerate() {
        let only_value = entry
            .as_object()
            .filter(|map| map.len() == 2)
            .and_then(|map| map.get("value"));
        let value = Cow::Borrowed(only_value.unwrap_or(entry));
        view.set(RANK_ENV, format!("env[{name}]"), value, loc.index(index));
    }
}

/// List entries by id (the first of `id_pointers` that is a string); None when an entry has no
/// id or two entries share one, so the list must be compared whole.
fn keyed_entries<'a>(list: &'a Value, id_pointers: &[&str]) -> Option<Vec<(&'a str, &'a Value)>> {
    let items = list.as_array()?;
    let mut seen = HashSet::with_capacity(items.len());
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let id = id_pointers
            .iter()
            .find_map(|pointer| item.pointer(pointer).and_then(Value::as_str))?;
        if !seen.insert(id) {
            return None;
        }
        out.push((id, item));
    }
    Some(out)
}

/// Kubernetes executor settings of the KFP platform spec whose entries have an id.
const PLATFORM_KEYED_LISTS: &[(&str, &[&str])] = &[
    (
        "secretAsEnv",
        &["/secretName", "/secretNameParameter/runtimeValue/constant"],
    ),
    ("secretAsVolume", &["/mountPath"]),
    (
        "configMapAsEnv",
        &["/configMapName", "/configMapNameParameter/runtimeValue/constant"],
    ),
    ("configMapAsVolume", &["/mountPath"]),
    ("pvcMount", &["/mountPath"]),
    ("emptyDirMounts", &["/mountPath"]),
    ("genericEphemeralVolume", &["/mountPath", "/volumeName"]),
    (
        "imagePullSecret",
        &["/secretName", "/secretNameParameter/runtimeValue/constant"],
    ),
    ("fieldPathAsEnv", &["/name"]),
    ("tolerations", &["/key"]),
];
/// Kubernetes executor settings compared whole.
const PLATFORM_PLAIN: &[&str] = &[
    "imagePullPolicy",
    "activeDeadlineSeconds",
    "enabledSharedMemory",
    "nodeAffinity",
    "podAffinity",
];

fn add_platform_fields<'a>(view: &mut View<'a>, config: &'a Value, loc: Loc) {
    view.entries(config, loc, |view, key, value| {
        let here = loc.child(key);
        match key {
            "nodeSelector" => view.entries(value, here, |view, inner, labels| {
                inner == "labels" && {
                    let labels_loc = here.child(inner);
                    view.entries(labels, labels_loc, |view, label, value| {
                        let name = format!("nodeSelector[{label}]");
                        view.set(RANK_PLATFORM, name, Cow::Borrowed(value), labels_loc.child(label));
                        true
                    });
                    true
                }
            }),
            "podMetadata" => view.entries(value, here, |view, inner, entries| {
                if inner != "labels" && inner != "annotations" {
                    return false;
                }
                let inner_loc = here.child(inner);
                view.entries(entries, inner_loc, |view, entry, value| {
                    let name = format!("podMetadata.{inner}[{entry}]");
                    view.set(RANK_PLATFORM, name, Cow::Borrowed(value), inner_loc.child(entry));
                    true
                });
                true
            }),
            _ => {
                if let Some((list, ids)) = PLATFORM_KEYED_LISTS.iter().find(|(list, _)| *list == key) {
                    match keyed_entries(value, ids) {
                        Some(entries) => {
                            for (index, (id, entry)) in entries.into_iter().enumerate() {
                                let name = format!("{list}[{id}]");
                                view.set(RANK_PLATFORM, name, Cow::Borrowed(entry), here.index(index));
                            }
                        }
                        None => view.set(RANK_PLATFORM, *list, Cow::Borrowed(value), here),
                    }
                } else if let Some(plain) = PLATFORM_PLAIN.iter().find(|plain| **plain == key) {
                    view.set(RANK_PLATFORM, *plain, Cow::Borrowed(value), here);
                } else {
                    return false;
                }
            }
        }
        true
    });
}

fn compare_views(old: &View, new: &View, scope: Scope, name: &str, out: &mut Vec<Change>) {
    let mut old_fields = old.fields.iter().peekable();
    let mut new_fields = new.fields.iter().peekable();
    loop {
        let order = match (old_fields.peek(), new_fields.peek()) {
            (None, None) => return,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((a, _)), Some((b, _))) => a.cmp(b),
        };
        let (key, old_field, new_field) = match order {
            Ordering::Less => match old_fields.next() {
                Some((key, field)) => (key, Some(field), None),
                None => return,
            },
            Ordering::Greater => match new_fields.next() {
                Some((key, field)) => (key, None, Some(field)),
                None => return,
            },
            Ordering::Equal => match (old_fields.next(), new_fields.next()) {
                (Some((key, a)), Some((_, b))) => (key, Some(a), Some(b)),
                _ => return,
            },
        };
        compare_field(&key.1, old_field, new_field, scope, name, out);
    }
}

fn compare_field(
    field: &str,
    old: Option<&Field>,
    new: Option<&Field>,
    scope: Scope,
    name: &str,
    out: &mut Vec<Change>,
) {
    fn generic<'f>(field: Option<&'f Field>) -> Option<&'f str> {
        match field {
            Some(Field::Generic(_, pointer)) => Some(pointer.as_str()),
            _ => None,
        }
    }
    fn value<'f>(field: Option<&'f Field>) -> Option<&'f Value> {
        match field {
            Some(Field::Named(value)) => Some(value.as_ref()),
            Some(Field::Generic(value, _)) => Some(*value),
            None => None,
        }
    }
    let (old_value, new_value) = (value(old), value(new));
    if old_value == new_value {
        return;
    }
    if let Some(pointer) = generic(new).or(generic(old)) {
        let old_pointer = generic(old).unwrap_or(pointer);
        let new_pointer = generic(new).unwrap_or(pointer);
        generic_pair(out, scope, name, old_value, new_value, old_pointer, new_pointer);
        return;
    }
    let op = match (old_value, new_value) {
        (None, _) => Op::Added,
        (_, None) => Op::Removed,
        _ => Op::Changed,
    };
    out.push(Change {
        op,
        scope,
        name: name.to_string(),
        field: Some(field.to_string()),
        before: old_value.cloned(),
        after: new_value.cloned(),
        detail: None,
    });
}

// ---------------------------------------------------------------------------------------------
// Summary and JSON
// ---------------------------------------------------------------------------------------------

/// Human summary, one line per change, grouped: pipeline-level first (pipeline, inputs,
/// outputs), then per task, then components/executors no task uses, then platform settings:
///
/// ```text
/// ~ input learning_rate: default 0.1 → 0.05
/// ~ task train: image python:3.11 → python:3.12
/// + task evaluate (after train)
/// ```
pub fn render_summary(changes: &[Change]) -> String {
    let mut ordered: Vec<&Change> = changes.iter().collect();
    ordered.sort_by(|x, y| {
        x.scope
            .cmp(&y.scope)
            .then_with(|| compare_names(&x.name, &y.name))
    });
    let mut out = String::new();
    for change in ordered {
        out.push_str(&summary_line(change));
        out.push('\n');
    }
    out
}

fn summary_line(change: &Change) -> String {
    let scope = change.scope.as_str();
    let subject = if change.name.is_empty() {
        scope.to_string()
    } else {
        format!("{scope} {}", change.name)
    };
    let detail = change
        .detail
        .as_ref()
        .map(|detail| format!(" ({detail})"))
        .unwrap_or_default();
    let Some(field) = &change.field else {
        return match change.op {
            Op::Added => format!("+ {subject}{detail}"),
            Op::Removed => format!("- {subject}{detail}"),
            Op::Changed => format!("~ {subject}{detail}"),
            Op::Renamed => {
                let old = change
                    .before
                    .as_ref()
                    .map(|old| compact(old, false))
                    .unwrap_or_default();
                format!("~ {scope} {old} → {} (renamed)", change.name)
            }
        };
    };
    // None where a value cannot be shown inline: the line then counts lines instead.
    let before = change
        .before
        .as_ref()
        .and_then(|value| inline_value(field, value));
    let after = change.after.as_ref().and_then(|value| inline_value(field, value));
    match change.op {
        Op::Removed => format!("- {subject}: {field}"),
        Op::Added => match after {
            Some(text) => format!("+ {subject}: {field} {text}"),
            None => {
                let lines = change.after.as_ref().map_or(0, |value| value_lines(value).len());
                let unit = if lines == 1 { "line" } else { "lines" };
                format!("+ {subject}: {field} ({lines} {unit})")
            }
        },
        Op::Changed | Op::Renamed => match (before, after) {
            (Some(old), Some(new)) => format!("~ {subject}: {field} {old} → {new}"),
            _ => {
                let (added, removed) = line_delta(change.before.as_ref(), change.after.as_ref());
                format!("~ {subject}: {field} changed (+{added} -{removed} lines)")
            }
        },
    }
}

/// A value as shown in a summary line, in the field's own terms where it has them; None when
/// it is too long or spans lines.
fn inline_value(field: &str, value: &Value) -> Option<String> {
    let text = if field == "caching" && value.is_boolean() {
        if value.as_bool() == Some(true) {
            "enabled"
        } else {
            "disabled"
        }
        .to_string()
    } else if field.starts_with("input[") {
        describe_wiring(value)
    } else if field.starts_with("componentInput[") || field.starts_with("componentOutput[") {
        describe_definition(value).unwrap_or_else(|| compact(value, false))
    } else if field == "type" {
        describe_type(value).unwrap_or_else(|| compact(value, false))
    } else if field == "source" {
        describe_source(value).unwrap_or_else(|| compact(value, false))
    } else {
        compact(value, false)
    };
    (!has_line_break(value) && text.chars().count() <= INLINE_VALUE_CHARS).then_some(text)
}

fn has_line_break(value: &Value) -> bool {
    match value {
        Value::String(text) => text.contains('\n'),
        Value::Array(items) => items.iter().any(has_line_break),
        Value::Object(map) => map.values().any(has_line_break),
        _ => false,
    }
}

/// How a task input gets its value: `input NAME`, `TASK.OUTPUT`, or a JSON constant.
fn describe_wiring(wiring: &Value) -> String {
    let Some(map) = wiring.as_object().filter(|map| map.len() == 1) else {
        return compact(wiring, false);
    };
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_string);
    let described = match map.iter().next() {
        Some((key, value)) => match key.as_str() {
            "componentInputParameter" | "componentInputArtifact" => {
                text(Some(value)).map(|name| format!("input {name}"))
            }
            "taskOutputParameter" | "taskOutputArtifact" => {
                let producer = text(value.get("producerTask"));
                let output =
                    text(value.get("outputParameterKey")).or_else(|| text(value.get("outputArtifactKey")));
                producer
                    .zip(output)
                    .map(|(producer, output)| format!("{producer}.{output}"))
            }
            "runtimeValue" => value.get("constant").map(|constant| constant.to_string()),
            _ => None,
        },
        None => None,
    };
    described.unwrap_or_else(|| compact(wiring, false))
}

/// Which task output feeds a DAG output: `TASK.OUTPUT`, several joined by `, `.
fn describe_source(source: &Value) -> Option<String> {
    let map = source.as_object().filter(|map| map.len() == 1)?;
    let selector = |value: &Value| {
        let task = value.get("producerSubtask")?.as_str()?;
        let output = value
            .get("outputParameterKey")
            .or_else(|| value.get("outputArtifactKey"))?
            .as_str()?;
        Some(format!("{task}.{output}"))
    };
    match map.iter().next()? {
        (key, value) if key == "valueFromParameter" => selector(value),
        (key, Value::Array(items)) if key == "artifactSelectors" => {
            let parts: Option<Vec<String>> = items.iter().map(selector).collect();
            Some(parts?.join(", "))
        }
        _ => None,
    }
}

/// `NUMBER_INTEGER, default 3.0, optional` for a parameter or artifact definition.
fn describe_definition(definition: &Value) -> Option<String> {
    let map = definition.as_object()?;
    let mut kind = map
        .get("parameterType")
        .or_else(|| map.get("artifactType"))
        .and_then(describe_type)?;
    if map.get("isArtifactList").and_then(Value::as_bool) == Some(true) {
        kind = format!("list of {kind}");
    }
    let mut parts = vec![kind];
    if let Some(default) = map.get("defaultValue") {
        parts.push(format!("default {}", compact(default, false)));
    }
    if map.get("isOptional").and_then(Value::as_bool) == Some(true) {
        parts.push("optional".to_string());
    }
    Some(parts.join(", "))
}

/// `NUMBER_DOUBLE`, or `system.Dataset@0.0.1` for an artifact type.
fn describe_type(kind: &Value) -> Option<String> {
    if let Some(name) = kind.as_str() {
        return Some(name.to_string());
    }
    let title = kind.get("schemaTitle")?.as_str()?;
    Some(match kind.get("schemaVersion").and_then(Value::as_str) {
        Some(version) => format!("{title}@{version}"),
        None => title.to_string(),
    })
}

/// A value on one line: strings bare unless that would mislead, `[a, b]`, `{k: v}`.
fn compact(value: &Value, nested: bool) -> String {
    match value {
        Value::String(text) if is_plain(text, nested) => text.clone(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(|item| compact(item, true)).collect();
            format!("[{}]", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(key, value)| {
                    let key = if is_plain(key, true) {
                        key.clone()
                    } else {
                        Value::String(key.clone()).to_string()
                    };
                    format!("{key}: {}", compact(value, true))
                })
                .collect();
            format!("{{{}}}", entries.join(", "))
        }
        other => other.to_string(),
    }
}

fn is_plain(text: &str, nested: bool) -> bool {
    let looks_like_other_type =
        matches!(text, "true" | "false" | "null" | "~") || text.parse::<f64>().is_ok();
    let ambiguous_in_flow = nested
        && (text.contains([',', '[', ']', '{', '}', '"']) || text.contains(": ") || text.starts_with('\''));
    !text.is_empty()
        && text.trim() == text
        && !text.chars().any(char::is_control)
        && !text.contains(" → ")
        && !looks_like_other_type
        && !ambiguous_in_flow
}

fn value_lines(value: &Value) -> Vec<String> {
    let text = match value {
        Value::String(text) => text.clone(),
        other => crate::yaml::to_string(other).unwrap_or_else(|_| other.to_string()),
    };
    text.lines().map(str::to_string).collect()
}

/// Lines added and removed between two long values.
fn line_delta(before: Option<&Value>, after: Option<&Value>) -> (usize, usize) {
    let old = before.map(value_lines).unwrap_or_default();
    let new = after.map(value_lines).unwrap_or_default();
    let old: Vec<&str> = old.iter().map(String::as_str).collect();
    let new: Vec<&str> = new.iter().map(String::as_str).collect();
    let diff = TextDiff::configure()
        .timeout(LINE_DIFF_TIMEOUT)
        .diff_slices(&old, &new);
    let (mut added, mut removed) = (0, 0);
    for op in diff.ops() {
        let (_, old_range, new_range) = op.as_tag_tuple();
        if op.tag() != DiffTag::Equal {
            removed += old_range.len();
            added += new_range.len();
        }
    }
    (added, removed)
}

/// Stable JSON for scripts and CI bots (see the module documentation for the format).
pub fn to_json(a: &Side, b: &Side, changes: &[Change]) -> Value {
    let mut document = Map::new();
    document.insert("apiVersion".into(), Value::String(API_VERSION.into()));
    document.insert("kind".into(), Value::String(KIND.into()));
    document.insert("from".into(), Value::String(a.label.clone()));
    document.insert("to".into(), Value::String(b.label.clone()));
    document.insert("identical".into(), Value::Bool(changes.is_empty()));
    // Serializing a Change cannot fail: it holds only strings, enums and JSON values.
    let changes = changes
        .iter()
        .map(|change| serde_json::to_value(change).unwrap_or_default())
        .collect();
    document.insert("changes".into(), Value::Array(changes));
    Value::Object(document)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::test_data::{compiled_examples, corpus_path_in_repo, external_corpus};

    /// The documents of a test pipeline (pipeline spec, then platform spec if any):
    /// `variants/NAME.yaml` is the compiled example NAME, another path a file.
    fn load(name: &str) -> Vec<Value> {
        let path = match name.strip_prefix("variants/") {
            Some(_) => corpus_path_in_repo(&format!("pipelines/{name}")),
            None => std::path::PathBuf::from(name),
        };
        let path = path.display();
        let text = std::fs::read_to_string(path.to_string()).unwrap_or_else(|err| panic!("{path}: {err}"));
        crate::yaml::documents(&text).unwrap_or_else(|err| panic!("{path}: {err}"))
    }

    /// The IR files among the compiled examples, then the external corpus's valid pipelines
    /// when present (said when absent).
    fn test_pipelines(test: &str) -> Vec<String> {
        let mut files: Vec<_> = compiled_examples()
            .into_iter()
            .filter(|file| file.parent().is_some_and(|dir| dir.ends_with("ir")))
            .collect();
        files.extend(external_corpus(test, "pipelines/valid").unwrap_or_default());
        files.iter().map(|file| file.display().to_string()).collect()
    }

    fn side<'a>(label: &str, documents: &'a [Value]) -> Side<'a> {
        Side {
            label: label.to_string(),
            pipeline_spec: &documents[0],
            platform_spec: documents.get(1),
        }
    }

    fn summary_of(old: &[Value], new: &[Value]) -> String {
        render_summary(&semantic(&side("a", old), &side("b", new), &Options::default()))
    }

    /// Sets the value at a JSON pointer, or removes it when `value` is None.
    fn edit(document: &mut Value, pointer: &str, value: Option<Value>) {
        let (parent, key) = pointer.rsplit_once('/').expect("pointer with a parent");
        let parent = document
            .pointer_mut(parent)
            .unwrap_or_else(|| panic!("no {parent}"));
        let key = key.replace("~1", "/").replace("~0", "~");
        if let Some(items) = parent.as_array_mut() {
            let index: usize = key.parse().expect("list index");
            match value {
                Some(value) => items[index] = value,
                None => drop(items.remove(index)),
            }
            return;
        }
        let map = parent.as_object_mut().expect("parent is a map or a list");
        match value {
            Some(value) => map.insert(key, value),
            None => map.remove(&key),
        };
    }

    /// Moves the value at `from` to `to` (same parent).
    fn rename_key(document: &mut Value, from: &str, to: &str) {
        let value = document
            .pointer(from)
            .cloned()
            .unwrap_or_else(|| panic!("no {from}"));
        edit(document, from, None);
        edit(document, to, Some(value));
    }

    /// Applies a unified diff to `old`, checking every context and removed line on the way.
    fn apply(old: &str, patch: &str) -> String {
        let old: Vec<&str> = old.split_inclusive('\n').collect();
        let mut out = String::new();
        let mut next = 0;
        let mut lines = patch.lines().skip(2).peekable();
        while let Some(header) = lines.next() {
            assert!(header.starts_with("@@ -"), "hunk header expected, got {header:?}");
            let start: usize = header[4..].split([',', ' ']).next().unwrap().parse().unwrap();
            let count_is_zero = header[4..].split(' ').next().unwrap().ends_with(",0");
            let start = if count_is_zero { start } else { start - 1 };
            for line in &old[next..start] {
                out.push_str(line);
            }
            next = start;
            while let Some(line) = lines.next_if(|line| !line.starts_with("@@")) {
                let (mark, text) = line.split_at(1);
                match mark {
                    " " | "-" => {
                        assert_eq!(old[next].trim_end_matches('\n'), text, "line {}", next + 1);
                        if mark == " " {
                            out.push_str(old[next]);
                        }
                        next += 1;
                    }
                    "+" => {
                        out.push_str(text);
                        out.push('\n');
                    }
                    _ => panic!("unexpected patch line {line:?}"),
                }
            }
        }
        for line in &old[next..] {
            out.push_str(line);
        }
        out
    }

    /// The unified diff must turn one canonical text into the other, and be empty exactly when
    /// the semantic diff is.
    fn check_consistent(old: &Side, new: &Side, options: &Options) {
        let patch = unified(old, new, options);
        let changes = semantic(old, new, options);
        assert_eq!(patch.is_none(), changes.is_empty(), "{patch:?}\n{changes:#?}");
        if let Some(patch) = patch {
            let with_platform = old.platform_spec.is_some() || new.platform_spec.is_some();
            let old_text = canonical_text(old, options, with_platform);
            let new_text = canonical_text(new, options, with_platform);
            assert_eq!(apply(&old_text, &patch), new_text);
        }
    }

    #[test]
    fn train_v1_to_v2_reports_each_designed_change() {
        let (old, new) = (load("variants/train_v1.yaml"), load("variants/train_v2.yaml"));
        assert_eq!(
            summary_of(&old, &new),
            "~ pipeline train: description Prepare data and train a model. → \
             Prepare data, train and evaluate a model.\n\
             - input epochs\n\
             ~ input learning_rate: default 0.1 → 0.05\n\
             + task evaluate (after train)\n\
             ~ task prepare: caching enabled → disabled\n\
             ~ task train: image python:3.11 → python:3.12\n\
             ~ task train: command changed (+2 -2 lines)\n\
             - task train: input[epochs]\n\
             - task train: componentInput[epochs]\n"
        );
        check_consistent(&side("a", &old), &side("b", &new), &Options::default());
    }

    #[test]
    fn train_v1_to_v2_as_json() {
        let (old, new) = (load("variants/train_v1.yaml"), load("variants/train_v2.yaml"));
        let (old, new) = (side("train@v1", &old), side("train@v2", &new));
        let changes = semantic(&old, &new, &Options::default());
        let document = to_json(&old, &new, &changes);
        assert_eq!(document["apiVersion"], "kubectl-kfp.io/v1");
        assert_eq!(document["kind"], "PipelineDiff");
        assert_eq!(document["from"], "train@v1");
        assert_eq!(document["to"], "train@v2");
        assert_eq!(document["identical"], false);
        let listed = document["changes"].as_array().expect("changes is a list");
        assert_eq!(listed.len(), 9);
        assert!(listed.contains(&json!({
            "op": "changed", "scope": "task", "name": "train", "field": "image",
            "before": "python:3.11", "after": "python:3.12", "detail": null
        })));
        assert!(listed.contains(&json!({
            "op": "changed", "scope": "input", "name": "learning_rate", "field": "default",
            "before": 0.1, "after": 0.05, "detail": null
        })));
        assert!(listed.contains(&json!({
            "op": "changed", "scope": "task", "name": "prepare", "field": "caching",
            "before": true, "after": false, "detail": null
        })));
        assert!(listed.contains(&json!({
            "op": "removed", "scope": "input", "name": "epochs", "field": null,
            "before": {"defaultValue": 3.0, "isOptional": true, "parameterType": "NUMBER_INTEGER"},
            "detail": null
        })));
        let added = listed
            .iter()
            .find(|change| change["op"] == "added")
            .expect("an added task");
        assert_eq!(added["name"], "evaluate");
        assert_eq!(added["detail"], "after train");
        assert_eq!(added["after"]["componentRef"]["name"], "comp-evaluate");
        assert!(added.get("before").is_none(), "absent side is omitted: {added}");
    }

    #[test]
    fn identical_specs_have_no_difference() {
        let spec = load("variants/with_platform.yaml");
        let copy = spec.clone();
        let (old, new) = (side("a", &spec), side("b", &copy));
        assert_eq!(unified(&old, &new, &Options::default()), None);
        let changes = semantic(&old, &new, &Options::default());
        assert!(changes.is_empty());
        assert_eq!(render_summary(&changes), "");
        assert_eq!(
            to_json(&old, &new, &changes),
            json!({"apiVersion": "kubectl-kfp.io/v1", "kind": "PipelineDiff", "from": "a", "to": "b",
                   "identical": true, "changes": []})
        );
    }

    #[test]
    fn key_order_and_yaml_style_make_no_difference() {
        let block = std::fs::read_to_string(crate::test_data::example("train_v1")).unwrap();
        let spec = crate::yaml::documents(&block).unwrap();
        // The same spec as one line of flow-style JSON with the keys in reverse order, and in
        // YAML with other quoting.
        fn reversed(value: &Value) -> String {
            match value {
                Value::Object(map) => {
                    let entries: Vec<String> = map
                        .iter()
                        .rev()
                        .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), reversed(v)))
                        .collect();
                    format!("{{{}}}", entries.join(", "))
                }
                Value::Array(items) => {
                    format!("[{}]", items.iter().map(reversed).collect::<Vec<_>>().join(", "))
                }
                other => other.to_string(),
            }
        }
        let flow = crate::yaml::documents(&reversed(&spec[0])).unwrap();
        let requoted = block
            .replace("name: train\n", "name: \"train\"\n")
            .replace("image: python:3.11", "image: 'python:3.11'");
        assert_ne!(requoted, block);
        let requoted = crate::yaml::documents(&requoted).unwrap();
        for other in [&flow, &requoted] {
            let (old, new) = (side("a", &spec), side("b", other));
            assert_eq!(unified(&old, &new, &Options::default()), None);
            assert!(semantic(&old, &new, &Options::default()).is_empty());
        }
    }

    #[test]
    fn loop_parallelism_change_is_reported_on_the_nested_loop_task() {
        let old = load("variants/fanout.yaml");
        let mut new = old.clone();
        let pointer = "/components/comp-exit-handler-1/dag/tasks/for-loop-2/iteratorPolicy/parallelismLimit";
        assert_eq!(new[0].pointer(pointer), Some(&json!(2)));
        edit(&mut new[0], pointer, Some(json!(4)));
        assert_eq!(
            summary_of(&old, &new),
            "~ task exit-handler-1/for-loop-2: parallelism 2 → 4\n"
        );
        check_consistent(&side("a", &old), &side("b", &new), &Options::default());
    }

    #[test]
    fn condition_and_trigger_changes_are_reported() {
        let old = load("variants/fanout.yaml");
        let mut new = old.clone();
        let condition = "/components/comp-exit-handler-1/dag/tasks/condition-3/triggerPolicy/condition";
        edit(
            &mut new[0],
            condition,
            Some(json!(
                "inputs.parameter_values['pipelinechannel--verbose'] == false"
            )),
        );
        edit(&mut new[0], "/root/dag/tasks/report/triggerPolicy", None);
        assert_eq!(
            summary_of(&old, &new),
            "~ task exit-handler-1/condition-3: condition \
             inputs.parameter_values['pipelinechannel--verbose'] == true → \
             inputs.parameter_values['pipelinechannel--verbose'] == false\n\
             - task report: triggerStrategy\n"
        );
    }

    #[test]
    fn an_added_nested_task_is_named_by_its_path() {
        let old = load("variants/fanout.yaml");
        let mut new = old.clone();
        let mut task = new[0]["components"]["comp-for-loop-2"]["dag"]["tasks"]["work"].clone();
        task["dependentTasks"] = json!(["work"]);
        task["taskInfo"]["name"] = json!("work-2");
        edit(
            &mut new[0],
            "/components/comp-for-loop-2/dag/tasks/work-2",
            Some(task),
        );
        assert_eq!(
            summary_of(&old, &new),
            "+ task exit-handler-1/for-loop-2/work-2 (after work)\n"
        );
        check_consistent(&side("a", &old), &side("b", &new), &Options::default());
    }

    #[test]
    fn a_removed_input_is_reported_once() {
        let old = load("variants/train_v1.yaml");
        let mut new = old.clone();
        edit(&mut new[0], "/root/inputDefinitions/parameters/rows", None);
        assert_eq!(summary_of(&old, &new), "- input rows\n");
        assert_eq!(
            summary_of(&new, &old),
            "+ input rows (NUMBER_INTEGER, default 1000.0, optional)\n"
        );
    }

    #[test]
    fn an_image_change_is_reported_on_every_task_using_the_executor() {
        let old = load("variants/train_v1.yaml");
        let mut new = old.clone();
        edit(
            &mut new[0],
            "/deploymentSpec/executors/exec-prepare/container/image",
            Some(json!("python:3.13-slim")),
        );
        assert_eq!(
            summary_of(&old, &new),
            "~ task prepare: image python:3.11 → python:3.13-slim\n"
        );

        // Two tasks sharing one component and executor: both are affected.
        let mut shared = old.clone();
        let mut again = shared[0]["root"]["dag"]["tasks"]["prepare"].clone();
        again["taskInfo"]["name"] = json!("prepare-2");
        edit(&mut shared[0], "/root/dag/tasks/prepare-2", Some(again));
        let mut changed = shared.clone();
        edit(
            &mut changed[0],
            "/deploymentSpec/executors/exec-prepare/container/image",
            Some(json!("python:3.13")),
        );
        assert_eq!(
            summary_of(&shared, &changed),
            "~ task prepare: image python:3.11 → python:3.13\n\
             ~ task prepare-2: image python:3.11 → python:3.13\n"
        );
    }

    #[test]
    fn container_details_are_reported_by_field() {
        let old = load("variants/train_v1.yaml");
        let mut new = old.clone();
        let container = "/deploymentSpec/executors/exec-train/container";
        edit(
            &mut new[0],
            &format!("{container}/resources"),
            Some(json!({"cpuLimit": 2.0, "memoryLimit": 4e9})),
        );
        edit(
            &mut new[0],
            &format!("{container}/env"),
            Some(json!([{"name": "DEBUG", "value": "1"}])),
        );
        edit(&mut new[0], &format!("{container}/args/3"), None);
        let mut base = old.clone();
        edit(
            &mut base[0],
            &format!("{container}/resources"),
            Some(json!({"cpuLimit": 1.0})),
        );
        edit(
            &mut base[0],
            &format!("{container}/env"),
            Some(json!([{"name": "MODE", "value": "fast"}])),
        );
        assert_eq!(
            summary_of(&base, &new),
            "~ task train: args [--executor_input, \"{{$}}\", --function_to_execute, train] → \
             [--executor_input, \"{{$}}\", --function_to_execute]\n\
             + task train: env[DEBUG] \"1\"\n\
             - task train: env[MODE]\n\
             ~ task train: resources.cpuLimit 1.0 → 2.0\n\
             + task train: resources.memoryLimit 4000000000.0\n"
        );
    }

    #[test]
    fn platform_changes_are_reported_per_task_and_setting() {
        let old = load("variants/with_platform.yaml");
        let mut new = old.clone();
        let executor = "/platforms/kubernetes/deploymentSpec/executors/exec-fetch";
        edit(
            &mut new[1],
            &format!("{executor}/nodeSelector/labels/gpu"),
            Some(json!("false")),
        );
        edit(&mut new[1], &format!("{executor}/secretAsEnv"), Some(json!([])));
        edit(
            &mut new[1],
            &format!("{executor}/pvcMount/0/mountPath"),
            Some(json!("/scratch")),
        );
        edit(
            &mut new[1],
            &format!("{executor}/tolerations"),
            Some(json!([{"key": "gpu", "operator": "Exists"}])),
        );
        assert_eq!(
            summary_of(&old, &new),
            "~ platform fetch: nodeSelector[gpu] \"true\" → \"false\"\n\
             - platform fetch: pvcMount[/cache]\n\
             + platform fetch: pvcMount[/scratch] (5 lines)\n\
             - platform fetch: secretAsEnv[s3-creds]\n\
             + platform fetch: tolerations[gpu] {key: gpu, operator: Exists}\n"
        );
        check_consistent(&side("a", &old), &side("b", &new), &Options::default());

        // A platform spec that appears: every setting is new.
        let bare = vec![old[0].clone()];
        assert_eq!(
            summary_of(&bare, &old)
                .lines()
                .map(|line| line.split(' ').take(3).collect::<Vec<_>>().join(" "))
                .collect::<Vec<_>>(),
            ["+ platform fetch:", "+ platform fetch:", "+ platform fetch:"]
        );
        check_consistent(&side("a", &bare), &side("b", &old), &Options::default());
    }

    #[test]
    fn platform_settings_outside_executors_are_reported_generically() {
        let old = load("variants/with_platform.yaml");
        let mut new = old.clone();
        edit(
            &mut new[1],
            "/platforms/kubernetes/pipelineConfig",
            Some(json!({"workspace": {"size": "10Gi"}})),
        );
        edit(
            &mut new[1],
            "/platforms/kubernetes/deploymentSpec/executors/exec-fetch/futureSetting",
            Some(json!(true)),
        );
        assert_eq!(
            summary_of(&old, &new),
            "+ platform fetch: /platforms/kubernetes/deploymentSpec/executors/exec-fetch/futureSetting true\n\
             + platform kubernetes: /platforms/kubernetes/pipelineConfig {workspace: {size: 10Gi}}\n"
        );
    }

    /// train_v1 with task `prepare` renamed to `load`, and its component and executor with it.
    fn renamed_prepare(old: &[Value]) -> Vec<Value> {
        let mut new = old.to_vec();
        let spec = &mut new[0];
        rename_key(spec, "/root/dag/tasks/prepare", "/root/dag/tasks/load");
        rename_key(spec, "/components/comp-prepare", "/components/comp-load");
        rename_key(
            spec,
            "/deploymentSpec/executors/exec-prepare",
            "/deploymentSpec/executors/exec-load",
        );
        edit(spec, "/root/dag/tasks/load/taskInfo/name", Some(json!("load")));
        edit(
            spec,
            "/root/dag/tasks/load/componentRef/name",
            Some(json!("comp-load")),
        );
        edit(
            spec,
            "/components/comp-load/executorLabel",
            Some(json!("exec-load")),
        );
        edit(
            spec,
            "/root/dag/tasks/train/dependentTasks",
            Some(json!(["load"])),
        );
        edit(
            spec,
            "/root/dag/tasks/train/inputs/parameters/data/taskOutputParameter/producerTask",
            Some(json!("load")),
        );
        new
    }

    #[test]
    fn a_renamed_task_is_one_change() {
        let old = load("variants/train_v1.yaml");
        let new = renamed_prepare(&old);
        let changes = semantic(&side("a", &old), &side("b", &new), &Options::default());
        assert_eq!(render_summary(&changes), "~ task prepare → load (renamed)\n");
        assert_eq!(
            serde_json::to_value(&changes[0]).unwrap(),
            json!({"op": "renamed", "scope": "task", "name": "load", "field": null,
                   "before": "prepare", "after": "load", "detail": null})
        );
        check_consistent(&side("a", &old), &side("b", &new), &Options::default());

        // Renamed and changed: the rename and the change on the new name.
        let mut changed = new.clone();
        edit(
            &mut changed[0],
            "/root/dag/tasks/load/cachingOptions/enableCache",
            Some(json!(false)),
        );
        assert_eq!(
            summary_of(&old, &changed),
            "~ task prepare → load (renamed)\n~ task load: caching enabled → disabled\n"
        );
    }

    #[test]
    fn a_task_with_new_content_and_name_is_removed_and_added() {
        let old = load("variants/train_v1.yaml");
        let mut new = renamed_prepare(&old);
        edit(
            &mut new[0],
            "/deploymentSpec/executors/exec-load/container/image",
            Some(json!("python:3.12")),
        );
        assert_eq!(
            summary_of(&old, &new),
            "+ task load\n\
             - task prepare\n\
             ~ task train: dependencies [prepare] → [load]\n\
             ~ task train: input[data] prepare.Output → load.Output\n"
        );
    }

    #[test]
    fn changed_dependencies_are_reported() {
        let old = load("variants/train_v2.yaml");
        let mut new = old.clone();
        edit(
            &mut new[0],
            "/root/dag/tasks/evaluate/dependentTasks",
            Some(json!(["train", "prepare"])),
        );
        assert_eq!(
            summary_of(&old, &new),
            "~ task evaluate: dependencies [train] → [prepare, train]\n"
        );
    }

    #[test]
    fn sdk_version_is_ignored_only_when_asked() {
        let old = load("variants/train_v1.yaml");
        let mut new = old.clone();
        edit(&mut new[0], "/sdkVersion", Some(json!("kfp-2.18.0")));
        let (a, b) = (side("a", &old), side("b", &new));
        let ignore = Options {
            ignore_sdk_version: true,
            ..Options::default()
        };
        assert_eq!(unified(&a, &b, &ignore), None);
        assert!(semantic(&a, &b, &ignore).is_empty());
        assert_eq!(
            summary_of(&old, &new),
            "~ pipeline train: sdkVersion kfp-2.17.3 → kfp-2.18.0\n"
        );
        assert_eq!(
            unified(
                &a,
                &b,
                &Options {
                    context_lines: 1,
                    ..Options::default()
                }
            )
            .as_deref(),
            Some(
                "--- a\n+++ b\n@@ -148,2 +148,2 @@\n schemaVersion: 2.1.0\n\
                 -sdkVersion: kfp-2.17.3\n+sdkVersion: kfp-2.18.0\n"
            )
        );
        // Other changes still show, without the SDK version line.
        edit(&mut new[0], "/schemaVersion", Some(json!("2.2.0")));
        let (a, b) = (side("a", &old), side("b", &new));
        let patch = unified(&a, &b, &ignore).expect("a difference");
        assert!(!patch.contains("sdkVersion"), "{patch}");
        assert_eq!(
            render_summary(&semantic(&a, &b, &ignore)),
            "~ pipeline train: schemaVersion 2.1.0 → 2.2.0\n"
        );
        check_consistent(&a, &b, &ignore);
    }

    #[test]
    fn unknown_fields_are_reported_by_json_pointer() {
        let old = load("variants/train_v1.yaml");
        let mut new = old.clone();
        edit(
            &mut new[0],
            "/root/dag/tasks/train/newTaskOption",
            Some(json!({"level": 3})),
        );
        edit(
            &mut new[0],
            "/deploymentSpec/executors/exec-train/container/lifecycle",
            Some(json!("keep")),
        );
        edit(
            &mut new[0],
            "/defaultPipelineRoot",
            Some(json!("s3://bucket/root")),
        );
        edit(
            &mut new[0],
            "/root/dag/outputs",
            Some(json!({"parameters": {"Output": {"valueFromParameter": {
            "outputParameterKey": "Output", "producerSubtask": "train"}}}})),
        );
        assert_eq!(
            summary_of(&old, &new),
            "+ pipeline train: /defaultPipelineRoot s3://bucket/root\n\
             + output Output\n\
             + task train: /deploymentSpec/executors/exec-train/container/lifecycle keep\n\
             + task train: /root/dag/tasks/train/newTaskOption {level: 3}\n"
        );
        check_consistent(&side("a", &old), &side("b", &new), &Options::default());
    }

    #[test]
    fn meaningless_differences_still_show_when_nothing_else_differs() {
        let old = load("variants/train_v2.yaml");
        let mut new = old.clone();
        edit(
            &mut new[0],
            "/root/dag/tasks/prepare/cachingOptions",
            Some(json!({"enableCache": false})),
        );
        assert_eq!(
            summary_of(&old, &new),
            "+ pipeline train: /root/dag/tasks/prepare/cachingOptions/enableCache false\n"
        );
        check_consistent(&side("a", &old), &side("b", &new), &Options::default());
    }

    #[test]
    fn components_and_executors_no_task_uses_have_their_own_scope() {
        let old = load("variants/train_v1.yaml");
        let mut new = old.clone();
        let unused = new[0]["components"]["comp-train"].clone();
        edit(&mut new[0], "/components/comp-unused", Some(unused));
        edit(
            &mut new[0],
            "/deploymentSpec/executors/exec-prepare-old",
            Some(json!({"container": {"image": "busybox"}})),
        );
        let mut newer = new.clone();
        edit(
            &mut newer[0],
            "/components/comp-unused/executorLabel",
            Some(json!("exec-other")),
        );
        assert_eq!(
            summary_of(&old, &new),
            "+ component comp-unused\n+ executor exec-prepare-old\n"
        );
        assert_eq!(
            summary_of(&new, &newer),
            "~ component comp-unused: executor exec-train → exec-other\n"
        );
        check_consistent(&side("a", &new), &side("b", &newer), &Options::default());
    }

    #[test]
    fn outputs_are_compared_with_their_sources() {
        let mut old = load("variants/train_v1.yaml");
        edit(
            &mut old[0],
            "/root/outputDefinitions",
            Some(json!({"parameters": {"score": {"parameterType": "NUMBER_DOUBLE"}}})),
        );
        edit(
            &mut old[0],
            "/root/dag/outputs",
            Some(json!({"parameters": {"score": {"valueFromParameter": {
            "outputParameterKey": "Output", "producerSubtask": "train"}}}})),
        );
        let mut new = old.clone();
        edit(
            &mut new[0],
            "/root/outputDefinitions/parameters/score/parameterType",
            Some(json!("STRING")),
        );
        edit(
            &mut new[0],
            "/root/dag/outputs/parameters/score/valueFromParameter/producerSubtask",
            Some(json!("prepare")),
        );
        assert_eq!(
            summary_of(&old, &new),
            "~ output score: type NUMBER_DOUBLE → STRING\n\
             ~ output score: source train.Output → prepare.Output\n"
        );
        let mut removed = old.clone();
        edit(&mut removed[0], "/root/outputDefinitions/parameters/score", None);
        edit(&mut removed[0], "/root/dag/outputs/parameters/score", None);
        assert_eq!(summary_of(&old, &removed), "- output score\n");
        assert_eq!(summary_of(&removed, &old), "+ output score (NUMBER_DOUBLE)\n");
    }

    #[test]
    fn a_dag_that_contains_itself_does_not_hang() {
        let old = load("variants/fanout.yaml");
        let mut new = old.clone();
        // comp-for-loop-2 runs itself: a broken spec, compared as far as it makes sense.
        let mut task = new[0]["components"]["comp-exit-handler-1"]["dag"]["tasks"]["for-loop-2"].clone();
        task["taskInfo"]["name"] = json!("again");
        edit(
            &mut new[0],
            "/components/comp-for-loop-2/dag/tasks/again",
            Some(task),
        );
        let mut newer = new.clone();
        edit(
            &mut newer[0],
            "/components/comp-work/executorLabel",
            Some(json!("exec-report")),
        );
        assert_eq!(
            summary_of(&old, &new),
            "+ task exit-handler-1/for-loop-2/again (after shard)\n"
        );
        // The nested copy is not walked again: its changes show once, on the outer task.
        assert_eq!(
            summary_of(&new, &newer),
            "~ task exit-handler-1/for-loop-2/work: command changed (+2 -2 lines)\n\
             ~ task exit-handler-1/for-loop-2/work: args \
             [--executor_input, \"{{$}}\", --function_to_execute, work] → \
             [--executor_input, \"{{$}}\", --function_to_execute, report]\n\
             ~ task exit-handler-1/for-loop-2/work: executor exec-work → exec-report\n"
        );
        check_consistent(&side("a", &new), &side("b", &newer), &Options::default());
    }

    /// Random edits anywhere in real specs (malformed ones included): no panic, the unified
    /// diff applies, and the semantic diff is empty exactly when the unified one is.
    #[test]
    fn random_edits_are_reported_consistently() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |bound: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound as u64) as usize
        };
        let files = [
            "variants/train_v1.yaml",
            "variants/fanout.yaml",
            "variants/with_platform.yaml",
            "variants/train_v2.yaml",
            "variants/chain.yaml",
        ];
        for file in files {
            let old = load(file);
            for _ in 0..24 {
                let mut new = old.clone();
                for _ in 0..=next(3) {
                    let document = next(new.len());
                    mutate(&mut new[document], &mut next);
                }
                for options in [
                    Options::default(),
                    Options {
                        context_lines: 0,
                        ignore_sdk_version: true,
                    },
                ] {
                    check_consistent(&side("a", &old), &side("b", &new), &options);
                }
            }
        }
    }

    /// Walks down a random path and changes, removes, adds or replaces what it finds there.
    fn mutate(value: &mut Value, next: &mut impl FnMut(usize) -> usize) {
        let children = match value {
            Value::Object(map) => map.len(),
            Value::Array(items) => items.len(),
            _ => 0,
        };
        if children > 0 && next(4) != 0 {
            let index = next(children);
            let child = match value {
                Value::Object(map) => map.values_mut().nth(index),
                Value::Array(items) => items.get_mut(index),
                _ => None,
            };
            if let Some(child) = child {
                mutate(child, next);
            }
            return;
        }
        let replacements = [
            json!(null),
            json!(7),
            json!("text"),
            json!("two\nlines\n"),
            json!([1, "x"]),
            json!({}),
        ];
        match (value, next(3)) {
            (Value::Object(map), 0) if !map.is_empty() => {
                let key = map.keys().nth(next(map.len())).cloned().unwrap_or_default();
                map.remove(&key);
            }
            (Value::Object(map), 1) => {
                map.insert(
                    format!("added-{}", next(1000)),
                    replacements[next(replacements.len())].clone(),
                );
            }
            (Value::Array(items), 0) if !items.is_empty() => {
                items.remove(next(items.len()));
            }
            (value, _) => *value = replacements[next(replacements.len())].clone(),
        }
    }

    #[test]
    fn maps_iterate_in_key_order() {
        // zip_maps and the segment order rely on it: serde_json must not have `preserve_order`.
        let map = json!({"b": 1, "a": 2, "c": 3});
        let keys: Vec<&String> = map.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["a", "b", "c"]);
    }

    #[test]
    fn summary_values_are_compact() {
        assert_eq!(compact(&json!("python:3.11"), false), "python:3.11");
        assert_eq!(compact(&json!("3"), false), "\"3\"");
        assert_eq!(compact(&json!("true"), false), "\"true\"");
        assert_eq!(compact(&json!(""), false), "\"\"");
        assert_eq!(compact(&json!(" padded"), false), "\" padded\"");
        assert_eq!(compact(&json!("a, b"), false), "a, b");
        assert_eq!(compact(&json!(["a, b", "c"]), false), "[\"a, b\", c]");
        assert_eq!(compact(&json!({"k": [1, null]}), false), "{k: [1, null]}");
        assert_eq!(
            describe_wiring(&json!({"runtimeValue": {"constant": "done"}})),
            "\"done\""
        );
        assert_eq!(
            describe_wiring(&json!({"componentInputParameter": "rows"})),
            "input rows"
        );
        assert_eq!(
            describe_definition(
                &json!({"artifactType": {"schemaTitle": "system.Dataset", "schemaVersion": "0.0.1"},
                                        "isArtifactList": true})
            ),
            Some("list of system.Dataset@0.0.1".to_string())
        );
        let long = Change {
            op: Op::Changed,
            scope: Scope::Executor,
            name: "exec-a".into(),
            field: Some("command".into()),
            before: Some(json!(["sh", "-c", "one\ntwo\nthree"])),
            after: Some(json!(["sh", "-c", "one\n2\nthree\nfour"])),
            detail: None,
        };
        assert_eq!(
            summary_line(&long),
            "~ executor exec-a: command changed (+2 -1 lines)"
        );
    }

    /// Every segment whose line count is computed must have that many lines when rendered.
    fn check_line_counts(spec: &Side) -> usize {
        let mut counted = 0;
        for segment in segments(spec, None, true) {
            if let Some(count) = segment_lines(&segment) {
                let text = render_segment(&segment);
                assert_eq!(
                    count,
                    text.split_inclusive('\n').count(),
                    "{}: {text}",
                    spec.label
                );
                counted += 1;
            }
        }
        counted
    }

    #[test]
    fn canonical_text_is_the_yaml_of_the_whole_document() {
        let mut checked = 0;
        let names =
            test_pipelines("canonical_text_is_the_yaml_of_the_whole_document (on the external corpus)");
        for name in &names {
            let documents = load(name);
            let spec = side(name, &documents);
            let expected = match spec.platform_spec {
                Some(platform) => {
                    format!(
                        "{}---\n{}",
                        crate::yaml::to_string(spec.pipeline_spec).unwrap(),
                        crate::yaml::to_string(platform).unwrap()
                    )
                }
                None => crate::yaml::to_string(spec.pipeline_spec).unwrap(),
            };
            assert_eq!(
                canonical_text(&spec, &Options::default(), spec.platform_spec.is_some()),
                expected,
                "{name}"
            );
            assert!(check_line_counts(&spec) > 0);
            checked += 1;
        }
        assert_eq!(checked, names.len());
        let (big, _) = big_pair(300);
        let documents = [big];
        let spec = side("big", &documents);
        assert!(segments(&spec, None, false).len() > 900, "big maps are split");
        assert_eq!(
            canonical_text(&spec, &Options::default(), false),
            crate::yaml::to_string(&documents[0]).unwrap()
        );
        assert!(check_line_counts(&spec) > 900);
        // Awkward strings and keys, split into segments too.
        let mut odd = Map::new();
        for index in 0..300 {
            // Text whose line count is computed, and text left to rendering, in turns.
            let value = if index % 2 == 0 {
                json!({
                    "a": "x\n\n", "b": " lead\n", "c": "", "d": "'q'",
                    "e": [1.5, null, [], {}, [[1, 2], {"k": "v\n"}]],
                    "f": "\n", "g": "\n\nx", "k": "é\n→\n", "n": "1\n2", "o": "- a\n- b", "p": "# c\n: d\n"
                })
            } else {
                json!({
                    "h": "tab\there\nnext", "i": "space \nbreak", "j": "end \n", "l": "cr\rlf",
                    "m": "emoji 🙂\nline"
                })
            };
            odd.insert(format!("key {index}: x"), value);
        }
        odd.insert("k".repeat(200), json!({"nested": "yes"}));
        let odd = json!({"outer": {"inner": odd, "true": {"1": 2}}, "trailing": "end\n\n\n"});
        let documents = [odd];
        let spec = side("odd", &documents);
        assert!(segments(&spec, None, false).len() > 300);
        assert_eq!(
            canonical_text(&spec, &Options::default(), false),
            crate::yaml::to_string(&documents[0]).unwrap()
        );
        assert!(check_line_counts(&spec) >= 150);
    }

    #[test]
    fn every_valid_pipeline_against_the_next_is_consistent() {
        let names =
            test_pipelines("every_valid_pipeline_against_the_next_is_consistent (on the external corpus)");
        let all: Vec<Vec<Value>> = names.iter().map(|name| load(name)).collect();
        for pair in all.windows(2) {
            let (old, new) = (side("a", &pair[0]), side("b", &pair[1]));
            check_consistent(&old, &new, &Options::default());
            check_consistent(&old, &old, &Options::default());
        }
    }

    #[test]
    fn big_specs_diff_correctly() {
        let (old, new) = big_pair(2000);
        let (old, new) = ([old], [new]);
        let (a, b) = (side("a", &old), side("b", &new));
        let summary = render_summary(&semantic(&a, &b, &Options::default()));
        assert_eq!(
            summary,
            "~ pipeline big: description Many tasks. → Many tasks, a few changed.\n\
             ~ input learning_rate: default 0.1 → 0.2\n\
             ~ task train-5: image python:3.11 → python:3.12\n\
             ~ task train-500: image python:3.11 → python:3.12\n\
             ~ task train-1000: caching enabled → disabled\n\
             - task train-1500 (after train-1499)\n\
             ~ task train-1501: dependencies [train-1500] → []\n\
             ~ task train-1501: input[data] train-1500.Output → input data\n\
             + task train-new (after train-1999)\n\
             ~ task train-700 → train-renamed (renamed)\n"
        );
        check_consistent(&a, &b, &Options::default());
    }

    /// A spec like train_v1 with `tasks` copies of the task `train`, each with its own component
    /// and executor (about 2.5 KB per task), and a copy with a few changes.
    fn big_pair(tasks: usize) -> (Value, Value) {
        let base = load("variants/train_v1.yaml").remove(0);
        let task = &base["root"]["dag"]["tasks"]["train"];
        let component = &base["components"]["comp-train"];
        let executor = &base["deploymentSpec"]["executors"]["exec-train"];
        let (mut all_tasks, mut components, mut executors) = (Map::new(), Map::new(), Map::new());
        for index in 0..tasks {
            let name = format!("train-{index}");
            let mut task = task.clone();
            task["componentRef"]["name"] = json!(format!("comp-{name}"));
            task["taskInfo"]["name"] = json!(name);
            match index {
                0 => {
                    task.as_object_mut().unwrap().remove("dependentTasks");
                    task["inputs"]["parameters"]["data"] = json!({"componentInputParameter": "data"});
                }
                _ => {
                    task["dependentTasks"] = json!([format!("train-{}", index - 1)]);
                    task["inputs"]["parameters"]["data"]["taskOutputParameter"]["producerTask"] =
                        json!(format!("train-{}", index - 1));
                }
            }
            all_tasks.insert(name.clone(), task);
            let mut component = component.clone();
            component["executorLabel"] = json!(format!("exec-{name}"));
            components.insert(format!("comp-{name}"), component);
            let mut executor = executor.clone();
            let function = format!("train_{index}");
            let body: String = (0..12)
                .map(|line| format!("    step_{line} = learning_rate * {line}  # {function}\n"))
                .collect();
            executor["container"]["args"][3] = json!(function);
            executor["container"]["command"][5] = json!(format!(
                "\nimport kfp\nfrom kfp import dsl\n\n\
                 def {function}(data: str, learning_rate: float, epochs: int) -> float:\n\
                 {body}    return learning_rate * epochs\n"
            ));
            executors.insert(format!("exec-{name}"), executor);
        }
        let mut old = base.clone();
        old["root"]["dag"]["tasks"] = Value::Object(all_tasks);
        old["components"] = Value::Object(components);
        old["deploymentSpec"]["executors"] = Value::Object(executors);
        old["pipelineInfo"] = json!({"name": "big", "description": "Many tasks."});
        old["root"]["inputDefinitions"]["parameters"]["data"] = json!({"parameterType": "STRING"});

        let mut new = old.clone();
        edit(
            &mut new,
            "/pipelineInfo/description",
            Some(json!("Many tasks, a few changed.")),
        );
        edit(
            &mut new,
            "/root/inputDefinitions/parameters/learning_rate/defaultValue",
            Some(json!(0.2)),
        );
        for index in [5, 500] {
            let pointer = format!("/deploymentSpec/executors/exec-train-{index}/container/image");
            if new.pointer(&pointer).is_some() {
                edit(&mut new, &pointer, Some(json!("python:3.12")));
            }
        }
        if tasks > 1501 {
            edit(
                &mut new,
                "/root/dag/tasks/train-1000/cachingOptions/enableCache",
                Some(json!(false)),
            );
            edit(&mut new, "/root/dag/tasks/train-1500", None);
            edit(&mut new, "/root/dag/tasks/train-1501/dependentTasks", None);
            edit(
                &mut new,
                "/root/dag/tasks/train-1501/inputs/parameters/data",
                Some(json!({"componentInputParameter": "data"})),
            );
            let mut renamed = new["root"]["dag"]["tasks"]["train-700"].clone();
            renamed["taskInfo"]["name"] = json!("train-renamed");
            edit(&mut new, "/root/dag/tasks/train-700", None);
            edit(&mut new, "/root/dag/tasks/train-renamed", Some(renamed));
            edit(
                &mut new,
                "/root/dag/tasks/train-701/dependentTasks",
                Some(json!(["train-renamed"])),
            );
            edit(
                &mut new,
                "/root/dag/tasks/train-701/inputs/parameters/data/taskOutputParameter/producerTask",
                Some(json!("train-renamed")),
            );
            let mut extra = new["root"]["dag"]["tasks"]["train-1999"].clone();
            extra["taskInfo"]["name"] = json!("train-new");
            extra["componentRef"]["name"] = json!("comp-train-new");
            extra["dependentTasks"] = json!(["train-1999"]);
            extra["inputs"]["parameters"]["data"]["taskOutputParameter"]["producerTask"] =
                json!("train-1999");
            edit(&mut new, "/root/dag/tasks/train-new", Some(extra));
            let mut component = new["components"]["comp-train-1999"].clone();
            component["executorLabel"] = json!("exec-train-new");
            edit(&mut new, "/components/comp-train-new", Some(component));
            let mut executor = new["deploymentSpec"]["executors"]["exec-train-1999"].clone();
            executor["container"]["args"][3] = json!("train_new");
            edit(
                &mut new,
                "/deploymentSpec/executors/exec-train-new",
                Some(executor),
            );
        }
        (old, new)
    }

    /// `cargo test --release -- --ignored --nocapture` prints the figures.
    #[test]
    #[ignore = "timing check; run in release mode"]
    fn big_specs_diff_fast() {
        let (old, new) = big_pair(2000);
        let size = crate::yaml::to_string(&old).unwrap().len();
        assert!(size > 4_500_000, "spec is {size} bytes");
        let (old, new) = ([old], [new]);
        let (a, b) = (side("a", &old), side("b", &new));
        let options = Options::default();
        let mut best = Duration::MAX;
        for _ in 0..5 {
            let start = std::time::Instant::now();
            let patch = unified(&a, &b, &options);
            let middle = start.elapsed();
            let changes = semantic(&a, &b, &options);
            let total = start.elapsed();
            assert!(patch.is_some() && changes.len() == 10);
            eprintln!(
                "spec {size} bytes: unified {middle:?}, semantic {:?}, total {total:?}",
                total - middle
            );
            best = best.min(total);
        }
        assert!(best < Duration::from_millis(100), "best of 5 took {best:?}");
    }
}
