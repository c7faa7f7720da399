//! The hostile-plugin suite: purpose-built bad components, each run by the real host next to a
//! good exporter (streaks). Every case asserts the exact error, that the good exporter still
//! published, that the bad one published nothing, that everything published before is
//! unchanged, and that the warehouse is untouched. `docs/sandbox.md` tabulates the cases.

use propcast_e2e::{Env, Output, cap_address_space, plugin_folder, sample_db, test_plugin};

/// One bad plugin and what the host must say about it.
struct Case {
    /// The test plugin (`tests/plugins`) and the file name it gets in the plugin folder.
    plugin: &'static str,
    file: &'static str,
    /// Rewrites the built plugin's bytes before it is copied in.
    rewrite: Option<fn(Vec<u8>) -> Vec<u8>>,
    /// `--param mode=…` for the `hostile` plugin.
    mode: Option<&'static str>,
    /// More arguments for `propcast run` (limits).
    args: &'static [&'static str],
    /// The row's name and status in the run table.
    row: &'static str,
    status: &'static str,
    /// Text stderr must contain.
    expect: &'static [&'static str],
}

fn check(case: Case) -> Output {
    let folder = plugin_folder(&["streaks"], &[]);
    let mut wasm = std::fs::read(test_plugin(case.plugin)).unwrap();
    if let Some(rewrite) = case.rewrite {
        wasm = rewrite(wasm);
    }
    std::fs::write(folder.path().join(case.file), wasm).unwrap();
    let warehouse_before = std::fs::read(sample_db()).unwrap();
    let env = Env::new();

    let first = env.publish("2024-01-09", folder.path(), &["--only", "streaks"]);
    assert!(first.success(), "{}", first.stderr);
    let before = env.published();

    let mode = case.mode.map(|m| format!("mode={m}"));
    let mut args: Vec<&str> = case.args.to_vec();
    if let Some(mode) = &mode {
        args.extend(["--param", mode]);
    }
    args.extend(["--report", "json"]);
    let out = env.publish("2024-01-10", folder.path(), &args);
    assert_eq!(
        out.code, 1,
        "a failed exporter makes the exit code 1\n{}\n{}",
        out.stdout, out.stderr
    );
    let report = out.report();
    let row = |name: &str| {
        let exporters = report["dates"][0]["exporters"].as_array().unwrap();
        let found = exporters.iter().find(|e| e["name"] == name);
        let found = found.unwrap_or_else(|| panic!("no `{name}` in the report:\n{report:#}"));
        found["status"].as_str().unwrap().to_string()
    };
    assert_eq!(row(case.row), case.status, "{report:#}");
    assert_eq!(
        row("streaks"),
        "ok",
        "the good exporter still publishes\n{}",
        out.stderr
    );
    for expected in case.expect {
        assert!(
            out.stderr.contains(expected),
            "stderr lacks {expected:?}:\n{}",
            out.stderr
        );
    }

    let after = env.published();
    for (path, bytes) in &before {
        if path != "v1/streaks/today.json" {
            assert_eq!(after.get(path), Some(bytes), "`{path}` changed");
        }
    }
    for path in after.keys() {
        assert!(
            path.starts_with("v1/streaks/"),
            "`{path}` was published by the bad plugin"
        );
    }
    assert_eq!(
        env.json("v1/streaks/today.json")["date"],
        "2024-01-10",
        "the good exporter's alias moved on"
    );
    assert_eq!(
        std::fs::read(sample_db()).unwrap(),
        warehouse_before,
        "the warehouse is untouched"
    );
    out
}

fn hostile(
    mode: &'static str,
    args: &'static [&'static str],
    expect: &'static [&'static str],
) -> Output {
    check(Case {
        plugin: "hostile",
        file: "hostile.wasm",
        rewrite: None,
        mode: Some(mode),
        args,
        row: "hostile",
        status: "run failed",
        expect,
    })
}

