//! `prune` against the real API server: each protected kind kept (a real ScheduledWorkflow
//! object, a real promoted copy, tags, latest, newest), RBAC refusals before anything is
//! deleted, and a prune cut off by the fault proxy then finished by a rerun.

use std::collections::BTreeMap;

use crate::proxy::{Mode, Proxy};
use crate::support::{
    ControlPlane, Namespaces, Output, next_second, pipeline_manifest, shared_data, version_manifest,
};

/// A failed prune: faults' shape (one `error:` line naming `text`, at most one hint, after the
/// plan) once the deleted objects it printed on stdout are set aside.
fn assert_failed(out: &Output, text: &str) {
    let talk = Output {
        stdout: String::new(),
        ..out.clone()
    };
    crate::faults::assert_fails_naming(&talk, text);
}

const PV: &str = "pipelineversions.v2beta1.pipelines.kubeflow.org";

/// `out` printed the deletion of `deleted` (in that order), and `left` is what remains of `train`.
fn assert_pruned(cp: &ControlPlane, namespace: &str, out: &Output, deleted: &[&str], left: &[&str]) {
    let lines: String = deleted
        .iter()
        .map(|name| format!("pipelineversion.pipelines.kubeflow.org/{name} deleted\n"))
        .collect();
    assert_eq!(out.stdout, lines, "{}", out.stderr);
    assert_eq!(remaining(cp, namespace, "train"), left);
}

/// A command line written as one string (no argument here has a space).
fn words(line: &str) -> Vec<&str> {
    line.split(' ').collect()
}

