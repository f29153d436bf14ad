//! virtio-win layout, selection, provenance, notices and guest agent on extracted trees:
//! the sample tree in `examples/virtio-win` and variants built from it in temp dirs.

use std::io::Read;
use std::path::Path;
use std::process::Command;

use aero_recipe::arch::Arch;
use aero_recipe::virtio_win::{InputKind, SourceFile, VirtioWin};

use crate::util::*;

fn read(f: &SourceFile) -> Vec<u8> {
    let mut v = Vec::new();
    f.source.open().unwrap().read_to_end(&mut v).unwrap();
    v
}

fn names(files: &[SourceFile]) -> Vec<&str> {
    files.iter().map(|f| f.path.as_str()).collect()
}

const BOTH: [Arch; 2] = [Arch::X86, Arch::Amd64];

#[test]
fn win7_selection_reads_the_upstream_driver_dirs() {
    let vw = VirtioWin::open(&virtio_win_example()).unwrap();
    let sel = vw
        .select(&["viostor", "NetKVM", "vioinput"], "w7", &BOTH)
        .unwrap();
    let got: Vec<(String, Arch, String)> = sel
        .builds
        .iter()
        .map(|b| (b.driver.clone(), b.arch, b.from.clone()))
        .collect();
    assert_eq!(
        got,
        [
            ("viostor".into(), Arch::X86, "viostor/w7/x86".into()),
            ("viostor".into(), Arch::Amd64, "viostor/w7/amd64".into()),
            ("netkvm".into(), Arch::X86, "NetKVM/w7/x86".into()),
            ("netkvm".into(), Arch::Amd64, "NetKVM/w7/amd64".into()),
            ("vioinput".into(), Arch::X86, "vioinput/w7/x86".into()),
            ("vioinput".into(), Arch::Amd64, "vioinput/w7/amd64".into()),
        ]
    );
    let input = &sel.builds[5];
    assert_eq!(
        names(&input.files),
        [
            "viohidkmdf.sys",
            "vioinput.cat",
            "vioinput.inf",
            "vioinput.sys",
            "WdfCoInstaller01009.dll"
        ]
    );
    // Each selected file's source yields exactly the bytes on disk, and its size is right.
    for b in &sel.builds {
        for f in &b.files {
            let on_disk = std::fs::read(virtio_win_example().join(&b.from).join(&f.path)).unwrap();
            assert_eq!(read(f), on_disk, "{}/{}", b.from, f.path);
            assert_eq!(f.size, on_disk.len() as u64);
        }
    }
    let inf = String::from_utf8(read(&input.files[2])).unwrap();
    assert!(inf.contains("[VirtioInput.NTamd64.6.1]"), "{inf}");
}

#[test]
fn server_versions_fall_back_to_their_shared_build_only_when_absent() {
    let vw = VirtioWin::open(&virtio_win_example()).unwrap();
    // The sample tree has no 2k22 directory at all: 2k22 takes the w10 build.
    let sel = vw
        .select(&["viostor", "netkvm"], "2k22", &[Arch::Amd64])
        .unwrap();
    for b in &sel.builds {
        assert_eq!((b.os.as_str(), b.os_dir.as_str()), ("2k22", "w10"));
    }
    assert_eq!(sel.builds[1].from, "NetKVM/w10/amd64");
    // viostor has its own 2k16 directory, NetKVM has not: each driver decides for itself.
    let sel = vw
        .select(&["viostor", "netkvm"], "2k16", &[Arch::Amd64])
        .unwrap();
    let from: Vec<&str> = sel.builds.iter().map(|b| b.from.as_str()).collect();
    assert_eq!(from, ["viostor/2k16/amd64", "NetKVM/w10/amd64"]);
    // 2k25 has its own directories, ARM64 included.
    let sel = vw
        .select(&["viostor"], "2k25", &[Arch::Amd64, Arch::Arm64])
        .unwrap();
    let from: Vec<&str> = sel.builds.iter().map(|b| b.from.as_str()).collect();
    assert_eq!(from, ["viostor/2k25/amd64", "viostor/2k25/ARM64"]);
    // 2k8R2 -> w7, 2k12 -> w8, 2k12R2 -> w8.1 (spelled as users write them).
    for (os, dir) in [("2k8r2", "w7"), ("server2012", "w8"), ("2K12R2", "w8.1")] {
        let sel = vw.select(&["viostor"], os, &[Arch::Amd64]).unwrap();
        assert_eq!(sel.builds[0].os_dir, dir, "{os}");
    }
}

