//! One exporter's part of one date, in two steps so that publishing can wait for its turn
//! ([`super::turns`]): [`compute`] runs its queries (shared with the date's other exporters)
//! and the exporter; [`publish`] publishes what it returned. Every failure becomes the report
//! row and run-manifest entry the user reads, never an error that stops the other exporters.
//!
//! Each call to the source or the store is one `block_on` on the command's tokio runtime; the
//! exporter itself runs on the calling thread between them, outside any async context
//! (wasmtime and its synchronous WASI stay synchronous; WASI would refuse to block inside a
//! runtime).

use std::path::Path;
use std::time::Instant;

use jiff::civil::Date;

use super::deferred::Deferred;
use super::plan::ExporterPlan;
use super::report::{self, Row, Status};
use super::season_rows::SeasonRows;
use super::shared_queries::SharedQueries;
use crate::data::{Document, QueryParam, Table};
use crate::publish::run_manifest::ExporterEntry;
use crate::publish::{Batch, BatchReport, Publisher};
use crate::runtime::{Exporter, Limits, RunInput, Runtime};
use crate::source::{QueryRequest, Source};

/// What every exporter run of a command uses.
pub(super) struct Context<'a> {
    pub(super) edges: &'a tokio::runtime::Runtime,
    pub(super) runtime: &'a Runtime,
    pub(super) source: &'a dyn Source,
    pub(super) publisher: &'a Publisher,
    /// Whether the run has several dates, so failures say which one.
    pub(super) several_dates: bool,
    /// With several dates, the season-long results of queries of the season so far.
    pub(super) season: Option<&'a SeasonRows>,
    /// `--profile DIR`: each exporter run's guest profile goes to `DIR/<date>/<exporter>.json`.
    pub(super) profiles: Option<&'a Path>,
}

/// An exporter's run so far: its row and entry, and its documents unless it failed.
pub(super) struct Computed {
    row: Row,
    entry: ExporterEntry,
    documents: Option<Vec<Document>>,
}

/// Runs the exporter's queries and the exporter.
pub(super) fn compute(
    context: &Context<'_>,
    queries: &SharedQueries,
    plan: &ExporterPlan<'_>,
    limits: &Limits,
) -> Computed {
    let exporter = plan.exporter;
    let file = exporter
        .file
        .file_name()
        .unwrap_or_default()
        .to_string_lossy();
    let mut computed = Computed {
        row: Row::new(exporter.manifest.name.clone()),
        entry: ExporterEntry {
            version: Some(exporter.manifest.version.clone()),
            component_sha256: Some(exporter.sha256.clone()),
            params: plan.context_params.iter().cloned().collect(),
            ..ExporterEntry::new(exporter.manifest.name.clone(), file.into_owned())
        },
        documents: None,
    };
    let started = Instant::now();
    let fetched = context.edges.block_on(fetch_tables(
        context.source,
        queries,
        context.season.map(|season| (season, plan.date)),
        plan.exporter,
        &plan.query_params,
    ));
    computed.row.query_time = started.elapsed();
    let tables = match fetched {
        Ok(tables) => tables,
        Err(e) => {
            computed.fail(
                context,
                plan.date,
                Status::QueryFailed,
                format!("{e:#}"),
                &[],
            );
            return computed;
        }
    };
    let input = RunInput {
        date: plan.date.to_string(),
        run_id: plan.run_id.clone(),
        generated_at: plan.generated_at.to_string(),
        generated_at_seconds: plan.generated_at.as_second().max(0) as u64,
        params: plan.context_params.clone(),
        tables,
    };
    let outcome = match context.profiles {
        Some(dir) => {
            let path = dir
                .join(plan.date.to_string())
                .join(format!("{}.json", exporter.manifest.name));
            match context
                .runtime
                .run_and_profile(exporter, input, limits, &path)
            {
                Ok((outcome, written)) => {
                    if let Err(error) = written {
                        tracing::warn!("no profile of `{}`: {error:#}", exporter.manifest.name);
                    }
                    outcome
                }
                Err(error) => {
                    let message = format!("{error:#}");
                    computed.fail(context, plan.date, Status::RunFailed, message, &[]);
                    return computed;
                }
            }
        }
        None => context.runtime.run(exporter, input, limits),
    };
    computed.row.run_time = outcome.duration;
    computed.row.fuel = outcome.fuel_used;
    computed.row.memory = outcome.peak_memory;
    match outcome.result {
        Ok(documents) => {
            report::log_exporter_lines(&exporter.manifest.name, plan.date, &outcome.logs);
            computed.documents = Some(documents);
        }
        Err(error) => {
            let message = error.with_hint();
            let captured = report::captured_output(&outcome.logs, &outcome.stdout, &outcome.stderr);
            computed.fail(context, plan.date, Status::RunFailed, message, &captured);
        }
    }
    computed
}

