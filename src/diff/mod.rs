//! Compares two pipeline versions: a unified diff of their canonical YAML ([`unified`]), and a
//! semantic diff that says what changed in pipeline terms ([`semantic`], [`render_summary`],
//! [`to_json`]).
//!
//! # JSON format
//!
//! `to_json` returns one object; the format is stable within `apiVersion` `kubectl-kfp.io/v1`:
//!
//! ```json
//! {
//!   "apiVersion": "kubectl-kfp.io/v1",
//!   "kind": "PipelineDiff",
//!   "from": "train@v1",
//!   "to": "train@v2",
//!   "identical": false,
//!   "changes": [
//!     {"op": "changed", "scope": "task", "name": "train", "field": "image",
//!      "before": "python:3.11", "after": "python:3.12", "detail": null},
//!     {"op": "added", "scope": "task", "name": "evaluate", "field": null,
//!      "after": {"componentRef": {"name": "comp-evaluate"}, "...": "..."}, "detail": "after train"},
//!     {"op": "removed", "scope": "input", "name": "epochs", "field": null,
//!      "before": {"defaultValue": 3.0, "isOptional": true, "parameterType": "NUMBER_INTEGER"},
//!      "detail": null}
//!   ]
//! }
//! ```
//!
//! - `from`, `to`: the labels of the two sides. `identical`: true exactly when `changes` is empty.
//!   `changes` are ordered by scope (in the order listed below), then by name (task paths segment
//!   by segment, numbers by value: `train-5` before `train-10`), the whole-thing change first, then
//!   fields in a fixed order (what runs, then wiring, then policies, then JSON pointers).
//! - `op`: `added`, `removed`, `changed` or `renamed`. When `field` is null the op applies to the
//!   whole thing named by `scope` and `name`; otherwise to that field of it (`"op": "removed",
//!   "field": "env[DEBUG]"` means the task lost the variable `DEBUG`). `renamed` is for tasks only.
//! - `scope`: `pipeline`, `input` (pipeline input), `output` (pipeline output), `task`,
//!   `component`, `executor` or `platform`. Changes to a component or an executor are reported on
//!   the tasks that use them; scopes `component` and `executor` hold only changes to ones that a
//!   side has but none of its tasks uses.
//! - `name`: for `pipeline` the pipeline's name (`pipelineInfo.name` of `to`, else of `from`);
//!   for `input`/`output` the parameter or artifact name; for `task` the task path (below); for
//!   `component`/`executor` the key under `components` / `deploymentSpec.executors`; for
//!   `platform` the path of the task whose executor the settings belong to, else the executor
//!   label (settings no compared task uses), or the platform's name (`kubernetes`) for settings
//!   outside `deploymentSpec.executors`, or empty for keys outside `platforms`.
//! - `field`: null, a name from the vocabulary below, or a JSON pointer (RFC 6901, starts with
//!   `/`) for anything the vocabulary does not cover. The pointer points into the `to` document
//!   (into `from` when the value exists only there): the platform spec for scope `platform`, the
//!   pipeline spec otherwise.
//! - `before`, `after`: the value on each side as found in the spec, omitted where it does not
//!   exist on that side. Two fields are normalised: `dependencies` (sorted list, `[]` when
//!   absent) and `caching` (boolean). For `renamed`, the old and the new task path.
//! - `detail`: a short human note or null: `after a, b` (its dependencies) on an added or removed
//!   task, type and default on an added input or output.
//!
//! Field vocabulary, by scope (`NAME`, `KEY`… stand for the map key or list entry id):
//!
//! - `pipeline`: `name`, `displayName`, `description`, `sdkVersion`, `schemaVersion`.
//! - `input`: `type`, `default`, `optional`, `description`.
//! - `output`: `type`, `description`, `source` (the `dag.outputs` entry that feeds it).
//! - `task`, from the task itself: `dependencies`, `input[NAME]` (how the input is wired),
//!   `caching`, `retryPolicy`, `condition`, `triggerStrategy`, `parallelism`,
//!   `parameterIterator`, `artifactIterator`, `displayName` (`taskInfo.name`), `component` (the
//!   component key); from its component: `componentInput[NAME]`, `componentOutput[NAME]`
//!   (definitions), `executor` (the executor label); from its executor: `image`, `command`,
//!   `args`, `env[NAME]` (the value, or the whole entry when it has more), `resources.KEY`
//!   (`resources.cpuLimit`, `resources.accelerator`…), `importer.KEY`.
//! - `component`, `executor`: the component and executor fields of `task`.
//! - `platform`: `nodeSelector[LABEL]`, `podMetadata.labels[KEY]`,
//!   `podMetadata.annotations[KEY]`, `secretAsEnv[SECRET]`, `secretAsVolume[MOUNT_PATH]`,
//!   `configMapAsEnv[CONFIG_MAP]`, `configMapAsVolume[MOUNT_PATH]`, `pvcMount[MOUNT_PATH]`,
//!   `emptyDirMounts[MOUNT_PATH]`, `genericEphemeralVolume[MOUNT_PATH]`, `imagePullSecret[SECRET]`,
//!   `fieldPathAsEnv[NAME]`, `tolerations[KEY]`, `imagePullPolicy`, `activeDeadlineSeconds`,
//!   `enabledSharedMemory`, `nodeAffinity`, `podAffinity`.
//!
//! A platform list whose entries lack a unique id (say, two tolerations for one key) is compared
//! as a whole, with the field named after the list (`tolerations`). A renamed task does not also
//! report its new `component`/`executor` keys, and its old name in other tasks' `dependencies`
//! and `input[…]` wiring counts as the new one.
//!
//! # Task paths
//!
//! A task is named by the keys of `dag.tasks` from the root DAG down to it, joined by `/`: a
//! task `work` inside the loop task `for-loop-2` inside the exit handler `exit-handler-1` is
//! `exit-handler-1/for-loop-2/work`. KFP task keys never contain `/`.
//!
//! # Summary lines
//!
//! [`render_summary`] writes one line per change: `+` added, `-` removed, `~` changed or renamed,
//! then scope, name and, for a field, the field with its values:
//!
//! ```text
//! ~ pipeline train: description Prepare data and train a model. → Train and evaluate a model.
//! ~ input learning_rate: default 0.1 → 0.05
//! + task evaluate (after train)
//! ~ task prepare: caching enabled → disabled
//! ~ task train: image python:3.11 → python:3.12
//! ~ task train: command changed (+2 -2 lines)
//! - task train: input[epochs]
//! ~ task prepare → load (renamed)
//! ~ platform fetch: nodeSelector[gpu] "true" → "false"
//! ```
//!
//! Values are written compactly: strings unquoted unless that would mislead (`"true"` is a
//! string), `[a, b]`, `{k: v}`, task inputs as `input NAME` (a pipeline or parent DAG input),
//! `TASK.OUTPUT` or a JSON constant, definitions as `TYPE, default X, optional`. A value longer
//! than 60 characters or spanning lines is summarised as `changed (+A -R lines)` (a line diff of
//! the two values as YAML), or `(N lines)` when added. Removed fields show no value.
//!
//! Differences without meaning (the order of `dependentTasks`, `cachingOptions: {}` against
//! `enableCache: false`) are reported, as changes with a JSON pointer, only when nothing else
//! differs, so the semantic diff is never empty while the text diff is not.
//!
//! # Code layout
//!
//! `change` holds the public types and the JSON document; `text` writes the unified diff;
//! `semantic` walks the pipeline (inputs, outputs, the root DAG), `tasks` the tasks with their
//! components and executors, `rename` pairs renamed tasks, `platform` compares the Kubernetes
//! platform spec; `view` lines the fields of one thing up on both sides; `summary` renders the
//! changes as lines.