/// Object names of `pipeline`'s versions in `namespace`, sorted.
fn remaining(cp: &ControlPlane, namespace: &str, pipeline: &str) -> Vec<String> {
    let list = cp.get_json(namespace, PV);
    let mut names: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["spec"]["pipelineName"] == pipeline)
        .map(|v| v["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

/// Object name → UID of every object of `resource` in `namespace`.
fn uids(cp: &ControlPlane, namespace: &str, resource: &str) -> BTreeMap<String, String> {
    let list = cp.get_json(namespace, resource);
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["metadata"]["name"].as_str().unwrap().to_string(),
                o["metadata"]["uid"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// A ScheduledWorkflow (kubeflow.org/v1beta1) naming a pipeline and optionally a version.
fn schedule(cp: &ControlPlane, namespace: &str, name: &str, pipeline_uid: &str, version_uid: Option<&str>) {
    let version = version_uid
        .map(|uid| format!("  pipelineVersionId: {uid}\n"))
        .unwrap_or_default();
    cp.create(
        namespace,
        &format!(
            "apiVersion: kubeflow.org/v1beta1\nkind: ScheduledWorkflow\nmetadata:\n  name: {name}\nspec:\n  pipelineId: {pipeline_uid}\n{version}  enabled: true\nstatus: {{}}\n"
        ),
    );
}

/// `train` with versions v1…v7 created a second apart, oldest first.
fn seed_train(cp: &ControlPlane, ns: &Namespaces) {
    cp.create(&ns.local, &pipeline_manifest("train", "prune tests"));
    let spec = shared_data("pipelines/variants/train_v1.yaml");
    for i in 1..=7 {
        next_second();
        cp.create(
            &ns.local,
            &version_manifest("train", &format!("v{i}"), &spec, true),
        );
    }
}

#[test]
fn prune_keeps_latest_newest_tagged_scheduled_and_promoted_from_versions() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("prune-protect");
    seed_train(cp, &ns);
    let versions = uids(cp, &ns.local, PV);
    let pipeline_uid = uids(cp, &ns.local, "pipelines.v2beta1.pipelines.kubeflow.org")["train"].clone();
    // v6: tagged; v5: pinned by a schedule; v4: the source of a copy in another namespace;
    // a second schedule names only the pipeline (it runs the latest, v7).
    cp.kfp(&ns, &["tag", "train@v6", "stage=production"]).ok();
    schedule(
        cp,
        &ns.local,
        "nightly",
        &pipeline_uid,
        Some(&versions["train-v5"]),
    );
    schedule(cp, &ns.local, "floating", &pipeline_uid, None);
    cp.kfp(&ns, &["promote", "train@v4", "--to", &ns.other, "--yes"])
        .ok();
    cp.kfp(&ns, &["tag", "train@v3", "team=ml"]).ok();

    let out = cp.kfp(&ns, &["prune", "train", "--keep", "1", "--dry-run"]).ok();
    assert_eq!(
        out.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v2 deleted (dry run)\n\
         pipelineversion.pipelines.kubeflow.org/train-v1 deleted (dry run)\n"
    );
    let table: String = out
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("VERSION"))
        .map(|l| format!("{l}\n"))
        .collect();
    let plan = Output {
        stdout: table,
        ..out.clone()
    }
    .rows();
    let why = |row: &Vec<String>| format!("{} {}", row[2], row.get(3).cloned().unwrap_or_default());
    let table: Vec<String> = plan.iter().map(|r| format!("{}: {}", r[0], why(r))).collect();
    let local = &ns.local;
    let other = &ns.other;
    assert_eq!(
        table,
        [
            format!("v7: keep latest; runs as latest for {local}/floating; newest 1"),
            "v6: keep tagged stage=production".to_string(),
            format!("v5: keep scheduled by {local}/nightly"),
            format!("v4: keep promoted to {other}/train-v4"),
            "v3: keep tagged team=ml".to_string(),
            "v2: delete ".to_string(),
            "v1: delete ".to_string(),
        ],
        "{}",
        out.stderr
    );
    assert_eq!(
        remaining(cp, &ns.local, "train").len(),
        7,
        "a dry run deletes nothing"
    );

    // Without a terminal and without --yes: refused, nothing deleted.
    cp.kfp(&ns, &["prune", "train", "--keep", "1"])
        .run()
        .assert_error("refusing to write without confirmation");
    assert_eq!(remaining(cp, &ns.local, "train").len(), 7);

    // A viewer may see the plan, never delete.
    cp.kfp(&ns, &["prune", "train", "--keep", "1", "--dry-run"])
        .context("viewer")
        .ok();
    let out = cp
        .kfp(&ns, &["prune", "train", "--keep", "1", "--yes"])
        .context("viewer")
        .run();
    out.assert_error(&format!(
        "cannot delete pipelineversions in namespace {local:?}: forbidden for user \"viewer\"; nothing was deleted"
    ));
    assert_eq!(
        out.stderr.lines().count(),
        2,
        "one error and one hint: {}",
        out.stderr
    );
    assert_eq!(remaining(cp, &ns.local, "train").len(), 7);

    // The editor may delete versions but not read ScheduledWorkflows: refused unless told.
    let out = cp
        .kfp(&ns, &["prune", "train", "--keep", "1", "--yes"])
        .context("editor")
        .run();
    out.assert_error(&format!(
        "cannot tell which versions recurring runs use: you may not list scheduledworkflows.kubeflow.org in namespace {local:?}; nothing was deleted"
    ));
    assert!(out.stderr.contains("--skip-schedule-check"), "{}", out.stderr);
    assert_eq!(remaining(cp, &ns.local, "train").len(), 7);

    let out = cp.kfp(&ns, &["prune", "train", "--keep", "1", "--yes"]).ok();
    assert_pruned(
        cp,
        &ns.local,
        &out,
        &["train-v2", "train-v1"],
        &["train-v3", "train-v4", "train-v5", "train-v6", "train-v7"],
    );
    // Nothing left to do: a rerun deletes nothing.
    let out = cp.kfp(&ns, &["prune", "train", "--keep", "1", "--yes"]).ok();
    assert_eq!(out.stdout, "");
    assert!(out.stderr.ends_with("Nothing to delete.\n"), "{}", out.stderr);

    // Narrowed protections: only stage=production protects; sources may go.
    let out = cp
        .kfp(
            &ns,
            &words("prune train --keep 1 --protect-tag stage=production --include-sources --yes"),
        )
        .ok();
    assert_pruned(
        cp,
        &ns.local,
        &out,
        &["train-v4", "train-v3"],
        &["train-v5", "train-v6", "train-v7"],
    );
    // The editor, knowingly without the schedule check, may delete; the warning says what was skipped.
    let out = cp
        .kfp(
            &ns,
            &words("prune train --keep 1 --protect-tag none --skip-schedule-check --yes"),
        )
        .context("editor")
        .ok();
    assert!(
        out.stderr
            .contains("warning: ScheduledWorkflows were not checked"),
        "{}",
        out.stderr
    );
    assert_eq!(
        out.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v6 deleted\n\
         pipelineversion.pipelines.kubeflow.org/train-v5 deleted\n"
    );
    assert_eq!(remaining(cp, &ns.local, "train"), ["train-v7"]);

    cp.kfp(&ns, &["prune", "train", "--older-than", "3x"])
        .run()
        .assert_error("invalid --older-than \"3x\": unknown unit 'x'");
    cp.kfp(&ns, &["prune", "train@v7"])
        .run()
        .assert_error("prune takes a pipeline, not a version");
}

#[test]
fn older_than_keeps_young_versions() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("prune-age");
    cp.seed(&ns.local, "young", &["v1", "v2", "v3"]);
    let out = cp
        .kfp(
            &ns,
            &["prune", "young", "--keep", "0", "--older-than", "1h", "--dry-run"],
        )
        .ok();
    assert_eq!(out.stdout, "");
    assert!(out.stderr.contains("newer than --older-than"), "{}", out.stderr);
    assert!(out.stderr.ends_with("Nothing to delete.\n"), "{}", out.stderr);
}

/// Seeds `count` pipelines `cut-N` with `versions` versions each, in one request.
fn seed_many(cp: &ControlPlane, namespace: &str, count: usize, versions: usize) {
    let spec = shared_data("pipelines/variants/train_v1.yaml");
    let mut manifest = String::new();
    for i in 1..=count {
        let name = format!("cut-{i}");
        manifest.push_str(&pipeline_manifest(&name, "prune cut"));
        for v in 1..=versions {
            manifest.push_str("---\n");
            manifest.push_str(&version_manifest(&name, &format!("v{v}"), &spec, true));
        }
        manifest.push_str("---\n");
    }
    cp.create(namespace, &manifest);
}

#[test]
fn a_prune_cut_off_midway_deleted_a_subset_and_a_rerun_finishes_it() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("prune-cut");
    let (pipelines, versions) = (6, 40);
    seed_many(cp, &ns.local, pipelines, versions);
    let proxy = Proxy::start(&cp.kubeconfig);
    let kubeconfig = proxy.kubeconfig(&cp.kubeconfig, &cp.dir);
    let prune = |name: &str| cp.kfp(&ns, &["prune", name, "--keep", "0", "--yes"]);
    let deleted = |stdout: &str| stdout.lines().filter(|l| l.ends_with(" deleted")).count();
    let uncut = prune("cut-1").kubeconfig(&kubeconfig).run();
    assert_eq!(uncut.code, 0, "{uncut:?}");
    assert_eq!(deleted(&uncut.stdout), versions - 1);
    assert_eq!(remaining(cp, &ns.local, "cut-1").len(), 1, "the latest stays");
    let chunks = proxy.chunks();
    let mut cut_runs = 0;
    for i in 2..=pipelines {
        let name = format!("cut-{i}");
        // Late cut points: the deletes are the last part of the conversation.
        let chunk = chunks - (i - 1) * 3;
        proxy.set(Mode::Cut {
            chunk,
            deliver: false,
            then_dead: i % 2 == 0,
        });
        let out = prune(&name).kubeconfig(&kubeconfig).run();
        let first = deleted(&out.stdout);
        let left = remaining(cp, &ns.local, &name).len();
        if out.code != 0 {
            cut_runs += 1;
            assert_failed(&out, &proxy.url());
            assert!(
                out.stderr.contains("run the same command again"),
                "{}",
                out.stderr
            );
            // What it printed is what it deleted: the rest is still there.
            assert_eq!(left, versions - first, "{out:?}");
            assert!(left > 1, "a subset was deleted: {out:?}");
        }
        let again = prune(&name).run();
        assert_eq!(again.code, 0, "{again:?}");
        assert_eq!(
            deleted(&again.stdout),
            left - 1,
            "the rerun deletes the rest: {again:?}"
        );
        assert_eq!(remaining(cp, &ns.local, &name).len(), 1);
    }
    assert!(cut_runs >= 2, "only {cut_runs} runs were cut");
}
