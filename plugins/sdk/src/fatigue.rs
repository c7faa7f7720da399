//! How rested a player is going into a date, from the games they played before it.

use serde::Serialize;

use crate::date::Date;
use crate::stats::round;

/// Rest and recent load before a game.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fatigue {
    /// Full days without a game since the last one (0 on a back-to-back); `None` without a
    /// previous game.
    pub rest_days: Option<i32>,
    /// Played the day before.
    pub back_to_back: bool,
    /// Games in the 7 days before the date.
    pub games_last_7_days: usize,
    /// Minutes in the 7 days before the date, 1 place.
    pub minutes_last_7_days: f64,
    /// Average minutes over the last 3 games, 1 place; `None` without games.
    pub minutes_last_3_avg: Option<f64>,
    /// The same, unrounded: what rules compare (35.97 minutes is not 36).
    #[serde(skip)]
    pub minutes_last_3_avg_exact: Option<f64>,
}

impl Fatigue {
    /// Fatigue going into `date`, from the player's earlier games as (date, minutes), in any
    /// order. Games on or after `date` are ignored.
    pub fn before(date: Date, games: &[(Date, f64)]) -> Fatigue {
        let mut earlier: Vec<(Date, f64)> =
            games.iter().copied().filter(|(d, _)| *d < date).collect();
        earlier.sort_by_key(|(d, _)| *d);
        let last = earlier.last().map(|(d, _)| *d);
        let rest_days = last.map(|d| date.days_since(d) - 1);
        let week: Vec<&(Date, f64)> = earlier
            .iter()
            .filter(|(d, _)| date.days_since(*d) <= 7)
            .collect();
        let last_3 = &earlier[earlier.len().saturating_sub(3)..];
        Fatigue {
            rest_days,
            back_to_back: rest_days == Some(0),
            games_last_7_days: week.len(),
            minutes_last_7_days: round(week.iter().map(|(_, m)| m).sum(), 1),
            minutes_last_3_avg: crate::stats::mean(last_3.iter().map(|(_, m)| *m))
                .map(|m| round(m, 1)),
            minutes_last_3_avg_exact: crate::stats::mean(last_3.iter().map(|(_, m)| *m)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn a_back_to_back_with_a_busy_week() {
        let games = [
            (d("2024-01-09"), 36.0),
            (d("2024-01-07"), 34.5),
            (d("2024-01-05"), 30.0),
            (d("2024-01-02"), 20.0),
        ];
        let f = Fatigue::before(d("2024-01-10"), &games);
        assert_eq!(f.rest_days, Some(0));
        assert!(f.back_to_back);
        assert_eq!(f.games_last_7_days, 3, "the 3rd through the 9th");
        assert_eq!(f.minutes_last_7_days, 100.5);
        assert_eq!(f.minutes_last_3_avg, Some(33.5));
    }

    #[test]
    fn no_earlier_games_means_unknown_rest() {
        let f = Fatigue::before(d("2024-01-10"), &[(d("2024-01-10"), 30.0)]);
        assert_eq!(f.rest_days, None);
        assert!(!f.back_to_back);
        assert_eq!(f.games_last_7_days, 0);
        assert_eq!(f.minutes_last_3_avg, None);
    }
}
