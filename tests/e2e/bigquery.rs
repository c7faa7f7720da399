//! Reading BigQuery (`--source bigquery`), against the real bqemulator on 127.0.0.1 holding the
//! sample warehouse, through the tests' faulty proxy where a test needs to see or change the
//! traffic (issue 7).
//!
//! Known differences from the real service, written down in docs/design.md: the emulator does
//! not estimate bytes (a dry run reports 0) and does not enforce `maximumBytesBilled`, so the
//! tests that need a cost have the proxy report one; it reports BIGNUMERIC as NUMERIC (the
//! BIGNUMERIC mapping is unit-tested in the host).

use std::collections::BTreeMap;
use std::path::Path;

use propcast_e2e::emulators::{BigQuery, FakeGcs, bigquery};
use propcast_e2e::proxy::{Action, Proxy, Rule};
use propcast_e2e::{Env, Output, documents_under, http, plugin_folder, plugins_dir, test_plugin};
use serde_json::{Value, json};

/// In a job insert's body: a dry run, or a query that runs.
const DRY_RUN: &str = r#""dryRun":true"#;
const REAL_RUN: &str = r#""dryRun":false"#;

/// The flags that point a run at the emulator's `dataset`, with the exporters in `plugins`.
fn bigquery_source<'a>(dataset: &'a str, plugins: &'a Path) -> [&'a str; 8] {
    [
        "--source",
        "bigquery",
        "--project",
        BigQuery::PROJECT,
        "--dataset",
        dataset,
        "--plugins",
        plugins.to_str().unwrap(),
    ]
}

/// `propcast run --date date` reading the emulator's `dataset` (through `proxy` when given)
/// with the exporters in `plugins`, publishing to `out/`, plus `extra`.
fn run_bigquery(
    env: &Env,
    proxy: Option<&Proxy>,
    dataset: &str,
    plugins: &Path,
    date: &str,
    extra: &[&str],
) -> Output {
    let host = match proxy {
        Some(proxy) => proxy.host(),
        None => format!("127.0.0.1:{}", bigquery().port),
    };
    let mut args = vec!["run", "--date", date];
    args.extend(bigquery_source(dataset, plugins));
    args.extend([
        "--out",
        "out",
        "--generated-at",
        "2024-01-10T12:00:00Z",
        // These tests are about the exporters' queries: the freshness guard's own query would
        // take the proxy's faults first. `the_freshness_guard_reads_bigquery` tests the guard.
        "--allow-empty",
    ]);
    args.extend_from_slice(extra);
    env.run_with(&[("BIGQUERY_EMULATOR_HOST", host.as_str())], &args)
}

#[test]
fn the_freshness_guard_reads_bigquery() {
    let env = Env::new();
    let host = format!("127.0.0.1:{}", bigquery().port);
    let config = propcast_e2e::root().join("propcast.toml");
    let plugins = plugins_dir();
    let run = |extra: &[&str]| {
        let mut args = vec!["run"];
        args.extend(bigquery_source(BigQuery::DATASET, &plugins));
        args.extend(["--config", config.to_str().unwrap(), "--out", "out"]);
        args.extend_from_slice(extra);
        env.run_with(&[("BIGQUERY_EMULATOR_HOST", host.as_str())], &args)
    };
    // Every need of the project's config is checked (lines, predictions, final scores) and met.
    run(&["--job", "tonight-picks", "--at", "2024-01-10T18:00:00Z"]).assert_success();
    run(&["--job", "daily-results", "--at", "2024-01-11T10:00:00Z"]).assert_success();
    let before = documents_under(&env.out());
    run(&["--date", "2024-07-15", "--only", "tonight"]).assert_fails(
        3,
        &["2024-07-15 is past the warehouse's schedule: nothing is scheduled on or after 2024-07-15"],
    );
    assert_eq!(documents_under(&env.out()), before);
}

/// The documents the SQLite run of `date` publishes with the built exporters, plus `extra`.
fn from_sqlite(date: &str, extra: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let env = Env::new();
    let out = env.publish(date, &plugins_dir(), extra);
    out.assert_success();
    documents_under(&env.out())
}

