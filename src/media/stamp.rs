//! Proof that an input did not change during a run: the identity of each local file behind
//! the media (device, inode, size, modification and change times) taken before it is
//! hashed and compared after every output is written. Any write to a file moves its change
//! time, which no user can set back, so equal stamps mean the bytes written are the bytes
//! hashed.

use std::path::PathBuf;

use super::tree::{Media, Source};
use crate::error::{Error, Result};
use crate::known::{stamp, Stamp};

/// The stamps of every local file a media reads (files, and images its extents are in), with
/// the first media path that reads each.
#[derive(Debug, Clone, Default)]
pub struct Stamps(Vec<(PathBuf, String, Stamp)>);

impl Stamps {
    /// Stamp every local file behind `media` now.
    pub fn take(media: &Media) -> Result<Stamps> {
        let mut seen = std::collections::BTreeMap::new();
        for (dest, entry) in media.files() {
            let path = match &entry.source {
                Source::File(p) => p.clone(),
                Source::Extents { image, .. } => image.as_ref().clone(),
                Source::Bytes(_) => continue,
            };
            if let std::collections::btree_map::Entry::Vacant(slot) = seen.entry(path) {
                let s = stamp(slot.key())?;
                slot.insert((dest.to_string(), s));
            }
        }
        Ok(Stamps(
            seen.into_iter().map(|(p, (d, s))| (p, d, s)).collect(),
        ))
    }

    /// Every file whose stamp moved since [`Stamps::take`]: an error naming each, for they may
    /// be on the media with other bytes than the manifest lists.
    pub fn check(&self) -> Result<()> {
        let problems: Vec<Error> = self
            .0
            .iter()
            .filter(|(p, _, s)| stamp(p).ok().as_ref() != Some(s))
            .map(|(p, dest, _)| {
                Error::invalid(format!(
                    "{} (media file `{dest}`) changed during the run, after it was hashed",
                    p.display()
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
