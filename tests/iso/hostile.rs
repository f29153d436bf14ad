//! Damaged and hostile images: each must give exit 1 and a message naming the problem, never
//! a panic (exit 101) and never a hang. Fixtures are made by patching generated images.

use std::path::Path;

use crate::util::iso::*;
use crate::util::*;

const SECTOR: usize = 2048;

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().unwrap())
}

fn put_both32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    b[at + 4..at + 8].copy_from_slice(&v.to_be_bytes());
}

/// Byte offsets of the records in the root directory of the volume descriptor at `vd_block`,
/// with the root's own extent.
fn root_records(img: &[u8], vd_block: usize) -> (u32, Vec<usize>) {
    let vd = &img[vd_block * SECTOR..];
    let root = le32(vd, 156 + 2);
    let len = le32(vd, 156 + 10) as usize;
    let start = root as usize * SECTOR;
    let mut out = Vec::new();
    let mut pos = start;
    while pos < start + len {
        let n = img[pos] as usize;
        if n == 0 {
            pos = (pos / SECTOR + 1) * SECTOR;
            continue;
        }
        out.push(pos);
        pos += n;
    }
    (root, out)
}

/// Apply `patch(image, record offset, root extent)` to the root records of every tree (the
/// primary descriptor at block 16 and the Joliet one at 17) that `pick` selects.
fn patch_roots(iso: &Path, pick: impl Fn(&[u8]) -> bool, patch: impl Fn(&mut [u8], usize, u32)) {
    let mut img = std::fs::read(iso).unwrap();
    let mut patched = 0;
    for vd in [16, 17] {
        let (root, records) = root_records(&img, vd);
        for r in records {
            if pick(&img[r..]) {
                patch(&mut img, r, root);
                patched += 1;
            }
        }
    }
    assert!(patched >= 2, "the fixture lacks the record to patch");
    std::fs::write(iso, img).unwrap();
}

/// Not the `.` or `..` record.
fn is_named(r: &[u8]) -> bool {
    !(r[32] == 1 && r[33] <= 1)
}

fn is_dir_record(r: &[u8]) -> bool {
    r[25] & 2 != 0 && is_named(r)
}

fn is_file_record(r: &[u8]) -> bool {
    r[25] & 2 == 0 && is_named(r)
}

/// A small image from this tool with a subdirectory, files and a name whose Rock Ridge entry
/// needs a continuation area (60 CJK characters are 180 bytes of UTF-8).
fn image(tmp: &Path) -> std::path::PathBuf {
    let src = tmp.join("src");
    write_tree(
        &src,
        &[
            ("sub/inner.txt".to_string(), b"inner".to_vec()),
            ("file.bin".into(), vec![1u8; 10_000]),
            (format!("{}.txt", "名".repeat(60)), b"long".to_vec()),
        ],
        &[],
    );
    let iso = tmp.join("t.iso");
    create(&src, &iso, "T", 0);
    iso
}

