//! `kubectl kfp crds`: the CustomResourceDefinitions generated from the typed resources.

use anyhow::Result;
use kube::CustomResourceExt;

use crate::error::ExitStatus;
use crate::output::Printer;
use crate::resources::{Pipeline, PipelineVersion};
use crate::yaml;

pub fn run(printer: &Printer) -> Result<ExitStatus> {
    printer.data(&yaml::to_stream(&[Pipeline::crd(), PipelineVersion::crd()])?);
    Ok(ExitStatus::Success)
}
