//! Helpers shared by the ISO tests (`iso::`, `hostile::iso`): creating and listing images with
//! the CLI, building fixture trees, and hashing trees for comparison.

use super::*;
use std::collections::BTreeMap;
use std::path::Path;

/// `aero-recipe iso create DIR ISO` with SOURCE_DATE_EPOCH = `sde`.
pub fn create(dir: &Path, iso: &Path, volume_id: &str, sde: i64) {
    ok(aero()
        .args(["iso", "create"])
        .arg(dir)
        .arg(iso)
        .args(["--volume-id", volume_id])
        .env("SOURCE_DATE_EPOCH", sde.to_string()));
}

/// `aero-recipe iso ls ISO` as a list of lines.
pub fn ls(iso: &Path) -> Vec<String> {
    let out = ok(aero().args(["iso", "ls"]).arg(iso));
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
