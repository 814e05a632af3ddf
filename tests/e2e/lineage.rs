//! `history` and `drift` against the real server: promotion chains across namespaces and
//! clusters, a deleted source, an edited copy, teams current/behind/diverged/absent, namespaces
//! the user cannot read, and an unreachable context (a closed loopback port).

use std::path::{Path, PathBuf};

use kubectl_kfp::output::PlainTable;
use serde_json::{Value, json};

use crate::support::{ControlPlane, Namespaces, Output, next_second, shared_data};

const TRAIN_V1: &str = "sha256:d85bb8548bf5";
const TRAIN_V2: &str = "sha256:655810266d4e";
const FANOUT: &str = "sha256:77cf3f7a2f75";

fn file(name: &str) -> String {
    shared_data(&format!("pipelines/variants/{name}"))
        .display()
        .to_string()
}

/// A namespace without any role binding (only admin may read it).
fn bare_namespace(cp: &ControlPlane, ns: &Namespaces, suffix: &str) -> String {
    let name = format!("{}-{suffix}", ns.local);
    cp.kubectl("admin", &["create", "namespace", &name], None);
    name
}

/// A copy of `base` with one more context, `broken`, whose server is a loopback port that
/// nothing listens on (bound, then closed).
fn with_broken_context(base: &Path) -> PathBuf {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let mut config: Value =
        kubectl_kfp::yaml::from_str(&std::fs::read_to_string(base).expect("kubeconfig")).expect("yaml");
    let mut cluster = config["clusters"][0].clone();
    cluster["name"] = json!("broken");
    cluster["cluster"]["server"] = json!(format!("https://127.0.0.1:{port}"));
    config["clusters"].as_array_mut().expect("clusters").push(cluster);
    config["contexts"]
        .as_array_mut()
        .expect("contexts")
        .push(json!({"name": "broken", "context": {"cluster": "broken", "user": "admin"}}));
    let path = base.with_file_name(format!("broken-{port}.kubeconfig"));
    std::fs::write(&path, kubectl_kfp::yaml::to_string(&config).expect("yaml")).expect("write");
    path
}

/// Table rows without the AGE column (index 4 in history), for exact comparison; only those
/// of this test's namespaces (other tests' versions may have the same content).
fn without_age(out: &Output, test: &str) -> Vec<Vec<String>> {
    out.rows()
        .into_iter()
        .filter(|row| row[0].contains(test))
        .map(|mut row| {
            row.remove(4);
            row
        })
        .collect()
}

