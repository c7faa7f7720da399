//! Rules the host and the exporters' SDK both follow, written once so they cannot drift: the
//! host binds `@season` and `@season-start` with them, and exporters compute a date's season
//! with them; both read a `YYYY-MM-DD` date by the same rule. No dependencies (the SDK is built for Wasm, the host natively), so dates are
//! plain years and months here; each side wraps them in its own date type.

pub mod season {
    //! The NBA season a date belongs to.
    //!
    //! A season starts in the autumn and ends in the spring, so a date from July onward belongs
    //! to the season starting that year, and an earlier date to the one that started the year
    //! before.

    /// The month a season's dates start from: July.
    pub const FIRST_MONTH: u8 = 7;

    /// The first year of the season of a date in `year` and `month` (1–12): 2023 for January
    /// 2024.
    pub fn first_year(year: i32, month: u8) -> i32 {
        if month >= FIRST_MONTH { year } else { year - 1 }
    }

    /// The season's label as the warehouse stores it, from its first year: `2023-24`.
    pub fn label(first_year: i32) -> String {
        format!("{first_year}-{:02}", (first_year + 1).rem_euclid(100))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn dates_map_to_the_season_they_are_played_in() {
            assert_eq!(label(first_year(2024, 1)), "2023-24");
            assert_eq!(label(first_year(2023, 10)), "2023-24");
            assert_eq!(label(first_year(2023, 7)), "2023-24");
            assert_eq!(label(first_year(2023, 6)), "2022-23");
            assert_eq!(label(first_year(1999, 11)), "1999-00");
        }
    }
}

pub mod date {
    //! A date as users, fixtures and the warehouse write it: `YYYY-MM-DD` and a day that exists,
    //! nothing looser (no `2024-1-10`, no time of day).

    /// The year, month and day of `text` when it is a date written `YYYY-MM-DD`.
    pub fn parse_ymd(text: &str) -> Option<(i32, u8, u8)> {
        let bytes = text.as_bytes();
        let shaped = bytes.len() == 10
            && bytes.iter().enumerate().all(|(i, b)| match i {
                4 | 7 => *b == b'-',
                _ => b.is_ascii_digit(),
            });
        if !shaped {
            return None;
        }
        let number = |from: usize, to: usize| {
            bytes[from..to]
                .iter()
                .fold(0u32, |n, b| n * 10 + u32::from(b - b'0'))
        };
        let (year, month, day) = (number(0, 4) as i32, number(5, 7) as u8, number(8, 10) as u8);
        let exists = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month);
        exists.then_some((year, month, day))
    }

    /// How many days month `month` (1–12) of `year` has.
    pub fn days_in_month(year: i32, month: u8) -> u8 {
        match month {
            2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn only_real_dates_in_the_one_shape_are_read() {
            assert_eq!(parse_ymd("2024-02-29"), Some((2024, 2, 29)));
            assert_eq!(parse_ymd("2000-02-29"), Some((2000, 2, 29)));
            for bad in [
                "2023-02-29",
                "1900-02-29",
                "2024-04-31",
                "2024-13-01",
                "2024-00-10",
                "2024-01-00",
                "2024-1-10",
                "2024-01-10T00:00",
                "+024-01-10",
                "yesterday",
                "",
            ] {
                assert_eq!(parse_ymd(bad), None, "{bad}");
            }
        }
    }
}
