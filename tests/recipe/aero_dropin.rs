//! aero-recipe as a drop-in for Aero's earlier packager (issue 19): the `aero-virtio` recipe
//! run on inputs shaped like Aero's current ones, all written here: a contract whose tablet
//! entry has no `virtio_device_type`, a guest-tools tree with `drivers/README.md`, and a
//! driver whose INF installs a binary named unlike the INF. The media are read back with
//! `unzip` and plain text parsing (not the tool's own readers), and checked for the file set,
//! the devices.cmd values, the `"version"` lines Aero's CMD fallback reads, and the date source.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use crate::util::recipe::*;
use crate::util::validate::{write_package, InfShape};
use crate::util::*;

/// Aero's contract shape at 1.0.6 (our own text): five devices named as Aero names them, the
/// tablet sharing virtio-input's PCI ID with its own subsystem and no `virtio_device_type`.
const CONTRACT: &str = r#"{
  "$schema": "./windows-device-contract.schema.json",
  "schema_version": 1,
  "contract_name": "dropin-contract",
  "contract_version": "1.0.6",
  "devices": [
    {"device": "virtio-blk", "pci_vendor_id": "0x1AF4", "pci_device_id": "0x1042",
     "pci_device_id_transitional": "0x1001",
     "hardware_id_patterns": ["PCI\\VEN_1AF4&DEV_1042&REV_01", "PCI\\VEN_1AF4&DEV_1042"],
     "driver_service_name": "aero_virtio_blk", "inf_name": "aero_virtio_blk.inf", "virtio_device_type": 2},
    {"device": "virtio-net", "pci_vendor_id": "0x1AF4", "pci_device_id": "0x1041",
     "hardware_id_patterns": ["PCI\\VEN_1AF4&DEV_1041&REV_01", "PCI\\VEN_1AF4&DEV_1041"],
     "driver_service_name": "aero_virtio_net", "inf_name": "aero_virtio_net.inf", "virtio_device_type": 1},
    {"device": "virtio-snd", "pci_vendor_id": "0x1AF4", "pci_device_id": "0x1059",
     "hardware_id_patterns": ["PCI\\VEN_1AF4&DEV_1059&REV_01"],
     "driver_service_name": "aero_virtio_snd", "inf_name": "aero_virtio_snd.inf", "virtio_device_type": 25},
    {"device": "virtio-input", "pci_vendor_id": "0x1AF4", "pci_device_id": "0x1052",
     "hardware_id_patterns": ["PCI\\VEN_1AF4&DEV_1052&SUBSYS_00101AF4&REV_01", "PCI\\VEN_1AF4&DEV_1052&REV_01"],
     "driver_service_name": "aero_virtio_input", "inf_name": "aero_virtio_input.inf", "virtio_device_type": 18},
    {"device": "aero-virtio-input-tablet", "pci_vendor_id": "0x1AF4", "pci_device_id": "0x1052",
     "hardware_id_patterns": ["PCI\\VEN_1AF4&DEV_1052&SUBSYS_00121AF4&REV_01"],
     "driver_service_name": "aero_virtio_input", "inf_name": "aero_virtio_tablet.inf"},
    {"device": "aero-gpu", "pci_vendor_id": "0xA3A0", "pci_device_id": "0x0001",
     "hardware_id_patterns": ["PCI\\VEN_A3A0&DEV_0001"],
     "driver_service_name": "aerogpu", "inf_name": "aerogpu_dx11.inf"}
  ]
}
"#;

const DRIVERS_README: &str =
    "Drivers live under drivers/<arch>/<name>/; setup.cmd installs them.\r\n";

/// The inputs in `root`: `contract.json`, `guest-tools/` (the repository's tree plus
/// `drivers/README.md` and hidden `.keep` placeholders, as in Aero's tree) and `drivers/`
/// (aero_virtio_blk installing `aeroblk.sys`, aero_virtio_net installing its namesake).
fn inputs(root: &Path) {
    std::fs::write(root.join("contract.json"), CONTRACT).unwrap();
    let gt = root.join("guest-tools");
    copy_tree(&repo().join("guest-tools"), &gt);
    make_writable(&gt);
    for arch in ["x86", "amd64"] {
        std::fs::create_dir_all(gt.join("drivers").join(arch)).unwrap();
        std::fs::write(gt.join("drivers").join(arch).join(".keep"), b"").unwrap();
    }
    std::fs::write(gt.join("drivers/README.md"), DRIVERS_README).unwrap();

    let drivers = root.join("drivers");
    for (arch, deco) in [("x86", "NTx86"), ("amd64", "NTamd64")] {
        let mut blk = InfShape::simple(
            "aero_virtio_blk",
            "aero_virtio_blk",
            &["PCI\\VEN_1AF4&DEV_1042&REV_01"],
        )
        .only(deco);
        blk.services = vec![("aero_virtio_blk".into(), 2, "aeroblk.sys".into())];
        write_package(&drivers, arch, "aero_virtio_blk", &blk);
        let net = InfShape::simple(
            "aero_virtio_net",
            "aero_virtio_net",
            &["PCI\\VEN_1AF4&DEV_1041&REV_01"],
        )
        .only(deco);
        write_package(&drivers, arch, "aero_virtio_net", &net);
    }
}

