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
