//! On-disk encodings shared by the writer and the reader: both-endian numbers, directory
//! records (ECMA-119 9.1) and path table records (9.4).

/// Logical sector and block size of every image this module writes or reads.
pub const SECTOR: usize = 2048;
/// [`SECTOR`] as u64, for offset arithmetic.
pub const SECTOR_U64: u64 = SECTOR as u64;
/// Longest directory record.
pub const MAX_RECORD: usize = 255;
/// Fixed part of a directory record before the identifier.
pub const RECORD_HEAD: usize = 33;

/// Directory record flag: the entry is a directory.
pub const FLAG_DIR: u8 = 0x02;
/// Directory record flag: an associated file (skipped by readers).
pub const FLAG_ASSOCIATED: u8 = 0x04;
/// Directory record flag: more records of the same file follow (multi-extent).
pub const FLAG_MULTI_EXTENT: u8 = 0x80;

/// Append `v` little-endian then big-endian (ECMA-119 7.3.3).
pub fn both32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
    out.extend_from_slice(&v.to_be_bytes());
}

/// Append `v` little-endian then big-endian (ECMA-119 7.2.3).
pub fn both16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
    out.extend_from_slice(&v.to_be_bytes());
}

/// Little-endian u32 at `at` in `b`, if in range.
pub fn le32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// Little-endian u16 at `at` in `b`, if in range.
pub fn le16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// What a directory record says, before its system use area is written.
pub struct RecordSpec<'a> {
    /// First logical block of the extent.
    pub extent: u32,
    /// Data length in bytes.
    pub len: u32,
    /// 7-byte recording date.
    pub date: [u8; 7],
    /// `FLAG_*` bits.
    pub flags: u8,
    /// File identifier bytes (`[0]` for `.`, `[1]` for `..`).
    pub id: &'a [u8],
}

/// Bytes a record takes before its system use area (head, identifier, padding).
pub fn record_fixed_len(id_len: usize) -> usize {
    RECORD_HEAD + id_len + usize::from(id_len % 2 == 0)
}

/// Encode a directory record with system use bytes `su`; the total is padded to an even length.
/// The caller keeps the total within [`MAX_RECORD`].
pub fn encode_record(spec: &RecordSpec, su: &[u8]) -> Vec<u8> {
    let fixed = record_fixed_len(spec.id.len());
    let total = fixed + su.len() + (fixed + su.len()) % 2;
    let mut r = Vec::with_capacity(total);
    r.push(total as u8);
    r.push(0); // no extended attribute record
    both32(&mut r, spec.extent);
    both32(&mut r, spec.len);
    r.extend_from_slice(&spec.date);
    r.push(spec.flags);
    r.push(0); // file unit size: not interleaved
    r.push(0); // interleave gap
    both16(&mut r, 1); // volume sequence number
    r.push(spec.id.len() as u8);
    r.extend_from_slice(spec.id);
    if spec.id.len() % 2 == 0 {
        r.push(0);
    }
    r.extend_from_slice(su);
    r.resize(total, 0);
    r
}

/// Length of a path table record for an identifier of `id_len` bytes.
pub fn path_record_len(id_len: usize) -> usize {
    8 + id_len + id_len % 2
}

/// Append one path table record, little-endian (`L` table) or big-endian (`M` table).
pub fn encode_path_record(out: &mut Vec<u8>, id: &[u8], extent: u32, parent: u16, big: bool) {
    out.push(id.len() as u8);
    out.push(0);
    if big {
        out.extend_from_slice(&extent.to_be_bytes());
        out.extend_from_slice(&parent.to_be_bytes());
    } else {
        out.extend_from_slice(&extent.to_le_bytes());
        out.extend_from_slice(&parent.to_le_bytes());
    }
    out.extend_from_slice(id);
    if id.len() % 2 == 1 {
        out.push(0);
    }
}

/// Sectors needed for `bytes` bytes.
pub fn sectors(bytes: u64) -> u64 {
    bytes.div_ceil(SECTOR_U64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_layout() {
        let r = encode_record(
            &RecordSpec {
                extent: 0x0102_0304,
                len: 2048,
                date: [1, 2, 3, 4, 5, 6, 0],
                flags: FLAG_DIR,
                id: b"AB",
            },
            b"XYZ",
        );
        assert_eq!(r.len(), 33 + 2 + 1 + 3 + 1);
        assert_eq!(r[0] as usize, r.len());
        assert_eq!(&r[2..10], &[4, 3, 2, 1, 1, 2, 3, 4]);
        assert_eq!(le32(&r, 10), Some(2048));
        assert_eq!(r[25], FLAG_DIR);
        assert_eq!(r[32], 2);
        assert_eq!(&r[33..35], b"AB");
        assert_eq!(&r[36..39], b"XYZ");
        let mut pt = Vec::new();
        encode_path_record(&mut pt, b"ABC", 20, 1, true);
        assert_eq!(pt, [3, 0, 0, 0, 0, 20, 0, 1, b'A', b'B', b'C', 0]);
        assert_eq!(pt.len(), path_record_len(3));
    }
}
