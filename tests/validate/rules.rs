//! Every driver-tree rule (FIELD-NOTES section 1), each with a case that breaks it, and one
//! broken tree that shows every problem in a single report.

use std::path::Path;

use crate::util::validate::*;
use crate::util::*;
use aero_recipe::arch::Arch;
use aero_recipe::drivers::DriverSet;
use aero_recipe::media::{Media, Source};
use aero_recipe::spec::Spec;
use aero_recipe::validate::{validate, Report};

fn spec(json: &str) -> Spec {
    Spec::from_json_str(json).unwrap()
}

fn check(root: &Path, spec_json: &str) -> Report {
    let set = DriverSet::from_packager_layout(root).unwrap();
    validate(&set, &spec(spec_json), None)
}

fn strings(p: &[aero_recipe::validate::Problem]) -> Vec<String> {
    p.iter().map(|p| p.to_string()).collect()
}

fn has(list: &[String], needle: &str) {
    assert!(
        list.iter().any(|e| e.contains(needle)),
        "no problem containing {needle:?} in {list:#?}"
    );
}

const BLK: &str = r#"{"drivers": [{"name": "blk", "required": true}]}"#;

fn blk(root: &Path, arch: &str) -> std::path::PathBuf {
    write_package(
        root,
        arch,
        "blk",
        &InfShape::simple("blk", "blk", &["PCI\\VEN_1AF4&DEV_1042&REV_01"]),
    )
}

#[test]
fn a_broken_tree_reports_every_problem_at_once() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    // amd64 is spelled x64 on input; x86 as i386.
    blk(r, "x64");
    let b86 = blk(r, "i386");
    // 1. referenced files missing (binary and co-installer), one aggregated error.
    let mut input = InfShape::vioinput().only("NTamd64.6.1");
    input.name = "input".into();
    let d = write_package(r, "x64", "input", &input);
    std::fs::remove_file(d.join("vioinput.sys")).unwrap();
    std::fs::remove_file(d.join("WdfCoInstaller01009.dll")).unwrap();
    // 2. private key material, one by name and one DER by content.
    std::fs::write(b86.join("signing.PFX"), b"x").unwrap();
    std::fs::write(
        b86.join("key.der"),
        [0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x00],
    )
    .unwrap();
    // 3. a symlink.
    std::os::unix::fs::symlink("blk.sys", b86.join("link.sys")).unwrap();
    // 4. names Windows cannot hold, and a case collision.
    std::fs::write(b86.join("aux.dll"), b"x").unwrap();
    std::fs::write(b86.join("Readme.txt"), b"x").unwrap();
    std::fs::write(b86.join("README.TXT"), b"x").unwrap();
    // 5. an unlisted directory, with fail_on_unlisted_driver_dirs.
    std::fs::create_dir_all(r.join("x64/stray")).unwrap();
    std::fs::write(r.join("x64/stray/a.txt"), b"x").unwrap();
    // 6. a package without .cat and with an x86-only INF under amd64.
    let net = write_package(r, "x64", "net", &InfShape::netkvm().only("NTx86.6.1"));
    std::fs::remove_file(net.join("netkvm.cat")).unwrap();
    // 7. an unknown top-level directory.
    std::fs::create_dir_all(r.join("mips")).unwrap();
    let spec_json = r#"{
      "fail_on_unlisted_driver_dirs": true,
      "require_optional_drivers_on_all_arches": true,
      "drivers": [
        {"name": "blk", "required": true, "expected_add_services": ["nope"],
         "expected_hardware_ids": ["DEV_9999"], "expected_inf_files": ["other.inf"]},
        {"name": "net", "required": true},
        {"name": "input", "required": false}
      ]
    }"#;
    let report = check(r, spec_json);
    let e = strings(&report.errors);
    has(&e, "mips: `mips` is not an architecture directory");
    has(&e, "i386/blk: ");
    has(&e, "i386/blk: `link.sys` is a symlink");
    has(
        &e,
        "i386/blk/signing.PFX: `signing.PFX` looks like private key material",
    );
    has(
        &e,
        "i386/blk/key.der: `key.der` is a DER-encoded private key",
    );
    has(&e, "i386/blk/aux.dll: not a valid Windows path");
    has(
        &e,
        "i386/blk: paths collide on Windows (names differ only in case): README.TXT, Readme.txt",
    );
    has(&e, "required driver `net` is missing for x86");
    has(&e, "optional driver `input` is present for amd64 but missing for x86 (require_optional_drivers_on_all_arches)");
    has(
        &e,
        "x64/stray: driver directory `stray` is not listed in the packaging spec",
    );
    has(
        &e,
        "x64/net: a driver package needs at least one .inf, .sys and .cat file; none shipped: .cat",
    );
    has(
        &e,
        "x64/net/netkvm.inf: shipped for amd64 but declares no NTamd64 models section",
    );
    has(&e, "x64/net: 1 file(s) referenced by the INFs are not shipped: netkvm.cat (named by netkvm.inf CatalogFile line");
    has(&e, "x64/input: 2 file(s) referenced by the INFs are not shipped: vioinput.sys (named by input.inf CopyFiles line 31, input.inf ServiceBinary line 42, input.inf SourceDisksFiles line 17); WdfCoInstaller01009.dll (named by input.inf");
    has(
        &e,
        "x64/blk: no shipped INF installs service `nope` with AddService (services found: blk)",
    );
    has(
        &e,
        "i386/blk: no hardware ID in the INFs matches `DEV_9999`",
    );
    has(
        &e,
        "x64/blk: expected INF `other.inf` is not shipped (INFs shipped: blk.inf)",
    );
    // Each of the above once per arch where it applies; nothing else.
    assert_eq!(e.len(), 19, "{e:#?}");

    // into_result carries every error in one aggregated error.
    let err = report.into_result().unwrap_err();
    assert_eq!(err.problems().len(), 19);
    assert!(
        err.to_string()
            .starts_with("driver validation found 19 error(s)"),
        "{err}"
    );
}

