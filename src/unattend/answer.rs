//! The answer-file model (`autounattend.xml`): validation that reports every problem at once,
//! and rendering to the `urn:schemas-microsoft-com:unattend` XML Windows Setup reads.
//!
//! Three passes are written: `windowsPE` (locale, disk layout, image selection, EULA, product
//! key, Win11 LabConfig bypasses, user-given driver paths), `specialize` (computer name, time
//! zone) and `oobeSystem` (OOBE pages hidden, accounts, AutoLogon, the first-logon command).
//! Elements inside a component are written in alphabetical order, as Windows System Image
//! Manager writes them.

use std::sync::LazyLock;

use base64::Engine as _;
use regex::Regex;

use super::versions::{self, Setting, WindowsVersion};
use super::xml::{required_value_problem, value_problem, XmlWriter};
use crate::arch::Arch;
use crate::error::{Error, Result};
use crate::policy;

/// File name Windows Setup looks for at the root of every attached drive.
pub const ANSWER_FILE_NAME: &str = "autounattend.xml";

/// Default file name of the first-logon script, next to the answer file on the media.
pub const DEFAULT_FIRST_LOGON_SCRIPT: &str = "first_logon.ps1";

/// The answer-file namespace.
pub const UNATTEND_NS: &str = "urn:schemas-microsoft-com:unattend";

/// The namespace of the `wcm:action` / `wcm:keyValue` attributes.
pub const WCM_NS: &str = "http://schemas.microsoft.com/WMIConfig/2002/State";

/// The `publicKeyToken` every Microsoft-Windows-* component carries.
pub const PUBLIC_KEY_TOKEN: &str = "31bf3856ad364e35";

/// The `HKLM\SYSTEM\Setup\LabConfig` values set to 1 when Win11 hardware checks are bypassed
/// (the ones every peer sets, plus Lima's `BypassStorageCheck`).
pub const LAB_CONFIG_BYPASSES: [&str; 5] = [
    "BypassTPMCheck",
    "BypassSecureBootCheck",
    "BypassRAMCheck",
    "BypassCPUCheck",
    "BypassStorageCheck",
];

/// Names of built-in accounts that a new local account must not take.
const BUILTIN_ACCOUNTS: [&str; 4] = [
    "Administrator",
    "Guest",
    "DefaultAccount",
    "WDAGUtilityAccount",
];

/// Boot firmware of the VM, which decides the disk layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Firmware {
    /// Legacy BIOS: MBR with an active system partition and a Windows partition.
    Bios,
    /// UEFI: GPT with EFI system (FAT32), MSR and Windows partitions.
    Uefi,
}

impl Firmware {
    /// Parse `bios` / `uefi` (case-insensitive; `efi` is accepted for UEFI).
    pub fn parse(s: &str) -> Option<Firmware> {
        match s.to_ascii_lowercase().as_str() {
            "bios" | "legacy" => Some(Firmware::Bios),
            "uefi" | "efi" => Some(Firmware::Uefi),
            _ => None,
        }
    }

    /// The lower-case name users write (`bios`, `uefi`).
    pub fn name(self) -> &'static str {
        match self {
            Firmware::Bios => "bios",
            Firmware::Uefi => "uefi",
        }
    }

    /// The partition Windows is installed to (2 on MBR, 3 on GPT after EFI and MSR).
    pub fn windows_partition(self) -> u32 {
        match self {
            Firmware::Bios => 2,
            Firmware::Uefi => 3,
        }
    }
}

/// Which image of `install.wim`/`install.esd` to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImageSelector {
    /// `/IMAGE/INDEX`: 1-based index in the image file.
    Index(u32),
    /// `/IMAGE/NAME`, e.g. `Windows 11 Pro`.
    Name(String),
    /// `/IMAGE/DESCRIPTION`.
    Description(String),
}

