//! What the user reads after a command: the per-exporter table on stdout, and each failure on
//! stderr with the exporter's log and stderr between dividers.

use std::path::Path;
use std::time::Duration;

use jiff::civil::Date;

use super::plan::ExporterPlan;
use super::request::Shard;
use super::schedule::Schedule;
use super::settings::Settings;
use super::workers::DateOutcome;
use crate::publish::Tally;
use crate::runtime::{CacheOutcome, Exporter, LoadError, LogLevel, LogLine};

/// How an exporter's part of a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    LoadFailed,
    QueryFailed,
    RunFailed,
    PublishFailed,
}

impl Status {
    /// The status as the run table and the run manifest show it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::LoadFailed => "load failed",
            Status::QueryFailed => "query failed",
            Status::RunFailed => "run failed",
            Status::PublishFailed => "publish failed",
        }
    }
}

/// One line of the run table.
#[derive(Clone, Debug)]
pub(crate) struct Row {
    pub(crate) name: String,
    pub(crate) status: Status,
    /// What its documents' publishing did; zero until they are published.
    pub(crate) published: Tally,
    pub(crate) query_time: Duration,
    pub(crate) run_time: Duration,
    pub(crate) publish_time: Duration,
    /// Instructions the run used.
    pub(crate) fuel: Option<u64>,
    /// Peak linear memory, in bytes.
    pub(crate) memory: usize,
    /// Why it failed, when it did.
    pub(crate) error: Option<String>,
}

impl Row {
    /// A row for `name` that has done nothing yet.
    pub(crate) fn new(name: String) -> Row {
        Row {
            name,
            status: Status::Ok,
            published: Tally::default(),
            query_time: Duration::ZERO,
            run_time: Duration::ZERO,
            publish_time: Duration::ZERO,
            fuel: None,
            memory: 0,
            error: None,
        }
    }

    /// The row of a run that ended with `status` (what was published, if anything, stays).
    pub(crate) fn failed(mut self, status: Status) -> Row {
        self.status = status;
        self
    }
}

/// One query's line in the `--dry-run` table.
pub(crate) struct DryRunLine {
    pub(crate) exporter: String,
    pub(crate) query: String,
    /// Bytes it would scan (`None` when the source cannot tell), or `Err` when it failed the
    /// check (the reason is on stderr).
    pub(crate) result: Result<Option<u64>, ()>,
}

/// The `--dry-run` table and its total, e.g.
///
/// ```text
/// exporter  query  would scan     bytes
/// streaks   games     12.4 MB  12400000
/// total: 12.4 MB (12400000 bytes) in 1 query on BigQuery dataset `p.nba`; nothing was run or published
/// ```
///
/// A query that failed its check shows `FAILED` (the reason is on stderr) and adds nothing to
/// the total.
pub(crate) fn print_dry_run(lines: &[DryRunLine], source: &str) {
    let mut rows = vec![vec![
        "exporter".to_string(),
        "query".to_string(),
        "would scan".to_string(),
        "bytes".to_string(),
    ]];
    let mut total: u64 = 0;
    let mut known = true;
    for line in lines {
        let (shown, bytes) = match line.result {
            Ok(Some(bytes)) => {
                total += bytes;
                (format_bytes(bytes as usize), bytes.to_string())
            }
            Ok(None) => {
                known = false;
                ("checked".to_string(), "-".to_string())
            }
            Err(()) => ("FAILED".to_string(), "-".to_string()),
        };
        rows.push(vec![
            line.exporter.clone(),
            line.query.clone(),
            shown,
            bytes,
        ]);
    }
    print_aligned(&rows);
    let queries = match lines.len() {
        1 => "1 query".to_string(),
        n => format!("{n} queries"),
    };
    if known {
        println!(
            "total: {} ({total} bytes) in {queries} on {source}; nothing was run or published",
            format_bytes(total as usize)
        );
    } else {
        println!(
            "{queries} checked on {source}, which cannot estimate bytes; nothing was run or published"
        );
    }
}

