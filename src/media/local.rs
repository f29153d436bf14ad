//! Local files and directories the user names, placed on media: a directory ships what the
//! default rules let ship (key material and junk refused or skipped), a file keeps its name.

use std::path::Path;

use super::{Media, Source};
use crate::error::{Error, Result};

fn base_name(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| Error::invalid(format!("{} has no UTF-8 file name", path.display())))
}

/// Put the local file or directory `path` under the media directory `dest`: a file as
/// `dest/<its name>`, a directory's shippable files below `dest/` (every refused file is
/// reported at once).
pub fn add_local(media: &mut Media, dest: &str, path: &Path) -> Result<()> {
    let dest = dest.trim_matches('/');
    if path.is_dir() {
        let (files, problems) = crate::policy::shipped_files(path)?;
        if !problems.is_empty() {
            return Err(Error::many(
                format!("{} cannot be shipped", path.display()),
                problems,
            ));
        }
        for f in files {
            media.add_file(&format!("{dest}/{}", f.rel), &f.path)?;
        }
        Ok(())
    } else {
        let name = base_name(path)?;
        refuse_keys(&name, &Source::File(path.to_path_buf()), &path.display())?;
        media.add_file(&format!("{dest}/{name}"), path)
    }
}

/// An error if the file `name` (bytes in `source`, given as `given`) is private key material,
/// by extension or by content.
fn refuse_keys(name: &str, source: &Source, given: &dyn std::fmt::Display) -> Result<()> {
    match crate::policy::refusal(name, || source.open())? {
        Some(why) => Err(Error::invalid(format!("{given}: {why}")).with_help(
            "private keys never go on media; give the certificate or file without the key",
        )),
        None => Ok(()),
    }
}

/// Put one input file (its name, bytes and size) under the media directory `dest` (private
/// key material, by name or content, is refused).
pub fn add_input(
    media: &mut Media,
    dest: &str,
    name: &str,
    source: &Source,
    size: u64,
) -> Result<()> {
    refuse_keys(name, source, &source.describe())?;
    media.add(
        &format!("{}/{name}", dest.trim_matches('/')),
        source.clone(),
        size,
    )
}
