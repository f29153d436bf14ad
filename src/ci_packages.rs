//! Driver sets from what Windows-driver CI produces: the packages layout
//! `out/packages/<driverRel>/<arch>/...`, and the `*-bundle.zip` CI publishes or that ZIP
//! extracted, whose layout (CI packages, or packager `<arch>/<driver>/`, read by
//! [`DriverSet::group_packager_files`]) is detected.
//!
//! Nothing is copied to a staging directory. Files of a directory become
//! [`Source::File`](crate::media::Source::File)s. A ZIP is read by the shared hardened reader
//! ([`crate::media::zip::read`]): STORED entries become extents over the ZIP itself; DEFLATED
//! entries are inflated once, while the set is loaded, so memory holds at most
//! [`MAX_INFLATED_BYTES`] (the declared sizes are summed and checked before anything is
//! inflated), plus the largest entry once more for a moment while it becomes shared bytes. A
//! bigger bundle is refused with a message saying to extract it or re-zip it with `zip -0`;
//! either way every byte then stays on disk.
//!
//! Every ZIP entry is read once at load (CRC and actual size checked against the declared size),
//! so a damaged or hostile archive fails here, naming the entry, and never half-way through
//! writing media.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::arch::Arch;
use crate::drivers::DriverSet;
use crate::error::{Error, IoContext, Result};
use crate::fswalk;
use crate::input::InputFile;
use crate::media::zip;
use crate::policy::{self, Allow, Decision};
use crate::spec::{driver_name_problem, normalize_driver_name};

/// CI driver roots (`driverRel`) whose media name is fixed by the tool, matched
/// case-insensitively after the user's name map and before the last-component rule.
pub const BUILTIN_RENAMES: &[(&str, &str)] = &[
    ("windows7/virtio-blk", "virtio-blk"),
    ("windows7/virtio-net", "virtio-net"),
    ("aero-gpu", "aerogpu"),
    ("drivers/aerogpu", "aerogpu"),
    ("drivers/aero-gpu", "aerogpu"),
];

/// Most bytes the DEFLATED entries of one bundle ZIP may inflate to (they are held in memory).
pub const MAX_INFLATED_BYTES: u64 = 512 * 1024 * 1024;

/// Most entries a bundle ZIP may list (CI bundles hold a few hundred).
pub const MAX_ZIP_ENTRIES: usize = 100_000;

/// What the CI packages layout looks like, for messages.
const CI_LAYOUT: &str = "the CI packages layout `<driverRel>/<arch>/...` (e.g. `windows7/virtio-blk/x64/`, `drivers/aerogpu/x86/`)";
/// What the packager layout looks like, for messages.
const PACKAGER_LAYOUT: &str =
    "the packager layout `<arch>/<driver>/...` (e.g. `x86/viostor/`, `amd64/netkvm/`)";

/// Parse recipe-style name-map items, `driverRel=name` each (e.g. `windows7/virtio/blk=virtio-blk`),
/// reporting every malformed item at once.
pub fn parse_name_map(items: &[String]) -> Result<Vec<(String, String)>> {
    let mut map = Vec::with_capacity(items.len());
    let mut bad = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match item.split_once('=') {
            Some((rel, name)) => map.push((rel.trim().to_string(), name.trim().to_string())),
            None => bad.push(Error::invalid(format!(
                "name_map item {} `{item}` has no `=`; write it as `driverRel=name`, e.g. `windows7/virtio/blk=virtio-blk`",
                i + 1
            ))),
        }
    }
    if let Err(e) = check_name_map(&map) {
        bad.extend(
            e.problems()
                .into_iter()
                .map(|p| Error::invalid(p.to_string())),
        );
    }
    if bad.is_empty() {
        Ok(map)
    } else {
        Err(Error::many(
            format!("name_map has {} malformed item(s)", bad.len()),
            bad,
        ))
    }
}