#[test]
fn every_exporter_publishes_the_same_bytes_from_bigquery_as_from_sqlite() {
    let plugins = plugins_dir();
    // An ordinary night, the season's first week, the All-Star break (no games), the last day.
    for date in ["2024-01-10", "2023-10-30", "2024-02-18", "2024-04-14"] {
        let env = Env::new();
        let out = run_bigquery(&env, None, BigQuery::DATASET, &plugins, date, &[]);
        out.assert_success();
        assert!(
            out.stdout.contains("7 of 7 exporters published"),
            "{}",
            out.stdout
        );
        let published = env.published();
        let expected = from_sqlite(date, &[]);
        assert!(!expected.is_empty());
        assert_eq!(
            published.keys().collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "{date}: the same documents"
        );
        for (path, body) in &expected {
            assert!(
                published[path] == *body,
                "{date}: `{path}` differs between the sources"
            );
        }
    }
}

#[test]
fn every_page_of_a_result_is_read() {
    let env = Env::new();
    std::fs::write(
        env.path().join("propcast.toml"),
        "[bigquery]\npage-size = 500\n",
    )
    .unwrap();
    let proxy = Proxy::start(bigquery().port);
    let plugins = plugins_dir();
    let out = run_bigquery(
        &env,
        Some(&proxy),
        BigQuery::DATASET,
        &plugins,
        "2024-01-10",
        &["--only", "streaks,player-profiles"],
    );
    out.assert_success();
    assert_eq!(
        env.published(),
        from_sqlite("2024-01-10", &["--only", "streaks,player-profiles"])
    );
    let pages: Vec<String> = proxy
        .exchanges()
        .iter()
        .filter(|e| e.target.contains("/queries/") && e.target.contains("maxResults=500"))
        .map(|e| e.target.clone())
        .collect();
    let later_pages = pages.iter().filter(|t| t.contains("pageToken=5")).count();
    assert!(pages.len() > 10, "{} result pages", pages.len());
    assert!(later_pages >= 1, "{pages:?}");
}

/// Creates `dataset.types` with `fields` and `rows` in the emulator.
fn types_table(dataset: &str, fields: Value, rows: Value) {
    let api = format!(
        "{}/bigquery/v2/projects/{}",
        bigquery().url(),
        BigQuery::PROJECT
    );
    let post = |path: &str, body: Value| http::post_json(&format!("{api}{path}"), &body);
    post(
        "/datasets",
        json!({"datasetReference": {"projectId": BigQuery::PROJECT, "datasetId": dataset}}),
    );
    post(
        &format!("/datasets/{dataset}/tables"),
        json!({
            "tableReference": {"projectId": BigQuery::PROJECT, "datasetId": dataset, "tableId": "types"},
            "schema": {"fields": fields}
        }),
    );
    let inserted = post(
        &format!("/datasets/{dataset}/tables/types/insertAll"),
        json!({"rows": rows}),
    );
    assert_eq!(inserted["insertErrors"], json!([]));
}

#[test]
fn every_mapped_type_and_nulls_reach_the_exporter() {
    types_table(
        "types_check",
        json!([
            {"name": "id", "type": "INT64"}, {"name": "i", "type": "INT64"},
            {"name": "f", "type": "FLOAT64"}, {"name": "n", "type": "NUMERIC"},
            {"name": "s", "type": "STRING"}, {"name": "b", "type": "BOOL"},
            {"name": "d", "type": "DATE"}, {"name": "ts", "type": "TIMESTAMP"}
        ]),
        json!([
            {"json": {"id": 1, "i": -9007199254740993_i64, "f": 1.5, "n": "12.345", "s": "é\"q",
                      "b": true, "d": "2024-01-10", "ts": "2024-01-01T12:00:00.5Z"}},
            {"json": {"id": 2}},
            {"json": {"id": 3, "i": 7, "f": -0.25, "n": "0.5", "s": "", "b": false,
                      "d": "2023-07-01", "ts": "1970-01-01T00:00:00Z"}}
        ]),
    );
    let env = Env::new();
    let plugins = plugin_folder(&[], &[]);
    std::fs::copy(test_plugin("echo"), plugins.path().join("echo.wasm")).unwrap();
    let out = run_bigquery(&env, None, "types_check", plugins.path(), "2024-01-10", &[]);
    out.assert_success();
    assert_eq!(
        env.json("v1/echo/2024-01-10.json"),
        json!({
            "rows": 3,
            "columns": [
                {"name": "id", "type": "int64", "values": [1, 2, 3]},
                {"name": "i", "type": "int64", "values": [-9007199254740993_i64, null, 7]},
                {"name": "f", "type": "float64", "values": [1.5, null, -0.25]},
                {"name": "n", "type": "float64", "values": [12.345, null, 0.5]},
                {"name": "s", "type": "text", "values": ["é\"q", null, ""]},
                {"name": "b", "type": "boolean", "values": [true, null, false]},
                {"name": "d", "type": "date", "values": ["2024-01-10", null, "2023-07-01"]},
                {"name": "ts", "type": "text", "values": ["2024-01-01T12:00:00.5Z", null, "1970-01-01T00:00:00Z"]}
            ]
        })
    );
}

