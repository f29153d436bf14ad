//! Opening local input files: only regular files are read. A FIFO, a device or a socket
//! given as an input would block a run or read without end, so it is refused before it is
//! opened, and the file opened is checked again (it may have been swapped in between).

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::error::{Error, IoContext, Result};

/// What kind of non-regular file `meta` describes, for messages (`None` for a regular file).
fn odd_kind(meta: &std::fs::Metadata) -> Option<&'static str> {
    let t = meta.file_type();
    if t.is_file() {
        return None;
    }
    if t.is_dir() {
        return Some("a directory");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return Some("a FIFO (named pipe)");
        }
        if t.is_socket() {
            return Some("a socket");
        }
        if t.is_block_device() || t.is_char_device() {
            return Some("a device");
        }
    }
    Some("not a regular file")
}

fn refuse(path: &Path, kind: &str) -> Error {
    Error::invalid(format!("{} is {kind}, not a regular file", path.display()))
        .with_help("inputs are read from regular files; copy the data into a file first")
}

/// Open the regular file `path` for reading (symbolic links followed); anything else is
/// refused without blocking.
pub fn open(path: &Path) -> Result<File> {
    let meta = std::fs::metadata(path).with_path("read", path)?;
    if let Some(kind) = odd_kind(&meta) {
        return Err(refuse(path, kind));
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // A FIFO swapped in after the check must not block the open; a regular file ignores it.
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let f = opts.open(path).with_path("open", path)?;
    let meta = f.metadata().with_path("read", path)?;
    if let Some(kind) = odd_kind(&meta) {
        return Err(refuse(path, kind));
    }
    Ok(f)
}

/// [`open`], with the file's length.
pub fn open_regular(path: &Path) -> Result<(File, u64)> {
    let f = open(path)?;
    let len = f.metadata().with_path("read", path)?.len();
    Ok((f, len))
}

/// The whole regular file `path`, refused when it is larger than `max` bytes (`what` names
/// the kind of file in the message, e.g. "an INF file").
pub fn read_at_most(path: &Path, max: u64, what: &str) -> Result<Vec<u8>> {
    let f = open(path)?;
    let len = f.metadata().with_path("read", path)?.len();
    if len > max {
        return Err(Error::invalid(format!(
            "{} is {len} bytes: too large for {what} (at most {max})",
            path.display()
        )));
    }
    let mut bytes = Vec::with_capacity(len as usize);
    f.take(max + 1)
        .read_to_end(&mut bytes)
        .with_path("read", path)?;
    if bytes.len() as u64 > max {
        return Err(Error::invalid(format!(
            "{} grew past {max} bytes while it was read: too large for {what}",
            path.display()
        )));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let e = open(&fifo).unwrap_err().to_string();
        assert!(e.contains("FIFO"), "{e}");
        assert!(open(dir.path())
            .unwrap_err()
            .to_string()
            .contains("directory"));
    }

    #[test]
    fn sizes_are_capped() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x");
        std::fs::write(&p, [0u8; 100]).unwrap();
        assert_eq!(read_at_most(&p, 100, "a test file").unwrap().len(), 100);
        let e = read_at_most(&p, 99, "a test file").unwrap_err().to_string();
        assert!(e.contains("too large for a test file"), "{e}");
    }
}
