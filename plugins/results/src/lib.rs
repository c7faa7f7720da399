//! The `results` exporter: how the date's predictions did.
//!
//! Publishes `v1/results/<date>.json` and the alias `v1/results/latest.json`. Only games whose
//! status is `final` are included. Grading:
//!
//! - `NO_LINE`: the prediction had no line.
//! - `VOID`: the player did not play (no box score), as a sportsbook voids the bet.
//! - otherwise OVER and UNDER picks are `HIT`, `MISS` or `PUSH` (points equal to the line).
//! - a `PASS` is graded on the side the model leaned (predicted above the line: OVER, below:
//!   UNDER; exactly on the line: no grade, null). PASSes are not bets: they are outside the
//!   record and reported on their own under `by_recommendation`.
//!
//! The record counts OVER and UNDER picks that were graded HIT, MISS or PUSH. Hit rate is
//! hits / (hits + misses) in percent, 1 place (pushes are neither); null with no decided picks.
//! Confidence bands: under 55%, 55–60%, 60–65%, 65–70%, 70% and up (lower bound inclusive).

use propcast_sdk::prelude::*;
use serde::{Deserialize, Serialize};

/// The exporter.
pub struct Results;

/// A row of the `games` query.
#[derive(Debug, Deserialize)]
pub struct GameRow<'a> {
    /// The game.
    pub game_id: &'a str,
    /// Home team.
    pub home_team_abbr: &'a str,
    /// Away team.
    pub away_team_abbr: &'a str,
    /// Home points, once final.
    pub home_score: Option<i64>,
    /// Away points, once final.
    pub away_score: Option<i64>,
    /// `final` or `scheduled`.
    pub game_status: &'a str,
}

/// A row of the `predictions` query.
#[derive(Debug, Deserialize)]
pub struct PredictionRow<'a> {
    /// The game.
    pub game_id: &'a str,
    /// Home team.
    pub home_team_abbr: &'a str,
    /// Away team.
    pub away_team_abbr: &'a str,
    /// The player's key.
    pub player_lookup: &'a str,
    /// The player's name, when on a roster.
    #[serde(borrow)]
    pub player_name: Option<&'a str>,
    /// The player's team, when on a roster.
    #[serde(borrow)]
    pub team_abbr: Option<&'a str>,
    /// The line the prediction was made against.
    pub points_line: Option<f64>,
    /// Predicted points.
    pub predicted_points: f64,
    /// `OVER`, `UNDER` or `PASS`.
    pub recommendation: &'a str,
    /// 0–1.
    pub confidence: f64,
    /// Points scored; null when the player did not play.
    pub actual_points: Option<i64>,
}

/// A prediction's grade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ResultGrade {
    /// Went the pick's way.
    Hit,
    /// Went the other way.
    Miss,
    /// Points equalled the line.
    Push,
    /// No line.
    NoLine,
    /// The player did not play.
    Void,
}

/// A finished game.
#[derive(Debug, Serialize)]
pub struct FinishedGame {
    /// The game.
    pub game_id: String,
    /// Home team.
    pub home_team: String,
    /// Away team.
    pub away_team: String,
    /// Home points.
    pub home_score: Option<i64>,
    /// Away points.
    pub away_score: Option<i64>,
}

/// A graded prediction.
#[derive(Debug, Serialize)]
pub struct GradedPrediction {
    /// The game.
    pub game_id: String,
    /// The player's key.
    pub player_lookup: String,
    /// The player's name.
    pub player_name: String,
    /// The player's team, when known.
    pub team: Option<String>,
    /// The other team, when the team is known.
    pub opponent: Option<String>,
    /// The line.
    pub line: Option<f64>,
    /// Predicted points, 1 place.
    pub predicted_points: f64,
    /// The recommendation.
    pub recommendation: Recommendation,
    /// 0–1, 2 places.
    pub confidence: f64,
    /// Points scored; null when the player did not play.
    pub actual_points: Option<i64>,
    /// Actual − line; null without both.
    pub margin: Option<f64>,
    /// The grade; null for a PASS exactly on the line.
    pub grade: Option<ResultGrade>,
}

