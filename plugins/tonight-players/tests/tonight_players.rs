//! Player pages on hand-built tables, natively: factors, splits and the edges.

use propcast_sdk::testing::{self, Harness, Output};
use serde_json::{Value, json};
use tonight_players::TonightPlayers;

/// The column types of the exporter's queries, as the warehouse gives them.
fn columns() -> serde_json::Value {
    serde_json::json!({"defense": {"team_abbr": "text", "points_allowed_per_game": "float64", "points_allowed_last_10": "float64"}, "games": {"game_id": "text", "home_team_abbr": "text", "away_team_abbr": "text"}, "history": {"player_lookup": "text", "game_date": "date", "opponent_team_abbr": "text", "home_game": "boolean", "minutes_played": "float64", "points": "int64", "points_line": "float64"}, "players": {"game_id": "text", "player_lookup": "text", "player_name": "text", "team_abbr": "text", "position": "text", "points_line": "float64", "predicted_points": "float64", "recommendation": "text", "confidence": "float64"}})
}

fn roster(player: &str, team: &str) -> Value {
    json!({
        "game_id": "g1", "player_lookup": player, "player_name": player.to_uppercase(), "team_abbr": team,
        "position": "PF", "points_line": 18.5, "predicted_points": 20.04, "recommendation": "OVER", "confidence": 0.655,
    })
}

fn game(
    player: &str,
    date: &str,
    opponent: &str,
    home: bool,
    points: i64,
    line: Option<f64>,
) -> Value {
    json!({"player_lookup": player, "game_date": date, "opponent_team_abbr": opponent, "home_game": home,
           "minutes_played": 30.0, "points": points, "points_line": line})
}

/// 30 teams allowing 100.0, 100.5, … points; BKN is 21st with 111.13, and MIA ties DEN.
fn defense() -> Vec<Value> {
    let teams = [
        "ATL", "BOS", "CHA", "CHI", "CLE", "DAL", "DEN", "DET", "GSW", "HOU", "IND", "LAC", "LAL",
        "MEM", "MIA", "MIL", "MIN", "NOP", "NYK", "OKC", "BKN", "ORL", "PHI", "PHX", "POR", "SAC",
        "SAS", "TOR", "UTA", "WAS",
    ];
    teams
        .iter()
        .enumerate()
        .map(|(i, team)| {
            let ppg = match *team {
                "BKN" => 111.13,
                "MIA" => 103.0, // ties DEN (i = 6): broken by the last 10 games
                _ if i < 20 => 100.0 + 0.5 * i as f64,
                _ => 112.0 + 0.5 * (i - 21) as f64,
            };
            let last_10 = if *team == "MIA" { 99.0 } else { 105.0 };
            json!({"team_abbr": team, "points_allowed_per_game": ppg, "points_allowed_last_10": last_10})
        })
        .collect()
}

fn run(players: Vec<Value>, history: Vec<Value>, defense: Vec<Value>) -> Output {
    let games = json!([{"game_id": "g1", "home_team_abbr": "BOS", "away_team_abbr": "BKN"}]);
    let tables = testing::tables_of(
        columns(),
        json!({ "games": games, "players": players, "history": history, "defense": defense }),
    );
    Harness::<TonightPlayers>::new("2024-01-10")
        .run(&tables)
        .expect("run succeeds")
}

fn factor<'a>(page: &'a Value, kind: &str) -> &'a Value {
    page["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["factor"] == kind)
        .unwrap()
}

#[test]
fn the_opponent_defense_factor_reads_as_on_the_site() {
    let out = run(vec![roster("ann", "BOS")], vec![], defense());
    let page = out.json("v1/tonight/player/ann.json");
    let defense = factor(&page, "opponent_defense");
    assert_eq!(defense["defense_rank"], 21);
    assert_eq!(defense["defense_tier"], "weak");
    assert_eq!(defense["ppg_allowed"], 111.13);
    assert_eq!(defense["direction"], "positive");
    assert_eq!(
        defense["description"],
        "vs BKN (weak defense, #21, allows 111.13 PPG)"
    );
}

