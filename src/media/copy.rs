//! Writing media as a plain directory: files copied in parallel on the rayon pool, each read
//! once, each checked to yield exactly the size it was listed with (a file that grew or shrank
//! since it was listed or hashed is an error naming it).
//!
//! Unhashed copies of files and of files inside an image go File to File through
//! `std::io::copy`, which uses `copy_file_range` on Linux (the kernel moves the bytes, or
//! shares them on file systems with reflinks) and falls back to read/write elsewhere. Hashed
//! copies read through 1 MiB buffers and hash what they write.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::error::{Error, IoContext, Result};
use crate::hash::hex;
use crate::media::output::check_interrupted;
use crate::media::zip::InputRead;
use crate::media::{Entry, Media, Source};

/// Buffer size of a hashed copy.
const BUF: usize = 1 << 20;

/// Copy every directory and file of `media` below `root` (which must exist). With `hash`, also
/// return for every file, in path order, the size and SHA-256 of the bytes copied.
pub fn copy_into(media: &Media, root: &Path, hash: bool) -> Result<Vec<InputRead>> {
    for d in media.dirs() {
        let p = root.join(d);
        std::fs::create_dir_all(&p).with_path("create", &p)?;
    }
    for (path, _) in media.files() {
        if let Some(parent) = root.join(path).parent() {
            std::fs::create_dir_all(parent).with_path("create", parent)?;
        }
    }
    let files: Vec<(&str, &Entry)> = media.files().collect();
    let results: Vec<Result<Option<InputRead>>> = files
        .par_iter()
        .map(|(path, entry)| copy_file(path, entry, &root.join(path), hash))
        .collect();
    let mut copied = Vec::new();
    let mut problems = Vec::new();
    for r in results {
        match r {
            Ok(Some(read)) => copied.push(read),
            Ok(None) => {}
            Err(Error::Interrupted) => return Err(Error::Interrupted),
            Err(e) => problems.push(e),
        }
    }
    if !problems.is_empty() {
        return Err(Error::many(
            format!("{} file(s) could not be copied", problems.len()),
            problems,
        ));
    }
    Ok(copied)
}

/// Copy one entry to `dest`; its size and SHA-256 when `hash`.
fn copy_file(path: &str, entry: &Entry, dest: &Path, hash: bool) -> Result<Option<InputRead>> {
    check_interrupted()?;
    let mut out = File::create(dest).with_path("create", dest)?;
    // One byte past the listed size is read, so a file that grew shows.
    let limit = entry.size.saturating_add(1);
    if hash {
        let mut reader = entry.source.open()?.take(limit);
        let mut sha = Sha256::new();
        let mut buf = vec![0u8; BUF.min(usize::try_from(limit).unwrap_or(BUF)).max(1)];
        let mut total = 0u64;
        loop {
            let n = match reader.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(read_error(path, entry, e)),
            };
            let chunk = buf.get(..n).unwrap_or_default();
            sha.update(chunk);
            out.write_all(chunk).with_path("write", dest)?;
            total += n as u64;
        }
        check_size(path, entry, total)?;
        return Ok(Some(InputRead {
            path: path.to_string(),
            size: total,
            sha256: hex(&sha.finalize()),
        }));
    }
    let total = match &entry.source {
        Source::File(p) => {
            let f = File::open(p).with_path("open", p)?;
            io::copy(&mut f.take(limit), &mut out).map_err(|e| read_error(path, entry, e))?
        }
        Source::Extents { image, extents } => {
            let mut f = File::open(image.as_path()).with_path("open", image.as_path())?;
            let mut total = 0u64;
            for ext in extents {
                check_interrupted()?;
                f.seek(SeekFrom::Start(ext.offset))
                    .map_err(|e| read_error(path, entry, e))?;
                let n = io::copy(&mut (&mut f).take(ext.len), &mut out)
                    .map_err(|e| read_error(path, entry, e))?;
                if n < ext.len {
                    return Err(read_error(
                        path,
                        entry,
                        io::Error::new(
                            io::ErrorKind::UnexpectedEof,
                            "the image ends inside this file",
                        ),
                    ));
                }
                total += n;
            }
            total
        }
        Source::Bytes(b) => {
            out.write_all(b).with_path("write", dest)?;
            b.len() as u64
        }
    };
    check_size(path, entry, total)?;
    Ok(None)
}

fn check_size(path: &str, entry: &Entry, read: u64) -> Result<()> {
    if read == entry.size {
        return Ok(());
    }
    let what = if read > entry.size { "more" } else { "fewer" };
    Err(Error::invalid(format!(
        "{} (`{path}`) changed while the media was being written: it yielded {what} bytes than the {} it had when it was listed",
        entry.source.describe(),
        entry.size
    ))
    .with_help("make sure nothing modifies the inputs during the run, then run again"))
}

fn read_error(path: &str, entry: &Entry, e: io::Error) -> Error {
    Error::invalid(format!(
        "cannot read {} for `{path}`: {e}",
        entry.source.describe()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_check_sizes_and_hash_what_they_wrote() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("a.sys");
        std::fs::write(&src, b"12345").unwrap();
        let mut m = Media::new();
        m.add_file("drivers/a.sys", &src).unwrap();
        m.add_bytes("notes.txt", b"hi".to_vec()).unwrap();
        m.add_dir("empty").unwrap();
        let out = dir.path().join("out");
        std::fs::create_dir(&out).unwrap();
        for hash in [false, true] {
            let got = copy_into(&m, &out, hash).unwrap();
            assert_eq!(std::fs::read(out.join("drivers/a.sys")).unwrap(), b"12345");
            assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"hi");
            assert!(out.join("empty").is_dir());
            assert_eq!(got.len(), if hash { 2 } else { 0 });
        }
        let got = copy_into(&m, &out, true).unwrap();
        assert_eq!(got[0].sha256, crate::hash::sha256_bytes(b"12345"));
        // The file grows after it was listed: both ways of copying refuse it, naming it.
        std::fs::write(&src, b"123456").unwrap();
        for hash in [false, true] {
            let err = copy_into(&m, &out, hash).unwrap_err().to_string();
            assert!(
                err.contains("drivers/a.sys") && err.contains("more bytes"),
                "{err}"
            );
        }
        std::fs::write(&src, b"1234").unwrap();
        let err = copy_into(&m, &out, false).unwrap_err().to_string();
        assert!(err.contains("fewer bytes"), "{err}");
    }
}