/// Run `iso ls` and `iso extract`: both must exit 1 with a message containing `needle`.
fn refused(iso: &Path, needle: &str) {
    let dest = iso.with_extension("out");
    for args in [vec!["ls"], vec!["extract"]] {
        let mut cmd = aero();
        cmd.arg("iso").args(&args).arg(iso);
        if args[0] == "extract" {
            cmd.arg(&dest);
        }
        let out = output(&mut cmd);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: expected `{needle}` in:\n{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
    }
}

#[test]
fn truncated_images() {
    let tmp = tempdir();
    let iso = image(tmp.path());
    let full = std::fs::read(&iso).unwrap();

    let inside_descriptors = tmp.path().join("vd.iso");
    std::fs::write(&inside_descriptors, &full[..16 * SECTOR + 100]).unwrap();
    refused(&inside_descriptors, "truncated");

    let inside_data = tmp.path().join("data.iso");
    std::fs::write(&inside_data, &full[..full.len() - 3 * SECTOR]).unwrap();
    refused(&inside_data, "past the end of the image");

    let empty = tmp.path().join("empty.iso");
    std::fs::write(&empty, b"").unwrap();
    refused(&empty, "truncated");

    let not_iso = tmp.path().join("zeros.iso");
    std::fs::write(&not_iso, vec![0u8; 40 * SECTOR]).unwrap();
    refused(&not_iso, "not an ISO 9660 image");
}

#[test]
fn directory_pointing_at_its_parent_is_a_loop() {
    let tmp = tempdir();
    let iso = image(tmp.path());
    patch_roots(&iso, is_dir_record, |img, r, root| {
        put_both32(img, r + 2, root)
    });
    refused(&iso, "directory loop");
}

#[test]
fn extent_past_the_end() {
    let tmp = tempdir();
    let iso = image(tmp.path());
    patch_roots(&iso, is_file_record, |img, r, _| {
        put_both32(img, r + 2, 0x00F0_0000)
    });
    refused(&iso, "past the end of the image");
}

#[test]
fn huge_directory_size_is_refused() {
    let tmp = tempdir();
    let iso = image(tmp.path());
    patch_roots(&iso, is_dir_record, |img, r, _| {
        put_both32(img, r + 10, 0xFFFF_0000)
    });
    refused(&iso, "refusing");
}

#[test]
fn continuation_area_outside_the_image() {
    let tmp = tempdir();
    let iso = image(tmp.path());
    let mut img = std::fs::read(&iso).unwrap();
    let mut patched = 0;
    for at in 0..img.len() - 28 {
        if &img[at..at + 4] == b"CE\x1c\x01" {
            put_both32(&mut img, at + 4, 0x0FFF_FFFF);
            patched += 1;
        }
    }
    assert!(
        patched >= 2,
        "expected the root's and the long name's CE entries"
    );
    std::fs::write(&iso, img).unwrap();
    refused(&iso, "continuation area");
}

#[test]
fn names_that_escape_are_refused() {
    // A plain ISO 9660 image (no Joliet, no Rock Ridge) whose file identifier says `..`.
    let tmp = tempdir();
    let src = tmp.path().join("src");
    write_tree(&src, &[("AB.TXT".to_string(), b"x".to_vec())], &[]);
    let iso = tmp.path().join("p.iso");
    ok(tool("genisoimage")
        .arg("-quiet")
        .arg("-o")
        .arg(&iso)
        .arg(&src));
    let mut img = std::fs::read(&iso).unwrap();
    let (_, records) = root_records(&img, 16);
    let r = *records
        .iter()
        .find(|&&r| &img[r + 33..r + 33 + 8] == b"AB.TXT;1")
        .expect("AB.TXT;1 in the root");
    img[r + 32] = 4;
    img[r + 33..r + 37].copy_from_slice(b"..;1");
    std::fs::write(&iso, img).unwrap();
    refused(&iso, "points outside its directory");
}

#[test]
fn random_damage_never_panics() {
    use aero_recipe::media::iso::IsoReader;
    let tmp = tempdir();
    let iso = image(tmp.path());
    let clean = std::fs::read(&iso).unwrap();
    // Damage only the metadata (descriptors, path tables, directories, continuation areas).
    let reader = IsoReader::open(&iso).unwrap();
    let data_start = reader
        .entries()
        .iter()
        .flat_map(|e| e.extents.iter().map(|x| x.offset as usize))
        .min()
        .unwrap();
    let damaged = tmp.path().join("damaged.iso");
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let (mut failed, mut opened) = (0, 0);
    // AERO_ISO_DAMAGE_ROUNDS raises the count for a longer local search.
    let rounds: usize = std::env::var("AERO_ISO_DAMAGE_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(800);
    for _ in 0..rounds {
        let mut img = clean.clone();
        for _ in 0..1 + next() % 4 {
            let at = 16 * SECTOR + (next() as usize) % (data_start - 16 * SECTOR);
            img[at] = next() as u8;
        }
        std::fs::write(&damaged, &img).unwrap();
        let result = std::panic::catch_unwind(|| {
            IsoReader::open(&damaged).map(|r| {
                for e in r.entries() {
                    assert!(!e.path.split('/').any(|c| c.is_empty() || c == ".."));
                }
            })
        });
        match result {
            Ok(Ok(())) => opened += 1,
            Ok(Err(_)) => failed += 1,
            Err(_) => panic!("the reader panicked on a damaged image"),
        }
    }
    assert!(failed > 0 && opened > 0, "failed {failed}, opened {opened}");
}
