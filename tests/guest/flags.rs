//! Issue 19: the flags of Aero's own setup.cmd and uninstall.cmd, run in Wine's cmd like
//! tests/guest/scripts.rs (same harness, fixture media and stand-ins). `/check` validates
//! without Administrator and changes nothing; `/force` never restarts; every alias does what its
//! flag does; `/cleanupstorage` under `/force` needs `/cleanupstorageforce`; manifest.json's
//! package version and build are read as Aero's setup.cmd reads them.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde_json::json;

use super::scripts::assert_no_storage_preseed;
use crate::util::guest_media::{self, Media, MediaSpec};
use crate::util::wine::{
    self, cdd_keys, state_lines, tree_snapshot, ScriptRun, Stubs, WinVer, Wine,
};

const SVC_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\viostor";
const HWIDS: [&str; 2] = [r"PCI\VEN_1AF4&DEV_1042", r"PCI\VEN_1AF4&DEV_1042&REV_01"];
/// The registry branch the scripts write (services and the CriticalDeviceDatabase).
const CONTROL_SET: &str = r"HKLM\SYSTEM\CurrentControlSet";

fn windows7() -> Wine {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    w
}

fn not_admin() -> Stubs {
    Stubs {
        not_admin: true,
        ..Stubs::default()
    }
}

/// Whether any stand-in was called with these arguments (after the program name).
fn called(run: &ScriptRun, program: &str, args: &[&str]) -> bool {
    run.calls_to(program).iter().any(|c| c[1..] == *args)
}

/// The guest's registry branch, its `C:\` files and the media's files, for "nothing changed".
struct Snapshot {
    registry: Vec<u8>,
    drive_c: std::collections::BTreeSet<(std::path::PathBuf, u64, std::time::SystemTime)>,
    media: std::collections::BTreeSet<(std::path::PathBuf, u64, std::time::SystemTime)>,
}

fn snapshot(w: &Wine, m: &Media) -> Snapshot {
    Snapshot {
        registry: w.reg_export(CONTROL_SET),
        drive_c: w.drive_c_snapshot(),
        media: tree_snapshot(&m.root),
    }
}

fn assert_unchanged(w: &Wine, m: &Media, before: &Snapshot, what: &str) {
    let after = snapshot(w, m);
    assert!(
        !before.registry.is_empty(),
        "reg export {CONTROL_SET} failed"
    );
    assert!(
        after.registry == before.registry,
        "{what}: the registry under {CONTROL_SET} changed"
    );
    // Wine's cmd itself leaves a CMDxxxx.tmp in the user's Temp for every `for /f` over a
    // command's output (Windows' cmd uses a pipe): not the script's doing.
    let wine_own = |p: &std::path::PathBuf| {
        let name = p.file_name().unwrap_or_default().to_string_lossy();
        let in_temp = p
            .parent()
            .and_then(|d| d.file_name())
            .is_some_and(|d| d.eq_ignore_ascii_case("temp"));
        in_temp && name.starts_with("CMD") && name.ends_with(".tmp")
    };
    let created: Vec<_> = after
        .drive_c
        .difference(&before.drive_c)
        .filter(|f| !wine_own(&f.0))
        .collect();
    let gone: Vec<_> = before
        .drive_c
        .difference(&after.drive_c)
        .filter(|f| !wine_own(&f.0))
        .collect();
    assert!(
        created.is_empty() && gone.is_empty(),
        "{what}: files under C:\\ changed: new/written {created:?}, gone/rewritten {gone:?}"
    );
    assert!(after.media == before.media, "{what}: the media changed");
    assert!(!w.state_dir().exists(), "{what}: created the state dir");
}

