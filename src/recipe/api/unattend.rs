//! `unattend::` in recipes: the answer file and the first-logon script of unattend media.

use rhai::{Array, Dynamic, Engine, Map, Module, NativeCallContext};

use super::media::{field_str, Files};
use super::{reg, Ctx};
use crate::arch::Arch;
use crate::error::{Error, Result};
use crate::recipe::errors::{rr_at, RhaiResult};
use crate::unattend::{
    AnswerFile, Firmware, FirstLogon, ImageSelector, MediaFile, OpenSsh, OpenSshKind,
};

fn strings(m: &Map, key: &str) -> Vec<String> {
    m.get(key)
        .and_then(|v| {
            v.read_lock::<Array>().map(|a| {
                a.iter()
                    .map(|s| s.to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
        })
        .unwrap_or_default()
}

fn flag(m: &Map, key: &str) -> bool {
    m.get(key).and_then(|v| v.as_bool().ok()).unwrap_or(false)
}

/// The answer file described by recipe parameters (see `windows-unattend`).
fn answer_file(p: &Map) -> Result<AnswerFile> {
    let arch_s = field_str(p, "arch")?;
    let arch = Arch::parse(&arch_s).ok_or_else(|| {
        Error::invalid(format!(
            "arch `{arch_s}` is unknown; use {}",
            Arch::accepted_spellings()
        ))
    })?;
    let fw_s = field_str(p, "firmware")?;
    let firmware = Firmware::parse(&fw_s)
        .ok_or_else(|| Error::invalid(format!("firmware `{fw_s}` is unknown; use bios or uefi")))?;
    let name = p
        .get("image_name")
        .map(|v| v.to_string())
        .unwrap_or_default();
    let image = if !name.is_empty() {
        ImageSelector::Name(name)
    } else {
        let idx = p
            .get("image_index")
            .and_then(|v| v.as_int().ok())
            .unwrap_or(1);
        let idx = u32::try_from(idx)
            .ok()
            .filter(|i| *i >= 1)
            .ok_or_else(|| Error::invalid(format!("image_index {idx} must be 1 or more")))?;
        ImageSelector::Index(idx)
    };
    let mut a = AnswerFile::new(
        arch,
        firmware,
        image,
        field_str(p, "hostname")?,
        field_str(p, "username")?,
        field_str(p, "password")?,
    );
    a.password_plaintext = flag(p, "password_plaintext");
    a.win11_bypass = flag(p, "win11_bypass");
    a.locale = field_str(p, "locale")?;
    a.timezone = field_str(p, "timezone")?;
    a.driver_paths = strings(p, "driver_paths");
    a.product_key = p
        .get("product_key")
        .map(|v| v.to_string())
        .filter(|k| !k.is_empty());
    Ok(a)
}

/// The media path and SHA-256 of the single file in `files` placed under `dir`.
fn media_file(dir: &str, files: &Files) -> Result<(String, String)> {
    let [(name, source, _)] = files.0.as_slice() else {
        return Err(Error::invalid(format!(
            "expected exactly one file for `{dir}`, got {}",
            files.0.len()
        )));
    };
    let (sha, _) = crate::hash::sha256_reader(source.open()?)
        .map_err(|e| Error::invalid(format!("cannot read {}: {e}", source.describe())))?;
    Ok((format!("{dir}/{name}"), sha))
}

/// The first-logon script: `spec` has `guest_agent` and `openssh` (Files or ()), with the media
/// folders they are placed in (`guest_agent_dir`, `openssh_dir`), `authorized_keys`, `extra_commands`.
fn first_logon(spec: &Map) -> Result<FirstLogon> {
    let mut f = FirstLogon::default();
    if let Some(ga) = spec
        .get("guest_agent")
        .and_then(|v| v.clone().try_cast::<Files>())
    {
        let (path, sha) = media_file(&field_str(spec, "guest_agent_dir")?, &ga)?;
        f.guest_agent = Some(MediaFile::new(path, sha));
    }
    if let Some(ssh) = spec
        .get("openssh")
        .and_then(|v| v.clone().try_cast::<Files>())
    {
        let (path, sha) = media_file(&field_str(spec, "openssh_dir")?, &ssh)?;
        let kind = OpenSshKind::from_file_name(&path).ok_or_else(|| {
            Error::invalid(format!(
                "OpenSSH package `{path}` must be an .msi or a .zip"
            ))
        })?;
        f.openssh = Some(OpenSsh::new(path, sha, kind));
    }
    f.authorized_keys = strings(spec, "authorized_keys");
    f.extra_commands = strings(spec, "extra_commands");
    Ok(f)
}

pub(super) fn register(engine: &mut Engine, _ctx: &Ctx) {
    let mut m = Module::new();
    reg(
        &mut m,
        "answer_file",
        &["p: Map", "String"],
        "Render autounattend.xml from p.arch, firmware, image_index|image_name, hostname, username, password, password_plaintext, locale, timezone, win11_bypass, driver_paths, product_key; every problem reported at once.",
        false,
        |nc: NativeCallContext, p: Map| -> RhaiResult<String> { rr_at(&nc, answer_file(&p).and_then(|a| a.render())) },
    );
    reg(
        &mut m,
        "first_logon",
        &["spec: Map", "Blob"],
        "Render first_logon.ps1 (PowerShell 2.0; UTF-8 with BOM): hash-checked guest agent and OpenSSH installs, authorized keys, then extra commands.",
        false,
        |nc: NativeCallContext, spec: Map| -> RhaiResult<Dynamic> {
            let bytes = rr_at(&nc, first_logon(&spec).and_then(|f| f.render_bytes()))?;
            Ok(Dynamic::from_blob(bytes))
        },
    );
    engine.register_static_module("unattend", m.into());
}
