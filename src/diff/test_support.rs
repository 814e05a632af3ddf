//! Helpers of the diff tests: test pipelines, sides, edits, and the check that the text diff and
//! the semantic diff agree.

use serde_json::{Map, Value, json};

use super::{Options, Side, canonical_text, render_summary, semantic, unified};

use crate::test_data::{compiled_examples, corpus_path_in_repo, external_corpus};

/// The documents of a test pipeline (pipeline spec, then platform spec if any):
/// `variants/NAME.yaml` is the compiled example NAME, another path a file.
pub(super) fn load(name: &str) -> Vec<Value> {
    let path = match name.strip_prefix("variants/") {
        Some(_) => corpus_path_in_repo(&format!("pipelines/{name}")),
        None => std::path::PathBuf::from(name),
    };
    let path = path.display();
    let text = std::fs::read_to_string(path.to_string()).unwrap_or_else(|err| panic!("{path}: {err}"));
    crate::yaml::documents(&text).unwrap_or_else(|err| panic!("{path}: {err}"))
}

/// The IR files among the compiled examples, then the external corpus's valid pipelines
/// when present (said when absent).
pub(super) fn test_pipelines(test: &str) -> Vec<String> {
    let mut files: Vec<_> = compiled_examples()
        .into_iter()
        .filter(|file| file.parent().is_some_and(|dir| dir.ends_with("ir")))
        .collect();
    files.extend(external_corpus(test, "pipelines/valid").unwrap_or_default());
    files.iter().map(|file| file.display().to_string()).collect()
}

pub(super) fn side<'a>(label: &str, documents: &'a [Value]) -> Side<'a> {
    Side {
        label: label.to_string(),
        pipeline_spec: &documents[0],
        platform_spec: documents.get(1),
    }
}

pub(super) fn summary_of(old: &[Value], new: &[Value]) -> String {
    render_summary(&semantic(&side("a", old), &side("b", new), &Options::default()))
}

/// Sets the value at a JSON pointer, or removes it when `value` is None.
pub(super) fn edit(document: &mut Value, pointer: &str, value: Option<Value>) {
    let (parent, key) = pointer.rsplit_once('/').expect("pointer with a parent");
    let parent = document
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"));
    let key = key.replace("~1", "/").replace("~0", "~");
    if let Some(items) = parent.as_array_mut() {
        let index: usize = key.parse().expect("list index");
        match value {
            Some(value) => items[index] = value,
            None => drop(items.remove(index)),
        }
        return;
    }
    let map = parent.as_object_mut().expect("parent is a map or a list");
    match value {
        Some(value) => map.insert(key, value),
        None => map.remove(&key),
    };
}

/// Moves the value at `from` to `to` (same parent).
pub(super) fn rename_key(document: &mut Value, from: &str, to: &str) {
    let value = document
        .pointer(from)
        .cloned()
        .unwrap_or_else(|| panic!("no {from}"));
    edit(document, from, None);
    edit(document, to, Some(value));
}

/// Applies a unified diff to `old`, checking every context and removed line on the way.
pub(super) fn apply(old: &str, patch: &str) -> String {
    let old: Vec<&str> = old.split_inclusive('\n').collect();
    let mut out = String::new();
    let mut next = 0;
    let mut lines = patch.lines().skip(2).peekable();
    while let Some(header) = lines.next() {
        assert!(header.starts_with("@@ -"), "hunk header expected, got {header:?}");
        let start: usize = header[4..].split([',', ' ']).next().unwrap().parse().unwrap();
        let count_is_zero = header[4..].split(' ').next().unwrap().ends_with(",0");
        let start = if count_is_zero { start } else { start - 1 };
        for line in &old[next..start] {
            out.push_str(line);
        }
        next = start;
        while let Some(line) = lines.next_if(|line| !line.starts_with("@@")) {
            let (mark, text) = line.split_at(1);
            match mark {
                " " | "-" => {
                    assert_eq!(old[next].trim_end_matches('\n'), text, "line {}", next + 1);
                    if mark == " " {
                        out.push_str(old[next]);
                    }
                    next += 1;
                }
                "+" => {
                    out.push_str(text);
                    out.push('\n');
                }
                _ => panic!("unexpected patch line {line:?}"),
            }
        }
    }
    for line in &old[next..] {
        out.push_str(line);
    }
    out
}

/// The unified diff must turn one canonical text into the other, and be empty exactly when
/// the semantic diff is.
pub(super) fn check_consistent(old: &Side, new: &Side, options: &Options) {
    let patch = unified(old, new, options);
    let changes = semantic(old, new, options);
    assert_eq!(patch.is_none(), changes.is_empty(), "{patch:?}\n{changes:#?}");
    if let Some(patch) = patch {
        let with_platform = old.platform_spec.is_some() || new.platform_spec.is_some();
        let old_text = canonical_text(old, options, with_platform);
        let new_text = canonical_text(new, options, with_platform);
        assert_eq!(apply(&old_text, &patch), new_text);
    }
}

