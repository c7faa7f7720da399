//! Dates as users and fixtures write them: `YYYY-MM-DD`, nothing looser.

use jiff::civil::Date;

/// Parses `YYYY-MM-DD`, for clap.
pub(crate) fn parse_date(text: &str) -> Result<Date, String> {
    let valid_shape = text.len() == 10
        && text.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !valid_shape {
        return Err(format!("`{text}` is not a date of the form YYYY-MM-DD"));
    }
    text.parse::<Date>()
        .map_err(|_| format!("`{text}` is not a date of the form YYYY-MM-DD"))
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
