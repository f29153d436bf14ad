//! From parsed sections to what the INF declares: `[Version]`, models sections reached from
//! `[Manufacturer]`, `AddService` entries, and every file the INF references.

use std::collections::{BTreeMap, BTreeSet};

use super::model::{
    CatalogFile, Decoration, Device, FileRef, ModelsSection, Service, VersionInfo, Warning,
};
use super::strings::is_strings_section;
use super::syntax::{eq_name, fold, Section, Sections};

/// Everything the queries answer, computed once when an INF is loaded.
pub(super) struct Extracted {
    pub version: VersionInfo,
    pub models: Vec<ModelsSection>,
    pub services: Vec<Service>,
    pub files: Vec<FileRef>,
}

/// Read the declarations out of substituted sections; oddities become warnings.
pub(super) fn extract(sections: &Sections, warnings: &mut Vec<Warning>) -> Extracted {
    let version = version(sections, warnings);
    let models = models(sections, warnings);
    let (services, binaries) = services(sections, warnings);
    let files = referenced_files(sections, &version, binaries, warnings);
    Extracted {
        version,
        models,
        services,
        files,
    }
}

fn version(sections: &Sections, warnings: &mut Vec<Warning>) -> VersionInfo {
    let Some(v) = sections.get("Version") else {
        return VersionInfo::default();
    };
    if v.value("Signature").is_none() {
        warnings.push(Warning::new(
            v.line,
            "[Version] has no Signature (expected \"$Windows NT$\")",
        ));
    }
    let text = |key: &str| {
        v.entries_named(key)
            .next()
            .map(|e| e.values.join(","))
            .filter(|s| !s.is_empty())
    };
    let catalog_files = v
        .entries
        .iter()
        .filter_map(|e| {
            let key = e.key.as_deref()?;
            let decoration = match key.split_once('.') {
                Some((head, deco)) if eq_name(head, "CatalogFile") => Some(deco.to_string()),
                None if eq_name(key, "CatalogFile") => None,
                _ => return None,
            };
            Some(CatalogFile {
                key: key.to_string(),
                decoration,
                file: e.values.first().cloned().unwrap_or_default(),
                line: e.line,
            })
        })
        .collect();
    VersionInfo {
        class: text("Class"),
        class_guid: text("ClassGuid"),
        provider: text("Provider"),
        driver_ver: text("DriverVer"),
        catalog_files,
    }
}

fn models(sections: &Sections, warnings: &mut Vec<Warning>) -> Vec<ModelsSection> {
    let Some(mfg) = sections.get("Manufacturer") else {
        return Vec::new();
    };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for entry in &mfg.entries {
        let base = entry.values.first().map(String::as_str).unwrap_or("");
        if base.is_empty() {
            warnings.push(Warning::new(
                entry.line,
                "[Manufacturer] entry names no models section",
            ));
            continue;
        }
        let decorations: Vec<&str> = entry
            .values
            .iter()
            .skip(1)
            .map(String::as_str)
            .filter(|d| !d.is_empty())
            .collect();
        let mut candidates = vec![(base.to_string(), Decoration::none())];
        for d in &decorations {
            candidates.push((format!("{base}.{d}"), Decoration::parse(d)));
        }
        for (i, (name, decoration)) in candidates.into_iter().enumerate() {
            let Some(section) = sections.get(&name) else {
                // The undecorated section is optional once decorations are listed.
                if i > 0 || decorations.is_empty() {
                    warnings.push(Warning::new(
                        entry.line,
                        format!(
                            "[Manufacturer] names models section [{name}], which does not exist"
                        ),
                    ));
                }
                continue;
            };
            if !seen.insert(fold(&name)) {
                continue;
            }
            out.push(ModelsSection {
                section: section.name.clone(),
                decoration,
                devices: devices(section, warnings),
                line: section.line,
            });
        }
    }
    out
}

