//! The streaks rules on hand-built tables, run natively through `propcast-sdk` (no Wasm).

use propcast_sdk::testing::{self, Harness, Output};
use serde_json::{Value, json};
use streaks::Streaks;

/// The column types of the exporter's queries, as the warehouse gives them.
fn columns() -> serde_json::Value {
    serde_json::json!({"games": {"player_lookup": "text", "player_name": "text", "team_abbr": "text", "opponent_team_abbr": "text", "game_date": "date", "points": "int64", "points_line": "float64", "recommendation": "text", "prediction_line": "float64"}})
}

/// One player's games, oldest first: `(points, line, recommendation)`, a day apart from
/// 2024-01-01.
fn player_games(
    lookup: &str,
    name: &str,
    games: &[(i64, Option<f64>, Option<&str>)],
) -> Vec<Value> {
    games
        .iter()
        .enumerate()
        .map(|(i, (points, line, pick))| {
            let opponent = ["NYK", "MIA", "LAL"][i % 3];
            json!({
                "player_lookup": lookup,
                "player_name": name,
                "team_abbr": "BOS",
                "opponent_team_abbr": opponent,
                "game_date": format!("2024-01-{:02}", i + 1),
                "points": points,
                "points_line": line,
                "recommendation": pick,
                "prediction_line": line,
            })
        })
        .collect()
}

fn run(rows: Vec<Value>) -> Output {
    run_with(Harness::<Streaks>::new("2024-01-20"), rows)
}

fn run_with(harness: Harness<Streaks>, rows: Vec<Value>) -> Output {
    let tables = testing::tables_of(columns(), json!({ "games": rows }));
    harness.run(&tables).expect("run succeeds")
}

fn report(out: &Output) -> Value {
    let dated = out.json("v1/streaks/2024-01-20.json");
    assert_eq!(
        dated,
        out.json("v1/streaks/today.json"),
        "the alias has the dated body"
    );
    dated
}

const O: Option<&str> = Some("OVER");
const U: Option<&str> = Some("UNDER");
const PASS: Option<&str> = Some("PASS");

#[test]
fn a_run_of_four_overs_is_reported_with_its_games() {
    let rows = player_games(
        "annlee",
        "Ann Lee",
        &[
            (10, Some(20.5), None),
            (25, Some(20.5), None),
            (22, Some(21.5), None),
            (30, Some(21.5), None),
            (24, Some(22.5), None),
        ],
    );
    let doc = report(&run(rows));
    let streak = &doc["over_under"][0];
    assert_eq!(streak["direction"], "OVER");
    assert_eq!(streak["length"], 4);
    assert_eq!(streak["team"], "BOS");
    let dates: Vec<&str> = streak["games"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["date"].as_str().unwrap())
        .collect();
    assert_eq!(
        dates,
        ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05"]
    );
    assert_eq!(
        streak["games"][0],
        json!({"date": "2024-01-02", "opponent": "MIA", "points": 25, "line": 20.5})
    );
    assert_eq!(doc["summary"]["over"]["count"], 1);
    assert_eq!(
        doc["summary"]["under"],
        json!({"count": 0, "longest": null})
    );
}

#[test]
fn three_games_are_not_a_streak_but_min_length_can_lower_the_bar() {
    let rows = player_games(
        "bo",
        "Bo Ray",
        &[
            (5, Some(10.5), None),
            (6, Some(10.5), None),
            (7, Some(10.5), None),
        ],
    );
    assert_eq!(report(&run(rows.clone()))["over_under"], json!([]));
    let doc = report(&run_with(
        Harness::new("2024-01-20").param("min-length", 3),
        rows,
    ));
    assert_eq!(doc["over_under"][0]["direction"], "UNDER");
    assert_eq!(doc["over_under"][0]["length"], 3);
    assert_eq!(doc["min_length"], 3);
}

#[test]
fn a_push_ends_the_run() {
    // Four overs, a push on a whole-number line, then three overs: the current run is three.
    let rows = player_games(
        "cy",
        "Cy Dee",
        &[
            (30, Some(20.5), None),
            (30, Some(20.5), None),
            (30, Some(20.5), None),
            (30, Some(20.5), None),
            (20, Some(20.0), None),
            (30, Some(20.5), None),
            (30, Some(20.5), None),
            (30, Some(20.5), None),
        ],
    );
    assert_eq!(report(&run(rows.clone()))["over_under"], json!([]));
    let doc = report(&run_with(
        Harness::new("2024-01-20").param("min-length", 1),
        rows,
    ));
    assert_eq!(doc["over_under"][0]["length"], 3);
}

#[test]
fn a_latest_game_that_pushed_means_no_current_run() {
    let rows = player_games(
        "cy",
        "Cy Dee",
        &[
            (30, Some(20.5), None),
            (30, Some(20.5), None),
            (30, Some(20.5), None),
            (30, Some(20.5), None),
            (21, Some(21.0), None),
        ],
    );
    let doc = report(&run_with(
        Harness::new("2024-01-20").param("min-length", 1),
        rows,
    ));
    assert_eq!(doc["over_under"], json!([]));
}

