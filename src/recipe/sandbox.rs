//! Where a recipe may read and write, decided on real paths: symbolic links and `..` are
//! resolved before a path is compared with the places the run was given, so `out/link` that
//! points at `/etc` is outside `out/`.

use std::path::{Component, Path, PathBuf};

/// `p` made absolute with every symbolic link resolved, also when its last components do not
/// exist yet (an output directory a run is about to create): the longest existing prefix is
/// resolved by the file system and the rest appended, `..` applied as the kernel would (after
/// the links before it).
pub fn real_path(p: &Path) -> std::io::Result<PathBuf> {
    let abs = std::path::absolute(p)?;
    let mut out = PathBuf::new();
    let mut existing = true;
    for c in abs.components() {
        match c {
            Component::Prefix(_) | Component::RootDir => out.push(c),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(name) => {
                out.push(name);
                if existing {
                    match std::fs::canonicalize(&out) {
                        Ok(real) => out = real,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => existing = false,
                        Err(e) => return Err(e),
                    }
                }
            }
        }
    }
    Ok(out)
}

/// `a/b/../c` -> `a/c` without touching the file system.
pub fn lexical(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

/// A set of places (directories, and single files the user named) a run may use.
#[derive(Debug, Clone, Default)]
pub struct Places {
    dirs: Vec<PathBuf>,
    files: Vec<PathBuf>,
}

impl Places {
    /// Allow everything below the directory `dir` (resolved through links).
    pub fn allow_dir(&mut self, dir: &Path) {
        if let Ok(real) = real_path(dir) {
            if !self.dirs.contains(&real) {
                self.dirs.push(real);
            }
        }
    }

    /// Allow the existing path `p`: below it when it is a directory, itself when a file.
    pub fn allow_existing(&mut self, p: &Path) {
        let Ok(real) = std::fs::canonicalize(p) else {
            return;
        };
        if real.is_dir() {
            if !self.dirs.contains(&real) {
                self.dirs.push(real);
            }
        } else if !self.files.contains(&real) {
            self.files.push(real);
        }
    }

    /// Whether the real path of `p` is one of the places or below one.
    pub fn contains(&self, p: &Path) -> bool {
        real_path(p).is_ok_and(|real| {
            self.files.contains(&real) || self.dirs.iter().any(|d| real.starts_with(d))
        })
    }

    /// The places, for messages.
    pub fn describe(&self) -> String {
        self.dirs
            .iter()
            .chain(&self.files)
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexical_removes_dot_dot() {
        assert_eq!(lexical(Path::new("/a/b/../c/./d")), PathBuf::from("/a/c/d"));
    }

    #[test]
    fn links_and_dot_dot_are_resolved_before_comparing() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap();
        let out = root.join("out");
        std::fs::create_dir(&out).unwrap();
        let elsewhere = root.join("elsewhere");
        std::fs::create_dir(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, out.join("link")).unwrap();
        let mut places = Places::default();
        places.allow_dir(&out);
        assert!(places.contains(&out.join("new/sub")));
        assert!(!places.contains(&out.join("link/x")));
        assert!(!places.contains(&out.join("../elsewhere")));
        assert_eq!(
            real_path(&out.join("link/../y")).unwrap(),
            root.join("y"),
            "`..` after a link climbs from the link's target, as the kernel does"
        );
    }
}
