//! The one place that reads and writes YAML, so the YAML library can be swapped
//! (serde_yaml is in maintenance mode). Everything else works on `serde_json::Value`.
//!
//! Files are read by our own reader (`fast_read`) when they are the block-style YAML the KFP
//! SDK and serde_yaml write, and by serde_yaml otherwise. So the binary carries three YAML
//! readers: serde_yaml, ours, and serde-saphyr (which kube pulls in). Ours stays because specs
//! can be large and serde_yaml first builds every event of a document. `scripts/bench` times
//! the three on every run (the `yaml-parse-*` rows: one process reading one file, release
//! build, mimalloc). Measured 2026-11-29 on 2 shared cores, medians of 10 runs:
//!
//! | spec | ours | serde_yaml | serde-saphyr |
//! | --- | --- | --- | --- |
//! | bench spec, 2,000 tasks, 4.4 MB | 29 ms | 88 ms | 151 ms |
//! | 709 tasks, 1.5 MiB (the largest a version can hold) | 10 ms | 31 ms | 56 ms |

mod fast_read;
mod yaml11;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A YAML syntax or shape error, with the position when the parser knows it.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// Set when the text was refused before parsing (see [`check_bounds`]).
    pub bound: Option<Bound>,
}

impl From<serde_yaml::Error> for YamlError {
    fn from(err: serde_yaml::Error) -> Self {
        let location = err.location();
        // serde_yaml appends " at line L column C"; keep it, it is what users need.
        YamlError {
            message: err.to_string(),
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
            bound: None,
        }
    }
}

/// Flow collections (`[`, `{`) nested deeper than this are refused before parsing: the parser's
/// time grows with nesting depth times size (minutes for a 600 KB `{"a":{"a":…}}`), and
/// serde_yaml refuses more than 128 levels of any kind anyway. Counted on all brackets, quoted or
/// not, so it is an upper bound of the real depth.
pub const MAX_FLOW_DEPTH: usize = 256;

/// Texts with more separators than this (`,` `:` `-` `[` `{` and line breaks: every YAML node
/// needs one) are refused before parsing. A node costs the parser and the JSON value up to
/// ~400 bytes (a one-entry flow mapping), so this bounds memory near 200 MiB whatever the file.
/// KFP's compiled pipelines have about one separator per 10 bytes, so the largest the server
/// can store (1.5 MiB) stays far below.
pub const MAX_NODES: usize = 500_000;

/// Why a text is refused before parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Bound {
    #[error("nests brackets more than {MAX_FLOW_DEPTH} levels deep")]
    TooDeep,
    #[error("has more than {MAX_NODES} YAML nodes")]
    TooManyNodes,
}

/// Checks the bounds above in one pass over the bytes, without parsing.
pub fn check_bounds(text: &str) -> Result<(), Bound> {
    let mut depth = 0usize;
    let mut nodes = 0usize;
    for byte in text.bytes() {
        match byte {
            b'[' | b'{' => {
                depth += 1;
                nodes += 1;
                if depth > MAX_FLOW_DEPTH {
                    return Err(Bound::TooDeep);
                }
            }
            // Never below zero, so closing brackets inside strings cannot hide later nesting.
            b']' | b'}' => depth = depth.saturating_sub(1),
            b',' | b':' | b'-' | b'\n' | b'\r' => nodes += 1,
            _ => continue,
        }
        if nodes > MAX_NODES {
            return Err(Bound::TooManyNodes);
        }
    }
    Ok(())
}

/// Parses every document of a YAML stream (JSON is YAML too). Empty documents are skipped.
/// Texts beyond [`MAX_FLOW_DEPTH`] or [`MAX_NODES`] are refused before parsing.
pub fn documents(text: &str) -> Result<Vec<Value>, YamlError> {
    check_bounds(text).map_err(|bound| YamlError {
        message: bound.to_string(),
        line: None,
        column: None,
        bound: Some(bound),
    })?;
    // JSON is read as JSON: libyaml (YAML 1.1) takes U+0085, U+2028 and U+2029 inside strings
    // for line breaks and folds them, where JSON keeps them, so the content (and its digest)
    // would change. Anything serde_json refuses is read as YAML below.
    let json = text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n']);
    if json.starts_with(['{', '['])
        && let Ok(value) = serde_json::from_str::<Value>(json)
    {
        return Ok(vec![value]);
    }
    // Specs written by the KFP SDK or serde_yaml are read by the fast reader, several times
    // faster and leaner; serde_yaml reads whatever it declines, and words the errors.
    if let Some(values) = fast_documents(text) {
        return Ok(values);
    }
    serde_yaml_documents(text)
}

