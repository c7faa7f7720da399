//! Numbers as the site shows them, rounded one way everywhere.
//!
//! Rounding is half away from zero at the given number of decimal places, computed in `f64`
//! (`round(x * 10^p) / 10^p`). Averages of points and minutes have 1 place, percentages (0–100)
//! 1 place, points allowed per game 2 places; exporters say which they use in their docs.

use serde::Serialize;

use crate::date::Date;
use crate::props::{Outcome, outcome};

/// `value` rounded half away from zero to `places` decimals; zero is always `0.0`, never
/// `-0.0` (an empty sum, or -0.04 to 1 place).
pub fn round(value: f64, places: i32) -> f64 {
    let factor = 10f64.powi(places);
    // Adding 0.0 turns -0.0 into 0.0 and changes nothing else.
    (value * factor).round() / factor + 0.0
}

/// Whether `value` is at least `threshold`, allowing for the rounding error of the float
/// arithmetic that computed it: a rule's threshold is met by a value that is exactly on it,
/// and a mean of 34.3, 34.4 and 39.3 minutes (35.99999999999999 in `f64`) is 36.
pub fn at_least(value: f64, threshold: f64) -> bool {
    value >= threshold - 1e-9 * threshold.abs().max(1.0)
}

/// The mean, or `None` for no values.
pub fn mean(values: impl IntoIterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values
        .into_iter()
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (count > 0).then(|| sum / count as f64)
}

/// `part` of `whole` as a percentage rounded to 1 place, or `None` when `whole` is 0.
pub fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| round(100.0 * part as f64 / whole as f64, 1))
}

/// Games, average points, and how often they went over the line.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Split {
    /// Games in the split.
    pub games: usize,
    /// Average points (1 place), `None` without games.
    pub average: Option<f64>,
    /// Games with a line in the split.
    pub games_with_line: usize,
    /// Share of the games with a line that went over it, in percent (1 place); a push is not
    /// over. `None` when no game had a line.
    pub vs_line_pct: Option<f64>,
}

impl Split {
    /// The split of `games`, each as points and the line (if any).
    pub fn of(games: impl IntoIterator<Item = (i64, Option<f64>)>) -> Split {
        let games: Vec<(i64, Option<f64>)> = games.into_iter().collect();
        let with_line = games.iter().filter(|(_, line)| line.is_some()).count();
        let over = games
            .iter()
            .filter(|(p, line)| outcome(*p, *line) == Outcome::Over)
            .count();
        Split {
            games: games.len(),
            average: mean(games.iter().map(|(p, _)| *p as f64)).map(|m| round(m, 1)),
            games_with_line: with_line,
            vs_line_pct: percent(over, with_line),
        }
    }
}

/// A player's scoring so far: averages over the season and the last 5 and 10 games (1 place),
/// and of the last 10 games, the percentage of those with a line that went over it: the same
/// window as the last-10 split's `vs_line_pct`.
///
/// Rules compare the exact averages ([`Form::season_avg_exact`], [`Form::last_5_avg_exact`]);
/// only the published numbers are rounded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Form {
    /// Games played.
    pub games_played: usize,
    /// Season average; `None` without games.
    pub season_avg: Option<f64>,
    /// Average over the last 5 games.
    pub last_5_avg: Option<f64>,
    /// Average over the last 10 games.
    pub last_10_avg: Option<f64>,
    /// Of the last 10 games, the percentage of those with a line that went over it (a push is
    /// not over); `None` when none of them had a line.
    pub hit_rate_vs_line_last_10: Option<f64>,
    /// The season average, unrounded, for rules.
    #[serde(skip)]
    pub season_avg_exact: Option<f64>,
    /// The last-5 average, unrounded, for rules.
    #[serde(skip)]
    pub last_5_avg_exact: Option<f64>,
}

impl Form {
    /// Form from games as (points, line), oldest first.
    pub fn of(games: &[(i64, Option<f64>)]) -> Form {
        let exact = |games: &[(i64, Option<f64>)]| mean(games.iter().map(|(p, _)| *p as f64));
        let avg = |games: &[(i64, Option<f64>)]| exact(games).map(|m| round(m, 1));
        let last = |n: usize| &games[games.len().saturating_sub(n)..];
        Form {
            games_played: games.len(),
            season_avg: avg(games),
            last_5_avg: avg(last(5)),
            last_10_avg: avg(last(10)),
            hit_rate_vs_line_last_10: Split::of(last(10).iter().copied()).vs_line_pct,
            season_avg_exact: exact(games),
            last_5_avg_exact: exact(last(5)),
        }
    }
}