#[test]
fn arm64_builds_and_arch_spellings() {
    let vw = VirtioWin::open(&virtio_win_example()).unwrap();
    let arches: Vec<Arch> = ["x64", "aarch64"]
        .iter()
        .map(|a| Arch::parse(a).unwrap())
        .collect();
    let sel = vw
        .select(&["netkvm", "viogpudo", "balloon"], "w11", &arches)
        .unwrap();
    assert_eq!(sel.builds.len(), 6);
    let arm: Vec<&str> = sel.for_arch(Arch::Arm64).map(|b| b.from.as_str()).collect();
    assert_eq!(
        arm,
        [
            "NetKVM/w11/ARM64",
            "viogpudo/w11/ARM64",
            "Balloon/w11/ARM64"
        ]
    );
    let balloon = sel.builds.iter().find(|b| b.driver == "balloon").unwrap();
    assert!(names(&balloon.files).contains(&"balloon.cat"));
    let inf = balloon
        .files
        .iter()
        .find(|f| f.path == "balloon.inf")
        .unwrap();
    let text = String::from_utf8(read(inf)).unwrap();
    assert!(text.contains("CatalogFile=Balloon.cat"));
}

#[test]
fn missing_builds_name_what_the_driver_does_have() {
    let vw = VirtioWin::open(&virtio_win_example()).unwrap();
    let err = vw.select(&["viofs"], "w7", &BOTH).unwrap_err();
    let problems: Vec<String> = err.problems().iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert_eq!(
        problems[0],
        "virtio-win: viofs has no w7 build for x86 (no viofs/w7 directory); \
         viofs has: w10/x86, w10/amd64, w11/amd64"
    );
    // Every problem is reported at once, across drivers and arches.
    let err = vw
        .select(&["viostor", "vioserial", "viorng"], "w11", &[Arch::Arm64])
        .unwrap_err();
    let text: Vec<String> = err.problems().iter().map(|p| p.to_string()).collect();
    assert_eq!(text.len(), 2, "{text:?}");
    assert!(text[0].contains("vioserial has: w7/x86, w7/amd64, w10/x86, w10/amd64"));
    // The OS exists for the driver but not the arch.
    let err = vw
        .select(&["viorng"], "w10", &[Arch::X86])
        .unwrap_err()
        .to_string();
    assert!(err.contains("(no viorng/w10/x86)"), "{err}");
    // An alias whose shared build lacks the arch says so.
    let err = vw
        .select(&["viofs"], "2k22", &[Arch::Arm64])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("no viofs/2k22 directory, and its shared build viofs/w10 has no ARM64"),
        "{err}"
    );
    // An unknown OS lists the known ones.
    let err = vw
        .select(&["viostor"], "vista", &BOTH)
        .unwrap_err()
        .to_string();
    assert!(err.contains("unknown Windows version `vista`"), "{err}");
    assert!(err.contains("2k22"), "{err}");
}

