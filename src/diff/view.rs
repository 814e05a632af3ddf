//! Views: the fields of one thing on one side, keyed so that both sides line up, and how two
//! views (or two values no rule interprets) are compared.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use serde_json::{Map, Value};

use super::SDK_VERSION;
use super::change::{Change, Op, Scope};

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
pub(super) const RANK_SOURCE: u8 = 9;
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
pub(super) const RANK_DISPLAY_NAME: u8 = 50;
pub(super) const RANK_COMPONENT: u8 = 51;
pub(super) const RANK_EXECUTOR_LABEL: u8 = 52;
pub(super) const RANK_PLATFORM: u8 = 60;
const RANK_OTHER: u8 = 90;

/// Where a value sits, built without allocating: most places are never reported.
#[derive(Clone, Copy)]
pub(super) enum Loc<'p> {
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
    pub(super) fn child(&'p self, key: &'p str) -> Loc<'p> {
        Loc::Child { parent: self, key }
    }

    pub(super) fn index(&'p self, index: usize) -> Loc<'p> {
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
pub(super) struct View<'a> {
    fields: BTreeMap<(u8, FieldName), Field<'a>>,
}

impl<'a> View<'a> {
    /// Records a named field; `loc` is used only if the name is taken already (a parameter and
    /// an artifact with one name, say): then the value is kept as plain data.
    pub(super) fn set(&mut self, rank: u8, name: impl Into<FieldName>, value: Cow<'a, Value>, loc: Loc) {
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

    pub(super) fn remove(&mut self, rank: u8, name: &'static str) {
        self.fields.remove(&(rank, Cow::Borrowed(name)));
    }

    /// Calls `handle` on each entry of the map `value`; entries it declines, and non-maps, are
    /// kept as plain data.
    pub(super) fn entries(
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

pub(super) fn add_pipeline_fields<'a>(
    view: &mut View<'a>,
    spec: &'a Map<String, Value>,
    ignore_sdk_version: bool,
) {
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
pub(super) fn add_definition_fields<'a>(view: &mut View<'a>, definition: &'a Value, loc: Loc) {
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

pub(super) fn add_task_fields<'a>(
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

pub(super) fn add_component_fields<'a>(
    view: &mut View<'a>,
    component: &'a Value,
    loc: Loc,
    nested_tasks_walked: bool,
) {
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

pub(super) fn add_executor_fields<'a>(view: &mut View<'a>, executor: &'a Value, loc: Loc) {
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
pub(super) fn keyed_entries<'a>(list: &'a Value, id_pointers: &[&str]) -> Option<Vec<(&'a str, &'a Value)>> {
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

pub(super) fn compare_views(old: &View, new: &View, scope: Scope, name: &str, out: &mut Vec<Change>) {
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

/// Entries of two maps side by side, in key order. Relies on serde_json keeping maps sorted
/// (no `preserve_order` feature), as the canonical YAML does; a test guards this.
pub(super) fn zip_maps<'m>(
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
pub(super) fn escape(key: &str) -> Cow<'_, str> {
    if key.bytes().any(|byte| byte == b'~' || byte == b'/') {
        Cow::Owned(key.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(key)
    }
}

/// Field-level differences of two values the semantic rules do not interpret, named by JSON
/// pointer; maps are descended into so that the pointer names the smallest differing part.
pub(super) fn generic_pair(
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    #[test]
    fn maps_iterate_in_key_order() {
        // zip_maps and the segment order rely on it: serde_json must not have `preserve_order`.
        let map = json!({"b": 1, "a": 2, "c": 3});
        let keys: Vec<&String> = map.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["a", "b", "c"]);
    }
}
