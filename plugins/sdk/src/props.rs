//! The betting vocabulary every exporter shares: how a game went against its points line, and
//! how a pick is graded. One definition, so streaks, results and profiles agree on what a push
//! or a hit is.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::stats::round;

/// How a game went against its line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Outcome {
    /// Points above the line.
    Over,
    /// Points below the line.
    Under,
    /// Points equal to a whole-number line: the bet neither won nor lost.
    Push,
    /// There was no line.
    NoLine,
}

/// Points against a line.
pub fn outcome(points: i64, line: Option<f64>) -> Outcome {
    match line {
        None => Outcome::NoLine,
        Some(line) if (points as f64) > line => Outcome::Over,
        Some(line) if (points as f64) < line => Outcome::Under,
        Some(_) => Outcome::Push,
    }
}

/// The model's recommendation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Recommendation {
    /// Bet the over.
    Over,
    /// Bet the under.
    Under,
    /// No bet.
    Pass,
}

impl Recommendation {
    /// Parses `OVER`, `UNDER` or `PASS`, naming anything else.
    pub fn parse(text: &str) -> Result<Recommendation> {
        match text {
            "OVER" => Ok(Recommendation::Over),
            "UNDER" => Ok(Recommendation::Under),
            "PASS" => Ok(Recommendation::Pass),
            other => Err(Error::bad_input(format!(
                "recommendation `{other}` is not OVER, UNDER or PASS"
            ))),
        }
    }

    /// The side a bet is on, or `None` for a pass.
    pub fn side(self) -> Option<Outcome> {
        match self {
            Recommendation::Over => Some(Outcome::Over),
            Recommendation::Under => Some(Outcome::Under),
            Recommendation::Pass => None,
        }
    }
}

/// A team's side of a game: at home or away, and the other team.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Side<'a> {
    /// The team plays at home.
    pub home: bool,
    /// The other team.
    pub opponent: &'a str,
}

impl<'a> Side<'a> {
    /// `team`'s side of the game between `home_team` and `away_team`.
    pub fn of(team: &str, home_team: &'a str, away_team: &'a str) -> Side<'a> {
        let home = team == home_team;
        Side {
            home,
            opponent: if home { away_team } else { home_team },
        }
    }

    /// `HOME` or `AWAY`.
    pub fn home_away(self) -> &'static str {
        if self.home { "HOME" } else { "AWAY" }
    }
}

/// How the site names a game: the away team at the home team, `BKN @ BOS`.
pub fn matchup(home_team: &str, away_team: &str) -> String {
    format!("{away_team} @ {home_team}")
}

/// A prediction as the site shows it, rounded the same way everywhere: predicted points and
/// edge (predicted − line) to 1 place, confidence to 2.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PredictionSummary {
    /// Predicted points.
    pub predicted_points: f64,
    /// The recommendation.
    pub recommendation: Recommendation,
    /// 0–1.
    pub confidence: Option<f64>,
    /// Predicted − line; `None` without a line.
    pub edge: Option<f64>,
}

impl PredictionSummary {
    /// The summary of a prediction from its (nullable) columns: `None` when there is no
    /// prediction, an error when the recommendation is not OVER, UNDER or PASS.
    pub fn from_columns(
        predicted: Option<f64>,
        recommendation: Option<&str>,
        confidence: Option<f64>,
        line: Option<f64>,
    ) -> Result<Option<PredictionSummary>> {
        let (Some(predicted), Some(recommendation)) = (predicted, recommendation) else {
            return Ok(None);
        };
        Ok(Some(PredictionSummary {
            predicted_points: round(predicted, 1),
            recommendation: Recommendation::parse(recommendation)?,
            confidence: confidence.map(|c| round(c, 2)),
            edge: line.map(|line| round(predicted - line, 1)),
        }))
    }
}

/// How a pick on one side went.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Grade {
    /// The game went the pick's way.
    Hit,
    /// It went the other way.
    Miss,
    /// Points equalled the line.
    Push,
    /// There was no line to grade against.
    NoLine,
}

/// Grades a pick on `side` (`Over` or `Under`) against the result.
pub fn grade(side: Outcome, points: i64, line: Option<f64>) -> Grade {
    match outcome(points, line) {
        Outcome::NoLine => Grade::NoLine,
        Outcome::Push => Grade::Push,
        result if result == side => Grade::Hit,
        _ => Grade::Miss,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_against_half_and_whole_lines() {
        assert_eq!(outcome(23, Some(22.5)), Outcome::Over);
        assert_eq!(outcome(22, Some(22.5)), Outcome::Under);
        assert_eq!(outcome(22, Some(22.0)), Outcome::Push);
        assert_eq!(outcome(22, None), Outcome::NoLine);
    }

    #[test]
    fn grades_each_side() {
        assert_eq!(grade(Outcome::Over, 23, Some(22.5)), Grade::Hit);
        assert_eq!(grade(Outcome::Under, 23, Some(22.5)), Grade::Miss);
        assert_eq!(grade(Outcome::Under, 22, Some(22.0)), Grade::Push);
        assert_eq!(grade(Outcome::Over, 22, None), Grade::NoLine);
    }

    #[test]
    fn a_prediction_summary_rounds_and_needs_a_prediction() {
        let summary =
            PredictionSummary::from_columns(Some(20.04), Some("OVER"), Some(0.655), Some(18.5))
                .unwrap()
                .unwrap();
        assert_eq!(
            (summary.predicted_points, summary.confidence, summary.edge),
            (20.0, Some(0.66), Some(1.5))
        );
        assert_eq!(
            PredictionSummary::from_columns(None, None, None, Some(18.5)).unwrap(),
            None
        );
        assert!(PredictionSummary::from_columns(Some(1.0), Some("MAYBE"), None, None).is_err());
    }

    #[test]
    fn a_side_names_the_opponent_and_venue() {
        let away = Side::of("BKN", "BOS", "BKN");
        assert_eq!(
            (away.home, away.opponent, away.home_away()),
            (false, "BOS", "AWAY")
        );
        assert_eq!(Side::of("BOS", "BOS", "BKN").opponent, "BKN");
        assert_eq!(matchup("BOS", "BKN"), "BKN @ BOS");
    }

    #[test]
    fn recommendations_parse_strictly() {
        assert_eq!(
            Recommendation::parse("UNDER").unwrap(),
            Recommendation::Under
        );
        assert_eq!(
            Recommendation::parse("over").unwrap_err().message(),
            "recommendation `over` is not OVER, UNDER or PASS"
        );
        assert_eq!(
            serde_json::to_string(&Outcome::NoLine).unwrap(),
            "\"NO_LINE\""
        );
    }
}
