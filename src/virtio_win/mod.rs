//! The upstream virtio-win ISO or its extracted tree: layout knowledge, driver selection by
//! OS and architecture, provenance, notices and the guest agent.
//!
//! Everything works on a listing of files ([`SourceFile`]: path, [`Source`](crate::media::Source),
//! size), so an ISO image and a directory behave the same; nothing is extracted or staged,
//! and a selected file's bytes are read only when media are written.

mod guest_agent;
mod layout;
mod listing;
mod notices;
mod provenance;
mod select;

use std::collections::BTreeMap;
use std::path::Path;

use crate::arch::Arch;
use crate::error::{Error, IoContext, Result};
use crate::hash;
use crate::media::iso::IsoReader;

pub use layout::{arch_dir, canonical_os, shared_build, OS_DIRS};
pub use listing::SourceFile;
pub use provenance::{parse_sha256, InputKind, Provenance};
pub use select::{DriverBuild, MissingBuild, Selection};

use layout::DriverDir;
use listing::{fold, Listing};

/// An opened virtio-win source (ISO image or extracted tree).
#[derive(Debug, Clone)]
pub struct VirtioWin {
    listing: Listing,
    /// Lower-cased driver directory name -> the directory and its builds.
    drivers: BTreeMap<String, DriverDir>,
    provenance: Provenance,
}

impl VirtioWin {
    /// Open a virtio-win ISO image or extracted directory. The content is hashed here, once
    /// (the image for an ISO, every file for a tree), for [`VirtioWin::provenance`].
    pub fn open(path: &Path) -> Result<VirtioWin> {
        let meta = std::fs::metadata(path).with_path("open the virtio-win source", path)?;
        let name = base_name(path);
        if meta.is_dir() {
            let listing = Listing::from_dir(path)?;
            let tree_sha256 = provenance::tree_digest(&listing)?;
            let (version, version_from) = provenance::detect_version(&listing, None, &name);
            let prov = Provenance {
                kind: InputKind::Directory,
                name,
                volume_id: None,
                sha256: None,
                size: None,
                tree_sha256: Some(tree_sha256),
                version,
                version_from,
            };
            return VirtioWin::from_parts(listing, prov, &path.display().to_string());
        }
        VirtioWin::open_iso(path, name)
    }

    /// List an ISO image without extracting it; its bytes are hashed once, here, on a thread
    /// of its own while the image is indexed.
    fn open_iso(path: &Path, name: String) -> Result<VirtioWin> {
        let (hashed, indexed) = std::thread::scope(|s| {
            let hashing = s.spawn(|| hash::sha256_file(path));
            let indexed = VirtioWin::index_iso(path);
            let hashed = hashing.join().unwrap_or_else(|_| {
                Err(Error::invalid(format!(
                    "internal error while hashing {}",
                    path.display()
                )))
            });
            (hashed, indexed)
        });
        let (reader, listing) = indexed?;
        let (sha256, size) = hashed?;
        VirtioWin::from_iso(path, name, &reader, listing, sha256, size)
    }

    /// The image's directory tree as a listing.
    fn index_iso(path: &Path) -> Result<(IsoReader, Listing)> {
        let reader = IsoReader::open(path)?;
        let files = reader
            .entries()
            .iter()
            .filter(|e| !e.is_dir)
            .map(|e| SourceFile {
                path: e.path.clone(),
                source: reader.source(e),
                size: e.size,
            })
            .collect();
        let listing = Listing::new(files, &path.display().to_string())?;
        Ok((reader, listing))
    }

    fn from_iso(
        path: &Path,
        name: String,
        reader: &IsoReader,
        listing: Listing,
        sha256: String,
        size: u64,
    ) -> Result<VirtioWin> {
        let volume_id = Some(reader.volume_id())
            .filter(|v| !v.trim().is_empty())
            .or(reader.joliet_volume_id())
            .map(|v| v.trim().to_string());
        let (version, version_from) =
            provenance::detect_version(&listing, volume_id.as_deref(), &name);
        let prov = Provenance {
            kind: InputKind::Iso,
            name,
            volume_id,
            sha256: Some(sha256),
            size: Some(size),
            tree_sha256: None,
            version,
            version_from,
        };
        VirtioWin::from_parts(listing, prov, &path.display().to_string())
    }

    /// Build from a listing and its provenance; `origin` names the input in errors.
    fn from_parts(listing: Listing, provenance: Provenance, origin: &str) -> Result<VirtioWin> {
        let drivers = layout::driver_dirs(&listing);
        let flat = Arch::ALL
            .iter()
            .any(|&a| listing.subdir("", layout::flat_arch_dir(a)).is_some());
        if drivers.is_empty() && !flat {
            let top = listing.subdirs("");
            return Err(Error::invalid(format!(
                "{origin} does not look like virtio-win: no <Driver>/<os>/<arch>/ directories \
                 (top-level directories: {})",
                if top.is_empty() {
                    "none".to_string()
                } else {
                    top.join(", ")
                }
            ))
            .with_help("point at the virtio-win ISO or the root of its extracted tree"));
        }
        Ok(VirtioWin {
            listing,
            drivers,
            provenance,
        })
    }

    /// The input's base name (for messages).
    pub fn name(&self) -> &str {
        &self.provenance.name
    }

    /// What went in: kind, base name, volume label, SHA-256 (or tree digest), version.
    pub fn provenance(&self) -> Provenance {
        self.provenance.clone()
    }

    /// Check the input against a pinned SHA-256 (the ISO image's, or a directory's tree
    /// digest). A mismatch names both hashes; call this before writing anything.
    pub fn verify_sha256(&self, expected: &str) -> Result<()> {
        let expected = parse_sha256(expected, "pinned virtio-win SHA-256")?;
        let (what, actual) = match (&self.provenance.sha256, &self.provenance.tree_sha256) {
            (Some(h), _) => ("image SHA-256", h.as_str()),
            (None, Some(h)) => ("tree digest", h.as_str()),
            (None, None) => ("digest", ""),
        };
        if actual == expected {
            return Ok(());
        }
        Err(Error::invalid(format!(
            "{} does not match the pinned SHA-256: its {what} is {actual}, expected {expected}",
            self.name()
        ))
        .with_help(
            "use the virtio-win release the pin was made for, or update the pin after checking the new input",
        ))
    }

    /// Driver directories, as spelled in the source, sorted case-insensitively.
    pub fn drivers(&self) -> Vec<&str> {
        self.drivers.values().map(|d| d.dir.as_str()).collect()
    }

    /// The `(os dir, arch)` builds a driver has (case-insensitive name), oldest OS first;
    /// empty if the source has no such driver directory.
    pub fn builds(&self, driver: &str) -> Vec<(String, Arch)> {
        self.drivers
            .get(&fold(driver))
            .map(|d| {
                d.builds
                    .iter()
                    .map(|b| (b.os_dir.clone(), b.arch))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Any file by path (case-insensitive), e.g. `cert/Virtio_Win_Red_Hat_CA.cer`.
    pub fn file(&self, path: &str) -> Option<SourceFile> {
        self.listing.get(path.trim_start_matches('/')).cloned()
    }

    /// Every file of the source, sorted by path.
    pub fn files(&self) -> &[SourceFile] {
        self.listing.files()
    }
}

/// The last component of `path`, resolving `.`-style paths; never a full path.
fn base_name(path: &Path) -> String {
    let named = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .filter(|n| n != "." && n != "..");
    named
        .or_else(|| {
            std::fs::canonicalize(path)
                .ok()
                .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        })
        .unwrap_or_else(|| "virtio-win".to_string())
}
