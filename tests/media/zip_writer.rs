//! The ZIP writer end to end, judged by independent readers (unzip, zipinfo, bsdtar): archives
//! are accepted, sorted, dated SOURCE_DATE_EPOCH, reproducible from copies of the input, and
//! extract to the original bytes.

use std::collections::BTreeMap;
use std::fs;
use std::io::BufWriter;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use aero_recipe::hash::sha256_file;
use aero_recipe::media::zip::{write_zip, ZipOptions, CHUNK};
use aero_recipe::media::Media;

use crate::util::media::noise;
use crate::util::{ok, tool};

const SDE: i64 = 1_700_000_000; // 2023-11-14 22:13:20 UTC
const SDE_ZIPINFO: &str = "20231114.221320";

/// An external oracle's stdout, run in `dir` with the C.UTF-8 locale; it must succeed and
/// print UTF-8 (util::tool fails loudly, never skips, when it is not installed).
fn ok_stdout(name: &str, args: &[&str], dir: &Path) -> String {
    let out = ok(tool(name)
        .args(args)
        .current_dir(dir)
        .env("LC_ALL", "C.UTF-8"));
    String::from_utf8(out).expect("tool output is UTF-8")
}

/// Deterministic compressible text.
fn text(seed: u64, n: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(n + 64);
    let mut i = seed;
    while v.len() < n {
        v.extend_from_slice(
            format!("line {i}: HKR,,DriverVersion,,\"1.0.{}\"\r\n", i % 7).as_bytes(),
        );
        i += 1;
    }
    v.truncate(n);
    v
}

/// The test payload: nested dirs, long/mixed-case/hyphenated/non-ASCII names, an empty file,
/// compressible and incompressible data, and two files of several pieces.
fn payload(with_large: bool) -> Vec<(&'static str, Vec<u8>)> {
    let mut files = vec![
        ("README.md", text(1, 2_000)),
        ("Drivers/AMD64/ViOStor/viostor.inf", text(2, 9_000)),
        ("Drivers/AMD64/ViOStor/viostor.sys", noise(3, 300_000)),
        ("Drivers/AMD64/ViOStor/viostor.cat", noise(4, 10_000)),
        (
            "Drivers/x86/a-very-long-file-name-with-hyphens-and-MixedCase-0123456789.txt",
            text(5, 50_000),
        ),
        ("Drivers/x86-extra.txt", text(6, 100)),
        ("Ünïcødé/Grüße-ß.txt", text(7, 3_000)),
        ("empty.txt", Vec::new()),
    ];
    if with_large {
        let big = 3 * CHUNK + 1_000;
        files.push(("tools/big-text.dat", text(8, big)));
        files.push(("tools/big-noise.bin", noise(9, big)));
    }
    files
}

/// Write the payload under `root`, in forward or reverse creation order.
fn make_tree(root: &Path, files: &[(&str, Vec<u8>)], reverse: bool, mode: u32, mtime_shift: u64) {
    let mut order: Vec<_> = files.iter().collect();
    if reverse {
        order.reverse();
    }
    for (rel, data) in order {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, data).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).unwrap();
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000 + mtime_shift);
        fs::File::options()
            .write(true)
            .open(&p)
            .unwrap()
            .set_modified(t)
            .unwrap();
    }
}

fn media_of(root: &Path) -> Media {
    let mut m = Media::new();
    m.add_tree("", root, |_| true).unwrap();
    m.add_dir("config/empty").unwrap();
    m
}

fn zip_to(media: &Media, path: &Path, sde: i64) -> Vec<u8> {
    let f = fs::File::create(path).unwrap();
    let opts = ZipOptions {
        source_date_epoch: sde,
        ..ZipOptions::default()
    };
    write_zip(media, BufWriter::new(f), &opts).unwrap();
    fs::read(path).unwrap()
}

