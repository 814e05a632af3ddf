//! `prune` against the real API server: each protected kind kept (a real ScheduledWorkflow
//! object, a real promoted copy, tags, latest, newest), RBAC refusals before anything is
//! deleted, and a prune cut off by the fault proxy then finished by a rerun.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::proxy::{Mode, Proxy};
use crate::support::{
    ControlPlane, Namespaces, Output, crds_dir, next_second, pipeline_manifest, repo, shared_data,
    version_manifest,
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

/// A control plane serving KFP's pipeline CRDs but not its ScheduledWorkflow CRD (a cluster where
/// KFP's recurring runs are not installed). Its own, so no other test loses the CRD.
fn without_scheduled_workflows() -> &'static ControlPlane {
    static CP: OnceLock<ControlPlane> = OnceLock::new();
    CP.get_or_init(|| {
        let dir = repo()
            .join("target/e2e")
            .join(format!("no-swf-crds-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("crd dir");
        for file in [
            "pipelines.kubeflow.org_pipelines.yaml",
            "pipelines.kubeflow.org_pipelineversions.yaml",
        ] {
            std::fs::copy(crds_dir().join(file), dir.join(file)).expect("copy crd");
        }
        ControlPlane::start_with(&dir, &[])
    })
}

/// Replaces the AGE cells of the plan's tables (the only part that varies with time) by `[..]`,
/// keeping the rest byte for byte: the column is cut where the header puts AGE and ACTION.
fn ages_masked(text: &str) -> String {
    let mut out = String::new();
    let mut columns: Option<(usize, usize)> = None;
    for line in text.lines() {
        if line.starts_with("VERSION ") {
            columns = line.find(" AGE ").zip(line.find(" ACTION "));
            out.push_str(line);
        } else if let Some((age, action)) = columns.filter(|_| !line.starts_with("Pipeline ")) {
            let cell = line.get(age + 1..action + 1).unwrap_or_default();
            assert!(
                cell.trim().chars().next().is_some_and(|c| c.is_ascii_digit()),
                "no age in {line:?}"
            );
            out.push_str(&format!("{}[..]{}", &line[..age + 1], &line[action + 1..]));
        } else {
            columns = None;
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

#[test]
fn without_kfps_scheduled_workflow_crd_prune_refuses_unless_told_to_skip_the_check() {
    let cp = without_scheduled_workflows();
    let ns = cp.namespaces("prune-no-swf");
    seed_train(cp, &ns);
    let refused = cp.kfp(&ns, &["prune", "train", "--keep", "5", "--yes"]).run();
    assert_eq!(
        (refused.code, refused.stdout.as_str(), refused.stderr.as_str()),
        (
            2,
            "",
            "error: cannot tell which versions recurring runs use: the server does not serve scheduledworkflows.kubeflow.org/v1beta1 (KFP's ScheduledWorkflow CRD is not installed); nothing was deleted\n\
             hint: if this cluster runs no KFP recurring runs, pass --skip-schedule-check to delete without that check\n"
        )
    );
    // A server dry run deletes too, as far as the server is concerned: refused the same way.
    let dry = cp
        .kfp(&ns, &["prune", "train", "--keep", "5", "--dry-run=server"])
        .run();
    assert_eq!((dry.code, dry.stderr.as_str()), (2, refused.stderr.as_str()));
    assert_eq!(remaining(cp, &ns.local, "train").len(), 7);

    // A client dry run shows the plan with a warning; --skip-schedule-check deletes.
    let warning = "warning: ScheduledWorkflows were not checked (the server does not serve scheduledworkflows.kubeflow.org/v1beta1 (KFP's ScheduledWorkflow CRD is not installed)): a version a recurring run uses may be in the plan\n";
    let plan = format!(
        "{warning}Pipeline {}/train: 7 versions, 2 to delete, 5 kept\n\
         VERSION  AGE  ACTION  WHY\n\
         v7       [..]keep    latest; newest 5\n\
         v6       [..]keep    newest 5\n\
         v5       [..]keep    newest 5\n\
         v4       [..]keep    newest 5\n\
         v3       [..]keep    newest 5\n\
         v2       [..]delete\n\
         v1       [..]delete\n",
        ns.local
    );
    let out = cp.kfp(&ns, &["prune", "train", "--keep", "5", "--dry-run"]).ok();
    assert_eq!(ages_masked(&out.stderr), plan);
    assert_eq!(
        out.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v2 deleted (dry run)\n\
         pipelineversion.pipelines.kubeflow.org/train-v1 deleted (dry run)\n"
    );
    let out = cp
        .kfp(
            &ns,
            &["prune", "train", "--keep", "5", "--skip-schedule-check", "--yes"],
        )
        .ok();
    assert_eq!(ages_masked(&out.stderr), plan);
    assert_pruned(
        cp,
        &ns.local,
        &out,
        &["train-v2", "train-v1"],
        &["train-v3", "train-v4", "train-v5", "train-v6", "train-v7"],
    );
}

/// `train` in `namespace` with versions `v1…vN` a second apart, oldest first, created by the plugin
/// (labelled as KFP's webhook labels them).
fn create_in_order(cp: &ControlPlane, ns: &Namespaces, namespace: &str, pipeline: &str, count: usize) {
    for i in 1..=count {
        next_second();
        cp.kfp(
            ns,
            &[
                "create",
                pipeline,
                "--version",
                &format!("v{i}"),
                "--allow-duplicate",
                "-f",
                &shared_data("pipelines/variants/train_v1.yaml")
                    .display()
                    .to_string(),
            ],
        )
        .namespace(namespace)
        .ok();
    }
}

#[test]
fn prune_all_plans_and_deletes_every_pipeline_of_the_namespace_only() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("prune-all");
    create_in_order(cp, &ns, &ns.local, "train", 3);
    create_in_order(cp, &ns, &ns.local, "eval", 2);
    cp.create(&ns.local, &pipeline_manifest("empty", "no versions"));
    // The shared namespace's pipeline is no business of --all.
    create_in_order(cp, &ns, &ns.shared, "train", 3);
    let shared_before = cp.kfp_objects(&ns.shared);
    let local = &ns.local;
    let plan = format!(
        "Pipeline {local}/empty: 0 versions, 0 to delete, 0 kept\n\
         Pipeline {local}/eval: 2 versions, 1 to delete, 1 kept\n\
         VERSION  AGE  ACTION  WHY\n\
         v2       [..]keep    latest; newest 1\n\
         v1       [..]delete\n\
         Pipeline {local}/train: 3 versions, 2 to delete, 1 kept\n\
         VERSION  AGE  ACTION  WHY\n\
         v3       [..]keep    latest; newest 1\n\
         v2       [..]delete\n\
         v1       [..]delete\n"
    );
    let deleted = |suffix: &str| {
        format!(
            "pipelineversion.pipelines.kubeflow.org/eval-v1 deleted{suffix}\n\
             pipelineversion.pipelines.kubeflow.org/train-v2 deleted{suffix}\n\
             pipelineversion.pipelines.kubeflow.org/train-v1 deleted{suffix}\n"
        )
    };
    let before = cp.kfp_objects(local);
    let dry = cp.kfp(&ns, &["prune", "--all", "--keep", "1", "--dry-run"]).ok();
    assert_eq!(ages_masked(&dry.stderr), plan);
    assert_eq!(dry.stdout, deleted(" (dry run)"));
    // A server dry run: the server checks each delete and keeps everything.
    let server = cp
        .kfp(&ns, &["prune", "--all", "--keep", "1", "--dry-run=server"])
        .ok();
    assert_eq!(ages_masked(&server.stderr), plan);
    assert_eq!(server.stdout, deleted(" (server dry run)"));
    assert_eq!(cp.kfp_objects(local), before);

    let out = cp.kfp(&ns, &["prune", "--all", "--keep", "1", "--yes"]).ok();
    assert_eq!(ages_masked(&out.stderr), plan);
    assert_eq!(out.stdout, deleted(""));
    assert_eq!(remaining(cp, local, "train"), ["train-v3"]);
    assert_eq!(remaining(cp, local, "eval"), ["eval-v2"]);
    assert_eq!(cp.kfp_objects(&ns.shared), shared_before);
    let again = cp.kfp(&ns, &["prune", "--all", "--keep", "1", "--yes"]).ok();
    assert_eq!(again.stdout, "");
    assert!(again.stderr.ends_with("Nothing to delete.\n"), "{}", again.stderr);
}

#[test]
fn a_server_dry_run_of_prune_deletes_nothing_and_says_so_as_kubectl() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("prune-server-dry");
    seed_train(cp, &ns);
    let before = cp.get_json(&ns.local, PV);
    let out = cp
        .kfp(
            &ns,
            &[
                "prune",
                "train",
                "--keep",
                "4",
                "--protect-tag",
                "none",
                "--dry-run=server",
            ],
        )
        .ok();
    assert_eq!(
        out.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v3 deleted (server dry run)\n\
         pipelineversion.pipelines.kubeflow.org/train-v2 deleted (server dry run)\n\
         pipelineversion.pipelines.kubeflow.org/train-v1 deleted (server dry run)\n"
    );
    assert!(!out.stderr.contains("Delete 3 versions?"), "{}", out.stderr);
    // Not one object changed (the resourceVersions are the same).
    assert_eq!(cp.get_json(&ns.local, PV)["items"], before["items"]);
    // The viewer is refused before the server is asked, as for a real prune.
    cp.kfp(&ns, &["prune", "train", "--keep", "4", "--dry-run=server"])
        .context("viewer")
        .run()
        .assert_error("cannot delete pipelineversions in namespace");
}
