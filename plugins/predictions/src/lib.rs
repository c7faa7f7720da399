//! The `predictions` exporter: every prediction for the date's games.
//!
//! Publishes `v1/predictions/<date>.json` and the alias `v1/predictions/today.json`. Each entry
//! has the player, team, opponent, game, the line the prediction was made against, predicted
//! points, recommendation, confidence and edge (predicted − line). Predicted points and edge are
//! rounded to 1 place, confidence to 2. A prediction without a line has `line` and `edge` null.

use propcast_sdk::prelude::*;
use serde::{Deserialize, Serialize};

/// The exporter.
pub struct Predictions;

/// A row of the `predictions` query.
#[derive(Debug, Deserialize)]
pub struct PredictionRow<'a> {
    /// The game.
    pub game_id: &'a str,
    /// Its home team.
    pub home_team_abbr: &'a str,
    /// Its away team.
    pub away_team_abbr: &'a str,
    /// The player's key.
    pub player_lookup: &'a str,
    /// The player's name, when the player is on a roster.
    #[serde(borrow)]
    pub player_name: Option<&'a str>,
    /// The player's team that season, when known.
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
}

/// One published prediction.
#[derive(Debug, Serialize)]
pub struct Prediction {
    /// The game.
    pub game_id: String,
    /// `away @ home`.
    pub matchup: String,
    /// The player's key.
    pub player_lookup: String,
    /// The player's name (the key when the roster does not know the player).
    pub player_name: String,
    /// The player's team; null when the roster does not know the player.
    pub team: Option<String>,
    /// The other team in the game; null with `team`.
    pub opponent: Option<String>,
    /// Whether the player's team is at home; null with `team`.
    pub home: Option<bool>,
    /// The line the prediction was made against.
    pub line: Option<f64>,
    /// Predicted points, 1 place.
    pub predicted_points: f64,
    /// The recommendation.
    pub recommendation: Recommendation,
    /// 0–1, 2 places.
    pub confidence: f64,
    /// Predicted points − line, 1 place; null without a line.
    pub edge: Option<f64>,
}

/// Counts by recommendation.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// Predictions.
    pub predictions: usize,
    /// Games with at least one prediction.
    pub games: usize,
    /// OVER picks.
    pub over: usize,
    /// UNDER picks.
    pub under: usize,
    /// PASSes.
    pub pass: usize,
    /// Predictions without a line.
    pub without_line: usize,
}

/// The document.
#[derive(Debug, Serialize)]
pub struct PredictionsDocument {
    /// The date.
    pub date: Date,
    /// Its season.
    pub season: String,
    /// When the run started.
    pub generated_at: String,
    /// Counts.
    pub summary: Summary,
    /// By game, then player name.
    pub predictions: Vec<Prediction>,
}

/// Builds the document from the query's rows.
pub fn build(ctx: &Context, rows: &[PredictionRow<'_>]) -> Result<PredictionsDocument> {
    let mut predictions = Vec::with_capacity(rows.len());
    for row in rows {
        let recommendation = Recommendation::parse(row.recommendation)?;
        if row.team_abbr.is_none() {
            propcast_sdk::warn!(
                "`{}` has a prediction but no roster entry this season",
                row.player_lookup
            );
        }
        let side = row
            .team_abbr
            .map(|team| Side::of(team, row.home_team_abbr, row.away_team_abbr));
        predictions.push(Prediction {
            game_id: row.game_id.to_string(),
            matchup: matchup(row.home_team_abbr, row.away_team_abbr),
            player_lookup: row.player_lookup.to_string(),
            player_name: row.player_name.unwrap_or(row.player_lookup).to_string(),
            team: row.team_abbr.map(str::to_string),
            opponent: side.map(|s| s.opponent.to_string()),
            home: side.map(|s| s.home),
            line: row.points_line,
            predicted_points: round(row.predicted_points, 1),
            recommendation,
            confidence: round(row.confidence, 2),
            edge: row
                .points_line
                .map(|line| round(row.predicted_points - line, 1)),
        });
    }
    predictions.sort_by(|a, b| {
        (&a.game_id, &a.player_name, &a.player_lookup).cmp(&(
            &b.game_id,
            &b.player_name,
            &b.player_lookup,
        ))
    });
    let mut games: Vec<&str> = predictions.iter().map(|p| p.game_id.as_str()).collect();
    games.dedup();
    let count = |r: Recommendation| predictions.iter().filter(|p| p.recommendation == r).count();
    let summary = Summary {
        predictions: predictions.len(),
        games: games.len(),
        over: count(Recommendation::Over),
        under: count(Recommendation::Under),
        pass: count(Recommendation::Pass),
        without_line: predictions.iter().filter(|p| p.line.is_none()).count(),
    };
    Ok(PredictionsDocument {
        date: ctx.date(),
        season: ctx.param_str("season").unwrap_or_default().to_string(),
        generated_at: ctx.generated_at().to_string(),
        summary,
        predictions,
    })
}

impl Exporter for Predictions {
    fn run(ctx: &Context, tables: &Tables) -> Result<Vec<Document>> {
        let rows: Vec<PredictionRow> = tables.rows("predictions")?;
        let document = build(ctx, &rows)?;
        propcast_sdk::info!(
            "{} predictions in {} games",
            document.summary.predictions,
            document.summary.games
        );
        let dated = Document::dated(format!("v1/predictions/{}.json", ctx.date()), &document)?;
        let today = dated.alias_of("v1/predictions/today.json");
        Ok(vec![dated, today])
    }
}

propcast_sdk::exporter!(Predictions);
