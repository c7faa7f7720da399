//! `propcast bench`: what the sandbox's metering costs. It runs one exporter on the same tables
//! many times in three engines (fuel metering and epoch deadlines; epoch deadlines only;
//! neither) and reports the median run time of each and the ratios. A measurement, not a test.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;

use super::exporter_run::fetch_tables;
use super::load_exporter;
use super::plan::{BoundParams, exporter_params};
use super::shared_queries::SharedQueries;
use crate::cli::BenchArgs;
use crate::runtime::{EngineSettings, Limits, RunInput, Runtime};
use crate::source::QueryLimits;
use crate::source::sqlite::SqliteSource;

pub(crate) fn bench(args: BenchArgs) -> anyhow::Result<ExitCode> {
    let source = SqliteSource::open(&args.warehouse.db, QueryLimits::default())?;
    let cache = || super::compile_cache(&args.plugins.cache());
    let metered = Runtime::new(EngineSettings::default())?.with_cache(cache());
    let epoch_only = Runtime::new(EngineSettings {
        fuel: false,
        ..EngineSettings::default()
    })?
    .with_cache(cache());
    let free = Runtime::new(EngineSettings {
        fuel: false,
        epoch: false,
        ..EngineSettings::default()
    })?
    .with_cache(cache());
    let load =
        |runtime: &Runtime| load_exporter(runtime, args.plugins.plugins.as_deref(), &args.exporter);
    let (with_limits, with_epoch, without_limits) =
        (load(&metered)?, load(&epoch_only)?, load(&free)?);
    let BoundParams { query, context } = exporter_params(&with_limits, args.date, &[])?;
    let tables = futures::executor::block_on(fetch_tables(
        &source,
        &SharedQueries::default(),
        None,
        &with_limits,
        &query,
    ))?;
    let rows: usize = tables.iter().map(|t| t.row_count).sum();
    let limits = Limits::default();
    let input = || RunInput {
        date: args.date.to_string(),
        run_id: "bench".into(),
        generated_at: format!("{}T12:00:00Z", args.date),
        generated_at_seconds: 0,
        params: context.clone(),
        tables: tables.clone(),
    };
    let (mut on, mut epoch, mut off) = (Vec::new(), Vec::new(), Vec::new());
    let mut fuel = None;
    // Alternate, after one warm-up run each, so drift in the machine hits both alike.
    for round in 0..=args.runs {
        let a = metered.run(&with_limits, input(), &limits);
        let b = epoch_only.run(&with_epoch, input(), &limits);
        let c = free.run(&without_limits, input(), &limits);
        if let Err(e) = a
            .result
            .as_ref()
            .and(b.result.as_ref())
            .and(c.result.as_ref())
        {
            bail!("the exporter failed: {e}");
        }
        fuel = a.fuel_used;
        if round > 0 {
            on.push(a.duration);
            epoch.push(b.duration);
            off.push(c.duration);
        }
    }
    let (on, epoch, off) = (median(&mut on), median(&mut epoch), median(&mut off));
    let ratio = |a: Duration| a.as_secs_f64() / off.as_secs_f64();
    println!(
        "exporter `{}` on {} ({rows} rows in), {} runs each:",
        args.exporter, args.date, args.runs
    );
    println!(
        "  fuel + epoch:  median {:.2} ms ({} instructions)",
        ms(on),
        fuel.unwrap_or(0)
    );
    println!("  epoch only:    median {:.2} ms", ms(epoch));
    println!("  neither:       median {:.2} ms", ms(off));
    println!("  ratio fuel + epoch / neither: {:.3}", ratio(on));
    println!("  ratio epoch only / neither:   {:.3}", ratio(epoch));
    Ok(ExitCode::SUCCESS)
}

fn median(runs: &mut [Duration]) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
