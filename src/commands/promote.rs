//! `kubectl kfp promote REF`: copy a version into another namespace or cluster.

use anyhow::Result;

use crate::cli::PromoteArgs;
use crate::config::Config;
use crate::error::{ExitStatus, user_error};
use crate::output::Printer;

pub async fn run(_config: &Config, _args: &PromoteArgs, _printer: &Printer) -> Result<ExitStatus> {
    Err(user_error("promote is not implemented yet"))
}
