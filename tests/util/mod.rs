//! Helpers shared by every test area. `cli` runs programs (the binary under test and external
//! oracles); the other modules build fixtures for one kind of input each. Files and trees on
//! disk are handled by the functions here.

pub mod cli;
pub mod guest_media;
pub mod hostile;
pub mod iso;
pub mod media;
pub mod recipe;
pub mod rules;
pub mod validate;
pub mod wine;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

pub use cli::{aero, ok, output, run, run_cli, tool, tool_ok, Run};

/// The repository root (where `recipes/`, `examples/`, `guest-tools/` and `tests/data/` live).
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The example virtio-win tree (`examples/virtio-win`).
pub fn virtio_win_example() -> PathBuf {
    repo().join("examples/virtio-win")
}

/// A fresh temporary directory outside the repository.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("aero-e2e-")
        .tempdir()
        .expect("create a temporary directory")
}

/// Every file below `dir` by `/`-separated relative path, with its bytes.
pub fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(dir) {
        let e = e.unwrap_or_else(|e| panic!("walk {}: {e}", dir.display()));
        if e.file_type().is_file() {
            let rel = e
                .path()
                .strip_prefix(dir)
                .unwrap()
                .components()
                .map(|c| c.as_os_str().to_str().unwrap())
                .collect::<Vec<_>>()
                .join("/");
            out.insert(rel, fs::read(e.path()).unwrap());
        }
    }
    out
}

/// Copy the tree `from` into `to` (created), directories included.
pub fn copy_tree(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in walkdir::WalkDir::new(from).min_depth(1) {
        let e = e.unwrap();
        let dest = to.join(e.path().strip_prefix(from).unwrap());
        if e.file_type().is_dir() {
            fs::create_dir_all(&dest).unwrap();
        } else {
            fs::copy(e.path(), &dest).unwrap();
        }
    }
}

/// Every entry directly in `dir` with its content (empty for a directory).
pub fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let bytes = if e.file_type().unwrap().is_file() {
                fs::read(e.path()).unwrap()
            } else {
                Vec::new()
            };
            (e.file_name().into_string().unwrap(), bytes)
        })
        .collect()
}

/// Make a tree extracted with Rock Ridge modes (read-only dirs) deletable again, so the
/// temporary directory can be removed by a non-root user.
pub fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for e in walkdir::WalkDir::new(dir) {
        let e = e.unwrap();
        let mut perm = e.metadata().unwrap().permissions();
        perm.set_mode(perm.mode() | 0o700);
        fs::set_permissions(e.path(), perm).unwrap();
    }
}

/// Lower-case hex SHA-256 of bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Lower-case hex SHA-256 of a file.
pub fn sha256_file(p: &Path) -> String {
    sha256_hex(&fs::read(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display())))
}

/// sha256sum's word on a file (an oracle independent of the tool and of the test's hasher).
pub fn sha256sum(p: &Path) -> String {
    let out = tool_ok(tool("sha256sum").arg(p));
    out.split_whitespace().next().unwrap().to_string()
}

/// xmllint must accept `xml` as well-formed; a missing xmllint fails the test loudly
/// (scripts/install-deps installs it).
pub fn xmllint(xml: &str) {
    let dir = tempdir();
    let path = dir.path().join("document.xml");
    fs::write(&path, xml).unwrap();
    let out = std::process::Command::new("xmllint")
        .arg("--noout")
        .arg(&path)
        .output()
        .unwrap_or_else(|e| {
            panic!("xmllint is needed by this test ({e}); install it with scripts/install-deps")
        });
    assert!(
        out.status.success(),
        "xmllint rejected the document:\n{}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Make `dir` a git repository whose HEAD is one commit made at `epoch` (author and
/// committer dates), as a team's checkout would be.
pub fn git_repo_at(dir: &Path, epoch: i64) {
    std::fs::create_dir_all(dir).unwrap();
    let date = format!("@{epoch} +0000");
    let git = |args: &[&str]| {
        cli::tool_ok(
            cli::tool("git")
                .args(args)
                .current_dir(dir)
                .env("GIT_AUTHOR_DATE", &date)
                .env("GIT_COMMITTER_DATE", &date)
                .env("GIT_AUTHOR_NAME", "t")
                .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
                .env("GIT_COMMITTER_NAME", "t")
                .env("GIT_COMMITTER_EMAIL", "t@example.invalid"),
        )
    };
    git(&["init", "-q"]);
    git(&["commit", "-q", "--allow-empty", "-m", "pinned"]);
}