fn row(cells: &[&str]) -> Vec<String> {
    cells.iter().map(|c| c.to_string()).collect()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

// ------------------------------------------------------------------------------------------
// history

#[test]
fn history_follows_a_chain_of_three_across_namespaces_and_clusters() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("history-chain");
    let kubeconfig = ControlPlane::two_cluster_kubeconfig();
    ControlPlane::second().kubectl("admin", &["create", "namespace", &ns.other], None);
    cp.kfp(&ns, &["create", "-f", &file("train_v1.yaml")]).ok();
    cp.kfp(&ns, &["promote", "train@v1", "--to-shared", "--yes"]).ok();
    let shared_ref = format!("{}/train@v1", ns.shared);
    cp.kfp(&ns, &["promote", &shared_ref, "--to", &ns.other, "--yes"])
        .ok();
    let other_ref = format!("{}/train@v1", ns.other);
    cp.kfp(
        &ns,
        &[
            "promote",
            &other_ref,
            "--to-context",
            "remote-admin",
            "--to",
            &ns.other,
            "--yes",
        ],
    )
    .kubeconfig(kubeconfig)
    .ok();
    // The same content in another pipeline, without a provenance record.
    cp.kfp(&ns, &["create", "train-copy", "-f", &file("train_v1.yaml")])
        .namespace(&ns.other)
        .ok();

    // From the far end: three sources back, through the other cluster.
    let far = cp
        .kfp(&ns, &["history", "train@v1"])
        .context("remote-admin")
        .namespace(&ns.other)
        .kubeconfig(kubeconfig)
        .ok();
    let local_ref = format!("{}/train@v1", ns.local);
    let copy_ref = format!("{}/train-copy@v1", ns.other);
    assert_eq!(
        without_age(&far, "history-chain-"),
        [
            row(&[&local_ref, "source", "admin", TRAIN_V1, "origin"]),
            row(&[
                &format!("└─ {shared_ref}"),
                "source",
                "admin",
                TRAIN_V1,
                "matches source"
            ]),
            row(&[
                &format!("└─ {other_ref}"),
                "source",
                "admin",
                TRAIN_V1,
                "matches source"
            ]),
            row(&[
                &format!("└─ {other_ref}"),
                "this",
                "remote-admin",
                TRAIN_V1,
                "matches source"
            ]),
            row(&[&copy_ref, "same content", "admin", TRAIN_V1, "-"]),
        ],
        "{}",
        far.stdout
    );
    assert_eq!(
        far.stdout
            .lines()
            .next()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>(),
        ["VERSION", "RELATION", "CONTEXT", "DIGEST", "AGE", "CONTENT"]
    );

    // From the origin: every copy, through the listed context.
    let origin = cp
        .kfp(
            &ns,
            &["history", "train@v1", "--contexts", "remote-admin", "-o", "json"],
        )
        .kubeconfig(kubeconfig)
        .ok();
    let report = json_of(&origin);
    assert_eq!(report["version"]["content"], "origin");
    assert_eq!(report["version"]["namespace"], ns.local.as_str());
    assert_eq!(report["sources"], json!([]));
    let shared = &report["version"]["copies"][0];
    assert_eq!(
        (&shared["namespace"], &shared["content"], &shared["promotedFrom"]),
        (&json!(ns.shared), &json!("matches-source"), &json!(local_ref))
    );
    let other = &shared["copies"][0];
    assert_eq!(other["namespace"], ns.other.as_str());
    let remote = &other["copies"][0];
    assert_eq!(
        (&remote["context"], &remote["namespace"], &remote["content"]),
        (&json!("remote-admin"), &json!(ns.other), &json!("matches-source"))
    );
    assert_eq!(remote["copies"], json!([]));
    let same: Vec<&Value> = report["sameContent"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["namespace"] == ns.other.as_str())
        .collect();
    assert_eq!(same.len(), 1, "{report}");
    assert_eq!(
        (&same[0]["pipeline"], &same[0]["content"]),
        (&json!("train-copy"), &Value::Null)
    );
    assert!(
        report["version"]["digest"]
            .as_str()
            .is_some_and(|d| d.starts_with(TRAIN_V1)),
        "{report}"
    );
}

#[test]
fn history_shows_a_deleted_source_and_an_edited_copy() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("history-edit");
    cp.kfp(&ns, &["create", "-f", &file("train_v1.yaml")]).ok();
    cp.kfp(&ns, &["promote", "train@v1", "--to-shared", "--yes"]).ok();
    let shared_ref = format!("{}/train@v1", ns.shared);
    cp.kfp(&ns, &["promote", &shared_ref, "--to", &ns.other, "--yes"])
        .ok();
    edit_copy(cp, &ns.other, "train-v1");

    let from_shared = cp.kfp(&ns, &["history", &shared_ref]).ok();
    let other_ref = format!("{}/train@v1", ns.other);
    let rows = without_age(&from_shared, "history-edit-");
    assert_eq!(rows[2][0], format!("└─ {other_ref}"), "{}", from_shared.stdout);
    assert_eq!(rows[2][4], "differs from source");
    assert_ne!(
        rows[2][3], TRAIN_V1,
        "the edited copy's digest is computed from its spec"
    );

    // The origin goes away: the chain still shows where the copies came from.
    cp.kubectl(
        "admin",
        &[
            "delete",
            "pipelineversions.v2beta1.pipelines.kubeflow.org",
            "train-v1",
            "-n",
            &ns.local,
        ],
        None,
    );
    let from_copy = cp.kfp(&ns, &["history", "train@v1"]).namespace(&ns.other).ok();
    let local_ref = format!("{}/train@v1", ns.local);
    let rows = without_age(&from_copy, "history-edit-");
    assert_eq!(
        rows[0],
        row(&[&local_ref, "source", "admin", "-", "deleted"]),
        "{}",
        from_copy.stdout
    );
    assert_eq!(
        rows[1],
        row(&[
            &format!("└─ {shared_ref}"),
            "source",
            "admin",
            TRAIN_V1,
            "source missing"
        ])
    );
    assert_eq!(rows[2][0], format!("└─ {other_ref}"), "indented below its source");
    assert_eq!(
        (rows[2][1].as_str(), rows[2][4].as_str()),
        ("this", "differs from source")
    );
    let report = json_of(
        &cp.kfp(&ns, &["history", "train@v1", "-o", "json"])
            .namespace(&ns.other)
            .ok(),
    );
    assert_eq!(report["sources"][1]["state"], "deleted");
    assert_eq!(report["sources"][1]["namespace"], ns.local.as_str());
    assert_eq!(report["sources"][1]["digest"], Value::Null);
    assert_eq!(report["version"]["content"], "differs-from-source");
}

