//! Writing an exporter: `propcast new` scaffolds a crate that builds to Wasm, passes its native
//! test and its fixture case without edits, and runs in the unchanged host beside the others.

use std::path::Path;
use std::process::Command;

use propcast_e2e::{EXPORTERS, Env, plugin_folder, root, target_dir};

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
    let tested = test
        .current_dir(dir.join("plugins/top-scorers"))
        .args(["test", built.to_str().unwrap()])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&tested.stdout);
    assert!(
        tested.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&tested.stderr)
    );
    assert!(
        stdout.contains("1 of 1 cases passed for `top-scorers`"),
        "{stdout}"
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
