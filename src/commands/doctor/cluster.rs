//! The API and access checks: what the server serves (discovery, the published OpenAPI
//! schema) and what the current user may do (SelfSubjectAccessReview) against what each
//! command needs. Interpreting answers is pure and unit-tested below.

use std::collections::BTreeSet;

use anyhow::Result;
use serde_json::Value;

use crate::client::{Session, can_i, whoami};
use crate::resources::{GROUP, VERSION};

use super::{Area, Finding, Status};

/// The namespaces checked: the current and the shared one, or all (None) with `-A`.
#[derive(Debug, Clone)]
pub struct Scope {
    pub namespaces: Option<Vec<String>>,
}

impl Scope {
    pub fn of(session: &Session, all: bool) -> Scope {
        if all {
            return Scope { namespaces: None };
        }
        let mut namespaces = vec![session.namespace.clone()];
        if let Some(shared) = session.other_shared_namespace() {
            namespaces.push(shared.to_string());
        }
        Scope {
            namespaces: Some(namespaces),
        }
    }

    /// The namespaces whose pipelines and versions the user may list (with `-A`, all: a
    /// forbidden list across namespaces is an error).
    pub fn readable(self, access: &AccessState) -> Scope {
        let namespaces = self.namespaces.map(|namespaces| {
            namespaces
                .into_iter()
                .filter(|ns| {
                    access.may(ns, "list", "pipelines") && access.may(ns, "list", "pipelineversions")
                })
                .collect()
        });
        Scope { namespaces }
    }

    /// What to list: each namespace, or once across all (None).
    pub fn lists(&self) -> Vec<Option<&str>> {
        match &self.namespaces {
            Some(namespaces) => namespaces.iter().map(|ns| Some(ns.as_str())).collect(),
            None => vec![None],
        }
    }
}

/// What the API check found; `served` says whether the other checks can run.
pub struct ApiState {
    pub served: bool,
    pub findings: Vec<Finding>,
}

/// Fields this plugin reads or writes, per kind, as paths under the schema's `properties`.
pub const USED_FIELDS: &[(&str, &[&str])] = &[
    ("Pipeline", &["spec.displayName", "spec.description"]),
    (
        "PipelineVersion",
        &[
            "spec.pipelineName",
            "spec.versionName",
            "spec.displayName",
            "spec.description",
            "spec.codeSourceURL",
            "spec.tags",
            "spec.pipelineSpec",
            "spec.platformSpec",
        ],
    ),
];

async fn get_json(session: &Session, path: &str, accept: Option<&'static str>) -> Result<Value, kube::Error> {
    let mut request = http::Request::get(path)
        .body(Vec::new())
        .map_err(kube::Error::HttpError)?;
    if let Some(accept) = accept {
        request
            .headers_mut()
            .insert(http::header::ACCEPT, http::HeaderValue::from_static(accept));
    }
    session.client.request::<Value>(request).await
}

/// Discovery of the group, the served schema, and other groups' kinds of the same names.
pub async fn api(session: &Session) -> Result<ApiState> {
    let mut findings = Vec::new();
    let group = match get_json(session, &format!("/apis/{GROUP}"), None).await {
        Ok(group) => group,
        Err(kube::Error::Api(status)) if status.code == 404 => {
            findings.push(
                Finding::new(
                    Area::Api,
                    Status::Problem,
                    "CRDsMissing",
                    format!("the API group {GROUP} is not served: KFP's CRDs are not installed"),
                )
                .hint("install KFP in Kubernetes mode, or for a dev cluster: kubectl kfp crds | kubectl apply -f -"),
            );
            findings.extend(other_groups(session).await);
            return Ok(ApiState {
                served: false,
                findings,
            });
        }
        Err(err) => return Err(anyhow::Error::new(err).context(format!("cannot read the API group {GROUP}"))),
    };
    let versions: Vec<&str> = group["versions"]
        .as_array()
        .map(|v| v.iter().filter_map(|v| v["version"].as_str()).collect())
        .unwrap_or_default();
    if !versions.contains(&VERSION) {
        findings.push(
            Finding::new(
                Area::Api,
                Status::Problem,
                "VersionNotServed",
                format!(
                    "{GROUP} serves {} but not {VERSION}, the version KFP's Kubernetes mode uses",
                    versions.join(", ")
                ),
            )
            .hint("upgrade KFP's CRDs to a release with v2beta1 (KFP 2.5 and later): kubectl kfp crds | kubectl apply -f -"),
        );
        return Ok(ApiState {
            served: false,
            findings,
        });
    }
    let schema = get_json(session, &format!("/openapi/v3/apis/{GROUP}/{VERSION}"), None).await;
    findings.push(match schema {
        Ok(document) => schema_finding(&document),
        Err(err) => Finding::new(
            Area::Api,
            Status::Warning,
            "SchemaUnreadable",
            format!("{GROUP}/{VERSION} is served, but its schema cannot be read: {err}"),
        )
        .hint("kubectl get --raw /openapi/v3 shows whether the server publishes OpenAPI v3"),
    });
    findings.extend(other_groups(session).await);
    Ok(ApiState {
        served: true,
        findings,
    })
}