impl ImageSelector {
    /// The `MetaData` key (`/IMAGE/INDEX`, `/IMAGE/NAME` or `/IMAGE/DESCRIPTION`).
    pub fn key(&self) -> &'static str {
        match self {
            ImageSelector::Index(_) => "/IMAGE/INDEX",
            ImageSelector::Name(_) => "/IMAGE/NAME",
            ImageSelector::Description(_) => "/IMAGE/DESCRIPTION",
        }
    }

    /// The `MetaData` value.
    pub fn value(&self) -> String {
        match self {
            ImageSelector::Index(i) => i.to_string(),
            ImageSelector::Name(s) | ImageSelector::Description(s) => s.clone(),
        }
    }
}

/// Everything `autounattend.xml` says; build with [`AnswerFile::new`], adjust fields, [`render`].
///
/// [`render`]: AnswerFile::render
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerFile {
    /// The Windows version being installed, as the upstream virtio-win directory name (`w7`,
    /// `w10`, `w11`, `2k22`): decides which settings its Setup knows.
    pub os: String,
    /// Target architecture: every component's `processorArchitecture`.
    pub arch: Arch,
    /// Boot firmware: the disk layout.
    pub firmware: Firmware,
    /// The image to install.
    pub image: ImageSelector,
    /// Language tag for system, UI and user locale, and input unless `input_locale` is set.
    pub locale: String,
    /// Keyboard layouts if they differ from `locale`: language tags or `0407:00000407`
    /// pairs, `;`-separated (the first is the default).
    pub input_locale: Option<String>,
    /// Windows time zone ID (`UTC`, `W. Europe Standard Time`).
    pub timezone: String,
    /// Computer name (NetBIOS rules: at most 15 letters, digits and hyphens).
    pub hostname: String,
    /// The local administrator account created and logged on automatically.
    pub username: String,
    /// Password of that account and of the built-in Administrator.
    pub password: String,
    /// Write passwords as plain text instead of the (merely obfuscating) base64 encoding.
    pub password_plaintext: bool,
    /// Product key (`XXXXX-XXXXX-XXXXX-XXXXX-XXXXX`), if any.
    pub product_key: Option<String>,
    /// Set the Win11 LabConfig bypasses (TPM, Secure Boot, RAM, CPU, storage) during
    /// windowsPE; only Windows 11 has them (see [`versions::Setting::Win11Bypass`]).
    pub win11_bypass: bool,
    /// Extra WinPE driver folders, written verbatim: only paths the user gave.
    pub driver_paths: Vec<String>,
    /// How many automatic logons; at least 1, since the first-logon script runs at the first.
    pub autologon_count: u32,
    /// File name of the first-logon script at the media root, next to the answer file.
    pub first_logon_script: String,
}

impl AnswerFile {
    /// An answer file for Windows 11 (`os` `w11`; set `os` for another version) with
    /// defaults: `en-US`, `UTC`, encoded passwords, no product key, no bypass, no driver paths,
    /// one automatic logon, `first_logon.ps1`.
    pub fn new(
        arch: Arch,
        firmware: Firmware,
        image: ImageSelector,
        hostname: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        AnswerFile {
            os: "w11".into(),
            arch,
            firmware,
            image,
            locale: "en-US".into(),
            input_locale: None,
            timezone: "UTC".into(),
            hostname: hostname.into(),
            username: username.into(),
            password: password.into(),
            password_plaintext: false,
            product_key: None,
            win11_bypass: false,
            driver_paths: Vec::new(),
            autologon_count: 1,
            first_logon_script: DEFAULT_FIRST_LOGON_SCRIPT.into(),
        }
    }

    /// The keyboard layouts written as `InputLocale`.
    pub fn input_locale(&self) -> &str {
        self.input_locale.as_deref().unwrap_or(&self.locale)
    }

    /// Whether the OS is older than Windows 8 / Server 2012 (NT 6.1 and below): its OOBE
    /// component lacks the account and registration pages of later versions.
    pub fn before_windows_8(&self) -> bool {
        matches!(self.os.as_str(), "w7" | "2k8R2" | "2k8" | "xp" | "2k3")
    }

