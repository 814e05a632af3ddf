//! Shell completion: the committed scripts match the binary, `__complete` speaks Cobra's
//! protocol and stays silent on failure, and real bash, zsh and fish (and kubectl, for
//! `kubectl kfp <TAB>`) complete live names from the control plane.

use std::process::Command;

use crate::shell::{Kind, Setup, Shell, fish_complete};
use crate::support::{ControlPlane, Namespaces, plugin_binary, repo};

/// local: train (v1, v2), transform (v1); shared: train (v1, shadowed), hello (v1);
/// other: report (v1).
fn seeded(test: &str) -> (&'static ControlPlane, Namespaces) {
    let cp = ControlPlane::get();
    let ns = cp.namespaces(test);
    cp.seed(&ns.local, "train", &["v1", "v2"]);
    cp.seed(&ns.local, "transform", &["v1"]);
    cp.seed(&ns.shared, "train", &["v1"]);
    cp.seed(&ns.shared, "hello", &["v1"]);
    cp.seed(&ns.other, "report", &["v1"]);
    (cp, ns)
}

fn strings(items: &[&str]) -> Vec<String> {
    let mut items: Vec<String> = items.iter().map(|s| s.to_string()).collect();
    items.sort();
    items
}

/// The part of `name` that makes it unique among the test's namespaces but stops short of the
/// end, so TAB has something left to complete.
fn unique_prefix(name: &str) -> &str {
    &name[..name.len() - 2]
}

#[test]
fn committed_scripts_are_current() {
    for (shell, file) in [
        ("bash", "kubectl-kfp.bash"),
        ("zsh", "_kubectl-kfp"),
        ("fish", "kubectl-kfp.fish"),
        ("powershell", "kubectl-kfp.ps1"),
    ] {
        let output = Command::new(plugin_binary())
            .args(["completion", shell])
            .output()
            .expect("run completion");
        assert!(output.status.success(), "completion {shell}: {output:?}");
        let committed = std::fs::read_to_string(repo().join("completions").join(file))
            .unwrap_or_else(|e| panic!("completions/{file}: {e}"));
        assert!(
            committed == String::from_utf8_lossy(&output.stdout),
            "completions/{file} differs from `kubectl-kfp completion {shell}`: run scripts/completions"
        );
    }
    let helper = repo().join("completions/kubectl_complete-kfp");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&helper).expect("helper").permissions());
    assert_eq!(
        mode & 0o111,
        0o111,
        "completions/kubectl_complete-kfp must be executable"
    );
}

#[test]
fn complete_prints_candidates_then_the_directive() {
    let (cp, ns) = seeded("complete-protocol");
    let complete = |words: &[&str]| {
        let mut args = vec!["__complete", "--"];
        args.extend_from_slice(words);
        // The words carry the context and namespace, as a user types them.
        let mut full: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        full.splice(
            2..2,
            [
                "--context".to_string(),
                "viewer".to_string(),
                "-n".to_string(),
                ns.local.clone(),
            ],
        );
        let out = Command::new(plugin_binary())
            .args(&full)
            .env("KUBECONFIG", &cp.kubeconfig)
            .env("KUBECTL_KFP_CONFIG", write_config(cp, &ns))
            .output()
            .expect("run __complete");
        assert_eq!(out.status.code(), Some(0));
        assert!(
            out.stderr.is_empty(),
            "stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    assert_eq!(
        complete(&["list", "tr"]),
        format!("train\t{0}\ntransform\t{0}\n:4\n", ns.local)
    );
    let versions = complete(&["get", "train@"]);
    let values: Vec<&str> = versions
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default())
        .collect();
    assert_eq!(
        values,
        ["train@latest", "train@v1", "train@v2", ":4"],
        "{versions}"
    );
    assert_eq!(
        complete(&["get", &format!("{}/h", ns.shared)]),
        format!("{0}/hello\t{0} (shared)\n:4\n", ns.shared)
    );
    // Only namespace prefixes match: no space after them (directive 2 | 4).
    assert_eq!(
        complete(&["get", unique_prefix(&ns.shared)]),
        format!("{}/\tnamespace\n:6\n", ns.shared)
    );
    assert_eq!(
        complete(&["create", "-f", ""]),
        ":0\n",
        "files are left to the shell"
    );
    assert_eq!(complete(&["list", "-o", "ya"]), "yaml\n:4\n");
}

fn write_config(cp: &ControlPlane, ns: &Namespaces) -> std::path::PathBuf {
    let path = cp.dir.join(format!("complete-config-{}.yaml", ns.local));
    std::fs::write(&path, format!("sharedNamespace: {}\n", ns.shared)).expect("write config");
    path
}

#[test]
fn complete_is_silent_and_quick_when_the_cluster_is_not() {
    let (cp, ns) = seeded("complete-failures");
    // A server that accepts connections and never answers.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let kubeconfig = std::fs::read_to_string(&cp.kubeconfig).expect("kubeconfig");
    let hanging = cp.dir.join(format!("hanging-{}.kubeconfig", ns.local));
    let mut text = String::new();
    for line in kubeconfig.lines() {
        if line.trim_start().starts_with("server:") {
            text.push_str(&format!("    server: https://127.0.0.1:{port}\n"));
        } else {
            text.push_str(line);
            text.push('\n');
        }
    }
    std::fs::write(&hanging, text).expect("write kubeconfig");
    let hanging = hanging.display().to_string();
    // (words, an environment variable to override)
    let cases = [
        (&["--kubeconfig", &hanging, "list", "tr"][..], None),
        (&["list", "tr"], Some(("KUBECONFIG", "/nonexistent/kubeconfig"))),
        (&["--context", "no-such-context", "get", "x@"], None),
        (&["-n", "Not A Namespace", "get", ""], None),
        (&["list", "tr"], Some(("KUBECTL_KFP_CONFIG", "/etc/passwd"))),
    ];
    for (words, env) in cases {
        let started = std::time::Instant::now();
        let mut command = Command::new(plugin_binary());
        command
            .arg("__complete")
            .arg("--")
            .args(words)
            .env("KUBECONFIG", &cp.kubeconfig)
            .env("KUBECTL_KFP_CONFIG", write_config(cp, &ns));
        if let Some((key, value)) = env {
            command.env(key, value);
        }
        let output = command.output().expect("run __complete");
        let elapsed = started.elapsed();
        assert_eq!(output.status.code(), Some(0), "{words:?}");
        assert!(
            output.stderr.is_empty(),
            "{words:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            ":4\n",
            "{words:?} {env:?}"
        );
        assert!(elapsed.as_secs_f64() < 3.0, "{words:?} took {elapsed:?}");
    }
    drop(listener);
}

