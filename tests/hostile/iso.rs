//! Hostile ISO images through the CLI (`iso ls`, `iso extract`): names that escape, symlinks,
//! loops and overlaps, extents and continuation areas out of range, deep nesting, huge entry
//! counts. A refusal is exit 1 with the problem named on the first stderr line, within the
//! watchdog and the memory limit, and nothing is ever written outside the destination.
//! (`tests/iso/hostile.rs` covers truncation, a directory pointing at its parent, a file past
//! the end, a huge directory size, a continuation area outside the image and a `..` ISO 9660
//! identifier, on images patched from real writers; this file crafts the rest byte by byte.)

use std::ffi::OsStr;
use std::path::Path;

use crate::util::hostile::*;
use crate::util::*;

/// The arguments of `aero-recipe iso extract ISO DEST`.
fn extract_args<'a>(iso: &'a Path, dest: &'a Path) -> [&'a OsStr; 4] {
    [
        "iso".as_ref(),
        "extract".as_ref(),
        iso.as_os_str(),
        dest.as_os_str(),
    ]
}

/// `iso ls` and `iso extract` of `iso` both refused with `needles` in the message, nothing
/// written outside the destination and nothing but plain files inside it.
fn refused_both(sb: &Sandbox, iso: &Path, needles: &[&str]) {
    let before = sb.snapshot();
    let dest = sb.dest();
    let ls: [&OsStr; 3] = ["iso".as_ref(), "ls".as_ref(), iso.as_os_str()];
    refused(&sb.cwd(), &ls, needles);
    refused(&sb.cwd(), &extract_args(iso, &dest), needles);
    assert_eq!(
        before,
        sb.snapshot(),
        "something was written outside the destination"
    );
    sb.dest_is_plain();
}

fn file(data: &str) -> Node {
    Node::File(data.as_bytes().to_vec())
}

/// A crafted Rock Ridge image whose only entry is named `name` by `NM`.
fn named(sb: &Sandbox, name: &[u8], node: Node) -> std::path::PathBuf {
    let iso = sb.input("named.iso");
    craft(&[rr_child("A", name, node)], true).write(&iso);
    iso
}

#[test]
fn rock_ridge_names_that_escape_are_refused() {
    let cases: &[(&[u8], &str)] = &[
        (b"..", "points outside its directory"),
        (b".", "points outside its directory"),
        (b"a/../../x", "containing `/`"),
        (b"../../../../tmp/evil", "containing `/`"),
        (b"/etc/passwd", "containing `/`"),
        (b"x\0y", "containing NUL"),
        (b"", "an empty name"),
    ];
    for (name, needle) in cases {
        for node in [file("payload"), Node::Dir(vec![child("F", file("x"))])] {
            let sb = Sandbox::new();
            let iso = named(&sb, name, node);
            refused_both(&sb, &iso, &[needle, "damaged or hostile"]);
        }
    }
}

#[test]
fn plain_iso9660_identifiers_that_escape_are_refused() {
    for (id, needle) in [
        ("A/../../X", "containing `/`"),
        ("/ETC", "containing `/`"),
        ("A\0B", "containing NUL"),
    ] {
        let sb = Sandbox::new();
        let iso = sb.input("plain.iso");
        craft(&[child(id, file("x"))], false).write(&iso);
        refused_both(&sb, &iso, &[needle]);
    }
}

#[test]
fn symlinks_from_a_real_writer_are_refused_never_followed_or_created() {
    let sb = Sandbox::new();
    let tree = sb.root().join("tree");
    std::fs::create_dir_all(tree.join("sub")).unwrap();
    std::fs::write(tree.join("sub/real.txt"), b"real").unwrap();
    std::os::unix::fs::symlink("/etc/passwd", tree.join("passwd")).unwrap();
    std::os::unix::fs::symlink("../../../outside", tree.join("sub/up")).unwrap();
    let iso = sb.input("links.iso");
    ok(tool("genisoimage")
        .args(["-quiet", "-R", "-J", "-o"])
        .arg(&iso)
        .arg(&tree));
    refused_both(&sb, &iso, &["symbolic link"]);
    assert!(!sb.root().join("outside").exists());
}