#[test]
fn a_tie_in_defense_is_broken_by_the_last_ten_games() {
    let games = json!([{"game_id": "g1", "home_team_abbr": "MIA", "away_team_abbr": "DEN"}]);
    let players = json!([
        {"game_id": "g1", "player_lookup": "den", "player_name": "D", "team_abbr": "DEN", "position": "C"},
        {"game_id": "g1", "player_lookup": "mia", "player_name": "M", "team_abbr": "MIA", "position": "C"},
    ]);
    let tables = testing::tables_of(
        columns(),
        json!({ "games": games, "players": players, "history": [], "defense": defense() }),
    );
    let out = Harness::<TonightPlayers>::new("2024-01-10")
        .run(&tables)
        .unwrap();
    // MIA and DEN both allow 103.0; MIA allowed fewer over its last 10, so it ranks first.
    assert_eq!(
        factor(&out.json("v1/tonight/player/den.json"), "opponent_defense")["defense_rank"],
        7
    );
    assert_eq!(
        factor(&out.json("v1/tonight/player/mia.json"), "opponent_defense")["defense_rank"],
        8
    );
    assert_eq!(
        factor(&out.json("v1/tonight/player/den.json"), "opponent_defense")["defense_tier"],
        "good"
    );
}

#[test]
fn a_player_with_no_prior_games_has_neutral_factors_and_empty_splits() {
    let page = run(vec![roster("new", "BKN")], vec![], vec![]).json("v1/tonight/player/new.json");
    assert_eq!(page["player_lookup"], "new");
    assert_eq!(page["games_played"], 0);
    assert_eq!(page["limited_data"], true);
    assert_eq!(
        page["game"],
        json!({"game_id": "g1", "opponent": "BOS", "home_away": "AWAY"})
    );
    assert_eq!(
        factor(&page, "opponent_defense")["description"],
        "vs BOS (no defense data yet)"
    );
    assert_eq!(factor(&page, "rest")["rest_days"], Value::Null);
    assert_eq!(factor(&page, "recent_form")["direction"], "neutral");
    assert_eq!(
        page["splits"]["home"],
        json!({"games": 0, "average": null, "games_with_line": 0, "vs_line_pct": null})
    );
    assert_eq!(
        page["prediction"],
        json!({"predicted_points": 20.0, "recommendation": "OVER", "confidence": 0.66, "edge": 1.5})
    );
}

#[test]
fn exactly_ten_games_with_a_push_a_back_to_back_and_a_hot_streak() {
    // Ten games from Dec 27 to Jan 9, the last on Jan 9 (a back-to-back tonight).
    let dates = [
        "2023-12-27",
        "2023-12-29",
        "2023-12-30",
        "2024-01-01",
        "2024-01-02",
        "2024-01-04",
        "2024-01-05",
        "2024-01-06",
        "2024-01-08",
        "2024-01-09",
    ];
    let points = [10, 10, 10, 10, 10, 20, 20, 20, 20, 20];
    let history: Vec<Value> = dates
        .iter()
        .zip(points)
        .enumerate()
        .map(|(i, (date, points))| {
            let opponent = if i % 2 == 0 { "BKN" } else { "NYK" };
            let line = if i == 9 { Some(20.0) } else { Some(14.5) };
            game("hot", date, opponent, i % 2 == 0, points, line)
        })
        .collect();
    let page =
        run(vec![roster("hot", "BOS")], history, defense()).json("v1/tonight/player/hot.json");
    assert_eq!(page["games_played"], 10);
    assert_eq!(page["limited_data"], false);
    let rest = factor(&page, "rest");
    assert_eq!(
        (
            rest["rest_days"].clone(),
            rest["back_to_back"].clone(),
            rest["direction"].clone()
        ),
        (json!(0), json!(true), json!("negative"))
    );
    assert_eq!(rest["games_last_7_days"], 5);
    let form = factor(&page, "recent_form");
    assert_eq!(form["difference"], 5.0);
    assert_eq!(form["direction"], "positive");
    assert_eq!(
        form["description"],
        "averaging 20.0 over the last 5, 5.0 above the season's 15.0"
    );
    // vs BKN: games 0, 2, 4, 6, 8 → points 10, 10, 10, 20, 20 against 14.5: 2 of 5 over.
    assert_eq!(
        page["splits"]["vs_opponent"],
        json!({"games": 5, "average": 14.0, "games_with_line": 5, "vs_line_pct": 40.0})
    );
    // The last game pushed (20 on 20.0): with a line, but not over.
    assert_eq!(page["splits"]["away"]["vs_line_pct"], 40.0);
    assert_eq!(page["splits"]["rest"]["back_to_back"]["games"], 5);
}

#[test]
fn a_date_with_no_games_publishes_no_pages() {
    let tables = testing::tables_of(
        columns(),
        json!({ "games": [], "players": [], "history": [], "defense": [] }),
    );
    let out = Harness::<TonightPlayers>::new("2024-02-18")
        .run(&tables)
        .unwrap();
    assert!(out.documents.is_empty());
}
