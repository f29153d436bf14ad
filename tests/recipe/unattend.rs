//! The `windows-unattend` recipe end to end: the answer file parses (xmllint and roxmltree),
//! has the three passes, the disk layout of the firmware, the image key, no guessed drive
//! letters, decodable passwords and user values that survive escaping; the ISO carries exactly
//! the WinPE drivers of the requested OS/arch (isoinfo -J), is deterministic, and a wrong guest
//! agent hash stops the run before anything is written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::util::recipe::*;
use crate::util::*;
use base64::Engine as _;

/// Run windows-unattend into `out` with `sets`; return the XML beside the ISO, after checking
/// it is the one at the ISO's root and that xmllint accepts it.
fn unattend(user: &User, cwd: &Path, out: &Path, sets: &[&str]) -> String {
    user.recipe(cwd, "windows-unattend", out, sets)
        .check_against(out);
    let beside = std::fs::read(out.join("autounattend.xml")).unwrap();
    let on_iso = tool_ok(
        tool("isoinfo")
            .args(["-J", "-x", "/autounattend.xml", "-i"])
            .arg(out.join("autounattend.iso")),
    );
    assert_eq!(
        String::from_utf8_lossy(&beside),
        on_iso,
        "autounattend.xml beside the ISO and on it"
    );
    tool_ok(
        tool("xmllint")
            .arg("--noout")
            .arg(out.join("autounattend.xml")),
    );
    String::from_utf8(beside).expect("the answer file is UTF-8")
}

/// Texts of every element named `name` below `node`, in document order.
fn texts(node: roxmltree::Node, name: &str) -> Vec<String> {
    node.descendants()
        .filter(|n| n.is_element() && n.tag_name().name() == name)
        .map(|n| n.text().unwrap_or_default().to_string())
        .collect()
}

/// The first element named `name` below `node`.
fn first<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> roxmltree::Node<'a, 'i> {
    node.descendants()
        .find(|n| n.is_element() && n.tag_name().name() == name)
        .unwrap_or_else(|| panic!("no <{name}>"))
}

/// base64 -> UTF-16LE -> text, as Windows Setup decodes an obfuscated password.
fn decode_password(b64: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .unwrap_or_else(|e| panic!("{b64:?} is not base64: {e}"));
    assert_eq!(bytes.len() % 2, 0, "UTF-16LE has an even length");
    let units: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    String::from_utf16(&units).expect("valid UTF-16")
}

/// Drive-letter paths (`E:\...`) in the text.
fn drive_letters(xml: &str) -> Vec<String> {
    regex::Regex::new(r"[A-Za-z]:\\[^<\s]*")
        .unwrap()
        .find_iter(xml)
        .map(|m| m.as_str().to_string())
        .collect()
}

struct Answer<'a> {
    firmware: &'a str,
    key: &'a str,
    value: &'a str,
    username: &'a str,
    password: &'a str,
    hostname: &'a str,
}

/// Everything the answer file must say for `a`.
fn check_answer(xml: &str, a: &Answer) {
    let doc = roxmltree::Document::parse(xml).expect("the answer file parses");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "unattend");
    let passes: BTreeSet<&str> = root
        .children()
        .filter(|n| n.is_element() && n.tag_name().name() == "settings")
        .filter_map(|n| n.attribute("pass"))
        .collect();
    assert_eq!(
        passes,
        ["windowsPE", "specialize", "oobeSystem"].into(),
        "the three passes"
    );

    let disk = first(root, "DiskConfiguration");
    let types = texts(disk, "Type");
    match a.firmware {
        "uefi" => assert_eq!(types, ["EFI", "MSR", "Primary"], "GPT layout"),
        _ => {
            assert_eq!(types, ["Primary", "Primary"], "MBR layout");
            assert_eq!(
                texts(disk, "Active"),
                ["true"],
                "an active system partition"
            );
        }
    }

    let meta = first(first(root, "InstallFrom"), "MetaData");
    assert_eq!(texts(meta, "Key"), [a.key], "image key");
    assert_eq!(texts(meta, "Value"), [a.value], "image key value");

    let accounts = first(root, "UserAccounts");
    let admin = first(accounts, "AdministratorPassword");
    assert_eq!(texts(admin, "PlainText"), ["false"]);
    assert_eq!(
        decode_password(&texts(admin, "Value")[0]),
        format!("{}AdministratorPassword", a.password)
    );
    let local = first(accounts, "LocalAccount");
    assert_eq!(texts(local, "Name"), [a.username], "account name");
    let pw = first(local, "Password");
    assert_eq!(
        decode_password(&texts(pw, "Value")[0]),
        format!("{}Password", a.password)
    );
    let logon = first(root, "AutoLogon");
    assert_eq!(texts(logon, "Username"), [a.username]);
    assert_eq!(
        decode_password(&texts(first(logon, "Password"), "Value")[0]),
        format!("{}Password", a.password)
    );
    assert_eq!(texts(root, "ComputerName"), [a.hostname]);
    assert!(
        !xml.contains(a.password),
        "the password appears in clear text"
    );
}