/// How a date's documents are published.
pub(super) enum Publishing<'a> {
    /// All at once: a run of one date.
    Now,
    /// `dated` documents at once, the others through the exporter's [`Deferred`]; at a flush
    /// date, everything deferred as well.
    Deferring {
        deferred: &'a mut Deferred,
        flush: bool,
    },
}

/// Publishes what [`compute`] produced (nothing of its own, if it failed; what earlier dates
/// deferred, if this is a flush date) and returns the exporter's row and run-manifest entry.
pub(super) fn publish(
    context: &Context<'_>,
    plan: &ExporterPlan<'_>,
    mut computed: Computed,
    publishing: Publishing<'_>,
) -> (Row, ExporterEntry) {
    let documents = computed.documents.take();
    let replaced_sets = &plan.exporter.manifest.replaced_sets;
    let started = Instant::now();
    let report = match (publishing, documents) {
        (Publishing::Now, None) => return (computed.row, computed.entry),
        (Publishing::Now, Some(documents)) => {
            publish_batch(context, plan, plan.date, &documents, replaced_sets)
        }
        (Publishing::Deferring { deferred, flush }, documents) => {
            let mut report = BatchReport::default();
            let mut left = BatchReport::default();
            if let Some(documents) = documents {
                let (later, now): (Vec<Document>, Vec<Document>) =
                    documents.into_iter().partition(Deferred::waits);
                report = publish_batch(context, plan, plan.date, &now, &[]);
                if !flush {
                    left = BatchReport::deferred(&later);
                }
                let published = report.errors.is_empty();
                let dropped = deferred.hold(plan.date, later, replaced_sets, published);
                // What the date's failure dropped is held back, as its own run would hold it.
                if flush {
                    left = BatchReport::held(&dropped);
                } else {
                    left.hold_back(&dropped);
                }
            }
            if flush {
                // Also when this date failed: what earlier dates deferred is theirs to publish.
                for group in deferred.take() {
                    let flushed = publish_batch(
                        context,
                        plan,
                        group.date,
                        &group.documents,
                        &group.replaced_sets,
                    );
                    report.append(flushed, (group.date != plan.date).then_some(group.date));
                }
            }
            report.append(left, None);
            report
        }
    };
    computed.row.publish_time = started.elapsed();
    computed.row.published = report.tally();
    computed.entry.record(&report);
    if !report.errors.is_empty() {
        // A date that failed before publishing keeps its status; its flush's errors are added.
        let status = match computed.row.status {
            Status::Ok => Status::PublishFailed,
            failed => failed,
        };
        let message = report.errors.join("\n");
        computed.fail(context, plan.date, status, message, &[]);
    }
    (computed.row, computed.entry)
}

/// Publishes `documents` of the exporter as its documents of `date`.
fn publish_batch(
    context: &Context<'_>,
    plan: &ExporterPlan<'_>,
    date: Date,
    documents: &[Document],
    replaced_sets: &[String],
) -> BatchReport {
    let manifest = &plan.exporter.manifest;
    context.edges.block_on(context.publisher.publish(&Batch {
        exporter: &manifest.name,
        date,
        outputs: &manifest.outputs,
        replaced_sets,
        documents,
    }))
}

impl Computed {
    /// Records a failure in the row and the entry (after an earlier one, if any), and reports
    /// it on stderr.
    fn fail(
        &mut self,
        context: &Context<'_>,
        date: Date,
        status: Status,
        message: String,
        captured: &[String],
    ) {
        let date = context.several_dates.then_some(date);
        report::log_failure(&self.row.name, date, &message, captured);
        self.row.status = status;
        self.entry.status = status.label().to_string();
        self.entry.error = Some(match self.entry.error.take() {
            Some(earlier) => format!("{earlier}\n{message}"),
            None => message,
        });
        self.row.error = self.entry.error.clone();
    }
}

/// Runs every query `exporter` declares, one after another, within their total time limit
/// together; the first failure names the query and the source. With `season` (a run of several dates, and the date), queries of the
/// season so far come from the season's rows.
pub(super) async fn fetch_tables(
    source: &dyn Source,
    queries: &SharedQueries,
    season: Option<(&SeasonRows, Date)>,
    exporter: &Exporter,
    params: &[QueryParam],
) -> anyhow::Result<Vec<Table>> {
    let mut tables = Vec::with_capacity(exporter.manifest.queries.len());
    let queries_started = Instant::now();
    for query in &exporter.manifest.queries {
        let request = QueryRequest {
            name: &query.name,
            sql: &query.sql,
            params,
            queries_started: Some(queries_started),
        };
        let started = Instant::now();
        let table = match (season, &query.season_to_date) {
            (Some((season, date)), Some(column)) => {
                season.rows(source, &request, column, date).await
            }
            _ => queries.run(source, &request).await,
        }
        .map_err(|e| e.context(format!("failed to read {}", source.describe())))?;
        tracing::debug!(
            exporter = exporter.manifest.name,
            query = query.name,
            rows = table.row_count,
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "query done"
        );
        tables.push(table);
    }
    Ok(tables)
}
