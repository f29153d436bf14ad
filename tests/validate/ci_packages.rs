//! Driver sets from CI output: the CI packages layout, the bundle ZIP (deflated and stored,
//! made by the `zip` CLI), its extracted tree, and the archives a bundle reader must refuse.

use std::io::{Read, Write};
use std::path::Path;

use crate::util::validate::*;
use crate::util::*;
use aero_recipe::ci_packages::{self, parse_name_map};
use aero_recipe::contract::{parse_devices_cmd, Contract};
use aero_recipe::drivers::DriverSet;
use aero_recipe::media::{Media, Source};
use aero_recipe::spec::Spec;
use aero_recipe::validate::validate;

/// `(driverRel, INF)` of a CI tree shaped like `out/packages` of the Aero driver pipeline.
fn ci_packages() -> Vec<(&'static str, InfShape)> {
    let inf = |name: &str, hwid: &str| InfShape::simple(name, name, &[hwid]);
    vec![
        // As in Aero's current tree: the INF is aerogpu_dx11.inf, the binary aerogpu.sys.
        ("drivers/aerogpu", {
            let mut i = inf("aerogpu_dx11", "PCI\\VEN_A3A0&DEV_0001&SUBSYS_0001A3A0");
            i.services = vec![("aerogpu".into(), 2, "aerogpu.sys".into())];
            i
        }),
        (
            "windows7/virtio-blk",
            inf(
                "aero_virtio_blk",
                "PCI\\VEN_1AF4&DEV_1042&SUBSYS_00021AF4&REV_01",
            ),
        ),
        (
            "windows7/virtio-net",
            inf(
                "aero_virtio_net",
                "PCI\\VEN_1AF4&DEV_1041&SUBSYS_00011AF4&REV_01",
            ),
        ),
        (
            "windows7/virtio-input",
            inf(
                "aero_virtio_input",
                "PCI\\VEN_1AF4&DEV_1052&SUBSYS_00101AF4&REV_01",
            ),
        ),
        // The tablet INF beside it: same service and binary, its own subsystem ID.
        ("windows7/virtio-input", {
            let mut i = inf(
                "aero_virtio_tablet",
                "PCI\\VEN_1AF4&DEV_1052&SUBSYS_00121AF4&REV_01",
            );
            i.services = vec![(
                "aero_virtio_input".into(),
                2,
                "aero_virtio_input.sys".into(),
            )];
            i
        }),
        // Not named after its media name: the user's name map says `virtio-snd`.
        (
            "windows7/audio/snd",
            inf(
                "aero_virtio_snd",
                "PCI\\VEN_1AF4&DEV_1059&SUBSYS_00191AF4&REV_01",
            ),
        ),
    ]
}

/// Write the CI tree under `root`, with a build output inside a package, a stray README
/// outside every package, and macOS junk.
fn write_ci_tree(root: &Path) {
    for (rel, inf) in ci_packages() {
        for (arch, deco) in [("x86", "NTx86.6.1"), ("x64", "NTamd64.6.1")] {
            write_package(&root.join(rel), arch, "", &inf.clone().only(deco));
        }
    }
    std::fs::write(
        root.join("windows7/virtio-blk/x64/aero_virtio_blk.pdb"),
        b"debug symbols",
    )
    .unwrap();
    std::fs::write(root.join("windows7/README.md"), b"built by CI").unwrap();
    std::fs::write(root.join(".DS_Store"), b"junk").unwrap();
}

fn user_map() -> Vec<(String, String)> {
    parse_name_map(&["windows7/audio/snd=virtio-snd".to_string()]).unwrap()
}

/// Everything a set holds, bytes read through each file's Source: (arch, name, rel, size, bytes).
fn content(set: &DriverSet) -> Vec<(String, String, String, u64, Vec<u8>)> {
    let mut out = Vec::new();
    for p in set.packages() {
        for f in &p.files {
            let mut bytes = Vec::new();
            f.source.open().unwrap().read_to_end(&mut bytes).unwrap();
            assert_eq!(bytes.len() as u64, f.size, "{}", p.label(&f.path));
            out.push((
                p.arch.media_dir().to_string(),
                p.name.clone(),
                f.path.clone(),
                f.size,
                bytes,
            ));
        }
    }
    out
}

fn origins(set: &DriverSet) -> Vec<(String, String, String)> {
    set.packages()
        .iter()
        .map(|p| (p.arch.to_string(), p.name.clone(), p.origin.clone()))
        .collect()
}

