//! `propcast run`: for one date, each selected exporter's queries, the exporter, and its
//! documents published; then the run manifest. With `--dry-run`, only the queries' checks and
//! cost estimates.
//!
//! This is where the async edges meet the synchronous runtime: each call to the source or the
//! store is one `block_on` on the tokio runtime [`super::async_runtime`] builds, and each
//! exporter runs on the calling thread between them, outside any async context (wasmtime and
//! its synchronous WASI stay synchronous; WASI would refuse to block inside a runtime).

use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context as _;

use super::backends;
use super::plan::{self, ExporterPlan};
use super::report::{self, Row, Status};
use super::request::RunRequest;
use super::settings::Settings;
use super::{check_named_exporters, fetch_tables, resolve_plugins_dir, runtime_for};
use crate::publish::run_manifest::{ExporterEntry, RunManifest};
use crate::publish::{Batch, Publisher};
use crate::runtime::{Limits, RunInput, Runtime};
use crate::source::{QueryRequest, Source};

/// Runs `request` to the end; the exit code says whether everything published.
pub(crate) fn run(request: RunRequest) -> anyhow::Result<ExitCode> {
    let edges = super::async_runtime()?;
    let mut settings = Settings::load(request.config.as_deref(), &request.limits)?;
    if request.gzip {
        settings.publish.gzip = true;
    }
    let plugins_dir = resolve_plugins_dir(request.plugins.as_deref())?;
    let runtime = runtime_for(&settings, &request.cache)?;
    let (exporters, load_errors) = runtime.load_dir(&plugins_dir)?;
    check_named_exporters(&settings, &exporters)?;
    let plan = plan::build(&request, &exporters, &load_errors)?;
    let source = edges.block_on(backends::open_source(&request.source, &settings))?;
    if request.dry_run {
        return edges.block_on(dry_run(source.as_ref(), &plan.exporters));
    }
    let store = edges.block_on(backends::open_store(&request.out))?;
    edges
        .block_on(store.check_writable())
        .with_context(|| format!("cannot publish to {}; nothing was run", store.describe()))?;
    let publisher = Publisher::new(store, &settings.publish);
    if request.verbose {
        report::print_settings(
            &settings,
            &plugins_dir,
            &source.describe(),
            &publisher.store().describe(),
            &plan.exporters,
        );
    }

    let mut rows = Vec::new();
    let mut entries = Vec::new();
    for error in &load_errors {
        let name = error
            .file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let message = format!(
            "failed to load `{}`: {:#}",
            error.file.display(),
            error.error
        );
        if request.only.is_empty() {
            report::print_failure(&name, &message, &[]);
            rows.push(Row::new(name.clone()).failed(Status::LoadFailed));
            entries.push(ExporterEntry {
                status: Status::LoadFailed.label().to_string(),
                error: Some(message),
                ..ExporterEntry::new(name.clone(), name)
            });
        } else {
            eprintln!(
                "propcast: warning: skipped `{}`, which failed to load: {:#}",
                error.file.display(),
                error.error
            );
        }
    }
    for exporter in plan.exporters {
        let limits = settings.limits_for(&exporter.exporter.manifest.name);
        let (row, entry) = run_exporter(
            &edges,
            &runtime,
            source.as_ref(),
            &publisher,
            exporter,
            &limits,
        );
        rows.push(row);
        entries.push(entry);
    }
    let manifest = RunManifest {
        run_id: plan.run_id,
        date: plan.date.to_string(),
        generated_at: plan.generated_at.to_string(),
        propcast_version: env!("CARGO_PKG_VERSION"),
        source: source.locator(),
        destination: publisher.store().locator(),
        exporters: entries,
    };
    let written =
        edges.block_on(publisher.write_run_manifest(&manifest, plan.date, plan.generated_at));
    if let Err(e) = &written {
        eprintln!("propcast: {e:#}");
    }
    report::print_table(&rows, &publisher.store().describe());
    let failed = written.is_err() || rows.iter().any(|r| r.status != Status::Ok);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Queries, runs and publishes one exporter, turning every failure into its report row and
/// run-manifest entry.
fn run_exporter(
    edges: &tokio::runtime::Runtime,
    runtime: &Runtime,
    source: &dyn Source,
    publisher: &Publisher,
    plan: ExporterPlan<'_>,
    limits: &Limits,
) -> (Row, ExporterEntry) {
    let exporter = plan.exporter;
    let mut row = Row::new(exporter.manifest.name.clone());
    let file = exporter
        .file
        .file_name()
        .unwrap_or_default()
        .to_string_lossy();
    let mut entry = ExporterEntry {
        version: Some(exporter.manifest.version.clone()),
        component_sha256: Some(exporter.sha256.clone()),
        params: plan.context_params.iter().cloned().collect(),
        ..ExporterEntry::new(exporter.manifest.name.clone(), file.into_owned())
    };
    let started = Instant::now();
    let fetched = edges.block_on(fetch_tables(source, exporter, &plan.query_params));
    row.query_time = started.elapsed();
    let tables = match fetched {
        Ok(tables) => tables,
        Err(e) => {
            let row = fail(row, &mut entry, Status::QueryFailed, format!("{e:#}"), &[]);
            return (row, entry);
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
    let outcome = runtime.run(exporter, input, limits);
    row.run_time = outcome.duration;
    row.fuel = outcome.fuel_used;
    row.memory = outcome.peak_memory;
    let documents = match outcome.result {
        Ok(documents) => documents,
        Err(error) => {
            let mut message = error.to_string();
            if let Some(hint) = error.hint() {
                message.push_str(&format!("\n\n{hint}"));
            }
            let captured = report::captured_output(&outcome.logs, &outcome.stdout, &outcome.stderr);
            let row = fail(row, &mut entry, Status::RunFailed, message, &captured);
            return (row, entry);
        }
    };
    let publish_started = Instant::now();
    let published = edges.block_on(publisher.publish(&Batch {
        exporter: &exporter.manifest.name,
        date: plan.date,
        outputs: &exporter.manifest.outputs,
        replaced_sets: &exporter.manifest.replaced_sets,
        documents: &documents,
    }));
    row.publish_time = publish_started.elapsed();
    row.published = published.tally();
    entry.record(&published);
    if published.errors.is_empty() {
        return (row, entry);
    }
    let message = published.errors.join("\n");
    let row = fail(row, &mut entry, Status::PublishFailed, message, &[]);
    (row, entry)
}

/// Reports an exporter's failure on stderr and in its run-manifest entry.
fn fail(
    row: Row,
    entry: &mut ExporterEntry,
    status: Status,
    message: String,
    captured: &[String],
) -> Row {
    report::print_failure(&row.name, &message, captured);
    entry.status = status.label().to_string();
    entry.error = Some(message);
    row.failed(status)
}

/// `--dry-run`: each selected exporter's queries checked by the source, with what each would
/// scan, and the total. Runs no exporter and publishes nothing.
async fn dry_run(source: &dyn Source, plans: &[ExporterPlan<'_>]) -> anyhow::Result<ExitCode> {
    let mut lines = Vec::new();
    let mut failed = false;
    for plan in plans {
        for query in &plan.exporter.manifest.queries {
            let request = QueryRequest {
                name: &query.name,
                sql: &query.sql,
                params: &plan.query_params,
            };
            let result = source.dry_run(&request).await;
            if let Err(e) = &result {
                report::print_failure(&plan.exporter.manifest.name, &format!("{e:#}"), &[]);
                failed = true;
            }
            lines.push(report::DryRunLine {
                exporter: plan.exporter.manifest.name.clone(),
                query: query.name.clone(),
                result: result.map(|r| r.bytes).map_err(|_| ()),
            });
        }
    }
    report::print_dry_run(&lines, &source.describe());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
