//! `cargo xtask bench [--quick]`: the goal table of issue 8, measured in one run on this machine,
//! with every number a ratio against a baseline measured beside it. Linux only (peak memory is
//! read from `wait4`).
//!
//! 1. Start: `propcast plugins` (all exporters ready) with no compile cache and with a warm one.
//! 2. Wasm against native, per exporter: `propcast capture` saves one late-season date's tables
//!    as a fixture case; `propcast bench --case` times the component on it (limits on, and off)
//!    and `propcast-native-bench` times the same crate compiled natively on the same case; the
//!    documents both wrote must be byte-identical, or the bench fails.
//! 3. One call's host overhead: an exporter on a date without games (empty tables).
//! 4. Backfill of the sample seasons, all exporters, into a fresh folder: wall time, dates a
//!    second, peak memory.
//! 5. The Python way: `bench/pandas_reference.py` (in a venv the bench creates from
//!    `bench/requirements.txt`) against `propcast backfill` of the same three exporters over the
//!    same dates.
//!
//! Everything goes under `target/bench/`; the table is printed and written to
//! `target/bench/report.md`. `--quick` measures one season instead of four, with fewer runs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::tasks::{self, Result};

/// The three exporters the pandas reference re-implements.
const PANDAS_EXPORTERS: &str = "streaks,player-profiles,tonight-players";
/// A late-season date of the sample warehouse: season-to-date tables near their largest.
const CASE_DATE: &str = "2024-04-10";
/// The timestamp every backfill and the pandas script write, so their documents compare.
const GENERATED_AT: &str = "2024-04-10T12:00:00Z";
/// A date without games: every table empty.
const EMPTY_DATE: &str = "2024-07-15";

struct Plan {
    seasons: &'static str,
    from: &'static str,
    to: &'static str,
    runs: &'static str,
}

