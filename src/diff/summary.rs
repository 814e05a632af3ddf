//! The summary renderer: one line per change (see "Summary lines" in the module documentation
//! of `diff`).

use serde_json::Value;
use similar::{DiffTag, TextDiff};

use super::LINE_DIFF_TIMEOUT;
use super::change::{Change, Op};
use super::semantic::compare_names;

/// Longest value shown inline in a summary line; longer ones are summarised by line counts.
const INLINE_VALUE_CHARS: usize = 60;

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
pub(super) fn describe_definition(definition: &Value) -> Option<String> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::Scope;
    use serde_json::json;

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
}
