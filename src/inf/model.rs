//! What an INF declares: version fields, models sections with their devices, services, and the
//! files it references. Plain data; [`super::extract`] fills it from the parsed sections.

use crate::arch::Arch;

/// The `[Version]` fields aero-recipe reads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionInfo {
    /// `Class` (e.g. `HIDClass`).
    pub class: Option<String>,
    /// `ClassGuid` as written (e.g. `{745a17a0-74d3-11d0-b6fe-00a0c90f57da}`).
    pub class_guid: Option<String>,
    /// `Provider`, after `%strkey%` substitution.
    pub provider: Option<String>,
    /// `DriverVer` as `date,version` (values joined by `,`).
    pub driver_ver: Option<String>,
    /// Every `CatalogFile` and decorated `CatalogFile.<platform>` entry, in file order.
    pub catalog_files: Vec<CatalogFile>,
}

/// One `CatalogFile[.decoration] = file` entry of `[Version]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogFile {
    /// The key as written (e.g. `CatalogFile.NTamd64`).
    pub key: String,
    /// The platform part after `CatalogFile.` (e.g. `NTamd64`), if any.
    pub decoration: Option<String>,
    /// The catalog file name.
    pub file: String,
    /// 1-based line.
    pub line: usize,
}

/// A models section reached from `[Manufacturer]`, with the devices it lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelsSection {
    /// The section name as written in its header (e.g. `Standard.NTamd64.6.1`).
    pub section: String,
    /// Its target-OS decoration.
    pub decoration: Decoration,
    /// Its devices, in file order.
    pub devices: Vec<Device>,
    /// 1-based line of the section header.
    pub line: usize,
}

/// The target-OS decoration of a models section: `NT[arch][.major[.minor[.type[.suite[.build]]]]]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoration {
    /// The architecture named (`NTx86`, `NTamd64`, `NTarm64`); `None` when undecorated, plain
    /// `NT`, or an architecture aero-recipe does not ship (`NTia64`, `NTarm`).
    pub arch: Option<Arch>,
    /// Everything after the platform part (e.g. `6.1`, `10.0...16299`), if present.
    pub os_version: Option<String>,
    /// The decoration as written in `[Manufacturer]` (e.g. `NTamd64.6.1`); empty when undecorated.
    pub raw: String,
}

/// One device line of a models section: `description = install-section, hwid[, compatible-id...]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// The device description (after `%strkey%` substitution).
    pub description: String,
    /// The DDInstall section name.
    pub install_section: String,
    /// The hardware ID followed by any compatible IDs, as written.
    pub hardware_ids: Vec<String>,
    /// 1-based line.
    pub line: usize,
}

/// One `AddService = name, flags, install-section, ...` entry of a `*.Services` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    /// The service name; empty for a null service (`AddService = ,2`).
    pub name: String,
    /// The flags (`0x2` = SPSVCINST_ASSOCSERVICE: the device's function driver).
    pub flags: u32,
    /// The service-install section, if named.
    pub install_section: Option<String>,
    /// The file name part of that section's `ServiceBinary` (e.g. `viostor.sys`).
    pub service_binary: Option<String>,
    /// The `*.Services` section the entry is in, as written.
    pub section: String,
    /// 1-based line.
    pub line: usize,
}

/// `AddService` flag marking the function driver of the device (SPSVCINST_ASSOCSERVICE).
pub const SPSVCINST_ASSOCSERVICE: u32 = 0x2;

impl Service {
    /// Whether this is a null service (`AddService = ,2`): no driver, valid for some devices.
    pub fn is_null(&self) -> bool {
        self.name.is_empty()
    }

    /// Whether this service is the device's function driver (flag 0x2).
    pub fn is_function_driver(&self) -> bool {
        self.flags & SPSVCINST_ASSOCSERVICE != 0
    }
}

/// A file an INF references, with the directive that names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FileRef {
    /// The file name as written (match case-insensitively).
    pub name: String,
    /// `CatalogFile`, `SourceDisksFiles`, `CopyFiles`, `CopyINF`, `ServiceBinary` or
    /// `WdfCoInstaller`.
    pub directive: &'static str,
    /// 1-based line of the first mention by this directive.
    pub line: usize,
}

/// Something odd in an INF. Most oddities are reported and the INF is read anyway; a fatal one
/// (something Windows would not read as written) makes [`super::Inf::parse`] refuse the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    /// 1-based line.
    pub line: usize,
    /// What is odd.
    pub message: String,
    /// Whether the INF is refused because of it.
    pub fatal: bool,
}

