//! The `player-profiles` exporter: a season page per player, and an index of them.
//!
//! Publishes `v1/players/<player_lookup>.json` for every rostered player with at least
//! `min-games` games this season before the date (`--min-games 5`), and `v1/players/index.json`
//! listing them. Both are current documents, replaced each run. A profile has season averages
//! (1 place; shooting percentages 1 place, null without attempts), splits with `vs_line_pct`,
//! the game log (newest first) with each game's line and result against it, and the record of
//! the model's OVER/UNDER picks for the player.

use std::collections::BTreeMap;

use propcast_sdk::prelude::*;
use propcast_sdk::stats::{Form, GameSample, RestSplits, VenueSplits};
use serde::{Deserialize, Serialize};

/// The exporter.
pub struct PlayerProfiles;

/// A row of the `players` query.
#[derive(Debug, Deserialize)]
pub struct PlayerRow<'a> {
    /// The player's key.
    pub player_lookup: &'a str,
    /// The player's name.
    pub player_name: &'a str,
    /// The player's team.
    pub team_abbr: &'a str,
    /// The player's position.
    pub position: &'a str,
}

/// A row of the `games` query.
#[derive(Debug, Deserialize)]
pub struct GameRow<'a> {
    /// The player's key.
    pub player_lookup: &'a str,
    /// The game's date.
    pub game_date: Date,
    /// The player's team in that game.
    pub team_abbr: &'a str,
    /// The opponent.
    pub opponent_team_abbr: &'a str,
    /// Played at home.
    pub home_game: bool,
    /// Minutes.
    pub minutes_played: f64,
    /// Points.
    pub points: i64,
    /// Field goals made.
    pub field_goals_made: i64,
    /// Field goals attempted.
    pub field_goals_attempted: i64,
    /// Threes made.
    pub three_pointers_made: i64,
    /// Free throws made.
    pub free_throws_made: i64,
    /// Free throws attempted.
    pub free_throws_attempted: i64,
    /// Rebounds.
    pub rebounds: i64,
    /// Assists.
    pub assists: i64,
    /// The line, if any.
    pub points_line: Option<f64>,
    /// The model's pick, if any.
    #[serde(borrow)]
    pub recommendation: Option<&'a str>,
    /// The line the pick was made against.
    pub prediction_line: Option<f64>,
}

/// Season averages.
#[derive(Debug, Serialize)]
pub struct Averages {
    /// Points.
    pub points: Option<f64>,
    /// Minutes.
    pub minutes: Option<f64>,
    /// Rebounds.
    pub rebounds: Option<f64>,
    /// Assists.
    pub assists: Option<f64>,
    /// Threes made.
    pub three_pointers_made: Option<f64>,
    /// Field goal percentage.
    pub field_goal_pct: Option<f64>,
    /// Free throw percentage.
    pub free_throw_pct: Option<f64>,
}

/// A profile's splits.
#[derive(Debug, Serialize)]
pub struct Splits {
    /// At home.
    pub home: Split,
    /// Away.
    pub away: Split,
    /// By days of rest.
    pub rest: RestSplits,
    /// The last 10 games.
    pub last_10: Split,
}

/// A game in the log.
#[derive(Debug, Serialize)]
pub struct LoggedGame {
    /// The date.
    pub date: Date,
    /// The opponent.
    pub opponent: String,
    /// `HOME` or `AWAY`.
    pub home_away: &'static str,
    /// Minutes.
    pub minutes: f64,
    /// Points.
    pub points: i64,
    /// The line.
    pub line: Option<f64>,
    /// OVER, UNDER, PUSH or NO_LINE.
    pub result: Outcome,
    /// The model's pick.
    pub recommendation: Option<Recommendation>,
}

/// The model's record on the player.
#[derive(Debug, Default, Serialize)]
pub struct PredictionRecord {
    /// OVER and UNDER picks with a line.
    pub picks: usize,
    /// Went their way.
    pub hits: usize,
    /// Did not.
    pub misses: usize,
    /// Pushed.
    pub pushes: usize,
    /// hits / (hits + misses), percent, 1 place.
    pub hit_rate: Option<f64>,
}

/// A player's profile.
#[derive(Debug, Serialize)]
pub struct Profile {
    /// The player's key.
    pub player_lookup: String,
    /// The player's name.
    pub player_name: String,
    /// The player's team.
    pub team: String,
    /// The player's position.
    pub position: String,
    /// The season.
    pub season: String,
    /// Games up to (not including) this date.
    pub as_of: Date,
    /// When the run started.
    pub generated_at: String,
    /// Games played.
    pub games_played: usize,
    /// Season averages.
    pub averages: Averages,
    /// Recent form.
    pub form: Form,
    /// Splits.
    pub splits: Splits,
    /// Every game, newest first.
    pub game_log: Vec<LoggedGame>,
    /// The model's record.
    pub prediction_record: PredictionRecord,
}

/// A player in the index.
#[derive(Debug, Serialize)]
pub struct IndexEntry {
    /// The player's key.
    pub player_lookup: String,
    /// The player's name.
    pub player_name: String,
    /// The player's team.
    pub team: String,
    /// Games played.
    pub games_played: usize,
    /// Average points.
    pub points_avg: Option<f64>,
}

/// The index.
#[derive(Debug, Serialize)]
pub struct Index {
    /// The season.
    pub season: String,
    /// Games up to (not including) this date.
    pub as_of: Date,
    /// When the run started.
    pub generated_at: String,
    /// The `min-games` used.
    pub min_games: usize,
    /// Profiled players, by name.
    pub players: Vec<IndexEntry>,
}

