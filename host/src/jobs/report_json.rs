//! `--report json`: a run's report as one JSON object on stdout, for scripts and schedulers
//! (and the tests), instead of the text table. Each date, and in it each exporter, with its
//! status, documents by outcome, bytes uploaded, timings, instructions, peak memory and error.
//!
//! ```json
//! {"destination": "out", "elapsed_ms": 812, "published": 2, "failed": ["2024-01-09"],
//!  "skipped": [], "dates": [{"date": "2024-01-08", "status": "ok",
//!    "run_manifest": "runs/2024-01-08/….json", "elapsed_ms": 140, "exporters": [
//!      {"name": "streaks", "status": "ok", "documents": 3, "uploaded": 3, …}]}]}
//! ```

use std::time::Duration;

use jiff::civil::Date;
use serde::Serialize;

use super::report::Row;
use super::workers::DateOutcome;

#[derive(Serialize)]
struct Report<'a> {
    /// Where documents went: a folder, or `gs://bucket/prefix`.
    destination: &'a str,
    elapsed_ms: u64,
    /// Dates whose every exporter published.
    published: usize,
    /// Dates where something failed.
    failed: Vec<Date>,
    /// Dates earlier runs had published completely, not run again.
    skipped: &'a [Date],
    dates: Vec<DateReport<'a>>,
}

#[derive(Serialize)]
struct DateReport<'a> {
    date: Date,
    status: &'static str,
    /// Where its run manifest was written.
    run_manifest: Option<&'a str>,
    /// Why the run manifest was not written.
    run_manifest_error: Option<String>,
    elapsed_ms: u64,
    exporters: Vec<ExporterReport<'a>>,
}

#[derive(Serialize)]
struct ExporterReport<'a> {
    name: &'a str,
    status: &'static str,
    documents: usize,
    uploaded: usize,
    unchanged: usize,
    kept_newer: usize,
    failed: usize,
    deferred: usize,
    bytes_uploaded: usize,
    query_ms: f64,
    run_ms: f64,
    publish_ms: f64,
    /// Instructions the exporter ran (fuel), when metered.
    instructions: Option<u64>,
    /// Peak linear memory, in bytes.
    memory_bytes: usize,
    /// Escaped like every text from an exporter (`\u{1b}`).
    error: Option<String>,
}

/// Prints the report of a run that published `outcomes` to `destination` and skipped
/// `skipped`.
pub(super) fn print(
    outcomes: &[DateOutcome],
    skipped: &[Date],
    elapsed: Duration,
    destination: &str,
) {
    let report = Report {
        destination,
        elapsed_ms: elapsed.as_millis() as u64,
        published: outcomes.iter().filter(|o| !o.failed()).count(),
        failed: (outcomes.iter().filter(|o| o.failed()))
            .map(|o| o.date)
            .collect(),
        skipped,
        dates: outcomes.iter().map(date_report).collect(),
    };
    println!(
        "{}",
        serde_json::to_string(&report).expect("a report serializes")
    );
}

fn date_report(outcome: &DateOutcome) -> DateReport<'_> {
    DateReport {
        date: outcome.date,
        status: if outcome.failed() { "failed" } else { "ok" },
        run_manifest: outcome.manifest.as_ref().ok().map(String::as_str),
        run_manifest_error: outcome.manifest.as_ref().err().map(|e| format!("{e:#}")),
        elapsed_ms: outcome.elapsed.as_millis() as u64,
        exporters: outcome.rows.iter().map(exporter_report).collect(),
    }
}

fn exporter_report(row: &Row) -> ExporterReport<'_> {
    let t = &row.published;
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    ExporterReport {
        name: &row.name,
        status: row.status.label(),
        documents: t.documents,
        uploaded: t.uploaded,
        unchanged: t.unchanged,
        kept_newer: t.kept,
        failed: t.failed,
        deferred: t.deferred,
        bytes_uploaded: t.bytes,
        query_ms: ms(row.query_time),
        run_ms: ms(row.run_time),
        publish_ms: ms(row.publish_time),
        instructions: row.fuel,
        memory_bytes: row.memory,
        error: (row.error.as_deref()).map(|e| crate::logging::printable(e).into_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::report::Status;
    use super::*;

    #[test]
    fn a_failed_exporter_carries_its_status_and_error() {
        let row = Row {
            error: Some("query `games` failed".into()),
            ..Row::new("streaks".into()).failed(Status::QueryFailed)
        };
        let value = serde_json::to_value(exporter_report(&row)).unwrap();
        assert_eq!(value["status"], "query failed");
        assert_eq!(value["error"], "query `games` failed");
        assert_eq!(value["instructions"], serde_json::Value::Null);
    }
}