#[test]
fn required_and_optional_presence() {
    let t = tempfile::tempdir().unwrap();
    blk(t.path(), "x86");
    blk(t.path(), "amd64");
    write_package(
        t.path(),
        "amd64",
        "opt",
        &InfShape::simple("opt", "opt", &["PCI\\VEN_1AF4&DEV_1059&REV_01"]),
    );
    let base = r#"{"drivers": [{"name": "blk", "required": true}, {"name": "opt", "required": false}, {"name": "gone", "required": false}]}"#;
    let r = check(t.path(), base);
    assert!(r.errors.is_empty(), "{:#?}", r.errors);
    let w = strings(&r.warnings);
    has(
        &w,
        "optional driver `opt` is present for amd64 but missing for x86",
    );
    has(
        &w,
        "optional driver `gone` was not found for any architecture",
    );
    assert_eq!(w.len(), 2);

    let strict = base.replace(
        "{\"drivers\"",
        "{\"require_optional_drivers_on_all_arches\": true, \"drivers\"",
    );
    let r = check(t.path(), &strict);
    assert_eq!(strings(&r.errors).len(), 1);
    has(
        &strings(&r.errors),
        "missing for x86 (require_optional_drivers_on_all_arches)",
    );

    let required = base.replace(
        "\"name\": \"gone\", \"required\": false",
        "\"name\": \"gone\", \"required\": true",
    );
    let e = strings(&check(t.path(), &required).errors);
    assert_eq!(
        e,
        [
            "required driver `gone` is missing for x86",
            "required driver `gone` is missing for amd64"
        ]
    );
}

