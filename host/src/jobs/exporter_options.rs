//! The options the exporters declare, read before `run` or `backfill` parses its command line,
//! so that each becomes a flag of its own (`--min-games 5`) with its help text in `run --help`,
//! and a mistyped host flag is clap's unknown argument, not an exporter option.
//!
//! Reading the options means loading the plugins, so the plugins loaded for it are handed on
//! to the run ([`Preloaded`]): a command loads each plugin once, and runs the very plugins
//! whose options it offered.

use std::path::{Path, PathBuf};

use super::request::{CacheRequest, LoadRequest};
use super::settings::Settings;
use super::{load_selected, resolve_plugins_dir, runtime_for};
use crate::data::ParamType;
use crate::runtime::{Exporter, LoadError, Runtime};

/// Which plugins a command line would load, and the settings they load under.
#[derive(Clone, Debug)]
pub(crate) struct OptionsRequest {
    /// The folder and settings; an option named like one of `host_flags` is left out (and its
    /// exporter is refused when the run loads it).
    pub(crate) load: LoadRequest,
    /// `--only`: the exporters to read; empty for every plugin in the folder.
    pub(crate) only: Vec<String>,
    /// `--job`: a scheduled job of the config file, whose exporters are read instead.
    pub(crate) job: Option<String>,
}

/// An exporter option as a command-line flag: `--{name} <{value_name}>`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ExporterOption {
    pub(crate) name: String,
    pub(crate) value_name: &'static str,
    /// What it does, which exporters declare it and its default there.
    pub(crate) help: String,
}

/// The plugins loaded to read their options, for the run that follows.
pub(crate) struct Preloaded {
    /// The exporters they were selected by (a job's, or `--only`'s): a run that selects others
    /// loads its own.
    only: Vec<String>,
    pub(crate) plugins_dir: PathBuf,
    pub(crate) runtime: Runtime,
    pub(crate) exporters: Vec<Exporter>,
    pub(crate) load_errors: Vec<LoadError>,
    /// Whether the whole folder was loaded, not only the named plugins.
    pub(crate) whole_folder: bool,
}

impl Preloaded {
    /// Loads the plugins `only` names (or all) from the plugin folder under `settings`.
    pub(crate) fn load(
        settings: &Settings,
        cache: &CacheRequest,
        plugins: Option<&Path>,
        only: &[String],
    ) -> anyhow::Result<Preloaded> {
        let plugins_dir = resolve_plugins_dir(plugins)?;
        let runtime = runtime_for(settings, cache)?;
        let (exporters, load_errors, whole_folder) = load_selected(&runtime, &plugins_dir, only)?;
        Ok(Preloaded {
            only: only.to_vec(),
            plugins_dir,
            runtime,
            exporters,
            load_errors,
            whole_folder,
        })
    }

    /// Whether these are the plugins a run selecting `only` loads.
    pub(crate) fn serves(&self, only: &[String]) -> bool {
        self.only == only
    }
}

/// The options of the plugins `request` names, merged by name in the order the exporters
/// declare them, and the loaded plugins.
pub(crate) fn exporter_options(
    request: &OptionsRequest,
) -> anyhow::Result<(Vec<ExporterOption>, Preloaded)> {
    let load = &request.load;
    let settings = Settings::load(load.config.as_deref(), &load.limits)?;
    let only = settings
        .schedule
        .exporters_for(request.job.as_deref(), &request.only)?;
    let preloaded = Preloaded::load(&settings, &load.cache, load.plugins.as_deref(), &only)?;
    let options = merged_options(&preloaded.exporters, &only, &load.host_flags);
    Ok((options, preloaded))
}

/// One flag per option name among `exporters` (those `only` names, or all), except names that
/// are host flags.
fn merged_options(
    exporters: &[Exporter],
    only: &[String],
    host_flags: &[String],
) -> Vec<ExporterOption> {
    let mut merged: Vec<(String, ParamType, Vec<String>)> = Vec::new();
    let selected = exporters
        .iter()
        .filter(|e| only.is_empty() || only.contains(&e.manifest.name));
    for exporter in selected {
        for param in &exporter.manifest.params {
            if host_flags.contains(&param.name) {
                continue;
            }
            let said = format!(
                "{} (`{}`, default {})",
                param.description.trim_end_matches('.'),
                exporter.manifest.name,
                if param.default.is_empty() {
                    "none"
                } else {
                    &param.default
                }
            );
            match merged.iter_mut().find(|(name, ..)| *name == param.name) {
                Some((_, _, said_before)) => said_before.push(said),
                None => merged.push((param.name.clone(), param.ty, vec![said])),
            }
        }
    }
    merged
        .into_iter()
        .map(|(name, ty, said)| ExporterOption {
            name,
            value_name: value_name(ty),
            help: said.join("; "),
        })
        .collect()
}

/// How `--help` names an option's value.
fn value_name(ty: ParamType) -> &'static str {
    match ty {
        ParamType::Text => "TEXT",
        ParamType::Int64 => "INT",
        ParamType::Float64 => "NUMBER",
        ParamType::Date => "YYYY-MM-DD",
    }
}
