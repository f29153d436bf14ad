//! `aero-recipe verify`: check media against its manifest.json.

use std::path::PathBuf;
use std::process::ExitCode;

use aero_recipe::Result;

use super::Context;

/// Arguments of `aero-recipe verify`.
#[derive(clap::Args)]
pub struct Args {
    /// An ISO image, a ZIP archive or a directory holding manifest.json at its root.
    pub media: PathBuf,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Run the command.
pub fn run(_ctx: &Context, _args: &Args) -> Result<ExitCode> {
    Err(aero_recipe::Error::invalid(
        "`verify` is not built yet (issue 3)",
    ))
}
