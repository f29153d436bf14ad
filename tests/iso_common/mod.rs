//! Helpers shared by the `iso_*` integration tests: running the CLI and the external oracles,
//! building fixture trees, and hashing trees for comparison.
#![allow(dead_code)] // each test file uses a different subset

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The aero-recipe binary under test.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aero-recipe"))
}

/// A command for an external oracle; panics with a clear message when it is not installed.
/// `sbin` directories are searched too (blkid lives there and is not on a user's PATH).
pub fn tool(name: &str) -> Command {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/sbin", "/sbin"].map(PathBuf::from));
    let found = dirs.iter().map(|d| d.join(name)).find(|p| p.is_file());
    let Some(path) = found else {
        panic!("`{name}` is not installed; it is needed as a test oracle: run scripts/install-deps")
    };
    Command::new(path)
}

/// Run `cmd`, require success, return stdout.
pub fn ok(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Run `cmd` and return its output whatever the status.
pub fn output(cmd: &mut Command) -> Output {
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"))
}

/// `aero-recipe iso create DIR ISO` with SOURCE_DATE_EPOCH = `sde`.
pub fn create(dir: &Path, iso: &Path, volume_id: &str, sde: i64) {
    ok(bin()
        .args(["iso", "create"])
        .arg(dir)
        .arg(iso)
        .args(["--volume-id", volume_id])
        .env("SOURCE_DATE_EPOCH", sde.to_string()));
}

/// `aero-recipe iso ls ISO` as a list of lines.
pub fn ls(iso: &Path) -> Vec<String> {
    let out = ok(bin().args(["iso", "ls"]).arg(iso));
    String::from_utf8(out)
        .expect("iso ls prints UTF-8")
        .lines()
        .map(str::to_string)
        .collect()
}

/// Write `files` (path, content) and `dirs` below `root`, in the given order.
pub fn write_tree(root: &Path, files: &[(String, Vec<u8>)], dirs: &[&str]) {
    for d in dirs {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    for (p, content) in files {
        let path = root.join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

/// Every file (`path -> sha256`) and directory (`path/ -> "dir"`) below `root`.
pub fn hash_tree(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for e in walkdir::WalkDir::new(root).min_depth(1) {
        let e = e.unwrap();
        let rel = e
            .path()
            .strip_prefix(root)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        if e.file_type().is_dir() {
            out.insert(format!("{rel}/"), "dir".to_string());
        } else {
            let (h, _) = aero_recipe::hash::sha256_file(e.path()).unwrap();
            out.insert(rel, h);
        }
    }
    out
}

/// Files (`/path`) and directories (`/path/`) below `root`, as the ISO listings show them.
pub fn tree_paths(root: &Path) -> (Vec<String>, Vec<String>) {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for p in hash_tree(root).keys() {
        match p.strip_suffix('/') {
            Some(d) => dirs.push(format!("/{d}")),
            None => files.push(format!("/{p}")),
        }
    }
    files.sort();
    dirs.sort();
    (files, dirs)
}

/// A temporary directory.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

/// Paths `a` and `b` joined.
pub fn join(a: &Path, b: &str) -> PathBuf {
    a.join(b)
}

/// Make a tree extracted with Rock Ridge modes (read-only dirs) deletable again, so the
/// temporary directory can be removed by a non-root user.
pub fn make_writable(root: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for e in walkdir::WalkDir::new(root) {
        let e = e.unwrap();
        let mode = if e.file_type().is_dir() { 0o755 } else { 0o644 };
        std::fs::set_permissions(e.path(), std::fs::Permissions::from_mode(mode)).unwrap();
    }
}
