//! The `best-bets` exporter: the date's strongest picks, and why.
//!
//! Publishes `v1/best-bets/<date>.json` and the alias `v1/best-bets/today.json`.
//!
//! Candidates are the date's OVER and UNDER picks with a line whose edge (|predicted − line|)
//! is at least `min-edge` points. Each gets
//!
//! ```text
//! score = edge × confidence × (1 − fatigue penalty)
//! ```
//!
//! where the fatigue penalty adds 0.15 for the second night of a back-to-back, 0.05 for each
//! game beyond 3 in the previous 7 days, and 0.05 when the last 3 games averaged 36 minutes or
//! more, capped at 0.30. Tired players' minutes and scoring are less predictable (rest, blowouts,
//! load management), so fatigue lowers confidence in either direction. The top `picks` picks by
//! score are published (ties: higher confidence, then player name). Score is rounded to 3 places,
//! edge and minutes to 1, confidence to 2.

use std::collections::HashMap;

use propcast_sdk::fatigue::Fatigue;
use propcast_sdk::prelude::*;
use serde::{Deserialize, Serialize};

/// The exporter.
pub struct BestBets;

/// A row of the `picks` query.
#[derive(Debug, Deserialize)]
pub struct PickRow<'a> {
    /// The game.
    pub game_id: &'a str,
    /// Home team.
    pub home_team_abbr: &'a str,
    /// Away team.
    pub away_team_abbr: &'a str,
    /// The player's key.
    pub player_lookup: &'a str,
    /// The player's name.
    pub player_name: &'a str,
    /// The player's team.
    pub team_abbr: &'a str,
    /// The line.
    pub points_line: f64,
    /// Predicted points.
    pub predicted_points: f64,
    /// `OVER` or `UNDER`.
    pub recommendation: &'a str,
    /// 0–1.
    pub confidence: f64,
}

/// A row of the `recent` query.
#[derive(Debug, Deserialize)]
pub struct RecentRow<'a> {
    /// The player's key.
    pub player_lookup: &'a str,
    /// The game's date.
    pub game_date: Date,
    /// Minutes played.
    pub minutes_played: f64,
}

/// The fatigue behind a pick's penalty.
#[derive(Debug, Serialize)]
pub struct FatigueReason {
    /// Rest and load going into the date.
    #[serde(flatten)]
    pub fatigue: Fatigue,
    /// The penalty applied to the score, 0–0.30.
    pub penalty: f64,
}

/// A ranked pick.
#[derive(Debug, Serialize)]
pub struct Pick {
    /// 1 is the best.
    pub rank: usize,
    /// The game.
    pub game_id: String,
    /// `away @ home`.
    pub matchup: String,
    /// The player's key.
    pub player_lookup: String,
    /// The player's name.
    pub player_name: String,
    /// The player's team.
    pub team: String,
    /// The other team.
    pub opponent: String,
    /// The line.
    pub line: f64,
    /// Predicted points, 1 place.
    pub predicted_points: f64,
    /// OVER or UNDER.
    pub recommendation: Recommendation,
    /// 0–1, 2 places.
    pub confidence: f64,
    /// |predicted − line|, 1 place.
    pub edge: f64,
    /// edge × confidence × (1 − penalty), 3 places.
    pub score: f64,
    /// Rest, load and the penalty.
    pub fatigue: FatigueReason,
    /// Why, in words.
    pub reasons: Vec<String>,
}

/// The document.
#[derive(Debug, Serialize)]
pub struct BestBetsDocument {
    /// The date.
    pub date: Date,
    /// Its season.
    pub season: String,
    /// When the run started.
    pub generated_at: String,
    /// How picks are scored.
    pub method: &'static str,
    /// Picks that met `min-edge`.
    pub candidates: usize,
    /// The best `picks` of them.
    pub picks: Vec<Pick>,
}

const METHOD: &str = "score = edge x confidence x (1 - fatigue penalty); penalty: back-to-back 0.15, \
each game beyond 3 in the last 7 days 0.05, last 3 games averaging 36+ minutes 0.05, at most 0.30";

/// The last 3 games' average minutes (as published, 1 place) when they averaged 36 or more:
/// the exact average is compared, so 35.97 (published as 36.0) is not heavy.
fn heavy_minutes(fatigue: &Fatigue) -> Option<f64> {
    fatigue
        .minutes_last_3_avg_exact
        .filter(|m| at_least(*m, 36.0))
        .and(fatigue.minutes_last_3_avg)
}

/// The fatigue penalty; see the module docs.
pub fn fatigue_penalty(fatigue: &Fatigue) -> f64 {
    let mut penalty = 0.0;
    if fatigue.back_to_back {
        penalty += 0.15;
    }
    penalty += 0.05 * fatigue.games_last_7_days.saturating_sub(3) as f64;
    if heavy_minutes(fatigue).is_some() {
        penalty += 0.05;
    }
    round(penalty.min(0.30), 2)
}

