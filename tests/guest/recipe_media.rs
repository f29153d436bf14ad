//! The in-guest scripts on media a bundled recipe really produced: `aero-recipe run
//! virtio-win-full` builds the Guest Tools ISO from `examples/virtio-win`, `aero-recipe iso
//! extract` unpacks it, and `setup.cmd` / `uninstall.cmd` from that ISO run in Wine's cmd with
//! the stand-ins of tests/guest/stubs (see guest-tools/TESTING.md). Unlike tests/guest/scripts.rs
//! nothing about the media is made up here: the INFs, the driver folders, `config/devices.cmd`,
//! the certificate and manifest.json are whatever the recipe wrote, and every expectation is
//! read from them on disk.

use std::fs;
use std::path::{Path, PathBuf};

use crate::util::wine::{
    self, assert_boot_critical_storage, assert_certs_removed_test_signing_kept, cdd_keys,
    cdd_keys_starting_with, lower_set, pnputil_deleted_win7, pnputil_infs, state_lines, win_path,
    win_set, Stubs, WinVer, Wine,
};
use crate::util::{aero, guest_media, repo, run, Run};

/// The media folder's name: a space and parentheses, like a browser download folder.
const MEDIA_DIR: &str = "Aero Guest Tools (1)";

/// An extracted Guest Tools ISO from one recipe run, removed when dropped.
struct RecipeMedia {
    _dir: tempfile::TempDir,
    /// The recipe's `out_dir`.
    out: PathBuf,
    /// The ISO's contents, extracted.
    root: PathBuf,
}

impl RecipeMedia {
    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }
}

/// `aero-recipe ARGS` in `cwd` with SOURCE_DATE_EPOCH=0.
fn aero_recipe(args: &[&str], cwd: &Path) -> Run {
    run(aero()
        .args(args)
        .current_dir(cwd)
        .env("SOURCE_DATE_EPOCH", "0"))
}

/// Runs `aero-recipe run virtio-win-full` with `sets` (KEY=VALUE) and extracts its ISO. The
/// working directory is a fresh temp dir, so bundled inputs resolve as after `cargo install`.
fn recipe_media(sets: &[&str]) -> RecipeMedia {
    let dir = tempfile::Builder::new()
        .prefix("recipe-media-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir");
    let out = dir.path().join("out");
    let out_set = format!("out_dir={}", out.display());
    let mut args = vec!["run", "virtio-win-full", "--set", out_set.as_str()];
    for s in sets {
        args.extend(["--set", s]);
    }
    aero_recipe(&args, dir.path()).ok();
    let iso = out.join("aero-guest-tools.iso");
    let root = dir.path().join(MEDIA_DIR);
    let iso_s = iso.to_string_lossy().into_owned();
    let root_s = root.to_string_lossy().into_owned();
    aero_recipe(&["iso", "extract", &iso_s, &root_s], dir.path()).ok();
    // The ISO carries the manifest the recipe wrote beside it.
    assert_eq!(
        fs::read(root.join("manifest.json")).expect("manifest.json on the ISO"),
        fs::read(out.join("manifest.json")).expect("manifest.json in out_dir"),
    );
    RecipeMedia {
        _dir: dir,
        out,
        root,
    }
}

/// A variable `config/devices.cmd` sets, read the way cmd's `set` reads it: `set "NAME=value"`
/// or `set NAME=value`.
fn devices_var(m: &RecipeMedia, name: &str) -> String {
    let text = fs::read_to_string(m.path("config/devices.cmd")).expect("config/devices.cmd");
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("set ") else {
            continue;
        };
        let rest = rest.trim();
        let assignment = match rest.strip_prefix('"') {
            Some(inner) => inner.strip_suffix('"').unwrap_or(inner),
            None => rest,
        };
        if let Some((n, v)) = assignment.split_once('=') {
            if n.eq_ignore_ascii_case(name) {
                return v.to_string();
            }
        }
    }
    panic!("config/devices.cmd does not set {name}:\n{text}");
}

/// The hardware IDs of `AERO_VIRTIO_BLK_HWIDS`, each in double quotes in devices.cmd.
fn blk_hwids(m: &RecipeMedia) -> Vec<String> {
    let v = devices_var(m, "AERO_VIRTIO_BLK_HWIDS");
    let ids: Vec<String> = v
        .split('"')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect();
    assert!(
        !ids.is_empty(),
        "no quoted IDs in AERO_VIRTIO_BLK_HWIDS={v}"
    );
    ids
}

