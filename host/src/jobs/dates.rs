//! Date rules: the NBA season a date belongs to.
//!
//! The season rule is the one `propcast-sdk` documents in `season.rs`: a date from July onward
//! belongs to the season starting that year. Both must agree; their tests use the same cases.

use jiff::civil::Date;

/// The first year of the season `date` is in: 2023 for 2024-01-10.
fn season_year(date: Date) -> i16 {
    if date.month() >= 7 {
        date.year()
    } else {
        date.year() - 1
    }
}

/// The season's label as stored in the warehouse: `2023-24`.
pub(crate) fn season_label(date: Date) -> String {
    let year = season_year(date);
    format!("{year}-{:02}", (year + 1) % 100)
}

/// July 1st of the season's first year: a lower bound for its game dates.
pub(crate) fn season_start(date: Date) -> Date {
    Date::new(season_year(date), 7, 1).expect("July 1st exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_map_to_the_season_they_are_played_in() {
        let d = |s: &str| crate::data::parse_date(s).unwrap();
        assert_eq!(season_label(d("2024-01-10")), "2023-24");
        assert_eq!(season_label(d("2023-10-24")), "2023-24");
        assert_eq!(season_label(d("1999-11-01")), "1999-00");
        assert_eq!(season_start(d("2024-04-14")).to_string(), "2023-07-01");
    }
}