fn devices(section: &Section, warnings: &mut Vec<Warning>) -> Vec<Device> {
    let mut out = Vec::new();
    for entry in &section.entries {
        let Some(description) = &entry.key else {
            warnings.push(Warning::new(
                entry.line,
                format!(
                    "line in models section [{}] is not `description = install-section, hardware-id`; ignored",
                    section.name
                ),
            ));
            continue;
        };
        let install_section = entry.values.first().cloned().unwrap_or_default();
        let hardware_ids: Vec<String> = entry
            .values
            .iter()
            .skip(1)
            .filter(|h| !h.is_empty())
            .cloned()
            .collect();
        if hardware_ids.is_empty() {
            warnings.push(Warning::new(
                entry.line,
                format!("device `{description}` has no hardware ID"),
            ));
        }
        out.push(Device {
            description: description.clone(),
            install_section,
            hardware_ids,
            line: entry.line,
        });
    }
    out
}

/// A `ServiceBinary` file name and the line naming it.
type Binary = (String, usize);

fn services(sections: &Sections, warnings: &mut Vec<Warning>) -> (Vec<Service>, Vec<Binary>) {
    let mut out = Vec::new();
    let mut binaries = Vec::new();
    // Install sections already read, by folded name: each is searched once however many
    // AddService entries name it, and its own problems are reported once.
    let mut read: BTreeMap<String, Option<Binary>> = BTreeMap::new();
    for section in sections.all() {
        if !fold(&section.name).ends_with(".services") {
            continue;
        }
        for entry in section.entries_named("AddService") {
            let value = |i: usize| entry.values.get(i).map(String::as_str).unwrap_or("");
            let flags = match parse_flags(value(1)) {
                Some(f) => f,
                None => {
                    warnings.push(Warning::new(
                        entry.line,
                        format!(
                            "AddService flags `{}` are not a number; read as 0",
                            value(1)
                        ),
                    ));
                    0
                }
            };
            let install_section = Some(value(2)).filter(|s| !s.is_empty());
            let binary = install_section.and_then(|s| match read.get(&fold(s)) {
                Some(known) => known.clone(),
                None => {
                    let found = service_binary(sections, s, entry.line, warnings);
                    if sections.get(s).is_some() {
                        read.insert(fold(s), found.clone());
                    }
                    found
                }
            });
            if let Some(b) = &binary {
                binaries.push(b.clone());
            }
            out.push(Service {
                name: value(0).to_string(),
                flags,
                install_section: install_section.map(str::to_string),
                service_binary: binary.map(|(name, _)| name),
                section: section.name.clone(),
                line: entry.line,
            });
        }
    }
    (out, binaries)
}

/// The file name part of `ServiceBinary` in service-install section `name`.
fn service_binary(
    sections: &Sections,
    name: &str,
    line: usize,
    warnings: &mut Vec<Warning>,
) -> Option<Binary> {
    let Some(section) = sections.get(name) else {
        warnings.push(Warning::new(
            line,
            format!("AddService names install section [{name}], which does not exist"),
        ));
        return None;
    };
    let Some(entry) = section.entries_named("ServiceBinary").next() else {
        warnings.push(Warning::new(
            section.line,
            format!(
                "service install section [{}] has no ServiceBinary",
                section.name
            ),
        ));
        return None;
    };
    let path = entry.values.first().map(String::as_str).unwrap_or("");
    let file = path.rsplit(['\\', '/']).next().unwrap_or("").trim();
    if file.is_empty() {
        warnings.push(Warning::new(entry.line, "ServiceBinary names no file"));
        return None;
    }
    Some((file.to_string(), entry.line))
}

/// `AddService` flags: hexadecimal with `0x`, or decimal; empty means 0.
fn parse_flags(text: &str) -> Option<u32> {
    let t = text.trim();
    if t.is_empty() {
        return Some(0);
    }
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => t.parse().ok(),
    }
}