/// The fast reader alone (`fast_read`): the same values as [`serde_yaml_documents`], or `None`
/// for YAML it leaves to serde_yaml. Public for the differential tests and the fuzz target.
#[doc(hidden)]
pub fn fast_documents(text: &str) -> Option<Vec<Value>> {
    fast_read::documents(text).ok()
}

/// serde_yaml's reading of a stream, without the bounds check or the JSON and fast readers.
/// Public for the differential tests and the fuzz target.
#[doc(hidden)]
pub fn serde_yaml_documents(text: &str) -> Result<Vec<Value>, YamlError> {
    let mut out = Vec::new();
    for document in serde_yaml::Deserializer::from_str(text) {
        let value = Value::deserialize(document)?;
        if !value.is_null() {
            out.push(value);
        }
    }
    Ok(out)
}

/// Parses one YAML document into a typed value.
pub fn from_str<T: DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    Ok(serde_yaml::from_str(text)?)
}

/// Serializes to block-style YAML. With `serde_json::Value` input the keys come out sorted,
/// which makes this the canonical form used by `diff` and `get --spec`.
pub fn to_string<T: Serialize + ?Sized>(value: &T) -> Result<String, YamlError> {
    // Quoted for YAML 1.1 readers too: Kubernetes reads `y`, `on`, `no` as booleans.
    Ok(yaml11::quote_booleans(&serde_yaml::to_string(value)?))
}

/// Serializes several documents as one stream separated by `---`.
pub fn to_stream<T: Serialize>(values: &[T]) -> Result<String, YamlError> {
    let mut out = String::new();
    for (index, value) in values.iter().enumerate() {
        if index > 0 {
            out.push_str("---\n");
        }
        out.push_str(&to_string(value)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flow_and_block_styles_parse_alike() {
        let block = documents("a:\n  b: 1\n  c: [x, 'y']\n").unwrap();
        let flow = documents("{\"c\": [\"x\", \"y\"], \"a\": {\"c\": [\"x\", \"y\"], \"b\": 1}}").unwrap();
        assert_eq!(block[0]["a"]["b"], json!(1));
        assert_eq!(flow[0]["a"], json!({"b": 1, "c": ["x", "y"]}));
    }

    #[test]
    fn multi_document_streams_skip_empty_documents() {
        let docs = documents("---\na: 1\n---\n---\nb: 2\n").unwrap();
        assert_eq!(docs, vec![json!({"a": 1}), json!({"b": 2})]);
    }

    #[test]
    fn syntax_errors_carry_position() {
        let err = documents("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.line.is_some(), "{err}");
    }

    #[test]
    fn json_keeps_characters_yaml_would_fold() {
        for text in ["x\u{85}y", "x\u{2028}y", "x\u{2029}y", "\u{feff}x"] {
            let json = serde_json::to_string(&json!({"k": text, text: [text]})).unwrap();
            assert_eq!(
                documents(&json).unwrap(),
                vec![json!({"k": text, text: [text]})],
                "{text:?}"
            );
        }
        // Flow YAML that is not JSON is still YAML.
        assert_eq!(
            documents("{a: 1, 'b': [x]}").unwrap(),
            vec![json!({"a": 1, "b": ["x"]})]
        );
    }

    #[test]
    fn deep_or_huge_texts_are_refused_before_parsing() {
        let deep = format!("{}1{}", "{\"a\":".repeat(300), "}".repeat(300));
        assert_eq!(check_bounds(&deep), Err(Bound::TooDeep));
        assert_eq!(
            documents(&deep).unwrap_err().message,
            "nests brackets more than 256 levels deep"
        );
        let many = format!("[{}]", "1,".repeat(MAX_NODES));
        assert_eq!(check_bounds(&many), Err(Bound::TooManyNodes));
        // Balanced brackets in strings do not add up; stray closing ones do not hide nesting.
        let templates = "command: [\"{{$.inputs.parameters['x']}}\"]\n".repeat(1000);
        assert_eq!(check_bounds(&templates), Ok(()));
        let hidden = format!("a: \"{}\"\nb: {}", "}".repeat(500), "[".repeat(300));
        assert_eq!(check_bounds(&hidden), Err(Bound::TooDeep));
        // 128 levels is what the parser itself accepts; the bound leaves it alone.
        let parsable = format!("{}1{}", "[".repeat(127), "]".repeat(127));
        assert_eq!(documents(&parsable).map(|d| d.len()).ok(), Some(1));
        assert!(documents(&format!("{}1{}", "[".repeat(200), "]".repeat(200))).is_err());
    }

    #[test]
    fn output_keys_are_sorted() {
        let text = to_string(&json!({"b": 1, "a": {"d": 1, "c": 2}})).unwrap();
        assert_eq!(text, "a:\n  c: 2\n  d: 1\nb: 1\n");
    }
}
