//! Packages on disk for the `catalog` command: a package directory holds one or more INFs,
//! each a package with the files beside it; a tree is searched for them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::check::{self, PackageCheck, Policy, MAX_FILE_BYTES};
use super::ctl::Catalog;
use super::os::OsTarget;
use crate::arch::Arch;
use crate::error::{Error, IoContext, Result};
use crate::hash::hex;
use crate::inf::Inf;

/// What `aero-recipe catalog FILE.cat` shows about a catalog on its own.
#[derive(Debug, Clone, Serialize)]
pub struct CatalogSummary {
    /// The path as given.
    pub path: String,
    /// Signer subject and thumbprint, if signed.
    pub signer: Option<check::Signer>,
    /// Digest algorithms of the members.
    pub hash_algorithms: Vec<String>,
    /// `OSAttr` entries.
    pub os_attributes: Vec<String>,
    /// Members: (File attribute or tag, digest algorithm, hex digest).
    pub members: Vec<MemberSummary>,
}

/// One member of a [`CatalogSummary`].
#[derive(Debug, Clone, Serialize)]
pub struct MemberSummary {
    /// The `File` attribute, else the tag.
    pub name: String,
    /// `sha1` / `sha256`, if the member has a digest.
    pub algorithm: Option<String>,
    /// Lower-case hex digest.
    pub digest: Option<String>,
}

/// The result for one path given on the command line.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scanned {
    /// A driver package (an INF and its directory).
    Package {
        /// Where the INF is.
        path: String,
        /// The check.
        #[serde(flatten)]
        check: Box<PackageCheck>,
    },
    /// A catalog given on its own.
    Catalog(CatalogSummary),
    /// An INF that could not be parsed.
    UnreadableInf {
        /// Where.
        path: String,
        /// Why.
        error: String,
    },
}

/// Read a whole file, refusing ones larger than [`MAX_FILE_BYTES`].
pub fn read_bounded(path: &Path) -> Result<Vec<u8>> {
    crate::regular::read_at_most(path, MAX_FILE_BYTES, "a driver file")
}

/// Summarise a catalog file.
pub fn summarize(path: &Path) -> Result<CatalogSummary> {
    let bytes = read_bounded(path)?;
    let c = Catalog::parse(&bytes)
        .map_err(|e| Error::invalid(format!("{}: not a readable catalog: {e}", path.display())))?;
    Ok(CatalogSummary {
        path: path.display().to_string(),
        signer: c.signer_cert().map(|s| check::Signer {
            subject: s.subject.clone(),
            issuer: s.issuer.clone(),
            thumbprint: s.thumbprint.clone(),
        }),
        hash_algorithms: c.hash_algs().iter().map(|a| a.to_string()).collect(),
        os_attributes: c.os_attrs(),
        members: c
            .members
            .iter()
            .map(|m| MemberSummary {
                name: m.file.clone().unwrap_or_else(|| m.tag.clone()),
                algorithm: m.digest.as_ref().map(|d| d.0.to_string()),
                digest: m.digest.as_ref().map(|d| hex(&d.1)),
            })
            .collect(),
    })
}

/// The architecture a path implies: the nearest directory named like one (`amd64`, `x86`).
pub fn arch_from_path(path: &Path) -> Option<Arch> {
    path.ancestors()
        .skip(1)
        .filter_map(|a| a.file_name()?.to_str())
        .find_map(Arch::parse)
}

/// Check every package under `path` (a `.cat`, an `.inf`, a package directory or a tree).
pub fn scan(
    path: &Path,
    arch: Option<Arch>,
    os: Option<&OsTarget>,
    policy: &Policy,
) -> Result<Vec<Scanned>> {
    let meta = std::fs::metadata(path).with_path("read", path)?;
    let ext = |p: &Path| {
        p.extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
    };
    if meta.is_file() {
        return match ext(path).as_deref() {
            Some("cat") => Ok(vec![Scanned::Catalog(summarize(path)?)]),
            Some("inf") => Ok(vec![check_inf(path, arch, os, policy)?]),
            _ => Err(Error::invalid(format!(
                "{}: not a catalog (.cat), an INF or a directory",
                path.display()
            ))),
        };
    }
    let mut infs: Vec<PathBuf> = Vec::new();
    for entry in walkdir::WalkDir::new(path)
        .follow_links(false)
        .sort_by_file_name()
    {
        let entry = entry.map_err(|e| Error::invalid(format!("{}: {e}", path.display())))?;
        if entry.file_type().is_file() && ext(entry.path()).as_deref() == Some("inf") {
            infs.push(entry.into_path());
        }
    }
    if infs.is_empty() {
        return Err(Error::invalid(format!(
            "{}: no INF found (a driver package is an INF with its files and catalog)",
            path.display()
        )));
    }
    infs.iter()
        .map(|p| check_inf(p, arch, os, policy))
        .collect()
}

fn check_inf(
    path: &Path,
    arch: Option<Arch>,
    os: Option<&OsTarget>,
    policy: &Policy,
) -> Result<Scanned> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let inf_name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    let inf = match Inf::load(path) {
        Ok(i) => i,
        Err(e) => {
            return Ok(Scanned::UnreadableInf {
                path: path.display().to_string(),
                error: e.to_string(),
            })
        }
    };
    // Files of the directory by lower-case name (Windows matches names case-insensitively).
    let mut files: BTreeMap<String, PathBuf> = BTreeMap::new();
    for e in std::fs::read_dir(dir).with_path("read", dir)? {
        let e = e.with_path("read", dir)?;
        if e.file_type().with_path("read", dir)?.is_file() {
            if let Some(n) = e.file_name().to_str() {
                files.insert(n.to_ascii_lowercase(), e.path());
            }
        }
    }
    let read = |name: &str| -> Option<std::result::Result<Vec<u8>, String>> {
        let p = files.get(&name.to_ascii_lowercase())?;
        Some(read_bounded(p).map_err(|e| e.to_string()))
    };
    let arch = arch.or_else(|| arch_from_path(path));
    let check = check::check_package(&inf_name, &inf, arch, os, policy, &read);
    Ok(Scanned::Package {
        path: path.display().to_string(),
        check: Box::new(check),
    })
}
