//! The reader on images made by other tools: genisoimage and xorriso with `-r -iso-level 4`
//! (Rock Ridge + ISO 9660:1999, no Joliet, like the upstream virtio-win ISO), with `-J -R`,
//! the 1999 tree alone, and plain ISO 9660. Names must come out true (mixed case, long names
//! from `NM` entries in continuation areas) and extraction must reproduce the tree.

use std::path::Path;

use crate::util::iso::*;
use crate::util::*;
use aero_recipe::media::iso::{IsoReader, NameSource};

/// A name long enough that both tools put its `NM` entry in a continuation area.
fn long_name() -> String {
    format!("{}-End.Txt", "Long-Name".repeat(22))
}

fn fixture(root: &Path) {
    let files = vec![
        ("MixedCase.Txt".to_string(), b"mixed\n".to_vec()),
        (
            "viostor/w10/amd64/viostor.inf".into(),
            b"[Version]\n".to_vec(),
        ),
        ("viostor/w10/amd64/viostor.SYS".into(), vec![0xA5; 9000]),
        ("NetKVM/w10/ARM64/netkvm.inf".into(), b"net\n".to_vec()),
        ("data/info.json".into(), b"{}\n".to_vec()),
        ("data/Empty.bin".into(), Vec::new()),
        (format!("Deep/{}", long_name()), b"long\n".to_vec()),
        ("virtio-win_license.txt".into(), vec![b'L'; 5000]),
    ];
    write_tree(root, &files, &[]);
}

/// Whether the image holds a SUSP `CE` entry (signature, length 28, version 1).
fn has_continuation(iso: &Path) -> bool {
    std::fs::read(iso)
        .unwrap()
        .windows(4)
        .any(|w| w == b"CE\x1c\x01")
}

fn check_true_names(make: &str, args: &[&str], expect_ce: bool, names: NameSource) {
    let tmp = tempdir();
    let src = tmp.path().join("src");
    fixture(&src);
    let iso = tmp.path().join("made.iso");
    let (prog, rest) = args.split_first().unwrap();
    ok(tool(prog).args(rest).arg("-o").arg(&iso).arg(&src));
    if expect_ce {
        assert!(
            has_continuation(&iso),
            "{make}: the fixture should need a Rock Ridge continuation area"
        );
    }

    assert_eq!(
        IsoReader::open(&iso).unwrap().name_source(),
        names,
        "{make}"
    );
    let (files, _) = tree_paths(&src);
    assert_eq!(ls(&iso), files, "{make}: iso ls");

    let dest = tmp.path().join("x");
    ok(aero().args(["iso", "extract"]).arg(&iso).arg(&dest));
    assert_eq!(hash_tree(&dest), hash_tree(&src), "{make}: iso extract");

    // Selected paths: case-insensitive, directories select their subtree.
    let part = tmp.path().join("part");
    ok(aero()
        .args(["iso", "extract"])
        .arg(&iso)
        .arg(&part)
        .args(["/VIOSTOR/w10", "data/info.json"]));
    let got: Vec<String> = hash_tree(&part)
        .into_keys()
        .filter(|p| !p.ends_with('/'))
        .collect();
    assert_eq!(
        got,
        [
            "data/info.json",
            "viostor/w10/amd64/viostor.SYS",
            "viostor/w10/amd64/viostor.inf"
        ],
        "{make}: partial extract"
    );
}

#[test]
fn genisoimage_rock_ridge_level_4() {
    check_true_names(
        "genisoimage -r -iso-level 4",
        &[
            "genisoimage",
            "-quiet",
            "-r",
            "-iso-level",
            "4",
            "-input-charset",
            "iso8859-1",
        ],
        true,
        NameSource::RockRidge,
    );
}

#[test]
fn xorriso_rock_ridge_level_4() {
    check_true_names(
        "xorriso -as mkisofs -r -iso-level 4",
        &[
            "xorriso",
            "-as",
            "mkisofs",
            "-quiet",
            "-r",
            "-iso-level",
            "4",
        ],
        true,
        NameSource::RockRidge,
    );
}

#[test]
fn joliet_and_rock_ridge() {
    // Joliet truncates the long name at 64 characters; Rock Ridge keeps it.
    check_true_names(
        "genisoimage -J -R",
        &[
            "genisoimage",
            "-quiet",
            "-J",
            "-R",
            "-input-charset",
            "iso8859-1",
        ],
        true,
        NameSource::RockRidge,
    );
    check_true_names(
        "xorriso -as mkisofs -J -R",
        &["xorriso", "-as", "mkisofs", "-quiet", "-J", "-R"],
        true,
        NameSource::RockRidge,
    );
}

#[test]
fn iso9660_1999_tree_without_rock_ridge() {
    check_true_names(
        "genisoimage -iso-level 4",
        &[
            "genisoimage",
            "-quiet",
            "-iso-level",
            "4",
            "-input-charset",
            "iso8859-1",
        ],
        false,
        NameSource::Iso9660_1999,
    );
}

