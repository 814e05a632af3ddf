//! The foundation: CRDs, `version`, RBAC against the real server, the kubectl plugin mechanism.

use kubectl_kfp::yaml;

use crate::support::{ControlPlane, shared_data};

#[test]
fn crds_command_prints_applicable_yaml() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("crds");
    let out = cp.kfp(&ns, &["crds"]).ok();
    let documents = yaml::documents(&out.stdout).unwrap();
    assert_eq!(documents.len(), 2);
    // The server accepts them as they are (server-side dry run of an apply).
    cp.kubectl(
        "admin",
        &["apply", "--dry-run=server", "-f", "-"],
        Some(&out.stdout),
    );
}

#[test]
fn version_shows_server_and_kfp_resources_as_viewer() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("version");
    let out = cp.kfp(&ns, &["version"]).context("viewer").ok();
    assert!(out.stdout.starts_with("Client Version: v"), "{}", out.stdout);
    assert!(out.stdout.contains("Server Version: v1."), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("KFP API: pipelines.kubeflow.org/v2beta1 Pipeline served, PipelineVersion served"),
        "{}",
        out.stdout
    );
}

#[test]
fn version_through_kubectl_plugin_mechanism() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("plugin");
    let out = cp.kfp(&ns, &["version"]).through_kubectl().ok();
    assert!(out.stdout.contains("PipelineVersion served"), "{}", out.stdout);
}

#[test]
fn version_with_server_down_names_the_server() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("down");
    // A port nothing listens on: bind, note the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kubeconfig = cp.dir.join("down.kubeconfig");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: down\n  cluster:\n    server: https://127.0.0.1:{port}\ncontexts:\n- name: admin\n  context: {{cluster: down, user: u}}\ncurrent-context: admin\nusers:\n- name: u\n  user: {{token: not-a-secret}}\n"
        ),
    )
    .unwrap();
    let out = cp
        .kfp(&ns, &["version"])
        .env("KUBECONFIG", kubeconfig.to_str().unwrap())
        .run();
    out.assert_error(&format!(
        "cannot reach the Kubernetes API server at https://127.0.0.1:{port}"
    ));
    assert_eq!(
        out.stderr.lines().next().unwrap_or_default().len(),
        out.stderr.lines().next().unwrap().trim().len()
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn editor_may_create_a_version_viewer_is_forbidden() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("rbac");
    let file = shared_data("pipelines/variants/train_v1.yaml");
    let file = file.to_str().unwrap();
    let denied = cp.kfp(&ns, &["create", "-f", file]).context("viewer").run();
    denied.assert_error(&format!(
        "cannot create pipeline \"train\" in namespace \"{}\": forbidden for user \"viewer\"",
        ns.local
    ));
    assert!(denied.stderr.contains("hint: "), "{}", denied.stderr);
    let listed = cp.kubectl(
        "admin",
        &[
            "get",
            "pipelines.v2beta1.pipelines.kubeflow.org,pipelineversions.v2beta1.pipelines.kubeflow.org",
            "-n",
            &ns.local,
            "-o",
            "name",
        ],
        None,
    );
    assert_eq!(listed.stdout, "", "nothing may be written by a denied user");

    let created = cp.kfp(&ns, &["create", "-f", file]).context("editor").ok();
    assert_eq!(
        created.stdout,
        "pipeline.pipelines.kubeflow.org/train created\npipelineversion.pipelines.kubeflow.org/train-v1 created\n"
    );
    // editor has no patch verb, like KFP's edit role: writes must not need it.
    let can_patch = cp.kubectl_raw(
        "editor",
        &[
            "auth",
            "can-i",
            "patch",
            "pipelineversions.pipelines.kubeflow.org",
            "-n",
            &ns.local,
        ],
        None,
    );
    assert_eq!(can_patch.stdout.trim(), "no");
}

#[test]
fn version_and_list_without_kfp_crds_say_how_to_fix_it() {
    let bare = ControlPlane::without_kfp();
    let cp = ControlPlane::get();
    let ns = cp.namespaces("no-crds");
    let version = cp
        .kfp(&ns, &["version"])
        .kubeconfig(&bare.kubeconfig)
        .namespace("team-a")
        .run();
    assert_eq!(version.code, 2, "{}", version.stderr);
    assert!(
        version
            .stdout
            .contains("KFP API: pipelines.kubeflow.org/v2beta1 Pipeline NOT served"),
        "{}",
        version.stdout
    );
    assert!(
        version
            .stderr
            .starts_with("error: the server at https://127.0.0.1:"),
        "{}",
        version.stderr
    );
    assert!(
        version
            .stderr
            .contains("does not serve pipelines.kubeflow.org/v2beta1 Pipeline and PipelineVersion"),
        "{}",
        version.stderr
    );
    assert!(
        version
            .stderr
            .contains("hint: install KFP with --pipelinesStoreKubernetes=true"),
        "{}",
        version.stderr
    );
    // Another project's Pipeline kind is there, but never mistaken for KFP's.
    let list = cp
        .kfp(&ns, &["list"])
        .kubeconfig(&bare.kubeconfig)
        .namespace("team-a")
        .run();
    list.assert_error("does not serve pipelines.kubeflow.org/v2beta1 Pipeline and PipelineVersion");
}

#[test]
fn kubeconfig_lists_in_kubeconfig_are_merged_and_missing_files_skipped() {
    let cp = ControlPlane::get();
    let ns = cp.namespaces("kubeconfig-list");
    // Like kubectl: a colon-separated list, merged in order, files that do not exist skipped.
    let missing = cp.dir.join("does-not-exist.kubeconfig");
    let list = format!("{}:{}", missing.display(), cp.kubeconfig.display());
    let out = cp
        .kfp(&ns, &["version"])
        .env("KUBECONFIG", &list)
        .context("viewer")
        .ok();
    assert!(out.stdout.contains("PipelineVersion served"), "{}", out.stdout);
    // --kubeconfig wins over KUBECONFIG.
    let flag = cp
        .kfp(&ns, &["version", "--kubeconfig", cp.kubeconfig.to_str().unwrap()])
        .env("KUBECONFIG", missing.to_str().unwrap())
        .ok();
    assert!(flag.stdout.contains("Server Version: v1."), "{}", flag.stdout);
}