/// zipinfo -T entry lines as (name, mode, host, method, time).
fn zipinfo(zip: &Path) -> Vec<(String, String, String, String, String)> {
    let out = ok_stdout("zipinfo", &["-T", zip.to_str().unwrap()], Path::new("."));
    out.lines()
        .filter(|l| l.starts_with('-') || l.starts_with('d'))
        .map(|l| {
            // mode, version, host, size, type, method, time, name
            let parts: Vec<&str> = l.split_whitespace().collect();
            assert!(parts.len() >= 8, "unexpected zipinfo line: {l}");
            (
                parts[7..].join(" "),
                parts[0].to_string(),
                parts[2].to_string(),
                parts[5].to_string(),
                parts[6].to_string(),
            )
        })
        .collect()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn zip_is_accepted_sorted_dated_reproducible_and_extracts_identically() {
    let files = payload(true);
    let work = tmp();
    let a = work.path().join("input-a");
    let b = work.path().join("elsewhere/input-b");
    make_tree(&a, &files, false, 0o644, 0);
    make_tree(&b, &files, true, 0o600, 86_400 * 365);
    fs::set_permissions(b.join("Drivers"), fs::Permissions::from_mode(0o700)).unwrap();

    let za = work.path().join("a.zip");
    let zb = work.path().join("b.zip");
    let zc = work.path().join("c.zip");
    let bytes_a = zip_to(&media_of(&a), &za, SDE);
    let bytes_b = zip_to(&media_of(&b), &zb, SDE);
    let bytes_c = zip_to(&media_of(&a), &zc, SDE + 2);
    assert!(
        bytes_a == bytes_b,
        "the same tree at another path, created in another order with other mtimes and modes, must give a byte-identical ZIP"
    );
    assert!(
        bytes_a != bytes_c,
        "another SOURCE_DATE_EPOCH must change the ZIP"
    );
    assert!(
        !bytes_a.windows(4).any(|w| w == b"PK\x06\x06"),
        "a small archive must not carry a ZIP64 end record"
    );

    // unzip -t accepts it.
    let t = ok_stdout("unzip", &["-t", za.to_str().unwrap()], work.path());
    assert!(t.contains("No errors detected"), "{t}");

    // zipinfo: sorted names, dirs included, fixed modes/host/time; incompressible data stored.
    let info = zipinfo(&za);
    let names: Vec<&str> = info.iter().map(|e| e.0.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
    assert_eq!(
        names, sorted,
        "entries must be in byte order of their names"
    );
    for dir in [
        "Drivers/",
        "Drivers/AMD64/",
        "Drivers/AMD64/ViOStor/",
        "Drivers/x86/",
        "config/",
        "config/empty/",
        "tools/",
        "Ünïcødé/",
    ] {
        assert!(
            names.contains(&dir),
            "directory entry {dir} missing: {names:?}"
        );
    }
    for (name, mode, host, method, time) in &info {
        assert_eq!(time, SDE_ZIPINFO, "{name}: time must be SOURCE_DATE_EPOCH");
        assert_eq!(host, "unx", "{name}");
        let want = if name.ends_with('/') {
            "drwxr-xr-x"
        } else {
            "-rw-r--r--"
        };
        assert_eq!(mode, want, "{name}");
        let incompressible = name.ends_with(".sys")
            || name.ends_with(".bin")
            || name.ends_with(".cat")
            || name == "empty.txt"
            || name.ends_with('/');
        let want = if incompressible { "stor" } else { "defN" };
        assert_eq!(method, want, "{name}: compression method");
    }

    // bsdtar lists the same entries.
    let listed = ok_stdout("bsdtar", &["-tf", za.to_str().unwrap()], work.path());
    let listed: Vec<&str> = listed.lines().collect();
    assert_eq!(listed, names, "bsdtar must list the same entries");

    // Extracted by unzip, every file hashes like its source.
    let ex = work.path().join("x");
    fs::create_dir(&ex).unwrap();
    ok_stdout(
        "unzip",
        &["-q", za.to_str().unwrap(), "-d", ex.to_str().unwrap()],
        work.path(),
    );
    let mut want = BTreeMap::new();
    let mut got = BTreeMap::new();
    for (rel, _) in &files {
        want.insert(rel.to_string(), sha256_file(&a.join(rel)).unwrap());
        got.insert(rel.to_string(), sha256_file(&ex.join(rel)).unwrap());
    }
    assert_eq!(got, want);
    assert!(ex.join("config/empty").is_dir());

    // 7z and bsdtar extract the same bytes too (files of several pieces have a data
    // descriptor; the small ones carry their sizes in the local header).
    let t = ok_stdout("7z", &["t", za.to_str().unwrap()], work.path());
    assert!(t.contains("Everything is Ok"), "{t}");
    for (tool_name, args) in [
        ("7z", vec!["x", "-y", "-bd", "-oOUT", "ZIP"]),
        ("bsdtar", vec!["-x", "-f", "ZIP", "-C", "OUT"]),
    ] {
        let out = work.path().join(format!("x-{tool_name}"));
        fs::create_dir(&out).unwrap();
        let args: Vec<String> = args
            .iter()
            .map(|a| {
                a.replace("OUT", out.to_str().unwrap())
                    .replace("ZIP", za.to_str().unwrap())
            })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ok_stdout(tool_name, &args, work.path());
        let mut got = BTreeMap::new();
        for (rel, _) in &files {
            got.insert(rel.to_string(), sha256_file(&out.join(rel)).unwrap());
        }
        assert_eq!(got, want, "{tool_name} extracts other bytes");
    }
}

/// A writer that cannot seek: the archive must come out strictly forward, byte-identical to
/// the one written to a file.
struct Forward(Vec<u8>);

impl std::io::Write for Forward {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_archive_is_written_forward_without_seeking() {
    let files = payload(true);
    let work = tmp();
    let a = work.path().join("in");
    make_tree(&a, &files, false, 0o644, 0);
    let media = media_of(&a);
    let on_disk = zip_to(&media, &work.path().join("a.zip"), SDE);
    let opts = ZipOptions {
        source_date_epoch: SDE,
        ..ZipOptions::default()
    };
    let forward = write_zip(&media, Forward(Vec::new()), &opts).unwrap();
    assert!(forward.0 == on_disk, "the same archive without seeking");
}

#[test]
fn times_before_1980_are_clamped_to_1980() {
    let work = tmp();
    let src: PathBuf = work.path().join("in");
    make_tree(&src, &payload(false), false, 0o644, 0);
    let z = work.path().join("zero.zip");
    zip_to(&media_of(&src), &z, 0);
    for (name, _, _, _, time) in zipinfo(&z) {
        assert_eq!(time, "19800101.000000", "{name}");
    }
    let t = ok_stdout("unzip", &["-t", z.to_str().unwrap()], work.path());
    assert!(t.contains("No errors detected"), "{t}");
}

#[test]
fn many_entries_get_a_zip64_directory_that_readers_accept() {
    let work = tmp();
    let mut m = Media::new();
    let n = 70_000;
    for i in 0..n {
        m.add_bytes(
            &format!("d{}/f{i:05}.txt", i % 10),
            format!("{i}\n").into_bytes(),
        )
        .unwrap();
    }
    let z = work.path().join("many.zip");
    let bytes = zip_to(&m, &z, SDE);
    assert!(
        bytes.windows(4).any(|w| w == b"PK\x06\x06"),
        "more than 65535 entries need the ZIP64 end record"
    );
    let t = ok_stdout("unzip", &["-tq", z.to_str().unwrap()], work.path());
    assert!(t.contains("No errors detected"), "{t}");
    let listed = ok_stdout("bsdtar", &["-tf", z.to_str().unwrap()], work.path());
    assert_eq!(listed.lines().count(), n + 10);
}

#[test]
fn a_source_that_changes_size_during_the_run_is_an_error() {
    let work = tmp();
    let src = work.path().join("grows.bin");
    fs::write(&src, b"12345").unwrap();
    let mut m = Media::new();
    m.add_file("grows.bin", &src).unwrap();
    fs::write(&src, b"123456").unwrap();
    let out = std::io::Cursor::new(Vec::new());
    let err = write_zip(&m, out, &ZipOptions::default())
        .expect_err("a size change is an error")
        .to_string();
    assert!(
        err.contains("changed while the media was being written"),
        "{err}"
    );
}

#[test]
fn a_file_over_4_gib_gets_zip64_sizes_and_offsets_that_readers_accept() {
    let work = tmp();
    // A sparse file: 4 GiB + 1 MiB of zeros without using the disk space.
    let src = work.path().join("huge.img");
    let size: u64 = (4 << 30) + (1 << 20);
    fs::File::create(&src).unwrap().set_len(size).unwrap();
    let mut m = Media::new();
    m.add_file("disk/huge.img", &src).unwrap();
    // Sorted after the large file, so its header offset is past 4 GiB as well.
    m.add_bytes("z-after.txt", b"an entry after the large one\n".to_vec())
        .unwrap();
    let z = work.path().join("huge.zip");
    // Level 1 keeps this test quick; the ZIP64 logic is the same at every level.
    let f = fs::File::create(&z).unwrap();
    let opts = ZipOptions {
        source_date_epoch: SDE,
        level: 1,
    };
    write_zip(&m, BufWriter::new(f), &opts).unwrap();
    let t = ok_stdout("unzip", &["-t", z.to_str().unwrap()], work.path());
    assert!(t.contains("No errors detected"), "{t}");
    let info = zipinfo(&z);
    let names: Vec<&str> = info.iter().map(|e| e.0.as_str()).collect();
    assert_eq!(names, ["disk/", "disk/huge.img", "z-after.txt"]);
    let after = ok_stdout(
        "unzip",
        &["-p", z.to_str().unwrap(), "z-after.txt"],
        work.path(),
    );
    assert_eq!(after, "an entry after the large one\n");
    let listing = ok_stdout("zipinfo", &["-l", z.to_str().unwrap()], work.path());
    assert!(listing.contains(&size.to_string()), "{listing}");
}
