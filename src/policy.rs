//! What may ship: default exclusions (build outputs, sources, OS junk), per-driver re-includes,
//! and the refusal of private key material ([`crate::keys`]).
//!
//! [`decide`] is the one place that says, for a file of an input tree, whether it ships, is
//! skipped or is refused outright. Windows name rules live in [`crate::winpath`], the directory
//! walker and the junk rule in [`crate::fswalk`]; their old paths here are kept as re-exports.

use std::io::Read;
use std::path::Path;

use regex::Regex;

use crate::error::{Error, Result};
use crate::fswalk::{self, Junk};
use crate::spec::DriverSpec;

pub use crate::fswalk::{walk, TreeFile, JUNK_NAMES};
pub use crate::keys::{der_kind, DerKind};
pub use crate::winpath::{case_collisions, fold_case, windows_name_problem, windows_path_problem};

/// Extensions of debug and build outputs, skipped by default.
pub const BUILD_OUTPUT_EXTENSIONS: &[&str] = &[
    "pdb",
    "ipdb",
    "iobj",
    "dbg",
    "map",
    "cod",
    "obj",
    "lib",
    "exp",
    "ilk",
    "tlog",
    "log",
    "tmp",
    "lastbuildstate",
    "idb",
    "ncb",
];

/// Extensions of sources and project files, skipped by default.
pub const SOURCE_EXTENSIONS: &[&str] = &[
    "c", "cc", "cpp", "cxx", "h", "hh", "hpp", "hxx", "idl", "inl", "rc", "s", "asm", "sln",
    "vcxproj", "props", "targets", "suo", "user",
];

/// What happens to one file of an input tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The file goes on the media.
    Ship,
    /// The file is left out (the reason says why and how to re-include it).
    Skip(String),
    /// The file must not be anywhere in an input tree: a hard error.
    Refuse(String),
}

/// Per-driver re-includes from the packaging spec (`allow_extensions`, `allow_path_regexes`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Allow<'a> {
    /// Lower-case extensions without the dot.
    pub extensions: &'a [String],
    /// Case-insensitive regexes over the tree-relative path.
    pub path_regexes: &'a [Regex],
}

impl<'a> Allow<'a> {
    /// No re-includes (guest-tools tree, drivers without a spec entry).
    pub fn none() -> Allow<'static> {
        Allow::default()
    }

    /// The re-includes a spec entry declares.
    pub fn from_driver(d: &'a DriverSpec) -> Allow<'a> {
        Allow {
            extensions: &d.allow_extensions,
            path_regexes: &d.allow_path_regexes,
        }
    }
}

/// The lower-case extension of the last path component (without the dot), if any.
pub fn extension(rel: &str) -> Option<String> {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() && !name[1..].contains('.') {
        // `.hidden` has no extension.
        return None;
    }
    Some(ext.to_ascii_lowercase())
}

/// Decide whether the file at the `/`-separated tree-relative `rel` ships.
///
/// Refusals win over everything: a key extension is refused even inside a skipped directory.
/// A file that would ship is then judged by content ([`crate::keys::judge`]): `scan` reads
/// it (skipped files are not read).
pub fn decide(
    rel: &str,
    allow: &Allow,
    scan: impl FnOnce() -> Result<crate::keys::Scan>,
) -> Result<Decision> {
    let ext = extension(rel);
    if let Some(why) = ext
        .as_deref()
        .and_then(|e| crate::keys::extension_refusal(rel, e))
    {
        return Ok(Decision::Refuse(why));
    }
    let decision = decide_by_name(rel, allow, ext.as_deref());
    if decision != Decision::Ship {
        return Ok(decision);
    }
    Ok(match crate::keys::judge(rel, ext.as_deref(), scan()?) {
        Some(why) => Decision::Refuse(why),
        None => Decision::Ship,
    })
}

/// Why the file at `rel` must never ship, by name or by content, if so (for files the user
/// names one by one, to which the skip rules do not apply).
pub fn refusal<R: Read>(rel: &str, open: impl FnOnce() -> Result<R>) -> Result<Option<String>> {
    let ext = extension(rel);
    if let Some(why) = ext
        .as_deref()
        .and_then(|e| crate::keys::extension_refusal(rel, e))
    {
        return Ok(Some(why));
    }
    crate::keys::content_refusal(rel, ext.as_deref(), open)
}

