//! Runs the exporters of one date or of many on a few threads, in one process.
//!
//! The work is cut into pieces, one per (date, exporter), handed out date by date to `jobs`
//! threads. A thread runs its piece's queries and exporter, waits for the exporter's turn to
//! publish ([`super::turns`]: each exporter publishes its dates in order), and publishes. The
//! engine, the compiled exporters and their pre-instantiated handles are shared by every piece;
//! each run still gets its own store and limits. The date's identical queries run once
//! ([`super::shared_queries`]). When a date's last piece is done, the thread that finished it
//! writes the date's run manifest and reports the date.
//!
//! With several dates, each exporter's `current` documents and aliases wait for a flush date
//! ([`super::deferred`]): the run's last date, and the last of each season in it.
//!
//! Results do not depend on `jobs`: a piece's documents depend only on its date's tables and
//! plan, and each exporter's publishing order is the dates' order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use jiff::civil::Date;

use super::dates::season_label;
use super::deferred::Deferred;
use super::exporter_run::{self, Context, Publishing};
use super::plan::RunPlan;
use super::report::{Row, Status};
use super::shared_queries::SharedQueries;
use super::turns::Turns;
use crate::publish::run_manifest::{ExporterEntry, RunManifest};
use crate::runtime::Limits;

/// What to run.
pub(super) struct Work<'a> {
    pub(super) context: Context<'a>,
    /// One plan per date, in date order; every plan has the same exporters in the same order.
    pub(super) dates: Vec<RunPlan<'a>>,
    /// Each exporter's limits, in the plans' exporter order.
    pub(super) limits: Vec<Limits>,
    /// Plugin files that failed to load, recorded in every date's report and run manifest.
    pub(super) load_failures: Vec<(Row, ExporterEntry)>,
    /// How many threads run pieces.
    pub(super) jobs: usize,
}

/// How one date went.
pub(super) struct DateOutcome {
    pub(super) date: Date,
    /// Load failures first, then each exporter in plan order.
    pub(super) rows: Vec<Row>,
    /// Where the run manifest was written, or why it was not.
    pub(super) manifest: anyhow::Result<String>,
    /// From its first piece starting to its run manifest written.
    pub(super) elapsed: Duration,
}

impl DateOutcome {
    /// Whether anything of the date failed: an exporter, or writing its run manifest.
    pub(super) fn failed(&self) -> bool {
        self.manifest.is_err() || self.rows.iter().any(|r| r.status != Status::Ok)
    }
}

/// A date in progress.
struct DateState<'a> {
    plan: RunPlan<'a>,
    queries: SharedQueries,
    started: OnceLock<Instant>,
    /// Each exporter's row and entry once its piece is done.
    done: Mutex<Vec<Option<(Row, ExporterEntry)>>>,
}

/// Runs every piece of `work`, calling `on_date` as each date finishes (from the thread that
/// finished it, so possibly out of date order when `jobs` > 1).
pub(super) fn run(work: Work<'_>, on_date: &(dyn Fn(DateOutcome) + Sync)) {
    let exporters = work.limits.len();
    if exporters == 0 {
        return;
    }
    let states: Vec<DateState<'_>> = work
        .dates
        .into_iter()
        .map(|plan| DateState {
            plan,
            queries: SharedQueries::default(),
            started: OnceLock::new(),
            done: Mutex::new(vec![None; exporters]),
        })
        .collect();
    let pieces = states.len() * exporters;
    let next = AtomicUsize::new(0);
    let turns = Turns::new(exporters);
    let deferring = states.len() > 1;
    let deferred: Vec<Mutex<Deferred>> = (0..exporters).map(|_| Mutex::default()).collect();
    let flush_after: Vec<bool> = states
        .iter()
        .zip(states.iter().skip(1).map(Some).chain([None]))
        .map(|(this, next)| {
            next.is_none_or(|n| season_label(n.plan.date) != season_label(this.plan.date))
        })
        .collect();
    // No more threads than the engine's memory pool has room for runs (the default, one per
    // core, can be more).
    let threads = work.jobs.min(super::MAX_JOBS as usize).clamp(1, pieces);
    let worker = || {
        loop {
            // Checked before a piece is taken: a taken piece is always finished, so no later
            // piece waits for its turn forever.
            if crate::interrupt::requested() {
                return;
            }
            let piece = next.fetch_add(1, Ordering::Relaxed);
            if piece >= pieces {
                return;
            }
            let (index, exporter) = (piece / exporters, piece % exporters);
            let state = &states[index];
            state.started.get_or_init(Instant::now);
            let plan = &state.plan.exporters[exporter];
            let claim = turns.claim(exporter, index);
            let computed =
                exporter_run::compute(&work.context, &state.queries, plan, &work.limits[exporter]);
            let finished = {
                let _turn = claim.wait();
                let mut held = deferred[exporter].lock().unwrap_or_else(|e| e.into_inner());
                let publishing = if deferring {
                    Publishing::Deferring {
                        deferred: &mut held,
                        flush: flush_after[index],
                    }
                } else {
                    Publishing::Now
                };
                exporter_run::publish(&work.context, plan, computed, publishing)
            };
            let mut done = state.done.lock().unwrap_or_else(|e| e.into_inner());
            done[exporter] = Some(finished);
            if done.iter().all(Option::is_some) {
                let results: Vec<(Row, ExporterEntry)> = done.drain(..).flatten().collect();
                drop(done);
                state.queries.clear();
                on_date(finish_date(
                    &work.context,
                    state,
                    &work.load_failures,
                    results,
                ));
            }
        }
    };
    std::thread::scope(|scope| {
        for _ in 1..threads {
            scope.spawn(worker);
        }
        worker();
    });
}

/// Writes the date's run manifest and gathers its outcome.
fn finish_date(
    context: &Context<'_>,
    state: &DateState<'_>,
    load_failures: &[(Row, ExporterEntry)],
    results: Vec<(Row, ExporterEntry)>,
) -> DateOutcome {
    let (rows, entries): (Vec<Row>, Vec<ExporterEntry>) =
        load_failures.iter().cloned().chain(results).unzip();
    let plan = &state.plan;
    let manifest = RunManifest {
        run_id: plan.run_id.clone(),
        date: plan.date.to_string(),
        generated_at: plan.generated_at.to_string(),
        written_at: jiff::Timestamp::now().to_string(),
        propcast_version: env!("CARGO_PKG_VERSION"),
        source: context.source.locator(),
        destination: context.publisher.store().locator(),
        exporters: entries,
    };
    let written = context.edges.block_on(context.publisher.write_run_manifest(
        &manifest,
        plan.date,
        plan.generated_at,
    ));
    DateOutcome {
        date: plan.date,
        rows,
        manifest: written,
        elapsed: state.started.get().map_or(Duration::ZERO, Instant::elapsed),
    }
}
