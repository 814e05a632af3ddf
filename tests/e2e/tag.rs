//! `tag`, tag references and `--move` against the real API server: concurrent writers on one
//! version, two writers on one key, and a move cut off by the fault proxy then finished.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::proxy::{Mode, Proxy};
use crate::support::{
    ControlPlane, Namespaces, Output, next_second, pipeline_manifest, shared_data, version_manifest,
};

const PV: &str = "pipelineversions.v2beta1.pipelines.kubeflow.org";

/// `spec.tags` of one version object, as the server stores them.
fn tags(cp: &ControlPlane, namespace: &str, object: &str) -> BTreeMap<String, String> {
    let version = cp.get_json(namespace, &format!("{PV}/{object}"));
    serde_json::from_value(version["spec"]["tags"].clone()).unwrap_or_default()
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A pipeline whose versions are created a second apart, oldest first (so "newest" is known).
fn seed_in_order(cp: &ControlPlane, ns: &Namespaces, pipeline: &str, versions: &[&str]) {
    cp.create(&ns.local, &pipeline_manifest(pipeline, "tag tests"));
    let spec = shared_data("pipelines/variants/train_v1.yaml");
    for version in versions {
        next_second();
        cp.create(&ns.local, &version_manifest(pipeline, version, &spec, true));
    }
}

#[test]
fn tag_sets_removes_renames_and_refuses_bad_input_before_sending() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("tag-basics");
    seed_in_order(cp, &ns, "train", &["v1", "v2"]);
    let out = cp
        .kfp(&ns, &["tag", "train@v1", "stage=production", "team=ml"])
        .ok();
    assert_eq!(
        out.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v1 tagged\n"
    );
    assert_eq!(
        tags(cp, &ns.local, "train-v1"),
        map(&[("stage", "production"), ("team", "ml")])
    );
    let out = cp.kfp(&ns, &["tag", "train@v1", "team-"]).ok();
    assert_eq!(
        out.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v1 untagged\n"
    );
    let out = cp.kfp(&ns, &["tag", "train@v1", "stage=production"]).ok();
    assert_eq!(
        out.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v1 not tagged\n"
    );
    let out = cp
        .kfp(&ns, &["tag", "train@v1", "--display-name", "Production build"])
        .ok();
    assert_eq!(
        out.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v1 tagged\n"
    );
    let stored = cp.get_json(&ns.local, &format!("{PV}/train-v1"));
    assert_eq!(stored["spec"]["displayName"], "Production build");

    // Dry runs print the result and store nothing.
    let out = cp
        .kfp(
            &ns,
            &["tag", "train@v1", "extra=1", "--dry-run=client", "-o", "json"],
        )
        .ok();
    let printed: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(printed["spec"]["tags"]["extra"], "1");
    let out = cp
        .kfp(&ns, &["tag", "train@v1", "extra=1", "--dry-run=server"])
        .ok();
    assert_eq!(
        out.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v1 tagged (server dry run)\n"
    );
    assert_eq!(tags(cp, &ns.local, "train-v1"), map(&[("stage", "production")]));

    // Label syntax is checked before anything is read or sent.
    for (bad, why) in [
        ("stage=a b", "value \"a b\" is not a valid tag value"),
        ("Stage/x=1", "key \"Stage/x\" has an invalid prefix"),
        ("x y=1", "key \"x y\" is not a valid tag key"),
        ("stage", "expected KEY=VALUE to set a tag or KEY- to remove one"),
    ] {
        cp.kfp(&ns, &["tag", "train@v1", bad])
            .run()
            .assert_error(&format!("invalid tag change {bad:?}: {why}"));
    }
    cp.kfp(&ns, &["tag", "train@v1"])
        .run()
        .assert_error("tag needs KEY=VALUE, KEY- or --display-name");
    // A viewer is refused by the server, in one line.
    let out = cp.kfp(&ns, &["tag", "train@v1", "x=1"]).context("viewer").run();
    out.assert_error("cannot update pipelineversion \"train-v1\"");
    assert!(
        out.stderr.contains("forbidden for user \"viewer\""),
        "{}",
        out.stderr
    );
    assert_eq!(tags(cp, &ns.local, "train-v1"), map(&[("stage", "production")]));
}

