//! The command line's contract with users: help, and a clear message with exit code 2 for each
//! thing a user can get wrong before anything runs.

use propcast_e2e::{Env, plugins_dir, sample_db};

fn db() -> &'static str {
    sample_db().to_str().unwrap()
}

#[test]
fn help_lists_the_commands() {
    let out = Env::new().run(&["--help"]);
    assert!(out.success());
    for command in ["run", "plugins", "sample-data"] {
        assert!(out.stdout.contains(command), "{}", out.stdout);
    }
    let out = Env::new().run(&["run", "--help"]);
    assert!(
        out.stdout.contains("--only <NAMES>") && out.stdout.contains("--param <NAME=VALUE>"),
        "{}",
        out.stdout
    );
}

#[test]
fn run_help_lists_the_selected_exporters_options() {
    let plugins = plugins_dir();
    let plugins = plugins.to_str().unwrap();
    let out = Env::new().run(&["run", "--help", "--plugins", plugins]);
    assert!(out.success(), "{}", out.stderr);
    let heading = out.stdout.find("Exporter options:").expect(&out.stdout);
    for option in [
        "--min-length <INT>\n          Shortest run that is reported, in games (`streaks`, default 4)",
        "--min-games <INT>",
        "--picks <INT>",
    ] {
        let at = out.stdout.find(option).expect(&out.stdout);
        assert!(at > heading, "{}", out.stdout);
    }
    let out = Env::new().run(&["backfill", "--plugins", plugins, "--only", "streaks", "-h"]);
    assert!(out.success(), "{}", out.stderr);
    assert!(out.stdout.contains("--min-length <INT>"), "{}", out.stdout);
    assert!(!out.stdout.contains("--min-games <INT>"), "{}", out.stdout);
    // Without plugins to read, help says why it lists no options.
    let out = Env::new().run(&["run", "--help", "--plugins", "nowhere"]);
    assert!(out.success(), "{}", out.stderr);
    assert!(
        out.stdout.contains(
            "Exporter options: the plugins could not be read, so their options are not listed (the plugin folder `nowhere` does not exist"
        ),
        "{}",
        out.stdout
    );
}

