//! The `aero-recipe catalog` report: one text block per catalog or package, and the
//! error-level findings as errors naming their files.

use super::check::{Coverage, PackageCheck, Severity, Signer};
use super::scan::Scanned;
use crate::error::Error;

/// Every error-level finding of `results`, each named `<package dir>/<file>`.
pub fn errors(results: &[Scanned]) -> Vec<Error> {
    let mut errors = Vec::new();
    for r in results {
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
    errors
}

/// The text block of one result.
pub fn text(r: &Scanned) -> String {
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

fn signer_line(s: Option<&Signer>) -> String {
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
