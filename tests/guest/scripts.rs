//! The in-guest scripts, run for real: `guest-tools/setup.cmd` and `uninstall.cmd` execute in
//! Wine's cmd against a media tree built at test time, with stand-ins for pnputil, certutil,
//! bcdedit, shutdown and fltmc (tests/guest/stubs) first on PATH. Registry effects are read
//! back with Wine's own `reg query`. verify.ps1 gets the static PowerShell 2.0 check
//! (`aero_recipe::ps2`) since no PowerShell runs here. What is and is not exercised:
//! guest-tools/TESTING.md.

use std::fs;
use std::path::Path;

use crate::util::guest_media::{self, MediaSpec, CERT_BYTES};
use crate::util::repo;
use crate::util::wine::{
    self, assert_boot_critical_storage, assert_certs_removed_test_signing_kept, cdd_keys,
    cdd_keys_starting_with, lower_set, pnputil_deleted_win7, pnputil_infs, state_lines, win_path,
    win_set, Stubs, WinVer, Wine,
};
use aero_recipe::guest_tools::ROOT_FILES;
use aero_recipe::ps2::ps2_problems;

const SVC_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\viostor";
const HWIDS: [&str; 2] = [r"PCI#VEN_1AF4&DEV_1042", r"PCI#VEN_1AF4&DEV_1042&REV_01"];

fn force() -> Stubs {
    Stubs::default()
}

pub(super) fn assert_no_storage_preseed(w: &Wine) {
    assert!(!w.reg_key_exists(SVC_KEY), "service key {SVC_KEY} exists");
    for key in cdd_keys(&HWIDS) {
        assert!(!w.reg_key_exists(&key), "CDD key {key} exists");
    }
    assert!(!w.system_driver("viostor.sys").exists());
}