#[test]
fn crafted_symlink_entries_are_refused() {
    for target in ["/etc/passwd", "../../x", "a"] {
        let sb = Sandbox::new();
        let iso = named(&sb, b"link", Node::Symlink(target.into()));
        refused_both(&sb, &iso, &["`/link`", "symbolic link"]);
    }
}

#[test]
fn directory_pointing_at_an_ancestor_is_a_loop() {
    let sb = Sandbox::new();
    let iso = sb.input("loop.iso");
    let inner = Node::Dir(vec![child("C", Node::Dir(vec![child("F", file("x"))]))]);
    let mut img = craft(&[child("A", inner)], false);
    let root = img.dirs[""];
    img.set_extent("A/C", root.0);
    img.set_len("A/C", root.1);
    img.write(&iso);
    refused_both(&sb, &iso, &["directory loop", "/A/C"]);
}

#[test]
fn overlapping_directory_extents_are_refused() {
    // Directory A claims its own block and B's: B's records would be read twice, and a chain of
    // such claims makes the reading time grow with the square of the image size.
    let sb = Sandbox::new();
    let iso = sb.input("overlap.iso");
    let mut img = craft(
        &[
            child("A", Node::Dir(vec![child("F1", file("1"))])),
            child("B", Node::Dir(vec![child("F2", file("2"))])),
        ],
        false,
    );
    let (a, _) = img.dirs["A"];
    let (b, _) = img.dirs["B"];
    assert_eq!(b, a + 1, "the crafter lays directories out back to back");
    img.set_len("A", 2 * SECTOR as u32);
    img.write(&iso);
    refused_both(&sb, &iso, &["overlaps"]);
}

#[test]
fn a_chain_of_overlapping_directories_is_refused_at_once() {
    // 4,000 empty directories, each claiming every block up to the end of the last one: read
    // naively that is 8 million directory blocks (16 GB) for an 8 MB image.
    let sb = Sandbox::new();
    let iso = sb.input("chain.iso");
    let n = 4000u32;
    let dirs: Vec<Child> = (0..n)
        .map(|i| child(&format!("D{i}"), Node::Dir(Vec::new())))
        .collect();
    let mut img = craft(&dirs, false);
    for i in 0..n {
        let name = format!("D{i}");
        let (block, _) = img.dirs[&name];
        assert_eq!(block, img.dirs["D0"].0 + i);
        img.set_len(&name, (n - i) * SECTOR as u32);
    }
    img.write(&iso);
    refused_both(&sb, &iso, &["overlaps"]);
}

#[test]
fn files_sharing_an_extent_are_read_like_hard_links() {
    // Writers record hard links (and deduplicated files) as records sharing one extent: that
    // is not damage, and each name extracts the same bytes.
    let sb = Sandbox::new();
    let iso = sb.input("shared.iso");
    let mut img = craft(
        &[child("A", file("same")), child("B", file("other"))],
        false,
    );
    let a = img.dirs[""].0 + 1; // first data block: A's
    img.set_extent("B", a);
    img.set_len("B", 4);
    img.write(&iso);
    let dest = sb.dest();
    let run = run_cli(&sb.cwd(), &extract_args(&iso, &dest));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(std::fs::read(dest.join("A")).unwrap(), b"same");
    assert_eq!(std::fs::read(dest.join("B")).unwrap(), b"same");
}

