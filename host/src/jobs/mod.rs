//! Turns parsed commands into work: resolve the folders and files, load the exporters, run each
//! one's queries and the exporter itself, publish what passed, and report.
//!
//! Data flows one way: `jobs` asks `source` for tables, hands them to `runtime`, and passes the
//! checked documents to `publish`. A failed exporter never stops the others; it makes the exit
//! code 1. Problems with the command itself (a missing database, an unknown `--only` name) are
//! errors returned before anything runs, exit code 2.

mod bench;
pub(crate) mod dates;
mod fixtures;
mod plan;
mod report;
mod settings;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, bail};

use crate::cli::{PluginArgs, PluginsArgs, RunArgs, SampleDataArgs, TestArgs};
use crate::data::{QueryParam, Table};
use crate::publish::Publisher;
use crate::publish::local::LocalPublisher;
use crate::runtime::{EngineSettings, Exporter, Limits, RunInput, Runtime};
use crate::source::sqlite::SqliteSource;
use crate::source::{QueryRequest, Source};

use plan::ExporterPlan;
use report::{Row, Status};
use settings::Settings;

pub(crate) use bench::bench;

/// `propcast run`: runs the selected exporters for a date and publishes their documents.
pub(crate) fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(args.settings.config.as_deref(), &args.settings.limits)?;
    let plugins_dir = resolve_plugins_dir(&args.plugins)?;
    let source = SqliteSource::open(&args.warehouse.db, settings.query)?;
    let publisher = LocalPublisher::new(&args.out);
    let runtime = runtime_for(&settings)?;
    let (exporters, load_errors) = runtime.load_dir(&plugins_dir)?;
    check_named_exporters(&settings, &exporters)?;
    let plans = plan::build(&args, &exporters, &load_errors)?;
    if args.verbose {
        report::print_settings(
            &settings,
            &plugins_dir,
            &source.describe(),
            &publisher.describe(),
            &plans,
        );
    }

    let mut rows = Vec::new();
    for error in &load_errors {
        let name = error
            .file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        if args.only.is_empty() {
            report::print_failure(
                &name,
                &format!(
                    "failed to load `{}`: {:#}",
                    error.file.display(),
                    error.error
                ),
                &[],
            );
            rows.push(Row::new(name).failed(Status::LoadFailed));
        } else {
            eprintln!(
                "propcast: warning: skipped `{}`, which failed to load: {:#}",
                error.file.display(),
                error.error
            );
        }
    }
    for plan in plans {
        let limits = settings.limits_for(&plan.exporter.manifest.name);
        rows.push(run_exporter(&runtime, &source, &publisher, plan, &limits));
    }
    report::print_table(&rows, &publisher.describe());
    let failed = rows.iter().any(|r| r.status != Status::Ok);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Queries, runs and publishes one exporter, turning every failure into its report row.
fn run_exporter(
    runtime: &Runtime,
    source: &dyn Source,
    publisher: &dyn Publisher,
    plan: ExporterPlan<'_>,
    limits: &Limits,
) -> Row {
    let exporter: &Exporter = plan.exporter;
    let mut row = Row::new(exporter.manifest.name.clone());
    let started = Instant::now();
    let fetched = fetch_tables(source, exporter, &plan.query_params);
    row.query_time = started.elapsed();
    let tables = match fetched {
        Ok(tables) => tables,
        Err(e) => {
            report::print_failure(&row.name, &format!("{e:#}"), &[]);
            return row.failed(Status::QueryFailed);
        }
    };
    let input = RunInput {
        date: plan.date.to_string(),
        run_id: plan.run_id.clone(),
        generated_at: plan.generated_at.to_string(),
        generated_at_seconds: plan.generated_at.as_second().max(0) as u64,
        params: plan.context_params,
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
            report::print_failure(&row.name, &message, &captured);
            return row.failed(Status::RunFailed);
        }
    };
    let publish_started = Instant::now();
    let published = publisher.publish(&documents);
    row.publish_time = publish_started.elapsed();
    match published {
        Ok(published) => {
            row.documents = published.documents;
            row.bytes = published.bytes;
            row
        }
        Err(e) => {
            report::print_failure(
                &row.name,
                &format!("failed to publish to {}: {e:#}", publisher.describe()),
                &[],
            );
            row.failed(Status::PublishFailed)
        }
    }
}

/// The engine for these settings: fuel and deadlines on, the configured stack.
fn runtime_for(settings: &Settings) -> anyhow::Result<Runtime> {
    Runtime::new(EngineSettings {
        stack: settings.stack,
        ..EngineSettings::default()
    })
}

/// Limits may only name exporters that exist, so a typo is not silently ignored.
fn check_named_exporters(settings: &Settings, exporters: &[Exporter]) -> anyhow::Result<()> {
    for name in settings.exporters_named() {
        if !exporters.iter().any(|e| e.manifest.name == name) {
            let available: Vec<&str> = exporters.iter().map(|e| e.manifest.name.as_str()).collect();
            bail!(
                "limits are set for exporter `{name}`, which is not loaded (available: {})",
                available.join(", ")
            );
        }
    }
    Ok(())
}

/// Runs every query the exporter declares; the first failure names the query and exporter.
fn fetch_tables(
    source: &dyn Source,
    exporter: &Exporter,
    params: &[QueryParam],
) -> anyhow::Result<Vec<Table>> {
    exporter
        .manifest
        .queries
        .iter()
        .map(|query| {
            source
                .run_query(&QueryRequest {
                    name: &query.name,
                    sql: &query.sql,
                    params,
                })
                .with_context(|| format!("failed to read {}", source.describe()))
        })
        .collect()
}

