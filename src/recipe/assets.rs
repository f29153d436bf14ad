//! The bundled trees (`recipes/ specs/ contracts/ guest-tools/ examples/`) embedded in the
//! binary, so bundled recipes run from any directory and after `cargo install`.
//!
//! Rust code reads inputs from real files, so on first use the embedded trees are written
//! once to a per-content cache directory and paths resolve there. That directory is private
//! to the user (created 0700; refused when another user owns it or can write into it), and
//! every run compares the copy with the embedded bytes before using it, so nothing planted
//! or damaged there reaches the media.

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
    static ROOT: OnceLock<std::result::Result<PathBuf, (String, Option<String>)>> = OnceLock::new();
    ROOT.get_or_init(|| {
        materialise().map_err(|e| {
            let help = match &e {
                Error::Invalid { help, .. } => help.clone(),
                _ => None,
            };
            (e.to_string(), help)
        })
    })
    .as_deref()
    .map_err(|(msg, help)| {
        let e = Error::invalid(format!("cannot unpack the bundled files: {msg}"));
        match help {
            Some(h) => e.with_help(h.clone()),
            None => e,
        }
    })
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

/// Makes the names of damaged copies moved aside unique within the process.
static ASIDE: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

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
    private_dir(&base)?;
    let root = base.join(format!(
        "bundled-{}-{}",
        env!("CARGO_PKG_VERSION"),
        &digest[..16]
    ));
    if root.exists() {
        if differs(&root, &files).is_none() {
            return Ok(root);
        }
        // Ours (the base is private), but not what this binary carries: a disk error, a hand
        // edit, an older layout. Never change it in place (another run may be reading it):
        // move it aside in one step, then put a fresh copy in its place.
        let aside = base.join(format!(
            ".damaged-{}-{}",
            std::process::id(),
            ASIDE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        ));
        match std::fs::rename(&root, &aside) {
            Ok(()) => {
                let _ = std::fs::remove_dir_all(&aside);
            }
            // Another run moved it first.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io("move aside the damaged cache", &root, e)),
        }
    }
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
    let tmp = tmp.keep();
    if let Err(e) = std::fs::rename(&tmp, &root) {
        // Another run of the same binary may have finished first; use its copy if it is whole.
        let _ = std::fs::remove_dir_all(&tmp);
        if let Some(why) = differs(&root, &files) {
            return Err(Error::io("rename", &root, e).context(why));
        }
    }
    Ok(root)
}

/// Why the unpacked copy at `root` is not exactly the embedded `files` (same names, same
/// bytes, only regular files and directories, nothing more), or `None` when it is.
fn differs(root: &Path, files: &[(String, &'static [u8])]) -> Option<String> {
    let mut expected: std::collections::BTreeMap<&str, &[u8]> =
        files.iter().map(|(p, d)| (p.as_str(), *d)).collect();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => return Some(format!("cannot list {}: {e}", dir.display())),
        };
        for entry in entries {
            let Ok(entry) = entry else {
                return Some(format!("cannot list {}", dir.display()));
            };
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                return Some(format!("cannot read {}", path.display()));
            };
            if meta.is_dir() {
                stack.push(path);
                continue;
            }
            let rel = path
                .strip_prefix(root)
                .ok()
                .and_then(Path::to_str)
                .unwrap_or_default()
                .to_string();
            let want = expected.remove(rel.as_str());
            let same = meta.is_file()
                && want.is_some_and(|w| {
                    w.len() as u64 == meta.len() && std::fs::read(&path).is_ok_and(|d| d == w)
                });
            if !same {
                return Some(format!("{} is not the bundled file", path.display()));
            }
        }
    }
    expected
        .keys()
        .next()
        .map(|missing| format!("{missing} is missing from {}", root.display()))
}

/// Create `dir` readable and writable by this user only, or check that an existing one is
/// a real directory of this user that nobody else can write into: the bundled files are
/// unpacked there and later shipped, so a directory another user controls is refused.
fn private_dir(dir: &Path) -> Result<()> {
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).with_path("create", parent)?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        match std::fs::DirBuilder::new().mode(0o700).create(dir) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io("create", dir, e)),
        }
        let meta = std::fs::symlink_metadata(dir).with_path("read", dir)?;
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        let why = if !meta.is_dir() {
            Some("it is not a directory (a symbolic link or a file)".to_string())
        } else if meta.uid() != me {
            Some(format!(
                "it belongs to user id {}, not to this user ({me})",
                meta.uid()
            ))
        } else if meta.permissions().mode() & 0o022 != 0 {
            Some(format!(
                "others can write into it (mode {:o})",
                meta.permissions().mode() & 0o777
            ))
        } else {
            None
        };
        if let Some(why) = why {
            return Err(Error::invalid(format!(
                "refusing the cache directory {}: {why}",
                dir.display()
            ))
            .with_help("the bundled files are unpacked there and shipped on media; set XDG_CACHE_HOME to a directory of your own"));
        }
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).with_path("create", dir)?;
    Ok(())
}

/// `$XDG_CACHE_HOME/aero-recipe`, `$HOME/.cache/aero-recipe`, or a per-user directory in the
/// temporary directory when neither is set (cron, systemd units).
fn cache_base() -> PathBuf {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(x).join("aero-recipe");
    }
    if let Some(h) = std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(h).join(".cache").join("aero-recipe");
    }
    #[cfg(unix)]
    // SAFETY: geteuid has no preconditions and cannot fail.
    let user = unsafe { libc::geteuid() }.to_string();
    #[cfg(not(unix))]
    let user = String::from("user");
    std::env::temp_dir().join(format!("aero-recipe-cache-{user}"))
}
