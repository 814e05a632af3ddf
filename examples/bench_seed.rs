//! Generates objects for the benchmark (scripts/bench), written as a YAML stream for
//! `kubectl create -f -`. Not part of the plugin.
//!
//! ```text
//! bench_seed versions  --pipeline P --uid UID --count N --base FILE   # one pipeline, N versions
//!                      [--from I --to J]                             # only versions I..=J
//! bench_seed pipelines --count M --versions K --base FILE            # M pipelines with K versions
//! bench_seed big-spec  --tasks T --variant a|b                        # one ~2.5 KB-per-task IR spec
//! bench_seed fleet --namespaces N --pipelines P --versions K --base FILE [--shared NS]
//!                                       # N team namespaces + the shared one, P pipelines × K versions each
//! ```
//! Versions look like what `kubectl kfp create` writes (labels, owner, digest and
//! version-name annotations); each differs from the next in one default value.

use std::collections::BTreeMap;

use kubectl_kfp::{digest, yaml};
use serde_json::{Value, json};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let flag = |name: &str| -> Option<String> {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let number = |name: &str, default: usize| flag(name).and_then(|v| v.parse().ok()).unwrap_or(default);
    let base = || -> Value {
        let path = flag("--base").unwrap_or_else(|| usage("--base FILE is required"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| usage(&format!("{path}: {e}")));
        yaml::documents(&text)
            .unwrap_or_else(|e| usage(&format!("{path}: {e}")))
            .remove(0)
    };
    let mut out = String::new();
    match args.first().map(String::as_str) {
        Some("versions") => {
            let pipeline = flag("--pipeline").unwrap_or_else(|| usage("--pipeline is required"));
            let uid = flag("--uid");
            let spec = base();
            // --from/--to: one slice of the versions, so big seeds can be created in parts.
            let count = number("--count", 2000);
            for i in number("--from", 1)..=number("--to", count).min(count) {
                out.push_str("---\n");
                out.push_str(&version(&pipeline, uid.as_deref(), &format!("v{i}"), &spec, i));
            }
        }
        Some("pipelines") => {
            let spec = base();
            for p in 1..=number("--count", 200) {
                let name = format!("shared-{p:03}");
                out.push_str(&format!(
                    "---\napiVersion: pipelines.kubeflow.org/v2beta1\nkind: Pipeline\nmetadata:\n  name: {name}\nspec:\n  displayName: Shared {p}\n  description: Benchmark pipeline {p}\n"
                ));
                for v in 1..=number("--versions", 3) {
                    out.push_str("---\n");
                    out.push_str(&version(&name, None, &format!("v{v}"), &spec, p * 100 + v));
                }
            }
        }
        Some("big-spec") => {
            let spec = big_spec(number("--tasks", 2000), flag("--variant").as_deref() == Some("b"));
            out = yaml::to_string(&spec).unwrap_or_default();
        }
        Some("fleet") => {
            let spec = base();
            out = fleet(
                &spec,
                &flag("--shared").unwrap_or_else(|| "kubeflow".into()),
                number("--namespaces", 200),
                number("--pipelines", 10),
                number("--versions", 5),
            );
        }
        _ => usage("expected versions, pipelines, big-spec or fleet"),
    }
    print!("{out}");
}

fn usage(message: &str) -> ! {
    eprintln!("bench_seed: {message}");
    std::process::exit(2)
}

/// One PipelineVersion whose spec differs from the base in one default value.
fn version(pipeline: &str, uid: Option<&str>, version_name: &str, base: &Value, seed: usize) -> String {
    version_in(None, pipeline, uid, version_name, base, seed)
}

/// [`version`] with `metadata.namespace` set (for streams that span namespaces).
fn version_in(
    namespace: Option<&str>,
    pipeline: &str,
    uid: Option<&str>,
    version_name: &str,
    base: &Value,
    seed: usize,
) -> String {
    let mut spec = base.clone();
    spec["pipelineInfo"]["name"] = json!(pipeline);
    spec["root"]["inputDefinitions"]["parameters"]["bench_seed"] =
        json!({"parameterType": "NUMBER_INTEGER", "defaultValue": seed});
    let mut labels = BTreeMap::from([(
        "pipelines.kubeflow.org/pipeline".to_string(),
        pipeline.to_string(),
    )]);
    let mut owner = Value::Null;
    if let Some(uid) = uid {
        labels.insert("pipelines.kubeflow.org/pipeline-id".into(), uid.to_string());
        owner = json!([{"apiVersion": "pipelines.kubeflow.org/v2beta1", "kind": "Pipeline", "name": pipeline, "uid": uid, "controller": true}]);
    }
    let mut object = json!({
        "apiVersion": "pipelines.kubeflow.org/v2beta1",
        "kind": "PipelineVersion",
        "metadata": {
            "name": format!("{pipeline}-{version_name}"),
            "labels": labels,
            "annotations": {
                "kubectl-kfp.io/digest": digest::of(&spec, None),
                "kubectl-kfp.io/version-name": version_name,
            },
        },
        "spec": {"pipelineName": pipeline, "versionName": version_name, "pipelineSpec": spec},
    });
    if !owner.is_null() {
        object["metadata"]["ownerReferences"] = owner;
    }
    if let Some(namespace) = namespace {
        object["metadata"]["namespace"] = json!(namespace);
    }
    yaml::to_string(&object).unwrap_or_default()
}

/// A pipeline of `tasks` chained tasks, each with its own component and executor (~2.5 KB each).
/// Variant b changes every 100th image, adds a task, drops an input and alters a default.
fn big_spec(tasks: usize, variant_b: bool) -> Value {
    let mut components = serde_json::Map::new();
    let mut executors = serde_json::Map::new();
    let mut dag = serde_json::Map::new();
    let count = if variant_b { tasks + 1 } else { tasks };
    for i in 0..count {
        let name = format!("step-{i:04}");
        let image = if variant_b && i % 100 == 0 {
            "python:3.12"
        } else {
            "python:3.11"
        };
        components.insert(
            format!("comp-{name}"),
            json!({"executorLabel": format!("exec-{name}"),
                   "inputDefinitions": {"parameters": {"data": {"parameterType": "STRING"}, "rate": {"parameterType": "NUMBER_DOUBLE"}}},
                   "outputDefinitions": {"parameters": {"Output": {"parameterType": "STRING"}}}}),
        );
        executors.insert(
            format!("exec-{name}"),
            json!({"container": {
                "image": image,
                "command": ["sh", "-c", "\nif ! [ -x \"$(command -v pip)\" ]; then\n    python3 -m ensurepip || python3 -m ensurepip --user\nfi\nPIP_DISABLE_PIP_VERSION_CHECK=1 python3 -m pip install --quiet 'kfp==2.17.3' && \"$0\" \"$@\"\n", "sh", "-ec", "program_path=$(mktemp -d)\nprintf \"%s\" \"$0\" > \"$program_path/ephemeral_component.py\"\n_KFP_RUNTIME=true python3 -m kfp.dsl.executor_main --component_module_path \"$program_path/ephemeral_component.py\" \"$@\"\n", format!("\nimport kfp\nfrom kfp import dsl\n\ndef step_{i}(data: str, rate: float) -> str:\n    \"\"\"Step {i} of the benchmark pipeline: reads a shard, scales it, writes it back.\n\n    The body is long enough to make each task about as large as a real\n    lightweight Python component compiled by the KFP SDK.\n    \"\"\"\n    import json\n    import math\n    values = [math.sin(x * rate) for x in range(1000)]\n    summary = {{'shard': data, 'step': {i}, 'mean': sum(values) / len(values)}}\n    return json.dumps(summary)\n\n")],
                "env": [{"name": "STEP", "value": format!("{i}")}, {"name": "LOG_LEVEL", "value": "info"}],
                "args": ["--executor_input", "{{$}}", "--function_to_execute", format!("step_{i}")],
                "resources": {"cpuLimit": 1.0, "memoryLimit": 2.147483648}}}),
        );
        let mut task = json!({
            "taskInfo": {"name": name},
            "componentRef": {"name": format!("comp-{name}")},
            "cachingOptions": {"enableCache": true},
            "inputs": {"parameters": {"rate": {"componentInputParameter": "rate"},
                                      "data": {"runtimeValue": {"constant": format!("shard-{i}")}}}},
        });
        if i > 0 {
            task["dependentTasks"] = json!([format!("step-{:04}", i - 1)]);
        }
        dag.insert(name, task);
    }
    let mut inputs = json!({"rate": {"parameterType": "NUMBER_DOUBLE", "defaultValue": if variant_b { 0.05 } else { 0.1 }}});
    if !variant_b {
        inputs["epochs"] = json!({"parameterType": "NUMBER_INTEGER", "defaultValue": 3});
    }
    json!({
        "pipelineInfo": {"name": "big", "description": "Benchmark pipeline"},
        "sdkVersion": "kfp-2.17.3",
        "schemaVersion": "2.1.0",
        "components": components,
        "deploymentSpec": {"executors": executors},
        "root": {"dag": {"tasks": dag}, "inputDefinitions": {"parameters": inputs}},
    })
}

/// Team namespaces `fleet-NNN` holding the shared namespace's pipelines `fleet-PP` (for `drift
/// -A`): the shared namespace has versions 1..K; team t's versions lag t % 3 behind (current,
/// behind 1, behind 2), and every 7th team's latest is its own content (diverged).
fn fleet(base: &Value, shared: &str, namespaces: usize, pipelines: usize, versions: usize) -> String {
    let mut out = String::new();
    let pipeline = |name: &str, namespace: &str| {
        format!(
            "---\napiVersion: pipelines.kubeflow.org/v2beta1\nkind: Pipeline\nmetadata:\n  name: {name}\n  namespace: {namespace}\nspec:\n  displayName: {name}\n"
        )
    };
    for p in 1..=pipelines {
        let name = format!("fleet-{p:02}");
        out.push_str(&pipeline(&name, shared));
        for v in 1..=versions {
            out.push_str("---\n");
            out.push_str(&version_in(
                Some(shared),
                &name,
                None,
                &format!("v{v}"),
                base,
                p * 100 + v,
            ));
        }
    }
    for t in 1..=namespaces {
        let namespace = format!("fleet-{t:03}");
        out.push_str(&format!(
            "---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: {namespace}\n"
        ));
        for p in 1..=pipelines {
            let name = format!("fleet-{p:02}");
            out.push_str(&pipeline(&name, &namespace));
            for v in 1..=versions {
                let seed = if t % 7 == 0 && v == versions {
                    100_000 + t * 100 + p
                } else {
                    p * 100 + v - t % 3
                };
                out.push_str("---\n");
                out.push_str(&version_in(
                    Some(&namespace),
                    &name,
                    None,
                    &format!("v{v}"),
                    base,
                    seed,
                ));
            }
        }
    }
    out
}
