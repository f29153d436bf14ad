//! Builds a small Guest Tools media tree at test time, laid out as the recipes lay it out: the
//! scripts from `guest-tools/`, virtio-win-shaped drivers for x86 and amd64, a generated
//! `config/devices.cmd`, a test certificate and a `manifest.json` with the files' real hashes.

use std::fs;
use std::path::{Path, PathBuf};

use aero_recipe::guest_tools::ROOT_FILES;
use serde_json::json;

use super::repo;

/// What to vary between media trees.
#[derive(Clone, Debug)]
pub struct MediaSpec {
    /// `signing_policy` in manifest.json.
    pub policy: &'static str,
    /// Architectures that get `drivers/<arch>/`.
    pub arches: &'static [&'static str],
    /// The storage service `config/devices.cmd` names (None: the BLK variables are absent).
    pub blk_service: Option<&'static str>,
    /// Whether `certs/` holds a certificate (it always holds README.md).
    pub cert: bool,
}

impl Default for MediaSpec {
    fn default() -> Self {
        MediaSpec {
            policy: "test",
            arches: &["x86", "amd64"],
            blk_service: Some("viostor"),
            cert: true,
        }
    }
}

/// A media tree on disk, removed when dropped.
pub struct Media {
    _dir: tempfile::TempDir,
    /// The media root (its name has a space and parentheses, like a browser download folder).
    pub root: PathBuf,
}

/// The drivers on the media: (directory, INF file, services the INF adds, binary).
pub const DRIVERS: &[(&str, &str, &[&str], &str)] = &[
    ("viostor", "viostor.inf", &["viostor"], "viostor.sys"),
    ("NetKVM", "netkvm.inf", &["netkvm"], "netkvm.sys"),
    (
        "vioinput",
        "vioinput.inf",
        &["VirtioInput", "viohidkmdf"],
        "vioinput.sys",
    ),
];

/// The fixture's test certificate: public DER-ish bytes (the stand-ins never parse it).
pub const CERT_BYTES: &[u8] = b"\x30\x82\x01\x0aAero test root (fixture, not a real certificate)";

/// Writes a media tree for `spec` and its manifest.json.
pub fn build(spec: &MediaSpec) -> Media {
    let dir = tempfile::Builder::new()
        .prefix("media-")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir");
    let root = dir.path().join("Aero Guest Tools (1)");
    let gt = repo().join("guest-tools");
    for f in ROOT_FILES {
        let from = gt.join(f);
        let bytes = fs::read(&from).unwrap_or_else(|e| panic!("{}: {e}", from.display()));
        write(&root.join(f), &bytes);
    }
    write(
        &root.join("config/devices.cmd"),
        devices_cmd(spec).as_bytes(),
    );
    write(
        &root.join("certs/README.md"),
        b"Certificates for test-signed drivers.\r\n",
    );
    if spec.cert {
        write(&root.join("certs/aero-test.cer"), CERT_BYTES);
    }
    write(
        &root.join("licenses/virtio-win/LICENSE"),
        b"BSD-3-Clause (fixture)\r\n",
    );
    // Names Windows allows but cmd treats specially, for /verify-media's manifest reader.
    write(
        &root.join("tools/Read Me & Notes (v1.0).txt"),
        b"extra tool notes\r\n",
    );
    for arch in spec.arches {
        for (dir, inf, services, sys) in DRIVERS {
            let d = root.join("drivers").join(arch).join(dir);
            write(&d.join(inf), inf_text(arch, inf, services, sys).as_bytes());
            write(&d.join(sys), format!("{arch} {sys} placeholder").as_bytes());
            let cat = sys.replace(".sys", ".cat");
            write(&d.join(cat), b"catalog placeholder");
        }
    }
    write_manifest(&root, spec.policy);
    Media { _dir: dir, root }
}

fn write(path: &Path, bytes: &[u8]) {
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).expect("create dir");
    }
    fs::write(path, bytes).expect("write media file");
}

/// `config/devices.cmd` as the contract renderer writes it (CRLF, quoted HWID lists).
fn devices_cmd(spec: &MediaSpec) -> String {
    let mut lines = vec![
        "@echo off".to_string(),
        "rem Generated from the virtio-win Windows device contract (test fixture).".to_string(),
    ];
    if let Some(svc) = spec.blk_service {
        lines.push(format!("set \"AERO_VIRTIO_BLK_SERVICE={svc}\""));
        lines.push(format!("set \"AERO_VIRTIO_BLK_SYS={svc}.sys\""));
        lines.push(
            r#"set AERO_VIRTIO_BLK_HWIDS="PCI\VEN_1AF4&DEV_1042" "PCI\VEN_1AF4&DEV_1042&REV_01""#
                .to_string(),
        );
    }
    lines.extend(
        [
            r#"set "AERO_VIRTIO_NET_SERVICE=netkvm""#,
            r#"set "AERO_VIRTIO_NET_SYS=netkvm.sys""#,
            r#"set AERO_VIRTIO_NET_HWIDS="PCI\VEN_1AF4&DEV_1041" "PCI\VEN_1AF4&DEV_1041&REV_01""#,
            r#"set "AERO_VIRTIO_INPUT_SERVICE=VirtioInput""#,
            r#"set AERO_VIRTIO_INPUT_HWIDS="PCI\VEN_1AF4&DEV_1052" "PCI\VEN_1AF4&DEV_1052&REV_01""#,
            r#"set "AERO_VIRTIO_SND_SERVICE=viosnd""#,
            r#"set AERO_VIRTIO_SND_HWIDS="PCI\VEN_1AF4&DEV_1059" "PCI\VEN_1AF4&DEV_1059&REV_01""#,
        ]
        .map(String::from),
    );
    lines.join("\r\n") + "\r\n"
}

