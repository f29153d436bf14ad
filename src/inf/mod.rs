//! INF decoding, tokenising and queries: what a Windows driver package declares.
//!
//! [`Inf::load`] reads a file, [`decode`]s it (UTF-8, UTF-16LE/BE with or without BOM,
//! Windows-1252), tokenises it per the INF [`syntax`], substitutes `%strkey%` [`strings`], and
//! extracts the [`model`]: `[Version]`, models sections per decoration, `AddService` entries and
//! every referenced file. [`report`] turns that into the `aero-recipe inf` output.

pub mod decode;
mod extract;
pub mod model;
pub mod report;
pub mod strings;
pub mod syntax;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::arch::Arch;
use crate::error::{Error, Result, MAX_PROBLEMS};

pub use model::{
    CatalogFile, Decoration, Device, FileRef, ModelsSection, Service, VersionInfo, Warning,
};

/// A parsed INF file and the answers to every query about it. Only what those answers need is
/// kept (the version fields, models, services, referenced files and warnings): the text and
/// the section tree are dropped once parsed, so a run over thousands of INFs holds kilobytes
/// per INF, not the file.
#[derive(Debug, Clone)]
pub struct Inf {
    path: PathBuf,
    encoding: &'static str,
    version: VersionInfo,
    models: Vec<ModelsSection>,
    services: Vec<Service>,
    files: Vec<FileRef>,
    warnings: Vec<Warning>,
}

/// The largest INF file read (real ones are a few hundred KB); the same cap on every path.
pub const MAX_BYTES: u64 = 32 * 1024 * 1024;

impl Inf {
    /// Read, decode and parse the INF at `path`.
    pub fn load(path: &Path) -> Result<Inf> {
        let bytes = crate::regular::read_at_most(path, MAX_BYTES, "an INF file")?;
        Inf::parse(path, &bytes)
    }

    /// Decode and parse INF `bytes`; `path` is only used in messages and reports.
    ///
    /// Fails when the bytes are not an INF at all (NUL characters after decoding, or no
    /// `[Version]` section) and when Windows would not read it as written (an unterminated
    /// quote, a `[Strings]` value naming another string, a string over 4096 characters, a line
    /// over 1 MiB): every such problem is reported, each at its line. Everything else that is odd
    /// but readable becomes a [`Warning`].
    pub fn parse(path: &Path, bytes: &[u8]) -> Result<Inf> {
        let decoded = decode::decode(bytes);
        // UTF-16 files padded with NULs decode to trailing U+0000: padding, not content.
        let text = decoded.text.trim_end_matches('\0').to_string();
        if let Some(offset) = text.find('\0') {
            return Err(Error::at(
                path,
                &text,
                offset,
                1,
                format!(
                    "NUL character in text decoded as {}: not an INF file",
                    decoded.encoding
                ),
            )
            .with_help("INF files are text: UTF-8, UTF-16 (LE or BE) or Windows-1252"));
        }
        let (mut sections, mut warnings) = syntax::parse(&text);
        if decoded.had_errors {
            warnings.insert(
                0,
                Warning::new(
                    1,
                    format!(
                        "malformed {} sequences were replaced with U+FFFD",
                        decoded.encoding
                    ),
                ),
            );
        }
        if sections.get("Version").is_none() {
            return Err(Error::at_line(
                path,
                &text,
                1,
                1,
                "no [Version] section: not an INF file",
            )
            .with_help(
                "every INF starts with [Version] and Signature=\"$Windows NT$\"; check the file and its encoding",
            ));
        }
        let table = strings::Strings::from_sections(&sections);
        table.apply(&mut sections, &mut warnings);
        table.check(&sections, &mut warnings);
        refuse_fatal(path, &text, &mut warnings)?;
        let extracted = extract::extract(&sections, &mut warnings);
        warnings.sort_by_key(|w| w.line);
        Ok(Inf {
            path: path.to_path_buf(),
            encoding: decoded.encoding,
            version: extracted.version,
            models: extracted.models,
            services: extracted.services,
            files: extracted.files,
            warnings,
        })
    }