#[test]
fn the_answer_file_says_what_was_asked_and_nothing_else() {
    let user = User::new();
    let w = tempdir();

    // Defaults: UEFI, image index 1, no drive letters anywhere.
    let out = w.path().join("defaults");
    let xml = unattend(&user, w.path(), &out, &[]);
    check_answer(
        &xml,
        &Answer {
            firmware: "uefi",
            key: "/IMAGE/NAME",
            value: "Windows 11 Pro",
            username: "aero",
            password: "change-me",
            hostname: "aero-vm",
        },
    );
    assert_eq!(
        drive_letters(&xml),
        Vec::<String>::new(),
        "guessed drive letters"
    );
    assert!(!xml.contains("DriverPaths"));

    // BIOS, an image by name, and values that need escaping (user names may not hold `<`
    // or quotes on Windows, so those go in the password and the image name).
    let image = "Windows 11 Pro <N> & \"Q\" 'ü' — 版";
    let username = "Jörg&O'Ñ";
    let password = "p<&>\"'ä€😀";
    let out = w.path().join("bios");
    let sets = [
        "firmware=bios".to_string(),
        format!("image_name={image}"),
        format!("username={username}"),
        format!("password={password}"),
        "hostname=build-01".to_string(),
    ];
    let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
    let xml = unattend(&user, w.path(), &out, &sets);
    check_answer(
        &xml,
        &Answer {
            firmware: "bios",
            key: "/IMAGE/NAME",
            value: image,
            username,
            password,
            hostname: "build-01",
        },
    );
    assert_eq!(drive_letters(&xml), Vec::<String>::new());

    // Same inputs again, from elsewhere: the same ISO, byte for byte.
    let again = w.path().join("bios-again");
    let other_cwd = tempdir();
    unattend(&user, other_cwd.path(), &again, &sets);
    assert_eq!(
        sha256_file(&out.join("autounattend.iso")),
        sha256_file(&again.join("autounattend.iso")),
        "same inputs, same ISO"
    );

    // Plain-text passwords when asked: the value as given.
    let out = w.path().join("plain");
    let xml = unattend(
        &user,
        w.path(),
        &out,
        &[&format!("password={password}"), "password_plaintext=true"],
    );
    let doc = roxmltree::Document::parse(&xml).unwrap();
    let admin = first(doc.root_element(), "AdministratorPassword");
    assert_eq!(texts(admin, "Value"), [password]);
    assert_eq!(texts(admin, "PlainText"), ["true"]);

    // Drive letters only where the user gives them.
    let out = w.path().join("paths");
    let given = [r"E:\viostor\w11\amd64", r"F:\drivers"];
    let xml = unattend(
        &user,
        w.path(),
        &out,
        &[&format!("driver_paths={}", given.join(","))],
    );
    assert_eq!(drive_letters(&xml), given, "only the given driver paths");
    let doc = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(
        texts(first(doc.root_element(), "DriverPaths"), "Path"),
        given
    );
}

/// `$WinPEDriver$` files on the ISO as isoinfo -J lists them, and the other root entries.
fn iso_listing(iso: &Path) -> (BTreeSet<String>, BTreeSet<String>) {
    let all = isoinfo_joliet(iso);
    let winpe: BTreeSet<String> = all
        .iter()
        .filter(|p| p.starts_with("/$WinPEDriver$/") && p.matches('/').count() == 3)
        .cloned()
        .collect();
    (winpe, all)
}