pub(crate) fn bench(args: &[String]) -> Result {
    let quick = match args {
        [] => false,
        [flag] if flag == "--quick" => true,
        _ => return Err("usage: cargo xtask bench [--quick]".into()),
    };
    let plan = if quick {
        Plan {
            seasons: "1",
            from: "2023-10-01",
            to: "2024-04-30",
            runs: "10",
        }
    } else {
        Plan {
            seasons: "4",
            from: "2020-10-01",
            to: "2024-04-30",
            runs: "30",
        }
    };
    tasks::plugins()?;
    tasks::build_host()?;
    // On its own: built together with the host, cargo would resolve the host's dependencies'
    // features with the exporters' and compile wasmtime a second time. With the plugins'
    // profile, so both sides of the comparison are built alike.
    let mut build = tasks::cargo();
    build
        .args(["build", "--profile", tasks::PLUGIN_PROFILE])
        .args(["--package", "propcast-native-bench"]);
    tasks::run(build)?;
    let dir = tasks::target_dir().join("bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)
        .map_err(|e| format!("failed to create `{}`: {e}", dir.display()))?;
    tasks::python_venv(
        &tasks::target_dir().join("bench-venv"),
        &tasks::root().join("bench/requirements.txt"),
        &tasks::target_dir().join("bench-venv.requirements.txt"),
        "the pandas reference",
    )?;
    let bench = Bench {
        dir: dir.clone(),
        plugins: tasks::target_dir().join("plugins"),
        cache: dir.join("cache"),
        warehouse: dir.join("warehouse.sqlite"),
    };
    let mut report = String::new();
    let title = format!(
        "propcast bench ({} sample season(s), {} to {}), {}\n",
        plan.seasons,
        plan.from,
        plan.to,
        if quick { "quick" } else { "full" }
    );
    report.push_str(&title);
    bench.propcast(
        &["sample-data", "--seasons", plan.seasons, "--out"],
        &[&bench.warehouse],
    )?;

    report.push_str(&bench.start()?);
    report.push_str(&bench.wasm_against_native(plan.runs)?);
    report.push_str(&bench.call_overhead(plan.runs)?);
    report.push_str(&bench.backfill(&plan)?);
    report.push_str(&bench.against_pandas(&plan)?);

    let path = dir.join("report.md");
    std::fs::write(&path, &report)
        .map_err(|e| format!("failed to write `{}`: {e}", path.display()))?;
    println!("{report}");
    eprintln!("xtask: the table is also in `{}`", path.display());
    Ok(())
}

struct Bench {
    dir: PathBuf,
    plugins: PathBuf,
    cache: PathBuf,
    warehouse: PathBuf,
}

/// How a measured process went.
struct Measured {
    wall: Duration,
    /// Peak resident memory, in bytes.
    peak_rss: u64,
    stdout: String,
}

impl Bench {
    fn propcast_command(&self) -> Command {
        let mut command = Command::new(tasks::target_dir().join("release/propcast"));
        command.current_dir(&self.dir);
        command
    }

    /// Runs `propcast ARGS PATHS…` and fails unless it succeeds.
    fn propcast(&self, args: &[&str], paths: &[&Path]) -> Result<String> {
        let mut command = self.propcast_command();
        command.args(args).args(paths);
        Ok(measure(command)?.stdout)
    }

    fn plugin_args(&self) -> Vec<String> {
        vec![
            "--plugins".into(),
            self.plugins.display().to_string(),
            "--cache-dir".into(),
            self.cache.display().to_string(),
        ]
    }

    /// Whole `propcast plugins` processes: best of five, cold (no cache) and warm.
    fn start(&self) -> Result<String> {
        let best = |args: &[String]| -> Result<Duration> {
            let mut times = Vec::new();
            for _ in 0..5 {
                let mut command = self.propcast_command();
                command.arg("plugins").args(args);
                times.push(measure(command)?.wall);
            }
            Ok(times.into_iter().min().expect("five runs"))
        };
        let plugins = ["--plugins".to_string(), self.plugins.display().to_string()];
        let cold = best(&[plugins[0].clone(), plugins[1].clone(), "--no-cache".into()])?;
        let mut precompile = self.propcast_command();
        precompile.arg("precompile").args(self.plugin_args());
        measure(precompile)?;
        let warm = best(&self.plugin_args())?;
        let mut out = String::from(
            "\n## Start: `propcast plugins`, every exporter ready (whole process, best of 5)\n\n\
             | compile cache | wall | goal |\n| --- | --- | --- |\n",
        );
        let _ = writeln!(out, "| none (cold compile) | {} | ≤ 2 s |", secs(cold));
        let _ = writeln!(out, "| warm | {} | ≤ 20 ms |", millis(warm));
        let _ = writeln!(out, "\ncold / warm: {:.0}×", ratio(cold, warm));
        Ok(out)
    }

    /// Each exporter as Wasm and natively on the same captured case.
    fn wasm_against_native(&self, runs: &str) -> Result<String> {
        let mut out = format!(
            "\n## The exporters' work: Wasm against the same crates built natively ({CASE_DATE}, \
             median of {runs} runs)\n\n\
             Wasm is the component's part of the call (instantiate, tables in, `run`, documents \
             out); native is `run` on the same tables. Documents byte-identical in every row.\n\n\
             | exporter | rows in | native | Wasm, limits on | ratio | Wasm, no fuel or epoch | ratio | goal |\n\
             | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        );
        let (mut native_sum, mut limited_sum, mut free_sum) = (0.0, 0.0, 0.0);
        for exporter in &tasks::exporter_crates()? {
            let exporter = exporter.as_str();
            let cases = self.dir.join("cases").join(exporter);
            let mut capture = self.propcast_command();
            capture
                .args(["capture", "--date", CASE_DATE, "--only", exporter, "--db"])
                .arg(&self.warehouse)
                .arg("--to")
                .arg(&cases)
                .args(self.plugin_args());
            measure(capture)?;
            let case = cases.join(CASE_DATE);
            let (wasm_docs, native_docs) = (
                self.dir.join("documents/wasm").join(exporter),
                self.dir.join("documents/native").join(exporter),
            );
            let mut wasm = self.propcast_command();
            wasm.args(["bench", exporter, "--json", "--runs", runs, "--case"])
                .arg(&case)
                .arg("--documents")
                .arg(&wasm_docs)
                .args(self.plugin_args());
            let wasm = json(&measure(wasm)?.stdout)?;
            let mut native = Command::new(
                tasks::target_dir()
                    .join(tasks::PLUGIN_PROFILE)
                    .join("propcast-native-bench"),
            );
            native
                .args([exporter])
                .arg(&case)
                .args(["--json", "--runs", runs, "--documents"])
                .arg(&native_docs);
            let native = json(&measure(native)?.stdout)?;
            same_files(&wasm_docs, &native_docs)?;
            let native_ms = number(&native, "median_ms")?;
            let limited = number(&wasm, "component_median_ms.fuel_and_epoch")?;
            let free = number(&wasm, "component_median_ms.neither")?;
            native_sum += native_ms;
            limited_sum += limited;
            free_sum += free;
            let _ = writeln!(
                out,
                "| {exporter} | {} | {native_ms:.2} ms | {limited:.2} ms | {:.2}× | {free:.2} ms | {:.2}× | ≤ 1.5× |",
                number(&wasm, "rows_in")?,
                limited / native_ms,
                free / native_ms,
            );
        }
        let _ = writeln!(
            out,
            "| all | | {native_sum:.2} ms | {limited_sum:.2} ms | {:.2}× | {free_sum:.2} ms | {:.2}× | ≤ 1.5× (stretch 1.2×) |",
            limited_sum / native_sum,
            free_sum / native_sum
        );
        Ok(out)
    }

    /// One call of an exporter on empty tables, as the host sees it.
    fn call_overhead(&self, runs: &str) -> Result<String> {
        let mut bench = self.propcast_command();
        bench
            .args([
                "bench",
                "predictions",
                "--json",
                "--runs",
                runs,
                "--date",
                EMPTY_DATE,
                "--db",
            ])
            .arg(&self.warehouse)
            .args(self.plugin_args());
        let result = json(&measure(bench)?.stdout)?;
        let whole = number(&result, "median_ms.fuel_and_epoch")?;
        let component = number(&result, "component_median_ms.fuel_and_epoch")?;
        let mut out = String::from(
            "\n## One call's host overhead (`predictions` on a date without games: empty tables)\n\n\
             | per call, limits on | median | goal |\n| --- | --- | --- |\n",
        );
        let _ = writeln!(
            out,
            "| whole call: store, tables in, instantiate, run, output check, drop | {:.0} µs | ≤ 100 µs |",
            whole * 1e3
        );
        let _ = writeln!(
            out,
            "| of which the component's part | {:.0} µs | |",
            component * 1e3
        );
        Ok(out)
    }

    /// `propcast backfill` of the plan's game days into `out`, of `only` these exporters or all.
    fn backfill_command(&self, plan: &Plan, out: &Path, only: Option<&str>) -> Command {
        let mut backfill = self.propcast_command();
        backfill
            .args([
                "backfill",
                "--from",
                plan.from,
                "--to",
                plan.to,
                "--game-days",
            ])
            .args(["--generated-at", GENERATED_AT, "--db"])
            .arg(&self.warehouse)
            .arg("--out")
            .arg(out)
            .args(self.plugin_args());
        if let Some(only) = only {
            backfill.args(["--only", only]);
        }
        backfill
    }

    /// A backfill of every sample date, all exporters.
    fn backfill(&self, plan: &Plan) -> Result<String> {
        let folder = self.dir.join("backfill");
        let backfill = self.backfill_command(plan, &folder, None);
        let measured = measure(backfill)?;
        let dates = date_runs(&folder)?;
        let mut out = format!(
            "\n## Backfill: {dates} game dates, every exporter, a fresh local folder (one job per core)\n\n\
             | wall | dates a second | peak RSS | goal |\n| --- | --- | --- | --- |\n"
        );
        let _ = writeln!(
            out,
            "| {} | {:.1} | {} MB | {} |",
            secs(measured.wall),
            dates as f64 / measured.wall.as_secs_f64(),
            measured.peak_rss / 1_000_000,
            if plan.seasons == "4" {
                "< 60 s (stretch 16 s), < 300 MB"
            } else {
                "(the goal is for 4 seasons)"
            }
        );
        let summary = measured.stdout.lines().rev().take(2).collect::<Vec<_>>();
        for line in summary.into_iter().rev() {
            let _ = writeln!(out, "\n    {line}");
        }
        Ok(out)
    }

    /// The pandas reference against propcast for the same three exporters and dates.
    fn against_pandas(&self, plan: &Plan) -> Result<String> {
        let python = tasks::target_dir().join("bench-venv/bin/python");
        let mut pandas = Command::new(python);
        pandas
            .current_dir(&self.dir)
            .arg(tasks::root().join("bench/pandas_reference.py"))
            .arg("--db")
            .arg(&self.warehouse)
            .args(["--from", plan.from, "--to", plan.to, "--game-days"])
            .args(["--generated-at", GENERATED_AT, "--out"])
            .arg(self.dir.join("pandas"));
        let pandas = measure(pandas)?;
        let propcast = self.backfill_command(
            plan,
            &self.dir.join("propcast-three"),
            Some(PANDAS_EXPORTERS),
        );
        let propcast = measure(propcast)?;
        let mut out = format!(
            "\n## The Python way: {PANDAS_EXPORTERS} for the same dates, one process each\n\n\
             | | wall | peak RSS | ratio |\n| --- | --- | --- | --- |\n"
        );
        let _ = writeln!(
            out,
            "| `bench/pandas_reference.py` | {} | {} MB | 1× |",
            secs(pandas.wall),
            pandas.peak_rss / 1_000_000
        );
        let _ = writeln!(
            out,
            "| `propcast backfill --only {PANDAS_EXPORTERS}` | {} | {} MB | {:.1}× faster |",
            secs(propcast.wall),
            propcast.peak_rss / 1_000_000,
            ratio(pandas.wall, propcast.wall)
        );
        let _ = writeln!(out, "\n    pandas: {}", pandas.stdout.trim());
        Ok(out)
    }
}

/// Runs `command` to the end, its stdout captured, and measures its wall time and peak memory.
fn measure(mut command: Command) -> Result<Measured> {
    let shown = format!("{command:?}");
    command.stdout(std::process::Stdio::piped());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("failed to start {shown}: {e}"))?;
    let mut stdout = String::new();
    std::io::Read::read_to_string(child.stdout.as_mut().expect("piped"), &mut stdout)
        .map_err(|e| format!("failed to read the output of {shown}: {e}"))?;
    let (status, peak_rss) = wait_with_peak_memory(child.id())
        .map_err(|e| format!("failed to wait for {shown}: {e}"))?;
    let wall = started.elapsed();
    if status != 0 {
        return Err(format!("{shown} failed (wait status {status})\n{stdout}"));
    }
    Ok(Measured {
        wall,
        peak_rss,
        stdout,
    })
}

/// Waits for the child `pid`; returns its wait status and peak resident memory in bytes.
fn wait_with_peak_memory(pid: u32) -> std::io::Result<(i32, u64)> {
    let mut status = 0;
    // SAFETY: `usage` is a plain C struct that wait4 fills; zeroed is a valid value of it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our child, not yet waited for; both pointers are to live locals.
    let waited = unsafe { libc::wait4(pid as libc::pid_t, &mut status, 0, &mut usage) };
    if waited < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // ru_maxrss is in kilobytes on Linux.
    Ok((status, usage.ru_maxrss as u64 * 1024))
}

fn json(text: &str) -> Result<serde_json::Value> {
    serde_json::from_str(text.trim()).map_err(|e| format!("not the JSON expected ({e}): {text}"))
}

/// The number at a dotted `path` of `value`.
fn number(value: &serde_json::Value, path: &str) -> Result<f64> {
    path.split('.')
        .try_fold(value, |v, key| v.get(key))
        .and_then(serde_json::Value::as_f64)
        .ok_or_else(|| format!("no number at `{path}` in {value}"))
}

/// Fails unless the two folders hold the same files with the same bytes.
fn same_files(a: &Path, b: &Path) -> Result {
    let (files_a, files_b) = (files(a)?, files(b)?);
    if files_a.len() != files_b.len() || files_a.iter().zip(&files_b).any(|(x, y)| x.0 != y.0) {
        return Err(format!(
            "`{}` and `{}` hold different documents ({} and {} files)",
            a.display(),
            b.display(),
            files_a.len(),
            files_b.len()
        ));
    }
    for ((path, bytes_a), (_, bytes_b)) in files_a.iter().zip(&files_b) {
        if bytes_a != bytes_b {
            return Err(format!(
                "`{path}` differs between `{}` and `{}`: Wasm and native must write the same bytes",
                a.display(),
                b.display()
            ));
        }
    }
    Ok(())
}

/// Every file under `dir`, by relative path, with its bytes, in path order.
fn files(dir: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let entries = std::fs::read_dir(&folder)
            .map_err(|e| format!("failed to read `{}`: {e}", folder.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let bytes = std::fs::read(&path)
                    .map_err(|e| format!("failed to read `{}`: {e}", path.display()))?;
                let relative = path
                    .strip_prefix(dir)
                    .expect("under dir")
                    .display()
                    .to_string();
                found.push((relative, bytes));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// How many dates a backfill wrote run manifests for (`runs/<date>/`).
fn date_runs(folder: &Path) -> Result<usize> {
    let runs = folder.join("runs");
    Ok(std::fs::read_dir(&runs)
        .map_err(|e| format!("failed to read `{}`: {e}", runs.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with(|c: char| c.is_ascii_digit())
        })
        .count())
}

fn ratio(a: Duration, b: Duration) -> f64 {
    a.as_secs_f64() / b.as_secs_f64()
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn millis(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}
