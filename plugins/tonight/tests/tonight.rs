//! The tonight list on hand-built tables, natively.

use propcast_sdk::testing::{self, Harness};
use serde_json::{Value, json};
use tonight::Tonight;

/// The column types of the exporter's queries, as the warehouse gives them.
fn columns() -> serde_json::Value {
    serde_json::json!({"games": {"game_id": "text", "home_team_abbr": "text", "away_team_abbr": "text"}, "history": {"player_lookup": "text", "game_date": "date", "points": "int64", "points_line": "float64"}, "players": {"game_id": "text", "player_lookup": "text", "player_name": "text", "team_abbr": "text", "position": "text", "points_line": "float64", "predicted_points": "float64", "recommendation": "text", "confidence": "float64"}})
}

fn roster(player: &str, team: &str, line: Option<f64>, prediction: Option<(f64, &str)>) -> Value {
    json!({
        "game_id": "g1", "player_lookup": player, "player_name": player.to_uppercase(), "team_abbr": team,
        "position": "SG", "points_line": line, "predicted_points": prediction.map(|p| p.0),
        "recommendation": prediction.map(|p| p.1), "confidence": prediction.map(|_| 0.6),
    })
}

/// `n` games before 2024-01-10 scoring `points`, against `line`.
fn history(
    player: &str,
    n: usize,
    points: impl Fn(usize) -> i64,
    line: impl Fn(usize) -> Option<f64>,
) -> Vec<Value> {
    (0..n)
        .map(|i| json!({"player_lookup": player, "game_date": format!("2023-12-{:02}", i + 1), "points": points(i), "points_line": line(i)}))
        .collect()
}

fn run(players: Vec<Value>, history: Vec<Value>) -> Value {
    let games = json!([{"game_id": "g1", "home_team_abbr": "BOS", "away_team_abbr": "BKN"}]);
    let tables = testing::tables_of(
        columns(),
        json!({ "games": games, "players": players, "history": history }),
    );
    let out = Harness::<Tonight>::new("2024-01-10")
        .run(&tables)
        .expect("run succeeds");
    assert_eq!(out.documents.len(), 1);
    out.json("v1/tonight/all-players.json")
}

fn player<'a>(doc: &'a Value, lookup: &str) -> &'a Value {
    doc["players"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["player_lookup"] == lookup)
        .unwrap()
}

#[test]
fn exactly_ten_games_is_not_limited_and_averages_are_recent() {
    // Points 10, 11, …, 19; lines 14.5 on every game: the last 10 went over 5 times.
    let doc = run(
        vec![roster("ten", "BOS", Some(15.5), Some((17.0, "OVER")))],
        history("ten", 10, |i| 10 + i as i64, |_| Some(14.5)),
    );
    let p = player(&doc, "ten");
    assert_eq!(p["games_played"], 10);
    assert_eq!(p["limited_data"], false);
    assert_eq!(p["season_avg"], 14.5);
    assert_eq!(p["last_5_avg"], 17.0);
    assert_eq!(p["last_10_avg"], 14.5);
    assert_eq!(p["hit_rate_vs_line_last_10"], 50.0);
    assert_eq!(p["home_away"], "HOME");
    assert_eq!(p["opponent"], "BKN");
    assert_eq!(
        p["prediction"],
        json!({"predicted_points": 17.0, "recommendation": "OVER", "confidence": 0.6, "edge": 1.5})
    );
}

#[test]
fn nine_games_is_limited_data() {
    let doc = run(
        vec![roster("nine", "BKN", None, None)],
        history("nine", 9, |_| 8, |_| None),
    );
    let p = player(&doc, "nine");
    assert_eq!(p["limited_data"], true);
    assert_eq!(p["home_away"], "AWAY");
    assert_eq!(p["line"], Value::Null);
    assert_eq!(p["prediction"], Value::Null);
    assert_eq!(
        p["hit_rate_vs_line_last_10"],
        Value::Null,
        "no game had a line"
    );
}

#[test]
fn a_player_with_no_prior_games_has_no_averages() {
    let doc = run(vec![roster("rookie", "BOS", Some(4.5), None)], vec![]);
    let p = player(&doc, "rookie");
    assert_eq!(p["games_played"], 0);
    assert_eq!(p["limited_data"], true);
    assert_eq!(
        (p["season_avg"].clone(), p["last_5_avg"].clone()),
        (Value::Null, Value::Null)
    );
}

#[test]
fn pushes_do_not_count_as_over_and_only_games_with_lines_count() {
    // 12 games, 0..=11; game 6 has no line and game 4's line is a push.
    let points = |i: usize| if i.is_multiple_of(2) { 20 } else { 10 };
    let line = |i: usize| match i {
        6 => None,
        4 => Some(20.0),
        _ => Some(15.5),
    };
    let doc = run(
        vec![roster("mix", "BOS", Some(15.5), None)],
        history("mix", 12, points, line),
    );
    // The last 10 games are 2..=11 (the window of a profile's last-10 split); of them, those
    // with a line are all but 6 → 9. Over among them: even i except 4 (push) → 2, 8, 10 → 3 of 9.
    assert_eq!(player(&doc, "mix")["hit_rate_vs_line_last_10"], 33.3);
}

#[test]
fn a_date_with_no_games_gives_an_empty_document() {
    let tables = testing::tables_of(
        columns(),
        json!({ "games": [], "players": [], "history": [] }),
    );
    let out = Harness::<Tonight>::new("2024-02-18").run(&tables).unwrap();
    let doc = out.json("v1/tonight/all-players.json");
    assert_eq!(doc["players"], json!([]));
    assert_eq!(doc["games"], json!([]));
}
