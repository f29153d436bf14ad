//! `IsoReader::open_paths` (what `iso extract DIR...` uses) reads only the directories on the
//! way to the requested paths, yet extracts exactly what a full open extracts, matches paths
//! case-insensitively, and still reports a requested path that is not there.

use crate::util::iso::*;
use crate::util::*;
use aero_recipe::media::iso::IsoReader;

#[test]
fn partial_open_extracts_what_a_full_open_does() {
    let tmp = tempdir();
    let src = tmp.path().join("src");
    let files: Vec<(String, Vec<u8>)> = [
        ("viostor/w10/amd64/viostor.inf", b"[Version]\n".to_vec()),
        ("viostor/w10/amd64/viostor.SYS", vec![0xA5; 9000]),
        ("viostor/w10/x86/viostor.inf", b"x86\n".to_vec()),
        ("NetKVM/w10/amd64/netkvm.inf", b"net\n".to_vec()),
        ("NetKVM/w11/amd64/netkvm.inf", b"net11\n".to_vec()),
        ("Balloon/w10/amd64/sub/deep.cat", b"cat\n".to_vec()),
        ("top.txt", b"top\n".to_vec()),
    ]
    .into_iter()
    .map(|(p, b)| (p.to_string(), b))
    .collect();
    write_tree(&src, &files, &["viostor/w10/amd64/EmptyDir"]);
    let iso = tmp.path().join("v.iso");
    ok(tool("genisoimage")
        .args(["-quiet", "-r", "-iso-level", "4", "-o"])
        .arg(&iso)
        .arg(&src));

    let asked: Vec<String> = [
        "/VIOSTOR/W10/amd64",
        "netkvm/w10/amd64/",
        "balloon",
        "/top.txt",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    let full_dest = tmp.path().join("full");
    let part_dest = tmp.path().join("part");
    let full = IsoReader::open(&iso)
        .unwrap()
        .extract(&full_dest, &asked)
        .unwrap();
    let partial = IsoReader::open_paths(&iso, &asked).unwrap();
    // Only what was asked for and the directories leading to it were read.
    assert!(partial.find("NetKVM/w11/amd64/netkvm.inf").is_none());
    assert!(partial.find("viostor/w10/x86").is_none());
    let part = partial.extract(&part_dest, &asked).unwrap();
    assert_eq!(full, part);
    assert_eq!(part.len(), 5, "{part:?}");
    assert_eq!(hash_tree(&full_dest), hash_tree(&part_dest));
    assert_eq!(tree_paths(&full_dest), tree_paths(&part_dest));
    assert!(part_dest.join("viostor/w10/amd64/EmptyDir").is_dir());

    // The CLI gives the same tree as 7z on the same folders.
    let cli_dest = tmp.path().join("cli");
    ok(aero()
        .args(["-q", "iso", "extract"])
        .arg(&iso)
        .arg(&cli_dest)
        .args(["/viostor/w10/amd64", "/NetKVM/w10/amd64"]));
    let z_dest = tmp.path().join("7z");
    ok(tool("7z")
        .arg("x")
        .arg(&iso)
        .arg(format!("-o{}", z_dest.display()))
        .args(["viostor/w10/amd64", "NetKVM/w10/amd64"]));
    assert_eq!(hash_tree(&cli_dest), hash_tree(&z_dest));

    // A path that is not there is still an error naming it.
    let missing = vec!["/viostor/w7".to_string()];
    let err = IsoReader::open_paths(&iso, &missing)
        .unwrap()
        .extract(&tmp.path().join("none"), &missing)
        .unwrap_err();
    assert!(err.to_string().contains("/viostor/w7"), "{err}");
}
