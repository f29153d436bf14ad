//! Publishing a media: hash it, put its manifest on it, and write every requested output
//! (ISO, ZIP, directory copy, manifest copies, side files) into one output directory at once.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use super::copy::copy_into;
use super::iso::{write_iso, IsoOptions};
use super::manifest::{self, Manifest, Package, MANIFEST_NAME};
use super::output::{OutputRecord, OutputSet};
use super::stamp::Stamps;
use super::writeback::Writeback;
use super::zip::{write_zip, ZipOptions};
use super::Media;
use crate::error::{Error, IoContext, Result};
use crate::hash::HashingWriter;

/// What to write, and what the manifest says about it.
#[derive(Debug, Clone)]
pub struct Publish {
    /// Directory the outputs go to (created if missing).
    pub out_dir: PathBuf,
    /// The manifest's `package` object.
    pub package: Package,
    /// The manifest's `signing_policy`.
    pub signing_policy: String,
    /// The manifest's `certs_required`.
    pub certs_required: bool,
    /// The manifest's `inputs`, by role.
    pub inputs: BTreeMap<String, Value>,
    /// Whether `manifest.json` goes onto the media itself (Guest Tools media: yes).
    pub manifest_in_media: bool,
    /// ISO output name and volume label.
    pub iso: Option<(String, String)>,
    /// ZIP output name.
    pub zip: Option<String>,
    /// ZIP deflate level (libdeflate's, 0-9; see [`ZipOptions::level`]).
    pub zip_level: u32,
    /// Name of a plain directory copy of the media.
    pub dir: Option<String>,
    /// Names of manifest copies written beside the outputs.
    pub manifest_copies: Vec<String>,
    /// Small files written beside the outputs (`autounattend.xml`).
    pub side_files: Vec<(String, Vec<u8>)>,
    /// The manifest's `driver_catalogs`.
    pub driver_catalogs: Vec<manifest::DriverCatalog>,
}

impl Publish {
    /// A request writing nothing yet, for `package` into `out_dir`.
    pub fn new(out_dir: impl Into<PathBuf>, package: Package) -> Self {
        Publish {
            out_dir: out_dir.into(),
            package,
            signing_policy: "none".into(),
            certs_required: false,
            inputs: BTreeMap::new(),
            manifest_in_media: true,
            iso: None,
            zip: None,
            zip_level: ZipOptions::default().level,
            dir: None,
            manifest_copies: Vec::new(),
            side_files: Vec::new(),
            driver_catalogs: Vec::new(),
        }
    }
}