/// Runs `count` plugin processes at once, as editor, each with its own arguments.
fn at_once(ns: &Namespaces, runs: Vec<Vec<String>>) -> Vec<Output> {
    let handles: Vec<_> = runs
        .into_iter()
        .map(|args| {
            let ns = ns.clone();
            std::thread::spawn(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                ControlPlane::get().kfp(&ns, &args).context("editor").run()
            })
        })
        .collect();
    handles.into_iter().map(|h| h.join().unwrap()).collect()
}

#[test]
fn sixteen_concurrent_writers_on_one_version_all_land() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("tag-concurrent");
    seed_in_order(cp, &ns, "train", &["v1"]);
    let runs = (1..=16)
        .map(|i| vec!["tag".into(), "train@v1".into(), format!("writer-{i}=w{i}")])
        .collect();
    for out in at_once(&ns, runs) {
        assert_eq!(out.code, 0, "{out:?}");
        assert_eq!(
            out.stdout,
            "pipelineversion.pipelines.kubeflow.org/train-v1 tagged\n"
        );
    }
    let expected: BTreeMap<String, String> = (1..=16)
        .map(|i| (format!("writer-{i}"), format!("w{i}")))
        .collect();
    assert_eq!(tags(cp, &ns.local, "train-v1"), expected, "no update was lost");
}

#[test]
fn two_writers_on_one_key_never_lose_an_update_silently() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("tag-same-key");
    seed_in_order(cp, &ns, "train", &["v1"]);
    for round in 0..4 {
        let values = [format!("a{round}"), format!("b{round}")];
        let runs = values
            .iter()
            .map(|v| vec!["tag".into(), "train@v1".into(), format!("stage={v}")])
            .collect();
        let outs = at_once(&ns, runs);
        let stored = tags(cp, &ns.local, "train-v1")["stage"].clone();
        let mut winners = Vec::new();
        for (value, out) in values.iter().zip(&outs) {
            if out.code == 0 {
                winners.push(value.clone());
            } else {
                // The loser says so, in one line, and its value is not what is stored.
                out.assert_error("another writer changed it meanwhile (tag \"stage\" was set to");
                assert!(out.stderr.contains("not overwritten"), "{}", out.stderr);
                assert_ne!(&stored, value, "{out:?}");
            }
        }
        assert!(
            winners.contains(&stored),
            "round {round}: stored {stored:?}, winners {winners:?}"
        );
        assert!(!winners.is_empty(), "{outs:?}");
    }
}