macro_rules! hostile_cases {
    ($($name:ident: $mode:literal, $args:expr, [$($expect:literal),+ $(,)?];)+) => {
        $(
            #[test]
            fn $name() {
                hostile($mode, $args, &[$($expect),+]);
            }
        )+
    };
}

hostile_cases! {
    infinite_loop_runs_out_of_fuel: "loop", &["--limit", "fuel=200M"], [
        "propcast: exporter `hostile` failed: it went past its instruction (fuel) limit of 200000000: it used all 200000000 instructions",
        "Consider raising it with `--limit fuel=<value>`",
    ];
    infinite_loop_hits_the_deadline: "loop", &["--limit", "fuel=10000G", "--limit", "deadline=1s"], [
        "propcast: exporter `hostile` failed: it went past its time limit of 1s: it was still running after 1.",
        "Consider raising it with `--limit deadline=<value>`",
    ];
    deep_recursion_overflows_the_stack: "recurse", &[], [
        "propcast: exporter `hostile` failed: it went past its stack limit of 1 MiB: it overflowed the stack",
    ];
    memory_bomb_hits_the_memory_limit: "memory", &["--limit", "memory=64MiB"], [
        "propcast: exporter `hostile` failed: it went past its memory limit of 64 MiB: it asked for ",
        "Consider raising it with `--limit memory=<value>`",
    ];
    panic_is_reported_with_its_message: "panic", &[], [
        "propcast: exporter `hostile` failed: the exporter panicked: panicked at hostile/src/lib.rs:",
        "hostile plugin panicked on purpose on 2024-01-10",
        "---- stderr (last",
    ];
    returned_error_is_reported_with_its_hint: "error", &[], [
        "propcast: exporter `hostile` failed: the exporter failed: hostile plugin failed on purpose\n\nConsider --param mode=ok",
    ];
    huge_document_hits_the_document_size_limit: "huge-document", &[], [
        "propcast: exporter `hostile` failed: it went past its document size limit of 16 MiB: `v1/hostile/2024-01-10.json` is 17 MiB",
    ];
    too_many_documents_hit_the_count_limit: "many-documents", &[], [
        "propcast: exporter `hostile` failed: it went past its document count limit of 20000 documents: it returned 20001",
    ];
    total_output_hits_the_output_limit: "many-documents", &["--limit", "hostile.documents=30000", "--limit", "hostile.output=30KiB"], [
        "propcast: exporter `hostile` failed: it went past its total output limit of 30 KiB: its documents add up to 39.1 KiB",
    ];
    invalid_json_is_rejected: "invalid-json", &[], [
        "propcast: exporter `hostile` failed: the exporter's output was rejected: `v1/hostile/2024-01-10.json` is not valid JSON: key must be a string at line 1 column 2",
    ];
    path_traversal_is_rejected: "traversal", &[], [
        "the exporter's output was rejected: `v1/hostile/../../etc/passwd.json` has an empty, `.` or `..` segment",
    ];
    absolute_path_is_rejected: "absolute-path", &[], [
        "the exporter's output was rejected: `/etc/passwd.json` is an absolute path",
    ];
    writing_outside_its_prefix_is_rejected: "outside-prefix", &[], [
        "the exporter's output was rejected: `v1/streaks/today.json` is outside the exporter's declared outputs (v1/hostile/)",
    ];
    one_path_twice_is_rejected: "duplicate-path", &[], [
        "the exporter's output was rejected: `v1/hostile/2024-01-10.json` is written twice",
    ];
    opening_a_file_finds_nothing: "read-file", &[], [
        "propcast: exporter `hostile` failed: the exporter failed: could not read /etc/passwd: No such file or directory",
    ];
    the_environment_is_empty: "read-env", &[], [
        "the exporter failed: saw 0 environment variables, 0 arguments, HOME None",
    ];
    sockets_are_denied: "open-socket", &[], [
        "the exporter failed: could not connect: Permission denied",
    ];
    name_lookup_is_denied: "resolve-name", &[], [
        "the exporter failed: could not resolve localhost: failed to lookup address information",
    ];
    the_clock_reads_the_runs_timestamp_and_stands_still: "read-clock", &[], [
        // --generated-at 2024-01-10T12:00:00Z is 1704888000.
        "the exporter failed: the clock reads 1704888000 and 0ns passed",
    ];
    log_flood_hits_the_log_limit: "log-flood", &[], [
        "propcast: exporter `hostile` failed: it went past its log output limit of 1 MiB: it logged 1023 KiB in 992 lines and then 1.0 KiB more (each line counts 32 bytes besides its text)",
    ];
    stderr_flood_hits_the_log_limit: "stderr-flood", &[], [
        "propcast: exporter `hostile` failed: it went past its log output limit of 1 MiB: it wrote more than that to stderr",
    ];
    empty_log_lines_count_against_the_log_limit: "empty-log-flood", &[], [
        "propcast: exporter `hostile` failed: it went past its log output limit of 1 MiB: it logged 1 MiB in 32768 lines and then 32 B more (each line counts 32 bytes besides its text)",
    ];
    json_nested_a_million_deep_is_rejected: "deep-json", &[], [
        "the exporter's output was rejected: `v1/hostile/2024-01-10.json` is not valid JSON: nests deeper than 64 arrays and objects at line 1 column 65",
    ];
    a_number_past_a_double_is_rejected: "infinite-number", &[], [
        "the exporter's output was rejected: `v1/hostile/2024-01-10.json` is not valid JSON: number out of range at line 1 column 16",
    ];
    a_lone_surrogate_is_rejected: "lone-surrogate", &[], [
        "the exporter's output was rejected: `v1/hostile/2024-01-10.json` is not valid JSON: unexpected end of hex escape at line 1 column 17",
    ];
    look_alike_and_bidi_paths_are_rejected: "lookalike-path", &[], [
        "the exporter's output was rejected: `v1/hostile/str\u{435}aks.json` contains `\u{435}`; a path may hold only ASCII letters, digits, `-`, `_`, `.` and `/`",
        "`v1/hostile/\\u{202e}nosj.json` contains `\\u{202e}`",
    ];
    paths_differing_only_in_case_are_rejected: "case-twins", &[], [
        "the exporter's output was rejected: `v1/hostile/Today.json` and `v1/hostile/today.json` differ only in case",
    ];
    // Without virtual waits this run blocks the host for an hour, past any deadline.
    a_sleep_does_not_block_the_host: "sleep", &["--limit", "deadline=5s"], [
        "propcast: exporter `hostile` failed: the exporter failed: woke from a sleep of an hour",
    ];
    a_huge_error_message_is_cut: "huge-error", &[], [
        "propcast: exporter `hostile` failed: the exporter failed: eeee",
        "e… (100.0 MiB more cut)",
    ];
}