fn referenced_files(
    sections: &Sections,
    version: &VersionInfo,
    binaries: Vec<Binary>,
    warnings: &mut Vec<Warning>,
) -> Vec<FileRef> {
    let mut out = Vec::new();
    let mut add = |name: &str, directive: &'static str, line: usize| {
        let name = name.trim();
        if !name.is_empty() {
            out.push(FileRef {
                name: name.to_string(),
                directive,
                line,
            });
        }
    };
    for c in &version.catalog_files {
        add(&c.file, "CatalogFile", c.line);
    }
    // A list gives the same references however often it is named: read each one once (an INF
    // naming a big list a million times would otherwise multiply the two).
    let mut lists_read: BTreeSet<String> = BTreeSet::new();
    for section in sections.all() {
        if is_strings_section(&section.name) {
            continue;
        }
        let folded = fold(&section.name);
        let disk_files = folded == "sourcedisksfiles" || folded.starts_with("sourcedisksfiles.");
        for entry in &section.entries {
            if disk_files {
                if let Some(name) = entry.tokens().next() {
                    add(name, "SourceDisksFiles", entry.line);
                }
            }
            match entry.key.as_deref() {
                Some(k) if eq_name(k, "CopyFiles") => {
                    for target in entry.values.iter().filter(|v| !v.is_empty()) {
                        match target.strip_prefix('@') {
                            Some(file) => add(file, "CopyFiles", entry.line),
                            None => copy_list(
                                sections,
                                target,
                                entry.line,
                                &mut lists_read,
                                &mut add,
                                warnings,
                            ),
                        }
                    }
                }
                Some(k) if eq_name(k, "CopyINF") => {
                    for file in &entry.values {
                        add(
                            file.strip_prefix('@').unwrap_or(file),
                            "CopyINF",
                            entry.line,
                        );
                    }
                }
                _ => {}
            }
            for token in entry.tokens() {
                for dll in wdf_coinstallers(token) {
                    add(dll, "WdfCoInstaller", entry.line);
                }
            }
        }
    }
    for (name, line) in binaries {
        add(&name, "ServiceBinary", line);
    }
    out.sort_by(|a, b| {
        (fold(&a.name), a.directive, a.line).cmp(&(fold(&b.name), b.directive, b.line))
    });
    out.dedup_by(|later, first| {
        later.directive == first.directive && eq_name(&later.name, &first.name)
    });
    out
}

/// The files of a CopyFiles list section: `destination[, source[, unused[, flags]]]`; the
/// source name, when given, is the file that must ship.
fn copy_list(
    sections: &Sections,
    name: &str,
    line: usize,
    lists_read: &mut BTreeSet<String>,
    add: &mut dyn FnMut(&str, &'static str, usize),
    warnings: &mut Vec<Warning>,
) {
    let Some(list) = sections.get(name) else {
        warnings.push(Warning::new(
            line,
            format!("CopyFiles names section [{name}], which does not exist (use `@file` for a single file)"),
        ));
        return;
    };
    if !lists_read.insert(fold(&list.name)) {
        return;
    }
    for entry in &list.entries {
        let mut tokens = entry.tokens();
        let dest = tokens.next().unwrap_or("");
        let source = tokens.next().filter(|s| !s.trim().is_empty());
        add(source.unwrap_or(dest), "CopyFiles", entry.line);
    }
}

/// Every `WdfCoInstaller*.dll` file name inside `token` (KMDF co-installer DLLs).
fn wdf_coinstallers(token: &str) -> Vec<&str> {
    const STEM: &str = "wdfcoinstaller";
    let lower = token.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let word = |i: usize| {
        bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_')
    };
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = lower.get(from..).and_then(|s| s.find(STEM)) {
        let start = from + found;
        let mut end = start + STEM.len();
        while word(end) {
            end += 1;
        }
        from = end;
        let starts_word = start == 0 || !word(start - 1);
        let ends_dll = lower.get(end..).is_some_and(|s| s.starts_with(".dll")) && !word(end + 4);
        if starts_word && ends_dll {
            if let Some(name) = token.get(start..end + 4) {
                out.push(name);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags() {
        assert_eq!(parse_flags("0x00000002"), Some(2));
        assert_eq!(parse_flags("0X800"), Some(0x800));
        assert_eq!(parse_flags("2"), Some(2));
        assert_eq!(parse_flags(""), Some(0));
        assert_eq!(parse_flags("two"), None);
    }

    #[test]
    fn coinstaller_names() {
        assert_eq!(
            wdf_coinstallers("WdfCoInstaller01009.dll,WdfCoInstaller"),
            vec!["WdfCoInstaller01009.dll"]
        );
        assert_eq!(
            wdf_coinstallers("%12%\\wdfcoinstaller01011.DLL"),
            vec!["wdfcoinstaller01011.DLL"]
        );
        assert!(wdf_coinstallers("MyWdfCoInstaller01009.dll").is_empty());
        assert!(wdf_coinstallers("WdfCoInstaller01009.dllx").is_empty());
        assert!(wdf_coinstallers("WdfCoInstaller").is_empty());
    }
}
