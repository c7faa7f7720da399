//! `propcast run` and `propcast backfill`: for each date, each selected exporter's queries, the
//! exporter, and its documents published; then the date's run manifest. One date is reported
//! exporter by exporter; many dates, date by date and in a closing summary. With `--dry-run`,
//! only the queries' checks and cost estimates.
//!
//! Everything a command shares is set up once here: the engine and the compiled exporters, the
//! source, the store. [`super::workers`] runs the pieces.

use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use super::exporter_options::Preloaded;
use super::exporter_run::Context;
use super::plan::{self, ExporterPlan};
use super::progress::Progress;
use super::report::{self, Row, Status};
use super::report_json;
use super::request::{DateSelection, ReportStyle, RunRequest};
use super::season_rows::SeasonRows;
use super::settings::Settings;
use super::workers::{self, DateOutcome, Work};
use super::{check_named_exporters, dates, refuse_options_named_like_flags};
use super::{freshness, resume, schedule};
use crate::publish::Publisher;
use crate::publish::run_manifest::ExporterEntry;
use crate::runtime::LoadError;
use crate::source::{QueryRequest, Source};

/// Runs `request` to the end; the exit code says whether everything published. `preloaded`
/// are the plugins the command line read the exporters' options from: the run uses them when
/// it selects the same exporters.
pub(crate) fn run(request: RunRequest, preloaded: Option<Preloaded>) -> anyhow::Result<ExitCode> {
    let edges = super::async_runtime()?;
    let mut settings = Settings::load(request.config.as_deref(), &request.limits)?;
    let request = schedule::resolve_request(request, &settings.schedule)?;
    if request.gzip {
        settings.publish.gzip = true;
    }
    let Preloaded {
        plugins_dir,
        runtime,
        exporters,
        load_errors,
        whole_folder,
        ..
    } = match preloaded.filter(|p| p.serves(&request.only)) {
        Some(preloaded) => preloaded,
        None => Preloaded::load(
            &settings,
            &request.cache,
            request.plugins.as_deref(),
            &request.only,
        )?,
    };
    let (exporters, load_errors) =
        refuse_options_named_like_flags(exporters, load_errors, &request.host_flags);
    let folder_to_check = (!whole_folder).then_some(plugins_dir.as_path());
    check_named_exporters(&settings, &exporters, folder_to_check)?;
    let selection =
        plan::select(&request, &settings, &exporters, &load_errors).map_err(
            |e| match &request.job {
                Some(job) => e.context(format!("job `{job}` (its exporters and options)")),
                None => e,
            },
        )?;
    if selection.exporters.is_empty() {
        bail!(
            "there is no exporter to run: `{}` holds no plugin that loads{}\n\nConsider \
             `cargo xtask plugins`, or pass `--plugins DIR`",
            plugins_dir.display(),
            if load_errors.is_empty() {
                String::new()
            } else {
                format!(
                    " ({} failed to load; `propcast plugins` shows why)",
                    load_errors.len()
                )
            }
        );
    }
    let source = edges.block_on(super::backends::open_source(&request.source, &settings))?;
    let mut date_list = edges.block_on(dates::resolve(request.dates, source.as_ref()))?;
    if request.dry_run {
        let plan = selection.for_date(date_list[0]);
        return edges.block_on(dry_run(source.as_ref(), &plan.exporters));
    }
    if !request.allow_empty {
        // The whole range, before it is shared out: every task of a sharded backfill gets the
        // same answer as one backfill would.
        let needs = settings.needs_of(selection.exporters.iter().map(|e| e.manifest.name.as_str()));
        let check = || edges.block_on(freshness::check(source.as_ref(), &date_list, &needs));
        freshness::wait_for(check, request.wait_for_data)?;
    }
    if let Some(shard) = request.shard {
        let share = dates::shard(&date_list, shard).to_vec();
        if request.report == ReportStyle::Text {
            report::print_shard(shard, &share, date_list.len());
        }
        if share.is_empty() {
            return Ok(ExitCode::SUCCESS);
        }
        date_list = share;
    }
    let store = edges.block_on(super::backends::open_store(
        request.out.as_deref(),
        &settings,
        request.wait_lock,
    ))?;
    edges
        .block_on(store.check_writable())
        .with_context(|| format!("cannot publish to {}; nothing was run", store.describe()))?;
    let publisher = Publisher::new(store, &settings.publish);
    let mut plans: Vec<_> = date_list.iter().map(|&d| selection.for_date(d)).collect();
    let several_dates = !matches!(request.dates, DateSelection::One(_));
    let mut skipped = Vec::new();
    // A plugin that fails to load fails every date it would run on: nothing is skipped then.
    let every_plugin_loads = !request.only.is_empty() || load_errors.is_empty();
    if several_dates && !request.force && every_plugin_loads {
        let done = edges.block_on(resume::published_dates(publisher.store(), &plans))?;
        plans.retain(|plan| !done.contains(&plan.date));
        date_list.retain(|date| !done.contains(date));
        skipped = done.into_iter().collect();
        if request.report == ReportStyle::Text {
            report::print_skipped(skipped.len(), plans.len());
        }
        if plans.is_empty() {
            if request.report == ReportStyle::Json {
                report_json::print(&[], &skipped, Duration::ZERO, &publisher.store().locator());
            }
            return Ok(ExitCode::SUCCESS);
        }
    }
    if tracing::enabled!(tracing::Level::INFO) {
        report::log_settings(
            &settings,
            &plugins_dir,
            &source.describe(),
            &publisher.store().describe(),
            &plans[0].exporters,
        );
    }
    let load_failures = if request.only.is_empty() {
        load_failures(&load_errors)
    } else {
        warn_skipped(&load_errors);
        Vec::new()
    };
    let season = SeasonRows::new(&date_list);
    let work = Work {
        context: Context {
            edges: &edges,
            runtime: &runtime,
            source: source.as_ref(),
            publisher: &publisher,
            several_dates,
            season: (date_list.len() > 1).then_some(&season),
            profiles: request.profile.as_deref(),
        },
        limits: selection
            .exporters
            .iter()
            .map(|e| settings.limits_for(&e.manifest.name))
            .collect(),
        dates: plans,
        load_failures,
        // A profiled run ticks the engine faster, which other runs' deadlines would feel.
        jobs: if request.profile.is_some() {
            1
        } else {
            request.jobs
        },
    };
    let started = Instant::now();
    crate::interrupt::listen(&edges);
    let outcomes = std::sync::Mutex::new(Vec::new());
    let progress = several_dates
        .then(|| Progress::start(date_list.len(), request.report == ReportStyle::Text));
    workers::run(work, &|outcome: DateOutcome| {
        report::log_date(&outcome);
        if let Some(progress) = &progress {
            progress.date_done(&outcome);
        }
        outcomes
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(outcome);
    });
    drop(progress);
    let mut outcomes = outcomes.into_inner().unwrap_or_else(|e| e.into_inner());
    outcomes.sort_by_key(|o| o.date);
    for outcome in &outcomes {
        if let Err(e) = &outcome.manifest {
            tracing::error!("{e:#}");
        }
    }
    let destination = publisher.store().describe();
    let interrupted = crate::interrupt::exit_code();
    match request.report {
        ReportStyle::Text if several_dates => {
            report::print_dates_summary(&outcomes, skipped.len(), started.elapsed(), &destination)
        }
        ReportStyle::Text => {
            if let Some(outcome) = outcomes.first() {
                report::print_table(&outcome.rows, &destination)
            }
        }
        ReportStyle::Json => report_json::print(
            &outcomes,
            &skipped,
            started.elapsed(),
            &publisher.store().locator(),
        ),
        ReportStyle::Quiet => {}
    }
    if let Some(code) = interrupted {
        eprintln!(
            "propcast: interrupted: no date started after the interruption, and the batch being \
             published when it came was rolled back where the store can (a local folder) ({} of {} dates were done)\n\nConsider \
             running the same command again{}",
            outcomes.iter().filter(|o| !o.failed()).count(),
            date_list.len(),
            if several_dates {
                ": it skips the dates already published"
            } else {
                ""
            }
        );
        return Ok(ExitCode::from(code));
    }
    Ok(if outcomes.iter().any(DateOutcome::failed) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The plugin files that failed to load, reported once and recorded with every date.
fn load_failures(load_errors: &[LoadError]) -> Vec<(Row, ExporterEntry)> {
    load_errors
        .iter()
        .map(|error| {
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
            report::log_failure(&name, None, &message, &[]);
            let entry = ExporterEntry {
                status: Status::LoadFailed.label().to_string(),
                error: Some(message.clone()),
                ..ExporterEntry::new(name.clone(), name.clone())
            };
            let row = Row {
                error: Some(message),
                ..Row::new(name).failed(Status::LoadFailed)
            };
            (row, entry)
        })
        .collect()
}

/// With `--only`, a plugin that failed to load is not part of the run: a warning, not a failure.
fn warn_skipped(load_errors: &[LoadError]) {
    for error in load_errors {
        tracing::warn!(
            "skipped `{}`, which failed to load: {:#}",
            error.file.display(),
            error.error
        );
    }
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
                queries_started: None,
            };
            let result = source.dry_run(&request).await;
            if let Err(e) = &result {
                report::log_failure(&plan.exporter.manifest.name, None, &format!("{e:#}"), &[]);
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
