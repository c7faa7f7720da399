//! `propcast test`: runs one exporter on fixture cases, in isolation from any warehouse, and
//! compares what it produced with the expected documents. The golden tests run the same code.
//!
//! A case is a folder (`plugins/<exporter>/fixtures/<case>/`):
//!
//! - `case.json`: `{"date": "2024-01-10", "generated_at": "…", "params": {"min-length": 3}}`;
//!   `generated_at` defaults to noon UTC of the date, options to their defaults.
//! - `tables/<query>.json`: one table per query the exporter declares, its column types stated
//!   (`propcast-fixtures`).
//! - `expected/<path>`: the documents it must produce, as JSON (compared as JSON values, so
//!   they can be pretty-printed); or `expected.empty` when it must produce none; or
//!   `expected.err`: text its error must contain.
//!
//! `--update` (or `BLESS=1`) rewrites the expected files from what the exporter produced.
//!
//! Without `--fixtures`, [`find`] looks for the exporter's fixtures where its crate keeps them,
//! from the current folder and from the plugin file, so `propcast test` works from anywhere in
//! a checkout.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::{Deserialize, Serialize};

use super::dates_for_case;
use super::exporter_run::fetch_tables;
use super::plan::{BoundParams, exporter_params};
use super::shared_queries::SharedQueries;
use crate::data::Document;
use crate::runtime::{Exporter, Limits, LogLine, RunError, RunInput, Runtime};
use crate::source::fixtures::FixtureSource;

/// What `case.json` holds.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CaseFile {
    pub(crate) date: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) generated_at: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) params: BTreeMap<String, serde_json::Value>,
}

/// How one case went.
#[derive(Debug)]
pub(crate) struct CaseReport {
    pub(crate) name: String,
    /// `None` when it passed (or was updated); else why it failed.
    pub(crate) failure: Option<String>,
    pub(crate) documents: usize,
    pub(crate) bytes: usize,
    pub(crate) rows_in: usize,
    pub(crate) run_time: Duration,
    /// Instructions used.
    pub(crate) fuel: Option<u64>,
    /// Peak linear memory, in bytes.
    pub(crate) memory: usize,
    pub(crate) logs: Vec<LogLine>,
    /// What the exporter wrote to stdout and stderr.
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// The fixtures folder of exporter `name`, whose component is the file `plugin`: `given`, or
/// else the first that exists of `./fixtures` (inside the exporter's crate, an `exporter.toml`
/// naming it beside) and `<folder>/plugins/<name>/fixtures` for the current folder, the plugin
/// file's folder and each folder above them. The error lists where it looked.
pub(crate) fn find(name: &str, plugin: &Path, given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = given {
        return Ok(dir.to_path_buf());
    }
    let here = std::env::current_dir().context("failed to read the current folder")?;
    let plugin = std::path::absolute(plugin).unwrap_or_else(|_| plugin.to_path_buf());
    let mut looked: Vec<PathBuf> = Vec::new();
    if crate_named(&here, name) {
        looked.push(here.join("fixtures"));
    }
    for start in [here.as_path(), plugin.parent().unwrap_or(&here)] {
        for folder in start.ancestors() {
            let candidate = folder.join("plugins").join(name).join("fixtures");
            if !looked.contains(&candidate) {
                looked.push(candidate);
            }
        }
    }
    if let Some(found) = looked.iter().find(|dir| dir.is_dir()) {
        return Ok(found.clone());
    }
    let listed: Vec<String> = looked
        .iter()
        .map(|dir| format!("  {}", dir.display()))
        .collect();
    bail!(
        "found no fixtures for `{name}`; looked in:\n{}\n\nConsider `--fixtures DIR`, a folder of \
         cases (each a folder with case.json, tables/ and expected/), or `propcast capture` to \
         make one",
        listed.join("\n")
    )
}

/// Whether `folder` is the crate of exporter `name`: its `exporter.toml` says `name = "<name>"`.
fn crate_named(folder: &Path, name: &str) -> bool {
    #[derive(Deserialize)]
    struct Named {
        name: String,
    }
    std::fs::read_to_string(folder.join("exporter.toml"))
        .ok()
        .and_then(|text| toml::from_str::<Named>(&text).ok())
        .is_some_and(|manifest| manifest.name == name)
}

/// Whether `BLESS` (or `--update`'s value) asks to record the expected output: `1`, `true`,
/// `yes` or `on` do, `0`, `false`, `no`, `off` or nothing do not.
pub(crate) fn parse_bless(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "" | "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!(
            "`{text}` is neither yes (1, true, yes, on) nor no (0, false, no, off)"
        )),
    }
}