/// Acceptance: `setup.cmd /force /noreboot` installs every INF of the guest's arch (and no
/// other), pre-seeds viostor with the registry values Windows needs to boot from it (three
/// CriticalDeviceDatabase keys per hardware ID: the ID and its `&CC_010000` and `&CC_0100`
/// forms, and no other key), records what it did; `uninstall.cmd /force /cleanupstorage
/// /cleanupstorageforce` takes all of it back out except test signing, which `/force` leaves.
#[test]
fn install_on_windows7_amd64_then_uninstall_reverses_it() {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let m = guest_media::build(&MediaSpec::default());
    let run = w.run(&m.root, "setup.cmd", &["/force", "/noreboot"], &force());
    run.expect_code(0);

    // pnputil -i -a for exactly the amd64 INFs.
    let added = pnputil_infs(&run);
    assert_eq!(lower_set(&added), win_set(&m.infs("amd64")), "{run:#?}");
    assert_eq!(added.len(), m.infs("amd64").len(), "each INF once");
    for c in run.calls_to("pnputil") {
        assert_eq!(&c[1..3], ["-i", "-a"], "Windows 7 syntax: {c:?}");
    }

    assert_boot_critical_storage(&w, "viostor", "viostor.sys", &HWIDS);
    // Exactly the 6 keys (2 IDs x 3 forms) exist for the device: listed, not looked up by name.
    let listed = cdd_keys_starting_with(&w, "PCI#VEN_1AF4&DEV_1042");
    let want: Vec<String> = cdd_keys(&HWIDS)
        .iter()
        .map(|k| k.rsplit('\\').next().unwrap().to_string())
        .collect();
    assert_eq!(lower_set(&listed), lower_set(&want), "{listed:?}");
    assert_eq!(listed.len(), 6, "{listed:?}");
    // The amd64 binary (not the x86 one) is in System32\drivers.
    assert_eq!(
        fs::read(w.system_driver("viostor.sys")).expect("viostor.sys copied"),
        fs::read(m.path("drivers/amd64/viostor/viostor.sys")).unwrap()
    );

    // Certificates into both stores, test signing on (policy test, x64).
    let thumb = wine::sha1_hex(CERT_BYTES);
    let cert = win_path(&m.path("certs/aero-test.cer"));
    for store in ["Root", "TrustedPublisher"] {
        assert!(
            run.calls_to("certutil")
                .iter()
                .any(|c| c[1..] == ["-addstore", "-f", store, cert.as_str()]),
            "certutil -addstore {store}: {run:#?}"
        );
    }
    assert!(run
        .calls_to("bcdedit")
        .iter()
        .any(|c| c[1..] == ["/set", "{current}", "testsigning", "on"]));
    assert!(run.calls_to("shutdown").is_empty(), "/noreboot");

    // What it recorded.
    let packages = state_lines(&w, "installed-packages.txt");
    assert_eq!(packages.len(), 3, "{packages:?}");
    let oems: Vec<String> = packages
        .iter()
        .map(|l| l.split(' ').next().unwrap().to_string())
        .collect();
    assert!(oems
        .iter()
        .all(|o| o.starts_with("oem") && o.ends_with(".inf")));
    assert!(packages
        .iter()
        .any(|l| l.ends_with(" boot-storage viostor.inf")));
    assert_eq!(
        state_lines(&w, "installed-certs.txt"),
        [format!("Root {thumb}"), format!("TrustedPublisher {thumb}")]
    );
    assert!(w.state_dir().join("testsigning-enabled-by-setup").exists());
    let preseed = state_lines(&w, "storage-preseeded");
    assert!(
        preseed.contains(&"service=viostor".to_string()),
        "{preseed:?}"
    );
    assert!(preseed.contains(&"service-created=1".to_string()));
    for key in &want {
        assert!(
            preseed.contains(&format!("cdd={key}")),
            "{key}: {preseed:?}"
        );
    }
    assert_eq!(
        state_lines(&w, "installed-media.txt"),
        ["version=0.0.0", "build_id=test", "signing_policy=test"]
    );
    assert!(
        run.stdout
            .contains("Guest Tools: version 0.0.0, build test"),
        "{}",
        run.stdout
    );
    let log = fs::read_to_string(w.state_dir().join("install.log")).expect("install.log");
    assert!(log.contains("run: pnputil -i -a"), "{log}");

    // Uninstall takes it all back out.
    let un = w.run(
        &m.root,
        "uninstall.cmd",
        &["/force", "/cleanupstorage", "/cleanupstorageforce"],
        &force(),
    );
    un.expect_code(0);
    let deleted = pnputil_deleted_win7(&un);
    assert_eq!(lower_set(&deleted), lower_set(&oems));
    assert_certs_removed_test_signing_kept(&w, &un, &thumb);
    assert!(un.calls_to("shutdown").is_empty(), "/force never restarts");
    assert_no_storage_preseed(&w);
    for f in [
        "installed-packages.txt",
        "installed-certs.txt",
        "installed-media.txt",
        "storage-preseeded",
    ] {
        assert!(!w.state_dir().join(f).exists(), "{f} still recorded");
    }
    assert!(w.state_dir().join("uninstall.log").exists());
}