/// Every INF under `drivers/<arch>/` of the media, found on disk, sorted.
fn infs(m: &RecipeMedia, arch: &str) -> Vec<PathBuf> {
    guest_media::infs_in(&m.path("drivers").join(arch))
}

/// An amd64 guest (explicit, though Wine reports AMD64 by itself).
fn amd64() -> Stubs {
    Stubs {
        arch: Some("AMD64"),
        ..Stubs::default()
    }
}

/// Takes the Wine guest on Windows 7 with no CriticalDeviceDatabase key of `hwids` (or of their
/// class-code forms) left over (the harness resets only the keys of its own fixture).
fn windows7_guest(hwids: &[String]) -> Wine {
    let w = wine::take();
    w.set_version(WinVer::Win7);
    let keys = cdd_keys(hwids);
    w.reg_delete_keys(&keys);
    for k in &keys {
        assert!(!w.reg_key_exists(k), "{k} exists before setup ran");
    }
    w
}

/// Acceptance of issue 6 on real recipe output: `setup.cmd /force /noreboot` from the
/// virtio-win-full ISO installs every amd64 INF of that ISO (and no x86 one), pre-seeds the
/// storage service devices.cmd names with the registry values and CriticalDeviceDatabase keys
/// Windows 7 needs (issue 19: 12 keys for the 4 virtio-blk IDs, the key set of Aero's
/// setup.cmd), and records it; `uninstall.cmd /force /cleanupstorage /cleanupstorageforce`
/// takes it all out. setup.cmd reports the package version and build of manifest.json.
#[test]
fn virtio_win_full_media_installs_on_windows7_amd64_and_uninstall_reverses_it() {
    let m = recipe_media(&[]);
    let svc = devices_var(&m, "AERO_VIRTIO_BLK_SERVICE");
    let sys = devices_var(&m, "AERO_VIRTIO_BLK_SYS");
    assert_eq!((svc.as_str(), sys.as_str()), ("viostor", "viostor.sys"));
    let hwids = blk_hwids(&m);
    let amd64_infs = infs(&m, "amd64");
    let x86_infs = infs(&m, "x86");
    assert!(
        amd64_infs.len() >= 3 && !x86_infs.is_empty(),
        "the recipe ships viostor, netkvm and vioinput for both arches: {amd64_infs:?} {x86_infs:?}"
    );
    let svc_key = format!(r"HKLM\SYSTEM\CurrentControlSet\Services\{svc}");

    let w = windows7_guest(&hwids);
    assert!(!w.reg_key_exists(&svc_key), "{svc_key} exists before setup");
    let run = w.run(&m.root, "setup.cmd", &["/force", "/noreboot"], &amd64());
    run.expect_code(0);

    // pnputil -i -a once for each amd64 INF on the media, none for x86.
    let added = pnputil_infs(&run);
    assert_eq!(lower_set(&added), win_set(&amd64_infs), "{run:#?}");
    assert_eq!(added.len(), amd64_infs.len(), "each INF once: {added:?}");
    assert!(lower_set(&added).is_disjoint(&win_set(&x86_infs)));
    for c in run.calls_to("pnputil") {
        assert_eq!(&c[1..3], ["-i", "-a"], "Windows 7 syntax: {c:?}");
    }
    // Signing policy none (the recipe's default): no certificate store, no test signing.
    assert!(run.calls_to("certutil").is_empty(), "{run:#?}");
    assert!(run.calls_to("bcdedit").is_empty(), "{run:#?}");
    assert!(run.calls_to("shutdown").is_empty(), "/noreboot");

    assert_boot_critical_storage(&w, &svc, &sys, &hwids);
    let listed = cdd_keys_starting_with(&w, "PCI#VEN_1AF4&DEV_1042");
    assert_eq!(hwids.len(), 4, "{hwids:?}");
    assert_eq!(listed.len(), 12, "{listed:?}");
    let want: Vec<String> = cdd_keys(&hwids)
        .iter()
        .map(|k| k.rsplit('\\').next().unwrap_or_default().to_string())
        .collect();
    assert_eq!(lower_set(&listed), lower_set(&want));

    // The package's version and build (manifest.json read as JSON here) are what setup read;
    // every line with a "version" key carries the package's (the fallback of Aero's setup.cmd).
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(m.path("manifest.json")).unwrap()).unwrap();
    let version = manifest["package"]["version"]
        .as_str()
        .expect("package.version");
    let build = manifest["package"]["build_id"]
        .as_str()
        .expect("package.build_id");
    let line = format!("Guest Tools: version {version}, build {build}");
    assert!(run.stdout.contains(&line), "{line}\n{}", run.stdout);
    let text = fs::read_to_string(m.path("manifest.json")).unwrap();
    let version_lines: Vec<&str> = text
        .lines()
        .filter(|l| l.trim_start().starts_with("\"version\""))
        .collect();
    assert!(!version_lines.is_empty());
    for l in version_lines {
        assert!(l.contains(&format!("\"{version}\"")), "{l}");
    }
    assert_eq!(
        state_lines(&w, "installed-media.txt"),
        [
            format!("version={version}"),
            format!("build_id={build}"),
            "signing_policy=none".to_string()
        ]
    );
    // The amd64 binary from this media (the x86 one differs) is in System32\drivers.
    let amd64_sys = fs::read(m.path("drivers/amd64/viostor/viostor.sys")).expect("amd64 sys");
    assert_ne!(
        amd64_sys,
        fs::read(m.path("drivers/x86/viostor/viostor.sys")).expect("x86 sys")
    );
    assert_eq!(
        fs::read(w.system_driver(&sys)).expect("the storage driver copied"),
        amd64_sys
    );

    // What it recorded: one package per amd64 INF, the storage one marked, the pre-seed.
    let packages = state_lines(&w, "installed-packages.txt");
    let recorded_infs: Vec<String> = packages
        .iter()
        .map(|l| l.rsplit(' ').next().unwrap_or_default().to_string())
        .collect();
    let shipped_names: Vec<String> = amd64_infs
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        lower_set(&recorded_infs),
        lower_set(&shipped_names),
        "{packages:?}"
    );
    assert_eq!(packages.len(), amd64_infs.len(), "{packages:?}");
    assert!(
        packages
            .iter()
            .any(|l| l.ends_with(" boot-storage viostor.inf")),
        "{packages:?}"
    );
    let oems: Vec<String> = packages
        .iter()
        .map(|l| l.split(' ').next().unwrap_or_default().to_string())
        .collect();
    assert!(
        oems.iter()
            .all(|o| o.starts_with("oem") && o.ends_with(".inf")),
        "{oems:?}"
    );
    let preseed = state_lines(&w, "storage-preseeded");
    for want in [
        format!("service={svc}"),
        "service-created=1".to_string(),
        format!(
            "inf={}",
            win_path(&m.path("drivers/amd64/viostor/viostor.inf"))
        ),
    ] {
        assert!(preseed.contains(&want), "{want} not in {preseed:?}");
    }
    for key in &want {
        let want = format!("cdd={key}");
        assert!(preseed.contains(&want), "{want} not in {preseed:?}");
    }
    assert!(
        preseed.iter().any(|l| l.starts_with("sys-copied=")),
        "{preseed:?}"
    );
    let log = fs::read_to_string(w.state_dir().join("install.log")).expect("install.log");
    for inf in &amd64_infs {
        let line = format!("run: pnputil -i -a \"{}\"", win_path(inf));
        assert!(log.contains(&line), "{line} not in install.log:\n{log}");
    }

    // Uninstall takes it all back out.
    let un = w.run(
        &m.root,
        "uninstall.cmd",
        &["/force", "/cleanupstorage", "/cleanupstorageforce"],
        &amd64(),
    );
    un.expect_code(0);
    let deleted = pnputil_deleted_win7(&un);
    assert_eq!(lower_set(&deleted), lower_set(&oems), "{un:#?}");
    assert_eq!(deleted.len(), oems.len());
    assert!(un.calls_to("certutil").is_empty());
    assert!(un.calls_to("bcdedit").is_empty());
    assert!(!w.reg_key_exists(&svc_key), "{svc_key} still there");
    assert!(
        cdd_keys_starting_with(&w, "PCI#VEN_1AF4&DEV_1042").is_empty(),
        "CriticalDeviceDatabase keys still there"
    );
    assert!(!w.system_driver(&sys).exists(), "{sys} still in System32");
    for f in ["installed-packages.txt", "storage-preseeded"] {
        assert!(!w.state_dir().join(f).exists(), "{f} still recorded");
    }
    assert!(w.state_dir().join("uninstall.log").exists());
}

