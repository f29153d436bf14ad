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

// ---------------------------------------------------------------------------------------------
// Every view of the media: ISO name trees, path tables, ZIP names and local headers.

use crate::util::hostile::refused;
use crate::util::iso::{descriptor, le32, put_both32, record, BLOCK};
use crate::util::{run_cli, tool_ok};

/// The clean ISO of `files()` with its manifest, written below `dir`, and its bytes.
fn good_iso(dir: &Path) -> (std::path::PathBuf, Vec<u8>) {
    let good = dir.join("good.iso");
    write_iso(&media_with_manifest(&files()), &good);
    assert_clean(&verify(&[good.to_str().unwrap()]));
    let bytes = fs::read(&good).unwrap();
    (good, bytes)
}

/// Exit 1 and a problem line starting with each of `want` (other lines may follow).
fn assert_lines(o: &Output, want: &[&str]) {
    let out = stdout(o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{out}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    for w in want {
        assert!(
            out.lines().any(|l| l.starts_with(w)),
            "expected a line starting with `{w}`:\n{out}"
        );
    }
    assert!(out.lines().all(|l| !l.is_empty()), "{out}");
}

#[test]
fn iso_whose_joliet_record_alone_points_at_other_bytes_is_ambiguous() {
    // What Windows reads (Joliet) is repointed at appended bytes; Rock Ridge and the manifest
    // still agree, which is all the check used to look at.
    let work = tempfile::tempdir().unwrap();
    let (_, mut img) = good_iso(work.path());
    let original = files()[0].1.clone();
    let rec = record(&img, "joliet", "setup.cmd");
    assert_eq!(le32(&img, rec.offset + 10) as usize, original.len());
    let mut evil = b"@echo off\r\necho evil\r\n".repeat(100);
    evil.truncate(original.len());
    let block = img.len() / BLOCK;
    img.extend_from_slice(&evil);
    img.resize(img.len().div_ceil(BLOCK) * BLOCK, 0);
    put_both32(&mut img, rec.offset + 2, block as u32);
    for tree in ["primary", "joliet"] {
        let vd = descriptor(&img, tree);
        let blocks = (img.len() / BLOCK) as u32;
        put_both32(&mut img, vd + 80, blocks);
    }
    let bad = work.path().join("joliet-swap.iso");
    fs::write(&bad, &img).unwrap();

    // isoinfo reads each view as Windows and Linux would: two different files.
    let joliet = tool_ok(
        tool("isoinfo")
            .args(["-J", "-x", "/setup.cmd", "-i"])
            .arg(&bad),
    );
    let rock_ridge = tool_ok(
        tool("isoinfo")
            .args(["-R", "-x", "/setup.cmd", "-i"])
            .arg(&bad),
    );
    assert!(joliet.contains("echo evil"), "{joliet}");
    assert_eq!(rock_ridge.as_bytes(), original.as_slice());

    assert_problems(
        &verify(&[bad.to_str().unwrap()]),
        &[&format!(
            "ambiguous: setup.cmd: the Rock Ridge view (block {}) and the Joliet view (block \
             {block}) point at different bytes",
            le32(&img, record(&img, "primary", "setup.cmd").offset + 2)
        )],
    );
}

/// The records of the path table at byte `at` (`size` bytes): (offset, identifier, extent).
fn table_records(img: &[u8], at: usize, size: usize) -> Vec<(usize, Vec<u8>)> {
    let mut out = Vec::new();
    let mut pos = at;
    while pos < at + size {
        let n = img[pos] as usize;
        out.push((pos, img[pos + 8..pos + 8 + n].to_vec()));
        pos += 8 + n + n % 2;
    }
    out
}

#[test]
fn iso_with_garbage_or_swapped_path_tables_is_ambiguous() {
    let work = tempfile::tempdir().unwrap();
    let (_, img) = good_iso(work.path());

    // The Joliet type L path table overwritten with noise.
    let mut garbage = img.clone();
    let vd = descriptor(&garbage, "joliet");
    let size = le32(&garbage, vd + 132) as usize;
    let at = le32(&garbage, vd + 140) as usize * BLOCK;
    garbage[at..at + size].copy_from_slice(&noise(7, size));
    let bad = work.path().join("garbage.iso");
    fs::write(&bad, &garbage).unwrap();
    assert_lines(
        &verify(&[bad.to_str().unwrap()]),
        &["ambiguous: /: the type L path table of the Joliet descriptor"],
    );

    // The primary type L path table with the blocks of `config` and `drivers` swapped: DOS
    // and firmware that read path tables would open one directory for the other.
    let mut swapped = img.clone();
    let vd = descriptor(&swapped, "primary");
    let size = le32(&swapped, vd + 132) as usize;
    let at = le32(&swapped, vd + 140) as usize * BLOCK;
    let recs = table_records(&swapped, at, size);
    let find = |id: &[u8]| recs.iter().find(|(_, i)| i == id).unwrap().0;
    let (c, d) = (find(b"CONFIG"), find(b"DRIVERS"));
    let (config_block, drivers_block) = (le32(&swapped, c + 2), le32(&swapped, d + 2));
    swapped[c + 2..c + 6].copy_from_slice(&drivers_block.to_le_bytes());
    swapped[d + 2..d + 6].copy_from_slice(&config_block.to_le_bytes());
    let bad = work.path().join("swapped.iso");
    fs::write(&bad, &swapped).unwrap();
    // isoinfo lists the type L table as recorded: `CONFIG` at the block of `drivers`.
    let listed = tool_ok(tool("isoinfo").args(["-p", "-i"]).arg(&bad));
    assert!(
        listed.contains(&format!(" {drivers_block:x} CONFIG\n")),
        "{listed}"
    );
    assert_problems(
        &verify(&[bad.to_str().unwrap()]),
        &[
            "ambiguous: config: the type L path table of the primary descriptor names this \
             directory `DRIVERS`, its tree `CONFIG`",
            "ambiguous: drivers: the type L path table of the primary descriptor names this \
             directory `CONFIG`, its tree `DRIVERS`",
            // Their subdirectories now hang below the other directory's block.
            "ambiguous: drivers/amd64: the type L path table of the primary descriptor puts \
             this directory under block",
            "ambiguous: drivers/x86: the type L path table of the primary descriptor puts \
             this directory under block",
        ],
    );
}

/// A ZIP of the media of `files()` and its manifest, with `first` (tampered bytes) written
/// before the real `setup.cmd` under a stand-in name patched to `first_name` afterwards.
fn zip_with_twin(work: &Path, first_name: &str) -> std::path::PathBuf {
    use std::io::{Read, Write};
    let media = media_with_manifest(&files());
    let mut manifest = Vec::new();
    media
        .get(MANIFEST_NAME)
        .unwrap()
        .source
        .open()
        .unwrap()
        .read_to_end(&mut manifest)
        .unwrap();
    let mut w = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = ::zip::write::SimpleFileOptions::default()
        .compression_method(::zip::CompressionMethod::Stored);
    w.start_file("setup.cm_", opts).unwrap();
    w.write_all(b"@echo off\r\necho evil\r\n").unwrap();
    for (p, d) in files() {
        w.start_file(p, opts).unwrap();
        w.write_all(&d).unwrap();
    }
    w.start_file(MANIFEST_NAME, opts).unwrap();
    w.write_all(&manifest).unwrap();
    let mut bytes = w.finish().unwrap().into_inner();
    let mut at = 0;
    while let Some(p) = bytes[at..].windows(9).position(|x| x == b"setup.cm_") {
        bytes[at + p..at + p + 9].copy_from_slice(first_name.as_bytes());
        at += p + 9;
    }
    let path = work.join(format!("{first_name}.zip"));
    fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn zip_with_a_repeated_entry_is_refused_naming_it() {
    let work = tempfile::tempdir().unwrap();
    let twin = zip_with_twin(work.path(), "setup.cmd");
    // bsdtar reads the first `setup.cmd`: the tampered one.
    let seen = tool_ok(tool("bsdtar").args(["-xOf"]).arg(&twin).arg("setup.cmd"));
    assert!(seen.starts_with("@echo off\r\necho evil"), "{seen}");
    refused(
        work.path(),
        &["verify".as_ref(), twin.as_os_str()],
        &["entry `setup.cmd` appears more than once"],
    );

    // Names that differ only in case are one file on Windows.
    let twin = zip_with_twin(work.path(), "SETUP.CMD");
    refused(
        work.path(),
        &["verify".as_ref(), twin.as_os_str()],
        &["entries `SETUP.CMD` and `setup.cmd` differ only in case"],
    );
}

#[test]
fn zip_whose_local_header_disagrees_with_the_central_directory_is_refused() {
    let work = tempfile::tempdir().unwrap();
    let good = work.path().join("good.zip");
    write(&media_with_manifest(&files()), &good);
    assert_clean(&verify(&[good.to_str().unwrap()]));
    // Rename the first local header only: a streaming reader sees another file.
    let mut bytes = fs::read(&good).unwrap();
    let n = u16::from_le_bytes([bytes[26], bytes[27]]) as usize;
    let name = String::from_utf8(bytes[30..30 + n].to_vec()).unwrap();
    bytes[30 + n - 1] ^= 0x20;
    let bad = work.path().join("local.zip");
    fs::write(&bad, &bytes).unwrap();
    refused(
        work.path(),
        &["verify".as_ref(), bad.as_os_str()],
        &[&format!("entry `{name}`: the local header names it")],
    );
}

#[test]
fn a_fifo_given_to_verify_is_refused_without_blocking() {
    let work = tempfile::tempdir().unwrap();
    let fifo = work.path().join("media.iso");
    tool_ok(tool("mkfifo").arg(&fifo));
    let run = run_cli(work.path(), &["verify".as_ref(), fifo.as_os_str()]);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        crate::util::hostile::reason(&run.stderr)
            .contains("is a FIFO (named pipe), not a regular file"),
        "{}",
        run.stderr
    );
}

#[test]
fn iso_from_other_writers_is_clean_in_every_view() {
    // genisoimage relocates the 9-level directory into `rr_moved` (a directory of the Rock
    // Ridge tree only, holding no file); `-iso-level 4` adds an ISO 9660:1999 tree beside the
    // plain one; xorriso lays Rock Ridge and Joliet out its own way. No view disagrees.
    let work = tempfile::tempdir().unwrap();
    let tree = work.path().join("tree");
    let deep = "d1/d2/d3/d4/d5/d6/d7/d8/d9/deep.sys";
    let files: [(&str, &[u8]); 3] = [
        ("setup.cmd", b"@echo off\r\n"),
        ("sub/Inner.INF", b"[Version]\r\n"),
        (deep, b"deep"),
    ];
    let mut listed = Vec::new();
    for (p, d) in files {
        let path = tree.join(p);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, d).unwrap();
        listed.push(serde_json::json!({
            "path": p, "sha256": aero_recipe::hash::sha256_bytes(d), "size": d.len()
        }));
    }
    let manifest = serde_json::json!({ "files": listed }).to_string();
    fs::write(tree.join(MANIFEST_NAME), manifest).unwrap();
    let writers: [(&str, &[&str]); 3] = [
        ("genisoimage", &["-R", "-J"]),
        ("genisoimage", &["-iso-level", "4"]),
        ("xorriso", &["-as", "mkisofs", "-R", "-J"]),
    ];
    for (i, (writer, args)) in writers.iter().enumerate() {
        let iso = work.path().join(format!("{i}.iso"));
        let mut cmd = tool(writer);
        cmd.args(*args).arg("-quiet");
        if *writer == "genisoimage" {
            cmd.args(["-input-charset", "iso8859-1"]);
        }
        tool_ok(cmd.arg("-o").arg(&iso).arg(&tree));
        let o = verify(&[iso.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{writer} {args:?}:\n{}{}",
            stdout(&o),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(stdout(&o).contains("all 3 files match"), "{}", stdout(&o));
    }
}
