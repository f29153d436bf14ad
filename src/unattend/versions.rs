//! Which Windows versions the unattend media supports, on which architectures, and which
//! answer-file settings each version's Setup knows.
//!
//! References, checked setting by setting:
//! - Microsoft's "Unattended Windows Setup Reference" (the `Microsoft-Windows-Shell-Setup`
//!   `OOBE` settings and the versions each applies to; `UserData`/`ProductKey`);
//! - the answer files known to install: cloudbase/windows-imaging-tools `UnattendTemplate.xml`
//!   and `Unattend.xslt` (drops `HideLocalAccountScreen`, `HideOEMRegistrationScreen`,
//!   `HideOnlineAccountScreens` below NT 6.2), dockur/windows and StefanScherer/packer-windows
//!   Windows 7 files (`NetworkLocation` `Home`), Lima, dockur, quickemu, rgl/windows-vagrant
//!   (Windows 11 `LabConfig` bypasses, `/IMAGE/NAME` per edition, `WillShowUI`).
//!
//! Windows 7's Setup stops on a setting its component does not have ("A component or setting
//! specified in the answer file does not exist"), so every setting below is written only for
//! the versions listed with it, and asking for one elsewhere is an error naming those versions.

use crate::arch::Arch;

/// The NT generation of a version: decides which unattend settings exist.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Generation {
    /// NT 6.1: Windows 7, Server 2008 R2.
    Nt61,
    /// NT 6.2 / 6.3: Windows 8, 8.1, Server 2012, 2012 R2.
    Nt62,
    /// NT 10.0: Windows 10, 11, Server 2016 to 2025.
    Nt10,
}

/// One Windows version the unattend media supports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowsVersion {
    /// The upstream virtio-win directory name (`w7`, `2k22`): what `os` holds.
    pub os: &'static str,
    /// The product name (`Windows 7`, `Windows Server 2022`).
    pub name: &'static str,
    /// The NT generation.
    pub generation: Generation,
    /// A Server release (Server images are listed Core first; editions are named differently).
    pub server: bool,
    /// The architectures Microsoft ships Setup media for (no arm64 before Windows 10; no x86
    /// Server after 2008; no x86 Windows 11).
    pub arches: &'static [Arch],
    /// The `/IMAGE/NAME` installed when the user names no image: Pro for client versions,
    /// Standard with Desktop Experience for Server (the name `dism /Get-WimInfo` shows).
    pub default_image_name: &'static str,
    /// Whether the OpenSSH server ships installed (not enabled): Server 2025 only. Earlier
    /// NT 10 releases have it only as an optional capability fetched from Windows Update.
    pub builtin_sshd: bool,
}

const X86_AMD64: &[Arch] = &[Arch::X86, Arch::Amd64];
const AMD64: &[Arch] = &[Arch::Amd64];
const ALL: &[Arch] = &[Arch::X86, Arch::Amd64, Arch::Arm64];
const AMD64_ARM64: &[Arch] = &[Arch::Amd64, Arch::Arm64];

const fn v(
    os: &'static str,
    name: &'static str,
    generation: Generation,
    server: bool,
    arches: &'static [Arch],
    default_image_name: &'static str,
) -> WindowsVersion {
    WindowsVersion {
        os,
        name,
        generation,
        server,
        arches,
        default_image_name,
        builtin_sshd: false,
    }
}

