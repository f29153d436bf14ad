//! `aero-recipe iso create` images as other tools see them: xorriso, isoinfo (Joliet and Rock
//! Ridge), 7-Zip, bsdtar and blkid must list the same tree, extract the same bytes and show the
//! intended labels; the bytes depend only on content, names and SOURCE_DATE_EPOCH.

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

use crate::util::iso::*;
use crate::util::*;

const LONG: &str = "A-Rather-Long-Mixed-Case-File-Name-For-Joliet-Limits.Extension";
const LABEL: &str = "Aero-Tools ÄÖ 名";

/// The fixture: nested dirs, long and mixed-case names, hyphens, non-ASCII BMP names, an empty
/// file and an empty directory.
fn fixture() -> (Vec<(String, Vec<u8>)>, Vec<&'static str>) {
    let files = vec![
        ("setup.cmd".to_string(), b"@echo off\r\n".to_vec()),
        ("README.md".into(), b"# Guest tools\n".to_vec()),
        ("empty.txt".into(), Vec::new()),
        ("Ünïcode-名前.txt".into(), "ünïcode\n".as_bytes().to_vec()),
        (format!("docs/{LONG}"), vec![7u8; 3000]),
        (
            "drivers/amd64/VioStor/viostor.inf".into(),
            b"[Version]\n".to_vec(),
        ),
        (
            "drivers/amd64/VioStor/viostor.sys".into(),
            (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect(),
        ),
        ("drivers/x86/viostor/VIOSTOR.INF".into(), b"x86\n".to_vec()),
        ("a/b/c/d/e/f/deep-File.TXT".into(), b"deep\n".to_vec()),
        // Names that map to the same 8.3-ish primary identifier must stay distinct.
        ("config/devices-a.cmd".into(), b"a".to_vec()),
        ("config/devices_a.cmd".into(), b"b".to_vec()),
    ];
    (files, vec!["empty-dir", "tools/Empty Sub"])
}

fn build(root: &Path) {
    let (files, dirs) = fixture();
    write_tree(root, &files, &dirs);
}

fn lines(bytes: &[u8]) -> Vec<String> {
    String::from_utf8(bytes.to_vec())
        .expect("UTF-8 output")
        .lines()
        .map(str::to_string)
        .collect()
}

/// Normalise a listing to `/path` entries without `.`, the root or trailing slashes.
fn normalise(list: impl IntoIterator<Item = String>) -> BTreeSet<String> {
    list.into_iter()
        .map(|l| l.trim_start_matches("./").trim_end_matches('/').to_string())
        .filter(|l| !l.is_empty() && l != "." && l != "/")
        .map(|l| {
            if l.starts_with('/') {
                l
            } else {
                format!("/{l}")
            }
        })
        .collect()
}

#[test]
fn every_reader_sees_the_same_tree_and_bytes() {
    let tmp = tempdir();
    let src = tmp.path().join("src");
    build(&src);
    let iso = tmp.path().join("out.iso");
    create(&src, &iso, LABEL, 1_700_000_000);

    let (files, dirs) = tree_paths(&src);
    let all: BTreeSet<String> = files.iter().chain(&dirs).cloned().collect();

    assert_eq!(ls(&iso), files, "aero-recipe iso ls");

    let xorriso = ok(tool("xorriso")
        .args(["-indev"])
        .arg(&iso)
        .args(["-find", "/"]));
    let xorriso = lines(&xorriso)
        .into_iter()
        .filter_map(|l| Some(l.strip_prefix('\'')?.strip_suffix('\'')?.to_string()));
    assert_eq!(normalise(xorriso), all, "xorriso -find");

    let rr = ok(tool("isoinfo").args(["-R", "-f", "-i"]).arg(&iso));
    assert_eq!(normalise(lines(&rr)), all, "isoinfo -R -f");

    // isoinfo prints Joliet names in Latin-1 and replaces what Latin-1 lacks with `_`.
    let joliet = ok(tool("isoinfo").args(["-J", "-f", "-i"]).arg(&iso));
    let joliet: String = joliet.iter().map(|&b| char::from(b)).collect();
    let latin1 = |s: &String| -> String {
        s.chars()
            .map(|c| if (c as u32) > 0xFF { '_' } else { c })
            .collect()
    };
    assert_eq!(
        normalise(joliet.lines().map(str::to_string)),
        all.iter().map(latin1).collect::<BTreeSet<_>>(),
        "isoinfo -J -f"
    );

    let sevenz = ok(tool("7z").args(["l", "-slt"]).arg(&iso));
    let sevenz = lines(&sevenz);
    let body = sevenz
        .iter()
        .skip_while(|l| !l.starts_with("----------"))
        .filter_map(|l| l.strip_prefix("Path = ").map(str::to_string));
    assert_eq!(normalise(body), all, "7z l");

    let bsdtar = ok(tool("bsdtar").arg("-tf").arg(&iso));
    assert_eq!(normalise(lines(&bsdtar)), all, "bsdtar -tf");

    // Rock Ridge modes are fixed: directories r-x, files r-- for everyone.
    let long = String::from_utf8(ok(tool("bsdtar").arg("-tvf").arg(&iso))).unwrap();
    for l in long.lines() {
        assert!(
            l.starts_with("dr-xr-xr-x ") || l.starts_with("-r--r--r-- "),
            "bsdtar -tv mode: {l}"
        );
    }

    // Extraction by independent readers gives the source bytes, empty file and dirs included.
    let want = hash_tree(&src);
    let x7 = tmp.path().join("x7");
    ok(tool("7z")
        .arg("x")
        .arg(format!("-o{}", x7.display()))
        .arg(&iso));
    make_writable(&x7);
    assert_eq!(hash_tree(&x7), want, "7z x");
    let xb = tmp.path().join("xb");
    std::fs::create_dir(&xb).unwrap();
    ok(tool("bsdtar").arg("-xf").arg(&iso).arg("-C").arg(&xb));
    make_writable(&xb);
    assert_eq!(hash_tree(&xb), want, "bsdtar -x");
    let xa = tmp.path().join("xa");
    ok(aero().args(["iso", "extract"]).arg(&iso).arg(&xa));
    assert_eq!(hash_tree(&xa), want, "aero-recipe iso extract");

    // Labels: d-characters in the primary descriptor, the user's text in Joliet (UCS-2).
    let info =
        String::from_utf8_lossy(&ok(tool("isoinfo").args(["-d", "-i"]).arg(&iso))).into_owned();
    assert!(
        info.lines().any(|l| l == "Volume id: AERO_TOOLS_____"),
        "isoinfo -d:\n{info}"
    );
    assert!(info.contains("Joliet with UCS level 3 found"), "{info}");
    assert!(
        info.contains("Rock Ridge signatures version 1 found"),
        "{info}"
    );
    let label = ok(tool("blkid")
        .args(["-p", "-s", "LABEL", "-o", "value"])
        .arg(&iso));
    assert_eq!(
        String::from_utf8_lossy(&label).trim_end(),
        LABEL,
        "blkid (Joliet label)"
    );

    // Timestamps come from SOURCE_DATE_EPOCH (1700000000 = 2023-11-14 22:13:20 UTC).
    let dated = String::from_utf8_lossy(&ok(tool("7z").args(["l"]).arg(&iso))).into_owned();
    assert!(
        dated.contains("2023-11-14 22:13:20 ....."),
        "7z l dates:\n{dated}"
    );
}

#[test]
fn same_content_gives_the_same_bytes_anywhere() {
    let tmp = tempdir();
    let (mut files, dirs) = fixture();
    let a = tmp.path().join("first/place");
    write_tree(&a, &files, &dirs);
    // Another path, files created in the opposite order, other mtimes and permissions.
    files.reverse();
    let b = tmp.path().join("elsewhere");
    write_tree(&b, &files, &dirs);
    let old = SystemTime::UNIX_EPOCH + Duration::from_secs(1_234_567_890);
    for (p, _) in &files {
        let f = std::fs::File::options()
            .write(true)
            .open(b.join(p))
            .unwrap();
        f.set_modified(old).unwrap();
        std::fs::set_permissions(b.join(p), std::fs::Permissions::from_mode(0o600)).unwrap();
    }

    let (ia, ib, ic) = (
        tmp.path().join("a.iso"),
        tmp.path().join("b.iso"),
        tmp.path().join("c.iso"),
    );
    create(&a, &ia, "AERO", 1_600_000_000);
    create(&b, &ib, "AERO", 1_600_000_000);
    create(&a, &ic, "AERO", 1_600_000_001);
    let (ba, bb, bc) = (
        std::fs::read(&ia).unwrap(),
        std::fs::read(&ib).unwrap(),
        std::fs::read(&ic).unwrap(),
    );
    assert!(
        ba == bb,
        "same content at another path gave different bytes"
    );
    assert!(
        ba != bc,
        "a different SOURCE_DATE_EPOCH must change the image"
    );
    assert_eq!(ba.len(), bc.len());
}

#[test]
fn a_failed_create_leaves_nothing_behind() {
    let tmp = tempdir();
    let src = tmp.path().join("src");
    let too_long = format!("{}.txt", "n".repeat(70));
    write_tree(&src, &[(too_long.clone(), b"x".to_vec())], &[]);
    let outdir = tmp.path().join("out");
    std::fs::create_dir(&outdir).unwrap();
    let out = output(
        aero()
            .args(["iso", "create"])
            .arg(&src)
            .arg(outdir.join("x.iso")),
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&too_long) && err.contains("64"), "{err}");
    let left: Vec<_> = std::fs::read_dir(&outdir).unwrap().collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}