/// Hits, misses and pushes with the hit rate.
#[derive(Debug, Default, Clone, PartialEq, Serialize)]
pub struct Record {
    /// Picks that went their way.
    pub hits: usize,
    /// Picks that did not.
    pub misses: usize,
    /// Picks that pushed.
    pub pushes: usize,
    /// hits / (hits + misses), percent, 1 place.
    pub hit_rate: Option<f64>,
}

impl Record {
    fn add(&mut self, grade: Option<ResultGrade>) {
        match grade {
            Some(ResultGrade::Hit) => self.hits += 1,
            Some(ResultGrade::Miss) => self.misses += 1,
            Some(ResultGrade::Push) => self.pushes += 1,
            _ => return,
        }
        self.hit_rate = percent(self.hits, self.hits + self.misses);
    }
}

/// The record of picks in a confidence band.
#[derive(Debug, Serialize)]
pub struct Band {
    /// E.g. `55-60%`.
    pub band: &'static str,
    /// The band's lower bound (inclusive).
    pub min_confidence: f64,
    /// Its record.
    #[serde(flatten)]
    pub record: Record,
}

/// The record of one recommendation.
#[derive(Debug, Serialize)]
pub struct ByRecommendation {
    /// OVER, UNDER, or PASS (graded on its lean).
    pub recommendation: Recommendation,
    /// Its record.
    #[serde(flatten)]
    pub record: Record,
}

/// The date's summary.
#[derive(Debug, Serialize)]
pub struct Summary {
    /// Finished games.
    pub games: usize,
    /// Predictions graded.
    pub predictions: usize,
    /// The OVER and UNDER picks' record.
    pub record: Record,
    /// Predictions without a line.
    pub no_line: usize,
    /// Predictions for players who did not play.
    pub void: usize,
    /// The record by confidence band.
    pub by_confidence: Vec<Band>,
    /// The record by recommendation.
    pub by_recommendation: Vec<ByRecommendation>,
}

/// The document.
#[derive(Debug, Serialize)]
pub struct ResultsDocument {
    /// The date.
    pub date: Date,
    /// Its season.
    pub season: String,
    /// When the run started.
    pub generated_at: String,
    /// The summary.
    pub summary: Summary,
    /// The finished games.
    pub games: Vec<FinishedGame>,
    /// Every graded prediction, by game then player name.
    pub predictions: Vec<GradedPrediction>,
}

const BANDS: [(&str, f64); 5] = [
    ("<55%", 0.0),
    ("55-60%", 0.55),
    ("60-65%", 0.60),
    ("65-70%", 0.65),
    ("70%+", 0.70),
];

/// Grades one prediction.
pub fn grade_prediction(
    recommendation: Recommendation,
    predicted: f64,
    line: Option<f64>,
    actual: Option<i64>,
) -> Option<ResultGrade> {
    let Some(line) = line else {
        return Some(ResultGrade::NoLine);
    };
    let Some(actual) = actual else {
        return Some(ResultGrade::Void);
    };
    let side = match recommendation.side() {
        Some(side) => side,
        None if predicted > line => Outcome::Over,
        None if predicted < line => Outcome::Under,
        None => return None,
    };
    Some(match grade(side, actual, Some(line)) {
        Grade::Hit => ResultGrade::Hit,
        Grade::Miss => ResultGrade::Miss,
        Grade::Push => ResultGrade::Push,
        Grade::NoLine => ResultGrade::NoLine,
    })
}