    /// The supported version `os` names, if it is one.
    pub fn version(&self) -> Option<&'static WindowsVersion> {
        versions::version(&self.os)
    }

    /// Whether the version being installed has `setting` (false for an unsupported `os`).
    pub fn has(&self, setting: Setting) -> bool {
        versions::has(&self.os, setting)
    }

    /// Every problem with the model, each naming its field; empty when it can be rendered.
    pub fn problems(&self) -> Vec<Error> {
        let mut out = Vec::new();
        let supported = versions::supported_os_names().join(", ");
        match (crate::virtio_win::canonical_os(&self.os), self.version()) {
            (_, Some(v)) => {
                if !v.arches.contains(&self.arch) {
                    let have: Vec<String> = v.arches.iter().map(|a| a.to_string()).collect();
                    out.push(
                        Error::invalid(format!(
                            "arch `{}`: {} ({}) exists only for {}",
                            self.arch,
                            v.name,
                            v.os,
                            have.join(", ")
                        ))
                        .with_help("pick an architecture Microsoft ships that version for"),
                    );
                }
            }
            (None, None) => out.push(
                Error::invalid(format!("os `{}` is not a known Windows version", self.os))
                    .with_help(format!("use the upstream directory name: {supported}")),
            ),
            (Some("xp" | "2k3"), None) => out.push(
                Error::invalid(format!(
                    "os `{}`: Windows XP and Server 2003 do not read autounattend.xml",
                    self.os
                ))
                .with_help("unattended media need Windows 7 / Server 2008 R2 or later"),
            ),
            (Some(other), None) => out.push(
                Error::invalid(format!(
                    "os `{other}` is not supported by the unattend media"
                ))
                .with_help(format!("supported: {supported}")),
            ),
        }
        if self.win11_bypass && self.version().is_some() && !self.has(Setting::Win11Bypass) {
            out.push(setting_problem(&self.os, Setting::Win11Bypass).with_help(
                "only Windows 11 Setup checks TPM, Secure Boot, RAM, CPU and storage; drop win11_bypass",
            ));
        }
        if self.arch == Arch::Arm64 && self.firmware == Firmware::Bios {
            out.push(
                Error::invalid(
                    "arch `arm64` with firmware `bios`: Windows on ARM boots only from UEFI",
                )
                .with_help("use firmware `uefi` for arm64"),
            );
        }
        hostname_problems(&self.hostname, &mut out);
        username_problems(&self.username, &self.hostname, &mut out);
        password_problems(&self.password, &mut out);
        locale_problems(&self.locale, &mut out);
        if let Some(input) = &self.input_locale {
            if !input
                .split(';')
                .all(|part| LOCALE.is_match(part) || KEYBOARD.is_match(part))
            {
                out.push(
                    Error::invalid(format!(
                        "input_locale `{}` is not a list of language tags or keyboard IDs",
                        input.escape_debug()
                    ))
                    .with_help("use e.g. de-DE, or 0407:00000407, several separated by `;`"),
                );
            }
        }
        timezone_problems(&self.timezone, &mut out);
        image_problems(&self.image, &mut out);
        if let Some(key) = &self.product_key {
            if !PRODUCT_KEY.is_match(key) {
                out.push(
                    Error::invalid(format!(
                        "product_key `{}` is not five groups of five letters or digits",
                        key.escape_debug()
                    ))
                    .with_help("write it as XXXXX-XXXXX-XXXXX-XXXXX-XXXXX, or leave it out"),
                );
            }
        }
        for (i, path) in self.driver_paths.iter().enumerate() {
            out.extend(required_value_problem(&format!("driver_paths[{i}]"), path));
        }
        if self.autologon_count == 0 {
            out.push(
                Error::invalid("autologon_count is 0: the first-logon script would never run")
                    .with_help("use at least 1 automatic logon"),
            );
        }
        script_name_problems(&self.first_logon_script, &mut out);
        out
    }

    /// `Ok` when the model can be rendered, else one error listing every problem.
    pub fn validate(&self) -> Result<()> {
        super::validated("the answer file", self.problems())
    }

    /// The `autounattend.xml` text (UTF-8, deterministic: same model, same bytes).
    pub fn render(&self) -> Result<String> {
        self.validate()?;
        let arch = processor_architecture(self.arch);
        let mut w = XmlWriter::new();
        w.comment(if self.password_plaintext {
            "Generated by aero-recipe. Passwords below are PLAIN TEXT: keep this file private."
        } else {
            "Generated by aero-recipe. Passwords below are base64 of UTF-16LE text: obfuscated, not encrypted. Keep this file private."
        })?;
        w.element(
            "unattend",
            &[("xmlns", UNATTEND_NS), ("xmlns:wcm", WCM_NS)],
            |w| {
                w.element("settings", &[("pass", "windowsPE")], |w| {
                    self.windows_pe(w, arch)
                })?;
                w.element("settings", &[("pass", "specialize")], |w| {
                    component(w, "Microsoft-Windows-Shell-Setup", arch, |w| {
                        w.leaf("ComputerName", &self.hostname)?;
                        w.leaf("TimeZone", &self.timezone)
                    })
                })?;
                w.element("settings", &[("pass", "oobeSystem")], |w| {
                    self.oobe_system(w, arch)
                })
            },
        )?;
        Ok(w.finish())
    }

    fn windows_pe(&self, w: &mut XmlWriter, arch: &str) -> Result<()> {
        component(w, "Microsoft-Windows-International-Core-WinPE", arch, |w| {
            w.leaf("InputLocale", self.input_locale())?;
            w.element("SetupUILanguage", &[], |w| {
                w.leaf("UILanguage", &self.locale)
            })?;
            w.leaf("SystemLocale", &self.locale)?;
            w.leaf("UILanguage", &self.locale)?;
            w.leaf("UserLocale", &self.locale)
        })?;
        if !self.driver_paths.is_empty() {
            component(w, "Microsoft-Windows-PnpCustomizationsWinPE", arch, |w| {
                w.element("DriverPaths", &[], |w| {
                    for (i, path) in self.driver_paths.iter().enumerate() {
                        let key = (i + 1).to_string();
                        w.element(
                            "PathAndCredentials",
                            &[("wcm:action", "add"), ("wcm:keyValue", &key)],
                            |w| w.leaf("Path", path),
                        )?;
                    }
                    Ok(())
                })
            })?;
        }
        component(w, "Microsoft-Windows-Setup", arch, |w| {
            w.element("DiskConfiguration", &[], |w| {
                w.element("Disk", &[("wcm:action", "add")], |w| {
                    disk_layout(w, self.firmware)
                })?;
                w.leaf("WillShowUI", "OnError")
            })?;
            w.element("ImageInstall", &[], |w| {
                w.element("OSImage", &[], |w| {
                    w.element("InstallFrom", &[], |w| {
                        w.element("MetaData", &[("wcm:action", "add")], |w| {
                            w.leaf("Key", self.image.key())?;
                            w.leaf("Value", &self.image.value())
                        })
                    })?;
                    w.element("InstallTo", &[], |w| {
                        w.leaf("DiskID", "0")?;
                        w.leaf(
                            "PartitionID",
                            &self.firmware.windows_partition().to_string(),
                        )
                    })?;
                    w.leaf("WillShowUI", "OnError")
                })
            })?;
            if self.win11_bypass {
                w.element("RunSynchronous", &[], |w| {
                    for (i, value) in LAB_CONFIG_BYPASSES.iter().enumerate() {
                        w.element("RunSynchronousCommand", &[("wcm:action", "add")], |w| {
                            w.leaf("Order", &(i + 1).to_string())?;
                            w.leaf(
                                "Path",
                                &format!(
                                    r"reg add HKLM\SYSTEM\Setup\LabConfig /v {value} /t REG_DWORD /d 1 /f"
                                ),
                            )
                        })?;
                    }
                    Ok(())
                })?;
            }
            w.element("UserData", &[], |w| {
                w.leaf("AcceptEula", "true")?;
                // Without a key, Windows 10 / 11 client Setup skips its key page only with
                // `Never` (Lima); elsewhere `OnError` lets evaluation media go on (rgl,
                // packer-windows) and shows the page only when Setup cannot proceed.
                w.element("ProductKey", &[], |w| match &self.product_key {
                    Some(key) => {
                        w.leaf("Key", &key.to_ascii_uppercase())?;
                        w.leaf("WillShowUI", "OnError")
                    }
                    None if self.has(Setting::WillShowUiNever) => w.leaf("WillShowUI", "Never"),
                    None => w.leaf("WillShowUI", "OnError"),
                })
            })
        })
    }

    fn oobe_system(&self, w: &mut XmlWriter, arch: &str) -> Result<()> {
        component(w, "Microsoft-Windows-International-Core", arch, |w| {
            w.leaf("InputLocale", self.input_locale())?;
            w.leaf("SystemLocale", &self.locale)?;
            w.leaf("UILanguage", &self.locale)?;
            w.leaf("UserLocale", &self.locale)
        })?;
        component(w, "Microsoft-Windows-Shell-Setup", arch, |w| {
            w.element("AutoLogon", &[], |w| {
                w.leaf("Enabled", "true")?;
                w.leaf("LogonCount", &self.autologon_count.to_string())?;
                self.password_element(w, "Password")?;
                w.leaf("Username", &self.username)
            })?;
            w.element("FirstLogonCommands", &[], |w| {
                w.element("SynchronousCommand", &[("wcm:action", "add")], |w| {
                    w.leaf(
                        "CommandLine",
                        &first_logon_command_line(&self.first_logon_script),
                    )?;
                    w.leaf(
                        "Description",
                        "aero-recipe first-logon provisioning from the unattend media",
                    )?;
                    w.leaf("Order", "1")?;
                    w.leaf("RequiresUserInput", "false")
                })
            })?;
            w.element("OOBE", &[], |w| {
                // Alphabetical, each only where the version's OOBE component has it: Setup
                // stops on a setting it does not know (see `versions`).
                w.leaf("HideEULAPage", "true")?;
                for (setting, value) in [
                    (Setting::HideLocalAccountScreen, "true"),
                    (Setting::HideOemRegistrationScreen, "true"),
                    (Setting::HideOnlineAccountScreens, "true"),
                    (Setting::HideWirelessSetupInOobe, "true"),
                    (Setting::NetworkLocation, "Home"),
                ] {
                    if self.has(setting) {
                        w.leaf(setting.name(), value)?;
                    }
                }
                w.leaf("ProtectYourPC", "3")
            })?;
            w.element("UserAccounts", &[], |w| {
                self.password_element(w, "AdministratorPassword")?;
                w.element("LocalAccounts", &[], |w| {
                    w.element("LocalAccount", &[("wcm:action", "add")], |w| {
                        w.leaf("DisplayName", &self.username)?;
                        w.leaf("Group", "Administrators")?;
                        w.leaf("Name", &self.username)?;
                        self.password_element(w, "Password")
                    })
                })
            })
        })
    }

    /// `<element><Value>..</Value><PlainText>..</PlainText></element>`; the element name is
    /// also the suffix Windows Setup strips from the decoded value.
    fn password_element(&self, w: &mut XmlWriter, element: &str) -> Result<()> {
        w.element(element, &[], |w| {
            // Value before PlainText, as the answer-file reference shows them.
            if self.password_plaintext {
                w.leaf("Value", &self.password)?;
                w.leaf("PlainText", "true")
            } else {
                w.leaf("Value", &encode_password(&self.password, element))?;
                w.leaf("PlainText", "false")
            }
        })
    }
}