/// The run table, e.g.
///
/// ```text
/// exporter  status  documents  uploaded  unchanged  kept  failed    bytes  query   run  publish  instructions  memory
/// streaks   ok              2         2          0     0       0  63.7 kB  23 ms  8 ms     0 ms      812.4 M   3.1 MiB
/// ```
pub(crate) fn print_table(rows: &[Row], destination: &str) {
    let header = [
        "exporter",
        "status",
        "documents",
        "uploaded",
        "unchanged",
        "kept",
        "failed",
        "bytes",
        "query",
        "run",
        "publish",
        "instructions",
        "memory",
    ];
    let mut lines = vec![header.map(String::from).to_vec()];
    for row in rows {
        lines.push(vec![
            row.name.clone(),
            row.status.label().to_string(),
            row.published.documents.to_string(),
            row.published.uploaded.to_string(),
            row.published.unchanged.to_string(),
            row.published.kept.to_string(),
            row.published.failed.to_string(),
            format_bytes(row.published.bytes),
            format_duration(row.query_time),
            format_duration(row.run_time),
            format_duration(row.publish_time),
            row.fuel.map_or_else(|| "-".to_string(), format_count),
            if row.memory == 0 {
                "-".to_string()
            } else {
                crate::runtime::format_bytes_binary(row.memory as u64)
            },
        ]);
    }
    print_aligned(&lines);
    let ok = rows.iter().filter(|r| r.status == Status::Ok).count();
    let t = total(rows);
    println!(
        "{ok} of {} exporters published {} documents to {destination}: {}",
        rows.len(),
        t.documents,
        outcome_counts(&t),
    );
}

/// One finished date of a run with several, on stdout, e.g.
///
/// ```text
/// 2024-01-10  ok  7 of 7 exporters, 658 documents: 9 uploaded, 0 unchanged, 0 kept newer, 0 failed, 649 deferred (0.41 s)
/// ```
///
/// Deferred documents (`current` ones and aliases) are published at the season's last date of
/// the run, with the date of their newest version; that date counts them as uploaded too.
pub(crate) fn print_date_line(outcome: &DateOutcome) {
    let ok = outcome
        .rows
        .iter()
        .filter(|r| r.status == Status::Ok)
        .count();
    let failed = outcome.failed();
    let t = total(&outcome.rows);
    println!(
        "{}  {}  {ok} of {} exporters, {} documents: {}, {} deferred ({:.2} s)",
        outcome.date,
        if failed { "FAILED" } else { "ok" },
        outcome.rows.len(),
        t.documents,
        outcome_counts(&t),
        t.deferred,
        outcome.elapsed.as_secs_f64(),
    );
}

/// Each exporter's part of a finished date, logged at `-v` with its numbers as fields.
pub(crate) fn log_date(outcome: &DateOutcome) {
    for row in &outcome.rows {
        let t = &row.published;
        tracing::info!(
            date = %outcome.date,
            exporter = row.name,
            status = row.status.label(),
            documents = t.documents,
            uploaded = t.uploaded,
            unchanged = t.unchanged,
            deferred = t.deferred,
            query_ms = row.query_time.as_millis() as u64,
            run_ms = row.run_time.as_millis() as u64,
            publish_ms = row.publish_time.as_millis() as u64,
            "exporter done"
        );
    }
}

/// Before a backfill starts: how many of its dates earlier runs published completely.
pub(crate) fn print_skipped(skipped: usize, left: usize) {
    match (skipped, left) {
        (0, _) => {}
        (_, 0) => println!(
            "all {skipped} dates were already published by earlier runs; nothing to do (`--force` publishes them again)"
        ),
        _ => println!(
            "skipping {skipped} dates earlier runs already published (`--force` publishes them again); {left} to go"
        ),
    }
}

