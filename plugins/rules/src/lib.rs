//! Rules the host and the exporters' SDK both follow, written once so they cannot drift: the
//! host binds `@season` and `@season-start` with them, and exporters compute a date's season
//! with them. No dependencies (the SDK is built for Wasm, the host natively), so dates are
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
