//! virtio-win ISO images built the way upstream builds them (`mkisofs -r -iso-level 4`), with
//! both genisoimage and xorriso, read without extraction: every selection, notice and guest
//! agent must match the extracted tree byte for byte, and provenance must match sha256sum.

use std::io::Read;
use std::path::{Path, PathBuf};

use aero_recipe::arch::Arch;
use aero_recipe::virtio_win::{InputKind, SourceFile, VirtioWin};

use crate::util::*;

const LABEL: &str = "virtio-win-0.1.285";

/// The example tree as an ISO made by `maker` (`genisoimage` or `xorriso`), in `dir`.
fn build_iso(maker: &str, dir: &Path) -> PathBuf {
    let iso = dir.join(format!("{LABEL}.iso"));
    let mut cmd = tool(maker);
    match maker {
        "genisoimage" => cmd.args([
            "-quiet",
            "-r",
            "-iso-level",
            "4",
            "-input-charset",
            "iso8859-1",
        ]),
        _ => cmd.args(["-as", "mkisofs", "-quiet", "-r", "-iso-level", "4"]),
    };
    ok(cmd
        .args(["-V", LABEL, "-o"])
        .arg(&iso)
        .arg(virtio_win_example()));
    iso
}

fn read(f: &SourceFile) -> Vec<u8> {
    let mut v = Vec::new();
    f.source.open().unwrap().read_to_end(&mut v).unwrap();
    v
}

/// A selection reduced to comparable facts: driver, arch, OS dir used, source dir, and each
/// file's path, size and bytes.
type Facts = Vec<(String, Arch, String, String, Vec<(String, u64, Vec<u8>)>)>;

fn facts(vw: &VirtioWin, drivers: &[&str], os: &str, arches: &[Arch]) -> Facts {
    let sel = vw.select(drivers, os, arches).unwrap();
    sel.builds
        .iter()
        .map(|b| {
            (
                b.driver.clone(),
                b.arch,
                b.os_dir.clone(),
                b.from.clone(),
                b.files
                    .iter()
                    .map(|f| (f.path.clone(), f.size, read(f)))
                    .collect(),
            )
        })
        .collect()
}

fn check_iso(tool: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let iso = build_iso(tool, tmp.path());
    let tree = VirtioWin::open(&virtio_win_example()).unwrap();
    let vw = VirtioWin::open(&iso).unwrap();

    let p = vw.provenance();
    assert_eq!(p.kind, InputKind::Iso);
    assert_eq!(p.name, format!("{LABEL}.iso"));
    assert_eq!(p.volume_id.as_deref(), Some(LABEL));
    assert_eq!(p.sha256.as_deref(), Some(sha256sum(&iso).as_str()));
    assert_eq!(p.size, Some(std::fs::metadata(&iso).unwrap().len()));
    assert_eq!(p.tree_sha256, None);
    assert_eq!(
        (p.version.as_deref(), p.version_from.as_deref()),
        (Some("0.1.285"), Some("volume label"))
    );
    let json = serde_json::to_string(&p).unwrap();
    assert!(!json.contains(tmp.path().to_str().unwrap()), "{json}");

    vw.verify_sha256(&sha256sum(&iso)).unwrap();
    let err = vw.verify_sha256(&"1".repeat(64)).unwrap_err().to_string();
    assert!(err.contains(&sha256sum(&iso)) && err.contains(&"1".repeat(64)));

    assert_eq!(vw.drivers(), tree.drivers());
    let all = [Arch::X86, Arch::Amd64, Arch::Arm64];
    let cases: [(&[&str], &str, &[Arch]); 7] = [
        (
            &["viostor", "NetKVM", "vioinput", "Balloon"],
            "w7",
            &all[..2],
        ),
        (&["viostor", "netkvm", "vioscsi", "viogpudo"], "w10", &all),
        (
            &["viostor", "netkvm", "vioinput", "balloon"],
            "w11",
            &all[1..],
        ),
        (
            &["viostor", "netkvm", "vioinput", "viofs"],
            "2k22",
            &all[1..2],
        ),
        (&["viostor", "netkvm", "viogpudo"], "2k25", &all[1..]),
        (&["viostor", "vioinput"], "2k12", &all[..2]),
        (&["viostor"], "2k12R2", &all[..2]),
    ];
    for (drivers, os, arches) in cases {
        let from_iso = facts(&vw, drivers, os, arches);
        assert!(!from_iso.is_empty());
        assert_eq!(from_iso, facts(&tree, drivers, os, arches), "{tool}: {os}");
    }
    // 2k22 is absent: the w10 build is used.
    let sel = vw.select(&["NETKVM"], "2k22", &[Arch::Amd64]).unwrap();
    assert_eq!(sel.builds[0].from, "NetKVM/w10/amd64");

    let err = vw
        .select(&["viofs"], "w7", &[Arch::X86])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("viofs has: w10/x86, w10/amd64, w11/amd64"),
        "{err}"
    );

    for arch in [Arch::X86, Arch::Amd64] {
        let a = vw.guest_agent(arch, None).unwrap();
        let b = tree.guest_agent(arch, None).unwrap();
        assert_eq!((a.path.as_str(), read(&a)), (b.path.as_str(), read(&b)));
    }
    let notices: Vec<(String, Vec<u8>)> = vw
        .notices()
        .iter()
        .map(|f| (f.path.clone(), read(f)))
        .collect();
    let expected: Vec<(String, Vec<u8>)> = tree
        .notices()
        .iter()
        .map(|f| (f.path.clone(), read(f)))
        .collect();
    assert_eq!(notices, expected);
    assert_eq!(notices.len(), 1);
}

#[test]
fn genisoimage_rock_ridge_iso_level_4() {
    check_iso("genisoimage");
}

#[test]
fn xorriso_rock_ridge_iso_level_4() {
    check_iso("xorriso");
}

#[test]
fn other_files_are_refused_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let not_iso = tmp.path().join("virtio-win.iso");
    std::fs::write(&not_iso, b"not an image").unwrap();
    let err = VirtioWin::open(&not_iso).unwrap_err().to_string();
    assert!(err.contains("virtio-win.iso"), "{err}");

    // A valid ISO that is not virtio-win.
    let src = tmp.path().join("other");
    std::fs::create_dir_all(src.join("docs")).unwrap();
    std::fs::write(src.join("docs/readme.txt"), b"hello").unwrap();
    let iso = tmp.path().join("other.iso");
    ok(tool("xorriso")
        .args(["-as", "mkisofs", "-quiet", "-r", "-V", "OTHER", "-o"])
        .arg(&iso)
        .arg(&src));
    let err = VirtioWin::open(&iso).unwrap_err().to_string();
    assert!(
        err.contains("does not look like virtio-win") && err.contains("docs"),
        "{err}"
    );
}
