//! Helpers shared by the recipe end-to-end tests (`recipe::`): running the installed-style
//! binary in a chosen working directory with a private cache, reading media with external tools (xorriso,
//! 7z, bsdtar, unzip, isoinfo) as independent oracles, and hashing files and trees.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

/// The SOURCE_DATE_EPOCH every run gets unless a test says otherwise.
pub const SDE: i64 = 1_700_000_000;

/// The bundled recipes, as `aero-recipe list` names them.
pub const BUNDLED: [&str; 7] = [
    "aero-virtio",
    "aerogpu-only",
    "ci-signed",
    "virtio-win-driver-pack",
    "virtio-win-full",
    "virtio-win-minimal",
    "windows-unattend",
];

/// A user of the installed tool: a private cache directory (so the bundled copies unpack into
/// a temporary directory, as on a fresh machine) and a fixed SOURCE_DATE_EPOCH.
pub struct User {
    cache: tempfile::TempDir,
}

impl User {
    /// A user with an empty cache.
    pub fn new() -> Self {
        User { cache: tempdir() }
    }

    /// The private cache directory (where the bundled copies unpack).
    pub fn cache(&self) -> &Path {
        self.cache.path()
    }

    /// `aero-recipe ARGS` run in `cwd` with SOURCE_DATE_EPOCH = [`SDE`].
    pub fn cmd(&self, cwd: &Path, args: &[&str]) -> Command {
        self.cmd_sde(cwd, Some(SDE), args)
    }

    /// `aero-recipe ARGS` run in `cwd` with the given SOURCE_DATE_EPOCH (None: unset).
    pub fn cmd_sde(&self, cwd: &Path, sde: Option<i64>, args: &[&str]) -> Command {
        let mut c = aero();
        c.current_dir(cwd)
            .args(args)
            .env("XDG_CACHE_HOME", self.cache.path())
            .env_remove("RUST_BACKTRACE")
            .env_remove("RUST_LOG");
        match sde {
            Some(v) => c.env("SOURCE_DATE_EPOCH", v.to_string()),
            None => c.env_remove("SOURCE_DATE_EPOCH"),
        };
        c
    }

    /// Run `aero-recipe ARGS` in `cwd` (SOURCE_DATE_EPOCH = [`SDE`]).
    pub fn run(&self, cwd: &Path, args: &[&str]) -> Run {
        run(&mut self.cmd(cwd, args))
    }

    /// `aero-recipe run RECIPE --json --set out_dir=OUT [EXTRA]...` in `cwd`; must succeed.
    /// Returns the parsed `--json` summary.
    pub fn recipe(&self, cwd: &Path, recipe: &str, out: &Path, extra: &[&str]) -> Summary {
        let out_set = format!("out_dir={}", out.display());
        let mut args = vec!["run", recipe, "--json", "--set", &out_set];
        for e in extra {
            args.push("--set");
            args.push(e);
        }
        let r = self.run(cwd, &args).ok();
        Summary::parse(cwd, &r.stdout)
    }

    /// `aero-recipe verify PATH`; must succeed.
    pub fn verify(&self, path: &Path) {
        let r = self.run(&repo(), &["verify", &path.display().to_string()]);
        assert_eq!(
            r.code,
            Some(0),
            "verify {} failed:\n{}{}",
            path.display(),
            r.stdout,
            r.stderr
        );
    }
}

impl Default for User {
    fn default() -> Self {
        User::new()
    }
}

/// One output listed in the `--json` summary.
#[derive(Debug, Clone)]
pub struct Output {
    /// Where it is (the summary's path resolved against the run's working directory).
    pub path: PathBuf,
    /// The size the summary gives.
    pub size: u64,
    /// The SHA-256 the summary gives.
    pub sha256: String,
}

/// The `--json` summary of a run.
#[derive(Debug, Clone)]
pub struct Summary {
    /// Outputs by file name.
    pub outputs: BTreeMap<String, Output>,
    /// Warnings.
    pub warnings: Vec<String>,
}

impl Summary {
    /// Parse the summary printed by a run in `cwd`.
    pub fn parse(cwd: &Path, stdout: &str) -> Summary {
        let v: serde_json::Value = serde_json::from_str(stdout)
            .unwrap_or_else(|e| panic!("--json output is not JSON ({e}):\n{stdout}"));
        let mut outputs = BTreeMap::new();
        for o in v["outputs"].as_array().expect("outputs is an array") {
            let rel = o["path"].as_str().expect("output path is a string");
            let path = cwd.join(rel);
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("output has a file name")
                .to_string();
            let out = Output {
                path,
                size: o["size"].as_u64().expect("output size is a number"),
                sha256: o["sha256"]
                    .as_str()
                    .expect("output sha256 is a string")
                    .into(),
            };
            assert!(
                outputs.insert(name.clone(), out).is_none(),
                "{name} listed twice"
            );
        }
        let warnings = v["warnings"]
            .as_array()
            .expect("warnings is an array")
            .iter()
            .map(|w| w.as_str().expect("a warning is a string").to_string())
            .collect();
        Summary { outputs, warnings }
    }

