//! Helpers shared by the hostile-input tests (`hostile::`): run the CLI under a watchdog and a memory limit,
//! check the one-line refusal, prove nothing was written outside the destination, and craft
//! ISO images byte by byte (so every field can be made hostile).

use super::cli::{run_cli, Run};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Run the CLI and require a refusal: exit 1 (never 101, never a signal), no panic, and a first
/// stderr line `error: ...` that contains every one of `needles`.
pub fn refused(cwd: &Path, args: &[&std::ffi::OsStr], needles: &[&str]) -> Run {
    let run = run_cli(cwd, args);
    assert_eq!(
        run.code,
        Some(1),
        "aero-recipe {args:?} should fail with exit 1\nstderr:\n{}",
        run.stderr
    );
    assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    let first = reason(&run.stderr);
    assert!(first.starts_with("error:"), "first stderr line: {first}");
    for n in needles {
        assert!(
            first.contains(n),
            "expected `{n}` in the reason:\n{first}\n(full stderr:\n{})",
            run.stderr
        );
    }
    run
}

/// The one-line reason at the top of the CLI's diagnostic: its first line, with the
/// continuation lines (`  │ ...`) the renderer wraps a long message into joined back.
pub fn reason(stderr: &str) -> String {
    let mut lines = stderr.lines().skip_while(|l| l.trim().is_empty());
    let mut out = lines.next().unwrap_or("").to_string();
    for l in lines {
        match l.strip_prefix("  │ ") {
            Some(rest) => {
                out.push(' ');
                out.push_str(rest);
            }
            None => break,
        }
    }
    out
}

/// A scratch area: `root/in` for inputs, `root/cwd` as the working directory, `root/dest` as
/// the only place the CLI may write, and a snapshot of everything else.
pub struct Sandbox {
    /// Kept alive for the duration of the test.
    pub tmp: tempfile::TempDir,
}

impl Sandbox {
    /// A fresh sandbox with empty `in` and `cwd` directories.
    pub fn new() -> Sandbox {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::create_dir(tmp.path().join("in")).unwrap();
        std::fs::create_dir(tmp.path().join("cwd")).unwrap();
        Sandbox { tmp }
    }

    /// The sandbox root.
    pub fn root(&self) -> &Path {
        self.tmp.path()
    }

    /// `in/<name>`.
    pub fn input(&self, name: &str) -> PathBuf {
        self.root().join("in").join(name)
    }

    /// The working directory for the CLI.
    pub fn cwd(&self) -> PathBuf {
        self.root().join("cwd")
    }

    /// The extraction destination.
    pub fn dest(&self) -> PathBuf {
        self.root().join("dest")
    }