fn avg(values: impl Iterator<Item = f64>) -> Option<f64> {
    mean(values).map(|m| round(m, 1))
}

fn pct(made: i64, attempted: i64) -> Option<f64> {
    (attempted > 0).then(|| round(100.0 * made as f64 / attempted as f64, 1))
}

/// Builds the profiles of players with at least `min_games` games, and the index.
pub fn build(
    ctx: &Context,
    players: &[PlayerRow<'_>],
    games: &[GameRow<'_>],
    min_games: usize,
) -> Result<(Vec<Profile>, Index)> {
    let mut by_player: BTreeMap<&str, Vec<&GameRow>> = BTreeMap::new();
    for game in games {
        by_player.entry(game.player_lookup).or_default().push(game);
    }
    let season = ctx.param_str("season").unwrap_or_default().to_string();
    let mut profiles = Vec::new();
    for player in players {
        let mut played = by_player.remove(player.player_lookup).unwrap_or_default();
        if played.len() < min_games {
            continue;
        }
        played.sort_by_key(|g| g.game_date);
        let samples: Vec<GameSample> = played
            .iter()
            .map(|g| GameSample {
                date: g.game_date,
                points: g.points,
                line: g.points_line,
                home: g.home_game,
            })
            .collect();
        let venue = VenueSplits::of(&samples);
        let mut record = PredictionRecord::default();
        let mut game_log = Vec::with_capacity(played.len());
        for g in played.iter().rev() {
            let recommendation = g.recommendation.map(Recommendation::parse).transpose()?;
            if let Some(side) = recommendation.and_then(Recommendation::side) {
                match grade(side, g.points, g.prediction_line) {
                    Grade::Hit => record.hits += 1,
                    Grade::Miss => record.misses += 1,
                    Grade::Push => record.pushes += 1,
                    Grade::NoLine => {}
                }
            }
            game_log.push(LoggedGame {
                date: g.game_date,
                opponent: g.opponent_team_abbr.to_string(),
                home_away: if g.home_game { "HOME" } else { "AWAY" },
                minutes: round(g.minutes_played, 1),
                points: g.points,
                line: g.points_line,
                result: outcome(g.points, g.points_line),
                recommendation,
            });
        }
        record.picks = record.hits + record.misses + record.pushes;
        record.hit_rate = percent(record.hits, record.hits + record.misses);
        let sum = |f: fn(&GameRow) -> i64| played.iter().map(|g| f(g)).sum::<i64>();
        let points_lines: Vec<(i64, Option<f64>)> =
            played.iter().map(|g| (g.points, g.points_line)).collect();
        profiles.push(Profile {
            player_lookup: player.player_lookup.to_string(),
            player_name: player.player_name.to_string(),
            team: player.team_abbr.to_string(),
            position: player.position.to_string(),
            season: season.clone(),
            as_of: ctx.date(),
            generated_at: ctx.generated_at().to_string(),
            games_played: played.len(),
            averages: Averages {
                points: avg(played.iter().map(|g| g.points as f64)),
                minutes: avg(played.iter().map(|g| g.minutes_played)),
                rebounds: avg(played.iter().map(|g| g.rebounds as f64)),
                assists: avg(played.iter().map(|g| g.assists as f64)),
                three_pointers_made: avg(played.iter().map(|g| g.three_pointers_made as f64)),
                field_goal_pct: pct(
                    sum(|g| g.field_goals_made),
                    sum(|g| g.field_goals_attempted),
                ),
                free_throw_pct: pct(
                    sum(|g| g.free_throws_made),
                    sum(|g| g.free_throws_attempted),
                ),
            },
            form: Form::of(&points_lines),
            splits: Splits {
                home: venue.home,
                away: venue.away,
                rest: RestSplits::of(&samples),
                last_10: Split::of(
                    points_lines[points_lines.len().saturating_sub(10)..]
                        .iter()
                        .copied(),
                ),
            },
            game_log,
            prediction_record: record,
        });
    }
    let mut entries: Vec<IndexEntry> = profiles
        .iter()
        .map(|p| IndexEntry {
            player_lookup: p.player_lookup.clone(),
            player_name: p.player_name.clone(),
            team: p.team.clone(),
            games_played: p.games_played,
            points_avg: p.averages.points,
        })
        .collect();
    entries.sort_by(|a, b| {
        (&a.player_name, &a.player_lookup).cmp(&(&b.player_name, &b.player_lookup))
    });
    let index = Index {
        season,
        as_of: ctx.date(),
        generated_at: ctx.generated_at().to_string(),
        min_games,
        players: entries,
    };
    Ok((profiles, index))
}

impl Exporter for PlayerProfiles {
    fn run(ctx: &Context, tables: &Tables) -> Result<Vec<Document>> {
        let min_games: i64 = ctx.param("min-games")?;
        let min_games = usize::try_from(min_games).map_err(|_| {
            Error::bad_input(format!(
                "option `min-games` is {min_games}; it must be 0 or more"
            ))
        })?;
        let players: Vec<PlayerRow> = tables.rows("players")?;
        let games: Vec<GameRow> = tables.rows("games")?;
        let (profiles, index) = build(ctx, &players, &games, min_games)?;
        propcast_sdk::info!(
            "{} of {} players have {min_games}+ games",
            profiles.len(),
            players.len()
        );
        let mut documents = profiles
            .iter()
            .map(|p| Document::current(format!("v1/players/{}.json", p.player_lookup), p))
            .collect::<Result<Vec<_>>>()?;
        documents.push(Document::current("v1/players/index.json", &index)?);
        Ok(documents)
    }
}

propcast_sdk::exporter!(PlayerProfiles);
