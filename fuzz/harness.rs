//! What each fuzz target does with one input, shared by the fuzzers (`fuzz_targets/*.rs`) and
//! the regression test that replays every saved crashing input (`tests/cli/fuzz_regressions.rs`),
//! so a regression input always runs through exactly the code path that found it.
//!
//! Every function takes raw bytes, must never panic, and asserts the invariants a user relies
//! on (no entry path that escapes, nothing extracted outside the destination, a contract that
//! round-trips through its own JSON).
#![allow(dead_code)] // each fuzz target uses one function

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};

use aero_recipe::arch::Arch;
use aero_recipe::contract::{self, Contract};
use aero_recipe::inf::{report, Inf};
use aero_recipe::media::iso::{self, IsoReader};
use aero_recipe::media::verify;
use aero_recipe::media::zip::read::{read_sources, ZipReader};
use aero_recipe::recipe::params;
use aero_recipe::spec::Spec;

/// What a target does with one input.
pub type Target = fn(&[u8]);

/// The targets, by the name of their `fuzz_targets/<name>.rs` and `tests/data/fuzz/<name>/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("iso_reader", iso_reader),
    ("inf", inf),
    ("spec", spec),
    ("contract", contract),
    ("devices_cmd", devices_cmd),
    ("params", params),
    ("zip_reader", zip_reader),
    ("verify_iso", verify_iso),
    ("catalog", catalog),
];

/// Bytes read from one file's source: enough to cross an extent boundary, never the whole
/// image.
const READ_LIMIT: u64 = 64 * 1024;
/// Extraction runs only for images this small (extents may overlap, so the sum of the file
/// sizes can be far larger than the image).
const EXTRACT_LIMIT: u64 = 1 << 20;

