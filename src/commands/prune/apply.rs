//! Deleting the planned versions: concurrently with a bounded number in flight, each with
//! `preconditions.uid` so a version deleted and created again meanwhile is not deleted.
//! Cut off at any point, a subset is gone and the same command finishes the rest.

use futures::StreamExt;
use kube::api::{DeleteParams, Preconditions};
use kube::core::Request;

use crate::cli::DryRun;
use crate::client::{Action, Session, explain};
use crate::interrupt;

/// Deletes sent at once: enough to keep the API server busy, few enough not to swamp it.
pub const IN_FLIGHT: usize = 32;

/// One version to delete.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub namespace: String,
    pub name: String,
    pub uid: Option<String>,
}

/// How one delete ended.
#[derive(Debug)]
pub enum Deleted {
    Done,
    /// Gone already (a rerun after an interruption, or another writer).
    Gone,
    /// The name now belongs to another object (different UID): left alone.
    Replaced,
    Failed(anyhow::Error),
}

/// Deletes `targets` (at most [`IN_FLIGHT`] at once), calling `report` in plan order as each
/// completes so what was done is printed even when a later one fails. After Ctrl-C none is
/// sent; those in flight still land and are reported.
pub async fn delete_all(
    session: &Session,
    targets: Vec<Target>,
    dry_run: DryRun,
    mut report: impl FnMut(&Target, &Deleted),
) {
    let mut results = futures::stream::iter(targets)
        .take_while(|_| std::future::ready(!interrupt::requested()))
        .map(|target| async move {
            let outcome = delete_one(session, &target, dry_run).await;
            (target, outcome)
        })
        .buffered(IN_FLIGHT);
    while let Some((target, outcome)) = results.next().await {
        report(&target, &outcome);
    }
}

async fn delete_one(session: &Session, target: &Target, dry_run: DryRun) -> Deleted {
    let params = DeleteParams {
        dry_run: dry_run == DryRun::Server,
        preconditions: Some(Preconditions {
            uid: target.uid.clone(),
            resource_version: None,
        }),
        ..DeleteParams::default()
    };
    let path = format!(
        "/apis/pipelines.kubeflow.org/v2beta1/namespaces/{}/pipelineversions",
        target.namespace
    );
    let mut request = match Request::new(path).delete(&target.name, &params) {
        Ok(request) => request,
        Err(err) => return Deleted::Failed(err.into()),
    };
    // The server answers a delete with the object; its metadata is all that is needed.
    request.headers_mut().insert(
        http::header::ACCEPT,
        http::HeaderValue::from_static("application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1"),
    );
    match session.client.request_text(request).await {
        Ok(_) => Deleted::Done,
        Err(kube::Error::Api(status)) if status.code == 404 => Deleted::Gone,
        // A failed UID precondition answers 409 Conflict.
        Err(kube::Error::Api(status)) if status.code == 409 => Deleted::Replaced,
        Err(err) => Deleted::Failed(explain(
            err,
            &Action::new("delete", "pipelineversions", Some(&target.namespace)).named(&target.name),
            &session.server,
        )),
    }
}
