//! The report: a table (each finding one line, a `hint:` line under warnings and problems),
//! or `-o json` with stable field names (README, "doctor"); then the fixes as kubectl's
//! success lines. The counts go to stderr.

use anyhow::Result;
use serde::Serialize;

use crate::cli::DoctorFormat;
use crate::output::{DataFormat, Printer};

use super::apply::Outcome;
use super::{Area, Finding, Status};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Report<'a> {
    findings: &'a [Finding],
    #[serde(skip_serializing_if = "<[Outcome]>::is_empty")]
    fixes: &'a [Outcome],
    summary: Summary,
}

#[derive(Serialize, Debug, PartialEq, Eq)]
struct Summary {
    ok: usize,
    warnings: usize,
    problems: usize,
    fixable: usize,
}

fn summary(findings: &[Finding]) -> Summary {
    let count = |s| findings.iter().filter(|f| f.status == s).count();
    Summary {
        ok: count(Status::Ok),
        warnings: count(Status::Warning),
        problems: count(Status::Problem),
        fixable: findings.iter().filter(|f| f.fixable).count(),
    }
}

/// The message with what it is about in front.
fn subject(finding: &Finding) -> String {
    match (&finding.object, &finding.namespace) {
        (Some(object), Some(ns)) => {
            let (kind, name) = object.split_once('/').unwrap_or(("", object));
            format!("{kind} {ns}/{name}: {}", finding.message)
        }
        (None, Some(ns)) if finding.check != Area::Access => format!("namespace {ns:?}: {}", finding.message),
        _ => finding.message.clone(),
    }
}

/// The table: STATUS, CHECK, MESSAGE; hints indented under the message.
pub fn table(findings: &[Finding]) -> String {
    let mut text = String::from("STATUS   CHECK      MESSAGE\n");
    for finding in findings {
        text.push_str(&format!(
            "{:<8} {:<10} {}\n",
            finding.status.word(),
            finding.check.word(),
            subject(finding)
        ));
        if let (Some(hint), true) = (&finding.hint, finding.status != Status::Ok) {
            text.push_str(&format!("{:<8} {:<10} hint: {hint}\n", "", ""));
        }
    }
    text
}

/// kubectl's success lines for the fixes.
pub fn outcome_lines(outcomes: &[Outcome]) -> String {
    outcomes
        .iter()
        .filter_map(outcome_line)
        .map(|line| line + "\n")
        .collect()
}

/// kubectl's success line for one fix; none for a skipped one (see [`skipped`]).
pub fn outcome_line(outcome: &Outcome) -> Option<String> {
    let suffix = outcome.dry_run.map(|d| format!(" ({d})")).unwrap_or_default();
    match outcome.result {
        "skipped" => None,
        result => Some(format!(
            "pipelineversion.pipelines.kubeflow.org/{} {result}{suffix}",
            outcome.name
        )),
    }
}

/// The warning for a fix that was skipped.
pub fn skipped(outcome: &Outcome) -> Option<String> {
    (outcome.result == "skipped").then(|| {
        format!(
            "pipelineversion {}/{} not fixed: {}",
            outcome.namespace,
            outcome.name,
            outcome.reason.as_deref().unwrap_or("skipped")
        )
    })
}

/// The whole report at once: findings and fixes on stdout, skipped fixes and the counts on stderr.
pub fn report(
    printer: &Printer,
    findings: &[Finding],
    outcomes: &[Outcome],
    format: DoctorFormat,
) -> Result<()> {
    match format {
        DoctorFormat::Json => printer.value(
            &Report {
                findings,
                fixes: outcomes,
                summary: summary(findings),
            },
            DataFormat::Json,
        )?,
        DoctorFormat::Table => {
            printer.data(&table(findings));
            printer.data(&outcome_lines(outcomes));
        }
    }
    for warning in outcomes.iter().filter_map(skipped) {
        printer.warn(&warning);
    }
    counts(printer, findings, outcomes);
    Ok(())
}

/// The counts line (stderr): problems, warnings, and what the fixes did.
pub fn counts(printer: &Printer, findings: &[Finding], outcomes: &[Outcome]) {
    let counts = summary(findings);
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let tail = if outcomes.is_empty() {
        if counts.fixable > 0 {
            format!("; {} fixable with --fix", counts.fixable)
        } else {
            String::new()
        }
    } else if outcomes.iter().any(|o| o.dry_run.is_some()) {
        let would = outcomes.iter().filter(|o| o.result == "configured").count();
        format!("; {} would be fixed", plural(would, "version"))
    } else {
        let fixed = outcomes.iter().filter(|o| o.result == "configured").count();
        let left = remaining_problems(findings, outcomes);
        format!(
            "; {} fixed, {} left",
            plural(fixed, "version"),
            plural(left, "problem")
        )
    };
    printer.info(&format!(
        "{}, {}{tail}",
        plural(counts.problems, "problem"),
        plural(counts.warnings, "warning")
    ));
}

/// Problems left after the fixes: a fixable problem about a repaired version (or a pipeline
/// all of whose planned fixes were repaired) is gone.
pub fn remaining_problems(findings: &[Finding], outcomes: &[Outcome]) -> usize {
    let repaired = |ns: &str, object: &str| match object.split_once('/') {
        Some(("pipelineversion", name)) => outcomes
            .iter()
            .any(|o| o.namespace == ns && o.name == name && o.repaired()),
        Some(("pipeline", name)) => {
            let mine: Vec<&Outcome> = outcomes
                .iter()
                .filter(|o| o.namespace == ns && o.pipeline == name)
                .collect();
            !mine.is_empty() && mine.iter().all(|o| o.repaired())
        }
        _ => false,
    };
    findings
        .iter()
        .filter(|f| f.status == Status::Problem)
        .filter(|f| {
            !(f.fixable
                && matches!((&f.namespace, &f.object), (Some(ns), Some(object)) if repaired(ns, object)))
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_puts_hints_under_warnings_and_problems() {
        let findings = vec![
            Finding::new(Area::Api, Status::Ok, "APIServed", "served").hint("never shown"),
            Finding::new(Area::Data, Status::Problem, "MissingPipelineID", "no label")
                .namespace("team-a")
                .object("pipelineversion", "train-v2")
                .hint("kubectl kfp doctor -n team-a --fix")
                .fixable(),
        ];
        assert_eq!(
            table(&findings),
            "STATUS   CHECK      MESSAGE\n\
             ok       api        served\n\
             problem  data       pipelineversion team-a/train-v2: no label\n\
             \x20                   hint: kubectl kfp doctor -n team-a --fix\n"
        );
        let fixed = |result| Outcome {
            namespace: "team-a".into(),
            name: "train-v2".into(),
            pipeline: "train".into(),
            result,
            changes: vec![],
            reason: None,
            dry_run: None,
        };
        assert_eq!(remaining_problems(&findings, &[]), 1);
        assert_eq!(remaining_problems(&findings, &[fixed("configured")]), 0);
        assert_eq!(remaining_problems(&findings, &[fixed("skipped")]), 1);
    }
}
