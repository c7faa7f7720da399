//! Plays one sample season: every scheduled game with each active player's points, the points
//! lines books would have posted before it, the model's predictions, and each team's defense as
//! of every game date.
//!
//! The numbers are built to behave like the real thing where the exporters care: points vary
//! around a player's level with form that drifts (so streaks happen), opponents' defense moves
//! scoring, lines follow recent form and are mostly half-points with some whole numbers (so
//! pushes happen), most bench players get no line, a few players play under 10 games, and the
//! model is right a little more than half the time.

use jiff::civil::Date;

use super::league::League;
use super::rng::Rng;
use super::schedule::{self, ScheduledGame};
use super::teams::TEAMS;

pub(crate) struct GameRow {
    pub(crate) game_id: String,
    pub(crate) date: Date,
    pub(crate) home: usize,
    pub(crate) away: usize,
    pub(crate) home_score: i64,
    pub(crate) away_score: i64,
}

pub(crate) struct PlayerGameRow {
    pub(crate) game: usize,
    pub(crate) player: usize,
    pub(crate) team: usize,
    pub(crate) opponent: usize,
    pub(crate) home: bool,
    pub(crate) starter: bool,
    pub(crate) minutes: f64,
    pub(crate) points: i64,
    pub(crate) fg: (i64, i64),
    pub(crate) threes: (i64, i64),
    pub(crate) free_throws: (i64, i64),
    pub(crate) rebounds: i64,
    pub(crate) assists: i64,
}

pub(crate) struct LineRow {
    pub(crate) game: usize,
    pub(crate) player: usize,
    pub(crate) line: f64,
    pub(crate) over_price: i64,
    pub(crate) under_price: i64,
    pub(crate) bookmaker: &'static str,
}

pub(crate) struct PredictionRow {
    pub(crate) game: usize,
    pub(crate) player: usize,
    pub(crate) predicted: f64,
    pub(crate) line: Option<f64>,
    pub(crate) recommendation: &'static str,
    pub(crate) confidence: f64,
}

pub(crate) struct DefenseRow {
    pub(crate) team: usize,
    pub(crate) date: Date,
    pub(crate) games: usize,
    pub(crate) allowed_per_game: f64,
    pub(crate) allowed_last_10: f64,
    pub(crate) paint_per_game: f64,
    pub(crate) three_per_game: f64,
}

/// Everything one season adds to the warehouse.
pub(crate) struct Season {
    pub(crate) label: String,
    pub(crate) rosters: Vec<Vec<usize>>,
    pub(crate) games: Vec<GameRow>,
    pub(crate) player_games: Vec<PlayerGameRow>,
    pub(crate) lines: Vec<LineRow>,
    pub(crate) predictions: Vec<PredictionRow>,
    pub(crate) defense: Vec<DefenseRow>,
}

/// What the model needs to beat: the share of a line's error it sees through.
const MODEL_INSIGHT: f64 = 0.25;
/// Picks need at least this edge (points) to be OVER or UNDER rather than PASS.
const PICK_EDGE: f64 = 1.5;
const BOOKMAKERS: [&str; 3] = ["draftkings", "fanduel", "betmgm"];

