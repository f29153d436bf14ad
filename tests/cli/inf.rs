//! `aero-recipe inf`: what users and checks see in an INF, end to end through the binary.

use std::path::{Path, PathBuf};

use aero_recipe::arch::Arch;
use aero_recipe::inf::Inf;
use serde_json::Value;

use crate::util::*;

fn data(name: &str) -> PathBuf {
    repo().join("tests/data/inf").join(name)
}

/// `aero-recipe inf --json FILES...`, expecting success; the parsed array.
fn inf_json(files: &[&Path]) -> Vec<Value> {
    let mut args: Vec<&std::ffi::OsStr> = vec!["inf".as_ref(), "--json".as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    let out = output(aero().args(&args));
    assert!(
        out.status.success(),
        "aero-recipe inf failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    match serde_json::from_slice(&out.stdout).expect("stdout is JSON") {
        Value::Array(items) => items,
        other => panic!("expected a JSON array, got {other}"),
    }
}

fn utf16(text: &str, little_endian: bool, bom: bool) -> Vec<u8> {
    let bom = bom.then_some('\u{feff}');
    bom.into_iter()
        .chain(text.chars())
        .collect::<String>()
        .encode_utf16()
        .flat_map(|u| {
            if little_endian {
                u.to_le_bytes()
            } else {
                u.to_be_bytes()
            }
        })
        .collect()
}

#[test]
fn every_encoding_gives_the_same_report() {
    let source = std::fs::read_to_string(data("encodings.inf")).unwrap();
    // Windows tools write CRLF; the source is kept with LF in git, so exercise CRLF here.
    let crlf = source.replace('\n', "\r\n");
    let (ansi, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&crlf);
    assert!(
        !unmappable,
        "the source must be representable in Windows-1252"
    );
    assert!(
        std::str::from_utf8(&ansi).is_err(),
        "the Windows-1252 variant must not be valid UTF-8, or it would not test the fallback"
    );
    let variants: Vec<(&str, Vec<u8>)> = vec![
        ("utf-8", crlf.as_bytes().to_vec()),
        (
            "utf-8-bom",
            [b"\xEF\xBB\xBF".as_slice(), crlf.as_bytes()].concat(),
        ),
        ("utf-16le-bom", utf16(&crlf, true, true)),
        ("utf-16le", utf16(&crlf, true, false)),
        ("utf-16be-bom", utf16(&crlf, false, true)),
        ("utf-16be", utf16(&crlf, false, false)),
        ("windows-1252", ansi.into_owned()),
    ];
    let dir = tempfile::tempdir().unwrap();
    let paths: Vec<PathBuf> = variants
        .iter()
        .map(|(name, bytes)| {
            let p = dir.path().join(format!("netdemo-{name}.inf"));
            std::fs::write(&p, bytes).unwrap();
            p
        })
        .collect();
    let path_refs: Vec<&Path> = paths.iter().map(PathBuf::as_path).collect();
    let reports = inf_json(&path_refs);
    assert_eq!(reports.len(), variants.len());

    let mut stripped = Vec::new();
    for ((name, _), (report, path)) in variants.iter().zip(reports.iter().zip(&paths)) {
        assert_eq!(report["encoding"], *name);
        assert_eq!(report["file"], path.display().to_string());
        let mut r = report.clone();
        let obj = r.as_object_mut().unwrap();
        obj.remove("encoding");
        obj.remove("file");
        stripped.push(r);
    }
    for (r, (name, _)) in stripped.iter().zip(&variants) {
        assert_eq!(r, &stripped[0], "{name} differs from utf-8");
    }

    // The shared report is right, not just the same: non-ASCII strings survived every decoding.
    let r = &reports[0];
    assert_eq!(r["version"]["provider"], "Société Exemple; « Réseaux »");
    assert_eq!(
        r["models"][0]["devices"][0]["description"],
        "Carte réseau Démo — Ethernet"
    );
    // `\` continuation joined the two IDs of the x86 device.
    assert_eq!(
        r["models"][0]["devices"][0]["hardware_ids"],
        serde_json::json!([
            "PCI\\VEN_1AF4&DEV_1041&SUBSYS_11001AF4&REV_01",
            "PCI\\VEN_1AF4&DEV_1041"
        ])
    );
    let decorations: Vec<(&str, &Value, &Value)> = r["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["decoration"].as_str().unwrap(),
                &m["arch"],
                &m["os_version"],
            )
        })
        .collect();
    assert_eq!(
        decorations,
        [
            ("NTx86", &Value::from("x86"), &Value::Null),
            ("NTamd64.6.1", &Value::from("amd64"), &Value::from("6.1")),
            (
                "NTamd64.10.0...16299",
                &Value::from("amd64"),
                &Value::from("10.0...16299")
            ),
        ]
    );
    let catalogs = &r["version"]["catalog_files"];
    assert_eq!(catalogs[0]["key"], "CatalogFile.NTx86");
    assert_eq!(catalogs[1]["decoration"], "NTamd64");
    assert_eq!(r["warnings"], serde_json::json!([]));
}

