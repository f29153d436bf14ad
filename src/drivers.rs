//! Driver sets: the driver packages of each architecture, from whatever layout they came in.
//!
//! A [`DriverSet`] is filled from the packager layout (`<arch>/<driver>/...`,
//! [`DriverSet::from_packager_layout`]) or package by package from any file list
//! ([`DriverSet::add_package`]: CI layouts, an upstream virtio-win ISO). Files stay where they
//! are, as [`Source`]s; INFs are parsed once when a package is added. Problems met while
//! reading a layout (symlinks, names that are not UTF-8, unknown arch directories) are kept in
//! the set and reported by validation together with everything else.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::arch::Arch;
use crate::diagnostics::Report;
use crate::error::{Error, Result};
use crate::fswalk::{self, Kind};
use crate::inf::Inf;
use crate::input::InputFile;
use crate::media::{Media, Source};
use crate::policy::{self, Allow, Decision};
use crate::spec::{normalize_driver_name, Spec};

/// INFs larger than this are not parsed (no real INF comes close).
use crate::inf::MAX_BYTES as MAX_INF_BYTES;

/// One file of a driver package, as stored in a [`Package`]: an [`InputFile`] whose path is
/// relative to the package directory, checked and normalised when the package was added.
pub type PackageFile = InputFile;

/// An INF of a package, parsed when the package was added.
#[derive(Debug, Clone)]
pub struct PackageInf {
    /// Path of the INF relative to the package directory.
    pub rel: String,
    /// The parsed INF, or the error that made it unreadable.
    pub parsed: std::result::Result<Arc<Inf>, String>,
}

/// The files of one driver for one architecture.
#[derive(Debug, Clone)]
pub struct Package {
    /// Architecture the package is for.
    pub arch: Arch,
    /// Directory name as found in the input (`aero-gpu` is kept as is; see [`Package::media_name`]).
    pub name: String,
    /// Where it came from, relative and machine-independent (`x64/viostor`,
    /// `viostor/w7/amd64`), for messages.
    pub origin: String,
    /// Every file, including those policy will skip, sorted by `rel`.
    pub files: Vec<PackageFile>,
    /// Every INF outside hidden/junk locations, parsed once.
    pub infs: Vec<PackageInf>,
}

impl Package {
    /// The directory name on the media (`aero-gpu` becomes `aerogpu`).
    pub fn media_name(&self) -> String {
        normalize_driver_name(&self.name)
    }

    /// A label for messages: `x64/viostor/viostor.inf`.
    pub fn label(&self, rel: &str) -> String {
        if rel.is_empty() {
            self.origin.clone()
        } else {
            format!("{}/{rel}", self.origin)
        }
    }

    /// The parsed INF at `rel`, parsing it now if it was not cached (a re-included hidden file).
    pub fn inf(&self, rel: &str) -> std::result::Result<Arc<Inf>, String> {
        if let Some(i) = self.infs.iter().find(|i| i.rel == rel) {
            return i.parsed.clone();
        }
        match self.files.iter().find(|f| f.path == rel) {
            Some(f) => parse_inf(&self.label(rel), f),
            None => Err(format!("{}: no such file", self.label(rel))),
        }
    }

    /// The policy decision for each file, with the re-includes of the spec entry (if any).
    /// Files that would ship are read whole to look for keys, so they are judged in parallel.
    pub fn decisions(&self, allow: &Allow) -> Vec<(&PackageFile, Result<Decision>)> {
        use rayon::prelude::*;
        self.files
            .par_iter()
            .map(|f| (f, f.decision(allow)))
            .collect()
    }
}

/// A file listing grouped by the packager layout ([`DriverSet::group_packager_files`]).
#[derive(Debug, Clone, Default)]
pub struct PackagerFiles {
    /// One entry per architecture: (directory as spelled, architecture, driver directory ->
    /// its files, paths relative to the driver directory).
    pub arches: Vec<(String, Arch, BTreeMap<String, Vec<InputFile>>)>,
    /// Files outside every `<arch>/<driver>/` directory (for the caller to report or refuse).
    pub outside: Vec<InputFile>,
}

/// Driver packages per architecture.
#[derive(Debug, Clone, Default)]
pub struct DriverSet {
    arches: BTreeSet<Arch>,
    packages: Vec<Package>,
    problems: Report,
    target_os: Option<String>,
}

