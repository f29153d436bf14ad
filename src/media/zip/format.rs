//! ZIP records as bytes (PKWARE APPNOTE 6.3): local headers, data descriptors, the central
//! directory and its end records. ZIP64 fields appear only where a value does not fit the
//! classic field: entries marked `zip64` (near or over 4 GiB), header offsets past 4 GiB, and
//! more than 65,534 entries or a directory past 4 GiB for the end records.
//!
//! Nothing here depends on the host: host system Unix, fixed modes, one DOS time for all.

use std::io::{self, Write};

/// Entries from this size on get ZIP64 sizes: below 4 GiB by more than deflate can ever expand
/// data (about 0.03%), so a deflated size can never overflow a classic header.
pub const ZIP64_FROM: u64 = 0xFFFF_FFFF - (0xFFFF_FFFF >> 9);

/// Longest entry name a header can hold (bytes of UTF-8).
pub const MAX_NAME: usize = 0xFFFF;
const MAX16: u64 = 0xFFFF;
const MAX32: u64 = 0xFFFF_FFFF;
/// "Version needed to extract": 2.0 (deflate, directories), 4.5 (ZIP64 fields).
const V20: u16 = 20;
const V45: u16 = 45;
/// Upper byte of "version made by": 3 = Unix (the modes in the external attributes are Unix).
const HOST_UNIX: u16 = 3 << 8;
/// General purpose flags: sizes and CRC follow the data (bit 3); the name is UTF-8 (bit 11).
const FLAG_DESCRIPTOR: u16 = 1 << 3;
const FLAG_UTF8: u16 = 1 << 11;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;
/// Unix modes in the external attributes (upper 16 bits); directories also get MS-DOS's
/// directory bit (0x10) so readers that look only at the low byte see a directory.
const FILE_MODE: u32 = 0o100_644;
const DIR_MODE: u32 = 0o040_755;
const DOS_DIR: u32 = 0x10;

/// What the central directory says about one entry.
#[derive(Debug, Clone)]
pub struct Record {
    pub name: String,
    pub dir: bool,
    pub deflated: bool,
    /// CRC and sizes follow the data in a data descriptor (files of several pieces).
    pub descriptor: bool,
    /// Sizes in ZIP64 fields (entries from [`ZIP64_FROM`] on).
    pub zip64: bool,
    pub crc: u32,
    pub size: u64,
    pub compressed: u64,
    /// Offset of the local header in the archive.
    pub offset: u64,
}

impl Record {
    fn flags(&self) -> u16 {
        let utf8 = if self.name.is_ascii() { 0 } else { FLAG_UTF8 };
        let desc = if self.descriptor { FLAG_DESCRIPTOR } else { 0 };
        utf8 | desc
    }

    fn method(&self) -> u16 {
        if self.deflated {
            DEFLATED
        } else {
            STORED
        }
    }

    fn version(&self) -> u16 {
        if self.zip64 || self.offset >= MAX32 {
            V45
        } else {
            V20
        }
    }

