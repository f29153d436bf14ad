//! `unattend::` in recipes: the answer file and the first-logon script of unattend media.

use rhai::{Array, Dynamic, Engine, Map, Module, NativeCallContext};

use super::handles::Files;
use super::{reg, Ctx};
use crate::arch::Arch;
use crate::error::{Error, Result};
use crate::recipe::errors::{rr, rr_at, RhaiResult};
use crate::recipe::params::Params;
use crate::recipe::strict;
use crate::unattend::versions::{self, Setting};
use crate::unattend::{
    AfterSetup, AnswerFile, Firmware, FirstLogon, ImageSelector, MediaDriver, MediaFile, OpenSsh,
    OpenSshKind, AFTER_SETUP_DRIVERS,
};

/// The answer file described by the recipe's parameters (see `windows-unattend`).
fn answer_file(p: &Params) -> Result<AnswerFile> {
    let arch = Arch::from_user(&p.str("arch")?)?;
    let fw = p.str("firmware")?;
    let firmware = Firmware::parse(&fw)
        .ok_or_else(|| Error::invalid(format!("firmware `{fw}` is unknown; use bios or uefi")))?;
    let os = p.str("os")?;
    let image = match p.opt_str("image_name")? {
        Some(name) => ImageSelector::Name(name),
        None => match p.get("image_index")? {
            // Neither given: the version's Pro / Standard (Desktop Experience) edition by name;
            // index 1 is Home on consumer ISOs and Server Core on Server ISOs.
            v if v.is_unit() => match versions::version(&os) {
                Some(v) => ImageSelector::Name(v.default_image_name.to_string()),
                None => ImageSelector::Index(1),
            },
            _ => {
                let idx = p.int("image_index")?;
                let idx = u32::try_from(idx).ok().filter(|i| *i >= 1).ok_or_else(|| {
                    Error::invalid(format!("image_index {idx} must be 1 or more"))
                })?;
                ImageSelector::Index(idx)
            }
        },
    };
    let mut a = AnswerFile::new(
        arch,
        firmware,
        image,
        p.str("hostname")?,
        p.str("username")?,
        p.str("password")?,
    );
    a.win11_bypass = win11_bypass(p, &os)?;
    a.os = os;
    a.password_plaintext = p.flag("password_plaintext")?;
    a.locale = p.str("locale")?;
    a.timezone = p.str("timezone")?;
    a.driver_paths = p.list("driver_paths")?;
    a.product_key = p.opt_str("product_key")?;
    Ok(a)
}

/// `win11_bypass` as declared (`auto|true|false`, or a flag in an older recipe).
fn win11_bypass(p: &Params, os: &str) -> Result<bool> {
    let v = p.get("win11_bypass")?;
    let choice = match v.as_bool() {
        Ok(b) => b.to_string(),
        Err(_) => v.to_string(),
    };
    crate::unattend::win11_bypass(&choice, os)
}

/// The media path and SHA-256 of the single file in `files` placed under `dir`.
fn media_file(dir: &str, files: &Files) -> Result<MediaFile> {
    let [f] = files.0.as_slice() else {
        return Err(Error::invalid(format!(
            "expected exactly one file for `{dir}`, got {}",
            files.0.len()
        )));
    };
    MediaFile::of_source(format!("{dir}/{}", f.path), &f.source)
}