/// Windows 10 uses the new pnputil verbs and has no CriticalDeviceDatabase; uninstall without
/// /cleanupstorage keeps the boot storage driver so a VM on a virtio disk still boots.
#[test]
fn windows10_new_pnputil_syntax_and_uninstall_keeps_storage() {
    let w = wine::take();
    w.set_version(WinVer::Win10);
    let m = guest_media::build(&MediaSpec::default());
    let run = w.run(&m.root, "setup.cmd", &["/quiet"], &force());
    w.set_version(WinVer::Win7);
    run.expect_code(0);
    let calls = run.calls_to("pnputil");
    assert_eq!(calls.len(), 3);
    for c in &calls {
        assert_eq!(c[1], "/add-driver");
        assert_eq!(c[3], "/install");
    }
    assert!(w.reg_value(SVC_KEY, "Start").is_some());
    for key in cdd_keys(&HWIDS) {
        assert!(!w.reg_key_exists(&key), "no CDD on Windows 10");
    }
    assert!(
        run.calls_to("shutdown").is_empty(),
        "/quiet implies /noreboot"
    );

    w.set_version(WinVer::Win10);
    let un = w.run(&m.root, "uninstall.cmd", &["/quiet"], &force());
    w.set_version(WinVer::Win7);
    un.expect_code(0);
    let deleted = un.calls_to("pnputil");
    assert_eq!(deleted.len(), 2, "viostor's package is kept: {un:#?}");
    for c in &deleted {
        assert_eq!(c[1], "/delete-driver");
        assert_eq!(&c[3..], ["/uninstall", "/force"]);
    }
    assert_eq!(
        w.reg_value(SVC_KEY, "Start"),
        Some(("REG_DWORD".into(), "0x0".into()))
    );
    assert!(w.system_driver("viostor.sys").exists());
    let kept = state_lines(&w, "installed-packages.txt");
    assert_eq!(kept.len(), 1);
    assert!(kept[0].ends_with(" boot-storage viostor.inf"), "{kept:?}");
    assert!(un.stdout.contains("/cleanupstorage"));
}

/// An x86 guest gets the x86 drivers only, and no test-signing change (32-bit Windows does not
/// enforce kernel signatures).
#[test]
fn x86_guest_installs_only_x86_drivers() {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let m = guest_media::build(&MediaSpec::default());
    let stubs = Stubs {
        arch: Some("x86"),
        ..Stubs::default()
    };
    let run = w.run(&m.root, "setup.cmd", &["/force", "/noreboot"], &stubs);
    run.expect_code(0);
    assert_eq!(lower_set(&pnputil_infs(&run)), win_set(&m.infs("x86")));
    assert!(run.calls_to("bcdedit").is_empty(), "{run:#?}");
    assert_eq!(
        fs::read(w.system_driver("viostor.sys")).unwrap(),
        fs::read(m.path("drivers/x86/viostor/viostor.sys")).unwrap()
    );
}

/// `/dryrun` prints every system-changing command and changes nothing.
#[test]
fn dryrun_prints_commands_and_changes_nothing() {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let m = guest_media::build(&MediaSpec::default());
    let run = w.run(&m.root, "setup.cmd", &["/dryrun"], &force());
    run.expect_code(0);
    for inf in m.infs("amd64") {
        let line = format!("[dryrun] pnputil -i -a \"{}\"", win_path(&inf));
        assert!(run.stdout.contains(&line), "missing {line}\n{}", run.stdout);
    }
    for needle in [
        r#"[dryrun] reg add "HKLM\SYSTEM\CurrentControlSet\Services\viostor" /v Start /t REG_DWORD /d 0 /f"#,
        r#"[dryrun] reg add "HKLM\SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\PCI#VEN_1AF4&DEV_1042&REV_01" /v Service"#,
        r#"[dryrun] reg add "HKLM\SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\PCI#VEN_1AF4&DEV_1042&REV_01&CC_010000" /v Class /t REG_SZ /d "SCSIAdapter" /f"#,
        r#"[dryrun] reg add "HKLM\SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\PCI#VEN_1AF4&DEV_1042&CC_0100" /v ClassGUID"#,
        "[dryrun] certutil -addstore -f Root",
        "[dryrun] certutil -addstore -f TrustedPublisher",
        "[dryrun] copy /y",
        "[dryrun] bcdedit /set {current} testsigning on",
    ] {
        assert!(
            run.stdout.contains(needle),
            "missing {needle}\n{}",
            run.stdout
        );
    }
    // Only read-only probes reached the tools.
    for c in &run.calls {
        let read_only = match c[0].to_ascii_lowercase().as_str() {
            "fltmc" => true,
            "certutil" => matches!(c[1].as_str(), "-dump" | "-store"),
            "bcdedit" => c[1] == "/enum",
            _ => false,
        };
        assert!(read_only, "dry run changed something: {c:?}");
    }
    assert!(!w.state_dir().exists(), "dry run created the state dir");
    assert_no_storage_preseed(&w);

    let un = w.run(&m.root, "uninstall.cmd", &["/dryrun"], &force());
    un.expect_code(0);
    assert!(un.stdout.contains("Nothing to remove"), "{}", un.stdout);
}

