//! Driver validation: a [`DriverSet`] checked against a [`Spec`], every problem collected.
//!
//! The rules (FIELD-NOTES section 1 "Driver tree rules", plus per-arch models sections):
//! required drivers present on every architecture of the set, optional ones warned about (or
//! required on all arches once present on one), unlisted directories warned about or refused,
//! refused files, Windows-valid paths without case collisions, at least one `.inf`/`.sys`/`.cat`,
//! every file an INF references shipped, each INF declaring models for its architecture, and
//! the spec's expected INF files, services and hardware IDs.

use rayon::prelude::*;
use std::collections::BTreeMap;

use crate::arch::Arch;
pub use crate::diagnostics::{Problem, Report};
use crate::drivers::{DriverSet, Package};
use crate::inf::{Decoration, Inf};
use crate::policy::{self, Allow, Decision};
use crate::spec::{DevicesCmdVars, DriverSpec, Spec};
use crate::winpath;

/// Check `set` against `spec`. `devices_cmd_vars` are the variables of the devices.cmd the
/// media will carry (needed by specs that read `*_from_devices_cmd_var`).
pub fn validate(set: &DriverSet, spec: &Spec, devices_cmd_vars: Option<&DevicesCmdVars>) -> Report {
    let mut r = Report::default();
    r.merge(set.load_problems());
    let arches = set.arches();
    if arches.is_empty() {
        r.error(None, "the driver set has no architectures");
    }

    // Presence of each listed driver on each architecture.
    for d in spec.drivers() {
        let mut present = Vec::new();
        let mut missing = Vec::new();
        for &arch in &arches {
            let found = set.packages_named(arch, &d.name);
            if found.len() > 1 {
                let names: Vec<&str> = found.iter().map(|p| p.origin.as_str()).collect();
                r.error(
                    None,
                    format!(
                        "both {} are present; `aero-gpu` is the old name of `aerogpu`: keep only `aerogpu`",
                        names.join(" and ")
                    ),
                );
            }
            if found.is_empty() {
                missing.push(arch);
            } else {
                present.push(arch);
            }
        }
        if d.required {
            for arch in &missing {
                r.error(
                    None,
                    format!("required driver `{}` is missing for {arch}", d.name),
                );
            }
        } else if present.is_empty() && !missing.is_empty() {
            r.warn(
                None,
                format!(
                    "optional driver `{}` was not found for any architecture; media is built without it",
                    d.name
                ),
            );
        } else {
            for arch in &missing {
                let msg = format!(
                    "optional driver `{}` is present for {} but missing for {arch}",
                    d.name,
                    list(&present)
                );
                if spec.require_optional_drivers_on_all_arches {
                    r.error(
                        None,
                        format!("{msg} (require_optional_drivers_on_all_arches)"),
                    );
                } else {
                    r.warn(None, msg);
                }
            }
        }
    }

    // Packages are checked in parallel (policy reads every file that would ship, catalog
    // checks hash binaries), each into its own report, merged in package order.
    let per_package: Vec<Report> = set
        .packages()
        .par_iter()
        .map(|pkg| {
            let mut r = Report::default();
            let Some(entry) = spec.driver(&pkg.name) else {
                let msg = format!(
                    "driver directory `{}` is not listed in the packaging spec; it is not shipped",
                    pkg.name
                );
                if spec.fail_on_unlisted_driver_dirs {
                    r.error(
                        Some(pkg.origin.clone()),
                        format!("{msg} (fail_on_unlisted_driver_dirs)"),
                    );
                } else {
                    r.warn(Some(pkg.origin.clone()), msg);
                }
                return r;
            };
            if pkg.name.eq_ignore_ascii_case("aero-gpu") {
                r.warn(
                    Some(pkg.origin.clone()),
                    "`aero-gpu` is the old directory name; it is shipped as `aerogpu` (rename the input directory)",
                );
            }
            check_package(pkg, Some(entry), devices_cmd_vars, &mut r);
            r
        })
        .collect();
    for p in &per_package {
        r.merge(p);
    }
    r
}

fn list(arches: &[Arch]) -> String {
    arches
        .iter()
        .map(|a| a.media_dir())
        .collect::<Vec<_>>()
        .join(", ")
}

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// The rules every shipped package must meet whether or not a spec lists it: policy,
/// Windows paths, .inf/.sys/.cat present, models for its arch, referenced files shipped.
/// Used for spec-less media (driver packs, `$WinPEDriver$`); [`validate`] applies them too.
pub fn validate_packages(set: &DriverSet) -> Report {
    let mut r = Report::default();
    r.merge(set.load_problems());
    let per_package: Vec<Report> = set
        .packages()
        .par_iter()
        .map(|pkg| {
            let mut r = Report::default();
            check_package(pkg, None, None, &mut r);
            r
        })
        .collect();
    for p in &per_package {
        r.merge(p);
    }
    r
}