#[test]
fn extents_out_of_range_are_refused() {
    // A directory past the end; a file whose extent and length overflow 32-bit arithmetic.
    let sb = Sandbox::new();
    let iso = sb.input("dir-past.iso");
    let mut img = craft(&[child("D", Node::Dir(vec![child("F", file("x"))]))], false);
    img.set_extent("D", 0x00FF_FFFF);
    img.write(&iso);
    refused_both(&sb, &iso, &["directory `/D`", "past the end of the image"]);

    let sb = Sandbox::new();
    let iso = sb.input("file-past.iso");
    let mut img = craft(&[child("F", file("x"))], false);
    img.set_extent("F", u32::MAX);
    img.set_len("F", u32::MAX);
    img.write(&iso);
    refused_both(&sb, &iso, &["`/F`", "past the end of the image"]);
}

/// The offset of the first `sig` system use entry at or after `from`.
fn find_entry(bytes: &[u8], from: usize, sig: &[u8; 2]) -> usize {
    from + bytes[from..]
        .windows(2)
        .position(|w| w == sig)
        .expect("entry present")
}

#[test]
fn rock_ridge_continuation_areas_out_of_range_are_refused() {
    // A CE entry replaces the NM entry of the only file: its block, offset or length points
    // outside the image (or wraps 32-bit arithmetic).
    let ce = |block: u32, offset: u32, len: u32| {
        let mut body = Vec::new();
        for v in [block, offset, len] {
            body.extend_from_slice(&v.to_le_bytes());
            body.extend_from_slice(&v.to_be_bytes());
        }
        let mut e = vec![b'C', b'E', 28, 1];
        e.extend_from_slice(&body);
        e
    };
    // 28 bytes of name make the NM entry (33 bytes) big enough to hold a CE entry (28).
    let name = [b'n'; 28];
    for (block, offset, len, needle) in [
        (0x00FF_FFFF, 0, 100, "past the end of the image"),
        (18, 0x7FFF_FFFF, 100, "past the end of the image"),
        (18, 0, u32::MAX, "continuation"),
        (u32::MAX, u32::MAX, u32::MAX, "continuation"),
    ] {
        let sb = Sandbox::new();
        let iso = sb.input("ce.iso");
        let mut img = craft(&[rr_child("A", &name, file("x"))], true);
        let at = find_entry(
            &img.bytes,
            img.records[std::str::from_utf8(&name).unwrap()],
            b"NM",
        );
        img.bytes[at..at + 28].copy_from_slice(&ce(block, offset, len));
        img.write(&iso);
        refused_both(&sb, &iso, &[needle]);
    }
}

