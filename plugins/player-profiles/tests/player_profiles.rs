//! Profiles on hand-built tables, natively: who gets one, and what is in it.

use player_profiles::PlayerProfiles;
use propcast_sdk::testing::{self, Harness, Output};
use serde_json::{Value, json};

/// The column types of the exporter's queries, as the warehouse gives them.
fn columns() -> serde_json::Value {
    serde_json::json!({"games": {"player_lookup": "text", "game_date": "date", "team_abbr": "text", "opponent_team_abbr": "text", "home_game": "boolean", "minutes_played": "float64", "points": "int64", "field_goals_made": "int64", "field_goals_attempted": "int64", "three_pointers_made": "int64", "free_throws_made": "int64", "free_throws_attempted": "int64", "rebounds": "int64", "assists": "int64", "points_line": "float64", "recommendation": "text", "prediction_line": "float64"}, "players": {"player_lookup": "text", "player_name": "text", "team_abbr": "text", "position": "text"}})
}

fn player(lookup: &str) -> Value {
    json!({"player_lookup": lookup, "player_name": lookup.to_uppercase(), "team_abbr": "BOS", "position": "G"})
}

/// `n` games of `lookup` in December, alternating home and away, with points and lines from
/// the closures and an OVER pick on each.
fn games(
    lookup: &str,
    n: usize,
    points: impl Fn(usize) -> i64,
    line: impl Fn(usize) -> Option<f64>,
) -> Vec<Value> {
    (0..n)
        .map(|i| {
            json!({
                "player_lookup": lookup, "game_date": format!("2023-12-{:02}", 2 * i + 1), "team_abbr": "BOS",
                "opponent_team_abbr": "NYK", "home_game": i % 2 == 0, "minutes_played": 30.0, "points": points(i),
                "field_goals_made": 5, "field_goals_attempted": 10, "three_pointers_made": 1, "free_throws_made": 0,
                "free_throws_attempted": 0, "rebounds": 4, "assists": 3, "points_line": line(i),
                "recommendation": "OVER", "prediction_line": line(i),
            })
        })
        .collect()
}

fn run(harness: Harness<PlayerProfiles>, players: Vec<Value>, games: Vec<Value>) -> Output {
    let tables = testing::tables_of(columns(), json!({ "players": players, "games": games }));
    harness.run(&tables).expect("run succeeds")
}

#[test]
fn only_players_with_enough_games_get_a_profile() {
    let mut rows = games("five", 5, |_| 10, |_| Some(9.5));
    rows.extend(games("four", 4, |_| 10, |_| Some(9.5)));
    let out = run(
        Harness::new("2024-01-10"),
        vec![player("five"), player("four"), player("none")],
        rows,
    );
    let index = out.json("v1/players/index.json");
    let listed: Vec<&str> = index["players"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["player_lookup"].as_str().unwrap())
        .collect();
    assert_eq!(listed, ["five"]);
    assert_eq!(index["min_games"], 5);
    assert_eq!(out.documents.len(), 2);

    let lowered = run(
        Harness::new("2024-01-10").param("min-games", 0),
        vec![player("five"), player("four"), player("none")],
        vec![],
    );
    assert_eq!(lowered.documents.len(), 4, "three profiles and the index");
    assert_eq!(
        lowered.json("v1/players/none.json")["averages"]["points"],
        Value::Null
    );
}

#[test]
fn a_profile_has_averages_splits_log_and_record() {
    // 6 games: points 20, 10, 20, 10, 20, 20 against lines 15.5, with a push on a 20.0 line last.
    let points = |i: usize| {
        if i.is_multiple_of(2) || i == 5 {
            20
        } else {
            10
        }
    };
    let line = |i: usize| {
        if i == 5 {
            Some(20.0)
        } else if i == 3 {
            None
        } else {
            Some(15.5)
        }
    };
    let out = run(
        Harness::new("2024-01-10"),
        vec![player("pat")],
        games("pat", 6, points, line),
    );
    let profile = out.json("v1/players/pat.json");
    assert_eq!(profile["games_played"], 6);
    assert_eq!(profile["averages"]["points"], 16.7);
    assert_eq!(profile["averages"]["field_goal_pct"], 50.0);
    assert_eq!(
        profile["averages"]["free_throw_pct"],
        Value::Null,
        "no attempts"
    );
    assert_eq!(profile["splits"]["home"]["vs_line_pct"], 100.0);
    assert_eq!(
        profile["splits"]["away"],
        json!({"games": 3, "average": 13.3, "games_with_line": 2, "vs_line_pct": 0.0})
    );
    let log = profile["game_log"].as_array().unwrap();
    assert_eq!(log[0]["date"], "2023-12-11", "newest first");
    assert_eq!(log[0]["result"], "PUSH");
    assert_eq!(log[2]["result"], "NO_LINE");
    assert_eq!(
        profile["prediction_record"],
        json!({"picks": 5, "hits": 3, "misses": 1, "pushes": 1, "hit_rate": 75.0})
    );
}

#[test]
fn a_date_before_any_games_publishes_an_empty_index() {
    let out = run(Harness::new("2023-09-01"), vec![player("early")], vec![]);
    assert_eq!(out.documents.len(), 1);
    assert_eq!(out.json("v1/players/index.json")["players"], json!([]));
}