/// A scratch directory for this process (on tmpfs when there is one).
fn scratch() -> PathBuf {
    let base = if Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    let dir = base.join(format!("aero-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// Open `data` as an image, list it, look entries up, read a few sources (bounded) and, when
/// small, extract it and check that only plain files and directories appeared below the
/// destination.
pub fn iso_reader(data: &[u8]) {
    let dir = scratch();
    let image = dir.join("input.iso");
    std::fs::write(&image, data).expect("write the input image");
    if let Ok(reader) = IsoReader::open(&image) {
        let _ = (
            reader.volume_id(),
            reader.joliet_volume_id(),
            reader.name_source(),
        );
        let mut total = 0u64;
        for e in reader.entries() {
            assert!(
                !e.path.is_empty()
                    && e.path
                        .split('/')
                        .all(|c| !c.is_empty() && c != "." && c != ".." && !c.contains('\0')),
                "unsafe entry path {:?}",
                e.path
            );
            for x in &e.extents {
                assert!(x
                    .offset
                    .checked_add(x.len)
                    .is_some_and(|end| end <= data.len() as u64));
            }
            assert!(reader.find(&e.path).is_some(), "{:?} not found", e.path);
            total = total.saturating_add(e.size);
        }
        for e in reader.entries().iter().filter(|e| !e.is_dir).take(8) {
            if let Ok(src) = reader.source(e).open() {
                let mut buf = Vec::new();
                let _ = src.take(READ_LIMIT).read_to_end(&mut buf);
                assert!(buf.len() as u64 <= e.size.min(READ_LIMIT));
            }
        }
        let mut media = aero_recipe::media::Media::new();
        let _ = reader.add_to_media(&mut media, "", "copy");
        if total <= EXTRACT_LIMIT && reader.entries().len() <= 256 {
            let dest = dir.join("out");
            let _ = reader.extract(&dest, &[]);
            check_confined(&dest);
            let _ = std::fs::remove_dir_all(&dest);
        }
    }
    let _ = std::fs::remove_file(&image);
}

/// Read `data` with the shared hardened ZIP reader: every entry it accepts has a safe name,
/// unique case-insensitively, and data inside the archive; each readable entry is read (at
/// most 64 KiB), and the whole archive is loaded as sources with a 1 MiB inflation budget.
pub fn zip_reader(data: &[u8]) {
    let len = data.len() as u64;
    if let Ok(mut reader) = ZipReader::new(std::io::Cursor::new(data), "fuzz.zip", len, 4096) {
        let mut folded = std::collections::BTreeSet::new();
        let entries = reader.entries().to_vec();
        for e in &entries {
            assert!(
                aero_recipe::media::zip::read::entry_name_problem(&e.name).is_none(),
                "unsafe name {:?}",
                e.name
            );
            assert!(
                folded.insert(e.name.to_lowercase()),
                "repeated name {:?}",
                e.name
            );
            if e.unreadable.is_none() {
                assert!(e.data_start.saturating_add(e.compressed) <= len);
                if let Ok(r) = reader.open(e.index) {
                    let mut buf = Vec::new();
                    let _ = r.take(READ_LIMIT).read_to_end(&mut buf);
                    assert!(buf.len() as u64 <= e.size.saturating_add(1).min(READ_LIMIT));
                }
            }
        }
    }
    let dir = scratch();
    let zip = dir.join("input.zip");
    std::fs::write(&zip, data).expect("write the input archive");
    if let Ok(contents) = read_sources(&zip, "fuzz.zip", 4096, 1 << 20) {
        for f in &contents.files {
            assert!(aero_recipe::media::zip::read::entry_name_problem(&f.name).is_none());
        }
    }
    let _ = std::fs::remove_file(&zip);
}

/// `verify` over `data` as an ISO image: every view read and compared, the manifest (if any)
/// checked. Every problem it reports is one line (names from the image are escaped), and the
/// views the check compares never list more data than the reader's budget.
pub fn verify_iso(data: &[u8]) {
    let dir = scratch();
    let image = dir.join("input.iso");
    std::fs::write(&image, data).expect("write the input image");
    if let Ok(found) = iso::disagreements(&image) {
        for d in &found {
            assert!(!d.reason.contains('\n'), "multi-line reason {:?}", d.reason);
        }
    }
    if let Ok(report) = verify::verify(&image) {
        for p in &report.problems {
            let line = p.to_string();
            assert!(!line.contains('\n'), "multi-line problem {line:?}");
        }
        let _ = report.summary();
    }
    let _ = std::fs::remove_file(&image);
}

/// Everything below `dest` is a plain file or directory (no symlink was created or followed).
fn check_confined(dest: &Path) {
    let Ok(list) = std::fs::read_dir(dest) else {
        return;
    };
    for e in list.flatten() {
        let t = e.file_type().expect("file type");
        assert!(
            !t.is_symlink(),
            "extraction created a symlink {:?}",
            e.path()
        );
        if t.is_dir() {
            check_confined(&e.path());
        }
    }
}

/// Parse `data` as an INF and ask it every query, the reports included.
pub fn inf(data: &[u8]) {
    let Ok(inf) = Inf::parse(Path::new("fuzz.inf"), data) else {
        return;
    };
    let _ = (inf.encoding(), inf.version(), inf.models());
    let ids = inf.hardware_ids();
    for arch in [Arch::X86, Arch::Amd64, Arch::Arm64] {
        let _ = inf.has_models_for(arch);
    }
    let _ = inf.services();
    let _ = inf.function_services(&|_| true);
    if let Some(first) = ids.first() {
        let _ = inf.function_services(&|h| h.eq_ignore_ascii_case(first));
    }
    let _ = (inf.referenced_files(), inf.warnings());
    for m in inf.models() {
        let _ = m.decoration.os_major_minor();
    }
    let _ = report::text(&inf);
    let _ = report::json(std::slice::from_ref(&inf));
    if let Some(c) = virtio_win_contract() {
        let _ = c.derive_services(&[&inf]);
    }
}

/// The bundled virtio-win contract, loaded once per process.
fn virtio_win_contract() -> Option<&'static Contract> {
    static CONTRACT: std::sync::OnceLock<Option<Contract>> = std::sync::OnceLock::new();
    CONTRACT
        .get_or_init(|| {
            Contract::from_json_str(include_str!(
                "../contracts/windows-device-contract-virtio-win.json"
            ))
            .ok()
        })
        .as_ref()
}

/// Load `data` as a packaging spec and ask it every query.
pub fn spec(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(spec) = Spec::from_json_str(text) else {
        return;
    };
    let vars = contract::parse_devices_cmd(
        "set \"AERO_VIRTIO_BLK_SERVICE=viostor\"\r\nset AERO_VIRTIO_BLK_HWIDS=\"PCI\\VEN_1AF4&DEV_1042\"\r\n",
    );
    for d in spec.drivers() {
        assert!(
            spec.driver(&d.name).is_some(),
            "driver {:?} not found",
            d.name
        );
        let _ = d.devices_cmd_hardware_ids(Some(&vars));
        let _ = d.devices_cmd_hardware_ids(None);
        let _ = d.all_expected_services(Some(&vars));
        for r in d.expected_hardware_ids.iter().chain(&d.allow_path_regexes) {
            let _ = r.is_match("PCI\\VEN_1AF4&DEV_1042&SUBSYS_00021AF4&REV_01");
        }
    }
}

/// Load `data` as a device contract, render its devices.cmd and read it back, and check that
/// the contract survives its own JSON.
pub fn contract(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(c) = Contract::from_json_str(text) else {
        return;
    };
    let cmd = c.render_devices_cmd();
    let vars = contract::parse_devices_cmd(&cmd);
    for d in &c.devices {
        let _ = (
            d.hwid_base(),
            d.sys_name(),
            d.matches_hwid("PCI\\VEN_1AF4&DEV_1042"),
        );
        let service = contract::devices_cmd_var(&vars, &format!("{}_SERVICE", d.var_prefix()));
        assert!(
            service.is_some(),
            "devices.cmd lost the service of {:?}",
            d.device
        );
        let _ = c.device(&d.device);
    }
    let again = Contract::from_json_str(&c.to_json()).expect("a contract reloads from its JSON");
    assert_eq!(again, c, "the contract changed through its JSON");
}

/// Read `data` as a devices.cmd and look every variable up again.
pub fn devices_cmd(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let vars = contract::parse_devices_cmd(&text);
    for (name, values) in &vars {
        assert!(
            !values.iter().all(String::is_empty),
            "{name} set to nothing"
        );
        assert!(
            contract::devices_cmd_var(&vars, name).is_some(),
            "{name} not found"
        );
        assert!(contract::devices_cmd_var(&vars, &name.to_ascii_lowercase()).is_some());
    }
}

/// The declarations the params target merges into: one parameter of every kind a recipe uses,
/// one that applies only under a condition, one optional and one required.
fn declarations() -> params::Decls {
    use params::{Decl, Kind};
    use rhai::Dynamic;
    let mut m = BTreeMap::new();
    let mut add = |name: &str, kind: Kind, default: Dynamic| {
        m.insert(name.to_string(), Decl::new(kind, default, "fuzzed"));
    };
    add("out_dir", Kind::OutDir, "out/x".into());
    add("text", Kind::Text, Dynamic::UNIT);
    add("strict", Kind::Flag, false.into());
    add("source_date_epoch", Kind::Int, Dynamic::from(0_i64));
    add(
        "arches",
        Kind::Arches,
        Dynamic::from(vec![Dynamic::from("x86".to_string())]),
    );
    add("arch", Kind::Arch, "amd64".into());
    add("os", Kind::Os, "w7".into());
    add("list", Kind::List, Dynamic::from(rhai::Array::new()));
    add("policy", Kind::SigningPolicy, "test".into());
    add("sha", Kind::Sha256, Dynamic::UNIT);
    add("pins", Kind::Pins, Dynamic::from(rhai::Map::new()));
    add(
        "firmware",
        Kind::Choice(vec!["uefi".into(), "bios".into()]),
        "uefi".into(),
    );
    let mut cert = Decl::new(Kind::Path, "c.cer".into(), "fuzzed");
    cert.when = Some(("policy".into(), "test".into()));
    m.insert("cert".into(), cert);
    let mut need = Decl::new(Kind::Path, Dynamic::UNIT, "fuzzed");
    need.default = None;
    m.insert("need".into(), need);
    params::Decls(m)
}

/// Split `data` into `--set` arguments (one per line), parse and merge them: a merge that
/// succeeds has every declared parameter, each readable, and the required one set.
pub fn params(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let args: Vec<String> = text.split('\n').map(str::to_string).collect();
    let Ok(settings) = params::parse_settings(&args) else {
        return;
    };
    let decls = declarations();
    if let Ok(merged) = decls.merge(&settings) {
        for name in decls.0.keys() {
            assert!(merged.get(name).is_ok(), "merge lost parameter {name}");
        }
        assert!(
            settings.iter().any(|s| s.key == "need"),
            "a required parameter was not set, yet the merge succeeded"
        );
        assert!(merged.unused_settings().len() <= settings.len());
    }
}

/// The INF the `catalog` target checks a package with: it names `drv.cat` and copies `drv.sys`.
const CATALOG_INF: &str = "[Version]\r\nSignature=\"$WINDOWS NT$\"\r\nCatalogFile=drv.cat\r\n\
    [Manufacturer]\r\n%P%=M,NTamd64\r\n[M.NTamd64]\r\n%D%=I,PCI\\VEN_1AF4\r\n[I.NT]\r\n\
    CopyFiles=F\r\n[F]\r\ndrv.sys\r\n[Strings]\r\nP=\"p\"\r\nD=\"d\"\r\n";

/// Read `data` as a catalog (every query), as a PE image (machine, both digests) and as a
/// certificate, then check a package whose catalog and driver are both `data` under each
/// policy: nothing may panic, and a parsed catalog's members stay within its bytes.
pub fn catalog(data: &[u8]) {
    use aero_recipe::catalog::{check, pe, Catalog, Cert, HashAlg, OsTarget, Policy};
    if let Ok(c) = Catalog::parse(data) {
        assert!(c.members.len() <= data.len() / 2 + 1);
        let _ = (
            c.signer_cert(),
            c.signer_chain(),
            c.hash_algs(),
            c.os_attrs(),
        );
        for m in c.members.iter().take(16) {
            if let Some((alg, d)) = &m.digest {
                assert!(c.member_by_digest(*alg, d).is_some());
            }
            if let Some(f) = &m.file {
                assert!(!c.members_named(f).is_empty());
            }
        }
    }
    if let Ok(info) = pe::parse(data) {
        let _ = pe::machine_name(info.machine);
        for alg in [HashAlg::Sha1, HashAlg::Sha256] {
            let _ = pe::authenticode_digest(data, &info, alg);
        }
    }
    let cert = Cert::parse_file(data).ok();
    let Ok(inf) = Inf::parse(Path::new("drv.inf"), CATALOG_INF.as_bytes()) else {
        panic!("the catalog target's INF must parse");
    };
    let read = |name: &str| -> Option<Result<Vec<u8>, String>> {
        match name.to_ascii_lowercase().as_str() {
            "drv.cat" | "drv.sys" => Some(Ok(data.to_vec())),
            "drv.inf" => Some(Ok(CATALOG_INF.as_bytes().to_vec())),
            _ => None,
        }
    };
    let os = OsTarget::parse("w7").ok();
    for policy in [
        Policy::None,
        Policy::AnySigner,
        Policy::Production,
        Policy::Test(cert.into_iter().collect()),
    ] {
        let r = check::check_package(
            "drv.inf",
            &inf,
            Some(Arch::Amd64),
            os.as_ref(),
            &policy,
            &read,
        );
        assert_eq!(r.files.len(), 2);
    }
}
