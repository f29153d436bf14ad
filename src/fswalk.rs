//! The one directory walker for every local input, and the one rule for what in an input tree
//! is junk (hidden names, `__MACOSX`, files operating systems leave behind).
//!
//! [`walk`] reads a directory tree under the rules every input tree obeys: symlinks, special
//! files and names that are not UTF-8 are reported, never followed or listed.

use std::path::{Path, PathBuf};

use crate::error::{Error, IoContext, Result};

/// File names (any case) that operating systems leave behind, skipped by default.
pub const JUNK_NAMES: &[&str] = &["thumbs.db", "ehthumbs.db", "desktop.ini"];

/// What kind of junk a path component is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Junk {
    /// Starts with a dot (`.git`, `.DS_Store`, AppleDouble `._x.inf`).
    Hidden,
    /// `__MACOSX`: macOS archive metadata.
    MacMetadata,
    /// A file operating systems leave behind ([`JUNK_NAMES`]).
    OsJunk,
}

/// What kind of junk the path component `name` is, if it is: never part of an input's layout.
pub fn junk_kind(name: &str) -> Option<Junk> {
    if name.starts_with('.') {
        Some(Junk::Hidden)
    } else if name.eq_ignore_ascii_case("__MACOSX") {
        Some(Junk::MacMetadata)
    } else if JUNK_NAMES.iter().any(|j| j.eq_ignore_ascii_case(name)) {
        Some(Junk::OsJunk)
    } else {
        None
    }
}

/// Why the path component `name` is junk, if it is (see [`junk_kind`]).
pub fn junk_reason(name: &str) -> Option<&'static str> {
    junk_kind(name).map(|k| match k {
        Junk::Hidden => "is hidden (starts with a dot)",
        Junk::MacMetadata => "is macOS archive metadata (`__MACOSX`)",
        Junk::OsJunk => "is operating-system junk",
    })
}

/// Whether the path component `name` is junk (see [`junk_reason`]).
pub fn is_junk_name(name: &str) -> bool {
    junk_kind(name).is_some()
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

/// An entry of a walked tree that is not a regular file or directory, or could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Odd {
    /// `/`-separated path relative to the walked directory (lossy for a name that is not UTF-8;
    /// empty when the walk itself failed somewhere below the root).
    pub rel: String,
    /// What is odd about it.
    pub kind: OddKind,
}

/// What made an entry [`Odd`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OddKind {
    /// A symbolic link (never followed).
    Symlink,
    /// A device, socket, FIFO, ...
    Special,
    /// A name that is not valid UTF-8 (a directory is not entered).
    NotUtf8,
    /// A directory that could not be read (the text is the cause).
    Unreadable(String),
}

impl Odd {
    /// The problem as an error, with what to do about it (`dir` is the walked directory).
    pub fn to_error(&self, dir: &Path) -> Error {
        let rel = &self.rel;
        match &self.kind {
            OddKind::Symlink => Error::invalid(format!("`{rel}` is a symlink")).with_help(
                "replace it with the file it points to; symlinks are never followed or shipped",
            ),
            OddKind::Special => {
                Error::invalid(format!("`{rel}` is not a regular file or directory"))
            }
            OddKind::NotUtf8 => {
                Error::invalid(format!("`{rel}` has a name that is not valid UTF-8"))
                    .with_help("rename it; Windows media names must be Unicode")
            }
            OddKind::Unreadable(e) => Error::invalid(format!("cannot read {}: {e}", dir.display())),
        }
    }
}

/// Every regular file under `dir`, sorted by path, plus every problem met on the way (symlinks,
/// names that are not UTF-8, special files, unreadable directories), none of which are followed.
/// Fails outright only when `dir` itself cannot be read.
pub fn walk(dir: &Path) -> Result<(Vec<TreeFile>, Vec<Error>)> {
    let w = walk_entries(dir)?;
    Ok((w.files, w.odd.iter().map(|o| o.to_error(dir)).collect()))
}

/// Everything [`walk_entries`] found under a directory.
#[derive(Debug, Clone, Default)]
pub struct Walk {
    /// Regular files, sorted by `rel`.
    pub files: Vec<TreeFile>,
    /// Directories (empty ones too), `/`-separated relative paths, sorted.
    pub dirs: Vec<String>,
    /// Entries that are not regular files or directories, or could not be read.
    pub odd: Vec<Odd>,
}

/// [`walk`], with the directories and the odd entries as data (for callers that keep empty
/// directories or report odd entries per path).
pub fn walk_entries(dir: &Path) -> Result<Walk> {
    let meta = std::fs::symlink_metadata(dir).with_path("read", dir)?;
    if !meta.is_dir() {
        return Err(Error::invalid(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    let mut odd = Vec::new();
    let mut it = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .min_depth(1)
        .into_iter();
    while let Some(entry) = it.next() {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let rel = e
                    .path()
                    .and_then(|p| p.strip_prefix(dir).ok())
                    .map(|p| p.to_string_lossy().replace(std::path::MAIN_SEPARATOR, "/"))
                    .unwrap_or_default();
                odd.push(Odd {
                    rel,
                    kind: OddKind::Unreadable(e.to_string()),
                });
                continue;
            }
        };
        let p = entry.path();
        let rel = p.strip_prefix(dir).unwrap_or(p);
        let Some(rel) = rel.to_str() else {
            odd.push(Odd {
                rel: rel.to_string_lossy().into_owned(),
                kind: OddKind::NotUtf8,
            });
            if entry.file_type().is_dir() {
                it.skip_current_dir();
            }
            continue;
        };
        let rel = rel.replace(std::path::MAIN_SEPARATOR, "/");
        let ft = entry.file_type();
        if ft.is_symlink() {
            odd.push(Odd {
                rel,
                kind: OddKind::Symlink,
            });
        } else if ft.is_file() {
            let size = entry.metadata().map(|m| m.len()).unwrap_or(0);
            files.push(TreeFile {
                rel,
                path: p.to_path_buf(),
                size,
            });
        } else if ft.is_dir() {
            dirs.push(rel);
        } else {
            odd.push(Odd {
                rel,
                kind: OddKind::Special,
            });
        }
    }
    files.sort_by(|a, b| a.rel.cmp(&b.rel));
    dirs.sort();
    Ok(Walk { files, dirs, odd })
}

/// An entry [`list_dir`] lists: name, path, and whether it is a directory or a file.
pub type DirEntry = (String, PathBuf, Kind);

/// An entry [`list_dir`] leaves out: name (lossy if not UTF-8) and why.
pub type NameProblem = (String, String);

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
pub fn list_dir(dir: &Path) -> Result<(Vec<DirEntry>, Vec<NameProblem>)> {
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