#[test]
fn unlisted_directories_warn_or_fail_and_are_never_shipped() {
    let t = tempfile::tempdir().unwrap();
    blk(t.path(), "amd64");
    write_package(
        t.path(),
        "amd64",
        "extra",
        &InfShape::simple("extra", "extra", &["PCI\\VEN_1234&DEV_0001"]),
    );
    let r = check(t.path(), BLK);
    assert!(r.errors.is_empty());
    has(
        &strings(&r.warnings),
        "amd64/extra: driver directory `extra` is not listed",
    );
    let r = check(
        t.path(),
        r#"{"fail_on_unlisted_driver_dirs": true, "drivers": [{"name": "blk", "required": true}]}"#,
    );
    has(
        &strings(&r.errors),
        "amd64/extra: driver directory `extra` is not listed",
    );
    let set = DriverSet::from_packager_layout(t.path()).unwrap();
    let mut m = Media::new();
    set.add_to_media(Some(&spec(BLK)), &mut m).unwrap();
    assert!(m.files().all(|(p, _)| p.starts_with("drivers/amd64/blk/")));
}

#[test]
fn each_package_needs_an_inf_a_sys_and_a_cat() {
    for missing in ["blk.inf", "blk.sys", "blk.cat"] {
        let t = tempfile::tempdir().unwrap();
        let d = blk(t.path(), "amd64");
        std::fs::remove_file(d.join(missing)).unwrap();
        // Keep the INF's references satisfied apart from the kind under test.
        let e = strings(&check(t.path(), BLK).errors);
        let ext = missing.rsplit('.').next().unwrap();
        has(&e, &format!("none shipped: .{ext}"));
    }
    // Any depth counts.
    let t = tempfile::tempdir().unwrap();
    let d = blk(t.path(), "amd64");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::rename(d.join("blk.cat"), d.join("sub/blk.cat")).unwrap();
    assert!(check(t.path(), BLK).errors.is_empty());
}

#[test]
fn every_reference_kind_must_be_shipped_matched_case_insensitively() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().join("amd64/drv");
    std::fs::create_dir_all(&d).unwrap();
    let inf = "[Version]\r\nSignature=\"$Windows NT$\"\r\nCatalogFile=Drv.CAT\r\n\
[SourceDisksNames]\r\n1=%D%\r\n[SourceDisksFiles]\r\nsrc.bin=1\r\n\
[Manufacturer]\r\n%V%=M,NTamd64\r\n[M.NTamd64]\r\n%D%=Inst,PCI\\VEN_1&DEV_2\r\n\
[Inst.NT]\r\nCopyFiles=Files,@single.dll\r\nCopyINF=other.inf\r\n\
[Files]\r\nlisted.dll\r\n\
[Inst.NT.Services]\r\nAddService=drv,2,Svc\r\n[Svc]\r\nServiceBinary=%12%\\drv.sys\r\n\
[Inst.NT.CoInstallers]\r\nAddReg=Co\r\n[Co]\r\nHKR,,CoInstallers32,0x00010000,\"WdfCoInstaller01011.dll,WdfCoInstaller\"\r\n\
[Strings]\r\nV=\"v\"\r\nD=\"d\"\r\n";
    std::fs::write(d.join("drv.inf"), inf).unwrap();
    let spec_json = r#"{"drivers": [{"name": "drv", "required": true}]}"#;
    let e = strings(&check(t.path(), spec_json).errors);
    assert_eq!(e.len(), 2, "{e:#?}");
    for f in [
        "Drv.CAT",
        "src.bin",
        "single.dll",
        "other.inf",
        "listed.dll",
        "drv.sys",
        "WdfCoInstaller01011.dll",
    ] {
        has(&e, &format!("{f} (named by drv.inf"));
    }
    // Shipped under other capitalisation: all satisfied.
    for f in [
        "drv.cat",
        "SRC.BIN",
        "Single.dll",
        "OTHER.INF",
        "listed.DLL",
        "DRV.SYS",
        "wdfcoinstaller01011.dll",
    ] {
        std::fs::write(d.join(f), b"x").unwrap();
    }
    std::fs::write(d.join("OTHER.INF"), "[Version]\r\nSignature=\"$Windows NT$\"\r\n[Manufacturer]\r\n%V%=M,NTamd64\r\n[M.NTamd64]\r\n%V%=I,PCI\\VEN_1&DEV_3\r\n[Strings]\r\nV=v\r\n").unwrap();
    let r = check(t.path(), spec_json);
    assert!(r.errors.is_empty(), "{:#?}", r.errors);
}