fn build(user: &User, cwd: &Path, root: &Path, out: &Path, extra: &[&str]) -> Summary {
    let d = format!("drivers_dir={}", root.join("drivers").display());
    let g = format!("guest_tools={}", root.join("guest-tools").display());
    let c = format!("contract={}", root.join("contract.json").display());
    let mut args = vec![
        d.as_str(),
        g.as_str(),
        c.as_str(),
        "signing_policy=none",
        "version=2.5.0",
        "build_id=ci-77",
    ];
    args.extend_from_slice(extra);
    user.recipe(cwd, "aero-virtio", out, &args)
}

/// The ZIP's file names, as `unzip -Z1` lists them (directories left out).
fn zip_names(zip: &Path) -> Vec<String> {
    let out = tool_ok(tool("unzip").arg("-Z1").arg(zip));
    let mut v: Vec<String> = out
        .lines()
        .filter(|l| !l.ends_with('/'))
        .map(str::to_string)
        .collect();
    v.sort();
    v
}

fn zip_file(zip: &Path, name: &str) -> Vec<u8> {
    let out = Command::new("unzip")
        .arg("-p")
        .arg(zip)
        .arg(name)
        .output()
        .expect("unzip");
    assert!(out.status.success(), "unzip -p {name}");
    out.stdout
}

/// `set "NAME=value"` and `set NAME=...` lines of a devices.cmd, as text (an empty value
/// stays, as the line says it), read without the tool's own parser.
fn set_lines(text: &str) -> BTreeMap<String, String> {
    let mut m = BTreeMap::new();
    for line in text.split("\r\n") {
        let Some(rest) = line.strip_prefix("set ") else {
            continue;
        };
        let (name, value) = match rest.strip_prefix('"') {
            Some(q) => {
                let body = q.strip_suffix('"').expect("closing quote");
                body.split_once('=').expect("NAME=value")
            }
            None => rest.split_once('=').expect("NAME=value"),
        };
        m.insert(name.to_string(), value.to_string());
    }
    m
}

/// What Aero's setup.cmd does without PowerShell: take every line of manifest.json with a
/// `"version"` key and keep its value.
fn version_lines(manifest: &str) -> Vec<String> {
    manifest
        .lines()
        .filter(|l| l.contains("\"version\""))
        .map(|l| {
            let after = l.split_once(':').expect("key: value").1;
            after
                .trim()
                .trim_end_matches(',')
                .trim_matches('"')
                .to_string()
        })
        .collect()
}

#[test]
fn aero_shaped_inputs_build_media_like_the_earlier_packager() {
    let t = tempdir();
    let root = t.path();
    inputs(root);
    let user = User::new();
    let out = root.join("out");
    let summary = build(&user, root, root, &out, &[]);
    let zip = summary.get("aero-guest-tools.zip").path.clone();
    user.verify(&out);

    // File set: the guest-tools tree as is (drivers/README.md kept, hidden .keep skipped), the
    // generated devices.cmd and manifest, and every shipped driver file.
    let names = zip_names(&zip);
    assert!(
        names.contains(&"drivers/README.md".to_string()),
        "{names:#?}"
    );
    assert_eq!(
        zip_file(&zip, "drivers/README.md"),
        DRIVERS_README.as_bytes()
    );
    assert!(!names.iter().any(|n| n.ends_with(".keep")), "{names:#?}");
    for arch in ["x86", "amd64"] {
        for f in [
            "aero_virtio_blk/aero_virtio_blk.inf",
            "aero_virtio_blk/aeroblk.sys",
            "aero_virtio_blk/aero_virtio_blk.cat",
            "aero_virtio_net/aero_virtio_net.inf",
            "aero_virtio_net/aero_virtio_net.sys",
            "aero_virtio_net/aero_virtio_net.cat",
        ] {
            let p = format!("drivers/{arch}/{f}");
            assert!(names.contains(&p), "{p} missing: {names:#?}");
        }
    }
    let drivers: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with("drivers/") && n.as_str() != "drivers/README.md")
        .collect();
    assert_eq!(drivers.len(), 12, "{drivers:#?}");
    for f in [
        "manifest.json",
        "config/devices.cmd",
        "setup.cmd",
        "README.md",
    ] {
        assert!(names.contains(&f.to_string()), "{f} missing");
    }
    let manifest_text = String::from_utf8(zip_file(&zip, "manifest.json")).unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&manifest_text).unwrap();
    let listed: Vec<String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect();
    let mut without_manifest = names.clone();
    without_manifest.retain(|n| n != "manifest.json");
    assert_eq!(listed, without_manifest, "manifest lists the media");

    // devices.cmd: service names and HWIDs from the contract; `_SYS` from the ServiceBinary of
    // a shipped INF (aeroblk.sys, not the INF's name), empty for every device nothing ships for.
    let dc = String::from_utf8(zip_file(&zip, "config/devices.cmd")).unwrap();
    let vars = set_lines(&dc);
    let want = [
        ("AERO_VIRTIO_BLK_SERVICE", "aero_virtio_blk"),
        ("AERO_VIRTIO_BLK_SYS", "aeroblk.sys"),
        (
            "AERO_VIRTIO_BLK_HWIDS",
            "\"PCI\\VEN_1AF4&DEV_1042&REV_01\" \"PCI\\VEN_1AF4&DEV_1042\"",
        ),
        ("AERO_VIRTIO_NET_SERVICE", "aero_virtio_net"),
        ("AERO_VIRTIO_NET_SYS", "aero_virtio_net.sys"),
        ("AERO_VIRTIO_SND_SERVICE", "aero_virtio_snd"),
        ("AERO_VIRTIO_SND_SYS", ""),
        ("AERO_VIRTIO_INPUT_SERVICE", "aero_virtio_input"),
        ("AERO_VIRTIO_INPUT_SYS", ""),
        ("AERO_VIRTIO_INPUT_TABLET_SERVICE", "aero_virtio_input"),
        ("AERO_VIRTIO_INPUT_TABLET_SYS", ""),
        (
            "AERO_VIRTIO_INPUT_TABLET_HWIDS",
            "\"PCI\\VEN_1AF4&DEV_1052&SUBSYS_00121AF4&REV_01\"",
        ),
        ("AERO_GPU_SERVICE", "aerogpu"),
        ("AERO_GPU_SYS", ""),
        ("AERO_GPU_HWIDS", "\"PCI\\VEN_A3A0&DEV_0001\""),
    ];
    for (name, value) in want {
        assert_eq!(
            vars.get(name).map(String::as_str),
            Some(value),
            "{name} in\n{dc}"
        );
    }

    // Manifest: the fields Aero's setup.cmd reads, and `"version"` only for the package.
    assert_eq!(manifest["package"]["version"], "2.5.0");
    assert_eq!(manifest["package"]["build_id"], "ci-77");
    assert_eq!(manifest["signing_policy"], "none");
    assert_eq!(manifest["certs_required"], false);
    assert_eq!(version_lines(&manifest_text), ["2.5.0"]);
    let beside = std::fs::read_to_string(out.join("manifest.json")).unwrap();
    assert_eq!(version_lines(&beside), ["2.5.0"]);
}

