//! Operations: the scheduled jobs of the project's `propcast.toml` (`propcast jobs`, `run --job
//! --at`, `--date today|yesterday` in the configured zone), the freshness guards (a date the
//! warehouse does not cover exits 3 and publishes nothing; a real off day publishes empty
//! documents; `--allow-empty` overrides), and a config file read with unknown keys refused.

use std::path::{Path, PathBuf};

use propcast_e2e::{Env, Output, files_under, plugins_dir, root, sample_db};

fn config() -> PathBuf {
    root().join("propcast.toml")
}

/// `propcast ARGS` on the warehouse `db` with the project's config, publishing to `out/`.
fn run(env: &Env, db: &Path, args: &[&str]) -> Output {
    let config = config();
    let mut all = args.to_vec();
    all.extend(["--config", config.to_str().unwrap()]);
    run_here(env, db, &all)
}

/// `propcast ARGS` on the warehouse `db`, with the config file of the test's folder if any,
/// publishing to `out/`.
fn run_here(env: &Env, db: &Path, args: &[&str]) -> Output {
    let all = args_here(db, args);
    env.run(&all.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `ARGS` and the warehouse `db`, the built plugins and `out/`, as [`run_here`] runs them.
fn args_here(db: &Path, args: &[&str]) -> Vec<String> {
    let plugins = plugins_dir();
    let tail = [
        "--db",
        db.to_str().unwrap(),
        "--plugins",
        plugins.to_str().unwrap(),
    ];
    (args.iter().chain(&tail).chain(&["--out", "out"]))
        .map(|a| a.to_string())
        .collect()
}

/// A copy of the sample warehouse changed by `sql`.
fn warehouse_with(env: &Env, sql: &str) -> PathBuf {
    let path = env.path().join("changed.sqlite");
    std::fs::copy(sample_db(), &path).unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(sql)
        .unwrap();
    path
}

#[test]
fn jobs_lists_the_three_jobs_with_their_next_runs_in_new_york_and_utc() {
    let env = Env::new();
    let config = config();
    let out = env.run(&[
        "jobs",
        "--config",
        config.to_str().unwrap(),
        "--at",
        "2024-03-08T12:00:00Z",
    ]);
    out.assert_success();
    for line in [
        "times in America/New_York and UTC, after 2024-03-08T12:00:00Z",
        "daily-results  `0 5 * * *`, publishes yesterday: results, predictions, best-bets",
        // Across the spring-forward Sunday, 05:00 stays 05:00 in New York.
        "  next: Sat 2024-03-09 05:00 EST (10:00 UTC)  publishes 2024-03-08",
        "  next: Sun 2024-03-10 05:00 EDT (09:00 UTC)  publishes 2024-03-09",
        "tonight-picks  `0 13 * * *`, publishes today: tonight, tonight-players, streaks",
        "  next: Fri 2024-03-08 13:00 EST (18:00 UTC)  publishes 2024-03-08",
        "player-profiles  `0 6 * * SUN`, publishes today: player-profiles",
        "  options: min-games=5",
        "  next: Sun 2024-03-10 06:00 EDT (10:00 UTC)  publishes 2024-03-10",
        "  next: Sun 2024-03-17 06:00 EDT (10:00 UTC)  publishes 2024-03-17",
    ] {
        assert!(out.stdout.contains(line), "no `{line}` in:\n{}", out.stdout);
    }
    // Without a config file there are no jobs, and the message says where they come from.
    let none = env.run(&["jobs"]);
    none.assert_success();
    assert!(
        none.stdout
            .starts_with("no jobs: built-in defaults declares none"),
        "{}",
        none.stdout
    );
}

#[test]
fn a_job_runs_its_exporters_for_the_date_its_trigger_time_means() {
    let env = Env::new();
    // 05:00 EST on 2024-01-11: the daily results job publishes 2024-01-10.
    let out = run(
        &env,
        sample_db(),
        &[
            "run",
            "--job",
            "daily-results",
            "--at",
            "2024-01-11T10:00:00Z",
        ],
    );
    out.assert_success();
    let published: Vec<String> = files_under(&env.out()).into_keys().collect();
    for path in [
        "v1/results/2024-01-10.json",
        "v1/predictions/2024-01-10.json",
        "v1/best-bets/2024-01-10.json",
    ] {
        assert!(
            published.iter().any(|p| p == path),
            "no {path} in {published:?}"
        );
    }
    assert!(
        !published.iter().any(|p| p.starts_with("v1/tonight")),
        "{published:?}"
    );
    // The run's timestamp is the trigger time.
    let results = env.json("v1/results/2024-01-10.json");
    assert_eq!(results["generated_at"], "2024-01-11T10:00:00Z", "{results}");
}

#[test]
fn today_and_yesterday_are_read_in_the_configured_zone() {
    let env = Env::new();
    // 23:30 in New York on 2024-01-10 is already the 11th in UTC.
    let out = run(
        &env,
        sample_db(),
        &[
            "run",
            "--date",
            "today",
            "--at",
            "2024-01-11T04:30:00Z",
            "--only",
            "predictions",
        ],
    );
    out.assert_success();
    assert!(env.out().join("v1/predictions/2024-01-10.json").is_file());
    // The same instant is already the 11th in Tokyo, so a file naming that zone publishes the
    // 11th for `today` and the 10th for `yesterday`: the zone comes from the file.
    for (day, published) in [("today", "2024-01-11"), ("yesterday", "2024-01-10")] {
        let tokyo = Env::new();
        std::fs::write(
            tokyo.path().join("propcast.toml"),
            "time-zone = \"Asia/Tokyo\"\n",
        )
        .unwrap();
        run_here(
            &tokyo,
            sample_db(),
            &[
                "run",
                "--date",
                day,
                "--at",
                "2024-01-11T04:30:00Z",
                "--only",
                "predictions",
            ],
        )
        .assert_success();
        let files: Vec<String> = files_under(&tokyo.out().join("v1/predictions"))
            .into_keys()
            .collect();
        assert!(
            files.contains(&format!("{published}.json")),
            "{day}: {files:?}"
        );
    }
    let bad = run(&env, sample_db(), &["run", "--date", "tomorrow"]);
    bad.assert_fails(
        2,
        &["`tomorrow` is not a date of the form YYYY-MM-DD, `today` or `yesterday`"],
    );
}

#[test]
fn a_job_must_exist_and_takes_its_own_exporters() {
    let env = Env::new();
    run(&env, sample_db(), &["run", "--job", "nightly"]).assert_fails(
        2,
        &["there is no job `nightly`; the config file declares: daily-results, player-profiles, tonight-picks"],
    );
    let out = run(
        &env,
        sample_db(),
        &["run", "--job", "daily-results", "--only", "streaks"],
    );
    out.assert_fails(2, &["--only"]);
    assert!(!env.out().exists());
}

#[test]
fn a_date_past_the_warehouse_exits_3_and_publishes_nothing() {
    let env = Env::new();
    let out = run(&env, sample_db(), &["run", "--date", "2024-07-15"]);
    out.assert_fails(
        3,
        &[
            "the warehouse is not ready for 2024-07-15, so nothing was published",
            "2024-07-15 is past the warehouse's schedule: nothing is scheduled on or after 2024-07-15",
            "--allow-empty",
        ],
    );
    assert!(files_under(&env.out()).is_empty());
    // The operator who means it can publish the empty documents.
    let forced = run(
        &env,
        sample_db(),
        &[
            "run",
            "--date",
            "2024-07-15",
            "--allow-empty",
            "--only",
            "tonight",
        ],
    );
    forced.assert_success();
    assert_eq!(
        env.json("v1/tonight/all-players.json")["games"],
        serde_json::json!([])
    );
}

#[test]
fn results_wait_for_final_scores_and_tonight_for_lines() {
    let env = Env::new();
    let db = warehouse_with(
        &env,
        // The pipeline has loaded up to 2024-01-09; the schedule is known to the season's end.
        "UPDATE schedule SET game_status = 'scheduled', home_score = NULL, away_score = NULL
             WHERE game_date >= '2024-01-10';
         DELETE FROM points_prop_lines WHERE game_date >= '2024-01-10';",
    );
    let before = files_under(&env.out());
    run(
        &env,
        &db,
        &[
            "run",
            "--job",
            "daily-results",
            "--at",
            "2024-01-11T10:00:00Z",
        ],
    )
    .assert_fails(
        3,
        &["games on 2024-01-10 are not final yet (the latest final game is on 2024-01-09)"],
    );
    run(
        &env,
        &db,
        &[
            "run",
            "--job",
            "tonight-picks",
            "--at",
            "2024-01-10T18:00:00Z",
        ],
    )
    .assert_fails(
        3,
        &["no points lines for 2024-01-10 yet (lines are loaded up to 2024-01-09)"],
    );
    assert_eq!(files_under(&env.out()), before);
    // Streaks need neither: the guard is per exporter.
    run(
        &env,
        &db,
        &["run", "--date", "2024-01-10", "--only", "streaks"],
    )
    .assert_success();
}

#[test]
fn an_off_day_inside_the_season_publishes_empty_documents() {
    let env = Env::new();
    // The All-Star break: no games scheduled, inside the schedule.
    let out = run(
        &env,
        sample_db(),
        &[
            "run",
            "--job",
            "tonight-picks",
            "--at",
            "2024-02-16T18:00:00Z",
        ],
    );
    out.assert_success();
    assert_eq!(
        env.json("v1/tonight/all-players.json")["games"],
        serde_json::json!([])
    );
}

#[test]
fn the_config_file_refuses_what_it_does_not_know() {
    let env = Env::new();
    let write = |text: &str| {
        std::fs::write(env.path().join("propcast.toml"), text).unwrap();
    };
    write(
        "[jobs.nightly]\nschedule = \"0 5 * * *\"\ndate = \"yesterday\"\nexporter = [\"results\"]\n",
    );
    env.run(&["jobs"])
        .assert_fails(2, &["unknown field `exporter`", "`exporters`"]);
    write(
        "[jobs.nightly]\nschedule = \"5 * * *\"\ndate = \"yesterday\"\nexporters = [\"results\"]\n",
    );
    env.run(&["jobs"]).assert_fails(
        2,
        &["[jobs.nightly]", "is not a five-field cron expression"],
    );
    write("time-zone = \"Eastern\"\n");
    env.run(&["jobs"])
        .assert_fails(2, &["`time-zone = \"Eastern\"` is not a time zone"]);
    write("[options.player-profiles]\nmin-gamez = 5\n");
    let out = run_here(
        &env,
        sample_db(),
        &["run", "--date", "2024-01-10", "--only", "player-profiles"],
    );
    out.assert_fails(
        2,
        &["`[options.player-profiles]` in the config file sets `min-gamez`, which exporter `player-profiles` does not declare"],
    );
}

#[test]
fn a_run_can_wait_for_its_data() {
    let env = Env::new();
    let not_final =
        "UPDATE schedule SET game_status = 'scheduled', home_score = NULL, away_score = NULL
         WHERE game_date >= '2024-01-10';";
    let db = warehouse_with(&env, not_final);
    let at = ["--at", "2024-01-11T10:00:00Z"];
    // Giving up after the wait: exit 3, nothing published, and it says how long it waited.
    let mut args = vec!["run", "--job", "daily-results", "--wait-for-data", "1s"];
    args.extend(at);
    run(&env, &db, &args).assert_fails(3, &["waited 1s for the data", "are not final yet"]);
    assert!(files_under(&env.out()).is_empty());

    // The scores arrive while it waits: it publishes.
    let config = config();
    let mut args = vec!["run", "--job", "daily-results", "--wait-for-data", "30s"];
    args.extend(at);
    args.extend(["--config", config.to_str().unwrap()]);
    let mut waiting = env
        .command()
        .args(args_here(&db, &args))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once it has found the data missing and said it waits, the scores arrive.
    let mut stderr = std::io::BufReader::new(waiting.stderr.take().unwrap());
    let mut said = String::new();
    while !said.contains("checking again") {
        let mut line = String::new();
        assert!(
            std::io::BufRead::read_line(&mut stderr, &mut line).unwrap() > 0,
            "it ended without waiting: {said}"
        );
        said.push_str(&line);
    }
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "UPDATE schedule SET game_status = 'final', home_score = 100, away_score = 99
                 WHERE game_date = '2024-01-10';",
        )
        .unwrap();
    std::io::Read::read_to_string(&mut stderr, &mut said).unwrap();
    let done = waiting.wait_with_output().unwrap();
    assert!(done.status.success(), "{said}");
    assert!(env.out().join("v1/results/2024-01-10.json").is_file());
}

#[test]
fn the_config_file_names_the_warehouse_and_the_destination_relative_to_itself() {
    let env = Env::new();
    let site = env.path().join("site");
    std::fs::create_dir_all(site.join("data")).unwrap();
    std::fs::copy(sample_db(), site.join("data/w.sqlite")).unwrap();
    let config = site.join("propcast.toml");
    std::fs::write(
        &config,
        "[source]\nkind = \"sqlite\"\ndb = \"data/w.sqlite\"\n[publish]\nout = \"api\"\n",
    )
    .unwrap();
    let plugins = plugins_dir();
    let (config, plugins) = (config.to_str().unwrap(), plugins.to_str().unwrap());
    let args = [
        "run",
        "--date",
        "2024-01-10",
        "--only",
        "streaks",
        "--plugins",
        plugins,
        "--config",
        config,
    ];
    env.run(&args).assert_success();
    assert!(
        files_under(&site.join("api")).contains_key("v1/streaks/2024-01-10.json"),
        "published where the file says, beside it"
    );
    // A flag, or its PROPCAST_* variable, wins over the file.
    let elsewhere = env.run_with(&[("PROPCAST_OUT", "flagged")], &args);
    elsewhere.assert_success();
    assert!(
        env.path()
            .join("flagged/v1/streaks/2024-01-10.json")
            .is_file()
    );
    let missing = env.run(&[&args[..], &["--db", "nowhere.sqlite"]].concat());
    missing.assert_fails(2, &["nowhere.sqlite"]);
}

#[test]
fn report_json_gives_each_date_and_exporter_with_its_numbers_and_error() {
    let env = Env::new();
    // The results page of one date is blocked by a folder in its place.
    std::fs::create_dir_all(env.out().join("v1/results/2024-01-09.json")).unwrap();
    let out = env.backfill(
        "2024-01-08",
        "2024-01-10",
        &plugins_dir(),
        &["--only", "streaks,results", "--report", "json"],
    );
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).expect("one JSON object");
    assert_eq!(report["published"], 2);
    assert_eq!(report["failed"], serde_json::json!(["2024-01-09"]));
    let dates = report["dates"].as_array().unwrap();
    assert_eq!(dates.len(), 3);
    let failed = &dates[1]["exporters"][1];
    assert_eq!(failed["name"], "results");
    assert_eq!(failed["status"], "publish failed");
    assert!(
        failed["error"]
            .as_str()
            .unwrap()
            .contains("v1/results/2024-01-09.json"),
        "{failed}"
    );
    let streaks = &dates[0]["exporters"][0];
    assert_eq!(streaks["status"], "ok");
    assert!(streaks["documents"].as_u64().unwrap() >= 1);
    assert!(streaks["instructions"].as_u64().unwrap() > 0);
    assert!(streaks["memory_bytes"].as_u64().unwrap() > 0);
    assert!(
        dates[0]["run_manifest"]
            .as_str()
            .unwrap()
            .starts_with("runs/2024-01-08/")
    );
}

