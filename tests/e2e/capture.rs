//! `propcast capture`: a date's tables saved as a fixture case replay, with `propcast test` and
//! `propcast bench --case`, to the documents `propcast run` publishes for that date; options and
//! an exporter's failure are recorded; an existing case is never replaced, and a capture that
//! cannot complete leaves nothing behind.

use std::path::Path;

use propcast_e2e::{EXPORTERS, Env, files_under, plugins_dir, sample_db, test_plugin};

const DATE: &str = "2024-01-10";
fn capture(env: &Env, plugins: &Path, extra: &[&str]) -> propcast_e2e::Output {
    let mut args = vec![
        "capture",
        "--date",
        DATE,
        "--db",
        sample_db().to_str().unwrap(),
        "--plugins",
        plugins.to_str().unwrap(),
        "--generated-at",
        "2024-01-10T12:00:00Z",
    ];
    args.extend_from_slice(extra);
    env.run(&args)
}

/// Parsed JSON by relative path.
fn json_files(root: &Path) -> Vec<(String, serde_json::Value)> {
    files_under(root)
        .into_iter()
        .map(|(path, body)| (path, serde_json::from_slice(&body).unwrap()))
        .collect()
}

#[test]
fn a_captured_date_replays_to_what_run_publishes() {
    let plugins = plugins_dir();
    for name in EXPORTERS {
        let env = Env::new();
        env.publish(DATE, &plugins, &["--only", name])
            .assert_success();
        let fixtures = format!("fixtures/{name}");
        let out = capture(&env, &plugins, &["--only", name, "--to", &fixtures]);
        out.assert_success();
        assert!(
            out.stdout
                .contains(&format!("replay it with `propcast test {name}")),
            "{}",
            out.stdout
        );
        let case = env.path().join(&fixtures).join(DATE);
        let case_file: serde_json::Value =
            serde_json::from_slice(&std::fs::read(case.join("case.json")).unwrap()).unwrap();
        assert_eq!(case_file["date"], DATE);
        assert!(case.join("tables").is_dir());

        // What the case expects is what `run` published for the date, document for document.
        let published: Vec<(String, serde_json::Value)> = env
            .published()
            .into_iter()
            .map(|(path, body)| (path, serde_json::from_slice(&body).unwrap()))
            .collect();
        assert!(!published.is_empty(), "{name}");
        assert_eq!(json_files(&case.join("expected")), published, "{name}");

        // `propcast test` replays it from the files alone.
        let test = env.run(&[
            "test",
            name,
            "--fixtures",
            &fixtures,
            "--plugins",
            plugins.to_str().unwrap(),
        ]);
        test.assert_success();
        assert!(
            test.stdout.contains("1 of 1 cases passed"),
            "{}",
            test.stdout
        );
    }
}

#[test]
fn bench_on_a_case_writes_the_documents_the_case_expects() {
    let env = Env::new();
    let plugins = plugins_dir();
    capture(&env, &plugins, &["--only", "streaks", "--to", "fixtures"]).assert_success();
    let out = env.run(&[
        "bench",
        "streaks",
        "--case",
        &format!("fixtures/{DATE}"),
        "--runs",
        "1",
        "--json",
        "--documents",
        "produced",
        "--plugins",
        plugins.to_str().unwrap(),
    ]);
    out.assert_success();
    let result: serde_json::Value = serde_json::from_str(out.stdout.trim()).unwrap();
    assert_eq!(result["exporter"], "streaks");
    assert_eq!(result["date"], DATE);
    assert!(
        result["component_median_ms"]["fuel_and_epoch"]
            .as_f64()
            .unwrap()
            > 0.0
    );
    assert!(result["rows_in"].as_u64().unwrap() > 0);
    let produced = json_files(&env.path().join("produced"));
    assert_eq!(produced.len() as u64, result["documents"].as_u64().unwrap());
    assert_eq!(
        produced,
        json_files(&env.path().join("fixtures").join(DATE).join("expected"))
    );
}

