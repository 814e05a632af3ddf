//! The unified text diff of the canonical YAML of both sides.

use std::cmp::Ordering;
use std::fmt::Write as _;

use serde::Serialize;
use serde::ser::SerializeMap;
use serde_json::{Map, Value};
use similar::{Algorithm, DiffOp, DiffTag, TextDiff};

use super::change::{Options, Side};
use super::{LINE_DIFF_TIMEOUT, SDK_VERSION, identical};
use super::{NEW, OLD};

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

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::diff::semantic;
    use crate::diff::test_support::*;
    use serde_json::json;

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
