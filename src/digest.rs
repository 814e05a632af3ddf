//! Content digest of a pipeline version: `sha256:<hex>` over the canonical JSON of
//! `{"pipelineSpec": …, "platformSpec": …}`.
//!
//! Canonical JSON: object keys sorted, no insignificant whitespace, `platformSpec` left out
//! when absent or null, and floats with an integral value written as integers (the API
//! server stores `1.0` as `1`, so the digest must not depend on which one was sent).

use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// Length of the short digest shown in tables (hex digits after `sha256:`).
pub const SHORT_LEN: usize = 12;

/// Computes the content digest of a pipeline spec and optional platform spec.
pub fn of(pipeline_spec: &Value, platform_spec: Option<&Value>) -> String {
    let mut hasher = Sha256::new();
    hasher.update(canonical_json(pipeline_spec, platform_spec));
    let hash = hasher.finalize();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in hash {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

/// The exact bytes the digest is computed over.
pub fn canonical_json(pipeline_spec: &Value, platform_spec: Option<&Value>) -> Vec<u8> {
    // Serialized straight from the borrowed values: a normalized copy of a multi-megabyte
    // spec would cost more than the hashing. Field order is the sorted key order.
    #[derive(serde::Serialize)]
    struct Document<'a> {
        #[serde(rename = "pipelineSpec")]
        pipeline_spec: Canonical<'a>,
        #[serde(rename = "platformSpec", skip_serializing_if = "Option::is_none")]
        platform_spec: Option<Canonical<'a>>,
    }
    let document = Document {
        pipeline_spec: Canonical(pipeline_spec),
        platform_spec: platform_spec.filter(|p| !p.is_null()).map(Canonical),
    };
    serde_json::to_vec(&document).unwrap_or_default()
}

/// A value that serializes as its [`normalized`] form. serde_json's Map is a BTreeMap (no
/// preserve_order feature), so keys come out sorted.
struct Canonical<'a>(&'a Value);

impl serde::Serialize for Canonical<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::{SerializeMap, SerializeSeq};
        match self.0 {
            Value::Number(n) => match integral(n) {
                Some(i) => serializer.serialize_i64(i),
                None => n.serialize(serializer),
            },
            Value::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&Canonical(item))?;
                }
                seq.end()
            }
            Value::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, &Canonical(value))?;
                }
                map.end()
            }
            other => other.serialize(serializer),
        }
    }
}

/// The integer a float with an integral value stands for (within f64's exact range).
fn integral(n: &serde_json::Number) -> Option<i64> {
    let f = n.as_f64().filter(|_| n.is_f64())?;
    (f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
}

/// Rewrites integral floats as integers, recursively, in place.
pub fn normalized(mut value: Value) -> Value {
    normalize_in_place(&mut value);
    value
}

fn normalize_in_place(value: &mut Value) {
    match value {
        Value::Number(n) => {
            if let Some(i) = integral(n) {
                *value = Value::from(i);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(normalize_in_place),
        Value::Object(map) => map.values_mut().for_each(normalize_in_place),
        _ => {}
    }
}

/// `sha256:0123456789ab` — the form shown in tables.
pub fn short(digest: &str) -> String {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    format!("sha256:{}", &hex[..hex.len().min(SHORT_LEN)])
}

/// Whether `digest` (`sha256:<hex>`) starts with the hex `prefix`.
pub fn matches_prefix(digest: &str, prefix: &str) -> bool {
    digest
        .strip_prefix("sha256:")
        .is_some_and(|hex| hex.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn digest_ignores_key_order_and_integral_float_form() {
        let a = json!({"b": 1, "a": {"y": 2.0, "x": [1, 2]}});
        let b: Value = serde_json::from_str(r#"{"a":{"x":[1,2],"y":2},"b":1.0}"#).unwrap();
        assert_eq!(of(&a, None), of(&b, None));
        assert_ne!(of(&a, None), of(&json!({"b": 2}), None));
    }

    #[test]
    fn absent_and_null_platform_specs_are_the_same() {
        let spec = json!({"pipelineInfo": {"name": "p"}});
        assert_eq!(of(&spec, None), of(&spec, Some(&Value::Null)));
        assert_ne!(of(&spec, None), of(&spec, Some(&json!({}))));
    }

    #[test]
    fn canonical_bytes_are_documented_form() {
        let bytes = canonical_json(&json!({"b": 1, "a": 0.5}), Some(&json!({"k": true})));
        assert_eq!(
            String::from_utf8(bytes).unwrap(),
            r#"{"pipelineSpec":{"a":0.5,"b":1},"platformSpec":{"k":true}}"#
        );
    }

    #[test]
    fn known_vector() {
        // `printf '{"pipelineSpec":{}}' | sha256sum` — fixed so the documented definition cannot drift.
        let expected = "sha256:6cbae294f6c79e491bbc1c0671d3a8a0045bf8d262b41826c8ebe30c1e05dc47";
        assert_eq!(of(&json!({}), None), expected);
        assert!(matches_prefix(expected, "6cbae294"));
        assert!(!matches_prefix(expected, "6cbae295"));
        assert_eq!(short(expected), "sha256:6cbae294f6c7");
    }
}