fn errors_of(e: &aero_recipe::Error) -> Vec<String> {
    e.problems().iter().map(|p| p.to_string()).collect()
}

#[test]
fn ci_layout_is_named_and_passes_the_signed_spec() {
    let t = tempfile::tempdir().unwrap();
    write_ci_tree(t.path());
    let set = ci_packages::from_ci_layout(t.path(), &user_map()).unwrap();

    let mut want = Vec::new();
    for (arch, dir) in [("x86", "x86"), ("amd64", "x64")] {
        for (name, rel) in [
            ("aerogpu", "drivers/aerogpu"),
            ("virtio-blk", "windows7/virtio-blk"),
            ("virtio-input", "windows7/virtio-input"),
            ("virtio-net", "windows7/virtio-net"),
            ("virtio-snd", "windows7/audio/snd"),
        ] {
            want.push((arch.to_string(), name.to_string(), format!("{rel}/{dir}")));
        }
    }
    assert_eq!(origins(&set), want);
    let warnings: Vec<String> = set
        .load_problems()
        .warnings
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert!(
        warnings.len() == 1 && warnings[0].contains("`windows7/README.md`"),
        "{warnings:#?}"
    );

    let spec = Spec::load(&repo().join("specs/win7-signed.json")).unwrap();
    let contract = Contract::load(&repo().join("contracts/windows-device-contract.json")).unwrap();
    let vars = parse_devices_cmd(&contract.render_devices_cmd());
    let report = validate(&set, &spec, Some(&vars));
    assert!(report.is_ok(), "{:#?}", report.errors);

    let mut media = Media::new();
    set.add_to_media(Some(&spec), &mut media).unwrap();
    let paths: Vec<&str> = media.files().map(|(p, _)| p).collect();
    for p in [
        "drivers/amd64/aerogpu/aerogpu_dx11.inf",
        "drivers/amd64/virtio-blk/aero_virtio_blk.sys",
        "drivers/x86/virtio-snd/aero_virtio_snd.cat",
        "drivers/x86/virtio-input/aero_virtio_input.inf",
    ] {
        assert!(paths.contains(&p), "{p} missing from {paths:#?}");
    }
    assert!(
        !paths
            .iter()
            .any(|p| p.ends_with(".pdb") || p.contains("README")),
        "{paths:#?}"
    );
    // Five drivers, two arches, an INF, a .sys and a .cat each, plus the tablet's INF and .cat.
    assert_eq!(paths.len(), 5 * 2 * 3 + 2 * 2);
}

#[test]
fn bundle_zips_deflated_stored_and_wrapped_give_the_tree_itself() {
    let t = tempfile::tempdir().unwrap();
    let tree = t.path().join("packages");
    write_ci_tree(&tree);
    let from_dir = ci_packages::from_ci_layout(&tree, &user_map()).unwrap();
    let want = content(&from_dir);

    ok(tool("zip")
        .args(["-r", "-X", "-q", "../deflated.zip", "."])
        .current_dir(&tree));
    ok(tool("zip")
        .args(["-r", "-X", "-q", "-0", "../stored.zip", "."])
        .current_dir(&tree));
    // The same tree inside one folder, as many ZIP tools write it: the name map keeps
    // working with driverRel relative to that folder.
    let wrap = t.path().join("wrap");
    write_ci_tree(&wrap.join("aero-drivers-1.2.3"));
    ok(tool("zip")
        .args(["-r", "-X", "-q", "../wrapped-bundle.zip", "."])
        .current_dir(&wrap));

    for zip in ["deflated.zip", "stored.zip", "wrapped-bundle.zip"] {
        let path = t.path().join(zip);
        let set = ci_packages::from_bundle_zip(&path, &user_map()).unwrap();
        assert_eq!(content(&set), want, "{zip}");
        if zip != "wrapped-bundle.zip" {
            assert_eq!(
                set.load_problems(),
                from_dir.load_problems(),
                "{zip}: same warnings"
            );
        }
        let opened = ci_packages::open(&path, &user_map()).unwrap();
        assert_eq!(content(&opened), want, "open({zip})");

        let sources: Vec<&Source> = set
            .packages()
            .iter()
            .flat_map(|p| p.files.iter().map(|f| &f.source))
            .collect();
        let in_place = sources
            .iter()
            .filter(|s| matches!(s, Source::Extents { .. }))
            .count();
        if zip == "stored.zip" {
            // Nothing of a stored bundle is copied: every file is read from the ZIP in place.
            assert_eq!(in_place, sources.len(), "{zip}");
        } else {
            // `zip` stores what deflate cannot shrink (tiny placeholders) and deflates the INFs.
            assert!(in_place < sources.len(), "{zip}: nothing was deflated");
        }
    }
    let wrapped =
        ci_packages::from_bundle_zip(&t.path().join("wrapped-bundle.zip"), &user_map()).unwrap();
    assert!(
        origins(&wrapped)
            .iter()
            .any(|(_, n, o)| n == "virtio-snd" && o == "aero-drivers-1.2.3/windows7/audio/snd/x64"),
        "{:#?}",
        origins(&wrapped)
    );

    // The extracted bundle (a directory) is detected the same way, wrapper folder included.
    let extracted = t.path().join("extracted");
    std::fs::create_dir(&extracted).unwrap();
    ok(tool("unzip")
        .args(["-q", "../wrapped-bundle.zip"])
        .current_dir(&extracted));
    let set = ci_packages::open(&extracted, &user_map()).unwrap();
    assert_eq!(content(&set), want);
}