    /// The path as given to [`Inf::load`] or [`Inf::parse`].
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The detected encoding: `utf-8`, `utf-8-bom`, `utf-16le`, `utf-16le-bom`, `utf-16be`,
    /// `utf-16be-bom` or `windows-1252`.
    pub fn encoding(&self) -> &'static str {
        self.encoding
    }

    /// The `[Version]` fields.
    pub fn version(&self) -> &VersionInfo {
        &self.version
    }

    /// Every existing models section reached from `[Manufacturer]`, in `[Manufacturer]` order.
    pub fn models(&self) -> &[ModelsSection] {
        &self.models
    }

    /// Every hardware and compatible ID of every models section, in file order, deduplicated
    /// case-insensitively (first spelling kept).
    pub fn hardware_ids(&self) -> Vec<&str> {
        let mut devices: Vec<&Device> = self.models.iter().flat_map(|m| &m.devices).collect();
        devices.sort_by_key(|d| d.line);
        let mut seen = BTreeSet::new();
        devices
            .into_iter()
            .flat_map(|d| d.hardware_ids.iter())
            .filter(|h| seen.insert(syntax::fold(h)))
            .map(String::as_str)
            .collect()
    }

    /// Whether a models section with at least one device serves `arch`: `NTamd64` for amd64,
    /// `NTarm64` for arm64, `NTx86` or undecorated (or plain `NT`) for x86. An empty section
    /// does not count: vendors use one to block installation on a platform.
    pub fn has_models_for(&self, arch: Arch) -> bool {
        self.models
            .iter()
            .any(|m| !m.devices.is_empty() && m.decoration.serves(arch))
    }

    /// Every `AddService` entry of every `*.Services` section, in file order.
    pub fn services(&self) -> &[Service] {
        &self.services
    }

    /// The services installed for devices with a hardware ID matching `hwid_matches`: the
    /// `AddService` entries of their `DDInstall[.platform].Services` sections, the function
    /// driver (flag 0x2) first, then file order; null services excluded, each name once.
    pub fn function_services(&self, hwid_matches: &dyn Fn(&str) -> bool) -> Vec<&Service> {
        let mut wanted = BTreeSet::new();
        for device in self.models.iter().flat_map(|m| &m.devices) {
            if device.hardware_ids.iter().any(|h| hwid_matches(h)) {
                let base = syntax::fold(&device.install_section);
                for platform in [
                    "", ".nt", ".ntx86", ".ntamd64", ".ntarm64", ".ntia64", ".ntarm",
                ] {
                    wanted.insert(format!("{base}{platform}.services"));
                }
            }
        }
        let mut found: Vec<&Service> = self
            .services
            .iter()
            .filter(|s| !s.is_null() && wanted.contains(&syntax::fold(&s.section)))
            .collect();
        found.sort_by_key(|s| (!s.is_function_driver(), s.line));
        let mut names = BTreeSet::new();
        found.retain(|s| names.insert(syntax::fold(&s.name)));
        found
    }

    /// Every file the INF references, sorted by name (case-insensitive) then directive; one
    /// entry per name and directive, at the first line that names it.
    pub fn referenced_files(&self) -> &[FileRef] {
        &self.files
    }

    /// Readable oddities (unterminated quotes, missing sections, unknown string tokens...).
    pub fn warnings(&self) -> &[Warning] {
        &self.warnings
    }
}

/// An error at the start of physical `line` (1-based) of `text`, given every line's start.
fn error_at(
    path: &Path,
    text: &str,
    starts: &[usize],
    line: usize,
    message: impl Into<String>,
) -> Error {
    let offset = starts
        .get(line.wrapping_sub(1))
        .copied()
        .unwrap_or(text.len());
    Error::at_position(path, text, offset, 1, (line, 1), message)
}