/// [`decide`] by name only: ship or skip (junk, build outputs, sources), with re-includes.
fn decide_by_name(rel: &str, allow: &Allow, ext: Option<&str>) -> Decision {
    // The one junk rule (fswalk), on every component: the first junk component says why.
    let junk = rel
        .split('/')
        .find_map(|c| fswalk::junk_kind(c).map(|k| (c, k)));
    let skip = if let Some((c, kind)) = junk {
        let why = match kind {
            Junk::Hidden => format!("`{rel}` is hidden (`{c}` starts with a dot)"),
            Junk::MacMetadata => format!("`{rel}` is macOS archive metadata (`{c}`)"),
            Junk::OsJunk => format!("`{rel}` is operating-system junk (`{c}`)"),
        };
        Some((why, false))
    } else {
        match ext {
            Some(e) if BUILD_OUTPUT_EXTENSIONS.contains(&e) => {
                Some((format!("`{rel}` is a debug/build output (`.{e}`)"), true))
            }
            Some(e) if SOURCE_EXTENSIONS.contains(&e) => Some((
                format!("`{rel}` is a source or project file (`.{e}`)"),
                true,
            )),
            _ => None,
        }
    };
    let Some((reason, by_extension)) = skip else {
        return Decision::Ship;
    };
    if allow.path_regexes.iter().any(|r| r.is_match(rel)) {
        return Decision::Ship;
    }
    if by_extension {
        if let Some(e) = ext {
            if allow.extensions.iter().any(|a| a == e) {
                return Decision::Ship;
            }
        }
        return Decision::Skip(format!(
            "{reason}; re-include it with the spec's allow_extensions or allow_path_regexes"
        ));
    }
    Decision::Skip(format!(
        "{reason}; re-include it with the spec's allow_path_regexes"
    ))
}

/// Every file under `dir` that ships with the default rules (no re-includes), plus every problem:
/// what [`walk`] reports and each refused file. Every file that would ship is read once (keys by
/// content).
pub fn shipped_files(dir: &Path) -> Result<(Vec<TreeFile>, Vec<Error>)> {
    let (files, mut problems) = walk(dir)?;
    let mut shipped = Vec::with_capacity(files.len());
    for f in files {
        match decide(&f.rel, &Allow::none(), || {
            crate::known::scan_file(&f.path, &f.rel)
        })? {
            Decision::Ship => shipped.push(f),
            Decision::Skip(_) => {}
            Decision::Refuse(why) => {
                problems.push(Error::invalid(format!("{}: {why}", dir.display())))
            }
        }
    }
    Ok((shipped, problems))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KEY_EXTENSIONS;

    /// The key scan of in-memory bytes.
    fn scanned(b: &[u8]) -> Result<crate::keys::Scan> {
        Ok(crate::keys::scan(b).unwrap())
    }

    fn d(rel: &str) -> Decision {
        decide(rel, &Allow::none(), || scanned(b"")).unwrap()
    }

    #[test]
    fn keys_are_refused_anywhere_in_any_case() {
        for k in KEY_EXTENSIONS {
            for rel in [
                format!("x.{k}"),
                format!("sub/X.{}", k.to_uppercase()),
                format!(".hidden/a.{k}"),
                format!("__MACOSX/a.{k}"),
            ] {
                assert!(matches!(d(&rel), Decision::Refuse(_)), "{rel}");
            }
        }
        // Re-includes cannot override a refusal.
        let all = [Regex::new(".*").unwrap()];
        let exts = ["pfx".to_string()];
        let allow = Allow {
            extensions: &exts,
            path_regexes: &all,
        };
        assert!(matches!(
            decide("a.pfx", &allow, || scanned(b"")).unwrap(),
            Decision::Refuse(_)
        ));
    }

    #[test]
    fn default_exclusions_and_reincludes() {
        for e in BUILD_OUTPUT_EXTENSIONS.iter().chain(SOURCE_EXTENSIONS) {
            assert!(matches!(d(&format!("a/b.{e}")), Decision::Skip(_)), "{e}");
            assert!(
                matches!(d(&format!("B.{}", e.to_uppercase())), Decision::Skip(_)),
                "{e}"
            );
        }
        for junk in [
            ".git/config",
            "a/.DS_Store",
            "__MACOSX/x.sys",
            "Thumbs.db",
            "x/DESKTOP.INI",
            "ehthumbs.db",
        ] {
            assert!(matches!(d(junk), Decision::Skip(_)), "{junk}");
        }
        for ok in [
            "a.inf",
            "a.sys",
            "a.cat",
            "WdfCoInstaller01009.dll",
            "x.cer",
            "noext",
            "a.pdb.txt",
        ] {
            assert_eq!(d(ok), Decision::Ship, "{ok}");
        }
        let exts = ["pdb".to_string()];
        let res = [Regex::new("(?i)^sub/.*\\.c$").unwrap()];
        let allow = Allow {
            extensions: &exts,
            path_regexes: &res,
        };
        let dd = |rel: &str| decide(rel, &allow, || scanned(b"")).unwrap();
        assert_eq!(dd("x.PDB"), Decision::Ship);
        assert_eq!(dd("sub/main.c"), Decision::Ship);
        assert!(matches!(dd("main.c"), Decision::Skip(_)));
        // allow_extensions re-includes extension skips only, not hidden files.
        assert!(matches!(dd(".x.pdb"), Decision::Skip(_)));
    }

    #[test]
    fn a_der_file_ships_only_when_it_is_a_certificate() {
        let cert = [
            0x30, 0x82, 0x01, 0x00, 0x30, 0x81, 0xf0, 0xa0, 0x03, 0x02, 0x01, 0x02,
        ];
        let key = [
            0x30, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01,
        ];
        let refused = |b: Vec<u8>| decide("c.DER", &Allow::none(), || scanned(&b)).unwrap();
        assert_eq!(refused(cert.to_vec()), Decision::Ship);
        assert!(matches!(refused(key.to_vec()), Decision::Refuse(_)));
        assert!(matches!(refused(b"junk".to_vec()), Decision::Refuse(_)));
    }
}