#[test]
fn rock_ridge_name_running_past_its_record_falls_back_to_the_iso9660_name() {
    // An NM length byte that runs past the record ends the system use area (as Linux does):
    // the entry keeps its ISO 9660 name, and nothing outside the record is read.
    let sb = Sandbox::new();
    let iso = sb.input("nm.iso");
    let mut img = craft(&[rr_child("PLAIN", b"fancy-name", file("x"))], true);
    let at = find_entry(&img.bytes, img.records["fancy-name"], b"NM");
    img.bytes[at + 2] = 250;
    img.write(&iso);
    let run = run_cli(&sb.cwd(), &["iso".as_ref(), "ls".as_ref(), iso.as_os_str()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "/PLAIN\n");
}

#[test]
fn nesting_100_levels_deep_is_refused() {
    let sb = Sandbox::new();
    let iso = sb.input("deep.iso");
    let mut node = Node::Dir(vec![child("F", file("bottom"))]);
    for _ in 0..100 {
        node = Node::Dir(vec![child("D", node)]);
    }
    let Node::Dir(top) = node else { unreachable!() };
    craft(&top, false).write(&iso);
    refused_both(&sb, &iso, &["nested deeper than 64"]);
}

#[test]
fn sixty_thousand_entries_are_listed_and_extracted() {
    // Large but under the limit: every entry is listed and extracted, with memory and time
    // bounded by the watchdog and the address-space limit.
    let sb = Sandbox::new();
    let iso = sb.input("many.iso");
    let files: Vec<Child> = (0..60_000)
        .map(|i| child(&format!("F{i:06}"), Node::File(Vec::new())))
        .collect();
    craft(&files, false).write(&iso);
    let run = run_cli(&sb.cwd(), &["iso".as_ref(), "ls".as_ref(), iso.as_os_str()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 60_000);
    assert_eq!(run.stdout.lines().nth(12_345), Some("/F012345"));
    let dest = sb.dest();
    let run = run_cli(&sb.cwd(), &extract_args(&iso, &dest));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(std::fs::read_dir(&dest).unwrap().count(), 60_000);
}

#[test]
fn a_hundred_thousand_entries_are_refused() {
    // Split over two directories, each under the directory-size limit.
    let sb = Sandbox::new();
    let iso = sb.input("many.iso");
    let half = |d: &str| {
        let files = (0..50_000)
            .map(|i| child(&format!("F{i}"), Node::File(Vec::new())))
            .collect();
        child(d, Node::Dir(files))
    };
    craft(&[half("A"), half("B")], false).write(&iso);
    refused_both(&sb, &iso, &["more than 65536 entries"]);
}

// ---------------------------------------------------------------------------------------------
// Budgets: what a small image may make the reader allocate, hash or write. Each bomb is an
// image written by aero-recipe itself, then patched.

use crate::util::iso::{create, descriptor, le32, put_both32, record, BLOCK};

/// `iso ls`, `iso extract` and `verify` of `iso` all refused with `needles` in the reason,
/// nothing written outside the destination.
fn refused_everywhere(sb: &Sandbox, iso: &Path, needles: &[&str]) {
    refused_both(sb, iso, needles);
    let before = sb.snapshot();
    refused(&sb.cwd(), &["verify".as_ref(), iso.as_os_str()], needles);
    assert_eq!(before, sb.snapshot());
}

/// `count` empty files `f00000`... (or files of `size` bytes) below `sb.root()/tree`, as an
/// image written by `iso create`; its bytes.
fn image_of_files(sb: &Sandbox, count: usize, size: usize) -> Vec<u8> {
    let tree = sb.root().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    for i in 0..count {
        std::fs::write(tree.join(format!("f{i:05}")), vec![b'x'; size]).unwrap();
    }
    let iso = sb.input("made.iso");
    create(&tree, &iso, "BOMB", 0);
    std::fs::read(&iso).unwrap()
}

/// Append `bytes` at a block boundary; the first block they occupy.
fn append(img: &mut Vec<u8>, bytes: &[u8]) -> u32 {
    let block = img.len().div_ceil(BLOCK);
    img.resize(block * BLOCK, 0);
    img.extend_from_slice(bytes);
    img.resize(img.len().div_ceil(BLOCK) * BLOCK, 0);
    block as u32
}

/// Point every file record of the primary tree of `img` at one continuation area holding
/// `nm_entries` `NM` entries of 250 name bytes each: the record's `PX` entry (36 bytes)
/// becomes `CE` (28) + `PD` padding (8), and its own `NM` is flagged to continue there.
fn share_one_continuation_area(img: &mut Vec<u8>, nm_entries: usize) -> usize {
    let mut area = Vec::new();
    for i in 0..nm_entries {
        area.extend_from_slice(&[b'N', b'M', 255, 1, u8::from(i + 1 < nm_entries)]);
        area.extend_from_slice(&[b'n'; 250]);
    }
    let block = append(img, &area);
    let mut px = vec![b'P', b'X', 36, 1];
    px.extend_from_slice(&0o100_444u32.to_le_bytes());
    let mut patched = 0;
    let mut pos = 0;
    while let Some(p) = img[pos..]
        .windows(px.len())
        .position(|w| w == px.as_slice())
    {
        let at = pos + p;
        let mut ce = vec![b'C', b'E', 28, 1];
        for v in [block, 0, area.len() as u32] {
            ce.extend_from_slice(&v.to_le_bytes());
            ce.extend_from_slice(&v.to_be_bytes());
        }
        ce.extend_from_slice(&[b'P', b'D', 8, 1, 0, 0, 0, 0]);
        img[at..at + 36].copy_from_slice(&ce);
        assert_eq!(&img[at + 62..at + 64], b"NM", "PX, TF, NM in this order");
        img[at + 66] = 1; // CONTINUE
        patched += 1;
        pos = at + 36;
    }
    patched
}

#[test]
fn rock_ridge_names_sharing_one_continuation_area_are_refused() {
    // 20,000 records whose names continue into one ~64 KB area: read once per record, that
    // is 1.3 GB of names from a few megabytes.
    let sb = Sandbox::new();
    let mut img = image_of_files(&sb, 20_000, 0);
    assert_eq!(share_one_continuation_area(&mut img, 254), 20_000);
    let iso = sb.input("shared-names.iso");
    std::fs::write(&iso, &img).unwrap();
    assert!(img.len() < 8 << 20, "{} bytes", img.len());
    refused_everywhere(&sb, &iso, &["`/`", "holds a name of 63506 bytes"]);

    // Names of a legal length sharing an area are refused at the second record.
    let sb = Sandbox::new();
    let mut img = image_of_files(&sb, 20_000, 0);
    share_one_continuation_area(&mut img, 3);
    let iso = sb.input("shared-area.iso");
    std::fs::write(&iso, &img).unwrap();
    refused_everywhere(
        &sb,
        &iso,
        &["continuation area", "used by more than one record"],
    );
}

/// `img` with its primary root directory replaced by `.`, `..` and `records` (packed so no
/// record crosses a block), appended at the end of the image.
fn with_root_records(img: &[u8], records: &[Vec<u8>]) -> Vec<u8> {
    let mut img = img.to_vec();
    let vd = descriptor(&img, "primary");
    let root = le32(&img, vd + 156 + 2) as usize * BLOCK;
    let dot = img[root..root + img[root] as usize].to_vec();
    let at = root + dot.len();
    let dotdot = img[at..at + img[at] as usize].to_vec();
    let mut dir = Vec::new();
    for r in [&dot, &dotdot].into_iter().chain(records) {
        if dir.len() % BLOCK + r.len() > BLOCK {
            dir.resize(dir.len().div_ceil(BLOCK) * BLOCK, 0);
        }
        dir.extend_from_slice(r);
    }
    let len = dir.len().div_ceil(BLOCK) * BLOCK;
    let block = append(&mut img, &dir);
    for rec in [
        vd + 156,
        block as usize * BLOCK,
        block as usize * BLOCK + dot.len(),
    ] {
        put_both32(&mut img, rec + 2, block);
        put_both32(&mut img, rec + 10, len as u32);
    }
    img
}

/// A copy of the fixed part and identifier of the record at `at`, without system use bytes,
/// named `id`, with `flags`.
fn bare_record(img: &[u8], at: usize, id: &[u8], flags: u8) -> Vec<u8> {
    let mut r = img[at..at + 33].to_vec();
    r[25] = flags;
    r[32] = id.len() as u8;
    r.extend_from_slice(id);
    if id.len() % 2 == 0 {
        r.push(0);
    }
    r[0] = r.len() as u8;
    r
}

#[test]
fn one_extent_listed_a_hundred_thousand_times_is_refused() {
    // 100,000 multi-extent records of one file over the same 1 MiB: a 100 GB file listed
    // from a 6 MB image, which extraction would write until the disk is full.
    let sb = Sandbox::new();
    let img = image_of_files(&sb, 1, 1 << 20);
    let big = record(&img, "primary", "F00000").offset;
    let records: Vec<Vec<u8>> = (0..100_000)
        .map(|i| bare_record(&img, big, b"BIG.BIN;1", if i < 99_999 { 0x80 } else { 0 }))
        .collect();
    let img = with_root_records(&img, &records);
    let iso = sb.input("multi-extent.iso");
    std::fs::write(&iso, &img).unwrap();
    refused_everywhere(&sb, &iso, &["`/BIG.BIN`", "goes back over its own bytes"]);
}

#[test]
fn files_sharing_one_extent_beyond_the_image_size_are_refused() {
    // virtio-win-shaped: 10,000 names over one 1 MiB extent, a 1.5 MB image that a run would
    // hash and write as 10 GiB.
    let sb = Sandbox::new();
    let img = image_of_files(&sb, 1, 1 << 20);
    let big = record(&img, "primary", "F00000").offset;
    let records: Vec<Vec<u8>> = (0..10_000)
        .map(|i| bare_record(&img, big, format!("F{i:05}.SYS;1").as_bytes(), 0))
        .collect();
    let img = with_root_records(&img, &records);
    assert!(img.len() < 2 << 20, "{} bytes", img.len());
    let iso = sb.input("shared-extent.iso");
    std::fs::write(&iso, &img).unwrap();
    refused_everywhere(&sb, &iso, &["4 times the image's size"]);
    // A run that takes it as its virtio-win input stops before hashing or writing anything.
    let before = sb.snapshot();
    let mut set = std::ffi::OsString::from("virtio_win=");
    set.push(&iso);
    let mut out = std::ffi::OsString::from("out_dir=");
    out.push(sb.dest().join("out"));
    let args: [&OsStr; 6] = [
        "run".as_ref(),
        "virtio-win-full".as_ref(),
        "--set".as_ref(),
        &set,
        "--set".as_ref(),
        &out,
    ];
    let run = run_cli(&sb.cwd(), &args);
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stderr.contains("4 times the image's size"),
        "{}",
        run.stderr
    );
    assert_eq!(before, sb.snapshot());
    sb.dest_is_plain();
}

// ---------------------------------------------------------------------------------------------
// Non-regular inputs and targets.

#[test]
fn a_fifo_given_as_the_image_is_refused_without_blocking() {
    let sb = Sandbox::new();
    // Outside the sandbox: its snapshot reads every file it holds.
    let pipes = tempfile::tempdir().unwrap();
    let fifo = pipes.path().join("image.iso");
    tool_ok(tool("mkfifo").arg(&fifo));
    let needles = ["is a FIFO (named pipe), not a regular file"];
    refused_both(&sb, &fifo, &needles);
    refused(&sb.cwd(), &["verify".as_ref(), fifo.as_os_str()], &needles);
}

/// An image holding `setup.cmd` = `new contents`, written by `iso create`.
fn setup_image(sb: &Sandbox) -> std::path::PathBuf {
    let tree = sb.root().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("setup.cmd"), "new contents").unwrap();
    let iso = sb.input("setup.iso");
    create(&tree, &iso, "SETUP", 0);
    iso
}