#[test]
fn the_date_comes_from_the_variable_the_parameter_or_the_commit_and_the_summary_says_which() {
    let t = tempdir();
    let root = t.path();
    inputs(root);
    let user = User::new();
    let epoch = |out: &Path| -> i64 {
        let m = read_json(&out.join("manifest.json"));
        m["package"]["source_date_epoch"].as_i64().unwrap()
    };
    let from = |cwd: &Path, sde: Option<i64>, out: &Path, extra: &[&str]| -> String {
        let d = format!("drivers_dir={}", root.join("drivers").display());
        let g = format!("guest_tools={}", root.join("guest-tools").display());
        let c = format!("contract={}", root.join("contract.json").display());
        let o = format!("out_dir={}", out.display());
        let mut args = vec![
            "run",
            "aero-virtio",
            "--json",
            "--set",
            &o,
            "--set",
            &d,
            "--set",
            &g,
            "--set",
            &c,
            "--set",
            "signing_policy=none",
        ];
        for e in extra {
            args.push("--set");
            args.push(e);
        }
        let r = run(&mut user.cmd_sde(cwd, sde, &args)).ok();
        let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        v["source_date_epoch_from"].as_str().unwrap().to_string()
    };

    // A git repository as the working directory, HEAD committed at a known time.
    let repo_dir = root.join("work");
    git_repo_at(&repo_dir, 1_650_000_000);

    let out = repo_dir.join("o-git");
    let said = from(&repo_dir, None, &out, &[]);
    assert!(said.contains("HEAD commit"), "{said}");
    assert_eq!(epoch(&out), 1_650_000_000);
    // The same commit twice gives the same bytes.
    let again = repo_dir.join("o-git2");
    from(&repo_dir, None, &again, &[]);
    assert_eq!(
        sha256_file(&out.join("aero-guest-tools.iso")),
        sha256_file(&again.join("aero-guest-tools.iso"))
    );

    let out = repo_dir.join("o-env");
    let said = from(&repo_dir, Some(1_234), &out, &[]);
    assert!(said.contains("SOURCE_DATE_EPOCH"), "{said}");
    assert_eq!(epoch(&out), 1_234);

    let out = repo_dir.join("o-param");
    let said = from(&repo_dir, Some(1_234), &out, &["source_date_epoch=777"]);
    assert!(said.contains("source_date_epoch parameter"), "{said}");
    assert_eq!(epoch(&out), 777);

    // Outside any repository, nothing given: 0, and the summary says so.
    let plain = root.join("plain");
    std::fs::create_dir_all(&plain).unwrap();
    let out = plain.join("o");
    let said = from(&plain, None, &out, &[]);
    assert!(said.contains("none given"), "{said}");
    assert_eq!(epoch(&out), 0);
}
