//! `unattend::` in recipes: the answer file and the first-logon script of unattend media.

use rhai::{Array, Dynamic, Engine, Map, Module, NativeCallContext};

use super::handles::Files;
use super::{reg, Ctx};
use crate::arch::Arch;
use crate::error::{Error, Result};
use crate::recipe::errors::{rr, rr_at, RhaiResult};
use crate::recipe::params::Params;
use crate::recipe::strict;
use crate::unattend::{
    AnswerFile, Firmware, FirstLogon, ImageSelector, MediaFile, OpenSsh, OpenSshKind,
};

/// The answer file described by the recipe's parameters (see `windows-unattend`).
fn answer_file(p: &Params) -> Result<AnswerFile> {
    let arch = Arch::from_user(&p.str("arch")?)?;
    let fw = p.str("firmware")?;
    let firmware = Firmware::parse(&fw)
        .ok_or_else(|| Error::invalid(format!("firmware `{fw}` is unknown; use bios or uefi")))?;
    let image = match p.opt_str("image_name")? {
        Some(name) => ImageSelector::Name(name),
        None => {
            let idx = p.int("image_index")?;
            let idx = u32::try_from(idx)
                .ok()
                .filter(|i| *i >= 1)
                .ok_or_else(|| Error::invalid(format!("image_index {idx} must be 1 or more")))?;
            ImageSelector::Index(idx)
        }
    };
    let mut a = AnswerFile::new(
        arch,
        firmware,
        image,
        p.str("hostname")?,
        p.str("username")?,
        p.str("password")?,
    );
    a.os = p.str("os")?;
    a.password_plaintext = p.flag("password_plaintext")?;
    a.win11_bypass = p.flag("win11_bypass")?;
    a.locale = p.str("locale")?;
    a.timezone = p.str("timezone")?;
    a.driver_paths = p.list("driver_paths")?;
    a.product_key = p.opt_str("product_key")?;
    Ok(a)
}

/// The media path and SHA-256 of the single file in `files` placed under `dir`.
fn media_file(dir: &str, files: &Files) -> Result<MediaFile> {
    let [(name, source, _)] = files.0.as_slice() else {
        return Err(Error::invalid(format!(
            "expected exactly one file for `{dir}`, got {}",
            files.0.len()
        )));
    };
    MediaFile::of_source(format!("{dir}/{name}"), source)
}

/// Keys of the first-logon map.
const FIRST_LOGON_KEYS: [&str; 6] = [
    "guest_agent",
    "guest_agent_dir",
    "openssh",
    "openssh_dir",
    "authorized_keys",
    "extra_commands",
];

/// A list of strings from a list, one string, or `()` (none).
fn string_list(spec: &Map, key: &str) -> Result<Vec<String>> {
    match spec.get(key) {
        None => Ok(Vec::new()),
        Some(v) if v.is_unit() => Ok(Vec::new()),
        Some(v) if v.is_string() => Ok(vec![v.to_string()]),
        Some(v) => v
            .read_lock::<Array>()
            .map(|a| {
                a.iter()
                    .map(|s| s.to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .ok_or_else(|| {
                Error::invalid(format!(
                    "first-logon `{key}` must be a string or a list of strings, not {}",
                    v.type_name()
                ))
            }),
    }
}

/// `Some(files)` for a Files value, `None` for `()` or a missing key; else an error naming the key.
fn optional_files(spec: &Map, key: &str) -> Result<Option<Files>> {
    match spec.get(key) {
        None => Ok(None),
        Some(v) if v.is_unit() => Ok(None),
        Some(v) => v.clone().try_cast::<Files>().map(Some).ok_or_else(|| {
            Error::invalid(format!(
                "first-logon `{key}` must be Files or (), not {}",
                v.type_name()
            ))
        }),
    }
}

fn dir_of(spec: &Map, key: &str) -> Result<String> {
    match spec.get(key) {
        Some(v) if v.is_string() => Ok(v.to_string()),
        _ => Err(Error::invalid(format!(
            "first-logon `{key}` (the media folder) is missing or not a string"
        ))),
    }
}

/// The first-logon script: `spec` has `guest_agent` and `openssh` (Files or ()), with the media
/// folders they are placed in (`guest_agent_dir`, `openssh_dir`), `authorized_keys`, `extra_commands`.
fn first_logon(spec: &Map) -> Result<FirstLogon> {
    strict::check_keys("unattend::first_logon", spec, &FIRST_LOGON_KEYS)?;
    let mut f = FirstLogon::default();
    if let Some(ga) = optional_files(spec, "guest_agent")? {
        f.guest_agent = Some(media_file(&dir_of(spec, "guest_agent_dir")?, &ga)?);
    }
    if let Some(ssh) = optional_files(spec, "openssh")? {
        let file = media_file(&dir_of(spec, "openssh_dir")?, &ssh)?;
        let kind = OpenSshKind::from_file_name(&file.file_name).ok_or_else(|| {
            Error::invalid(format!(
                "OpenSSH package `{}` must be an .msi or a .zip",
                file.file_name
            ))
        })?;
        f.openssh = Some(OpenSsh::new(file.file_name, file.sha256, kind));
    }
    f.authorized_keys = string_list(spec, "authorized_keys")?;
    f.extra_commands = string_list(spec, "extra_commands")?;
    Ok(f)
}

pub(super) fn register(engine: &mut Engine, _ctx: &Ctx) {
    let mut m = Module::new();
    reg(
        &mut m,
        "answer_file",
        &["p: Params", "String"],
        "Render autounattend.xml from the parameters os, arch, firmware, image_index|image_name, hostname, username, password, password_plaintext, locale, timezone, win11_bypass, driver_paths, product_key; every problem reported at once.",
        false,
        |nc: NativeCallContext, p: Params| -> RhaiResult<String> { rr_at(&nc, answer_file(&p).and_then(|a| a.render())) },
    );
    reg(
        &mut m,
        "winpe_drivers",
        &["arch: String", "Array"],
        "The virtio drivers Windows Setup loads from $WinPEDriver$ by default for the architecture (storage and network; ARM64: viostor, netkvm, viogpudo).",
        false,
        |arch: &str| -> RhaiResult<Array> {
            let a = rr(Arch::from_user(arch))?;
            Ok(crate::unattend::winpe_drivers(a).iter().map(|n| Dynamic::from(n.to_string())).collect())
        },
    );
    reg(
        &mut m,
        "first_logon",
        &["spec: Map", "Blob"],
        "Render first_logon.ps1 (PowerShell 2.0; UTF-8 with BOM) from guest_agent/openssh (Files or ()), guest_agent_dir/openssh_dir, authorized_keys, extra_commands: hash-checked installs, keys, then commands. Unknown keys are refused.",
        false,
        |nc: NativeCallContext, spec: Map| -> RhaiResult<Dynamic> {
            let bytes = rr_at(&nc, first_logon(&spec).and_then(|f| f.render_bytes()))?;
            Ok(Dynamic::from_blob(bytes))
        },
    );
    engine.register_static_module("unattend", m.into());
}
