//! Writing an exporter: `propcast new` scaffolds a crate that builds to Wasm, passes its native
//! test and its fixture case without edits, and runs in the unchanged host beside the others;
//! and `leaders`, an exporter written in Python (componentize-py), passes its golden fixtures
//! and publishes what an independent SQL computation finds, beside the Rust exporters.

use std::path::{Path, PathBuf};
use std::process::Command;

use propcast_e2e::{
    EXPORTERS, Env, Output, Schemas, built_by_xtask, plugin_folder, root, sample_db, target_dir,
};

/// A Cargo workspace of its own in `dir` whose `[workspace.dependencies]` give the repository's
/// `propcast-sdk`, with the repository's lock file so no dependency is resolved afresh.
fn workspace(dir: &Path) {
    let sdk = root().join("plugins/sdk");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"3\"\nmembers = [\n    \"tools\",\n]\n\n\
             [workspace.dependencies]\npropcast-sdk = {{ path = {:?} }}\n\
             serde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\n",
            sdk.to_str().unwrap()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(dir.join("tools/src")).unwrap();
    std::fs::write(
        dir.join("tools/Cargo.toml"),
        "[package]\nname = \"tools\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    )
    .unwrap();
    std::fs::write(dir.join("tools/src/lib.rs"), "").unwrap();
    std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
}

fn cargo(dir: &Path, args: &[&str]) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let status = Command::new(cargo)
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir().join("new-exporter"))
        .status()
        .unwrap();
    assert!(status.success(), "cargo {args:?} failed");
}

#[test]
fn a_new_exporter_builds_passes_its_tests_and_runs_unchanged() {
    let env = Env::new();
    let dir = env.path().join("workspace");
    std::fs::create_dir_all(&dir).unwrap();
    workspace(&dir);

    let out = env.run(&[
        "new",
        "top-scorers",
        "--dir",
        dir.join("plugins").to_str().unwrap(),
    ]);
    out.assert_success();
    assert!(
        out.stdout
            .contains("added `plugins/top-scorers` to the workspace's members")
    );
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(
        manifest.contains("members = [\n    \"tools\",\n    \"plugins/top-scorers\",\n]"),
        "{manifest}"
    );
    // Again: refused, nothing changed.
    let again = env.run(&[
        "new",
        "top-scorers",
        "--dir",
        dir.join("plugins").to_str().unwrap(),
    ]);
    assert_eq!(again.code, 2);
    assert!(
        again.stderr.contains("already exists; nothing was written"),
        "{}",
        again.stderr
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("Cargo.toml")).unwrap(),
        manifest
    );

    cargo(&dir, &["test", "--quiet", "-p", "top-scorers"]);
    cargo(
        &dir,
        &[
            "build",
            "--quiet",
            "--release",
            "--target",
            "wasm32-wasip2",
            "-p",
            "top-scorers",
        ],
    );
    let built = target_dir().join("new-exporter/wasm32-wasip2/release/top_scorers.wasm");

    // Its fixture case passes as written, found from inside its crate.
    let mut test = env.command();
    test.current_dir(dir.join("plugins/top-scorers"))
        .args(["test", built.to_str().unwrap()]);
    let tested = Output::from(test.output().unwrap());
    tested.assert_success();
    assert!(
        tested
            .stdout
            .contains("1 of 1 cases passed for `top-scorers`"),
        "{}",
        tested.stdout
    );

    // The unchanged host runs it beside the repository's exporters, with its option as a flag.
    let folder = plugin_folder(&EXPORTERS, &[]);
    std::fs::copy(&built, folder.path().join("top-scorers.wasm")).unwrap();
    let run = env.publish("2024-01-10", folder.path(), &["--min-points", "30"]);
    run.assert_success();
    let document = env.json("v1/top-scorers/2024-01-10.json");
    assert_eq!(document["min_points"], 30);
    let players = document["players"].as_array().unwrap();
    assert!(!players.is_empty());
    assert!(players.iter().all(|p| p["points"].as_i64().unwrap() >= 30));
    assert!(env.out().join("v1/streaks/2024-01-10.json").is_file());
}

/// The Python exporter as `cargo xtask plugins` builds it.
fn leaders() -> PathBuf {
    built_by_xtask(target_dir().join("polyglot/leaders.wasm"))
}

