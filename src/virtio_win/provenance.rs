//! Which upstream input went into the media: name, volume label, SHA-256 and version,
//! and checking a pinned hash before anything is written.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::hash;

use super::listing::{Listing, SourceFile};

/// What kind of virtio-win input was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    /// An ISO image file.
    Iso,
    /// An extracted directory tree.
    Directory,
}

/// The record of the virtio-win input, for `manifest.json` (`inputs.virtio_win`).
///
/// Only base names and content hashes: nothing here depends on where the input was on disk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// ISO image or directory tree.
    pub kind: InputKind,
    /// Base name of the ISO file or directory.
    pub name: String,
    /// The ISO's volume label (`virtio-win-0.1.285`); none for a directory.
    pub volume_id: Option<String>,
    /// SHA-256 of the whole ISO image; none for a directory.
    pub sha256: Option<String>,
    /// Size of the ISO image in bytes; none for a directory.
    pub size: Option<u64>,
    /// For a directory: SHA-256 over the sorted lines `path NUL sha256-of-file LF` of every
    /// file, so the same tree gives the same digest anywhere.
    pub tree_sha256: Option<String>,
    /// Upstream version, where one is known. Recorded as `upstream_version`: in manifest.json
    /// the key `version` is the package's alone (guest scripts read every `"version"` line).
    #[serde(rename = "upstream_version")]
    pub version: Option<String>,
    /// Where the version came from: `data/info.json`, `volume label` or `name`.
    pub version_from: Option<String>,
}

impl Provenance {
    /// The digest a pinned hash is compared with: the image's for an ISO, the tree digest for
    /// a directory.
    pub fn digest(&self) -> Option<&str> {
        self.sha256.as_deref().or(self.tree_sha256.as_deref())
    }
}

/// Find the upstream version: a top-level version key in `data/info.json` (upstream's file
/// has only a `drivers` list today, so this is for builds that add one), else the volume
/// label `virtio-win-<version>`, else a name `virtio-win-<version>[.iso]`.
pub(crate) fn detect_version(
    listing: &Listing,
    volume_id: Option<&str>,
    name: &str,
) -> (Option<String>, Option<String>) {
    if let Some(v) = listing.get("data/info.json").and_then(info_json_version) {
        return (Some(v), Some("data/info.json".into()));
    }
    if let Some(v) = volume_id.and_then(version_in_name) {
        return (Some(v), Some("volume label".into()));
    }
    let stem = name
        .strip_suffix(".iso")
        .or_else(|| name.strip_suffix(".ISO"))
        .unwrap_or(name);
    if let Some(v) = version_in_name(stem) {
        return (Some(v), Some("name".into()));
    }
    (None, None)
}

fn info_json_version(f: &SourceFile) -> Option<String> {
    // A malformed or huge info.json is not fatal: it only informs provenance.
    if f.size > 16 * 1024 * 1024 {
        return None;
    }
    let mut text = String::new();
    std::io::Read::read_to_string(&mut f.source.open().ok()?, &mut text).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    ["virtio-win-version", "virtio_win_version", "version"]
        .iter()
        .find_map(|k| v.get(k)?.as_str().map(str::to_string))
        .filter(|s| !s.trim().is_empty())
}

/// `0.1.285` from `virtio-win-0.1.285` (case-insensitive prefix; the rest must start with a
/// digit).
fn version_in_name(s: &str) -> Option<String> {
    let s = s.trim();
    let prefix = "virtio-win-";
    let head = s.get(..prefix.len())?;
    let rest = s.get(prefix.len()..)?;
    (head.eq_ignore_ascii_case(prefix) && rest.starts_with(|c: char| c.is_ascii_digit()))
        .then(|| rest.to_string())
}

/// The tree digest of a listing (see [`Provenance::tree_sha256`]); files are hashed in
/// parallel, combined in path order.
pub(crate) fn tree_digest(listing: &Listing) -> Result<String> {
    let hashes: Vec<String> = listing
        .files()
        .par_iter()
        .map(|f| {
            let r = f.source.open()?;
            hash::sha256_reader(r)
                .map(|(h, _)| h)
                .map_err(|e| Error::invalid(format!("cannot read {}: {e}", f.source.describe())))
        })
        .collect::<Result<_>>()?;
    let mut lines = Vec::new();
    for (f, h) in listing.files().iter().zip(hashes) {
        lines.extend_from_slice(f.path.as_bytes());
        lines.push(0);
        lines.extend_from_slice(h.as_bytes());
        lines.push(b'\n');
    }
    Ok(hash::sha256_bytes(&lines))
}

/// Normalise a user's SHA-256: trims, drops a `sha256:` prefix, lower-cases, and requires
/// 64 hex digits. `what` names the value in the error.
pub fn parse_sha256(expected: &str, what: &str) -> Result<String> {
    let t = expected.trim();
    let t = match t.get(..7) {
        Some(p) if p.eq_ignore_ascii_case("sha256:") => &t[7..],
        _ => t,
    };
    let t = t.to_ascii_lowercase();
    if t.len() != 64 || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(Error::invalid(format!(
            "{what} `{expected}` is not a SHA-256 (64 hex digits)"
        ))
        .with_help("copy the value printed by `sha256sum FILE`"));
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_names() {
        assert_eq!(
            version_in_name("virtio-win-0.1.285"),
            Some("0.1.285".into())
        );
        assert_eq!(
            version_in_name("VIRTIO-WIN-0.1.173-9"),
            Some("0.1.173-9".into())
        );
        assert_eq!(version_in_name("virtio-win"), None);
        assert_eq!(version_in_name("virtio-win-latest"), None);
    }

    #[test]
    fn sha256_parsing() {
        let h = "A".repeat(64);
        assert_eq!(
            parse_sha256(&format!(" sha256:{h} "), "x").unwrap(),
            "a".repeat(64)
        );
        let err = parse_sha256("abc", "virtio_win_sha256")
            .unwrap_err()
            .to_string();
        assert!(err.contains("virtio_win_sha256 `abc`"), "{err}");
    }
}
