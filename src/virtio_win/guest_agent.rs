//! The QEMU guest agent installer on a virtio-win source, per architecture, under every
//! name upstream has used.

use crate::arch::Arch;
use crate::error::{Error, Result};
use crate::hash;

use super::listing::{fold, SourceFile};
use super::provenance::parse_sha256;
use super::VirtioWin;

const DIR: &str = "guest-agent";

/// File names for an architecture, most common first, and directory names that may hold it.
fn spellings(arch: Arch) -> (&'static [&'static str], &'static [&'static str]) {
    match arch {
        Arch::X86 => (
            &["qemu-ga-i386.msi", "qemu-ga-x86.msi", "qemu-ga-win32.msi"],
            &["i386", "x86", "win32"],
        ),
        Arch::Amd64 => (
            &["qemu-ga-x86_64.msi", "qemu-ga-x64.msi", "qemu-ga-amd64.msi"],
            &["x86_64", "x64", "amd64"],
        ),
        Arch::Arm64 => (
            &["qemu-ga-aarch64.msi", "qemu-ga-arm64.msi"],
            &["aarch64", "arm64"],
        ),
    }
}

impl VirtioWin {
    /// The guest agent MSI for `arch` (`guest-agent/qemu-ga-x86_64.msi`, `qemu-ga-x64.msi`,
    /// `guest-agent/x86_64/*.msi`, ...). With `expected_sha256`, its content must match.
    /// The error lists every place searched and what `guest-agent/` holds.
    pub fn guest_agent(&self, arch: Arch, expected_sha256: Option<&str>) -> Result<SourceFile> {
        let expected = expected_sha256
            .map(|e| parse_sha256(e, "expected guest agent SHA-256"))
            .transpose()?;
        let found = self.find_guest_agent(arch)?;
        if let Some(expected) = expected {
            let actual = hash::sha256_reader(found.source.open()?)
                .map_err(|e| {
                    Error::invalid(format!("cannot read {}: {e}", found.source.describe()))
                })?
                .0;
            if actual != expected {
                return Err(Error::invalid(format!(
                    "{arch} guest agent {} in {} has SHA-256 {actual}, expected {expected}",
                    found.path,
                    self.name()
                ))
                .with_help("check that this is the virtio-win release you meant, then update the pinned hash"));
            }
        }
        Ok(found)
    }

    /// The guest agent for each of `arches`, each checked against its pin. `pins` is keyed by
    /// canonical arch (`amd64`), or holds one pin under `*` for a single architecture. A pin
    /// for an architecture that is not built, or a bare pin with several architectures, is
    /// refused; every problem (mismatches included) is reported at once.
    pub fn guest_agents(
        &self,
        arches: &[Arch],
        pins: &std::collections::BTreeMap<String, String>,
    ) -> Result<Vec<(Arch, SourceFile)>> {
        let mut problems = Vec::new();
        let bare = pins.get("*");
        if bare.is_some() && arches.len() != 1 {
            problems.push(
                Error::invalid(format!(
                    "one bare guest agent SHA-256 was given for {} architectures",
                    arches.len()
                ))
                .with_help("pin each one as arch=sha256 (amd64=...,x86=...)"),
            );
        }
        for key in pins.keys().filter(|k| *k != "*") {
            if !arches.iter().any(|a| a.to_string() == *key) {
                let built: Vec<String> = arches.iter().map(Arch::to_string).collect();
                problems.push(
                    Error::invalid(format!(
                        "the guest agent is pinned for {key}, which this run does not build (arches: {})",
                        built.join(",")
                    ))
                    .with_help(format!("drop the {key} pin, or add {key} to the architectures")),
                );
            }
        }
        let mut out = Vec::new();
        for &arch in arches {
            let pin = pins
                .get(&arch.to_string())
                .or(bare.filter(|_| arches.len() == 1));
            match self.guest_agent(arch, pin.map(String::as_str)) {
                Ok(f) => out.push((arch, f)),
                Err(e) => problems.push(e),
            }
        }
        if problems.is_empty() {
            Ok(out)
        } else {
            Err(Error::many("guest agent", problems))
        }
    }

    fn find_guest_agent(&self, arch: Arch) -> Result<SourceFile> {
        let (names, dirs) = spellings(arch);
        let mut searched = Vec::new();
        for n in names {
            let p = format!("{DIR}/{n}");
            if let Some(f) = self.listing.get(&p) {
                return Ok(f.clone());
            }
            searched.push(p);
        }
        for d in dirs {
            searched.push(format!("{DIR}/{d}/*.msi"));
            let Some(top) = self.listing.subdir("", DIR) else {
                continue;
            };
            let Some(sub) = self.listing.subdir(top, d) else {
                continue;
            };
            let dir = format!("{top}/{sub}");
            let msis: Vec<&SourceFile> = self
                .listing
                .files_in(&dir)
                .into_iter()
                .filter(|f| fold(f.name()).ends_with(".msi"))
                .collect();
            let preferred: Vec<&SourceFile> = msis
                .iter()
                .copied()
                .filter(|f| fold(f.name()).starts_with("qemu-ga"))
                .collect();
            let pick = if preferred.is_empty() {
                msis
            } else {
                preferred
            };
            match pick.as_slice() {
                [] => {}
                [one] => return Ok((*one).clone()),
                many => {
                    return Err(Error::invalid(format!(
                        "{} has several guest agent installers for {arch} in {dir}: {}",
                        self.name(),
                        many.iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
                    )))
                }
            }
        }
        let present: Vec<String> = self
            .listing
            .subdir("", DIR)
            .map(|top| {
                self.listing
                    .files_under(top)
                    .iter()
                    .map(|f| f.path.clone())
                    .collect()
            })
            .unwrap_or_default();
        Err(Error::invalid(format!(
            "{} has no QEMU guest agent for {arch}: searched {}; {}",
            self.name(),
            searched.join(", "),
            if present.is_empty() {
                format!("there is no {DIR}/ directory")
            } else {
                format!("{DIR}/ holds {}", present.join(", "))
            }
        )))
    }
}
