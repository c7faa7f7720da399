//! Every exporter end to end on the sample warehouse, for a date with games and one without,
//! and every published (and golden) document against its documented JSON Schema.

use std::collections::BTreeSet;

use propcast_e2e::{EXPORTERS, Env, Schemas, files_under, plugins_dir, root};
use serde_json::Value;

fn publish_all(env: &Env, date: &str) {
    let out = env.publish(date, &plugins_dir(), &["--min-games", "5"]);
    assert!(
        out.success(),
        "stdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
    for exporter in EXPORTERS {
        let row = out
            .stdout
            .lines()
            .find(|l| l.split_whitespace().next() == Some(exporter));
        let row = row.unwrap_or_else(|| panic!("no row for `{exporter}`:\n{}", out.stdout));
        assert!(row.split_whitespace().nth(1) == Some("ok"), "{row}");
    }
    assert!(
        out.stdout.contains("7 of 7 exporters published"),
        "{}",
        out.stdout
    );
}

/// Validates every published document; returns the schemas used.
fn validate_published(env: &Env) -> BTreeSet<String> {
    let schemas = Schemas::load();
    let mut used = BTreeSet::new();
    let mut problems = Vec::new();
    for (path, body) in env.published() {
        let document: Value = serde_json::from_slice(&body).unwrap();
        match schemas.check(&path, &document) {
            Ok(schema) => {
                used.insert(schema);
            }
            Err(problem) => problems.push(problem),
        }
    }
    assert!(
        problems.is_empty(),
        "{} documents break their schema:\n{}",
        problems.len(),
        problems.join("\n")
    );
    used
}

#[test]
fn all_exporters_publish_valid_documents_for_2024_01_10() {
    let env = Env::new();
    publish_all(&env, "2024-01-10");
    let used = validate_published(&env);
    assert_eq!(used.len(), 8, "every document type was published: {used:?}");

    // Everyone on tonight's list has a page, with the same games played.
    let tonight = env.json("v1/tonight/all-players.json");
    let players = tonight["players"].as_array().unwrap();
    assert!(players.len() > 100, "{} players", players.len());
    for player in players {
        let lookup = player["player_lookup"].as_str().unwrap();
        let page = env.json(&format!("v1/tonight/player/{lookup}.json"));
        assert_eq!(page["games_played"], player["games_played"]);
        assert_eq!(page["limited_data"], player["limited_data"]);
        assert_eq!(page["player_lookup"], lookup);
    }
    assert!(
        players.iter().any(|p| p["limited_data"] == true),
        "some players have under 10 games"
    );
    assert!(
        players.iter().any(|p| p["line"].is_null()),
        "some players have no line"
    );

    // Every indexed player has a profile with at least --min-games games.
    let index = env.json("v1/players/index.json");
    for entry in index["players"].as_array().unwrap() {
        assert!(entry["games_played"].as_u64().unwrap() >= 5);
        let profile = env.json(&format!(
            "v1/players/{}.json",
            entry["player_lookup"].as_str().unwrap()
        ));
        assert_eq!(
            profile["game_log"].as_array().unwrap().len() as u64,
            entry["games_played"].as_u64().unwrap()
        );
    }

    // Predictions, results and best bets agree on the date's picks.
    let predictions = env.json("v1/predictions/2024-01-10.json");
    let results = env.json("v1/results/2024-01-10.json");
    assert_eq!(
        predictions["summary"]["predictions"],
        results["summary"]["predictions"]
    );
    let best = env.json("v1/best-bets/2024-01-10.json");
    assert_eq!(best["picks"].as_array().unwrap().len(), 10);
    for alias in [
        "v1/predictions/today.json",
        "v1/results/latest.json",
        "v1/best-bets/today.json",
        "v1/streaks/today.json",
    ] {
        let dated = alias
            .replace("today", "2024-01-10")
            .replace("latest", "2024-01-10");
        assert_eq!(env.json(alias), env.json(&dated), "{alias}");
    }
}

#[test]
fn a_date_without_games_publishes_valid_empty_documents() {
    // 2024-02-18 is in the All-Star break.
    let env = Env::new();
    publish_all(&env, "2024-02-18");
    validate_published(&env);
    assert_eq!(
        env.json("v1/tonight/all-players.json")["players"],
        Value::Array(vec![])
    );
    assert_eq!(
        env.json("v1/predictions/2024-02-18.json")["predictions"],
        Value::Array(vec![])
    );
    assert_eq!(
        env.json("v1/results/2024-02-18.json")["games"],
        Value::Array(vec![])
    );
    assert_eq!(
        env.json("v1/best-bets/2024-02-18.json")["picks"],
        Value::Array(vec![])
    );
    assert!(
        !env.out().join("v1/tonight/player").exists(),
        "no player pages without games"
    );
}

#[test]
fn golden_documents_match_their_schemas_too() {
    let schemas = Schemas::load();
    let mut checked = 0;
    let mut problems = Vec::new();
    for plugin in std::fs::read_dir(root().join("plugins")).unwrap() {
        let Ok(cases) = std::fs::read_dir(plugin.unwrap().path().join("fixtures")) else {
            continue;
        };
        for case in cases {
            for (relative, body) in files_under(&case.unwrap().path().join("expected")) {
                let document: Value = serde_json::from_slice(&body).unwrap();
                if let Err(problem) = schemas.check(&relative, &document) {
                    problems.push(problem);
                }
                checked += 1;
            }
        }
    }
    assert!(checked > 15, "only {checked} golden documents");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_schemas_reject_documents_that_drift() {
    let schemas = Schemas::load();
    let env = Env::new();
    let out = env.publish(
        "2024-01-10",
        &plugins_dir(),
        &["--only", "tonight-players,streaks"],
    );
    assert!(out.success(), "{}", out.stderr);
    let mut streaks = env.json("v1/streaks/2024-01-10.json");
    assert!(
        schemas
            .check("v1/streaks/2024-01-10.json", &streaks)
            .is_ok()
    );
    streaks["surprise"] = Value::from(1);
    assert!(
        schemas
            .check("v1/streaks/2024-01-10.json", &streaks)
            .unwrap_err()
            .contains("surprise")
    );

    let path = std::fs::read_dir(env.out().join("v1/tonight/player"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let relative = format!(
        "v1/tonight/player/{}",
        path.file_name().unwrap().to_string_lossy()
    );
    let mut page: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    page["factors"][0]["description"] = Value::from("vs BKN (weak defense, 21st)");
    assert!(
        schemas.check(&relative, &page).is_err(),
        "the description's form is part of the contract"
    );
    assert!(
        schemas
            .check("v1/nowhere/x.json", &page)
            .unwrap_err()
            .contains("no schema covers")
    );
}