/// `/skipstorage` installs the drivers but leaves the boot storage settings alone, and works
/// even when devices.cmd names no storage service.
#[test]
fn skipstorage_installs_drivers_without_the_preseed() {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let m = guest_media::build(&MediaSpec {
        blk_service: None,
        ..MediaSpec::default()
    });
    let run = w.run(
        &m.root,
        "setup.cmd",
        &["/force", "/noreboot", "/skipstorage"],
        &force(),
    );
    run.expect_code(0);
    assert_eq!(lower_set(&pnputil_infs(&run)), win_set(&m.infs("amd64")));
    assert_no_storage_preseed(&w);
    assert!(!w.state_dir().join("storage-preseeded").exists());
}

/// `/stageonly` adds the packages to the driver store without installing them.
#[test]
fn stageonly_adds_without_installing() {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let m = guest_media::build(&MediaSpec::default());
    let run = w.run(
        &m.root,
        "setup.cmd",
        &["/force", "/noreboot", "/stageonly", "/notestsigning"],
        &force(),
    );
    run.expect_code(0);
    let calls = run.calls_to("pnputil");
    assert_eq!(calls.len(), 3);
    assert!(
        calls.iter().all(|c| c[1] == "-a" && c.len() == 3),
        "{calls:?}"
    );
    assert!(run.calls_to("bcdedit").is_empty(), "/notestsigning");
    assert_eq!(state_lines(&w, "installed-packages.txt").len(), 3);
}

/// Test signing already on: setup leaves it, records nothing, uninstall does not turn it off.
/// Without /force (and no answer on stdin) setup asks and, unanswered, changes nothing.
#[test]
fn testsigning_already_on_is_left_alone_and_prompt_defaults_to_no() {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let m = guest_media::build(&MediaSpec::default());
    let stubs = Stubs {
        testsigning: Some("Yes"),
        ..Stubs::default()
    };
    let run = w.run(&m.root, "setup.cmd", &["/force", "/noreboot"], &stubs);
    run.expect_code(0);
    assert!(run.calls_to("bcdedit").iter().all(|c| c[1] == "/enum"));
    assert!(!w.state_dir().join("testsigning-enabled-by-setup").exists());
    let un = w.run(&m.root, "uninstall.cmd", &["/quiet"], &stubs);
    un.expect_code(0);
    assert!(un.calls_to("bcdedit").is_empty());

    let asked = w.run(&m.root, "uninstall.cmd", &[], &force());
    asked.expect_code(1);
    assert!(asked.calls_to("pnputil").is_empty());
}

/// Running setup twice records each package, key and file once and keeps what the first run
/// created; one uninstall then removes all of it.
#[test]
fn setup_twice_then_uninstall_leaves_nothing() {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let m = guest_media::build(&MediaSpec::default());
    w.run(&m.root, "setup.cmd", &["/quiet"], &force())
        .expect_code(0);
    let first = state_lines(&w, "storage-preseeded");
    w.run(&m.root, "setup.cmd", &["/quiet"], &force())
        .expect_code(0);
    assert_eq!(state_lines(&w, "storage-preseeded"), first);
    assert_eq!(state_lines(&w, "installed-packages.txt").len(), 3);
    assert_eq!(state_lines(&w, "installed-certs.txt").len(), 2);
    w.run(
        &m.root,
        "uninstall.cmd",
        &["/quiet", "/cleanupstorage", "/cleanupstorageforce"],
        &force(),
    )
    .expect_code(0);
    assert_no_storage_preseed(&w);
}

