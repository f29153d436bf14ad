//! Unattended Windows installs: the answer file (`autounattend.xml`) and the first-logon
//! provisioning script (`first_logon.ps1`) that go on the unattend media.
//!
//! - [`AnswerFile`] is a typed model of the answer file. [`AnswerFile::render`] validates it
//!   (reporting every problem at once) and writes the XML with every user value escaped.
//!   Passwords are written as the answer-file reference specifies, base64 of the UTF-16LE text
//!   of the password followed by the element name (`Password` or `AdministratorPassword`). That
//!   is obfuscation, not secrecy: anyone holding the file can decode it. With
//!   `password_plaintext` they are written as plain text instead.
//! - No drive letter is guessed: WinPE drivers are expected in a `$WinPEDriver$` folder on the
//!   media (Windows Setup scans attached media for it), `DriverPaths` lists only the paths the
//!   user passed, and the first-logon command finds its media at run time
//!   ([`first_logon_command_line`]).
//! - [`versions`] is the table of supported Windows versions, their architectures and default
//!   editions, and which answer-file settings each version's Setup has; [`AnswerFile`] writes a
//!   setting only where the table says it exists and refuses one asked of a version without it.
//! - [`FirstLogon`] renders `first_logon.ps1`, PowerShell 2.0 compatible (checked by
//!   [`ps2_problems`]): it verifies the SHA-256 of every installer on the media before changing
//!   anything, installs drivers after Setup ([`AfterSetup`]), the guest agent and OpenSSH,
//!   writes authorized keys, runs the user's commands, logs each step, stops at the first
//!   failure and ends with automatic logon turned off.

pub mod answer;
pub mod first_logon;
pub mod versions;
pub mod xml;

pub use crate::ps2::{ps2_problems, PS3_PLUS_CONSTRUCTS};
pub use answer::{
    encode_password, first_logon_command_line, processor_architecture, setting_problem, AnswerFile,
    Firmware, ImageSelector, ANSWER_FILE_NAME, DEFAULT_FIRST_LOGON_SCRIPT,
};
pub use first_logon::{
    ps_quote, AfterSetup, FirstLogon, MediaDriver, MediaFile, OpenSsh, OpenSshKind,
    DEFAULT_DONE_MARKER, DEFAULT_LOG_PATH,
};
pub use versions::{Setting, WindowsVersion, VERSIONS};

use crate::arch::Arch;
use crate::error::{Error, Result};

/// The virtio drivers Windows Setup loads from `$WinPEDriver$` for `arch` when the user names
/// none: storage and network (loading every virtio driver in WinPE made ARM64 Setup fail).
/// The display driver viogpudo is never among them: dockur removes it from WinPE on every
/// version after Windows 7, ARM64 included, so it cannot disrupt Setup; it is installed after
/// Setup instead ([`after_setup_drivers`]).
pub fn winpe_drivers(arch: Arch) -> &'static [&'static str] {
    match arch {
        Arch::Arm64 => &["viostor", "netkvm"],
        Arch::X86 | Arch::Amd64 => &["viostor", "vioscsi", "netkvm"],
    }
}

/// The virtio drivers installed at first logon with pnputil unless the user names others: the
/// non-boot devices (memory balloon, entropy, input, virtio-fs, pvpanic) and the display
/// driver kept out of WinPE. Each is best effort: one the media lacks for the OS/arch is a
/// warning. The guest agent's channel driver [`GUEST_AGENT_CHANNEL_DRIVER`] comes on top
/// whenever the agent is installed, whatever this list says.
pub const AFTER_SETUP_DRIVERS: [&str; 6] = [
    "Balloon", "viorng", "vioinput", "viofs", "pvpanic", "viogpudo",
];

/// The driver the QEMU guest agent needs to talk to the host (virtio-serial): installed before
/// the agent whenever the agent is.
pub const GUEST_AGENT_CHANNEL_DRIVER: &str = "vioserial";

/// The drivers installed at first logon: `drivers`, with [`GUEST_AGENT_CHANNEL_DRIVER`] first
/// when the guest agent is installed; each name once (case-insensitively), blanks dropped.
pub fn first_logon_drivers(drivers: &[String], guest_agent: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let first = guest_agent.then(|| GUEST_AGENT_CHANNEL_DRIVER.to_string());
    for d in first.into_iter().chain(drivers.iter().cloned()) {
        if !d.trim().is_empty() && !out.iter().any(|o| o.eq_ignore_ascii_case(&d)) {
            out.push(d);
        }
    }
    out
}

/// Whether to bypass the Windows 11 hardware checks: `auto` where the version checks the
/// hardware (Windows 11), `true` (an error later for a version without the checks), `false`.
pub fn win11_bypass(choice: &str, os: &str) -> Result<bool> {
    match choice.trim().to_ascii_lowercase().as_str() {
        "auto" => Ok(versions::has(os, versions::Setting::Win11Bypass)),
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(Error::invalid(format!(
            "win11_bypass `{other}` is not auto, true or false"
        ))),
    }
}

/// Whether the guest agent is installed for `arch`: virtio-win ships none for ARM64, so there
/// it is left out with a warning when it was only the default, and refused when the user
/// asked for it (`user_set`). Returns the decision and the warning to raise, if any.
pub fn guest_agent_for(arch: Arch, wanted: bool, user_set: bool) -> Result<(bool, Option<String>)> {
    if !wanted || arch != Arch::Arm64 {
        return Ok((wanted, None));
    }
    if user_set {
        return Err(Error::invalid(
            "guest_agent=true with arch arm64: virtio-win ships no ARM64 guest agent",
        )
        .with_help(
            "drop --set guest_agent=true for arm64 (the default leaves it out with a warning)",
        ));
    }
    Ok((
        false,
        Some("virtio-win ships no ARM64 guest agent: leaving it out (guest_agent=false silences this)".into()),
    ))
}

/// `Ok` when `problems` is empty, else one error (`{what} has N problem(s)`) listing them all.
fn validated(what: &str, problems: Vec<Error>) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    let n = problems.len();
    Err(Error::many(
        format!("{what} has {n} problem{}", if n == 1 { "" } else { "s" }),
        problems,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_agent_channel_comes_first_and_once() {
        let given: Vec<String> = ["Balloon", "VIOSERIAL", "balloon", " "]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(first_logon_drivers(&given, true), ["vioserial", "Balloon"]);
        assert_eq!(first_logon_drivers(&given, false), ["Balloon", "VIOSERIAL"]);
        assert!(first_logon_drivers(&[], false).is_empty());
    }

    #[test]
    fn the_arm64_agent_is_left_out_by_default_and_refused_when_asked_for() {
        assert_eq!(
            guest_agent_for(Arch::Amd64, true, true).unwrap(),
            (true, None)
        );
        let (agent, warning) = guest_agent_for(Arch::Arm64, true, false).unwrap();
        assert!(!agent && warning.is_some_and(|w| w.contains("ARM64")));
        assert!(guest_agent_for(Arch::Arm64, true, true).is_err());
        assert!(win11_bypass("auto", "w11").unwrap());
        assert!(!win11_bypass("AUTO", "w10").unwrap());
        assert!(win11_bypass("maybe", "w11").is_err());
    }
}
