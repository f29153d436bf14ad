//! The sample inputs in `examples/` are what recipes run on by default: they must be what the
//! generator writes, read cleanly through the INF module with the facts of the real drivers,
//! stay small, and carry only public certificates.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use aero_recipe::arch::Arch;
use aero_recipe::inf::Inf;

use crate::util::*;

fn examples() -> PathBuf {
    repo().join("examples")
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}

/// Every file an INF references is beside it (case-insensitively, as Windows finds them).
fn assert_references_present(inf: &Inf, dir: &Path) {
    let present: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_lowercase())
        .collect();
    for r in inf.referenced_files() {
        assert!(
            present.contains(&r.name.to_lowercase()),
            "{}: {} ({}) is not in {}",
            inf.path().display(),
            r.name,
            r.directive,
            dir.display()
        );
    }
}

#[test]
fn virtio_win_infs_carry_the_upstream_facts() {
    // dir -> (INF, catalog named in the INF, function services in order, modern HWID prefix).
    let facts: BTreeMap<&str, (&str, &str, Vec<&str>, &str)> = [
        (
            "viostor",
            (
                "viostor.inf",
                "viostor.cat",
                vec!["viostor"],
                "PCI\\VEN_1AF4&DEV_1042",
            ),
        ),
        (
            "vioscsi",
            (
                "vioscsi.inf",
                "vioscsi.cat",
                vec!["vioscsi"],
                "PCI\\VEN_1AF4&DEV_1048",
            ),
        ),
        (
            "NetKVM",
            (
                "netkvm.inf",
                "netkvm.cat",
                vec!["netkvm"],
                "PCI\\VEN_1AF4&DEV_1041",
            ),
        ),
        (
            "vioinput",
            (
                "vioinput.inf",
                "vioinput.cat",
                vec!["VirtioInput", "viohidkmdf"],
                "PCI\\VEN_1AF4&DEV_1052",
            ),
        ),
        (
            "Balloon",
            (
                "balloon.inf",
                "Balloon.cat",
                vec!["BALLOON"],
                "PCI\\VEN_1AF4&DEV_1045",
            ),
        ),
        (
            "vioserial",
            (
                "vioser.inf",
                "vioser.cat",
                vec!["VirtioSerial"],
                "PCI\\VEN_1AF4&DEV_1043",
            ),
        ),
        (
            "viorng",
            (
                "viorng.inf",
                "viorng.cat",
                vec!["VirtRng"],
                "PCI\\VEN_1AF4&DEV_1044",
            ),
        ),
        (
            "viofs",
            (
                "viofs.inf",
                "viofs.cat",
                vec!["VirtioFsDrv"],
                "PCI\\VEN_1AF4&DEV_105A",
            ),
        ),
        (
            "viogpudo",
            (
                "viogpudo.inf",
                "viogpudo.cat",
                vec!["VioGpuDod"],
                "PCI\\VEN_1AF4&DEV_1050",
            ),
        ),
        (
            "qemufwcfg",
            ("qemufwcfg.inf", "qemufwcfg.cat", vec![], "ACPI\\QEMU0002"),
        ),
        (
            "pvpanic",
            (
                "pvpanic.inf",
                "pvpanic.cat",
                vec!["pvpanic"],
                "ACPI\\QEMU0001",
            ),
        ),
    ]
    .into_iter()
    .collect();
    let root = examples().join("virtio-win");
    let mut seen = 0;
    for (dir, (inf_name, cat, services, hwid)) in &facts {
        for os in std::fs::read_dir(root.join(dir)).unwrap() {
            let os = os.unwrap();
            let os_name = os.file_name().to_string_lossy().into_owned();
            for arch_dir in std::fs::read_dir(os.path()).unwrap() {
                let arch_dir = arch_dir.unwrap().path();
                let arch_name = arch_dir.file_name().unwrap().to_string_lossy().into_owned();
                let arch = Arch::parse(&arch_name).unwrap();
                let inf = Inf::load(&arch_dir.join(inf_name)).unwrap();
                let at = format!("{dir}/{os_name}/{arch_name}");
                assert!(inf.warnings().is_empty(), "{at}: {:?}", inf.warnings());
                assert_eq!(inf.encoding(), "utf-8", "{at}: upstream INFs are ASCII");
                for other in Arch::ALL {
                    assert_eq!(
                        inf.has_models_for(other),
                        other == arch,
                        "{at}: models for {other}"
                    );
                }
                let os_version = inf.models()[0].decoration.os_version.clone().unwrap();
                let want = match os_name.as_str() {
                    "w7" => "6.1",
                    "w8" => "6.2",
                    "w8.1" => "6.3",
                    "w11" | "2k25" => "10.0...22000",
                    _ => "10.0",
                };
                assert_eq!(os_version, want, "{at}");
                assert_eq!(inf.version().catalog_files[0].file, *cat, "{at}");
                let hwids = inf.hardware_ids();
                assert!(
                    hwids.iter().any(|h| h.eq_ignore_ascii_case(hwid)),
                    "{at}: {hwids:?}"
                );
                let got: Vec<&str> = inf
                    .function_services(&|_| true)
                    .iter()
                    .map(|s| s.name.as_str())
                    .collect();
                assert_eq!(&got, services, "{at}");
                if services.is_empty() {
                    assert!(inf.services().iter().all(|s| s.is_null()), "{at}");
                }
                // KMDF co-installers by era, as upstream ships them.
                let coinst: Vec<String> = inf
                    .referenced_files()
                    .iter()
                    .filter(|r| r.name.starts_with("WdfCoInstaller"))
                    .map(|r| r.name.clone())
                    .collect();
                let kmdf = [
                    "vioinput",
                    "Balloon",
                    "vioserial",
                    "viorng",
                    "viofs",
                    "pvpanic",
                ]
                .contains(dir);
                match (kmdf, os_name.as_str()) {
                    (true, "w7") => {
                        assert!(coinst.contains(&"WdfCoInstaller01009.dll".into()), "{at}")
                    }
                    (true, "w8" | "w8.1") => {
                        assert!(coinst.contains(&"WdfCoInstaller01011.dll".into()), "{at}")
                    }
                    _ => assert!(coinst.is_empty(), "{at}: {coinst:?}"),
                }
                assert_references_present(&inf, &arch_dir);
                seen += 1;
            }
        }
    }
    assert!(seen > 60, "only {seen} INFs checked");
    assert!(
        !root.join("viostor/2k22").exists(),
        "2k22 must stay absent (alias test)"
    );
}

