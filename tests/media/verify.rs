//! `aero-recipe verify` on ISO images, ZIP archives and directories: a clean media passes; a flipped byte, a
//! missing file and an added file are each reported with their path, and the exit code is 1.

use std::fs;
use std::io::BufWriter;
use std::path::Path;
use std::process::Output;

use aero_recipe::media::iso::{write_iso_file, IsoOptions};
use aero_recipe::media::manifest::{hash_media, Manifest, Package, MANIFEST_NAME};
use aero_recipe::media::zip::{write_zip, ZipOptions};
use aero_recipe::media::Media;

use crate::util::media::noise;
use crate::util::{aero, ok, output, tool};

/// The media's files (without manifest).
fn files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("setup.cmd", b"@echo off\r\necho setup\r\n".repeat(50)),
        (
            "config/devices.cmd",
            b"set \"AERO_VIRTIO_BLK_SERVICE=viostor\"\r\n".to_vec(),
        ),
        ("drivers/amd64/viostor/viostor.sys", noise(1, 100_000)),
        (
            "drivers/amd64/viostor/viostor.inf",
            b"[Version]\r\nSignature=\"$WINDOWS NT$\"\r\n".repeat(40),
        ),
        ("drivers/x86/viostor/viostor.sys", noise(2, 80_000)),
    ]
}

/// A media tree with its manifest.json, as a recipe would build it.
fn media_with_manifest(files: &[(&str, Vec<u8>)]) -> Media {
    let mut m = Media::new();
    for (p, d) in files {
        m.add_bytes(p, d.clone()).unwrap();
    }
    let manifest = Manifest::new(
        Package {
            name: "aero-guest-tools".into(),
            version: "1.0.0".into(),
            build_id: "test".into(),
            source_date_epoch: 1_700_000_000,
        },
        "none",
        false,
        hash_media(&m).unwrap(),
    );
    m.add_bytes(MANIFEST_NAME, manifest.to_json()).unwrap();
    m
}

fn write(media: &Media, path: &Path) {
    let f = fs::File::create(path).unwrap();
    write_zip(media, BufWriter::new(f), &ZipOptions::default()).unwrap();
}

/// `aero-recipe verify ARGS`, whatever its exit status.
fn verify(args: &[&str]) -> Output {
    output(aero().arg("verify").args(args))
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Exit 1 and exactly these problem lines (prefix `kind: path`), plus a summary line.
fn assert_problems(o: &Output, want: &[&str]) {
    let out = stdout(o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "verify must exit 1 on a tampered media\nstdout:\n{out}\nstderr:\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), want.len() + 1, "{out}");
    for (line, w) in lines.iter().zip(want) {
        assert!(
            line.starts_with(w),
            "expected a line starting with `{w}`, got `{line}`\n{out}"
        );
    }
    let summary = lines.last().unwrap();
    assert!(
        summary.contains(&format!("{} problem(s)", want.len())),
        "{summary}"
    );
}

fn assert_clean(o: &Output) {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stdout:\n{}\nstderr:\n{}",
        stdout(o),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        stdout(o).contains("all 5 files match manifest.json"),
        "{}",
        stdout(o)
    );
}

/// The media of `media_with_manifest(&files())` with the same manifest, but one file has a
/// flipped byte, one is gone and one was added.
fn tampered_media() -> Media {
    let original = media_with_manifest(&files());
    let mut tampered = Media::new();
    for (p, e) in original.files() {
        if p == "config/devices.cmd" {
            continue;
        }
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut e.source.open().unwrap(), &mut data).unwrap();
        if p == "drivers/amd64/viostor/viostor.sys" {
            data[1234] ^= 0x01;
        }
        tampered.add_bytes(p, data).unwrap();
    }
    tampered
        .add_bytes("drivers/amd64/viostor/evil.dll", b"MZ".to_vec())
        .unwrap();
    tampered
}

const TAMPERED_PROBLEMS: [&str; 3] = [
    "missing: config/devices.cmd",
    "extra: drivers/amd64/viostor/evil.dll",
    "changed: drivers/amd64/viostor/viostor.sys: SHA-256 is",
];

fn write_iso(media: &Media, path: &Path) {
    let opts = IsoOptions {
        volume_id: "AERO_GUEST_TOOLS".into(),
        source_date_epoch: 1_700_000_000,
    };
    write_iso_file(media, path, &opts).unwrap();
}

