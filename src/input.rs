//! The one input-listing type: a file of an input (a directory, an ISO, a ZIP), by its
//! `/`-separated path relative to the input (or package) root, where its bytes are, and its
//! size. Driver packages, CI bundles and virtio-win sources all list their files as these.

use std::path::PathBuf;

use crate::error::Result;
use crate::fswalk::TreeFile;
use crate::media::Source;
use crate::policy::{self, Allow, Decision};
use crate::{keys, known};

/// One file of an input: relative path, where its bytes are, size.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// `/`-separated path relative to the input root (or to a package directory), in the case
    /// the input spells it.
    pub path: String,
    /// Where the bytes are (a file on disk, extents inside an image, bytes in memory).
    pub source: Source,
    /// Size in bytes.
    pub size: u64,
}

impl InputFile {
    /// A file of an input.
    pub fn new(path: impl Into<String>, source: Source, size: u64) -> InputFile {
        InputFile {
            path: path.into(),
            source,
            size,
        }
    }

    /// A file on disk at `disk`, listed as `path`.
    pub fn on_disk(path: impl Into<String>, disk: PathBuf, size: u64) -> InputFile {
        InputFile::new(path, Source::File(disk), size)
    }

    /// A single local file, listed by its base name (to place on media as `dest/<name>`).
    pub fn local_file(path: &std::path::Path) -> Result<InputFile> {
        use crate::error::{Error, IoContext};
        let meta = std::fs::metadata(path).with_path("read", path)?;
        if !meta.is_file() {
            return Err(Error::invalid(format!("{} is not a file", path.display())));
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| Error::invalid(format!("{} has no UTF-8 file name", path.display())))?;
        Ok(InputFile::on_disk(name, path.to_path_buf(), meta.len()))
    }

    /// The last path component.
    pub fn name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }

    /// Whether policy ships, skips or refuses this file, with `allow`'s re-includes (a file
    /// that would ship is streamed once to look for private keys by content; a local file is
    /// hashed in the same read, and not read again while it is unchanged: [`crate::known`]).
    pub fn decision(&self, allow: &Allow) -> Result<Decision> {
        policy::decide(&self.path, allow, || match &self.source {
            Source::File(p) => known::scan_file(p, &self.path),
            other => keys::scan(other.open()?).map_err(|e| keys::scan_error(&self.path, &e)),
        })
    }
}

impl From<TreeFile> for InputFile {
    fn from(f: TreeFile) -> InputFile {
        InputFile::on_disk(f.rel, f.path, f.size)
    }
}

/// The `(path, source, size)` tuples recipe adapters build.
impl From<(String, Source, u64)> for InputFile {
    fn from((path, source, size): (String, Source, u64)) -> InputFile {
        InputFile::new(path, source, size)
    }
}