impl DriverSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Read the packager layout: `<dir>/<arch>/<driver>/...`, arch directories spelled as
    /// [`Arch::parse`] accepts (`x86 win32 i386`, `amd64 x64 x86_64`, `arm64 aarch64`).
    ///
    /// Fails only when `dir` cannot be read; every other problem is recorded for validation.
    pub fn from_packager_layout(dir: &Path) -> Result<DriverSet> {
        let mut set = DriverSet::new();
        let mut arch_dirs: BTreeMap<String, (Arch, PathBuf)> = BTreeMap::new();
        for (name, path, kind) in list_dir(dir, "", &mut set.problems)? {
            if fswalk::is_junk_name(&name) {
                continue;
            }
            match (kind, Arch::parse(&name)) {
                (Kind::Dir, Some(arch)) => {
                    arch_dirs.insert(name, (arch, path));
                }
                (Kind::Dir, None) => set.not_an_arch_dir("", &name),
                (Kind::File, _) => set.problems.warn(
                    Some(name.clone()),
                    "a file at the top of the drivers directory is ignored (drivers live in <arch>/<driver>/)",
                ),
            }
        }
        let arch_dirs = set.one_dir_per_arch("", arch_dirs);
        if arch_dirs.is_empty() {
            set.problems.error(
                None,
                format!(
                    "{} holds no architecture directories ({})",
                    dir.display(),
                    Arch::accepted_spellings()
                ),
            );
        }
        for (arch_name, arch, arch_path) in arch_dirs {
            set.declare_arch(arch);
            for (name, path, kind) in list_dir(&arch_path, &arch_name, &mut set.problems)? {
                let label = format!("{arch_name}/{name}");
                if fswalk::is_junk_name(&name) {
                    continue;
                }
                if kind == Kind::File {
                    set.problems.warn(
                        Some(label),
                        "a file directly under an architecture directory is ignored (drivers live in <arch>/<driver>/)",
                    );
                    continue;
                }
                let (files, walk_problems) = fswalk::walk(&path)?;
                for p in walk_problems {
                    set.problems.error(Some(label.clone()), p.to_string());
                }
                let files = files.into_iter().map(InputFile::from).collect();
                if let Err(e) = set.add_package_with_origin(arch, &name, &label, files) {
                    set.problems.error(Some(label), e.to_string());
                }
            }
        }
        Ok(set)
    }

    /// Group a file listing by the packager layout `<prefix><arch>/<driver>/<path>`: the one
    /// reader of that layout for listings (an extracted bundle, a ZIP). Directories that are
    /// not architectures and extra spellings of one architecture are recorded as errors; files
    /// anywhere else (junk, loose files, unknown directories) are returned in `outside`.
    pub fn group_packager_files(&mut self, prefix: &str, files: Vec<InputFile>) -> PackagerFiles {
        let mut arches: BTreeMap<String, (Arch, BTreeMap<String, Vec<InputFile>>)> =
            BTreeMap::new();
        let mut not_arch: BTreeSet<String> = BTreeSet::new();
        let mut outside = Vec::new();
        for f in files {
            let Some(inner) = f.path.strip_prefix(prefix) else {
                outside.push(f);
                continue;
            };
            let mut comps = inner.splitn(3, '/');
            let (top, driver, rest) = (comps.next(), comps.next(), comps.next());
            let (Some(top), Some(driver)) = (top, driver) else {
                outside.push(f);
                continue;
            };
            if fswalk::is_junk_name(top) {
                outside.push(f);
                continue;
            }
            let Some(arch) = Arch::parse(top) else {
                not_arch.insert(top.to_string());
                outside.push(f);
                continue;
            };
            let (top, driver) = (top.to_string(), driver.to_string());
            let rest = rest.map(str::to_string);
            let entry = arches.entry(top).or_insert_with(|| (arch, BTreeMap::new()));
            match rest {
                Some(rest) if !fswalk::is_junk_name(&driver) => entry
                    .1
                    .entry(driver)
                    .or_default()
                    .push(InputFile::new(rest, f.source, f.size)),
                _ => outside.push(f),
            }
        }
        for dir in &not_arch {
            self.not_an_arch_dir(prefix, dir);
        }
        PackagerFiles {
            arches: self.one_dir_per_arch(prefix, arches),
            outside,
        }
    }

    /// Keep one directory per architecture (`dirs`: name as spelled -> (arch, contents)),
    /// recording an error for each extra spelling (`x64` beside `amd64`), named `prefix/dir`.
    pub fn one_dir_per_arch<T>(
        &mut self,
        prefix: &str,
        dirs: BTreeMap<String, (Arch, T)>,
    ) -> Vec<(String, Arch, T)> {
        let mut kept: Vec<(String, Arch, T)> = Vec::new();
        for (dir, (arch, v)) in dirs {
            if let Some((first, _, _)) = kept.iter().find(|(_, a, _)| *a == arch) {
                self.problems.error(
                    Some(format!("{prefix}{dir}")),
                    format!("`{dir}` and `{first}` are both the {arch} architecture; keep one"),
                );
            } else {
                kept.push((dir, arch, v));
            }
        }
        kept
    }

    /// Record that the directory `prefix/dir` where architectures live is not one.
    fn not_an_arch_dir(&mut self, prefix: &str, dir: &str) {
        self.problems.error(
            Some(format!("{prefix}{dir}")),
            format!(
                "`{dir}` is not an architecture directory; expected {}",
                Arch::accepted_spellings()
            ),
        );
    }

    /// Record that the set is meant to carry drivers for `arch`, even if none were found
    /// (so validation reports required drivers missing there).
    pub fn declare_arch(&mut self, arch: Arch) {
        self.arches.insert(arch);
    }

    /// Add a package from any file list: `(path relative to the package, source, size)`.
    pub fn add_package(
        &mut self,
        arch: Arch,
        name: &str,
        files: Vec<(String, Source, u64)>,
    ) -> Result<()> {
        let origin = format!("{}/{name}", arch.media_dir());
        let files = files.into_iter().map(InputFile::from).collect();
        self.add_package_with_origin(arch, name, &origin, files)
    }

    /// [`DriverSet::add_package`] naming where the package came from (for messages), from the
    /// shared input-listing type (paths relative to the package directory).
    pub fn add_package_with_origin(
        &mut self,
        arch: Arch,
        name: &str,
        origin: &str,
        files: Vec<InputFile>,
    ) -> Result<()> {
        if let Some(p) = crate::spec::driver_name_problem(name) {
            return Err(Error::invalid(format!("{origin}: {p}")));
        }
        if let Some(other) = self
            .packages
            .iter()
            .find(|p| p.arch == arch && p.name.eq_ignore_ascii_case(name))
        {
            return Err(Error::invalid(format!(
                "{origin}: driver `{name}` is already in the set for {arch} (from {})",
                other.origin
            )));
        }
        let mut out: Vec<PackageFile> = Vec::with_capacity(files.len());
        let mut bad = Vec::new();
        for InputFile {
            path: rel,
            source,
            size,
        } in files
        {
            let r = rel.replace('\\', "/");
            let r = r.trim_start_matches('/').to_string();
            if r.is_empty() || r.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
                bad.push(Error::invalid(format!(
                    "{origin}: file path `{rel}` is not a plain relative path"
                )));
                continue;
            }
            out.push(PackageFile {
                path: r,
                source,
                size,
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        for w in out.windows(2) {
            if w[0].path == w[1].path {
                bad.push(Error::invalid(format!(
                    "{origin}: file `{}` is listed twice",
                    w[0].path
                )));
            }
        }
        if !bad.is_empty() {
            return Err(Error::many(
                format!("{origin}: invalid package file list"),
                bad,
            ));
        }
        let mut pkg = Package {
            arch,
            name: name.to_string(),
            origin: origin.to_string(),
            files: out,
            infs: Vec::new(),
        };
        pkg.infs = pkg
            .files
            .iter()
            .filter(|f| is_inf(&f.path) && !fswalk::in_junk_location(&f.path))
            .map(|f| PackageInf {
                rel: f.path.clone(),
                parsed: parse_inf(&pkg.label(&f.path), f),
            })
            .collect();
        self.arches.insert(arch);
        let at = self
            .packages
            .partition_point(|p| (p.arch, p.name.to_lowercase()) < (arch, name.to_lowercase()));
        self.packages.insert(at, pkg);
        Ok(())
    }

    /// Record the Windows version the set was selected for (`w7`, `2k22`): the catalog checks
    /// compare it with each catalog's `OSAttr`.
    pub fn set_target_os(&mut self, os: &str) {
        self.target_os = Some(os.to_string());
    }

    /// The Windows version the set was selected for, when known.
    pub fn target_os(&self) -> Option<&str> {
        self.target_os.as_deref()
    }

    /// The architectures the set is for, in media order.
    pub fn arches(&self) -> Vec<Arch> {
        self.arches.iter().copied().collect()
    }

    /// The driver directory names in the set, sorted and unique.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.packages.iter().map(Package::media_name).collect();
        names.sort();
        names.dedup();
        names
    }

    /// Every package, sorted by architecture then name.
    pub fn packages(&self) -> &[Package] {
        &self.packages
    }

    /// The packages of `arch` whose media name is `name` (case-insensitive; `aero-gpu` and
    /// `aerogpu` both answer to either).
    pub fn packages_named(&self, arch: Arch, name: &str) -> Vec<&Package> {
        let want = normalize_driver_name(name);
        self.packages
            .iter()
            .filter(|p| p.arch == arch && p.media_name().eq_ignore_ascii_case(&want))
            .collect()
    }

    /// Every successfully parsed INF of every package (for deriving contract service names).
    pub fn infs(&self) -> Vec<&Inf> {
        self.packages
            .iter()
            .flat_map(|p| p.infs.iter())
            .filter_map(|i| i.parsed.as_ref().ok().map(|a| a.as_ref()))
            .collect()
    }

    /// Add every package of `other` (e.g. required and best-effort selections from one source).
    /// A driver present in both for the same architecture is an error naming both origins.
    pub fn merge(&mut self, other: &DriverSet) -> Result<()> {
        for p in &other.packages {
            if let Some(mine) = self
                .packages
                .iter()
                .find(|q| q.arch == p.arch && q.name.eq_ignore_ascii_case(&p.name))
            {
                return Err(Error::invalid(format!(
                    "driver `{}` for {} comes from both {} and {}",
                    p.name, p.arch, mine.origin, p.origin
                )));
            }
        }
        self.packages.extend(other.packages.iter().cloned());
        self.arches.extend(other.arches.iter().copied());
        self.problems.merge(&other.problems);
        if self.target_os.is_none() {
            self.target_os = other.target_os.clone();
        }
        Ok(())
    }

    /// Problems met while reading the input layout (merged into validation reports).
    pub fn load_problems(&self) -> &Report {
        &self.problems
    }

    /// Record a problem met while reading an input layout, for validation to report with the
    /// rest (layout readers outside this file: CI packages, bundle ZIPs).
    pub fn load_problems_mut(&mut self) -> &mut Report {
        &mut self.problems
    }

    /// Place the shipped files at `drivers/<arch>/<name>/<rel>`: with a spec, only the drivers
    /// it lists (under the spec's name) and with its re-includes; without one, every package.
    /// Files policy skips are left out; a refused file fails the call, naming every such file.
    /// Run [`crate::validate::validate`] first: this only places files.
    pub fn add_to_media(&self, spec: Option<&Spec>, media: &mut Media) -> Result<()> {
        self.place(spec, media, |arch, name| {
            format!("drivers/{}/{name}", arch.media_dir())
        })
    }

    /// Place every package at `<dir>/<name>/<rel>` with policy filtering (no spec): for media
    /// that carry one architecture, such as the `$WinPEDriver$` folder of unattend media.
    pub fn add_to_media_under(&self, dir: &str, media: &mut Media) -> Result<()> {
        let arches: BTreeSet<Arch> = self.packages.iter().map(|p| p.arch).collect();
        if arches.len() > 1 {
            return Err(Error::invalid(format!(
                "`{dir}` holds one architecture, but the drivers are for {}",
                arches
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        self.place(None, media, |_, name| format!("{dir}/{name}"))
    }

    fn place(
        &self,
        spec: Option<&Spec>,
        media: &mut Media,
        dir_of: impl Fn(Arch, &str) -> String,
    ) -> Result<()> {
        let mut refused = Vec::new();
        for pkg in &self.packages {
            let entry = spec.and_then(|s| s.driver(&pkg.name));
            if spec.is_some() && entry.is_none() {
                continue;
            }
            let name = entry.map_or_else(|| pkg.media_name(), |e| e.name.clone());
            let allow = match entry {
                Some(e) => Allow::from_driver(e),
                None => Allow::none(),
            };
            for (f, decision) in pkg.decisions(&allow) {
                match decision? {
                    Decision::Ship => media.add(
                        &format!("{}/{}", dir_of(pkg.arch, &name), f.path),
                        f.source.clone(),
                        f.size,
                    )?,
                    Decision::Skip(_) => {}
                    Decision::Refuse(why) => {
                        refused.push(Error::invalid(format!("{}: {why}", pkg.label(&f.path))))
                    }
                }
            }
        }
        if refused.is_empty() {
            Ok(())
        } else {
            Err(Error::many(
                format!("{} file(s) must not be shipped", refused.len()),
                refused,
            ))
        }
    }
}

fn is_inf(rel: &str) -> bool {
    policy::extension(rel).as_deref() == Some("inf")
}

fn parse_inf(label: &str, f: &PackageFile) -> std::result::Result<Arc<Inf>, String> {
    if f.size > MAX_INF_BYTES {
        return Err(format!(
            "{label}: {} bytes is too large for an INF file",
            f.size
        ));
    }
    let mut bytes = Vec::with_capacity(f.size as usize);
    f.source
        .open()
        .and_then(|r| {
            r.take(MAX_INF_BYTES + 1)
                .read_to_end(&mut bytes)
                .map_err(|e| Error::invalid(format!("cannot read {label}: {e}")))
        })
        .map_err(|e| e.to_string())?;
    Inf::parse(Path::new(label), &bytes)
        .map(Arc::new)
        .map_err(|e| e.to_string())
}

/// The entries of `dir` ([`fswalk::list_dir`]), with each problem entry recorded as an error
/// named `prefix/name`.
fn list_dir(
    dir: &Path,
    prefix: &str,
    problems: &mut Report,
) -> Result<Vec<(String, PathBuf, Kind)>> {
    let (entries, bad) = fswalk::list_dir(dir)?;
    for (name, why) in bad {
        let label = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        problems.error(Some(label), why);
    }
    Ok(entries)
}