/// Read the CI packages layout under `root`: every directory holding architecture directories
/// (`x86`, `x64`, `amd64`, `win32`, `i386`, `arm64`, `aarch64`, ...) with files in them is a
/// driver package, named by `name_map` (its `driverRel`, case-insensitive), else by
/// [`BUILTIN_RENAMES`], else by its last path component.
///
/// Fails when `root` cannot be read, holds no such package, the name map is malformed or names
/// a `driverRel` that is not there, or two packages end up with the same name; every other
/// problem (symlinks, names that are not UTF-8, stray files) is kept for validation.
pub fn from_ci_layout(root: &Path, name_map: &[(String, String)]) -> Result<DriverSet> {
    check_name_map(name_map)?;
    let listing = list_dir(root)?;
    build_ci(listing, name_map)
}

/// Read a `*-bundle.zip` made by CI: the CI packages layout or the packager layout, at the top
/// of the archive or under one top-level folder, detected from its entries.
///
/// Entry names that could escape an extraction directory (`..`, absolute, drive letters,
/// backslashes) make the whole archive refused, listing each one; so do sizes that disagree with
/// what the entries declare, overlapping entries, and more than [`MAX_INFLATED_BYTES`] to inflate.
pub fn from_bundle_zip(zip: &Path, name_map: &[(String, String)]) -> Result<DriverSet> {
    check_name_map(name_map)?;
    let listing = list_zip(zip)?;
    build_detected(listing, name_map)
}

/// Open CI driver output of any supported shape: a `.zip` bundle, or a directory holding the CI
/// packages layout or the packager layout (an extracted bundle, possibly under one folder).
pub fn open(path: &Path, name_map: &[(String, String)]) -> Result<DriverSet> {
    let meta = std::fs::metadata(path).with_path("read", path)?;
    if meta.is_dir() {
        check_name_map(name_map)?;
        return build_detected(list_dir(path)?, name_map);
    }
    if meta.is_file() && looks_like_zip(path)? {
        return from_bundle_zip(path, name_map);
    }
    Err(Error::invalid(format!(
        "{} is neither a directory nor a .zip file",
        path.display()
    ))
    .with_help(format!(
        "pass a directory in {CI_LAYOUT} or {PACKAGER_LAYOUT}, or the *-bundle.zip CI produced"
    )))
}

