//! The predictions exporter on hand-built tables, natively through `propcast-sdk`.

use predictions::Predictions;
use propcast_sdk::testing::{self, Harness, Output};
use serde_json::{Value, json};

/// The column types of the exporter's queries, as the warehouse gives them.
fn columns() -> serde_json::Value {
    serde_json::json!({"predictions": {"game_id": "text", "home_team_abbr": "text", "away_team_abbr": "text", "player_lookup": "text", "player_name": "text", "team_abbr": "text", "points_line": "float64", "predicted_points": "float64", "recommendation": "text", "confidence": "float64"}})
}

fn row(
    player: &str,
    team: Option<&str>,
    line: Option<f64>,
    predicted: f64,
    pick: &str,
    confidence: f64,
) -> Value {
    json!({
        "game_id": "0022300500", "home_team_abbr": "BOS", "away_team_abbr": "BKN",
        "player_lookup": player, "player_name": team.map(|_| player.to_uppercase()), "team_abbr": team,
        "points_line": line, "predicted_points": predicted, "recommendation": pick, "confidence": confidence,
    })
}

fn run(rows: Vec<Value>) -> Output {
    let tables = testing::tables_of(columns(), json!({ "predictions": rows }));
    Harness::<Predictions>::new("2024-01-10")
        .run(&tables)
        .expect("run succeeds")
}

#[test]
fn each_prediction_has_its_opponent_and_edge() {
    let out = run(vec![
        row("ann", Some("BKN"), Some(22.5), 24.06, "OVER", 0.614),
        row("bo", Some("BOS"), Some(10.0), 8.44, "UNDER", 0.6),
    ]);
    let doc = out.json("v1/predictions/2024-01-10.json");
    assert_eq!(doc, out.json("v1/predictions/today.json"));
    let ann = &doc["predictions"][0];
    assert_eq!(ann["opponent"], "BOS");
    assert_eq!(ann["home"], false);
    assert_eq!(ann["matchup"], "BKN @ BOS");
    assert_eq!(ann["predicted_points"], 24.1);
    assert_eq!(ann["edge"], 1.6);
    assert_eq!(ann["confidence"], 0.61);
    assert_eq!(doc["predictions"][1]["edge"], -1.6);
    assert_eq!(doc["predictions"][1]["home"], true);
    assert_eq!(
        doc["summary"],
        json!({"predictions": 2, "games": 1, "over": 1, "under": 1, "pass": 0, "without_line": 0})
    );
}

#[test]
fn a_prediction_without_a_line_has_no_edge() {
    let doc = run(vec![row("cy", Some("BOS"), None, 12.0, "PASS", 0.55)])
        .json("v1/predictions/2024-01-10.json");
    assert_eq!(doc["predictions"][0]["line"], Value::Null);
    assert_eq!(doc["predictions"][0]["edge"], Value::Null);
    assert_eq!(doc["summary"]["without_line"], 1);
}

#[test]
fn a_player_missing_from_the_roster_is_kept_and_logged() {
    let out = run(vec![row("dee", None, Some(5.5), 7.0, "OVER", 0.58)]);
    let doc = out.json("v1/predictions/2024-01-10.json");
    assert_eq!(doc["predictions"][0]["player_name"], "dee");
    assert_eq!(doc["predictions"][0]["team"], Value::Null);
    assert!(
        out.logs
            .iter()
            .any(|(_, line)| line.contains("`dee` has a prediction but no roster entry"))
    );
}

#[test]
fn a_date_with_no_games_gives_an_empty_document() {
    let doc = run(vec![]).json("v1/predictions/2024-01-10.json");
    assert_eq!(doc["predictions"], json!([]));
    assert_eq!(doc["summary"]["predictions"], 0);
}

#[test]
fn an_unknown_recommendation_is_bad_input() {
    let tables = testing::tables_of(
        columns(),
        json!({ "predictions": [row("ed", Some("BOS"), Some(5.5), 7.0, "LEAN", 0.58)] }),
    );
    let err = Harness::<Predictions>::new("2024-01-10")
        .run(&tables)
        .unwrap_err();
    assert_eq!(
        err.message(),
        "recommendation `LEAN` is not OVER, UNDER or PASS"
    );
}