#[test]
fn tag_references_work_in_get_diff_promote_list_and_completion() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("tag-references");
    let file = |name: &str| {
        shared_data(&format!("pipelines/variants/{name}"))
            .display()
            .to_string()
    };
    cp.kfp(&ns, &["create", "train", "-f", &file("train_v1.yaml")])
        .ok();
    next_second();
    cp.kfp(&ns, &["create", "train", "-f", &file("train_v2.yaml")])
        .ok();
    cp.kfp(&ns, &["tag", "train@v1", "stage=production"]).ok();

    let out = cp.kfp(&ns, &["get", "train@stage=production", "-o", "name"]).ok();
    assert_eq!(out.stdout, "pipelineversion.pipelines.kubeflow.org/train-v1\n");
    let out = cp
        .kfp(&ns, &["diff", "train@stage=production", "train@v2", "--semantic"])
        .run();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout
            .contains("~ task train: image python:3.11 → python:3.12"),
        "{}",
        out.stdout
    );
    cp.kfp(&ns, &["get", "train@stage=qa"])
        .run()
        .assert_error("version \"stage=qa\" not found in pipeline \"train\"");
    cp.kfp(&ns, &["get", "train@stage=a b"])
        .run()
        .assert_error("invalid reference \"train@stage=a b\": tag selector \"stage=a b\"");

    // list: a TAGS column with -o wide, and --tag filters.
    let out = cp.kfp(&ns, &["list", "train", "-o", "wide"]).ok();
    assert!(
        out.stdout.lines().next().unwrap().ends_with("TAGS"),
        "{}",
        out.stdout
    );
    let rows = out.rows();
    assert_eq!(rows[0].last().map(String::as_str), Some("-"), "{rows:?}");
    assert_eq!(
        rows[1].last().map(String::as_str),
        Some("stage=production"),
        "{rows:?}"
    );
    let out = cp
        .kfp(&ns, &["list", "train", "--tag", "stage=production", "-o", "name"])
        .ok();
    assert_eq!(out.stdout, "pipelineversion.pipelines.kubeflow.org/train-v1\n");

    // promote: the copy carries the source's tags and --tag's.
    let out = cp
        .kfp(
            &ns,
            &[
                "promote",
                "train@stage=production",
                "--to",
                &ns.other,
                "--tag",
                "env=shared",
                "--yes",
            ],
        )
        .ok();
    assert!(
        out.stdout
            .contains("pipelineversion.pipelines.kubeflow.org/train-v1 created"),
        "{}",
        out.stdout
    );
    assert_eq!(
        tags(cp, &ns.other, "train-v1"),
        map(&[("env", "shared"), ("stage", "production")])
    );
    // Promoting the same content again tags the copy that is there.
    let out = cp
        .kfp(
            &ns,
            &[
                "promote",
                "train@v1",
                "--to",
                &ns.other,
                "--tag",
                "reviewed=yes",
                "--yes",
            ],
        )
        .ok();
    assert_eq!(
        out.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v1 unchanged\npipelineversion.pipelines.kubeflow.org/train-v1 tagged\n"
    );
    assert_eq!(tags(cp, &ns.other, "train-v1")["reviewed"], "yes");

    // Completion offers the tags in use after '@'.
    let line = [
        "__complete",
        "--",
        "--context",
        "admin",
        "-n",
        &ns.local,
        "get",
        "train@",
    ];
    let out = cp.kfp(&ns, &line).no_context().no_namespace().ok();
    assert!(
        out.stdout.contains("train@stage=production\ttag of v1\n"),
        "{}",
        out.stdout
    );
}