mod change;
mod platform;
mod rename;
mod semantic;
mod summary;
mod tasks;
#[cfg(test)]
mod test_support;
mod text;
mod view;

use std::time::Duration;

use serde_json::Value;

pub use change::{API_VERSION, Change, KIND, Op, Options, Scope, Side, to_json};
pub use semantic::semantic;
pub use summary::render_summary;
pub use text::{canonical_text, unified};

const OLD: usize = 0;
const NEW: usize = 1;

const SDK_VERSION: &str = "sdkVersion";
/// A line diff of a changed region gives up being minimal after this long (huge rewrites only).
const LINE_DIFF_TIMEOUT: Duration = Duration::from_secs(2);

/// True when the two sides have the same content, after what `options` says to ignore.
pub fn identical(a: &Side, b: &Side, options: &Options) -> bool {
    let specs_equal = if options.ignore_sdk_version {
        equal_without_key(a.pipeline_spec, b.pipeline_spec, SDK_VERSION)
    } else {
        a.pipeline_spec == b.pipeline_spec
    };
    specs_equal && a.platform_spec == b.platform_spec
}

fn equal_without_key(a: &Value, b: &Value, ignored: &str) -> bool {
    match (a.as_object(), b.as_object()) {
        (Some(a), Some(b)) => {
            let mut a = a.iter().filter(|(key, _)| *key != ignored);
            let mut b = b.iter().filter(|(key, _)| *key != ignored);
            loop {
                match (a.next(), b.next()) {
                    (None, None) => return true,
                    (Some(x), Some(y)) if x == y => {}
                    _ => return false,
                }
            }
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::test_support::*;
    use super::*;

    /// Random edits anywhere in real specs (malformed ones included): no panic, the unified
    /// diff applies, and the semantic diff is empty exactly when the unified one is.
    #[test]
    fn random_edits_are_reported_consistently() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |bound: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound as u64) as usize
        };
        let files = [
            "variants/train_v1.yaml",
            "variants/fanout.yaml",
            "variants/with_platform.yaml",
            "variants/train_v2.yaml",
            "variants/chain.yaml",
        ];
        for file in files {
            let old = load(file);
            for _ in 0..24 {
                let mut new = old.clone();
                for _ in 0..=next(3) {
                    let document = next(new.len());
                    mutate(&mut new[document], &mut next);
                }
                for options in [
                    Options::default(),
                    Options {
                        context_lines: 0,
                        ignore_sdk_version: true,
                    },
                ] {
                    check_consistent(&side("a", &old), &side("b", &new), &options);
                }
            }
        }
    }

    /// Walks down a random path and changes, removes, adds or replaces what it finds there.
    fn mutate(value: &mut Value, next: &mut impl FnMut(usize) -> usize) {
        let children = match value {
            Value::Object(map) => map.len(),
            Value::Array(items) => items.len(),
            _ => 0,
        };
        if children > 0 && next(4) != 0 {
            let index = next(children);
            let child = match value {
                Value::Object(map) => map.values_mut().nth(index),
                Value::Array(items) => items.get_mut(index),
                _ => None,
            };
            if let Some(child) = child {
                mutate(child, next);
            }
            return;
        }
        let replacements = [
            json!(null),
            json!(7),
            json!("text"),
            json!("two\nlines\n"),
            json!([1, "x"]),
            json!({}),
        ];
        match (value, next(3)) {
            (Value::Object(map), 0) if !map.is_empty() => {
                let key = map.keys().nth(next(map.len())).cloned().unwrap_or_default();
                map.remove(&key);
            }
            (Value::Object(map), 1) => {
                map.insert(
                    format!("added-{}", next(1000)),
                    replacements[next(replacements.len())].clone(),
                );
            }
            (Value::Array(items), 0) if !items.is_empty() => {
                items.remove(next(items.len()));
            }
            (value, _) => *value = replacements[next(replacements.len())].clone(),
        }
    }

    #[test]
    fn every_valid_pipeline_against_the_next_is_consistent() {
        let names =
            test_pipelines("every_valid_pipeline_against_the_next_is_consistent (on the external corpus)");
        let all: Vec<Vec<Value>> = names.iter().map(|name| load(name)).collect();
        for pair in all.windows(2) {
            let (old, new) = (side("a", &pair[0]), side("b", &pair[1]));
            check_consistent(&old, &new, &Options::default());
            check_consistent(&old, &old, &Options::default());
        }
    }
}
