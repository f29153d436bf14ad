//! The image writer: volume descriptors, path tables, directories and file data, written once,
//! in block order, streaming each source.

use std::io::{self, BufWriter, Read, Write};
use std::path::Path;

use crate::error::{Error, IoContext, Result};
use crate::media::tree::Media;

use super::date::{IsoDates, UNSPECIFIED};
use super::layout::{CeAlloc, Layout};
use super::names;
use super::record::{both16, both32, SECTOR, SECTOR_U64};
use super::IsoOptions;

/// Buffer for output and for copying file data.
const BUF: usize = 1 << 20;
/// Application identifier recorded in the volume descriptors (no version: the bytes must not
/// change with the tool's build).
const APPLICATION: &str = "AERO-RECIPE";

/// Write `media` as an ISO 9660 image with Joliet and Rock Ridge to `out`.
///
/// The bytes depend only on the media paths, the file contents and `opts`. Fails before
/// writing anything when a path collides or a name cannot be stored; fails naming the source
/// when a file's size differs from what it was when it was added.
pub fn write_iso(media: &Media, out: &mut (impl Write + ?Sized), opts: &IsoOptions) -> Result<()> {
    media.check()?;
    let dates = IsoDates::new(opts.source_date_epoch)?;
    let volume_id = names::volume_id(&opts.volume_id)?;
    let layout = Layout::new(media, dates)?;
    let mut w = Counted {
        inner: BufWriter::with_capacity(BUF, out),
        written: 0,
    };
    emit(&layout, &volume_id, &opts.volume_id, &mut w)?;
    w.inner.flush().map_err(write_error)?;
    Ok(())
}

/// Write the image to `path` atomically: into a temporary file beside it, renamed over `path`
/// only when complete, so a failure leaves no partial image behind.
pub fn write_iso_file(media: &Media, path: &Path, opts: &IsoOptions) -> Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".aero-iso-").suffix(".tmp");
    // A temporary file is private (0600); the finished image gets the usual umask-based mode.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut tmp = builder
        .tempfile_in(dir)
        .with_path("create a temporary file in", dir)?;
    write_iso(media, tmp.as_file_mut(), opts)
        .map_err(|e| e.context(format!("writing {}", path.display())))?;
    tmp.persist(path)
        .map_err(|e| Error::io("rename the finished image to", path, e.error))?;
    Ok(())
}

fn write_error(e: io::Error) -> Error {
    Error::invalid(format!("cannot write the image: {e}"))
}

/// A writer that counts bytes, so each region can be checked against the plan.
struct Counted<W: Write> {
    inner: W,
    written: u64,
}

impl<W: Write> Counted<W> {
    fn put(&mut self, bytes: &[u8]) -> Result<()> {
        self.inner.write_all(bytes).map_err(write_error)?;
        self.written += bytes.len() as u64;
        Ok(())
    }

    /// Zero-fill to the end of the current block.
    fn pad(&mut self) -> Result<()> {
        let rem = (self.written % SECTOR_U64) as usize;
        if rem != 0 {
            self.put(&vec![0; SECTOR - rem])?;
        }
        Ok(())
    }

    /// Check the plan: the next byte written must be block `block`.
    fn at(&self, block: u32) -> Result<()> {
        if self.written != u64::from(block) * SECTOR_U64 {
            return Err(Error::invalid(format!(
                "internal error: image layout drifted (at byte {}, expected block {block})",
                self.written
            )));
        }
        Ok(())
    }
}

fn emit<W: Write>(l: &Layout, volume_id: &str, label: &str, w: &mut Counted<W>) -> Result<()> {
    let r = l.regions;
    w.put(&[0; 16 * SECTOR])?;
    w.put(&descriptor(l, false, volume_id, label))?;
    w.put(&descriptor(l, true, volume_id, label))?;
    let mut term = vec![0u8; SECTOR];
    term[0] = 255;
    term[1..6].copy_from_slice(b"CD001");
    term[6] = 1;
    w.put(&term)?;

    for (joliet, (lb, mb)) in [(false, r.primary_pt), (true, r.joliet_pt)] {
        w.at(lb)?;
        w.put(&l.path_table(joliet, false))?;
        w.pad()?;
        w.at(mb)?;
        w.put(&l.path_table(joliet, true))?;
        w.pad()?;
    }

    let mut ce_area = vec![0u8; r.ce.1 as usize * SECTOR];
    let mut ce_fault = false;
    let mut ce = CeAlloc::new(r.ce.0);
    for &d in &l.primary_order {
        w.at(l.dirs[d].primary.0)?;
        let bytes = l.primary_dir(d, &mut ce, &mut |block, offset, data| {
            let at = (block - r.ce.0) as usize * SECTOR + offset as usize;
            match ce_area.get_mut(at..at + data.len()) {
                Some(dst) => dst.copy_from_slice(data),
                None => ce_fault = true,
            }
        })?;
        w.put(&bytes)?;
    }
    if ce_fault {
        return Err(Error::invalid(
            "internal error: a Rock Ridge continuation area fell outside its region",
        ));
    }
    w.at(r.ce.0)?;
    w.put(&ce_area)?;
    drop(ce_area);
    for &d in &l.joliet_order {
        w.at(l.dirs[d].joliet_extent.0)?;
        w.put(&l.joliet_dir(d))?;
    }

    w.at(r.data)?;
    let mut buf = vec![0u8; BUF];
    for f in &l.files {
        if f.entry.size == 0 {
            continue;
        }
        w.at(f.block)?;
        copy_source(f.path, f.entry, &mut buf, w)?;
        w.pad()?;
    }
    w.at(r.total)
}

