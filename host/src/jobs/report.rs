//! What the user reads after a command: the per-exporter table on stdout, and each failure on
//! stderr with the exporter's log and stderr between dividers.

use std::path::Path;
use std::time::Duration;

use crate::runtime::{Exporter, LoadError, LogLine};

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
    fn label(self) -> &'static str {
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
pub(crate) struct Row {
    pub(crate) name: String,
    pub(crate) status: Status,
    pub(crate) documents: usize,
    pub(crate) bytes: usize,
    pub(crate) query_time: Duration,
    pub(crate) run_time: Duration,
    pub(crate) publish_time: Duration,
}

impl Row {
    pub(crate) fn failed(name: String, status: Status) -> Row {
        Row {
            name,
            status,
            documents: 0,
            bytes: 0,
            query_time: Duration::ZERO,
            run_time: Duration::ZERO,
            publish_time: Duration::ZERO,
        }
    }

    pub(crate) fn with_times(mut self, query: Duration, run: Duration, publish: Duration) -> Row {
        self.query_time = query;
        self.run_time = run;
        self.publish_time = publish;
        self
    }
}

/// The run table, e.g.
///
/// ```text
/// exporter  status  documents  bytes   query   run    publish
/// streaks   ok      2          18.2 kB 31 ms   4 ms   1 ms
/// ```
pub(crate) fn print_table(rows: &[Row], destination: &str) {
    let header = [
        "exporter",
        "status",
        "documents",
        "bytes",
        "query",
        "run",
        "publish",
    ]
    .map(String::from);
    let mut lines = vec![header];
    for row in rows {
        lines.push([
            row.name.clone(),
            row.status.label().to_string(),
            row.documents.to_string(),
            format_bytes(row.bytes),
            format_duration(row.query_time),
            format_duration(row.run_time),
            format_duration(row.publish_time),
        ]);
    }
    print_aligned(&lines);
    let ok = rows.iter().filter(|r| r.status == Status::Ok).count();
    let documents: usize = rows.iter().map(|r| r.documents).sum();
    println!(
        "{ok} of {} exporters published {documents} documents to {destination}",
        rows.len()
    );
}

/// Prints rows of cells in columns: the first two left-aligned, the rest right-aligned.
fn print_aligned(lines: &[[String; 7]]) {
    let widths: Vec<usize> = (0..7)
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
        println!("{}", cells.join("  ").trim_end());
    }
}

/// An exporter's failure on stderr, with what it logged and printed.
pub(crate) fn print_failure(name: &str, message: &str, captured: &[String]) {
    eprintln!("propcast: exporter `{name}` failed: {message}");
    for block in captured {
        eprintln!("{block}");
    }
}

/// The log, stdout and stderr of a failed run, as blocks between dividers (the last lines of
/// each stream, where a panic's message and backtrace end up).
pub(crate) fn captured_output(
    logs: &[LogLine],
    dropped: usize,
    stdout: &str,
    stderr: &str,
) -> Vec<String> {
    let mut blocks = Vec::new();
    if !logs.is_empty() {
        let mut block = String::from("---- log ----\n");
        for line in logs {
            block.push_str(&format!("{}: {}\n", line.level, line.message));
        }
        if dropped > 0 {
            block.push_str(&format!(
                "({dropped} more lines dropped: the log limit was reached)\n"
            ));
        }
        blocks.push(block.trim_end().to_string());
    }
    for (name, text) in [("stdout", stdout), ("stderr", stderr)] {
        if text.trim().is_empty() {
            continue;
        }
        const TAIL_LINES: usize = 20;
        let lines: Vec<&str> = text.trim_end().lines().collect();
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
        "log lines",
    ]
    .map(String::from);
    let mut lines = vec![header];
    for r in reports {
        let result = match (&r.failure, updated) {
            (Some(_), _) => "FAIL",
            (None, true) => "updated",
            (None, false) => "pass",
        };
        lines.push([
            r.name.clone(),
            result.to_string(),
            r.documents.to_string(),
            format_bytes(r.bytes),
            r.rows_in.to_string(),
            format_duration(r.run_time),
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
            eprintln!("propcast: case `{}` failed: {failure}", r.name);
            for block in captured_output(&r.logs, 0, "", "") {
                eprintln!("{block}");
            }
        }
    }
}

/// `propcast plugins` output.
pub(crate) fn print_plugins(dir: &Path, exporters: &[Exporter], load_errors: &[LoadError]) {
    println!("plugins in `{}`:", dir.display());
    if exporters.is_empty() && load_errors.is_empty() {
        println!("  (none: no .wasm files)");
    }
    for e in exporters {
        let m = &e.manifest;
        let file = e.file.file_name().unwrap_or_default().to_string_lossy();
        println!();
        println!(
            "{} {}  ({file}, contract {}, loaded in {})",
            m.name,
            m.version,
            e.contract_version,
            format_duration(e.load_time)
        );
        println!("  {}", m.description);
        println!("  writes:  {}", m.outputs.join(", "));
        let queries: Vec<&str> = m.queries.iter().map(|q| q.name.as_str()).collect();
        println!(
            "  queries: {}",
            if queries.is_empty() {
                "none".into()
            } else {
                queries.join(", ")
            }
        );
        if m.params.is_empty() {
            println!("  options: none");
        }
        for p in &m.params {
            println!(
                "  option:  --param {}=<{}>  (default {}) {}",
                p.name, p.ty, p.default, p.description
            );
        }
    }
    for error in load_errors {
        println!();
        println!(
            "{}  FAILED TO LOAD: {:#}",
            error.file.display(),
            error.error
        );
    }
}

fn format_bytes(bytes: usize) -> String {
    match bytes {
        0..1_000 => format!("{bytes} B"),
        1_000..1_000_000 => format!("{:.1} kB", bytes as f64 / 1e3),
        _ => format!("{:.1} MB", bytes as f64 / 1e6),
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
    use crate::runtime::LogLevel;

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
        let blocks = captured_output(&logs, 2, "", &stderr);
        assert_eq!(
            blocks[0],
            "---- log ----\nerror: panic: boom\n(2 more lines dropped: the log limit was reached)"
        );
        assert!(blocks[1].starts_with("---- stderr (last 20 lines) ----\nline 6\n"));
        assert!(blocks[1].ends_with("line 25"));
        assert_eq!(blocks[2], "----");
        assert!(captured_output(&[], 0, "", "").is_empty());
    }
}
