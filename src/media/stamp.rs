//! Proof that an input did not change during a run: the identity of each local file behind
//! the media (device, inode, size, modification and change times) taken before it is
//! hashed and compared after every output is written. Any write to a file moves its change
//! time, which no user can set back, so equal stamps mean the bytes written are the bytes
//! hashed.

use std::path::{Path, PathBuf};

use super::tree::{Media, Source};
use crate::error::{Error, Result};
use crate::known::{stamp, Stamp};

/// The stamps of every local file a media reads (files, and images its extents are in),
/// sorted by path. The media path that reads each is looked up only for a file that moved.
#[derive(Debug, Clone, Default)]
pub struct Stamps(Vec<(PathBuf, Stamp)>);

/// The local file behind a media entry, if any.
fn local(source: &Source) -> Option<&Path> {
    match source {
        Source::File(p) => Some(p),
        Source::Extents { image, .. } => Some(image.as_path()),
        Source::Bytes(_) => None,
    }
}

impl Stamps {
    /// Stamp every local file behind `media` now.
    pub fn take(media: &Media) -> Result<Stamps> {
        let mut paths: Vec<&Path> = media
            .files()
            .filter_map(|(_, e)| local(&e.source))
            .collect();
        paths.sort_unstable();
        paths.dedup();
        let stamps = paths
            .into_iter()
            .map(|p| Ok((p.to_path_buf(), stamp(p)?)))
            .collect::<Result<_>>()?;
        Ok(Stamps(stamps))
    }

    /// Every file whose stamp moved since [`Stamps::take`]: an error naming each and the first
    /// media path (in media order) that reads it, for they may be on the media with other
    /// bytes than the manifest lists.
    pub fn check(&self, media: &Media) -> Result<()> {
        let moved: Vec<&Path> = self
            .0
            .iter()
            .filter(|(p, s)| stamp(p).ok().as_ref() != Some(s))
            .map(|(p, _)| p.as_path())
            .collect();
        if moved.is_empty() {
            return Ok(());
        }
        let dest = |p: &Path| {
            media
                .files()
                .find(|(_, e)| local(&e.source) == Some(p))
                .map_or("?", |(d, _)| d)
                .to_string()
        };
        let problems: Vec<Error> = moved
            .into_iter()
            .map(|p| {
                Error::invalid(format!(
                    "{} (media file `{}`) changed during the run, after it was hashed",
                    p.display(),
                    dest(p)
                ))
            })
            .collect();
        match problems.len() {
            0 => Ok(()),
            1 => Err(problems
                .into_iter()
                .next()
                .unwrap_or_else(|| Error::invalid("an input changed during the run"))
                .with_help("nothing was written; make sure nothing modifies the inputs during the run, then run again")),
            n => Err(Error::many(format!("{n} inputs changed during the run; nothing was written"), problems)),
        }
    }
}
