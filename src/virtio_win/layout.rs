//! What the upstream virtio-win layout means: OS directory names and their shared-binary
//! aliases, architecture directories, and which top-level directories are drivers.

use std::collections::BTreeMap;

use crate::arch::Arch;
use crate::error::{Error, Result};

use super::listing::{fold, Listing};

/// Every OS directory upstream has used, oldest first (the order error messages list them in).
pub const OS_DIRS: [&str; 15] = [
    "xp", "2k3", "2k8", "2k8R2", "w7", "w8", "w8.1", "2k12", "2k12R2", "w10", "2k16", "2k19",
    "w11", "2k22", "2k25",
];

/// Drivers upstream also links into the flat `<amd64|i386>/<os>/` tree.
pub const FLAT_DRIVERS: [&str; 2] = ["viostor", "vioscsi"];

/// The OS whose build a server OS shares when the ISO has no directory of its own for it.
pub fn shared_build(os: &str) -> Option<&'static str> {
    match os {
        "2k8R2" => Some("w7"),
        "2k12" => Some("w8"),
        "2k12R2" => Some("w8.1"),
        "2k16" | "2k19" | "2k22" => Some("w10"),
        "2k25" => Some("w11"),
        _ => None,
    }
}

/// The upstream OS directory name for a user's spelling (case-insensitive): the directory
/// names themselves, `win7`/`windows7`-style names and server years (`2022`, `server2022`).
pub fn canonical_os(s: &str) -> Option<&'static str> {
    let l = s.trim().to_ascii_lowercase();
    if let Some(d) = OS_DIRS.iter().find(|d| d.eq_ignore_ascii_case(&l)) {
        return Some(d);
    }
    let l = l
        .strip_prefix("windows")
        .or_else(|| l.strip_prefix("win"))
        .unwrap_or(&l)
        .trim_start_matches(['-', '_', ' ']);
    let l = l
        .strip_prefix("server")
        .unwrap_or(l)
        .trim_start_matches(['-', '_', ' ']);
    Some(match l {
        "xp" => "xp",
        "7" => "w7",
        "8" => "w8",
        "8.1" | "81" => "w8.1",
        "10" => "w10",
        "11" => "w11",
        "2003" => "2k3",
        "2008" => "2k8",
        "2008r2" => "2k8R2",
        "2012" => "2k12",
        "2012r2" => "2k12R2",
        "2016" => "2k16",
        "2019" => "2k19",
        "2022" => "2k22",
        "2025" => "2k25",
        _ => return None,
    })
}

/// The upstream directory name for an architecture under `<Driver>/<os>/`.
pub fn arch_dir(arch: Arch) -> &'static str {
    match arch {
        Arch::X86 => "x86",
        Arch::Amd64 => "amd64",
        Arch::Arm64 => "ARM64",
    }
}

/// The top-level directory of the flat tree for an architecture. Upstream links only x86
/// (`i386`) and amd64 builds there; `ARM64` is looked for in case a release adds it.
pub fn flat_arch_dir(arch: Arch) -> &'static str {
    match arch {
        Arch::X86 => "i386",
        Arch::Amd64 => "amd64",
        Arch::Arm64 => "ARM64",
    }
}

/// Position of an OS directory in [`OS_DIRS`] (unknown names sort last, by name).
pub fn os_rank(os: &str) -> (usize, String) {
    let i = OS_DIRS
        .iter()
        .position(|d| d.eq_ignore_ascii_case(os))
        .unwrap_or(OS_DIRS.len());
    (i, fold(os))
}

/// One build of a driver: `<Driver>/<os>/<arch>/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    /// The OS directory as spelled in the source.
    pub os_dir: String,
    /// The architecture its directory name stands for.
    pub arch: Arch,
    /// The build directory's path in the source.
    pub path: String,
}

/// A driver directory and its builds.
#[derive(Debug, Clone)]
pub struct DriverDir {
    /// The directory name as spelled in the source (`NetKVM`).
    pub dir: String,
    /// Builds ordered by OS age, then architecture.
    pub builds: Vec<Build>,
}