#[test]
fn an_unsupported_type_names_the_exporter_query_and_column() {
    types_table(
        "types_unsupported",
        json!([{"name": "id", "type": "INT64"}, {"name": "seen", "type": "DATETIME"}]),
        json!([{"json": {"id": 1, "seen": "2024-01-10T12:00:00"}}]),
    );
    let env = Env::new();
    let plugins = plugin_folder(&["streaks"], &[]);
    std::fs::copy(test_plugin("echo"), plugins.path().join("echo.wasm")).unwrap();
    let out = run_bigquery(
        &env,
        None,
        "types_unsupported",
        plugins.path(),
        "2024-01-10",
        &["--only", "echo"],
    );
    out.assert_fails(1, &["propcast: exporter `echo` failed: failed to read BigQuery dataset `test.types_unsupported`", ": query `types` column `seen` has the BigQuery type DATETIME, which exporters cannot receive; cast it in the query (e.g. `CAST(x AS STRING)`)"]);
}

#[test]
fn a_query_error_fails_its_exporter_only() {
    let env = Env::new();
    let plugins = plugin_folder(&["streaks"], &[]);
    std::fs::copy(test_plugin("echo"), plugins.path().join("echo.wasm")).unwrap();
    // The warehouse has no table `types`, which echo reads.
    let out = run_bigquery(
        &env,
        None,
        BigQuery::DATASET,
        plugins.path(),
        "2024-01-10",
        &[],
    );
    out.assert_fails(
        1,
        &[
            "propcast: exporter `echo` failed: failed to read BigQuery dataset `test.nba`",
            ": query `types` failed on BigQuery",
            "types was not found",
        ],
    );
    assert!(
        out.stdout
            .contains("1 of 2 exporters published 2 documents"),
        "{}",
        out.stdout
    );
    assert!(env.out().join("v1/streaks/today.json").is_file());
}

/// A proxy whose dry runs report `bytes` scanned, as the real service would.
fn proxy_reporting_bytes(bytes: u64) -> Proxy {
    let proxy = Proxy::start(bigquery().port);
    proxy.add_rule(
        Rule::on(
            "/jobs",
            Action::Rewrite {
                from: r#""totalBytesProcessed":"0""#.into(),
                to: format!(r#""totalBytesProcessed":"{bytes}""#),
            },
        )
        .method("POST")
        .body(DRY_RUN),
    );
    proxy
}

/// The query jobs (not dry runs) the proxy saw.
fn real_jobs(proxy: &Proxy) -> usize {
    proxy
        .exchanges()
        .iter()
        .filter(|e| {
            e.method == "POST" && e.target.contains("/jobs") && !e.body_text().contains(DRY_RUN)
        })
        .count()
}

#[test]
fn dry_run_prints_what_each_query_would_scan_and_runs_nothing() {
    let env = Env::new();
    let proxy = proxy_reporting_bytes(1_048_576);
    let plugins = plugins_dir();
    let out = run_bigquery(
        &env,
        Some(&proxy),
        BigQuery::DATASET,
        &plugins,
        "2024-01-10",
        &["--dry-run"],
    );
    out.assert_success();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["exporter", "query", "would", "scan", "bytes"]
    );
    assert_eq!(
        lines[1].split_whitespace().collect::<Vec<_>>(),
        ["best-bets", "picks", "1.0", "MB", "1048576"]
    );
    assert_eq!(
        lines.len(),
        17,
        "a line per query (15) and the total:\n{}",
        out.stdout
    );
    assert_eq!(
        lines[16],
        "total: 15.7 MB (15728640 bytes) in 15 queries on BigQuery dataset `test.nba` on the emulator at `http://{}`; nothing was run or published"
            .replace("{}", &proxy.host())
    );
    assert_eq!(real_jobs(&proxy), 0, "no query ran");
    assert!(!env.out().exists(), "nothing was published");
}

