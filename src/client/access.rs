//! Access reviews: what the server lets the session's user do, and who it thinks the user is.

use anyhow::Result;
use kube::api::Api;

use super::explain::{Action, explain};
use super::session::Session;

/// Asks the server whether the session's user may `verb` `resource` in `namespace`
/// (SelfSubjectAccessReview), so a command can refuse before writing anything.
pub async fn can_i(session: &Session, verb: &str, resource: &str, namespace: &str) -> Result<bool> {
    use k8s_openapi::api::authorization::v1::{
        ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
    };
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                group: Some(crate::resources::GROUP.to_string()),
                version: Some(crate::resources::VERSION.to_string()),
                resource: Some(resource.to_string()),
                verb: Some(verb.to_string()),
                namespace: Some(namespace.to_string()),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let api: Api<SelfSubjectAccessReview> = Api::all(session.client.clone());
    let answer = api.create(&Default::default(), &review).await.map_err(|err| {
        explain(
            err,
            &Action::new("create", "selfsubjectaccessreviews", None),
            &session.server,
        )
    })?;
    Ok(answer.status.is_some_and(|s| s.allowed))
}

/// The user name the server sees (SelfSubjectReview), for messages; None when unavailable.
pub async fn whoami(session: &Session) -> Option<String> {
    use k8s_openapi::api::authentication::v1::SelfSubjectReview;
    let api: Api<SelfSubjectReview> = Api::all(session.client.clone());
    let review = api
        .create(&Default::default(), &SelfSubjectReview::default())
        .await
        .ok()?;
    review.status?.user_info?.username
}
