//! The virtio-win recipes on upstream-style ISOs (built from the example tree with genisoimage
//! and xorriso, as upstream builds them) and on the tree itself: same media, provenance in the
//! manifest, every OS and architecture including ARM64, aliases, pinning, notices, driver packs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::util::recipe::*;
use crate::util::*;

const LABEL: &str = "virtio-win-0.1.285";

/// The example tree as an upstream-style ISO made by `maker` (`genisoimage` or `xorriso`).
fn build_iso(maker: &str, dir: &Path) -> PathBuf {
    let iso = dir.join(format!("{LABEL}-{maker}.iso"));
    let mut cmd = tool(maker);
    if maker == "xorriso" {
        cmd.args(["-as", "mkisofs"]);
    } else {
        cmd.args(["-input-charset", "iso8859-1"]);
    }
    cmd.args(["-quiet", "-r", "-iso-level", "4", "-V", LABEL, "-o"])
        .arg(&iso)
        .arg(virtio_win_example());
    tool_ok(&mut cmd);
    iso
}

/// The files of Guest Tools media written to `out` (read from its ZIP with unzip).
fn media_of(out: &Path) -> BTreeMap<String, Vec<u8>> {
    let d = tempdir();
    extract_zip(&out.join("aero-guest-tools.zip"), d.path());
    tree(d.path())
}

/// The service name of an INF's first AddService directive, read with a plain regex.
fn first_add_service(inf: &[u8]) -> String {
    let text = String::from_utf8_lossy(inf);
    let re = regex::Regex::new(r"(?mi)^\s*AddService\s*=\s*([^,\s]+)").unwrap();
    re.captures(&text)
        .map(|c| c[1].to_string())
        .expect("the INF has an AddService line")
}

#[test]
fn virtio_win_full_on_an_iso_gives_the_media_it_gives_on_the_tree() {
    let user = User::new();
    let work = tempdir();
    let w = work.path();
    let from_tree = w.join("tree");
    user.recipe(&repo(), "virtio-win-full", &from_tree, &[]);
    let tree_media = media_of(&from_tree);
    let tree_manifest = read_json(&from_tree.join("manifest.json"));
    assert_eq!(tree_manifest["inputs"]["virtio_win"]["kind"], "directory");

    for maker in ["genisoimage", "xorriso"] {
        let iso = build_iso(maker, w);
        let out = w.join(maker);
        let set = format!("virtio_win={}", iso.display());
        let s = user.recipe(w, "virtio-win-full", &out, &[&set]);
        s.check_against(&out);
        let media = media_of(&out);
        assert_eq!(
            media.keys().collect::<Vec<_>>(),
            tree_media.keys().collect::<Vec<_>>(),
            "{maker}: the same files"
        );
        for (path, bytes) in &media {
            if path != "manifest.json" {
                assert!(
                    bytes == &tree_media[path],
                    "{maker}: {path} differs from the media built on the tree"
                );
            }
        }

        // manifest.json differs in exactly one place: where the input came from.
        let mut m = read_json(&out.join("manifest.json"));
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&media["manifest.json"]).unwrap(),
            m,
            "{maker}: the manifest on the media is the one beside it"
        );
        let vw = m["inputs"]["virtio_win"].clone();
        assert_eq!(vw["kind"], "iso", "{maker}: provenance {vw}");
        assert_eq!(vw["sha256"], sha256sum(&iso).as_str(), "{maker}: {vw}");
        assert_eq!(vw["volume_id"], LABEL, "{maker}: {vw}");
        assert_eq!(vw["upstream_version"], "0.1.285", "{maker}: {vw}");
        assert_eq!(
            vw["size"],
            std::fs::metadata(&iso).unwrap().len(),
            "{maker}: {vw}"
        );
        let mut t = tree_manifest.clone();
        m["inputs"]["virtio_win"] = serde_json::Value::Null;
        t["inputs"]["virtio_win"] = serde_json::Value::Null;
        assert_eq!(
            m, t,
            "{maker}: manifest.json differs elsewhere than inputs.virtio_win"
        );
    }

    // devices.cmd names the services the shipped INFs install.
    let devices = String::from_utf8(tree_media["config/devices.cmd"].clone()).unwrap();
    for (var, driver) in [
        ("AERO_VIRTIO_BLK_SERVICE", "viostor"),
        ("AERO_VIRTIO_NET_SERVICE", "netkvm"),
        ("AERO_VIRTIO_INPUT_SERVICE", "vioinput"),
    ] {
        for arch in ["x86", "amd64"] {
            let inf = &tree_media[&format!("drivers/{arch}/{driver}/{driver}.inf")];
            let service = first_add_service(inf);
            assert!(
                devices.contains(&format!("set \"{var}={service}\"")),
                "devices.cmd lacks {var}={service}:\n{devices}"
            );
        }
    }
    for expected in ["viostor", "netkvm", "VirtioInput"] {
        assert!(devices.contains(&format!("SERVICE={expected}\"")));
    }
}

