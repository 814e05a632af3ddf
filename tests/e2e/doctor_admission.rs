//! `doctor`'s admission check against real webhooks: `kfp-test-webhook` (built with the control
//! plane; it mimics KFP's PipelineVersion webhook) over TLS, registered through Mutating- and
//! ValidatingWebhookConfigurations scoped to the test's namespace: working, unreachable,
//! wrong CA bundle, too slow, and denying everything.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};

use serde_json::json;

use crate::doctor::{codes, lines, pipeline, report, spec, version};
use crate::support::{ControlPlane, Namespaces, repo};

/// A running kfp-test-webhook and the configurations registered for it; dropping it removes
/// both.
struct Webhook<'a> {
    cp: &'a ControlPlane,
    url: String,
    ca: String,
    other_ca: String,
    configurations: Vec<(&'static str, String)>,
    child: Child,
    stdin: Option<ChildStdin>,
}

impl<'a> Webhook<'a> {
    fn start(cp: &'a ControlPlane, args: &[&str]) -> Webhook<'a> {
        let binary = repo().join("target/control-plane/bin/kfp-test-webhook");
        assert!(
            binary.exists(),
            "{} is missing: run scripts/build-control-plane",
            binary.display()
        );
        let mut child = Command::new(binary)
            .arg("--kubeconfig")
            .arg(&cp.kubeconfig)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            // Its TLS handshake errors (the wrong-CA test) are expected noise.
            .stderr(Stdio::null())
            .spawn()
            .expect("start kfp-test-webhook");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("ready line");
        let field = |name: &str| {
            line.split_whitespace()
                .find_map(|f| f.strip_prefix(&format!("{name}=")).map(str::to_string))
                .unwrap_or_else(|| panic!("no {name} in {line:?}"))
        };
        Webhook {
            cp,
            url: field("url"),
            ca: field("ca"),
            other_ca: field("other-ca"),
            configurations: Vec::new(),
            stdin: child.stdin.take(),
            child,
        }
    }

    /// Registers this process's /mutate or /validate (by `kind`) with its own CA.
    fn register_own(&mut self, kind: &'static str, namespace: &str, timeout: u32) -> String {
        let path = if kind.starts_with("Mutating") {
            "mutate"
        } else {
            "validate"
        };
        let (url, ca) = (format!("{}/{path}", self.url), self.ca.clone());
        self.register(kind, namespace, &url, &ca, timeout)
    }

    /// Registers one webhook for creating and updating pipelineversions in `namespace`.
    fn register(&mut self, kind: &'static str, namespace: &str, url: &str, ca: &str, timeout: u32) -> String {
        let name = format!("{}.{namespace}.kfp-test.io", &kind[..8].to_ascii_lowercase());
        let config = json!({
            "apiVersion": "admissionregistration.k8s.io/v1", "kind": kind,
            "metadata": {"name": name},
            "webhooks": [{
                "name": name,
                "clientConfig": {"url": url, "caBundle": ca},
                "rules": [{"apiGroups": ["pipelines.kubeflow.org"], "apiVersions": ["v2beta1"],
                           "operations": ["CREATE", "UPDATE"], "resources": ["pipelineversions"]}],
                "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                "sideEffects": "None", "admissionReviewVersions": ["v1"],
                "failurePolicy": "Fail", "timeoutSeconds": timeout
            }]
        });
        self.cp
            .kubectl("admin", &["create", "-f", "-"], Some(&config.to_string()));
        self.configurations.push((kind, name.clone()));
        name
    }
}

impl Drop for Webhook<'_> {
    fn drop(&mut self) {
        for (kind, name) in &self.configurations {
            let _ = self.cp.kubectl_raw(
                "admin",
                &["delete", &kind.to_ascii_lowercase(), name, "--ignore-not-found"],
                None,
            );
        }
        // kfp-test-webhook exits when its stdin closes.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

/// Namespaces with a Pipeline to probe with.
fn namespaces(cp: &ControlPlane, test: &str) -> Namespaces {
    let ns = cp.namespaces(test);
    cp.create(&ns.local, &pipeline("train"));
    ns
}

#[test]
fn working_webhooks_label_versions_and_deny_invalid_specs() {
    let cp = ControlPlane::get();
    let ns = namespaces(cp, "doctor-webhook-ok");
    let l = &ns.local;
    let mut hook = Webhook::start(cp, &[]);
    hook.register_own("MutatingWebhookConfiguration", l, 5);
    let validating = hook.register_own("ValidatingWebhookConfiguration", l, 5);
    let out = cp.kfp(&ns, &["doctor"]).run();
    assert_eq!(
        lines(&out, "admission"),
        [
            format!(
                "ok admission namespace \"{l}\": an invalid probe version is denied: admission webhook \"{validating}\" denied the request: invalid pipelineSpec: root is missing"
            ),
            format!(
                "ok admission namespace \"{l}\": a probe version gets pipelines.kubeflow.org/pipeline-id from the mutating webhook"
            ),
        ]
    );
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    // A version written with kubectl gets the labels, and doctor finds nothing to fix.
    cp.create(l, &version("train-v1", "train", json!({}), spec("train", "1")));
    let (json, code) = report(cp, &ns, &[]);
    assert_eq!(code, 0);
    assert_eq!(codes(&json, "data")[0].0, "DataOk");
}

#[test]
fn unreachable_webhook_is_a_problem_with_its_cause() {
    let cp = ControlPlane::get();
    let ns = namespaces(cp, "doctor-webhook-down");
    let l = &ns.local;
    let mut hook = Webhook::start(cp, &[]);
    let ca = hook.ca.clone();
    // Nothing listens on port 1.
    let name = hook.register(
        "ValidatingWebhookConfiguration",
        l,
        "https://127.0.0.1:1/validate",
        &ca,
        5,
    );
    let out = cp.kfp(&ns, &["doctor"]).run();
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        lines(&out, "admission"),
        [
            format!(
                "problem admission namespace \"{l}\": webhook \"{name}\" cannot be called: nothing listens at its address (connection refused); every write of a PipelineVersion fails (\"failed calling webhook\")"
            ),
            "hint: check that the webhook's pod runs and its service targets the right port".to_string(),
        ]
    );
    let (json, _) = report(cp, &ns, &[]);
    assert_eq!(
        codes(&json, "admission"),
        [("WebhookUnreachable".to_string(), String::new())]
    );
}

#[test]
fn wrong_ca_bundle_is_a_tls_problem() {
    let cp = ControlPlane::get();
    let ns = namespaces(cp, "doctor-webhook-ca");
    let l = &ns.local;
    let mut hook = Webhook::start(cp, &[]);
    let (url, other) = (hook.url.clone(), hook.other_ca.clone());
    let name = hook.register(
        "MutatingWebhookConfiguration",
        l,
        &format!("{url}/mutate"),
        &other,
        5,
    );
    let out = cp.kfp(&ns, &["doctor"]).run();
    assert_eq!(out.code, 1);
    assert_eq!(
        lines(&out, "admission"),
        [
            format!("problem admission namespace \"{l}\": webhook \"{name}\" cannot be called: its certificate is not signed by the caBundle of its configuration (TLS); every write of a PipelineVersion fails (\"failed calling webhook\")"),
            "hint: put the CA that signed the webhook's certificate into the configuration's caBundle (cert-manager's CA injector does this)".to_string(),
        ]
    );
}

#[test]
fn slow_webhook_is_a_timeout() {
    let cp = ControlPlane::get();
    let ns = namespaces(cp, "doctor-webhook-slow");
    let l = &ns.local;
    let mut hook = Webhook::start(cp, &["--delay", "3s"]);
    let name = hook.register_own("ValidatingWebhookConfiguration", l, 1);
    let out = cp.kfp(&ns, &["doctor"]).run();
    assert_eq!(out.code, 1);
    assert_eq!(
        lines(&out, "admission")[0],
        format!(
            "problem admission namespace \"{l}\": webhook \"{name}\" cannot be called: it did not answer in time; every write of a PipelineVersion fails (\"failed calling webhook\")"
        )
    );
}

#[test]
fn a_webhook_denying_everything_denies_the_valid_probe() {
    let cp = ControlPlane::get();
    let ns = namespaces(cp, "doctor-webhook-deny");
    let l = &ns.local;
    let mut hook = Webhook::start(cp, &["--deny"]);
    let name = hook.register_own("ValidatingWebhookConfiguration", l, 5);
    let out = cp.kfp(&ns, &["doctor"]).run();
    assert_eq!(
        lines(&out, "admission"),
        [
            format!(
                "ok admission namespace \"{l}\": an invalid probe version is denied: admission webhook \"{name}\" denied the request: denied by kfp-test-webhook --deny"
            ),
            format!(
                "warning admission namespace \"{l}\": a valid probe version was denied: admission webhook \"{name}\" denied the request: denied by kfp-test-webhook --deny"
            ),
            "hint: read the webhook's logs; KFP's webhook denies only invalid specs and missing pipelines"
                .to_string(),
        ]
    );
    assert_eq!(out.code, 0, "warnings only: {}", out.stdout);
}