/// The closing summary of a run with several dates, naming the dates that failed; `skipped`
/// dates were published before.
pub(crate) fn print_dates_summary(
    outcomes: &[DateOutcome],
    skipped: usize,
    elapsed: Duration,
    destination: &str,
) {
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| o.failed())
        .map(|o| o.date.to_string())
        .collect();
    let rows: Vec<Row> = outcomes.iter().flat_map(|o| o.rows.clone()).collect();
    let t = total(&rows);
    let seconds = elapsed.as_secs_f64();
    println!(
        "{} of {} dates published in {seconds:.1} s ({:.1} dates/s): {} documents to {destination}: {}; {} were current documents or aliases that a later date replaced or published",
        outcomes.len() - failed.len(),
        outcomes.len(),
        outcomes.len() as f64 / seconds.max(1e-9),
        t.documents,
        outcome_counts(&t),
        t.deferred,
    );
    if skipped > 0 {
        println!("{skipped} dates were skipped, already published by earlier runs");
    }
    let spent = |time: fn(&Row) -> Duration| -> f64 {
        rows.iter().map(time).sum::<Duration>().as_secs_f64()
    };
    println!(
        "time spent, summed over the threads: queries {:.1} s, exporters {:.1} s, publishing {:.1} s",
        spent(|r| r.query_time),
        spent(|r| r.run_time),
        spent(|r| r.publish_time),
    );
    if !failed.is_empty() {
        println!(
            "dates with failures (their errors are above and in their run manifests): {}",
            failed.join(", ")
        );
    }
}

/// What publishing did, in the words every report uses: `3 uploaded, 0 unchanged, 0 kept newer,
/// 0 failed`.
fn outcome_counts(t: &Tally) -> String {
    format!(
        "{} uploaded, {} unchanged, {} kept newer, {} failed",
        t.uploaded, t.unchanged, t.kept, t.failed
    )
}

/// The rows' publishing outcomes added up.
fn total(rows: &[Row]) -> Tally {
    let mut sum = Tally::default();
    for r in rows.iter().map(|r| &r.published) {
        sum.documents += r.documents;
        sum.uploaded += r.uploaded;
        sum.unchanged += r.unchanged;
        sum.kept += r.kept;
        sum.failed += r.failed;
        sum.deferred += r.deferred;
        sum.bytes += r.bytes;
    }
    sum
}

/// Prints rows of cells in columns: the first two left-aligned, the rest right-aligned.
fn print_aligned(lines: &[Vec<String>]) {
    let columns = lines.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|i| lines.iter().map(|l| l[i].len()).max().unwrap_or(0))
        .collect();
    for line in lines {
        let cells: Vec<String> = line
            .iter()
            .enumerate()
            .map(|(i, cell)| {
                if i >= 2 {
                    format!("{cell:>w$}", w = widths[i])
                } else {
                    format!("{cell:<w$}", w = widths[i])
                }
            })
            .collect();
        // Cells can hold an exporter's or a file's name: escaped like any text from outside.
        println!("{}", crate::logging::printable(cells.join("  ").trim_end()));
    }
}