#[test]
fn guest_text_reaches_the_terminal_escaped() {
    let out = check(Case {
        plugin: "hostile",
        file: "hostile.wasm",
        rewrite: None,
        mode: Some("terminal-escape"),
        args: &[],
        row: "hostile",
        status: "run failed",
        expect: &[
            "the exporter failed: \\u{1b}[2K\\u{d}7 of 7 exporters published\\u{1b}]52;c;cm0gLXJmIH4=\\u{7}",
            "warn: \\u{1b}[2K",
        ],
    });
    assert!(
        !out.stderr.contains(['\u{1b}', '\r', '\u{7}']),
        "raw control characters reached stderr: {:?}",
        out.stderr
    );
}

#[test]
fn random_numbers_are_seeded_by_the_run_so_reruns_match() {
    let message = |out: &Output| {
        out.stderr
            .lines()
            .find(|l| l.contains("a randomly keyed hash of 42 is"))
            .expect("the hash")
            .to_string()
    };
    let first = hostile(
        "read-random",
        &[],
        &["the exporter failed: a randomly keyed hash of 42 is "],
    );
    let second = hostile(
        "read-random",
        &[],
        &["the exporter failed: a randomly keyed hash of 42 is "],
    );
    assert_eq!(message(&first), message(&second));

    // Another run (another timestamp, so another run id) draws other numbers.
    let folder = plugin_folder(&["streaks"], &[]);
    std::fs::copy(test_plugin("hostile"), folder.path().join("hostile.wasm")).unwrap();
    let plugins = folder.path().to_str().unwrap();
    let db = sample_db().to_str().unwrap();
    let other = Env::new().run(&[
        "run",
        "--date",
        "2024-01-10",
        "--db",
        db,
        "--plugins",
        plugins,
        "--only",
        "hostile",
        "--mode",
        "read-random",
        "--generated-at",
        "2024-01-10T13:00:00Z",
    ]);
    assert_ne!(message(&other), message(&first));
}