fn check_package(
    pkg: &Package,
    d: Option<&DriverSpec>,
    vars: Option<&DevicesCmdVars>,
    r: &mut Report,
) {
    let arch = pkg.arch;
    let allow = match d {
        Some(d) => Allow::from_driver(d),
        None => Allow::default(),
    };
    let mut shipped: Vec<&str> = Vec::new();
    let mut skipped: BTreeMap<String, String> = BTreeMap::new();
    for (f, decision) in pkg.decisions(&allow) {
        match decision {
            Ok(Decision::Ship) => shipped.push(&f.path),
            Ok(Decision::Skip(why)) => {
                skipped.insert(base_name(&f.path).to_lowercase(), why);
            }
            Ok(Decision::Refuse(why)) => r.error(Some(pkg.label(&f.path)), why),
            Err(e) => r.error(Some(pkg.label(&f.path)), e.to_string()),
        }
    }

    for rel in &shipped {
        if let Some(p) = winpath::windows_path_problem(rel) {
            r.error(
                Some(pkg.label(rel)),
                format!("not a valid Windows path: {p}"),
            );
        }
    }
    for set in winpath::case_collisions(shipped.iter().copied()) {
        r.error(
            Some(pkg.origin.clone()),
            format!(
                "paths collide on Windows (names differ only in case): {}",
                set.join(", ")
            ),
        );
    }

    let has_ext = |e: &str| {
        shipped
            .iter()
            .any(|s| policy::extension(s).as_deref() == Some(e))
    };
    let lacking: Vec<&str> = ["inf", "sys", "cat"]
        .into_iter()
        .filter(|e| !has_ext(e))
        .collect();
    if !lacking.is_empty() {
        r.error(
            Some(pkg.origin.clone()),
            format!(
                "a driver package needs at least one .inf, .sys and .cat file; none shipped: .{}",
                lacking.join(", .")
            ),
        );
    }

    let mut infs: Vec<(&str, std::sync::Arc<Inf>)> = Vec::new();
    for rel in shipped
        .iter()
        .filter(|s| policy::extension(s).as_deref() == Some("inf"))
    {
        match pkg.inf(rel) {
            Ok(inf) => infs.push((rel, inf)),
            Err(e) => r.error(Some(pkg.label(rel)), format!("unreadable INF: {e}")),
        }
    }

    // Per-arch models, and every referenced file shipped (one error for the package).
    let shipped_names: std::collections::BTreeSet<String> = shipped
        .iter()
        .map(|s| base_name(s).to_lowercase())
        .collect();
    // Missing file -> (INF, how it names it) in first-seen order, so each file is listed once.
    let mut missing: Vec<(String, Vec<String>)> = Vec::new();
    for (rel, inf) in &infs {
        if !inf.has_models_for(arch) {
            let have: Vec<String> = inf
                .models()
                .iter()
                .filter(|m| !m.devices.is_empty())
                .map(|m| format!("[{}]", m.section))
                .collect();
            r.error(
                Some(pkg.label(rel)),
                format!(
                    "shipped for {arch} but declares no {} models section (it has: {})",
                    arch_models_hint(arch),
                    if have.is_empty() {
                        "none".into()
                    } else {
                        have.join(", ")
                    }
                ),
            );
        }
        for (name, how) in required_files(inf, arch) {
            let key = base_name(&name).to_lowercase();
            if key.is_empty() || shipped_names.contains(&key) {
                continue;
            }
            let by = format!("{rel} {how}");
            match missing
                .iter_mut()
                .find(|(n, _)| base_name(n).eq_ignore_ascii_case(&key))
            {
                Some((_, refs)) => refs.push(by),
                None => missing.push((name, vec![by])),
            }
        }
    }
    if !missing.is_empty() {
        let items: Vec<String> = missing
            .iter()
            .map(|(name, refs)| {
                let hint = skipped
                    .get(&base_name(name).to_lowercase())
                    .map(|why| format!(" [present but skipped: {why}]"))
                    .unwrap_or_default();
                format!("{name} (named by {}){hint}", refs.join(", "))
            })
            .collect();
        r.error(
            Some(pkg.origin.clone()),
            format!(
                "{} file(s) referenced by the INFs are not shipped: {}",
                items.len(),
                items.join("; ")
            ),
        );
    }

    // The rest compares the package with what its spec entry expects.
    let Some(d) = d else {
        return;
    };
    for want in &d.expected_inf_files {
        if !infs
            .iter()
            .any(|(rel, _)| base_name(rel).eq_ignore_ascii_case(want))
        {
            let have: Vec<&str> = infs.iter().map(|(rel, _)| *rel).collect();
            r.error(
                Some(pkg.origin.clone()),
                format!(
                    "expected INF `{want}` is not shipped (INFs shipped: {})",
                    if have.is_empty() {
                        "none".into()
                    } else {
                        have.join(", ")
                    }
                ),
            );
        }
    }

    let services: Vec<&str> = infs
        .iter()
        .flat_map(|(_, i)| i.services().iter())
        .filter(|s| !s.is_null())
        .map(|s| s.name.as_str())
        .collect();
    match d.all_expected_services(vars) {
        Ok(expected) => {
            for want in expected {
                if !services.iter().any(|s| s.eq_ignore_ascii_case(&want)) {
                    r.error(
                        Some(pkg.origin.clone()),
                        format!(
                            "no shipped INF installs service `{want}` with AddService (services found: {})",
                            if services.is_empty() { "none".into() } else { services.join(", ") }
                        ),
                    );
                }
            }
        }
        Err(e) => r.error(Some(pkg.origin.clone()), e.to_string()),
    }

    let hwids: Vec<&str> = infs.iter().flat_map(|(_, i)| i.hardware_ids()).collect();
    let shown = || {
        if hwids.is_empty() {
            "none".to_string()
        } else if hwids.len() > 8 {
            format!("{}, ... ({} in all)", hwids[..8].join(", "), hwids.len())
        } else {
            hwids.join(", ")
        }
    };
    for re in &d.expected_hardware_ids {
        if !hwids.iter().any(|h| re.is_match(h)) {
            r.error(
                Some(pkg.origin.clone()),
                format!(
                    "no hardware ID in the INFs matches `{}` (hardware IDs found: {})",
                    re.as_str(),
                    shown()
                ),
            );
        }
    }
    match d.devices_cmd_hardware_ids(vars) {
        Ok(bases) => {
            for base in bases {
                let found = hwids.iter().any(|h| {
                    h.len() >= base.len()
                        && h.is_char_boundary(base.len())
                        && h[..base.len()].eq_ignore_ascii_case(&base)
                        && matches!(h.as_bytes().get(base.len()), None | Some(b'&'))
                });
                if !found {
                    let var = d
                        .expected_hardware_ids_from_devices_cmd_var
                        .as_deref()
                        .unwrap_or("");
                    r.error(
                        Some(pkg.origin.clone()),
                        format!(
                            "the INFs declare no hardware ID for `{base}` (from devices.cmd {var}; hardware IDs found: {})",
                            shown()
                        ),
                    );
                }
            }
        }
        Err(e) => r.error(Some(pkg.origin.clone()), e.to_string()),
    }
}