    /// Check that the outputs are exactly the entries of `out_dir` (no stray or temporary
    /// files) and that each size and SHA-256 matches what is on disk (a directory output:
    /// total size, and SHA-256 over its sorted `path\0sha256\n` lines).
    pub fn check_against(&self, out_dir: &Path) {
        let on_disk: BTreeSet<String> = std::fs::read_dir(out_dir)
            .unwrap_or_else(|e| panic!("read {}: {e}", out_dir.display()))
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        let listed: BTreeSet<String> = self.outputs.keys().cloned().collect();
        assert_eq!(
            on_disk,
            listed,
            "{}: the summary must list exactly what is there",
            out_dir.display()
        );
        for (name, o) in &self.outputs {
            assert_eq!(
                o.path
                    .parent()
                    .map(std::fs::canonicalize)
                    .map(Result::unwrap),
                Some(std::fs::canonicalize(out_dir).unwrap()),
                "{name} is not in the output directory"
            );
            let (size, sha) = if o.path.is_dir() {
                tree_digest(&o.path)
            } else {
                let bytes = std::fs::read(&o.path).unwrap();
                (bytes.len() as u64, sha256_hex(&bytes))
            };
            assert_eq!(o.size, size, "{name}: size in the summary");
            assert_eq!(o.sha256, sha, "{name}: sha256 in the summary");
        }
    }

    /// The output named `name`.
    pub fn get(&self, name: &str) -> &Output {
        self.outputs
            .get(name)
            .unwrap_or_else(|| panic!("no output {name}; outputs: {:?}", self.outputs.keys()))
    }

    /// The text of the output `name`.
    pub fn text(&self, name: &str) -> String {
        std::fs::read_to_string(&self.get(name).path).unwrap()
    }
}

/// Total size and SHA-256 over the sorted `path\0sha256\n` lines of a directory's files.
pub fn tree_digest(dir: &Path) -> (u64, String) {
    let mut lines = String::new();
    let mut total = 0;
    for (rel, bytes) in tree(dir) {
        total += bytes.len() as u64;
        lines.push_str(&format!("{rel}\0{}\n", sha256_hex(&bytes)));
    }
    (total, sha256_hex(lines.as_bytes()))
}

/// Files in an ISO as xorriso lists them (`xorriso -indev ISO -find / -type f`), without `/`.
pub fn xorriso_files(iso: &Path) -> BTreeSet<String> {
    let out = tool_ok(
        tool("xorriso")
            .arg("-indev")
            .arg(iso)
            .args(["-find", "/", "-type", "f"]),
    );
    out.lines()
        .map(|l| {
            l.trim()
                .trim_matches('\'')
                .trim_start_matches('/')
                .to_string()
        })
        .filter(|l| !l.is_empty())
        .collect()
}

/// Files (not folders) in an archive or image as `7z l -slt` lists them.
pub fn sevenz_files(path: &Path) -> BTreeSet<String> {
    let out = tool_ok(tool("7z").args(["l", "-slt", "-ba"]).arg(path));
    let mut files = BTreeSet::new();
    for block in out.split("\n\n") {
        let mut name = None;
        let mut folder = false;
        for line in block.lines() {
            if let Some(p) = line.strip_prefix("Path = ") {
                name = Some(p.replace('\\', "/"));
            }
            if line == "Folder = +" {
                folder = true;
            }
        }
        if let (Some(n), false) = (name, folder) {
            files.insert(n);
        }
    }
    files
}

/// Files in an archive or image as `bsdtar -tf` lists them (directories left out).
pub fn bsdtar_files(path: &Path) -> BTreeSet<String> {
    let out = tool_ok(tool("bsdtar").arg("-tf").arg(path));
    let all: Vec<String> = out
        .lines()
        .map(|l| l.trim_start_matches("./").to_string())
        .collect();
    all.iter()
        .filter(|e| !e.is_empty() && *e != "." && !e.ends_with('/'))
        .filter(|e| !all.iter().any(|o| o.starts_with(&format!("{e}/"))))
        .cloned()
        .collect()
}

/// `unzip -t ZIP` must report no errors.
pub fn unzip_test(zip: &Path) {
    let out = tool_ok(tool("unzip").arg("-t").arg(zip));
    assert!(
        out.contains("No errors detected"),
        "unzip -t {}:\n{out}",
        zip.display()
    );
}

/// Paths in an ISO's Joliet tree as `isoinfo -J -f` lists them (with leading `/`, dirs too).
pub fn isoinfo_joliet(iso: &Path) -> BTreeSet<String> {
    tool_ok(tool("isoinfo").args(["-J", "-f", "-i"]).arg(iso))
        .lines()
        .map(str::to_string)
        .collect()
}

/// Extract an ISO with xorriso (Rock Ridge names) into `dest`; the copy is left writable.
pub fn extract_iso(iso: &Path, dest: &Path) {
    tool_ok(
        tool("xorriso")
            .args(["-osirrox", "on", "-indev"])
            .arg(iso)
            .args(["-extract", "/"])
            .arg(dest),
    );
    make_writable(dest);
}

/// Extract a ZIP with unzip into `dest`.
pub fn extract_zip(zip: &Path, dest: &Path) {
    tool_ok(tool("unzip").arg("-q").arg(zip).arg("-d").arg(dest));
}

/// The manifest.json `files` list as path -> (size, sha256).
pub fn manifest_files(manifest: &serde_json::Value) -> BTreeMap<String, (u64, String)> {
    manifest["files"]
        .as_array()
        .expect("manifest has a files array")
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                (
                    f["size"].as_u64().unwrap(),
                    f["sha256"].as_str().unwrap().to_string(),
                ),
            )
        })
        .collect()
}

/// Read and parse a JSON file.
pub fn read_json(p: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{} is not JSON: {e}", p.display()))
}

/// Files of a driver build directory that ship by default (debug symbols are left out).
pub fn shipped_driver_files(src: &Path) -> BTreeMap<String, Vec<u8>> {
    tree(src)
        .into_iter()
        .filter(|(rel, _)| !rel.to_ascii_lowercase().ends_with(".pdb"))
        .collect()
}

/// The 1-based line of `file_text` holding `needle` (the first such line).
pub fn line_of(file_text: &str, needle: &str) -> usize {
    file_text
        .lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("no line contains {needle:?}"))
}
