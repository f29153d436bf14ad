//! Rock Ridge (RRIP 1.10, "RRIP_1991A") over SUSP: the entries the writer records in the
//! primary tree (`SP`, `ER`, `PX`, `TF`, `NM`, `CE`) and the parser the reader uses for names,
//! continuation areas and relocated directories.

use crate::error::{Error, Result};

use super::record::{both32, SECTOR};

/// Mode of every directory on the image (read and search for all, no write).
pub const MODE_DIR: u32 = 0o040_555;
/// Mode of every file on the image (read-only for all).
pub const MODE_FILE: u32 = 0o100_444;
/// Size of a `CE` entry.
pub const CE_LEN: usize = 28;
/// Longest name chunk in one `NM` entry (entry length is one byte; 5 bytes of header).
const NM_CHUNK: usize = 250;
/// How many continuation areas a reader follows for one record.
const MAX_CE_HOPS: usize = 32;
/// How many system use bytes a reader accepts for one record, across all areas.
const MAX_SU_BYTES: usize = 64 * 1024;

fn entry(sig: &[u8; 2], body: &[u8]) -> Vec<u8> {
    let mut e = Vec::with_capacity(4 + body.len());
    e.extend_from_slice(sig);
    e.push((4 + body.len()) as u8);
    e.push(1);
    e.extend_from_slice(body);
    e
}

/// `SP`: SUSP is in use, no bytes skipped (first entry of the root's `.` record).
pub fn sp() -> Vec<u8> {
    entry(b"SP", &[0xBE, 0xEF, 0])
}

/// `ER`: the extension in use is RRIP 1.10.
pub fn er() -> Vec<u8> {
    const ID: &[u8] = b"RRIP_1991A";
    const DES: &[u8] =
        b"THE ROCK RIDGE INTERCHANGE PROTOCOL PROVIDES SUPPORT FOR POSIX FILE SYSTEM SEMANTICS";
    const SRC: &[u8] = b"PLEASE CONTACT DISC PUBLISHER FOR SPECIFICATION SOURCE.  SEE PUBLISHER \
        IDENTIFIER IN PRIMARY VOLUME DESCRIPTOR FOR CONTACT INFORMATION.";
    let mut body = vec![ID.len() as u8, DES.len() as u8, SRC.len() as u8, 1];
    body.extend_from_slice(ID);
    body.extend_from_slice(DES);
    body.extend_from_slice(SRC);
    entry(b"ER", &body)
}

/// `PX`: mode and link count; owner and group 0.
pub fn px(mode: u32, nlink: u32) -> Vec<u8> {
    let mut body = Vec::with_capacity(32);
    both32(&mut body, mode);
    both32(&mut body, nlink);
    both32(&mut body, 0);
    both32(&mut body, 0);
    entry(b"PX", &body)
}

/// `TF`: modification, access and attribute-change times, all `date` (7-byte form).
pub fn tf(date: [u8; 7]) -> Vec<u8> {
    let mut body = vec![0x0E];
    for _ in 0..3 {
        body.extend_from_slice(&date);
    }
    entry(b"TF", &body)
}

/// `NM` entries holding `name`, split on character boundaries, all but the last flagged
/// CONTINUE.
pub fn nm(name: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = name;
    loop {
        let mut cut = rest.len().min(NM_CHUNK);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (chunk, tail) = rest.split_at(cut);
        let mut body = vec![u8::from(!tail.is_empty())];
        body.extend_from_slice(chunk.as_bytes());
        out.push(entry(b"NM", &body));
        if tail.is_empty() {
            return out;
        }
        rest = tail;
    }
}

/// `CE`: the rest of the system use entries are at `block`/`offset`, `len` bytes.
pub fn ce(block: u32, offset: u32, len: u32) -> Vec<u8> {
    let mut body = Vec::with_capacity(24);
    both32(&mut body, block);
    both32(&mut body, offset);
    both32(&mut body, len);
    entry(b"CE", &body)
}

/// System use entries split between a directory record and a continuation area.
#[derive(Debug, Clone, Default)]
pub struct Packed {
    /// Entries recorded in the directory record (a `CE` entry is appended when `overflow`
    /// is not empty).
    pub inline: Vec<u8>,
    /// Entries recorded in the continuation area.
    pub overflow: Vec<u8>,
}

/// Put `entries` in the record while they fit in `budget` bytes, the rest (in order) in a
/// continuation area, keeping room for the `CE` entry that points there.
pub fn pack(entries: &[Vec<u8>], budget: usize, what: &str) -> Result<Packed> {
    let total: usize = entries.iter().map(Vec::len).sum();
    let mut p = Packed::default();
    if total <= budget {
        p.inline = entries.concat();
        return Ok(p);
    }
    let mut spilled = false;
    for e in entries {
        if !spilled && p.inline.len() + e.len() + CE_LEN <= budget {
            p.inline.extend_from_slice(e);
        } else {
            spilled = true;
            p.overflow.extend_from_slice(e);
        }
    }
    if p.overflow.len() > SECTOR {
        return Err(Error::invalid(format!(
            "`{what}`: the name is too long for a Rock Ridge continuation area"
        ))
        .with_help("shorten the name"));
    }
    Ok(p)
}