#[test]
fn the_python_exporter_passes_its_fixtures_and_is_described() {
    let leaders = leaders();
    let out = Env::new().run(&["test", leaders.to_str().unwrap()]);
    assert!(out.success(), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("4 of 4 cases passed for `leaders`"),
        "{}",
        out.stdout
    );
    let out = Env::new().run(&["describe", leaders.to_str().unwrap()]);
    assert!(out.success(), "{}\n{}", out.stdout, out.stderr);
    for line in [
        "  contract:  propcast:exporter@0.3.0 (this host accepts propcast:exporter@0.3.x)\n",
        "  exporter:  leaders 0.1.0\n",
        "  option:  --top <int64>  (default 10) How many players each list holds\n",
        "  query `games` (season to date by `game_date`):\n",
    ] {
        assert!(out.stdout.contains(line), "{line:?} not in\n{}", out.stdout);
    }
}

#[test]
fn the_python_exporter_runs_beside_the_rust_ones_and_agrees_with_sql() {
    let folder = plugin_folder(&EXPORTERS, &[]);
    std::fs::copy(leaders(), folder.path().join("leaders.wasm")).unwrap();
    let env = Env::new();
    let out = env.publish("2024-01-10", folder.path(), &["--min-lines", "4"]);
    out.assert_success();
    assert!(
        out.stdout.contains("8 of 8 exporters published"),
        "{}",
        out.stdout
    );
    let document = env.json("v1/leaders/2024-01-10.json");
    assert_eq!(document, env.json("v1/leaders/today.json"));
    Schemas::load()
        .check("v1/leaders/2024-01-10.json", &document)
        .unwrap();
    assert!(env.out().join("v1/streaks/2024-01-10.json").is_file());

    // The same lists, computed straight from the warehouse.
    let db = rusqlite::Connection::open(sample_db()).unwrap();
    let rows = |sql: &str| -> Vec<(String, i64, i64)> {
        let mut statement = db.prepare(sql).unwrap();
        statement
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let scorers = rows(
        "SELECT g.player_lookup, SUM(g.points) AS points, COUNT(*) AS games
         FROM player_game_summary AS g
         JOIN players AS p ON p.player_lookup = g.player_lookup AND p.season = g.season
         WHERE g.season = '2023-24' AND g.game_date >= '2024-01-03' AND g.game_date < '2024-01-10'
         GROUP BY g.player_lookup
         ORDER BY points DESC, games DESC, g.player_lookup
         LIMIT 10",
    );
    let published: Vec<(String, i64, i64)> = document["top_scorers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["player_lookup"].as_str().unwrap().to_string(),
                p["points"].as_i64().unwrap(),
                p["games"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(published, scorers);

    let mut overs = rows(
        "SELECT g.player_lookup,
                SUM(CASE WHEN g.points > l.points_line THEN 1 ELSE 0 END) AS overs,
                COUNT(*) AS lines
         FROM player_game_summary AS g
         JOIN players AS p ON p.player_lookup = g.player_lookup AND p.season = g.season
         JOIN points_prop_lines AS l ON l.game_id = g.game_id AND l.player_lookup = g.player_lookup
         WHERE g.season = '2023-24' AND g.game_date >= '2024-01-01' AND g.game_date < '2024-01-10'
         GROUP BY g.player_lookup
         HAVING COUNT(*) >= 4",
    );
    let pct = |overs: i64, lines: i64| ((100 * overs) as f64 / lines as f64 * 10.0).round() / 10.0;
    overs.sort_by(|a, b| {
        (b.1, pct(b.1, b.2))
            .partial_cmp(&(a.1, pct(a.1, a.2)))
            .unwrap()
            .then(a.0.cmp(&b.0))
    });
    overs.truncate(10);
    let published: Vec<(String, i64, i64)> = document["most_overs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            assert_eq!(
                p["over_pct"].as_f64().unwrap(),
                pct(
                    p["overs"].as_i64().unwrap(),
                    p["games_with_line"].as_i64().unwrap()
                )
            );
            (
                p["player_lookup"].as_str().unwrap().to_string(),
                p["overs"].as_i64().unwrap(),
                p["games_with_line"].as_i64().unwrap(),
            )
        })
        .collect();
    assert!(!published.is_empty());
    assert_eq!(published, overs);
}