/// Acceptance: `setup.cmd /check` (and `/validate`, and either with `/verify-media`) on good
/// media exits 0 without Administrator (the admin probe fails) and changes nothing: no tool
/// but read-only hashing is called, the registry branch the scripts write exports byte for
/// byte the same, no file under `C:\` or on the media is created or written.
#[test]
fn check_on_good_media_exits_0_without_admin_and_changes_nothing() {
    let w = windows7();
    let m = guest_media::build(&MediaSpec::default());
    let before = snapshot(&w, &m);

    let check = w.run(&m.root, "setup.cmd", &["/check"], &not_admin());
    check.expect_code(0);
    assert!(check.calls.is_empty(), "{:?}", check.calls);
    for line in [
        "validating the media only",
        "Drivers: drivers\\amd64 (3 INF files)",
        "Signing policy: test",
        "Storage: service viostor",
        "Validation passed",
    ] {
        assert!(check.stdout.contains(line), "{line}\n{}", check.stdout);
    }
    let validate = w.run(&m.root, "setup.cmd", &["/validate"], &not_admin());
    validate.expect_code(0);
    assert_eq!(validate.stdout, check.stdout, "/validate is /check");
    assert!(validate.calls.is_empty());

    let files = guest_media_files(&m.root);
    for args in [["/check", "/verify-media"], ["/validate", "/verifymedia"]] {
        let v = w.run(&m.root, "setup.cmd", &args, &not_admin());
        v.expect_code(0);
        assert!(
            v.stdout.contains(&format!("{files} files match")),
            "{}",
            v.stdout
        );
        assert_eq!(v.calls.len(), files, "{:?}", v.calls);
        assert!(v
            .calls
            .iter()
            .all(|c| c[0] == "certutil" && c[1] == "-hashfile"));
    }
    assert_unchanged(&w, &m, &before, "/check");
}

/// The number of files manifest.json lists.
fn guest_media_files(root: &Path) -> usize {
    let v: serde_json::Value =
        serde_json::from_slice(&fs::read(root.join("manifest.json")).unwrap()).unwrap();
    v["files"].as_array().expect("files[]").len()
}

