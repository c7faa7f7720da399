//! Plugins as users meet them: a new exporter dropped into the folder runs on the same host
//! binary, and a broken or misbehaving one is reported by name without stopping the others or
//! touching what was published before.

use propcast_e2e::{Env, TempDir, plugin_folder, propcast_bin, sample_db, test_plugin};
use rusqlite::Connection;

/// A plugin folder with the built streaks exporter and the freshly built probe.
fn with_probe() -> TempDir {
    let folder = plugin_folder(&["streaks"], &[]);
    std::fs::copy(test_plugin("probe"), folder.path().join("probe.wasm")).unwrap();
    folder
}

fn row<'a>(stdout: &'a str, exporter: &str) -> Vec<&'a str> {
    let line = stdout
        .lines()
        .find(|l| l.split_whitespace().next() == Some(exporter));
    let line = line.unwrap_or_else(|| panic!("no row for `{exporter}` in:\n{stdout}"));
    line.split("  ")
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect()
}

#[test]
fn a_new_plugin_runs_without_rebuilding_the_host() {
    let host = std::fs::read(propcast_bin()).unwrap();
    let plugins = with_probe();
    let env = Env::new();
    let out = env.publish("2024-01-10", plugins.path(), &[]);
    assert!(out.success(), "{}\n{}", out.stdout, out.stderr);
    assert_eq!(row(&out.stdout, "probe")[1], "ok");
    assert_eq!(row(&out.stdout, "streaks")[1], "ok");

    let games: i64 = Connection::open(sample_db())
        .unwrap()
        .query_row(
            "SELECT count(*) FROM schedule WHERE game_date = '2024-01-10'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let doc = env.json("v1/probe/2024-01-10.json");
    assert_eq!(doc["games"], games);
    assert!(games > 0);
    assert_eq!(
        std::fs::read(propcast_bin()).unwrap(),
        host,
        "the host binary was not rebuilt"
    );

    let listed = env.run(&["plugins", "--plugins", plugins.path().to_str().unwrap()]);
    assert!(
        listed
            .stdout
            .contains("probe 0.1.0  (probe.wasm, contract 0.3.0"),
        "{}",
        listed.stdout
    );
}

/// Publishes once with every plugin behaving, then again with the probe in `mode`, and returns
/// the second run's output after checking the streaks exporter still published and the probe's
/// earlier file is untouched.
fn misbehave(mode: &str) -> (propcast_e2e::Output, Env) {
    let plugins = with_probe();
    let env = Env::new();
    let first = env.publish("2024-01-09", plugins.path(), &[]);
    assert!(first.success(), "{}", first.stderr);
    let before = env.published();

    let param = format!("mode={mode}");
    let out = env.publish("2024-01-10", plugins.path(), &["--param", &param]);
    assert_eq!(
        out.code, 1,
        "a failed exporter makes the exit code 1:\n{}",
        out.stderr
    );
    assert_eq!(row(&out.stdout, "probe")[1], "run failed");
    assert_eq!(
        row(&out.stdout, "streaks")[1],
        "ok",
        "the other exporter still publishes"
    );
    let after = env.published();
    assert!(
        !after.contains_key("v1/probe/2024-01-10.json"),
        "the failed exporter published nothing"
    );
    assert_eq!(
        after["v1/probe/2024-01-09.json"],
        before["v1/probe/2024-01-09.json"]
    );
    assert!(after.contains_key("v1/streaks/2024-01-10.json"));
    (out, env)
}

#[test]
fn a_panicking_plugin_is_reported_with_its_panic_message() {
    let (out, _env) = misbehave("panic");
    assert!(
        out.stderr.contains(
            "propcast: exporter `probe` failed: the exporter panicked: panicked at probe/src/lib.rs:"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("probe was asked to panic on 2024-01-10"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("---- log (last 2 of 2 lines) ----\ninfo: probe saw"),
        "its log is shown:\n{}",
        out.stderr
    );
}

#[test]
fn a_plugin_error_is_reported_with_its_hint() {
    let (out, _env) = misbehave("error");
    assert!(
        out.stderr.contains("propcast: exporter `probe` failed: the exporter failed: probe was asked to fail\n\nConsider --param mode=ok"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_plugin_writing_outside_its_prefix_publishes_nothing() {
    let (out, env) = misbehave("escape");
    assert!(
        out.stderr.contains(
            "propcast: exporter `probe` failed: the exporter's output was rejected: `v1/streaks/today.json` is outside the exporter's declared outputs (v1/probe/)"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(
        env.json("v1/streaks/today.json")["date"],
        "2024-01-10",
        "streaks' own alias stands"
    );
}

fn run_with_extra_file(file: &str, bytes: &[u8]) -> propcast_e2e::Output {
    let plugins = plugin_folder(&["streaks"], &[(file, bytes)]);
    let env = Env::new();
    let out = env.publish("2024-01-10", plugins.path(), &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(row(&out.stdout, "streaks")[1], "ok");
    assert_eq!(row(&out.stdout, file)[1], "load failed");
    assert!(env.out().join("v1/streaks/2024-01-10.json").is_file());
    // The run manifest records the file that did not load beside the exporter that ran.
    let manifests = env.run_manifests("2024-01-10");
    assert_eq!(manifests.len(), 1);
    let entries = manifests[0]["exporters"].as_array().unwrap();
    let failed = entries.iter().find(|e| e["name"] == file).unwrap();
    assert_eq!(failed["status"], "load failed");
    assert!(failed["error"].as_str().unwrap().contains(file), "{failed}");
    let streaks = entries.iter().find(|e| e["name"] == "streaks").unwrap();
    assert_eq!(streaks["status"], "ok");
    assert_eq!(streaks["file"], "streaks.wasm");
    out
}

#[test]
fn a_core_module_is_not_a_plugin() {
    let out = run_with_extra_file("core.wasm", b"\0asm\x01\0\0\0");
    assert!(
        out.stderr
            .contains("core.wasm`: this is a core WebAssembly module, not a component"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_file_that_is_not_wasm_is_named() {
    let out = run_with_extra_file("notes.wasm", b"these are not the bytes you are looking for");
    assert!(
        out.stderr.contains("notes.wasm`: not a WebAssembly file"),
        "{}",
        out.stderr
    );
}