#[test]
fn a_hard_link_planted_in_the_destination_is_replaced_never_written_through() {
    let sb = Sandbox::new();
    let iso = setup_image(&sb);
    let outside = sb.input("outside.txt");
    std::fs::write(&outside, "outside file").unwrap();
    let dest = sb.dest();
    std::fs::create_dir(&dest).unwrap();
    std::fs::hard_link(&outside, dest.join("setup.cmd")).unwrap();
    let before = sb.snapshot();
    let run = run_cli(&sb.cwd(), &extract_args(&iso, &dest));
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "outside file");
    assert_eq!(
        before,
        sb.snapshot(),
        "something outside the destination changed"
    );
    assert_eq!(
        std::fs::read_to_string(dest.join("setup.cmd")).unwrap(),
        "new contents"
    );
}

#[test]
fn a_fifo_planted_in_the_destination_is_refused_without_blocking() {
    let sb = Sandbox::new();
    let iso = setup_image(&sb);
    let dest = sb.dest();
    std::fs::create_dir(&dest).unwrap();
    tool_ok(tool("mkfifo").arg(dest.join("setup.cmd")));
    let before = sb.snapshot();
    refused(
        &sb.cwd(),
        &extract_args(&iso, &dest),
        &[
            "setup.cmd exists and is a special file",
            "refusing to extract",
        ],
    );
    assert_eq!(before, sb.snapshot());
}