/// `/check` on bad media exits with the code an install would (11, 12, 13, 14), or 1 when
/// manifest.json contradicts itself, and still changes nothing.
#[test]
fn check_on_bad_media_exits_with_the_install_code_and_changes_nothing() {
    let w = windows7();
    let cases: [(MediaSpec, Option<&'static str>, i32, &str); 3] = [
        (
            MediaSpec {
                blk_service: Some("aero_virtio_blk"),
                ..MediaSpec::default()
            },
            None,
            13,
            "AddService = aero_virtio_blk",
        ),
        (
            MediaSpec {
                cert: false,
                ..MediaSpec::default()
            },
            None,
            12,
            "needs certificates",
        ),
        (MediaSpec::default(), Some("ARM64"), 11, r"drivers\arm64"),
    ];
    for (spec, arch, code, says) in cases {
        let m = guest_media::build(&spec);
        let before = snapshot(&w, &m);
        let stubs = Stubs {
            arch,
            ..not_admin()
        };
        let run = w.run(&m.root, "setup.cmd", &["/check"], &stubs);
        run.expect_code(code);
        assert!(run.stdout.contains(says), "{says}\n{}", run.stdout);
        assert!(run.calls.is_empty(), "{:?}", run.calls);
        assert_unchanged(&w, &m, &before, &format!("/check exit {code}"));
    }

    // certs_required must agree with signing_policy (only test media require certificates).
    let m = guest_media::build(&MediaSpec::default());
    guest_media::edit_manifest(&m.root, |v| v["certs_required"] = json!(false));
    let before = snapshot(&w, &m);
    let run = w.run(&m.root, "setup.cmd", &["/check"], &not_admin());
    run.expect_code(1);
    assert!(run.stdout.contains("certs_required"), "{}", run.stdout);
    assert_unchanged(&w, &m, &before, "/check exit 1");
    // An unknown policy is an error for /check (an install would fall back to test).
    guest_media::edit_manifest(&m.root, |v| v["signing_policy"] = json!("lax"));
    let run = w.run(&m.root, "setup.cmd", &["/check"], &not_admin());
    run.expect_code(1);
    assert!(run.stdout.contains("signing_policy lax"), "{}", run.stdout);

    // One changed byte: /check /verify-media says 14 and names the file.
    guest_media::edit_manifest(&m.root, |v| v["signing_policy"] = json!("test"));
    guest_media::edit_manifest(&m.root, |v| v["certs_required"] = json!(true));
    let sys = m.path("drivers/x86/viostor/viostor.sys");
    let mut bytes = fs::read(&sys).unwrap();
    bytes[0] ^= 1;
    fs::write(&sys, bytes).unwrap();
    let before = snapshot(&w, &m);
    let run = w.run(
        &m.root,
        "setup.cmd",
        &["/check", "/verify-media"],
        &not_admin(),
    );
    run.expect_code(14);
    assert!(
        run.stdout
            .contains("SHA-256  drivers/x86/viostor/viostor.sys"),
        "{}",
        run.stdout
    );
    assert_unchanged(&w, &m, &before, "/check /verify-media exit 14");
}

/// Acceptance: `/force` (and `/quiet`) without `/noreboot` never calls shutdown, in setup and
/// uninstall, even when test signing was turned on and a restart is needed. An interactive run
/// asks (Restart, Shut down, or Neither) and the default answer calls nothing.
#[test]
fn force_never_restarts_and_an_interactive_run_asks() {
    let w = windows7();
    let m = guest_media::build(&MediaSpec::default());
    for args in [["/force"], ["/quiet"]] {
        w.reset_guest();
        let run = w.run(&m.root, "setup.cmd", &args, &Stubs::default());
        run.expect_code(0);
        assert!(called(
            &run,
            "bcdedit",
            &["/set", "{current}", "testsigning", "on"]
        ));
        assert!(run.calls_to("shutdown").is_empty(), "{args:?}: {run:#?}");
        assert!(!run.stdout.contains("Restart now (R)"), "{}", run.stdout);
        assert!(
            run.stdout.contains("Restart Windows to finish"),
            "{}",
            run.stdout
        );
        let un = w.run(&m.root, "uninstall.cmd", &args, &Stubs::default());
        un.expect_code(0);
        assert!(un.calls_to("shutdown").is_empty(), "{args:?}: {un:#?}");
        assert!(!un.stdout.contains("Restart now (R)"), "{}", un.stdout);
    }

    // Interactive, answering yes to the first question (Wine's cmd hands all of stdin to the
    // first prompt, so later ones get the empty answer): the restart question comes, and its
    // default does nothing.
    w.reset_guest();
    guest_media::write_manifest(&m.root, "none");
    let yes = Stubs {
        stdin: Some("y\n"),
        ..Stubs::default()
    };
    let run = w.run(&m.root, "setup.cmd", &[], &yes);
    run.expect_code(0);
    assert_eq!(run.calls_to("pnputil").len(), 3, "{run:#?}");
    assert!(
        run.stdout
            .contains("Restart now (R), shut down (S) or neither (N)?"),
        "{}",
        run.stdout
    );
    assert!(run.calls_to("shutdown").is_empty(), "{run:#?}");
    let un = w.run(&m.root, "uninstall.cmd", &[], &yes);
    un.expect_code(0);
    assert!(un.stdout.contains("Restart now (R)"), "{}", un.stdout);
    assert!(un.calls_to("shutdown").is_empty(), "{un:#?}");
}

/// What one run did, for comparing an alias with its flag: exit code, the stand-ins' calls and
/// the state files (without the logs, which quote the command line).
#[derive(Debug, PartialEq)]
struct Outcome {
    code: i32,
    calls: Vec<Vec<String>>,
    state: BTreeMap<String, String>,
}

fn outcome(w: &Wine, run: &ScriptRun) -> Outcome {
    let mut state = BTreeMap::new();
    if let Ok(rd) = fs::read_dir(w.state_dir()) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".log") {
                state.insert(name, fs::read_to_string(e.path()).unwrap_or_default());
            }
        }
    }
    Outcome {
        code: run.code,
        calls: run.calls.clone(),
        state,
    }
}

/// Runs setup with each argument list on a clean guest; all must do the same. Returns the
/// first run.
fn same_setup(w: &Wine, m: &Media, variants: &[&[&str]]) -> ScriptRun {
    let mut first: Option<(ScriptRun, Outcome)> = None;
    for args in variants {
        w.reset_guest();
        let run = w.run(&m.root, "setup.cmd", args, &Stubs::default());
        let o = outcome(w, &run);
        match &first {
            None => first = Some((run, o)),
            Some((r0, o0)) => assert_eq!(
                &o, o0,
                "{args:?} differs from {:?}\n--- first\n{}\n--- this\n{}",
                variants[0], r0.stdout, run.stdout
            ),
        }
    }
    first.expect("at least one variant").0
}