/// The answer-file password encoding: base64(UTF-16LE(`password` + `element`)), where
/// `element` is `Password` or `AdministratorPassword`. Obfuscation only: anyone can decode it.
pub fn encode_password(password: &str, element: &str) -> String {
    let bytes: Vec<u8> = password
        .encode_utf16()
        .chain(element.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// The `FirstLogonCommands` command line that finds and runs `script` without a drive letter.
///
/// Drive letters of the install media shift with the number and order of attached drives, so
/// nothing here names one: PowerShell walks every ready drive (`[IO.DriveInfo]::GetDrives()`),
/// picks the first whose root holds both `autounattend.xml` and `script` (our media), and runs
/// `powershell -NoProfile -ExecutionPolicy Bypass -File <that path>`, passing its exit code on.
/// When no drive holds both files the command exits with code 2. Works with PowerShell 2.0.
/// `script` must be a plain file name (see [`AnswerFile::problems`]).
pub fn first_logon_command_line(script: &str) -> String {
    format!(
        "powershell.exe -NoProfile -NonInteractive -ExecutionPolicy Bypass -Command \"\
foreach ($d in [IO.DriveInfo]::GetDrives()) {{ \
if ($d.IsReady -and (Test-Path -LiteralPath ($d.Name + '{ANSWER_FILE_NAME}')) -and (Test-Path -LiteralPath ($d.Name + '{script}'))) {{ \
powershell.exe -NoProfile -ExecutionPolicy Bypass -File ($d.Name + '{script}'); exit $LASTEXITCODE }} }}; \
exit 2\""
    )
}

/// The `processorArchitecture` attribute value for `arch`.
pub fn processor_architecture(arch: Arch) -> &'static str {
    match arch {
        Arch::X86 => "x86",
        Arch::Amd64 => "amd64",
        Arch::Arm64 => "arm64",
    }
}

/// The error for `setting` asked of `os`, which lacks it, naming the versions that have it.
pub fn setting_problem(os: &str, setting: Setting) -> Error {
    Error::invalid(format!(
        "{} is not available for os `{os}`; only {} have it",
        setting.name(),
        setting.versions().join(", ")
    ))
}

fn component(
    w: &mut XmlWriter,
    name: &str,
    arch: &str,
    body: impl FnOnce(&mut XmlWriter) -> Result<()>,
) -> Result<()> {
    w.element(
        "component",
        &[
            ("name", name),
            ("processorArchitecture", arch),
            ("publicKeyToken", PUBLIC_KEY_TOKEN),
            ("language", "neutral"),
            ("versionScope", "nonSxS"),
        ],
        body,
    )
}

/// Disk 0 wiped and partitioned: MBR (system 100 MB NTFS active, Windows rest) or GPT (EFI
/// 100 MB FAT32, MSR 16 MB, Windows rest).
fn disk_layout(w: &mut XmlWriter, firmware: Firmware) -> Result<()> {
    let create = |w: &mut XmlWriter, order: &str, kind: &str, size: Option<&str>| {
        w.element("CreatePartition", &[("wcm:action", "add")], |w| {
            if size.is_none() {
                w.leaf("Extend", "true")?;
            }
            w.leaf("Order", order)?;
            if let Some(size) = size {
                w.leaf("Size", size)?;
            }
            w.leaf("Type", kind)
        })
    };
    w.element("CreatePartitions", &[], |w| match firmware {
        Firmware::Bios => {
            create(w, "1", "Primary", Some("100"))?;
            create(w, "2", "Primary", None)
        }
        Firmware::Uefi => {
            create(w, "1", "EFI", Some("100"))?;
            create(w, "2", "MSR", Some("16"))?;
            create(w, "3", "Primary", None)
        }
    })?;
    w.leaf("DiskID", "0")?;
    w.element("ModifyPartitions", &[], |w| {
        let modify = |w: &mut XmlWriter,
                      id: &str,
                      active: bool,
                      format: Option<&str>,
                      label: Option<&str>,
                      letter: Option<&str>| {
            w.element("ModifyPartition", &[("wcm:action", "add")], |w| {
                if active {
                    w.leaf("Active", "true")?;
                }
                if let Some(format) = format {
                    w.leaf("Format", format)?;
                }
                if let Some(label) = label {
                    w.leaf("Label", label)?;
                }
                if let Some(letter) = letter {
                    w.leaf("Letter", letter)?;
                }
                w.leaf("Order", id)?;
                w.leaf("PartitionID", id)
            })
        };
        match firmware {
            Firmware::Bios => {
                modify(w, "1", true, Some("NTFS"), Some("System"), None)?;
                modify(w, "2", false, Some("NTFS"), Some("Windows"), Some("C"))
            }
            Firmware::Uefi => {
                modify(w, "1", false, Some("FAT32"), Some("System"), None)?;
                modify(w, "2", false, None, None, None)?;
                modify(w, "3", false, Some("NTFS"), Some("Windows"), Some("C"))
            }
        }
    })?;
    w.leaf("WillWipeDisk", "true")
}

static PRODUCT_KEY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9]{5}(-[A-Za-z0-9]{5}){4}$").expect("constant regex"));
static LOCALE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$").expect("constant regex"));
static KEYBOARD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[0-9A-Fa-f]{4}:[0-9A-Fa-f]{8}$").expect("constant regex"));
static TIMEZONE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[A-Za-z0-9.()+ -]{1,64}$").expect("constant regex"));
static SCRIPT_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^[a-z0-9_.-]{1,60}\.ps1$").expect("constant regex"));