// ---------------------------------------------------------------------------------------------
// Names with control characters, and what the writer refuses at build time.

#[test]
fn control_characters_in_names_are_escaped_in_listings() {
    let sb = Sandbox::new();
    let tree = sb.root().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(tree.join("evil\nforged"), "x").unwrap();
    std::fs::write(tree.join("\u{1b}[31mred"), "x").unwrap();
    let iso = sb.input("names.iso");
    tool_ok(
        tool("xorriso")
            .args(["-as", "mkisofs", "-quiet", "-R", "-o"])
            .arg(&iso)
            .arg(&tree),
    );
    let run = run_cli(&sb.cwd(), &["iso".as_ref(), "ls".as_ref(), iso.as_os_str()]);
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    assert_eq!(run.stdout, "/\\u{1b}[31mred\n/evil\\nforged\n");
    // verify names them escaped too (no manifest: the error names the image; then with one).
    std::fs::write(tree.join("manifest.json"), r#"{"files":[]}"#).unwrap();
    tool_ok(
        tool("xorriso")
            .args(["-as", "mkisofs", "-quiet", "-R", "-J", "-o"])
            .arg(sb.input("m.iso"))
            .arg(&tree),
    );
    let run = run_cli(
        &sb.cwd(),
        &["verify".as_ref(), sb.input("m.iso").as_os_str()],
    );
    assert_eq!(run.code, Some(1), "{}", run.stderr);
    assert!(
        run.stdout
            .lines()
            .any(|l| l == "extra: evil\\nforged (not listed in manifest.json)"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains('\u{1b}'), "{}", run.stdout);
}

/// `iso create` of `tree` refused with `needles`, writing nothing.
fn create_refused(sb: &Sandbox, tree: &Path, needles: &[&str]) {
    let iso = sb.dest().join("out.iso");
    std::fs::create_dir_all(sb.dest()).unwrap();
    refused(
        &sb.cwd(),
        &[
            "iso".as_ref(),
            "create".as_ref(),
            tree.as_os_str(),
            iso.as_os_str(),
        ],
        needles,
    );
    assert_eq!(std::fs::read_dir(sb.dest()).unwrap().count(), 0);
}

#[test]
fn the_writer_refuses_what_the_reader_and_windows_refuse() {
    // 65 levels of directories: the reader stops at 64.
    let sb = Sandbox::new();
    let tree = sb.root().join("tree");
    let deep = tree.join(vec!["d"; 65].join("/"));
    std::fs::create_dir_all(&deep).unwrap();
    create_refused(&sb, &tree, &["nested 65 levels deep", "more than the 64"]);

    // 257 characters below `D:\`: Windows cannot open the file.
    let sb = Sandbox::new();
    let tree = sb.root().join("tree");
    let dirs = vec!["x".repeat(60); 4].join("/");
    std::fs::create_dir_all(tree.join(&dirs)).unwrap();
    let file = "f".repeat(13);
    std::fs::write(tree.join(&dirs).join(&file), "x").unwrap();
    create_refused(
        &sb,
        &tree,
        &[&format!(
            "`{dirs}/{file}` is 260 characters from a drive root"
        )],
    );

    // 65,537 entries: the reader stops at 65,536.
    let sb = Sandbox::new();
    let tree = sb.root().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    for i in 0..65_537 {
        std::fs::File::create(tree.join(format!("{i}"))).unwrap();
    }
    create_refused(
        &sb,
        &tree,
        &["65537 files and directories", "more than the 65536"],
    );
}
