//! The admission check: which webhooks are registered for PipelineVersions in the namespace,
//! and whether they really answer. A server-side dry run of a probe version must come back
//! with the mutating webhook's labels; a probe with an invalid spec must be denied. Why a
//! webhook could not be called is read from the API server's error text (pure, tested).

use std::collections::BTreeMap;

use anyhow::Result;
use k8s_openapi::api::admissionregistration::v1::RuleWithOperations;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use kube::api::{ApiResource, DynamicObject, GroupVersionKind, ListParams, PostParams};
use kube::core::{Selector, SelectorExt};
use kube::{Api, ResourceExt};
use serde::Deserialize;
use serde_json::json;

use crate::client::{Session, is_forbidden};
use crate::resources::{API_VERSION, GROUP, LABEL_PIPELINE_ID, Pipeline, PipelineVersion};

use super::{Area, Finding, Status};

/// Webhooks that apply to PipelineVersions in the namespace, by configuration kind.
#[derive(Debug, Default)]
struct Registered {
    mutating: Vec<String>,
    validating: Vec<String>,
    /// Why the configurations could not be read (then the probes alone decide).
    unreadable: Option<String>,
}

/// Whether a webhook rule covers creating `pipelineversions` in KFP's group.
fn covers(rule: &RuleWithOperations) -> bool {
    let any = |list: &Option<Vec<String>>, want: &str| {
        list.as_ref()
            .is_some_and(|l| l.iter().any(|x| x == "*" || x == want))
    };
    let resource = rule.resources.as_ref().is_some_and(|l| {
        l.iter()
            .any(|x| x == "*" || x == "*/*" || x == "pipelineversions" || x == "pipelineversions/*")
    });
    any(&rule.api_groups, GROUP) && resource && any(&rule.operations, "CREATE")
}

/// Whether a webhook's namespaceSelector admits a namespace with these labels (unknown labels:
/// assume it does).
fn selects(selector: Option<&LabelSelector>, labels: Option<&BTreeMap<String, String>>) -> bool {
    let (Some(selector), Some(labels)) = (selector, labels) else {
        return true;
    };
    Selector::try_from(selector.clone()).map_or(true, |s| s.matches(labels))
}

/// A webhook of either configuration kind, as far as matching goes.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Hook {
    name: String,
    #[serde(default)]
    rules: Vec<RuleWithOperations>,
    namespace_selector: Option<LabelSelector>,
}

/// `config/webhook` names of one configuration kind that apply to the namespace.
async fn applicable(
    session: &Session,
    kind: &str,
    labels: Option<&BTreeMap<String, String>>,
) -> Result<Vec<String>, kube::Error> {
    let gvk = GroupVersionKind::gvk("admissionregistration.k8s.io", "v1", kind);
    let plural = format!("{}s", kind.to_ascii_lowercase());
    let api: Api<DynamicObject> = Api::all_with(
        session.client.clone(),
        &ApiResource::from_gvk_with_plural(&gvk, &plural),
    );
    let list = api.list(&ListParams::default()).await?;
    Ok(list
        .iter()
        .flat_map(|config| {
            let hooks: Vec<Hook> =
                serde_json::from_value(config.data["webhooks"].clone()).unwrap_or_default();
            hooks
                .into_iter()
                .filter(|h| h.rules.iter().any(covers) && selects(h.namespace_selector.as_ref(), labels))
                .map(|h| format!("{}/{}", config.name_any(), h.name))
        })
        .collect())
}

async fn registered(session: &Session) -> Registered {
    let labels = Api::<Namespace>::all(session.client.clone())
        .get(&session.namespace)
        .await
        .ok()
        .map(|ns| ns.labels().clone());
    let mutating = applicable(session, "MutatingWebhookConfiguration", labels.as_ref()).await;
    let validating = applicable(session, "ValidatingWebhookConfiguration", labels.as_ref()).await;
    match (mutating, validating) {
        (Ok(mutating), Ok(validating)) => Registered {
            mutating,
            validating,
            unreadable: None,
        },
        (Err(err), _) | (_, Err(err)) => Registered {
            unreadable: Some(reason(&err)),
            ..Registered::default()
        },
    }
}