    /// The local file header. With a data descriptor the CRC and sizes here are zero (ZIP64
    /// entries: the sizes are in the ZIP64 field, zero as well).
    pub fn local_header(&self, time: DosTime) -> Vec<u8> {
        let (crc, size, compressed) = if self.descriptor {
            (0, 0, 0)
        } else {
            (self.crc, self.size, self.compressed)
        };
        let mut extra = Vec::new();
        let (size32, compressed32) = if self.zip64 {
            extra.extend_from_slice(&1u16.to_le_bytes());
            extra.extend_from_slice(&16u16.to_le_bytes());
            extra.extend_from_slice(&size.to_le_bytes());
            extra.extend_from_slice(&compressed.to_le_bytes());
            (MAX32 as u32, MAX32 as u32)
        } else {
            (clamp32(size), clamp32(compressed))
        };
        let mut h = Vec::with_capacity(30 + self.name.len() + extra.len());
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&self.version().to_le_bytes());
        h.extend_from_slice(&self.flags().to_le_bytes());
        h.extend_from_slice(&self.method().to_le_bytes());
        h.extend_from_slice(&time.time.to_le_bytes());
        h.extend_from_slice(&time.date.to_le_bytes());
        h.extend_from_slice(&crc.to_le_bytes());
        h.extend_from_slice(&compressed32.to_le_bytes());
        h.extend_from_slice(&size32.to_le_bytes());
        h.extend_from_slice(&len16(self.name.len()).to_le_bytes());
        h.extend_from_slice(&len16(extra.len()).to_le_bytes());
        h.extend_from_slice(self.name.as_bytes());
        h.extend_from_slice(&extra);
        h
    }

    /// The data descriptor written after a streamed entry's data (with its signature).
    pub fn descriptor(&self) -> Vec<u8> {
        let mut d = Vec::with_capacity(24);
        d.extend_from_slice(&0x0807_4b50u32.to_le_bytes());
        d.extend_from_slice(&self.crc.to_le_bytes());
        if self.zip64 {
            d.extend_from_slice(&self.compressed.to_le_bytes());
            d.extend_from_slice(&self.size.to_le_bytes());
        } else {
            d.extend_from_slice(&clamp32(self.compressed).to_le_bytes());
            d.extend_from_slice(&clamp32(self.size).to_le_bytes());
        }
        d
    }

    /// The central directory header.
    pub fn central_header(&self, time: DosTime) -> Vec<u8> {
        let mut extra = Vec::new();
        let (size32, compressed32) = if self.zip64 {
            extra.extend_from_slice(&self.size.to_le_bytes());
            extra.extend_from_slice(&self.compressed.to_le_bytes());
            (MAX32 as u32, MAX32 as u32)
        } else {
            (clamp32(self.size), clamp32(self.compressed))
        };
        let offset32 = if self.offset >= MAX32 {
            extra.extend_from_slice(&self.offset.to_le_bytes());
            MAX32 as u32
        } else {
            clamp32(self.offset)
        };
        if !extra.is_empty() {
            let mut tagged = Vec::with_capacity(4 + extra.len());
            tagged.extend_from_slice(&1u16.to_le_bytes());
            tagged.extend_from_slice(&len16(extra.len()).to_le_bytes());
            tagged.extend_from_slice(&extra);
            extra = tagged;
        }
        let external = if self.dir {
            (DIR_MODE << 16) | DOS_DIR
        } else {
            FILE_MODE << 16
        };
        let mut h = Vec::with_capacity(46 + self.name.len() + extra.len());
        h.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        h.extend_from_slice(&(HOST_UNIX | self.version()).to_le_bytes());
        h.extend_from_slice(&self.version().to_le_bytes());
        h.extend_from_slice(&self.flags().to_le_bytes());
        h.extend_from_slice(&self.method().to_le_bytes());
        h.extend_from_slice(&time.time.to_le_bytes());
        h.extend_from_slice(&time.date.to_le_bytes());
        h.extend_from_slice(&self.crc.to_le_bytes());
        h.extend_from_slice(&compressed32.to_le_bytes());
        h.extend_from_slice(&size32.to_le_bytes());
        h.extend_from_slice(&len16(self.name.len()).to_le_bytes());
        h.extend_from_slice(&len16(extra.len()).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes()); // comment length
        h.extend_from_slice(&0u16.to_le_bytes()); // disk number start
        h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        h.extend_from_slice(&external.to_le_bytes());
        h.extend_from_slice(&offset32.to_le_bytes());
        h.extend_from_slice(self.name.as_bytes());
        h.extend_from_slice(&extra);
        h
    }
}