fn arch_models_hint(arch: Arch) -> &'static str {
    match arch {
        Arch::X86 => "NTx86 (or undecorated)",
        Arch::Amd64 => "NTamd64",
        Arch::Arm64 => "NTarm64",
    }
}

/// The files an INF needs on the media for `arch`: every referenced file, except that of the
/// catalogs only those Windows picks for `arch` (the arch-specific `CatalogFile.NT<arch>` if
/// any, else the undecorated/`NT` one).
fn required_files(inf: &Inf, arch: Arch) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = inf
        .referenced_files()
        .iter()
        .filter(|f| f.directive != "CatalogFile")
        .map(|f| (f.name.clone(), format!("{} line {}", f.directive, f.line)))
        .collect();
    let cats = &inf.version().catalog_files;
    let specific: Vec<_> = cats
        .iter()
        .filter(|c| {
            c.decoration
                .as_deref()
                .is_some_and(|d| Decoration::parse(d).arch == Some(arch))
        })
        .collect();
    let chosen: Vec<_> = if specific.is_empty() {
        cats.iter()
            .filter(|c| {
                c.decoration
                    .as_deref()
                    .is_none_or(|d| Decoration::parse(d).is_arch_neutral())
            })
            .collect()
    } else {
        specific
    };
    for c in chosen {
        out.push((c.file.clone(), format!("{} line {}", c.key, c.line)));
    }
    out
}
