//! The semantic diff: what changed in pipeline terms. This file walks the pipeline itself (its
//! fields, inputs, outputs and root DAG); `tasks` walks the tasks, `platform` the platform spec.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::change::{Change, Op, Options, Scope, Side, entity_change};
use super::summary::describe_definition;
use super::tasks::{Dag, Doc, Reach};
use super::view::{
    Loc, RANK_SOURCE, View, add_definition_fields, add_pipeline_fields, compare_views, escape, generic_pair,
    zip_maps,
};
use super::{NEW, OLD, SDK_VERSION, identical};

/// What changed, in pipeline terms, ordered as [`render_summary`](super::render_summary)
/// prints it. Empty exactly when [`unified`](super::unified) returns None.
pub fn semantic(a: &Side, b: &Side, options: &Options) -> Vec<Change> {
    if identical(a, b, options) {
        return Vec::new();
    }
    let mut differ = Differ::new(a, b, options);
    differ.pipeline();
    differ.platform();
    let mut changes = differ.changes;
    if changes.is_empty() {
        // Only differences the rules normalise away are left (see the module docs): show them raw.
        let name = pipeline_name(a, b);
        let skip = options.ignore_sdk_version.then_some(SDK_VERSION);
        let (old, new) = (a.pipeline_spec, b.pipeline_spec);
        match (old.as_object(), new.as_object()) {
            (Some(old), Some(new)) => {
                for (key, old, new) in zip_maps(Some(old), Some(new)) {
                    if Some(key) != skip {
                        let pointer = format!("/{}", escape(key));
                        generic_pair(&mut changes, Scope::Pipeline, &name, old, new, &pointer, &pointer);
                    }
                }
            }
            _ => generic_pair(&mut changes, Scope::Pipeline, &name, Some(old), Some(new), "", ""),
        }
        let (old, new) = (a.platform_spec, b.platform_spec);
        generic_pair(&mut changes, Scope::Platform, "", old, new, "", "");
    }
    sort_changes(&mut changes);
    changes
}

fn pipeline_name(a: &Side, b: &Side) -> String {
    [b.pipeline_spec, a.pipeline_spec]
        .iter()
        .find_map(|spec| spec.pointer("/pipelineInfo/name").and_then(Value::as_str))
        .unwrap_or_default()
        .to_string()
}

/// Groups changes by scope, then by name; within one name the order of detection is kept.
fn sort_changes(changes: &mut [Change]) {
    changes.sort_by(|x, y| {
        x.scope
            .cmp(&y.scope)
            .then_with(|| compare_names(&x.name, &y.name))
    });
}

/// Task paths segment by segment, so nested tasks follow their parent; numbers in names by
/// value, so `train-5` comes before `train-10`.
pub(super) fn compare_names(x: &str, y: &str) -> Ordering {
    let mut x_segments = x.split('/');
    let mut y_segments = y.split('/');
    loop {
        match (x_segments.next(), y_segments.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(a), Some(b)) => match natural_order(a, b) {
                Ordering::Equal => {}
                order => return order,
            },
        }
    }
}

fn natural_order(x: &str, y: &str) -> Ordering {
    let (mut x, mut y) = (x.as_bytes(), y.as_bytes());
    loop {
        match (x.first(), y.first()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(a), Some(b)) if a.is_ascii_digit() && b.is_ascii_digit() => {
                let x_digits = x.iter().take_while(|c| c.is_ascii_digit()).count();
                let y_digits = y.iter().take_while(|c| c.is_ascii_digit()).count();
                let (x_number, y_number) = (&x[..x_digits], &y[..y_digits]);
                let trim = |digits: &[u8]| -> usize { digits.iter().take_while(|c| **c == b'0').count() };
                let (x_value, y_value) = (&x_number[trim(x_number)..], &y_number[trim(y_number)..]);
                let order = x_value
                    .len()
                    .cmp(&y_value.len())
                    .then_with(|| x_value.cmp(y_value))
                    .then(x_digits.cmp(&y_digits));
                if order != Ordering::Equal {
                    return order;
                }
                (x, y) = (&x[x_digits..], &y[y_digits..]);
            }
            (Some(a), Some(b)) => {
                if a != b {
                    return a.cmp(b);
                }
                (x, y) = (&x[1..], &y[1..]);
            }
        }
    }
}

