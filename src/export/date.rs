//! Calendar dates, for the report and the file name of an export.
//!
//! Nothing here reads the clock: callers turn the time they read into a `Date`.

use super::{Labels, Lang};
use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

/// A calendar date (proleptic Gregorian, UTC).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Date {
    year: i32,
    month: u32,
    day: u32,
}

impl Date {
    pub fn new(year: i32, month: u32, day: u32) -> Option<Date> {
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (1..=days)
            .contains(&day)
            .then_some(Date { year, month, day })
    }

    /// The UTC date of an instant given in seconds since the Unix epoch.
    pub fn from_unix_seconds(secs: i64) -> Date {
        // Howard Hinnant's `civil_from_days`.
        let z = secs.div_euclid(86_400) + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The UTC date of `time` (an instant before 1970 counts as 1970-01-01).
    pub fn of(time: SystemTime) -> Date {
        let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
        Date::from_unix_seconds(i64::try_from(secs).unwrap_or(0))
    }

    /// Parses `YYYY-MM-DD`.
    pub fn parse(s: &str) -> Option<Date> {
        let mut parts = s.split('-');
        let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        Date::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }

    /// The date written out in `lang`, e.g. `27 November 2026`, `27 de noviembre de 2026`.
    pub(crate) fn long(self, labels: &Labels) -> String {
        let month = labels.months[(self.month - 1) as usize];
        match labels.lang {
            Lang::En => format!("{} {month} {}", self.day, self.year),
            Lang::Es | Lang::Pt => format!("{} de {month} de {}", self.day, self.year),
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_come_from_unix_time_and_print_as_iso() {
        assert_eq!(Date::from_unix_seconds(0).to_string(), "1970-01-01");
        assert_eq!(
            Date::from_unix_seconds(951_782_400).to_string(),
            "2000-02-29"
        );
        // 2026-11-27 12:00:00 UTC
        assert_eq!(
            Date::from_unix_seconds(1_795_780_800).to_string(),
            "2026-11-27"
        );
        assert_eq!(Date::from_unix_seconds(-1).to_string(), "1969-12-31");
        assert_eq!(Date::parse("2026-11-27"), Date::new(2026, 11, 27));
        assert_eq!(Date::parse("2026-02-30"), None);
        assert_eq!(Date::parse("26-11-27"), None);
    }

    #[test]
    fn dates_are_written_out_in_the_report_language() {
        let d = Date::new(2020, 6, 24).unwrap();
        assert_eq!(d.long(Lang::En.labels()), "24 June 2020");
        assert_eq!(d.long(Lang::Es.labels()), "24 de junio de 2020");
        assert_eq!(d.long(Lang::Pt.labels()), "24 de junho de 2020");
    }
}