/// Builds the document.
pub fn build(
    ctx: &Context,
    picks: &[PickRow<'_>],
    recent: &[RecentRow<'_>],
    limit: usize,
    min_edge: f64,
) -> Result<BestBetsDocument> {
    let mut history: HashMap<&str, Vec<(Date, f64)>> = HashMap::new();
    for row in recent {
        history
            .entry(row.player_lookup)
            .or_default()
            .push((row.game_date, row.minutes_played));
    }
    let mut ranked = Vec::new();
    for row in picks {
        let recommendation = Recommendation::parse(row.recommendation)?;
        if recommendation == Recommendation::Pass {
            continue;
        }
        let edge = (row.predicted_points - row.points_line).abs();
        // |18.3 - 20.5| is 2.1999999999999993 in f64: an edge on the minimum meets it.
        if !at_least(edge, min_edge) {
            continue;
        }
        let fatigue = Fatigue::before(
            ctx.date(),
            history
                .get(row.player_lookup)
                .map_or(&[][..], Vec::as_slice),
        );
        let penalty = fatigue_penalty(&fatigue);
        let score = edge * row.confidence * (1.0 - penalty);
        let side = Side::of(row.team_abbr, row.home_team_abbr, row.away_team_abbr);
        let reasons = reasons(row, recommendation, edge, &fatigue, penalty);
        ranked.push(Pick {
            rank: 0,
            game_id: row.game_id.to_string(),
            matchup: matchup(row.home_team_abbr, row.away_team_abbr),
            player_lookup: row.player_lookup.to_string(),
            player_name: row.player_name.to_string(),
            team: row.team_abbr.to_string(),
            opponent: side.opponent.to_string(),
            line: row.points_line,
            predicted_points: round(row.predicted_points, 1),
            recommendation,
            confidence: round(row.confidence, 2),
            edge: round(edge, 1),
            score: round(score, 3),
            fatigue: FatigueReason { fatigue, penalty },
            reasons,
        });
    }
    let candidates = ranked.len();
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then(b.confidence.total_cmp(&a.confidence))
            .then(a.player_name.cmp(&b.player_name))
            .then(a.player_lookup.cmp(&b.player_lookup))
    });
    ranked.truncate(limit);
    for (index, pick) in ranked.iter_mut().enumerate() {
        pick.rank = index + 1;
    }
    Ok(BestBetsDocument {
        date: ctx.date(),
        season: ctx.param_str("season").unwrap_or_default().to_string(),
        generated_at: ctx.generated_at().to_string(),
        method: METHOD,
        candidates,
        picks: ranked,
    })
}

fn reasons(
    row: &PickRow<'_>,
    recommendation: Recommendation,
    edge: f64,
    fatigue: &Fatigue,
    penalty: f64,
) -> Vec<String> {
    let side = if recommendation == Recommendation::Over {
        "OVER"
    } else {
        "UNDER"
    };
    let mut reasons = vec![
        format!(
            "Predicted {:.1} points against a line of {:.1}: {:.1} points {side}",
            row.predicted_points, row.points_line, edge
        ),
        format!("Model confidence {:.0}%", row.confidence * 100.0),
    ];
    if fatigue.back_to_back {
        reasons.push("Second night of a back-to-back".to_string());
    }
    if fatigue.games_last_7_days > 3 {
        reasons.push(format!(
            "{} games in the last 7 days",
            fatigue.games_last_7_days
        ));
    }
    if let Some(minutes) = heavy_minutes(fatigue) {
        reasons.push(format!(
            "Heavy minutes: {minutes:.1} a game over the last 3"
        ));
    }
    if penalty > 0.0 {
        reasons.push(format!(
            "Fatigue lowers the score by {:.0}%",
            penalty * 100.0
        ));
    } else if let Some(rest) = fatigue.rest_days {
        reasons.push(format!(
            "Rested: {rest} day{} off",
            if rest == 1 { "" } else { "s" }
        ));
    }
    reasons
}

impl Exporter for BestBets {
    fn run(ctx: &Context, tables: &Tables) -> Result<Vec<Document>> {
        let limit: i64 = ctx.param("picks")?;
        let limit = usize::try_from(limit).map_err(|_| {
            Error::bad_input(format!("option `picks` is {limit}; it must be 0 or more"))
        })?;
        let min_edge: f64 = ctx.param("min-edge")?;
        let picks: Vec<PickRow> = tables.rows("picks")?;
        let recent: Vec<RecentRow> = tables.rows("recent")?;
        let document = build(ctx, &picks, &recent, limit, min_edge)?;
        propcast_sdk::info!(
            "{} of {} candidates picked",
            document.picks.len(),
            document.candidates
        );
        let dated = Document::dated(format!("v1/best-bets/{}.json", ctx.date()), &document)?;
        let today = dated.alias_of("v1/best-bets/today.json");
        Ok(vec![dated, today])
    }
}

propcast_sdk::exporter!(BestBets);