#[test]
fn plain_iso9660_names_match_isoinfo() {
    let tmp = tempdir();
    let src = tmp.path().join("src");
    fixture(&src);
    let iso = tmp.path().join("plain.iso");
    ok(tool("genisoimage")
        .args(["-quiet", "-input-charset", "iso8859-1", "-o"])
        .arg(&iso)
        .arg(&src));

    // isoinfo -f lists plain identifiers with `;1`; files are the entries with a version.
    let listing = String::from_utf8(ok(tool("isoinfo").args(["-f", "-i"]).arg(&iso))).unwrap();
    let mut want: Vec<(String, String)> = listing
        .lines()
        .filter_map(|l| l.strip_suffix(";1"))
        .map(|raw| {
            let shown = raw.strip_suffix('.').unwrap_or(raw).to_string();
            (shown, format!("{raw};1"))
        })
        .collect();
    want.sort();
    let shown: Vec<String> = want.iter().map(|(s, _)| s.clone()).collect();
    assert_eq!(ls(&iso), shown, "iso ls vs isoinfo -f");
    assert!(shown.contains(&"/MIXEDCAS.TXT".to_string()), "{shown:?}");

    // Every extracted file equals what isoinfo extracts for that record.
    let dest = tmp.path().join("x");
    ok(aero().args(["iso", "extract"]).arg(&iso).arg(&dest));
    for (shown, raw) in &want {
        let expect = ok(tool("isoinfo").args(["-x", raw, "-i"]).arg(&iso));
        let got = std::fs::read(dest.join(&shown[1..])).unwrap();
        assert!(
            got == expect,
            "{shown}: extracted bytes differ from isoinfo -x"
        );
    }
}

#[test]
fn joliet_without_rock_ridge() {
    // What Windows tools (oscdimg) produce: Joliet names, no Rock Ridge.
    let tmp = tempdir();
    let src = tmp.path().join("src");
    write_tree(
        &src,
        &[
            ("Setup.CMD".to_string(), b"@echo off\r\n".to_vec()),
            ("Drivers/AMD64/VioStor.inf".into(), b"inf".to_vec()),
            (
                "Drivers/AMD64/long-name-with-hyphens-0123456789.sys".into(),
                vec![3; 4097],
            ),
        ],
        &[],
    );
    let iso = tmp.path().join("j.iso");
    ok(tool("genisoimage")
        .args(["-quiet", "-J", "-input-charset", "iso8859-1", "-o"])
        .arg(&iso)
        .arg(&src));
    let reader = IsoReader::open(&iso).unwrap();
    assert_eq!(reader.name_source(), NameSource::Joliet);
    assert_eq!(ls(&iso), tree_paths(&src).0);
    let dest = tmp.path().join("x");
    ok(aero().args(["iso", "extract"]).arg(&iso).arg(&dest));
    assert_eq!(hash_tree(&dest), hash_tree(&src));
}

#[test]
fn files_of_an_image_go_onto_new_media_without_copying() {
    let tmp = tempdir();
    let src = tmp.path().join("src");
    fixture(&src);
    let upstream = tmp.path().join("upstream.iso");
    ok(tool("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-r", "-iso-level", "4", "-o"])
        .arg(&upstream)
        .arg(&src));
    let reader = IsoReader::open(&upstream).unwrap();
    let mut media = aero_recipe::media::Media::new();
    let n = reader
        .add_to_media(&mut media, "/VIOSTOR/W10", "drivers/viostor")
        .unwrap();
    assert_eq!(n, 2);
    reader
        .add_to_media(&mut media, "data/info.json", "info.json")
        .unwrap();
    let repacked = tmp.path().join("repacked.iso");
    let opts = aero_recipe::media::iso::IsoOptions {
        volume_id: "REPACK".into(),
        source_date_epoch: 0,
    };
    aero_recipe::media::iso::write_iso_file(&media, &repacked, &opts).unwrap();

    let dest = tmp.path().join("x");
    std::fs::create_dir(&dest).unwrap();
    ok(tool("bsdtar")
        .arg("-xf")
        .arg(&repacked)
        .arg("-C")
        .arg(&dest));
    let got = hash_tree(&dest);
    let want = hash_tree(&src.join("viostor/w10"));
    for (p, h) in &want {
        assert_eq!(got.get(&format!("drivers/viostor/{p}")), Some(h), "{p}");
    }
    assert_eq!(
        got.get("info.json"),
        hash_tree(&src.join("data")).get("info.json")
    );
}

#[test]
fn extraction_never_follows_symlinks_out_of_dest() {
    let tmp = tempdir();
    let src = tmp.path().join("src");
    fixture(&src);
    let iso = tmp.path().join("t.iso");
    ok(tool("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-r", "-o"])
        .arg(&iso)
        .arg(&src));
    let dest = tmp.path().join("dest");
    let elsewhere = tmp.path().join("elsewhere");
    std::fs::create_dir_all(&dest).unwrap();
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dest.join("data")).unwrap();
    let out = output(aero().args(["iso", "extract"]).arg(&iso).arg(&dest));
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("symlink"));
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);

    let missing = output(
        aero()
            .args(["iso", "extract"])
            .arg(&iso)
            .arg(&dest)
            .arg("nope"),
    );
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("`nope` is not in"));
}
