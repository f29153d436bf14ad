//! `aero-recipe verify`: check media against its manifest.json.

use std::path::PathBuf;
use std::process::ExitCode;

use aero_recipe::media::{verify, verify_set};
use aero_recipe::{Error, Result};

use super::Context;

/// Arguments of `aero-recipe verify`.
#[derive(clap::Args)]
pub struct Args {
    /// An ISO image, a ZIP archive, a directory holding manifest.json at its root, or a run's
    /// output directory (its ISO, ZIP, directory outputs, manifest copies and side files are
    /// checked together).
    pub media: PathBuf,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Run the command: one line per problem and a summary (or the JSON report); exit 1 when the
/// media differs from its manifest.
pub fn run(ctx: &Context, args: &Args) -> Result<ExitCode> {
    if verify_set::is_output_dir(&args.media)? {
        return run_set(ctx, args);
    }
    let report = verify::verify(&args.media)?;
    if args.json {
        let text = serde_json::to_string_pretty(&report)
            .map_err(|e| Error::invalid(format!("cannot render the report as JSON: {e}")))?;
        super::outln!("{text}")?;
    } else {
        for p in &report.problems {
            super::outln!("{p}")?;
        }
        if !ctx.quiet || !report.is_clean() {
            super::outln!("{}", report.summary())?;
        }
    }
    Ok(if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A run's output directory: every media output, manifest copy and side file.
fn run_set(ctx: &Context, args: &Args) -> Result<ExitCode> {
    let set = verify_set::verify_outputs(&args.media)?;
    if args.json {
        let text = serde_json::to_string_pretty(&set)
            .map_err(|e| Error::invalid(format!("cannot render the report as JSON: {e}")))?;
        super::outln!("{text}")?;
    } else {
        for r in &set.media {
            for p in &r.problems {
                super::outln!("{}: {p}", r.media)?;
            }
            if !ctx.quiet || !r.is_clean() {
                super::outln!("{}", r.summary())?;
            }
        }
        for p in &set.problems {
            super::outln!("{p}")?;
        }
        if !ctx.quiet || !set.is_clean() {
            super::outln!("{}", set.summary())?;
        }
    }
    Ok(if set.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