/// The checks every interactive shell must pass. zsh and fish get whole words; bash gets only
/// the text after readline's last word break (`@`, `=`), which is what readline replaces.
fn check_interactive_shell(kind: Kind) {
    let (cp, ns) = seeded(&format!("complete-{kind:?}"));
    let setup = Setup::new(cp, &ns, "viewer");
    let mut shell = Shell::start(&setup, kind);
    let full = kind != Kind::Bash;
    let versions = if full {
        strings(&["train@latest", "train@v1", "train@v2"])
    } else {
        // Readline replaces the text from bash's special prefix `@` on.
        strings(&["@latest", "@v1", "@v2"])
    };

    assert_eq!(
        shell.candidates("kubectl-kfp list tr"),
        strings(&["train", "transform"])
    );
    assert_eq!(shell.candidates("kubectl-kfp get train@"), versions);
    assert_eq!(shell.candidates("kubectl-kfp li"), strings(&["list"]));
    // The viewer may not list namespaces: the current and the shared one are offered.
    assert_eq!(
        shell.candidates("kubectl-kfp list -n "),
        strings(&[&ns.local, &ns.shared])
    );
    assert_eq!(
        shell.candidates("kubectl-kfp get --context "),
        strings(&["admin", "editor", "outsider", "viewer"])
    );
    assert_eq!(
        shell.candidates("kubectl-kfp get x -o "),
        strings(&["json", "name", "yaml"])
    );
    assert_eq!(
        shell.candidates(&format!("kubectl-kfp diff {}/", ns.shared)),
        strings(&[&format!("{}/hello", ns.shared), &format!("{}/train", ns.shared)])
    );
    // Flags already on the line are honoured: another namespace, another user.
    assert_eq!(
        shell.candidates(&format!("kubectl-kfp --context admin list -n {} r", ns.other)),
        strings(&["report"])
    );
    let with_equals = if full { "--output=yaml" } else { "yaml" };
    assert_eq!(
        shell.candidates("kubectl-kfp list --output=ya"),
        strings(&[with_equals])
    );

    // What the shell makes of the line: spaces after names, none after `NS/`.
    assert_eq!(shell.run("kubectl-kfp get trai\t"), "get train");
    assert_eq!(shell.run("kubectl-kfp get train@v\t2\t"), "get train@v2");
    assert_eq!(
        shell.run(&format!("kubectl-kfp list {}\thel\t", unique_prefix(&ns.shared))),
        format!("list {}/hello", ns.shared)
    );
    assert_eq!(shell.run("kubectl-kfp list --output=ya\t"), "list --output=yaml");
    // The admin may list namespaces: all of them are offered.
    assert_eq!(
        shell.run(&format!(
            "kubectl-kfp --context admin promote train@v1 --to {}\t",
            unique_prefix(&ns.other)
        )),
        format!("--context admin promote train@v1 --to {}", ns.other)
    );
}

#[test]
fn bash_completes_live_names() {
    check_interactive_shell(Kind::Bash);
}

#[test]
fn zsh_completes_live_names() {
    check_interactive_shell(Kind::Zsh);
}

#[test]
fn fish_completes_live_names() {
    check_interactive_shell(Kind::Fish);
}

#[test]
fn fish_complete_command_lists_with_descriptions() {
    let (cp, ns) = seeded("complete-fish-c");
    let setup = Setup::new(cp, &ns, "viewer");
    assert_eq!(
        fish_complete(&setup, "kubectl-kfp list tr"),
        strings(&["train", "transform"])
    );
    assert_eq!(fish_complete(&setup, "kubectl-kfp get h"), strings(&["hello"]));
    assert_eq!(
        fish_complete(&setup, "kubectl-kfp get train@"),
        strings(&["train@latest", "train@v1", "train@v2"])
    );
}

#[test]
fn kubectl_completes_the_plugin_through_kubectl_complete_kfp() {
    let (cp, ns) = seeded("complete-kubectl");
    let setup = Setup::new(cp, &ns, "viewer");
    setup.add_kubectl();
    // kubectl's own protocol, as its shell scripts call it.
    let output = setup
        .command("kubectl")
        .args(["__complete", "kfp", "get", "train@"])
        .output()
        .expect("run kubectl __complete");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let values: Vec<&str> = stdout
        .lines()
        .map(|l| l.split('\t').next().unwrap_or_default())
        .collect();
    assert_eq!(
        values,
        ["train@latest", "train@v1", "train@v2", ":4"],
        "{output:?}"
    );
    // And through kubectl's own shell completion: `kubectl kfp li<TAB>`.
    let mut shell = Shell::start_for_kubectl(&setup);
    assert_eq!(shell.candidates("kubectl kfp li"), strings(&["list"]));
    assert_eq!(shell.run("kubectl kfp list tra\tn\t"), "list transform");
}