/// Versions of `pipeline` carrying `stage=production`, by object name.
fn carriers(cp: &ControlPlane, namespace: &str, pipeline: &str) -> Vec<String> {
    let list = cp.get_json(namespace, PV);
    let mut names: Vec<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["spec"]["pipelineName"] == pipeline && v["spec"]["tags"]["stage"] == "production")
        .map(|v| v["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn move_takes_the_tag_from_every_other_version_and_a_cut_move_is_finished_by_a_rerun() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("tag-move");
    seed_in_order(cp, &ns, "train", &["v1", "v2", "v3", "v4"]);
    for version in ["v1", "v2", "v3"] {
        cp.kfp(
            &ns,
            &["tag", &format!("train@{version}"), "stage=production", "keep=me"],
        )
        .ok();
    }
    cp.kfp(&ns, &["tag", "train@v2", "stage=staging"]).ok();
    let out = cp
        .kfp(&ns, &["tag", "train@v4", "stage=production", "--move"])
        .ok();
    assert_eq!(
        out.stdout,
        "pipelineversion.pipelines.kubeflow.org/train-v4 tagged\n\
         pipelineversion.pipelines.kubeflow.org/train-v3 untagged\n\
         pipelineversion.pipelines.kubeflow.org/train-v1 untagged\n"
    );
    assert_eq!(carriers(cp, &ns.local, "train"), ["train-v4"]);
    // Only the moved tag goes; other tags and other values stay.
    assert_eq!(tags(cp, &ns.local, "train-v1"), map(&[("keep", "me")]));
    assert_eq!(
        tags(cp, &ns.local, "train-v2"),
        map(&[("keep", "me"), ("stage", "staging")])
    );
    let out = cp.kfp(&ns, &["get", "train@stage=production", "-o", "name"]).ok();
    assert_eq!(out.stdout, "pipelineversion.pipelines.kubeflow.org/train-v4\n");

    // Cut off mid-move (the network then stays down), a rerun finishes it.
    let mut manifest = String::new();
    let spec = shared_data("pipelines/variants/train_v1.yaml");
    let count = 12;
    for i in 1..=count {
        let name = format!("cut-{i}");
        manifest.push_str(&pipeline_manifest(&name, "move"));
        for version in ["v1", "v2", "v3", "v4", "v5"] {
            manifest.push_str("---\n");
            manifest.push_str(&version_manifest(&name, version, &spec, true));
        }
        manifest.push_str("---\n");
    }
    cp.create(&ns.local, &manifest);
    for i in 1..=count {
        for version in ["v1", "v2", "v3", "v4"] {
            let name = format!("cut-{i}-{version}");
            let mut object = cp.get_json(&ns.local, &format!("{PV}/{name}"));
            object["spec"]["tags"] = serde_json::json!({"stage": "production"});
            cp.kubectl(
                "admin",
                &["replace", "-n", &ns.local, "-f", "-"],
                Some(&object.to_string()),
            );
        }
    }
    let proxy = Proxy::start(&cp.kubeconfig);
    let kubeconfig = proxy.kubeconfig(&cp.kubeconfig, &cp.dir);
    let run = |name: &str, through: bool| {
        let kfp = cp.kfp(&ns, &["tag", &format!("{name}@v5"), "stage=production", "--move"]);
        if through {
            kfp.kubeconfig(&kubeconfig).run()
        } else {
            kfp.run()
        }
    };
    let uncut = run("cut-1", true);
    assert_eq!(uncut.code, 0, "{uncut:?}");
    let chunks = proxy.chunks();
    let mut failed = 0;
    for i in 2..=count {
        let name = format!("cut-{i}");
        // Cut points spread over the conversation, the later ones inside the removals.
        let chunk = chunks * (i - 1) / (count - 1);
        proxy.set(Mode::Cut {
            chunk: chunk.max(1),
            deliver: i % 2 == 0,
            then_dead: true,
        });
        let out = run(&name, true);
        if out.code != 0 {
            failed += 1;
            out.assert_error(&proxy.url());
        }
        let again = run(&name, false);
        assert_eq!(again.code, 0, "{again:?}");
        assert_eq!(
            carriers(cp, &ns.local, &name),
            [format!("{name}-v5")],
            "cut at {chunk} of {chunks}"
        );
    }
    assert!(failed >= 3, "only {failed} cut runs failed");
}

#[test]
fn server_dry_run_of_a_move_changes_nothing_and_prints_kubectls_lines() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("tag-move-dry");
    seed_in_order(cp, &ns, "train", &["v1", "v2", "v3"]);
    for version in ["v1", "v2"] {
        cp.kfp(&ns, &["tag", &format!("train@{version}"), "stage=production"])
            .ok();
    }
    let before = cp.get_json(&ns.local, PV)["items"].clone();
    for (flag, suffix) in [
        ("--dry-run=server", "server dry run"),
        ("--dry-run=client", "dry run"),
    ] {
        let out = cp
            .kfp(&ns, &["tag", "train@v3", "stage=production", "--move", flag])
            .ok();
        assert_eq!(
            out.stdout,
            format!(
                "pipelineversion.pipelines.kubeflow.org/train-v3 tagged ({suffix})\n\
                 pipelineversion.pipelines.kubeflow.org/train-v2 untagged ({suffix})\n\
                 pipelineversion.pipelines.kubeflow.org/train-v1 untagged ({suffix})\n"
            ),
            "{flag}: {}",
            out.stderr
        );
        // Not one object changed: same tags, same resourceVersions.
        assert_eq!(cp.get_json(&ns.local, PV)["items"], before, "{flag}");
    }
    // The server checks what it is sent: a viewer's server dry run is refused, nothing changes.
    cp.kfp(&ns, &["tag", "train@v3", "stage=production", "--dry-run=server"])
        .context("viewer")
        .run()
        .assert_error("cannot update pipelineversion \"train-v3\"");
    assert_eq!(cp.get_json(&ns.local, PV)["items"], before);
    assert_eq!(carriers(cp, &ns.local, "train"), ["train-v1", "train-v2"]);
}

