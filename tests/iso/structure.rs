//! ECMA-119 structure of written images, checked by an independent parser in this file: path
//! tables (L and M, primary and Joliet) in level order sorted by parent number then name and
//! matching the directory records; directory records sorted by identifier and never crossing
//! a block. The same checks run on an xorriso image to show the checker accepts a reference.

use std::cmp::Ordering;
use std::path::Path;

use crate::util::iso::*;
use crate::util::*;

const SECTOR: usize = 2048;

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

#[derive(Debug, Clone, PartialEq)]
struct PtEntry {
    id: Vec<u8>,
    extent: u32,
    parent: u16,
}

fn path_table(img: &[u8], vd: &[u8], big: bool) -> Vec<PtEntry> {
    let size = le32(vd, 132) as usize;
    let loc = if big { be32(vd, 148) } else { le32(vd, 140) } as usize;
    let t = &img[loc * SECTOR..loc * SECTOR + size];
    let mut out = Vec::new();
    let mut i = 0;
    while i < t.len() {
        let n = t[i] as usize;
        let (extent, parent) = if big {
            (be32(t, i + 2), u16::from_be_bytes([t[i + 6], t[i + 7]]))
        } else {
            (le32(t, i + 2), u16::from_le_bytes([t[i + 6], t[i + 7]]))
        };
        out.push(PtEntry {
            id: t[i + 8..i + 8 + n].to_vec(),
            extent,
            parent,
        });
        i += 8 + n + n % 2;
    }
    out
}

#[derive(Debug)]
struct Rec {
    id: Vec<u8>,
    extent: u32,
    len: u32,
    is_dir: bool,
}

/// Records of the directory at `extent` (`len` bytes), checking that none crosses a block.
fn records(img: &[u8], extent: u32, len: u32) -> Vec<Rec> {
    let start = extent as usize * SECTOR;
    let end = start + len as usize;
    let mut out = Vec::new();
    let mut pos = start;
    while pos < end {
        let n = img[pos] as usize;
        if n == 0 {
            pos = (pos / SECTOR + 1) * SECTOR;
            continue;
        }
        assert!(
            (pos % SECTOR) + n <= SECTOR,
            "a directory record crosses a block boundary at byte {pos}"
        );
        let r = &img[pos..pos + n];
        let id_len = r[32] as usize;
        out.push(Rec {
            id: r[33..33 + id_len].to_vec(),
            extent: le32(r, 2),
            len: le32(r, 10),
            is_dir: r[25] & 2 != 0,
        });
        pos += n;
    }
    out
}

/// ECMA-119 9.3: name then extension, each padded with spaces, for primary identifiers.
fn ecma_cmp(a: &[u8], b: &[u8]) -> Ordering {
    fn parts(id: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let id = id.split(|&c| c == b';').next().unwrap();
        let mut it = id.splitn(2, |&c| c == b'.');
        let name = it.next().unwrap().to_vec();
        let ext = it.next().unwrap_or(&[]).to_vec();
        (name, ext)
    }
    fn padded(a: &[u8], b: &[u8]) -> Ordering {
        let n = a.len().max(b.len());
        let pa = a.iter().copied().chain(std::iter::repeat(b' ')).take(n);
        let pb = b.iter().copied().chain(std::iter::repeat(b' ')).take(n);
        pa.cmp(pb)
    }
    let (na, ea) = parts(a);
    let (nb, eb) = parts(b);
    padded(&na, &nb).then_with(|| padded(&ea, &eb))
}

