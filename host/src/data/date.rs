//! Dates as users and fixtures write them: `YYYY-MM-DD`, nothing looser, by the rule the SDK
//! reads them with too (`propcast_rules::date`).

use jiff::civil::Date;

/// Parses `YYYY-MM-DD`, for clap.
pub(crate) fn parse_date(text: &str) -> Result<Date, String> {
    propcast_rules::date::parse_ymd(text)
        .and_then(|(year, month, day)| Date::new(year as i16, month as i8, day as i8).ok())
        .ok_or_else(|| format!("`{text}` is not a date of the form YYYY-MM-DD"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_malformed_and_impossible_dates() {
        for bad in [
            "2024-13-01",
            "2024-02-30",
            "2024-1-10",
            "yesterday",
            "2024-01-10T00:00",
        ] {
            assert_eq!(
                parse_date(bad).unwrap_err(),
                format!("`{bad}` is not a date of the form YYYY-MM-DD")
            );
        }
    }
}