#[test]
fn json_logs_are_one_object_a_line_with_a_severity() {
    let env = Env::new();
    let (db, plugins) = (sample_db(), plugins_dir());
    let logs = |date: &str| {
        let args = [
            "run",
            "--date",
            date,
            "--only",
            "streaks",
            "--db",
            db.to_str().unwrap(),
            "--plugins",
            plugins.to_str().unwrap(),
            "-v",
        ];
        let out = env.run_with(&[("PROPCAST_LOG_FORMAT", "json")], &args);
        let lines: Vec<serde_json::Value> = (out.stderr.lines())
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect();
        (out.code, lines)
    };
    let (code, lines) = logs("2024-01-10");
    assert_eq!(code, 0);
    let done = lines
        .iter()
        .find(|l| l["message"] == "exporter done")
        .expect("-v logs each exporter's part");
    assert_eq!(done["severity"], "INFO");
    assert_eq!(done["exporter"], "streaks");
    assert_eq!(done["date"], "2024-01-10");
    assert_eq!(done["documents"], 2);
    let (code, lines) = logs("2030-01-10");
    assert_eq!(code, 3);
    let last = lines.last().unwrap();
    assert_eq!(last["severity"], "ERROR");
    assert!(
        last["message"]
            .as_str()
            .unwrap()
            .contains("the warehouse is not ready for 2030-01-10"),
        "{last}"
    );
}