/// One game of a player, as splits need it.
#[derive(Clone, Debug, PartialEq)]
pub struct GameSample {
    /// The game's date.
    pub date: Date,
    /// Points scored.
    pub points: i64,
    /// The points line, if any.
    pub line: Option<f64>,
    /// Played at home.
    pub home: bool,
}

/// Home and away splits.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VenueSplits {
    /// Games at home.
    pub home: Split,
    /// Games away.
    pub away: Split,
}

impl VenueSplits {
    /// Splits `games` by venue.
    pub fn of(games: &[GameSample]) -> VenueSplits {
        let by = |home: bool| {
            Split::of(
                games
                    .iter()
                    .filter(|g| g.home == home)
                    .map(|g| (g.points, g.line)),
            )
        };
        VenueSplits {
            home: by(true),
            away: by(false),
        }
    }
}

/// Splits by days of rest before the game. A player's first game has no known rest and is in
/// none of them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RestSplits {
    /// No day of rest: the second night of a back-to-back.
    pub back_to_back: Split,
    /// One day of rest.
    pub one_day: Split,
    /// Two or more days of rest.
    pub two_plus_days: Split,
}

impl RestSplits {
    /// Splits `games` (one player's, any order) by rest.
    pub fn of(games: &[GameSample]) -> RestSplits {
        let mut sorted: Vec<&GameSample> = games.iter().collect();
        sorted.sort_by_key(|g| g.date);
        let with_rest: Vec<(i32, &GameSample)> = sorted
            .windows(2)
            .map(|w| (w[1].date.days_since(w[0].date) - 1, w[1]))
            .collect();
        let by = |keep: fn(i32) -> bool| {
            Split::of(
                with_rest
                    .iter()
                    .filter(|(rest, _)| keep(*rest))
                    .map(|(_, g)| (g.points, g.line)),
            )
        };
        RestSplits {
            back_to_back: by(|r| r == 0),
            one_day: by(|r| r == 1),
            two_plus_days: by(|r| r >= 2),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_on_a_threshold_meets_it_despite_float_rounding() {
        let minutes = mean([34.3, 34.4, 39.3]).unwrap();
        assert!(minutes < 36.0, "f64 puts it just under: {minutes}");
        assert!(at_least(minutes, 36.0));
        assert!(!at_least(35.97, 36.0));
        let form = 87.0 / 5.0 - 154.0 / 10.0;
        assert!(form < 2.0, "{form}");
        assert!(at_least(form, 2.0));
        assert!(at_least(-(-form), 2.0) && !at_least(1.99, 2.0));
    }

    #[test]
    fn rounding_never_gives_negative_zero() {
        assert!(round(-0.04, 1).is_sign_positive());
        assert!(round(std::iter::empty::<f64>().sum(), 1).is_sign_positive());
        assert_eq!(round(-0.05, 1), -0.1);
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round(111.125, 2), 111.13);
        assert_eq!(round(2.25, 1), 2.3);
        assert_eq!(round(-2.25, 1), -2.3);
        assert_eq!(round(7.0, 1), 7.0);
    }

    #[test]
    fn a_split_counts_pushes_as_not_over_and_skips_missing_lines() {
        let split = Split::of([
            (25, Some(22.5)),
            (20, Some(20.0)),
            (10, Some(12.5)),
            (30, None),
        ]);
        assert_eq!(split.games, 4);
        assert_eq!(split.average, Some(21.3));
        assert_eq!(split.games_with_line, 3);
        assert_eq!(split.vs_line_pct, Some(33.3));
        let empty = Split::of([]);
        assert_eq!((empty.average, empty.vs_line_pct), (None, None));
    }

    fn sample(date: &str, points: i64, line: Option<f64>, home: bool) -> GameSample {
        GameSample {
            date: date.parse().unwrap(),
            points,
            line,
            home,
        }
    }

    #[test]
    fn rest_splits_skip_the_first_game() {
        let games = [
            sample("2024-01-05", 30, Some(20.5), true),
            sample("2024-01-01", 10, Some(20.5), false),
            sample("2024-01-02", 12, Some(20.5), true),
            sample("2024-01-08", 25, None, false),
        ];
        let rest = RestSplits::of(&games);
        assert_eq!(
            (rest.back_to_back.games, rest.back_to_back.average),
            (1, Some(12.0))
        );
        assert_eq!(rest.one_day.games, 0);
        assert_eq!(
            (rest.two_plus_days.games, rest.two_plus_days.vs_line_pct),
            (2, Some(100.0))
        );
        let venue = VenueSplits::of(&games);
        assert_eq!((venue.home.games, venue.away.games), (2, 2));
        assert_eq!(venue.away.vs_line_pct, Some(0.0));
    }
}
