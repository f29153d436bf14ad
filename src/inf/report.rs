//! The `aero-recipe inf` report: what the tool sees in an INF, as text for people and as stable
//! JSON for scripts and checks.

use std::fmt::Write as _;

use serde::Serialize;

use super::Inf;
use crate::arch::Arch;
use crate::error::{Error, Result};

/// The machine-readable report of one INF (`aero-recipe inf --json` prints an array of these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InfReport {
    /// The file as given (command-line argument or recipe path).
    pub file: String,
    /// The detected encoding (see [`Inf::encoding`]).
    pub encoding: &'static str,
    /// The `[Version]` fields.
    pub version: VersionReport,
    /// The models sections reached from `[Manufacturer]`.
    pub models: Vec<ModelsReport>,
    /// Every `AddService` entry, in file order.
    pub services: Vec<ServiceReport>,
    /// Every referenced file, sorted by name then directive.
    pub referenced_files: Vec<FileRefReport>,
    /// Oddities that did not stop reading, in line order.
    pub warnings: Vec<WarningReport>,
}

/// `[Version]` fields in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VersionReport {
    /// `Class`.
    pub class: Option<String>,
    /// `ClassGuid`.
    pub class_guid: Option<String>,
    /// `Provider`.
    pub provider: Option<String>,
    /// `DriverVer` (`date,version`).
    pub driver_ver: Option<String>,
    /// Every `CatalogFile[.decoration]` entry.
    pub catalog_files: Vec<CatalogFileReport>,
}

/// One `CatalogFile` entry in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogFileReport {
    /// The key as written (`CatalogFile.NTamd64`).
    pub key: String,
    /// The part after `CatalogFile.`, if any.
    pub decoration: Option<String>,
    /// The catalog file name.
    pub file: String,
}

/// One models section in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelsReport {
    /// The section name as written.
    pub section: String,
    /// `x86`, `amd64`, `arm64`, or null when no (supported) architecture is named.
    pub arch: Option<Arch>,
    /// The OS part of the decoration (`6.1`), if any.
    pub os_version: Option<String>,
    /// The decoration as written (`NTamd64.6.1`); empty when undecorated.
    pub decoration: String,
    /// The devices of the section.
    pub devices: Vec<DeviceReport>,
}

/// One device line in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceReport {
    /// The device description.
    pub description: String,
    /// The DDInstall section.
    pub install_section: String,
    /// Hardware ID then compatible IDs.
    pub hardware_ids: Vec<String>,
}

/// One `AddService` entry in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceReport {
    /// The service name (empty for a null service).
    pub name: String,
    /// The flags (0x2: function driver).
    pub flags: u32,
    /// The service-install section.
    pub install_section: Option<String>,
    /// The file name of its `ServiceBinary`.
    pub service_binary: Option<String>,
}

/// One referenced file in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileRefReport {
    /// The file name as written.
    pub name: String,
    /// The directive naming it.
    pub directive: &'static str,
}

/// One warning in the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WarningReport {
    /// 1-based line.
    pub line: usize,
    /// What is odd.
    pub message: String,
}

impl InfReport {
    /// The report of `inf`, naming the file as its path was given.
    pub fn new(inf: &Inf) -> InfReport {
        let v = inf.version();
        InfReport {
            file: inf.path().display().to_string(),
            encoding: inf.encoding(),
            version: VersionReport {
                class: v.class.clone(),
                class_guid: v.class_guid.clone(),
                provider: v.provider.clone(),
                driver_ver: v.driver_ver.clone(),
                catalog_files: v
                    .catalog_files
                    .iter()
                    .map(|c| CatalogFileReport {
                        key: c.key.clone(),
                        decoration: c.decoration.clone(),
                        file: c.file.clone(),
                    })
                    .collect(),
            },
            models: inf
                .models()
                .iter()
                .map(|m| ModelsReport {
                    section: m.section.clone(),
                    arch: m.decoration.arch,
                    os_version: m.decoration.os_version.clone(),
                    decoration: m.decoration.raw.clone(),
                    devices: m
                        .devices
                        .iter()
                        .map(|d| DeviceReport {
                            description: d.description.clone(),
                            install_section: d.install_section.clone(),
                            hardware_ids: d.hardware_ids.clone(),
                        })
                        .collect(),
                })
                .collect(),
            services: inf
                .services()
                .iter()
                .map(|s| ServiceReport {
                    name: s.name.clone(),
                    flags: s.flags,
                    install_section: s.install_section.clone(),
                    service_binary: s.service_binary.clone(),
                })
                .collect(),
            referenced_files: inf
                .referenced_files()
                .iter()
                .map(|f| FileRefReport {
                    name: f.name.clone(),
                    directive: f.directive,
                })
                .collect(),
            warnings: inf
                .warnings()
                .iter()
                .map(|w| WarningReport {
                    line: w.line,
                    message: w.message.clone(),
                })
                .collect(),
        }
    }
}

