//! Choosing driver builds by OS and architecture, with the shared-binary aliases and the flat
//! tree as fallbacks, and errors that say what the source does have.

use crate::arch::Arch;
use crate::error::{Error, Result};

use super::layout::{self, DriverDir, FLAT_DRIVERS};
use super::listing::{fold, strip_dir, SourceFile};
use super::VirtioWin;

/// The files of one driver for one architecture, ready to go to `drivers/<arch>/<driver>/`.
#[derive(Debug, Clone)]
pub struct DriverBuild {
    /// Media name of the driver: the upstream directory name in lower case (`netkvm`).
    pub driver: String,
    /// The architecture.
    pub arch: Arch,
    /// The OS that was asked for (upstream directory name, e.g. `2k22`).
    pub os: String,
    /// The OS directory the build came from (`w10` when `2k22` fell back to its shared build).
    pub os_dir: String,
    /// The directory in the source the files came from (`NetKVM/w10/amd64`, or `amd64/w10`
    /// for the flat tree).
    pub from: String,
    /// The files, with paths relative to `from`, sorted case-insensitively.
    pub files: Vec<SourceFile>,
}

/// A driver that has no build for the requested OS and architecture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingBuild {
    /// The driver as asked for (lower case).
    pub driver: String,
    /// The architecture.
    pub arch: Arch,
    /// The OS asked for.
    pub os: String,
    /// What the source has for this driver, as `os/arch` (empty if the driver is absent).
    pub available: Vec<String>,
    /// One sentence saying what is missing and what exists.
    pub message: String,
}

/// The result of a selection: builds found, in request order (driver, then architecture),
/// and (for optional drivers) the ones that were not.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Builds found.
    pub builds: Vec<DriverBuild>,
    /// Builds not found (always empty from [`VirtioWin::select`]).
    pub missing: Vec<MissingBuild>,
}

impl Selection {
    /// The builds of one architecture.
    pub fn for_arch(&self, arch: Arch) -> impl Iterator<Item = &DriverBuild> {
        self.builds.iter().filter(move |b| b.arch == arch)
    }

    /// The selected builds as a driver set (packages keep their upstream origin for messages);
    /// every architecture asked for is declared, so validation sees an absent driver as absent.
    pub fn to_driver_set(&self, arches: &[Arch]) -> Result<crate::drivers::DriverSet> {
        let mut set = crate::drivers::DriverSet::new();
        for a in arches {
            set.declare_arch(*a);
        }
        for b in &self.builds {
            set.add_package_with_origin(b.arch, &b.driver, &b.from, b.files.clone())?;
            set.set_target_os(&b.os);
        }
        Ok(set)
    }

    /// Add another selection's builds and missing entries (required + optional drivers).
    /// A driver/arch already selected here is an error: it would ship twice.
    pub fn merge(&mut self, other: Selection) -> Result<()> {
        for b in &other.builds {
            if self
                .builds
                .iter()
                .any(|s| s.arch == b.arch && s.driver == b.driver)
            {
                return Err(Error::invalid(format!(
                    "virtio-win driver {} for {} was selected twice",
                    b.driver, b.arch
                )));
            }
        }
        self.builds.extend(other.builds);
        self.missing.extend(other.missing);
        Ok(())
    }
}

impl DriverBuild {
    /// Where the build goes on the media: `drivers/<arch>/<driver>`.
    pub fn media_dir(&self) -> String {
        format!("drivers/{}/{}", self.arch.media_dir(), self.driver)
    }
}

impl VirtioWin {
    /// Select `drivers` for `os` on each of `arches`. Any driver without a build for an
    /// OS/arch pair is an error; every such pair is reported at once with what exists.
    pub fn select(&self, drivers: &[&str], os: &str, arches: &[Arch]) -> Result<Selection> {
        let sel = self.select_optional(drivers, os, arches)?;
        if sel.missing.is_empty() {
            return Ok(sel);
        }
        let problems = sel
            .missing
            .iter()
            .map(|m| Error::invalid(m.message.clone()))
            .collect();
        Err(Error::many(
            format!(
                "{} driver build(s) missing from {}",
                sel.missing.len(),
                self.name()
            ),
            problems,
        )
        .with_help("pick an OS/architecture the source has, drop the driver, or mark it optional"))
    }

    /// Like [`VirtioWin::select`], but a driver without a build is recorded in
    /// [`Selection::missing`] instead of failing (for best-effort optional drivers).
    /// An unknown OS name or an empty driver/arch list is still an error.
    pub fn select_optional(
        &self,
        drivers: &[&str],
        os: &str,
        arches: &[Arch],
    ) -> Result<Selection> {
        let os = layout::resolve_os(os, &self.drivers)?;
        let mut wanted: Vec<String> = Vec::new();
        for d in drivers {
            let d = d.trim();
            if d.is_empty() || d.contains(['/', '\\']) {
                return Err(Error::invalid(format!(
                    "invalid driver name `{d}`: expected a virtio-win driver directory name such as viostor or NetKVM"
                )));
            }
            if !wanted.iter().any(|w| w.eq_ignore_ascii_case(d)) {
                wanted.push(fold(d));
            }
        }
        let mut arch_list: Vec<Arch> = Vec::new();
        for a in arches {
            if !arch_list.contains(a) {
                arch_list.push(*a);
            }
        }
        if wanted.is_empty() || arch_list.is_empty() {
            return Err(Error::invalid(
                "virtio-win selection needs at least one driver and one architecture",
            ));
        }
        let mut sel = Selection::default();
        for driver in &wanted {
            for &arch in &arch_list {
                match self.find_build(driver, &os, arch) {
                    Ok(b) => sel.builds.push(b),
                    Err(m) => sel.missing.push(*m),
                }
            }
        }
        Ok(sel)
    }

