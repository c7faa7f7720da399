//! The `streaks` exporter: who is on a run going into the date.
//!
//! It publishes `v1/streaks/<date>.json` and the alias `v1/streaks/today.json`: every player whose
//! current run of games before the date is `min-length` (4) or more straight OVER or UNDER their
//! points line, and every current run of as many correct predictions, with a summary. The rules
//! for pushes and games without a line are in [`logic`].

pub mod logic;

use propcast_sdk::prelude::*;

use crate::logic::{GameRow, StreakReport};

/// The exporter.
pub struct Streaks;

impl Exporter for Streaks {
    fn run(ctx: &Context, tables: &Tables) -> Result<Vec<Document>> {
        let min_length: i64 = ctx.param("min-length")?;
        let min_length = usize::try_from(min_length)
            .ok()
            .filter(|&n| n >= 1)
            .ok_or_else(|| {
                Error::bad_input(format!(
                    "option `min-length` is {min_length}, it must be at least 1"
                ))
            })?;
        let games: Vec<GameRow> = tables.rows("games")?;
        let report = StreakReport::build(ctx, &games, min_length)?;
        propcast_sdk::info!("{}", report.summary.text);
        let dated = Document::dated(format!("v1/streaks/{}.json", ctx.date()), &report)?;
        let today = dated.alias_of("v1/streaks/today.json");
        Ok(vec![dated, today])
    }
}

propcast_sdk::exporter!(Streaks);
