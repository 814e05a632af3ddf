//! `kubectl kfp version`: client and server versions and whether KFP's resources are served.

use anyhow::Result;

use crate::client::{Action, Session, explain, not_served};
use crate::config::Config;
use crate::error::ExitStatus;
use crate::output::Printer;
use crate::resources::API_VERSION;

pub const CLIENT_VERSION: &str = env!("CARGO_PKG_VERSION");

pub fn print_client(printer: &Printer) -> Result<ExitStatus> {
    printer.line(&format!("Client Version: v{CLIENT_VERSION}"));
    Ok(ExitStatus::Success)
}

pub async fn run(config: &Config, printer: &Printer) -> Result<ExitStatus> {
    let session = Session::connect(config, None).await?;
    let action = Action::new("get", "version", None);
    let server = session.client.apiserver_version().await.map_err(|err| {
        // Reaching the server is the question here, so the message leads with it.
        let (message, hint) = crate::error::summarize(&explain(err, &action, &session.server));
        let message = message.replace("cannot get version in all namespaces: ", "");
        let error = crate::error::UserError::new(message);
        match hint {
            Some(h) => error.with_hint(h),
            None => error,
        }
    })?;
    let mut text = format!(
        "Client Version: v{CLIENT_VERSION}\nServer Version: {}\n",
        server.git_version
    );
    let served = match session.client.list_api_group_resources(API_VERSION).await {
        Ok(list) => {
            let has = |kind: &str| {
                list.resources
                    .iter()
                    .any(|r| r.kind == kind && !r.name.contains('/'))
            };
            (has("Pipeline"), has("PipelineVersion"))
        }
        Err(kube::Error::Api(status)) if status.code == 404 => (false, false),
        Err(err) => {
            return Err(explain(
                err,
                &Action::new("discover", "pipelines.kubeflow.org", None),
                &session.server,
            ));
        }
    };
    let word = |served: bool| if served { "served" } else { "NOT served" };
    text.push_str(&format!(
        "KFP API: {API_VERSION} Pipeline {}, PipelineVersion {}\n",
        word(served.0),
        word(served.1)
    ));
    text.push_str(&format!(
        "Shared namespace: {} ({})\n",
        session.shared.namespace.as_deref().unwrap_or("<none>"),
        session.shared.source
    ));
    printer.data(&text);
    if served.0 && served.1 {
        Ok(ExitStatus::Success)
    } else {
        Err(not_served(&session.server))
    }
}