/// The test-signed variant: setup puts the recipe's certificate into Root and TrustedPublisher
/// and turns test signing on (x64); `uninstall /force` deletes it by its thumbprint and leaves
/// test signing on (Aero's `/force`); a dry run of the interactive uninstall shows it would
/// turn it off.
#[test]
fn test_signed_virtio_win_full_media_installs_and_removes_the_certificate() {
    // The certificate that signed the example virtio-win catalogs (the recipe checks that).
    let repo_cert = repo().join("examples/virtio-win/cert/Virtio_Win_Red_Hat_CA.cer");
    let m = recipe_media(&[
        "signing_policy=test",
        "cert=examples/virtio-win/cert/Virtio_Win_Red_Hat_CA.cer",
    ]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(m.path("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["signing_policy"], "test");
    let cert_bytes = fs::read(&repo_cert).expect("Virtio_Win_Red_Hat_CA.cer");
    let on_media = m.path("certs/Virtio_Win_Red_Hat_CA.cer");
    assert_eq!(
        fs::read(&on_media).expect("certs/Virtio_Win_Red_Hat_CA.cer"),
        cert_bytes
    );
    // A DER certificate (SEQUENCE): its thumbprint is the SHA-1 of these bytes.
    assert_eq!(cert_bytes.first(), Some(&0x30));
    let thumb = wine::sha1_hex(&cert_bytes);
    let hwids = blk_hwids(&m);

    let w = windows7_guest(&hwids);
    let run = w.run(&m.root, "setup.cmd", &["/force", "/noreboot"], &amd64());
    run.expect_code(0);
    let cert = win_path(&on_media);
    for store in ["Root", "TrustedPublisher"] {
        assert!(
            run.calls_to("certutil")
                .iter()
                .any(|c| c[1..] == ["-addstore", "-f", store, cert.as_str()]),
            "certutil -addstore -f {store} {cert}: {run:#?}"
        );
    }
    assert_eq!(
        state_lines(&w, "installed-certs.txt"),
        [format!("Root {thumb}"), format!("TrustedPublisher {thumb}")]
    );
    assert!(run
        .calls_to("bcdedit")
        .iter()
        .any(|c| c[1..] == ["/set", "{current}", "testsigning", "on"]));
    assert!(w.state_dir().join("testsigning-enabled-by-setup").exists());
    assert_eq!(
        lower_set(&pnputil_infs(&run)),
        win_set(&infs(&m, "amd64")),
        "{run:#?}"
    );

    let un = w.run(
        &m.root,
        "uninstall.cmd",
        &["/force", "/cleanupstorage", "/cleanupstorageforce"],
        &amd64(),
    );
    un.expect_code(0);
    assert_certs_removed_test_signing_kept(&w, &un, &thumb);
    assert!(!w.state_dir().join("installed-certs.txt").exists());
    let dry = w.run(&m.root, "uninstall.cmd", &["/dryrun"], &amd64());
    dry.expect_code(0);
    assert!(
        dry.stdout
            .contains("[dryrun] bcdedit /set {current} testsigning off"),
        "{}",
        dry.stdout
    );
    assert!(w.state_dir().join("testsigning-enabled-by-setup").exists());
}

/// `setup.cmd /check /verify-media` on the recipe's ISO: exit 0 untouched, 14 after one byte of
/// the amd64 viostor.sys changes, naming it. `aero-recipe verify` agrees both times.
#[test]
fn verify_media_on_virtio_win_full_media_exits_14_after_one_byte_changes() {
    let m = recipe_media(&[]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(m.path("manifest.json")).unwrap()).unwrap();
    let files = manifest["files"].as_array().expect("files[]").len();
    assert!(files > 20, "{files} files in manifest.json");
    let root_s = m.root.to_string_lossy().into_owned();
    let cwd = m.out.clone();
    aero_recipe(&["verify", &root_s], &cwd).ok();

    let w = windows7_guest(&[]);
    let ok = w.run(&m.root, "setup.cmd", &["/check", "/verify-media"], &amd64());
    ok.expect_code(0);
    assert!(
        ok.stdout.contains(&format!("{files} files match")),
        "{}",
        ok.stdout
    );
    assert_eq!(ok.calls_to("certutil").len(), files, "one hash per file");
    assert!(ok.calls_to("pnputil").is_empty());
    assert!(
        !w.state_dir().exists(),
        "/check /verify-media changes nothing"
    );

    let sys = m.path("drivers/amd64/viostor/viostor.sys");
    let mut bytes = fs::read(&sys).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x01;
    fs::write(&sys, bytes).unwrap();
    assert!(
        aero_recipe(&["verify", &root_s], &cwd).code != Some(0),
        "aero-recipe verify missed the changed byte"
    );
    let bad = w.run(&m.root, "setup.cmd", &["/check", "/verify-media"], &amd64());
    bad.expect_code(14);
    assert!(
        bad.stdout
            .contains("SHA-256  drivers/amd64/viostor/viostor.sys"),
        "{}",
        bad.stdout
    );
    assert!(
        bad.stdout.contains(&format!("1 of {files} files")),
        "{}",
        bad.stdout
    );
    assert!(bad.calls_to("pnputil").is_empty());
}