#[test]
fn service_names_come_from_the_inf_not_the_contract() {
    let user = User::new();
    let w = tempdir();
    // A contract whose service names are wrong: the INFs must win.
    let text =
        std::fs::read_to_string(repo().join("contracts/windows-device-contract-virtio-win.json"))
            .unwrap();
    let lying = text
        .replace(
            "\"driver_service_name\": \"netkvm\"",
            "\"driver_service_name\": \"contract_net\"",
        )
        .replace(
            "\"driver_service_name\": \"VirtioInput\"",
            "\"driver_service_name\": \"contract_input\"",
        );
    assert_ne!(lying, text);
    let contract = w.path().join("contract.json");
    std::fs::write(&contract, lying).unwrap();
    let iso = build_iso("genisoimage", w.path());
    let out = w.path().join("out");
    user.recipe(
        w.path(),
        "virtio-win-full",
        &out,
        &[
            &format!("contract={}", contract.display()),
            &format!("virtio_win={}", iso.display()),
        ],
    );
    let devices = String::from_utf8(media_of(&out)["config/devices.cmd"].clone()).unwrap();
    assert!(
        devices.contains("set \"AERO_VIRTIO_NET_SERVICE=netkvm\""),
        "{devices}"
    );
    assert!(
        devices.contains("set \"AERO_VIRTIO_INPUT_SERVICE=VirtioInput\""),
        "{devices}"
    );
    assert!(!devices.contains("contract_net") && !devices.contains("contract_input"));
}