fn reason(err: &kube::Error) -> String {
    if is_forbidden(err) {
        "forbidden".to_string()
    } else {
        crate::client::innermost(err)
    }
}

/// A probe version: valid (a minimal spec of schema 2.1.0) or not (no root).
fn probe(namespace: &str, pipeline: &str, valid: bool) -> Result<PipelineVersion> {
    let spec = if valid {
        json!({"pipelineInfo": {"name": pipeline}, "root": {"dag": {"tasks": {}}},
               "schemaVersion": "2.1.0", "sdkVersion": "kfp-2.14.0"})
    } else {
        json!({"pipelineInfo": {"name": pipeline}, "schemaVersion": "2.1.0"})
    };
    Ok(serde_json::from_value(json!({
        "apiVersion": API_VERSION, "kind": "PipelineVersion",
        "metadata": {"generateName": "kubectl-kfp-doctor-probe-", "namespace": namespace},
        "spec": {"pipelineName": pipeline, "pipelineSpec": spec}
    }))?)
}

/// What the server answered a dry-run create.
enum Answer {
    Stored(Box<PipelineVersion>),
    /// A webhook could not be called; the cause as far as the text tells.
    Unreachable {
        webhook: String,
        cause: Cause,
    },
    Denied(String),
}

async fn dry_run(session: &Session, version: &PipelineVersion) -> Result<Answer> {
    let api = session.api::<PipelineVersion>(version.namespace().as_deref());
    let params = PostParams {
        dry_run: true,
        ..PostParams::default()
    };
    match api.create(&params, version).await {
        Ok(stored) => Ok(Answer::Stored(Box::new(stored))),
        Err(kube::Error::Api(status)) => Ok(match translate(&status.message) {
            Some((webhook, cause)) => Answer::Unreachable { webhook, cause },
            None => Answer::Denied(status.message.clone()),
        }),
        Err(err) => Err(anyhow::Error::new(err).context("cannot send the admission probe")),
    }
}

/// Why the API server could not call a webhook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cause {
    NoEndpoints,
    Refused,
    Tls,
    Timeout,
    Unknown,
}

impl Cause {
    fn explain(self) -> (&'static str, &'static str) {
        match self {
            Cause::NoEndpoints => (
                "its service has no endpoints (no ready webhook pod)",
                "check the webhook's pods and service: kubectl get pods,endpointslices -n NAMESPACE_OF_KFP",
            ),
            Cause::Refused => (
                "nothing listens at its address (connection refused)",
                "check that the webhook's pod runs and its service targets the right port",
            ),
            Cause::Tls => (
                "its certificate is not signed by the caBundle of its configuration (TLS)",
                "put the CA that signed the webhook's certificate into the configuration's caBundle (cert-manager's CA injector does this)",
            ),
            Cause::Timeout => (
                "it did not answer in time",
                "check the webhook's pod (logs, CPU limits) and network policies between the API server and it",
            ),
            Cause::Unknown => (
                "the call failed",
                "read the webhook's logs; the API server's message is above",
            ),
        }
    }
}

/// Reads `failed calling webhook "NAME": …` errors; None for other errors (a real denial).
pub fn translate(message: &str) -> Option<(String, Cause)> {
    let rest = message.split("failed calling webhook").nth(1)?;
    let webhook = rest.split('"').nth(1).map(str::to_string).unwrap_or_default();
    let text = rest.to_ascii_lowercase();
    let cause = if text.contains("no endpoints available")
        || text.contains("service \"") && text.contains("not found")
        || text.contains("no such host")
    {
        Cause::NoEndpoints
    } else if text.contains("x509") || text.contains("certificate") || text.contains("tls:") {
        Cause::Tls
    } else if text.contains("connection refused") {
        Cause::Refused
    } else if text.contains("deadline exceeded") || text.contains("timeout") || text.contains("timed out") {
        Cause::Timeout
    } else {
        Cause::Unknown
    };
    Some((webhook, cause))
}

