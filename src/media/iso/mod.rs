//! ISO 9660 + Joliet + Rock Ridge: a deterministic writer and a defensive reader.
//!
//! The writer ([`write_iso`]) turns a [`Media`] tree into an image that Windows reads through
//! Joliet and Unix tools through Rock Ridge; its bytes depend only on the media paths, the
//! file contents and [`IsoOptions`]. The reader ([`IsoReader`]) lists and extracts images made
//! by this module, genisoimage, xorriso and mkisofs, and exposes their files as
//! [`Source::Extents`](crate::media::Source::Extents) so they can be put on new media without
//! copying. See `docs/decisions.md` for the choices behind both.

mod date;
mod layout;
pub mod names;
mod read;
mod record;
mod rrip;
mod views;
mod write;

use std::path::Path;

use crate::error::{Error, Result};
use crate::media::Media;

pub use read::{IsoEntry, IsoReader, NameSource, MAX_PATH_BYTES, SHARED_DATA_FACTOR};
pub use views::{disagreements, view_name, Disagreement};
pub use write::{write_iso, write_iso_file};

/// What the writer needs besides the media.
#[derive(Debug, Clone)]
pub struct IsoOptions {
    /// Volume label: normalised to d-characters (max 32) for ISO 9660, kept as typed (max 16
    /// characters) for Joliet.
    pub volume_id: String,
    /// Every timestamp on the image (seconds since 1970-01-01 UTC).
    pub source_date_epoch: i64,
}

/// SOURCE_DATE_EPOCH from the environment, 0 when unset.
pub fn source_date_epoch_from_env() -> Result<i64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Err(std::env::VarError::NotPresent) => Ok(0),
        Ok(v) if v.trim().is_empty() => Ok(0),
        Ok(v) => v.trim().parse().map_err(|_| {
            Error::invalid(format!(
                "SOURCE_DATE_EPOCH=`{v}` is not a whole number of seconds"
            ))
        }),
        Err(e) => Err(Error::invalid(format!("SOURCE_DATE_EPOCH: {e}"))),
    }
}

/// A media tree holding every file and directory (empty ones included) under `dir`.
pub fn media_from_dir(dir: &Path) -> Result<Media> {
    let meta = std::fs::metadata(dir).map_err(|e| Error::io("read", dir, e))?;
    if !meta.is_dir() {
        return Err(Error::invalid(format!(
            "{} is not a directory",
            dir.display()
        )));
    }
    let mut media = Media::new();
    media.add_tree("", dir, |_| true)?;
    Ok(media)
}
