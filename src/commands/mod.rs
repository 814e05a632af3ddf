//! One file per command; each returns an exit status. `dispatch` builds what a command needs
//! (a cluster session only for those that talk to one) and runs it.

pub mod complete;
pub mod config;
pub mod crds;
pub mod create;
pub mod diff;
pub mod doctor;
pub mod drift;
pub mod get;
pub mod history;
pub mod list;
pub mod promote;
pub mod prune;
pub mod tag;
pub mod version;

use std::future::Future;

use anyhow::Result;
use kube::{Resource, ResourceExt};
use serde::Serialize;
use serde_json::Value;

use crate::cli::{Cli, Command, DiffFormat, DoctorFormat, OutputFormat, ReportFormat};
use crate::client::Session;
use crate::config::Config;
use crate::error::{ExitStatus, Interrupted, UserError};
use crate::interrupt;
use crate::output::{DataFormat, Printer, progress, trim_object};
use crate::reference::Reference;

/// Runs the command the user asked for.
pub fn dispatch(cli: &Cli, printer: &Printer) -> Result<ExitStatus> {
    // Completion takes its flags from the words it completes and stays silent even when the
    // config file or the flags are broken, so it runs before any settings are resolved.
    if let Command::Complete(args) = &cli.command {
        return Ok(complete::run(args, &cli.global, printer));
    }
    progress::enable(show_progress(cli, printer));
    // `drift -n` takes a comma-separated list; the settings see its first namespace.
    let config = Config::from_cli(&drift::settings_args(cli))?;
    if config.connection.insecure_skip_tls_verify {
        printer.warn("TLS certificate verification is off (--insecure-skip-tls-verify); the server's identity is not checked");
    }
    match &cli.command {
        Command::Crds => crds::run(printer),
        Command::Completion(args) => complete::print_script(args, printer),
        Command::Complete(args) => Ok(complete::run(args, &cli.global, printer)),
        Command::Config(command) => block_on(config::run(&config, command, printer)),
        Command::Version(args) if args.client => version::print_client(printer),
        Command::Version(_) => block_on(version::run(&config, printer)),
        Command::List(args) => {
            block_on(async { list::run(&Session::connect(&config, None).await?, args, printer).await })
        }
        Command::Get(args) => {
            block_on(async { get::run(&Session::connect(&config, None).await?, args, printer).await })
        }
        Command::Create(args) => {
            block_on(async { create::run(&Session::connect(&config, None).await?, args, printer).await })
        }
        Command::Diff(args) => block_on(diff::run(&config, args, printer)),
        Command::Promote(args) => block_on(promote::run(&config, args, printer)),
        Command::History(args) => block_on(history::run(&config, args, printer)),
        Command::Drift(args) => block_on(drift::run(&config, args, &drift::namespaces(cli)?, printer)),
        Command::Doctor(args) => {
            block_on(async { doctor::run(&Session::connect(&config, None).await?, args, printer).await })
        }
        Command::Tag(args) => {
            block_on(async { tag::run(&Session::connect(&config, None).await?, args, printer).await })
        }
        Command::Prune(args) => {
            block_on(async { prune::run(&Session::connect(&config, None).await?, args, printer).await })
        }
    }
}

/// Progress is for a person: only when stderr is a terminal, not turned off (`--no-progress`,
/// `KUBECTL_KFP_NO_PROGRESS=1`), and not while machine-readable output goes to a pipe or file.
fn show_progress(cli: &Cli, printer: &Printer) -> bool {
    let turned_off = cli.global.no_progress
        || std::env::var("KUBECTL_KFP_NO_PROGRESS").is_ok_and(|value| !value.is_empty() && value != "0");
    !turned_off
        && printer.stderr_is_terminal()
        && (printer.stdout_is_terminal() || !machine_output(&cli.command))
}

/// Whether the command prints for a program (`-o json|yaml|name`, `--spec`) rather than a table.
fn machine_output(command: &Command) -> bool {
    match command {
        Command::List(args) => !matches!(args.output, OutputFormat::Table | OutputFormat::Wide),
        Command::Get(args) => args.output.is_some() || args.spec,
        Command::Create(args) => args.output.is_some(),
        Command::Diff(args) => args.output == Some(DiffFormat::Json),
        Command::Promote(args) => args.output.is_some(),
        Command::History(args) => args.output != ReportFormat::Table,
        Command::Drift(args) => args.output != ReportFormat::Table,
        Command::Doctor(args) => args.output != DoctorFormat::Table,
        Command::Tag(args) => args.output.is_some(),
        Command::Prune(_) => false,
        Command::Crds
        | Command::Completion(_)
        | Command::Complete(_)
        | Command::Config(_)
        | Command::Version(_) => true,
    }
}

/// Runs a future on a single-threaded runtime (a CLI makes a handful of requests; one thread
/// starts faster), ending with [`Interrupted`] on Ctrl-C (see [`interrupt`] for Ctrl-C during
/// writes).
fn block_on<F: Future<Output = Result<ExitStatus>>>(future: F) -> Result<ExitStatus> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        tokio::pin!(future);
        loop {
            tokio::select! {
                result = &mut future => return result,
                _ = tokio::signal::ctrl_c() => {
                    // During writes the command itself stops after those in flight.
                    if !interrupt::defer() {
                        return Err(Interrupted.into());
                    }
                }
            }
        }
    })
}

/// Parses a reference given on the command line, naming the input in the error.
pub fn parse_reference(text: &str) -> Result<Reference> {
    Reference::parse(text).map_err(|err| {
        UserError::new(format!("invalid reference {text:?}: {err}"))
            .with_hint("references look like [NAMESPACE/]PIPELINE[@VERSION], e.g. team-a/train@v3")
            .into()
    })
}

/// Prints objects as `-o json|yaml` (a kubectl-style List, managedFields removed) or `-o name`.
pub fn print_objects<K: Resource + Serialize>(
    printer: &Printer,
    objects: &[&K],
    format: OutputFormat,
    kind: &str,
) -> Result<()> {
    let data_format = match format {
        OutputFormat::Json => DataFormat::Json,
        OutputFormat::Yaml => DataFormat::Yaml,
        OutputFormat::Name => {
            let mut text = String::new();
            for object in objects {
                text.push_str(&format!("{kind}.pipelines.kubeflow.org/{}\n", object.name_any()));
            }
            printer.data(&text);
            return Ok(());
        }
        OutputFormat::Table | OutputFormat::Wide => unreachable!("tables are rendered by the command"),
    };
    let items = objects
        .iter()
        .map(|o| printable(*o))
        .collect::<Result<Vec<_>>>()?;
    printer.list(&items, data_format)
}

/// An object as JSON with server noise (managedFields) removed.
pub fn printable<K: Serialize>(object: &K) -> Result<Value> {
    let mut value = serde_json::to_value(object)?;
    trim_object(&mut value);
    Ok(value)
}