/// `propcast plugins`: lists the exporters and the files that failed to load.
pub(crate) fn plugins(args: PluginsArgs) -> anyhow::Result<ExitCode> {
    let plugins_dir = resolve_plugins_dir(&args.plugins)?;
    let runtime = Runtime::new(EngineSettings::default())?;
    let (exporters, load_errors) = runtime.load_dir(&plugins_dir)?;
    report::print_plugins(&plugins_dir, &exporters, &load_errors);
    Ok(if load_errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `propcast test`: runs an exporter on its fixture cases and compares the output.
pub(crate) fn test(args: TestArgs) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(args.settings.config.as_deref(), &args.settings.limits)?;
    let runtime = runtime_for(&settings)?;
    let exporter = load_exporter(&runtime, &args.plugins, &args.exporter)?;
    let fixtures = args.fixtures.clone().unwrap_or_else(|| {
        Path::new("plugins")
            .join(&exporter.manifest.name)
            .join("fixtures")
    });
    let cases = fixtures::cases(&fixtures)?;
    let limits = settings.limits_for(&exporter.manifest.name);
    let reports: Vec<fixtures::CaseReport> = cases
        .iter()
        .map(|case| fixtures::run_case(&runtime, &exporter, case, &limits, args.update))
        .collect();
    report::print_cases(&exporter.manifest.name, &fixtures, &reports, args.update);
    let failed = reports.iter().any(|r| r.failure.is_some());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Loads the exporter `name`: a `.wasm` file's path, or an exporter's name in the plugin
/// folder. The folder's `<name>.wasm` is tried first, so usually only that plugin is compiled;
/// otherwise every plugin is loaded to find the one whose manifest has the name.
fn load_exporter(runtime: &Runtime, plugins: &PluginArgs, name: &str) -> anyhow::Result<Exporter> {
    let as_file = Path::new(name);
    if name.ends_with(".wasm") && as_file.is_file() {
        return runtime
            .load_file(as_file)
            .with_context(|| format!("failed to load `{}`", as_file.display()));
    }
    let plugins_dir = resolve_plugins_dir(plugins)?;
    let by_file_name = plugins_dir.join(format!("{name}.wasm"));
    if let Ok(exporter) = runtime.load_file(&by_file_name)
        && exporter.manifest.name == name
    {
        return Ok(exporter);
    }
    let (exporters, load_errors) = runtime.load_dir(&plugins_dir)?;
    if let Some(exporter) = exporters.into_iter().find(|e| e.manifest.name == name) {
        return Ok(exporter);
    }
    let mut message = format!("no exporter `{name}` in `{}`", plugins_dir.display());
    if !load_errors.is_empty() {
        message.push_str("\n\nSome plugin files failed to load; `propcast plugins` shows why");
    }
    bail!(message)
}

/// The date and timestamp of a fixture case; the timestamp defaults to noon UTC of the date.
fn dates_for_case(
    date: &str,
    generated_at: Option<&str>,
) -> anyhow::Result<(jiff::civil::Date, jiff::Timestamp)> {
    let date = crate::data::parse_date(date).map_err(anyhow::Error::msg)?;
    let generated_at = match generated_at {
        Some(text) => text
            .parse()
            .with_context(|| format!("`{text}` is not an RFC 3339 timestamp"))?,
        None => jiff::tz::TimeZone::UTC.to_timestamp(date.at(12, 0, 0, 0))?,
    };
    Ok((date, generated_at))
}

/// `propcast sample-data`: writes the sample warehouse.
pub(crate) fn sample_data(args: SampleDataArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let summary = crate::sample::write_database(&args.out, args.seasons, args.seed)?;
    println!(
        "wrote `{}` in {:.1}s: {} seasons, {} teams, {} players, {} games, {} player games, {} lines, {} predictions",
        args.out.display(),
        started.elapsed().as_secs_f64(),
        summary.seasons,
        summary.teams,
        summary.players,
        summary.games,
        summary.player_games,
        summary.lines,
        summary.predictions,
    );
    Ok(ExitCode::SUCCESS)
}

/// The plugin folder: `--plugins`/`PROPCAST_PLUGINS`, else `plugins` beside the binary, else
/// `plugins` beside the binary's folder (`target/plugins` for `target/release/propcast`).
fn resolve_plugins_dir(args: &PluginArgs) -> anyhow::Result<PathBuf> {
    if let Some(dir) = &args.plugins {
        if !dir.is_dir() {
            bail!(
                "the plugin folder `{}` does not exist\n\nConsider `cargo xtask plugins`, which builds the exporters into `target/plugins`",
                dir.display()
            );
        }
        return Ok(dir.clone());
    }
    let exe = std::env::current_exe().context("failed to find the propcast binary's location")?;
    let beside = exe.parent().map(|d| d.join("plugins"));
    let above = exe
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("plugins"));
    let candidates: Vec<PathBuf> = beside.into_iter().chain(above).collect();
    if let Some(found) = candidates.iter().find(|d| d.is_dir()) {
        return Ok(found.clone());
    }
    let looked: Vec<String> = candidates
        .iter()
        .map(|d| format!("`{}`", d.display()))
        .collect();
    bail!(
        "no plugin folder found (looked in {})\n\nConsider `cargo xtask plugins`, or pass `--plugins DIR`",
        looked.join(" and ")
    )
}
