//! The streaks exporter end to end: the built binary runs the built component on a generated
//! warehouse, and the published files are checked against the warehouse itself.

use std::collections::BTreeMap;

use propcast_e2e::{Env, plugins_dir, sample_db};
use rusqlite::Connection;
use serde_json::Value;

/// A player's games before the date, newest first: (date, points, line).
fn games_before(db: &Connection, player: &str, date: &str) -> Vec<(String, i64, Option<f64>)> {
    let mut statement = db
        .prepare(
            "SELECT g.game_date, g.points, l.points_line FROM player_game_summary g
             LEFT JOIN points_prop_lines l ON l.game_id = g.game_id AND l.player_lookup = g.player_lookup
             WHERE g.player_lookup = ?1 AND g.game_date < ?2 AND g.season = '2023-24'
             ORDER BY g.game_date DESC",
        )
        .unwrap();
    statement
        .query_map([player, date], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

fn publish_streaks(env: &Env, date: &str) -> Value {
    let out = env.publish(date, &plugins_dir(), &["--only", "streaks"]);
    assert!(
        out.success(),
        "stdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
    let dated = env.json(&format!("v1/streaks/{date}.json"));
    assert_eq!(
        dated,
        env.json("v1/streaks/today.json"),
        "today.json is the dated document"
    );
    dated
}

#[test]
fn streaks_for_2024_01_10_match_the_warehouse() {
    let env = Env::new();
    let out = env.publish("2024-01-10", &plugins_dir(), &["--only", "streaks"]);
    assert!(out.success(), "{}", out.stderr);
    let row = out
        .stdout
        .lines()
        .find(|l| l.starts_with("streaks"))
        .expect("a row for streaks");
    let cells: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cells[1..3], ["ok", "2"], "{row}");
    assert!(
        out.stdout
            .contains("1 of 1 exporters published 2 documents to folder `out`"),
        "{}",
        out.stdout
    );

    let doc = env.json("v1/streaks/2024-01-10.json");
    assert_eq!(doc["date"], "2024-01-10");
    assert_eq!(doc["season"], "2023-24");
    assert_eq!(doc["generated_at"], "2024-01-10T12:00:00Z");
    let db = Connection::open(sample_db()).unwrap();
    let streaks = doc["over_under"].as_array().unwrap();
    assert!(
        !streaks.is_empty(),
        "a season half played has OVER/UNDER runs"
    );
    for streak in streaks {
        let player = streak["player_lookup"].as_str().unwrap();
        let length = streak["length"].as_u64().unwrap() as usize;
        let over = streak["direction"] == "OVER";
        assert!(length >= 4);
        // The run is the player's latest graded games, all in its direction, and it is maximal:
        // the graded game before it (if any) went the other way or pushed.
        let graded: Vec<(String, i64, f64)> = games_before(&db, player, "2024-01-10")
            .into_iter()
            .filter_map(|(d, p, l)| l.map(|l| (d, p, l)))
            .collect();
        let in_direction =
            |&(_, p, l): &(String, i64, f64)| if over { p as f64 > l } else { (p as f64) < l };
        assert!(
            graded[..length].iter().all(in_direction),
            "{player}: {:?}",
            &graded[..length]
        );
        if let Some(before) = graded.get(length) {
            assert!(
                !in_direction(before),
                "{player}'s run could be longer: {before:?}"
            );
        }
        let listed: Vec<&str> = streak["games"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["date"].as_str().unwrap())
            .collect();
        let mut expected: Vec<&str> = graded[..length].iter().map(|g| g.0.as_str()).collect();
        expected.reverse();
        assert_eq!(listed, expected, "{player}");
    }
    // The summary counts what is listed.
    let count = |direction: &str| {
        streaks
            .iter()
            .filter(|s| s["direction"] == direction)
            .count()
    };
    assert_eq!(doc["summary"]["over"]["count"], count("OVER"));
    assert_eq!(doc["summary"]["under"]["count"], count("UNDER"));
    assert_eq!(
        doc["summary"]["prediction"]["count"],
        doc["predictions"].as_array().unwrap().len()
    );
    let longest_over = streaks
        .iter()
        .filter(|s| s["direction"] == "OVER")
        .map(|s| s["length"].as_u64().unwrap())
        .max();
    assert_eq!(
        doc["summary"]["over"]["longest"]["length"].as_u64(),
        longest_over
    );
    for run in doc["predictions"].as_array().unwrap() {
        for game in run["games"].as_array().unwrap() {
            let (points, line) = (
                game["points"].as_f64().unwrap(),
                game["line"].as_f64().unwrap(),
            );
            match game["recommendation"].as_str().unwrap() {
                "OVER" => assert!(points > line),
                "UNDER" => assert!(points < line),
                other => panic!("a prediction run holds `{other}`"),
            }
        }
    }
}

#[test]
fn reruns_with_the_same_timestamp_are_byte_identical() {
    let (first, second) = (Env::new(), Env::new());
    publish_streaks(&first, "2024-01-10");
    publish_streaks(&second, "2024-01-10");
    let files: BTreeMap<String, Vec<u8>> = first.published();
    assert_eq!(files.len(), 2);
    assert_eq!(files, second.published());
}

#[test]
fn a_date_without_games_still_publishes_the_runs_going_into_it() {
    // 2024-02-18 is in the All-Star break: no games that day, runs carried from before.
    let env = Env::new();
    let doc = publish_streaks(&env, "2024-02-18");
    assert!(!doc["over_under"].as_array().unwrap().is_empty());
}

#[test]
fn a_date_before_the_season_publishes_an_empty_valid_document() {
    let env = Env::new();
    let doc = publish_streaks(&env, "2023-09-01");
    assert_eq!(doc["season"], "2023-24");
    assert_eq!(doc["over_under"], Value::Array(vec![]));
    assert_eq!(doc["predictions"], Value::Array(vec![]));
    assert_eq!(
        doc["summary"]["text"],
        "0 OVER streaks, 0 UNDER streaks, 0 prediction streaks"
    );
}
