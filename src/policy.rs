//! What may ship: exclusions, refusals, Windows path rules and case-insensitive collisions.
//!
//! [`decide`] is the one place that says, for a file of an input tree, whether it ships, is
//! skipped (build outputs, sources, OS junk) or is refused outright (private key material).
//! [`walk`] reads a directory tree under the rules every input tree obeys: symlinks and names
//! that are not UTF-8 are hard errors.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use regex::Regex;

use crate::error::{Error, IoContext, Result};
use crate::media::Source;
use crate::spec::{DriverSpec, KEY_EXTENSIONS};

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

/// File names (any case) that operating systems leave behind, skipped by default.
pub const JUNK_NAMES: &[&str] = &["thumbs.db", "ehthumbs.db", "desktop.ini"];

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
/// Refusals win over everything (a key is refused even inside a skipped directory); `.der`
/// files are judged by content through `head`, which returns the file's first bytes.
pub fn decide(
    rel: &str,
    allow: &Allow,
    head: impl FnOnce() -> Result<Vec<u8>>,
) -> Result<Decision> {
    let ext = extension(rel);
    if let Some(e) = ext.as_deref() {
        if KEY_EXTENSIONS.contains(&e) {
            return Ok(Decision::Refuse(format!(
                "`{rel}` looks like private key material (`.{e}` files are never shipped)"
            )));
        }
        if e == "der" {
            match der_kind(&head()?) {
                DerKind::Certificate | DerKind::CertificateBundle => {}
                DerKind::PrivateKey => {
                    return Ok(Decision::Refuse(format!(
                        "`{rel}` is a DER-encoded private key"
                    )))
                }
                DerKind::Other(what) => {
                    return Ok(Decision::Refuse(format!(
                        "`{rel}` is not a DER X.509 certificate ({what}); only certificates may ship as .der"
                    )))
                }
            }
        }
    }

    let name = rel.rsplit('/').next().unwrap_or(rel);
    let skip = if let Some(c) = rel.split('/').find(|c| c.starts_with('.')) {
        Some((
            format!("`{rel}` is hidden (`{c}` starts with a dot)"),
            false,
        ))
    } else if rel.split('/').any(|c| c.eq_ignore_ascii_case("__MACOSX")) {
        Some((
            format!("`{rel}` is macOS archive metadata (`__MACOSX`)"),
            false,
        ))
    } else if JUNK_NAMES.iter().any(|j| j.eq_ignore_ascii_case(name)) {
        Some((format!("`{rel}` is operating-system junk"), false))
    } else {
        match ext.as_deref() {
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
        return Ok(Decision::Ship);
    };
    if allow.path_regexes.iter().any(|r| r.is_match(rel)) {
        return Ok(Decision::Ship);
    }
    if by_extension {
        if let Some(e) = ext.as_deref() {
            if allow.extensions.iter().any(|a| a == e) {
                return Ok(Decision::Ship);
            }
        }
        return Ok(Decision::Skip(format!(
            "{reason}; re-include it with the spec's allow_extensions or allow_path_regexes"
        )));
    }
    Ok(Decision::Skip(format!(
        "{reason}; re-include it with the spec's allow_path_regexes"
    )))
}

/// [`decide`] for a file whose bytes are in `source` (only `.der` files are read, 256 bytes).
pub fn decide_source(rel: &str, allow: &Allow, source: &Source) -> Result<Decision> {
    decide(rel, allow, || {
        let mut buf = Vec::with_capacity(256);
        source
            .open()?
            .take(256)
            .read_to_end(&mut buf)
            .map_err(|e| Error::invalid(format!("cannot read {}: {e}", source.describe())))?;
        Ok(buf)
    })
}

/// What a DER file holds, as far as shipping is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DerKind {
    /// An X.509 certificate.
    Certificate,
    /// A PKCS#7 SignedData structure (a certificate bundle, like a binary `.p7b`).
    CertificateBundle,
    /// PKCS#1, PKCS#8 (plain or encrypted) or SEC1 private key.
    PrivateKey,
    /// Anything else (the text says what it looked like).
    Other(&'static str),
}

/// One DER header at `at`: (tag, header length, content length).
fn der_header(b: &[u8], at: usize) -> Option<(u8, usize, usize)> {
    let tag = *b.get(at)?;
    let first = *b.get(at + 1)? as usize;
    if first < 0x80 {
        return Some((tag, 2, first));
    }
    let n = first & 0x7f;
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = (len << 8) | *b.get(at + 2 + i)? as usize;
    }
    Some((tag, 2 + n, len))
}

