//! `propcast backfill`: many dates in one process publish exactly what one `propcast run` per
//! date publishes, whatever `--jobs` is; each exporter's dates go out in order; a failure on one
//! date is that date's alone; and what a user can get wrong is refused before anything runs.

use std::io::BufRead as _;
use std::process::Stdio;

use propcast_e2e::{
    Env, Output, cap_address_space, documents_under, files_under, plugin_folder, plugins_dir,
    sample_args, test_plugin,
};

/// The sample season starts on 2023-10-24; these dates cross its first game day.
const FIRST_GAME_DAY: &str = "2023-10-24";

fn backfill(env: &Env, from: &str, to: &str, extra: &[&str]) -> Output {
    env.backfill(from, to, &plugins_dir(), extra)
}

/// The dates with a run manifest under `out/runs/` (beside `runs/sets/`).
fn dates_with_manifests(env: &Env) -> Vec<String> {
    let mut dates: Vec<String> = std::fs::read_dir(env.out().join("runs"))
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|name| name.starts_with(|c: char| c.is_ascii_digit()))
                .collect()
        })
        .unwrap_or_default();
    dates.sort();
    dates
}

/// Exporter `name`'s entry in the run manifest of `date`.
fn manifest_entry(env: &Env, date: &str, name: &str) -> serde_json::Value {
    let manifests = env.run_manifests(date);
    assert_eq!(manifests.len(), 1, "{date}");
    manifests[0]["exporters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("no `{name}` in the manifest of {date}"))
        .clone()
}

/// The outcome of `path` in exporter `name`'s entry of the run manifest of `date`.
fn outcome(env: &Env, date: &str, name: &str, path: &str) -> String {
    let entry = manifest_entry(env, date, name);
    let found: Vec<&serde_json::Value> = entry["documents"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["path"] == path)
        .collect();
    assert_eq!(found.len(), 1, "{path} on {date}");
    found[0]["outcome"].as_str().unwrap().to_string()
}

#[test]
fn a_backfill_publishes_what_one_run_per_date_publishes_whatever_the_jobs() {
    let dates = [
        "2024-01-08",
        "2024-01-09",
        "2024-01-10",
        "2024-01-11",
        "2024-01-12",
    ];
    let one_by_one = Env::new();
    for date in dates {
        one_by_one
            .publish(date, &plugins_dir(), &["--jobs", "1"])
            .assert_success();
    }
    let expected = one_by_one.published();
    assert!(expected.len() > 500, "{} documents", expected.len());

    for jobs in ["1", "2", "3"] {
        let env = Env::new();
        let out = backfill(&env, dates[0], dates[4], &["--jobs", jobs]);
        out.assert_success();
        assert_eq!(
            out.stdout
                .lines()
                .filter(|l| l.contains("  ok  7 of 7 exporters"))
                .count(),
            5,
            "{}",
            out.stdout
        );
        assert!(
            out.stdout.contains("5 of 5 dates published in"),
            "{}",
            out.stdout
        );
        let published = env.published();
        let differing: Vec<&String> = expected
            .keys()
            .chain(published.keys())
            .filter(|path| expected.get(*path) != published.get(*path))
            .collect();
        assert!(
            differing.is_empty(),
            "--jobs {jobs}: {} documents differ from one run per date, e.g. {:?}",
            differing.len(),
            &differing[..differing.len().min(5)]
        );
        assert_eq!(dates_with_manifests(&env), dates);
        // Player profiles went out once, with the last date; earlier dates deferred them.
        let index = "v1/players/index.json";
        assert_eq!(
            outcome(&env, dates[0], "player-profiles", index),
            "deferred"
        );
        assert_eq!(
            outcome(&env, dates[4], "player-profiles", index),
            "uploaded"
        );
        let results = "v1/results/2024-01-08.json";
        assert_eq!(outcome(&env, dates[0], "results", results), "uploaded");
        for date in dates {
            let manifests = env.run_manifests(date);
            assert_eq!(manifests.len(), 1, "{date}");
            let statuses: Vec<&str> = manifests[0]["exporters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["status"].as_str().unwrap())
                .collect();
            assert_eq!(statuses, ["ok"; 7], "{date}");
        }
    }
}

/// `backfill` of three dates, logging at debug level, in a process whose address space is
/// capped at `address_space` bytes when given.
fn backfill_capped(env: &Env, address_space: Option<u64>) -> Output {
    let args = sample_args(
        &["backfill", "--from", "2024-01-08", "--to", "2024-01-10"],
        &plugins_dir(),
        &["--jobs", "2"],
    );
    let mut command = env.command();
    command.args(&args).env("PROPCAST_LOG", "propcast=debug");
    if let Some(bytes) = address_space {
        cap_address_space(&mut command, bytes);
    }
    Output::from(command.output().unwrap())
}

#[test]
fn a_process_that_cannot_reserve_the_memory_pool_publishes_the_same_documents() {
    const NO_POOL: &str = "the memory pool could not be set up";
    let pooled = Env::new();
    let out = backfill_capped(&pooled, None);
    out.assert_success();
    assert!(!out.stderr.contains(NO_POOL), "{}", out.stderr);
    let capped = Env::new();
    let out = backfill_capped(&capped, Some(1 << 40));
    out.assert_success();
    assert!(out.stderr.contains(NO_POOL), "{}", out.stderr);
    assert_eq!(capped.published(), pooled.published());
}

#[test]
fn a_backfill_across_two_seasons_leaves_what_runs_of_each_date_leave() {
    let db = tempfile::TempDir::new().unwrap();
    let warehouse = db.path().join("two-seasons.sqlite");
    let env = Env::new();
    env.run(&[
        "sample-data",
        "--seasons",
        "2",
        "--out",
        warehouse.to_str().unwrap(),
    ])
    .assert_success();
    let plugins = plugins_dir();
    let args = |command: &str| -> Vec<String> {
        [
            command,
            "--db",
            warehouse.to_str().unwrap(),
            "--plugins",
            plugins.to_str().unwrap(),
            "--out",
            "out",
            "--generated-at",
            "2024-01-10T12:00:00Z",
            "--only",
            "player-profiles,tonight-players,streaks",
        ]
        .map(String::from)
        .to_vec()
    };
    // The last two game days of 2022-23 and the first two of 2023-24.
    let dates = ["2023-04-08", "2023-04-09", "2023-10-24", "2023-10-25"];
    let one_by_one = Env::new();
    for date in dates {
        let mut run = args("run");
        run.extend(["--date".into(), date.into()]);
        let run: Vec<&str> = run.iter().map(String::as_str).collect();
        one_by_one.run(&run).assert_success();
    }
    let mut backfill = args("backfill");
    backfill
        .extend(["--from", "2023-04-08", "--to", "2023-10-25", "--game-days"].map(String::from));
    let backfill: Vec<&str> = backfill.iter().map(String::as_str).collect();
    env.run(&backfill).assert_success();
    assert_eq!(dates_with_manifests(&env), dates);
    assert!(env.published() == one_by_one.published());
    // The first season's profiles were published at its last date, before the next season's.
    let index = "v1/players/index.json";
    assert_eq!(
        outcome(&env, "2023-04-08", "player-profiles", index),
        "deferred"
    );
    assert_eq!(
        outcome(&env, "2023-04-09", "player-profiles", index),
        "uploaded"
    );
}

#[test]
fn each_exporter_ends_at_the_last_date_and_its_aliases_point_there() {
    let env = Env::new();
    backfill(&env, "2024-01-08", "2024-01-11", &["--jobs", "2"]).assert_success();
    let today = env.json("v1/streaks/today.json");
    assert_eq!(today["date"], "2024-01-11", "{today}");
    let index = env.json("v1/players/index.json");
    assert_eq!(index["as_of"], "2024-01-11", "{index}");
}

#[test]
fn game_days_leave_out_the_days_without_games() {
    let env = Env::new();
    let out = backfill(&env, "2023-10-21", "2023-10-26", &["--game-days"]);
    out.assert_success();
    assert_eq!(
        dates_with_manifests(&env),
        [FIRST_GAME_DAY, "2023-10-25", "2023-10-26"]
    );
    assert!(
        out.stdout.contains("3 of 3 dates published"),
        "{}",
        out.stdout
    );

    let every_day = Env::new();
    backfill(&every_day, "2023-10-21", "2023-10-26", &[]).assert_success();
    assert_eq!(dates_with_manifests(&every_day).len(), 6);
}

#[test]
fn a_failure_on_one_date_leaves_the_other_dates_and_exporters_published() {
    let env = Env::new();
    // A folder where the results page of one date must go: that upload, and only it, fails.
    std::fs::create_dir_all(env.out().join("v1/results/2024-01-09.json")).unwrap();
    let out = backfill(&env, "2024-01-08", "2024-01-10", &["--jobs", "2"]);
    out.assert_fails(1, &["exporter `results` failed on 2024-01-09"]);
    assert!(
        out.stdout.contains(
            "dates with failures (their errors are above and in their run manifests): 2024-01-09"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("2 of 3 dates published"),
        "{}",
        out.stdout
    );
    let published = documents_under(&env.out());
    for path in [
        "v1/results/2024-01-08.json",
        "v1/results/2024-01-10.json",
        "v1/streaks/2024-01-09.json",
    ] {
        assert!(published.contains_key(path), "{path} is missing");
    }
    // The failed date held its exporter's aliases back; the next date moved them on.
    assert_eq!(env.json("v1/results/latest.json")["date"], "2024-01-10");
    assert_eq!(
        manifest_entry(&env, "2024-01-09", "results")["status"],
        "publish failed"
    );
}

#[test]
fn a_query_that_breaks_its_season_to_date_promise_fails_its_exporter_only() {
    let plugins = plugin_folder(&["streaks"], &[]);
    std::fs::copy(
        test_plugin("hostile-query-season-promise"),
        plugins.path().join("hostile-season.wasm"),
    )
    .unwrap();
    let env = Env::new();
    let out = env.backfill("2024-01-08", "2024-01-09", plugins.path(), &[]);
    out.assert_fails(
        1,
        &[
            "exporter `hostile-season` failed on 2024-01-08",
            "exporter `hostile-season` failed on 2024-01-09",
            "query `games` declares `season-to-date = \"game_date\"`, but its rows for 2024-01-09",
            "Consider fixing the query, or removing `season-to-date`",
        ],
    );
    assert_eq!(
        manifest_entry(&env, "2024-01-08", "hostile-season")["status"],
        "query failed"
    );
    let published = env.published();
    assert!(published.contains_key("v1/streaks/2024-01-08.json"));
    assert!(published.contains_key("v1/streaks/2024-01-09.json"));
}

#[test]
fn an_exporter_failing_on_the_last_date_still_publishes_what_earlier_dates_deferred() {
    let plugins = plugin_folder(&["streaks"], &[]);
    std::fs::copy(test_plugin("probe"), plugins.path().join("probe.wasm")).unwrap();
    let fail = ["--fail-on", "2024-01-10"];
    let env = Env::new();
    let out = env.backfill("2024-01-08", "2024-01-10", plugins.path(), &fail);
    out.assert_fails(
        1,
        &[
            "exporter `probe` failed on 2024-01-10",
            "probe was asked to fail on 2024-01-10",
        ],
    );
    // The probe's alias stays at the last date it published, as one run per date leaves it.
    assert_eq!(env.json("v1/probe/latest.json")["date"], "2024-01-09");
    assert_eq!(env.json("v1/streaks/today.json")["date"], "2024-01-10");
    let one_by_one = Env::new();
    for date in ["2024-01-08", "2024-01-09", "2024-01-10"] {
        one_by_one.publish(date, plugins.path(), &fail);
    }
    assert!(env.published() == one_by_one.published());
    assert_eq!(
        outcome(&env, "2024-01-10", "probe", "v1/probe/latest.json"),
        "uploaded"
    );
}

#[test]
fn what_a_user_can_get_wrong_is_refused_before_anything_runs() {
    let env = Env::new();
    backfill(&env, "2024-01-10", "2024-01-08", &[]).assert_fails(
        2,
        &["the range is empty: `--from 2024-01-10` is after `--to 2024-01-08`"],
    );
    backfill(&env, "2023-08-01", "2023-08-31", &["--game-days"]).assert_fails(
        2,
        &["schedules no games from 2023-08-01 to 2023-08-31, so there is nothing to publish"],
    );
    backfill(&env, "2024-01-08", "2024-01-09", &["--jobs", "0"])
        .assert_fails(2, &["invalid value '0' for '--jobs <N>'"]);
    assert!(!env.out().exists(), "nothing may be published");

    let empty = plugin_folder(&[], &[]);
    let out = env.backfill("2024-01-08", "2024-01-09", empty.path(), &[]);
    out.assert_fails(
        2,
        &["there is no exporter to run", "holds no plugin that loads"],
    );
    assert!(!env.out().exists(), "nothing may be published");
}

#[test]
fn exporter_options_work_as_flags_for_a_backfill_too() {
    let env = Env::new();
    let out = backfill(
        &env,
        "2024-01-08",
        "2024-01-09",
        &["--only", "streaks", "--min-length", "6"],
    );
    out.assert_success();
    for date in ["2024-01-08", "2024-01-09"] {
        let manifest = &env.run_manifests(date)[0];
        assert_eq!(manifest["exporters"][0]["params"]["min-length"], "6");
    }
}

#[test]
fn shards_together_publish_what_one_backfill_publishes_in_any_order() {
    let (from, to) = ("2024-01-08", "2024-01-14");
    let whole = Env::new();
    backfill(&whole, from, to, &[]).assert_success();
    let sharded = Env::new();
    // Tasks of a Cloud Run Job finish in any order: the last share first.
    for (shard, dates) in [
        ("2/3", "3 of the range's 7 dates, 2024-01-12 to 2024-01-14"),
        ("0/3", "2 of the range's 7 dates, 2024-01-08 to 2024-01-09"),
        ("1/3", "2 of the range's 7 dates, 2024-01-10 to 2024-01-11"),
    ] {
        let out = backfill(&sharded, from, to, &["--shard", shard]);
        out.assert_success();
        assert!(
            out.stdout.contains(&format!("shard {shard}: {dates}")),
            "{}",
            out.stdout
        );
    }
    assert_eq!(sharded.published(), whole.published());
    assert_eq!(dates_with_manifests(&sharded), dates_with_manifests(&whole));

    // Cloud Run's task variables choose the same share as the flag.
    let task = Env::new();
    let db = propcast_e2e::sample_db().to_str().unwrap().to_string();
    let plugins = plugins_dir().to_str().unwrap().to_string();
    let out = task.run_with(
        &[("CLOUD_RUN_TASK_INDEX", "1"), ("CLOUD_RUN_TASK_COUNT", "3")],
        &[
            "backfill",
            "--from",
            from,
            "--to",
            to,
            "--db",
            &db,
            "--plugins",
            &plugins,
            "--out",
            "out",
        ],
    );
    out.assert_success();
    assert!(
        out.stdout.contains("shard 1/3: 2 of the range's 7 dates"),
        "{}",
        out.stdout
    );
    assert_eq!(dates_with_manifests(&task), ["2024-01-10", "2024-01-11"]);

    backfill(&Env::new(), from, to, &["--shard", "3/3"])
        .assert_fails(2, &["`3/3` is not a shard: use I/N with I from 0 to N-1"]);
}

#[test]
fn a_rerun_skips_the_dates_already_published_and_redoes_the_failed_one() {
    let env = Env::new();
    // Two weeks, with the results page of one date blocked by a folder in its place.
    let blocked = env.out().join("v1/results/2024-01-09.json");
    std::fs::create_dir_all(&blocked).unwrap();
    let (from, to) = ("2024-01-01", "2024-01-14");
    backfill(&env, from, to, &[]).assert_fails(1, &["exporter `results` failed on 2024-01-09"]);
    let first = documents_under(&env.out());

    // Every date but the failed one is skipped; it fails again, and nothing else changes.
    let again = backfill(&env, from, to, &[]);
    again.assert_fails(1, &["exporter `results` failed on 2024-01-09"]);
    assert!(
        again
            .stdout
            .contains("skipping 13 dates earlier runs already published")
            && again.stdout.contains("0 of 1 dates published"),
        "{}",
        again.stdout
    );
    assert!(documents_under(&env.out()) == first);

    // Once the cause is gone, the rerun publishes that date alone.
    std::fs::remove_dir(&blocked).unwrap();
    let fixed = backfill(&env, from, to, &["--report", "json"]);
    fixed.assert_success();
    let report = fixed.report();
    assert_eq!(report["skipped"].as_array().unwrap().len(), 13);
    assert_eq!(report["dates"].as_array().unwrap().len(), 1);
    assert_eq!(report["dates"][0]["date"], "2024-01-09");
    assert_eq!(report["dates"][0]["status"], "ok");
    assert!(env.published().contains_key("v1/results/2024-01-09.json"));
    let one_by_one = Env::new();
    one_by_one
        .backfill(from, to, &plugins_dir(), &[])
        .assert_success();
    assert!(
        env.published() == one_by_one.published(),
        "the resumed backfill left what one backfill leaves"
    );

    // Now everything is published: nothing runs, unless forced.
    let done = backfill(&env, from, to, &[]);
    done.assert_success();
    assert!(
        done.stdout
            .contains("all 14 dates were already published by earlier runs; nothing to do"),
        "{}",
        done.stdout
    );
    let forced = backfill(&env, from, to, &["--force", "--report", "json"]);
    forced.assert_success();
    let report = forced.report();
    assert_eq!(
        (
            report["published"].as_u64(),
            report["skipped"].as_array().map(Vec::len)
        ),
        (Some(14), Some(0))
    );
}

#[test]
fn an_exporter_failing_on_the_flush_date_leaves_the_earlier_dates_done() {
    let env = Env::new();
    // The flush date (the range's last) fails for one exporter. The earlier dates deferred
    // their current documents to it, and it still published them: those dates are done.
    let plugins = plugin_folder(&["streaks"], &[]);
    std::fs::copy(test_plugin("probe"), plugins.path().join("probe.wasm")).unwrap();
    let fail = ["--fail-on", "2024-01-10"];
    env.backfill("2024-01-08", "2024-01-10", plugins.path(), &fail)
        .assert_fails(1, &["exporter `probe` failed on 2024-01-10"]);
    let again = env.backfill("2024-01-08", "2024-01-10", plugins.path(), &fail);
    assert!(
        again
            .stdout
            .contains("skipping 2 dates earlier runs already published"),
        "the earlier dates' deferred documents went out with the flush:\n{}",
        again.stdout
    );
    // A different option is a different run: nothing is skipped.
    let other = env.backfill("2024-01-08", "2024-01-10", plugins.path(), &[]);
    other.assert_success();
    assert!(
        other.stdout.contains("3 of 3 dates published"),
        "{}",
        other.stdout
    );
}

/// Starts a backfill of January 2024's first three weeks in `env`, waits until it has finished
/// its first date (its first line on stdout) and sends it `signal`; returns its exit code.
fn backfill_stopped_by(env: &Env, signal: i32) -> Option<i32> {
    let args = sample_args(
        &["backfill", "--from", "2024-01-01", "--to", "2024-01-21"],
        &plugins_dir(),
        &[],
    );
    let mut child = env
        .command()
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    lines.next().expect("a first line").unwrap();
    // SAFETY: the child is ours and has not been waited for, so its pid is still its own.
    assert_eq!(unsafe { libc::kill(child.id() as i32, signal) }, 0);
    lines.for_each(drop);
    child.wait().unwrap().code()
}

/// What a stopped backfill must never leave in the folder: temporary files, or a journal of a
/// batch.
fn assert_nothing_half_done(env: &Env) {
    for path in files_under(&env.out()).keys() {
        assert!(!path.ends_with(".tmp"), "`{path}` was left behind");
        assert!(
            !path.starts_with(".propcast/journal/batches/"),
            "`{path}` was left behind"
        );
    }
}

/// The same backfill, uninterrupted, in a fresh folder: what a stopped one must end up as.
fn whole_backfill() -> std::collections::BTreeMap<String, Vec<u8>> {
    let whole = Env::new();
    backfill(&whole, "2024-01-01", "2024-01-21", &[]).assert_success();
    whole.published()
}

#[test]
fn ctrl_c_stops_a_backfill_cleanly_and_the_rerun_finishes_it() {
    let env = Env::new();
    let code = backfill_stopped_by(&env, libc::SIGINT);
    // Stopped by the signal (130), or, if the signal came as the last date ended, done (0).
    assert!(matches!(code, Some(130) | Some(0)), "{code:?}");
    assert_nothing_half_done(&env);
    let rerun = backfill(&env, "2024-01-01", "2024-01-21", &[]);
    rerun.assert_success();
    assert_eq!(env.published(), whole_backfill());
}

#[test]
fn a_backfill_killed_mid_publish_is_rolled_back_and_finished_by_the_next_run() {
    let env = Env::new();
    assert_eq!(backfill_stopped_by(&env, libc::SIGKILL), None);
    let rerun = backfill(&env, "2024-01-01", "2024-01-21", &[]);
    rerun.assert_success();
    assert_nothing_half_done(&env);
    assert_eq!(env.published(), whole_backfill());
}