#[test]
fn packager_layout_in_a_zip_or_a_directory_is_detected() {
    let t = tempfile::tempdir().unwrap();
    let inner = t.path().join("src/driver-pack");
    virtio_win_tree(&inner, true);
    let oracle = DriverSet::from_packager_layout(&inner).unwrap();
    ok(tool("zip")
        .args(["-r", "-X", "-q", "../pack.zip", "driver-pack"])
        .current_dir(t.path().join("src")));

    let zipped = ci_packages::open(&t.path().join("pack.zip"), &[]).unwrap();
    let opened = ci_packages::open(&inner, &[]).unwrap();
    assert_eq!(content(&zipped), content(&oracle));
    assert_eq!(content(&opened), content(&oracle));
    assert_eq!(origins(&opened), origins(&oracle));
    assert_eq!(
        origins(&zipped)[0].2,
        format!("driver-pack/{}", origins(&oracle)[0].2)
    );

    // In the packager layout, the name map is keyed by the driver directory.
    let map = parse_name_map(&["viostor=virtio-blk".to_string()]).unwrap();
    let renamed = ci_packages::open(&inner, &map).unwrap();
    let names: Vec<String> = renamed.packages().iter().map(|p| p.name.clone()).collect();
    assert!(names.contains(&"virtio-blk".to_string()) && !names.contains(&"viostor".to_string()));
}

/// A ZIP written entry by entry with the zip crate (names the `zip` CLI would not write).
fn write_zip(path: &Path, entries: &[(&str, &[u8], bool)]) {
    use zip::write::SimpleFileOptions;
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    for (name, data, deflate) in entries {
        let method = if *deflate {
            zip::CompressionMethod::Deflated
        } else {
            zip::CompressionMethod::Stored
        };
        w.start_file(
            *name,
            SimpleFileOptions::default().compression_method(method),
        )
        .unwrap();
        w.write_all(data).unwrap();
    }
    w.finish().unwrap();
}

#[test]
fn zip_slip_names_refuse_the_archive() {
    let t = tempfile::tempdir().unwrap();
    let zip = t.path().join("evil-bundle.zip");
    let inf = InfShape::simple("blk", "blk", &["PCI\\VEN_1AF4&DEV_1042&REV_01"]).render();
    write_zip(
        &zip,
        &[
            ("windows7/virtio-blk/x64/blk.inf", inf.as_bytes(), true),
            ("../../evil.sys", b"x", false),
            ("/etc/evil.sys", b"x", false),
            ("windows7\\..\\..\\evil.sys", b"x", false),
            ("C:/Windows/System32/drivers/evil.sys", b"x", false),
        ],
    );
    let err = ci_packages::open(&zip, &[]).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("evil-bundle.zip") && text.contains("refused"),
        "{text}"
    );
    let problems = errors_of(&err);
    assert_eq!(problems.len(), 4, "{problems:#?}");
    for (name, why) in [
        ("../../evil.sys", "`..`"),
        ("/etc/evil.sys", "absolute"),
        ("windows7\\\\..\\\\..\\\\evil.sys", "`\\`"),
        ("C:/Windows/System32/drivers/evil.sys", "drive letter"),
    ] {
        assert!(
            problems
                .iter()
                .any(|p| p.contains(&format!("`{name}`")) && p.contains(why)),
            "{name}: {problems:#?}"
        );
    }
}

