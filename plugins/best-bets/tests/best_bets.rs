//! The best-bets ranking on hand-built tables, natively.

use best_bets::BestBets;
use propcast_sdk::testing::{self, Harness};
use serde_json::{Value, json};

/// The column types of the exporter's queries, as the warehouse gives them.
fn columns() -> serde_json::Value {
    serde_json::json!({"picks": {"game_id": "text", "home_team_abbr": "text", "away_team_abbr": "text", "player_lookup": "text", "player_name": "text", "team_abbr": "text", "points_line": "float64", "predicted_points": "float64", "recommendation": "text", "confidence": "float64"}, "recent": {"player_lookup": "text", "game_date": "date", "minutes_played": "float64"}})
}

fn pick(player: &str, line: f64, predicted: f64, rec: &str, confidence: f64) -> Value {
    json!({
        "game_id": "g1", "home_team_abbr": "BOS", "away_team_abbr": "BKN", "player_lookup": player,
        "player_name": player.to_uppercase(), "team_abbr": "BOS", "points_line": line,
        "predicted_points": predicted, "recommendation": rec, "confidence": confidence,
    })
}

fn played(player: &str, dates: &[&str], minutes: f64) -> Vec<Value> {
    dates
        .iter()
        .map(|d| json!({"player_lookup": player, "game_date": d, "minutes_played": minutes}))
        .collect()
}

fn run(harness: Harness<BestBets>, picks: Vec<Value>, recent: Vec<Value>) -> Value {
    let tables = testing::tables_of(columns(), json!({ "picks": picks, "recent": recent }));
    let out = harness.run(&tables).expect("run succeeds");
    let doc = out.json("v1/best-bets/2024-01-10.json");
    assert_eq!(doc, out.json("v1/best-bets/today.json"));
    doc
}

#[test]
fn ranks_by_edge_times_confidence_and_penalises_a_tired_player() {
    let picks = vec![
        pick("rested", 20.5, 24.5, "OVER", 0.60), // 4.0 x 0.60 = 2.400
        pick("tired", 20.5, 25.5, "OVER", 0.60),  // 5.0 x 0.60 x (1 - 0.30) = 2.100
        pick("under", 15.5, 12.5, "UNDER", 0.70), // 3.0 x 0.70 = 2.100, higher confidence
        pick("small", 10.5, 11.5, "OVER", 0.90),  // edge 1.0 < 1.5: not a candidate
    ];
    let mut recent = played("rested", &["2024-01-07"], 30.0);
    // Back-to-back, 5 games in 7 days, 38 minutes a game: 0.15 + 0.10 + 0.05 = 0.30.
    recent.extend(played(
        "tired",
        &[
            "2024-01-04",
            "2024-01-05",
            "2024-01-07",
            "2024-01-08",
            "2024-01-09",
        ],
        38.0,
    ));
    let doc = run(Harness::new("2024-01-10"), picks, recent);
    assert_eq!(doc["candidates"], 3);
    let order: Vec<(&str, f64)> = doc["picks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["player_lookup"].as_str().unwrap(),
                p["score"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(order, [("rested", 2.4), ("under", 2.1), ("tired", 2.1)]);
    let tired = &doc["picks"][2];
    assert_eq!(tired["fatigue"]["penalty"], 0.3);
    assert_eq!(tired["fatigue"]["back_to_back"], true);
    assert_eq!(tired["fatigue"]["games_last_7_days"], 5);
    let reasons: Vec<&str> = tired["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(
        reasons,
        [
            "Predicted 25.5 points against a line of 20.5: 5.0 points OVER",
            "Model confidence 60%",
            "Second night of a back-to-back",
            "5 games in the last 7 days",
            "Heavy minutes: 38.0 a game over the last 3",
            "Fatigue lowers the score by 30%",
        ]
    );
    assert_eq!(doc["picks"][0]["reasons"][2], "Rested: 2 days off");
    assert_eq!(doc["picks"][1]["opponent"], "BKN");
}

#[test]
fn picks_and_min_edge_are_options() {
    let picks = vec![
        pick("a", 20.5, 24.5, "OVER", 0.6),
        pick("b", 20.5, 22.5, "OVER", 0.6),
        pick("c", 20.5, 23.5, "OVER", 0.6),
    ];
    let doc = run(
        Harness::new("2024-01-10")
            .param("picks", 1)
            .param("min-edge", 2.5),
        picks,
        vec![],
    );
    assert_eq!(doc["candidates"], 2);
    assert_eq!(doc["picks"].as_array().unwrap().len(), 1);
    assert_eq!(doc["picks"][0]["player_lookup"], "a");
    assert_eq!(
        doc["picks"][0]["fatigue"]["rest_days"],
        Value::Null,
        "no prior games: rest unknown"
    );
}

#[test]
fn a_date_with_no_games_gives_an_empty_document() {
    let doc = run(Harness::new("2024-01-10"), vec![], vec![]);
    assert_eq!(doc["picks"], json!([]));
    assert_eq!(doc["candidates"], 0);
}
