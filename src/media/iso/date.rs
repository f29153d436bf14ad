//! ISO 9660 date encodings of a SOURCE_DATE_EPOCH (UTC): the 7-byte directory-record form
//! (also used by Rock Ridge `TF`) and the 17-byte volume-descriptor form.

use crate::error::{Error, Result};
use crate::media::civil::civil;

/// Both encodings of one instant, computed once per image.
#[derive(Debug, Clone, Copy)]
pub struct IsoDates {
    /// 7-byte directory record / `TF` form.
    pub record: [u8; 7],
    /// 17-byte volume descriptor form.
    pub descriptor: [u8; 17],
}

impl IsoDates {
    /// Encode `epoch`; fails when the year cannot be stored in a directory record (1900..=2155).
    pub fn new(epoch: i64) -> Result<Self> {
        let c = civil(epoch);
        if !(1900..=2155).contains(&c.year) {
            return Err(Error::invalid(format!(
                "SOURCE_DATE_EPOCH {epoch} is year {}, outside what ISO 9660 can record \
                 (1900 to 2155)",
                c.year
            ))
            .with_help("use a timestamp such as the last commit's (git log -1 --format=%ct)"));
        }
        let (h, m, s) = c.hms;
        let record = [(c.year - 1900) as u8, c.month, c.day, h, m, s, 0];
        let text = format!(
            "{:04}{:02}{:02}{:02}{:02}{:02}00",
            c.year, c.month, c.day, h, m, s
        );
        let mut descriptor = [0u8; 17];
        descriptor[..16].copy_from_slice(text.as_bytes());
        Ok(IsoDates { record, descriptor })
    }
}

/// The "not specified" volume descriptor date (sixteen `0` digits, zero offset).
pub const UNSPECIFIED: [u8; 17] = *b"0000000000000000\0";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        // 2000-02-29T12:34:56Z: a leap day in a century leap year.
        let d = IsoDates::new(951_827_696).unwrap();
        assert_eq!(d.record, [100, 2, 29, 12, 34, 56, 0]);
        assert_eq!(&d.descriptor[..16], b"2000022912345600");
        assert!(IsoDates::new(-3_000_000_000).is_err());
        assert!(IsoDates::new(6_000_000_000).is_err());
    }
}