/// The JSON report of several INFs: one pretty-printed array, newline-terminated.
pub fn json(infs: &[Inf]) -> Result<String> {
    let reports: Vec<InfReport> = infs.iter().map(InfReport::new).collect();
    let mut out = serde_json::to_string_pretty(&reports)
        .map_err(|e| Error::invalid(format!("cannot render the INF report as JSON: {e}")))?;
    out.push('\n');
    Ok(out)
}

/// Widest the file-name column of the text report gets.
const MAX_NAME_COLUMN: usize = 40;

/// The readable report of one INF, with line numbers so each item can be found in the file.
pub fn text(inf: &Inf) -> String {
    let file = inf.path().display().to_string();
    let mut o = String::new();
    let _ = writeln!(o, "{file}");
    let _ = writeln!(o, "  encoding:    {}", inf.encoding());
    let v = inf.version();
    let field = |x: &Option<String>| x.clone().unwrap_or_else(|| "-".into());
    let _ = writeln!(o, "  class:       {}", field(&v.class));
    let _ = writeln!(o, "  class guid:  {}", field(&v.class_guid));
    let _ = writeln!(o, "  provider:    {}", field(&v.provider));
    let _ = writeln!(o, "  driver ver:  {}", field(&v.driver_ver));
    if v.catalog_files.is_empty() {
        let _ = writeln!(o, "  catalog:     -");
    }
    for c in &v.catalog_files {
        let _ = writeln!(
            o,
            "  catalog:     {} = {}  (line {})",
            c.key, c.file, c.line
        );
    }

    let _ = writeln!(o, "  models:{}", none_if(inf.models().is_empty()));
    for m in inf.models() {
        let d = &m.decoration;
        let what = if d.raw.is_empty() {
            "undecorated".to_string()
        } else {
            let arch = d.arch.map_or("no arch".to_string(), |a| a.to_string());
            let os = d
                .os_version
                .as_deref()
                .map_or(String::new(), |os| format!(", OS {os}"));
            format!("{} ({arch}{os})", d.raw)
        };
        let _ = writeln!(o, "    [{}]  {what}  (line {})", m.section, m.line);
        for dev in &m.devices {
            let _ = writeln!(
                o,
                "      {} -> [{}]  (line {})",
                dev.description, dev.install_section, dev.line
            );
            for h in &dev.hardware_ids {
                let _ = writeln!(o, "        {h}");
            }
        }
    }

    let _ = writeln!(o, "  services:{}", none_if(inf.services().is_empty()));
    for s in inf.services() {
        let name = if s.is_null() {
            "(null service)"
        } else {
            &s.name
        };
        let role = if s.is_function_driver() {
            " function driver"
        } else {
            ""
        };
        let install = s
            .install_section
            .as_deref()
            .map_or(String::new(), |i| format!("  install [{i}]"));
        let binary = s
            .service_binary
            .as_deref()
            .map_or(String::new(), |b| format!("  binary {b}"));
        let _ = writeln!(
            o,
            "    {name}  flags 0x{:08X}{role}{install}{binary}  ([{}] line {})",
            s.flags, s.section, s.line
        );
    }

    let _ = writeln!(
        o,
        "  referenced files:{}",
        none_if(inf.referenced_files().is_empty())
    );
    // Align on the longest name up to a limit: one huge name must not pad every other line
    // (nor exceed the widths `format!` accepts).
    let width = inf
        .referenced_files()
        .iter()
        .map(|f| f.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(MAX_NAME_COLUMN);
    for f in inf.referenced_files() {
        let _ = writeln!(
            o,
            "    {:<width$}  {:<16}  (line {})",
            f.name, f.directive, f.line
        );
    }

    if !inf.warnings().is_empty() {
        let _ = writeln!(o, "  warnings:");
        for w in inf.warnings() {
            let _ = writeln!(o, "    {file}:{}: {}", w.line, w.message);
        }
    }
    o
}

fn none_if(empty: bool) -> &'static str {
    if empty {
        " none"
    } else {
        ""
    }
}
