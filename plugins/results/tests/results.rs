//! The results exporter's grading and summary on hand-built tables, natively.

use propcast_sdk::testing::{self, Harness};
use results::Results;
use serde_json::{Value, json};

/// The column types of the exporter's queries, as the warehouse gives them.
fn columns() -> serde_json::Value {
    serde_json::json!({"games": {"game_id": "text", "home_team_abbr": "text", "away_team_abbr": "text", "home_score": "int64", "away_score": "int64", "game_status": "text"}, "predictions": {"game_id": "text", "home_team_abbr": "text", "away_team_abbr": "text", "player_lookup": "text", "player_name": "text", "team_abbr": "text", "points_line": "float64", "predicted_points": "float64", "recommendation": "text", "confidence": "float64", "actual_points": "int64"}})
}

fn game(id: &str, status: &str) -> Value {
    json!({"game_id": id, "home_team_abbr": "BOS", "away_team_abbr": "BKN", "home_score": 110, "away_score": 104, "game_status": status})
}

fn pick(
    player: &str,
    line: Option<f64>,
    predicted: f64,
    rec: &str,
    confidence: f64,
    actual: Option<i64>,
) -> Value {
    json!({
        "game_id": "g1", "home_team_abbr": "BOS", "away_team_abbr": "BKN", "player_lookup": player,
        "player_name": player, "team_abbr": "BOS", "points_line": line, "predicted_points": predicted,
        "recommendation": rec, "confidence": confidence, "actual_points": actual,
    })
}

fn run(games: Vec<Value>, picks: Vec<Value>) -> Value {
    let tables = testing::tables_of(columns(), json!({ "games": games, "predictions": picks }));
    let out = Harness::<Results>::new("2024-01-10")
        .run(&tables)
        .expect("run succeeds");
    let doc = out.json("v1/results/2024-01-10.json");
    assert_eq!(doc, out.json("v1/results/latest.json"));
    doc
}

fn grades(doc: &Value) -> Vec<(String, Value)> {
    doc["predictions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["player_lookup"].as_str().unwrap().to_string(),
                p["grade"].clone(),
            )
        })
        .collect()
}

#[test]
fn grades_hits_misses_pushes_missing_lines_and_absences() {
    let doc = run(
        vec![game("g1", "final")],
        vec![
            pick("a-hit", Some(20.5), 23.0, "OVER", 0.62, Some(25)),
            pick("b-miss", Some(20.5), 18.0, "UNDER", 0.58, Some(25)),
            pick("c-push", Some(20.0), 22.0, "OVER", 0.71, Some(20)),
            pick("d-noline", None, 12.0, "PASS", 0.55, Some(14)),
            pick("e-void", Some(9.5), 12.0, "OVER", 0.66, None),
            pick("f-pass", Some(9.5), 9.0, "PASS", 0.52, Some(7)),
            pick("g-onthe", Some(9.5), 9.5, "PASS", 0.50, Some(7)),
        ],
    );
    let expected = [
        ("a-hit", json!("HIT")),
        ("b-miss", json!("MISS")),
        ("c-push", json!("PUSH")),
        ("d-noline", json!("NO_LINE")),
        ("e-void", json!("VOID")),
        ("f-pass", json!("HIT")),
        ("g-onthe", Value::Null),
    ]
    .map(|(p, g)| (p.to_string(), g));
    assert_eq!(grades(&doc), expected);
    let summary = &doc["summary"];
    assert_eq!(
        summary["record"],
        json!({"hits": 1, "misses": 1, "pushes": 1, "hit_rate": 50.0})
    );
    assert_eq!(
        (summary["no_line"].clone(), summary["void"].clone()),
        (json!(1), json!(1))
    );
    let band = |label: &str| {
        summary["by_confidence"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["band"] == label)
            .unwrap()
            .clone()
    };
    assert_eq!(band("55-60%")["misses"], 1);
    assert_eq!(band("60-65%")["hits"], 1);
    assert_eq!(band("70%+")["pushes"], 1);
    assert_eq!(band("<55%")["hit_rate"], Value::Null);
    let pass = &summary["by_recommendation"][2];
    assert_eq!(
        (pass["recommendation"].clone(), pass["hits"].clone()),
        (json!("PASS"), json!(1))
    );
    assert_eq!(doc["predictions"][0]["margin"], 4.5);
}

#[test]
fn only_finished_games_are_listed() {
    let doc = run(vec![game("g1", "final"), game("g2", "scheduled")], vec![]);
    assert_eq!(doc["summary"]["games"], 1);
    assert_eq!(doc["games"].as_array().unwrap().len(), 1);
}

#[test]
fn a_date_with_no_games_gives_an_empty_document() {
    let doc = run(vec![], vec![]);
    assert_eq!(doc["games"], json!([]));
    assert_eq!(
        doc["summary"]["record"],
        json!({"hits": 0, "misses": 0, "pushes": 0, "hit_rate": null})
    );
}
