//! Readable transcripts (`tests/cmd/*.md`, run by trycmd) against the control plane: they
//! document what users see. They own the fixed namespaces `team-a`, `team-b` and `kubeflow`
//! the control plane creates; every other test makes its own.
//! Regenerate after a deliberate change with `TRYCMD=overwrite cargo test --test e2e transcripts`
//! and put `[..]` back where values vary (ages, UIDs, timestamps, ports).

use crate::support::{ControlPlane, example, next_second, plugin_binary, repo, shared_data};

#[test]
fn transcripts() {
    let cp = ControlPlane::get();
    let kfp = |args: &[&str]| {
        let out = std::process::Command::new(plugin_binary())
            .args(args)
            .env("KUBECONFIG", &cp.kubeconfig)
            .env("KUBECTL_KFP_CONFIG", cp.dir.join("transcripts-config.yaml"))
            .output()
            .expect("run plugin");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let file = |path: &str| shared_data(path).display().to_string();
    kfp(&[
        "create",
        "-n",
        "kubeflow",
        "-f",
        &example("echo").display().to_string(),
    ]);
    kfp(&[
        "create",
        "-n",
        "kubeflow",
        "-f",
        &file("pipelines/variants/train_v1.yaml"),
    ]);
    kfp(&["create", "-n", "team-a", "-f", &file("manifests/train-v1.yaml")]);
    next_second();
    kfp(&["create", "-n", "team-a", "-f", &file("manifests/train-v2.yaml")]);
    // tests/cmd/lifecycle.md: `release` in team-b, four versions a second apart (oldest first),
    // of content no other transcript uses (history lists versions of the same content).
    for version in ["v1", "v2", "v3", "v4"] {
        next_second();
        kfp(&[
            "create",
            "release",
            "-n",
            "team-b",
            "--version",
            version,
            "--allow-duplicate",
            "-f",
            &example("chain").display().to_string(),
        ]);
    }
    trycmd::TestCases::new()
        .register_bin("kubectl-kfp", plugin_binary())
        .env("KUBECONFIG", cp.kubeconfig.display().to_string())
        .env(
            "KUBECTL_KFP_CONFIG",
            cp.dir.join("transcripts-config.yaml").display().to_string(),
        )
        .case(repo().join("tests/cmd/*.md"));
}
