//! `manifest.json`: what the media is (package, inputs, signing policy) and the SHA-256 and size
//! of every file on it, sorted by path.
//!
//! Nothing machine- or path-specific goes in: inputs are recorded by base name and content
//! hash, never by where they were on the build machine. The JSON is pretty-printed with a
//! trailing newline and keys in a fixed order (struct order, then sorted maps), so the same
//! inputs give the same bytes.

use std::collections::BTreeMap;
use std::path::Path;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::hash;
use crate::media::output::{check_interrupted, is_interrupted, InterruptibleRead};
use crate::media::{Entry, Media, Source};

/// Name of the manifest at the media root.
pub const MANIFEST_NAME: &str = "manifest.json";

/// The manifest schema version this tool writes.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole `manifest.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Always [`SCHEMA_VERSION`] when written by this tool.
    pub schema_version: u32,
    /// What was built.
    pub package: Package,
    /// What it was built from, by role (`packaging_spec`, `windows_device_contract`, `tool`,
    /// `virtio_win`, ...): each a record such as [`input_record`] makes, plus role-specific keys.
    pub inputs: BTreeMap<String, Value>,
    /// `test`, `production` or `none`.
    pub signing_policy: String,
    /// Whether the guest must trust a shipped certificate (true only for `test`).
    pub certs_required: bool,
    /// Every file of the media except the manifest itself, sorted by path.
    pub files: Vec<FileRecord>,
    /// The catalog of each shipped driver INF: signer and hash algorithm (absent when the
    /// media carry no drivers).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub driver_catalogs: Vec<DriverCatalog>,
}

/// The catalog of one shipped driver INF, as the manifest records it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DriverCatalog {
    /// `<arch>/<driver>` as on the media under `drivers/`.
    pub driver: String,
    /// The INF, relative to the driver directory.
    pub inf: String,
    /// The catalog the INF names, if any.
    pub catalog: Option<String>,
    /// Subject of the catalog's signer certificate.
    pub signer: Option<String>,
    /// SHA-1 thumbprint of the signer certificate (upper-case hex).
    pub signer_thumbprint: Option<String>,
    /// Digest algorithm(s) of the catalog's members (`sha1`, `sha256`).
    pub hash_algorithm: String,
}

/// The `package` object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Package {
    /// Package name, e.g. `aero-guest-tools`.
    pub name: String,
    /// Package version, e.g. `1.2.3`.
    pub version: String,
    /// Build identifier given by the caller (CI run, `local`).
    pub build_id: String,
    /// The SOURCE_DATE_EPOCH every timestamp of the media uses.
    pub source_date_epoch: i64,
}

/// One file of the media.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRecord {
    /// `/`-separated path from the media root, no leading slash.
    pub path: String,
    /// Lower-case hex SHA-256 of the content.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

impl Manifest {
    /// A manifest for `package` listing `files` (sorted here), with no inputs recorded yet.
    pub fn new(
        package: Package,
        signing_policy: impl Into<String>,
        certs_required: bool,
        mut files: Vec<FileRecord>,
    ) -> Self {
        files.sort();
        Manifest {
            schema_version: SCHEMA_VERSION,
            package,
            inputs: BTreeMap::new(),
            signing_policy: signing_policy.into(),
            certs_required,
            files,
            driver_catalogs: Vec::new(),
        }
    }

    /// The manifest as pretty JSON with a trailing newline (files sorted by path).
    pub fn to_json(&self) -> Vec<u8> {
        let mut sorted;
        let m = if self.files.windows(2).all(|w| w[0].path < w[1].path) {
            self
        } else {
            sorted = self.clone();
            sorted.files.sort();
            &sorted
        };
        // Serialising plain structs, strings, integers and JSON values cannot fail.
        let mut out = serde_json::to_vec_pretty(m).unwrap_or_default();
        out.push(b'\n');
        out
    }

    /// Parse a complete manifest; `path` names it in errors (line and column included).
    pub fn from_json(path: &Path, text: &str) -> Result<Manifest> {
        let m: Manifest = serde_json::from_str(text).map_err(|e| json_error(path, text, &e))?;
        if m.schema_version != SCHEMA_VERSION {
            return Err(Error::invalid(format!(
                "{}: schema_version {} is not supported (this tool reads {SCHEMA_VERSION})",
                path.display(),
                m.schema_version
            )));
        }
        Ok(m)
    }
}

/// Only the file list of a manifest, read leniently (other fields may be anything): what
/// `verify` needs, so it also checks manifests of newer schema versions.
pub fn read_file_list(path: &Path, text: &str) -> Result<Vec<FileRecord>> {
    #[derive(Deserialize)]
    struct Files {
        files: Vec<FileRecord>,
    }
    let f: Files = serde_json::from_str(text).map_err(|e| json_error(path, text, &e))?;
    Ok(f.files)
}

/// SHA-256 and length of a media file's bytes, read now.
fn hash_source(path: &str, entry: &Entry) -> Result<(String, u64)> {
    let reader = InterruptibleRead(entry.source.open()?);
    hash::sha256_reader(reader).map_err(|e| {
        if is_interrupted() {
            return Error::Interrupted;
        }
        Error::invalid(format!(
            "cannot read {} for media file `{path}`: {e}",
            entry.source.describe()
        ))
    })
}

