//! Open an input file only when it is a regular file: a FIFO, a device or a directory given
//! where an image is expected is refused before it is opened (a FIFO would block the open and
//! then every read), and checked again on the opened handle (it may have been swapped).

use std::fs::{File, OpenOptions};
use std::path::Path;

use crate::error::{Error, IoContext, Result};

/// `O_NONBLOCK` where its value is known (0 elsewhere: the stat before the open still
/// refuses a FIFO): opening a FIFO then returns at once instead of waiting for a writer. It
/// changes nothing for a regular file.
#[cfg(all(
    target_os = "linux",
    any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64"
    )
))]
const O_NONBLOCK: i32 = 0o4000;
#[cfg(any(target_os = "macos", target_os = "freebsd", target_os = "openbsd"))]
const O_NONBLOCK: i32 = 0x0004;
#[cfg(not(any(
    all(
        target_os = "linux",
        any(
            target_arch = "x86_64",
            target_arch = "x86",
            target_arch = "aarch64",
            target_arch = "arm",
            target_arch = "riscv64"
        )
    ),
    any(target_os = "macos", target_os = "freebsd", target_os = "openbsd")
)))]
#[cfg_attr(not(unix), allow(dead_code))]
const O_NONBLOCK: i32 = 0;

/// Open `path` for reading if it is a regular file (symlinks followed), returning it with its
/// length; anything else is an error naming the path and what it is.
pub fn open_regular(path: &Path) -> Result<(File, u64)> {
    let meta = std::fs::metadata(path).with_path("read", path)?;
    refuse_unless_file(path, &meta)?;
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut opts, O_NONBLOCK);
    let file = opts.open(path).with_path("open", path)?;
    let meta = file.metadata().with_path("read metadata of", path)?;
    refuse_unless_file(path, &meta)?;
    Ok((file, meta.len()))
}

fn refuse_unless_file(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    if meta.is_file() {
        return Ok(());
    }
    let what = if meta.is_dir() {
        "a directory"
    } else {
        kind_of_special(meta)
    };
    Err(Error::invalid(format!(
        "{} is {what}, not a regular file; refusing to read it",
        path.display()
    ))
    .with_help("pass the image or archive file itself"))
}

#[cfg(unix)]
fn kind_of_special(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_socket() {
        "a socket"
    } else if t.is_block_device() || t.is_char_device() {
        "a device"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn kind_of_special(_: &std::fs::Metadata) -> &'static str {
    "a special file"
}
