//! The catalog checks of every package of a [`DriverSet`] that ships, as validation problems
//! (named `<origin>/<file>`, next to the INF checks) and as manifest records.

use std::io::Read;

use super::check::{self, Policy, MAX_FILE_BYTES};
use super::os::OsTarget;
use crate::diagnostics::Report;
use crate::drivers::{DriverSet, Package};
use crate::media::manifest::DriverCatalog;

fn dir_of(rel: &str) -> &str {
    rel.rfind('/').map_or("", |i| &rel[..i])
}

fn read_file(pkg: &Package, dir: &str, name: &str) -> Option<Result<Vec<u8>, String>> {
    let f = pkg.files.iter().find(|f| {
        dir_of(&f.path) == dir
            && f.path[dir.len()..]
                .trim_start_matches('/')
                .eq_ignore_ascii_case(name)
    })?;
    if f.size > MAX_FILE_BYTES {
        return Some(Err(format!(
            "{} bytes, larger than any driver file",
            f.size
        )));
    }
    let mut buf = Vec::new();
    Some(
        f.source
            .open()
            .map_err(|e| e.to_string())
            .and_then(|r| {
                r.take(MAX_FILE_BYTES)
                    .read_to_end(&mut buf)
                    .map_err(|e| e.to_string())
            })
            .map(|_| buf),
    )
}

/// Check the INFs of every package `ships` accepts: problems go into the report (coverage and
/// machine problems are errors unless the policy is `none`; a file the INF copies that is
/// absent is left to validation, which reports it), records describe each INF's catalog.
pub fn check_set(
    set: &DriverSet,
    os: Option<&OsTarget>,
    policy: &Policy,
    ships: &dyn Fn(&Package) -> bool,
) -> (Report, Vec<DriverCatalog>) {
    let mut report = Report::default();
    let mut records = Vec::new();
    for pkg in set.packages().iter().filter(|p| ships(p)) {
        for pinf in &pkg.infs {
            let Ok(inf) = &pinf.parsed else {
                continue; // validation reports unreadable INFs
            };
            let dir = dir_of(&pinf.rel);
            let name = pinf.rel[dir.len()..].trim_start_matches('/');
            let read = |n: &str| read_file(pkg, dir, n);
            let c = check::check_package(name, inf, Some(pkg.arch), os, policy, &read);
            let label = |file: &str| {
                pkg.label(&if dir.is_empty() {
                    file.to_string()
                } else {
                    format!("{dir}/{file}")
                })
            };
            for f in c.findings.iter().filter(|f| !f.absent) {
                let msg = format!("catalog check: {}", f.message);
                match f.severity {
                    check::Severity::Error => report.error(Some(label(&f.file)), msg),
                    check::Severity::Warning => report.warn(Some(label(&f.file)), msg),
                }
            }
            records.push(DriverCatalog {
                driver: format!("{}/{}", pkg.arch.media_dir(), pkg.media_name()),
                inf: pinf.rel.clone(),
                catalog: c.catalog.clone(),
                signer: c.signer.as_ref().map(|s| s.subject.clone()),
                signer_thumbprint: c.signer.as_ref().map(|s| s.thumbprint.clone()),
                hash_algorithm: c.hash_algorithms.join(","),
            });
        }
    }
    records.sort_by(|a, b| (&a.driver, &a.inf).cmp(&(&b.driver, &b.inf)));
    (report, records)
}