/// Replaces a version's spec as an admin would with kubectl (get, edit, replace), keeping
/// its annotations, the stale digest included.
fn edit_copy(cp: &ControlPlane, namespace: &str, name: &str) {
    let resource = format!("pipelineversions.v2beta1.pipelines.kubeflow.org/{name}");
    let mut object = cp.get_json(namespace, &resource);
    object["spec"]["pipelineSpec"]["pipelineInfo"]["description"] = json!("edited by hand");
    cp.kubectl(
        "admin",
        &["replace", "-n", namespace, "-f", "-"],
        Some(&object.to_string()),
    );
}

#[test]
fn history_as_a_user_who_cannot_read_the_source() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("history-rbac");
    cp.kfp(&ns, &["create", "-f", &file("train_v1.yaml")]).ok();
    cp.kfp(&ns, &["promote", "train@v1", "--to", &ns.other, "--yes"])
        .ok();
    let out = cp
        .kfp(&ns, &["history", "train@v1"])
        .context("outsider")
        .namespace(&ns.other)
        .ok();
    let rows = without_age(&out, "history-rbac-");
    assert_eq!(
        rows,
        [
            row(&[
                &format!("{}/train@v1", ns.local),
                "source",
                "admin",
                "-",
                "forbidden"
            ]),
            row(&[
                &format!("└─ {}/train@v1", ns.other),
                "this",
                "outsider",
                TRAIN_V1,
                "source missing"
            ]),
        ],
        "{}",
        out.stdout
    );
    let mut searched = [ns.local.clone(), ns.other.clone(), ns.shared.clone()];
    searched.sort();
    let quoted: Vec<String> = searched.iter().map(|n| format!("{n:?}")).collect();
    assert_eq!(
        out.stderr,
        format!(
            "warning: cannot list pipelines across all namespaces (context outsider): copies were looked for in namespaces {} only\nwarning: cannot read pipelines in namespaces {:?}, {:?} (context outsider): forbidden; not searched\n",
            quoted.join(", "),
            ns.local,
            ns.shared
        )
    );
}