#[test]
fn only_the_catalog_for_the_arch_is_required() {
    let t = tempfile::tempdir().unwrap();
    for (arch, deco, cat) in [
        ("x86", "NTx86", "dev32.cat"),
        ("amd64", "NTamd64", "dev64.cat"),
    ] {
        let d = t.path().join(arch).join("dev");
        std::fs::create_dir_all(&d).unwrap();
        let inf = format!("[Version]\r\nSignature=\"$Windows NT$\"\r\nCatalogFile.NTx86=dev32.cat\r\nCatalogFile.NTamd64=dev64.cat\r\n[Manufacturer]\r\n%V%=M,{deco}\r\n[M.{deco}]\r\n%V%=I,PCI\\VEN_1&DEV_2\r\n[Strings]\r\nV=v\r\n");
        std::fs::write(d.join("dev.inf"), inf).unwrap();
        std::fs::write(d.join("dev.sys"), b"x").unwrap();
        std::fs::write(d.join(cat), b"x").unwrap();
    }
    let r = check(
        t.path(),
        r#"{"drivers": [{"name": "dev", "required": true}]}"#,
    );
    assert!(r.errors.is_empty(), "{:#?}", r.errors);
    std::fs::remove_file(t.path().join("amd64/dev/dev64.cat")).unwrap();
    std::fs::write(t.path().join("amd64/dev/dev32.cat"), b"x").unwrap();
    has(
        &strings(
            &check(
                t.path(),
                r#"{"drivers": [{"name": "dev", "required": true}]}"#,
            )
            .errors,
        ),
        "dev64.cat (named by dev.inf CatalogFile.NTamd64",
    );
}

#[test]
fn models_must_serve_the_arch_they_ship_under() {
    let t = tempfile::tempdir().unwrap();
    // Undecorated models serve x86; NTarm64 serves arm64.
    write_package(
        t.path(),
        "x86",
        "blk",
        &InfShape::simple("blk", "blk", &["PCI\\VEN_1AF4&DEV_1042"]).only(""),
    );
    write_package(
        t.path(),
        "aarch64",
        "blk",
        &InfShape::simple("blk", "blk", &["PCI\\VEN_1AF4&DEV_1042"]).only("NTarm64.10.0"),
    );
    let r = check(t.path(), BLK);
    assert!(r.errors.is_empty(), "{:#?}", r.errors);
    // The same undecorated INF under arm64 does not.
    write_package(
        t.path(),
        "aarch64",
        "blk",
        &InfShape::simple("blk", "blk", &["PCI\\VEN_1AF4&DEV_1042"]).only(""),
    );
    has(&strings(&check(t.path(), BLK).errors), "aarch64/blk/blk.inf: shipped for arm64 but declares no NTarm64 models section (it has: [Std])");
}

#[test]
fn arch_directory_aliases() {
    let t = tempfile::tempdir().unwrap();
    for a in ["Win32", "x86_64", "ARM64"] {
        blk(t.path(), a);
    }
    let set = DriverSet::from_packager_layout(t.path()).unwrap();
    assert_eq!(set.arches(), [Arch::X86, Arch::Amd64, Arch::Arm64]);
    let mut m = Media::new();
    set.add_to_media(Some(&spec(BLK)), &mut m).unwrap();
    for a in ["x86", "amd64", "arm64"] {
        assert!(m.get(&format!("drivers/{a}/blk/blk.inf")).is_some(), "{a}");
    }
    // Two spellings of one arch.
    blk(t.path(), "amd64");
    has(
        &strings(&check(t.path(), BLK).errors),
        "are both the amd64 architecture",
    );
}