#[test]
fn aero_infs_use_aero_services_and_modern_ids() {
    // As in Aero's current tree: the GPU INF is aerogpu_dx11.inf, and the virtio-input
    // directory carries the tablet INF (own subsystem ID, same service).
    let want: BTreeMap<&str, (&str, Vec<&str>)> = [
        ("aerogpu_dx11", ("aerogpu", vec!["PCI\\VEN_A3A0&DEV_0001"])),
        (
            "aero_virtio_blk",
            ("aero_virtio_blk", vec!["PCI\\VEN_1AF4&DEV_1042&REV_01"]),
        ),
        (
            "aero_virtio_net",
            ("aero_virtio_net", vec!["PCI\\VEN_1AF4&DEV_1041&REV_01"]),
        ),
        (
            "aero_virtio_input",
            (
                "aero_virtio_input",
                vec![
                    "PCI\\VEN_1AF4&DEV_1052&SUBSYS_00101AF4&REV_01",
                    "PCI\\VEN_1AF4&DEV_1052&SUBSYS_00111AF4&REV_01",
                ],
            ),
        ),
        (
            "aero_virtio_tablet",
            (
                "aero_virtio_input",
                vec!["PCI\\VEN_1AF4&DEV_1052&SUBSYS_00121AF4&REV_01"],
            ),
        ),
        (
            "aero_virtio_snd",
            ("aero_virtio_snd", vec!["PCI\\VEN_1AF4&DEV_1059&REV_01"]),
        ),
    ]
    .into_iter()
    .collect();
    let mut seen = 0;
    for top in ["aero-drivers", "aero-virtio-drivers", "ci-packages"] {
        for path in files_under(&examples().join(top)) {
            if path.extension().and_then(|e| e.to_str()) != Some("inf") {
                continue;
            }
            let stem = path.file_stem().unwrap().to_str().unwrap();
            let (service, hwids) = &want[stem];
            let inf = Inf::load(&path).unwrap();
            let at = path.display().to_string();
            assert!(inf.warnings().is_empty(), "{at}: {:?}", inf.warnings());
            let services: Vec<&str> = inf
                .function_services(&|_| true)
                .iter()
                .map(|s| s.name.as_str())
                .collect();
            assert_eq!(services, [*service], "{at}");
            assert_eq!(inf.hardware_ids(), *hwids, "{at}");
            let parent = path.parent().unwrap();
            let arch_name = if top == "ci-packages" {
                parent.file_name().unwrap()
            } else {
                parent.parent().unwrap().file_name().unwrap()
            };
            let arch = Arch::parse(arch_name.to_str().unwrap()).unwrap();
            assert!(
                inf.has_models_for(arch) && !inf.has_models_for(Arch::Arm64),
                "{at}"
            );
            assert_references_present(&inf, parent);
            seen += 1;
        }
    }
    // 6 INFs (the tablet's beside virtio-input's) x 2 arches in two layouts, plus blk + net
    // x 2 arches.
    assert_eq!(seen, 28);
}

