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

/// Sector size of every image.
pub const BLOCK: usize = 2048;

/// Little-endian u32 at `at`.
pub fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

/// Write `v` both-endian (little then big) at `at`.
pub fn put_both32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    b[at + 4..at + 8].copy_from_slice(&v.to_be_bytes());
}

/// A directory record found by [`records`].
#[derive(Debug, Clone)]
pub struct FoundRecord {
    /// `primary` or `joliet`.
    pub tree: &'static str,
    /// Path from the root, version suffix removed (`config/devices.cmd`; ISO 9660 names are
    /// the plain identifiers).
    pub path: String,
    /// Byte offset of the record in the image.
    pub offset: usize,
}

/// The volume descriptor of `tree` (`primary` or `joliet`): its byte offset in the image.
pub fn descriptor(img: &[u8], tree: &str) -> usize {
    (16..64)
        .map(|n| n * BLOCK)
        .find(|&at| match tree {
            "primary" => img[at] == 1,
            _ => img[at] == 2 && img[at + 88..at + 90] == *b"%/",
        })
        .unwrap_or_else(|| panic!("no {tree} volume descriptor"))
}

/// Every named record of the primary and Joliet trees, read independently of the tool's
/// reader (identifiers only: no Rock Ridge), for patching images in tests.
pub fn records(img: &[u8]) -> Vec<FoundRecord> {
    let mut out = Vec::new();
    for tree in ["primary", "joliet"] {
        let vd = descriptor(img, tree);
        let root = vd + 156;
        let mut stack = vec![(String::new(), le32(img, root + 2), le32(img, root + 10))];
        while let Some((dir, extent, len)) = stack.pop() {
            let start = extent as usize * BLOCK;
            let mut pos = start;
            while pos < start + len as usize {
                let n = img[pos] as usize;
                if n == 0 {
                    pos = (pos / BLOCK + 1) * BLOCK;
                    continue;
                }
                let id = &img[pos + 33..pos + 33 + img[pos + 32] as usize];
                if id != [0] && id != [1] {
                    let name = if tree == "joliet" {
                        let units: Vec<u16> = id
                            .chunks_exact(2)
                            .map(|p| u16::from_be_bytes([p[0], p[1]]))
                            .collect();
                        String::from_utf16_lossy(&units)
                    } else {
                        String::from_utf8_lossy(id).into_owned()
                    };
                    let name = name.split(';').next().unwrap().to_string();
                    let path = if dir.is_empty() {
                        name
                    } else {
                        format!("{dir}/{name}")
                    };
                    if img[pos + 25] & 2 != 0 {
                        stack.push((path.clone(), le32(img, pos + 2), le32(img, pos + 10)));
                    }
                    out.push(FoundRecord {
                        tree,
                        path,
                        offset: pos,
                    });
                }
                pos += n;
            }
        }
    }
    out
}

/// The record of `path` (case-insensitive) in `tree`.
pub fn record(img: &[u8], tree: &str, path: &str) -> FoundRecord {
    records(img)
        .into_iter()
        .find(|r| {
            // Plain ISO 9660 names of files without an extension end with `.`.
            let p = r.path.strip_suffix('.').unwrap_or(&r.path);
            r.tree == tree && p.eq_ignore_ascii_case(path)
        })
        .unwrap_or_else(|| panic!("no record of {path} in the {tree} tree"))
}
