//! `promote` against the real server: namespaces, clusters, idempotency, clashes, RBAC checked
//! before writing, dry runs, provenance, and the confirmation prompt in a pseudo-terminal.

use serde_json::Value;

use crate::support::{ControlPlane, Namespaces, next_second, shared_data};

fn seeded(test: &str) -> (&'static ControlPlane, Namespaces) {
    let cp = ControlPlane::get();
    let ns = cp.namespaces(test);
    for file in ["train_v1.yaml", "train_v2.yaml"] {
        cp.kfp(
            &ns,
            &[
                "create",
                "-f",
                shared_data(&format!("pipelines/variants/{file}"))
                    .to_str()
                    .unwrap(),
            ],
        )
        .ok();
        next_second();
    }
    (cp, ns)
}

#[test]
fn team_to_shared_to_other_team_with_provenance_and_reruns() {
    let (cp, ns) = seeded("promote-flow");
    let up = cp.kfp(&ns, &["promote", "train@v1", "--to-shared", "--yes"]).ok();
    assert_eq!(
        up.stdout,
        "pipeline.pipelines.kubeflow.org/train created\npipelineversion.pipelines.kubeflow.org/train-v1 created\n"
    );
    assert!(
        up.stderr.contains(&format!("Promote {}/train@v1", ns.local)),
        "{}",
        up.stderr
    );
    assert!(
        up.stderr
            .contains("+ create pipelineversion.pipelines.kubeflow.org/train-v1"),
        "{}",
        up.stderr
    );
    // Re-running changes nothing.
    let again = cp.kfp(&ns, &["promote", "train@v1", "--to-shared", "--yes"]).ok();
    assert_eq!(
        again.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v1 unchanged\n"
    );
    // Shared → another team; the source resolves through the shared namespace.
    let down = cp
        .kfp(
            &ns,
            &[
                "promote",
                &format!("{}/train@v1", ns.shared),
                "--to",
                &ns.other,
                "--yes",
            ],
        )
        .ok();
    assert_eq!(
        down.stdout,
        "pipeline.pipelines.kubeflow.org/train created\npipelineversion.pipelines.kubeflow.org/train-v1 created\n"
    );
    let object: Value = cp.get_json(
        &ns.other,
        "pipelineversions.v2beta1.pipelines.kubeflow.org/train-v1",
    );
    let annotations = &object["metadata"]["annotations"];
    assert_eq!(
        annotations["kubectl-kfp.io/promoted-from"],
        format!("{}/train@v1", ns.shared)
    );
    assert_eq!(annotations["kubectl-kfp.io/promoted-from-context"], "admin");
    assert!(
        annotations["kubectl-kfp.io/promoted-from-uid"]
            .as_str()
            .is_some_and(|u| !u.is_empty())
    );
    assert!(
        annotations["kubectl-kfp.io/promoted-at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    assert!(
        annotations["kubectl-kfp.io/digest"]
            .as_str()
            .is_some_and(|d| d.starts_with("sha256:"))
    );
    let pipeline_uid = cp
        .kubectl(
            "admin",
            &[
                "get",
                "pipelines.v2beta1.pipelines.kubeflow.org/train",
                "-n",
                &ns.other,
                "-o",
                "jsonpath={.metadata.uid}",
            ],
            None,
        )
        .stdout;
    assert_eq!(
        object["metadata"]["ownerReferences"][0]["uid"],
        pipeline_uid.as_str()
    );
    assert_eq!(
        object["metadata"]["labels"]["pipelines.kubeflow.org/pipeline-id"],
        pipeline_uid.as_str()
    );
    // get and list -o wide show where it came from.
    let get = cp.kfp(&ns, &["get", "train"]).namespace(&ns.other).ok();
    assert!(
        get.stdout
            .contains(&format!("Promoted from: {}/train@v1 (context admin)", ns.shared)),
        "{}",
        get.stdout
    );
    let wide = cp
        .kfp(&ns, &["list", "train", "-o", "wide"])
        .namespace(&ns.other)
        .ok();
    assert!(
        wide.stdout.lines().next().unwrap().contains("PROMOTED FROM"),
        "{}",
        wide.stdout
    );
    assert!(
        wide.stdout.contains(&format!("{}/train@v1", ns.shared)),
        "{}",
        wide.stdout
    );
}

#[test]
fn as_version_renames_and_a_clash_is_refused() {
    let (cp, ns) = seeded("promote-clash");
    cp.kfp(&ns, &["promote", "train@v1", "--to", &ns.other, "--yes"])
        .ok();
    // v2's content under the existing name v1: versions are immutable.
    let clash = cp
        .kfp(
            &ns,
            &[
                "promote",
                "train@v2",
                "--to",
                &ns.other,
                "--as-version",
                "v1",
                "--yes",
            ],
        )
        .run();
    clash.assert_error("version \"v1\" of pipeline \"train\"");
    assert!(
        clash.stderr.contains("versions are immutable"),
        "{}",
        clash.stderr
    );
    let renamed = cp
        .kfp(
            &ns,
            &[
                "promote",
                "train@v2",
                "--to",
                &ns.other,
                "--as-version",
                "2.0.0",
                "--yes",
            ],
        )
        .ok();
    assert_eq!(
        renamed.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-2.0.0 created\n"
    );
    assert!(
        renamed
            .stderr
            .contains("Changes against the target's latest version v1:"),
        "{}",
        renamed.stderr
    );
    assert!(
        renamed.stderr.contains("task evaluate"),
        "the plan shows the semantic diff: {}",
        renamed.stderr
    );
}

#[test]
fn permissions_are_checked_before_any_write() {
    let (cp, ns) = seeded("promote-rbac");
    // editor: team-a → team-b allowed.
    let allowed = cp
        .kfp(&ns, &["promote", "train@v1", "--to", &ns.other, "--yes"])
        .context("editor")
        .ok();
    assert!(allowed.stdout.contains("created"), "{}", allowed.stdout);
    // editor: → shared refused (read-only there), nothing written.
    let refused = cp
        .kfp(&ns, &["promote", "train@v1", "--to-shared", "--yes"])
        .context("editor")
        .run();
    refused.assert_error(&format!(
        "cannot create pipelines in namespace {:?}: forbidden for user \"editor\"; nothing was written",
        ns.shared
    ));
    assert!(
        refused
            .stderr
            .contains("promote into your own namespace with --to"),
        "{}",
        refused.stderr
    );
    assert_eq!(cp.kfp_objects(&ns.shared), "");
    // viewer: refused before any write anywhere.
    let viewer = cp
        .kfp(&ns, &["promote", "train@v2", "--to", &ns.other, "--yes"])
        .context("viewer")
        .run();
    viewer.assert_error("forbidden for user \"viewer\"; nothing was written");
    assert_eq!(
        cp.kfp_objects(&ns.other).lines().count(),
        2,
        "only the editor's promote is there"
    );
}

#[test]
fn without_a_terminal_and_without_yes_it_refuses() {
    let (cp, ns) = seeded("promote-noyes");
    let out = cp.kfp(&ns, &["promote", "train@v1", "--to", &ns.other]).run();
    out.assert_error("refusing to write without confirmation");
    assert!(out.stderr.contains("hint: pass --yes"), "{}", out.stderr);
    assert_eq!(cp.kfp_objects(&ns.other), "");
}

#[test]
fn dry_runs_print_or_check_and_write_nothing() {
    let (cp, ns) = seeded("promote-dry");
    let client = cp
        .kfp(
            &ns,
            &[
                "promote",
                "train@v2",
                "--to",
                &ns.other,
                "--dry-run=client",
                "-o",
                "yaml",
            ],
        )
        .ok();
    let server = cp
        .kfp(
            &ns,
            &["promote", "train@v2", "--to", &ns.other, "--dry-run=server"],
        )
        .ok();
    assert_eq!(
        server.stdout,
        "pipeline.pipelines.kubeflow.org/train created (server dry run)\npipelineversion.pipelines.kubeflow.org/train-v2 created (server dry run)\n"
    );
    assert_eq!(cp.kfp_objects(&ns.other), "");
    // The client dry run's YAML is accepted by kubectl create as it is.
    cp.kubectl(
        "admin",
        &["create", "-n", &ns.other, "-f", "-"],
        Some(&client.stdout),
    );
    assert_eq!(cp.kfp_objects(&ns.other).lines().count(), 2);
}

#[test]
fn promote_between_two_clusters() {
    let (cp, ns) = seeded("promote-clusters");
    let kubeconfig = ControlPlane::two_cluster_kubeconfig();
    let remote = ControlPlane::second();
    remote.kubectl("admin", &["create", "namespace", &ns.local], None);
    let out = cp
        .kfp(
            &ns,
            &[
                "promote",
                "train@v2",
                "--to-context",
                "remote-admin",
                "--to",
                &ns.local,
                "--yes",
            ],
        )
        .kubeconfig(kubeconfig)
        .ok();
    assert_eq!(
        out.stdout,
        "pipeline.pipelines.kubeflow.org/train created\npipelineversion.pipelines.kubeflow.org/train-v2 created\n"
    );
    let list = remote.get_json(&ns.local, "pipelineversions.v2beta1.pipelines.kubeflow.org");
    assert_eq!(
        list["items"][0]["metadata"]["annotations"]["kubectl-kfp.io/promoted-from-cluster"],
        cp_server(cp)
    );
    // Staging vs production: nothing differs between the two copies.
    let same = cp
        .kfp(
            &ns,
            &[
                "diff",
                &format!("{}/train@v2", ns.local),
                &format!("{}/train@v2", ns.local),
                "--context-b",
                "remote-admin",
            ],
        )
        .kubeconfig(kubeconfig)
        .run();
    assert_eq!((same.code, same.stdout.as_str()), (0, ""), "{}", same.stderr);
    let again = cp
        .kfp(
            &ns,
            &[
                "promote",
                "train@v2",
                "--to-context",
                "remote-admin",
                "--to",
                &ns.local,
                "--yes",
            ],
        )
        .kubeconfig(kubeconfig)
        .ok();
    assert_eq!(
        again.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v2 unchanged\n"
    );
}

fn cp_server(cp: &ControlPlane) -> String {
    cp.kubectl(
        "admin",
        &[
            "config",
            "view",
            "--minify",
            "-o",
            "jsonpath={.clusters[0].cluster.server}",
        ],
        None,
    )
    .stdout
}

#[test]
fn concurrent_promotes_make_exactly_one_version() {
    let (_, ns) = seeded("promote-race");
    let handles: Vec<_> = (0..3)
        .map(|_| {
            let ns = ns.clone();
            std::thread::spawn(move || {
                let target = ns.other.clone();
                ControlPlane::get()
                    .kfp(&ns, &["promote", "train@v1", "--to", &target, "--yes"])
                    .run()
            })
        })
        .collect();
    let outputs: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(outputs.iter().all(|o| o.code == 0), "{outputs:?}");
    let created = outputs
        .iter()
        .filter(|o| o.stdout.contains("train-v1 created"))
        .count();
    let unchanged = outputs
        .iter()
        .filter(|o| o.stdout.contains("train-v1 unchanged"))
        .count();
    assert_eq!((created, unchanged), (1, 2), "{outputs:?}");
}

#[test]
fn the_prompt_asks_in_a_terminal() {
    let (cp, ns) = seeded("promote-prompt");
    // Answer no: nothing is written.
    let command = cp.kfp(&ns, &["promote", "train@v1", "--to", &ns.other]).command();
    let mut session = rexpect::session::spawn_command(command, Some(30_000)).expect("spawn in a pty");
    session.exp_string("Promote?").expect("question");
    session.send("n").expect("answer");
    session.flush().expect("flush");
    session
        .exp_string("promotion cancelled at the prompt; nothing was written")
        .expect("cancelled");
    session.exp_eof().expect("exit");
    assert_eq!(cp.kfp_objects(&ns.other), "");
    // Answer yes: written.
    let command = cp.kfp(&ns, &["promote", "train@v1", "--to", &ns.other]).command();
    let mut session = rexpect::session::spawn_command(command, Some(30_000)).expect("spawn in a pty");
    session.exp_string("Promote?").expect("question");
    session.send("y").expect("answer");
    session.flush().expect("flush");
    session
        .exp_string("pipelineversion.pipelines.kubeflow.org/train-v1 created")
        .expect("created");
    session.exp_eof().expect("exit");
    assert_eq!(cp.kfp_objects(&ns.other).lines().count(), 2);
}