/// The end of the archive after a central directory of `count` entries, `size` bytes, starting
/// at `start`: the ZIP64 end record and its locator only when a classic field would overflow,
/// then the classic end record.
pub fn end_records(count: u64, start: u64, size: u64) -> Vec<u8> {
    let mut e = Vec::with_capacity(98);
    if count >= MAX16 || start >= MAX32 || size >= MAX32 {
        let at = start + size;
        e.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
        e.extend_from_slice(&44u64.to_le_bytes()); // size of the rest of this record
        e.extend_from_slice(&(HOST_UNIX | V45).to_le_bytes());
        e.extend_from_slice(&V45.to_le_bytes());
        e.extend_from_slice(&0u32.to_le_bytes()); // this disk
        e.extend_from_slice(&0u32.to_le_bytes()); // disk with the directory
        e.extend_from_slice(&count.to_le_bytes());
        e.extend_from_slice(&count.to_le_bytes());
        e.extend_from_slice(&size.to_le_bytes());
        e.extend_from_slice(&start.to_le_bytes());
        e.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
        e.extend_from_slice(&0u32.to_le_bytes()); // disk with the ZIP64 end record
        e.extend_from_slice(&at.to_le_bytes());
        e.extend_from_slice(&1u32.to_le_bytes()); // total disks
    }
    let count16 = count.min(MAX16) as u16;
    e.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    e.extend_from_slice(&0u16.to_le_bytes());
    e.extend_from_slice(&0u16.to_le_bytes());
    e.extend_from_slice(&count16.to_le_bytes());
    e.extend_from_slice(&count16.to_le_bytes());
    e.extend_from_slice(&clamp32(size).to_le_bytes());
    e.extend_from_slice(&clamp32(start).to_le_bytes());
    e.extend_from_slice(&0u16.to_le_bytes()); // comment length
    e
}

/// A DOS date and time (local header and central directory fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DosTime {
    pub date: u16,
    pub time: u16,
}

impl DosTime {
    /// From calendar fields in the DOS range (years 1980-2107; seconds in 2-second steps,
    /// an odd second rounds down).
    pub fn new(year: u16, month: u8, day: u8, hour: u8, minute: u8, second: u8) -> DosTime {
        let date = (year.saturating_sub(1980) << 9) | (u16::from(month) << 5) | u16::from(day);
        let time = (u16::from(hour) << 11) | (u16::from(minute) << 5) | u16::from(second / 2);
        DosTime { date, time }
    }
}

/// A writer that counts the bytes written through it (the archive offset; nothing is sought).
pub struct Counted<W> {
    pub inner: W,
    pub pos: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.pos += n as u64;
        Ok(n)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.inner.write_all(buf)?;
        self.pos += buf.len() as u64;
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A value for a classic 32-bit field (callers use ZIP64 fields where it would not fit).
fn clamp32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Names are checked against [`MAX_NAME`] before any byte is written; extra fields are short.
fn len16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dos_time_packs_fields() {
        let t = DosTime::new(2023, 11, 14, 22, 13, 21);
        assert_eq!(t.date, (43 << 9) | (11 << 5) | 14);
        assert_eq!(t.time, (22 << 11) | (13 << 5) | 10);
    }

    #[test]
    fn zip64_end_records_only_when_a_field_overflows() {
        assert_eq!(end_records(3, 100, 50).len(), 22);
        assert_eq!(end_records(65_535, 100, 50).len(), 22 + 56 + 20);
        assert_eq!(end_records(1, MAX32, 50).len(), 22 + 56 + 20);
    }

    #[test]
    fn a_header_offset_past_4_gib_gets_a_zip64_field() {
        let r = Record {
            name: "dir/é.txt".into(),
            dir: false,
            deflated: true,
            descriptor: false,
            zip64: false,
            crc: 1,
            size: 2,
            compressed: 3,
            offset: MAX32,
        };
        let c = r.central_header(DosTime::new(1980, 1, 1, 0, 0, 0));
        // UTF-8 flag, version 4.5 and a ZIP64 field holding the offset.
        assert_eq!(u16::from_le_bytes([c[8], c[9]]), FLAG_UTF8);
        assert_eq!(u16::from_le_bytes([c[6], c[7]]), V45);
        assert_eq!(&c[c.len() - 12..c.len() - 8], &[1, 0, 8, 0]);
    }
}