#[test]
fn optional_drivers_are_reported_not_fatal() {
    let vw = VirtioWin::open(&virtio_win_example()).unwrap();
    let sel = vw
        .select_optional(&["viostor", "NETKVM", "vioinput", "viosnd"], "w7", &BOTH)
        .unwrap();
    let drivers: Vec<&str> = sel.builds.iter().map(|b| b.driver.as_str()).collect();
    assert_eq!(
        drivers,
        ["viostor", "viostor", "netkvm", "netkvm", "vioinput", "vioinput"]
    );
    assert_eq!(sel.missing.len(), 2);
    assert_eq!(sel.missing[0].driver, "viosnd");
    assert!(sel.missing[0].available.is_empty());
    assert!(
        sel.missing[0].message.contains("has no driver `viosnd`")
            && sel.missing[0].message.contains("NetKVM"),
        "{}",
        sel.missing[0].message
    );
    let err = vw
        .select(&["viosnd"], "w7", &[Arch::X86])
        .unwrap_err()
        .to_string();
    assert!(err.contains("has no driver `viosnd`"), "{err}");
}

#[test]
fn flat_tree_serves_viostor_and_vioscsi() {
    // A trimmed tree with only the flat `amd64/w10` and `i386/w7` directories.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("flat-only");
    for d in ["amd64/w10", "i386/w7"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
        copy_tree(&virtio_win_example().join(d), &root.join(d));
    }
    let vw = VirtioWin::open(&root).unwrap();
    assert!(vw.drivers().is_empty());
    let sel = vw
        .select(&["vioscsi", "viostor"], "2k19", &[Arch::Amd64])
        .unwrap();
    assert_eq!(sel.builds[0].from, "amd64/w10");
    assert_eq!(sel.builds[0].os_dir, "w10");
    assert_eq!(
        names(&sel.builds[0].files),
        ["vioscsi.cat", "vioscsi.inf", "vioscsi.sys"]
    );
    let sel = vw.select(&["viostor"], "w7", &[Arch::X86]).unwrap();
    assert_eq!(sel.builds[0].from, "i386/w7");
    assert_eq!(
        names(&sel.builds[0].files),
        ["viostor.cat", "viostor.inf", "viostor.sys"]
    );
    assert!(vw.select(&["netkvm"], "w10", &[Arch::Amd64]).is_err());
    assert!(vw.select(&["viostor"], "w10", &[Arch::Arm64]).is_err());
}

#[test]
fn provenance_of_a_tree_is_path_independent_and_matches_an_external_digest() {
    let vw = VirtioWin::open(&virtio_win_example()).unwrap();
    let p = vw.provenance();
    assert_eq!(p.kind, InputKind::Directory);
    assert_eq!(p.name, "virtio-win");
    assert_eq!((p.volume_id.as_deref(), p.sha256.as_deref()), (None, None));
    // Upstream's info.json has no version and the directory name carries none.
    assert_eq!(
        (p.version.as_deref(), p.version_from.as_deref()),
        (None, None)
    );
    let digest = p.tree_sha256.clone().unwrap();

    // Oracle: the same definition computed by coreutils.
    let script = r#"cd "$1" && find . -type f | sed 's|^\./||' | LC_ALL=C sort | while IFS= read -r f; do
        h=$(sha256sum -- "$f" | cut -d' ' -f1); printf '%s\0%s\n' "$f" "$h"; done | sha256sum | cut -d' ' -f1"#;
    let out = Command::new("bash")
        .args(["-c", script, "bash"])
        .arg(virtio_win_example())
        .output()
        .expect("bash and coreutils (sha256sum) are needed for this test");
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8(out.stdout).unwrap().trim(), digest);

    // The same tree elsewhere, under a versioned name: same digest, version from the name.
    let tmp = tempfile::tempdir().unwrap();
    let copy = tmp.path().join("virtio-win-0.1.285");
    std::fs::create_dir(&copy).unwrap();
    copy_tree(&virtio_win_example(), &copy);
    let p2 = VirtioWin::open(&copy).unwrap().provenance();
    assert_eq!(p2.tree_sha256.as_deref(), Some(digest.as_str()));
    assert_eq!(p2.name, "virtio-win-0.1.285");
    assert_eq!(
        (p2.version.as_deref(), p2.version_from.as_deref()),
        (Some("0.1.285"), Some("name"))
    );
    // A version key in info.json wins (and changes the digest).
    std::fs::write(
        copy.join("data/info.json"),
        r#"{"virtio-win-version": "0.1.290", "drivers": []}"#,
    )
    .unwrap();
    let p3 = VirtioWin::open(&copy).unwrap().provenance();
    assert_eq!(
        (p3.version.as_deref(), p3.version_from.as_deref()),
        (Some("0.1.290"), Some("data/info.json"))
    );
    assert_ne!(p3.tree_sha256, p2.tree_sha256);
    let json = serde_json::to_value(&p3).unwrap();
    assert_eq!(json["kind"], "directory");
    assert_eq!(json["name"], "virtio-win-0.1.285");
    assert!(!json.to_string().contains(tmp.path().to_str().unwrap()));
}