#[test]
fn quiet_prints_no_report_and_logs_only_errors_and_debug_logs_each_query() {
    let env = Env::new();
    let db = sample_db();
    let quiet = run_here(
        &env,
        db,
        &["run", "--date", "2024-01-10", "--only", "streaks", "-q"],
    );
    quiet.assert_success();
    assert_eq!((quiet.stdout.as_str(), quiet.stderr.as_str()), ("", ""));
    let debug = env.run_with(
        &[("PROPCAST_LOG", "debug")],
        &[
            "run",
            "--date",
            "2024-01-10",
            "--only",
            "streaks",
            "--db",
            db.to_str().unwrap(),
            "--plugins",
            plugins_dir().to_str().unwrap(),
        ],
    );
    debug.assert_success();
    assert!(
        debug
            .stderr
            .contains("propcast: debug: query done exporter=streaks query=games"),
        "{}",
        debug.stderr
    );
    let bad = env.run_with(&[("PROPCAST_LOG", "propcast=loud")], &["jobs"]);
    bad.assert_fails(2, &["PROPCAST_LOG=`propcast=loud` is not a log filter"]);
}

#[test]
fn two_runs_never_publish_to_one_folder_at_once() {
    let env = Env::new();
    let db = sample_db();
    std::fs::create_dir_all(env.out()).unwrap();
    // Another run holds the folder.
    let held = std::fs::File::open(env.out()).unwrap();
    held.lock().unwrap();
    let args = ["run", "--date", "2024-01-10", "--only", "streaks"];
    run_here(&env, db, &args).assert_fails(
        2,
        &["another propcast run is publishing to `out` (it holds the folder's lock)"],
    );
    assert!(!env.out().join("v1").exists(), "nothing ran");

    // With --wait-lock it waits, says so, and publishes once the other run is done.
    let mut waiting = env
        .command()
        .args(args_here(db, &[&args[..], &["--wait-lock"]].concat()))
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(waiting.stderr.take().unwrap());
    let mut line = String::new();
    std::io::BufRead::read_line(&mut stderr, &mut line).unwrap();
    assert!(line.contains("waiting for it to finish"), "{line}");
    drop(held);
    assert!(waiting.wait().unwrap().success());
    assert!(env.out().join("v1/streaks/2024-01-10.json").is_file());
}

#[test]
fn an_exporter_s_warning_reaches_stderr_when_its_run_succeeds() {
    let env = Env::new();
    // A prediction for a player no roster of the season knows.
    let db = warehouse_with(
        &env,
        "CREATE TEMP TABLE extra AS SELECT * FROM player_prop_predictions \
         WHERE game_date = '2024-01-10' LIMIT 1; \
         UPDATE extra SET player_lookup = 'nobodyknows'; \
         INSERT INTO player_prop_predictions SELECT * FROM extra;",
    );
    let out = run_here(
        &env,
        &db,
        &["run", "--date", "2024-01-10", "--only", "predictions"],
    );
    out.assert_success();
    let warning = out
        .stderr
        .lines()
        .find(|l| l.contains("`nobodyknows` has a prediction but no roster entry this season"))
        .unwrap_or_else(|| panic!("no warning on stderr:\n{}", out.stderr));
    assert!(
        warning.starts_with("propcast: warning: exporter `predictions` on 2024-01-10: "),
        "{warning}"
    );
}
