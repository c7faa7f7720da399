//! Turns parsed commands into work: resolve the folders and files, load the exporters, run each
//! one's queries and the exporter itself, publish what passed, and report.
//!
//! Data flows one way: `jobs` asks `source` for tables, hands them to `runtime`, and passes the
//! checked documents to `publish`. A failed exporter never stops the others; it makes the exit
//! code 1. Problems with the command itself (a missing database, an unknown `--only` name) are
//! errors returned before anything runs, exit code 2; a warehouse not ready for the date
//! ([`freshness`]) is exit code 3, also before anything runs.

mod backends;
mod bench;
mod capture;
mod config;
pub(crate) mod dates;
mod deferred;
mod describe;
mod exporter_options;
mod exporter_run;
mod fixtures;
mod freshness;
mod plan;
mod progress;
mod report;
mod report_json;
mod request;
mod resume;
mod run;
mod scaffold;
mod schedule;
mod season_rows;
mod settings;
mod shared_queries;
mod turns;
mod workers;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context as _, bail};

use crate::cli::SampleDataArgs;
use crate::runtime::{Clash, CompileCache, EngineSettings, Exporter, LoadError, Runtime};

use settings::Settings;

pub(crate) use bench::{BenchInput, BenchRequest, bench};
pub(crate) use capture::{CaptureRequest, capture};
pub(crate) use describe::describe;
pub(crate) use exporter_options::{ExporterOption, OptionsRequest, Preloaded, exporter_options};
pub(crate) use request::{
    BigQueryRequest, CacheRequest, DateSelection, LoadRequest, ReportStyle, RunRequest, Shard,
    SourceRequest, TestRequest, Warehouse,
};

pub(crate) use fixtures::parse_bless;
pub(crate) use freshness::NotReady;
pub(crate) use run::run;
pub(crate) use scaffold::{NewRequest, new_exporter};
pub(crate) use schedule::RelativeDay;
pub(crate) use settings::parse_duration;

/// The most exporters `--jobs` lets run at once: what the engine's memory pool holds room for.
pub(crate) const MAX_JOBS: u32 = crate::runtime::MAX_CONCURRENT_RUNS;

/// The tokio runtime a command's source and store run on. It lives here, in the jobs layer,
/// for the length of one command: each call to BigQuery or Cloud Storage is a `block_on` on it,
/// while exporters run synchronously on the calling thread between them (`docs/design.md`).
fn async_runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("failed to start the async runtime")
}

/// The engine for these settings: fuel and deadlines on, the configured stack, loading plugins
/// through the compile cache `cache` asks for.
fn runtime_for(settings: &Settings, cache: &CacheRequest) -> anyhow::Result<Runtime> {
    // The most memory and table elements any one exporter is given.
    let widest = settings.limits_for_describe();
    let runtime = Runtime::new(EngineSettings {
        stack: settings.stack,
        perf_map: perf_map_requested(),
        max_component_bytes: settings.component_size,
        max_table_elements: widest.table_elements,
        ..EngineSettings::default()
    })?;
    Ok(runtime
        .with_cache(compile_cache(cache))
        .with_describe_limits(widest, settings.describe))
}

/// Whether `PROPCAST_PERF_MAP=1` asks for `perf` maps of the compiled exporters
/// (docs/performance.md).
fn perf_map_requested() -> bool {
    std::env::var_os("PROPCAST_PERF_MAP").is_some_and(|v| v == "1")
}

/// The compile cache a command uses: the folder given, else the default one; none when it is
/// off or there is no home for the default.
fn compile_cache(cache: &CacheRequest) -> Option<CompileCache> {
    match cache {
        CacheRequest::Off => None,
        CacheRequest::Folder(Some(dir)) => Some(CompileCache::new(dir.clone())),
        CacheRequest::Folder(None) => CompileCache::default_dir().map(CompileCache::new),
    }
}

