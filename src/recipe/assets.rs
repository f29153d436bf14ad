//! The bundled trees (`recipes/ specs/ contracts/ guest-tools/ examples/`) embedded in the
//! binary, so bundled recipes run from any directory and after `cargo install`.
//!
//! Rust code reads inputs from real files, so on first use the embedded trees are written
//! once to a per-content cache directory and paths resolve there.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use include_dir::{include_dir, Dir, DirEntry};
use sha2::{Digest, Sha256};

use crate::error::{Error, IoContext, Result};

static TREES: [(&str, Dir<'static>); 5] = [
    ("recipes", include_dir!("$CARGO_MANIFEST_DIR/recipes")),
    ("specs", include_dir!("$CARGO_MANIFEST_DIR/specs")),
    ("contracts", include_dir!("$CARGO_MANIFEST_DIR/contracts")),
    (
        "guest-tools",
        include_dir!("$CARGO_MANIFEST_DIR/guest-tools"),
    ),
    ("examples", include_dir!("$CARGO_MANIFEST_DIR/examples")),
];

/// The text of an embedded file, by its project-relative path (`recipes/lib/guest_tools.rhai`).
pub fn embedded_text(rel: &str) -> Option<&'static str> {
    let (top, rest) = rel.split_once('/')?;
    let (_, dir) = TREES.iter().find(|(name, _)| *name == top)?;
    dir.get_file(rest)?.contents_utf8()
}

/// Names of the bundled recipes (`recipes/*.rhai`, without extension), sorted.
pub fn bundled_recipe_names() -> Vec<String> {
    let mut names: Vec<String> = TREES[0]
        .1
        .files()
        .filter_map(|f| f.path().to_str()?.strip_suffix(".rhai").map(str::to_string))
        .collect();
    names.sort();
    names
}

/// The directory holding a materialised copy of the embedded trees (written on first use).
pub fn embedded_root() -> Result<&'static Path> {
    static ROOT: OnceLock<std::result::Result<PathBuf, String>> = OnceLock::new();
    ROOT.get_or_init(|| materialise().map_err(|e| e.to_string()))
        .as_deref()
        .map_err(|e| Error::invalid(format!("cannot unpack the bundled files: {e}")))
}

/// Every embedded file, by project-relative path, sorted.
pub fn embedded_files() -> Vec<(String, &'static [u8])> {
    fn walk(prefix: &str, dir: &'static Dir<'static>, out: &mut Vec<(String, &'static [u8])>) {
        for entry in dir.entries() {
            match entry {
                DirEntry::Dir(d) => walk(prefix, d, out),
                DirEntry::File(f) => {
                    if let Some(p) = f.path().to_str() {
                        out.push((format!("{prefix}/{p}"), f.contents()));
                    }
                }
            }
        }
    }
    let mut out = Vec::new();
    for (name, dir) in &TREES {
        walk(name, dir, &mut out);
    }
    out.sort();
    out
}

fn materialise() -> Result<PathBuf> {
    let files = embedded_files();
    let mut h = Sha256::new();
    for (p, data) in &files {
        h.update(p.as_bytes());
        h.update([0]);
        h.update((data.len() as u64).to_le_bytes());
        h.update(data);
    }
    let digest = crate::hash::hex(&h.finalize());
    let base = cache_base();
    let root = base.join(format!(
        "bundled-{}-{}",
        env!("CARGO_PKG_VERSION"),
        &digest[..16]
    ));
    if root.join(".complete").is_file() {
        return Ok(root);
    }
    std::fs::create_dir_all(&base).with_path("create", &base)?;
    let tmp = tempfile::Builder::new()
        .prefix(".bundled-")
        .tempdir_in(&base)
        .with_path("create a directory in", &base)?;
    for (p, data) in &files {
        let dest = tmp.path().join(p);
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).with_path("create", parent)?;
        }
        std::fs::write(&dest, data).with_path("write", &dest)?;
    }
    std::fs::write(tmp.path().join(".complete"), b"").with_path("write", tmp.path())?;
    let tmp = tmp.keep();
    if let Err(e) = std::fs::rename(&tmp, &root) {
        // Another process may have finished first; its copy is identical.
        let _ = std::fs::remove_dir_all(&tmp);
        if !root.join(".complete").is_file() {
            return Err(Error::io("rename", &root, e));
        }
    }
    Ok(root)
}

fn cache_base() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("aero-recipe");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(h).join(".cache").join("aero-recipe");
    }
    std::env::temp_dir().join("aero-recipe-cache")
}