    /// Every path below the root except `dest`, with a content hash for files, the target for
    /// symlinks.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, String> {
        let mut out = BTreeMap::new();
        let dest = self.dest();
        for e in walkdir::WalkDir::new(self.root())
            .into_iter()
            .filter_entry(|e| e.path() != dest)
        {
            let e = e.unwrap();
            let kind = if e.path_is_symlink() {
                format!("symlink -> {:?}", std::fs::read_link(e.path()).unwrap())
            } else if e.file_type().is_dir() {
                "dir".to_string()
            } else {
                aero_recipe::hash::sha256_file(e.path()).unwrap().0
            };
            out.insert(e.path().to_path_buf(), kind);
        }
        out
    }

    /// Assert that the destination holds only plain files and directories (no symlink, nothing
    /// else), if it exists at all.
    pub fn dest_is_plain(&self) {
        if !self.dest().exists() {
            return;
        }
        for e in walkdir::WalkDir::new(self.dest()) {
            let e = e.unwrap();
            let t = e.file_type();
            assert!(
                t.is_dir() || t.is_file(),
                "{} is neither a file nor a directory",
                e.path().display()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Crafted ISO 9660 images.

/// Sector size.
pub const SECTOR: usize = 2048;

/// A node of a crafted image.
#[derive(Clone)]
pub enum Node {
    /// A directory and its children.
    Dir(Vec<Child>),
    /// A file and its bytes.
    File(Vec<u8>),
    /// A Rock Ridge symbolic link (`PX` with the link mode, `SL` with the target).
    Symlink(String),
}

/// A named child of a directory.
#[derive(Clone)]
pub struct Child {
    /// The ISO 9660 identifier (file names get `;1` appended).
    pub id: Vec<u8>,
    /// The Rock Ridge `NM` name, when the image has Rock Ridge.
    pub nm: Option<Vec<u8>>,
    /// What it is.
    pub node: Node,
}

/// A child whose identifier is `id` (plain ISO 9660).
pub fn child(id: &str, node: Node) -> Child {
    Child {
        id: id.as_bytes().to_vec(),
        nm: None,
        node,
    }
}

/// A child named `name` through Rock Ridge `NM` (its ISO 9660 identifier is a neutral `id`).
pub fn rr_child(id: &str, name: &[u8], node: Node) -> Child {
    Child {
        id: id.as_bytes().to_vec(),
        nm: Some(name.to_vec()),
        node,
    }
}

/// A crafted image and where its structures are, for patching.
pub struct Crafted {
    /// The image.
    pub bytes: Vec<u8>,
    /// Directory path (`""` for the root, `a/b`) -> (first block, length in bytes).
    pub dirs: BTreeMap<String, (u32, u32)>,
    /// Path of every named record -> byte offset of its directory record.
    pub records: BTreeMap<String, usize>,
}

impl Crafted {
    /// Set the extent (block) of the record of `path`.
    pub fn set_extent(&mut self, path: &str, block: u32) {
        let at = self.records[path];
        put_both32(&mut self.bytes, at + 2, block);
    }

    /// Set the data length of the record of `path`.
    pub fn set_len(&mut self, path: &str, len: u32) {
        let at = self.records[path];
        put_both32(&mut self.bytes, at + 10, len);
    }

    /// Write the image to `path`.
    pub fn write(&self, path: &Path) {
        std::fs::write(path, &self.bytes).unwrap();
    }
}

fn put_both32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    b[at + 4..at + 8].copy_from_slice(&v.to_be_bytes());
}

fn both32(v: u32) -> [u8; 8] {
    let mut out = [0u8; 8];
    put_both32(&mut out, 0, v);
    out
}

fn su_entry(sig: &[u8; 2], body: &[u8]) -> Vec<u8> {
    let mut e = vec![sig[0], sig[1], (4 + body.len()) as u8, 1];
    e.extend_from_slice(body);
    e
}

/// A Rock Ridge `NM` entry (flags 0).
pub fn nm_entry(name: &[u8]) -> Vec<u8> {
    let mut body = vec![0u8];
    body.extend_from_slice(name);
    su_entry(b"NM", &body)
}

/// A directory record: `extent`, `len`, `flags`, identifier `id`, system use `su`.
fn record(extent: u32, len: u32, flags: u8, id: &[u8], su: &[u8]) -> Vec<u8> {
    let pad = usize::from(id.len() % 2 == 0);
    let total = 33 + id.len() + pad + su.len();
    let total = total + total % 2;
    assert!(total <= 255, "record too long");
    let mut r = Vec::with_capacity(total);
    r.push(total as u8);
    r.push(0);
    r.extend_from_slice(&both32(extent));
    r.extend_from_slice(&both32(len));
    r.extend_from_slice(&[100, 1, 1, 0, 0, 0, 0]);
    r.push(flags);
    r.extend_from_slice(&[0, 0]);
    r.extend_from_slice(&[1, 0, 0, 1]);
    r.push(id.len() as u8);
    r.extend_from_slice(id);
    if pad == 1 {
        r.push(0);
    }
    r.extend_from_slice(su);
    r.resize(total, 0);
    r
}

/// The system use bytes of a named record.
fn child_su(c: &Child, rock_ridge: bool) -> Vec<u8> {
    let mut su = Vec::new();
    if !rock_ridge {
        return su;
    }
    if let Some(nm) = &c.nm {
        su.extend(nm_entry(nm));
    }
    if let Node::Symlink(target) = &c.node {
        let mut px = Vec::new();
        for v in [0o120_777u32, 1, 0, 0] {
            px.extend_from_slice(&both32(v));
        }
        su.extend(su_entry(b"PX", &px));
        // One component record: flags 0, length, content.
        let mut sl = vec![0u8, 0, target.len() as u8];
        sl.extend_from_slice(target.as_bytes());
        su.extend(su_entry(b"SL", &sl));
    }
    su
}

/// Records of one directory laid out in sectors (a record never crosses a sector boundary).
fn dir_bytes(records: &[Vec<u8>]) -> (Vec<u8>, Vec<usize>) {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    for r in records {
        let used = out.len() % SECTOR;
        if used + r.len() > SECTOR {
            out.resize(out.len() + SECTOR - used, 0);
        }
        offsets.push(out.len());
        out.extend_from_slice(r);
    }
    let n = out.len().div_ceil(SECTOR).max(1);
    out.resize(n * SECTOR, 0);
    (out, offsets)
}

/// Build a plain ISO 9660 image (with Rock Ridge `SP`, `NM`, `PX`, `SL` entries when
/// `rock_ridge`) holding `root`. Directories come first, then file data, one extent per file.
pub fn craft(root: &[Child], rock_ridge: bool) -> Crafted {
    // Pass 1: directory sizes (records do not depend on extents for their length).
    struct DirInfo {
        path: String,
        children: Vec<Child>,
        parent: usize,
    }
    let mut dirs: Vec<DirInfo> = vec![DirInfo {
        path: String::new(),
        children: root.to_vec(),
        parent: 0,
    }];
    let mut i = 0;
    while i < dirs.len() {
        let kids = dirs[i].children.clone();
        for c in &kids {
            if let Node::Dir(grand) = &c.node {
                let name = String::from_utf8_lossy(c.nm.as_ref().unwrap_or(&c.id)).into_owned();
                let path = join(&dirs[i].path, &name);
                dirs.push(DirInfo {
                    path,
                    children: grand.clone(),
                    parent: i,
                });
            }
        }
        i += 1;
    }
    let sp = su_entry(b"SP", &[0xBE, 0xEF, 0]);
    let dot_su = |is_root: bool| {
        if rock_ridge && is_root {
            sp.clone()
        } else {
            Vec::new()
        }
    };
    let mut sizes = Vec::new();
    for (n, d) in dirs.iter().enumerate() {
        let mut recs = vec![
            record(0, 0, 2, &[0], &dot_su(n == 0)),
            record(0, 0, 2, &[1], &[]),
        ];
        for c in &d.children {
            recs.push(record(0, 0, 0, &ident(c), &child_su(c, rock_ridge)));
        }
        sizes.push(dir_bytes(&recs).0.len());
    }
    // Blocks: 0-15 system area, 16 primary descriptor, 17 terminator, then directories.
    let mut next = 18u32;
    let mut extents = Vec::new();
    for s in &sizes {
        extents.push(next);
        next += (s / SECTOR) as u32;
    }
    let mut file_blocks: BTreeMap<(usize, usize), (u32, u32)> = BTreeMap::new();
    for (n, d) in dirs.iter().enumerate() {
        for (k, c) in d.children.iter().enumerate() {
            if let Node::File(data) = &c.node {
                if data.is_empty() {
                    file_blocks.insert((n, k), (0, 0));
                } else {
                    file_blocks.insert((n, k), (next, data.len() as u32));
                    next += data.len().div_ceil(SECTOR) as u32;
                }
            }
        }
    }
    let mut img = vec![0u8; next as usize * SECTOR];
    let mut out_dirs = BTreeMap::new();
    let mut records = BTreeMap::new();
    // Pass 2: records with their extents.
    let mut sub_index = 1;
    let mut child_dir_of: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (n, d) in dirs.iter().enumerate() {
        for (k, c) in d.children.iter().enumerate() {
            if matches!(c.node, Node::Dir(_)) {
                child_dir_of.insert((n, k), sub_index);
                sub_index += 1;
            }
        }
    }
    for (n, d) in dirs.iter().enumerate() {
        let me = (extents[n], sizes[n] as u32);
        let parent = (extents[d.parent], sizes[d.parent] as u32);
        let mut recs = vec![
            record(me.0, me.1, 2, &[0], &dot_su(n == 0)),
            record(parent.0, parent.1, 2, &[1], &[]),
        ];
        let mut names = Vec::new();
        for (k, c) in d.children.iter().enumerate() {
            let (extent, len, flags) = match &c.node {
                Node::Dir(_) => {
                    let j = child_dir_of[&(n, k)];
                    (extents[j], sizes[j] as u32, 2)
                }
                Node::File(_) => {
                    let (b, l) = file_blocks[&(n, k)];
                    (b, l, 0)
                }
                Node::Symlink(_) => (0, 0, 0),
            };
            recs.push(record(
                extent,
                len,
                flags,
                &ident(c),
                &child_su(c, rock_ridge),
            ));
            let name = String::from_utf8_lossy(c.nm.as_ref().unwrap_or(&c.id)).into_owned();
            names.push(join(&d.path, &name));
        }
        let (bytes, offsets) = dir_bytes(&recs);
        let base = extents[n] as usize * SECTOR;
        img[base..base + bytes.len()].copy_from_slice(&bytes);
        for (name, off) in names.into_iter().zip(offsets.into_iter().skip(2)) {
            records.insert(name, base + off);
        }
        out_dirs.insert(d.path.clone(), me);
        for (k, c) in d.children.iter().enumerate() {
            if let Node::File(data) = &c.node {
                let (b, _) = file_blocks[&(n, k)];
                let at = b as usize * SECTOR;
                img[at..at + data.len()].copy_from_slice(data);
            }
        }
    }
    // Primary volume descriptor and terminator.
    let pvd = &mut img[16 * SECTOR..17 * SECTOR];
    pvd[0] = 1;
    pvd[1..6].copy_from_slice(b"CD001");
    pvd[6] = 1;
    pvd[8..40].fill(b' ');
    pvd[40..72].fill(b' ');
    pvd[40..47].copy_from_slice(b"HOSTILE");
    pvd[80..88].copy_from_slice(&both32(next));
    pvd[120..124].copy_from_slice(&[1, 0, 0, 1]);
    pvd[124..128].copy_from_slice(&[1, 0, 0, 1]);
    pvd[128..132].copy_from_slice(&[0, 8, 8, 0]);
    let root_rec = record(extents[0], sizes[0] as u32, 2, &[0], &[]);
    pvd[156..156 + 34].copy_from_slice(&root_rec[..34]);
    pvd[881] = 1;
    let term = &mut img[17 * SECTOR..18 * SECTOR];
    term[0] = 255;
    term[1..6].copy_from_slice(b"CD001");
    term[6] = 1;
    Crafted {
        bytes: img,
        dirs: out_dirs,
        records,
    }
}

fn ident(c: &Child) -> Vec<u8> {
    match c.node {
        Node::Dir(_) => c.id.clone(),
        _ => {
            let mut id = c.id.clone();
            id.extend_from_slice(b";1");
            id
        }
    }
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}
