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
fn a_bad_date_is_a_usage_error() {
    let out = Env::new().run(&["run", "--date", "2024-13-01"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("invalid value '2024-13-01' for '--date <YYYY-MM-DD>': `2024-13-01` is not a date of the form YYYY-MM-DD"),
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
            .contains("--param min-length=<int64>  (default 4)"),
        "{}",
        out.stdout
    );
}
