//! ISO 9660 date encodings of a SOURCE_DATE_EPOCH (UTC): the 7-byte directory-record form
//! (also used by Rock Ridge `TF`) and the 17-byte volume-descriptor form.

use crate::error::{Error, Result};

/// A civil UTC date and time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year (1900..=2155 for a valid ISO 9660 record date).
    pub year: i64,
    /// Month, 1..=12.
    pub month: u8,
    /// Day, 1..=31.
    pub day: u8,
    /// Hour, minute, second.
    pub hms: (u8, u8, u8),
}

/// Convert seconds since 1970-01-01T00:00:00Z to a civil date (proleptic Gregorian).
pub fn civil(epoch: i64) -> Civil {
    let days = epoch.div_euclid(86_400);
    let secs = epoch.rem_euclid(86_400);
    // Shift the day count so eras start on 0000-03-01; leap days then fall at an era's end.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = yoe + era * 400 + i64::from(month <= 2);
    Civil {
        year,
        month,
        day,
        hms: (
            (secs / 3600) as u8,
            (secs % 3600 / 60) as u8,
            (secs % 60) as u8,
        ),
    }
}

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
        let c = civil(0);
        assert_eq!((c.year, c.month, c.day, c.hms), (1970, 1, 1, (0, 0, 0)));
        // 2000-02-29T12:34:56Z: a leap day in a century leap year.
        let c = civil(951_827_696);
        assert_eq!((c.year, c.month, c.day, c.hms), (2000, 2, 29, (12, 34, 56)));
        let c = civil(-1);
        assert_eq!(
            (c.year, c.month, c.day, c.hms),
            (1969, 12, 31, (23, 59, 59))
        );
        let d = IsoDates::new(951_827_696).unwrap();
        assert_eq!(d.record, [100, 2, 29, 12, 34, 56, 0]);
        assert_eq!(&d.descriptor[..16], b"2000022912345600");
        assert!(IsoDates::new(-3_000_000_000).is_err());
        assert!(IsoDates::new(6_000_000_000).is_err());
    }
}