fn refused_at_load(plugin: &'static str, file: &'static str, expect: &'static [&'static str]) {
    check(Case {
        plugin,
        file,
        rewrite: None,
        mode: None,
        args: &[],
        row: file,
        status: "load failed",
        expect,
    });
}

/// `component` with three more memories of 16 MiB: each alone is well inside a 40 MiB limit,
/// together they are not (a run may hold up to four memories).
fn with_three_more_memories(component: Vec<u8>) -> Vec<u8> {
    with_more_memories(component, 3)
}

/// `component` with forty more memories: more than a run may hold.
fn with_forty_more_memories(component: Vec<u8>) -> Vec<u8> {
    with_more_memories(component, 40)
}

/// `component` with `count` more core instances appended, each of a module holding one memory
/// of 16 MiB.
fn with_more_memories(mut component: Vec<u8>, count: u8) -> Vec<u8> {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    fn section(id: u8, payload: &[u8], out: &mut Vec<u8>) {
        out.push(id);
        leb(payload.len(), out);
        out.extend_from_slice(payload);
    }
    // Top-level sections are `id, size, payload`; each core module section (id 1) adds one
    // module, so the new module's index is their count.
    let mut modules = 0;
    let mut at = 8;
    while at < component.len() {
        let id = component[at];
        let (mut size, mut shift) = (0usize, 0);
        at += 1;
        loop {
            let byte = component[at];
            at += 1;
            size |= usize::from(byte & 0x7f) << shift;
            shift += 7;
            if byte & 0x80 == 0 {
                break;
            }
        }
        modules += usize::from(id == 1);
        at += size;
    }
    // (module (memory 256)): 256 pages of 64 KiB.
    let module = b"\0asm\x01\0\0\0\x05\x04\x01\x00\x80\x02";
    section(1, module, &mut component);
    let mut instances = vec![count];
    for _ in 0..count {
        instances.push(0x00); // instantiate
        leb(modules, &mut instances);
        instances.push(0); // with no arguments
    }
    section(2, &instances, &mut component);
    component
}

#[test]
fn many_memories_count_together_against_the_memory_limit() {
    check(Case {
        plugin: "hostile",
        file: "hostile.wasm",
        rewrite: Some(with_three_more_memories),
        mode: None,
        args: &["--limit", "memory=40MiB"],
        row: "hostile.wasm",
        status: "load failed",
        expect: &[
            "hostile.wasm`: failed to read the exporter's manifest: it went past its memory limit of 40 MiB: it asked for 16 MiB besides the ",
            "Consider raising it with `--limit memory=<value>`",
        ],
    });
}

#[test]
fn without_the_memory_pool_a_component_with_more_memories_is_still_refused() {
    let component = with_forty_more_memories(std::fs::read(test_plugin("hostile")).unwrap());
    let folder = plugin_folder(&[], &[("hostile.wasm", &component)]);
    let env = Env::new();
    let mut command = env.command();
    command
        .args(["plugins", "--plugins"])
        .arg(folder.path())
        .env("PROPCAST_LOG", "propcast=debug");
    cap_address_space(&mut command, 1 << 40);
    let out = Output::from(command.output().unwrap());
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("the memory pool could not be set up"),
        "{}",
        out.stderr
    );
    assert!(
        out.stdout.contains("hostile.wasm  FAILED TO LOAD")
            && out.stdout.contains("memory count too high at 5"),
        "{}",
        out.stdout
    );
}