#[test]
fn a_bad_date_is_a_usage_error() {
    let out = Env::new().run(&["run", "--date", "2024-13-01"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("invalid value '2024-13-01' for '--date <DATE>': `2024-13-01` is not a date of the form YYYY-MM-DD, `today` or `yesterday`"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_missing_database_says_how_to_make_one() {
    let plugins = plugins_dir();
    let out = Env::new().run(&[
        "run",
        "--date",
        "2024-01-10",
        "--db",
        "nope.sqlite",
        "--plugins",
        plugins.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "propcast: the database `nope.sqlite` does not exist\n\nConsider creating the sample warehouse with `propcast sample-data --out nope.sqlite`\n"
    );
}

#[test]
fn a_file_that_is_not_a_database_is_named() {
    let env = Env::new();
    std::fs::write(
        env.path().join("notes.sqlite"),
        "not a database at all, just text",
    )
    .unwrap();
    let plugins = plugins_dir();
    let out = env.run(&[
        "run",
        "--date",
        "2024-01-10",
        "--db",
        "notes.sqlite",
        "--plugins",
        plugins.to_str().unwrap(),
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("propcast: `notes.sqlite` is not a readable SQLite database: "),
        "{}",
        out.stderr
    );
}

#[test]
fn a_missing_plugin_folder_says_how_to_build_one() {
    let out = Env::new().run(&[
        "run",
        "--date",
        "2024-01-10",
        "--db",
        db(),
        "--plugins",
        "nowhere",
    ]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "propcast: the plugin folder `nowhere` does not exist\n\nConsider `cargo xtask plugins`, which builds the exporters into `target/plugins`\n"
    );
}

#[test]
fn an_unknown_only_name_lists_the_available_ones() {
    let plugins = plugins_dir();
    let out = Env::new().run(&[
        "run",
        "--date",
        "2024-01-10",
        "--db",
        db(),
        "--plugins",
        plugins.to_str().unwrap(),
        "--only",
        "streak",
    ]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("propcast: unknown exporter `streak` (available: "),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("streaks"), "{}", out.stderr);
}

#[test]
fn options_are_checked_against_the_manifests() {
    let plugins = plugins_dir();
    let base = [
        "run",
        "--date",
        "2024-01-10",
        "--db",
        db(),
        "--plugins",
        plugins.to_str().unwrap(),
        "--only",
        "streaks",
    ];
    let out = Env::new().run(&[&base[..], &["--param", "colour=red"]].concat());
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "propcast: no selected exporter has an option `colour` (options: min-length (streaks))\n"
    );
    // A mistyped flag, host's or exporter's, is an unknown argument with a suggestion.
    let out = Env::new().run(&[&base[..], &["--generated-att", "2024-01-10T12:00:00Z"]].concat());
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("unexpected argument '--generated-att' found\n\n  tip: a similar argument exists: '--generated-at'"),
        "{}",
        out.stderr
    );
    let out = Env::new().run(&[&base[..], &["--min-lenght", "3"]].concat());
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("tip: a similar argument exists: '--min-length'"),
        "{}",
        out.stderr
    );
    // An option is a flag of its own, and its value is checked as `--param`'s is.
    let out = Env::new().run(&[&base[..], &["--min-length", "many"]].concat());
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "propcast: option `min-length` of exporter `streaks`: `many` is not a whole number\n"
    );
    let out = Env::new().run(&[&base[..], &["--param", "min-length=many"]].concat());
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "propcast: option `min-length` of exporter `streaks`: `many` is not a whole number\n"
    );
}

#[test]
fn the_default_plugin_folder_is_found_beside_the_binary() {
    // target/release/propcast finds target/plugins without --plugins.
    let out = Env::new().run(&["plugins"]);
    assert!(out.success(), "{}", out.stderr);
    assert!(out.stdout.contains("streaks 0.1.0"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains("option:  --min-length <int64>  (default 4)"),
        "{}",
        out.stdout
    );
}

#[test]
fn propcast_test_runs_an_exporter_on_its_fixtures_and_shows_a_diff_on_failure() {
    let plugins = plugins_dir();
    let fixtures = propcast_e2e::root().join("plugins/streaks/fixtures");
    let env = Env::new();
    let args = [
        "test",
        "streaks",
        "--plugins",
        plugins.to_str().unwrap(),
        "--fixtures",
    ];
    let out = env.run(&[&args[..], &[fixtures.to_str().unwrap()]].concat());
    assert!(out.success(), "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("3 of 3 cases passed for `streaks`"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with("runs-pushes-and-missing-lines") && l.contains("pass")),
        "{}",
        out.stdout
    );

    // A copy of a case whose expected document says something else fails with a diff.
    let case = env.path().join("cases/changed");
    std::fs::create_dir_all(case.join("tables")).unwrap();
    let source = fixtures.join("runs-pushes-and-missing-lines");
    std::fs::copy(source.join("case.json"), case.join("case.json")).unwrap();
    std::fs::copy(
        source.join("tables/games.json"),
        case.join("tables/games.json"),
    )
    .unwrap();
    let expected = case.join("expected/v1/streaks");
    std::fs::create_dir_all(&expected).unwrap();
    for file in ["2024-01-10.json", "today.json"] {
        let text = std::fs::read_to_string(source.join("expected/v1/streaks").join(file)).unwrap();
        std::fs::write(
            expected.join(file),
            text.replace("\"min_length\": 4", "\"min_length\": 5"),
        )
        .unwrap();
    }
    let cases = env.path().join("cases");
    let out = env.run(&[&args[..], &[cases.to_str().unwrap()]].concat());
    assert_eq!(out.code, 1, "{}", out.stdout);
    assert!(out.stdout.contains("0 of 1 cases passed"), "{}", out.stdout);
    assert!(
        out.stderr
            .contains("propcast: case `changed` failed: `v1/streaks/2024-01-10.json` differs:"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("\n  -   \"min_length\": 5,\n  +   \"min_length\": 4,\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn propcast_test_finds_the_fixtures_from_any_folder_and_blesses_as_documented() {
    let root = propcast_e2e::root();
    let plugin = plugins_dir().join("streaks.wasm");
    let plugin = plugin.to_str().unwrap();
    // From a folder outside the checkout, by the plugin file's place in it.
    let out = Env::new().run(&["test", plugin]);
    assert!(out.success(), "{}\n{}", out.stdout, out.stderr);
    let found = root.join("plugins/streaks/fixtures");
    assert!(
        out.stdout.contains(&format!(
            "3 of 3 cases passed for `streaks` ({})",
            found.display()
        )),
        "{}",
        out.stdout
    );
    // Inside the exporter's crate, its own `fixtures`.
    let mut inside = Env::new().command();
    let out = inside
        .current_dir(root.join("plugins/streaks"))
        .args(["test", plugin])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("3 of 3 cases passed"));

    // A copy of the plugin far from any fixtures says where it looked and what to do.
    let env = Env::new();
    let copy = env.path().join("streaks.wasm");
    std::fs::copy(plugin, &copy).unwrap();
    let out = env.run(&["test", "streaks.wasm"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("propcast: found no fixtures for `streaks`; looked in:\n  "),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!(
            "{}\n",
            env.path().join("plugins/streaks/fixtures").display()
        )),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("Consider `--fixtures DIR`"),
        "{}",
        out.stderr
    );

    // BLESS=1 records like --update; BLESS=0 compares; anything else is an error.
    let cases = env.path().join("cases");
    let case = cases.join("no-games");
    std::fs::create_dir_all(case.join("tables")).unwrap();
    let source = root.join("plugins/streaks/fixtures/no-games");
    for file in ["case.json", "tables/games.json"] {
        std::fs::copy(source.join(file), case.join(file)).unwrap();
    }
    let args = [
        "test",
        "streaks.wasm",
        "--fixtures",
        cases.to_str().unwrap(),
    ];
    let out = env.run_with(&[("BLESS", "0")], &args);
    assert_eq!(out.code, 1, "no expected output yet: {}", out.stdout);
    let out = env.run_with(&[("BLESS", "1")], &args);
    assert!(out.success(), "{}\n{}", out.stdout, out.stderr);
    assert!(case.join("expected/v1/streaks/today.json").is_file());
    let out = env.run_with(&[("BLESS", "0")], &args);
    assert!(out.success(), "{}\n{}", out.stdout, out.stderr);
    let out = env.run_with(&[("BLESS", "maybe")], &args);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("`maybe` is neither yes (1, true, yes, on) nor no (0, false, no, off)"),
        "{}",
        out.stderr
    );
}

#[test]
fn describe_shows_a_plugin_and_names_both_versions_of_an_incompatible_one() {
    let plugins = plugins_dir();
    let out = Env::new().run(&[
        "describe",
        "streaks",
        "--plugins",
        plugins.to_str().unwrap(),
    ]);
    assert!(out.success(), "{}\n{}", out.stdout, out.stderr);
    for line in [
        "  contract:  propcast:exporter@0.3.0 (this host accepts propcast:exporter@0.3.x)\n",
        "  exporter:  streaks 0.1.0\n",
        "  option:  --min-length <int64>  (default 4) Shortest run that is reported, in games\n",
        "  query `games` (season to date by `game_date`):\n      SELECT g.player_lookup,\n",
        "  exports:\n    propcast:exporter/plugin@0.3.0 (instance)\n",
        "    propcast:exporter/log@0.3.0 (instance)\n",
    ] {
        assert!(out.stdout.contains(line), "{line:?} not in\n{}", out.stdout);
    }
    assert!(out.stdout.contains("  size:      "), "{}", out.stdout);

    let old = propcast_e2e::test_plugin("old-contract");
    let out = Env::new().run(&["describe", old.to_str().unwrap()]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(
            "  contract:  it was built for contract propcast:exporter@0.1.0, but this host accepts propcast:exporter@0.3.x (it has 0.3.0)\n\n             Consider rebuilding it against this host's wit/exporter.wit"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("  exports:\n    propcast:exporter/plugin@0.1.0 (instance)\n"),
        "{}",
        out.stdout
    );
    assert!(!out.stdout.contains("  exporter:"), "{}", out.stdout);

    let out = Env::new().run(&["describe", "nothing-here.wasm"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "propcast: there is no file `nothing-here.wasm`\n"
    );
}

#[test]
fn bench_measures_an_exporter_with_and_without_limits() {
    let plugins = plugins_dir();
    let out = Env::new().run(&[
        "bench",
        "streaks",
        "--date",
        "2024-01-10",
        "--runs",
        "1",
        "--db",
        db(),
        "--plugins",
        plugins.to_str().unwrap(),
    ]);
    assert!(out.success(), "{}", out.stderr);
    for line in [
        "fuel + epoch:  median",
        "epoch only:    median",
        "neither:       median",
        "ratio fuel + epoch / neither:",
    ] {
        assert!(out.stdout.contains(line), "{}", out.stdout);
    }
}
