//! `kubectl kfp doctor`: finds what breaks KFP's Kubernetes mode (API, admission webhooks,
//! access, data) and, with `--fix`, repairs what KFP's own webhook would have written.
//!
//! Collect (cluster → facts), check (facts → findings and a fix plan, pure), render, then
//! with `--fix` confirm and apply. One file per step.

mod admission;
mod apply;
mod checks;
mod cluster;
mod collect;
mod plan;
mod render;

use anyhow::Result;
use serde::Serialize;

use crate::cli::{DoctorArgs, DoctorFormat, DryRun};
use crate::client::Session;
use crate::error::{ExitStatus, UserError};
use crate::output::Printer;
use crate::output::progress::Work;
use crate::prompt;

/// How bad a finding is. Warnings leave the exit status at 0; problems make it 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Warning,
    Problem,
}

impl Status {
    pub fn word(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Warning => "warning",
            Status::Problem => "problem",
        }
    }
}

/// Which group of checks a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Area {
    Api,
    Admission,
    Access,
    Data,
}

impl Area {
    pub fn word(self) -> &'static str {
        match self {
            Area::Api => "api",
            Area::Admission => "admission",
            Area::Access => "access",
            Area::Data => "data",
        }
    }
}

/// One line of the report (plus its hint). `code` is a stable identifier for scripts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Finding {
    pub check: Area,
    pub status: Status,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `pipelineversion/NAME` or `pipeline/NAME` when the finding is about one object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<String>,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Whether `--fix` repairs it.
    pub fixable: bool,
}

impl Finding {
    pub fn new(check: Area, status: Status, code: &'static str, message: impl Into<String>) -> Finding {
        Finding {
            check,
            status,
            code,
            namespace: None,
            object: None,
            message: message.into(),
            hint: None,
            fixable: false,
        }
    }

    pub fn namespace(mut self, namespace: &str) -> Finding {
        self.namespace = Some(namespace.to_string());
        self
    }

    pub fn object(mut self, kind: &str, name: &str) -> Finding {
        self.object = Some(format!("{kind}/{name}"));
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Finding {
        self.hint = Some(hint.into());
        self
    }

    pub fn fixable(mut self) -> Finding {
        self.fixable = true;
        self
    }
}

pub async fn run(session: &Session, args: &DoctorArgs, printer: &Printer) -> Result<ExitStatus> {
    let scope = cluster::Scope::of(session, args.all_namespaces);
    let api = cluster::api(session).await?;
    let mut findings = api.findings.clone();
    let access = cluster::access(session, &scope).await?;
    findings.extend(access.findings.iter().cloned());
    // A namespace the user cannot read is named by the access check; its data is not checked.
    let scope = scope.readable(&access);
    if api.served {
        let may_create = access.may(&session.namespace, "create", "pipelineversions");
        findings.extend(admission::check(session, may_create).await?);
    }
    let mut fixes = Vec::new();
    if api.served {
        let data = collect::data(session, &scope).await?;
        findings.extend(checks::data(&data, &session.server));
        fixes = plan::fixes(&data);
    }
    let problem_count = findings.iter().filter(|f| f.status == Status::Problem).count();
    if !args.fix {
        render::report(printer, &findings, &[], args.output)?;
        return Ok(exit_status(problem_count));
    }
    if fixes.is_empty() || args.dry_run == DryRun::Client {
        let outcomes = apply::dry_run_client(&fixes);
        render::report(printer, &findings, &outcomes, args.output)?;
        return Ok(exit_status(problem_count));
    }
    let ask = !args.yes && args.dry_run == DryRun::None;
    let question = format!(
        "Fix the labels and owner references of {} pipeline version{}?",
        fixes.len(),
        if fixes.len() == 1 { "" } else { "s" }
    );
    if ask && !prompt::interactive() {
        return Err(prompt::no_terminal(&question, "--yes"));
    }
    if ask {
        printer.info(&plan::describe(&fixes));
        if !prompt::confirm(&question, "--yes")? {
            return Err(UserError::new("fix cancelled at the prompt; nothing was written").into());
        }
    }
    // The table, then each fix's line as Writes prints them; JSON is one object at the end.
    let table = args.output == DoctorFormat::Table;
    if table {
        printer.data(&render::table(&findings));
    }
    let mut writes = printer.writes(Work::Written, fixes.len());
    let outcomes = apply::apply(session, &fixes, args.dry_run, |outcome| {
        writes.count();
        if table {
            if let Some(line) = render::outcome_line(outcome) {
                writes.line(line);
            }
            if let Some(warning) = render::skipped(outcome) {
                printer.warn(&warning);
            }
        }
    })
    .await?;
    writes.finish()?;
    match table {
        true => render::counts(printer, &findings, &outcomes),
        false => render::report(printer, &findings, &outcomes, args.output)?,
    }
    // What a real (not dry-run) fix repaired no longer counts.
    let remaining = if args.dry_run == DryRun::None {
        render::remaining_problems(&findings, &outcomes)
    } else {
        problem_count
    };
    Ok(exit_status(remaining))
}

fn exit_status(problems: usize) -> ExitStatus {
    if problems == 0 {
        ExitStatus::Success
    } else {
        ExitStatus::Differences
    }
}