#[test]
fn the_bytes_cap_stops_a_query_before_it_runs() {
    let env = Env::new();
    let proxy = proxy_reporting_bytes(1_048_576);
    let plugins = plugins_dir();
    let out = run_bigquery(
        &env,
        Some(&proxy),
        BigQuery::DATASET,
        &plugins,
        "2024-01-10",
        &["--only", "streaks", "--max-bytes-billed", "1MB"],
    );
    out.assert_fails(1, &["propcast: exporter `streaks` failed: failed to read BigQuery dataset `test.nba`", ": query `games` would scan `1048576` bytes, more than the maximum bytes billed of `1000000` per query"]);
    assert_eq!(real_jobs(&proxy), 0, "the query never ran");
    // Under the cap it runs, and the job carries the cap for BigQuery to enforce.
    let under = run_bigquery(
        &env,
        Some(&proxy),
        BigQuery::DATASET,
        &plugins,
        "2024-01-10",
        &["--only", "streaks", "--max-bytes-billed", "2MB"],
    );
    under.assert_success();
    let job = proxy
        .exchanges()
        .into_iter()
        .find(|e| {
            e.target.contains("/jobs") && !e.body_text().contains(DRY_RUN) && e.method == "POST"
        })
        .expect("a query job");
    assert!(
        job.body_text()
            .contains(r#""maximumBytesBilled":"2000000""#),
        "{}",
        job.body_text()
    );
}

#[test]
fn a_statement_the_dry_run_calls_no_select_is_refused() {
    let env = Env::new();
    let proxy = Proxy::start(bigquery().port);
    proxy.add_rule(
        Rule::on(
            "/jobs",
            Action::Rewrite {
                from: r#""statementType":"SELECT""#.into(),
                to: r#""statementType":"DELETE""#.into(),
            },
        )
        .method("POST")
        .body(DRY_RUN),
    );
    let plugins = plugins_dir();
    let out = run_bigquery(
        &env,
        Some(&proxy),
        BigQuery::DATASET,
        &plugins,
        "2024-01-10",
        &["--only", "streaks"],
    );
    out.assert_fails(1, &[": query `games` is a DELETE statement, BigQuery's dry run says; only SELECT queries are allowed"]);
    assert_eq!(real_jobs(&proxy), 0);
}

#[test]
fn transient_failures_are_retried_and_bad_requests_are_not() {
    let plugins = plugins_dir();
    let args = ["--only", "results"];
    // A 503 on a job insert and a 429 on a result page: retried, and the run succeeds.
    let proxy = Proxy::start(bigquery().port);
    for (target, status, reason) in [
        ("/jobs", 503, "backendError"),
        ("/queries/", 429, "rateLimitExceeded"),
    ] {
        proxy.add_rule(Rule::on(target, Action::Fail { status, reason }).times(1));
    }
    results_through(&proxy);
    assert_eq!(proxy.exchanges().iter().filter(|e| e.injected).count(), 2);
    // A 400 is the request's fault: tried once, and the exporter fails.
    let env = Env::new();
    let proxy = Proxy::start(bigquery().port);
    proxy.add_rule(
        Rule::on(
            "/jobs",
            Action::Fail {
                status: 400,
                reason: "invalid",
            },
        )
        .method("POST"),
    );
    let out = run_bigquery(
        &env,
        Some(&proxy),
        BigQuery::DATASET,
        &plugins,
        "2024-01-10",
        &args,
    );
    out.assert_fails(
        1,
        &[": query `games` failed on BigQuery: injected by the test proxy"],
    );
    assert_eq!(proxy.exchanges().len(), 1, "not retried");
}

/// Runs `results` for 2024-01-10 through `proxy` and checks it publishes what the SQLite run
/// does.
fn results_through(proxy: &Proxy) {
    let env = Env::new();
    let only = ["--only", "results"];
    run_bigquery(
        &env,
        Some(proxy),
        BigQuery::DATASET,
        &plugins_dir(),
        "2024-01-10",
        &only,
    )
    .assert_success();
    assert_eq!(env.published(), from_sqlite("2024-01-10", &only));
}

#[test]
fn a_job_failing_for_a_transient_reason_is_reissued() {
    let proxy = Proxy::start(bigquery().port);
    // The first query job comes back failed with `backendError`, as BigQuery's jobs sometimes do.
    proxy.add_rule(
        Rule::on(
            "/jobs",
            Action::Rewrite {
                from: r#""status":{"state":"DONE"}"#.into(),
                to: r#""status":{"state":"DONE","errorResult":{"reason":"backendError","message":"injected"}}"#.into(),
            },
        )
        .method("POST")
        .body(REAL_RUN)
        .times(1),
    );
    results_through(&proxy);
    assert_eq!(
        real_jobs(&proxy),
        3,
        "the first query's job twice, then the second's"
    );
}

#[test]
fn an_insert_whose_reply_was_lost_reads_its_job_back() {
    let proxy = Proxy::start(bigquery().port);
    // The job is created, but the client hears 409 (as a retried insert would on BigQuery).
    proxy.add_rule(
        Rule::on(
            "/jobs",
            Action::LoseReply {
                status: 409,
                reason: "duplicate",
            },
        )
        .method("POST")
        .body(REAL_RUN)
        .times(1),
    );
    results_through(&proxy);
    let read_back = proxy
        .exchanges()
        .iter()
        .filter(|e| e.method == "GET" && e.target.contains("/jobs/propcast_"))
        .count();
    assert_eq!(read_back, 1);
}

#[test]
fn the_query_limits_hold_on_bigquery() {
    let env = Env::new();
    let out = run_bigquery(
        &env,
        None,
        BigQuery::DATASET,
        &plugins_dir(),
        "2024-01-10",
        &["--only", "streaks", "--limit", "query-rows=100"],
    );
    out.assert_fails(
        1,
        &[": query `games` returned more than its limit of 100 rows"],
    );
    // Result pages that take longer than the query time limit.
    let proxy = Proxy::start(bigquery().port);
    proxy.add_rule(Rule::on(
        "/queries/",
        Action::Delay(std::time::Duration::from_secs(3)),
    ));
    let out = run_bigquery(
        &env,
        Some(&proxy),
        BigQuery::DATASET,
        &plugins_dir(),
        "2024-01-10",
        &["--only", "streaks", "--limit", "query-time=1s"],
    );
    out.assert_fails(1, &[": query `games` ran longer than its time limit of 1s"]);
    // The same slow pages against the exporter's total query time.
    let out = run_bigquery(
        &env,
        Some(&proxy),
        BigQuery::DATASET,
        &plugins_dir(),
        "2024-01-10",
        &[
            "--only",
            "streaks",
            "--limit",
            "query-time=60s",
            "--limit",
            "query-total-time=1s",
        ],
    );
    out.assert_fails(
        1,
        &[": query `games` was still running when its exporter's queries reached their total time limit of 1s"],
    );
    // A result holding more bytes than the limit stops as its rows arrive.
    let out = run_bigquery(
        &env,
        None,
        BigQuery::DATASET,
        &plugins_dir(),
        "2024-01-10",
        &["--only", "streaks", "--limit", "query-bytes=1KiB"],
    );
    out.assert_fails(
        1,
        &[": query `games` returned more than its limit of 1024 bytes"],
    );
}

#[test]
fn the_site_goes_from_bigquery_to_cloud_storage_and_a_rerun_uploads_nothing() {
    let gcs = FakeGcs::start();
    gcs.create_bucket("site");
    let env = Env::new();
    let plugins = plugins_dir();
    let storage = format!("127.0.0.1:{}", gcs.port);
    let bigquery_host = format!("127.0.0.1:{}", bigquery().port);
    let run = || {
        let mut args = vec!["run", "--date", "2024-01-10"];
        args.extend(bigquery_source(BigQuery::DATASET, &plugins));
        args.extend([
            "--out",
            "gs://site/api",
            "--generated-at",
            "2024-01-10T12:00:00Z",
        ]);
        env.run_with(
            &[
                ("BIGQUERY_EMULATOR_HOST", bigquery_host.as_str()),
                ("STORAGE_EMULATOR_HOST", storage.as_str()),
            ],
            &args,
        )
    };
    let first = run();
    first.assert_success();
    let expected = from_sqlite("2024-01-10", &[]);
    assert!(
        first.stdout.contains(&format!(
            "7 of 7 exporters published {n} documents to `gs://site/api`: {n} uploaded, 0 unchanged",
            n = expected.len()
        )),
        "{}",
        first.stdout
    );
    let objects = gcs.objects("site", "api/v1/");
    assert_eq!(objects.len(), expected.len());
    for (path, body) in &expected {
        assert!(
            gcs.download("site", &format!("api/{path}")) == *body,
            "`{path}` differs"
        );
    }
    let second = run();
    second.assert_success();
    assert!(
        second
            .stdout
            .contains(&format!(": 0 uploaded, {} unchanged", expected.len())),
        "{}",
        second.stdout
    );
}