/// Check a name map: plain relative `driverRel` keys, valid driver names, no key twice.
fn check_name_map(map: &[(String, String)]) -> Result<()> {
    let mut bad = Vec::new();
    let mut seen: BTreeMap<String, &str> = BTreeMap::new();
    for (rel, name) in map {
        let key = normalize_rel(rel);
        if key.is_empty()
            || key
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
        {
            bad.push(Error::invalid(format!(
                "name_map `{rel}={name}`: `{rel}` is not a plain relative driverRel path (like `windows7/virtio-blk`)"
            )));
        }
        if let Some(p) = driver_name_problem(name) {
            bad.push(Error::invalid(format!("name_map `{rel}={name}`: {p}")));
        }
        if let Some(first) = seen.insert(key.to_lowercase(), name) {
            bad.push(Error::invalid(format!(
                "name_map maps `{rel}` twice (to `{first}` and to `{name}`); keep one"
            )));
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(Error::many(
            format!("name_map has {} problem(s)", bad.len()),
            bad,
        ))
    }
}

/// `\` to `/`, no leading or trailing `/`.
fn normalize_rel(rel: &str) -> String {
    rel.trim().replace('\\', "/").trim_matches('/').to_string()
}

/// Whether `path` is a ZIP by name (`.zip`) or by its first bytes.
fn looks_like_zip(path: &Path) -> Result<bool> {
    if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"))
    {
        return Ok(true);
    }
    let mut head = [0u8; 4];
    let n = File::open(path)
        .and_then(|f| f.take(4).read(&mut head))
        .with_path("read", path)?;
    Ok(n == 4 && (head == *b"PK\x03\x04" || head == *b"PK\x05\x06"))
}

/// The files of an input (a directory or a ZIP) and the problems met listing them.
struct Listing {
    /// The input as messages name it.
    what: String,
    /// Sorted by `rel`.
    files: Vec<InputFile>,
    /// Symlinks, special files, names that are not UTF-8: kept for validation.
    problems: Vec<Error>,
}

fn list_dir(root: &Path) -> Result<Listing> {
    let (files, problems) = fswalk::walk(root)?;
    Ok(Listing {
        what: root.display().to_string(),
        files: files.into_iter().map(InputFile::from).collect(),
        problems,
    })
}

/// A hidden name, `__MACOSX`, or operating-system junk: never part of a layout.
fn ignorable(component: &str) -> bool {
    fswalk::is_junk_name(component)
}

fn visible(rel: &str) -> bool {
    !fswalk::in_junk_location(rel)
}

/// The one top-level folder everything visible sits in, if there is exactly one and no file
/// beside it (ZIP tools often wrap a tree in a folder named after the archive).
fn wrapper(listing: &Listing) -> Option<String> {
    let mut tops = BTreeSet::new();
    for f in listing.files.iter().filter(|f| visible(&f.path)) {
        match f.path.split_once('/') {
            Some((top, _)) => {
                tops.insert(top);
            }
            None => return None,
        }
    }
    match (tops.len(), tops.first()) {
        (1, Some(top)) => Some(top.to_string()),
        _ => None,
    }
}

/// The layouts a bundle can have.
enum Layout {
    /// `<base>/<arch>/<driver>/...` (`base` empty, or the wrapper folder).
    Packager { base: String },
    /// `<driverRel>/<arch>/...`.
    Ci,
}

fn detect(listing: &Listing) -> Option<Layout> {
    let vis = || listing.files.iter().filter(|f| visible(&f.path));
    let top_arch = vis().any(|f| {
        f.path
            .split_once('/')
            .is_some_and(|(top, _)| Arch::parse(top).is_some())
    });
    if top_arch {
        return Some(Layout::Packager {
            base: String::new(),
        });
    }
    if let Some(w) = wrapper(listing) {
        // Under one folder, arch directories whose INFs sit in driver directories are the
        // packager layout; INFs directly in the arch directories make the folder itself a CI
        // package (`aerogpu/x64/aerogpu.inf`).
        let (direct, deeper) = infs_below_arch_dirs(listing, &format!("{w}/"));
        if deeper > 0 && direct == 0 {
            return Some(Layout::Packager { base: w });
        }
    }
    if vis().any(|f| ci_split(&f.path).is_some()) {
        return Some(Layout::Ci);
    }
    None
}

/// Visible INFs under `<prefix><arch>/`: (directly in the arch directory, deeper).
fn infs_below_arch_dirs(listing: &Listing, prefix: &str) -> (usize, usize) {
    let (mut direct, mut deeper) = (0, 0);
    for f in listing.files.iter().filter(|f| visible(&f.path)) {
        let Some(inner) = f.path.strip_prefix(prefix) else {
            continue;
        };
        let comps: Vec<&str> = inner.split('/').collect();
        let under_arch = comps.first().is_some_and(|c| Arch::parse(c).is_some());
        if under_arch && policy::extension(inner).as_deref() == Some("inf") {
            if comps.len() == 2 {
                direct += 1;
            } else {
                deeper += 1;
            }
        }
    }
    (direct, deeper)
}

/// Detect the layout of `listing` and read it.
fn build_detected(listing: Listing, name_map: &[(String, String)]) -> Result<DriverSet> {
    match detect(&listing) {
        Some(Layout::Packager { base }) if base.is_empty() => {
            // `<arch>/x.inf` at the root: the root is one CI package, not a set of them.
            let (direct, deeper) = infs_below_arch_dirs(&listing, "");
            if direct > 0 && deeper == 0 {
                return Err(Error::invalid(format!(
                    "{}: the INFs sit directly in the architecture directories, so this is a single CI driver package, which has no name of its own",
                    listing.what
                ))
                .with_help(format!(
                    "pass the directory above it (the CI packages root, {CI_LAYOUT})"
                )));
            }
            build_packager(listing, &base, name_map)
        }
        Some(Layout::Packager { base }) => build_packager(listing, &base, name_map),
        Some(Layout::Ci) => build_ci(listing, name_map),
        None => Err(not_recognised(&listing)),
    }
}

fn not_recognised(listing: &Listing) -> Error {
    let tops: BTreeSet<String> = listing
        .files
        .iter()
        .filter(|f| visible(&f.path))
        .map(|f| match f.path.split_once('/') {
            Some((top, _)) => format!("{top}/"),
            None => f.path.clone(),
        })
        .collect();
    let found = if tops.is_empty() {
        "no files".to_string()
    } else {
        format!(
            "top-level entries: {}",
            tops.into_iter().take(12).collect::<Vec<_>>().join(", ")
        )
    };
    Error::invalid(format!(
        "{}: no driver layout recognised ({found})",
        listing.what
    ))
    .with_help(format!(
        "expected {CI_LAYOUT}, or {PACKAGER_LAYOUT}; either may sit under one top-level folder"
    ))
}

/// `(driverRel, arch directory, arch, path inside the package)` of a file in the CI layout:
/// the first arch-named directory below the root, with no ignorable component before it.
fn ci_split(rel: &str) -> Option<(String, String, Arch, String)> {
    let comps: Vec<&str> = rel.split('/').collect();
    for i in 0..comps.len().saturating_sub(1) {
        let c = comps.get(i)?;
        if ignorable(c) {
            return None;
        }
        if let Some(arch) = Arch::parse(c) {
            if i == 0 {
                return None;
            }
            return Some((
                comps.get(..i)?.join("/"),
                c.to_string(),
                arch,
                comps.get(i + 1..)?.join("/"),
            ));
        }
    }
    None
}

/// Files outside every package: refused files are errors (key material is refused anywhere
/// in an input tree); the rest are ignored, and the visible ones named in one warning.
#[derive(Default)]
struct Outside {
    ignored: Vec<String>,
}

impl Outside {
    fn add(&mut self, set: &mut DriverSet, f: &InputFile) {
        match f.decision(&Allow::none()) {
            Ok(Decision::Refuse(why)) => set.load_problems_mut().error(Some(f.path.clone()), why),
            Err(e) => set
                .load_problems_mut()
                .error(Some(f.path.clone()), e.to_string()),
            Ok(_) if visible(&f.path) => self.ignored.push(f.path.clone()),
            Ok(_) => {}
        }
    }

    fn finish(self, set: &mut DriverSet, expected: &str) {
        if self.ignored.is_empty() {
            return;
        }
        const SHOWN: usize = 10;
        let mut list = self
            .ignored
            .iter()
            .take(SHOWN)
            .map(|r| format!("`{r}`"))
            .collect::<Vec<_>>()
            .join(", ");
        if self.ignored.len() > SHOWN {
            list += &format!(" (and {} more)", self.ignored.len() - SHOWN);
        }
        set.load_problems_mut().warn(
            None,
            format!(
                "{} file(s) outside {expected} are ignored: {list}",
                self.ignored.len()
            ),
        );
    }
}

/// How a package got its media name (for collision messages).
#[derive(Debug, Clone, Copy)]
enum How {
    NameMap,
    Builtin,
    LastComponent,
}

impl How {
    fn describe(self) -> &'static str {
        match self {
            How::NameMap => "by name_map",
            How::Builtin => "by the built-in rename",
            How::LastComponent => "by its last path component",
        }
    }
}