#[test]
fn pinned_sha256_is_checked() {
    let vw = VirtioWin::open(&virtio_win_example()).unwrap();
    let digest = vw.provenance().tree_sha256.unwrap();
    vw.verify_sha256(&digest).unwrap();
    vw.verify_sha256(&format!("sha256:{}", digest.to_uppercase()))
        .unwrap();
    let wrong = "0".repeat(64);
    let err = vw.verify_sha256(&wrong).unwrap_err().to_string();
    assert!(err.contains(&digest) && err.contains(&wrong), "{err}");
    assert!(vw
        .verify_sha256("not-a-hash")
        .unwrap_err()
        .to_string()
        .contains("64 hex digits"));
}

#[test]
fn guest_agent_per_arch_and_other_spellings() {
    let vw = VirtioWin::open(&virtio_win_example()).unwrap();
    let x86 = vw.guest_agent(Arch::X86, None).unwrap();
    assert_eq!(x86.path, "guest-agent/qemu-ga-i386.msi");
    let x64 = vw.guest_agent(Arch::Amd64, None).unwrap();
    assert_eq!(x64.path, "guest-agent/qemu-ga-x86_64.msi");
    let on_disk = std::fs::read(virtio_win_example().join(&x64.path)).unwrap();
    assert_eq!(read(&x64), on_disk);
    let err = vw.guest_agent(Arch::Arm64, None).unwrap_err().to_string();
    assert!(
        err.contains("searched guest-agent/qemu-ga-aarch64.msi")
            && err.contains("guest-agent/ holds guest-agent/qemu-ga-i386.msi"),
        "{err}"
    );

    // Pinned hash: sha256sum as the oracle.
    let out = Command::new("sha256sum")
        .arg(virtio_win_example().join(&x64.path))
        .output()
        .expect("sha256sum (coreutils) is needed for this test");
    let want = String::from_utf8(out.stdout).unwrap();
    let want = want.split_whitespace().next().unwrap();
    vw.guest_agent(Arch::Amd64, Some(want)).unwrap();
    let err = vw
        .guest_agent(Arch::Amd64, Some(&"f".repeat(64)))
        .unwrap_err()
        .to_string();
    assert!(err.contains(want) && err.contains(&"f".repeat(64)), "{err}");

    // Older spellings: qemu-ga-x64.msi, and per-arch directories.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("vw");
    copy_tree_subset(&root);
    std::fs::create_dir_all(root.join("Guest-Agent/i386")).unwrap();
    std::fs::write(root.join("Guest-Agent/qemu-ga-x64.msi"), b"x64").unwrap();
    std::fs::write(root.join("Guest-Agent/i386/qemu-ga.msi"), b"x86").unwrap();
    let vw = VirtioWin::open(&root).unwrap();
    assert_eq!(
        vw.guest_agent(Arch::Amd64, None).unwrap().path,
        "Guest-Agent/qemu-ga-x64.msi"
    );
    assert_eq!(
        vw.guest_agent(Arch::X86, None).unwrap().path,
        "Guest-Agent/i386/qemu-ga.msi"
    );
}

