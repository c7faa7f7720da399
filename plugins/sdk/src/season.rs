//! The NBA season a date belongs to: `propcast_rules::season`, the rule the host binds
//! `@season` with, on this crate's [`Date`].

use crate::date::Date;

/// The first year of the season `date` belongs to: 2023 for 2024-01-10.
pub fn season_year(date: Date) -> i32 {
    let (year, month, _) = date.ymd();
    propcast_rules::season::first_year(year, month as u8)
}

/// The season's label, as the warehouse stores it: `2023-24`.
pub fn season_label(date: Date) -> String {
    propcast_rules::season::label(season_year(date))
}

/// July 1st of the season's first year: a lower bound for the season's game dates.
pub fn season_start(date: Date) -> Date {
    Date::from_ymd(
        season_year(date),
        propcast_rules::season::FIRST_MONTH.into(),
        1,
    )
    .expect("July 1st exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_map_to_the_season_they_are_played_in() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(season_label(d("2024-01-10")), "2023-24");
        assert_eq!(season_label(d("2023-10-24")), "2023-24");
        assert_eq!(season_label(d("1999-11-01")), "1999-00");
        assert_eq!(season_start(d("2024-04-14")).to_string(), "2023-07-01");
    }
}
