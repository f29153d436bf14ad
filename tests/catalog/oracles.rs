//! `aero-recipe catalog` agrees with osslsigncode (PE files) and with a flat hash found in
//! `openssl asn1parse` output (INFs) on every generated fixture: x86, amd64 and arm64 images,
//! SHA-1 and SHA-256 catalogs, a flipped byte, a file left out, an LF-converted INF.

use std::path::Path;

use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::fixtures::{package, Case};
use crate::util::{aero, run, tempdir, tool};

/// What osslsigncode says about a PE file and a catalog: "File is signed in catalog".
fn osslsigncode_covers(file: &Path, cat: &Path) -> bool {
    let r = run(tool("osslsigncode")
        .args(["verify", "-in"])
        .arg(file)
        .arg("-catalog")
        .arg(cat));
    let text = format!("{}{}", r.stdout, r.stderr);
    assert!(
        text.contains("Checking the specified catalog file"),
        "osslsigncode did not read the catalog: {text}"
    );
    text.contains("File is signed in catalog")
}

/// Whether the flat digest of `file` (by the catalog's algorithm) appears in the catalog's
/// `openssl asn1parse` hex dumps, at a byte boundary.
fn asn1parse_covers(file: &Path, cat: &Path, hash: &str) -> bool {
    let data = std::fs::read(file).unwrap();
    let digest: String = match hash {
        "sha1" => Sha1::digest(&data).to_vec(),
        _ => Sha256::digest(&data).to_vec(),
    }
    .iter()
    .map(|b| format!("{b:02X}"))
    .collect();
    let out = run(tool("openssl")
        .args(["asn1parse", "-inform", "DER", "-in"])
        .arg(cat))
    .ok()
    .stdout;
    out.lines()
        .filter_map(|l| l.split("[HEX DUMP]:").nth(1))
        .any(|dump| dump.match_indices(&digest).any(|(i, _)| i % 2 == 0))
}

/// `aero-recipe catalog DIR --json`: the coverage of each file of the one package in DIR.
fn aero_coverage(dir: &Path) -> (Option<i32>, Vec<(String, String)>, String) {
    let r = run(aero().arg("catalog").arg(dir).arg("--json"));
    let v: serde_json::Value = serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("catalog --json: {e}\n{}\n{}", r.stdout, r.stderr));
    let files = v[0]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["coverage"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (r.code, files, r.stderr)
}

#[test]
fn catalog_agrees_with_osslsigncode_and_asn1parse_on_every_fixture() {
    let tmp = tempdir();
    let mut compared = 0;
    for hash in ["sha1", "sha256"] {
        for arch in ["x86", "amd64", "arm64"] {
            for case in Case::ALL {
                let dir = package(tmp.path(), case, hash, arch);
                let cat = dir.join("drv.cat");
                let (code, files, stderr) = aero_coverage(&dir);
                assert_eq!(files.len(), 3, "{dir:?}: {files:?}");
                for (name, coverage) in &files {
                    let ours = coverage == "covered";
                    let path = dir.join(name);
                    let theirs = if name.ends_with(".inf") {
                        asn1parse_covers(&path, &cat, hash)
                    } else {
                        osslsigncode_covers(&path, &cat)
                    };
                    assert_eq!(
                        ours, theirs,
                        "{case:?} {hash} {arch} {name}: aero-recipe says {coverage}"
                    );
                    compared += 1;
                    if !ours {
                        assert!(
                            stderr.contains(name.as_str()),
                            "the error names {name}: {stderr}"
                        );
                    }
                }
                let expect_ok = case == Case::Good;
                assert_eq!(
                    code,
                    Some(if expect_ok { 0 } else { 1 }),
                    "{case:?} {hash} {arch}: {stderr}"
                );
                // The cases break exactly the file they are about.
                let uncovered: Vec<&str> = files
                    .iter()
                    .filter(|(_, c)| c != "covered")
                    .map(|(n, _)| n.as_str())
                    .collect();
                let want: &[&str] = match case {
                    Case::Good => &[],
                    Case::Flipped => &["drv.sys"],
                    Case::Missing => &["extra.sys"],
                    Case::LfInf => &["drv.inf"],
                };
                assert_eq!(uncovered, want, "{case:?} {hash} {arch}");
            }
        }
    }
    assert_eq!(compared, 2 * 3 * 4 * 3);
}