#[test]
fn any_os_and_architecture_including_arm64_and_aliases() {
    let user = User::new();
    let w = tempdir();
    let iso = build_iso("genisoimage", w.path());
    let set_iso = format!("virtio_win={}", iso.display());

    // w11 for amd64 and arm64, from the ISO: the w11 builds, byte for byte.
    let out = w.path().join("w11");
    user.recipe(
        w.path(),
        "virtio-win-full",
        &out,
        &[&set_iso, "os=w11", "arches=amd64,arm64"],
    );
    let media = media_of(&out);
    let mut drivers_expected = BTreeMap::new();
    for (arch, vw_arch) in [("amd64", "amd64"), ("arm64", "ARM64")] {
        for (name, dir) in [
            ("viostor", "viostor"),
            ("netkvm", "NetKVM"),
            ("vioinput", "vioinput"),
        ] {
            for (rel, bytes) in
                shipped_driver_files(&virtio_win_example().join(format!("{dir}/w11/{vw_arch}")))
            {
                drivers_expected.insert(format!("drivers/{arch}/{name}/{rel}"), bytes);
            }
        }
    }
    let drivers_on_media: BTreeMap<String, Vec<u8>> = media
        .iter()
        .filter(|(p, _)| p.starts_with("drivers/"))
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect();
    assert!(
        drivers_on_media == drivers_expected,
        "w11 amd64+arm64: drivers on the media {:?}, expected {:?}",
        drivers_on_media.keys().collect::<Vec<_>>(),
        drivers_expected.keys().collect::<Vec<_>>()
    );
    assert_eq!(
        media["licenses/virtio-win/virtio-win_license.txt"],
        std::fs::read(virtio_win_example().join("virtio-win_license.txt")).unwrap(),
        "the upstream notice lands in licenses/virtio-win/"
    );
    let vw = &read_json(&out.join("manifest.json"))["inputs"]["virtio_win"];
    assert_eq!(vw["volume_id"], LABEL);
    assert_eq!(vw["sha256"], sha256sum(&iso).as_str());
    assert_eq!(vw["upstream_version"], "0.1.285");

    // 2k22 has no directory of its own in the example: the w10 builds stand in.
    for (a, b) in [("w10", "w11"), ("w10", "2k25")] {
        assert_ne!(
            std::fs::read(virtio_win_example().join(format!("viostor/{a}/amd64/viostor.inf")))
                .unwrap(),
            std::fs::read(virtio_win_example().join(format!("viostor/{b}/amd64/viostor.inf")))
                .unwrap(),
            "the example's {a} and {b} builds must differ for this test to mean anything"
        );
    }
    assert!(!virtio_win_example().join("viostor/2k22").exists());
    let out = w.path().join("2k22");
    user.recipe(w.path(), "virtio-win-full", &out, &[&set_iso, "os=2k22"]);
    let media = media_of(&out);
    for arch in ["x86", "amd64"] {
        for (name, dir) in [
            ("viostor", "viostor"),
            ("netkvm", "NetKVM"),
            ("vioinput", "vioinput"),
        ] {
            let src = virtio_win_example().join(format!("{dir}/w10/{arch}"));
            for (rel, bytes) in shipped_driver_files(&src) {
                assert!(
                    media.get(&format!("drivers/{arch}/{name}/{rel}")) == Some(&bytes),
                    "2k22 {arch}: drivers/{arch}/{name}/{rel} is not the w10 build"
                );
            }
        }
    }

    // A driver with no build for the OS/arch: exit 1, naming what exists, nothing written.
    let out = w.path().join("w7-arm64");
    let r = user
        .run(
            w.path(),
            &[
                "run",
                "virtio-win-full",
                "--set",
                &format!("out_dir={}", out.display()),
                "--set",
                &set_iso,
                "--set",
                "os=w7",
                "--set",
                "arches=arm64",
            ],
        )
        .exits(1)
        .says(&["viostor", "w7", "arm64", "w10/ARM64", "w11/ARM64"]);
    assert!(!out.exists(), "a failed run wrote {}", out.display());
    drop(r);

    // viofs has no w7 build upstream: the message names every OS/arch it does have.
    let out = w.path().join("viofs-w7");
    let r = user
        .run(
            w.path(),
            &[
                "run",
                "virtio-win-driver-pack",
                "--set",
                &format!("out_dir={}", out.display()),
                "--set",
                &set_iso,
                "--set",
                "os=w7",
                "--set",
                "drivers=viofs",
            ],
        )
        .exits(1);
    for os in std::fs::read_dir(virtio_win_example().join("viofs")).unwrap() {
        let os = os.unwrap();
        for arch in std::fs::read_dir(os.path()).unwrap() {
            let have = format!(
                "{}/{}",
                os.file_name().to_str().unwrap(),
                arch.unwrap().file_name().to_str().unwrap()
            );
            assert!(
                r.stderr.contains(&have),
                "the message should name {have}:\n{}",
                r.stderr
            );
        }
    }
    assert!(!out.exists(), "a failed run wrote {}", out.display());
}

