//! The semantic walk of tasks, DAG by DAG: each task compared with its component and executor,
//! added and removed tasks, and components and executors no compared task uses.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::change::{Change, Op, Scope, Side, entity_change};
use super::platform::platform_executor_pointer;
use super::rename::renamed_tasks;
use super::semantic::Differ;
use super::view::{
    Loc, RANK_COMPONENT, RANK_DISPLAY_NAME, RANK_EXECUTOR_LABEL, View, add_component_fields,
    add_executor_fields, add_task_fields, compare_views, escape, zip_maps,
};
use super::{NEW, OLD};

/// Beyond this many task visits nested DAGs are compared as plain data: a spec reusing one
/// sub-pipeline inside another many levels deep would otherwise take exponential time.
const MAX_TASK_VISITS: usize = 1_000_000;

/// The parts of one side that tasks point into.
pub(super) struct Doc<'a> {
    pub(super) components: Option<&'a Map<String, Value>>,
    pub(super) executors: Option<&'a Map<String, Value>>,
    pub(super) platform_executors: Option<&'a Map<String, Value>>,
}

impl<'a> Doc<'a> {
    pub(super) fn new(side: &Side<'a>) -> Self {
        let spec = side.pipeline_spec;
        Doc {
            components: spec.get("components").and_then(Value::as_object),
            executors: spec
                .pointer("/deploymentSpec/executors")
                .and_then(Value::as_object),
            platform_executors: side
                .platform_spec
                .and_then(|platform| platform.pointer("/platforms/kubernetes/deploymentSpec/executors"))
                .and_then(Value::as_object),
        }
    }

    fn task(&self, parent: &Dag<'a>, key: &'a str, task: &'a Value) -> TaskSide<'a> {
        let component_name = task
            .get("componentRef")
            .and_then(|r| r.get("name"))
            .and_then(Value::as_str);
        let component = component_name.and_then(|name| self.components?.get(name));
        let executor_label = component
            .and_then(|c| c.get("executorLabel"))
            .and_then(Value::as_str);
        let executor = executor_label.and_then(|label| self.executors?.get(label));
        TaskSide {
            key,
            path: format!("{}{key}", parent.path_prefix),
            pointer: format!("{}/{}", parent.pointer, escape(key)),
            task,
            component_name,
            component,
            executor_label,
            executor,
        }
    }
}

/// A DAG being compared: its tasks and where they sit.
pub(super) struct Dag<'a> {
    pub(super) tasks: Option<&'a Map<String, Value>>,
    /// Task path prefix: empty for the root DAG, else the parent task's path and `/`.
    pub(super) path_prefix: String,
    /// JSON pointer of the `tasks` map.
    pub(super) pointer: String,
}

/// One task on one side, resolved to its component and executor.
struct TaskSide<'a> {
    key: &'a str,
    path: String,
    pointer: String,
    task: &'a Value,
    component_name: Option<&'a str>,
    component: Option<&'a Value>,
    executor_label: Option<&'a str>,
    executor: Option<&'a Value>,
}

impl<'a> TaskSide<'a> {
    fn nested_dag(&self) -> Option<Dag<'a>> {
        let tasks = self.component?.get("dag")?.get("tasks")?.as_object()?;
        Some(Dag {
            tasks: Some(tasks),
            path_prefix: format!("{}/", self.path),
            pointer: format!("{}/dag/tasks", component_pointer(self.component_name?)),
        })
    }

    fn view(&self, walk_nested: bool, renames: Option<&HashMap<&str, &str>>) -> View<'a> {
        let mut view = View::default();
        add_task_fields(
            &mut view,
            self.task,
            Loc::Root {
                part: "task",
                pointer: &self.pointer,
            },
            renames,
        );
        if let (Some(name), Some(component)) = (self.component_name, self.component) {
            let loc = Loc::Keyed {
                part: "component",
                prefix: "/components",
                key: name,
            };
            add_component_fields(&mut view, component, loc, walk_nested);
        }
        if let (Some(label), Some(executor)) = (self.executor_label, self.executor) {
            let loc = Loc::Keyed {
                part: "executor",
                prefix: "/deploymentSpec/executors",
                key: label,
            };
            add_executor_fields(&mut view, executor, loc);
        }
        view
    }

    fn display_name(&self) -> Option<&'a str> {
        self.task
            .get("taskInfo")
            .and_then(|info| info.get("name"))
            .and_then(Value::as_str)
    }
}