/// The exporters named `only` from `dir`, or all of them. Each named one is loaded from its own
/// `<name>.wasm` when that file holds it, so no other plugin is compiled or described; if a
/// name is not found that way (a file named otherwise), or without `only`, every plugin in the
/// folder is loaded. The bool says whether the whole folder was.
fn load_selected(
    runtime: &Runtime,
    dir: &Path,
    only: &[String],
) -> anyhow::Result<(Vec<Exporter>, Vec<LoadError>, bool)> {
    if !only.is_empty() {
        let mut names: Vec<&String> = Vec::new();
        for name in only {
            if !names.contains(&name) {
                names.push(name);
            }
        }
        let files: Vec<PathBuf> = names
            .iter()
            .map(|n| dir.join(format!("{n}.wasm")))
            .collect();
        if files.iter().all(|f| f.is_file()) {
            let (exporters, errors) = runtime.load_files(files);
            let each_found = exporters.len() == names.len()
                && exporters
                    .iter()
                    .zip(&names)
                    .all(|(e, n)| e.manifest.name == **n);
            if errors.is_empty() && each_found {
                return Ok((exporters, errors, false));
            }
        }
    }
    let (exporters, errors) = runtime.load_dir(dir)?;
    refuse_clashes(&errors)?;
    Ok((exporters, errors, true))
}

/// Exporters declaring an option named like one of the host's own flags (`out`, `db`, `only`)
/// are refused as plugins that fail to load: `--out` is the host's, so the option could not be
/// given the way every other option is.
fn refuse_options_named_like_flags(
    exporters: Vec<Exporter>,
    mut errors: Vec<LoadError>,
    flags: &[String],
) -> (Vec<Exporter>, Vec<LoadError>) {
    let mut kept = Vec::with_capacity(exporters.len());
    for exporter in exporters {
        match option_named_like_a_flag(exporter, flags) {
            Ok(exporter) => kept.push(exporter),
            Err(refused) => errors.push(refused),
        }
    }
    errors.sort_by(|a, b| a.file.cmp(&b.file));
    (kept, errors)
}

/// `exporter`, or the load error refusing it when one of its options is named like one of the
/// host's `flags` ([`refuse_options_named_like_flags`] for one plugin).
fn option_named_like_a_flag(exporter: Exporter, flags: &[String]) -> Result<Exporter, LoadError> {
    let clash = exporter
        .manifest
        .params
        .iter()
        .find(|p| flags.contains(&p.name));
    match clash {
        None => Ok(exporter),
        Some(option) => Err(LoadError {
            error: anyhow::anyhow!(
                "exporter `{}` declares option `{}`, which is also a flag of the host \
                 (`--{1}`), so `--{1}` would never reach it\n\nConsider renaming the \
                 option in the exporter's manifest",
                exporter.manifest.name,
                option.name
            ),
            file: exporter.file,
        }),
    }
}

/// Plugins that clash (one exporter name, overlapping outputs) are a mistake in the plugin
/// folder: the run stops before anything runs (exit code 2), naming every clash.
fn refuse_clashes(errors: &[LoadError]) -> anyhow::Result<()> {
    let mut clashes: Vec<String> = errors
        .iter()
        .filter_map(|e| e.error.downcast_ref::<Clash>())
        .map(|clash| format!("  - {clash}"))
        .collect();
    if clashes.is_empty() {
        return Ok(());
    }
    clashes.sort();
    clashes.dedup();
    anyhow::bail!(
        "the plugin folder holds plugins that clash, so nothing was run:\n{}\n\nConsider \
         removing or renaming one plugin of each pair",
        clashes.join("\n")
    )
}

/// Limits, `[options]` and `[freshness]` may only name exporters that exist, so a typo is not
/// silently ignored: each named one is loaded, or (when only some were loaded) has its
/// `<name>.wasm` in `dir`.
fn check_named_exporters(
    settings: &Settings,
    exporters: &[Exporter],
    dir: Option<&Path>,
) -> anyhow::Result<()> {
    for (name, named_by) in settings.exporters_named() {
        let beside = dir.is_some_and(|d| d.join(format!("{name}.wasm")).is_file());
        if !beside && !exporters.iter().any(|e| e.manifest.name == name) {
            let available: Vec<&str> = exporters.iter().map(|e| e.manifest.name.as_str()).collect();
            bail!(
                "{named_by} exporter `{name}`, which is not loaded (available: {})",
                available.join(", ")
            );
        }
    }
    Ok(())
}

/// `propcast jobs`: the scheduled jobs of the config file and their next runs.
pub(crate) fn list_jobs(
    config: Option<&Path>,
    at: Option<jiff::Timestamp>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let settings = Settings::load(config, &[])?;
    let at = at.unwrap_or_else(schedule::now);
    if json {
        report::print_jobs_json(&settings.schedule, at);
    } else {
        report::print_jobs(&settings.schedule, &settings.origin, at);
    }
    Ok(ExitCode::SUCCESS)
}

