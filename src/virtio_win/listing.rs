//! The files of a virtio-win source (an extracted tree or an ISO image) as one sorted listing
//! with case-insensitive lookup, so the layout rules never care where the bytes live.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::fswalk;
use crate::winpath;

/// One file of a virtio-win source (path relative to the source root, or to a selected driver
/// directory): the shared input-listing type, under its old name.
pub use crate::input::InputFile as SourceFile;

/// Every file of a source, sorted by path, with its directories indexed case-insensitively.
#[derive(Debug, Clone, Default)]
pub(crate) struct Listing {
    files: Vec<SourceFile>,
    /// Lower-cased file path -> index into `files`.
    by_lower: BTreeMap<String, usize>,
    /// Lower-cased directory path (`""` is the root) -> its child directories
    /// (lower-cased name -> name as spelled).
    dirs: BTreeMap<String, BTreeMap<String, String>>,
}

impl Listing {
    /// Index `files`. Paths that differ only in case are an error (Windows could not hold
    /// both, and lookups here are case-insensitive).
    pub(crate) fn new(mut files: Vec<SourceFile>, origin: &str) -> Result<Listing> {
        files.sort_by(|a, b| a.path.cmp(&b.path));
        let collisions = winpath::case_collisions(files.iter().map(|f| f.path.as_str()));
        if !collisions.is_empty() {
            let problems = collisions
                .into_iter()
                .map(|set| {
                    Error::invalid(format!(
                        "{origin}: names differ only in case: {}",
                        set.join(", ")
                    ))
                })
                .collect();
            return Err(Error::many(
                format!("{origin} has paths that differ only in case"),
                problems,
            ));
        }
        let mut by_lower = BTreeMap::new();
        let mut dirs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        dirs.insert(String::new(), BTreeMap::new());
        for (i, f) in files.iter().enumerate() {
            let lower = fold(&f.path);
            let mut parent = String::new();
            let comps: Vec<&str> = f.path.split('/').collect();
            for comp in comps.iter().take(comps.len().saturating_sub(1)) {
                let child = if parent.is_empty() {
                    fold(comp)
                } else {
                    format!("{parent}/{}", fold(comp))
                };
                dirs.entry(parent)
                    .or_default()
                    .insert(fold(comp), (*comp).to_string());
                dirs.entry(child.clone()).or_default();
                parent = child;
            }
            by_lower.insert(lower, i);
        }
        Ok(Listing {
            files,
            by_lower,
            dirs,
        })
    }

    /// List every regular file under `root` ([`fswalk::walk`]); a symlink, a special file or a
    /// name that is not UTF-8 anywhere in the tree refuses it, naming every such entry.
    pub(crate) fn from_dir(root: &Path) -> Result<Listing> {
        let (files, problems) = fswalk::walk(root)?;
        if !problems.is_empty() {
            return Err(Error::many(
                format!(
                    "the virtio-win tree {} holds entries that are not regular files or directories",
                    root.display()
                ),
                problems,
            )
            .with_help("copy the tree without links (e.g. `cp -rL`) or extract the ISO again"));
        }
        let files = files.into_iter().map(SourceFile::from).collect();
        Listing::new(files, &root.display().to_string())
    }

    /// All files, sorted by path.
    pub(crate) fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The file at `path`, compared case-insensitively.
    pub(crate) fn get(&self, path: &str) -> Option<&SourceFile> {
        self.by_lower
            .get(&fold(path))
            .and_then(|&i| self.files.get(i))
    }

    /// Child directories of `dir` (`""` for the root) as spelled, sorted case-insensitively.
    pub(crate) fn subdirs(&self, dir: &str) -> Vec<&str> {
        self.dirs
            .get(&fold(dir))
            .map(|m| m.values().map(String::as_str).collect())
            .unwrap_or_default()
    }

    /// The child directory `name` of `dir` as spelled, if it exists (case-insensitive).
    pub(crate) fn subdir(&self, dir: &str, name: &str) -> Option<&str> {
        self.dirs
            .get(&fold(dir))
            .and_then(|m| m.get(&fold(name)))
            .map(String::as_str)
    }

    /// Files directly inside `dir` (`""` for the root), sorted.
    pub(crate) fn files_in(&self, dir: &str) -> Vec<&SourceFile> {
        self.files_under(dir)
            .into_iter()
            .filter(|f| {
                let rest = strip_dir(&f.path, dir);
                !rest.contains('/')
            })
            .collect()
    }

    /// Files anywhere below `dir` (`""` for the root), sorted by path case-insensitively.
    pub(crate) fn files_under(&self, dir: &str) -> Vec<&SourceFile> {
        if dir.is_empty() {
            return self.files.iter().collect();
        }
        let prefix = format!("{}/", fold(dir));
        self.by_lower
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(_, &i)| self.files.get(i))
            .collect()
    }
}

/// `path` without its leading `dir/` (compared case-insensitively; lengths are equal because
/// folding here is ASCII-only).
pub(crate) fn strip_dir<'a>(path: &'a str, dir: &str) -> &'a str {
    if dir.is_empty() {
        return path;
    }
    path.get(dir.len() + 1..).unwrap_or("")
}

/// Case folding for lookups. ASCII only, so byte offsets survive folding: upstream names are
/// ASCII, and a non-ASCII name still compares exactly.
pub(crate) fn fold(s: &str) -> String {
    s.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(paths: &[&str]) -> Result<Listing> {
        let files = paths
            .iter()
            .map(|p| SourceFile::new(*p, crate::media::Source::Bytes(Vec::new().into()), 0))
            .collect();
        Listing::new(files, "test")
    }

    #[test]
    fn case_insensitive_lookup_keeps_spelling() {
        let l = listing(&[
            "NetKVM/w10/amd64/netkvm.inf",
            "NetKVM/w10/amd64/netkvm.sys",
            "NetKVM/w10/ARM64/netkvm.inf",
            "data/info.json",
            "virtio-win_license.txt",
        ])
        .unwrap();
        assert_eq!(l.subdirs(""), ["data", "NetKVM"]);
        assert_eq!(l.subdir("", "netkvm"), Some("NetKVM"));
        assert_eq!(l.subdirs("netkvm/W10"), ["amd64", "ARM64"]);
        assert_eq!(
            l.get("NETKVM/w10/AMD64/NetKvm.INF")
                .map(|f| f.path.as_str()),
            Some("NetKVM/w10/amd64/netkvm.inf")
        );
        let under: Vec<_> = l
            .files_under("netkvm/w10/amd64")
            .iter()
            .map(|f| strip_dir(&f.path, "netkvm/w10/amd64"))
            .collect();
        assert_eq!(under, ["netkvm.inf", "netkvm.sys"]);
        let root: Vec<_> = l.files_in("").iter().map(|f| f.name()).collect();
        assert_eq!(root, ["virtio-win_license.txt"]);
    }

    #[test]
    fn case_collisions_are_refused() {
        let err = listing(&["NetKVM/a.inf", "netkvm/b.inf"])
            .unwrap_err()
            .to_string();
        assert!(err.contains("NetKVM, netkvm"), "{err}");
    }
}