    fn find_build(
        &self,
        driver: &str,
        os: &str,
        arch: Arch,
    ) -> std::result::Result<DriverBuild, Box<MissingBuild>> {
        let dd = self.drivers.get(driver);
        // The OS directory to use: the one asked for if the driver has it, else its shared
        // build. Upstream ships e.g. viostor/2k22 on some ISOs and not on others.
        let os_dir = match dd {
            Some(dd) if dd.has_os(os) => os.to_string(),
            Some(dd) => match layout::shared_build(os) {
                Some(shared) if dd.has_os(shared) => shared.to_string(),
                _ => os.to_string(),
            },
            None => os.to_string(),
        };
        if let Some(b) = dd.and_then(|dd| dd.build(&os_dir, arch)) {
            return Ok(self.build_from(driver, os, &b.os_dir, arch, &b.path, None));
        }
        if let Some(found) = self.flat_build(driver, os, arch) {
            return Ok(found);
        }
        Err(Box::new(self.missing(driver, os, arch, dd)))
    }

    /// The flat tree (`amd64/<os>/`, `i386/<os>/`) mixes viostor and vioscsi files in one
    /// directory: a driver's files are those named after it.
    fn flat_build(&self, driver: &str, os: &str, arch: Arch) -> Option<DriverBuild> {
        if !FLAT_DRIVERS.contains(&driver) {
            return None;
        }
        let top = self.listing.subdir("", layout::flat_arch_dir(arch))?;
        let os_dir = self.listing.subdir(top, os).or_else(|| {
            layout::shared_build(os).and_then(|shared| self.listing.subdir(top, shared))
        })?;
        let from = format!("{top}/{os_dir}");
        let stem = format!("{driver}.");
        let has_files = self
            .listing
            .files_in(&from)
            .iter()
            .any(|f| fold(f.name()).starts_with(&stem));
        has_files.then(|| self.build_from(driver, os, os_dir, arch, &from, Some(&stem)))
    }

    fn build_from(
        &self,
        driver: &str,
        os: &str,
        os_dir: &str,
        arch: Arch,
        from: &str,
        only_stem: Option<&str>,
    ) -> DriverBuild {
        let files = match only_stem {
            Some(stem) => self
                .listing
                .files_in(from)
                .into_iter()
                .filter(|f| fold(f.name()).starts_with(stem))
                .collect::<Vec<_>>(),
            None => self.listing.files_under(from),
        };
        DriverBuild {
            driver: driver.to_string(),
            arch,
            os: os.to_string(),
            os_dir: os_dir.to_string(),
            from: from.to_string(),
            files: files
                .into_iter()
                .map(|f| SourceFile {
                    path: strip_dir(&f.path, from).to_string(),
                    source: f.source.clone(),
                    size: f.size,
                })
                .collect(),
        }
    }

    fn missing(&self, driver: &str, os: &str, arch: Arch, dd: Option<&DriverDir>) -> MissingBuild {
        let name = self.name();
        let (available, message) = match dd {
            None => {
                let present: Vec<String> = self.drivers.values().map(|d| d.dir.clone()).collect();
                (
                    Vec::new(),
                    format!(
                        "{name} has no driver `{driver}`; its drivers are: {}",
                        if present.is_empty() {
                            "none".to_string()
                        } else {
                            present.join(", ")
                        }
                    ),
                )
            }
            Some(dd) => {
                let (d, a) = (&dd.dir, layout::arch_dir(arch));
                let looked = if dd.has_os(os) {
                    format!("no {d}/{os}/{a}")
                } else {
                    match layout::shared_build(os) {
                        Some(s) if dd.has_os(s) => format!(
                            "no {d}/{os} directory, and its shared build {d}/{s} has no {a}"
                        ),
                        Some(s) => format!("no {d}/{os} or {d}/{s} directory"),
                        None => format!("no {d}/{os} directory"),
                    }
                };
                (
                    dd.builds
                        .iter()
                        .map(|b| format!("{}/{}", b.os_dir, layout::arch_dir(b.arch)))
                        .collect(),
                    format!(
                        "{name}: {d} has no {os} build for {arch} ({looked}); {d} has: {}",
                        dd.describe_builds()
                    ),
                )
            }
        };
        MissingBuild {
            driver: driver.to_string(),
            arch,
            os: os.to_string(),
            available,
            message,
        }
    }
}