#[test]
fn history_reports_an_unreachable_context_and_prints_the_rest() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("history-down");
    cp.kfp(&ns, &["create", "-f", &file("train_v1.yaml")]).ok();
    let kubeconfig = with_broken_context(&cp.kubeconfig);
    let out = cp
        .kfp(&ns, &["history", "train@v1", "--contexts", "broken"])
        .kubeconfig(&kubeconfig)
        .run();
    assert_eq!(out.code, 2, "{out:?}");
    assert_eq!(
        without_age(&out, "history-down-"),
        [row(&[
            &format!("{}/train@v1", ns.local),
            "this",
            "admin",
            TRAIN_V1,
            "origin"
        ])]
    );
    assert!(out.stderr.starts_with("error: context \"broken\": cannot list pipelines in all namespaces: cannot reach the Kubernetes API server at https://127.0.0.1:"), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

// ------------------------------------------------------------------------------------------
// drift

/// Shared `train` v1 and v2; local on v2 (current), other on v1 (behind 1), `c` with its own
/// content (diverged), `d` without `train` (absent).
fn fleet(test: &str) -> (&'static ControlPlane, Namespaces, String, String) {
    let cp = ControlPlane::get();
    let ns = cp.namespaces(test);
    cp.kfp(&ns, &["create", "-f", &file("train_v1.yaml")])
        .namespace(&ns.shared)
        .ok();
    next_second();
    cp.kfp(&ns, &["create", "-f", &file("train_v2.yaml")])
        .namespace(&ns.shared)
        .ok();
    let shared = |v: &str| format!("{}/train@{v}", ns.shared);
    cp.kfp(&ns, &["promote", &shared("v2"), "--to", &ns.local, "--yes"])
        .ok();
    cp.kfp(&ns, &["promote", &shared("v1"), "--to", &ns.other, "--yes"])
        .ok();
    let c = bare_namespace(cp, &ns, "c");
    cp.kfp(&ns, &["create", "train", "-f", &file("fanout.yaml")])
        .namespace(&c)
        .ok();
    let d = bare_namespace(cp, &ns, "d");
    cp.kfp(&ns, &["create", "-f", &file("fanout.yaml")])
        .namespace(&d)
        .ok();
    (cp, ns, c, d)
}

fn drift_table(rows: &[[&str; 6]]) -> String {
    let mut table = PlainTable::new(
        &["PIPELINE", "NAMESPACE", "LATEST", "DIGEST", "SHARED", "STATE"],
        true,
    );
    for cells in rows {
        table.push(cells.iter().map(|c| c.to_string()).collect());
    }
    table.render()
}

#[test]
fn drift_shows_current_behind_diverged_and_absent_and_gates_on_them() {
    let (cp, ns, c, d) = fleet("drift-states");
    let all = format!("{},{},{c},{d}", ns.local, ns.other);
    let out = cp.kfp(&ns, &["drift"]).namespace(&all).run();
    let mut expected = vec![
        ["train", ns.local.as_str(), "v2", TRAIN_V2, "v2", "current"],
        ["train", ns.other.as_str(), "v1", TRAIN_V1, "v2", "behind 1"],
        ["train", c.as_str(), "v1", FANOUT, "v2", "diverged"],
        ["train", d.as_str(), "<none>", "-", "v2", "absent"],
    ];
    expected.sort_by_key(|r| r[1]);
    assert_eq!(
        (out.code, out.stdout.as_str(), out.stderr.as_str()),
        (1, drift_table(&expected).as_str(), "")
    );

    // What counts as drift is the caller's choice.
    let code = |namespaces: &str, extra: &[&str]| {
        let mut args = vec!["drift"];
        args.extend(extra);
        cp.kfp(&ns, &args).namespace(namespaces).run().code
    };
    assert_eq!(code(&ns.local, &[]), 0);
    assert_eq!(
        code(&format!("{},{d}", ns.local), &[]),
        0,
        "absent is not drift unless asked"
    );
    assert_eq!(code(&format!("{},{d}", ns.local), &["--fail-on", "absent"]), 1);
    assert_eq!(
        code(
            &format!("{},{}", ns.local, ns.other),
            &["--fail-on", "diverged,absent"]
        ),
        0
    );
    assert_eq!(code(&c, &["--fail-on", "diverged"]), 1);
    assert_eq!(code(&ns.local, &["nope"]), 2);

    // JSON names every field; -A finds the same rows among all namespaces.
    let json = json_of(
        &cp.kfp(&ns, &["drift", "train", "-o", "json"])
            .namespace(&all)
            .run(),
    );
    assert_eq!(json["baseline"]["namespace"], ns.shared.as_str());
    assert_eq!(json["baseline"]["context"], "admin");
    assert_eq!(json["failOn"], json!(["behind", "diverged"]));
    assert_eq!(json["drifted"], true);
    let behind = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["namespace"] == ns.other.as_str())
        .unwrap();
    assert_eq!(
        (
            &behind["state"],
            &behind["behind"],
            &behind["matches"],
            &behind["latest"]["version"],
            &behind["baseline"]["version"]
        ),
        (
            &json!("behind"),
            &json!(1),
            &json!("v1"),
            &json!("v1"),
            &json!("v2")
        )
    );
    assert!(behind["latest"]["digest"].as_str().unwrap().starts_with(TRAIN_V1));
    let everywhere = cp.kfp(&ns, &["drift", "-A"]).no_namespace().run();
    let mine: Vec<Vec<String>> = everywhere
        .rows()
        .into_iter()
        .filter(|row| [&ns.local, &ns.other, &c, &d].contains(&&row[1]))
        .collect();
    let want: Vec<Vec<String>> = expected
        .iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(mine, want, "{}", everywhere.stdout);

    // An edited copy (same name, other content) is diverged, whatever its stale annotation says.
    edit_copy(cp, &ns.local, "train-v2");
    let edited = cp.kfp(&ns, &["drift", "--no-headers"]).run();
    assert_eq!(edited.code, 1);
    assert!(
        edited.stdout.trim_end().ends_with("diverged"),
        "{}",
        edited.stdout
    );
}