#[test]
fn a_component_with_more_memories_than_a_run_holds_is_refused_at_load() {
    check(Case {
        plugin: "hostile",
        file: "hostile.wasm",
        rewrite: Some(with_forty_more_memories),
        mode: None,
        args: &[],
        row: "hostile.wasm",
        status: "load failed",
        expect: &[
            "hostile.wasm`: failed to compile the component: The component transitively contains 41 Wasm linear memories, which exceeds the configured maximum of 4",
        ],
    });
}

#[test]
fn a_query_that_deletes_is_refused_at_load() {
    refused_at_load(
        "hostile-query-delete",
        "hostile-delete.wasm",
        &[
            "failed to load `",
            "hostile-delete.wasm`: failed to read the exporter's manifest: query `games` starts with `DELETE`; only SELECT and WITH queries are allowed",
        ],
    );
}

#[test]
fn an_option_named_like_a_host_flag_is_refused_at_load() {
    const SAID: &str = "exporter `hostile-flag-option` declares option `out`, which is also a flag of the host (`--out`), so `--out` would never reach it";
    let said_of_file: &'static str = format!("hostile-flag-option.wasm`: {SAID}").leak();
    refused_at_load(
        "hostile-option-named-like-a-flag",
        "hostile-flag-option.wasm",
        vec![
            said_of_file,
            "Consider renaming the option in the exporter's manifest",
        ]
        .leak(),
    );
    // `plugins` and `test` refuse it as `run` does.
    let folder = plugin_folder(&["streaks"], &[]);
    let file = folder.path().join("hostile-flag-option.wasm");
    std::fs::copy(test_plugin("hostile-option-named-like-a-flag"), &file).unwrap();
    let env = Env::new();
    let plugins = folder.path().to_str().unwrap();
    let out = env.run(&["plugins", "--plugins", plugins]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stdout.contains(SAID), "{}", out.stdout);
    assert!(out.stdout.contains("streaks 0.1.0"), "{}", out.stdout);
    let out = env.run(&["test", file.to_str().unwrap(), "--fixtures", plugins]);
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains(SAID), "{}", out.stderr);
}

#[test]
fn a_query_with_two_statements_is_refused_at_load() {
    refused_at_load(
        "hostile-query-two-statements",
        "hostile-two.wasm",
        &[
            "hostile-two.wasm`: failed to read the exporter's manifest: query `games` holds 2 statements; a query must be exactly one",
        ],
    );
}

/// `plugin`, as `file` beside streaks and tonight, clashes with one of them: the run stops
/// before anything runs, exit code 2, naming both files, and nothing is published.
fn clash_stops_the_run(plugin: &str, file: &str, expect: &[&str]) {
    let folder = plugin_folder(&["streaks", "tonight"], &[]);
    std::fs::copy(test_plugin(plugin), folder.path().join(file)).unwrap();
    let env = Env::new();
    let out = env.publish("2024-01-10", folder.path(), &[]);
    let mut all = vec!["the plugin folder holds plugins that clash, so nothing was run:"];
    all.extend(expect);
    out.assert_fails(2, &all);
    assert!(
        !env.out().join("v1").exists(),
        "nothing was published: {:?}",
        env.published().keys().collect::<Vec<_>>()
    );
}

#[test]
fn outputs_that_overlap_another_exporter_refuse_both() {
    // Named to sort first: it must not win by that.
    clash_stops_the_run(
        "hostile-outputs-overlap",
        "aa-overlap.wasm",
        &[
            "aa-overlap.wasm` and `",
            "streaks.wasm` write overlapping paths: `v1/streaks/` of exporter `hostile-overlap` and `v1/streaks/` of exporter `streaks`; neither was loaded",
        ],
    );
}

