//! `propcast sample-data`: writes a SQLite warehouse with the production table shapes and
//! realistic, deterministic data, so propcast runs end to end without BigQuery.
//!
//! The file is written under a temporary name and renamed into place when complete, so a failed
//! run never leaves a half-written database where one was expected.

mod league;
mod names;
mod rng;
mod schedule;
mod season;
mod teams;

use std::path::Path;

use anyhow::Context as _;
use rusqlite::{Connection, params};

use league::League;
use rng::Rng;
use season::{Season, abbr};
use teams::TEAMS;

/// The last season generated; earlier ones come before it.
const LAST_SEASON_YEAR: i16 = 2023;
const MODEL_VERSION: &str = "propmodel-2.3";
const SCHEMA: &str = include_str!("schema.sql");

/// Row counts of a written database.
#[derive(Debug, Default)]
pub(crate) struct Summary {
    pub(crate) seasons: usize,
    pub(crate) teams: usize,
    pub(crate) players: usize,
    pub(crate) games: usize,
    pub(crate) player_games: usize,
    pub(crate) lines: usize,
    pub(crate) predictions: usize,
}

/// Generates `seasons` seasons ending with 2023-24 from `seed` and writes them to `out`.
pub(crate) fn write_database(out: &Path, seasons: u16, seed: u64) -> anyhow::Result<Summary> {
    let file_name = out
        .file_name()
        .context("the output path has no file name")?;
    let temp = out.with_file_name(format!(".{}.partial", file_name.to_string_lossy()));
    let _ = std::fs::remove_file(&temp);
    let result = write_to(&temp, seasons, seed).and_then(|summary| {
        std::fs::rename(&temp, out)
            .with_context(|| format!("failed to move the database to `{}`", out.display()))?;
        Ok(summary)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result.with_context(|| format!("failed to write the sample database `{}`", out.display()))
}

fn write_to(path: &Path, seasons: u16, seed: u64) -> anyhow::Result<Summary> {
    let mut connection =
        Connection::open(path).with_context(|| format!("failed to create `{}`", path.display()))?;
    connection.execute_batch("PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;")?;
    let tx = connection.transaction()?;
    tx.execute_batch(SCHEMA)
        .context("failed to create the tables")?;
    {
        let mut insert = tx.prepare("INSERT INTO teams VALUES (?1, ?2, ?3, ?4, ?5)")?;
        for t in &TEAMS {
            insert.execute(params![
                t.abbr,
                format!("{} {}", t.city, t.name),
                t.city,
                t.conference,
                t.division
            ])?;
        }
    }
    let mut rng = Rng::new(seed);
    let mut league = League::new(&mut rng.fork("league"));
    let mut summary = Summary {
        teams: TEAMS.len(),
        ..Summary::default()
    };
    let first_year = LAST_SEASON_YEAR - (seasons as i16 - 1);
    for year in first_year..=LAST_SEASON_YEAR {
        if year > first_year {
            league.next_season(&mut rng.fork(&format!("offseason {year}")));
        }
        let season = season::play(&mut rng.fork(&format!("season {year}")), &league, year)?;
        insert_season(&tx, &league, &season, &mut summary)
            .with_context(|| format!("failed to store season {}", season.label))?;
        summary.seasons += 1;
    }
    summary.players = tx.query_row(
        "SELECT count(DISTINCT player_lookup) FROM players",
        [],
        |r| r.get::<_, i64>(0),
    )? as usize;
    tx.commit()?;
    connection.execute_batch("ANALYZE;")?;
    Ok(summary)
}

fn insert_season(
    tx: &rusqlite::Transaction<'_>,
    league: &League,
    season: &Season,
    summary: &mut Summary,
) -> anyhow::Result<()> {
    let label = season.label.as_str();
    let mut players = tx.prepare("INSERT INTO players VALUES (?1, ?2, ?3, ?4, ?5)")?;
    for (team, roster) in season.rosters.iter().enumerate() {
        for &p in roster {
            let player = &league.players[p];
            players.execute(params![
                player.lookup,
                player.name,
                label,
                abbr(team),
                player.position
            ])?;
        }
    }
    let mut games =
        tx.prepare("INSERT INTO schedule VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'final')")?;
    for g in &season.games {
        games.execute(params![
            g.game_id,
            g.date.to_string(),
            label,
            abbr(g.home),
            abbr(g.away),
            g.home_score,
            g.away_score
        ])?;
    }
    let mut rows = tx.prepare(
        "INSERT INTO player_game_summary VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?;
    for r in &season.player_games {
        let g = &season.games[r.game];
        rows.execute(params![
            g.game_id,
            g.date.to_string(),
            label,
            league.players[r.player].lookup,
            abbr(r.team),
            abbr(r.opponent),
            r.home,
            r.starter,
            r.minutes,
            r.points,
            r.fg.0,
            r.fg.1,
            r.threes.0,
            r.threes.1,
            r.free_throws.0,
            r.free_throws.1,
            r.rebounds,
            r.assists,
        ])?;
    }
    let mut lines =
        tx.prepare("INSERT INTO points_prop_lines VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")?;
    for l in &season.lines {
        let g = &season.games[l.game];
        lines.execute(params![
            g.game_id,
            g.date.to_string(),
            league.players[l.player].lookup,
            l.line,
            l.over_price,
            l.under_price,
            l.bookmaker
        ])?;
    }
    let mut predictions =
        tx.prepare("INSERT INTO player_prop_predictions VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?;
    for p in &season.predictions {
        let g = &season.games[p.game];
        predictions.execute(params![
            g.game_id,
            g.date.to_string(),
            league.players[p.player].lookup,
            p.predicted,
            p.line,
            p.recommendation,
            p.confidence,
            MODEL_VERSION
        ])?;
    }
    let mut defense = tx.prepare(
        "INSERT INTO team_defense_zone_analysis VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for d in &season.defense {
        defense.execute(params![
            abbr(d.team),
            d.date.to_string(),
            label,
            d.games as i64,
            d.allowed_per_game,
            d.allowed_last_10,
            d.paint_per_game,
            d.three_per_game
        ])?;
    }
    summary.games += season.games.len();
    summary.player_games += season.player_games.len();
    summary.lines += season.lines.len();
    summary.predictions += season.predictions.len();
    Ok(())
}