impl DriverDir {
    /// Whether the driver has a directory for `os` (any architecture).
    pub fn has_os(&self, os: &str) -> bool {
        self.builds
            .iter()
            .any(|b| b.os_dir.eq_ignore_ascii_case(os))
    }

    /// The build for `os` and `arch`, if the source has one.
    pub fn build(&self, os: &str, arch: Arch) -> Option<&Build> {
        self.builds
            .iter()
            .find(|b| b.arch == arch && b.os_dir.eq_ignore_ascii_case(os))
    }

    /// `os/arch` pairs, for messages (`w10/amd64, w11/ARM64`).
    pub fn describe_builds(&self) -> String {
        if self.builds.is_empty() {
            return "no builds".into();
        }
        self.builds
            .iter()
            .map(|b| format!("{}/{}", b.os_dir, arch_dir(b.arch)))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Find driver directories: top-level directories holding `<os>/<arch>/` with a known OS
/// directory name and an architecture directory. (The flat `amd64/<os>/` tree holds files
/// directly under `<os>/`, so it is not mistaken for a driver.)
pub fn driver_dirs(listing: &Listing) -> BTreeMap<String, DriverDir> {
    let mut out = BTreeMap::new();
    for top in listing.subdirs("") {
        let mut builds = Vec::new();
        for os in listing.subdirs(top) {
            if !OS_DIRS.iter().any(|d| d.eq_ignore_ascii_case(os)) {
                continue;
            }
            let os_path = format!("{top}/{os}");
            for a in listing.subdirs(&os_path) {
                if let Some(arch) = Arch::parse(a) {
                    // Prefer upstream's spelling when a tree has two names for one arch.
                    let path = format!("{os_path}/{a}");
                    let dup = builds
                        .iter()
                        .position(|b: &Build| b.arch == arch && b.os_dir == os);
                    match dup {
                        Some(i) if a == arch_dir(arch) => {
                            builds[i] = Build {
                                os_dir: os.to_string(),
                                arch,
                                path,
                            }
                        }
                        Some(_) => {}
                        None => builds.push(Build {
                            os_dir: os.to_string(),
                            arch,
                            path,
                        }),
                    }
                }
            }
        }
        if !builds.is_empty() {
            builds.sort_by_key(|b| (os_rank(&b.os_dir), b.arch));
            out.insert(
                fold(top),
                DriverDir {
                    dir: top.to_string(),
                    builds,
                },
            );
        }
    }
    out
}

/// Resolve a user's OS name: an upstream name or spelling, or any OS directory the source
/// actually has (so a newer ISO's directories work before this table knows them).
pub fn resolve_os(input: &str, drivers: &BTreeMap<String, DriverDir>) -> Result<String> {
    if let Some(os) = canonical_os(input) {
        return Ok(os.to_string());
    }
    let present = drivers
        .values()
        .flat_map(|d| d.builds.iter())
        .find(|b| b.os_dir.eq_ignore_ascii_case(input.trim()));
    if let Some(b) = present {
        return Ok(b.os_dir.clone());
    }
    Err(Error::invalid(format!(
        "unknown Windows version `{input}`: expected one of {}",
        OS_DIRS.join(" ")
    ))
    .with_help("use the virtio-win directory name (w7, w10, w11, 2k22, ...) or win10 / server2022"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_spellings() {
        assert_eq!(canonical_os("W10"), Some("w10"));
        assert_eq!(canonical_os("2K8r2"), Some("2k8R2"));
        assert_eq!(canonical_os("win8.1"), Some("w8.1"));
        assert_eq!(canonical_os("Windows 7"), Some("w7"));
        assert_eq!(canonical_os("server2022"), Some("2k22"));
        assert_eq!(canonical_os("2025"), Some("2k25"));
        assert_eq!(canonical_os("vista"), None);
        assert_eq!(shared_build("2k22"), Some("w10"));
        assert_eq!(shared_build("w10"), None);
    }
}