/// Take the fatal warnings out of `warnings`; if there were any, fail with every one of them
/// (the first [`MAX_PROBLEMS`] shown, the rest counted).
fn refuse_fatal(path: &Path, text: &str, warnings: &mut Vec<Warning>) -> Result<()> {
    let (mut fatal, rest): (Vec<Warning>, Vec<Warning>) =
        std::mem::take(warnings).into_iter().partition(|w| w.fatal);
    *warnings = rest;
    if fatal.is_empty() {
        return Ok(());
    }
    fatal.sort_by_key(|w| w.line);
    let total = fatal.len();
    let starts = syntax::line_starts(text);
    let problems = fatal
        .into_iter()
        .take(MAX_PROBLEMS)
        .map(|w| error_at(path, text, &starts, w.line, w.message))
        .collect();
    Err(Error::counted(
        format_args!("{}: not a usable INF", path.display()),
        problems,
        total,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const INF: &str = r#"; a device with two architectures and a filter
[Version]
Signature = "$Windows NT$"
Class = System
ClassGuid = {4d36e97d-e325-11ce-bfc1-08002be10318}
Provider = %Vendor%
DriverVer = 01/02/2024,1.2.3.4
CatalogFile = dev.cat
CatalogFile.NTamd64 = dev64.cat

[Manufacturer]
%Vendor% = Models, NTx86, NTamd64, NTarm64

[Models.NTx86]
%Dev% = Dev_Inst, PCI\VEN_1AF4&DEV_1044, PCI\VEN_1AF4&DEV_1005

[Models.NTamd64]
%Dev% = Dev_Inst, pci\ven_1af4&dev_1044

[Models.NTarm64]
; empty: blocks arm64

[Dev_Inst.NT]
CopyFiles = Dev_Files, @extra.dll

[Dev_Inst.NT.Services]
AddService = filter, 0, Filter_Svc
AddService = dev, 0x00000002, Dev_Svc

[Other.NT.Services]
AddService = ,2

[Dev_Svc]
ServiceBinary = %12%\dev.sys

[Filter_Svc]
ServiceBinary = %12%\filter.sys

[Dev_Files]
dev.sys
renamed.sys, source.sys

[SourceDisksFiles]
dev.sys = 1

[Strings]
Vendor = "Example, Inc."
Dev = "Example device"
"#;

    fn inf() -> Inf {
        Inf::parse(Path::new("dev.inf"), INF.as_bytes()).unwrap()
    }

    #[test]
    fn queries_answer_what_the_file_declares() {
        let inf = inf();
        assert_eq!(inf.encoding(), "utf-8");
        let v = inf.version();
        assert_eq!(v.provider.as_deref(), Some("Example, Inc."));
        assert_eq!(v.driver_ver.as_deref(), Some("01/02/2024,1.2.3.4"));
        assert_eq!(v.catalog_files.len(), 2);
        assert_eq!(v.catalog_files[1].decoration.as_deref(), Some("NTamd64"));
        let sections: Vec<&str> = inf.models().iter().map(|m| m.section.as_str()).collect();
        assert_eq!(
            sections,
            ["Models.NTx86", "Models.NTamd64", "Models.NTarm64"]
        );
        assert_eq!(
            inf.hardware_ids(),
            ["PCI\\VEN_1AF4&DEV_1044", "PCI\\VEN_1AF4&DEV_1005"]
        );
        assert!(inf.has_models_for(Arch::X86));
        assert!(inf.has_models_for(Arch::Amd64));
        assert!(!inf.has_models_for(Arch::Arm64));
        let names: Vec<&str> = inf.services().iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["filter", "dev", ""]);
        assert_eq!(inf.services()[1].service_binary.as_deref(), Some("dev.sys"));
        assert!(inf.services()[2].is_null());
        assert!(inf.warnings().is_empty(), "{:?}", inf.warnings());
    }

    #[test]
    fn function_driver_comes_first_and_null_services_are_excluded() {
        let inf = inf();
        let hit = inf.function_services(&|h| h.eq_ignore_ascii_case("PCI\\VEN_1AF4&DEV_1044"));
        let names: Vec<&str> = hit.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["dev", "filter"]);
        assert!(inf.function_services(&|_| false).is_empty());
    }

    #[test]
    fn referenced_files_cover_every_directive() {
        let inf = inf();
        let files: Vec<(&str, &str)> = inf
            .referenced_files()
            .iter()
            .map(|f| (f.name.as_str(), f.directive))
            .collect();
        assert_eq!(
            files,
            [
                ("dev.cat", "CatalogFile"),
                ("dev.sys", "CopyFiles"),
                ("dev.sys", "ServiceBinary"),
                ("dev.sys", "SourceDisksFiles"),
                ("dev64.cat", "CatalogFile"),
                ("extra.dll", "CopyFiles"),
                ("filter.sys", "ServiceBinary"),
                ("source.sys", "CopyFiles"),
            ]
        );
    }

    #[test]
    fn not_an_inf_is_an_error_with_file_and_line() {
        let e = Inf::parse(Path::new("x.inf"), b"hello\n").unwrap_err();
        assert!(e.to_string().starts_with("x.inf:1:1: no [Version]"), "{e}");
        let e = Inf::parse(Path::new("b.inf"), b"[Version]\n\0\x01\x02").unwrap_err();
        assert!(e.to_string().starts_with("b.inf:"), "{e}");
    }

    #[test]
    fn readable_oddities_become_warnings_with_their_line() {
        let text = "[Version]\nSignature=\"$Windows NT$\"\n\
                    [Manufacturer]\n%Mfg% = Gone, NTamd64\n\
                    [I.NT]\nCopyFiles = NoSuchList\n\
                    [I.NT.Services]\nAddService = svc, 0x2, NoSuchInst\nAddService = x, junk\n\
                    [Strings]\nMfg = M\n";
        let inf = Inf::parse(Path::new("w.inf"), text.as_bytes()).unwrap();
        let got: Vec<(usize, bool)> = inf
            .warnings()
            .iter()
            .map(|w| {
                (
                    w.line,
                    w.message.contains("does not exist") || w.message.contains("not a number"),
                )
            })
            .collect();
        assert_eq!(
            got,
            [(4, true), (6, true), (8, true), (9, true)],
            "{:?}",
            inf.warnings()
        );
        assert!(inf.models().is_empty());
        assert_eq!(inf.services().len(), 2);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        // Deterministic xorshift: INF-ish alphabets and raw bytes, through every encoding path.
        let alphabet =
            b"[]=,;\"\\%\r\n \tVersionManufacturerAddServiceCopyFiles@.NTamd64\x00\xff\xfe\xe9";
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for round in 0..3000 {
            let len = (next() % 200) as usize;
            let mut bytes: Vec<u8> = if round % 3 == 0 {
                (0..len).map(|_| next() as u8).collect()
            } else {
                (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect()
            };
            if round % 5 == 0 {
                bytes.splice(0..0, b"[Version]\n".iter().copied());
            }
            if let Ok(inf) = Inf::parse(Path::new("fuzz.inf"), &bytes) {
                let _ = report::text(&inf);
                let _ = inf.hardware_ids();
                let _ = inf.function_services(&|_| true);
            }
        }
    }
}
