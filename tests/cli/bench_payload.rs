//! The bench's generated inputs stay what the bench claims: a packager payload that the
//! bundled `aero-virtio` recipe accepts whole (every file shipped) and that the generator
//! reproduces byte for byte, and an upstream-layout virtio-win image from which
//! `aero-recipe iso extract` and `7z x` take the same files and the driver-pack recipe runs.
//! Small sizes keep this quick; `scripts/bench` uses the same generator at full size.

use std::collections::BTreeMap;
use std::path::Path;

use crate::util::*;

fn generate(kind: &str, out: &Path, size_mb: u32, seed: u32) {
    ok(tool("python3")
        .arg(repo().join("bench/payload.py"))
        .arg(kind)
        .arg(out)
        .arg("--size")
        .arg(size_mb.to_string())
        .arg("--seed")
        .arg(seed.to_string()));
}

#[test]
fn packager_payload_is_reproducible_and_ships_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("payload");
    let again = tmp.path().join("again");
    generate("packager", &p, 12, 5);
    generate("packager", &again, 12, 5);
    let drivers = tree(&p.join("drivers"));
    assert!(
        drivers.len() > 20,
        "expected a real payload, got {} files",
        drivers.len()
    );
    assert!(
        tree(&p) == tree(&again),
        "the generator is not deterministic"
    );

    let out = tmp.path().join("out");
    ok(aero()
        .args(["--quiet", "run", "aero-virtio"])
        .arg("--set")
        .arg(format!("drivers_dir={}", p.join("drivers").display()))
        .arg("--set")
        .arg(format!("spec={}", p.join("spec.json").display()))
        .arg("--set")
        .arg(format!("guest_tools={}", p.join("guest-tools").display()))
        .args(["--set", "signing_policy=none", "--set", "cert="])
        .arg("--set")
        .arg(format!("out_dir={}", out.display())));
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).unwrap()).unwrap();
    let shipped: BTreeMap<String, String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| {
            let path = f["path"].as_str()?.strip_prefix("drivers/")?;
            Some((path.to_string(), f["sha256"].as_str()?.to_string()))
        })
        .collect();
    // Every generated file (symbols included, through the spec's allow_extensions) is on the
    // media with its own hash: the bench compares like with like.
    let expected: BTreeMap<String, String> = drivers
        .iter()
        .map(|(k, v)| (k.clone(), aero_recipe::hash::sha256_bytes(v)))
        .collect();
    assert_eq!(shipped, expected);
    assert!(out.join("aero-guest-tools.iso").is_file());
    assert!(out.join("aero-guest-tools.zip").is_file());
}

#[test]
fn virtio_win_image_extracts_like_7z_and_makes_a_driver_pack() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("vw");
    generate("virtio-win", &src, 12, 2);
    let iso = tmp.path().join("vw.iso");
    ok(tool("genisoimage")
        .args([
            "-quiet",
            "-r",
            "-iso-level",
            "4",
            "-input-charset",
            "iso8859-1",
        ])
        .args(["-V", "virtio-win-0.1.999", "-o"])
        .arg(&iso)
        .arg(&src));

    let folders = [
        "viostor/w10/amd64",
        "NetKVM/w10/amd64",
        "vioinput/w10/amd64",
    ];
    let ours = tmp.path().join("ours");
    ok(aero()
        .args(["--quiet", "iso", "extract"])
        .arg(&iso)
        .arg(&ours)
        .args(folders.iter().map(|f| format!("/{f}"))));
    let theirs = tmp.path().join("theirs");
    ok(tool("7z")
        .args(["x", "-y", "-bd", "-bso0", "-bsp0"])
        .arg(format!("-o{}", theirs.display()))
        .arg(&iso)
        .args(folders));
    let a = tree(&ours);
    assert!(
        a.keys().any(|k| k == "vioinput/w10/amd64/viohidkmdf.sys"),
        "unexpected extraction: {:?}",
        a.keys().collect::<Vec<_>>()
    );
    assert!(
        a == tree(&theirs),
        "aero-recipe and 7z extracted different files"
    );
    for f in folders {
        assert!(
            a.keys().filter(|k| k.starts_with(f)).count() >= 4,
            "{f} is incomplete"
        );
    }

    let pack = tmp.path().join("pack");
    ok(aero()
        .args(["--quiet", "run", "virtio-win-driver-pack"])
        .arg("--set")
        .arg(format!("virtio_win={}", iso.display()))
        .args(["--set", "os=w10", "--set", "arches=amd64"])
        .args([
            "--set",
            "drivers=balloon,netkvm,viogpudo,vioinput,vioscsi,viostor",
        ])
        .arg("--set")
        .arg(format!("out_dir={}", pack.display())));
    let inf = pack.join("virtio-win-driver-pack/drivers/amd64/viostor/viostor.inf");
    assert_eq!(
        std::fs::read(&inf).unwrap(),
        std::fs::read(src.join("viostor/w10/amd64/viostor.inf")).unwrap()
    );
}