fn hostname_problems(name: &str, out: &mut Vec<Error>) {
    let help = "a computer name has 1 to 15 ASCII letters, digits and hyphens, not only digits, and does not start or end with a hyphen";
    let shown = name.escape_debug();
    let mut bad =
        |why: String| out.push(Error::invalid(format!("hostname `{shown}` {why}")).with_help(help));
    if name.is_empty() {
        bad("is empty".into());
        return;
    }
    let len = name.chars().count();
    if len > 15 {
        bad(format!("has {len} characters; NetBIOS allows at most 15"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        bad(format!("contains `{}`", c.escape_debug()));
    }
    if name.chars().all(|c| c.is_ascii_digit()) {
        bad("is only digits".into());
    }
    if name.starts_with('-') || name.ends_with('-') {
        bad("starts or ends with a hyphen".into());
    }
}

fn username_problems(name: &str, hostname: &str, out: &mut Vec<Error>) {
    let shown = name.escape_debug();
    let mut bad = |why: String, help: &str| {
        out.push(Error::invalid(format!("username `{shown}` {why}")).with_help(help.to_string()))
    };
    let rules =
        "a Windows user name has 1 to 20 characters, none of \" / \\ [ ] : ; | = , + * ? < >";
    if name.is_empty() {
        bad("is empty".into(), rules);
        return;
    }
    if let Some(p) = value_problem(name) {
        bad(p, rules);
    }
    let len = name.chars().count();
    if len > 20 {
        bad(
            format!("has {len} characters; Windows allows at most 20"),
            rules,
        );
    }
    if let Some(c) = name.chars().find(|c| "\"/\\[]:;|=,+*?<>".contains(*c)) {
        bad(
            format!("contains `{c}`, which Windows does not allow in user names"),
            rules,
        );
    }
    if name.chars().all(|c| c == '.' || c == ' ') {
        bad("is only dots and spaces".into(), rules);
    } else if name.trim() != name || name.ends_with('.') {
        bad(
            "starts or ends with a space, or ends with a dot".into(),
            rules,
        );
    }
    if let Some(builtin) = BUILTIN_ACCOUNTS
        .iter()
        .find(|b| b.eq_ignore_ascii_case(name))
    {
        bad(
            format!("is the built-in account `{builtin}`"),
            "choose another name; the built-in Administrator gets the same password anyway",
        );
    }
    if !hostname.is_empty() && name.eq_ignore_ascii_case(hostname) {
        bad(
            "equals the hostname; Windows setup refuses a user named like the computer".into(),
            "choose a different username or hostname",
        );
    }
}

fn password_problems(password: &str, out: &mut Vec<Error>) {
    // The password itself is never echoed into an error message.
    if password.is_empty() {
        out.push(
            Error::invalid("password is empty")
                .with_help("give the account a password; AutoLogon and remote logons need one"),
        );
    }
    if let Some(p) = value_problem(password) {
        out.push(Error::invalid(format!("password {p}")));
    }
    let len = password.chars().count();
    if len > 127 {
        out.push(Error::invalid(format!(
            "password has {len} characters; Windows allows at most 127"
        )));
    }
}

fn locale_problems(locale: &str, out: &mut Vec<Error>) {
    if !LOCALE.is_match(locale) {
        out.push(
            Error::invalid(format!(
                "locale `{}` is not a language tag",
                locale.escape_debug()
            ))
            .with_help("use a tag such as en-US, de-DE or ja-JP"),
        );
    }
}

fn timezone_problems(tz: &str, out: &mut Vec<Error>) {
    if !TIMEZONE.is_match(tz) || tz.trim() != tz {
        out.push(
            Error::invalid(format!(
                "timezone `{}` is not a Windows time zone ID",
                tz.escape_debug()
            ))
            .with_help("use an ID such as UTC, Pacific Standard Time or W. Europe Standard Time (`tzutil /l` lists them)"),
        );
    }
}

fn image_problems(image: &ImageSelector, out: &mut Vec<Error>) {
    let help = "select the image by index (1-based), name or description as `dism /Get-WimInfo` shows them";
    match image {
        ImageSelector::Index(0) => {
            out.push(Error::invalid("image_index is 0; image indexes start at 1").with_help(help))
        }
        ImageSelector::Index(_) => {}
        ImageSelector::Name(s) | ImageSelector::Description(s) => {
            let field = if matches!(image, ImageSelector::Name(_)) {
                "image_name"
            } else {
                "image_description"
            };
            out.extend(required_value_problem(field, s).map(|e| e.with_help(help)));
        }
    }
}

fn script_name_problems(name: &str, out: &mut Vec<Error>) {
    let problem = if !SCRIPT_NAME.is_match(name) {
        Some(
            "is not a plain file name of letters, digits, `_`, `.` or `-` ending in `.ps1`"
                .to_string(),
        )
    } else {
        policy::windows_name_problem(name)
    };
    if let Some(p) = problem {
        out.push(
            Error::invalid(format!("first_logon_script `{}` {p}", name.escape_debug())).with_help(
                "the script lies at the media root next to autounattend.xml, e.g. first_logon.ps1",
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_encoding_matches_the_reference_form() {
        // "a" + "Password" as UTF-16LE, base64.
        let expected = base64::engine::general_purpose::STANDARD.encode(
            "aPassword"
                .encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<u8>>(),
        );
        assert_eq!(encode_password("a", "Password"), expected);
        assert_eq!(encode_password("", "Password"), "UABhAHMAcwB3AG8AcgBkAA==");
    }

    #[test]
    fn command_line_names_no_drive_letter() {
        let cmd = first_logon_command_line("first_logon.ps1");
        assert!(!cmd.contains(":\\"), "{cmd}");
        assert!(cmd.contains("-File ($d.Name + 'first_logon.ps1')"), "{cmd}");
        assert!(
            cmd.len() < 1024,
            "CommandLine is limited to 1024 characters"
        );
    }

    #[test]
    fn arm64_needs_uefi_and_names_are_checked() {
        let mut a = AnswerFile::new(
            Arch::Arm64,
            Firmware::Bios,
            ImageSelector::Index(1),
            "vm",
            "user",
            "pw",
        );
        assert_eq!(a.problems().len(), 1);
        a.firmware = Firmware::Uefi;
        assert!(a.problems().is_empty());
        a.hostname = "-".into();
        a.username = "con:".into();
        assert_eq!(a.problems().len(), 2, "{:?}", a.problems());
    }
}
