//! `aero-recipe catalog`: driver catalogs, their signers, and which files they cover.

use std::path::PathBuf;
use std::process::ExitCode;

use aero_recipe::arch::Arch;
use aero_recipe::catalog::{report, scan};
use aero_recipe::catalog::{Cert, OsTarget, Policy};
use aero_recipe::{Error, Result};

use super::Context;

/// Arguments of `aero-recipe catalog`.
#[derive(clap::Args)]
pub struct Args {
    /// A `.cat` file, an `.inf`, a package directory or a tree of them.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Architecture the packages are for (default: from a directory name such as `amd64`).
    #[arg(long)]
    pub arch: Option<String>,
    /// Windows version the packages must cover (`w7`, `w8.1`, `w10`, `2k12R2`, or `6.1`).
    #[arg(long)]
    pub os: Option<String>,
    /// Signer rule: `test` (with --cert), `production` (Microsoft) or `none` (problems are
    /// warnings); by default any signer is accepted and named.
    #[arg(long)]
    pub policy: Option<String>,
    /// The test-signing certificate (DER or PEM) the catalogs must be signed with (--policy test).
    #[arg(long)]
    pub cert: Vec<PathBuf>,
    /// Print a machine-readable report on stdout.
    #[arg(long)]
    pub json: bool,
}

fn policy(args: &Args) -> Result<Policy> {
    let certs = args
        .cert
        .iter()
        .map(|p| {
            let bytes = scan::read_bounded(p)?;
            Cert::parse_file(&bytes)
                .map_err(|e| Error::invalid(format!("{}: not a certificate: {e}", p.display())))
        })
        .collect::<Result<Vec<Cert>>>()?;
    Policy::from_user(args.policy.as_deref(), certs).map_err(Error::usage)
}

/// Run the command: every path is checked before anything is printed; exit 1 when any
/// package has an error-level problem, each named with its file.
pub fn run(_ctx: &Context, args: &Args) -> Result<ExitCode> {
    // A bad --arch or --os is a usage error (exit 2), like an unknown flag.
    let arch = args
        .arch
        .as_deref()
        .map(Arch::from_user)
        .transpose()
        .map_err(Error::usage)?;
    let os = args
        .os
        .as_deref()
        .map(OsTarget::parse)
        .transpose()
        .map_err(Error::usage)?;
    let policy = policy(args)?;
    let mut results = Vec::new();
    for p in &args.paths {
        results.extend(scan::scan(p, arch, os.as_ref(), &policy)?);
    }
    if args.json {
        let text = serde_json::to_string_pretty(&results)
            .map_err(|e| Error::invalid(format!("cannot render the report: {e}")))?;
        super::outln!("{text}")?;
    } else {
        let texts: Vec<String> = results.iter().map(report::text).collect();
        super::out!("{}", texts.join("\n"))?;
    }
    let errors = report::errors(&results);
    if errors.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Error::many(
            format!("{} catalog problem(s)", errors.len()),
            errors,
        ))
    }
}
