//! Rename detection: a removed and an added task running the same component content are one
//! renamed task.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde_json::Value;

use super::tasks::Doc;
use super::{NEW, OLD};

impl<'a> Doc<'a> {
    /// What makes two tasks the same modulo their names: component and executor content.
    fn content_key(&self, task: &'a Value) -> Option<String> {
        let component_name = task.get("componentRef")?.get("name")?.as_str()?;
        let component = self.components?.get(component_name)?.as_object()?;
        let executor = component
            .get("executorLabel")
            .and_then(Value::as_str)
            .and_then(|l| self.executors?.get(l));
        let unnamed: BTreeMap<&String, &Value> = component
            .iter()
            .filter(|(key, _)| *key != "executorLabel")
            .collect();
        serde_json::to_string(&(unnamed, executor)).ok()
    }
}

/// A renamed task: its old key and task, then its new key and task.
pub(super) type RenamedPair<'a> = (&'a str, &'a Value, &'a str, &'a Value);

/// Pairs removed tasks (old side) with added ones (new side) of the same content: the renames
/// (old key to new key) and the pairs, in the order of the added tasks. Bucketing by content keeps
/// this linear in the number of tasks.
pub(super) fn renamed_tasks<'a>(
    docs: &[Doc<'a>; 2],
    removed: &[(&'a str, &'a Value)],
    added: &[(&'a str, &'a Value)],
) -> (HashMap<&'a str, &'a str>, Vec<RenamedPair<'a>>) {
    let mut renames: HashMap<&str, &str> = HashMap::new();
    let mut renamed_pairs = Vec::new();
    if !removed.is_empty() && !added.is_empty() {
        let mut buckets: HashMap<String, VecDeque<(&'a str, &'a Value)>> = HashMap::new();
        for &(key, task) in removed {
            if let Some(content) = docs[OLD].content_key(task) {
                buckets.entry(content).or_default().push_back((key, task));
            }
        }
        for &(key, task) in added {
            let candidate = docs[NEW]
                .content_key(task)
                .and_then(|content| buckets.get_mut(&content));
            if let Some((old_key, old_task)) = candidate.and_then(VecDeque::pop_front) {
                renames.insert(old_key, key);
                renamed_pairs.push((old_key, old_task, key, task));
            }
        }
    }
    (renames, renamed_pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::test_support::*;
    use crate::diff::{Options, render_summary, semantic};
    use serde_json::json;

    /// train_v1 with task `prepare` renamed to `load`, and its component and executor with it.
    fn renamed_prepare(old: &[Value]) -> Vec<Value> {
        let mut new = old.to_vec();
        let spec = &mut new[0];
        rename_key(spec, "/root/dag/tasks/prepare", "/root/dag/tasks/load");
        rename_key(spec, "/components/comp-prepare", "/components/comp-load");
        rename_key(
            spec,
            "/deploymentSpec/executors/exec-prepare",
            "/deploymentSpec/executors/exec-load",
        );
        edit(spec, "/root/dag/tasks/load/taskInfo/name", Some(json!("load")));
        edit(
            spec,
            "/root/dag/tasks/load/componentRef/name",
            Some(json!("comp-load")),
        );
        edit(
            spec,
            "/components/comp-load/executorLabel",
            Some(json!("exec-load")),
        );
        edit(
            spec,
            "/root/dag/tasks/train/dependentTasks",
            Some(json!(["load"])),
        );
        edit(
            spec,
            "/root/dag/tasks/train/inputs/parameters/data/taskOutputParameter/producerTask",
            Some(json!("load")),
        );
        new
    }

    #[test]
    fn a_renamed_task_is_one_change() {
        let old = load("variants/train_v1.yaml");
        let new = renamed_prepare(&old);
        let changes = semantic(&side("a", &old), &side("b", &new), &Options::default());
        assert_eq!(render_summary(&changes), "~ task prepare → load (renamed)\n");
        assert_eq!(
            serde_json::to_value(&changes[0]).unwrap(),
            json!({"op": "renamed", "scope": "task", "name": "load", "field": null,
                   "before": "prepare", "after": "load", "detail": null})
        );
        check_consistent(&side("a", &old), &side("b", &new), &Options::default());

        // Renamed and changed: the rename and the change on the new name.
        let mut changed = new.clone();
        edit(
            &mut changed[0],
            "/root/dag/tasks/load/cachingOptions/enableCache",
            Some(json!(false)),
        );
        assert_eq!(
            summary_of(&old, &changed),
            "~ task prepare → load (renamed)\n~ task load: caching enabled → disabled\n"
        );
    }

    #[test]
    fn a_task_with_new_content_and_name_is_removed_and_added() {
        let old = load("variants/train_v1.yaml");
        let mut new = renamed_prepare(&old);
        edit(
            &mut new[0],
            "/deploymentSpec/executors/exec-load/container/image",
            Some(json!("python:3.12")),
        );
        assert_eq!(
            summary_of(&old, &new),
            "+ task load\n\
             - task prepare\n\
             ~ task train: dependencies [prepare] → [load]\n\
             ~ task train: input[data] prepare.Output → load.Output\n"
        );
    }
}
