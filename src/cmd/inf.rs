//! `aero-recipe inf`: what the tool sees in INF files.

use std::path::PathBuf;
use std::process::ExitCode;

use aero_recipe::inf::{report, Inf};
use aero_recipe::{Error, Result};

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

/// Run the command: every file is read before anything is printed, and every unreadable file
/// is reported.
pub fn run(_ctx: &Context, args: &Args) -> Result<ExitCode> {
    let mut infs = Vec::new();
    let mut problems = Vec::new();
    for path in &args.files {
        match Inf::load(path) {
            Ok(inf) => infs.push(inf),
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        let summary = format!(
            "{} of {} INF files could not be read",
            problems.len(),
            args.files.len()
        );
        return Err(Error::many(summary, problems));
    }
    if args.json {
        super::out!("{}", report::json(&infs)?)?;
    } else {
        let texts: Vec<String> = infs.iter().map(report::text).collect();
        super::out!("{}", texts.join("\n"))?;
    }
    Ok(ExitCode::SUCCESS)
}
