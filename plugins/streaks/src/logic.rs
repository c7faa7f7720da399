//! Finding the current runs, independent of Wasm so it can be tested natively.
//!
//! For each player, games before the date are walked from the most recent backwards:
//!
//! - **OVER/UNDER runs** compare points with that game's points line: OVER when points > line,
//!   UNDER when points < line. A **push** (points equal to a whole-number line) ends the run: the
//!   bet neither won nor lost, so the player did not go over or under. A game **without a line**
//!   is skipped: it neither extends nor ends the run, and is not listed among the run's games.
//! - **Prediction runs** count consecutive correct recommendations: OVER with points > line, or
//!   UNDER with points < line, against the line the prediction was made for. A PASS, a game
//!   without a prediction or without a line is skipped like a game without a line; a wrong pick or
//!   a push ends the run.
//!
//! Runs are counted within the season of the date (the query only passes that season's games).

use std::collections::BTreeMap;

use propcast_sdk::prelude::*;
use serde::{Deserialize, Serialize};

/// One game of one player, as the `games` query returns it.
#[derive(Clone, Debug, Deserialize)]
pub struct GameRow<'a> {
    /// The player's key.
    pub player_lookup: &'a str,
    /// The player's display name.
    pub player_name: &'a str,
    /// The player's team in that game.
    pub team_abbr: &'a str,
    /// The opponent in that game.
    pub opponent_team_abbr: &'a str,
    /// The game's date.
    pub game_date: Date,
    /// Points scored.
    pub points: i64,
    /// The points line, if there was one.
    pub points_line: Option<f64>,
    /// The model's pick (`OVER`, `UNDER`, `PASS`), if it made one.
    #[serde(borrow)]
    pub recommendation: Option<&'a str>,
    /// The line the prediction was made against.
    pub prediction_line: Option<f64>,
}

/// A game in a run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RunGame {
    /// The game's date.
    pub date: Date,
    /// The opponent.
    pub opponent: String,
    /// Points scored.
    pub points: i64,
    /// The line the game was judged against.
    pub line: f64,
    /// The pick, for prediction runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recommendation: Option<String>,
}

/// A player's current run.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Streak {
    /// The player's key.
    pub player_lookup: String,
    /// The player's display name.
    pub player_name: String,
    /// The player's team in their latest game.
    pub team: String,
    /// `OVER`, `UNDER`, or `CORRECT` for prediction runs.
    pub direction: &'static str,
    /// Games in the run.
    pub length: usize,
    /// The run's games, oldest first.
    pub games: Vec<RunGame>,
}

/// A player named in the summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlayerRef {
    /// The player's key.
    pub player_lookup: String,
    /// The player's display name.
    pub player_name: String,
}

/// The longest run of a kind; ties name every player, by name.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Longest {
    /// Its length in games.
    pub length: usize,
    /// Who is on it.
    pub players: Vec<PlayerRef>,
}

/// How many runs of a kind, and the longest.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tally {
    /// Number of runs.
    pub count: usize,
    /// The longest run, when there is one.
    pub longest: Option<Longest>,
}

/// Counts for each kind of run and a one-line text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// OVER runs.
    pub over: Tally,
    /// UNDER runs.
    pub under: Tally,
    /// Runs of correct predictions.
    pub prediction: Tally,
    /// E.g. `3 OVER streaks (longest: Ann Lee, 6 games), 0 UNDER streaks, …`.
    pub text: String,
}

/// The document published for a date.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StreakReport {
    /// The date the runs lead into.
    pub date: Date,
    /// The season the runs are counted in.
    pub season: String,
    /// When the run that made this document started.
    pub generated_at: String,
    /// The shortest run reported.
    pub min_length: usize,
    /// The counts.
    pub summary: Summary,
    /// OVER and UNDER runs, longest first.
    pub over_under: Vec<Streak>,
    /// Runs of correct predictions, longest first.
    pub predictions: Vec<Streak>,
}

