//! The compile cache (issue 8): the second command loads compiled exporters instead of compiling
//! them, a damaged entry is recompiled rather than trusted, and a cached exporter publishes the
//! same bytes as a freshly compiled one.

use std::path::{Path, PathBuf};

use propcast_e2e::{Env, Output, plugin_folder, sample_db};

/// The compiled components in the cache folder (beside each, its manifest: [`described`]).
fn entries(cache: &Path) -> Vec<PathBuf> {
    files_ending(cache, ".cwasm")
}

/// The cached manifests in the cache folder.
fn described(cache: &Path) -> Vec<PathBuf> {
    files_ending(cache, ".described.json")
}

fn files_ending(cache: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(cache)
        .map(|dir| dir.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    files.retain(|f| f.to_string_lossy().ends_with(suffix));
    files.sort();
    files
}

fn plugins(env: &Env, folder: &Path, cache: &Path) -> Output {
    let out = env.run(&[
        "plugins",
        "--plugins",
        folder.to_str().unwrap(),
        "--cache-dir",
        cache.to_str().unwrap(),
    ]);
    out.assert_success();
    out
}

#[test]
fn the_second_command_loads_every_exporter_from_the_cache() {
    let env = Env::new();
    let folder = plugin_folder(&["streaks", "results"], &[]);
    let cache = env.path().join("cache");
    let first = plugins(&env, folder.path(), &cache);
    assert_eq!(
        first.stdout.matches("compiled, now cached)").count(),
        2,
        "{}",
        first.stdout
    );
    assert_eq!(entries(&cache).len(), 2);
    assert_eq!(described(&cache).len(), 2);
    let second = plugins(&env, folder.path(), &cache);
    assert_eq!(
        second.stdout.matches("from the compile cache)").count(),
        2,
        "{}",
        second.stdout
    );

    // The manifest comes from the cache too: describing is not repeated. (An edited copy shows
    // where it came from; one whose recorded memory is past the limit is described again.)
    for manifest in described(&cache) {
        let text = std::fs::read_to_string(&manifest).unwrap();
        let edited = text.replacen("\"description\":\"", "\"description\":\"CACHED ", 1);
        std::fs::write(&manifest, edited).unwrap();
    }
    let from_cache = plugins(&env, folder.path(), &cache);
    assert_eq!(
        from_cache.stdout.matches("CACHED ").count(),
        2,
        "{}",
        from_cache.stdout
    );
    let args = |limit: &'static str| {
        let cache = cache.to_str().unwrap().to_string();
        let folder = folder.path().to_str().unwrap().to_string();
        move |env: &Env| {
            env.run(&[
                "plugins",
                "--plugins",
                &folder,
                "--cache-dir",
                &cache,
                "--limit",
                limit,
            ])
        }
    };
    let described_again = args("memory=1MiB")(&env);
    assert!(
        !described_again.stdout.contains("CACHED "),
        "{}",
        described_again.stdout
    );
    assert!(
        described_again.stdout.contains(
            "failed to read the exporter's manifest: it went past its memory limit of 1 MiB"
        ),
        "{}",
        described_again.stdout
    );

    // A run from the cache publishes exactly what a fresh compile does.
    let cached = Env::new();
    let args = ["--cache-dir", cache.to_str().unwrap()];
    cached
        .publish("2024-01-10", folder.path(), &args)
        .assert_success();
    let fresh = Env::new();
    fresh
        .publish("2024-01-10", folder.path(), &["--no-cache"])
        .assert_success();
    assert_eq!(cached.published(), fresh.published());
}

#[test]
fn a_damaged_entry_is_recompiled_and_replaced_never_loaded() {
    let env = Env::new();
    let folder = plugin_folder(&["streaks"], &[]);
    let cache = env.path().join("cache");
    plugins(&env, folder.path(), &cache);
    let entry = entries(&cache).pop().unwrap();
    let good = std::fs::read(&entry).unwrap();

    // One flipped byte deep in the compiled code.
    let mut flipped = good.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x40;
    std::fs::write(&entry, &flipped).unwrap();
    let out = plugins(&env, folder.path(), &cache);
    assert!(
        out.stdout
            .contains("recompiled: the cached copy is corrupted (its checksum does not match))"),
        "{}",
        out.stdout
    );
    assert_eq!(
        std::fs::read(&entry).unwrap(),
        good,
        "the entry was replaced"
    );

    // A truncated file, and one that is not an entry at all.
    for damaged in [&good[..good.len() / 3], b"garbage".as_slice()] {
        std::fs::write(&entry, damaged).unwrap();
        let out = plugins(&env, folder.path(), &cache);
        assert!(
            out.stdout.contains("recompiled: the cached copy is"),
            "{}",
            out.stdout
        );
        let again = plugins(&env, folder.path(), &cache);
        assert!(
            again.stdout.contains("from the compile cache)"),
            "{}",
            again.stdout
        );
    }
}