fn finding(status: Status, code: &'static str, namespace: &str, message: String) -> Finding {
    Finding::new(Area::Admission, status, code, message).namespace(namespace)
}

fn unreachable(namespace: &str, webhook: &str, cause: Cause) -> Finding {
    let (why, hint) = cause.explain();
    finding(
        Status::Problem,
        "WebhookUnreachable",
        namespace,
        format!("webhook {webhook:?} cannot be called: {why}; every write of a PipelineVersion fails (\"failed calling webhook\")"),
    )
    .hint(hint)
}

/// Registration and both probes, in the current namespace. Probes need `create` there.
pub async fn check(session: &Session, may_create: bool) -> Result<Vec<Finding>> {
    let namespace = session.namespace.as_str();
    let registered = registered(session).await;
    let mut findings = Vec::new();
    if let Some(why) = &registered.unreadable {
        findings.push(
            finding(
                Status::Warning,
                "WebhooksUnreadable",
                namespace,
                format!("cannot read the webhook configurations ({why}); only the probes tell"),
            )
            .hint("run doctor as a cluster admin to see which webhooks are registered"),
        );
    } else if registered.mutating.is_empty() && registered.validating.is_empty() {
        findings.push(
            finding(
                Status::Warning,
                "NoWebhooks",
                namespace,
                "no admission webhook is registered for pipelineversions: versions written with kubectl get no labels, and invalid specs are accepted".into(),
            )
            .hint("install KFP's webhook (its manifests for --pipelinesStoreKubernetes=true), or run kubectl kfp doctor --fix after writing"),
        );
    }
    if !may_create {
        findings.push(
            finding(
                Status::Warning,
                "NotProbed",
                namespace,
                format!("webhooks not probed: you may not create pipelineversions in {namespace:?}"),
            )
            .hint("run doctor in a namespace where you have KFP's edit role"),
        );
        return Ok(findings);
    }
    let pipelines = session
        .api::<Pipeline>(Some(namespace))
        .list(&ListParams::default().limit(1))
        .await
        .map(|l| l.items)
        .unwrap_or_default();
    let probe_pipeline = pipelines.first();
    let mut unreachable_seen = Vec::new();
    // The invalid probe goes first: it needs no Pipeline.
    let name = probe_pipeline.map_or_else(|| "kubectl-kfp-doctor-probe".to_string(), |p| p.name_any());
    match dry_run(session, &probe(namespace, &name, false)?).await? {
        Answer::Unreachable { webhook, cause } => {
            findings.push(unreachable(namespace, &webhook, cause));
            unreachable_seen.push(webhook);
        }
        Answer::Denied(message) => findings.push(finding(
            Status::Ok,
            "ValidatingOk",
            namespace,
            format!("an invalid probe version is denied: {}", first_line(&message)),
        )),
        Answer::Stored(_) => findings.push(if registered.validating.is_empty() {
            finding(
                Status::Warning,
                "NoValidation",
                namespace,
                "an invalid probe version (no root) is accepted: no webhook validates pipelineversions"
                    .into(),
            )
            .hint("install KFP's validating webhook; until then kubectl kfp doctor finds invalid specs")
        } else {
            finding(
                Status::Problem,
                "ValidationAccepts",
                namespace,
                format!(
                    "an invalid probe version (no root) is accepted although {} is registered",
                    registered.validating.join(", ")
                ),
            )
            .hint("check the validating webhook's rules and its KFP release")
        }),
    }
    let Some(pipeline) = probe_pipeline else {
        findings.push(
            finding(
                Status::Warning,
                "NotProbed",
                namespace,
                format!("mutating webhook not probed: no Pipeline in {namespace:?} to probe with"),
            )
            .hint(format!(
                "run doctor in a namespace with pipelines: kubectl kfp doctor -n NAMESPACE (not {namespace})"
            )),
        );
        return Ok(findings);
    };
    let uid = pipeline.uid().unwrap_or_default();
    match dry_run(session, &probe(namespace, &pipeline.name_any(), true)?).await? {
        Answer::Unreachable { webhook, cause } => {
            if !unreachable_seen.contains(&webhook) {
                findings.push(unreachable(namespace, &webhook, cause));
            }
        }
        Answer::Denied(message) => findings.push(
            finding(
                Status::Warning,
                "ProbeDenied",
                namespace,
                format!("a valid probe version was denied: {}", first_line(&message)),
            )
            .hint("read the webhook's logs; KFP's webhook denies only invalid specs and missing pipelines"),
        ),
        Answer::Stored(stored) => {
            let labelled = stored.labels().get(LABEL_PIPELINE_ID) == Some(&uid);
            findings.push(match (labelled, registered.mutating.is_empty()) {
                (true, _) => finding(
                    Status::Ok,
                    "MutatingOk",
                    namespace,
                    format!("a probe version gets {LABEL_PIPELINE_ID} from the mutating webhook"),
                ),
                (false, true) => finding(
                    Status::Warning,
                    "NoMutation",
                    namespace,
                    "a probe version gets no labels: versions written with kubectl are invisible to KFP until fixed".into(),
                )
                .hint("install KFP's mutating webhook, or run kubectl kfp doctor --fix after writing"),
                (false, false) => finding(
                    Status::Problem,
                    "MutationMissing",
                    namespace,
                    format!(
                        "a probe version gets no {LABEL_PIPELINE_ID} label although {} is registered",
                        registered.mutating.join(", ")
                    ),
                )
                .hint("check the mutating webhook's rules and its KFP release"),
            });
        }
    }
    Ok(findings)
}