/// Keys of the first-logon map.
const FIRST_LOGON_KEYS: [&str; 9] = [
    "os",
    "guest_agent",
    "guest_agent_dir",
    "openssh",
    "openssh_dir",
    "authorized_keys",
    "extra_commands",
    "drivers",
    "drivers_dir",
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

/// The first-logon script: `spec` has `os`, `guest_agent` and `openssh` (Files or ()), with
/// the media folders they are placed in (`guest_agent_dir`, `openssh_dir`), `authorized_keys`,
/// `extra_commands`, and `drivers` (names) installed from `<drivers_dir>/<name>` after Setup.
fn first_logon(spec: &Map) -> Result<(FirstLogon, AfterSetup)> {
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
    let os = match spec.get("os") {
        Some(v) if v.is_string() => v.to_string(),
        _ => {
            return Err(Error::invalid(
                "first-logon `os` (the Windows version) is missing or not a string",
            ))
        }
    };
    let mut after = AfterSetup {
        builtin_sshd: versions::has(&os, Setting::BuiltinSshd),
        ..AfterSetup::default()
    };
    let drivers = string_list(spec, "drivers")?;
    if !drivers.is_empty() {
        let dir = dir_of(spec, "drivers_dir")?;
        after.drivers = drivers
            .into_iter()
            .map(|name| {
                let folder = format!("{dir}/{name}");
                MediaDriver::new(name, folder)
            })
            .collect();
    }
    if !f.authorized_keys.is_empty() && f.openssh.is_none() && !after.builtin_sshd {
        return Err(Error::invalid(format!(
            "ssh_public_key is set, but os `{os}` ships no OpenSSH server and no `openssh` package was given"
        ))
        .with_help(format!(
            "pass --set openssh=<the Win32-OpenSSH .msi or .zip> (only {} ship a server), or drop ssh_public_key",
            Setting::BuiltinSshd.versions().join(", ")
        )));
    }
    Ok((f, after))
}

pub(super) fn register(engine: &mut Engine, ctx: &Ctx) {
    let mut m = Module::new();
    let c = ctx.clone();
    reg(
        &mut m,
        "guest_agent",
        &["p: Params", "bool"],
        "Whether to install the QEMU guest agent for p.arch: p.guest_agent, except on ARM64 (virtio-win ships none there): left out with a warning by default, refused when the user set guest_agent=true.",
        false,
        move |nc: NativeCallContext, p: Params| -> RhaiResult<bool> {
            let run = c.get()?;
            let arch = rr_at(&nc, p.str("arch").and_then(|a| Arch::from_user(&a)))?;
            let wanted = rr_at(&nc, p.flag("guest_agent"))?;
            let (agent, warning) = rr_at(&nc, crate::unattend::guest_agent_for(arch, wanted, p.user_set("guest_agent")))?;
            if let Some(w) = warning {
                run.warn(w);
            }
            Ok(agent)
        },
    );
    reg(
        &mut m,
        "answer_file",
        &["p: Params", "String"],
        "Render autounattend.xml from the parameters os, arch, firmware, image_index|image_name (neither: the version's Pro / Server Standard edition by name), hostname, username, password, password_plaintext, locale, timezone, win11_bypass (auto|true|false), driver_paths, product_key; settings only where the version has them; every problem reported at once.",
        false,
        |nc: NativeCallContext, p: Params| -> RhaiResult<String> { rr_at(&nc, answer_file(&p).and_then(|a| a.render())) },
    );
    reg(
        &mut m,
        "winpe_drivers",
        &["arch: String", "Array"],
        "The virtio drivers Windows Setup loads from $WinPEDriver$ by default for the architecture (storage and network; ARM64: viostor, netkvm; never viogpudo).",
        false,
        |arch: &str| -> RhaiResult<Array> {
            let a = rr(Arch::from_user(arch))?;
            Ok(crate::unattend::winpe_drivers(a).iter().map(|n| Dynamic::from(n.to_string())).collect())
        },
    );
    reg(
        &mut m,
        "after_setup_drivers",
        &["Array"],
        "The virtio drivers installed at first logon by default: Balloon, viorng, vioinput, viofs, pvpanic, viogpudo (each only where the media has a build).",
        false,
        || -> Array { AFTER_SETUP_DRIVERS.iter().map(|n| Dynamic::from(n.to_string())).collect() },
    );
    reg(
        &mut m,
        "first_logon_drivers",
        &["drivers: Array", "guest_agent: bool", "Array"],
        "The drivers to install at first logon: `drivers`, with vioserial (the guest agent's virtio-serial channel) first when `guest_agent` is true; each once.",
        false,
        |drivers: Array, guest_agent: bool| -> Array {
            let names: Vec<String> = drivers.iter().map(|d| d.to_string()).collect();
            crate::unattend::first_logon_drivers(&names, guest_agent).into_iter().map(Dynamic::from).collect()
        },
    );
    reg(
        &mut m,
        "first_logon",
        &["spec: Map", "Blob"],
        "Render first_logon.ps1 (PowerShell 2.0; UTF-8 with BOM) from os, guest_agent/openssh (Files or ()), guest_agent_dir/openssh_dir, authorized_keys, extra_commands, drivers (names under drivers_dir): hash checks, drivers with pnputil, installs, sshd (package or built in), keys, commands, autologon off. Keys without any OpenSSH server are refused, naming `openssh`. Unknown keys are refused.",
        false,
        |nc: NativeCallContext, spec: Map| -> RhaiResult<Dynamic> {
            let bytes = rr_at(&nc, first_logon(&spec).and_then(|(f, after)| f.render_bytes_with(&after)))?;
            Ok(Dynamic::from_blob(bytes))
        },
    );
    engine.register_static_module("unattend", m.into());
}