#[test]
fn a_folder_named_like_another_exporter_s_file_overlaps_it() {
    clash_stops_the_run(
        "hostile-outputs-file-as-folder",
        "aa-folder.wasm",
        &[
            "write overlapping paths: `v1/tonight/All-Players.json/` of exporter `hostile-folder` and `v1/tonight/all-players.json` of exporter `tonight`",
        ],
    );
}

#[test]
fn two_plugins_with_one_name_refuse_both() {
    let streaks = std::fs::read(propcast_e2e::plugins_dir().join("streaks.wasm")).unwrap();
    let folder = plugin_folder(&["streaks", "tonight"], &[("aa-impostor.wasm", &streaks)]);
    let env = Env::new();
    let out = env.publish("2024-01-10", folder.path(), &[]);
    out.assert_fails(
        2,
        &[
            "aa-impostor.wasm` and `",
            "streaks.wasm` both declare exporter `streaks`; neither was loaded",
        ],
    );
    assert!(!env.out().join("v1").exists());
}

#[test]
fn a_component_past_the_size_limit_is_not_compiled() {
    // A component header and 2 MiB of code: never read, let alone compiled.
    let mut big = b"\0asm\x0d\0\x01\0".to_vec();
    big.resize(2 << 20, 0);
    let folder = plugin_folder(&["streaks"], &[("big.wasm", &big)]);
    let env = Env::new();
    let out = env.publish(
        "2024-01-10",
        folder.path(),
        &["--limit", "component-size=1MiB"],
    );
    out.assert_fails(
        1,
        &["big.wasm`: the file is 2 MiB, more than the component size limit of 1 MiB, so it was not compiled"],
    );
    assert!(env.out().join("v1/streaks/2024-01-10.json").is_file());
}

