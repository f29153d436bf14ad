//! Copying a media file's bytes to a new file at the file system's speed: ranges of an image
//! or whole local files go through `copy_file_range` (the kernel copies, or shares the blocks
//! on file systems that can), with a plain read/write loop where the kernel cannot.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use rayon::prelude::*;

use super::tree::{read_full_at, Extent, Media, Source};
use crate::error::{Error, IoContext, Result};

/// Write every directory and file of `media` below the new directory `root`: directories
/// first, then the files in parallel, each with [`copy_source`]. Every file that could not be
/// copied is reported, each named.
pub fn copy_into(media: &Media, root: &Path) -> Result<()> {
    let mut dirs: std::collections::BTreeSet<&str> = media.dirs().collect();
    for (path, _) in media.files() {
        if let Some((parent, _)) = path.rsplit_once('/') {
            dirs.insert(parent);
        }
    }
    for d in dirs {
        let p = root.join(d);
        std::fs::create_dir_all(&p).with_path("create", &p)?;
    }
    let files: Vec<_> = media.files().collect();
    let results: Vec<Result<()>> = files
        .par_iter()
        .map(|(path, entry)| {
            copy_source(&entry.source, entry.size, &root.join(path))
                .map_err(|e| e.context(format!("media file `{path}`")))
        })
        .collect();
    let mut problems = Vec::new();
    for r in results {
        match r {
            Ok(()) => {}
            Err(Error::Interrupted) => return Err(Error::Interrupted),
            Err(e) => problems.push(e),
        }
    }
    match problems.len() {
        0 => Ok(()),
        1 => Err(problems.remove(0)),
        n => Err(Error::many(
            format!("{n} files could not be copied"),
            problems,
        )),
    }
}

/// Write the `size` bytes of `source` into the new file `dest` (created with `create_new`:
/// an existing file, link or FIFO there is an error, never written through). A source that
/// ends early or runs longer than `size` is an error naming it.
pub fn copy_source(source: &Source, size: u64, dest: &Path) -> Result<()> {
    let out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dest)
        .with_path("create", dest)?;
    let wrong_size = |got: &str| {
        Error::invalid(format!(
            "{} changed during the run: {size} bytes when it was listed, {got} now",
            source.describe()
        ))
        .with_help("make sure nothing modifies the inputs during the run, then run again")
    };
    match source {
        Source::Bytes(b) => {
            if b.len() as u64 != size {
                return Err(wrong_size(&b.len().to_string()));
            }
            (&out).write_all(b).with_path("write", dest)?;
        }
        Source::File(p) => {
            let f = crate::regular::open(p)?;
            let len = f.metadata().with_path("read", p)?.len();
            if len != size {
                return Err(wrong_size(&len.to_string()));
            }
            copy_range(&f, 0, size, &out).with_path("copy into", dest)?;
        }
        Source::Extents { image, extents } => {
            let f = File::open(image.as_path()).with_path("open", image.as_path())?;
            let image_len = f.metadata().with_path("read", image.as_path())?.len();
            let total: u64 = extents.iter().map(|e| e.len).sum();
            if total != size {
                return Err(wrong_size(&total.to_string()));
            }
            for &Extent { offset, len } in extents {
                if offset.checked_add(len).is_none_or(|end| end > image_len) {
                    return Err(Error::invalid(format!(
                        "{}: an extent at byte {offset} of {len} bytes runs past the end of the image ({image_len} bytes)",
                        image.display()
                    )));
                }
                copy_range(&f, offset, len, &out).with_path("copy into", dest)?;
            }
        }
    }
    Ok(())
}

/// Append `len` bytes of `src` from `offset` to `dst` (at its current end).
fn copy_range(src: &File, offset: u64, len: u64, dst: &File) -> io::Result<()> {
    let mut off = offset;
    let end = offset + len;
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        while off < end {
            super::output::check_interrupted()
                .map_err(|_| io::Error::other("interrupted by Ctrl-C"))?;
            let chunk = (end - off).min(1 << 30) as usize;
            let mut in_off = off as libc::loff_t;
            // SAFETY: valid descriptors; the kernel reads and advances `in_off` only.
            let n = unsafe {
                libc::copy_file_range(
                    src.as_raw_fd(),
                    &mut in_off,
                    dst.as_raw_fd(),
                    std::ptr::null_mut(),
                    chunk,
                    0,
                )
            };
            if n > 0 {
                off += n as u64;
                continue;
            }
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the input ends early",
                ));
            }
            let e = io::Error::last_os_error();
            match e.raw_os_error() {
                Some(libc::EINTR) => continue,
                // Not supported between these files (another file system, an old kernel):
                // copy the rest in user space.
                Some(
                    libc::EXDEV | libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP | libc::EPERM,
                ) => break,
                _ => return Err(e),
            }
        }
    }
    let mut buf = vec![0u8; (end - off).min(1 << 20) as usize];
    while off < end {
        super::output::check_interrupted()
            .map_err(|_| io::Error::other("interrupted by Ctrl-C"))?;
        let want = (end - off).min(buf.len() as u64) as usize;
        let n = read_full_at(src, off, &mut buf[..want])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the input ends early",
            ));
        }
        (&*dst).write_all(&buf[..n])?;
        off += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn ranges_of_an_image_and_whole_files_copy_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let image = dir.path().join("img");
        let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&image, &data).unwrap();
        let src = Source::Extents {
            image: Arc::new(image.clone()),
            extents: vec![
                Extent {
                    offset: 10,
                    len: 5000,
                },
                Extent {
                    offset: 200_000,
                    len: 7,
                },
            ],
        };
        let out = dir.path().join("out");
        copy_source(&src, 5007, &out).unwrap();
        let got = std::fs::read(&out).unwrap();
        assert_eq!(&got[..5000], &data[10..5010]);
        assert_eq!(&got[5000..], &data[200_000..200_007]);
        // The destination is never written through: it must be new.
        assert!(copy_source(&src, 5007, &out).is_err());
        // A lying size is an error, not a short or long file.
        let e = copy_source(&Source::File(image.clone()), 1, &dir.path().join("o2"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("changed during the run"), "{e}");
        let past = Source::Extents {
            image: Arc::new(image),
            extents: vec![Extent {
                offset: 299_990,
                len: 100,
            }],
        };
        let e = copy_source(&past, 100, &dir.path().join("o3"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("past the end of the image"), "{e}");
    }

    #[test]
    fn a_tree_is_written_whole_and_a_file_that_grew_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("a.sys");
        std::fs::write(&src, b"12345").unwrap();
        let mut m = Media::new();
        m.add_file("drivers/a.sys", &src).unwrap();
        m.add_bytes("notes.txt", b"hi".to_vec()).unwrap();
        m.add_dir("empty").unwrap();
        let out = dir.path().join("out");
        copy_into(&m, &out).unwrap();
        assert_eq!(std::fs::read(out.join("drivers/a.sys")).unwrap(), b"12345");
        assert_eq!(std::fs::read(out.join("notes.txt")).unwrap(), b"hi");
        assert!(out.join("empty").is_dir());
        std::fs::write(&src, b"123456").unwrap();
        let again = dir.path().join("again");
        let e = copy_into(&m, &again).unwrap_err().to_string();
        assert!(
            e.contains("drivers/a.sys") && e.contains("changed during the run"),
            "{e}"
        );
    }
}