impl StreakReport {
    /// Finds every current run of at least `min_length` games in `games`.
    pub fn build(ctx: &Context, games: &[GameRow<'_>], min_length: usize) -> Result<StreakReport> {
        let mut by_player: BTreeMap<&str, Vec<&GameRow>> = BTreeMap::new();
        for game in games {
            by_player.entry(game.player_lookup).or_default().push(game);
        }
        let mut over_under = Vec::new();
        let mut predictions = Vec::new();
        for (player, mut played) in by_player {
            played.sort_by_key(|g| g.game_date);
            if let Some(pair) = played.windows(2).find(|w| w[0].game_date == w[1].game_date) {
                return Err(Error::bad_input(format!(
                    "player `{player}` has two rows for {}; the `games` query must return one row per player per game",
                    pair[0].game_date
                )));
            }
            if let Some(streak) = over_under_run(&played).filter(|s| s.length >= min_length) {
                over_under.push(streak);
            }
            if let Some(streak) = prediction_run(&played)?.filter(|s| s.length >= min_length) {
                predictions.push(streak);
            }
        }
        let longest_first = |a: &Streak, b: &Streak| {
            (b.length, &a.player_name, &a.player_lookup).cmp(&(
                a.length,
                &b.player_name,
                &b.player_lookup,
            ))
        };
        over_under.sort_by(longest_first);
        predictions.sort_by(longest_first);
        let summary = summarize(&over_under, &predictions);
        Ok(StreakReport {
            date: ctx.date(),
            season: ctx.param_str("season").unwrap_or_default().to_string(),
            generated_at: ctx.generated_at().to_string(),
            min_length,
            summary,
            over_under,
            predictions,
        })
    }
}

/// The player's current OVER or UNDER run, if the latest graded game was over or under.
fn over_under_run(played: &[&GameRow<'_>]) -> Option<Streak> {
    let mut direction = None;
    let mut run = Vec::new();
    for game in played.iter().rev() {
        let result = outcome(game.points, game.points_line);
        match (result, direction) {
            (Outcome::NoLine, _) => continue,
            (Outcome::Push, _) => break,
            (r, None) => direction = Some(r),
            (r, Some(d)) if r != d => break,
            _ => {}
        }
        run.push(run_game(game, game.points_line, None));
    }
    let direction = match direction? {
        Outcome::Over => "OVER",
        _ => "UNDER",
    };
    Some(streak(played, direction, run))
}

/// The player's current run of correct predictions, if any.
fn prediction_run(played: &[&GameRow<'_>]) -> Result<Option<Streak>> {
    let mut run = Vec::new();
    for game in played.iter().rev() {
        let side = match game.recommendation.map(Recommendation::parse).transpose()? {
            Some(recommendation) => recommendation.side(),
            None => None,
        };
        let Some(side) = side else { continue };
        match grade(side, game.points, game.prediction_line) {
            Grade::NoLine => continue,
            Grade::Hit => run.push(run_game(game, game.prediction_line, game.recommendation)),
            Grade::Miss | Grade::Push => break,
        }
    }
    Ok((!run.is_empty()).then(|| streak(played, "CORRECT", run)))
}

fn run_game(game: &GameRow<'_>, line: Option<f64>, recommendation: Option<&str>) -> RunGame {
    RunGame {
        date: game.game_date,
        opponent: game.opponent_team_abbr.to_string(),
        points: game.points,
        line: line.expect("only games with a line are in a run"),
        recommendation: recommendation.map(str::to_string),
    }
}

fn streak(
    played: &[&GameRow<'_>],
    direction: &'static str,
    mut newest_first: Vec<RunGame>,
) -> Streak {
    let latest = played.last().expect("a run has games");
    newest_first.reverse();
    Streak {
        player_lookup: latest.player_lookup.to_string(),
        player_name: latest.player_name.to_string(),
        team: latest.team_abbr.to_string(),
        direction,
        length: newest_first.len(),
        games: newest_first,
    }
}

fn tally<'a>(streaks: impl Iterator<Item = &'a Streak> + Clone) -> Tally {
    let count = streaks.clone().count();
    let longest = streaks.clone().map(|s| s.length).max().map(|length| {
        let mut players: Vec<PlayerRef> = streaks
            .filter(|s| s.length == length)
            .map(|s| PlayerRef {
                player_lookup: s.player_lookup.clone(),
                player_name: s.player_name.clone(),
            })
            .collect();
        players.sort_by(|a, b| {
            (&a.player_name, &a.player_lookup).cmp(&(&b.player_name, &b.player_lookup))
        });
        Longest { length, players }
    });
    Tally { count, longest }
}

fn summarize(over_under: &[Streak], predictions: &[Streak]) -> Summary {
    let over = tally(over_under.iter().filter(|s| s.direction == "OVER"));
    let under = tally(over_under.iter().filter(|s| s.direction == "UNDER"));
    let prediction = tally(predictions.iter());
    let describe = |label: &str, t: &Tally| match &t.longest {
        None => format!("{} {label} streaks", t.count),
        Some(l) => {
            let names: Vec<&str> = l.players.iter().map(|p| p.player_name.as_str()).collect();
            format!(
                "{} {label} streaks (longest: {}, {} games)",
                t.count,
                names.join(" and "),
                l.length
            )
        }
    };
    let text = format!(
        "{}, {}, {}",
        describe("OVER", &over),
        describe("UNDER", &under),
        describe("prediction", &prediction)
    );
    Summary {
        over,
        under,
        prediction,
        text,
    }
}