/// The settings a run uses and where they came from, logged at `-v`.
pub(crate) fn log_settings(
    settings: &Settings,
    plugins: &Path,
    source: &str,
    publisher: &str,
    plans: &[ExporterPlan<'_>],
) {
    tracing::info!(
        "plugins from `{}`, data from {source}, publishing to {publisher}",
        plugins.display()
    );
    tracing::info!("limits from {}", settings.origin.join(", then "));
    tracing::info!(
        "stack {}, query time {}s (an exporter's together {}s), query rows {}",
        crate::runtime::format_bytes_binary(settings.stack as u64),
        settings.query.time.as_secs_f64(),
        settings.query.total().as_secs_f64(),
        settings.query.rows
    );
    let publish = &settings.publish;
    tracing::info!(
        "publishing {} uploads at a time, gzip {}, cache-control dated `{}`, current `{}`, alias `{}`",
        publish.concurrency,
        if publish.gzip { "on" } else { "off" },
        publish.cache_control.dated,
        publish.cache_control.current,
        publish.cache_control.alias
    );
    for plan in plans {
        let l = settings.limits_for(&plan.exporter.manifest.name);
        tracing::info!(
            "`{}`: fuel {}, deadline {}s, memory {}, table elements {}, output {}, documents {}, document size {}, log {}",
            plan.exporter.manifest.name,
            l.fuel,
            l.deadline.as_secs_f64(),
            crate::runtime::format_bytes_binary(l.memory as u64),
            l.table_elements,
            crate::runtime::format_bytes_binary(l.output as u64),
            l.documents,
            crate::runtime::format_bytes_binary(l.document_size as u64),
            crate::runtime::format_bytes_binary(l.log as u64),
        );
    }
}

/// An exporter's failure, logged (on `date`, when a run has several) with what it logged and
/// printed.
pub(crate) fn log_failure(name: &str, date: Option<Date>, message: &str, captured: &[String]) {
    let mut text = match date {
        Some(date) => format!("exporter `{name}` failed on {date}: {message}"),
        None => format!("exporter `{name}` failed: {message}"),
    };
    for block in captured {
        text.push('\n');
        text.push_str(block);
    }
    tracing::error!(exporter = name, "{text}");
}

/// The log lines of exporter `name`'s successful run on `date`, each at its own level: a
/// warning (a prediction for a player with no roster entry) is seen without `--verbose`.
pub(crate) fn log_exporter_lines(name: &str, date: jiff::civil::Date, logs: &[LogLine]) {
    let date = date.to_string();
    for line in logs {
        let text = format!("exporter `{name}` on {date}: {}", line.message);
        match line.level {
            LogLevel::Error => tracing::error!(exporter = name, date, "{text}"),
            LogLevel::Warn => tracing::warn!(exporter = name, date, "{text}"),
            LogLevel::Info => tracing::info!(exporter = name, date, "{text}"),
            LogLevel::Debug => tracing::debug!(exporter = name, date, "{text}"),
        }
    }
}

/// The log, stdout and stderr of a failed run, as blocks between dividers (the last lines of
/// each, where a panic's message ends up).
pub(crate) fn captured_output(logs: &[LogLine], stdout: &str, stderr: &str) -> Vec<String> {
    const TAIL_LINES: usize = 20;
    let mut blocks = Vec::new();
    if !logs.is_empty() {
        let tail = &logs[logs.len().saturating_sub(TAIL_LINES)..];
        let mut block = format!(
            "---- log (last {} of {} lines) ----\n",
            tail.len(),
            logs.len()
        );
        for line in tail {
            block.push_str(&format!("{}: {}\n", line.level, line.message));
        }
        blocks.push(block.trim_end().to_string());
    }
    for (name, text) in [("stdout", stdout), ("stderr", stderr)] {
        if text.trim().is_empty() {
            continue;
        }
        // The last lines, and of those at most the last few KiB: a flood is one long line.
        const TAIL_BYTES: usize = 4096;
        let mut text = text.trim_end();
        if text.len() > TAIL_BYTES {
            let mut cut = text.len() - TAIL_BYTES;
            while !text.is_char_boundary(cut) {
                cut += 1;
            }
            text = &text[cut..];
        }
        let lines: Vec<&str> = text.lines().collect();
        let tail = &lines[lines.len().saturating_sub(TAIL_LINES)..];
        blocks.push(format!(
            "---- {name} (last {} lines) ----\n{}",
            tail.len(),
            tail.join("\n")
        ));
    }
    if !blocks.is_empty() {
        blocks.push("----".to_string());
    }
    blocks
}

/// `propcast test` output: a row per case, then each failure with the exporter's log.
pub(crate) fn print_cases(
    exporter: &str,
    fixtures: &Path,
    reports: &[super::fixtures::CaseReport],
    updated: bool,
) {
    let header = [
        "case",
        "result",
        "documents",
        "bytes",
        "rows in",
        "run",
        "instructions",
        "memory",
        "log lines",
    ];
    let mut lines = vec![header.map(String::from).to_vec()];
    for r in reports {
        let result = match (&r.failure, updated) {
            (Some(_), _) => "FAIL",
            (None, true) => "updated",
            (None, false) => "pass",
        };
        lines.push(vec![
            r.name.clone(),
            result.to_string(),
            r.documents.to_string(),
            format_bytes(r.bytes),
            r.rows_in.to_string(),
            format_duration(r.run_time),
            r.fuel.map_or_else(|| "-".to_string(), format_count),
            if r.memory == 0 {
                "-".to_string()
            } else {
                crate::runtime::format_bytes_binary(r.memory as u64)
            },
            r.logs.len().to_string(),
        ]);
    }
    print_aligned(&lines);
    let passed = reports.iter().filter(|r| r.failure.is_none()).count();
    println!(
        "{passed} of {} cases passed for `{exporter}` ({})",
        reports.len(),
        fixtures.display()
    );
    for r in reports {
        if let Some(failure) = &r.failure {
            let mut text = format!("case `{}` failed: {failure}", r.name);
            for block in captured_output(&r.logs, &r.stdout, &r.stderr) {
                text.push('\n');
                text.push_str(&block);
            }
            tracing::error!(exporter, case = r.name, "{text}");
        }
    }
}

/// `propcast jobs` output: each job, what it runs, and its next three runs in the schedule's
/// zone and in UTC.
pub(crate) fn print_jobs(schedule: &Schedule, origin: &[String], at: jiff::Timestamp) {
    let source = origin.last().map_or("built-in defaults", String::as_str);
    if schedule.jobs.is_empty() {
        println!(
            "no jobs: {source} declares none (`--config FILE` names a config file; the \
             project's propcast.toml declares the site's jobs)"
        );
        return;
    }
    println!(
        "jobs in {source}, times in {} and UTC, after {at}:",
        schedule.zone_name
    );
    for job in &schedule.jobs {
        println!();
        println!(
            "{}  `{}`, publishes {}: {}",
            job.name,
            job.schedule,
            job.date.name(),
            job.exporters.join(", ")
        );
        if let Some(description) = &job.description {
            println!("  {description}");
        }
        if !job.options.is_empty() {
            let options: Vec<String> = job
                .options
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            println!("  options: {}", options.join(", "));
        }
        for run in job.next_runs(at, &schedule.zone, 3) {
            let utc = run.timestamp().to_zoned_datetime(jiff::tz::TimeZone::UTC);
            println!(
                "  next: {} ({})  publishes {}",
                run.strftime("%a %Y-%m-%d %H:%M %Z"),
                utc.strftime("%H:%M UTC"),
                job.date.date_at(run.timestamp(), &schedule.zone)
            );
        }
    }
}

/// `propcast jobs --json`: the zone and each job, with its next three runs (UTC, RFC 3339).
pub(crate) fn print_jobs_json(schedule: &Schedule, at: jiff::Timestamp) {
    let jobs: Vec<serde_json::Value> = schedule
        .jobs
        .iter()
        .map(|job| {
            serde_json::json!({
                "name": job.name,
                "description": job.description,
                "schedule": job.schedule,
                "date": job.date.name(),
                "exporters": job.exporters,
                "options": job.options.iter().cloned().collect::<std::collections::BTreeMap<_, _>>(),
                "next_runs": job
                    .next_runs(at, &schedule.zone, 3)
                    .iter()
                    .map(|run| run.timestamp().to_string())
                    .collect::<Vec<_>>(),
            })
        })
        .collect();
    let document = serde_json::json!({ "time_zone": schedule.zone_name, "jobs": jobs });
    println!("{document}");
}

/// Which dates this task of a sharded backfill takes.
pub(crate) fn print_shard(shard: Shard, share: &[Date], all: usize) {
    let name = format!("shard {}/{}", shard.index, shard.count);
    match (share.first(), share.last()) {
        (Some(first), Some(last)) => println!(
            "{name}: {} of the range's {all} dates, {first} to {last}",
            share.len()
        ),
        _ => println!("{name}: no dates (the range has {all}, fewer than the shards)"),
    }
}

/// `propcast plugins` output.
pub(crate) fn print_plugins(dir: &Path, exporters: &[Exporter], load_errors: &[LoadError]) {
    use std::fmt::Write as _;
    // Manifests are the exporters' text: escaped as one, before it reaches the terminal.
    let mut out = String::new();
    writeln!(out, "plugins in `{}`:", dir.display()).expect("writing to a String");
    if exporters.is_empty() && load_errors.is_empty() {
        writeln!(out, "  (none: no .wasm files)").expect("writing to a String");
    }
    for e in exporters {
        let m = &e.manifest;
        let file = e.file.file_name().unwrap_or_default().to_string_lossy();
        out.push('\n');
        writeln!(
            out,
            "{} {}  ({file}, contract {}, loaded in {}, {})",
            m.name,
            m.version,
            e.contract_version,
            format_duration(e.load_time),
            e.cache.describe()
        )
        .expect("writing to a String");
        write_manifest(&mut out, m);
    }
    for error in load_errors {
        out.push('\n');
        writeln!(
            out,
            "{}  FAILED TO LOAD: {:#}",
            error.file.display(),
            error.error
        )
        .expect("writing to a String");
    }
    print!("{}", crate::logging::printable(&out));
}

/// An exporter's manifest as `plugins` and `describe` show it: its description, outputs,
/// queries and options, indented under its name.
pub(crate) fn write_manifest(out: &mut String, m: &crate::data::Manifest) {
    use std::fmt::Write as _;
    writeln!(out, "  {}", m.description).expect("writing to a String");
    let outputs: Vec<String> = m
        .outputs
        .iter()
        .map(|o| {
            if m.replaced_sets.contains(o) {
                format!("{o} (replaced as a set each run)")
            } else {
                o.clone()
            }
        })
        .collect();
    writeln!(out, "  writes:  {}", outputs.join(", ")).expect("writing to a String");
    let queries: Vec<&str> = m.queries.iter().map(|q| q.name.as_str()).collect();
    writeln!(
        out,
        "  queries: {}",
        if queries.is_empty() {
            "none".into()
        } else {
            queries.join(", ")
        }
    )
    .expect("writing to a String");
    if m.params.is_empty() {
        writeln!(out, "  options: none").expect("writing to a String");
    }
    for p in &m.params {
        writeln!(
            out,
            "  option:  --{} <{}>  (default {}) {}",
            p.name, p.ty, p.default, p.description
        )
        .expect("writing to a String");
    }
}

/// `propcast precompile` output: what happened to each plugin, and where the cache is.
pub(crate) fn print_precompiled(cache: &Path, exporters: &[Exporter], load_errors: &[LoadError]) {
    for e in exporters {
        let file = e.file.file_name().unwrap_or_default().to_string_lossy();
        println!(
            "{file}: {} ({})",
            e.cache.describe(),
            format_duration(e.load_time)
        );
    }
    for error in load_errors {
        let line = format!(
            "{}: FAILED TO LOAD: {:#}",
            error.file.display(),
            error.error
        );
        println!("{}", crate::logging::printable(&line));
    }
    println!(
        "{} of {} plugins are in the compile cache `{}`",
        exporters
            .iter()
            .filter(|e| matches!(
                e.cache,
                CacheOutcome::Hit | CacheOutcome::Compiled | CacheOutcome::Replaced(_)
            ))
            .count(),
        exporters.len() + load_errors.len(),
        cache.display()
    );
}

fn format_bytes(bytes: usize) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
    }
}