/// Other groups' kinds of the same names, from aggregated discovery (every group's kinds in
/// one answer); nothing when it cannot be read.
async fn other_groups(session: &Session) -> Vec<Finding> {
    let accept = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    match get_json(session, "/apis", Some(accept)).await {
        Ok(discovery) => other_kinds(&discovery),
        Err(_) => Vec::new(),
    }
}

/// Whether every field in [`USED_FIELDS`] is in the served schema.
pub fn schema_finding(document: &Value) -> Finding {
    let mut missing = Vec::new();
    for (kind, fields) in USED_FIELDS {
        let Some(schema) = kind_schema(document, kind) else {
            missing.push(format!("{kind} (no schema)"));
            continue;
        };
        for field in *fields {
            let mut node = schema;
            for part in field.split('.') {
                node = &node["properties"][part];
            }
            if node.is_null() {
                missing.push(format!("{kind} {field}"));
            }
        }
    }
    if missing.is_empty() {
        Finding::new(
            Area::Api,
            Status::Ok,
            "APIServed",
            format!("{GROUP}/{VERSION} is served with every field kubectl-kfp uses"),
        )
    } else {
        Finding::new(
            Area::Api,
            Status::Problem,
            "FieldsMissing",
            format!(
                "the served schema lacks fields kubectl-kfp writes (the server drops them): {}",
                missing.join(", ")
            ),
        )
        .hint("install the CRDs of your KFP release: kubectl kfp crds | kubectl diff -f -")
    }
}

/// The schema of `kind` in an OpenAPI v3 document of the group version.
fn kind_schema<'a>(document: &'a Value, kind: &str) -> Option<&'a Value> {
    document["components"]["schemas"]
        .as_object()?
        .values()
        .find(|schema| {
            schema["x-kubernetes-group-version-kind"]
                .as_array()
                .is_some_and(|gvks| {
                    gvks.iter()
                        .any(|gvk| gvk["group"] == GROUP && gvk["version"] == VERSION && gvk["kind"] == kind)
                })
        })
}

/// Kinds named Pipeline or PipelineVersion in other groups (e.g. Tekton's `tekton.dev`):
/// `kubectl get pipelines` may mean theirs.
pub fn other_kinds(discovery: &Value) -> Vec<Finding> {
    let mut seen = BTreeSet::new();
    for group in discovery["items"].as_array().into_iter().flatten() {
        let name = group["metadata"]["name"].as_str().unwrap_or_default();
        for version in group["versions"].as_array().into_iter().flatten() {
            let v = version["version"].as_str().unwrap_or_default();
            for resource in version["resources"].as_array().into_iter().flatten() {
                let kind = resource["responseKind"]["kind"].as_str().unwrap_or_default();
                let ours = name == GROUP && v == VERSION;
                if matches!(kind, "Pipeline" | "PipelineVersion") && !ours {
                    let plural = resource["resource"].as_str().unwrap_or_default();
                    seen.insert((format!("{name}/{v}"), kind.to_string(), plural.to_string()));
                }
            }
        }
    }
    seen.into_iter()
        .map(|(group_version, kind, plural)| {
            Finding::new(
                Area::Api,
                Status::Warning,
                "SameKindElsewhere",
                format!("{group_version} also serves a kind {kind}: `kubectl get {plural}` may list those, not KFP's"),
            )
            .hint(format!("name KFP's in full: kubectl get {plural}.{GROUP}"))
        })
        .collect()
}