/// Every supported version, oldest first. Server 2025 on arm64 is listed because virtio-win
/// ships `2k25/ARM64` builds for it.
pub const VERSIONS: [WindowsVersion; 12] = {
    use Generation::*;
    [
        v(
            "w7",
            "Windows 7",
            Nt61,
            false,
            X86_AMD64,
            "Windows 7 PROFESSIONAL",
        ),
        v(
            "2k8R2",
            "Windows Server 2008 R2",
            Nt61,
            true,
            AMD64,
            "Windows Server 2008 R2 SERVERSTANDARD",
        ),
        v("w8", "Windows 8", Nt62, false, X86_AMD64, "Windows 8 Pro"),
        v(
            "w8.1",
            "Windows 8.1",
            Nt62,
            false,
            X86_AMD64,
            "Windows 8.1 Pro",
        ),
        v(
            "2k12",
            "Windows Server 2012",
            Nt62,
            true,
            AMD64,
            "Windows Server 2012 SERVERSTANDARD",
        ),
        v(
            "2k12R2",
            "Windows Server 2012 R2",
            Nt62,
            true,
            AMD64,
            "Windows Server 2012 R2 SERVERSTANDARD",
        ),
        v("w10", "Windows 10", Nt10, false, ALL, "Windows 10 Pro"),
        v(
            "2k16",
            "Windows Server 2016",
            Nt10,
            true,
            AMD64,
            "Windows Server 2016 SERVERSTANDARD",
        ),
        v(
            "2k19",
            "Windows Server 2019",
            Nt10,
            true,
            AMD64,
            "Windows Server 2019 SERVERSTANDARD",
        ),
        v(
            "w11",
            "Windows 11",
            Nt10,
            false,
            AMD64_ARM64,
            "Windows 11 Pro",
        ),
        v(
            "2k22",
            "Windows Server 2022",
            Nt10,
            true,
            AMD64,
            "Windows Server 2022 SERVERSTANDARD",
        ),
        WindowsVersion {
            builtin_sshd: true,
            ..v(
                "2k25",
                "Windows Server 2025",
                Nt10,
                true,
                AMD64_ARM64,
                "Windows Server 2025 SERVERSTANDARD",
            )
        },
    ]
};

/// The supported version whose upstream directory name is `os` (exact, as `param::os` keeps it).
pub fn version(os: &str) -> Option<&'static WindowsVersion> {
    VERSIONS.iter().find(|v| v.os == os)
}

/// The `os` names of every supported version, oldest first.
pub fn supported_os_names() -> Vec<&'static str> {
    VERSIONS.iter().map(|v| v.os).collect()
}

/// An answer-file setting that not every version's Setup has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Setting {
    /// `OOBE/HideLocalAccountScreen` (NT 6.2+).
    HideLocalAccountScreen,
    /// `OOBE/HideOEMRegistrationScreen` (NT 6.2+).
    HideOemRegistrationScreen,
    /// `OOBE/HideOnlineAccountScreens` (NT 6.2+).
    HideOnlineAccountScreens,
    /// `OOBE/HideWirelessSetupInOOBE`: client versions (Windows 7 has it, Server 2008 R2 not),
    /// and every version from NT 6.2 on.
    HideWirelessSetupInOobe,
    /// `OOBE/NetworkLocation` (`Home`): asked by Windows 7 / 2008 R2 Windows Welcome; deprecated
    /// later, so written only there.
    NetworkLocation,
    /// The `HKLM\SYSTEM\Setup\LabConfig` hardware-check bypasses: only Windows 11 Setup checks.
    Win11Bypass,
    /// `ProductKey/WillShowUI` `Never` without a key (skips the key page of Windows 10 / 11
    /// client Setup, as Lima does); other versions get `OnError` (rgl, packer-windows).
    WillShowUiNever,
    /// The OpenSSH server shipped with Windows, enabled at first logon instead of installed.
    BuiltinSshd,
}

impl Setting {
    /// Every setting, for tables and tests.
    pub const ALL: [Setting; 8] = [
        Setting::HideLocalAccountScreen,
        Setting::HideOemRegistrationScreen,
        Setting::HideOnlineAccountScreens,
        Setting::HideWirelessSetupInOobe,
        Setting::NetworkLocation,
        Setting::Win11Bypass,
        Setting::WillShowUiNever,
        Setting::BuiltinSshd,
    ];

