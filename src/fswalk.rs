//! The one directory walker for every local input, and the one rule for what in an input tree
//! is junk (hidden names, `__MACOSX`, files operating systems leave behind).
//!
//! [`walk`] reads a directory tree under the rules every input tree obeys: symlinks, special
//! files and names that are not UTF-8 are reported, never followed or listed.

use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

/// File names (any case) that operating systems leave behind, skipped by default.
pub const JUNK_NAMES: &[&str] = &["thumbs.db", "ehthumbs.db", "desktop.ini"];

/// Why the path component `name` is junk that is never part of an input's layout, if it is:
/// hidden (starts with a dot), macOS archive metadata (`__MACOSX`), or OS junk ([`JUNK_NAMES`]).
pub fn junk_reason(name: &str) -> Option<&'static str> {
    if name.starts_with('.') {
        Some("is hidden (starts with a dot)")
    } else if name.eq_ignore_ascii_case("__MACOSX") {
        Some("is macOS archive metadata (`__MACOSX`)")
    } else if JUNK_NAMES.iter().any(|j| j.eq_ignore_ascii_case(name)) {
        Some("is operating-system junk")
    } else {
        None
    }
}

/// Whether the path component `name` is junk (see [`junk_reason`]).
pub fn is_junk_name(name: &str) -> bool {
    junk_reason(name).is_some()
}

/// Whether any component of the `/`-separated `rel` is junk.
pub fn in_junk_location(rel: &str) -> bool {
    rel.split('/').any(is_junk_name)
}

/// A regular file found by [`walk`].
#[derive(Debug, Clone)]
pub struct TreeFile {
    /// `/`-separated path relative to the walked directory.
    pub rel: String,
    /// The file on disk.
    pub path: PathBuf,
    /// Size in bytes.
    pub size: u64,
}

/// Every regular file under `dir`, sorted by path, plus every problem met on the way (symlinks,
/// names that are not UTF-8, special files, unreadable directories), none of which are followed.
/// Fails outright only when `dir` itself cannot be read.
pub fn walk(dir: &Path) -> Result<(Vec<TreeFile>, Vec<Error>)> {
    let meta = std::fs::symlink_metadata(dir).with_path("read", dir)?;
    if !meta.is_dir() {
        return Err(Error::invalid(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    let mut files = Vec::new();
    let mut problems = Vec::new();
    let mut it = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .min_depth(1)
        .into_iter();
    while let Some(entry) = it.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                problems.push(Error::invalid(format!(
                    "cannot read {}: {e}",
                    dir.display()
                )));
                continue;
            }
        };
        let p = entry.path();
        let rel = p.strip_prefix(dir).unwrap_or(p);
        let Some(rel) = rel.to_str() else {
            problems.push(
                Error::invalid(format!(
                    "`{}` has a name that is not valid UTF-8",
                    rel.to_string_lossy()
                ))
                .with_help("rename it; Windows media names must be Unicode"),
            );
            if entry.file_type().is_dir() {
                it.skip_current_dir();
            }
            continue;
        };
        let rel = rel.replace(std::path::MAIN_SEPARATOR, "/");
        let ft = entry.file_type();
        if ft.is_symlink() {
            problems.push(Error::invalid(format!("`{rel}` is a symlink")).with_help(
                "replace it with the file it points to; symlinks are never followed or shipped",
            ));
        } else if ft.is_file() {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            files.push(TreeFile {
                rel,
                path: p.to_path_buf(),
                size,
            });
        } else if !ft.is_dir() {
            problems.push(Error::invalid(format!(
                "`{rel}` is not a regular file or directory"
            )));
        }
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    Ok((files, problems))
}

/// What [`list_dir`] found: a directory or a regular file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A directory.
    Dir,
    /// A regular file.
    File,
}

/// One level of `dir`: its directories and regular files, sorted by name, plus a problem for each
/// entry that is a symlink, a special file or has a name that is not UTF-8 (named by its entry
/// name, which is left out). Fails only when `dir` cannot be read.
pub fn list_dir(dir: &Path) -> Result<(Vec<(String, PathBuf, Kind)>, Vec<(String, String)>)> {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for entry in std::fs::read_dir(dir).with_path("read directory", dir)? {
        let entry = entry.with_path("read directory", dir)?;
        let path = entry.path();
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            problems.push((
                entry.file_name().to_string_lossy().into_owned(),
                "has a name that is not valid UTF-8; rename it".to_string(),
            ));
            continue;
        };
        let ft = entry.file_type().with_path("read metadata of", &path)?;
        if ft.is_symlink() {
            problems.push((
                name,
                "is a symlink; symlinks are never followed or shipped".to_string(),
            ));
        } else if ft.is_dir() {
            out.push((name, path, Kind::Dir));
        } else if ft.is_file() {
            out.push((name, path, Kind::File));
        } else {
            problems.push((name, "is not a regular file or directory".to_string()));
        }
    }
    out.sort();
    problems.sort();
    Ok((out, problems))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_reports_symlinks_and_sorts() {
        let t = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(t.path().join("b/c")).unwrap();
        std::fs::write(t.path().join("b/c/z"), b"1").unwrap();
        std::fs::write(t.path().join("a"), b"22").unwrap();
        std::os::unix::fs::symlink("a", t.path().join("link")).unwrap();
        let (files, problems) = walk(t.path()).unwrap();
        let rels: Vec<_> = files.iter().map(|f| (f.rel.as_str(), f.size)).collect();
        assert_eq!(rels, [("a", 2), ("b/c/z", 1)]);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].to_string().contains("symlink"));
    }

    #[test]
    fn junk_names() {
        for j in [".git", ".DS_Store", "__macosx", "Thumbs.db", "DESKTOP.INI"] {
            assert!(is_junk_name(j), "{j}");
        }
        assert!(!is_junk_name("viostor.inf"));
        assert!(in_junk_location("a/__MACOSX/b"));
        assert!(!in_junk_location("a/b.c"));
    }
}