/// Acceptance: each alias of Aero's setup.cmd does what its flag does (same exit code, same
/// calls to every stand-in, same state files), and the flags do what Aero's usage says.
#[test]
fn setup_aliases_do_what_their_flags_do() {
    let w = windows7();
    let m = guest_media::build(&MediaSpec::default());
    let run = same_setup(
        &w,
        &m,
        &[
            &[
                "/quiet",
                "/stageonly",
                "/notestsigning",
                "/skipstorage",
                "/noreboot",
            ],
            &[
                "/force",
                "/stage-only",
                "/no-testsigning",
                "/skip-storage",
                "/no-reboot",
            ],
            &["-quiet", "-stage-only", "-no-testsigning", "-skip-storage"],
        ],
    );
    run.expect_code(0);
    assert!(run.calls_to("pnputil").iter().all(|c| c[1] == "-a"));
    assert!(run.calls_to("bcdedit").is_empty());
    assert!(!w.reg_key_exists(SVC_KEY));

    let run = same_setup(
        &w,
        &m,
        &[
            &["/force", "/nointegritychecks"],
            &["/force", "/forcenointegritychecks"],
            &["/force", "/no-integrity-checks"],
        ],
    );
    run.expect_code(0);
    assert!(called(
        &run,
        "bcdedit",
        &["/set", "{current}", "nointegritychecks", "on"]
    ));
    assert!(!called(
        &run,
        "bcdedit",
        &["/set", "{current}", "testsigning", "on"]
    ));
    assert!(w
        .state_dir()
        .join("nointegritychecks-enabled-by-setup")
        .exists());

    let run = same_setup(&w, &m, &[&["/check"], &["/validate"]]);
    run.expect_code(0);
    let run = same_setup(
        &w,
        &m,
        &[&["/check", "/verify-media"], &["/check", "/verifymedia"]],
    );
    run.expect_code(0);
    assert!(!run.calls.is_empty());

    // Media signed for production: test signing and certificates only when asked for.
    guest_media::write_manifest(&m.root, "production");
    let run = same_setup(
        &w,
        &m,
        &[
            &["/force", "/testsigning"],
            &["/force", "/forcetestsigning"],
            &["/force", "/force-testsigning"],
        ],
    );
    run.expect_code(0);
    assert!(called(
        &run,
        "bcdedit",
        &["/set", "{current}", "testsigning", "on"]
    ));
    assert!(run.calls_to("certutil").is_empty());
    let run = same_setup(
        &w,
        &m,
        &[&["/force", "/installcerts"], &["/force", "/install-certs"]],
    );
    run.expect_code(0);
    assert!(run.calls_to("certutil").iter().any(|c| c[1] == "-addstore"));
    assert!(run.calls_to("bcdedit").is_empty());
    let run = same_setup(
        &w,
        &m,
        &[
            &["/force", "/forcesigningpolicy:test"],
            &["/force", "/forcesigningpolicy:testsigning"],
            &["/force", "/ForceSigningPolicy:TEST"],
        ],
    );
    run.expect_code(0);
    assert!(run
        .stdout
        .contains("Signing policy: test (/forcesigningpolicy)"));
    assert!(run.calls_to("certutil").iter().any(|c| c[1] == "-addstore"));
    assert!(called(
        &run,
        "bcdedit",
        &["/set", "{current}", "testsigning", "on"]
    ));

    // Test media without a certificate: exit 12, unless the policy is overridden.
    let m = guest_media::build(&MediaSpec {
        cert: false,
        ..MediaSpec::default()
    });
    w.reset_guest();
    w.run(&m.root, "setup.cmd", &["/force"], &Stubs::default())
        .expect_code(12);
    let run = same_setup(
        &w,
        &m,
        &[
            &["/force", "/forcesigningpolicy:none"],
            &["/force", "/forcesigningpolicy:nointegritychecks"],
        ],
    );
    run.expect_code(0);
    assert!(run.calls_to("certutil").is_empty());
    assert!(run.calls_to("bcdedit").is_empty());
    let run = same_setup(&w, &m, &[&["/force", "/forcesigningpolicy:production"]]);
    run.expect_code(0);
    assert!(run.calls_to("bcdedit").is_empty());
}