#[test]
fn vioinput_shows_both_services_the_hwid_under_its_decoration_and_the_coinstaller() {
    let path = data("vioinput.inf");
    let reports = inf_json(&[&path]);
    let r = &reports[0];
    assert_eq!(r["encoding"], "utf-8");
    assert_eq!(r["version"]["class"], "HIDClass");
    assert_eq!(r["version"]["provider"], "Red Hat, Inc.");
    assert_eq!(r["version"]["catalog_files"][0]["file"], "vioinput.cat");

    let services: Vec<(&str, u64, &str)> = r["services"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap(),
                s["flags"].as_u64().unwrap(),
                s["service_binary"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        services,
        [
            ("VirtioInput", 2, "vioinput.sys"),
            ("viohidkmdf", 0, "viohidkmdf.sys")
        ]
    );

    let models = r["models"].as_array().unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0]["section"], "Standard.NTamd64.6.1");
    assert_eq!(models[0]["decoration"], "NTamd64.6.1");
    assert_eq!(models[0]["arch"], "amd64");
    assert_eq!(models[0]["os_version"], "6.1");
    assert_eq!(
        models[0]["devices"][0]["description"],
        "VirtIO Input Driver"
    );
    assert_eq!(
        models[0]["devices"][0]["hardware_ids"],
        serde_json::json!(["PCI\\VEN_1AF4&DEV_1052&SUBSYS_11001AF4&REV_01"])
    );

    let files: Vec<(&str, &str)> = r["referenced_files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap(),
                f["directive"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        files,
        [
            ("viohidkmdf.sys", "CopyFiles"),
            ("viohidkmdf.sys", "ServiceBinary"),
            ("viohidkmdf.sys", "SourceDisksFiles"),
            ("vioinput.cat", "CatalogFile"),
            ("vioinput.sys", "CopyFiles"),
            ("vioinput.sys", "ServiceBinary"),
            ("vioinput.sys", "SourceDisksFiles"),
            ("WdfCoInstaller01009.dll", "CopyFiles"),
            ("WdfCoInstaller01009.dll", "SourceDisksFiles"),
            ("WdfCoInstaller01009.dll", "WdfCoInstaller"),
        ],
        "the co-installer named only in a comment (01011) must not appear"
    );
    assert_eq!(r["warnings"], serde_json::json!([]));

    // The readable report says the same things, with lines to find them by.
    let out = output(aero().args(["inf".as_ref(), path.as_os_str()]));
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "[Standard.NTamd64.6.1]  NTamd64.6.1 (amd64, OS 6.1)",
        "PCI\\VEN_1AF4&DEV_1052&SUBSYS_11001AF4&REV_01",
        "VirtioInput  flags 0x00000002 function driver  install [VirtioInput_Service_Inst]  binary vioinput.sys",
        "viohidkmdf  flags 0x00000000",
        "WdfCoInstaller01009.dll",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }

    // What other modules ask: the function driver of the device, and the architecture served.
    let inf = Inf::load(&path).unwrap();
    let function: Vec<&str> = inf
        .function_services(&|h| h.to_ascii_uppercase().starts_with("PCI\\VEN_1AF4&DEV_1052"))
        .iter()
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(function, ["VirtioInput", "viohidkmdf"]);
    assert!(inf.has_models_for(Arch::Amd64));
    assert!(
        !inf.has_models_for(Arch::X86),
        "an amd64-only INF must not pass for x86"
    );
    assert!(!inf.has_models_for(Arch::Arm64));
}

#[test]
fn null_service_is_a_valid_service_with_an_empty_name() {
    let path = data("qemufwcfg.inf");
    let r = &inf_json(&[&path])[0];
    assert_eq!(
        r["services"],
        serde_json::json!([{
            "name": "",
            "flags": 2,
            "install_section": null,
            "service_binary": null
        }])
    );
    assert_eq!(
        r["models"][0]["devices"][0]["hardware_ids"],
        serde_json::json!(["ACPI\\QEMU0002"])
    );
    assert_eq!(r["warnings"], serde_json::json!([]));
    let inf = Inf::load(&path).unwrap();
    assert!(inf.services()[0].is_null());
    assert!(
        inf.function_services(&|_| true).is_empty(),
        "a null service names no driver to install"
    );
}

#[test]
fn missing_file_fails_naming_it_and_prints_no_report() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.inf");
    let out = output(aero().args([
        "inf".as_ref(),
        "--json".as_ref(),
        data("vioinput.inf").as_os_str(),
        missing.as_os_str(),
    ]));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&missing.display().to_string()),
        "stderr does not name the file: {stderr}"
    );
    assert!(out.stdout.is_empty(), "no partial report on failure");
}

#[test]
fn a_file_that_is_not_an_inf_fails_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let bogus = dir.path().join("readme.inf");
    std::fs::write(&bogus, "just some notes\nnot an INF\n").unwrap();
    let out = output(aero().args(["inf".as_ref(), bogus.as_os_str()]));
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let expected = format!("{}:1:1: no [Version] section", bogus.display());
    assert!(stderr.contains(&expected), "{stderr}");
}
