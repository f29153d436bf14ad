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
        print_json(&report)?;
    } else {
        print_report(ctx, &report, "")?;
    }
    Ok(exit(report.is_clean()))
}

fn print_json(v: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(v)
        .map_err(|e| Error::invalid(format!("cannot render the report as JSON: {e}")))?;
    super::outln!("{text}")
}

/// One line per problem (each after `prefix`), then the summary unless quiet and clean.
fn print_report(ctx: &Context, r: &verify::VerifyReport, prefix: &str) -> Result<()> {
    for p in &r.problems {
        super::outln!("{prefix}{p}")?;
    }
    if !ctx.quiet || !r.is_clean() {
        super::outln!("{}", r.summary())?;
    }
    Ok(())
}

fn exit(clean: bool) -> ExitCode {
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// A run's output directory: every media output, manifest copy and side file.
fn run_set(ctx: &Context, args: &Args) -> Result<ExitCode> {
    let set = verify_set::verify_outputs(&args.media)?;
    if args.json {
        print_json(&set)?;
    } else {
        for r in &set.media {
            print_report(ctx, r, &format!("{}: ", r.media))?;
        }
        for p in &set.problems {
            super::outln!("{p}")?;
        }
        if !ctx.quiet || !set.is_clean() {
            super::outln!("{}", set.summary())?;
        }
    }
    Ok(exit(set.is_clean()))
}
