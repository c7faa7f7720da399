//! The `tonight` exporter: the list page of everyone playing on the date.
//!
//! Publishes `v1/tonight/all-players.json` (a current document, replaced each run): every player
//! on the rosters of the teams playing, with their game, opponent, home or away, tonight's line
//! and prediction, games played this season before the date, `limited_data` (fewer than 10
//! games), season / last-5 / last-10 scoring averages (1 place) and `hit_rate_vs_line_last_10`:
//! of their last 10 games, the percentage of those with a line that went OVER (1 place; a push
//! is not over; null when none had a line), the window of a profile's `splits.last_10`.

use std::collections::HashMap;

use propcast_sdk::prelude::*;
use propcast_sdk::props::PredictionSummary;
use propcast_sdk::stats::Form;
use serde::{Deserialize, Serialize};

/// The exporter.
pub struct Tonight;

/// Fewer games than this is `limited_data`.
pub const LIMITED_DATA_GAMES: usize = 10;

/// A row of the `games` query.
#[derive(Debug, Deserialize)]
pub struct GameRow<'a> {
    /// The game.
    pub game_id: &'a str,
    /// Home team.
    pub home_team_abbr: &'a str,
    /// Away team.
    pub away_team_abbr: &'a str,
}

/// A row of the `players` query.
#[derive(Debug, Deserialize)]
pub struct PlayerRow<'a> {
    /// The game.
    pub game_id: &'a str,
    /// The player's key.
    pub player_lookup: &'a str,
    /// The player's name.
    pub player_name: &'a str,
    /// The player's team.
    pub team_abbr: &'a str,
    /// The player's position.
    pub position: &'a str,
    /// Tonight's line.
    pub points_line: Option<f64>,
    /// Tonight's predicted points.
    pub predicted_points: Option<f64>,
    /// Tonight's recommendation.
    #[serde(borrow)]
    pub recommendation: Option<&'a str>,
    /// Tonight's confidence.
    pub confidence: Option<f64>,
}

/// A row of the `history` query.
#[derive(Debug, Deserialize)]
pub struct HistoryRow<'a> {
    /// The player's key.
    pub player_lookup: &'a str,
    /// The game's date.
    pub game_date: Date,
    /// Points.
    pub points: i64,
    /// The line, if any.
    pub points_line: Option<f64>,
}

/// A player in tonight's list.
#[derive(Debug, Serialize)]
pub struct TonightPlayer {
    /// The player's key.
    pub player_lookup: String,
    /// The player's name.
    pub player_name: String,
    /// The player's team.
    pub team: String,
    /// The player's position.
    pub position: String,
    /// The game.
    pub game_id: String,
    /// The other team.
    pub opponent: String,
    /// `HOME` or `AWAY`.
    pub home_away: &'static str,
    /// Tonight's line.
    pub line: Option<f64>,
    /// Tonight's prediction.
    pub prediction: Option<PredictionSummary>,
    /// Games this season before the date.
    pub games_played: usize,
    /// Fewer than 10 games played.
    pub limited_data: bool,
    /// Season average points.
    pub season_avg: Option<f64>,
    /// Average over the last 5 games.
    pub last_5_avg: Option<f64>,
    /// Average over the last 10 games.
    pub last_10_avg: Option<f64>,
    /// Of the last 10 games with a line, the percentage that went over it.
    pub hit_rate_vs_line_last_10: Option<f64>,
}

/// A game tonight.
#[derive(Debug, Serialize)]
pub struct TonightGame {
    /// The game.
    pub game_id: String,
    /// Home team.
    pub home_team: String,
    /// Away team.
    pub away_team: String,
}

/// The document.
#[derive(Debug, Serialize)]
pub struct TonightDocument {
    /// The date.
    pub date: Date,
    /// Its season.
    pub season: String,
    /// When the run started.
    pub generated_at: String,
    /// The date's games.
    pub games: Vec<TonightGame>,
    /// Players, by game, team, then name.
    pub players: Vec<TonightPlayer>,
}

/// Builds the document.
pub fn build(
    ctx: &Context,
    games: &[GameRow<'_>],
    players: &[PlayerRow<'_>],
    history: &[HistoryRow<'_>],
) -> Result<TonightDocument> {
    let mut by_player: HashMap<&str, Vec<&HistoryRow>> = HashMap::new();
    for row in history {
        by_player.entry(row.player_lookup).or_default().push(row);
    }
    let game_teams: HashMap<&str, &GameRow> = games.iter().map(|g| (g.game_id, g)).collect();
    let mut list = Vec::with_capacity(players.len());
    for row in players {
        let game = game_teams.get(row.game_id).ok_or_else(|| {
            Error::bad_input(format!(
                "player `{}` is in game `{}`, which is not among the date's games",
                row.player_lookup, row.game_id
            ))
        })?;
        let mut earlier: Vec<&HistoryRow> = by_player
            .get(row.player_lookup)
            .cloned()
            .unwrap_or_default();
        earlier.sort_by_key(|g| g.game_date);
        let samples: Vec<(i64, Option<f64>)> =
            earlier.iter().map(|g| (g.points, g.points_line)).collect();
        let form = Form::of(&samples);
        let side = Side::of(row.team_abbr, game.home_team_abbr, game.away_team_abbr);
        let prediction = PredictionSummary::from_columns(
            row.predicted_points,
            row.recommendation,
            row.confidence,
            row.points_line,
        )?;
        list.push(TonightPlayer {
            player_lookup: row.player_lookup.to_string(),
            player_name: row.player_name.to_string(),
            team: row.team_abbr.to_string(),
            position: row.position.to_string(),
            game_id: row.game_id.to_string(),
            opponent: side.opponent.to_string(),
            home_away: side.home_away(),
            line: row.points_line,
            prediction,
            games_played: form.games_played,
            limited_data: form.games_played < LIMITED_DATA_GAMES,
            season_avg: form.season_avg,
            last_5_avg: form.last_5_avg,
            last_10_avg: form.last_10_avg,
            hit_rate_vs_line_last_10: form.hit_rate_vs_line_last_10,
        });
    }
    list.sort_by(|a, b| {
        (&a.game_id, &a.team, &a.player_name, &a.player_lookup).cmp(&(
            &b.game_id,
            &b.team,
            &b.player_name,
            &b.player_lookup,
        ))
    });
    Ok(TonightDocument {
        date: ctx.date(),
        season: ctx.param_str("season").unwrap_or_default().to_string(),
        generated_at: ctx.generated_at().to_string(),
        games: games
            .iter()
            .map(|g| TonightGame {
                game_id: g.game_id.to_string(),
                home_team: g.home_team_abbr.to_string(),
                away_team: g.away_team_abbr.to_string(),
            })
            .collect(),
        players: list,
    })
}

impl Exporter for Tonight {
    fn run(ctx: &Context, tables: &Tables) -> Result<Vec<Document>> {
        let games: Vec<GameRow> = tables.rows("games")?;
        let players: Vec<PlayerRow> = tables.rows("players")?;
        let history: Vec<HistoryRow> = tables.rows("history")?;
        let document = build(ctx, &games, &players, &history)?;
        propcast_sdk::info!(
            "{} players in {} games",
            document.players.len(),
            document.games.len()
        );
        Ok(vec![Document::current(
            "v1/tonight/all-players.json",
            &document,
        )?])
    }
}

propcast_sdk::exporter!(Tonight);
