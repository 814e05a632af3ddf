//! Strict protobuf JSON parsing of a JSON value into a message of the schema, with the path of
//! the first offending field.

use prost_reflect::{DeserializeOptions, DynamicMessage, EnumDescriptor, Kind, MessageDescriptor};
use serde_json::Value;
use serde_path_to_error::{Segment, Track};

use super::SpecError;

/// Parses `value` as `message` with protobuf's JSON mapping, refusing unknown fields, wrong
/// types and unknown enum names. Paths in errors start with `prefix`.
pub fn parse(value: &Value, message: &MessageDescriptor, prefix: &str) -> Result<DynamicMessage, SpecError> {
    let options = DeserializeOptions::new().deny_unknown_fields(true);
    // Most specs are valid: parse without tracking first, and again with it only to name the
    // field of an error.
    match DynamicMessage::deserialize_with_options(message.clone(), value, &options) {
        Ok(parsed) => Ok(parsed),
        Err(untracked) => {
            let mut track = Track::new();
            let tracked = serde_path_to_error::Deserializer::new(value, &mut track);
            let err = match DynamicMessage::deserialize_with_options(message.clone(), tracked, &options) {
                Err(err) => err,
                Ok(_) => untracked,
            };
            let segments: Vec<Segment> = track.path().iter().cloned().collect();
            Err(error(message, prefix, &segments, &err.to_string()))
        }
    }
}

/// Where the walk along a path is in the schema.
enum Cursor {
    Message(MessageDescriptor),
    /// A map field's values, or a list field's items.
    Entries(Kind),
    Enum(EnumDescriptor),
    /// Free-form JSON (inside `google.protobuf.Struct`/`Value`), or past what is known.
    Free,
}

fn cursor_of(kind: Kind) -> Cursor {
    match kind {
        Kind::Message(message) if is_free_form(&message) => Cursor::Free,
        Kind::Message(message) => Cursor::Message(message),
        Kind::Enum(enumeration) => Cursor::Enum(enumeration),
        _ => Cursor::Free,
    }
}

fn is_free_form(message: &MessageDescriptor) -> bool {
    matches!(
        message.full_name(),
        "google.protobuf.Struct" | "google.protobuf.Value" | "google.protobuf.ListValue"
    )
}

/// The error with its path (see [`SpecError`] for the style) and a reason in the schema's terms.
fn error(root: &MessageDescriptor, prefix: &str, segments: &[Segment], serde_reason: &str) -> SpecError {
    let mut path = prefix.to_string();
    let mut cursor = Cursor::Message(root.clone());
    for segment in segments {
        cursor = match (segment, cursor) {
            (Segment::Map { key }, Cursor::Message(message)) => {
                push_field(&mut path, key);
                let field = message
                    .get_field_by_json_name(key)
                    .or_else(|| message.get_field_by_name(key));
                match field {
                    Some(field) if field.is_map() => match field.kind() {
                        Kind::Message(entry) => Cursor::Entries(entry.map_entry_value_field().kind()),
                        _ => Cursor::Free,
                    },
                    Some(field) if field.is_list() => Cursor::Entries(field.kind()),
                    Some(field) => cursor_of(field.kind()),
                    None => Cursor::Free,
                }
            }
            (Segment::Map { key }, Cursor::Entries(kind)) => {
                push_key(&mut path, key);
                cursor_of(kind)
            }
            (Segment::Seq { index }, Cursor::Entries(kind)) => {
                path.push_str(&format!("[{index}]"));
                cursor_of(kind)
            }
            (Segment::Map { key }, _) => {
                push_key(&mut path, key);
                Cursor::Free
            }
            (Segment::Seq { index }, _) => {
                path.push_str(&format!("[{index}]"));
                Cursor::Free
            }
            (_, cursor) => cursor,
        };
    }
    let (field, reason) = reason(serde_reason, &cursor);
    if let Some(field) = field {
        push_field(&mut path, &field);
    }
    if path.is_empty() {
        path.push_str("(document)");
    }
    SpecError { path, reason }
}

/// The parser's reason in the schema's terms, and the unknown field's name when there is one
/// (the parser's path stops at the message that holds it).
fn reason(serde_reason: &str, cursor: &Cursor) -> (Option<String>, String) {
    if let Some(field) = quoted(serde_reason, "unrecognized field name '") {
        let known = match cursor {
            Cursor::Message(message) => {
                let names: Vec<String> = message.fields().map(|f| f.json_name().to_string()).collect();
                format!(" of {}; it has {}", message.name(), names.join(", "))
            }
            _ => String::new(),
        };
        return (Some(field.to_string()), format!("unknown field{known}"));
    }
    if let (Some(value), Cursor::Enum(enumeration)) =
        (quoted(serde_reason, "unrecognized enum value '"), cursor)
    {
        let names: Vec<String> = enumeration.values().map(|v| v.name().to_string()).collect();
        return (
            None,
            format!(
                "{value:?} is not a value of {}: {}",
                enumeration.name(),
                names.join(", ")
            ),
        );
    }
    // serde's "invalid type: integer `2`, expected a string"
    if let Some((found, expected)) = serde_reason
        .strip_prefix("invalid type: ")
        .and_then(|rest| rest.split_once(", expected "))
    {
        return (None, format!("expected {expected}, found {found}"));
    }
    (None, serde_reason.to_string())
}

/// `text` after `prefix`, up to the closing `'`.
fn quoted<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.strip_prefix(prefix)?
        .rsplit_once('\'')
        .map(|(inner, _)| inner)
}

fn push_field(path: &mut String, name: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(name);
}

/// Appends a map key as `['key']`.
pub fn push_key(path: &mut String, key: &str) {
    let escaped = key.replace('\\', "\\\\").replace('\'', "\\'");
    path.push_str(&format!("['{escaped}']"));
}