/// Integrity checks already off: test media do not get test signing as well (unless
/// /testsigning asks), and /nointegritychecks changes and records nothing. 32-bit Windows
/// gets no signature change at all. Uninstall under /quiet leaves what setup turned on; a dry
/// run of an interactive uninstall shows it would turn it off.
#[test]
fn nointegritychecks_already_off_and_its_uninstall() {
    let w = windows7();
    let m = guest_media::build(&MediaSpec::default());
    let off = Stubs {
        nointegritychecks: Some("Yes"),
        ..Stubs::default()
    };
    for args in [&["/quiet"][..], &["/quiet", "/nointegritychecks"][..]] {
        w.reset_guest();
        let run = w.run(&m.root, "setup.cmd", args, &off);
        run.expect_code(0);
        assert!(
            run.calls_to("bcdedit").iter().all(|c| c[1] == "/enum"),
            "{run:#?}"
        );
        assert!(!w
            .state_dir()
            .join("nointegritychecks-enabled-by-setup")
            .exists());
    }
    w.reset_guest();
    let run = w.run(&m.root, "setup.cmd", &["/quiet", "/testsigning"], &off);
    assert!(called(
        &run,
        "bcdedit",
        &["/set", "{current}", "testsigning", "on"]
    ));

    w.reset_guest();
    let x86 = Stubs {
        arch: Some("x86"),
        ..Stubs::default()
    };
    let run = w.run(
        &m.root,
        "setup.cmd",
        &["/quiet", "/nointegritychecks"],
        &x86,
    );
    run.expect_code(0);
    assert!(run.calls_to("bcdedit").is_empty(), "{run:#?}");

    w.reset_guest();
    w.run(
        &m.root,
        "setup.cmd",
        &["/quiet", "/nointegritychecks"],
        &Stubs::default(),
    )
    .expect_code(0);
    let un = w.run(&m.root, "uninstall.cmd", &["/quiet"], &Stubs::default());
    un.expect_code(0);
    assert!(un.calls_to("bcdedit").is_empty(), "{un:#?}");
    assert!(un.stdout.contains("left on"), "{}", un.stdout);
    assert!(w
        .state_dir()
        .join("nointegritychecks-enabled-by-setup")
        .exists());
    let dry = w.run(&m.root, "uninstall.cmd", &["/dryrun"], &Stubs::default());
    dry.expect_code(0);
    assert!(
        dry.stdout
            .contains("[dryrun] bcdedit /set {current} nointegritychecks off"),
        "{}",
        dry.stdout
    );
}

/// Acceptance: `uninstall.cmd /cleanupstorage` under `/force` or `/quiet` keeps the boot
/// storage pre-seed unless `/cleanupstorageforce` is given too; `/cleanupstorageforce` alone
/// does nothing to it (and says so); with both, every key (the class-code forms too), the
/// binary and the storage package go. The aliases do the same.
#[test]
fn uninstall_cleanupstorage_under_force_needs_cleanupstorageforce() {
    let w = windows7();
    let m = guest_media::build(&MediaSpec::default());
    for args in [
        &["/force", "/cleanupstorage"][..],
        &["/quiet", "/cleanup-storage"][..],
        &["/force", "/cleanupstorageforce"][..],
    ] {
        w.reset_guest();
        w.run(&m.root, "setup.cmd", &["/quiet"], &Stubs::default())
            .expect_code(0);
        let un = w.run(&m.root, "uninstall.cmd", args, &Stubs::default());
        un.expect_code(0);
        assert_eq!(
            un.calls_to("pnputil").len(),
            2,
            "{args:?}: storage kept: {un:#?}"
        );
        assert!(w.reg_key_exists(SVC_KEY), "{args:?}");
        for key in cdd_keys(&HWIDS) {
            assert!(w.reg_key_exists(&key), "{args:?}: {key}");
        }
        assert!(w.state_dir().join("storage-preseeded").exists());
        let says = if args.contains(&"/cleanupstorageforce") {
            "without /cleanupstorage it does nothing"
        } else {
            "unless /cleanupstorageforce is given too"
        };
        assert!(un.stdout.contains(says), "{args:?}: {}", un.stdout);
    }

    let mut first: Option<Outcome> = None;
    for args in [
        &[
            "/force",
            "/cleanupstorage",
            "/cleanupstorageforce",
            "/noreboot",
        ][..],
        &[
            "/quiet",
            "/cleanup-storage",
            "/cleanup-storage-force",
            "/no-reboot",
        ][..],
    ] {
        w.reset_guest();
        w.run(&m.root, "setup.cmd", &["/quiet"], &Stubs::default())
            .expect_code(0);
        let preseed = state_lines(&w, "storage-preseeded");
        assert_eq!(preseed.iter().filter(|l| l.starts_with("cdd=")).count(), 6);
        let dry = w.run(
            &m.root,
            "uninstall.cmd",
            &["/dryrun", "/cleanupstorage"],
            &Stubs::default(),
        );
        dry.expect_code(0);
        assert!(
            dry.stdout.contains(
                r#"[dryrun] reg delete "HKLM\SYSTEM\CurrentControlSet\Control\CriticalDeviceDatabase\PCI#VEN_1AF4&DEV_1042&REV_01&CC_0100" /f"#
            ),
            "{}",
            dry.stdout
        );
        let un = w.run(&m.root, "uninstall.cmd", args, &Stubs::default());
        un.expect_code(0);
        assert_eq!(un.calls_to("pnputil").len(), 3, "{args:?}: {un:#?}");
        assert_no_storage_preseed(&w);
        assert!(!w.state_dir().join("storage-preseeded").exists());
        let o = outcome(&w, &un);
        match &first {
            None => first = Some(o),
            Some(o0) => assert_eq!(&o, o0, "{args:?}"),
        }
    }
}

