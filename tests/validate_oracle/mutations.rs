//! Deterministic mutations of valid specs: an unknown field, a wrong type, a bad enum value, a
//! null, a removed field, a fractional or quoted number, each at several depths of the pipeline
//! spec, the platform spec and the executors' Kubernetes settings.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Case;

/// One step of a path into a JSON document.
#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

/// Which document of a case a mutation changes.
#[derive(Debug, Clone, Copy)]
enum Document {
    Pipeline,
    Platform,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    UnknownField,
    WrongType,
    BadEnum,
    Null,
    Removed,
    Number,
}

/// The mutations of one valid case, with their kind and depth (for the summary): up to
/// `per_depth` targets per (document, kind, depth), spread over the candidates.
pub fn of(base: &Case, per_depth: usize) -> Vec<(Kind, usize, Case)> {
    let mut out = Vec::new();
    let documents = [
        (Document::Pipeline, Some(&base.pipeline_spec)),
        (Document::Platform, base.platform_spec.as_ref()),
    ];
    for (document, value) in documents {
        let Some(value) = value else { continue };
        let mut nodes = Vec::new();
        walk(value, &mut Vec::new(), &mut nodes);
        for kind in [
            Kind::UnknownField,
            Kind::WrongType,
            Kind::BadEnum,
            Kind::Null,
            Kind::Removed,
            Kind::Number,
        ] {
            let mut by_depth: BTreeMap<usize, Vec<(&Vec<Step>, &Value)>> = BTreeMap::new();
            for (path, node) in &nodes {
                if applies(kind, path, node) {
                    by_depth.entry(path.len()).or_default().push((path, *node));
                }
            }
            for (depth, candidates) in by_depth {
                for pick in spread(candidates.len(), per_depth) {
                    let (path, node) = candidates[pick];
                    for (label, replacement) in replacements(kind, node) {
                        let mut case = base.clone();
                        let target = match document {
                            Document::Pipeline => &mut case.pipeline_spec,
                            Document::Platform => case.platform_spec.as_mut().expect("has a platform spec"),
                        };
                        apply(target, path, kind, replacement);
                        case.name = format!(
                            "{} [{:?} {label} at {:?} {}]",
                            base.name,
                            kind,
                            document,
                            pointer(path)
                        );
                        out.push((kind, depth, case));
                    }
                }
            }
        }
    }
    out
}

fn walk<'a>(value: &'a Value, path: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, &'a Value)>) {
    out.push((path.clone(), value));
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                path.push(Step::Key(key.clone()));
                walk(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                path.push(Step::Index(index));
                walk(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn applies(kind: Kind, path: &[Step], node: &Value) -> bool {
    let is_enum_like = |s: &str| {
        s.len() > 1
            && s.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    };
    match kind {
        Kind::UnknownField => node.is_object(),
        Kind::WrongType => !path.is_empty(),
        Kind::BadEnum => node.as_str().is_some_and(is_enum_like),
        Kind::Null => !path.is_empty(),
        Kind::Removed => matches!(path.last(), Some(Step::Key(_))),
        Kind::Number => node.is_number(),
    }
}

/// `count` indexes spread evenly over `0..len`, the first included.
fn spread(len: usize, count: usize) -> Vec<usize> {
    let mut picks: Vec<usize> = (0..count.min(len)).map(|i| i * len / count.min(len)).collect();
    picks.dedup();
    picks
}

fn replacements(kind: Kind, node: &Value) -> Vec<(&'static str, Value)> {
    match kind {
        Kind::UnknownField => vec![("zzUnknownField", json!("x"))],
        Kind::WrongType => vec![(
            "wrong type",
            match node {
                Value::String(_) => json!(7),
                Value::Number(_) => json!("seven"),
                Value::Bool(_) => json!("yes"),
                Value::Object(_) => json!(["an", "array"]),
                Value::Array(_) => json!({"an": "object"}),
                Value::Null => json!(true),
            },
        )],
        Kind::BadEnum => vec![
            ("NO_SUCH_VALUE", json!("NO_SUCH_VALUE")),
            (
                "lowercase",
                json!(node.as_str().unwrap_or_default().to_lowercase()),
            ),
            ("number 2", json!(2)),
        ],
        Kind::Null | Kind::Removed => vec![("", Value::Null)],
        Kind::Number => vec![
            ("fraction", json!(node.as_f64().unwrap_or_default() + 0.5)),
            ("quoted", json!(node.to_string())),
        ],
    }
}

fn apply(document: &mut Value, path: &[Step], kind: Kind, replacement: Value) {
    let (parent_path, last) = match path.split_last() {
        Some((last, parent)) => (parent, Some(last)),
        None => (path, None),
    };
    let mut parent = document;
    for step in parent_path {
        parent = match step {
            Step::Key(key) => &mut parent[key.as_str()],
            Step::Index(index) => &mut parent[*index],
        };
    }
    match (kind, last) {
        (Kind::UnknownField, _) => {
            let node = match last {
                Some(Step::Key(key)) => &mut parent[key.as_str()],
                Some(Step::Index(index)) => &mut parent[*index],
                None => parent,
            };
            if let Value::Object(map) = node {
                map.insert("zzUnknownField".into(), replacement);
            }
        }
        (Kind::Removed, Some(Step::Key(key))) => {
            if let Value::Object(map) = parent {
                map.remove(key);
            }
        }
        (_, Some(Step::Key(key))) => parent[key.as_str()] = replacement,
        (_, Some(Step::Index(index))) => parent[*index] = replacement,
        (_, None) => *parent = replacement,
    }
}

fn pointer(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) => out.push_str(&format!("/{}", key.replace('~', "~0").replace('/', "~1"))),
            Step::Index(index) => out.push_str(&format!("/{index}")),
        }
    }
    if out.is_empty() { "/".into() } else { out }
}