#[test]
fn aero_gpu_directory_is_accepted_as_aerogpu_but_not_beside_it() {
    let t = tempfile::tempdir().unwrap();
    let gpu = InfShape::simple("aerogpu", "aerogpu", &["PCI\\VEN_A3A0&DEV_0001"]);
    write_package(t.path(), "amd64", "aero-gpu", &gpu);
    let spec_json = r#"{"drivers": [{"name": "aerogpu", "required": true}]}"#;
    let r = check(t.path(), spec_json);
    assert!(r.errors.is_empty(), "{:#?}", r.errors);
    has(
        &strings(&r.warnings),
        "`aero-gpu` is the old directory name",
    );
    let set = DriverSet::from_packager_layout(t.path()).unwrap();
    let mut m = Media::new();
    set.add_to_media(Some(&spec(spec_json)), &mut m).unwrap();
    assert!(m.get("drivers/amd64/aerogpu/aerogpu.inf").is_some());
    write_package(t.path(), "amd64", "aerogpu", &gpu);
    has(
        &strings(&check(t.path(), spec_json).errors),
        "both amd64/aero-gpu and amd64/aerogpu are present",
    );
}

#[test]
fn expected_inf_services_and_hardware_ids() {
    let t = tempfile::tempdir().unwrap();
    write_package(
        t.path(),
        "amd64",
        "input",
        &InfShape::vioinput().only("NTamd64.6.1"),
    );
    let good = r#"{"drivers": [{"name": "input", "required": true, "expected_inf_files": ["VIOINPUT.INF"],
        "expected_add_services": ["virtioinput", "viohidkmdf"],
        "expected_hardware_ids": ["^PCI\\\\VEN_1AF4&DEV_1052", "subsys_11001af4"],
        "expected_hardware_ids_from_devices_cmd_var": "H"}]}"#;
    let set = DriverSet::from_packager_layout(t.path()).unwrap();
    let mut vars = std::collections::BTreeMap::new();
    vars.insert(
        "H".to_string(),
        vec!["PCI\\VEN_1AF4&DEV_1052&SUBSYS_00101AF4&REV_01".to_string()],
    );
    let r = validate(&set, &spec(good), Some(&vars));
    assert!(r.errors.is_empty(), "{:#?}", r.errors);
    // The earlier tool's virtio-win profile expected `vioinput`: the real service is VirtioInput.
    let bad = good
        .replace("\"virtioinput\"", "\"vioinput\"")
        .replace("subsys_11001af4", "DEV_1053")
        .replace("VIOINPUT.INF", "input.inf");
    vars.insert(
        "H".to_string(),
        vec!["PCI\\VEN_1AF4&DEV_1059&REV_01".to_string()],
    );
    let e = strings(&validate(&set, &spec(&bad), Some(&vars)).errors);
    has(&e, "no shipped INF installs service `vioinput` with AddService (services found: VirtioInput, viohidkmdf)");
    has(&e, "no hardware ID in the INFs matches `DEV_1053`");
    has(&e, "expected INF `input.inf` is not shipped");
    has(
        &e,
        "the INFs declare no hardware ID for `PCI\\VEN_1AF4&DEV_1059` (from devices.cmd H",
    );
    assert_eq!(e.len(), 4, "{e:#?}");
    // A spec reading devices.cmd without one is an error, not a silent pass.
    has(
        &strings(&validate(&set, &spec(good), None).errors),
        "no devices.cmd was given",
    );
}