/// Check one tree (the descriptor at `vd_block`); returns the number of directories.
fn check_tree(img: &[u8], vd_block: usize, joliet: bool) -> usize {
    let what = if joliet { "Joliet" } else { "primary" };
    let vd = &img[vd_block * SECTOR..(vd_block + 1) * SECTOR];
    let l = path_table(img, vd, false);
    let m = path_table(img, vd, true);
    assert_eq!(l, m, "{what}: L and M path tables differ");
    let root = (le32(vd, 158), le32(vd, 166));
    assert_eq!(
        (l[0].id.as_slice(), l[0].extent, l[0].parent),
        (&[0u8][..], root.0, 1)
    );

    let cmp = |a: &[u8], b: &[u8]| if joliet { a.cmp(b) } else { ecma_cmp(a, b) };
    let mut level = vec![1usize];
    let mut lens = vec![root.1];
    for (i, e) in l.iter().enumerate().skip(1) {
        let p = e.parent as usize;
        assert!(p >= 1 && p <= i, "{what}: entry {} has parent {p}", i + 1);
        level.push(level[p - 1] + 1);
        let prev = &l[i - 1];
        let order = level[i - 1]
            .cmp(&level[i])
            .then((prev.parent).cmp(&e.parent))
            .then_with(|| {
                if i == 1 {
                    Ordering::Less
                } else {
                    cmp(&prev.id, &e.id)
                }
            });
        assert_eq!(
            order,
            Ordering::Less,
            "{what}: path table entries {} and {} are not in level order",
            i,
            i + 1
        );
        // The entry must match a directory record in its parent's extent.
        let parent = &l[p - 1];
        let rec = records(img, parent.extent, lens[p - 1])
            .into_iter()
            .find(|r| r.id == e.id && r.is_dir)
            .unwrap_or_else(|| {
                panic!("{what}: no directory record for path table entry {}", i + 1)
            });
        assert_eq!(
            rec.extent, e.extent,
            "{what}: path table extent differs from the record"
        );
        lens.push(rec.len);
    }

    // Directory records: `.` and `..` first, then strictly sorted; every directory is in the
    // path table.
    let mut dirs_seen = 1;
    for (e, len) in l.iter().zip(&lens) {
        let recs = records(img, e.extent, *len);
        assert_eq!(recs[0].id, [0]);
        assert_eq!(recs[1].id, [1]);
        for w in recs[2..].windows(2) {
            assert_eq!(
                cmp(&w[0].id, &w[1].id),
                Ordering::Less,
                "{what}: records {:?} and {:?} are not sorted",
                String::from_utf8_lossy(&w[0].id),
                String::from_utf8_lossy(&w[1].id)
            );
        }
        dirs_seen += recs[2..].iter().filter(|r| r.is_dir).count();
    }
    assert_eq!(
        dirs_seen,
        l.len(),
        "{what}: directories missing from the path table"
    );
    l.len()
}

fn fixture(root: &Path) {
    let mut files = Vec::new();
    // Names whose primary, Joliet and original orders differ, at several levels.
    for d in [
        "a-b",
        "a_b2",
        "aB",
        "A.dir",
        "zeta",
        "Ω",
        "mid/a-b",
        "mid/ab",
        "mid/A.b/c-d/e",
    ] {
        for f in [
            "x.txt",
            "X-1.TXT",
            "x",
            "long-file-name-number-one.inf",
            "é.cat",
        ] {
            files.push((format!("{d}/{f}"), d.as_bytes().to_vec()));
        }
    }
    write_tree(root, &files, &["empty", "mid/empty2"]);
}

#[test]
fn path_tables_and_records_are_ordered() {
    let tmp = tempdir();
    let src = tmp.path().join("src");
    fixture(&src);

    let ours = tmp.path().join("ours.iso");
    create(&src, &ours, "ORDER", 0);
    let img = std::fs::read(&ours).unwrap();
    assert_eq!(img[16 * SECTOR], 1, "primary descriptor at block 16");
    assert_eq!(img[17 * SECTOR], 2, "Joliet descriptor at block 17");
    let n = check_tree(&img, 16, false);
    assert_eq!(check_tree(&img, 17, true), n);
    assert_eq!(n, 15, "root + 14 directories");

    // The checker itself accepts a reference image.
    let reference = tmp.path().join("xorriso.iso");
    ok(tool("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-J", "-R", "-o"])
        .arg(&reference)
        .arg(&src));
    let img = std::fs::read(&reference).unwrap();
    let mut blocks = (16..).take_while(|b| img[b * SECTOR] != 255);
    let (p, j) = (blocks.next().unwrap(), blocks.next().unwrap());
    assert_eq!(check_tree(&img, p, false), check_tree(&img, j, true));
}
