//! JSON value generators shared by the property tests (`tests/properties.rs`,
//! `tests/yaml_fast.rs`). Each test crate uses part of it.
#![allow(dead_code)]

pub mod data;

use proptest::prelude::*;
use serde_json::{Map, Value};

/// What the generated values may hold.
pub struct Shape {
    /// Strings chosen often, for the cases a reader or writer must quote or escape.
    pub tricky: &'static [&'static str],
    /// Nesting levels and total nodes, as `prop_recursive` takes them.
    pub depth: u32,
    pub size: u32,
    /// Every i64/u64/f64 and multi-line strings too, not only the numbers a spec holds.
    pub wide: bool,
}

/// Strings for keys and values.
pub fn text(shape: &Shape) -> BoxedStrategy<String> {
    let tricky = proptest::sample::select(shape.tricky).prop_map(str::to_string);
    if shape.wide {
        prop_oneof![
            3 => "[a-zA-Z0-9 _./:{}$'\"\\-]{0,12}",
            2 => tricky,
            1 => "[a-z \n]{0,30}",
            1 => "\\PC{0,8}",
        ]
        .boxed()
    } else {
        prop_oneof![
            3 => "[a-zA-Z0-9 _./:{}$'\"\\-]{0,12}",
            2 => tricky,
            1 => "\\PC{0,8}",
        ]
        .boxed()
    }
}

fn leaf(shape: &Shape) -> BoxedStrategy<Value> {
    let common = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        Just(Value::from(2.0)),
        text(shape).prop_map(Value::String),
    ];
    if shape.wide {
        prop_oneof![
            common,
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            (-1.0e6f64..1.0e6).prop_map(Value::from),
        ]
        .boxed()
    } else {
        prop_oneof![common, (-1.0e12f64..1.0e12).prop_map(Value::from)].boxed()
    }
}

/// Arrays and objects of leaves, as deep and large as `shape` allows.
pub fn json_value(shape: Shape) -> impl Strategy<Value = Value> {
    let keys = text(&shape);
    leaf(&shape).prop_recursive(shape.depth, shape.size, 6, move |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(keys.clone(), inner, 0..6)
                .prop_map(|map| Value::Object(map.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// Strings YAML likes to reinterpret or needs to quote, escape or fold, mixed into the
/// generated ones.
pub const TRICKY: &[&str] = &[
    "",
    " ",
    "yes",
    "no",
    "true",
    "False",
    "null",
    "~",
    "1",
    "-1",
    "+1",
    "0x1f",
    "0o17",
    "0b11",
    "1e3",
    "1_000",
    ".inf",
    "-.inf",
    ".nan",
    "1.0",
    "007",
    "-0",
    "-0.0",
    "12:30",
    "-",
    "---",
    "...",
    "?",
    ": ",
    "a: b",
    "- a",
    "#",
    "# c",
    "a #b",
    "a#b",
    "'",
    "\"",
    "\\",
    "{",
    "}",
    "[",
    "]",
    ",",
    "&a",
    "*a",
    "!tag",
    "|",
    ">",
    "%",
    "@",
    "`",
    " lead",
    "trail ",
    "two  spaces",
    "\t",
    "a\nb",
    "a\n\nb",
    "\na",
    "a\n",
    "a\n\n",
    " \n ",
    "a\r\nb",
    "\u{85}",
    "\u{2028}",
    "\u{feff}x",
    "\u{7}",
    "é",
    "日本",
    "🦀",
    "18446744073709551616",
    "1e400",
    "on",
    "off",
    "y",
    "n",
    "Null",
    "2024-01-01",
];