/// A certificate that was already trusted is not recorded, so uninstall never removes it.
#[test]
fn certificate_already_trusted_is_never_removed() {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let m = guest_media::build(&MediaSpec::default());
    let stubs = Stubs {
        cert_present: Some(wine::sha1_hex(CERT_BYTES)),
        ..Stubs::default()
    };
    w.run(&m.root, "setup.cmd", &["/quiet"], &stubs)
        .expect_code(0);
    assert!(!w.state_dir().join("installed-certs.txt").exists());
    let un = w.run(&m.root, "uninstall.cmd", &["/quiet"], &stubs);
    un.expect_code(0);
    assert!(
        un.calls_to("certutil").is_empty(),
        "{:?}",
        un.calls_to("certutil")
    );
}

/// A driver pnputil refuses makes setup exit 1, while the others are installed and recorded;
/// `/force` without `/noreboot` never restarts, though test signing (turned on here) needs it.
#[test]
fn pnputil_failure_exits_1_and_force_never_restarts() {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let m = guest_media::build(&MediaSpec::default());
    let stubs = Stubs {
        pnputil_fail: Some("netkvm.inf"),
        ..Stubs::default()
    };
    let run = w.run(&m.root, "setup.cmd", &["/force"], &stubs);
    run.expect_code(1);
    assert!(
        run.stdout.contains("pnputil failed for netkvm.inf"),
        "{}",
        run.stdout
    );
    let recorded = state_lines(&w, "installed-packages.txt");
    assert_eq!(recorded.len(), 2, "{recorded:?}");
    assert!(recorded.iter().all(|l| !l.ends_with("netkvm.inf")));
    assert!(w.state_dir().join("testsigning-enabled-by-setup").exists());
    assert!(run.calls_to("shutdown").is_empty(), "{run:#?}");
    assert!(
        run.stdout.contains("Restart Windows to finish"),
        "{}",
        run.stdout
    );
    assert!(
        !run.stdout.contains("Restart now (R)"),
        "/force asks nothing"
    );
}

/// Exit 10: not Administrator (setup and uninstall), before anything is touched.
#[test]
fn exit_10_without_administrator() {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let m = guest_media::build(&MediaSpec::default());
    let stubs = Stubs {
        not_admin: true,
        ..Stubs::default()
    };
    let run = w.run(&m.root, "setup.cmd", &["/force", "/noreboot"], &stubs);
    run.expect_code(10);
    assert!(run.stdout.contains("Administrator"));
    assert!(run.calls.iter().all(|c| c[0] == "fltmc"), "{:?}", run.calls);
    assert!(!w.state_dir().exists());
    assert_no_storage_preseed(&w);
    w.run(&m.root, "uninstall.cmd", &["/force"], &stubs)
        .expect_code(10);
}

/// Exit 11: no drivers for the guest's architecture on the media.
#[test]
fn exit_11_without_drivers_for_the_architecture() {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let m = guest_media::build(&MediaSpec::default());
    let stubs = Stubs {
        arch: Some("ARM64"),
        ..Stubs::default()
    };
    let run = w.run(&m.root, "setup.cmd", &["/force", "/noreboot"], &stubs);
    run.expect_code(11);
    assert!(run.stdout.contains(r"drivers\arm64"), "{}", run.stdout);
    assert!(run.calls_to("pnputil").is_empty());
}

/// Exit 12: the policy is test but the media carries no certificate.
#[test]
fn exit_12_when_test_policy_has_no_certificate() {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let m = guest_media::build(&MediaSpec {
        cert: false,
        ..MediaSpec::default()
    });
    let run = w.run(&m.root, "setup.cmd", &["/force", "/noreboot"], &force());
    run.expect_code(12);
    assert!(run.calls_to("pnputil").is_empty());
    assert!(run.calls_to("certutil").is_empty());

    // The same media under policy none installs fine and touches no certificate store.
    guest_media::write_manifest(&m.root, "none");
    let run = w.run(&m.root, "setup.cmd", &["/force", "/noreboot"], &force());
    run.expect_code(0);
    assert!(run.calls_to("certutil").is_empty());
    assert!(run.calls_to("bcdedit").is_empty());
}

