//! A calendar date without time zone, the only notion of time an exporter has.
//!
//! Dates cross the contract as `YYYY-MM-DD` text. Exporters need a little arithmetic on them (rest
//! days between games, the last seven days), so this module parses them into a day number and
//! formats them back. It deliberately knows no clock: there is no `today()`.

use std::fmt;
use std::str::FromStr;

use propcast_rules::date::{days_in_month, parse_ymd};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A proleptic Gregorian date, stored as days since 1970-01-01.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    days: i32,
}

/// The text was not a valid `YYYY-MM-DD` date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DateError {
    text: String,
}

impl fmt::Display for DateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not a date of the form YYYY-MM-DD", self.text)
    }
}

impl std::error::Error for DateError {}

impl Date {
    /// The date for a year, month (1–12) and day (1–31), if it exists.
    pub fn from_ymd(year: i32, month: u32, day: u32) -> Option<Date> {
        let in_month = u8::try_from(month)
            .ok()
            .filter(|m| (1..=12).contains(m))
            .is_some_and(|m| day >= 1 && day <= u32::from(days_in_month(year, m)));
        if !in_month {
            return None;
        }
        Some(Date {
            days: days_from_civil(year, month, day),
        })
    }

    /// Year, month and day.
    pub fn ymd(self) -> (i32, u32, u32) {
        civil_from_days(self.days)
    }

    /// The year.
    pub fn year(self) -> i32 {
        self.ymd().0
    }

    /// The date `days` later (or earlier, when negative).
    pub fn add_days(self, days: i32) -> Date {
        Date {
            days: self.days + days,
        }
    }

    /// Whole days from `earlier` to `self` (negative when `earlier` is later).
    pub fn days_since(self, earlier: Date) -> i32 {
        self.days - earlier.days
    }
}

impl FromStr for Date {
    type Err = DateError;

    fn from_str(text: &str) -> Result<Date, DateError> {
        parse_ymd(text)
            .and_then(|(year, month, day)| Date::from_ymd(year, month.into(), day.into()))
            .ok_or_else(|| DateError {
                text: text.to_string(),
            })
    }
}

/// A date as `YYYY-MM-DD` text, built digit by digit: documents hold thousands of dates, and
/// `core::fmt` (padding, indirect calls) cost several times as much per date, most of all in
/// a component.
struct IsoText([u8; 10]);

impl IsoText {
    /// The text of a date with a year of four digits (0000–9999); others have none.
    fn of(date: Date) -> Option<IsoText> {
        let (year, month, day) = date.ymd();
        let year = u32::try_from(year).ok().filter(|y| *y <= 9999)?;
        let mut text = *b"0000-00-00";
        for (at, mut value, width) in [(0, year, 4), (5, month, 2), (8, day, 2)] {
            for slot in text[at..at + width].iter_mut().rev() {
                *slot = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        Some(IsoText(text))
    }

    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("digits and dashes are ASCII")
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match IsoText::of(*self) {
            Some(text) => f.write_str(text.as_str()),
            None => {
                let (y, m, d) = self.ymd();
                write!(f, "{y:04}-{m:02}-{d:02}")
            }
        }
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match IsoText::of(*self) {
            Some(text) => serializer.serialize_str(text.as_str()),
            None => serializer.collect_str(self),
        }
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Date, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

// Howard Hinnant's `days_from_civil` and `civil_from_days`.
fn days_from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month as i32 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i32 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(days: i32) -> (i32, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i32::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_formats_round_trip() {
        for text in [
            "1970-01-01",
            "2024-02-29",
            "2023-10-24",
            "2000-12-31",
            "1999-03-01",
        ] {
            let date: Date = text.parse().unwrap();
            assert_eq!(date.to_string(), text);
        }
    }

    #[test]
    fn formats_every_year_as_before() {
        // Four-digit years take the digit-by-digit path; the rest `core::fmt`'s, as before.
        for (year, month, day, text) in [
            (0, 1, 1, "0000-01-01"),
            (7, 3, 9, "0007-03-09"),
            (999, 12, 31, "0999-12-31"),
            (9999, 12, 31, "9999-12-31"),
            (10_000, 1, 1, "10000-01-01"),
            (-1, 6, 15, "-001-06-15"),
        ] {
            let date = Date::from_ymd(year, month, day).unwrap();
            assert_eq!(date.to_string(), text);
            assert_eq!(serde_json::to_string(&date).unwrap(), format!("\"{text}\""));
        }
    }

    #[test]
    fn rejects_impossible_and_malformed_dates() {
        for text in [
            "2023-02-29",
            "2024-13-01",
            "2024-00-10",
            "2024-1-10",
            "20240110",
            "2024-01-1x",
            "",
        ] {
            assert!(text.parse::<Date>().is_err(), "{text} parsed");
        }
    }

    #[test]
    fn counts_days_across_month_and_leap_year_ends() {
        let a: Date = "2024-02-28".parse().unwrap();
        let b: Date = "2024-03-01".parse().unwrap();
        assert_eq!(b.days_since(a), 2);
        assert_eq!(a.add_days(2), b);
        let epoch: Date = "1970-01-01".parse().unwrap();
        assert_eq!(epoch.add_days(-1).to_string(), "1969-12-31");
    }
}
