//! `diff` against the real server: identical copies, each kind of change on real SDK pipelines
//! (text, semantic and JSON output), live vs file, version vs predecessor, errors.

use serde_json::{Value, json};

use crate::support::{ControlPlane, Namespaces, next_second, shared_data};

/// Loads a compiled pipeline's first document.
fn load(file: &str) -> Value {
    kubectl_kfp::yaml::documents(&std::fs::read_to_string(shared_data(file)).unwrap())
        .unwrap()
        .remove(0)
}

/// Writes a spec to a temporary file and returns its path.
fn write(cp: &ControlPlane, ns: &Namespaces, name: &str, spec: &Value) -> String {
    let path = cp.dir.join(format!("{}-{name}.yaml", ns.local));
    std::fs::write(&path, kubectl_kfp::yaml::to_string(spec).unwrap()).unwrap();
    path.display().to_string()
}

/// Creates v1 from `file` and v2 from `change(v1)`, then returns (text, summary, json) of `diff p@v1 p@v2`.
fn diff_after(test: &str, file: &str, change: impl FnOnce(&mut Value)) -> (String, String, Value) {
    let cp = ControlPlane::get();
    let ns = cp.namespaces(test);
    let original = load(file);
    let mut changed = original.clone();
    change(&mut changed);
    cp.kfp(
        &ns,
        &["create", "p", "-f", &shared_data(file).display().to_string()],
    )
    .ok();
    next_second();
    cp.kfp(&ns, &["create", "p", "-f", &write(cp, &ns, "v2", &changed)])
        .ok();
    let text = cp.kfp(&ns, &["diff", "p@v1", "p@v2"]).run();
    assert_eq!(text.code, 1, "{}", text.stderr);
    let summary = cp.kfp(&ns, &["diff", "p@v1", "p@v2", "--semantic"]).run();
    assert_eq!(summary.code, 1, "{}", summary.stderr);
    let json = cp.kfp(&ns, &["diff", "p@v1", "p@v2", "-o", "json"]).run();
    assert_eq!(json.code, 1, "{}", json.stderr);
    (
        text.stdout,
        summary.stdout,
        serde_json::from_str(&json.stdout).unwrap(),
    )
}

fn has_change(json: &Value, op: &str, scope: &str, name: &str, field: Option<&str>) -> bool {
    json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["op"] == op && c["scope"] == scope && c["name"] == name && c["field"].as_str() == field)
}

#[test]
fn identical_copies_in_two_namespaces_do_not_differ() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("diff-identical");
    let file = shared_data("pipelines/variants/fanout.yaml")
        .display()
        .to_string();
    cp.kfp(&ns, &["create", "-f", &file]).ok();
    cp.kfp(&ns, &["create", "-f", &file]).namespace(&ns.shared).ok();
    for extra in [&[][..], &["--semantic"][..], &["-o", "json"][..]] {
        let mut args = vec!["diff", "fanout"];
        let shared = format!("{}/fanout", ns.shared);
        args.push(&shared);
        args.extend_from_slice(extra);
        let out = cp.kfp(&ns, &args).run();
        assert_eq!(
            (out.code, out.stdout.as_str(), out.stderr.as_str()),
            (0, "", ""),
            "{args:?}"
        );
    }
}

#[test]
fn the_designed_train_variants_differ_as_designed() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("diff-train");
    for file in ["train_v1.yaml", "train_v2.yaml"] {
        cp.kfp(
            &ns,
            &[
                "create",
                "-f",
                &shared_data(&format!("pipelines/variants/{file}"))
                    .display()
                    .to_string(),
            ],
        )
        .ok();
        next_second();
    }
    let summary = cp.kfp(&ns, &["diff", "train@v1", "train@v2", "--semantic"]).run();
    assert_eq!(summary.code, 1);
    for line in [
        "~ pipeline train: description Prepare data and train a model. → Prepare data, train and evaluate a model.",
        "- input epochs",
        "~ input learning_rate: default 0.1 → 0.05",
        "+ task evaluate (after train)",
        "~ task prepare: caching enabled → disabled",
        "~ task train: image python:3.11 → python:3.12",
    ] {
        assert!(
            summary.stdout.lines().any(|l| l == line),
            "missing {line:?} in:\n{}",
            summary.stdout
        );
    }
    // Version against its predecessor is the same comparison.
    let predecessor = cp.kfp(&ns, &["diff", "train", "--semantic"]).run();
    assert_eq!((predecessor.code, &predecessor.stdout), (1, &summary.stdout));
    let text = cp.kfp(&ns, &["diff", "train@v1", "train@v2"]).run();
    let label_a = format!("--- {}/train@v1", ns.local);
    assert!(text.stdout.starts_with(&label_a), "{}", text.stdout);
    assert!(
        text.stdout
            .contains("-        image: python:3.11\n+        image: python:3.12\n"),
        "{}",
        text.stdout
    );
    // --color always colours, default (not a terminal) does not.
    assert!(!text.stdout.contains('\x1b'));
    let colored = cp
        .kfp(&ns, &["diff", "train@v1", "train@v2", "--color", "always"])
        .run();
    assert!(colored.stdout.contains("\x1b[32m+"), "{}", colored.stdout);
    let no_color = cp
        .kfp(&ns, &["diff", "train@v1", "train@v2", "--color", "auto"])
        .env("NO_COLOR", "1")
        .run();
    assert!(!no_color.stdout.contains('\x1b'));
    // -U controls context lines.
    let tight = cp.kfp(&ns, &["diff", "train@v1", "train@v2", "-U", "0"]).run();
    assert!(tight.stdout.len() < text.stdout.len());
}