/// Every plugin in the folder `request` names, loaded as `run` would load it: the exporters, and
/// the files that failed to load or declare an option named like a host flag.
fn load_folder(request: &LoadRequest) -> anyhow::Result<(PathBuf, Vec<Exporter>, Vec<LoadError>)> {
    let plugins_dir = resolve_plugins_dir(request.plugins.as_deref())?;
    let settings = Settings::load(request.config.as_deref(), &request.limits)?;
    let runtime = runtime_for(&settings, &request.cache)?;
    let (exporters, load_errors) = runtime.load_dir(&plugins_dir)?;
    let (exporters, load_errors) =
        refuse_options_named_like_flags(exporters, load_errors, &request.host_flags);
    Ok((plugins_dir, exporters, load_errors))
}

/// `propcast plugins`: lists the exporters and the files that failed to load.
pub(crate) fn plugins(request: LoadRequest) -> anyhow::Result<ExitCode> {
    let (plugins_dir, exporters, load_errors) = load_folder(&request)?;
    report::print_plugins(&plugins_dir, &exporters, &load_errors);
    Ok(if load_errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `propcast test`: runs an exporter on its fixture cases and compares the output.
pub(crate) fn test(request: TestRequest) -> anyhow::Result<ExitCode> {
    let load = &request.load;
    let settings = Settings::load(load.config.as_deref(), &load.limits)?;
    let runtime = runtime_for(&settings, &load.cache)?;
    let exporter = load_exporter(&runtime, load.plugins.as_deref(), &request.exporter)?;
    let exporter =
        option_named_like_a_flag(exporter, &load.host_flags).map_err(|refused| refused.error)?;
    let fixtures = fixtures::find(
        &exporter.manifest.name,
        &exporter.file,
        request.fixtures.as_deref(),
    )?;
    let cases = fixtures::cases(&fixtures)?;
    let limits = settings.limits_for(&exporter.manifest.name);
    let reports: Vec<fixtures::CaseReport> = cases
        .iter()
        .map(|case| {
            let profile = request.profile.as_ref().map(|dir| {
                let name = case.file_name().unwrap_or_default().to_string_lossy();
                dir.join(format!("{name}.json"))
            });
            let profile = profile.as_deref();
            fixtures::run_case(&runtime, &exporter, case, &limits, request.update, profile)
        })
        .collect();
    report::print_cases(&exporter.manifest.name, &fixtures, &reports, request.update);
    let failed = reports.iter().any(|r| r.failure.is_some());
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Loads the exporter `name`: a `.wasm` file's path, or an exporter's name in the plugin
/// folder, found as [`load_selected`] finds it.
fn load_exporter(
    runtime: &Runtime,
    plugins: Option<&Path>,
    name: &str,
) -> anyhow::Result<Exporter> {
    let as_file = Path::new(name);
    if name.ends_with(".wasm") && as_file.is_file() {
        return runtime
            .load_file(as_file)
            .with_context(|| format!("failed to load `{}`", as_file.display()));
    }
    let plugins_dir = resolve_plugins_dir(plugins)?;
    let (exporters, load_errors, _) = load_selected(runtime, &plugins_dir, &[name.to_string()])?;
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

/// `propcast precompile`: compiles every plugin into the compile cache and says what it did.
pub(crate) fn precompile(request: LoadRequest) -> anyhow::Result<ExitCode> {
    let Some(cache) = compile_cache(&request.cache) else {
        bail!(
            "there is no compile cache to fill: give one with `--cache-dir DIR` (or \
             PROPCAST_CACHE_DIR), or set HOME or XDG_CACHE_HOME for the default"
        );
    };
    let dir = cache.dir().to_path_buf();
    let (_, exporters, load_errors) = load_folder(&request)?;
    report::print_precompiled(&dir, &exporters, &load_errors);
    Ok(if load_errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
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
fn resolve_plugins_dir(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = given {
        if !dir.is_dir() {
            bail!(
                "the plugin folder `{}` does not exist\n\nConsider `cargo xtask plugins`, which builds the exporters into `target/plugins`",
                dir.display()
            );
        }
        return Ok(dir.to_path_buf());
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
