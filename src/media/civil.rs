//! Calendar dates of a SOURCE_DATE_EPOCH (UTC, proleptic Gregorian) for the writers that store
//! one: ISO 9660 records and descriptors, ZIP's DOS date-time.

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
    }
}
