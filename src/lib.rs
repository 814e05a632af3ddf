//! kubectl-kfp: a kubectl plugin for Kubeflow Pipelines versions stored as Kubernetes resources.
//!
//! The binary (`src/main.rs`) only calls [`run`]; the modules are public so tests and fuzz
//! targets can reach the pure parts (reference grammar, manifest reader, digest, diff).

pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod diff;
pub mod digest;
pub mod error;
pub mod interrupt;
pub mod labels;
pub mod lineage;
pub mod manifest;
pub mod output;
pub mod prompt;
pub mod publish;
pub mod reference;
pub mod resolve;
pub mod resources;
pub mod validate;
pub mod watch;
pub mod yaml;

// The test pipelines: examples/pipelines, tests/data/invalid and the optional external corpus.
#[cfg(test)]
#[path = "../tests/common/data.rs"]
mod test_data;

use clap::Parser;

use crate::error::ExitStatus;
use crate::output::Printer;

/// Parses the command line, runs the command and returns the exit status.
pub fn run() -> ExitStatus {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(err) => {
            // clap prints usage errors to stderr (exit 2) and help/version to stdout (exit 0).
            let _ = err.print();
            return if err.use_stderr() {
                ExitStatus::Error
            } else {
                ExitStatus::Success
            };
        }
    };
    init_logging(cli.global.verbosity);
    let printer = Printer::new();
    let result = commands::dispatch(&cli, &printer);
    output::progress::clear();
    match result {
        Ok(status) => status,
        Err(err) => {
            let (lines, status) = error::render(&err);
            printer.error_lines(&lines);
            status
        }
    }
}

/// `-v`: 4 and up log the client's decisions (retries), 6 and up each request (method, URL,
/// status, time), 8 and up kube's own traces. Only targets that never print headers or bodies
/// are enabled: hyper, rustls and tower-http stay silent at every level, because request headers
/// carry the bearer token.
fn init_logging(verbosity: u8) {
    let filter = match verbosity {
        0..=3 => return,
        4..=5 => "kubectl_kfp=debug,kubectl_kfp::http=off",
        6..=7 => "kubectl_kfp=debug,kube_client=debug",
        _ => "kubectl_kfp=trace,kube_client=trace,kube=trace",
    };
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_target(false)
        .try_init();
}