/// `bytes` in the unit a person reads at a glance: `812 B`, `4.2 KB`, `1.6 GB` (powers of 1000).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut v = bytes as f64;
    let mut unit = 0;
    while v >= 1000.0 && unit + 1 < UNITS.len() {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// What [`publish`] did.
#[derive(Debug, Clone)]
pub struct Published {
    /// Every output written, sorted by path.
    pub records: Vec<OutputRecord>,
    /// Outputs of an earlier, interrupted commit in the same directory that were finished
    /// first (the caller tells the user).
    pub repaired: Vec<String>,
}

/// Write every output of `req` for `media`; all become visible together or none does.
/// `progress` hears one line per phase (hashing, each output).
///
/// The ISO is written on its own thread while the ZIP is compressed on the worker pool; the
/// ISO's hash is taken as it is written. Every local input is stamped before it is hashed and
/// checked after the last output is written: an input that changed in between is an error
/// naming it, and nothing is committed.
///
/// `media` is borrowed, not copied: the manifest is added to it for the writing and taken out
/// again before this returns, whatever the outcome.
pub fn publish(media: &mut Media, req: &Publish, progress: &dyn Fn(&str)) -> Result<Published> {
    if req.iso.is_none() && req.zip.is_none() && req.dir.is_none() {
        return Err(Error::invalid(format!(
            "nothing to write into {}: no ISO, ZIP or directory was asked for",
            req.out_dir.display()
        ))
        .with_help("name at least one output (iso, zip or dir)"));
    }
    if media.get(MANIFEST_NAME).is_some() && req.manifest_in_media {
        return Err(Error::invalid(format!(
            "the media already has a `{MANIFEST_NAME}`; it is generated"
        )));
    }
    media.check()?;
    let stamps = Stamps::take(media)?;
    progress(&format!(
        "hashing {} files ({})",
        media.len(),
        human_size(media.total_size())
    ));
    let files = manifest::hash_media(media)?;
    let mut m = Manifest::new(
        req.package.clone(),
        req.signing_policy.clone(),
        req.certs_required,
        files,
    );
    m.inputs = req.inputs.clone();
    m.driver_catalogs = req.driver_catalogs.clone();
    m.inputs
        .entry("tool".into())
        .or_insert_with(manifest::tool_record);
    // One copy of the manifest's bytes, shared by the media and the copies beside it; the
    // records it was made from are not kept through the writing.
    let json: Arc<[u8]> = m.to_json().into();
    drop(m);
    if !req.manifest_in_media {
        return write_outputs(media, req, &json, stamps, progress);
    }
    media.add_bytes(MANIFEST_NAME, Arc::clone(&json))?;
    let written = write_outputs(media, req, &json, stamps, progress);
    media.remove(MANIFEST_NAME);
    written
}

/// Write and commit every output of `req` for `media` (which holds its manifest if it ships
/// one); `json` is the manifest for the copies beside the outputs.
fn write_outputs(
    media: &Media,
    req: &Publish,
    json: &[u8],
    stamps: Stamps,
    progress: &dyn Fn(&str),
) -> Result<Published> {
    let sde = req.package.source_date_epoch;
    let mut out = OutputSet::new(&req.out_dir)?;
    let repaired = out.repaired().to_vec();
    let iso = match &req.iso {
        Some((name, volume_id)) => Some((name, volume_id, out.create(name)?)),
        None => None,
    };
    let zip = match &req.zip {
        Some(name) => Some((name, out.create(name)?)),
        None => None,
    };
    let dir = match &req.dir {
        Some(name) => Some((name, out.create_dir(name)?)),
        None => None,
    };
    let names: Vec<String> = iso
        .iter()
        .map(|(n, _, _)| n.to_string())
        .chain(zip.iter().map(|(n, _)| n.to_string()))
        .chain(dir.iter().map(|(n, _)| format!("{n}/")))
        .collect();
    if !names.is_empty() {
        progress(&format!("writing {}", names.join(" and ")));
    }
    let (iso_hash, zip_done, dir_done) = std::thread::scope(|s| {
        let iso_thread = iso.map(|(name, volume_id, file)| {
            let path = req.out_dir.join(name);
            s.spawn(move || -> Result<(String, u64, String)> {
                let mut w =
                    HashingWriter::new(BufWriter::with_capacity(1 << 20, Writeback::new(file)));
                write_iso(
                    media,
                    &mut w,
                    &IsoOptions {
                        volume_id: volume_id.clone(),
                        source_date_epoch: sde,
                    },
                )?;
                w.flush().with_path("write", &path)?;
                let (sha, size, _) = w.finish();
                Ok((name.clone(), size, sha))
            })
        });
        let dir_thread = dir.map(|(_, root)| s.spawn(move || copy_into(media, &root)));
        let zip_done = zip.map(|(name, file)| -> Result<(String, u64, String)> {
            let w = write_zip(
                media,
                HashingWriter::new(BufWriter::with_capacity(1 << 20, Writeback::new(file))),
                &ZipOptions {
                    source_date_epoch: sde,
                    level: req.zip_level,
                },
            )?;
            let (sha, size, w) = w.finish();
            w.into_inner()
                .map_err(|e| Error::io("write", req.out_dir.join(name), e.into_error()))?;
            Ok((name.clone(), size, sha))
        });
        let iso_hash = iso_thread.map(|t| joined(t, "ISO"));
        let dir_done = dir_thread.map(|t| joined(t, "directory"));
        (iso_hash, zip_done, dir_done)
    });
    if let Some(r) = zip_done {
        let (name, size, sha) = r?;
        out.set_hash(&name, size, sha);
    }
    if let Some(r) = dir_done {
        r?;
    }
    if let Some(r) = iso_hash {
        let (name, size, sha) = r?;
        out.set_hash(&name, size, sha);
    }
    for name in &req.manifest_copies {
        out.write_bytes(name, json)?;
    }
    for (name, bytes) in &req.side_files {
        out.write_bytes(name, bytes)?;
    }
    stamps.check(media)?;
    Ok(Published {
        records: out.commit()?,
        repaired,
    })
}

/// The result of a writer thread; a panic in it is an error naming the writer.
fn joined<T>(t: std::thread::ScopedJoinHandle<'_, Result<T>>, what: &str) -> Result<T> {
    t.join()
        .unwrap_or_else(|_| Err(Error::invalid(format!("the {what} writer thread failed"))))
}

#[cfg(test)]
mod tests {
    use super::human_size;

    #[test]
    fn sizes_read_at_a_glance() {
        assert_eq!(human_size(812), "812 B");
        assert_eq!(human_size(4_200), "4.2 KB");
        assert_eq!(human_size(1_600_000_000), "1.6 GB");
    }
}