/// An INF shaped like the upstream virtio-win ones: decorated models, quoted strings, `&` in
/// hardware IDs, `%` tokens, comments, a `[Strings]` section.
fn inf_text(arch: &str, inf: &str, services: &[&str], sys: &str) -> String {
    let decoration = match arch {
        "x86" => "NTx86",
        "arm64" => "NTarm64",
        _ => "NTamd64",
    };
    let base = inf.trim_end_matches(".inf");
    let mut s = format!(
        "; {inf} - test fixture shaped like the upstream virtio-win file\r\n\
         [Version]\r\n\
         Signature=\"$WINDOWS NT$\"\r\n\
         Provider=%VENDOR%\r\n\
         CatalogFile={base}.cat\r\n\
         DriverVer=01/01/2024,100.0.0.0\r\n\
         \r\n\
         [SourceDisksFiles]\r\n\
         {sys} = 1,,\r\n\
         \r\n\
         [Manufacturer]\r\n\
         %VENDOR%=Models,{decoration}.6.1\r\n\
         \r\n\
         [Models.{decoration}.6.1]\r\n\
         %Dev.DeviceDesc% = inst, PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01\r\n\
         \r\n\
         [inst.Services]\r\n\
         ; AddService = not_this_one, 0x00000002, commented_out\r\n"
    );
    for (i, svc) in services.iter().enumerate() {
        let flags = if i == 0 { "0x00000002" } else { "0" };
        s.push_str(&format!(
            "AddService = {svc}, {flags}, {svc}_Service_Inst, {svc}_EventLog_Inst\r\n"
        ));
    }
    s.push_str(&format!(
        "\r\n[{base}_Service_Inst]\r\n\
         ServiceType    = 1\r\n\
         StartType      = 0\r\n\
         ErrorControl   = 1\r\n\
         ServiceBinary  = %12%\\{sys}\r\n\
         HKR,,\"EnumPropPages32\",,\"x,y\"\r\n\
         \r\n\
         [Strings]\r\n\
         VENDOR = \"Red Hat, Inc. & fixtures\"\r\n\
         Dev.DeviceDesc = \"{base} device\"\r\n"
    ));
    s
}

/// manifest.json as the packager writes it: pretty-printed, one key per line, files sorted.
pub fn write_manifest(root: &Path, policy: &str) {
    let mut files = Vec::new();
    for e in walkdir::WalkDir::new(root).sort_by_file_name() {
        let e = e.expect("walk media");
        if !e.file_type().is_file() {
            continue;
        }
        let rel = e
            .path()
            .strip_prefix(root)
            .expect("under root")
            .to_string_lossy()
            .replace('\\', "/");
        if rel == "manifest.json" {
            continue;
        }
        let (sha256, size) = aero_recipe::hash::sha256_file(e.path()).expect("hash media file");
        files.push(json!({"path": rel, "sha256": sha256, "size": size}));
    }
    files.sort_by(|a, b| a["path"].as_str().cmp(&b["path"].as_str()));
    let manifest = json!({
        "schema_version": 1,
        "package": {"name": "aero-guest-tools", "version": "0.0.0", "build_id": "test", "source_date_epoch": 0},
        "signing_policy": policy,
        "certs_required": policy == "test",
        "files": files,
    });
    let text = serde_json::to_string_pretty(&manifest).expect("json") + "\n";
    fs::write(root.join("manifest.json"), text).expect("write manifest");
}

/// Changes the media's manifest.json with `edit` (the files' hashes stay as they are) and writes
/// it back pretty-printed, one key per line, keys sorted as serde_json sorts them.
pub fn edit_manifest(root: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = root.join("manifest.json");
    let mut v: serde_json::Value =
        serde_json::from_slice(&fs::read(&path).expect("read manifest")).expect("manifest JSON");
    edit(&mut v);
    let text = serde_json::to_string_pretty(&v).expect("json") + "\n";
    fs::write(path, text).expect("write manifest");
}

impl Media {
    /// A path inside the media.
    pub fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// Every INF under `drivers/<arch>/`, as host paths, sorted.
    pub fn infs(&self, arch: &str) -> Vec<PathBuf> {
        infs_in(&self.root.join("drivers").join(arch))
    }
}

/// Every INF below `dir` (found on disk, any case of `.inf`), as host paths, sorted.
pub fn infs_in(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.expect("walk drivers"))
        .filter(|e| {
            e.file_type().is_file()
                && e.path()
                    .extension()
                    .is_some_and(|x| x.eq_ignore_ascii_case("inf"))
        })
        .map(|e| e.into_path())
        .collect();
    v.sort();
    v
}