/// A command and the (verb, resource) pairs it needs in a namespace.
type Need = (&'static str, &'static [(&'static str, &'static str)]);

/// What each command needs in the current namespace.
const LOCAL_NEEDS: &[Need] = &[
    ("list", &[("list", "pipelines"), ("list", "pipelineversions")]),
    ("get", &[("get", "pipelines"), ("get", "pipelineversions")]),
    (
        "create",
        &[
            ("create", "pipelines"),
            ("create", "pipelineversions"),
            ("delete", "pipelines"),
        ],
    ),
    ("doctor --fix", &[("update", "pipelineversions")]),
];

/// What each command needs in the shared namespace.
const SHARED_NEEDS: &[Need] = &[
    ("list", &[("list", "pipelines"), ("list", "pipelineversions")]),
    ("get", &[("get", "pipelines"), ("get", "pipelineversions")]),
    (
        "promote --to-shared",
        &[("create", "pipelines"), ("create", "pipelineversions")],
    ),
];

/// What the access reviews answered.
pub struct AccessState {
    /// (namespace, verb, resource) the user may do.
    pub allowed: BTreeSet<(String, String, String)>,
    pub findings: Vec<Finding>,
}

impl AccessState {
    pub fn may(&self, namespace: &str, verb: &str, resource: &str) -> bool {
        self.allowed
            .contains(&(namespace.to_string(), verb.to_string(), resource.to_string()))
    }
}

/// Reviews every (verb, resource) the commands need, in the current and the shared namespace
/// (with `-A`, the current one stands for the others).
pub async fn access(session: &Session, scope: &Scope) -> Result<AccessState> {
    let mut targets = vec![(session.namespace.clone(), LOCAL_NEEDS, false)];
    if let Some(shared) = session.other_shared_namespace()
        && scope.namespaces.is_some()
    {
        targets.push((shared.to_string(), SHARED_NEEDS, true));
    }
    let user = whoami(session).await;
    let mut allowed = BTreeSet::new();
    let mut findings = Vec::new();
    for (namespace, needs, shared) in targets {
        let pairs: BTreeSet<(&str, &str)> = needs.iter().flat_map(|(_, p)| p.iter().copied()).collect();
        let answers = futures::future::try_join_all(pairs.iter().map(|(verb, resource)| {
            let namespace = namespace.clone();
            async move { can_i(session, verb, resource, &namespace).await }
        }))
        .await?;
        let granted: BTreeSet<(&str, &str)> = pairs
            .iter()
            .zip(answers)
            .filter(|(_, ok)| *ok)
            .map(|(pair, _)| *pair)
            .collect();
        for (verb, resource) in &granted {
            allowed.insert((namespace.clone(), verb.to_string(), resource.to_string()));
        }
        findings.push(access_finding(
            &namespace,
            shared,
            user.as_deref(),
            needs,
            &granted,
        ));
    }
    Ok(AccessState { allowed, findings })
}