/// Stream exactly `entry.size` bytes of the entry's source into `w`.
fn copy_source<W: Write>(
    path: &str,
    entry: &crate::media::Entry,
    buf: &mut [u8],
    w: &mut Counted<W>,
) -> Result<()> {
    let changed = |got: &str| {
        Error::invalid(format!(
            "{} (media path `{path}`) changed while the image was written: it was {} bytes \
             when added, {got}",
            entry.source.describe(),
            entry.size
        ))
        .with_help("make sure nothing modifies the inputs during the build, then run it again")
    };
    let read_error = |e: io::Error| {
        Error::invalid(format!(
            "cannot read {} (media path `{path}`): {e}",
            entry.source.describe()
        ))
    };
    let mut src = entry.source.open()?;
    let mut left = entry.size;
    while left > 0 {
        let want = (buf.len() as u64).min(left) as usize;
        let n = match src.read(&mut buf[..want]) {
            Ok(0) => {
                return Err(changed(&format!("now only {}", entry.size - left)));
            }
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(e)),
        };
        w.put(&buf[..n])?;
        left -= n as u64;
        // Ctrl-C stops the image between chunks; the caller's OutputSet removes the temporary.
        crate::media::output::check_interrupted()?;
    }
    let mut probe = [0u8; 1];
    loop {
        match src.read(&mut probe) {
            Ok(0) => return Ok(()),
            Ok(_) => return Err(changed("now larger")),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(e)),
        }
    }
}

/// Fill `field` with `text` in the descriptor's character set, padded with spaces.
fn text_field(field: &mut [u8], text: &str, joliet: bool) {
    if joliet {
        for pair in field.chunks_mut(2) {
            pair[0] = 0;
            if let Some(b) = pair.get_mut(1) {
                *b = b' ';
            }
        }
        for (pair, unit) in field.chunks_exact_mut(2).zip(text.encode_utf16()) {
            pair.copy_from_slice(&unit.to_be_bytes());
        }
    } else {
        field.fill(b' ');
        let n = text.len().min(field.len());
        field[..n].copy_from_slice(&text.as_bytes()[..n]);
    }
}

/// The primary (`joliet == false`) or Joliet supplementary volume descriptor.
fn descriptor(l: &Layout, joliet: bool, volume_id: &str, label: &str) -> Vec<u8> {
    let r = l.regions;
    let mut d = vec![0u8; SECTOR];
    d[0] = if joliet { 2 } else { 1 };
    d[1..6].copy_from_slice(b"CD001");
    d[6] = 1;
    text_field(&mut d[8..40], "", joliet);
    if joliet {
        d[40..72].copy_from_slice(&names::joliet_label(label));
        // Escape sequence for UCS-2 level 3.
        d[88..91].copy_from_slice(b"%/E");
    } else {
        text_field(&mut d[40..72], volume_id, false);
    }
    let mut num = Vec::with_capacity(64);
    both32(&mut num, r.total);
    d[80..88].copy_from_slice(&num);
    num.clear();
    both16(&mut num, 1); // volume set size
    both16(&mut num, 1); // volume sequence number
    both16(&mut num, SECTOR as u16);
    d[120..132].copy_from_slice(&num);
    num.clear();
    let (pt_len, (lb, mb)) = if joliet {
        (r.joliet_pt_len, r.joliet_pt)
    } else {
        (r.primary_pt_len, r.primary_pt)
    };
    both32(&mut num, pt_len);
    d[132..140].copy_from_slice(&num);
    d[140..144].copy_from_slice(&lb.to_le_bytes());
    d[148..152].copy_from_slice(&mb.to_be_bytes());
    d[156..190].copy_from_slice(&l.root_record(joliet));
    text_field(&mut d[190..318], "", joliet); // volume set
    text_field(&mut d[318..446], "", joliet); // publisher
    text_field(&mut d[446..574], "", joliet); // data preparer
    text_field(&mut d[574..702], APPLICATION, joliet);
    text_field(&mut d[702..739], "", joliet); // copyright file
    text_field(&mut d[739..776], "", joliet); // abstract file
    text_field(&mut d[776..813], "", joliet); // bibliographic file
    d[813..830].copy_from_slice(&l.dates.descriptor);
    d[830..847].copy_from_slice(&l.dates.descriptor);
    d[847..864].copy_from_slice(&UNSPECIFIED);
    d[864..881].copy_from_slice(&l.dates.descriptor);
    d[881] = 1; // file structure version
    d
}