fn component_pointer(name: &str) -> String {
    format!("/components/{}", escape(name))
}

fn executor_pointer(label: &str) -> String {
    format!("/deploymentSpec/executors/{}", escape(label))
}

/// What the compared tasks of one side use (and so account for).
#[derive(Default)]
pub(super) struct Reach<'a> {
    components: HashSet<&'a str>,
    pub(super) executors: HashSet<&'a str>,
}

impl<'a> Differ<'a> {
    pub(super) fn compare_dag(&mut self, dags: [Dag<'a>; 2]) {
        let mut matched = Vec::new();
        let mut removed = Vec::new();
        let mut added = Vec::new();
        for (key, old, new) in zip_maps(dags[OLD].tasks, dags[NEW].tasks) {
            match (old, new) {
                (Some(old), Some(new)) => matched.push((key, old, new)),
                (Some(old), None) => removed.push((key, old)),
                (None, Some(new)) => added.push((key, new)),
                (None, None) => {}
            }
        }
        let (renames, renamed_pairs) = renamed_tasks(&self.docs, &removed, &added);
        for (key, old, new) in matched {
            let old = self.docs[OLD].task(&dags[OLD], key, old);
            let new = self.docs[NEW].task(&dags[NEW], key, new);
            self.task_pair(old, new, false, &renames);
        }
        for &(old_key, old, new_key, new) in &renamed_pairs {
            let old = self.docs[OLD].task(&dags[OLD], old_key, old);
            let new = self.docs[NEW].task(&dags[NEW], new_key, new);
            self.changes.push(Change {
                op: Op::Renamed,
                scope: Scope::Task,
                name: new.path.clone(),
                field: None,
                before: Some(Value::String(old.path.clone())),
                after: Some(Value::String(new.path.clone())),
                detail: None,
            });
            self.task_pair(old, new, true, &renames);
        }
        for (key, task) in removed {
            if !renames.contains_key(key) {
                let task = self.docs[OLD].task(&dags[OLD], key, task);
                self.unpaired_task(OLD, task);
            }
        }
        let renamed_to: HashSet<&str> = renames.values().copied().collect();
        for (key, task) in added {
            if !renamed_to.contains(key) {
                let task = self.docs[NEW].task(&dags[NEW], key, task);
                self.unpaired_task(NEW, task);
            }
        }
    }

    /// Whether the nested DAG of `task` may be walked: not a component already being walked (a
    /// cycle, in a broken spec) and within the visit budget.
    fn may_enter(&self, side: usize, task: &TaskSide<'a>) -> bool {
        self.visits < MAX_TASK_VISITS
            && task
                .component_name
                .is_some_and(|name| !self.walking[side].contains(&name))
    }

    fn enter(&mut self, side: usize, task: &TaskSide<'a>) {
        if let Some(name) = task.component_name {
            self.walking[side].push(name);
        }
    }

    fn leave(&mut self, side: usize) {
        self.walking[side].pop();
    }

    fn mark_reached(&mut self, side: usize, task: &TaskSide<'a>) {
        self.visits += 1;
        if let Some(name) = task.component_name {
            self.reach[side].components.insert(name);
        }
        if let Some(label) = task.executor_label {
            self.reach[side].executors.insert(label);
        }
    }

    fn task_pair(
        &mut self,
        old: TaskSide<'a>,
        new: TaskSide<'a>,
        renamed: bool,
        renames: &HashMap<&str, &str>,
    ) {
        self.mark_reached(OLD, &old);
        self.mark_reached(NEW, &new);
        let nested = match (old.nested_dag(), new.nested_dag()) {
            (Some(old_dag), Some(new_dag)) if self.may_enter(OLD, &old) && self.may_enter(NEW, &new) => {
                Some([old_dag, new_dag])
            }
            _ => None,
        };
        // Most tasks are unchanged: comparing the raw values is much cheaper than building views.
        let unchanged = !renamed
            && old.task == new.task
            && old.component == new.component
            && old.executor == new.executor;
        if !unchanged {
            let mut old_view = old.view(nested.is_some(), Some(renames));
            let mut new_view = new.view(nested.is_some(), None);
            if renamed {
                // Implied by the rename: the compiler names components and executors after tasks.
                for view in [&mut old_view, &mut new_view] {
                    view.remove(RANK_COMPONENT, "component");
                    view.remove(RANK_EXECUTOR_LABEL, "executor");
                }
                if old.display_name() == Some(old.key) && new.display_name() == Some(new.key) {
                    old_view.remove(RANK_DISPLAY_NAME, "displayName");
                    new_view.remove(RANK_DISPLAY_NAME, "displayName");
                }
            }
            compare_views(&old_view, &new_view, Scope::Task, &new.path, &mut self.changes);
        }

        let configs = [(OLD, &old), (NEW, &new)].map(|(side, task)| {
            let label = task.executor_label?;
            Some((label, self.docs[side].platform_executors?.get(label)?))
        });
        if configs[OLD].map(|(_, config)| config) != configs[NEW].map(|(_, config)| config) {
            let configs =
                configs.map(|config| config.map(|(label, value)| (value, platform_executor_pointer(label))));
            self.platform_config(&new.path, configs);
        }

        if let Some(nested) = nested {
            self.enter(OLD, &old);
            self.enter(NEW, &new);
            self.compare_dag(nested);
            self.leave(OLD);
            self.leave(NEW);
        }
    }

    /// An added (side NEW) or removed (side OLD) task, and the tasks nested in it.
    fn unpaired_task(&mut self, side: usize, task: TaskSide<'a>) {
        self.mark_reached(side, &task);
        let (op, before, after) = if side == NEW {
            (Op::Added, None, Some(task.task.clone()))
        } else {
            (Op::Removed, Some(task.task.clone()), None)
        };
        let detail = task
            .task
            .get("dependentTasks")
            .and_then(Value::as_array)
            .and_then(|dependencies| {
                let mut names: Vec<&str> = dependencies.iter().filter_map(Value::as_str).collect();
                names.sort_unstable();
                (!names.is_empty()).then(|| format!("after {}", names.join(", ")))
            });
        self.changes
            .push(entity_change(op, Scope::Task, &task.path, before, after, detail));
        if self.may_enter(side, &task)
            && let Some(nested) = task.nested_dag()
            && let Some(tasks) = nested.tasks
        {
            self.enter(side, &task);
            for (key, child) in tasks {
                let child = self.docs[side].task(&nested, key, child);
                self.unpaired_task(side, child);
            }
            self.leave(side);
        }
    }

    /// Components or executors that no compared task accounted for: reported on their own.
    pub(super) fn unreached(&mut self, scope: Scope, maps: [Option<&'a Map<String, Value>>; 2]) {
        for (name, old, new) in zip_maps(maps[OLD], maps[NEW]) {
            // Where a side has it and a task there uses it, the task's changes, addition or
            // removal account for it.
            let used = |side: usize| match scope {
                Scope::Component => self.reach[side].components.contains(name),
                _ => self.reach[side].executors.contains(name),
            };
            let covered = (old.is_none() || used(OLD)) && (new.is_none() || used(NEW));
            if covered || old == new {
                continue;
            }
            let pointer = match scope {
                Scope::Component => component_pointer(name),
                _ => executor_pointer(name),
            };
            match (old, new) {
                (Some(old), None) => self.changes.push(entity_change(
                    Op::Removed,
                    scope,
                    name,
                    Some(old.clone()),
                    None,
                    None,
                )),
                (None, Some(new)) => self.changes.push(entity_change(
                    Op::Added,
                    scope,
                    name,
                    None,
                    Some(new.clone()),
                    None,
                )),
                _ => {
                    let views = [old, new].map(|value| {
                        let mut view = View::default();
                        if let Some(value) = value {
                            let loc = Loc::Root {
                                part: scope.as_str(),
                                pointer: &pointer,
                            };
                            match scope {
                                Scope::Component => add_component_fields(&mut view, value, loc, false),
                                _ => add_executor_fields(&mut view, value, loc),
                            }
                        }
                        view
                    });
                    compare_views(&views[OLD], &views[NEW], scope, name, &mut self.changes);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diff::Options;
    use crate::diff::test_support::*;
    use serde_json::json;

    #[test]
    fn loop_parallelism_change_is_reported_on_the_nested_loop_task() {
        let old = load("variants/fanout.yaml");
        let mut new = old.clone();
        let pointer = "/components/comp-exit-handler-1/dag/tasks/for-loop-2/iteratorPolicy/parallelismLimit";
        assert_eq!(new[0].pointer(pointer), Some(&json!(2)));
        edit(&mut new[0], pointer, Some(json!(4)));
        assert_eq!(
            summary_of(&old, &new),
            "~ task exit-handler-1/for-loop-2: parallelism 2 → 4\n"
        );
        check_consistent(&side("a", &old), &side("b", &new), &Options::default());
    }

    #[test]
    fn condition_and_trigger_changes_are_reported() {
        let old = load("variants/fanout.yaml");
        let mut new = old.clone();
        let condition = "/components/comp-exit-handler-1/dag/tasks/condition-3/triggerPolicy/condition";
        edit(
            &mut new[0],
            condition,
            Some(json!(
                "inputs.parameter_values['pipelinechannel--verbose'] == false"
            )),
        );
        edit(&mut new[0], "/root/dag/tasks/report/triggerPolicy", None);
        assert_eq!(
            summary_of(&old, &new),
            "~ task exit-handler-1/condition-3: condition \
             inputs.parameter_values['pipelinechannel--verbose'] == true → \
             inputs.parameter_values['pipelinechannel--verbose'] == false\n\
             - task report: triggerStrategy\n"
        );
    }

    #[test]
    fn an_added_nested_task_is_named_by_its_path() {
        let old = load("variants/fanout.yaml");
        let mut new = old.clone();
        let mut task = new[0]["components"]["comp-for-loop-2"]["dag"]["tasks"]["work"].clone();
        task["dependentTasks"] = json!(["work"]);
        task["taskInfo"]["name"] = json!("work-2");
        edit(
            &mut new[0],
            "/components/comp-for-loop-2/dag/tasks/work-2",
            Some(task),
        );
        assert_eq!(
            summary_of(&old, &new),
            "+ task exit-handler-1/for-loop-2/work-2 (after work)\n"
        );
        check_consistent(&side("a", &old), &side("b", &new), &Options::default());
    }

    #[test]
    fn an_image_change_is_reported_on_every_task_using_the_executor() {
        let old = load("variants/train_v1.yaml");
        let mut new = old.clone();
        edit(
            &mut new[0],
            "/deploymentSpec/executors/exec-prepare/container/image",
            Some(json!("python:3.13-slim")),
        );
        assert_eq!(
            summary_of(&old, &new),
            "~ task prepare: image python:3.11 → python:3.13-slim\n"
        );

        // Two tasks sharing one component and executor: both are affected.
        let mut shared = old.clone();
        let mut again = shared[0]["root"]["dag"]["tasks"]["prepare"].clone();
        again["taskInfo"]["name"] = json!("prepare-2");
        edit(&mut shared[0], "/root/dag/tasks/prepare-2", Some(again));
        let mut changed = shared.clone();
        edit(
            &mut changed[0],
            "/deploymentSpec/executors/exec-prepare/container/image",
            Some(json!("python:3.13")),
        );
        assert_eq!(
            summary_of(&shared, &changed),
            "~ task prepare: image python:3.11 → python:3.13\n\
             ~ task prepare-2: image python:3.11 → python:3.13\n"
        );
    }

    #[test]
    fn container_details_are_reported_by_field() {
        let old = load("variants/train_v1.yaml");
        let mut new = old.clone();
        let container = "/deploymentSpec/executors/exec-train/container";
        edit(
            &mut new[0],
            &format!("{container}/resources"),
            Some(json!({"cpuLimit": 2.0, "memoryLimit": 4e9})),
        );
        edit(
            &mut new[0],
            &format!("{container}/env"),
            Some(json!([{"name": "DEBUG", "value": "1"}])),
        );
        edit(&mut new[0], &format!("{container}/args/3"), None);
        let mut base = old.clone();
        edit(
            &mut base[0],
            &format!("{container}/resources"),
            Some(json!({"cpuLimit": 1.0})),
        );
        edit(
            &mut base[0],
            &format!("{container}/env"),
            Some(json!([{"name": "MODE", "value": "fast"}])),
        );
        assert_eq!(
            summary_of(&base, &new),
            "~ task train: args [--executor_input, \"{{$}}\", --function_to_execute, train] → \
             [--executor_input, \"{{$}}\", --function_to_execute]\n\
             + task train: env[DEBUG] \"1\"\n\
             - task train: env[MODE]\n\
             ~ task train: resources.cpuLimit 1.0 → 2.0\n\
             + task train: resources.memoryLimit 4000000000.0\n"
        );
    }

    #[test]
    fn changed_dependencies_are_reported() {
        let old = load("variants/train_v2.yaml");
        let mut new = old.clone();
        edit(
            &mut new[0],
            "/root/dag/tasks/evaluate/dependentTasks",
            Some(json!(["train", "prepare"])),
        );
        assert_eq!(
            summary_of(&old, &new),
            "~ task evaluate: dependencies [train] → [prepare, train]\n"
        );
    }

    #[test]
    fn components_and_executors_no_task_uses_have_their_own_scope() {
        let old = load("variants/train_v1.yaml");
        let mut new = old.clone();
        let unused = new[0]["components"]["comp-train"].clone();
        edit(&mut new[0], "/components/comp-unused", Some(unused));
        edit(
            &mut new[0],
            "/deploymentSpec/executors/exec-prepare-old",
            Some(json!({"container": {"image": "busybox"}})),
        );
        let mut newer = new.clone();
        edit(
            &mut newer[0],
            "/components/comp-unused/executorLabel",
            Some(json!("exec-other")),
        );
        assert_eq!(
            summary_of(&old, &new),
            "+ component comp-unused\n+ executor exec-prepare-old\n"
        );
        assert_eq!(
            summary_of(&new, &newer),
            "~ component comp-unused: executor exec-train → exec-other\n"
        );
        check_consistent(&side("a", &new), &side("b", &newer), &Options::default());
    }

    #[test]
    fn a_dag_that_contains_itself_does_not_hang() {
        let old = load("variants/fanout.yaml");
        let mut new = old.clone();
        // comp-for-loop-2 runs itself: a broken spec, compared as far as it makes sense.
        let mut task = new[0]["components"]["comp-exit-handler-1"]["dag"]["tasks"]["for-loop-2"].clone();
        task["taskInfo"]["name"] = json!("again");
        edit(
            &mut new[0],
            "/components/comp-for-loop-2/dag/tasks/again",
            Some(task),
        );
        let mut newer = new.clone();
        edit(
            &mut newer[0],
            "/components/comp-work/executorLabel",
            Some(json!("exec-report")),
        );
        assert_eq!(
            summary_of(&old, &new),
            "+ task exit-handler-1/for-loop-2/again (after shard)\n"
        );
        // The nested copy is not walked again: its changes show once, on the outer task.
        assert_eq!(
            summary_of(&new, &newer),
            "~ task exit-handler-1/for-loop-2/work: command changed (+2 -2 lines)\n\
             ~ task exit-handler-1/for-loop-2/work: args \
             [--executor_input, \"{{$}}\", --function_to_execute, work] → \
             [--executor_input, \"{{$}}\", --function_to_execute, report]\n\
             ~ task exit-handler-1/for-loop-2/work: executor exec-work → exec-report\n"
        );
        check_consistent(&side("a", &new), &side("b", &newer), &Options::default());
    }
}
