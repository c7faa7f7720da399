//! The `tonight-players` exporter: one detail page per player in the date's games.
//!
//! Publishes `v1/tonight/player/<player_lookup>.json` (current documents) for every player on
//! the rosters of the teams playing. Each page has `player_lookup` and `games_played` at the
//! top level, `limited_data` (fewer than 10 games), tonight's line and prediction, `factors`
//! and `splits` (see `docs/exporters/tonight-players.md`).
//!
//! Factors, each named by `factor`, with a `direction` for the player's scoring (`positive`,
//! `negative` or `neutral`) and a `description`:
//!
//! - `opponent_defense`: the opponent's rank by points allowed per game as of the date (see
//!   [`propcast_sdk::defense`]); weak (21–30) is positive, elite and good (1–10) negative.
//! - `rest`: days of rest and the last week's load; a back-to-back or 4+ games in 7 days is
//!   negative.
//! - `recent_form`: the last 5 games' average against the season's; 2+ points above is
//!   positive, 2+ below negative, tested on the exact averages (only the published ones are
//!   rounded).

use std::collections::HashMap;

use propcast_sdk::defense::{DefenseRank, DefenseTier, TeamDefense, rank_defenses};
use propcast_sdk::fatigue::Fatigue;
use propcast_sdk::prelude::*;
use propcast_sdk::props::PredictionSummary;
use propcast_sdk::stats::{Form, GameSample, RestSplits, VenueSplits};
use serde::{Deserialize, Serialize};

/// The exporter.
pub struct TonightPlayers;

/// Fewer games than this is `limited_data`.
pub const LIMITED_DATA_GAMES: usize = 10;
/// Points between the last-5 and season averages that count as a trend.
pub const FORM_TREND_POINTS: f64 = 2.0;

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
    /// The opponent.
    pub opponent_team_abbr: &'a str,
    /// Played at home.
    pub home_game: bool,
    /// Minutes.
    pub minutes_played: f64,
    /// Points.
    pub points: i64,
    /// The line, if any.
    pub points_line: Option<f64>,
}

/// A row of the `defense` query.
#[derive(Debug, Deserialize)]
pub struct DefenseRow<'a> {
    /// The team.
    pub team_abbr: &'a str,
    /// Points allowed per game.
    pub points_allowed_per_game: f64,
    /// Over the last 10 games.
    pub points_allowed_last_10: f64,
}

/// Which way a factor points, for the player's scoring (the site's frontend reads these).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Favourable: it points to more points (the over).
    Positive,
    /// Unfavourable: fewer points (the under).
    Negative,
    /// Neither.
    Neutral,
}

/// Something that moves tonight's expectation, named by its `factor` key.
#[derive(Debug, Serialize)]
#[serde(tag = "factor", rename_all = "snake_case")]
pub enum Factor {
    /// How well the opponent defends.
    OpponentDefense {
        /// Which way it points.
        direction: Direction,
        /// The opponent.
        opponent: String,
        /// 1 allows the fewest points; null without data.
        defense_rank: Option<usize>,
        /// The rank's tier.
        defense_tier: Option<DefenseTier>,
        /// Points allowed per game, 2 places.
        ppg_allowed: Option<f64>,
        /// `vs BKN (weak defense, #21, allows 111.13 PPG)`.
        description: String,
    },
    /// Rest and recent load.
    Rest {
        /// Which way it points.
        direction: Direction,
        /// The fatigue numbers.
        #[serde(flatten)]
        fatigue: Fatigue,
        /// In words.
        description: String,
    },
    /// The last 5 games against the season.
    RecentForm {
        /// Which way it points.
        direction: Direction,
        /// Last 5 average.
        last_5_avg: Option<f64>,
        /// Season average.
        season_avg: Option<f64>,
        /// Last 5 − season, 1 place.
        difference: Option<f64>,
        /// In words.
        description: String,
    },
}

/// Tonight's game from the player's side.
#[derive(Debug, Serialize)]
pub struct GameInfo {
    /// The game.
    pub game_id: String,
    /// The other team.
    pub opponent: String,
    /// `HOME` or `AWAY`.
    pub home_away: &'static str,
}

