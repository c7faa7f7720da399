//! The probe exporter: `v1/probe/<date>.json` with the number of games on the date and the alias
//! `v1/probe/latest.json`, or, with `mode`, a panic, a returned error, or a document outside its
//! prefix; with `fail-on`, an error on that date only.

use propcast_sdk::prelude::*;
use serde::Deserialize;

pub struct Probe;

#[derive(Deserialize)]
struct Game<'a> {
    game_id: &'a str,
}

impl Exporter for Probe {
    fn run(ctx: &Context, tables: &Tables) -> Result<Vec<Document>> {
        let games: Vec<Game> = tables.rows("games")?;
        let mode: String = ctx.param("mode")?;
        propcast_sdk::info!("probe saw {} games in mode {mode}", games.len());
        match mode.as_str() {
            "panic" => panic!("probe was asked to panic on {}", ctx.date()),
            "error" => return Err(Error::failed("probe was asked to fail").with_hint("Consider --param mode=ok")),
            "escape" => {
                return Ok(vec![Document::dated("v1/streaks/today.json", &serde_json::json!({"owned": true}))?]);
            }
            _ => {}
        }
        let fail_on: String = ctx.param("fail-on")?;
        if fail_on == ctx.date().to_string() {
            return Err(Error::failed(format!("probe was asked to fail on {fail_on}")));
        }
        let ids: Vec<&str> = games.iter().map(|g| g.game_id).collect();
        let body = serde_json::json!({ "date": ctx.date(), "games": ids.len(), "game_ids": ids, "generated_at": ctx.generated_at() });
        let dated = Document::dated(format!("v1/probe/{}.json", ctx.date()), &body)?;
        let latest = dated.alias_of("v1/probe/latest.json");
        Ok(vec![dated, latest])
    }
}

propcast_sdk::exporter!(Probe);