    /// What the user or the file calls it (the parameter or element name).
    pub fn name(self) -> &'static str {
        match self {
            Setting::HideLocalAccountScreen => "HideLocalAccountScreen",
            Setting::HideOemRegistrationScreen => "HideOEMRegistrationScreen",
            Setting::HideOnlineAccountScreens => "HideOnlineAccountScreens",
            Setting::HideWirelessSetupInOobe => "HideWirelessSetupInOOBE",
            Setting::NetworkLocation => "NetworkLocation",
            Setting::Win11Bypass => "win11_bypass",
            Setting::WillShowUiNever => "WillShowUI Never",
            Setting::BuiltinSshd => "the built-in OpenSSH server",
        }
    }

    /// Text that appears in a rendered answer file exactly when the setting is written (for
    /// checks of rendered files); `None` for settings of the first-logon script.
    pub fn marker(self) -> Option<&'static str> {
        match self {
            Setting::HideLocalAccountScreen => Some("<HideLocalAccountScreen>"),
            Setting::HideOemRegistrationScreen => Some("<HideOEMRegistrationScreen>"),
            Setting::HideOnlineAccountScreens => Some("<HideOnlineAccountScreens>"),
            Setting::HideWirelessSetupInOobe => Some("<HideWirelessSetupInOOBE>"),
            Setting::NetworkLocation => Some("<NetworkLocation>"),
            Setting::Win11Bypass => Some(r"HKLM\SYSTEM\Setup\LabConfig"),
            Setting::WillShowUiNever => Some("<WillShowUI>Never</WillShowUI>"),
            Setting::BuiltinSshd => None,
        }
    }

    /// Whether version `v` has the setting.
    pub fn applies_to(self, v: &WindowsVersion) -> bool {
        use Generation::*;
        match self {
            Setting::HideLocalAccountScreen
            | Setting::HideOemRegistrationScreen
            | Setting::HideOnlineAccountScreens => v.generation >= Nt62,
            Setting::HideWirelessSetupInOobe => v.generation >= Nt62 || !v.server,
            Setting::NetworkLocation => v.generation == Nt61,
            Setting::Win11Bypass => v.os == "w11",
            Setting::WillShowUiNever => v.generation == Nt10 && !v.server,
            Setting::BuiltinSshd => v.builtin_sshd,
        }
    }

    /// The `os` names of the versions that have the setting, oldest first.
    pub fn versions(self) -> Vec<&'static str> {
        VERSIONS
            .iter()
            .filter(|v| self.applies_to(v))
            .map(|v| v.os)
            .collect()
    }
}

/// Whether `os` has `setting` (false for an unsupported `os`).
pub fn has(os: &str, setting: Setting) -> bool {
    version(os).is_some_and(|v| setting.applies_to(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_matches_the_references() {
        assert_eq!(
            Setting::HideLocalAccountScreen.versions(),
            ["w8", "w8.1", "2k12", "2k12R2", "w10", "2k16", "2k19", "w11", "2k22", "2k25"]
        );
        assert_eq!(Setting::NetworkLocation.versions(), ["w7", "2k8R2"]);
        assert!(has("w7", Setting::HideWirelessSetupInOobe));
        assert!(!has("2k8R2", Setting::HideWirelessSetupInOobe));
        assert_eq!(Setting::Win11Bypass.versions(), ["w11"]);
        assert_eq!(Setting::BuiltinSshd.versions(), ["2k25"]);
        assert_eq!(Setting::WillShowUiNever.versions(), ["w10", "w11"]);
        assert!(VERSIONS
            .iter()
            .all(|v| crate::virtio_win::canonical_os(v.os) == Some(v.os)));
        assert!(VERSIONS
            .iter()
            .filter(|v| v.server && v.os != "2k25")
            .all(|v| v.arches == [Arch::Amd64]));
        assert!(VERSIONS
            .iter()
            .filter(|v| v.generation < Generation::Nt10)
            .all(|v| !v.arches.contains(&Arch::Arm64)));
    }
}