/// Classify DER bytes (the first few hundred bytes are enough) by their ASN.1 shape.
pub fn der_kind(b: &[u8]) -> DerKind {
    const SEQ: u8 = 0x30;
    const INT: u8 = 0x02;
    const OID: u8 = 0x06;
    const PKCS7_SIGNED_DATA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02];
    let Some((SEQ, outer_hdr, _)) = der_header(b, 0) else {
        return DerKind::Other("no DER SEQUENCE at the start");
    };
    let first = outer_hdr;
    let Some((tag, hdr, len)) = der_header(b, first) else {
        return DerKind::Other("truncated DER");
    };
    match tag {
        // Private keys start with a small version number: PKCS#1 (0), PKCS#8 (0/1), SEC1 (1).
        INT if len == 1 && b.get(first + hdr).is_some_and(|v| *v <= 3) => DerKind::PrivateKey,
        INT => DerKind::Other("a bare public key"),
        OID => {
            let oid = b.get(first + hdr..first + hdr + len);
            if oid == Some(PKCS7_SIGNED_DATA) {
                DerKind::CertificateBundle
            } else {
                DerKind::Other("an unknown ContentInfo")
            }
        }
        SEQ => match der_header(b, first + hdr) {
            // tbsCertificate: explicit [0] version, or a v1 certificate's serial number.
            Some((0xa0, _, _)) | Some((INT, _, _)) => DerKind::Certificate,
            // AlgorithmIdentifier first: encrypted PKCS#8 (OCTET STRING follows) or a public key.
            Some((OID, _, _)) => match der_header(b, first + hdr + len) {
                Some((0x04, _, _)) => DerKind::PrivateKey,
                Some((0x03, _, _)) => DerKind::Other("a public key"),
                _ => DerKind::Other("an unknown structure"),
            },
            _ => DerKind::Other("an unknown structure"),
        },
        _ => DerKind::Other("an unknown structure"),
    }
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

/// Why `component` cannot be a file or directory name on Windows, if it cannot.
pub fn windows_name_problem(component: &str) -> Option<String> {
    if component.is_empty() {
        return Some("empty path component".into());
    }
    if component == "." || component == ".." {
        return Some(format!("path component `{component}` is not allowed"));
    }
    if let Some(c) = component
        .chars()
        .find(|c| (*c as u32) < 0x20 || *c == '\u{7f}')
    {
        return Some(format!(
            "name `{}` contains control character U+{:04X}",
            component.escape_debug(),
            c as u32
        ));
    }
    if let Some(c) = component
        .chars()
        .find(|c| matches!(c, '<' | '>' | ':' | '"' | '/' | '\\' | '|' | '?' | '*'))
    {
        return Some(format!(
            "name `{component}` contains `{c}`, which Windows does not allow in file names"
        ));
    }
    if component.ends_with('.') || component.ends_with(' ') {
        return Some(format!(
            "name `{component}` ends with a dot or space, which Windows strips"
        ));
    }
    let base = component
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    let reserved = matches!(base.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((base.starts_with("COM") || base.starts_with("LPT"))
            && base.len() == 4
            && matches!(base.as_bytes()[3], b'1'..=b'9'));
    if reserved {
        return Some(format!(
            "name `{component}` uses the reserved Windows device name `{base}`"
        ));
    }
    None
}

/// Why the `/`-separated relative `path` cannot be shipped on Windows media, if it cannot.
pub fn windows_path_problem(path: &str) -> Option<String> {
    if path.starts_with('/') {
        return Some(format!(
            "path `{path}` is absolute; media paths are relative to the media root"
        ));
    }
    path.split('/')
        .find_map(|c| windows_name_problem(c).map(|p| format!("{path}: {p}")))
}

/// Sets of paths that collide when compared case-insensitively (Windows semantics).
///
/// `paths` are `/`-separated file paths; the directories they imply are checked as well, so
/// `A/x` and `a/y` collide on the directory `A`/`a`. Each returned set is sorted.
pub fn case_collisions<'a>(paths: impl IntoIterator<Item = &'a str>) -> Vec<Vec<String>> {
    let mut groups: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for p in paths {
        let mut end = 0;
        for comp in p.split('/') {
            end += comp.len();
            let prefix = &p[..end];
            groups
                .entry(fold_case(prefix))
                .or_default()
                .insert(prefix.to_string());
            end += 1;
        }
    }
    groups
        .into_values()
        .filter(|s| s.len() > 1)
        .map(|s| s.into_iter().collect())
        .collect()
}

