//! `propcast capture`: turns a real date into a fixture case. It runs one exporter's declared
//! queries against the configured warehouse (SQLite or BigQuery, through the same code as `run`),
//! writes the tables and the date as a case folder, then runs the exporter on that case exactly
//! as `propcast test` will and records what it produced as the expected output. So a production
//! date replays offline, and becomes a regression test, in one command.
//!
//! The case is written under `<fixtures>/.capturing/<pid>/` and renamed into place when complete: a
//! failed capture leaves no half case behind (`propcast test` skips hidden folders), and an
//! existing case is never replaced. A run past a limit is not recorded (a deadline depends on the
//! machine); the exporter's own errors are, as the error the case expects.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use jiff::Timestamp;
use jiff::civil::Date;

use super::exporter_run::fetch_tables;
use super::fixtures::{self, CaseFile};
use super::plan::{self, BoundParams, exporter_params};
use super::request::{CacheRequest, SourceRequest};
use super::settings::Settings;
use super::shared_queries::SharedQueries;
use super::{backends, load_exporter, runtime_for};
use crate::source::fixtures::write_table;

/// What `propcast capture` asks for, as plain data.
#[derive(Clone, Debug)]
pub(crate) struct CaptureRequest {
    pub(crate) date: Date,
    /// The exporter: a name in the plugin folder or a `.wasm` file's path.
    pub(crate) exporter: String,
    /// The fixtures folder the case goes into.
    pub(crate) fixtures: PathBuf,
    /// The case's folder name; the date when not given.
    pub(crate) case: Option<String>,
    /// Exporter options, `(name, value)`; the last value of a name wins.
    pub(crate) params: Vec<(String, String)>,
    /// The timestamp recorded in the case; noon UTC of the date when not given.
    pub(crate) generated_at: Option<Timestamp>,
    pub(crate) plugins: Option<PathBuf>,
    pub(crate) cache: CacheRequest,
    pub(crate) source: SourceRequest,
    pub(crate) config: Option<PathBuf>,
    pub(crate) limits: Vec<(String, String)>,
}

/// Captures the case `request` names; the exit code is 0 when the case was written.
pub(crate) fn capture(request: CaptureRequest) -> anyhow::Result<ExitCode> {
    let case_name = request
        .case
        .clone()
        .unwrap_or_else(|| request.date.to_string());
    if case_name.is_empty() || case_name.starts_with('.') || case_name.contains(['/', '\\']) {
        bail!("`{case_name}` is not a case name: use a plain folder name, e.g. `2024-01-10`");
    }
    let case_dir = request.fixtures.join(&case_name);
    if case_dir.exists() {
        bail!(
            "`{}` already exists; choose another `--case NAME`, or delete it to capture again",
            case_dir.display()
        );
    }
    let edges = super::async_runtime()?;
    let settings = Settings::load(request.config.as_deref(), &request.limits)?;
    let runtime = runtime_for(&settings, &request.cache)?;
    let exporter = load_exporter(&runtime, request.plugins.as_deref(), &request.exporter)?;
    let name = exporter.manifest.name.clone();
    for (option, _) in &request.params {
        if !exporter.manifest.params.iter().any(|p| &p.name == option) {
            bail!("`--param` sets `{option}`, but exporter `{name}` has no such option");
        }
    }
    // The options a run would use: `[options.<name>]` of the config file, then `--param`.
    let params = plan::options_given(&exporter, &settings, &request.params)?;
    let BoundParams { query, .. } = exporter_params(&exporter, request.date, &params)?;
    let source = edges.block_on(backends::open_source(&request.source, &settings))?;
    let tables = edges
        .block_on(fetch_tables(
            source.as_ref(),
            &SharedQueries::default(),
            None,
            &exporter,
            &query,
        ))
        .with_context(|| format!("failed to run the queries of `{name}` for {}", request.date))?;

    // Staged under a hidden folder with the case's own name: the run id a case runs with comes
    // from its folder's name, so the staged case runs exactly as the final one will.
    let staging = request
        .fixtures
        .join(".capturing")
        .join(std::process::id().to_string());
    let partial = staging.join(&case_name);
    let _ = std::fs::remove_dir_all(&partial);
    let written = write_case(&request, &params, &tables, &partial).and_then(|()| {
        // Recorded the way `propcast test --update` records a case.
        let report = fixtures::run_case(
            &runtime,
            &exporter,
            &partial,
            &settings.limits_for(&name),
            true,
            None,
        );
        if let Some(failure) = report.failure {
            bail!("`{name}` on {}: {failure}", request.date);
        }
        let produced = match fixtures::Expected::of(&partial).error() {
            Some(message) => Err(message),
            None => Ok(report.documents),
        };
        Ok((produced, report.bytes))
    });
    let moved = written.and_then(|done| {
        std::fs::rename(&partial, &case_dir).with_context(|| {
            format!(
                "failed to move the captured case into `{}`",
                case_dir.display()
            )
        })?;
        Ok(done)
    });
    let (produced, bytes) = match moved {
        Ok(done) => done,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&partial);
            let _ = std::fs::remove_dir(&staging);
            let _ = std::fs::remove_dir(request.fixtures.join(".capturing"));
            return Err(e);
        }
    };
    let _ = std::fs::remove_dir(&staging);

    let rows: usize = tables.iter().map(|t| t.row_count).sum();
    println!(
        "captured `{name}` for {} into `{}`: {} tables, {rows} rows",
        request.date,
        case_dir.display(),
        tables.len()
    );
    match produced {
        Ok(documents) => println!("  expected output: {documents} documents, {bytes} bytes"),
        Err(error) => println!(
            "  the exporter failed on it ({}); the case expects that error",
            crate::logging::printable(&error)
        ),
    }
    println!(
        "replay it with `propcast test {} --fixtures {}`",
        request.exporter,
        request.fixtures.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes `case.json` (with the options `params` set) and `tables/` into `dir`.
fn write_case(
    request: &CaptureRequest,
    params: &[(String, String)],
    tables: &[crate::data::Table],
    dir: &Path,
) -> anyhow::Result<()> {
    let tables_dir = dir.join("tables");
    std::fs::create_dir_all(&tables_dir)
        .with_context(|| format!("failed to create `{}`", tables_dir.display()))?;
    for table in tables {
        write_table(&tables_dir, table)?;
    }
    let params: BTreeMap<String, serde_json::Value> = params
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let case = CaseFile {
        date: request.date.to_string(),
        generated_at: request.generated_at.map(|t| t.to_string()),
        params,
    };
    let path = dir.join("case.json");
    std::fs::write(&path, format!("{}\n", serde_json::to_string_pretty(&case)?))
        .with_context(|| format!("failed to write `{}`", path.display()))
}
