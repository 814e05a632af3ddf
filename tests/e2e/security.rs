//! Credentials never show, permissions are respected, TLS is verified.
//! - Every command, succeeding and failing, at `-v 9`: no bearer token, client key or exec
//!   credential in anything printed.
//! - `viewer` and `outsider` run every command: clear messages, nothing written, reads degrade.
//! - A kubeconfig without the cluster's CA fails on the certificate; `--insecure-skip-tls-verify`
//!   works only when asked, with a warning.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::proxy::{Mode, Proxy};
use crate::support::{ControlPlane, Namespaces, Output, example, shared_data};

fn read_kubeconfig(path: &Path) -> Value {
    kubectl_kfp::yaml::from_str(&std::fs::read_to_string(path).expect("kubeconfig")).expect("kubeconfig yaml")
}

fn write_kubeconfig(path: &Path, config: &Value) {
    std::fs::write(path, kubectl_kfp::yaml::to_string(config).expect("yaml")).expect("write kubeconfig");
}

/// Every bearer token in a kubeconfig.
fn tokens(kubeconfig: &Path) -> Vec<String> {
    read_kubeconfig(kubeconfig)["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["user"]["token"].as_str().map(str::to_string))
        .collect()
}

/// Fails when any secret appears in what a run printed.
fn assert_clean(out: &Output, secrets: &[String], what: &str) {
    for secret in secrets {
        assert!(
            !out.stdout.contains(secret.as_str()) && !out.stderr.contains(secret.as_str()),
            "{what}: a credential ({}…) was printed:\nstdout: {}\nstderr: {}",
            &secret[..secret.len().min(6)],
            out.stdout,
            out.stderr
        );
    }
    assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
}

fn seeded(test: &str) -> (&'static ControlPlane, Namespaces) {
    let cp = ControlPlane::get();
    let ns = cp.namespaces(test);
    for file in ["train_v1.yaml", "train_v2.yaml"] {
        let path = shared_data(&format!("pipelines/variants/{file}"));
        cp.kfp(&ns, &["create", "-f", path.to_str().unwrap()]).ok();
    }
    (cp, ns)
}

fn file(name: &str) -> String {
    shared_data(&format!("pipelines/{name}")).display().to_string()
}

#[test]
fn no_token_is_printed_by_any_command_at_verbosity_9() {
    let (cp, ns) = seeded("secret-tokens");
    let secrets = tokens(&cp.kubeconfig);
    assert_eq!(secrets.len(), 4, "one token per test user");
    let proxy = Proxy::start(&cp.kubeconfig);
    let proxied = proxy.kubeconfig(&cp.kubeconfig, &cp.dir);
    let fanout = file("variants/fanout.yaml");
    let other = ns.other.clone();
    // (context, arguments, expected exit code)
    let runs: Vec<(&str, Vec<&str>, i32)> = vec![
        ("admin", vec!["version"], 0),
        ("admin", vec!["list"], 0),
        ("admin", vec!["list", "train", "-o", "yaml"], 0),
        ("admin", vec!["list", "-A", "-o", "json"], 0),
        ("admin", vec!["get", "train"], 0),
        ("admin", vec!["get", "train@v1", "-o", "json"], 0),
        ("admin", vec!["get", "train", "--spec"], 0),
        ("admin", vec!["diff", "train@v1", "train@v2"], 1),
        (
            "admin",
            vec!["diff", "train@v1", "train@v2", "--semantic", "-o", "json"],
            1,
        ),
        ("admin", vec!["create", "-f", &fanout, "--dry-run=server"], 0),
        ("admin", vec!["create", "-f", &fanout], 0),
        ("admin", vec!["promote", "train@v1", "--to", &other, "--yes"], 0),
        ("admin", vec!["config", "view"], 0),
        ("admin", vec!["get", "nope"], 2),
        ("editor", vec!["promote", "train@v2", "--to-shared", "--yes"], 2),
        (
            "viewer",
            vec!["create", "-f", &fanout, "--version", "v9", "--allow-duplicate"],
            2,
        ),
        ("viewer", vec!["get", "train", "--spec"], 0),
        ("outsider", vec!["list"], 2),
        ("outsider", vec!["get", "train"], 2),
    ];
    for (context, args, code) in &runs {
        let mut verbose = args.clone();
        verbose.extend(["-v", "9"]);
        let out = cp.kfp(&ns, &verbose).context(context).run();
        assert_eq!(out.code, *code, "{context} {args:?}: {out:?}");
        assert_clean(&out, &secrets, &format!("{context} {args:?}"));
        if args[0] != "config" && (*code != 2 || *context != "admin") {
            // -v 9 logs every request: the check above looked at real traffic.
            assert!(
                out.stderr.contains("GET https://127.0.0.1:"),
                "{context} {args:?}: {}",
                out.stderr
            );
        }
    }
    // Failing connections: refused, reset, silent. Their errors name the server, not the user.
    for (mode, timeout) in [
        (Mode::Refuse, "30s"),
        (
            Mode::ResetAfter {
                server_bytes: 4096,
                connections: usize::MAX,
            },
            "30s",
        ),
        (Mode::Stall { server_bytes: 0 }, "1s"),
    ] {
        proxy.set(mode);
        for context in ["admin", "viewer"] {
            let out = cp
                .kfp(&ns, &["get", "train", "-v", "9", "--request-timeout", timeout])
                .kubeconfig(&proxied)
                .context(context)
                .run();
            assert_eq!(out.code, 2, "{mode:?}: {out:?}");
            assert_clean(&out, &secrets, &format!("{mode:?} as {context}"));
        }
    }
    // -v 6 is useful: one line per request with method, URL and status.
    let out = cp.kfp(&ns, &["get", "train", "-v", "6"]).ok();
    let line = format!(
        "GET {}/apis/pipelines.kubeflow.org/v2beta1/namespaces/{}/pipelines/train 200",
        crate::proxy::cluster_server(&cp.kubeconfig),
        ns.local
    );
    assert!(out.stderr.contains(&line), "-v 6 lacks {line:?}:\n{}", out.stderr);
    let quiet = cp.kfp(&ns, &["get", "train", "-v", "4"]).ok();
    assert!(
        !quiet.stderr.contains("GET https://"),
        "requests are logged from -v 6: {}",
        quiet.stderr
    );
}

// A throwaway client certificate and key (P-256, self-signed, CN=throwaway-test-user) that no
// server trusts, as a kubeconfig carries them: base64 of the PEM.
const CLIENT_CERT_DATA: &str = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJsRENDQVRtZ0F3SUJBZ0lVUHhJZVFCMi80UHNmNWJpdFhmQ1l5a1B2emVnd0NnWUlLb1pJemowRUF3SXcKSGpFY01Cb0dBMVVFQXd3VGRHaHliM2RoZDJGNUxYUmxjM1F0ZFhObGNqQWdGdzB5TmpFeE1qZ3dOVEV4TXpOYQpHQTh5TVRJMk1URXdOREExTVRFek0xb3dIakVjTUJvR0ExVUVBd3dUZEdoeWIzZGhkMkY1TFhSbGMzUXRkWE5sCmNqQlpNQk1HQnlxR1NNNDlBZ0VHQ0NxR1NNNDlBd0VIQTBJQUJQV3llZjNCMVpyR1dSQUhRMVJaalRYVXl6cysKTzkyNGpwUGhwOWZlbmVjZEZnYmVkV1NzTHhLdkVRSktXYjQvalZyNzlRUkZicHdESmpXRjRCbnN3Z21qVXpCUgpNQjBHQTFVZERnUVdCQlJHZmlCRzhTb3ZEdnlDaEU2NnB2T0ZkS0w4cHpBZkJnTlZIU01FR0RBV2dCUkdmaUJHCjhTb3ZEdnlDaEU2NnB2T0ZkS0w4cHpBUEJnTlZIUk1CQWY4RUJUQURBUUgvTUFvR0NDcUdTTTQ5QkFNQ0Ewa0EKTUVZQ0lRQzI3TzU2NWpFN1V5VE8xNkRwbXR4OFIxd3psbDd5RzRDMG93ZFcvU0dtaUFJaEFNbnRqVXZKNVpPZApyRC9HaW5ZSGU4eE93TlhzSUFJVEM3ZVFWVU5YSi8ydwotLS0tLUVORCBDRVJUSUZJQ0FURS0tLS0tCg==";
const CLIENT_KEY_DATA: &str = "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JR0hBZ0VBTUJNR0J5cUdTTTQ5QWdFR0NDcUdTTTQ5QXdFSEJHMHdhd0lCQVFRZ1F0NW5PS3IvcFpaQXVjTEwKeGZGWTBvbE1YN25pT0g0bEVmcFVDejQxUzYraFJBTkNBQVQxc25uOXdkV2F4bGtRQjBOVVdZMDExTXM3UGp2ZAp1STZUNGFmWDNwM25IUllHM25Wa3JDOFNyeEVDU2xtK1A0MWErL1VFUlc2Y0F5WTFoZUFaN01JSgotLS0tLUVORCBQUklWQVRFIEtFWS0tLS0tCg==";
/// The key's PEM body lines: what a leak of the decoded key would show.
const CLIENT_KEY_LINES: [&str; 3] = [
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgQt5nOKr/pZZAucLL",
    "xfFY0olMX7niOH4lEfpUCz41S6+hRANCAAT1snn9wdWaxlkQB0NUWY011Ms7Pjvd",
    "uI6T4afX3p3nHRYG3nVkrC8SrxECSlm+P41a+/UERW6cAyY1heAZ7MIJ",
];

/// Standard base64, as kubeconfig `*-data` fields hold.
fn base64(text: &str) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let bits = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(bits >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// An executable exec credential plugin in `dir` that prints `output` and exits with `code`.
fn exec_plugin(dir: &Path, name: &str, output: &str, code: i32) -> PathBuf {
    let path = dir.join(name);
    let script = format!("#!/bin/sh\ncat <<'EOF'\n{output}\nEOF\nexit {code}\n");
    std::fs::write(&path, script).expect("write plugin");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod plugin");
    path
}

fn exec_user(command: &Path, secret_env: &str, secret_arg: &str) -> Value {
    json!({"exec": {
        "apiVersion": "client.authentication.k8s.io/v1",
        "command": command.display().to_string(),
        "args": [format!("--password={secret_arg}")],
        "env": [{"name": "PLUGIN_SECRET", "value": secret_env}],
        "interactiveMode": "Never",
    }})
}

fn credential(token: &str) -> String {
    json!({
        "apiVersion": "client.authentication.k8s.io/v1",
        "kind": "ExecCredential",
        "status": {"token": token},
    })
    .to_string()
}

#[test]
fn client_keys_and_exec_credentials_are_never_printed() {
    let (cp, ns) = seeded("secret-exec");
    let dir = tempfile::tempdir_in(&cp.dir).expect("temp dir");
    let unique = format!("{}-{}", std::process::id(), ns.local.len());
    let rejected = format!("exec-token-rejected-{unique}");
    let env_secret = format!("exec-env-secret-{unique}");
    let arg_secret = format!("exec-arg-secret-{unique}");
    let bad_key_secret = format!("bad-key-secret-{unique}");
    let admin_token = tokens(&cp.kubeconfig).into_iter().next().expect("admin token");
    let mut secrets = vec![
        rejected.clone(),
        env_secret.clone(),
        arg_secret.clone(),
        bad_key_secret.clone(),
        admin_token.clone(),
        CLIENT_KEY_DATA.to_string(),
    ];
    secrets.extend(CLIENT_KEY_LINES.map(str::to_string));

    let plugins = [
        // Hands out the admin's token: the success paths, with a credential from a plugin.
        ("exec-ok", credential(&admin_token), 0),
        // A token the server rejects (401).
        ("exec-rejected", credential(&rejected), 0),
        // Prints a token, then fails: kube's own error would quote the output and environment.
        ("exec-fails", credential(&rejected), 1),
        // Not a credential at all, with the secret in it.
        ("exec-garbage", format!("token: [{rejected}"), 0),
    ];
    let mut config = read_kubeconfig(&cp.kubeconfig);
    let cluster = config["clusters"][0]["name"]
        .as_str()
        .expect("cluster")
        .to_string();
    let mut users = vec![
        json!({"name": "keyed", "user": {
            "client-certificate-data": CLIENT_CERT_DATA,
            "client-key-data": CLIENT_KEY_DATA,
        }}),
        json!({"name": "bad-key", "user": {
            "client-certificate-data": CLIENT_CERT_DATA,
            "client-key-data": base64(&format!(
                "-----BEGIN PRIVATE KEY-----\n{bad_key_secret}\n-----END PRIVATE KEY-----\n"
            )),
        }}),
    ];
    for (name, output, code) in &plugins {
        let plugin = exec_plugin(dir.path(), name, output, *code);
        users.push(json!({"name": name, "user": exec_user(&plugin, &env_secret, &arg_secret)}));
    }
    let mut contexts = Vec::new();
    for user in &users {
        let name = user["name"].clone();
        contexts.push(json!({"name": name, "context": {"cluster": cluster, "user": name}}));
    }
    config["users"].as_array_mut().expect("users").extend(users);
    config["contexts"]
        .as_array_mut()
        .expect("contexts")
        .extend(contexts);
    let kubeconfig = dir.path().join("credentials.kubeconfig");
    write_kubeconfig(&kubeconfig, &config);

    let spec = file("variants/fanout.yaml");
    // (context, expected exit code, what stderr must say)
    let cases = [
        ("exec-ok", 0, ""),
        ("exec-rejected", 2, "rejected the credentials (401 Unauthorized)"),
        (
            "exec-fails",
            2,
            "the exec credential plugin failed (exit status: 1)",
        ),
        (
            "exec-garbage",
            2,
            "the credential plugin's output is not a valid credential",
        ),
        ("keyed", 2, "rejected the credentials (401 Unauthorized)"),
        ("bad-key", 2, "error: "),
    ];
    for (context, code, says) in cases {
        for args in [
            vec!["list", "-v", "9"],
            vec!["get", "train", "--spec", "-v", "9"],
            vec!["create", "-f", &spec, "--dry-run=server", "-v", "9"],
        ] {
            let out = cp.kfp(&ns, &args).kubeconfig(&kubeconfig).context(context).run();
            assert_eq!(out.code, code, "{context} {args:?}: {out:?}");
            assert!(
                out.stderr.contains(says),
                "{context} {args:?}: {:?} lacks {says:?}",
                out.stderr
            );
            assert_clean(&out, &secrets, &format!("{context} {args:?}"));
        }
    }
}

/// Everything in the three namespaces, to show a refused command wrote nothing.
fn everything(cp: &ControlPlane, ns: &Namespaces) -> String {
    [&ns.local, &ns.shared, &ns.other]
        .iter()
        .map(|namespace| cp.kfp_objects(namespace))
        .collect::<Vec<_>>()
        .join("---\n")
}

#[test]
fn viewer_and_outsider_get_clear_refusals_and_nothing_is_written() {
    let (cp, ns) = seeded("rbac-every-command");
    // Something in the shared namespace and in the outsider's own namespace too.
    let common = file("variants/fanout.yaml");
    cp.kfp(&ns, &["create", "-f", &common]).namespace(&ns.shared).ok();
    cp.kfp(&ns, &["create", "theirs", "-f", &common])
        .namespace(&ns.other)
        .ok();
    let before = everything(cp, &ns);
    let spec = file("variants/train_v2.yaml");
    let fresh = example("echo").display().to_string();
    let (local, shared, other) = (ns.local.as_str(), ns.shared.as_str(), ns.other.as_str());
    let local_train = format!("{local}/train@v1");
    let local_train_2 = format!("{local}/train@v2");
    let theirs = format!("{other}/theirs");
    // (context, namespace, arguments, exit code, what the output must say)
    let cases: Vec<(&str, &str, Vec<&str>, i32, String)> = vec![
        // viewer: reads everywhere, writes nowhere.
        ("viewer", local, vec!["list"], 0, "train".into()),
        (
            "viewer",
            local,
            vec!["get", "fanout"],
            0,
            format!("{shared} (shared)"),
        ),
        (
            "viewer",
            local,
            vec!["diff", "train@v1", "train@v2"],
            1,
            "@@".into(),
        ),
        ("viewer", local, vec!["version"], 0, "served".into()),
        (
            "viewer",
            local,
            vec!["create", "-f", &spec, "--version", "v3", "--allow-duplicate"],
            2,
            "forbidden for user \"viewer\"".into(),
        ),
        (
            "viewer",
            local,
            vec!["create", "-f", &fresh],
            2,
            format!(
                "cannot create pipeline \"echo\" in namespace \"{local}\": forbidden for user \"viewer\""
            ),
        ),
        (
            "viewer",
            local,
            vec!["promote", "train@v1", "--to", other, "--yes"],
            2,
            "forbidden for user \"viewer\"; nothing was written".into(),
        ),
        (
            "viewer",
            local,
            vec!["promote", "train@v1", "--to-shared", "--yes"],
            2,
            "forbidden for user \"viewer\"; nothing was written".into(),
        ),
        // outsider: edits `other` only; no rights in `local` or the shared namespace.
        (
            "outsider",
            other,
            vec!["list"],
            0,
            format!("warning: cannot list pipelines in shared namespace \"{shared}\": forbidden"),
        ),
        ("outsider", other, vec!["get", "theirs"], 0, "theirs".into()),
        (
            "outsider",
            other,
            vec!["get", "fanout"],
            2,
            format!(
                "pipeline \"fanout\" not found in namespace \"{other}\" or shared namespace \"{shared}\""
            ),
        ),
        (
            "outsider",
            local,
            vec!["list"],
            2,
            format!("namespace \"{local}\": forbidden for user \"outsider\""),
        ),
        (
            "outsider",
            other,
            vec!["get", &local_train],
            2,
            "forbidden for user \"outsider\"".into(),
        ),
        (
            "outsider",
            other,
            vec!["diff", &local_train, &local_train_2],
            2,
            "forbidden for user \"outsider\"".into(),
        ),
        (
            "outsider",
            local,
            vec!["create", "-f", &fresh],
            2,
            "forbidden for user \"outsider\"".into(),
        ),
        (
            "outsider",
            other,
            vec!["promote", &theirs, "--to", local, "--yes"],
            2,
            "forbidden for user \"outsider\"".into(),
        ),
        (
            "outsider",
            other,
            vec!["promote", &theirs, "--to-shared", "--yes"],
            2,
            "forbidden for user \"outsider\"".into(),
        ),
        ("outsider", other, vec!["version"], 0, "served".into()),
    ];
    for (context, namespace, args, code, says) in cases {
        let out = cp.kfp(&ns, &args).context(context).namespace(namespace).run();
        let what = format!("{context} -n {namespace} {args:?}");
        assert_eq!(out.code, code, "{what}: {out:?}");
        let printed = format!("{}{}", out.stdout, out.stderr);
        assert!(printed.contains(&says), "{what}: lacks {says:?}: {printed}");
        assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
        if code == 2 {
            assert!(out.stdout.is_empty(), "{what}: {}", out.stdout);
            let error = out.stderr.lines().filter(|l| l.starts_with("error: ")).count();
            assert_eq!(error, 1, "{what}: one error line: {}", out.stderr);
            assert!(
                out.stderr.contains("hint: "),
                "{what}: a hint says what to do: {}",
                out.stderr
            );
        }
    }
    assert_eq!(everything(cp, &ns), before, "refused commands wrote nothing");
}

#[test]
fn tls_is_verified_unless_the_user_turns_it_off() {
    let (cp, ns) = seeded("tls");
    let mut config = read_kubeconfig(&cp.kubeconfig);
    let server = config["clusters"][0]["cluster"]["server"]
        .as_str()
        .expect("server")
        .to_string();
    for cluster in config["clusters"].as_array_mut().into_iter().flatten() {
        if let Some(settings) = cluster["cluster"].as_object_mut() {
            settings.remove("certificate-authority-data");
            settings.remove("certificate-authority");
        }
    }
    let kubeconfig = cp.dir.join(format!("no-ca-{}.kubeconfig", ns.local));
    write_kubeconfig(&kubeconfig, &config);
    let out = cp.kfp(&ns, &["list"]).kubeconfig(&kubeconfig).run();
    out.assert_error(&format!(
        "cannot verify the identity of the Kubernetes API server at {server}: invalid peer certificate"
    ));
    assert!(
        out.stderr
            .contains("hint: check the cluster's certificate-authority-data"),
        "{}",
        out.stderr
    );
    assert_eq!(out.stderr.lines().count(), 2, "{}", out.stderr);
    let insecure = cp
        .kfp(&ns, &["list", "--no-headers", "--insecure-skip-tls-verify"])
        .kubeconfig(&kubeconfig)
        .ok();
    assert!(insecure.stdout.starts_with("train "), "{}", insecure.stdout);
    assert_eq!(
        insecure.stderr,
        "warning: TLS certificate verification is off (--insecure-skip-tls-verify); the server's identity is not checked\n"
    );
    // With the CA, nothing is said about TLS at all.
    let verified = cp.kfp(&ns, &["list", "--no-headers"]).ok();
    assert_eq!(verified.stderr, "");
}
