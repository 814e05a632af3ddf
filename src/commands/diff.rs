//! `kubectl kfp diff`: compare two versions, a version with a file, or a version with its predecessor.

use anyhow::Result;

use crate::cli::DiffArgs;
use crate::config::Config;
use crate::error::{ExitStatus, user_error};
use crate::output::Printer;

pub async fn run(_config: &Config, _args: &DiffArgs, _printer: &Printer) -> Result<ExitStatus> {
    Err(user_error("diff is not implemented yet"))
}