/// manifest.json: setup reports and records `package.version` and `package.build_id`, never a
/// `version` key of another object (here ahead of `package`, as serde_json's sorted keys put
/// `inputs`), falls back to top-level `version` / `build_id` without a package object, and
/// warns when an earlier setup ran from another build.
#[test]
fn manifest_package_version_and_build_are_read_and_mixed_media_warned() {
    let w = windows7();
    let m = guest_media::build(&MediaSpec::default());
    guest_media::edit_manifest(&m.root, |v| {
        v["package"]["version"] = json!("1.2.3");
        v["package"]["build_id"] = json!("ci-7");
        v["inputs"] = json!({
            "tool": {"name": "aero-recipe", "version": "9.9.9", "build_id": "tool-build"},
            "virtio_win": {"path": "virtio-win.iso", "version": "0.1.285"}
        });
    });
    let text = fs::read_to_string(m.path("manifest.json")).unwrap();
    assert!(
        text.find("\"9.9.9\"").unwrap() < text.find("\"1.2.3\"").unwrap(),
        "the other versions come first:\n{text}"
    );
    let run = w.run(&m.root, "setup.cmd", &["/quiet"], &Stubs::default());
    run.expect_code(0);
    assert!(
        run.stdout
            .contains("Guest Tools: version 1.2.3, build ci-7"),
        "{}",
        run.stdout
    );
    assert_eq!(
        state_lines(&w, "installed-media.txt"),
        ["version=1.2.3", "build_id=ci-7", "signing_policy=test"]
    );
    let check = w.run(&m.root, "setup.cmd", &["/check"], &Stubs::default());
    check.expect_code(0);
    assert!(check.stdout.contains("version 1.2.3, build ci-7"));
    assert!(!check.stdout.contains("WARNING: an earlier setup"));

    guest_media::edit_manifest(&m.root, |v| v["package"]["build_id"] = json!("ci-8"));
    let again = w.run(&m.root, "setup.cmd", &["/quiet"], &Stubs::default());
    again.expect_code(0);
    assert!(
        again
            .stdout
            .contains("WARNING: an earlier setup ran from other media ( build ci-7 )"),
        "{}",
        again.stdout
    );
    assert_eq!(state_lines(&w, "installed-media.txt")[1], "build_id=ci-8");

    // Older manifests: version and build_id at the top level.
    guest_media::edit_manifest(&m.root, |v| {
        let o = v.as_object_mut().unwrap();
        o.remove("package");
        o.remove("inputs");
        o.insert("version".into(), json!("0.9.0"));
        o.insert("build_id".into(), json!("old"));
    });
    let check = w.run(&m.root, "setup.cmd", &["/check"], &Stubs::default());
    check.expect_code(0);
    assert!(
        check
            .stdout
            .contains("Guest Tools: version 0.9.0, build old"),
        "{}",
        check.stdout
    );
}
