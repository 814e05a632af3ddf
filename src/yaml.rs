//! The one place that reads and writes YAML, so the YAML library can be swapped
//! (serde_yaml is in maintenance mode). Everything else works on `serde_json::Value`.

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
}

impl From<serde_yaml::Error> for YamlError {
    fn from(err: serde_yaml::Error) -> Self {
        let location = err.location();
        // serde_yaml appends " at line L column C"; keep it, it is what users need.
        YamlError {
            message: err.to_string(),
            line: location.as_ref().map(|l| l.line()),
            column: location.as_ref().map(|l| l.column()),
        }
    }
}

/// Parses every document of a YAML stream (JSON is YAML too). Empty documents are skipped.
pub fn documents(text: &str) -> Result<Vec<Value>, YamlError> {
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
    Ok(serde_yaml::to_string(value)?)
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
    fn output_keys_are_sorted() {
        let text = to_string(&json!({"b": 1, "a": {"d": 1, "c": 2}})).unwrap();
        assert_eq!(text, "a:\n  c: 2\n  d: 1\nb: 1\n");
    }
}
