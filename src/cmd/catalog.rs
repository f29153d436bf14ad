//! `aero-recipe catalog`: driver catalogs, their signers, and which files they cover.

use std::path::PathBuf;
use std::process::ExitCode;

use aero_recipe::arch::Arch;
use aero_recipe::catalog::check::{Coverage, PackageCheck, Severity};
use aero_recipe::catalog::scan::{self, Scanned};
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
    let certs = || -> Result<Vec<Cert>> {
        args.cert
            .iter()
            .map(|p| {
                let bytes = scan::read_bounded(p)?;
                Cert::parse_file(&bytes)
                    .map_err(|e| Error::invalid(format!("{}: not a certificate: {e}", p.display())))
            })
            .collect()
    };
    let p = match args
        .policy
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => Policy::AnySigner,
        Some("test") => {
            if args.cert.is_empty() {
                return Err(Error::invalid(
                    "--policy test needs --cert FILE (the test-signing certificate)",
                )
                .usage());
            }
            return Ok(Policy::Test(certs()?));
        }
        Some("production") => Policy::Production,
        Some("none") => Policy::None,
        Some(other) => {
            let near = aero_recipe::suggest::did_you_mean(other, ["test", "production", "none"]);
            return Err(Error::invalid(format!("unknown --policy `{other}`"))
                .usage()
                .with_help(format!("{near}use test, production or none")));
        }
    };
    if !args.cert.is_empty() {
        return Err(Error::invalid("--cert is only used with --policy test").usage());
    }
    Ok(p)
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
        let texts: Vec<String> = results.iter().map(text).collect();
        super::out!("{}", texts.join("\n"))?;
    }
    let mut errors = Vec::new();
    for r in &results {
        match r {
            Scanned::Package { path, check } => {
                let dir = std::path::Path::new(path)
                    .parent()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default();
                for f in check
                    .findings
                    .iter()
                    .filter(|f| f.severity == Severity::Error)
                {
                    errors.push(Error::invalid(format!("{dir}/{}: {}", f.file, f.message)));
                }
            }
            Scanned::UnreadableInf { path, error } => {
                errors.push(Error::invalid(format!("{path}: unreadable INF: {error}")))
            }
            Scanned::Catalog(_) => {}
        }
    }
    if errors.is_empty() {
        Ok(ExitCode::SUCCESS)
    } else {
        Err(Error::many(
            format!("{} catalog problem(s)", errors.len()),
            errors,
        ))
    }
}

fn text(r: &Scanned) -> String {
    match r {
        Scanned::Catalog(c) => {
            let mut s = format!("{}\n", c.path);
            s += &signer_line(c.signer.as_ref());
            s += &format!(
                "  hash: {}\n  OSAttr: {}\n  members: {}\n",
                none_if_empty(&c.hash_algorithms),
                none_if_empty(&c.os_attributes),
                c.members.len()
            );
            for m in &c.members {
                s += &format!(
                    "    {}  {} {}\n",
                    m.name,
                    m.algorithm.as_deref().unwrap_or("-"),
                    m.digest.as_deref().unwrap_or("-")
                );
            }
            s
        }
        Scanned::UnreadableInf { path, error } => format!("{path}\n  unreadable INF: {error}\n"),
        Scanned::Package { path, check } => package_text(path, check),
    }
}

fn none_if_empty(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

fn signer_line(s: Option<&aero_recipe::catalog::check::Signer>) -> String {
    match s {
        Some(s) => format!(
            "  signer: {} (thumbprint {})\n  issuer: {}\n",
            s.subject, s.thumbprint, s.issuer
        ),
        None => "  signer: none\n".into(),
    }
}

fn package_text(path: &str, c: &PackageCheck) -> String {
    let mut s = format!(
        "{path}\n  arch: {}\n  catalog: {}\n",
        c.arch
            .map(|a| a.to_string())
            .unwrap_or_else(|| "unknown".into()),
        c.catalog.as_deref().unwrap_or("none")
    );
    s += &signer_line(c.signer.as_ref());
    s += &format!(
        "  hash: {}\n  OSAttr: {}\n",
        none_if_empty(&c.hash_algorithms),
        none_if_empty(&c.os_attributes)
    );
    for f in &c.files {
        let cov = match f.coverage {
            Coverage::Covered => "covered",
            Coverage::NotCovered => "not covered",
            Coverage::Missing => "not in package",
            Coverage::Unchecked => "unchecked",
        };
        s += &format!(
            "  {:<28} {:<14} {:<12} {}\n",
            f.name,
            cov,
            f.digest,
            f.machine.as_deref().unwrap_or("")
        );
    }
    for f in &c.findings {
        let sev = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        s += &format!("  {sev}: {}: {}\n", f.file, f.message);
    }
    s
}
