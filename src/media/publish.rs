//! Publishing a media: hash it, put its manifest on it, and write every requested output
//! (ISO, ZIP, directory copy, manifest copies, side files) into one output directory at once.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use serde_json::Value;

use super::iso::{write_iso, IsoOptions};
use super::manifest::{self, Manifest, Package, MANIFEST_NAME};
use super::output::{OutputRecord, OutputSet};
use super::zip::{write_zip, ZipOptions};
use super::Media;
use crate::error::{Error, IoContext, Result};

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
    /// ZIP deflate level.
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
            zip_level: 6,
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

/// Write every output of `req` for `media`; all become visible together or none does.
/// `progress` hears one line per phase (hashing, each output).
pub fn publish(
    mut media: Media,
    req: &Publish,
    progress: &dyn Fn(&str),
) -> Result<Vec<OutputRecord>> {
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
    progress(&format!(
        "hashing {} files ({})",
        media.len(),
        human_size(media.total_size())
    ));
    let files = manifest::hash_media(&media)?;
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
    let json = m.to_json();
    if req.manifest_in_media {
        media.add_bytes(MANIFEST_NAME, json.clone())?;
    }

    let sde = req.package.source_date_epoch;
    let mut out = OutputSet::new(&req.out_dir)?;
    if let Some((name, volume_id)) = &req.iso {
        progress(&format!("writing {name}"));
        let file = out.create(name)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        write_iso(
            &media,
            &mut w,
            &IsoOptions {
                volume_id: volume_id.clone(),
                source_date_epoch: sde,
            },
        )?;
        w.flush().with_path("write", &req.out_dir.join(name))?;
    }
    if let Some(name) = &req.zip {
        progress(&format!("writing {name}"));
        let file = out.create(name)?;
        let w = write_zip(
            &media,
            BufWriter::with_capacity(1 << 20, file),
            &ZipOptions {
                source_date_epoch: sde,
                level: req.zip_level,
            },
        )?;
        w.into_inner()
            .map_err(|e| Error::io("write", req.out_dir.join(name), e.into_error()))?;
    }
    if let Some(name) = &req.dir {
        progress(&format!("writing {name}/"));
        let root = out.create_dir(name)?;
        for (path, entry) in media.files() {
            let dest = root.join(path);
            if let Some(parent) = dest.parent() {
                std::fs::create_dir_all(parent).with_path("create", parent)?;
            }
            let mut src = entry.source.open()?;
            let mut f = std::fs::File::create(&dest).with_path("create", &dest)?;
            std::io::copy(&mut src, &mut f).with_path("write", &dest)?;
        }
        for d in media.dirs() {
            let p = root.join(d);
            std::fs::create_dir_all(&p).with_path("create", &p)?;
        }
    }
    for name in &req.manifest_copies {
        out.write_bytes(name, &json)?;
    }
    for (name, bytes) in &req.side_files {
        out.write_bytes(name, bytes)?;
    }
    out.commit()
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
