//! `aero-recipe inf`: what the tool sees in INF files.

use std::path::PathBuf;
use std::process::ExitCode;

use aero_recipe::Result;

use super::Context;

/// Arguments of `aero-recipe inf`.
#[derive(clap::Args)]
pub struct Args {
    /// INF files to inspect.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Print a stable machine-readable report on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Run the command.
pub fn run(_ctx: &Context, _args: &Args) -> Result<ExitCode> {
    Err(aero_recipe::Error::invalid(
        "`inf` is not built yet (issue 2)",
    ))
}