#[test]
fn examples_are_what_the_generator_writes() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("examples");
    let script = repo().join("scripts/gen-examples");
    let status = Command::new("python3")
        .arg(&script)
        .arg("--out")
        .arg(&out)
        .status()
        .expect("python3 is needed to run scripts/gen-examples (scripts/install-deps installs it)");
    assert!(status.success());
    let generated: Vec<PathBuf> = files_under(&out)
        .into_iter()
        .map(|p| p.strip_prefix(&out).unwrap().to_path_buf())
        .collect();
    let committed: Vec<PathBuf> = files_under(&examples())
        .into_iter()
        .map(|p| p.strip_prefix(examples()).unwrap().to_path_buf())
        .filter(|p| {
            // Files the generator does not own.
            !matches!(
                p.to_str().unwrap(),
                "README.md"
                    | ".gitattributes"
                    | "custom-recipe.rhai"
                    | "team-tools/collect-logs.cmd"
            )
        })
        .collect();
    assert_eq!(generated, committed);
    for rel in &generated {
        assert_eq!(
            std::fs::read(out.join(rel)).unwrap(),
            std::fs::read(examples().join(rel)).unwrap(),
            "{} differs from what scripts/gen-examples writes",
            rel.display()
        );
    }
}

#[test]
fn examples_are_small_public_and_obviously_placeholders() {
    let all = files_under(&examples());
    let total: u64 = all.iter().map(|p| p.metadata().unwrap().len()).sum();
    // About 100 driver packages, each with 1 KiB PE images and a ~2.3 KiB signed catalog.
    assert!(total < 700 * 1024, "examples/ holds {total} bytes");
    for p in &all {
        let bytes = std::fs::read(p).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains("PRIVATE KEY"),
            "{} holds key material",
            p.display()
        );
        let ext = p
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        // Driver binaries beside an INF are tiny generated PE images, catalogs are DER
        // (`aero-recipe catalog` and the catalog tests check them); the rest are placeholders.
        let in_package = p.parent().is_some_and(|d| {
            std::fs::read_dir(d).unwrap().any(|e| {
                e.unwrap()
                    .path()
                    .extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("inf"))
            })
        });
        match ext.as_str() {
            "sys" | "dll" if in_package => {
                assert!(
                    bytes.starts_with(b"MZ") && bytes.len() == 1024,
                    "{}",
                    p.display()
                )
            }
            "cat" => assert_eq!(bytes.first(), Some(&0x30), "{}", p.display()),
            "sys" | "dll" | "pdb" | "msi" | "exe" => {
                assert!(text.starts_with("placeholder "), "{}", p.display())
            }
            _ => {}
        }
    }
    // The certificates are real DER X.509 certificates that openssl reads, public part only.
    for cer in [
        "certs/aero-test.cer",
        "virtio-win/cert/Virtio_Win_Red_Hat_CA.cer",
    ] {
        let out = Command::new("openssl")
            .args(["x509", "-inform", "DER", "-noout", "-subject", "-in"])
            .arg(examples().join(cer))
            .output()
            .expect("openssl is needed for this test (scripts/install-deps installs it)");
        assert!(out.status.success(), "{cer}: {out:?}");
        let subject = String::from_utf8_lossy(&out.stdout);
        assert!(subject.contains("aero-recipe examples"), "{cer}: {subject}");
    }
}