/// Case folding used for Windows name comparisons.
pub fn fold_case(s: &str) -> String {
    s.to_lowercase()
}

/// Every file under `dir` that ships with the default rules (no re-includes), plus every problem:
/// what [`walk`] reports and each refused file. Only `.der` files are read (their first bytes).
pub fn shipped_files(dir: &Path) -> Result<(Vec<TreeFile>, Vec<Error>)> {
    let (files, mut problems) = walk(dir)?;
    let mut shipped = Vec::with_capacity(files.len());
    for f in files {
        let source = Source::File(f.path.clone());
        match decide_source(&f.rel, &Allow::none(), &source)? {
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

    #[test]
    fn windows_names() {
        for bad in [
            "", ".", "..", "a:b", "a*", "CON", "con.txt", "LPT1", "com9.inf", "x.", "x ",
            "a\u{1}b", "a|b",
        ] {
            assert!(
                windows_name_problem(bad).is_some(),
                "{bad:?} should be refused"
            );
        }
        for good in [
            "setup.cmd",
            "COM10",
            "CONSOLE",
            "lpt",
            "Ünïcode名.txt",
            ".hidden",
            "a b",
        ] {
            assert!(
                windows_name_problem(good).is_none(),
                "{good:?} should be accepted"
            );
        }
        assert!(windows_path_problem("/abs").is_some());
        assert!(windows_path_problem("a//b").is_some());
        assert!(windows_path_problem("drivers/amd64/viostor/viostor.inf").is_none());
    }

    fn d(rel: &str) -> Decision {
        decide(rel, &Allow::none(), || Ok(Vec::new())).unwrap()
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
            decide("a.pfx", &allow, || Ok(Vec::new())).unwrap(),
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
        let dd = |rel: &str| decide(rel, &allow, || Ok(Vec::new())).unwrap();
        assert_eq!(dd("x.PDB"), Decision::Ship);
        assert_eq!(dd("sub/main.c"), Decision::Ship);
        assert!(matches!(dd("main.c"), Decision::Skip(_)));
        // allow_extensions re-includes extension skips only, not hidden files.
        assert!(matches!(dd(".x.pdb"), Decision::Skip(_)));
    }

    #[test]
    fn der_shapes() {
        // SEQUENCE { SEQUENCE { [0] {..} ...} ...}: a certificate.
        let cert = [
            0x30, 0x82, 0x01, 0x00, 0x30, 0x81, 0xf0, 0xa0, 0x03, 0x02, 0x01, 0x02,
        ];
        assert_eq!(der_kind(&cert), DerKind::Certificate);
        // SEQUENCE { INTEGER 0, ... }: PKCS#1 / PKCS#8.
        let key = [
            0x30, 0x82, 0x04, 0xa4, 0x02, 0x01, 0x00, 0x02, 0x82, 0x01, 0x01,
        ];
        assert_eq!(der_kind(&key), DerKind::PrivateKey);
        // SEQUENCE { SEQUENCE { OID }, OCTET STRING }: encrypted PKCS#8.
        let enc = [
            0x30, 0x20, 0x30, 0x05, 0x06, 0x03, 0x2a, 0x03, 0x04, 0x04, 0x10,
        ];
        assert_eq!(der_kind(&enc), DerKind::PrivateKey);
        assert!(matches!(der_kind(b"-----BEGIN"), DerKind::Other(_)));
        assert!(matches!(der_kind(&[]), DerKind::Other(_)));
        let refused = |b: Vec<u8>| decide("c.DER", &Allow::none(), || Ok(b)).unwrap();
        assert_eq!(refused(cert.to_vec()), Decision::Ship);
        assert!(matches!(refused(key.to_vec()), Decision::Refuse(_)));
        assert!(matches!(refused(b"junk".to_vec()), Decision::Refuse(_)));
    }

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
    fn collisions_include_implied_directories() {
        let sets = case_collisions(["A/x", "a/y", "b", "B", "c"]);
        assert_eq!(
            sets,
            vec![
                vec!["A".to_string(), "a".into()],
                vec!["B".into(), "b".into()]
            ]
        );
    }
}
