//! Property tests: the content digest does not depend on how the YAML was written (key order,
//! flow or block style, quoting), and canonical YAML reads back as the value it was made from.

use std::path::{Path, PathBuf};

use kubectl_kfp::{digest, reference::Reference, yaml};
use proptest::prelude::*;
use serde_json::Value;

mod common;

/// The fuzz targets' checks, so their seeds and every crash input they found run here too.
#[path = "../fuzz/src/checks.rs"]
mod fuzz_checks;

fn value() -> impl Strategy<Value = Value> {
    common::json_value(SHAPE)
}

fn text() -> impl Strategy<Value = String> {
    common::text(&SHAPE)
}

const SHAPE: common::Shape = common::Shape {
    tricky: common::TRICKY,
    depth: 4,
    size: 48,
    wide: false,
};

/// How to write one scalar string in flow style.
#[derive(Debug, Clone, Copy)]
enum Quote {
    Double,
    Single,
}

/// A YAML double-quoted scalar: escapes for everything YAML could read as a line break, a
/// byte-order mark or a control character.
fn double_quoted(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') => {
                out.push_str(&format!("\\u{:04x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Flow-style YAML for `value`, keys in the order `order` picks (rotating each mapping's keys by
/// `order` places), strings quoted as `quotes` says in turn.
fn flow(value: &Value, order: usize, quotes: &[Quote], next: &mut usize) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote(s, quotes, next),
        Value::Array(items) => {
            let parts: Vec<String> = items.iter().map(|v| flow(v, order, quotes, next)).collect();
            format!("[{}]", parts.join(", "))
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            if !entries.is_empty() {
                let by = order % entries.len();
                entries.rotate_left(by);
                if order % 2 == 1 {
                    entries.reverse();
                }
            }
            let mut parts = Vec::new();
            for (key, item) in entries {
                let key = quote(key, quotes, next);
                parts.push(format!("{key}: {}", flow(item, order, quotes, next)));
            }
            format!("{{{}}}", parts.join(", "))
        }
    }
}

/// One string in the next quoting style of `quotes`.
fn quote(text: &str, quotes: &[Quote], next: &mut usize) -> String {
    let style = quotes[*next % quotes.len()];
    *next += 1;
    // Single quotes cannot escape anything but themselves, and fold line breaks.
    match style {
        Quote::Single if text.chars().all(|c| (' '..='~').contains(&c)) => {
            format!("'{}'", text.replace('\'', "''"))
        }
        _ => double_quoted(text),
    }
}

fn quotes() -> impl Strategy<Value = Vec<Quote>> {
    proptest::collection::vec(prop_oneof![Just(Quote::Double), Just(Quote::Single)], 1..4)
}

fn parse_one(text: &str) -> Value {
    let mut documents = yaml::documents(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert!(documents.len() <= 1, "{text}");
    documents.pop().unwrap_or(Value::Null)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn digest_ignores_key_order_and_quoting(spec in value(), order in 0usize..8, quotes in quotes()) {
        let written = flow(&spec, order, &quotes, &mut 0);
        prop_assert_eq!(digest::of(&parse_one(&written), None), digest::of(&spec, None), "{}", written);
    }

    #[test]
    fn digest_is_the_same_for_flow_and_block_documents(spec in value(), platform in value(), quotes in quotes()) {
        let expected = digest::of(&spec, Some(&platform));
        let block = format!("{}---\n{}", yaml::to_string(&spec).unwrap(), yaml::to_string(&platform).unwrap());
        let flowed = format!("{}\n---\n{}\n", flow(&spec, 1, &quotes, &mut 0), flow(&platform, 2, &quotes, &mut 0));
        for text in [block, flowed] {
            let docs = yaml::documents(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            // An empty (null) document is skipped; the digest treats a null platform as absent.
            let (pipeline, platform) = match (spec.is_null(), docs.as_slice()) {
                (false, [a, b]) => (a.clone(), Some(b)),
                (false, [a]) => (a.clone(), None),
                (true, [b]) => (Value::Null, Some(b)),
                (true, []) => (Value::Null, None),
                _ => panic!("{text}"),
            };
            prop_assert_eq!(digest::of(&pipeline, platform), expected.clone(), "{}", text);
        }
    }

    #[test]
    fn digest_is_the_same_for_json_and_yaml(spec in proptest::collection::btree_map(text(), value(), 0..6)) {
        let spec = Value::Object(spec.into_iter().collect());
        let expected = digest::of(&spec, None);
        for text in [
            serde_json::to_string(&spec).unwrap(),
            serde_json::to_string_pretty(&spec).unwrap(),
            yaml::to_string(&spec).unwrap(),
        ] {
            prop_assert_eq!(digest::of(&parse_one(&text), None), expected.clone(), "{}", text);
        }
    }

    #[test]
    fn canonical_yaml_round_trips(value in value()) {
        let text = yaml::to_string(&value).unwrap();
        prop_assert_eq!(parse_one(&text), value, "{}", text);
    }

    #[test]
    fn canonical_yaml_is_a_fixed_point(value in value()) {
        let once = yaml::to_string(&value).unwrap();
        let twice = yaml::to_string(&parse_one(&once)).unwrap();
        prop_assert_eq!(once, twice);
    }

    #[test]
    fn references_that_parse_print_back_the_same(input in "[a-zA-Z0-9@/:._ -]{0,40}") {
        if let Ok(reference) = Reference::parse(&input) {
            prop_assert_eq!(Reference::parse(&reference.to_string()), Ok(reference));
        }
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    files
}

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

#[test]
fn fuzz_checks_hold_for_the_seed_corpus_and_every_regression() {
    let mut inputs = common::data::compiled_examples();
    inputs.extend(common::data::invalid_inputs());
    assert!(inputs.len() >= 18, "seed corpus missing: {} files", inputs.len());
    inputs.extend(files(&repo("fuzz/regressions/manifest")));
    for input in inputs {
        fuzz_checks::manifest(&std::fs::read(&input).unwrap_or_default());
    }
    for text in [
        "train",
        "team-a/train@v3",
        "x@sha256:0123abcd",
        "a/b/c",
        "@",
        "x@",
        "x@latest",
    ] {
        fuzz_checks::reference(text.as_bytes());
    }
    for input in files(&repo("fuzz/regressions/reference")) {
        fuzz_checks::reference(&std::fs::read(&input).unwrap_or_default());
    }
}

#[test]
fn external_corpus_fuzz_checks_hold() {
    let test = "external_corpus_fuzz_checks_hold";
    for folder in ["pipelines/valid", "pipelines/invalid", "manifests"] {
        let Some(inputs) = common::data::external_corpus(test, folder) else {
            return;
        };
        for input in inputs {
            fuzz_checks::manifest(&std::fs::read(&input).unwrap_or_default());
        }
    }
}