/// If `su` (the system use area of a root's `.` record) starts with a valid `SP` entry,
/// the number of bytes to skip at the start of every other system use area.
pub fn sp_skip(su: &[u8]) -> Option<usize> {
    match su {
        [b'S', b'P', 7, _, 0xBE, 0xEF, skip, ..] => Some(usize::from(*skip)),
        _ => None,
    }
}

/// What the reader learns from one record's Rock Ridge entries.
#[derive(Debug, Default)]
pub struct RrInfo {
    /// The `NM` name (concatenated), if any.
    pub name: Option<Vec<u8>>,
    /// `NM` said this is `.` or `..`.
    pub self_or_parent: bool,
    /// `CL`: this record stands for a directory relocated to this block.
    pub child_link: Option<u32>,
    /// `RE`: this is a relocated directory; it is listed where its `CL` points.
    pub relocated: bool,
    /// `SL`, or a `PX` mode of type symlink: this is a symbolic link.
    pub symlink: bool,
}

/// File type bits of a POSIX mode, and the symlink type.
const S_IFMT: u32 = 0o170_000;
const S_IFLNK: u32 = 0o120_000;

/// Parse the entries of `su`, following `CE` continuation areas through `fetch(block,
/// offset, len)`. Malformed entry lengths end the area (as other readers do); a continuation
/// chain that is too long or too large is an error.
pub fn parse(su: &[u8], mut fetch: impl FnMut(u32, u32, u32) -> Result<Vec<u8>>) -> Result<RrInfo> {
    let mut info = RrInfo::default();
    let mut area = su.to_vec();
    let mut hops = 0;
    let mut total = area.len();
    let mut name_done = false;
    loop {
        let mut next = None;
        let mut i = 0;
        while i + 4 <= area.len() {
            let len = usize::from(area[i + 2]);
            if len < 4 || i + len > area.len() {
                break;
            }
            let e = &area[i..i + len];
            let data = &e[4..];
            match &e[..2] {
                b"ST" => break,
                b"CE" if data.len() >= 24 => {
                    let block = super::record::le32(data, 0).unwrap_or(0);
                    let offset = super::record::le32(data, 8).unwrap_or(0);
                    let length = super::record::le32(data, 16).unwrap_or(0);
                    next = Some((block, offset, length));
                }
                b"NM" if !data.is_empty() && !name_done => {
                    let flags = data[0];
                    if flags & 0x06 != 0 {
                        info.self_or_parent = true;
                    }
                    info.name
                        .get_or_insert_with(Vec::new)
                        .extend_from_slice(&data[1..]);
                    if flags & 0x01 == 0 {
                        name_done = true;
                    }
                }
                b"CL" if data.len() >= 8 => {
                    info.child_link = super::record::le32(data, 0);
                }
                b"RE" => info.relocated = true,
                b"SL" => info.symlink = true,
                b"PX" if data.len() >= 8 => {
                    let mode = super::record::le32(data, 0).unwrap_or(0);
                    info.symlink |= mode & S_IFMT == S_IFLNK;
                }
                _ => {}
            }
            i += len;
        }
        let Some((block, offset, length)) = next else {
            return Ok(info);
        };
        hops += 1;
        total += length as usize;
        if hops > MAX_CE_HOPS || total > MAX_SU_BYTES {
            return Err(Error::invalid(
                "Rock Ridge continuation areas chain too long (a loop or a damaged image)",
            ));
        }
        area = fetch(block, offset, length)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_have_their_sizes() {
        assert_eq!(sp().len(), 7);
        assert_eq!(px(MODE_FILE, 1).len(), 36);
        assert_eq!(tf([0; 7]).len(), 26);
        assert_eq!(ce(1, 2, 3).len(), CE_LEN);
        let er = er();
        assert_eq!(er.len(), usize::from(er[2]));
        assert_eq!(sp_skip(&sp()), Some(0));
    }

    #[test]
    fn long_names_spill_into_a_continuation_area_and_read_back() {
        let name = "é".repeat(200); // 400 bytes: two NM entries
        let mut entries = vec![px(MODE_FILE, 1), tf([0; 7])];
        entries.extend(nm(&name));
        assert_eq!(entries.len(), 4);
        let p = pack(&entries, 150, "x").unwrap();
        assert_eq!(p.inline.len(), 36 + 26);
        assert!(!p.overflow.is_empty());
        let mut su = p.inline.clone();
        su.extend(ce(7, 100, p.overflow.len() as u32));
        let overflow = p.overflow.clone();
        let info = parse(&su, |b, o, l| {
            assert_eq!((b, o, l as usize), (7, 100, overflow.len()));
            Ok(overflow.clone())
        })
        .unwrap();
        assert_eq!(info.name.unwrap(), name.as_bytes());
    }

    #[test]
    fn continuation_loops_are_refused() {
        let su = ce(7, 0, 28);
        let err = parse(&su, |_, _, _| Ok(ce(7, 0, 28))).unwrap_err();
        assert!(err.to_string().contains("continuation"), "{err}");
        // Garbage lengths end the area without panicking.
        assert!(parse(&[b'N', b'M', 200, 1, 0], |_, _, _| unreachable!())
            .unwrap()
            .name
            .is_none());
    }
}