/// Builds the document.
pub fn build(
    ctx: &Context,
    games: &[GameRow<'_>],
    rows: &[PredictionRow<'_>],
) -> Result<ResultsDocument> {
    let finished: Vec<FinishedGame> = games
        .iter()
        .filter(|g| g.game_status == "final")
        .map(|g| FinishedGame {
            game_id: g.game_id.to_string(),
            home_team: g.home_team_abbr.to_string(),
            away_team: g.away_team_abbr.to_string(),
            home_score: g.home_score,
            away_score: g.away_score,
        })
        .collect();
    let mut predictions = Vec::with_capacity(rows.len());
    for row in rows {
        let recommendation = Recommendation::parse(row.recommendation)?;
        let side = row
            .team_abbr
            .map(|team| Side::of(team, row.home_team_abbr, row.away_team_abbr));
        predictions.push(GradedPrediction {
            game_id: row.game_id.to_string(),
            player_lookup: row.player_lookup.to_string(),
            player_name: row.player_name.unwrap_or(row.player_lookup).to_string(),
            team: row.team_abbr.map(str::to_string),
            opponent: side.map(|s| s.opponent.to_string()),
            line: row.points_line,
            predicted_points: round(row.predicted_points, 1),
            recommendation,
            confidence: round(row.confidence, 2),
            actual_points: row.actual_points,
            margin: row
                .points_line
                .zip(row.actual_points)
                .map(|(line, actual)| round(actual as f64 - line, 1)),
            grade: grade_prediction(
                recommendation,
                row.predicted_points,
                row.points_line,
                row.actual_points,
            ),
        });
    }
    predictions.sort_by(|a, b| {
        (&a.game_id, &a.player_name, &a.player_lookup).cmp(&(
            &b.game_id,
            &b.player_name,
            &b.player_lookup,
        ))
    });

    let picks = || {
        predictions
            .iter()
            .filter(|p| p.recommendation != Recommendation::Pass)
    };
    let mut record = Record::default();
    picks().for_each(|p| record.add(p.grade));
    let by_confidence = BANDS
        .iter()
        .enumerate()
        .map(|(i, &(band, min))| {
            let max = BANDS.get(i + 1).map_or(f64::INFINITY, |b| b.1);
            let mut r = Record::default();
            picks()
                .filter(|p| p.confidence >= min && p.confidence < max)
                .for_each(|p| r.add(p.grade));
            Band {
                band,
                min_confidence: min,
                record: r,
            }
        })
        .collect();
    let by_recommendation = [
        Recommendation::Over,
        Recommendation::Under,
        Recommendation::Pass,
    ]
    .into_iter()
    .map(|recommendation| {
        let mut r = Record::default();
        predictions
            .iter()
            .filter(|p| p.recommendation == recommendation)
            .for_each(|p| r.add(p.grade));
        ByRecommendation {
            recommendation,
            record: r,
        }
    })
    .collect();
    let count = |g: ResultGrade| predictions.iter().filter(|p| p.grade == Some(g)).count();
    let summary = Summary {
        games: finished.len(),
        predictions: predictions.len(),
        record,
        no_line: count(ResultGrade::NoLine),
        void: count(ResultGrade::Void),
        by_confidence,
        by_recommendation,
    };
    Ok(ResultsDocument {
        date: ctx.date(),
        season: ctx.param_str("season").unwrap_or_default().to_string(),
        generated_at: ctx.generated_at().to_string(),
        summary,
        games: finished,
        predictions,
    })
}

impl Exporter for Results {
    fn run(ctx: &Context, tables: &Tables) -> Result<Vec<Document>> {
        let games: Vec<GameRow> = tables.rows("games")?;
        let rows: Vec<PredictionRow> = tables.rows("predictions")?;
        let document = build(ctx, &games, &rows)?;
        let r = &document.summary.record;
        propcast_sdk::info!(
            "{} games, record {}-{}-{}",
            document.summary.games,
            r.hits,
            r.misses,
            r.pushes
        );
        let dated = Document::dated(format!("v1/results/{}.json", ctx.date()), &document)?;
        let latest = dated.alias_of("v1/results/latest.json");
        Ok(vec![dated, latest])
    }
}

propcast_sdk::exporter!(Results);