/// A spec like train_v1 with `tasks` copies of the task `train`, each with its own component
/// and executor (about 2.5 KB per task), and a copy with a few changes.
pub(super) fn big_pair(tasks: usize) -> (Value, Value) {
    let base = load("variants/train_v1.yaml").remove(0);
    let task = &base["root"]["dag"]["tasks"]["train"];
    let component = &base["components"]["comp-train"];
    let executor = &base["deploymentSpec"]["executors"]["exec-train"];
    let (mut all_tasks, mut components, mut executors) = (Map::new(), Map::new(), Map::new());
    for index in 0..tasks {
        let name = format!("train-{index}");
        let mut task = task.clone();
        task["componentRef"]["name"] = json!(format!("comp-{name}"));
        task["taskInfo"]["name"] = json!(name);
        match index {
            0 => {
                task.as_object_mut().unwrap().remove("dependentTasks");
                task["inputs"]["parameters"]["data"] = json!({"componentInputParameter": "data"});
            }
            _ => {
                task["dependentTasks"] = json!([format!("train-{}", index - 1)]);
                task["inputs"]["parameters"]["data"]["taskOutputParameter"]["producerTask"] =
                    json!(format!("train-{}", index - 1));
            }
        }
        all_tasks.insert(name.clone(), task);
        let mut component = component.clone();
        component["executorLabel"] = json!(format!("exec-{name}"));
        components.insert(format!("comp-{name}"), component);
        let mut executor = executor.clone();
        let function = format!("train_{index}");
        let body: String = (0..12)
            .map(|line| format!("    step_{line} = learning_rate * {line}  # {function}\n"))
            .collect();
        executor["container"]["args"][3] = json!(function);
        executor["container"]["command"][5] = json!(format!(
            "\nimport kfp\nfrom kfp import dsl\n\n\
             def {function}(data: str, learning_rate: float, epochs: int) -> float:\n\
             {body}    return learning_rate * epochs\n"
        ));
        executors.insert(format!("exec-{name}"), executor);
    }
    let mut old = base.clone();
    old["root"]["dag"]["tasks"] = Value::Object(all_tasks);
    old["components"] = Value::Object(components);
    old["deploymentSpec"]["executors"] = Value::Object(executors);
    old["pipelineInfo"] = json!({"name": "big", "description": "Many tasks."});
    old["root"]["inputDefinitions"]["parameters"]["data"] = json!({"parameterType": "STRING"});

    let mut new = old.clone();
    edit(
        &mut new,
        "/pipelineInfo/description",
        Some(json!("Many tasks, a few changed.")),
    );
    edit(
        &mut new,
        "/root/inputDefinitions/parameters/learning_rate/defaultValue",
        Some(json!(0.2)),
    );
    for index in [5, 500] {
        let pointer = format!("/deploymentSpec/executors/exec-train-{index}/container/image");
        if new.pointer(&pointer).is_some() {
            edit(&mut new, &pointer, Some(json!("python:3.12")));
        }
    }
    if tasks > 1501 {
        edit(
            &mut new,
            "/root/dag/tasks/train-1000/cachingOptions/enableCache",
            Some(json!(false)),
        );
        edit(&mut new, "/root/dag/tasks/train-1500", None);
        edit(&mut new, "/root/dag/tasks/train-1501/dependentTasks", None);
        edit(
            &mut new,
            "/root/dag/tasks/train-1501/inputs/parameters/data",
            Some(json!({"componentInputParameter": "data"})),
        );
        let mut renamed = new["root"]["dag"]["tasks"]["train-700"].clone();
        renamed["taskInfo"]["name"] = json!("train-renamed");
        edit(&mut new, "/root/dag/tasks/train-700", None);
        edit(&mut new, "/root/dag/tasks/train-renamed", Some(renamed));
        edit(
            &mut new,
            "/root/dag/tasks/train-701/dependentTasks",
            Some(json!(["train-renamed"])),
        );
        edit(
            &mut new,
            "/root/dag/tasks/train-701/inputs/parameters/data/taskOutputParameter/producerTask",
            Some(json!("train-renamed")),
        );
        let mut extra = new["root"]["dag"]["tasks"]["train-1999"].clone();
        extra["taskInfo"]["name"] = json!("train-new");
        extra["componentRef"]["name"] = json!("comp-train-new");
        extra["dependentTasks"] = json!(["train-1999"]);
        extra["inputs"]["parameters"]["data"]["taskOutputParameter"]["producerTask"] = json!("train-1999");
        edit(&mut new, "/root/dag/tasks/train-new", Some(extra));
        let mut component = new["components"]["comp-train-1999"].clone();
        component["executorLabel"] = json!("exec-train-new");
        edit(&mut new, "/components/comp-train-new", Some(component));
        let mut executor = new["deploymentSpec"]["executors"]["exec-train-1999"].clone();
        executor["container"]["args"][3] = json!("train_new");
        edit(
            &mut new,
            "/deploymentSpec/executors/exec-train-new",
            Some(executor),
        );
    }
    (old, new)
}
