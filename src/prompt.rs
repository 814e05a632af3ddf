//! Asking the person at the terminal. Only when both stdin and stderr are terminals; scripts
//! must pass `--yes` instead.

use std::io::IsTerminal;

use anyhow::Result;

use crate::error::UserError;

/// Whether a question can be asked at all.
pub fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks a yes/no question on stderr (default no). Without a terminal it refuses, naming the flag.
pub fn confirm(question: &str, flag: &str) -> Result<bool> {
    if !interactive() {
        return Err(no_terminal(question, flag));
    }
    crate::output::progress::clear();
    let answer = dialoguer::Confirm::new()
        .with_prompt(question)
        .default(false)
        .interact_on_opt(&dialoguer::console::Term::stderr())
        .map_err(|err| UserError::new(format!("cannot read the answer: {err}")))?;
    Ok(answer == Some(true))
}

/// The refusal when a question cannot be asked.
pub fn no_terminal(question: &str, flag: &str) -> anyhow::Error {
    UserError::new(format!(
        "refusing to write without confirmation: no terminal to ask \"{question}\""
    ))
    .with_hint(format!(
        "pass {flag} to proceed without a question, or --dry-run=client to see the objects"
    ))
    .into()
}