#[test]
fn another_plugin_or_engine_setting_gets_its_own_entry() {
    let env = Env::new();
    let folder = plugin_folder(&["streaks"], &[]);
    let cache = env.path().join("cache");
    plugins(&env, folder.path(), &cache);
    assert_eq!(entries(&cache).len(), 1);
    // The same exporter for engines without fuel metering is other machine code: `bench`
    // compiles it for three engines, and two of them get entries of their own.
    let bench = env.run(&[
        "bench",
        "streaks",
        "--date",
        "2024-01-10",
        "--runs",
        "1",
        "--db",
        sample_db().to_str().unwrap(),
        "--plugins",
        folder.path().to_str().unwrap(),
        "--cache-dir",
        cache.to_str().unwrap(),
    ]);
    bench.assert_success();
    assert_eq!(entries(&cache).len(), 3);
    // A stack size is checked when the code runs, not compiled in: it shares the entry.
    env.publish(
        "2024-01-10",
        folder.path(),
        &[
            "--cache-dir",
            cache.to_str().unwrap(),
            "--limit",
            "stack=2MiB",
        ],
    )
    .assert_success();
    assert_eq!(entries(&cache).len(), 3);
    // A changed plugin file is another entry too.
    let wasm = folder.path().join("streaks.wasm");
    let mut bytes = std::fs::read(&wasm).unwrap();
    // A custom section at the end changes the file but not what it does.
    bytes.extend_from_slice(&[0, 6, 5, b'n', b'o', b't', b'e', b's']);
    std::fs::write(&wasm, bytes).unwrap();
    let out = plugins(&env, folder.path(), &cache);
    assert!(
        out.stdout.contains("compiled, now cached)"),
        "{}",
        out.stdout
    );
    assert_eq!(entries(&cache).len(), 4);
}

#[test]
fn precompile_fills_the_cache_and_no_cache_leaves_it_alone() {
    let env = Env::new();
    let folder = plugin_folder(&["streaks", "tonight"], &[]);
    let cache = env.path().join("cache");
    let out = env.run(&[
        "precompile",
        "--plugins",
        folder.path().to_str().unwrap(),
        "--cache-dir",
        cache.to_str().unwrap(),
    ]);
    out.assert_success();
    assert!(
        out.stdout.ends_with(&format!(
            "2 of 2 plugins are in the compile cache `{}`\n",
            cache.display()
        )),
        "{}",
        out.stdout
    );
    assert_eq!(entries(&cache).len(), 2);

    let untouched = env.path().join("untouched");
    let no_cache = env.run(&[
        "plugins",
        "--plugins",
        folder.path().to_str().unwrap(),
        "--cache-dir",
        untouched.to_str().unwrap(),
        "--no-cache",
    ]);
    no_cache.assert_success();
    assert!(!untouched.exists());

    // With no folder given and no home for the default one, there is nothing to fill.
    let nowhere = env
        .command()
        .env_remove("PROPCAST_CACHE_DIR")
        .args(["precompile", "--plugins", folder.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(nowhere.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&nowhere.stderr).trim(),
        "propcast: there is no compile cache to fill: give one with `--cache-dir DIR` (or PROPCAST_CACHE_DIR), or set HOME or XDG_CACHE_HOME for the default"
    );
}

#[test]
fn a_run_of_some_exporters_loads_only_those() {
    let env = Env::new();
    let folder = plugin_folder(
        &["streaks", "results", "best-bets"],
        &[("broken.wasm", b"not wasm at all")],
    );
    let cache = env.path().join("cache");
    let cache_arg = ["--cache-dir", cache.to_str().unwrap()];
    let only = [&cache_arg[..], &["--only", "streaks,results"]].concat();
    let out = env.publish("2024-01-10", folder.path(), &only);
    out.assert_success();
    assert_eq!(
        entries(&cache).len(),
        2,
        "only the two selected were compiled"
    );
    assert!(
        !out.stderr.contains("broken.wasm"),
        "a plugin that is not selected is not even read:\n{}",
        out.stderr
    );
    // Limits may still name an exporter that is in the folder but not selected; a typo is
    // still refused.
    std::fs::write(
        env.path().join("propcast.toml"),
        "[limits.exporters.best-bets]\nfuel = \"1G\"\n",
    )
    .unwrap();
    env.publish("2024-01-10", folder.path(), &only)
        .assert_success();
    std::fs::write(
        env.path().join("propcast.toml"),
        "[limits.exporters.best-betz]\nfuel = \"1G\"\n",
    )
    .unwrap();
    env.publish("2024-01-10", folder.path(), &only)
        .assert_fails(
            2,
            &["limits are set for exporter `best-betz`, which is not loaded"],
        );
    assert_eq!(entries(&cache).len(), 2);
}