#[test]
fn exclusions_are_skipped_and_reincluded_on_request() {
    let t = tempfile::tempdir().unwrap();
    let d = blk(t.path(), "amd64");
    for f in [
        "blk.pdb",
        "x.obj",
        "main.c",
        "proj.vcxproj",
        "build.log",
        "Thumbs.db",
        "desktop.ini",
        ".hidden",
        "sym/blk.pdb",
    ] {
        std::fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
        std::fs::write(d.join(f), b"x").unwrap();
    }
    std::fs::create_dir_all(d.join("__MACOSX")).unwrap();
    std::fs::write(d.join("__MACOSX/._blk.inf"), [0u8, 5, 22, 7]).unwrap();
    let ship = |spec_json: &str| {
        let set = DriverSet::from_packager_layout(t.path()).unwrap();
        let r = validate(&set, &spec(spec_json), None);
        assert!(r.errors.is_empty(), "{:#?}", r.errors);
        let mut m = Media::new();
        set.add_to_media(Some(&spec(spec_json)), &mut m).unwrap();
        m.files()
            .map(|(p, _)| p.trim_start_matches("drivers/amd64/blk/").to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(ship(BLK), ["blk.cat", "blk.inf", "blk.sys"]);
    let allow = r#"{"drivers": [{"name": "blk", "required": true, "allow_extensions": [".PDB"], "allow_path_regexes": ["^main\\.c$"]}]}"#;
    assert_eq!(
        ship(allow),
        [
            "blk.cat",
            "blk.inf",
            "blk.pdb",
            "blk.sys",
            "main.c",
            "sym/blk.pdb"
        ]
    );
}

#[test]
fn certificates_pass_and_private_keys_are_refused_by_content() {
    let t = tempfile::tempdir().unwrap();
    let d = blk(t.path(), "amd64");
    let work = tempfile::tempdir().unwrap();
    let w = work.path().to_path_buf();
    // openssl is the independent oracle for what real DER certificates and keys look like.
    ok(tool("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "k.pem",
            "-subj",
            "/CN=aero test",
            "-days",
            "1",
            "-outform",
            "DER",
            "-out",
            "cert.der",
        ])
        .current_dir(&w));
    ok(tool("openssl")
        .args([
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            "k.pem",
            "-outform",
            "DER",
            "-out",
            "pkcs8.der",
        ])
        .current_dir(&w));
    ok(tool("openssl")
        .args([
            "rsa",
            "-in",
            "k.pem",
            "-traditional",
            "-outform",
            "DER",
            "-out",
            "pkcs1.der",
        ])
        .current_dir(&w));
    ok(tool("openssl")
        .args([
            "pkcs8",
            "-topk8",
            "-v2",
            "aes-256-cbc",
            "-passout",
            "pass:x",
            "-in",
            "k.pem",
            "-outform",
            "DER",
            "-out",
            "enc.der",
        ])
        .current_dir(&w));
    ok(tool("openssl")
        .args([
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-outform",
            "DER",
            "-out",
            "ec.der",
        ])
        .current_dir(&w));
    for f in ["cert.der", "pkcs8.der", "pkcs1.der", "enc.der", "ec.der"] {
        std::fs::copy(w.join(f), d.join(f.to_uppercase())).unwrap();
    }
    let e = strings(&check(t.path(), BLK).errors);
    for f in ["PKCS8.DER", "PKCS1.DER", "ENC.DER", "EC.DER"] {
        has(
            &e,
            &format!("amd64/blk/{f}: `{f}` is a DER-encoded private key"),
        );
    }
    assert_eq!(e.len(), 4, "{e:#?}");
    // The certificate alone ships.
    for f in ["PKCS8.DER", "PKCS1.DER", "ENC.DER", "EC.DER"] {
        std::fs::remove_file(d.join(f)).unwrap();
    }
    let set = DriverSet::from_packager_layout(t.path()).unwrap();
    assert!(validate(&set, &spec(BLK), None).errors.is_empty());
    let mut m = Media::new();
    set.add_to_media(Some(&spec(BLK)), &mut m).unwrap();
    assert!(m.get("drivers/amd64/blk/CERT.DER").is_some());
}

#[test]
fn key_material_is_refused_anywhere_even_where_files_are_skipped() {
    for rel in [
        "a.pem",
        "sub/B.KEY",
        ".git/x.snk",
        "__MACOSX/y.p12",
        "z.jks",
        "w.keystore",
        "v.ppk",
        "u.csr",
        "t.pk8",
        "s.p8",
        "r.pvk",
        "q.pfx",
    ] {
        let t = tempfile::tempdir().unwrap();
        let d = blk(t.path(), "amd64");
        std::fs::create_dir_all(d.join(rel).parent().unwrap()).unwrap();
        std::fs::write(d.join(rel), b"secret").unwrap();
        let e = strings(&check(t.path(), BLK).errors);
        has(&e, &format!("amd64/blk/{rel}: "));
        assert_eq!(e.len(), 1, "{rel}: {e:#?}");
        let set = DriverSet::from_packager_layout(t.path()).unwrap();
        assert!(
            set.add_to_media(Some(&spec(BLK)), &mut Media::new())
                .is_err(),
            "{rel}"
        );
    }
}

#[test]
fn symlinks_and_non_utf8_names_are_hard_errors() {
    use std::os::unix::ffi::OsStrExt;
    let t = tempfile::tempdir().unwrap();
    let d = blk(t.path(), "amd64");
    std::fs::write(
        d.join(std::ffi::OsStr::from_bytes(b"bad\xffname.dll")),
        b"x",
    )
    .unwrap();
    std::os::unix::fs::symlink(&d, t.path().join("amd64/linked")).unwrap();
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::os::unix::fs::symlink("../blk.sys", d.join("sub/again.sys")).unwrap();
    let e = strings(&check(t.path(), BLK).errors);
    has(&e, "not valid UTF-8");
    has(&e, "amd64/linked: is a symlink");
    has(&e, "amd64/blk: `sub/again.sys` is a symlink");
    assert_eq!(e.len(), 3, "{e:#?}");
}

#[test]
fn windows_path_rules_and_collisions() {
    let t = tempfile::tempdir().unwrap();
    let d = blk(t.path(), "amd64");
    for f in [
        "CON.txt",
        "trail.",
        "a:b.dll",
        "q?.dll",
        "lpt9",
        "Dir/x.dll",
        "dir/y.dll",
    ] {
        std::fs::create_dir_all(d.join(f).parent().unwrap()).unwrap();
        std::fs::write(d.join(f), b"x").unwrap();
    }
    let e = strings(&check(t.path(), BLK).errors);
    for f in ["CON.txt", "trail.", "a:b.dll", "q?.dll", "lpt9"] {
        has(&e, &format!("amd64/blk/{f}: not a valid Windows path"));
    }
    has(
        &e,
        "paths collide on Windows (names differ only in case): Dir, dir",
    );
    assert_eq!(e.len(), 6, "{e:#?}");
}

#[test]
fn packages_from_any_file_list_and_generated_bytes() {
    let mut set = DriverSet::new();
    let inf = InfShape::simple("blk", "blk", &["PCI\\VEN_1AF4&DEV_1042&REV_01"]).only("NTamd64");
    let bytes = |s: &str| Source::Bytes(s.as_bytes().to_vec().into());
    let text = inf.render();
    set.add_package(
        Arch::Amd64,
        "blk",
        vec![
            ("blk.inf".into(), bytes(&text), text.len() as u64),
            ("blk.sys".into(), bytes("s"), 1),
            ("Blk.cat".into(), bytes("c"), 1),
        ],
    )
    .unwrap();
    set.declare_arch(Arch::X86);
    let e = strings(&validate(&set, &spec(BLK), None).errors);
    assert_eq!(e, ["required driver `blk` is missing for x86"]);
    assert_eq!(set.infs().len(), 1);
    assert!(
        set.add_package(Arch::Amd64, "BLK", vec![]).is_err(),
        "same package twice"
    );
    assert!(set
        .add_package(Arch::Amd64, "x", vec![("../up".into(), bytes(""), 0)])
        .is_err());
}