/// One line per namespace: the commands the user can run there, and what the others lack.
pub fn access_finding(
    namespace: &str,
    shared: bool,
    user: Option<&str>,
    needs: &[Need],
    granted: &BTreeSet<(&str, &str)>,
) -> Finding {
    let (able, unable): (Vec<&Need>, Vec<&Need>) = needs
        .iter()
        .partition(|(_, pairs)| pairs.iter().all(|pair| granted.contains(pair)));
    let who = user.map(|u| format!(" for user {u:?}")).unwrap_or_default();
    let place = if shared {
        format!("namespace {namespace:?} (shared)")
    } else {
        format!("namespace {namespace:?}")
    };
    let names = |needs: &[&Need]| needs.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ");
    if unable.is_empty() {
        return Finding::new(
            Area::Access,
            Status::Ok,
            "AccessOk",
            format!("{place}{who}: {}", names(&able)),
        )
        .namespace(namespace);
    }
    let lacking: BTreeSet<String> = unable
        .iter()
        .flat_map(|(_, pairs)| pairs.iter())
        .filter(|pair| !granted.contains(pair))
        .map(|(verb, resource)| format!("{verb} {resource}"))
        .collect();
    let can = if able.is_empty() {
        String::new()
    } else {
        format!("can {}; ", names(&able))
    };
    // Not reading the own namespace breaks every command; the rest is a matter of role.
    let status = if !shared && !granted.contains(&("list", "pipelineversions")) {
        Status::Problem
    } else {
        Status::Warning
    };
    let reads_missing = lacking
        .iter()
        .any(|l| l.starts_with("list ") || l.starts_with("get "));
    let role = if reads_missing { "view" } else { "edit" };
    Finding::new(
        Area::Access,
        status,
        "AccessMissing",
        format!(
            "{place}{who}: {can}cannot {} (no {})",
            names(&unable),
            lacking.into_iter().collect::<Vec<_>>().join(", ")
        ),
    )
    .namespace(namespace)
    .hint(format!("ask for KFP's {role} role in {namespace:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(fields: Value) -> Value {
        json!({"components": {"schemas": {
            "org.kubeflow.pipelines.v2beta1.Pipeline": {
                "x-kubernetes-group-version-kind": [{"group": GROUP, "version": VERSION, "kind": "Pipeline"}],
                "properties": {"spec": {"properties": {"displayName": {}, "description": {}}}}
            },
            "org.kubeflow.pipelines.v2beta1.PipelineVersion": {
                "x-kubernetes-group-version-kind": [{"group": GROUP, "version": VERSION, "kind": "PipelineVersion"}],
                "properties": {"spec": {"properties": fields}}
            }
        }}})
    }

    #[test]
    fn schema_lacking_a_field_is_a_problem_naming_it() {
        let all = json!({"pipelineName": {}, "versionName": {}, "displayName": {}, "description": {},
            "codeSourceURL": {}, "tags": {}, "pipelineSpec": {}, "platformSpec": {}});
        assert_eq!(schema_finding(&document(all.clone())).status, Status::Ok);
        let mut some = all;
        some.as_object_mut().unwrap().remove("platformSpec");
        let finding = schema_finding(&document(some));
        assert_eq!(finding.code, "FieldsMissing");
        assert!(
            finding.message.ends_with(": PipelineVersion spec.platformSpec"),
            "{}",
            finding.message
        );
    }

    #[test]
    fn other_groups_kinds_are_named_once() {
        let discovery = json!({"items": [
            {"metadata": {"name": "tekton.dev"}, "versions": [
                {"version": "v1", "resources": [{"resource": "pipelines", "responseKind": {"kind": "Pipeline"}}]},
                {"version": "v1beta1", "resources": [{"resource": "pipelines", "responseKind": {"kind": "Pipeline"}}]}]},
            {"metadata": {"name": GROUP}, "versions": [
                {"version": VERSION, "resources": [{"resource": "pipelines", "responseKind": {"kind": "Pipeline"}}]}]}
        ]});
        let findings = other_kinds(&discovery);
        let messages: Vec<&str> = findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(
            messages,
            [
                "tekton.dev/v1 also serves a kind Pipeline: `kubectl get pipelines` may list those, not KFP's",
                "tekton.dev/v1beta1 also serves a kind Pipeline: `kubectl get pipelines` may list those, not KFP's"
            ]
        );
    }

    #[test]
    fn access_names_commands_and_missing_verbs() {
        let granted: BTreeSet<(&str, &str)> = [
            ("list", "pipelines"),
            ("list", "pipelineversions"),
            ("get", "pipelines"),
            ("get", "pipelineversions"),
        ]
        .into();
        let finding = access_finding("team-a", false, Some("viewer"), LOCAL_NEEDS, &granted);
        assert_eq!(finding.status, Status::Warning);
        assert_eq!(
            finding.message,
            "namespace \"team-a\" for user \"viewer\": can list, get; cannot create, doctor --fix (no create pipelines, create pipelineversions, delete pipelines, update pipelineversions)"
        );
        let none = access_finding("team-a", false, None, LOCAL_NEEDS, &BTreeSet::new());
        assert_eq!(none.status, Status::Problem);
    }
}