/// The case folders under `dir`, in name order; hidden ones (`.capturing`) are not cases.
pub(crate) fn cases(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut cases: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("failed to read the fixtures folder `{}`", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .filter(|p| p.join("case.json").is_file())
        .collect();
    cases.sort();
    if cases.is_empty() {
        bail!(
            "`{}` holds no fixture cases (folders with a case.json)",
            dir.display()
        );
    }
    Ok(cases)
}

/// Runs one case; with `update`, records its output as the expected output.
pub(crate) fn run_case(
    runtime: &Runtime,
    exporter: &Exporter,
    case: &Path,
    limits: &Limits,
    update: bool,
    profile: Option<&Path>,
) -> CaseReport {
    let name = case
        .file_name()
        .unwrap_or_default()
        .to_string_lossy()
        .into_owned();
    let mut report = CaseReport {
        name,
        failure: None,
        documents: 0,
        bytes: 0,
        rows_in: 0,
        run_time: Duration::ZERO,
        fuel: None,
        memory: 0,
        logs: Vec::new(),
        stdout: String::new(),
        stderr: String::new(),
    };
    let ran = run_case_inner(
        runtime,
        exporter,
        case,
        limits,
        update,
        profile,
        &mut report,
    );
    if let Err(e) = ran {
        report.failure = Some(format!("{e:#}"));
    }
    report
}

/// What the case folder `case` hands `exporter`: its date, timestamp, options and tables, with
/// the run id `test-<case folder name>`.
pub(crate) fn case_input(exporter: &Exporter, case: &Path) -> anyhow::Result<RunInput> {
    let case_path = case.join("case.json");
    let text = std::fs::read_to_string(&case_path)
        .with_context(|| format!("failed to read `{}`", case_path.display()))?;
    let file: CaseFile = serde_json::from_str(&text)
        .with_context(|| format!("`{}` is invalid", case_path.display()))?;
    let (date, generated_at) = dates_for_case(&file.date, file.generated_at.as_deref())
        .with_context(|| format!("`{}` is invalid", case_path.display()))?;
    let given: Vec<(String, String)> = file
        .params
        .into_iter()
        .map(|(k, v)| (k, v.as_str().map_or_else(|| v.to_string(), str::to_string)))
        .collect();
    for (option, _) in &given {
        if !exporter.manifest.params.iter().any(|p| &p.name == option) {
            bail!(
                "`{}` sets option `{option}`, which the exporter does not declare",
                case_path.display()
            );
        }
    }
    let BoundParams {
        query: query_params,
        context: context_params,
    } = exporter_params(exporter, date, &given)?;
    let source = FixtureSource::new(&case.join("tables"));
    let tables = futures::executor::block_on(fetch_tables(
        &source,
        &SharedQueries::default(),
        None,
        exporter,
        &query_params,
    ))?;
    let name = case.file_name().unwrap_or_default().to_string_lossy();
    Ok(RunInput {
        date: date.to_string(),
        run_id: format!("test-{name}"),
        generated_at: generated_at.to_string(),
        generated_at_seconds: generated_at.as_second().max(0) as u64,
        params: context_params,
        tables,
    })
}

fn run_case_inner(
    runtime: &Runtime,
    exporter: &Exporter,
    case: &Path,
    limits: &Limits,
    update: bool,
    profile: Option<&Path>,
    report: &mut CaseReport,
) -> anyhow::Result<()> {
    let input = case_input(exporter, case)?;
    report.rows_in = input.tables.iter().map(|t| t.row_count).sum();
    let outcome = match profile {
        Some(path) => {
            let (outcome, written) = runtime.run_and_profile(exporter, input, limits, path)?;
            written?;
            outcome
        }
        None => runtime.run(exporter, input, limits),
    };
    report.run_time = outcome.duration;
    report.fuel = outcome.fuel_used;
    report.memory = outcome.peak_memory;
    report.logs = outcome.logs;
    report.stdout = outcome.stdout;
    report.stderr = outcome.stderr;
    let expected = Expected::of(case);
    match outcome.result {
        Ok(documents) => {
            report.documents = documents.len();
            report.bytes = documents.iter().map(|d| d.body.len()).sum();
            if update {
                return expected.record(Ok(&documents));
            }
            if expected.err.is_file() {
                bail!(
                    "the exporter succeeded, but `{}` expects an error",
                    expected.err.display()
                );
            }
            if expected.empty.is_file() {
                if !documents.is_empty() {
                    bail!(
                        "`{}` expects no documents, but the exporter produced {}",
                        expected.empty.display(),
                        documents.len()
                    );
                }
                return Ok(());
            }
            compare(&expected.dir, &documents)
        }
        Err(error @ RunError::Limit(_)) if update => bail!(
            "it went past a limit, so there is nothing to record: {error}\n\nConsider `--limit` \
             to record it under a larger one"
        ),
        Err(error) => {
            let message = error.to_string();
            if update {
                return expected.record(Err(&message));
            }
            let Some(wanted) = expected.error() else {
                bail!("{}", error.with_hint());
            };
            if !message.contains(&wanted) {
                bail!(
                    "the exporter's error\n  {message}\ndoes not contain the expected\n  {wanted}"
                );
            }
            Ok(())
        }
    }
}

/// Where a case keeps what it expects.
pub(crate) struct Expected {
    dir: PathBuf,
    err: PathBuf,
    empty: PathBuf,
}

impl Expected {
    /// The error the case expects, if it expects one.
    pub(crate) fn error(&self) -> Option<String> {
        let text = std::fs::read_to_string(&self.err).ok()?;
        Some(text.trim().to_string())
    }

    /// What the case folder `case` expects.
    pub(crate) fn of(case: &Path) -> Expected {
        Expected {
            dir: case.join("expected"),
            err: case.join("expected.err"),
            empty: case.join("expected.empty"),
        }
    }

    /// Replaces the expected output with `produced`.
    fn record(&self, produced: Result<&[Document], &str>) -> anyhow::Result<()> {
        if self.dir.exists() {
            std::fs::remove_dir_all(&self.dir)
                .with_context(|| format!("failed to clear `{}`", self.dir.display()))?;
        }
        let _ = std::fs::remove_file(&self.err);
        let _ = std::fs::remove_file(&self.empty);
        match produced {
            Err(message) => std::fs::write(&self.err, format!("{message}\n"))?,
            Ok([]) => std::fs::write(&self.empty, "")?,
            Ok(documents) => {
                for doc in documents {
                    let path = self.dir.join(&doc.path);
                    std::fs::create_dir_all(
                        path.parent().expect("documents have a parent folder"),
                    )?;
                    let value: serde_json::Value = serde_json::from_slice(&doc.body)?;
                    std::fs::write(
                        &path,
                        format!("{}\n", serde_json::to_string_pretty(&value)?),
                    )?;
                }
            }
        }
        Ok(())
    }
}

/// Compares the documents with the files under `expected_dir`, as JSON values.
fn compare(expected_dir: &Path, documents: &[Document]) -> anyhow::Result<()> {
    if !expected_dir.is_dir() {
        bail!(
            "`{}` does not exist; run with --update to record the output",
            expected_dir.display()
        );
    }
    let mut expected = BTreeMap::new();
    collect_files(expected_dir, expected_dir, &mut expected)?;
    let produced: BTreeMap<String, &Document> =
        documents.iter().map(|d| (d.path.clone(), d)).collect();
    let mut problems = Vec::new();
    for path in expected.keys().filter(|p| !produced.contains_key(*p)) {
        problems.push(format!("`{path}` was expected but not produced"));
    }
    for path in produced.keys().filter(|p| !expected.contains_key(*p)) {
        problems.push(format!("`{path}` was produced but not expected"));
    }
    for (path, want_text) in &expected {
        let Some(doc) = produced.get(path) else {
            continue;
        };
        let want: serde_json::Value = serde_json::from_str(want_text)
            .with_context(|| format!("expected `{path}` is not valid JSON"))?;
        let got: serde_json::Value = serde_json::from_slice(&doc.body)?;
        if want != got {
            problems.push(format!("`{path}` differs:\n{}", diff(&want, &got)));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        bail!(problems.join("\n"))
    }
}

fn collect_files(
    root: &Path,
    dir: &Path,
    files: &mut BTreeMap<String, String>,
) -> anyhow::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect_files(root, &path, files)?;
        } else {
            let relative = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(relative, std::fs::read_to_string(&path)?);
        }
    }
    Ok(())
}