#[test]
fn iso_clean_then_changed_missing_and_extra_are_reported() {
    let work = tempfile::tempdir().unwrap();
    let good = work.path().join("good.iso");
    write_iso(&media_with_manifest(&files()), &good);
    assert_clean(&verify(&[good.to_str().unwrap()]));

    let bad = work.path().join("bad.iso");
    write_iso(&tampered_media(), &bad);
    assert_problems(&verify(&[bad.to_str().unwrap()]), &TAMPERED_PROBLEMS);
    let o = verify(&["--json", bad.to_str().unwrap()]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["format"], "iso");

    // A byte flipped inside the image itself.
    let mut bytes = fs::read(&good).unwrap();
    let needle = &files()[4].1[3000..3064];
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("file data appears verbatim in the image");
    bytes[at + 3] ^= 0x10;
    fs::write(&good, &bytes).unwrap();
    assert_problems(
        &verify(&[good.to_str().unwrap()]),
        &["changed: drivers/x86/viostor/viostor.sys: SHA-256 is"],
    );
}

#[test]
fn zip_clean_then_changed_missing_and_extra_are_reported() {
    let work = tempfile::tempdir().unwrap();
    let good = work.path().join("good.zip");
    write(&media_with_manifest(&files()), &good);
    assert_clean(&verify(&[good.to_str().unwrap()]));

    let tampered = tampered_media();
    let bad = work.path().join("bad.zip");
    write(&tampered, &bad);
    let o = verify(&[bad.to_str().unwrap()]);
    assert_problems(&o, &TAMPERED_PROBLEMS);

    // --json carries the same three problems.
    let o = verify(&["--json", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["format"], "zip");
    assert_eq!(v["files_listed"], 5);
    assert_eq!(v["files_ok"], 3);
    let kinds: Vec<(String, String)> = v["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["problem"].as_str().unwrap().into(),
                p["path"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("missing".to_string(), "config/devices.cmd".to_string()),
            ("extra".into(), "drivers/amd64/viostor/evil.dll".into()),
            ("changed".into(), "drivers/amd64/viostor/viostor.sys".into()),
        ]
    );
}

#[test]
fn zip_with_a_corrupted_byte_in_the_archive_is_reported_changed() {
    let work = tempfile::tempdir().unwrap();
    let z = work.path().join("m.zip");
    let files = files();
    write(&media_with_manifest(&files), &z);
    // viostor.sys is incompressible, so it is stored: its bytes appear verbatim in the archive.
    let mut bytes = fs::read(&z).unwrap();
    let needle = &files[2].1[5000..5064];
    let at = bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("stored data appears verbatim");
    bytes[at + 10] ^= 0x80;
    fs::write(&z, &bytes).unwrap();
    assert_problems(
        &verify(&[z.to_str().unwrap()]),
        &["changed: drivers/amd64/viostor/viostor.sys"],
    );
}

#[test]
fn directory_clean_then_changed_missing_and_extra_are_reported() {
    let work = tempfile::tempdir().unwrap();
    let dir = work.path().join("media");
    let z = work.path().join("m.zip");
    write(&media_with_manifest(&files()), &z);
    ok(tool("unzip").args(["-q", z.to_str().unwrap(), "-d", dir.to_str().unwrap()]));
    assert_clean(&verify(&[dir.to_str().unwrap()]));

    let sys = dir.join("drivers/x86/viostor/viostor.sys");
    let mut data = fs::read(&sys).unwrap();
    data[77] ^= 0xFF;
    fs::write(&sys, data).unwrap();
    fs::remove_file(dir.join("setup.cmd")).unwrap();
    fs::write(dir.join("config/extra.txt"), b"not shipped").unwrap();
    // A truncated file is caught by its size.
    let inf = dir.join("drivers/amd64/viostor/viostor.inf");
    let data = fs::read(&inf).unwrap();
    fs::write(&inf, &data[..data.len() - 1]).unwrap();

    assert_problems(
        &verify(&[dir.to_str().unwrap()]),
        &[
            "extra: config/extra.txt",
            "changed: drivers/amd64/viostor/viostor.inf: size is",
            "changed: drivers/x86/viostor/viostor.sys: SHA-256 is",
            "missing: setup.cmd",
        ],
    );
}

#[test]
fn media_without_manifest_or_of_unknown_format_is_an_error() {
    let work = tempfile::tempdir().unwrap();
    let o = verify(&[work.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("has no manifest.json"), "{err}");

    let junk = work.path().join("junk.bin");
    fs::write(&junk, b"neither zip nor iso").unwrap();
    let o = verify(&[junk.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("neither an ISO image, a ZIP archive nor a directory"),
        "{err}"
    );

    fs::write(work.path().join(MANIFEST_NAME), b"{\"files\": [}\n").unwrap();
    let o = verify(&[work.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("manifest.json:1:"), "{err}");
}
