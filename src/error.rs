//! Exit codes and the user-facing error type.
//!
//! Wording rules (see README "Errors"): one line `error: <what failed>: <why>`, naming the thing
//! and quoting user input; then at most one `hint:` line with the fix. Never Debug output.

use std::fmt;

/// Process exit codes; the same meaning in every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// The command did what was asked.
    Success,
    /// `diff` only: the compared versions differ.
    Differences,
    /// Usage, validation, resolution or API error.
    Error,
    /// Interrupted by Ctrl-C (SIGINT).
    Interrupted,
}

impl ExitStatus {
    pub const fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Differences => 1,
            ExitStatus::Error => 2,
            ExitStatus::Interrupted => 130,
        }
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> Self {
        std::process::ExitCode::from(status.code())
    }
}

/// An error meant for the user: a complete sentence plus an optional fix.
///
/// Other errors in a chain (I/O, YAML, API) are appended after `: ` by the top level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    pub message: String,
    pub hint: Option<String>,
}

impl UserError {
    pub fn new(message: impl Into<String>) -> Self {
        UserError {
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for UserError {}

/// Shorthand for returning a [`UserError`] from any function that returns `anyhow::Result`.
pub fn user_error(message: impl Into<String>) -> anyhow::Error {
    UserError::new(message).into()
}

/// Shorthand for a [`UserError`] with a hint.
pub fn user_error_hint(message: impl Into<String>, hint: impl Into<String>) -> anyhow::Error {
    UserError::new(message).with_hint(hint).into()
}

/// Marks that the user interrupted the command (exit 130).
#[derive(Debug, thiserror::Error)]
#[error("interrupted")]
pub struct Interrupted;

/// Renders an error chain as the lines printed on stderr, and the exit status it maps to.
pub fn render(error: &anyhow::Error) -> (Vec<String>, ExitStatus) {
    if error.downcast_ref::<Interrupted>().is_some() {
        return (vec!["error: interrupted".to_string()], ExitStatus::Interrupted);
    }
    let (message, hint) = summarize(error);
    let mut lines = vec![format!("error: {message}")];
    if let Some(hint) = hint {
        lines.push(format!("hint: {hint}"));
    }
    (lines, ExitStatus::Error)
}

/// The one-line message of an error chain and the first hint in it.
///
/// Causes are joined with `: `; a cause whose text is already contained in the message so far
/// is skipped so wrapped errors do not repeat themselves. Multi-line causes (server messages,
/// YAML snippets) are folded onto the line.
pub fn summarize(error: &anyhow::Error) -> (String, Option<String>) {
    let mut message = String::new();
    let mut hint = None;
    for cause in error.chain() {
        if let Some(user) = cause.downcast_ref::<UserError>()
            && hint.is_none()
        {
            hint.clone_from(&user.hint);
        }
        let text = cause.to_string();
        let text = text.trim();
        if text.is_empty() || message.contains(text) {
            continue;
        }
        if !message.is_empty() {
            message.push_str(": ");
        }
        message.push_str(text);
    }
    (message.split_whitespace().collect::<Vec<_>>().join(" "), hint)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn exit_codes_are_documented_values() {
        assert_eq!(ExitStatus::Success.code(), 0);
        assert_eq!(ExitStatus::Differences.code(), 1);
        assert_eq!(ExitStatus::Error.code(), 2);
        assert_eq!(ExitStatus::Interrupted.code(), 130);
    }

    #[test]
    fn chain_is_one_line_with_hint() {
        let err: anyhow::Result<()> = Err(user_error_hint("namespace \"x\" not found", "create it"));
        let err = err.context("cannot list pipelines").unwrap_err();
        let (lines, status) = render(&err);
        assert_eq!(
            lines,
            vec![
                "error: cannot list pipelines: namespace \"x\" not found".to_string(),
                "hint: create it".to_string()
            ]
        );
        assert_eq!(status, ExitStatus::Error);
    }

    #[test]
    fn repeated_causes_and_newlines_are_folded() {
        let inner = std::io::Error::other("line one\nline two");
        let err = anyhow::Error::new(inner).context("reading \"f\": line one\nline two");
        let (lines, _) = render(&err);
        assert_eq!(lines, vec!["error: reading \"f\": line one line two".to_string()]);
    }

    #[test]
    fn interrupted_maps_to_130() {
        let (_, status) = render(&anyhow::Error::new(Interrupted));
        assert_eq!(status, ExitStatus::Interrupted);
    }
}