#[test]
fn options_and_case_names_are_recorded_and_a_case_is_never_replaced() {
    let env = Env::new();
    let plugins = plugins_dir();
    let args = [
        "--only",
        "streaks",
        "--to",
        "fixtures",
        "--case",
        "long-runs",
        "--param",
        "min-length=6",
    ];
    capture(&env, &plugins, &args).assert_success();
    let case = env.path().join("fixtures/long-runs");
    let case_file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(case.join("case.json")).unwrap()).unwrap();
    assert_eq!(case_file["params"]["min-length"], "6");
    let expected = json_files(&case.join("expected"));
    let streaks = &expected
        .iter()
        .find(|(p, _)| p.ends_with(&format!("{DATE}.json")))
        .unwrap()
        .1;
    assert_eq!(streaks["min_length"], 6, "{streaks}");

    let before = files_under(&env.path().join("fixtures"));
    capture(&env, &plugins, &args).assert_fails(
        2,
        &[
            "fixtures/long-runs` already exists",
            "choose another `--case NAME`",
        ],
    );
    capture(
        &env,
        &plugins,
        &["--only", "streaks", "--to", "fixtures", "--case", "../x"],
    )
    .assert_fails(2, &["`../x` is not a case name"]);
    capture(
        &env,
        &plugins,
        &[
            "--only",
            "streaks",
            "--to",
            "fixtures",
            "--param",
            "min-lenght=6",
        ],
    )
    .assert_fails(
        2,
        &["`--param` sets `min-lenght`, but exporter `streaks` has no such option"],
    );
    assert_eq!(files_under(&env.path().join("fixtures")), before);
}

#[test]
fn an_exporter_that_fails_on_the_date_is_captured_with_its_error() {
    let env = Env::new();
    let probe = test_plugin("probe");
    let out = capture(
        &env,
        probe.parent().unwrap(),
        &[
            "--only",
            "probe",
            "--to",
            "fixtures",
            "--param",
            &format!("fail-on={DATE}"),
        ],
    );
    out.assert_success();
    assert!(
        out.stdout.contains("the case expects that error"),
        "{}",
        out.stdout
    );
    let err = std::fs::read_to_string(env.path().join("fixtures").join(DATE).join("expected.err"))
        .unwrap();
    assert!(
        err.contains(&format!("probe was asked to fail on {DATE}")),
        "{err}"
    );
    let test = env.run(&[
        "test",
        "probe",
        "--fixtures",
        "fixtures",
        "--plugins",
        probe.parent().unwrap().to_str().unwrap(),
    ]);
    test.assert_success();
    assert!(
        test.stdout.contains("1 of 1 cases passed"),
        "{}",
        test.stdout
    );
}

#[test]
fn test_profile_writes_a_firefox_profile_with_samples() {
    let plugins = plugins_dir();
    let env = Env::new();
    capture(
        &env,
        &plugins,
        &["--only", "player-profiles", "--to", "fixtures"],
    )
    .assert_success();
    let out = env.run(&[
        "test",
        "player-profiles",
        "--plugins",
        plugins.to_str().unwrap(),
        "--fixtures",
        "fixtures",
        "--profile",
        "profiles",
    ]);
    out.assert_success();
    let profile: serde_json::Value = serde_json::from_slice(
        &std::fs::read(env.path().join("profiles").join(format!("{DATE}.json"))).unwrap(),
    )
    .expect("the profile is JSON");
    let thread = &profile["threads"][0];
    assert_eq!(thread["name"], "player-profiles");
    let samples = thread["samples"]["length"].as_u64().unwrap();
    assert!(samples > 0, "no samples in {profile:#}");

    // `run --profile` writes one profile per exporter and date.
    env.publish(
        DATE,
        &plugins,
        &["--only", "streaks,results", "--profile", "run-profiles"],
    )
    .assert_success();
    for name in ["streaks", "results"] {
        let path = env.path().join(format!("run-profiles/{DATE}/{name}.json"));
        let profile: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert_eq!(profile["threads"][0]["name"], name);
    }
}

#[test]
fn a_profiled_run_still_ends_at_its_deadline() {
    let env = Env::new();
    let case = env.path().join("cases/loop");
    std::fs::create_dir_all(case.join("tables")).unwrap();
    std::fs::write(
        case.join("case.json"),
        r#"{"date": "2024-01-10", "params": {"mode": "loop"}}"#,
    )
    .unwrap();
    std::fs::write(
        case.join("tables/games.json"),
        r#"{"columns": {"game_id": "text"}, "rows": []}"#,
    )
    .unwrap();
    let hostile = test_plugin("hostile");
    let out = env.run(&[
        "test",
        hostile.to_str().unwrap(),
        "--fixtures",
        "cases",
        "--profile",
        "profiles",
        "--limit",
        "deadline=500ms",
    ]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr
            .contains("it went past its time limit of 0.5s: it was still running after"),
        "{}",
        out.stderr
    );
    let profile: serde_json::Value =
        serde_json::from_slice(&std::fs::read(env.path().join("profiles/loop.json")).unwrap())
            .unwrap();
    assert!(profile["threads"][0]["samples"]["length"].as_u64().unwrap() > 0);
}
