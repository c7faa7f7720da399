//! `propcast bench`: what one exporter call costs, and what the sandbox's metering adds. It runs
//! one exporter on the same tables many times in three engines (fuel metering and epoch
//! deadlines, as every run has; epoch deadlines only; neither) and reports the median run time
//! of each and the ratios. The tables come from the warehouse for a date, or from a fixture case
//! (e.g. one `propcast capture` wrote), so a native build of the same exporter can be timed on
//! the very same input (`cargo xtask bench`). A measurement, not a test.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, bail};
use jiff::civil::Date;

use super::exporter_run::fetch_tables;
use super::fixtures::case_input;
use super::load_exporter;
use super::plan::{BoundParams, exporter_params};
use super::request::CacheRequest;
use super::shared_queries::SharedQueries;
use crate::data::Document;
use crate::runtime::{EngineSettings, Exporter, Limits, RunInput, Runtime};
use crate::source::QueryLimits;
use crate::source::sqlite::SqliteSource;

/// What `propcast bench` asks for, as plain data.
#[derive(Clone, Debug)]
pub(crate) struct BenchRequest {
    pub(crate) exporter: String,
    pub(crate) input: BenchInput,
    /// Timed runs in each engine, after one warm-up run each.
    pub(crate) runs: u32,
    pub(crate) plugins: Option<PathBuf>,
    pub(crate) cache: CacheRequest,
    /// Where to write the documents the metered run produced, byte for byte.
    pub(crate) documents: Option<PathBuf>,
    /// Print the result as one JSON object instead of lines of text.
    pub(crate) json: bool,
}

/// Where the tables come from.
#[derive(Clone, Debug)]
pub(crate) enum BenchInput {
    /// The SQLite warehouse's tables for a date.
    Warehouse { db: Option<PathBuf>, date: Date },
    /// A fixture case folder (case.json and tables/).
    Case(PathBuf),
}

pub(crate) fn bench(request: BenchRequest) -> anyhow::Result<ExitCode> {
    let cache = || super::compile_cache(&request.cache);
    let engine = |fuel: bool, epoch: bool| -> anyhow::Result<Runtime> {
        Ok(Runtime::new(EngineSettings {
            fuel,
            epoch,
            perf_map: super::perf_map_requested(),
            ..EngineSettings::default()
        })?
        .with_cache(cache()))
    };
    let (metered, epoch_only, free) = (
        engine(true, true)?,
        engine(false, true)?,
        engine(false, false)?,
    );
    let load =
        |runtime: &Runtime| load_exporter(runtime, request.plugins.as_deref(), &request.exporter);
    let (with_limits, with_epoch, without_limits) =
        (load(&metered)?, load(&epoch_only)?, load(&free)?);
    let input = bench_input(&request.input, &with_limits)?;
    let rows: usize = input.tables.iter().map(|t| t.row_count).sum();
    let limits = Limits::default();
    // Per engine (fuel and epoch, epoch only, neither): whole calls, and the component's part.
    let mut whole: [Vec<Duration>; 3] = Default::default();
    let mut guest: [Vec<Duration>; 3] = Default::default();
    let mut fuel = None;
    let mut documents = Vec::new();
    // Alternate, after one warm-up run each, so drift in the machine hits all three alike.
    for round in 0..=request.runs {
        let outcomes = [
            metered.run(&with_limits, input.clone(), &limits),
            epoch_only.run(&with_epoch, input.clone(), &limits),
            free.run(&without_limits, input.clone(), &limits),
        ];
        for outcome in &outcomes {
            if let Err(e) = &outcome.result {
                bail!("the exporter failed: {e}");
            }
        }
        if round == 0 {
            let [metered_outcome, ..] = outcomes;
            fuel = metered_outcome.fuel_used;
            documents = metered_outcome.result.unwrap_or_default();
            continue;
        }
        for (engine, outcome) in outcomes.iter().enumerate() {
            whole[engine].push(outcome.duration);
            guest[engine].push(outcome.call_duration);
        }
    }
    if let Some(dir) = &request.documents {
        write_documents(dir, &documents)?;
    }
    let [on, epoch, off] = whole.map(|mut runs| median(&mut runs));
    let [guest_on, guest_epoch, guest_off] = guest.map(|mut runs| median(&mut runs));
    let ratio = |a: Duration| a.as_secs_f64() / off.as_secs_f64();
    if request.json {
        let result = serde_json::json!({
            "exporter": with_limits.manifest.name,
            "date": input.date,
            "rows_in": rows,
            "runs": request.runs,
            "documents": documents.len(),
            "bytes": documents.iter().map(|d| d.body.len()).sum::<usize>(),
            "instructions": fuel,
            "median_ms": {
                "fuel_and_epoch": ms(on),
                "epoch_only": ms(epoch),
                "neither": ms(off),
            },
            "component_median_ms": {
                "fuel_and_epoch": ms(guest_on),
                "epoch_only": ms(guest_epoch),
                "neither": ms(guest_off),
            },
        });
        println!("{result}");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "exporter `{}` on {} ({rows} rows in), {} runs each; median of the whole call (of which \
         the component: instantiate and run):",
        with_limits.manifest.name, input.date, request.runs
    );
    println!(
        "  fuel + epoch:  median {:.2} ms ({:.2} ms), {} instructions",
        ms(on),
        ms(guest_on),
        fuel.unwrap_or(0)
    );
    println!(
        "  epoch only:    median {:.2} ms ({:.2} ms)",
        ms(epoch),
        ms(guest_epoch)
    );
    println!(
        "  neither:       median {:.2} ms ({:.2} ms)",
        ms(off),
        ms(guest_off)
    );
    println!("  ratio fuel + epoch / neither: {:.3}", ratio(on));
    println!("  ratio epoch only / neither:   {:.3}", ratio(epoch));
    Ok(ExitCode::SUCCESS)
}

/// The run input `input` names for `exporter`.
fn bench_input(input: &BenchInput, exporter: &Exporter) -> anyhow::Result<RunInput> {
    match input {
        BenchInput::Case(case) => case_input(exporter, case),
        BenchInput::Warehouse { db, date } => {
            // The file as `run` would find it; the bench's own limits stay the defaults.
            let settings = super::settings::Settings::load(None, &[])?;
            let db = super::backends::sqlite_db(db.as_deref(), &settings);
            let source = SqliteSource::open(db, QueryLimits::default())?;
            let BoundParams { query, context } = exporter_params(exporter, *date, &[])?;
            let tables = futures::executor::block_on(fetch_tables(
                &source,
                &SharedQueries::default(),
                None,
                exporter,
                &query,
            ))?;
            let (_, generated_at) = super::dates_for_case(&date.to_string(), None)?;
            Ok(RunInput {
                date: date.to_string(),
                run_id: "bench".into(),
                generated_at: generated_at.to_string(),
                generated_at_seconds: generated_at.as_second().max(0) as u64,
                params: context,
                tables,
            })
        }
    }
}

/// Writes each document's body as it was produced, at its path under `dir`.
fn write_documents(dir: &Path, documents: &[Document]) -> anyhow::Result<()> {
    for doc in documents {
        let path = dir.join(&doc.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("failed to create `{}`", parent.display()))?;
        }
        std::fs::write(&path, &doc.body)
            .with_context(|| format!("failed to write `{}`", path.display()))?;
    }
    Ok(())
}

fn median(runs: &mut [Duration]) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