#[test]
fn a_core_module_is_refused() {
    let folder = plugin_folder(&["streaks"], &[("core.wasm", b"\0asm\x01\0\0\0")]);
    let out = Env::new().publish("2024-01-10", folder.path(), &[]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("core.wasm`: this is a core WebAssembly module, not a component"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_component_of_another_world_is_refused() {
    refused_at_load(
        "wrong-world",
        "wrong-world.wasm",
        &["wrong-world.wasm`: not a propcast exporter: it exports wasi:cli/run@0.2."],
    );
}

#[test]
fn a_component_of_an_incompatible_contract_is_refused() {
    refused_at_load(
        "old-contract",
        "old-contract.wasm",
        &[
            "old-contract.wasm`: it was built for contract propcast:exporter@0.1.0, but this host accepts propcast:exporter@0.3.x",
            "Consider rebuilding it against this host's wit/exporter.wit: `cargo xtask plugins`",
        ],
    );
}

#[test]
fn a_query_that_runs_too_long_is_stopped() {
    check(Case {
        plugin: "hostile-query-slow",
        file: "hostile-slow.wasm",
        rewrite: None,
        mode: None,
        args: &["--limit", "query-time=1s"],
        row: "hostile-slow",
        status: "query failed",
        expect: &[
            "propcast: exporter `hostile-slow` failed: failed to read SQLite database `",
            "query `games` ran longer than its time limit of 1s",
        ],
    });
}

#[test]
fn queries_together_stop_at_their_total_time() {
    check(Case {
        plugin: "hostile-query-slow",
        file: "hostile-slow.wasm",
        rewrite: None,
        mode: None,
        args: &[
            "--limit",
            "query-time=60s",
            "--limit",
            "query-total-time=1s",
        ],
        row: "hostile-slow",
        status: "query failed",
        expect: &[
            "query `games` was still running when its exporter's queries reached their total time limit of 1s",
            "Consider raising it with `--limit query-total-time=<duration>`",
        ],
    });
}

/// The `slow-describe` plugin, whose `describe` never returns, run with `args`.
fn slow_describe(args: &'static [&'static str], expect: &'static [&'static str]) {
    check(Case {
        plugin: "slow-describe",
        file: "slow-describe.wasm",
        rewrite: None,
        mode: None,
        args,
        row: "slow-describe.wasm",
        status: "load failed",
        expect,
    });
}

#[test]
fn a_describe_that_never_returns_is_stopped_by_its_own_budget() {
    slow_describe(
        &[],
        &[
            "slow-describe.wasm`: failed to read the exporter's manifest: it went past its describe instruction (fuel) limit of 1000000000: it used all 1000000000 instructions",
            "Consider raising it with `--limit describe-fuel=<value>`, or `describe-fuel = …` under [limits] in propcast.toml",
        ],
    );
}

#[test]
fn a_describe_runs_under_the_users_limits() {
    slow_describe(
        &["--limit", "describe-fuel=10000G", "--limit", "deadline=1s"],
        &[
            "slow-describe.wasm`: failed to read the exporter's manifest: it went past its time limit of 1s: it was still running after 1.",
            "Consider raising it with `--limit deadline=<value>`",
        ],
    );
}

#[test]
fn a_query_that_returns_too_many_rows_is_stopped() {
    check(Case {
        plugin: "hostile-query-many-rows",
        file: "hostile-many-rows.wasm",
        rewrite: None,
        mode: None,
        // Query limits apply to every exporter: this one leaves room for streaks' season.
        args: &["--limit", "query-rows=100k"],
        row: "hostile-many-rows",
        status: "query failed",
        expect: &[
            "query `games` returned more than its limit of 100000 rows",
            "Consider raising it with `--limit query-rows=<count>`",
        ],
    });
}

#[test]
fn limits_can_be_set_per_exporter_in_propcast_toml() {
    let folder = plugin_folder(&["streaks"], &[]);
    std::fs::copy(test_plugin("hostile"), folder.path().join("hostile.wasm")).unwrap();
    let env = Env::new();
    std::fs::write(
        env.path().join("propcast.toml"),
        "[limits]\nfuel = \"50G\"\n[limits.exporters.hostile]\nfuel = \"100M\"\n",
    )
    .unwrap();
    let out = env.publish(
        "2024-01-10",
        folder.path(),
        &["--param", "mode=loop", "--verbose"],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("propcast: limits from built-in defaults, then `propcast.toml`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("`hostile`: fuel 100000000,"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("`streaks`: fuel 50000000000,"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("it went past its instruction (fuel) limit of 100000000"),
        "{}",
        out.stderr
    );

    std::fs::write(
        env.path().join("propcast.toml"),
        "[limits]\nfuel = \"lots\"\n",
    )
    .unwrap();
    let out = env.publish("2024-01-10", folder.path(), &[]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "propcast: `propcast.toml` is invalid: limits.fuel: `lots` is not a count like 5000, 50k, 20M or 50G\n"
    );
    let out = Env::new().publish("2024-01-10", folder.path(), &["--limit", "nobody.fuel=1M"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .starts_with("propcast: limits are set for exporter `nobody`, which is not loaded"),
        "{}",
        out.stderr
    );
}

#[test]
fn instructions_are_deterministic_and_reported() {
    let folder = plugin_folder(&["streaks"], &[]);
    let instructions = |env: &Env| {
        let out = env.publish("2024-01-10", folder.path(), &["--report", "json"]);
        assert!(out.success(), "{}", out.stderr);
        let report = out.report();
        report["dates"][0]["exporters"][0]["instructions"]
            .as_u64()
            .unwrap_or_else(|| panic!("no instruction count:\n{report:#}"))
    };
    let (a, b) = (instructions(&Env::new()), instructions(&Env::new()));
    assert!(
        a > 1_000_000,
        "a run of streaks counts its instructions: {a}"
    );
    assert_eq!(a, b, "the same inputs use the same fuel");
}