/// Exit 13: devices.cmd names a storage service no shipped INF adds.
#[test]
fn exit_13_when_storage_service_is_not_in_any_inf() {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let m = guest_media::build(&MediaSpec {
        blk_service: Some("aero_virtio_blk"),
        ..MediaSpec::default()
    });
    let run = w.run(&m.root, "setup.cmd", &["/force", "/noreboot"], &force());
    run.expect_code(13);
    assert!(run.stdout.contains("aero_virtio_blk"), "{}", run.stdout);
    assert!(run.calls_to("pnputil").is_empty());
    assert!(run
        .calls_to("certutil")
        .iter()
        .all(|c| c[1] == "-dump" || c[1] == "-store"));
    assert!(!w.reg_key_exists(r"HKLM\SYSTEM\CurrentControlSet\Services\aero_virtio_blk"));
}

/// Exit 14: `/check /verify-media` after one byte of a driver changes; 0 before. A truncated
/// file is reported by size. `/verify-media` alone verifies first, then installs (Aero's
/// meaning); on bad media it stops with 14 before the Administrator check and any change.
#[test]
fn exit_14_verify_media_after_one_byte_changes() {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let m = guest_media::build(&MediaSpec::default());
    let ok = w.run(&m.root, "setup.cmd", &["/check", "/verify-media"], &force());
    ok.expect_code(0);
    let files = fs::read_to_string(m.path("manifest.json"))
        .unwrap()
        .matches("\"path\"")
        .count();
    assert!(
        ok.stdout.contains(&format!("{files} files match")),
        "{}",
        ok.stdout
    );
    assert_eq!(ok.calls_to("certutil").len(), files, "one hash per file");
    assert!(ok.calls_to("pnputil").is_empty());
    assert!(!w.state_dir().exists());

    // Without /check: verified, then installed.
    let install = w.run(&m.root, "setup.cmd", &["/verify-media", "/quiet"], &force());
    install.expect_code(0);
    assert!(install.stdout.contains(&format!("{files} files match")));
    assert_eq!(
        lower_set(&pnputil_infs(&install)),
        win_set(&m.infs("amd64"))
    );
    w.reset_guest();

    let sys = m.path("drivers/amd64/viostor/viostor.sys");
    flip_byte(&sys, 3);
    let not_admin = Stubs {
        not_admin: true,
        ..Stubs::default()
    };
    let bad = w.run(
        &m.root,
        "setup.cmd",
        &["/verifymedia", "/quiet"],
        &not_admin,
    );
    bad.expect_code(14);
    assert!(
        bad.calls
            .iter()
            .all(|c| c[0] == "certutil" && c[1] == "-hashfile"),
        "{:?}",
        bad.calls
    );
    assert!(!w.state_dir().exists());
    let bad = w.run(&m.root, "setup.cmd", &["/check", "/verify-media"], &force());
    bad.expect_code(14);
    assert!(
        bad.stdout.contains("drivers/amd64/viostor/viostor.sys"),
        "{}",
        bad.stdout
    );
    assert!(bad.stdout.contains(&format!("1 of {files} files")));

    let inf = m.path("drivers/x86/NetKVM/netkvm.inf");
    let mut bytes = fs::read(&inf).unwrap();
    bytes.pop();
    fs::write(&inf, bytes).unwrap();
    let worse = w.run(
        &m.root,
        "setup.cmd",
        &["/validate", "/verifymedia"],
        &force(),
    );
    worse.expect_code(14);
    assert!(
        worse
            .stdout
            .contains("SIZE     drivers/x86/NetKVM/netkvm.inf"),
        "{}",
        worse.stdout
    );
    assert!(worse.stdout.contains(&format!("2 of {files} files")));
}

