//! PE images: the machine type and the Authenticode digest a catalog lists for them.
//!
//! The digest covers the file except the optional header's 4-byte `CheckSum`, the 8-byte
//! certificate-table directory entry, and the attribute certificates (from the table's file
//! offset to the end). An image without a certificate table whose size is not a multiple of 8
//! is hashed with zero padding to the next multiple of 8, as signing tools pad it before
//! they append a signature (osslsigncode does the same).

use super::ctl::HashAlg;
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// What the PE headers say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeInfo {
    /// `IMAGE_FILE_HEADER.Machine`.
    pub machine: u16,
    /// Whether the optional header is PE32+ (64-bit).
    pub pe32_plus: bool,
    checksum_at: usize,
    cert_dir_at: Option<usize>,
    /// Where the attribute certificates start (file offset), if the image has any.
    pub cert_table: Option<(usize, usize)>,
}

/// x86.
pub const MACHINE_I386: u16 = 0x014c;
/// x64.
pub const MACHINE_AMD64: u16 = 0x8664;
/// ARM64 (and ARM64X images, which carry this machine with CHPE metadata).
pub const MACHINE_ARM64: u16 = 0xaa64;
/// ARM64EC (object files; images say 0x8664).
pub const MACHINE_ARM64EC: u16 = 0xa641;
/// ARM64X (object files; images say 0xAA64).
pub const MACHINE_ARM64X: u16 = 0xa64e;

/// A machine type's name (`x86 (0x014c)`).
pub fn machine_name(m: u16) -> String {
    let name = match m {
        MACHINE_I386 => "x86",
        MACHINE_AMD64 => "amd64",
        MACHINE_ARM64 => "arm64",
        MACHINE_ARM64EC => "arm64ec",
        MACHINE_ARM64X => "arm64x",
        0x01c4 => "arm",
        0x0200 => "ia64",
        _ => "unknown",
    };
    format!("{name} (0x{m:04x})")
}

fn u16_at(d: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        d.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        d.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// Whether `data` starts like a PE image (`MZ`).
pub fn looks_like_pe(data: &[u8]) -> bool {
    data.starts_with(b"MZ")
}

/// Read the headers of a PE image; `Err` says what is wrong.
pub fn parse(data: &[u8]) -> Result<PeInfo, String> {
    if !looks_like_pe(data) {
        return Err("not a PE image (no MZ header)".into());
    }
    let pe = u32_at(data, 0x3c).ok_or("truncated DOS header")? as usize;
    if data.get(pe..pe.saturating_add(4)) != Some(b"PE\0\0") {
        return Err("no PE signature where the DOS header points".into());
    }
    let coff = pe + 4;
    let machine = u16_at(data, coff).ok_or("truncated COFF header")?;
    let opt_size = u16_at(data, coff + 16).ok_or("truncated COFF header")? as usize;
    let opt = coff + 20;
    let magic = u16_at(data, opt).ok_or("truncated optional header")?;
    let (pe32_plus, count_at, dirs_at) = match magic {
        0x10b => (false, opt + 92, opt + 96),
        0x20b => (true, opt + 108, opt + 112),
        m => return Err(format!("unknown optional header magic 0x{m:04x}")),
    };
    let checksum_at = opt + 64;
    if checksum_at + 4 > opt + opt_size || checksum_at + 4 > data.len() {
        return Err("optional header too short for a checksum".into());
    }
    let count = u32_at(data, count_at).unwrap_or(0) as usize;
    let cert_dir_at = dirs_at + 4 * 8;
    let (cert_dir_at, cert_table) =
        if count > 4 && cert_dir_at + 8 <= opt + opt_size && cert_dir_at + 8 <= data.len() {
            let off = u32_at(data, cert_dir_at).unwrap_or(0) as usize;
            let size = u32_at(data, cert_dir_at + 4).unwrap_or(0) as usize;
            let table = if size == 0 || off == 0 {
                None
            } else if off < cert_dir_at + 8 || off.saturating_add(size) > data.len() {
                return Err(format!(
                    "the certificate table (offset {off}, {size} bytes) lies outside the file"
                ));
            } else {
                Some((off, size))
            };
            (Some(cert_dir_at), table)
        } else {
            (None, None)
        };
    Ok(PeInfo {
        machine,
        pe32_plus,
        checksum_at,
        cert_dir_at,
        cert_table,
    })
}

/// The Authenticode digest of a PE image with `alg`.
pub fn authenticode_digest(data: &[u8], info: &PeInfo, alg: HashAlg) -> Vec<u8> {
    match alg {
        HashAlg::Sha1 => digest_with::<Sha1>(data, info),
        HashAlg::Sha256 => digest_with::<Sha256>(data, info),
    }
}

fn digest_with<D: Digest>(data: &[u8], info: &PeInfo) -> Vec<u8> {
    let mut h = D::new();
    let end = info.cert_table.map_or(data.len(), |(off, _)| off);
    // `parse` checked checksum_at + 4 <= cert_dir_at (when present) <= end.
    h.update(&data[..info.checksum_at]);
    let after_checksum = info.checksum_at + 4;
    match info.cert_dir_at {
        Some(dir) if dir >= after_checksum && dir + 8 <= end => {
            h.update(&data[after_checksum..dir]);
            h.update(&data[dir + 8..end]);
        }
        _ => h.update(&data[after_checksum.min(end)..end]),
    }
    if info.cert_table.is_none() && end % 8 != 0 {
        h.update(&[0u8; 8][..8 - end % 8]);
    }
    h.finalize().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal PE32 image header (no sections) for `machine`.
    fn tiny(machine: u16, plus: bool) -> Vec<u8> {
        let mut d = vec![0u8; 512];
        d[0..2].copy_from_slice(b"MZ");
        d[0x3c..0x40].copy_from_slice(&64u32.to_le_bytes());
        d[64..68].copy_from_slice(b"PE\0\0");
        d[68..70].copy_from_slice(&machine.to_le_bytes());
        let opt_size: u16 = if plus { 240 } else { 224 };
        d[84..86].copy_from_slice(&opt_size.to_le_bytes());
        d[88..90].copy_from_slice(&(if plus { 0x20bu16 } else { 0x10b }).to_le_bytes());
        let count_at = 88 + if plus { 108 } else { 92 };
        d[count_at..count_at + 4].copy_from_slice(&16u32.to_le_bytes());
        d
    }

    #[test]
    fn checksum_and_cert_entry_do_not_change_the_digest() {
        for plus in [false, true] {
            let a = tiny(MACHINE_AMD64, plus);
            let info = parse(&a).unwrap();
            assert_eq!(info.machine, MACHINE_AMD64);
            assert_eq!(info.pe32_plus, plus);
            let mut b = a.clone();
            b[info.checksum_at] ^= 0xff;
            let d = |x: &[u8]| authenticode_digest(x, &parse(x).unwrap(), HashAlg::Sha256);
            assert_eq!(d(&a), d(&b));
            let mut c = a.clone();
            c[300] ^= 1;
            assert_ne!(d(&a), d(&c));
        }
    }

    #[test]
    fn hostile_headers_are_errors() {
        assert!(parse(b"MZ").is_err());
        let mut d = tiny(MACHINE_I386, false);
        d[0x3c..0x40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse(&d).is_err());
        let mut d = tiny(MACHINE_I386, false);
        let dir = 88 + 96 + 32;
        d[dir..dir + 4].copy_from_slice(&400u32.to_le_bytes());
        d[dir + 4..dir + 8].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse(&d).is_err());
    }
}