/// The files of a package, paths relative to the package directory.
type PackageFiles = Vec<InputFile>;

fn record_listing_problems(set: &mut DriverSet, problems: Vec<Error>) {
    for e in problems {
        let help = miette::Diagnostic::help(&e).map(|h| h.to_string());
        let msg = match help {
            Some(h) => format!("{e} ({h})"),
            None => e.to_string(),
        };
        set.load_problems_mut().error(None, msg);
    }
}

/// Every name_map key no package answered to is an error listing the keys that exist.
fn unused_keys(
    map: &[(String, String)],
    used: &[bool],
    kind: &str,
    known: impl Iterator<Item = String>,
) -> Result<()> {
    let unused: Vec<&str> = map
        .iter()
        .zip(used)
        .filter(|(_, u)| !**u)
        .map(|((k, _), _)| k.as_str())
        .collect();
    if unused.is_empty() {
        return Ok(());
    }
    let known: Vec<String> = known.collect();
    Err(Error::invalid(format!(
        "name_map names {kind} that are not in the input: {}",
        unused
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
    .with_help(format!("the {kind} found: {}", known.join(", "))))
}

fn build_ci(listing: Listing, name_map: &[(String, String)]) -> Result<DriverSet> {
    let mut set = DriverSet::new();
    let wrap = wrapper(&listing);
    let what = listing.what.clone();
    let looks_packager = matches!(detect(&listing), Some(Layout::Packager { .. }));
    record_listing_problems(&mut set, listing.problems);

    // driverRel -> arch directory -> files.
    let mut packages: BTreeMap<String, BTreeMap<String, (Arch, PackageFiles)>> = BTreeMap::new();
    let mut outside = Outside::default();
    for f in listing.files {
        match ci_split(&f.path) {
            Some((rel, dir, arch, inner)) => packages
                .entry(rel)
                .or_default()
                .entry(dir)
                .or_insert_with(|| (arch, Vec::new()))
                .1
                .push(InputFile::new(inner, f.source, f.size)),
            None => outside.add(&mut set, &f),
        }
    }
    if packages.is_empty() {
        let help = if looks_packager {
            format!(
                "this looks like {PACKAGER_LAYOUT}; read it with `open`, which detects the layout"
            )
        } else {
            format!("expected {CI_LAYOUT}")
        };
        return Err(Error::invalid(format!("{what}: no CI driver packages found")).with_help(help));
    }

    // Names: the user's map, then the built-in renames, then the last component. With a
    // wrapper folder, driverRel is also matched without it.
    let mut used = vec![false; name_map.len()];
    let mut named: Vec<(String, String, How)> = Vec::new();
    for rel in packages.keys() {
        let short = wrap
            .as_deref()
            .and_then(|w| rel.strip_prefix(w))
            .and_then(|r| r.strip_prefix('/'));
        let matches = |key: &str| {
            let key = normalize_rel(key);
            key.eq_ignore_ascii_case(rel) || short.is_some_and(|s| key.eq_ignore_ascii_case(s))
        };
        let mapped = name_map.iter().enumerate().find(|(_, (k, _))| matches(k));
        let (name, how) = if let Some((i, (_, name))) = mapped {
            if let Some(u) = used.get_mut(i) {
                *u = true;
            }
            (name.clone(), How::NameMap)
        } else if let Some((_, n)) = BUILTIN_RENAMES.iter().find(|(k, _)| matches(k)) {
            (n.to_string(), How::Builtin)
        } else {
            let last = rel.rsplit('/').next().unwrap_or(rel);
            (last.to_string(), How::LastComponent)
        };
        named.push((rel.clone(), name, how));
    }
    unused_keys(
        name_map,
        &used,
        "driverRel paths",
        packages.keys().map(|k| format!("`{k}`")),
    )?;

    let mut by_name: BTreeMap<String, Vec<&(String, String, How)>> = BTreeMap::new();
    for n in &named {
        by_name
            .entry(normalize_driver_name(&n.1).to_lowercase())
            .or_default()
            .push(n);
    }
    let collisions: Vec<Error> = by_name
        .values()
        .filter(|v| v.len() > 1)
        .filter_map(|v| {
            let from: Vec<String> = v
                .iter()
                .map(|(rel, name, how)| format!("`{rel}` (`{name}` {})", how.describe()))
                .collect();
            let first = v.first()?;
            Some(Error::invalid(format!(
                "driver name `{}` would come from {}",
                normalize_driver_name(&first.1),
                from.join(" and ")
            )))
        })
        .collect();
    if !collisions.is_empty() {
        return Err(Error::many(
            format!("{} driver name collision(s) in {what}", collisions.len()),
            collisions,
        )
        .with_help("give one of them another name with name_map (`driverRel=name`)"));
    }

    for ((rel, dirs), (_, name, _)) in packages.into_iter().zip(named) {
        for (dir, arch, files) in set.one_dir_per_arch(&format!("{rel}/"), dirs) {
            set.declare_arch(arch);
            let origin = format!("{rel}/{dir}");
            if let Err(e) = set.add_package_with_origin(arch, &name, &origin, files) {
                set.load_problems_mut().error(Some(origin), e.to_string());
            }
        }
    }
    outside.finish(&mut set, "`<driverRel>/<arch>/` package directories");
    Ok(set)
}

fn build_packager(
    listing: Listing,
    base: &str,
    name_map: &[(String, String)],
) -> Result<DriverSet> {
    let mut set = DriverSet::new();
    record_listing_problems(&mut set, listing.problems);
    let prefix = if base.is_empty() {
        String::new()
    } else {
        format!("{base}/")
    };

    // The packager layout itself is read by drivers.rs; what lies outside it is reported here.
    let layout = set.group_packager_files(&prefix, listing.files);
    let mut outside = Outside::default();
    for f in &layout.outside {
        outside.add(&mut set, f);
    }
    let kept = layout.arches;
    let mut used = vec![false; name_map.len()];
    let mut known = BTreeSet::new();
    let mut collisions = Vec::new();
    let mut packages = Vec::new();
    for (dir, arch, drivers) in kept {
        set.declare_arch(arch);
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        for (driver, files) in drivers {
            known.insert(format!("`{driver}`"));
            let mapped = name_map
                .iter()
                .enumerate()
                .find(|(_, (k, _))| normalize_rel(k).eq_ignore_ascii_case(&driver));
            let name = match mapped {
                Some((i, (_, name))) => {
                    if let Some(u) = used.get_mut(i) {
                        *u = true;
                    }
                    name.clone()
                }
                None => driver.clone(),
            };
            let origin = format!("{prefix}{dir}/{driver}");
            if let Some(first) = names.insert(name.to_lowercase(), origin.clone()) {
                collisions.push(Error::invalid(format!(
                    "driver name `{name}` would come from both `{first}` and `{origin}`"
                )));
                continue;
            }
            packages.push((arch, name, origin, files));
        }
    }
    unused_keys(name_map, &used, "driver directories", known.into_iter())?;
    if !collisions.is_empty() {
        return Err(Error::many(
            format!(
                "{} driver name collision(s) in {}",
                collisions.len(),
                listing.what
            ),
            collisions,
        )
        .with_help("give one of them another name with name_map (`driver=name`)"));
    }
    for (arch, name, origin, files) in packages {
        if let Err(e) = set.add_package_with_origin(arch, &name, &origin, files) {
            set.load_problems_mut().error(Some(origin), e.to_string());
        }
    }
    if set.arches().is_empty() {
        set.load_problems_mut().error(
            None,
            format!(
                "{} holds no architecture directories ({})",
                listing.what,
                Arch::accepted_spellings()
            ),
        );
    }
    outside.finish(&mut set, "`<arch>/<driver>/` directories");
    Ok(set)
}

/// List the ZIP at `zip` with the shared hardened reader ([`crate::media::zip::read_sources`]);
/// entries that are not readable files are kept as problems for validation.
fn list_zip(zip: &Path) -> Result<Listing> {
    let shown = zip
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| zip.display().to_string());
    let zip::ZipContents { files, unreadable } =
        zip::read_sources(zip, &shown, MAX_ZIP_ENTRIES, MAX_INFLATED_BYTES)?;
    let problems = unreadable
        .into_iter()
        .map(|(name, why)| {
            let e = Error::invalid(format!("`{name}` in {shown} {why}"));
            if why.contains("symlink") {
                e.with_help(
                    "replace it with the file it points to; symlinks are never followed or shipped",
                )
            } else {
                e.with_help("re-create the bundle unencrypted, with deflate or `zip -0`")
            }
        })
        .collect();
    Ok(Listing {
        what: shown,
        files: files
            .into_iter()
            .map(|f| InputFile::new(f.name, f.source, f.size))
            .collect(),
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> String {
        v.to_string()
    }

    #[test]
    fn ci_split_takes_the_first_arch_directory_below_the_root() {
        assert_eq!(
            ci_split("windows7/virtio-blk/x64/sub/a.sys"),
            Some((
                s("windows7/virtio-blk"),
                s("x64"),
                Arch::Amd64,
                s("sub/a.sys")
            ))
        );
        assert_eq!(ci_split("x64/viostor/a.sys"), None);
        assert_eq!(ci_split("windows7/virtio-blk/x64"), None);
        assert_eq!(ci_split("__MACOSX/windows7/virtio-blk/x64/._a.sys"), None);
        assert_eq!(ci_split("drivers/.cache/x86/a.sys"), None);
    }
}