/// Set the uncompressed size of `name` in its local and central headers (a lying ZIP).
fn patch_declared_size(zip: &mut [u8], name: &str, size: u32) {
    let n = name.as_bytes();
    let mut patched = 0;
    for i in 0..zip.len().saturating_sub(46) {
        let sig = u32::from_le_bytes(zip[i..i + 4].try_into().unwrap());
        let (name_len_at, name_at, size_at) = match sig {
            0x0403_4b50 => (26, 30, 22),
            0x0201_4b50 => (28, 46, 24),
            _ => continue,
        };
        let len = u16::from_le_bytes(
            zip[i + name_len_at..i + name_len_at + 2]
                .try_into()
                .unwrap(),
        );
        if len as usize == n.len() && zip.get(i + name_at..i + name_at + n.len()) == Some(n) {
            zip[i + size_at..i + size_at + 4].copy_from_slice(&size.to_le_bytes());
            patched += 1;
        }
    }
    assert_eq!(patched, 2, "local and central header of {name}");
}

#[test]
fn lying_sizes_and_damaged_entries_are_refused() {
    let t = tempfile::tempdir().unwrap();
    let name = "windows7/virtio-blk/x64/big.sys";
    let zeros = vec![0u8; 1 << 20];
    let clean = t.path().join("clean.zip");
    write_zip(&clean, &[(name, &zeros, true)]);
    let bytes = std::fs::read(&clean).unwrap();
    assert!(bytes.len() < 64 * 1024, "1 MiB of zeros deflates to little");

    // Declares 1000 bytes, inflates to 1 MiB.
    let mut small = bytes.clone();
    patch_declared_size(&mut small, name, 1000);
    let p = t.path().join("small.zip");
    std::fs::write(&p, &small).unwrap();
    let text = ci_packages::open(&p, &[]).unwrap_err().to_string();
    // The ZIP reader or the size check notices; either way the entry is named.
    assert!(
        text.contains(name) && text.contains("declare") && text.contains("refused"),
        "{text}"
    );

    // Declares more than may be inflated in memory: refused before inflating anything.
    let mut huge = bytes.clone();
    patch_declared_size(&mut huge, name, 600 * 1024 * 1024);
    let p = t.path().join("huge.zip");
    std::fs::write(&p, &huge).unwrap();
    let err = ci_packages::open(&p, &[]).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("512 MiB"), "{text}");
    let help = miette::Diagnostic::help(&err)
        .map(|h| h.to_string())
        .unwrap_or_default();
    assert!(help.contains("zip -0"), "{help}");

    // A stored entry whose bytes changed after it was written fails its CRC at load.
    let stored = t.path().join("stored.zip");
    write_zip(&stored, &[(name, b"placeholder driver binary", false)]);
    let mut b = std::fs::read(&stored).unwrap();
    let at = b
        .windows(11)
        .position(|w| w == b"placeholder")
        .expect("stored data");
    b[at] ^= 0x20;
    std::fs::write(&stored, &b).unwrap();
    let text = ci_packages::open(&stored, &[]).unwrap_err().to_string();
    assert!(text.contains(name) && text.contains("damaged"), "{text}");
}

#[test]
fn name_map_collisions_and_mistakes_are_errors() {
    let t = tempfile::tempdir().unwrap();
    write_ci_tree(t.path());

    let map = parse_name_map(&[
        "drivers/aerogpu=virtio-blk".to_string(),
        "windows7/audio/snd=virtio-snd".to_string(),
    ])
    .unwrap();
    let err = ci_packages::from_ci_layout(t.path(), &map).unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("`drivers/aerogpu`") && text.contains("`windows7/virtio-blk`"),
        "{text}"
    );

    // Without the map, `windows7/audio/snd` would ship as `snd`; a typo in the map is an error
    // naming the driverRel paths that do exist.
    let map = parse_name_map(&["windows7/audio/sound=virtio-snd".to_string()]).unwrap();
    let err = ci_packages::from_ci_layout(t.path(), &map).unwrap_err();
    let help = miette::Diagnostic::help(&err)
        .map(|h| h.to_string())
        .unwrap_or_default();
    assert!(
        err.to_string().contains("`windows7/audio/sound`") && help.contains("`windows7/audio/snd`"),
        "{err} / {help}"
    );

    // The built-in renames collide too: `aero-gpu` and `drivers/aerogpu` are both `aerogpu`.
    write_package(
        &t.path().join("aero-gpu"),
        "x86",
        "",
        &InfShape::simple("aerogpu", "aerogpu", &["PCI\\VEN_A3A0&DEV_0001"]),
    );
    let text = ci_packages::from_ci_layout(t.path(), &user_map())
        .unwrap_err()
        .to_string();
    assert!(
        text.contains("`aero-gpu`") && text.contains("`drivers/aerogpu`"),
        "{text}"
    );

    // Every malformed item is reported, not the first.
    let items: Vec<String> = ["a=b", "oops", "c=", "=d", "e=f/g", "A=z", "../x=y"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let err = parse_name_map(&items).unwrap_err();
    let problems = errors_of(&err);
    assert_eq!(problems.len(), 6, "{problems:#?}");
    for needle in ["`oops`", "`c=`", "`=d`", "`e=f/g`", "`A`", "`../x`"] {
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "{needle}: {problems:#?}"
        );
    }
}