#[test]
fn changed_image_on_a_real_pipeline() {
    let (text, summary, json) = diff_after("diff-image", "pipelines/variants/echo.yaml", |spec| {
        let executors = spec["deploymentSpec"]["executors"].as_object_mut().unwrap();
        let executor = executors.values_mut().next().unwrap();
        executor["container"]["image"] = json!("python:3.13");
    });
    assert!(text.contains("+        image: python:3.13\n"), "{text}");
    assert!(
        summary.lines().any(
            |l| l == "~ task echo: image registry.access.redhat.com/ubi9/python-311:latest → python:3.13"
        ),
        "{summary}"
    );
    assert!(
        has_change(&json, "changed", "task", "echo", Some("image")),
        "{json}"
    );
    assert_eq!(json["identical"], false);
    assert_eq!(json["kind"], "PipelineDiff");
}

#[test]
fn added_task_on_a_real_pipeline() {
    let (text, summary, json) = diff_after("diff-task", "pipelines/variants/echo.yaml", |spec| {
        let echo = spec["root"]["dag"]["tasks"]["echo"].clone();
        let mut second = echo;
        second["taskInfo"]["name"] = json!("echo-again");
        second["dependentTasks"] = json!(["echo"]);
        spec["root"]["dag"]["tasks"]["echo-again"] = second;
    });
    assert!(text.contains("+      echo-again:\n"), "{text}");
    assert!(
        summary.lines().any(|l| l == "+ task echo-again (after echo)"),
        "{summary}"
    );
    assert!(has_change(&json, "added", "task", "echo-again", None), "{json}");
}

#[test]
fn removed_input_on_a_real_pipeline() {
    let (text, summary, json) = diff_after("diff-input", "pipelines/variants/train_v1.yaml", |spec| {
        spec["root"]["inputDefinitions"]["parameters"]
            .as_object_mut()
            .unwrap()
            .remove("epochs");
    });
    assert!(text.contains("-      epochs:\n"), "{text}");
    assert!(summary.lines().any(|l| l == "- input epochs"), "{summary}");
    assert!(has_change(&json, "removed", "input", "epochs", None), "{json}");
}

#[test]
fn changed_loop_parallelism_on_a_real_pipeline() {
    let (text, summary, json) = diff_after("diff-loop", "pipelines/variants/fanout.yaml", |spec| {
        let tasks = &mut spec["components"]["comp-exit-handler-1"]["dag"]["tasks"];
        tasks["for-loop-2"]["iteratorPolicy"]["parallelismLimit"] = json!(4);
    });
    assert!(
        text.contains("-            parallelismLimit: 2\n+            parallelismLimit: 4\n"),
        "{text}"
    );
    assert!(
        summary
            .lines()
            .any(|l| l == "~ task exit-handler-1/for-loop-2: parallelism 2 → 4"),
        "{summary}"
    );
    assert!(
        has_change(
            &json,
            "changed",
            "task",
            "exit-handler-1/for-loop-2",
            Some("parallelism")
        ),
        "{json}"
    );
}

#[test]
fn live_version_against_a_local_file() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("diff-file");
    let v1 = shared_data("pipelines/variants/train_v1.yaml")
        .display()
        .to_string();
    let v2 = shared_data("pipelines/variants/train_v2.yaml")
        .display()
        .to_string();
    cp.kfp(&ns, &["create", "-f", &v1]).ok();
    let same = cp.kfp(&ns, &["diff", "train", "-f", &v1]).run();
    assert_eq!((same.code, same.stdout.as_str()), (0, ""), "{}", same.stderr);
    // The same content in another YAML style and key order, and as JSON, is no difference.
    let spec = load("pipelines/variants/train_v1.yaml");
    let json_file = cp.dir.join(format!("{}-flow.json", ns.local));
    std::fs::write(&json_file, serde_json::to_string(&spec).unwrap()).unwrap();
    let restyled = cp
        .kfp(&ns, &["diff", "train", "-f", json_file.to_str().unwrap()])
        .run();
    assert_eq!(
        (restyled.code, restyled.stdout.as_str()),
        (0, ""),
        "{}",
        restyled.stderr
    );
    let changed = cp.kfp(&ns, &["diff", "train", "-f", &v2, "--semantic"]).run();
    assert_eq!(changed.code, 1);
    assert!(
        changed.stdout.contains("+ task evaluate (after train)"),
        "{}",
        changed.stdout
    );
}

#[test]
fn errors_exit_2() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("diff-errors");
    cp.kfp(&ns, &["diff", "nope", "other"])
        .run()
        .assert_error(&format!(
            "pipeline \"nope\" not found in namespace {:?} or shared namespace {:?}",
            ns.local, ns.shared
        ));
    cp.kfp(
        &ns,
        &[
            "create",
            "-f",
            &shared_data("pipelines/variants/fanout.yaml")
                .display()
                .to_string(),
        ],
    )
    .ok();
    cp.kfp(&ns, &["diff", "fanout"])
        .run()
        .assert_error("has no version before its latest version");
    cp.kfp(&ns, &["diff"])
        .run()
        .assert_error("diff takes REF_A REF_B");
    cp.kfp(&ns, &["diff", "fanout", "-f", "/nonexistent.yaml"])
        .run()
        .assert_error("file \"/nonexistent.yaml\" cannot be read");
}