pub(super) struct Differ<'a> {
    pub(super) sides: [&'a Side<'a>; 2],
    pub(super) docs: [Doc<'a>; 2],
    pub(super) ignore_sdk_version: bool,
    pub(super) pipeline_name: String,
    /// Components and executors the compared tasks use, per side.
    pub(super) reach: [Reach<'a>; 2],
    /// Components whose DAG is being walked, outermost first, per side.
    pub(super) walking: [Vec<&'a str>; 2],
    pub(super) visits: usize,
    pub(super) changes: Vec<Change>,
}

impl<'a> Differ<'a> {
    fn new(old: &'a Side<'a>, new: &'a Side<'a>, options: &Options) -> Self {
        Differ {
            sides: [old, new],
            docs: [Doc::new(old), Doc::new(new)],
            ignore_sdk_version: options.ignore_sdk_version,
            pipeline_name: pipeline_name(old, new),
            reach: [Reach::default(), Reach::default()],
            walking: [Vec::new(), Vec::new()],
            visits: 0,
            changes: Vec::new(),
        }
    }

    pub(super) fn generic(
        &mut self,
        scope: Scope,
        name: &str,
        old: Option<&Value>,
        new: Option<&Value>,
        pointer: &str,
    ) {
        generic_pair(&mut self.changes, scope, name, old, new, pointer, pointer);
    }

    /// Both values as maps (absent counts as an empty map); otherwise reports them as plain data
    /// and returns None.
    pub(super) fn maps(
        &mut self,
        scope: Scope,
        name: &str,
        old: Option<&'a Value>,
        new: Option<&'a Value>,
        pointer: &str,
    ) -> Option<[Option<&'a Map<String, Value>>; 2]> {
        match (old.map(Value::as_object), new.map(Value::as_object)) {
            (Some(None), _) | (_, Some(None)) => {
                self.generic(scope, name, old, new, pointer);
                None
            }
            (old, new) => Some([old.flatten(), new.flatten()]),
        }
    }

    /// Reports, as plain data, every key of the two maps not in `handled`.
    pub(super) fn rest(
        &mut self,
        scope: Scope,
        name: &str,
        maps: [Option<&'a Map<String, Value>>; 2],
        pointer: &str,
        handled: &[&str],
    ) {
        for (key, old, new) in zip_maps(maps[OLD], maps[NEW]) {
            if !handled.contains(&key) {
                self.generic(scope, name, old, new, &format!("{pointer}/{}", escape(key)));
            }
        }
    }

    fn pipeline(&mut self) {
        let name = self.pipeline_name.clone();
        let specs = [self.sides[OLD].pipeline_spec, self.sides[NEW].pipeline_spec];
        let Some(maps) = self.maps(Scope::Pipeline, &name, Some(specs[OLD]), Some(specs[NEW]), "") else {
            return;
        };
        let views = maps.map(|map| {
            let mut view = View::default();
            if let Some(map) = map {
                add_pipeline_fields(&mut view, map, self.ignore_sdk_version);
            }
            view
        });
        compare_views(
            &views[OLD],
            &views[NEW],
            Scope::Pipeline,
            &name,
            &mut self.changes,
        );

        let root = maps.map(|map| map.and_then(|m| m.get("root")));
        self.root(root);

        let components = maps.map(|map| map.and_then(|m| m.get("components")));
        let components = self.maps(
            Scope::Pipeline,
            &name,
            components[OLD],
            components[NEW],
            "/components",
        );
        let deployment = maps.map(|map| map.and_then(|m| m.get("deploymentSpec")));
        let executors = self
            .maps(
                Scope::Pipeline,
                &name,
                deployment[OLD],
                deployment[NEW],
                "/deploymentSpec",
            )
            .and_then(|deployment| {
                self.rest(
                    Scope::Pipeline,
                    &name,
                    deployment,
                    "/deploymentSpec",
                    &["executors"],
                );
                let executors = deployment.map(|map| map.and_then(|m| m.get("executors")));
                self.maps(
                    Scope::Pipeline,
                    &name,
                    executors[OLD],
                    executors[NEW],
                    "/deploymentSpec/executors",
                )
            });
        // After the task walk: what no task accounted for.
        if let Some(components) = components {
            self.unreached(Scope::Component, components);
        }
        if let Some(executors) = executors {
            self.unreached(Scope::Executor, executors);
        }
        // `sdkVersion` is a pipeline field, or ignored.
        let handled = [
            "pipelineInfo",
            SDK_VERSION,
            "schemaVersion",
            "root",
            "components",
            "deploymentSpec",
        ];
        self.rest(Scope::Pipeline, &name, maps, "", &handled);
    }

    fn root(&mut self, root: [Option<&'a Value>; 2]) {
        let name = self.pipeline_name.clone();
        let Some(root) = self.maps(Scope::Pipeline, &name, root[OLD], root[NEW], "/root") else {
            return;
        };
        let child = |key: &str| root.map(|map| map.and_then(|m| m.get(key)));

        let inputs = child("inputDefinitions");
        if let Some(inputs) = self.maps(
            Scope::Pipeline,
            &name,
            inputs[OLD],
            inputs[NEW],
            "/root/inputDefinitions",
        ) {
            self.rest(
                Scope::Pipeline,
                &name,
                inputs,
                "/root/inputDefinitions",
                &["parameters", "artifacts"],
            );
            for kind in ["parameters", "artifacts"] {
                let pointer = format!("/root/inputDefinitions/{kind}");
                let values = inputs.map(|map| map.and_then(|m| m.get(kind)));
                if let Some(defs) = self.maps(Scope::Pipeline, &name, values[OLD], values[NEW], &pointer) {
                    for (input, old, new) in zip_maps(defs[OLD], defs[NEW]) {
                        let pointer = format!("{pointer}/{}", escape(input));
                        self.definition(Scope::Input, input, [old, new], [None, None], &pointer, "");
                    }
                }
            }
        }

        let dag = child("dag");
        let dag = self.maps(Scope::Pipeline, &name, dag[OLD], dag[NEW], "/root/dag");
        let outputs = child("outputDefinitions");
        let outputs = self.maps(
            Scope::Pipeline,
            &name,
            outputs[OLD],
            outputs[NEW],
            "/root/outputDefinitions",
        );
        let sources = dag.and_then(|dag| {
            let sources = dag.map(|map| map.and_then(|m| m.get("outputs")));
            self.maps(
                Scope::Pipeline,
                &name,
                sources[OLD],
                sources[NEW],
                "/root/dag/outputs",
            )
        });
        if let Some(outputs) = outputs {
            self.rest(
                Scope::Pipeline,
                &name,
                outputs,
                "/root/outputDefinitions",
                &["parameters", "artifacts"],
            );
        }
        if let Some(sources) = sources {
            self.rest(
                Scope::Pipeline,
                &name,
                sources,
                "/root/dag/outputs",
                &["parameters", "artifacts"],
            );
        }
        for kind in ["parameters", "artifacts"] {
            let definitions_pointer = format!("/root/outputDefinitions/{kind}");
            let sources_pointer = format!("/root/dag/outputs/{kind}");
            let defs = outputs.and_then(|maps| {
                let values = maps.map(|map| map.and_then(|m| m.get(kind)));
                self.maps(
                    Scope::Pipeline,
                    &name,
                    values[OLD],
                    values[NEW],
                    &definitions_pointer,
                )
            });
            let feeds = sources.and_then(|maps| {
                let values = maps.map(|map| map.and_then(|m| m.get(kind)));
                self.maps(Scope::Pipeline, &name, values[OLD], values[NEW], &sources_pointer)
            });
            let defs = defs.unwrap_or([None, None]);
            let feeds = feeds.unwrap_or([None, None]);
            let names: BTreeSet<&str> = [defs[OLD], defs[NEW], feeds[OLD], feeds[NEW]]
                .into_iter()
                .flatten()
                .flat_map(|map| map.keys().map(String::as_str))
                .collect();
            for output in names {
                let get = |map: Option<&'a Map<String, Value>>| map.and_then(|m| m.get(output));
                self.definition(
                    Scope::Output,
                    output,
                    [get(defs[OLD]), get(defs[NEW])],
                    [get(feeds[OLD]), get(feeds[NEW])],
                    &format!("{definitions_pointer}/{}", escape(output)),
                    &format!("{sources_pointer}/{}", escape(output)),
                );
            }
        }

        if let Some(dag) = dag {
            self.rest(Scope::Pipeline, &name, dag, "/root/dag", &["tasks", "outputs"]);
            let tasks = dag.map(|map| map.and_then(|m| m.get("tasks")));
            if let Some(tasks) = self.maps(Scope::Pipeline, &name, tasks[OLD], tasks[NEW], "/root/dag/tasks")
            {
                let dags = tasks.map(|tasks| Dag {
                    tasks,
                    path_prefix: String::new(),
                    pointer: "/root/dag/tasks".into(),
                });
                self.compare_dag(dags);
            }
        }
        self.rest(
            Scope::Pipeline,
            &name,
            root,
            "/root",
            &["inputDefinitions", "outputDefinitions", "dag"],
        );
    }

    /// A pipeline input or output: its definition and, for outputs, the DAG output feeding it.
    fn definition(
        &mut self,
        scope: Scope,
        name: &str,
        definitions: [Option<&'a Value>; 2],
        sources: [Option<&'a Value>; 2],
        definition_pointer: &str,
        source_pointer: &str,
    ) {
        let present = |side: usize| definitions[side].is_some() || sources[side].is_some();
        let value = |side: usize| definitions[side].or(sources[side]).cloned();
        match (present(OLD), present(NEW)) {
            (true, false) => {
                self.changes
                    .push(entity_change(Op::Removed, scope, name, value(OLD), None, None))
            }
            (false, true) => {
                let detail = definitions[NEW].and_then(describe_definition);
                self.changes
                    .push(entity_change(Op::Added, scope, name, None, value(NEW), detail));
            }
            _ => {
                let views = [OLD, NEW].map(|side| {
                    let mut view = View::default();
                    if let Some(definition) = definitions[side] {
                        let loc = Loc::Root {
                            part: "definition",
                            pointer: definition_pointer,
                        };
                        add_definition_fields(&mut view, definition, loc);
                    }
                    if let Some(source) = sources[side] {
                        let loc = Loc::Root {
                            part: "source",
                            pointer: source_pointer,
                        };
                        view.set(RANK_SOURCE, "source", Cow::Borrowed(source), loc);
                    }
                    view
                });
                compare_views(&views[OLD], &views[NEW], scope, name, &mut self.changes);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::test_support::*;
    use crate::diff::{render_summary, to_json, unified};
    use serde_json::json;

    #[test]
    fn train_v1_to_v2_reports_each_designed_change() {
        let (old, new) = (load("variants/train_v1.yaml"), load("variants/train_v2.yaml"));
        assert_eq!(
            summary_of(&old, &new),
            "~ pipeline train: description Prepare data and train a model. → \
             Prepare data, train and evaluate a model.\n\
             - input epochs\n\
             ~ input learning_rate: default 0.1 → 0.05\n\
             + task evaluate (after train)\n\
             ~ task prepare: caching enabled → disabled\n\
             ~ task train: image python:3.11 → python:3.12\n\
             ~ task train: command changed (+2 -2 lines)\n\
             - task train: input[epochs]\n\
             - task train: componentInput[epochs]\n"
        );
        check_consistent(&side("a", &old), &side("b", &new), &Options::default());
    }

    #[test]
    fn identical_specs_have_no_difference() {
        let spec = load("variants/with_platform.yaml");
        let copy = spec.clone();
        let (old, new) = (side("a", &spec), side("b", &copy));
        assert_eq!(unified(&old, &new, &Options::default()), None);
        let changes = semantic(&old, &new, &Options::default());
        assert!(changes.is_empty());
        assert_eq!(render_summary(&changes), "");
        assert_eq!(
            to_json(&old, &new, &changes),
            json!({"apiVersion": "kubectl-kfp.io/v1", "kind": "PipelineDiff", "from": "a", "to": "b",
                   "identical": true, "changes": []})
        );
    }

    #[test]
    fn key_order_and_yaml_style_make_no_difference() {
        let block = std::fs::read_to_string(crate::test_data::example("train_v1")).unwrap();
        let spec = crate::yaml::documents(&block).unwrap();
        // The same spec as one line of flow-style JSON with the keys in reverse order, and in
        // YAML with other quoting.
        fn reversed(value: &Value) -> String {
            match value {
                Value::Object(map) => {
                    let entries: Vec<String> = map
                        .iter()
                        .rev()
                        .map(|(k, v)| format!("{}: {}", Value::String(k.clone()), reversed(v)))
                        .collect();
                    format!("{{{}}}", entries.join(", "))
                }
                Value::Array(items) => {
                    format!("[{}]", items.iter().map(reversed).collect::<Vec<_>>().join(", "))
                }
                other => other.to_string(),
            }
        }
        let flow = crate::yaml::documents(&reversed(&spec[0])).unwrap();
        let requoted = block
            .replace("name: train\n", "name: \"train\"\n")
            .replace("image: python:3.11", "image: 'python:3.11'");
        assert_ne!(requoted, block);
        let requoted = crate::yaml::documents(&requoted).unwrap();
        for other in [&flow, &requoted] {
            let (old, new) = (side("a", &spec), side("b", other));
            assert_eq!(unified(&old, &new, &Options::default()), None);
            assert!(semantic(&old, &new, &Options::default()).is_empty());
        }
    }

    #[test]
    fn a_removed_input_is_reported_once() {
        let old = load("variants/train_v1.yaml");
        let mut new = old.clone();
        edit(&mut new[0], "/root/inputDefinitions/parameters/rows", None);
        assert_eq!(summary_of(&old, &new), "- input rows\n");
        assert_eq!(
            summary_of(&new, &old),
            "+ input rows (NUMBER_INTEGER, default 1000.0, optional)\n"
        );
    }

    #[test]
    fn sdk_version_is_ignored_only_when_asked() {
        let old = load("variants/train_v1.yaml");
        let mut new = old.clone();
        edit(&mut new[0], "/sdkVersion", Some(json!("kfp-2.18.0")));
        let (a, b) = (side("a", &old), side("b", &new));
        let ignore = Options {
            ignore_sdk_version: true,
            ..Options::default()
        };
        assert_eq!(unified(&a, &b, &ignore), None);
        assert!(semantic(&a, &b, &ignore).is_empty());
        assert_eq!(
            summary_of(&old, &new),
            "~ pipeline train: sdkVersion kfp-2.17.3 → kfp-2.18.0\n"
        );
        assert_eq!(
            unified(
                &a,
                &b,
                &Options {
                    context_lines: 1,
                    ..Options::default()
                }
            )
            .as_deref(),
            Some(
                "--- a\n+++ b\n@@ -148,2 +148,2 @@\n schemaVersion: 2.1.0\n\
                 -sdkVersion: kfp-2.17.3\n+sdkVersion: kfp-2.18.0\n"
            )
        );
        // Other changes still show, without the SDK version line.
        edit(&mut new[0], "/schemaVersion", Some(json!("2.2.0")));
        let (a, b) = (side("a", &old), side("b", &new));
        let patch = unified(&a, &b, &ignore).expect("a difference");
        assert!(!patch.contains("sdkVersion"), "{patch}");
        assert_eq!(
            render_summary(&semantic(&a, &b, &ignore)),
            "~ pipeline train: schemaVersion 2.1.0 → 2.2.0\n"
        );
        check_consistent(&a, &b, &ignore);
    }

    #[test]
    fn unknown_fields_are_reported_by_json_pointer() {
        let old = load("variants/train_v1.yaml");
        let mut new = old.clone();
        edit(
            &mut new[0],
            "/root/dag/tasks/train/newTaskOption",
            Some(json!({"level": 3})),
        );
        edit(
            &mut new[0],
            "/deploymentSpec/executors/exec-train/container/lifecycle",
            Some(json!("keep")),
        );
        edit(
            &mut new[0],
            "/defaultPipelineRoot",
            Some(json!("s3://bucket/root")),
        );
        edit(
            &mut new[0],
            "/root/dag/outputs",
            Some(json!({"parameters": {"Output": {"valueFromParameter": {
            "outputParameterKey": "Output", "producerSubtask": "train"}}}})),
        );
        assert_eq!(
            summary_of(&old, &new),
            "+ pipeline train: /defaultPipelineRoot s3://bucket/root\n\
             + output Output\n\
             + task train: /deploymentSpec/executors/exec-train/container/lifecycle keep\n\
             + task train: /root/dag/tasks/train/newTaskOption {level: 3}\n"
        );
        check_consistent(&side("a", &old), &side("b", &new), &Options::default());
    }

    #[test]
    fn meaningless_differences_still_show_when_nothing_else_differs() {
        let old = load("variants/train_v2.yaml");
        let mut new = old.clone();
        edit(
            &mut new[0],
            "/root/dag/tasks/prepare/cachingOptions",
            Some(json!({"enableCache": false})),
        );
        assert_eq!(
            summary_of(&old, &new),
            "+ pipeline train: /root/dag/tasks/prepare/cachingOptions/enableCache false\n"
        );
        check_consistent(&side("a", &old), &side("b", &new), &Options::default());
    }

    #[test]
    fn outputs_are_compared_with_their_sources() {
        let mut old = load("variants/train_v1.yaml");
        edit(
            &mut old[0],
            "/root/outputDefinitions",
            Some(json!({"parameters": {"score": {"parameterType": "NUMBER_DOUBLE"}}})),
        );
        edit(
            &mut old[0],
            "/root/dag/outputs",
            Some(json!({"parameters": {"score": {"valueFromParameter": {
            "outputParameterKey": "Output", "producerSubtask": "train"}}}})),
        );
        let mut new = old.clone();
        edit(
            &mut new[0],
            "/root/outputDefinitions/parameters/score/parameterType",
            Some(json!("STRING")),
        );
        edit(
            &mut new[0],
            "/root/dag/outputs/parameters/score/valueFromParameter/producerSubtask",
            Some(json!("prepare")),
        );
        assert_eq!(
            summary_of(&old, &new),
            "~ output score: type NUMBER_DOUBLE → STRING\n\
             ~ output score: source train.Output → prepare.Output\n"
        );
        let mut removed = old.clone();
        edit(&mut removed[0], "/root/outputDefinitions/parameters/score", None);
        edit(&mut removed[0], "/root/dag/outputs/parameters/score", None);
        assert_eq!(summary_of(&old, &removed), "- output score\n");
        assert_eq!(summary_of(&removed, &old), "+ output score (NUMBER_DOUBLE)\n");
    }

    #[test]
    fn big_specs_diff_correctly() {
        let (old, new) = big_pair(2000);
        let (old, new) = ([old], [new]);
        let (a, b) = (side("a", &old), side("b", &new));
        let summary = render_summary(&semantic(&a, &b, &Options::default()));
        assert_eq!(
            summary,
            "~ pipeline big: description Many tasks. → Many tasks, a few changed.\n\
             ~ input learning_rate: default 0.1 → 0.2\n\
             ~ task train-5: image python:3.11 → python:3.12\n\
             ~ task train-500: image python:3.11 → python:3.12\n\
             ~ task train-1000: caching enabled → disabled\n\
             - task train-1500 (after train-1499)\n\
             ~ task train-1501: dependencies [train-1500] → []\n\
             ~ task train-1501: input[data] train-1500.Output → input data\n\
             + task train-new (after train-1999)\n\
             ~ task train-700 → train-renamed (renamed)\n"
        );
        check_consistent(&a, &b, &Options::default());
    }
}