/// A minimal valid tree: one driver build.
fn copy_tree_subset(root: &Path) {
    let d = root.join("viostor/w10/amd64");
    std::fs::create_dir_all(&d).unwrap();
    copy_tree(&virtio_win_example().join("viostor/w10/amd64"), &d);
}

#[test]
fn notices_are_the_root_licence_files() {
    let vw = VirtioWin::open(&virtio_win_example()).unwrap();
    let n: Vec<String> = vw.notices().into_iter().map(|f| f.path).collect();
    assert_eq!(n, ["virtio-win_license.txt"]);

    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("vw");
    copy_tree_subset(&root);
    for f in ["COPYING", "NOTICE.md", "Licence.rtf", "README.txt"] {
        std::fs::write(root.join(f), f).unwrap();
    }
    std::fs::create_dir_all(root.join("data")).unwrap();
    std::fs::write(root.join("data/license.txt"), b"not at the root").unwrap();
    let vw = VirtioWin::open(&root).unwrap();
    let n: Vec<String> = vw.notices().into_iter().map(|f| f.path).collect();
    assert_eq!(n, ["COPYING", "Licence.rtf", "NOTICE.md"]);
}

#[test]
fn other_inputs_are_refused_with_a_reason() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("random/stuff")).unwrap();
    std::fs::write(tmp.path().join("random/stuff/a.txt"), b"a").unwrap();
    let err = VirtioWin::open(&tmp.path().join("random"))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("does not look like virtio-win") && err.contains("stuff"),
        "{err}"
    );
    let err = VirtioWin::open(&tmp.path().join("nope"))
        .unwrap_err()
        .to_string();
    assert!(err.contains("nope"), "{err}");
    // Case-insensitive duplicates cannot both exist on Windows media.
    let root = tmp.path().join("dup");
    copy_tree_subset(&root);
    std::fs::create_dir_all(root.join("VIOSTOR/w10/amd64")).unwrap();
    std::fs::write(root.join("VIOSTOR/w10/amd64/x.inf"), b"x").unwrap();
    let err = VirtioWin::open(&root).unwrap_err().to_string();
    assert!(err.contains("VIOSTOR, viostor"), "{err}");
}

#[test]
fn layout_queries() {
    let vw = VirtioWin::open(&virtio_win_example()).unwrap();
    assert_eq!(
        vw.drivers(),
        [
            "Balloon",
            "NetKVM",
            "pvpanic",
            "qemufwcfg",
            "viofs",
            "viogpudo",
            "vioinput",
            "viorng",
            "vioscsi",
            "vioserial",
            "viostor"
        ]
    );
    let b = vw.builds("VIOSTOR");
    assert_eq!(b.first(), Some(&("w7".to_string(), Arch::X86)));
    assert!(b.contains(&("2k25".to_string(), Arch::Arm64)));
    assert!(!b.iter().any(|(os, _)| os == "2k22"));
    assert!(vw.file("/Cert/virtio_win_red_hat_ca.cer").is_some());
}

#[test]
fn required_and_optional_selections_merge() {
    let vw = VirtioWin::open(&virtio_win_example()).unwrap();
    let mut sel = vw
        .select(&["viostor", "netkvm"], "w10", &[Arch::Arm64])
        .unwrap();
    let opt = vw
        .select_optional(&["vioinput", "viosnd"], "w10", &[Arch::Arm64])
        .unwrap();
    sel.merge(opt).unwrap();
    let dirs: Vec<String> = sel.builds.iter().map(|b| b.media_dir()).collect();
    assert_eq!(
        dirs,
        [
            "drivers/arm64/viostor",
            "drivers/arm64/netkvm",
            "drivers/arm64/vioinput"
        ]
    );
    assert_eq!(sel.missing.len(), 1);
    let again = vw.select(&["NetKVM"], "w10", &[Arch::Arm64]).unwrap();
    let err = sel.merge(again).unwrap_err().to_string();
    assert!(err.contains("netkvm for arm64 was selected twice"), "{err}");
}
