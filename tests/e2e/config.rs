//! Shared-namespace precedence and the config file, against the real server.

use crate::support::{ControlPlane, pipeline_manifest, shared_data, version_manifest};

#[test]
fn shared_namespace_precedence_flag_env_context_global_default() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("config-precedence");
    // Three candidate shared namespaces, each holding a pipeline named after it.
    for (namespace, pipeline) in [(&ns.shared, "from-global"), (&ns.other, "from-context")] {
        let yaml = format!(
            "{}---\n{}",
            pipeline_manifest(pipeline, "x"),
            version_manifest(
                pipeline,
                "v1",
                &shared_data("pipelines/variants/train_v1.yaml"),
                true
            )
        );
        cp.create(namespace, &yaml);
    }
    let file = cp.dir.join(format!("precedence-{}.yaml", ns.local));
    std::fs::write(
        &file,
        format!(
            "sharedNamespace: {}\ncontexts:\n  viewer: {{sharedNamespace: {}}}\nkeepMe: true\n",
            ns.shared, ns.other
        ),
    )
    .unwrap();
    let names = |out: &crate::support::Output| {
        out.stdout
            .lines()
            .map(|l| l.split_whitespace().next().unwrap_or("").to_string())
            .collect::<Vec<_>>()
    };

    // Global config entry (context admin has no entry of its own).
    let global = cp.kfp(&ns, &["list", "--no-headers"]).config_file(&file).ok();
    assert_eq!(names(&global), ["from-global"]);
    // Per-context entry beats the global one.
    let context = cp
        .kfp(&ns, &["list", "--no-headers"])
        .config_file(&file)
        .context("viewer")
        .ok();
    assert_eq!(names(&context), ["from-context"]);
    // The environment beats the config file.
    let env = cp
        .kfp(&ns, &["list", "--no-headers"])
        .config_file(&file)
        .context("viewer")
        .env("KUBECTL_KFP_SHARED_NAMESPACE", &ns.shared)
        .ok();
    assert_eq!(names(&env), ["from-global"]);
    // The flag beats the environment; --no-shared and "" turn sharing off.
    let flag = cp
        .kfp(&ns, &["list", "--no-headers", "--shared-namespace", &ns.other])
        .config_file(&file)
        .env("KUBECTL_KFP_SHARED_NAMESPACE", &ns.shared)
        .ok();
    assert_eq!(names(&flag), ["from-context"]);
    let off = cp
        .kfp(&ns, &["list", "--no-headers", "--shared-namespace", ""])
        .config_file(&file)
        .ok();
    assert_eq!(off.stdout, "");
    // Without any setting the default is kubeflow.
    let missing = cp.dir.join("no-such-config.yaml");
    let view = cp.kfp(&ns, &["config", "view"]).config_file(&missing).ok();
    assert!(
        view.stdout
            .lines()
            .any(|l| l.starts_with("shared-namespace") && l.contains("kubeflow") && l.ends_with("default")),
        "{}",
        view.stdout
    );

    // config view names each source.
    let view = cp
        .kfp(&ns, &["config", "view"])
        .config_file(&file)
        .context("viewer")
        .ok();
    let line = view
        .stdout
        .lines()
        .find(|l| l.starts_with("shared-namespace"))
        .unwrap();
    assert!(
        line.contains(&ns.other) && line.contains("(contexts.viewer.sharedNamespace)"),
        "{line}"
    );
    let view = cp
        .kfp(&ns, &["config", "view", "-o", "json"])
        .config_file(&file)
        .env("KUBECTL_KFP_SHARED_NAMESPACE", "x")
        .ok();
    let value: serde_json::Value = serde_json::from_str(&view.stdout).unwrap();
    assert_eq!(value["sharedNamespace"]["value"], "x");
    assert_eq!(
        value["sharedNamespace"]["source"],
        "env KUBECTL_KFP_SHARED_NAMESPACE"
    );
    assert_eq!(value["namespace"]["source"], "flag --namespace");
}

#[test]
fn config_set_writes_the_file_keeping_other_keys() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("config-set");
    let file = cp.dir.join(format!("set-{}.yaml", ns.local));
    std::fs::write(&file, "keepMe: [1, 2]\n").unwrap();
    let out = cp
        .kfp(&ns, &["config", "set", "shared-namespace", "platform"])
        .config_file(&file)
        .no_namespace()
        .no_context()
        .ok();
    assert!(
        out.stdout
            .starts_with("shared-namespace set to \"platform\" for all contexts"),
        "{}",
        out.stdout
    );
    // --context scopes the setting to one context.
    cp.kfp(&ns, &["config", "set", "shared-namespace", "staging-shared"])
        .config_file(&file)
        .context("viewer")
        .ok();
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains("keepMe:")
            && text.contains("sharedNamespace: platform")
            && text.contains("viewer:")
            && text.contains("sharedNamespace: staging-shared"),
        "{text}"
    );
    cp.kfp(&ns, &["config", "set", "shared-namespace", "Bad NS"])
        .config_file(&file)
        .run()
        .assert_error("invalid namespace \"Bad NS\"");
    // A created file in a new folder.
    let fresh = cp.dir.join(format!("fresh-{}/kubectl-kfp/config.yaml", ns.local));
    cp.kfp(&ns, &["config", "set", "shared-namespace", "x"])
        .config_file(&fresh)
        .no_context()
        .ok();
    assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "sharedNamespace: x\n");
}

#[test]
fn malformed_config_file_names_file_and_line() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("config-bad");
    let file = cp.dir.join(format!("bad-{}.yaml", ns.local));
    std::fs::write(&file, "sharedNamespace: ok\ncontexts: [unclosed\n").unwrap();
    let out = cp.kfp(&ns, &["list"]).config_file(&file).run();
    out.assert_error(&format!("invalid config file {} at line", file.display()));
    assert!(
        out.stderr.contains("hint: fix or remove the file"),
        "{}",
        out.stderr
    );
}