impl Warning {
    /// A warning at `line`.
    pub fn new(line: usize, message: impl Into<String>) -> Warning {
        Warning {
            line,
            message: message.into(),
            fatal: false,
        }
    }

    /// A problem at `line` that makes the INF unusable.
    pub fn fatal(line: usize, message: impl Into<String>) -> Warning {
        Warning {
            fatal: true,
            ..Warning::new(line, message)
        }
    }
}

impl Decoration {
    /// The decoration of an undecorated models section.
    pub fn none() -> Decoration {
        Decoration {
            arch: None,
            os_version: None,
            raw: String::new(),
        }
    }

    /// Parse a `[Manufacturer]` decoration such as `NTamd64.6.1` or `NTx86.10.0...16299`.
    pub fn parse(raw: &str) -> Decoration {
        let (platform, os) = match raw.split_once('.') {
            Some((p, os)) => (p, Some(os)),
            None => (raw, None),
        };
        let arch = platform_arch(platform).and_then(|a| a.arch());
        Decoration {
            arch,
            os_version: os.filter(|s| !s.is_empty()).map(str::to_string),
            raw: raw.to_string(),
        }
    }

    /// Whether no architecture is named (undecorated or plain `NT`): such a section serves x86.
    pub fn is_arch_neutral(&self) -> bool {
        let platform = self.raw.split('.').next().unwrap_or("");
        matches!(platform_arch(platform), Some(PlatformArch::Neutral))
    }

    /// Whether this decoration targets `arch`: `NTamd64`/`NTarm64` exactly; x86 also takes
    /// undecorated and plain `NT` sections.
    pub fn serves(&self, arch: Arch) -> bool {
        self.arch == Some(arch) || (arch == Arch::X86 && self.is_arch_neutral())
    }

    /// The OS major and minor version (`6.1` -> `(6, 1)`; a missing minor is 0).
    pub fn os_major_minor(&self) -> Option<(u32, u32)> {
        let os = self.os_version.as_deref()?;
        let mut parts = os.split('.');
        let major = parts.next()?.trim().parse().ok()?;
        let minor = match parts.next().map(str::trim) {
            None | Some("") => 0,
            Some(m) => m.parse().ok()?,
        };
        Some((major, minor))
    }
}

enum PlatformArch {
    Neutral,
    Known(Arch),
    Other,
}

impl PlatformArch {
    fn arch(self) -> Option<Arch> {
        match self {
            PlatformArch::Known(a) => Some(a),
            _ => None,
        }
    }
}

/// The architecture of a decoration's platform part; `None` when it is not `NT...` at all.
fn platform_arch(platform: &str) -> Option<PlatformArch> {
    let p = platform.to_ascii_lowercase();
    let rest = p
        .strip_prefix("nt")
        .or(if p.is_empty() { Some("") } else { None })?;
    Some(match rest {
        "" => PlatformArch::Neutral,
        "x86" => PlatformArch::Known(Arch::X86),
        "amd64" => PlatformArch::Known(Arch::Amd64),
        "arm64" => PlatformArch::Known(Arch::Arm64),
        _ => PlatformArch::Other,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decorations() {
        let d = Decoration::parse("NTamd64.6.1");
        assert_eq!(d.arch, Some(Arch::Amd64));
        assert_eq!(d.os_version.as_deref(), Some("6.1"));
        assert_eq!(d.os_major_minor(), Some((6, 1)));
        assert!(d.serves(Arch::Amd64) && !d.serves(Arch::X86));

        let d = Decoration::parse("ntamd64.10.0...16299");
        assert_eq!(d.arch, Some(Arch::Amd64));
        assert_eq!(d.os_version.as_deref(), Some("10.0...16299"));
        assert_eq!(d.os_major_minor(), Some((10, 0)));

        let d = Decoration::parse("NTarm64");
        assert_eq!((d.arch, d.os_version), (Some(Arch::Arm64), None));

        for neutral in ["", "NT", "NT.6.1"] {
            let d = Decoration::parse(neutral);
            assert_eq!(d.arch, None);
            assert!(d.is_arch_neutral(), "{neutral}");
            assert!(d.serves(Arch::X86) && !d.serves(Arch::Amd64));
        }
        for other in ["NTia64", "NTarm.6.2", "Win7"] {
            let d = Decoration::parse(other);
            assert_eq!(d.arch, None);
            assert!(!d.is_arch_neutral(), "{other}");
            assert!(!d.serves(Arch::X86));
        }
        assert!(Decoration::parse("NTx86.5.1").serves(Arch::X86));
    }
}