/// The differing lines of two pretty-printed values (between their common start and end),
/// with a little context, at most 8 lines a side.
fn diff(want: &serde_json::Value, got: &serde_json::Value) -> String {
    let want = serde_json::to_string_pretty(want).unwrap_or_default();
    let got = serde_json::to_string_pretty(got).unwrap_or_default();
    let (want, got): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let first = want
        .iter()
        .zip(&got)
        .position(|(a, b)| a != b)
        .unwrap_or(want.len().min(got.len()));
    let common_end = want[first..]
        .iter()
        .rev()
        .zip(got[first..].iter().rev())
        .take_while(|(a, b)| a == b)
        .count();
    let mut out = String::new();
    for line in &want[first.saturating_sub(3)..first] {
        out.push_str(&format!("    {line}\n"));
    }
    for line in want[first..want.len() - common_end].iter().take(8) {
        out.push_str(&format!("  - {line}\n"));
    }
    for line in got[first..got.len() - common_end].iter().take(8) {
        out.push_str(&format!("  + {line}\n"));
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod golden {
    //! The golden tests: every exporter in `plugins/` on its fixtures, through the real
    //! component built by `cargo xtask plugins`.

    use super::*;
    use crate::runtime::{CompileCache, EngineSettings};

    #[test]
    fn every_exporter_matches_its_fixtures() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("target"));
        // The end-to-end tests' compile cache: the Python exporter takes seconds to compile.
        let cache = CompileCache::new(target.join("test-compile-cache"));
        let runtime = Runtime::new(EngineSettings::default())
            .unwrap()
            .with_cache(Some(cache));
        let mut checked = 0;
        let mut failures = Vec::new();
        for entry in std::fs::read_dir(root.join("plugins")).unwrap() {
            let plugin = entry.unwrap().path();
            let fixtures = plugin.join("fixtures");
            let hidden = plugin
                .file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with('.');
            if hidden || !fixtures.is_dir() {
                continue;
            }
            let name = plugin.file_name().unwrap().to_string_lossy().into_owned();
            // Rust exporters are built into `target/plugins`, Python ones into
            // `target/polyglot`.
            let file = format!("{name}.wasm");
            let built = ["plugins", "polyglot"].map(|folder| target.join(folder).join(&file));
            let Some(wasm) = built.iter().find(|wasm| wasm.is_file()) else {
                panic!("`{file}` is missing; run the tests with `cargo xtask test`");
            };
            let exporter = runtime.load_file(wasm).unwrap();
            let update = std::env::var("BLESS")
                .map(|v| parse_bless(&v).expect("BLESS is a yes or a no"))
                .unwrap_or(false);
            for case in cases(&fixtures).unwrap() {
                let report = run_case(&runtime, &exporter, &case, &Limits::default(), update, None);
                checked += 1;
                if let Some(failure) = report.failure {
                    failures.push(format!("{name}/{}: {failure}", report.name));
                }
            }
        }
        assert!(checked > 0, "no fixture cases found");
        assert!(
            failures.is_empty(),
            "{} of {checked} golden cases failed:\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
}