#[test]
fn sixteen_concurrent_moves_lose_no_tag_and_warn_when_more_than_one_version_keeps_it() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("tag-move-concurrent");
    let names: Vec<String> = (1..=16).map(|i| format!("v{i}")).collect();
    seed_in_order(
        cp,
        &ns,
        "train",
        &names.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let owners = (1..=16)
        .map(|i| vec!["tag".into(), format!("train@v{i}"), format!("owner=team{i}")])
        .collect();
    for out in at_once(&ns, owners) {
        assert_eq!(out.code, 0, "{out:?}");
    }
    let moves = (1..=16)
        .map(|i| {
            vec![
                "tag".into(),
                format!("train@v{i}"),
                "stage=production".into(),
                "--move".into(),
            ]
        })
        .collect();
    let outs = at_once(&ns, moves);
    let warning = "warning: a concurrent tag --move moved stage=production meanwhile: it is now on ";
    let mut warnings = Vec::new();
    for (i, out) in (1..).zip(&outs) {
        assert!(!out.stderr.contains("exists with different content"), "{out:?}");
        if out.code == 0 {
            assert!(
                out.stdout.starts_with(&format!(
                    "pipelineversion.pipelines.kubeflow.org/train-v{i} tagged\n"
                )),
                "{out:?}"
            );
        } else {
            out.assert_error("pipelineversion");
            let errors = out.stderr.lines().filter(|l| l.starts_with("error: "));
            assert_eq!(errors.count(), 1, "{out:?}");
        }
        let settle = format!(
            "; to settle it, run \"kubectl kfp tag {}/train@v{i} stage=production --move\" again while no other move runs",
            ns.local
        );
        for line in out.stderr.lines().filter(|l| l.starts_with(warning)) {
            assert!(line.ends_with(&settle), "{line}");
            warnings.push(line.to_string());
        }
    }
    // No lost update: every version keeps the tag set on it before.
    for i in 1..=16 {
        assert_eq!(
            tags(cp, &ns.local, &format!("train-v{i}")).get("owner"),
            Some(&format!("team{i}")),
            "train-v{i}"
        );
    }
    let left = carriers(cp, &ns.local, "train");
    assert!(
        !left.is_empty(),
        "every move took the tag from every other: {outs:?}"
    );
    if left.len() > 1 {
        assert!(!warnings.is_empty(), "{left:?} carry it, silently: {outs:?}");
        // Of any two versions left with it, the move whose check came later saw both (a
        // consistent read after each one's tag was set): each is named in some warning.
        if outs.iter().all(|o| o.code == 0) {
            for name in &left {
                assert!(
                    warnings
                        .iter()
                        .any(|w| w.split([' ', ',', ';']).any(|word| word == name)),
                    "{name} of {left:?} named in no warning: {warnings:#?}"
                );
            }
        }
    }

    // One move alone settles it.
    let out = cp
        .kfp(&ns, &["tag", "train@v7", "stage=production", "--move"])
        .ok();
    assert!(!out.stderr.contains("a concurrent tag --move"), "{}", out.stderr);
    assert_eq!(carriers(cp, &ns.local, "train"), ["train-v7"]);
    for i in 1..=16 {
        assert_eq!(
            tags(cp, &ns.local, &format!("train-v{i}"))["owner"],
            format!("team{i}")
        );
    }
}