fn json_error(path: &Path, text: &str, e: &serde_json::Error) -> Error {
    let msg = e.to_string();
    // serde_json appends " at line L column C"; the location is shown by the snippet instead.
    let msg = msg
        .rsplit_once(" at line ")
        .map_or(msg.as_str(), |(m, _)| m)
        .to_string();
    Error::at_line(path, text, e.line().max(1), e.column().max(1), msg)
}

/// SHA-256 and size of every file of `media`, sorted by path (parallel, each source streamed
/// once; a source whose length differs from its declared size is an error).
pub fn hash_media(media: &Media) -> Result<Vec<FileRecord>> {
    let files: Vec<_> = media.files().collect();
    let hashed: Vec<Result<FileRecord>> = files
        .par_iter()
        .map(|(path, entry)| {
            check_interrupted()?;
            let known = match &entry.source {
                Source::File(p) => crate::known::sha256(p),
                _ => None,
            };
            let (sha256, size) = match known {
                Some(k) => k,
                None => hash_source(path, entry)?,
            };
            if size != entry.size {
                return Err(Error::invalid(format!(
                    "{} (media file `{path}`) changed during the run: {size} bytes now, {} when it was added",
                    entry.source.describe(),
                    entry.size
                ))
                .with_help("make sure nothing modifies the input files during the run, then run again"));
            }
            Ok(FileRecord {
                path: (*path).to_string(),
                sha256,
                size,
            })
        })
        .collect();
    let mut out = Vec::with_capacity(hashed.len());
    let mut problems = Vec::new();
    for h in hashed {
        match h {
            Ok(r) => out.push(r),
            Err(e) => problems.push(e),
        }
    }
    if problems.iter().any(|e| matches!(e, Error::Interrupted)) {
        return Err(Error::Interrupted);
    }
    if !problems.is_empty() {
        return Err(Error::many(
            format!("{} media file(s) could not be hashed", problems.len()),
            problems,
        ));
    }
    // media.files() is sorted already; keep the promise even if that ever changes.
    out.sort();
    Ok(out)
}

/// An input file recorded by base name and SHA-256: `{"path": "<base name>", "sha256": ...}`.
/// Callers may add role-specific keys (contract_name, ...) to the returned object.
pub fn input_record(path: &Path) -> Result<Value> {
    let name = path.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
        Error::invalid(format!(
            "input {} has no UTF-8 file name to record in the manifest",
            path.display()
        ))
    })?;
    let (sha256, _) = hash::sha256_file(path)?;
    Ok(serde_json::json!({ "path": name, "sha256": sha256 }))
}

/// This tool as an input: `{"name": "aero-recipe", "release": "<crate version>"}`. Not
/// `version`: that key is the package's alone, because Aero's `setup.cmd` falls back to reading
/// every `"version"` line of manifest.json when PowerShell is missing.
pub fn tool_record() -> Value {
    serde_json::json!({ "name": env!("CARGO_PKG_NAME"), "release": env!("CARGO_PKG_VERSION") })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_stable_sorted_and_path_free() {
        let dir = tempfile::tempdir().unwrap();
        let spec = dir.path().join("win7-virtio-full.json");
        std::fs::write(&spec, b"{}").unwrap();
        let mut media = Media::new();
        media.add_bytes("z.txt", b"z".to_vec()).unwrap();
        media.add_bytes("a/b.txt", b"abc".to_vec()).unwrap();
        let files = hash_media(&media).unwrap();
        let mut m = Manifest::new(
            Package {
                name: "aero-guest-tools".into(),
                version: "1.0.0".into(),
                build_id: "local".into(),
                source_date_epoch: 1_700_000_000,
            },
            "none",
            false,
            files.into_iter().rev().collect(),
        );
        m.inputs
            .insert("packaging_spec".into(), input_record(&spec).unwrap());
        m.inputs.insert("tool".into(), tool_record());
        let json = String::from_utf8(m.to_json()).unwrap();
        assert!(json.ends_with("}\n"));
        assert!(!json.contains(dir.path().to_str().unwrap()));
        assert!(json.find("\"a/b.txt\"").unwrap() < json.find("\"z.txt\"").unwrap());
        assert!(json.find("\"packaging_spec\"").unwrap() < json.find("\"tool\"").unwrap());
        assert!(json.contains(
            "\"sha256\": \"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\""
        ));
        let back = Manifest::from_json(Path::new("manifest.json"), &json).unwrap();
        assert_eq!(back, m);
        assert_eq!(back.to_json(), m.to_json());
    }

    #[test]
    fn bad_json_names_line_and_column() {
        let text = "{\n  \"files\": [\n    {\"path\": 1}\n  ]\n}\n";
        let e = read_file_list(Path::new("manifest.json"), text).unwrap_err();
        assert!(e.to_string().starts_with("manifest.json:3:"), "{e}");
    }
}