/// The splits on a player's page.
#[derive(Debug, Serialize)]
pub struct Splits {
    /// At home.
    pub home: Split,
    /// Away.
    pub away: Split,
    /// By days of rest.
    pub rest: RestSplits,
    /// Against tonight's opponent this season.
    pub vs_opponent: Split,
}

/// A player's page.
#[derive(Debug, Serialize)]
pub struct PlayerPage {
    /// The player's key.
    pub player_lookup: String,
    /// The player's name.
    pub player_name: String,
    /// The player's team.
    pub team: String,
    /// The player's position.
    pub position: String,
    /// The date.
    pub date: Date,
    /// Its season.
    pub season: String,
    /// When the run started.
    pub generated_at: String,
    /// Games this season before the date.
    pub games_played: usize,
    /// Fewer than 10 games.
    pub limited_data: bool,
    /// Tonight's game.
    pub game: GameInfo,
    /// Tonight's line.
    pub line: Option<f64>,
    /// Tonight's prediction.
    pub prediction: Option<PredictionSummary>,
    /// Scoring averages and recent hit rate.
    pub form: Form,
    /// What moves the expectation.
    pub factors: Vec<Factor>,
    /// Splits with how often they went over the line.
    pub splits: Splits,
}

/// The opponent-defense factor.
pub fn defense_factor(opponent: &str, rank: Option<&DefenseRank>) -> Factor {
    match rank {
        None => Factor::OpponentDefense {
            direction: Direction::Neutral,
            opponent: opponent.to_string(),
            defense_rank: None,
            defense_tier: None,
            ppg_allowed: None,
            description: format!("vs {opponent} (no defense data yet)"),
        },
        Some(rank) => Factor::OpponentDefense {
            direction: match rank.tier {
                DefenseTier::Weak => Direction::Positive,
                DefenseTier::Elite | DefenseTier::Good => Direction::Negative,
                DefenseTier::Average => Direction::Neutral,
            },
            opponent: opponent.to_string(),
            defense_rank: Some(rank.rank),
            defense_tier: Some(rank.tier),
            ppg_allowed: Some(rank.ppg_allowed),
            description: rank.description(),
        },
    }
}

/// The rest factor.
pub fn rest_factor(fatigue: Fatigue) -> Factor {
    let (direction, description) = match fatigue.rest_days {
        None => (
            Direction::Neutral,
            "no earlier games this season".to_string(),
        ),
        Some(_) if fatigue.back_to_back => (
            Direction::Negative,
            "second night of a back-to-back".to_string(),
        ),
        Some(_) if fatigue.games_last_7_days >= 4 => (
            Direction::Negative,
            format!("{} games in the last 7 days", fatigue.games_last_7_days),
        ),
        Some(days) => (
            Direction::Neutral,
            format!(
                "{days} day{} of rest, {} games in the last 7 days",
                if days == 1 { "" } else { "s" },
                fatigue.games_last_7_days
            ),
        ),
    };
    Factor::Rest {
        direction,
        fatigue,
        description,
    }
}

/// The recent-form factor.
pub fn form_factor(form: &Form) -> Factor {
    let (Some(last_5), Some(season), Some(last_5_exact), Some(season_exact)) = (
        form.last_5_avg,
        form.season_avg,
        form.last_5_avg_exact,
        form.season_avg_exact,
    ) else {
        return Factor::RecentForm {
            direction: Direction::Neutral,
            last_5_avg: None,
            season_avg: None,
            difference: None,
            description: "no earlier games this season".to_string(),
        };
    };
    // The rule tests the exact difference; only the published one is rounded.
    let exact = last_5_exact - season_exact;
    let difference = round(exact, 1);
    let (direction, relation) = if at_least(exact, FORM_TREND_POINTS) {
        (Direction::Positive, format!("{difference:.1} above"))
    } else if at_least(-exact, FORM_TREND_POINTS) {
        (Direction::Negative, format!("{:.1} below", -difference))
    } else {
        (Direction::Neutral, "in line with".to_string())
    };
    Factor::RecentForm {
        direction,
        last_5_avg: Some(last_5),
        season_avg: Some(season),
        difference: Some(difference),
        description: format!(
            "averaging {last_5:.1} over the last 5, {relation} the season's {season:.1}"
        ),
    }
}