#[test]
fn games_without_a_line_are_skipped_not_counted() {
    let rows = player_games(
        "dee",
        "Dee Fox",
        &[
            (5, Some(10.5), None),
            (5, None, None),
            (6, Some(10.5), None),
            (30, None, None),
            (7, Some(10.5), None),
            (8, Some(10.5), None),
            (2, None, None),
        ],
    );
    let doc = report(&run(rows));
    let streak = &doc["over_under"][0];
    assert_eq!(streak["direction"], "UNDER");
    assert_eq!(streak["length"], 4);
    assert_eq!(streak["games"].as_array().unwrap().len(), 4);
    assert!(
        streak["games"]
            .as_array()
            .unwrap()
            .iter()
            .all(|g| g["line"].is_number())
    );
}

#[test]
fn a_player_with_one_game_has_a_run_of_one() {
    let rows = player_games("eve", "Eve Gold", &[(12, Some(9.5), None)]);
    assert_eq!(report(&run(rows.clone()))["over_under"], json!([]));
    let doc = report(&run_with(
        Harness::new("2024-01-20").param("min-length", 1),
        rows,
    ));
    assert_eq!(doc["over_under"][0]["length"], 1);
    assert_eq!(doc["predictions"], json!([]));
}

#[test]
fn ties_for_longest_name_every_player_by_name() {
    let five_overs = [(30, Some(20.5), None); 5];
    let mut rows = player_games("zed", "Zed Young", &five_overs);
    rows.extend(player_games("amy", "Amy Zhu", &five_overs));
    rows.extend(player_games(
        "max",
        "Max Cole",
        &[(30, Some(20.5), None); 4],
    ));
    let doc = report(&run(rows));
    let longest = &doc["summary"]["over"]["longest"];
    assert_eq!(longest["length"], 5);
    assert_eq!(
        longest["players"],
        json!([
            {"player_lookup": "amy", "player_name": "Amy Zhu"},
            {"player_lookup": "zed", "player_name": "Zed Young"},
        ])
    );
    let order: Vec<&str> = doc["over_under"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["player_lookup"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["amy", "zed", "max"]);
    assert_eq!(doc["summary"]["over"]["count"], 3);
    assert_eq!(
        doc["summary"]["text"],
        "3 OVER streaks (longest: Amy Zhu and Zed Young, 5 games), 0 UNDER streaks, 0 prediction streaks"
    );
}

#[test]
fn prediction_runs_skip_passes_and_end_on_a_miss_or_push() {
    let rows = player_games(
        "fay",
        "Fay Hill",
        &[
            (30, Some(20.5), U),    // wrong: ends anything older
            (30, Some(20.5), O),    // correct
            (10, Some(20.5), U),    // correct
            (15, Some(20.5), PASS), // skipped
            (25, Some(20.5), O),    // correct
            (18, None, O),          // no line: skipped
            (11, Some(20.5), U),    // correct
        ],
    );
    let doc = report(&run(rows));
    let streak = &doc["predictions"][0];
    assert_eq!(streak["direction"], "CORRECT");
    assert_eq!(streak["length"], 4);
    let picks: Vec<&str> = streak["games"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["recommendation"].as_str().unwrap())
        .collect();
    assert_eq!(picks, ["OVER", "UNDER", "OVER", "UNDER"]);
    assert_eq!(
        doc["summary"]["prediction"]["longest"]["players"][0]["player_name"],
        "Fay Hill"
    );

    let pushed = player_games(
        "gus",
        "Gus Ito",
        &[
            (30, Some(20.5), O),
            (30, Some(20.5), O),
            (30, Some(20.5), O),
            (30, Some(20.5), O),
            (20, Some(20.0), O),
        ],
    );
    assert_eq!(report(&run(pushed))["predictions"], json!([]));
}

#[test]
fn no_games_gives_an_empty_valid_report() {
    let doc = report(&run(vec![]));
    assert_eq!(doc["over_under"], json!([]));
    assert_eq!(doc["predictions"], json!([]));
    assert_eq!(
        doc["summary"]["text"],
        "0 OVER streaks, 0 UNDER streaks, 0 prediction streaks"
    );
    assert_eq!(doc["season"], "2023-24");
    assert_eq!(doc["generated_at"], "2024-01-20T12:00:00Z");
}

#[test]
fn an_unknown_recommendation_is_bad_input() {
    let rows = player_games("hal", "Hal Jo", &[(30, Some(20.5), Some("MAYBE"))]);
    let tables = testing::tables_of(columns(), json!({ "games": rows }));
    let err = Harness::<Streaks>::new("2024-01-20")
        .run(&tables)
        .unwrap_err();
    assert_eq!(err.kind(), propcast_sdk::ErrorKind::BadInput);
    assert_eq!(
        err.message(),
        "recommendation `MAYBE` is not OVER, UNDER or PASS"
    );
}

#[test]
fn two_rows_for_one_game_are_rejected() {
    let mut rows = player_games("ian", "Ian Ko", &[(30, Some(20.5), None)]);
    rows.push(rows[0].clone());
    let tables = testing::tables_of(columns(), json!({ "games": rows }));
    let err = Harness::<Streaks>::new("2024-01-20")
        .run(&tables)
        .unwrap_err();
    assert!(
        err.message()
            .contains("player `ian` has two rows for 2024-01-01"),
        "{}",
        err.message()
    );
}