/// Plays the season that starts in `year`.
pub(crate) fn play(rng: &mut Rng, league: &League, year: i16) -> anyhow::Result<Season> {
    let label = propcast_rules::season::label(year.into());
    let (start, end) = schedule::season_dates(year);
    let mut calendar = schedule::schedule(&mut rng.fork("schedule"), start, end)?;
    calendar.sort_by_key(|g| (g.date, g.home));

    let mut rng = rng.fork("games");
    // Team tendencies: defense multiplies opponents' scoring; zone shares split points allowed.
    let defense: Vec<f64> = (0..30).map(|_| rng.range_f64(0.92, 1.08)).collect();
    let paint_share: Vec<f64> = (0..30).map(|_| rng.range_f64(0.40, 0.50)).collect();
    let offense: Vec<f64> = (0..30).map(|_| rng.range_f64(106.0, 120.0)).collect();

    let players = &league.players;
    // Each player's usual share of the team's points when everyone plays, for the books' prior.
    let mut scale = vec![1.0; players.len()];
    for (team, roster) in league.rosters.iter().enumerate() {
        let expected: f64 = roster
            .iter()
            .map(|&p| players[p].level * players[p].availability)
            .sum();
        for &p in roster {
            scale[p] = offense[team] / expected;
        }
    }
    // A few players per team play under ten games: injured early, or signed late.
    let mut game_cap: Vec<Option<usize>> = vec![None; players.len()];
    for roster in &league.rosters {
        for &p in roster.iter().skip(5) {
            if rng.chance(0.08) {
                game_cap[p] = Some(1 + rng.below(9));
            }
        }
    }
    let book_prior: Vec<f64> = players
        .iter()
        .map(|p| p.level * rng.normal(1.0, 0.1))
        .collect();
    let mut form = vec![0.0f64; players.len()];
    let mut history: Vec<Vec<i64>> = vec![Vec::new(); players.len()];

    let mut season = Season {
        label,
        rosters: league.rosters.clone(),
        games: Vec::with_capacity(calendar.len()),
        player_games: Vec::new(),
        lines: Vec::new(),
        predictions: Vec::new(),
        defense: Vec::new(),
    };
    let season_code = year % 100;
    for (index, ScheduledGame { date, home, away }) in calendar.iter().copied().enumerate() {
        let mut scores = [0i64; 2];
        let first_row = season.player_games.len();
        for (side, (team, opponent)) in [(home, away), (away, home)].into_iter().enumerate() {
            let roster = &league.rosters[team];
            let mut active: Vec<usize> = roster
                .iter()
                .copied()
                .filter(|&p| game_cap[p].is_none_or(|cap| history[p].len() < cap))
                .filter(|&p| rng.chance(players[p].availability))
                .collect();
            for &p in roster {
                if active.len() >= 8 {
                    break;
                }
                if !active.contains(&p) && game_cap[p].is_none_or(|cap| history[p].len() < cap) {
                    active.push(p);
                }
            }
            // Whoever plays shares the team's expected points in proportion to level and form,
            // the way usage moves to the others when a scorer sits.
            let raw: Vec<f64> = active
                .iter()
                .map(|&p| {
                    form[p] = 0.85 * form[p] + rng.normal(0.0, 0.05);
                    players[p].level * (1.0 + form[p]).clamp(0.6, 1.4)
                })
                .collect();
            let venue = if side == 0 { 1.015 } else { 0.985 };
            let team_expected = offense[team] * defense[opponent] * venue * rng.normal(1.0, 0.04);
            let share = team_expected / raw.iter().sum::<f64>();
            for (rank, &p) in active.iter().enumerate() {
                let player = &players[p];
                let expected = raw[rank] * share;
                let points = rng.normal(expected, 1.5 + 0.2 * expected).round().max(0.0) as i64;

                let offered = (player.level >= 7.0 && rng.chance(0.95))
                    || (player.level >= 4.0 && rng.chance(0.3));
                let line = offered.then(|| {
                    let h = &history[p];
                    let estimate = if h.len() >= 5 {
                        let recent = &h[h.len().saturating_sub(10)..];
                        0.6 * mean(recent) + 0.4 * mean(h)
                    } else {
                        book_prior[p] * scale[p]
                    } * defense[opponent].sqrt();
                    let line = if rng.chance(0.8) {
                        estimate.floor() + 0.5
                    } else {
                        estimate.round()
                    };
                    line.max(0.5)
                });
                if let Some(line) = line {
                    let over_price = -110 + rng.below(5) as i64 * 5 - 10;
                    season.lines.push(LineRow {
                        game: index,
                        player: p,
                        line,
                        over_price,
                        under_price: -220 - over_price,
                        bookmaker: BOOKMAKERS[rng.below(BOOKMAKERS.len())],
                    });
                }
                if line.is_some() || (player.level >= 4.0 && rng.chance(0.3)) {
                    season
                        .predictions
                        .push(predict(&mut rng, index, p, expected, line));
                }
                let minutes =
                    (player.minutes * rng.normal(1.0, 0.12) * if rank < 5 { 1.0 } else { 0.9 })
                        .clamp(1.0, 48.0);
                season.player_games.push(box_score(
                    &mut rng,
                    index,
                    p,
                    team,
                    opponent,
                    side == 0,
                    rank < 5,
                    minutes,
                    points,
                ));
                scores[side] += points;
                history[p].push(points);
            }
        }
        if scores[0] == scores[1] {
            // Overtime: someone on the home side scores the winner.
            let row = season.player_games[first_row..]
                .iter_mut()
                .find(|r| r.home)
                .expect("home players");
            row.points += 2;
            row.fg.0 += 1;
            row.fg.1 += 1;
            if let Some(last) = history[row.player].last_mut() {
                *last += 2;
            }
            scores[0] += 2;
        }
        season.games.push(GameRow {
            game_id: format!("002{season_code:02}{:05}", index + 1),
            date,
            home,
            away,
            home_score: scores[0],
            away_score: scores[1],
        });
    }
    season.defense = defense_by_date(&season.games, &paint_share, &mut rng);
    Ok(season)
}