/// Exit 2 for an unknown option (named, with the nearest valid one when one is close), for a
/// `/forcesigningpolicy` value that is no policy, and for `/testsigning` with
/// `/nointegritychecks`; 0 for /?. None of them touches anything.
#[test]
fn exit_2_for_unknown_option() {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let m = guest_media::build(&MediaSpec::default());
    let run = w.run(&m.root, "setup.cmd", &["/frobnicate"], &force());
    run.expect_code(2);
    assert!(
        run.stdout.contains("unknown option /frobnicate\n"),
        "{}",
        run.stdout
    );
    assert!(run.calls.is_empty());
    for (script, given, nearest) in [
        ("setup.cmd", "/frce", "/force"),
        ("setup.cmd", "-skip_storage", "/skipstorage"),
        (
            "setup.cmd",
            "/forcesigningpolicy:tset",
            "/forcesigningpolicy:test",
        ),
        (
            "setup.cmd",
            "/forcesigningpolicy",
            "/forcesigningpolicy:none",
        ),
        ("setup.cmd", "/NoIntegrityCheck", "/nointegritychecks"),
        ("uninstall.cmd", "/cleanupstorge", "/cleanupstorage"),
        (
            "uninstall.cmd",
            "/cleanup-storage-froce",
            "/cleanup-storage-force",
        ),
    ] {
        let run = w.run(&m.root, script, &["/quiet", given], &force());
        run.expect_code(2);
        let want = format!("unknown option {given}; did you mean {nearest}?");
        assert!(run.stdout.contains(&want), "{want}\n{}", run.stdout);
        assert!(run.calls.is_empty(), "{:?}", run.calls);
    }
    let both = w.run(
        &m.root,
        "setup.cmd",
        &["/force", "/testsigning", "/nointegritychecks"],
        &force(),
    );
    both.expect_code(2);
    assert!(
        both.stdout.contains("cannot be used together"),
        "{}",
        both.stdout
    );
    assert!(both.calls.is_empty());
    assert!(!w.state_dir().exists());
    for script in ["setup.cmd", "uninstall.cmd"] {
        let help = w.run(&m.root, script, &["/?"], &force());
        help.expect_code(0);
        assert!(help.calls.is_empty());
    }
    let help = w.run(&m.root, "uninstall.cmd", &["--help"], &force());
    help.expect_code(0);
    assert!(help.stdout.contains("/cleanupstorageforce"));
}

fn flip_byte(path: &Path, at: usize) {
    let mut bytes = fs::read(path).unwrap();
    bytes[at] ^= 0x20;
    fs::write(path, bytes).unwrap();
}

/// The shipped scripts and documents are ASCII with CRLF line ends (cmd.exe mis-jumps to labels
/// in LF files; PowerShell 2.0 reads a BOM-less file as ANSI; Windows 7 Notepad needs CRLF).
#[test]
fn shipped_files_are_ascii_and_crlf() {
    let gt = repo().join("guest-tools");
    for f in ROOT_FILES
        .into_iter()
        .chain(["config/README.md", "certs/README.md"])
    {
        let bytes = fs::read(gt.join(f)).unwrap();
        assert!(bytes.is_ascii(), "{f} has non-ASCII bytes");
        for (i, w) in bytes.windows(2).enumerate() {
            assert!(
                !(w[1] == b'\n' && w[0] != b'\r'),
                "{f}: LF without CR at byte {}",
                i + 1
            );
        }
        assert!(bytes.ends_with(b"\r\n"), "{f} must end with CRLF");
    }
}

/// verify.ps1 parses as PowerShell 2.0 as far as a static check can tell.
#[test]
fn verify_ps1_is_powershell_2_compatible() {
    let path = repo().join("guest-tools/verify.ps1");
    let text = fs::read_to_string(&path).unwrap();
    let problems = ps2_problems(&text);
    assert!(
        problems.is_empty(),
        "{}:\n{}",
        path.display(),
        problems.join("\n")
    );
}