#[test]
fn a_package_checked_for_another_architecture_names_the_machine_type() {
    let tmp = tempdir();
    let dir = package(tmp.path(), Case::Good, "sha256", "x86");
    let r = run(aero().arg("catalog").arg(&dir).args(["--arch", "amd64"]));
    r.exits(1)
        .says(&["drv.sys", "machine type x86 (0x014c)", "amd64 (0x8664)"]);
    // Its own architecture passes, and the report names the machine and the signer.
    let ok = run(aero().arg("catalog").arg(&dir)).ok();
    assert!(ok.stdout.contains("x86 (0x014c)"), "{}", ok.stdout);
    assert!(
        ok.stdout.contains("CN=Catalog fixture signer"),
        "{}",
        ok.stdout
    );
}

#[test]
fn test_policy_wants_the_signers_certificate() {
    let tmp = tempdir();
    let dir = package(tmp.path(), Case::Good, "sha1", "amd64");
    let signer = dir.with_extension("cer");
    run(aero()
        .arg("catalog")
        .arg(&dir)
        .args(["--policy", "test", "--cert"])
        .arg(&signer))
    .ok();
    let other = crate::util::repo().join("examples/certs/aero-test.cer");
    run(aero()
        .arg("catalog")
        .arg(&dir)
        .args(["--policy", "test", "--cert"])
        .arg(&other))
    .exits(1)
    .says(&[
        "drv.cat",
        "signed by `CN=Catalog fixture signer",
        "Aero example test signing certificate",
    ]);
    run(aero()
        .arg("catalog")
        .arg(&dir)
        .args(["--policy", "production"]))
    .exits(1)
    .says(&["not by Microsoft"]);
}

#[test]
fn every_example_package_verifies_and_osslsigncode_agrees() {
    let examples = crate::util::repo().join("examples");
    let trees = [
        "virtio-win",
        "aero-drivers",
        "aero-virtio-drivers",
        "ci-packages",
    ];
    let r = run(aero()
        .arg("catalog")
        .args(trees.iter().map(|t| examples.join(t)))
        .arg("--json"))
    .ok();
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let packages = v.as_array().unwrap();
    assert!(packages.len() > 90, "{} packages", packages.len());
    let mut pe_checked = 0;
    for p in packages {
        assert_eq!(p["kind"], "package", "{p}");
        assert!(p["findings"].as_array().unwrap().is_empty(), "{p}");
        let inf = Path::new(p["path"].as_str().unwrap());
        let dir = inf.parent().unwrap();
        let cat = dir.join(p["catalog"].as_str().unwrap());
        for f in p["files"].as_array().unwrap() {
            assert_eq!(f["coverage"], "covered", "{p}");
            // osslsigncode on one package per tree is enough to tie the examples to the oracle.
            let sampled = dir.ends_with("viostor/w7/amd64") || dir.ends_with("x86/virtio-blk");
            if f["digest"] == "authenticode" && sampled {
                assert!(osslsigncode_covers(
                    &dir.join(f["name"].as_str().unwrap()),
                    &cat
                ));
                pe_checked += 1;
            }
        }
    }
    assert!(pe_checked >= 2);
}

#[test]
fn damaged_catalogs_are_errors_not_crashes() {
    let tmp = tempdir();
    let dir = package(tmp.path(), Case::Good, "sha256", "amd64");
    let cat = dir.join("drv.cat");
    let good = std::fs::read(&cat).unwrap();
    // Every truncation point in the first 600 bytes, plus flipped bytes across the file.
    let mut variants: Vec<Vec<u8>> = (0..good.len().min(600))
        .step_by(7)
        .map(|n| good[..n].to_vec())
        .collect();
    for i in (0..good.len()).step_by(53) {
        let mut b = good.clone();
        b[i] ^= 0x80;
        variants.push(b);
    }
    for b in variants {
        std::fs::write(&cat, &b).unwrap();
        let r = run(aero().arg("catalog").arg(&cat));
        assert!(matches!(r.code, Some(0 | 1)), "{:?}: {}", r.code, r.stderr);
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        let r = run(aero().arg("catalog").arg(&dir));
        assert!(matches!(r.code, Some(0 | 1)), "{:?}: {}", r.code, r.stderr);
    }
}

#[test]
fn an_os_attr_that_does_not_cover_the_target_is_a_warning_with_the_versions_named() {
    let tmp = tempdir();
    let dir = package(tmp.path(), Case::Good, "sha256", "amd64");
    let ok = run(aero().arg("catalog").arg(&dir).args(["--os", "w7"])).ok();
    assert!(!ok.stdout.contains("warning"), "{}", ok.stdout);
    let warned = run(aero().arg("catalog").arg(&dir).args(["--os", "w10"])).ok();
    assert!(
        warned
            .stdout
            .contains("warning: drv.cat: OSAttr `2:6.1` does not cover w10 (2:10.0)"),
        "{}",
        warned.stdout
    );
    run(aero().arg("catalog").arg(&dir).args(["--os", "w9"]))
        .exits(2)
        .says(&["unknown Windows version `w9`"]);
}