#[test]
fn drift_skips_namespaces_the_user_cannot_read() {
    let (cp, ns, c, _) = fleet("drift-rbac");
    let out = cp
        .kfp(&ns, &["drift"])
        .context("viewer")
        .namespace(&format!("{},{c}", ns.local))
        .run();
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (
            0,
            drift_table(&[["train", &ns.local, "v2", TRAIN_V2, "v2", "current"]]).as_str()
        )
    );
    assert_eq!(
        out.stderr,
        format!("warning: cannot read pipelines in namespace {c:?}: forbidden; not compared\n")
    );
    // Across all namespaces needs a cluster-wide list (or the namespaces): one error, one hint.
    let all = cp
        .kfp(&ns, &["drift", "-A"])
        .context("viewer")
        .no_namespace()
        .run();
    all.assert_error("cannot list pipelines in all namespaces of https://127.0.0.1:");
    assert!(
        all.stderr.contains("\nhint: name the namespaces with -n NS,…\n"),
        "{}",
        all.stderr
    );
    // The shared namespace is the baseline: not being able to read it is an error.
    let outsider = cp
        .kfp(&ns, &["drift"])
        .context("outsider")
        .namespace(&ns.other)
        .run();
    outsider.assert_error(&format!(
        "cannot list pipelines in shared namespace {:?}: forbidden",
        ns.shared
    ));
}

#[test]
fn drift_between_clusters_reports_an_unreachable_one_in_its_row() {
    let (cp, ns, _, _) = fleet("drift-clusters");
    let two = ControlPlane::two_cluster_kubeconfig();
    ControlPlane::second().kubectl("admin", &["create", "namespace", &ns.shared], None);
    let v1 = format!("{}/train@v1", ns.shared);
    cp.kfp(
        &ns,
        &[
            "promote",
            &v1,
            "--to-context",
            "remote-admin",
            "--to",
            &ns.shared,
            "--yes",
        ],
    )
    .kubeconfig(two)
    .ok();
    let pair = cp
        .kfp(&ns, &["drift", "--contexts", "admin,remote-admin"])
        .no_namespace()
        .kubeconfig(two)
        .run();
    let mut table = PlainTable::new(
        &[
            "PIPELINE",
            "CONTEXT",
            "NAMESPACE",
            "LATEST",
            "DIGEST",
            "SHARED",
            "STATE",
        ],
        true,
    );
    table.push(row(&[
        "train",
        "remote-admin",
        &ns.shared,
        "v1",
        TRAIN_V1,
        "v2",
        "behind 1",
    ]));
    assert_eq!(
        (pair.code, pair.stdout.clone()),
        (1, table.render()),
        "{}",
        pair.stderr
    );

    let kubeconfig = with_broken_context(two);
    let out = cp
        .kfp(&ns, &["drift", "--contexts", "admin,remote-admin,broken"])
        .no_namespace()
        .kubeconfig(&kubeconfig)
        .run();
    table.push(row(&["-", "broken", "-", "-", "-", "-", "unreachable"]));
    assert_eq!(
        (out.code, out.stdout.clone()),
        (2, table.render()),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .starts_with("error: context \"broken\": cannot list pipelines in namespace"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("cannot reach the Kubernetes API server at https://127.0.0.1:"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
}

#[test]
fn drift_reads_versions_written_by_other_tools_whole() {
    // No digest or version-name annotations (as KFP's own API writes them): six shared
    // versions (read as one list of the namespace) and one unlabelled team version (read alone,
    // matched to its pipeline by spec.pipelineName).
    let cp = ControlPlane::get();
    let ns = cp.namespaces("drift-foreign");
    cp.seed(&ns.shared, "train", &["v1", "v2", "v3", "v4", "v5", "v6"]);
    let spec = shared_data("pipelines/variants/train_v1.yaml");
    let mut team = crate::support::pipeline_manifest("train", "team copy");
    team.push_str("---\n");
    team.push_str(&crate::support::version_manifest("train", "mine", &spec, false));
    cp.create(&ns.local, &team);
    let out = cp.kfp(&ns, &["drift", "-o", "json"]).run();
    let report = json_of(&out);
    assert_eq!(out.code, 0, "{}", out.stdout);
    let item = &report["items"][0];
    assert_eq!(
        (
            &item["state"],
            &item["latest"]["version"],
            &item["latest"]["digest"]
        ),
        (&json!("current"), &json!("mine"), &item["baseline"]["digest"])
    );
    assert!(
        item["latest"]["digest"].as_str().unwrap().starts_with(TRAIN_V1),
        "{report}"
    );
    assert_eq!(report["items"].as_array().unwrap().len(), 1);
}