/// `$WinPEDriver$/<name>/<file>` for every shipped file of the example's `os`/`arch` builds.
fn expected_winpe(os: &str, vw_arch: &str, drivers: &[(&str, &str)]) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for (name, dir) in drivers {
        let src = virtio_win_example().join(format!("{dir}/{os}/{vw_arch}"));
        for (rel, bytes) in shipped_driver_files(&src) {
            out.insert(format!("/$WinPEDriver$/{name}/{rel}"), bytes);
        }
    }
    out
}

#[test]
fn the_iso_carries_the_winpe_drivers_of_exactly_the_requested_os_and_arch() {
    let user = User::new();
    let w = tempdir();
    for (os, arch, vw_arch, drivers, agent) in [
        (
            "w11",
            "amd64",
            "amd64",
            &[
                ("viostor", "viostor"),
                ("vioscsi", "vioscsi"),
                ("netkvm", "NetKVM"),
            ][..],
            Some("qemu-ga-x86_64.msi"),
        ),
        (
            "w10",
            "x86",
            "x86",
            &[
                ("viostor", "viostor"),
                ("vioscsi", "vioscsi"),
                ("netkvm", "NetKVM"),
            ][..],
            Some("qemu-ga-i386.msi"),
        ),
        (
            "w11",
            "arm64",
            "ARM64",
            &[("viostor", "viostor"), ("netkvm", "NetKVM")][..],
            None,
        ),
        // Upstream's own spelling of the architecture picks the same ARM64 set.
        (
            "w10",
            "ARM64",
            "ARM64",
            &[("viostor", "viostor"), ("netkvm", "NetKVM")][..],
            None,
        ),
    ] {
        let out = w.path().join(format!("{os}-{arch}"));
        let mut sets = vec![format!("os={os}"), format!("arch={arch}")];
        if agent.is_none() {
            sets.push("guest_agent=false".into());
        }
        let sets: Vec<&str> = sets.iter().map(String::as_str).collect();
        unattend(&user, w.path(), &out, &sets);
        let iso = out.join("autounattend.iso");
        let (winpe, all) = iso_listing(&iso);
        let expected = expected_winpe(os, vw_arch, drivers);
        assert_eq!(
            winpe,
            expected.keys().cloned().collect(),
            "{os}/{arch}: $WinPEDriver$ files"
        );
        for p in ["/autounattend.xml", "/first_logon.ps1"] {
            assert!(
                all.contains(p),
                "{os}/{arch}: isoinfo -J -f lacks {p}: {all:?}"
            );
        }
        let dir = tempdir();
        extract_iso(&iso, dir.path());
        let media = tree(dir.path());
        for (p, bytes) in &expected {
            assert!(
                &media[p.trim_start_matches('/')] == bytes,
                "{os}/{arch}: {p} is not the example's {os}/{vw_arch} build"
            );
        }
        if let Some(msi) = agent {
            let src = std::fs::read(virtio_win_example().join("guest-agent").join(msi)).unwrap();
            assert_eq!(media[&format!("guest-agent/{msi}")], src);
            let ps1 = String::from_utf8_lossy(&media["first_logon.ps1"]).into_owned();
            assert!(
                ps1.contains(&sha256_hex(&src)),
                "first_logon.ps1 checks the guest agent's hash"
            );
        }
    }
}

#[test]
fn a_wrong_guest_agent_hash_stops_the_run_before_any_output() {
    let user = User::new();
    let w = tempdir();
    let wrong = format!("guest_agent_sha256={}", "ab".repeat(32));

    let fresh = w.path().join("fresh");
    user.run(
        w.path(),
        &[
            "run",
            "windows-unattend",
            "--set",
            &format!("out_dir={}", fresh.display()),
            "--set",
            &wrong,
        ],
    )
    .exits(1)
    .says(&["qemu-ga-x86_64.msi", &"ab".repeat(32)]);
    assert!(!fresh.exists(), "a failed run created {}", fresh.display());

    let out = w.path().join("out");
    unattend(&user, w.path(), &out, &[]);
    let before = tree(&out);
    user.run(
        w.path(),
        &[
            "run",
            "windows-unattend",
            "--set",
            &format!("out_dir={}", out.display()),
            "--set",
            &wrong,
            "--set",
            "hostname=other",
        ],
    )
    .exits(1);
    assert!(tree(&out) == before, "a failed run changed earlier outputs");
}