fn first_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_cause_of_failed_webhook_calls() {
        let cases = [
            (
                r#"Internal error occurred: failed calling webhook "pvs.kfp.io": failed to call webhook: Post "https://127.0.0.1:1/mutate?timeout=2s": dial tcp 127.0.0.1:1: connect: connection refused"#,
                Cause::Refused,
            ),
            (
                r#"Internal error occurred: failed calling webhook "pvs.kfp.io": failed to call webhook: Post "https://127.0.0.1:9/mutate": tls: failed to verify certificate: x509: certificate signed by unknown authority"#,
                Cause::Tls,
            ),
            (
                r#"Internal error occurred: failed calling webhook "pvs.kfp.io": failed to call webhook: Post "https://ml-pipeline.kubeflow.svc:443/x": no endpoints available for service "ml-pipeline""#,
                Cause::NoEndpoints,
            ),
            (
                r#"Internal error occurred: failed calling webhook "pvs.kfp.io": failed to call webhook: Post "https://127.0.0.1:9/mutate?timeout=1s": context deadline exceeded"#,
                Cause::Timeout,
            ),
        ];
        for (text, cause) in cases {
            assert_eq!(translate(text), Some(("pvs.kfp.io".to_string(), cause)), "{text}");
        }
        assert_eq!(
            translate(r#"admission webhook "pvs.kfp.io" denied the request: invalid pipeline spec"#),
            None
        );
    }

    #[test]
    fn rules_must_cover_creating_pipelineversions() {
        let rule = |groups: &[&str], resources: &[&str], ops: &[&str]| RuleWithOperations {
            api_groups: Some(groups.iter().map(|s| s.to_string()).collect()),
            resources: Some(resources.iter().map(|s| s.to_string()).collect()),
            operations: Some(ops.iter().map(|s| s.to_string()).collect()),
            ..RuleWithOperations::default()
        };
        assert!(covers(&rule(
            &[GROUP],
            &["pipelineversions"],
            &["CREATE", "UPDATE"]
        )));
        assert!(covers(&rule(&["*"], &["*"], &["*"])));
        assert!(!covers(&rule(&[GROUP], &["pipelines"], &["CREATE"])));
        assert!(!covers(&rule(&[GROUP], &["pipelineversions"], &["DELETE"])));
    }
}