#[test]
fn a_pinned_virtio_win_hash_is_checked_before_anything_is_written() {
    let user = User::new();
    let w = tempdir();
    let iso = build_iso("xorriso", w.path());
    let set_iso = format!("virtio_win={}", iso.display());
    let right = sha256sum(&iso);
    let mut wrong = right.clone().into_bytes();
    wrong[0] = if wrong[0] == b'0' { b'1' } else { b'0' };
    let wrong = String::from_utf8(wrong).unwrap();

    for recipe in [
        "virtio-win-full",
        "virtio-win-minimal",
        "virtio-win-driver-pack",
        "windows-unattend",
    ] {
        // Into a directory that does not exist: it must still not exist.
        let fresh = w.path().join(format!("{recipe}-fresh"));
        user.run(
            w.path(),
            &[
                "run",
                recipe,
                "--set",
                &format!("out_dir={}", fresh.display()),
                "--set",
                &set_iso,
                "--set",
                &format!("virtio_win_sha256={wrong}"),
            ],
        )
        .exits(1)
        .says(&[&right, &wrong]);
        assert!(
            !fresh.exists(),
            "{recipe}: a failed run created {}",
            fresh.display()
        );

        // Over earlier outputs: they stay byte for byte, with no stray files.
        let out = w.path().join(recipe);
        user.recipe(
            w.path(),
            recipe,
            &out,
            &[&set_iso, &format!("virtio_win_sha256={right}")],
        )
        .check_against(&out);
        let before = tree(&out);
        user.run(
            w.path(),
            &[
                "run",
                recipe,
                "--set",
                &format!("out_dir={}", out.display()),
                "--set",
                &set_iso,
                "--set",
                &format!("virtio_win_sha256={wrong}"),
                "--set",
                "version=9.9.9",
            ],
        )
        .exits(1);
        assert!(
            tree(&out) == before,
            "{recipe}: a failed run changed the earlier outputs"
        );
    }
}

#[test]
fn a_pinned_guest_agent_ships_and_a_wrong_pin_stops_the_run() {
    let user = User::new();
    let w = tempdir();
    let msi = virtio_win_example().join("guest-agent/qemu-ga-x86_64.msi");
    let right = sha256sum(&msi);
    let out = w.path().join("ga");
    user.recipe(
        w.path(),
        "virtio-win-full",
        &out,
        &[
            "arches=amd64",
            "guest_agent=true",
            &format!("guest_agent_sha256={right}"),
        ],
    );
    assert_eq!(
        media_of(&out)["tools/guest-agent/amd64/qemu-ga-x86_64.msi"],
        std::fs::read(&msi).unwrap()
    );
    let bad = w.path().join("bad");
    user.run(
        w.path(),
        &[
            "run",
            "virtio-win-full",
            "--set",
            &format!("out_dir={}", bad.display()),
            "--set",
            "arches=amd64",
            "--set",
            "guest_agent=true",
            "--set",
            &format!("guest_agent_sha256={}", "0".repeat(64)),
        ],
    )
    .exits(1)
    .says(&[&right, "qemu-ga-x86_64.msi"]);
    assert!(!bad.exists());

    // Several architectures: one `arch=sha256` pin each; swapped pins stop the run.
    let i386 = virtio_win_example().join("guest-agent/qemu-ga-i386.msi");
    let pins = format!("guest_agent_sha256=x86={},amd64={right}", sha256sum(&i386));
    let both = w.path().join("both");
    user.recipe(
        w.path(),
        "virtio-win-full",
        &both,
        &["guest_agent=true", &pins],
    );
    let media = media_of(&both);
    assert_eq!(
        media["tools/guest-agent/x86/qemu-ga-i386.msi"],
        std::fs::read(&i386).unwrap()
    );
    assert_eq!(
        media["tools/guest-agent/amd64/qemu-ga-x86_64.msi"],
        std::fs::read(&msi).unwrap()
    );
    let swapped = w.path().join("swapped");
    let pins = format!("guest_agent_sha256=x86={right},amd64={}", sha256sum(&i386));
    user.run(
        w.path(),
        &[
            "run",
            "virtio-win-full",
            "--set",
            &format!("out_dir={}", swapped.display()),
            "--set",
            "guest_agent=true",
            "--set",
            &pins,
        ],
    )
    .exits(1)
    .says(&["qemu-ga-i386.msi"]);
    assert!(!swapped.exists());
}