/// Builds every player's page.
pub fn build(
    ctx: &Context,
    games: &[GameRow<'_>],
    players: &[PlayerRow<'_>],
    history: &[HistoryRow<'_>],
    defense: &[DefenseRow<'_>],
) -> Result<Vec<PlayerPage>> {
    let ranks = rank_defenses(
        &defense
            .iter()
            .map(|d| TeamDefense {
                team: d.team_abbr.to_string(),
                points_allowed_per_game: d.points_allowed_per_game,
                points_allowed_last_10: d.points_allowed_last_10,
            })
            .collect::<Vec<_>>(),
    );
    let rank_of: HashMap<&str, &DefenseRank> = ranks.iter().map(|r| (r.team.as_str(), r)).collect();
    let game_of: HashMap<&str, &GameRow> = games.iter().map(|g| (g.game_id, g)).collect();
    let mut by_player: HashMap<&str, Vec<&HistoryRow>> = HashMap::new();
    for row in history {
        by_player.entry(row.player_lookup).or_default().push(row);
    }
    let mut pages = Vec::with_capacity(players.len());
    for row in players {
        let game = game_of.get(row.game_id).ok_or_else(|| {
            Error::bad_input(format!(
                "player `{}` is in game `{}`, which is not among the date's games",
                row.player_lookup, row.game_id
            ))
        })?;
        let side = Side::of(row.team_abbr, game.home_team_abbr, game.away_team_abbr);
        let opponent = side.opponent;
        let mut earlier: Vec<&HistoryRow> = by_player
            .get(row.player_lookup)
            .cloned()
            .unwrap_or_default();
        earlier.sort_by_key(|g| g.game_date);
        let form = Form::of(
            &earlier
                .iter()
                .map(|g| (g.points, g.points_line))
                .collect::<Vec<_>>(),
        );
        let samples: Vec<GameSample> = earlier
            .iter()
            .map(|g| GameSample {
                date: g.game_date,
                points: g.points,
                line: g.points_line,
                home: g.home_game,
            })
            .collect();
        let venue = VenueSplits::of(&samples);
        let fatigue = Fatigue::before(
            ctx.date(),
            &earlier
                .iter()
                .map(|g| (g.game_date, g.minutes_played))
                .collect::<Vec<_>>(),
        );
        let prediction = PredictionSummary::from_columns(
            row.predicted_points,
            row.recommendation,
            row.confidence,
            row.points_line,
        )?;
        pages.push(PlayerPage {
            player_lookup: row.player_lookup.to_string(),
            player_name: row.player_name.to_string(),
            team: row.team_abbr.to_string(),
            position: row.position.to_string(),
            date: ctx.date(),
            season: ctx.param_str("season").unwrap_or_default().to_string(),
            generated_at: ctx.generated_at().to_string(),
            games_played: form.games_played,
            limited_data: form.games_played < LIMITED_DATA_GAMES,
            game: GameInfo {
                game_id: row.game_id.to_string(),
                opponent: opponent.to_string(),
                home_away: side.home_away(),
            },
            line: row.points_line,
            prediction,
            factors: vec![
                defense_factor(opponent, rank_of.get(opponent).copied()),
                rest_factor(fatigue),
                form_factor(&form),
            ],
            splits: Splits {
                home: venue.home,
                away: venue.away,
                rest: RestSplits::of(&samples),
                vs_opponent: Split::of(
                    earlier
                        .iter()
                        .filter(|g| g.opponent_team_abbr == opponent)
                        .map(|g| (g.points, g.points_line)),
                ),
            },
            form,
        });
    }
    Ok(pages)
}

impl Exporter for TonightPlayers {
    fn run(ctx: &Context, tables: &Tables) -> Result<Vec<Document>> {
        let games: Vec<GameRow> = tables.rows("games")?;
        let players: Vec<PlayerRow> = tables.rows("players")?;
        let history: Vec<HistoryRow> = tables.rows("history")?;
        let defense: Vec<DefenseRow> = tables.rows("defense")?;
        let pages = build(ctx, &games, &players, &history, &defense)?;
        propcast_sdk::info!("{} player pages for {} games", pages.len(), games.len());
        pages
            .iter()
            .map(|page| {
                Document::current(
                    format!("v1/tonight/player/{}.json", page.player_lookup),
                    page,
                )
            })
            .collect()
    }
}

propcast_sdk::exporter!(TonightPlayers);