/// Large counts for people: `812.4 M`, `1.2 G`.
fn format_count(n: u64) -> String {
    match n {
        0..1_000 => n.to_string(),
        1_000..1_000_000 => format!("{:.1} k", n as f64 / 1e3),
        1_000_000..1_000_000_000 => format!("{:.1} M", n as f64 / 1e6),
        _ => format!("{:.1} G", n as f64 / 1e9),
    }
}

fn format_duration(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations_read_naturally() {
        assert_eq!(format_bytes(999), "999 B");
        assert_eq!(format_bytes(18_240), "18.2 kB");
        assert_eq!(format_duration(Duration::from_millis(31)), "31 ms");
        assert_eq!(format_duration(Duration::from_millis(2500)), "2.50 s");
    }

    #[test]
    fn captured_output_shows_log_and_stderr_tail_between_dividers() {
        let logs = [LogLine {
            level: LogLevel::Error,
            message: "panic: boom".into(),
        }];
        let stderr: String = (1..=25).map(|i| format!("line {i}\n")).collect();
        let blocks = captured_output(&logs, "", &stderr);
        assert_eq!(
            blocks[0],
            "---- log (last 1 of 1 lines) ----\nerror: panic: boom"
        );
        assert!(blocks[1].starts_with("---- stderr (last 20 lines) ----\nline 6\n"));
        assert!(blocks[1].ends_with("line 25"));
        assert_eq!(blocks[2], "----");
        assert!(captured_output(&[], "", "").is_empty());
        assert_eq!(format_count(812_400_000), "812.4 M");
    }
}