fn predict(
    rng: &mut Rng,
    game: usize,
    player: usize,
    expected: f64,
    line: Option<f64>,
) -> PredictionRow {
    let Some(line) = line else {
        return PredictionRow {
            game,
            player,
            predicted: round_to(expected + rng.normal(0.0, 1.8), 1),
            line: None,
            recommendation: "PASS",
            confidence: round_to(rng.range_f64(0.5, 0.6), 2),
        };
    };
    let predicted = line + MODEL_INSIGHT * (expected - line) + rng.normal(0.0, 1.8);
    let edge = predicted - line;
    let recommendation = if edge >= PICK_EDGE {
        "OVER"
    } else if edge <= -PICK_EDGE {
        "UNDER"
    } else {
        "PASS"
    };
    let confidence = (0.5 + (edge.abs() * 0.05).min(0.4) + rng.normal(0.0, 0.03)).clamp(0.5, 0.95);
    PredictionRow {
        game,
        player,
        predicted: round_to(predicted, 1),
        line: Some(line),
        recommendation,
        confidence: round_to(confidence, 2),
    }
}

#[allow(clippy::too_many_arguments)]
fn box_score(
    rng: &mut Rng,
    game: usize,
    player: usize,
    team: usize,
    opponent: usize,
    home: bool,
    starter: bool,
    minutes: f64,
    points: i64,
) -> PlayerGameRow {
    // Split points into free throws, threes and twos that add up exactly.
    let mut free_throws = ((points as f64) * rng.range_f64(0.08, 0.25)).round() as i64;
    let threes = (((points - free_throws) as f64 / 3.0) * rng.range_f64(0.0, 0.6)).floor() as i64;
    let mut rest = points - free_throws - 3 * threes;
    if rest % 2 == 1 {
        free_throws += 1;
        rest -= 1;
    }
    let twos = rest / 2;
    let attempts = |made: i64, pct: f64, rng: &mut Rng| {
        made + ((made as f64) * (1.0 / pct - 1.0) * rng.range_f64(0.7, 1.3)).round() as i64
            + i64::from(rng.chance(0.5))
    };
    let three_attempts = attempts(threes, 0.36, rng);
    let two_attempts = attempts(twos, 0.53, rng);
    PlayerGameRow {
        game,
        player,
        team,
        opponent,
        home,
        starter,
        minutes: round_to(minutes, 1),
        points,
        fg: (twos + threes, two_attempts + three_attempts),
        threes: (threes, three_attempts),
        free_throws: (free_throws, attempts(free_throws, 0.78, rng)),
        rebounds: (minutes / 48.0 * rng.range_f64(4.0, 14.0)).round() as i64,
        assists: (minutes / 48.0 * rng.range_f64(1.0, 9.0)).round() as i64,
    }
}

/// Each team's defense as of every game date, from its games strictly before that date.
fn defense_by_date(games: &[GameRow], paint_share: &[f64], rng: &mut Rng) -> Vec<DefenseRow> {
    // Points allowed per team, in date order, with the zone split.
    let mut allowed: Vec<Vec<(Date, f64, f64, f64)>> = vec![Vec::new(); 30];
    for game in games {
        for (team, conceded) in [(game.home, game.away_score), (game.away, game.home_score)] {
            let conceded = conceded as f64;
            let paint = conceded * (paint_share[team] + rng.normal(0.0, 0.03));
            let three = conceded * rng.range_f64(0.30, 0.40);
            allowed[team].push((game.date, conceded, paint, three));
        }
    }
    let mut dates: Vec<Date> = games.iter().map(|g| g.date).collect();
    dates.dedup();
    let mut rows = Vec::new();
    for &date in &dates {
        for (team, log) in allowed.iter().enumerate() {
            let before: Vec<&(Date, f64, f64, f64)> =
                log.iter().take_while(|g| g.0 < date).collect();
            if before.is_empty() {
                continue;
            }
            let n = before.len() as f64;
            let last_10 = &before[before.len().saturating_sub(10)..];
            rows.push(DefenseRow {
                team,
                date,
                games: before.len(),
                allowed_per_game: round_to(before.iter().map(|g| g.1).sum::<f64>() / n, 2),
                allowed_last_10: round_to(
                    last_10.iter().map(|g| g.1).sum::<f64>() / last_10.len() as f64,
                    2,
                ),
                paint_per_game: round_to(before.iter().map(|g| g.2).sum::<f64>() / n, 2),
                three_per_game: round_to(before.iter().map(|g| g.3).sum::<f64>() / n, 2),
            });
        }
    }
    rows
}

fn mean(values: &[i64]) -> f64 {
    values.iter().sum::<i64>() as f64 / values.len().max(1) as f64
}

fn round_to(value: f64, places: i32) -> f64 {
    let factor = 10f64.powi(places);
    (value * factor).round() / factor
}

/// The team's abbreviation.
pub(crate) fn abbr(team: usize) -> &'static str {
    TEAMS[team].abbr
}