#[test]
fn driver_pack_from_an_iso_is_a_verified_directory_and_zip() {
    let user = User::new();
    let w = tempdir();
    let iso = build_iso("genisoimage", w.path());
    let out = w.path().join("pack");
    let s = user.recipe(
        w.path(),
        "virtio-win-driver-pack",
        &out,
        &[
            &format!("virtio_win={}", iso.display()),
            "arches=x86,amd64,arm64",
        ],
    );
    s.check_against(&out);
    let dir = out.join("virtio-win-driver-pack");
    let zip = out.join("virtio-win-driver-pack.zip");
    user.verify(&dir);
    user.verify(&zip);
    unzip_test(&zip);
    let media = tree(&dir);
    let unzipped = tempdir();
    extract_zip(&zip, unzipped.path());
    assert!(
        tree(unzipped.path()) == media,
        "the ZIP holds the directory"
    );
    assert_eq!(
        media["manifest.json"],
        std::fs::read(out.join("virtio-win-driver-pack.manifest.json")).unwrap()
    );
    let vw = &read_json(&out.join("virtio-win-driver-pack.manifest.json"))["inputs"]["virtio_win"];
    assert_eq!(vw["sha256"], sha256sum(&iso).as_str());
    assert_eq!(vw["volume_id"], LABEL);

    let mut expected = BTreeMap::new();
    for (arch, vw_arch) in [("x86", "x86"), ("amd64", "amd64"), ("arm64", "ARM64")] {
        for (name, d) in [
            ("viostor", "viostor"),
            ("vioscsi", "vioscsi"),
            ("netkvm", "NetKVM"),
            ("vioinput", "vioinput"),
            ("balloon", "Balloon"),
            ("viogpudo", "viogpudo"),
        ] {
            for (rel, b) in
                shipped_driver_files(&virtio_win_example().join(format!("{d}/w10/{vw_arch}")))
            {
                expected.insert(format!("drivers/{arch}/{name}/{rel}"), b);
            }
        }
    }
    expected.insert(
        "licenses/virtio-win/virtio-win_license.txt".into(),
        std::fs::read(virtio_win_example().join("virtio-win_license.txt")).unwrap(),
    );
    let mut have = media.clone();
    have.remove("manifest.json");
    assert_eq!(
        have.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>()
    );
    assert!(
        have == expected,
        "driver pack files differ from the w10 builds"
    );
}

#[test]
fn an_arm64_build_whose_inf_lacks_arm64_models_is_refused_by_every_recipe() {
    let user = User::new();
    let w = tempdir();
    let tree_copy = w.path().join("virtio-win");
    copy_tree(&virtio_win_example(), &tree_copy);
    let inf = tree_copy.join("viostor/w11/ARM64/viostor.inf");
    let text = std::fs::read_to_string(&inf).unwrap();
    let amd64_only = text.replace("NTarm64", "NTamd64");
    assert_ne!(text, amd64_only, "the example INF declares NTarm64 models");
    std::fs::write(&inf, amd64_only).unwrap();
    let set_vw = format!("virtio_win={}", tree_copy.display());

    for (recipe, sets) in [
        ("virtio-win-full", &["os=w11", "arches=arm64"][..]),
        (
            "virtio-win-driver-pack",
            &["os=w11", "arches=arm64", "drivers=viostor"][..],
        ),
        (
            "windows-unattend",
            &["os=w11", "arch=arm64", "guest_agent=false"][..],
        ),
    ] {
        let out = w.path().join(recipe);
        let out_set = format!("out_dir={}", out.display());
        let mut args = vec!["run", recipe, "--set", &out_set, "--set", &set_vw];
        for s in sets {
            args.extend(["--set", s]);
        }
        user.run(w.path(), &args)
            .exits(1)
            .says(&["viostor/w11/ARM64/viostor.inf", "NTarm64"]);
        assert!(
            !out.exists(),
            "{recipe}: media with an amd64-only INF in an ARM64 folder were written"
        );
    }
}