#[test]
fn unreadable_trees_and_unknown_layouts_say_what_was_expected() {
    let t = tempfile::tempdir().unwrap();
    let root = t.path().join("packages");
    write_ci_tree(&root);
    // A symlink inside a package, and amd64 spelled twice for one driver.
    std::os::unix::fs::symlink(
        "aero_virtio_net.sys",
        root.join("windows7/virtio-net/x64/link.sys"),
    )
    .unwrap();
    write_package(
        &root.join("windows7/virtio-blk"),
        "amd64",
        "",
        &InfShape::simple("other", "other", &["PCI\\VEN_1AF4&DEV_1042"]),
    );
    let set = ci_packages::open(&root, &user_map()).unwrap();
    let errors: Vec<String> = set
        .load_problems()
        .errors
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("windows7/virtio-net/x64/link.sys") && e.contains("symlink")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("`x64` and `amd64` are both the amd64 architecture")),
        "{errors:#?}"
    );
    // Validation reports them with everything else.
    let spec = Spec::load(&repo().join("specs/win7-signed.json")).unwrap();
    assert!(!validate(&set, &spec, None).is_ok());

    // Neither layout: the error says what both look like.
    let other = t.path().join("other");
    std::fs::create_dir_all(other.join("docs")).unwrap();
    std::fs::write(other.join("docs/readme.txt"), b"no drivers here").unwrap();
    let err = ci_packages::open(&other, &[]).unwrap_err();
    let help = miette::Diagnostic::help(&err)
        .map(|h| h.to_string())
        .unwrap_or_default();
    assert!(err.to_string().contains("docs/"), "{err}");
    assert!(
        help.contains("<driverRel>/<arch>/") && help.contains("<arch>/<driver>/"),
        "{help}"
    );
    let err = ci_packages::open(&other.join("docs/readme.txt"), &[]).unwrap_err();
    assert!(
        err.to_string().contains("neither a directory nor a .zip"),
        "{err}"
    );
}

#[test]
fn a_single_package_is_named_by_its_folder_or_refused_without_one() {
    let t = tempfile::tempdir().unwrap();
    // A bundle of one driver: `aero-gpu/{x86,x64}/...` under one folder is the CI package
    // `aero-gpu`, shipped as `aerogpu` by the built-in rename.
    let one = t.path().join("one");
    for (arch, deco) in [("x86", "NTx86.6.1"), ("x64", "NTamd64.6.1")] {
        write_package(
            &one.join("aero-gpu"),
            arch,
            "",
            &InfShape::simple("aerogpu", "aerogpu", &["PCI\\VEN_A3A0&DEV_0001"]).only(deco),
        );
    }
    ok(tool("zip")
        .args(["-r", "-X", "-q", "../one.zip", "aero-gpu"])
        .current_dir(&one));
    let set = ci_packages::open(&t.path().join("one.zip"), &[]).unwrap();
    assert_eq!(
        origins(&set),
        [
            (
                "x86".to_string(),
                "aerogpu".to_string(),
                "aero-gpu/x86".to_string()
            ),
            (
                "amd64".to_string(),
                "aerogpu".to_string(),
                "aero-gpu/x64".to_string()
            ),
        ]
    );
    // The package directory itself has no name to give: pass its parent.
    let err = ci_packages::open(&one.join("aero-gpu"), &[]).unwrap_err();
    let help = miette::Diagnostic::help(&err)
        .map(|h| h.to_string())
        .unwrap_or_default();
    assert!(
        err.to_string().contains("single CI driver package") && help.contains("directory above"),
        "{err} / {help}"
    );
}
