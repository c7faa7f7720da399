//! The checked plan of a `propcast run` or `backfill`: which exporters run, with which
//! parameters, on each date. Everything the user could have got wrong on the command line is
//! caught here, before anything runs.

use anyhow::{Context as _, bail};
use jiff::Timestamp;
use jiff::civil::Date;

use super::dates;
use super::request::RunRequest;
use super::settings::Settings;
use crate::data::sql::param_sql_name;
use crate::data::{ParamValue, QueryParam};
use crate::runtime::{Exporter, LoadError};

/// What every date of a run shares: the exporters selected, their options (checked against
/// the manifests) and the run's timestamp.
pub(crate) struct Selection<'a> {
    pub(crate) exporters: Vec<&'a Exporter>,
    /// Each selected exporter's option values, in the same order.
    options: Vec<Vec<(String, ParamValue)>>,
    pub(crate) generated_at: Timestamp,
}

/// One date of the run: its timestamp and id, and each selected exporter's part.
pub(crate) struct RunPlan<'a> {
    pub(crate) date: Date,
    pub(crate) generated_at: Timestamp,
    /// `<date>@<generated-at>`: what exporters see, and what seeds their random numbers.
    pub(crate) run_id: String,
    pub(crate) exporters: Vec<ExporterPlan<'a>>,
}

/// One exporter's part of a date.
pub(crate) struct ExporterPlan<'a> {
    pub(crate) exporter: &'a Exporter,
    pub(crate) date: Date,
    pub(crate) generated_at: Timestamp,
    pub(crate) run_id: String,
    /// Values for `@name` parameters in its queries: built-ins and its options.
    pub(crate) query_params: Vec<QueryParam>,
    /// The same values as text by kebab-case name, for the exporter's context.
    pub(crate) context_params: Vec<(String, String)>,
}

/// Checks what `args` selects and the options it sets against the loaded exporters, once for
/// every date of the run. `[options.<exporter>]` of the config file (`settings`) come first for
/// their exporter; the request's options win.
pub(crate) fn select<'a>(
    args: &RunRequest,
    settings: &Settings,
    exporters: &'a [Exporter],
    load_errors: &[LoadError],
) -> anyhow::Result<Selection<'a>> {
    let selected = select_exporters(&args.only, exporters, load_errors)?;
    for (name, _) in &args.params {
        if !selected
            .iter()
            .any(|e| e.manifest.params.iter().any(|p| &p.name == name))
        {
            let declared: Vec<String> = selected
                .iter()
                .flat_map(|e| {
                    e.manifest
                        .params
                        .iter()
                        .map(move |p| format!("{} ({})", p.name, e.manifest.name))
                })
                .collect();
            let suggestion = flag_meant(name, &args.host_flags, exporters)
                .map(|flag| format!("\n\nDid you mean the flag `--{flag}`?"))
                .unwrap_or_default();
            bail!(
                "no selected exporter has an option `{name}` (options: {}){suggestion}",
                if declared.is_empty() {
                    "none".to_string()
                } else {
                    declared.join(", ")
                }
            );
        }
    }
    let options = selected
        .iter()
        .map(|exporter| {
            let given = options_given(exporter, settings, &args.params)?;
            option_values(exporter, &given)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let generated_at = (args.generated_at).expect("schedule::resolve_request sets the timestamp");
    Ok(Selection {
        exporters: selected,
        options,
        generated_at,
    })
}

/// The host flag an unknown option `name` was likely meant to be: one a typo away (one edit
/// for a name of up to 4 characters, two for a longer one), unless a loaded exporter that is
/// not selected declares `name`.
fn flag_meant<'f>(name: &str, flags: &'f [String], exporters: &[Exporter]) -> Option<&'f str> {
    if exporters
        .iter()
        .any(|e| e.manifest.params.iter().any(|p| p.name == name))
    {
        return None;
    }
    let most = if name.chars().count() <= 4 { 1 } else { 2 };
    flags
        .iter()
        .map(|flag| (edit_distance(flag, name), flag))
        .filter(|(distance, _)| *distance <= most && *distance < name.chars().count())
        .min()
        .map(|(_, flag)| flag.as_str())
}

/// How many single-character edits turn `a` into `b` (Levenshtein), for suggestions.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substituted.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// The options a run gives `exporter`: `[options.<name>]` of the config file (each checked
/// against its manifest), then `params`, whose last value of a name wins.
pub(crate) fn options_given(
    exporter: &Exporter,
    settings: &Settings,
    params: &[(String, String)],
) -> anyhow::Result<Vec<(String, String)>> {
    let name = &exporter.manifest.name;
    let from_file = settings.options_for(name);
    for (option, _) in &from_file {
        if !exporter.manifest.params.iter().any(|p| &p.name == option) {
            bail!(
                "`[options.{name}]` in the config file sets `{option}`, which exporter `{name}` \
                 does not declare (its options: {})",
                option_names(exporter)
            );
        }
    }
    Ok(from_file
        .into_iter()
        .chain(params.iter().cloned())
        .collect())
}

impl<'a> Selection<'a> {
    /// The plan of one date.
    pub(crate) fn for_date(&self, date: Date) -> RunPlan<'a> {
        let run_id = format!("{date}@{}", self.generated_at);
        let plans = self
            .exporters
            .iter()
            .zip(&self.options)
            .map(|(&exporter, options)| {
                let BoundParams {
                    query: query_params,
                    context: context_params,
                } = bind(date, options);
                ExporterPlan {
                    exporter,
                    date,
                    generated_at: self.generated_at,
                    run_id: run_id.clone(),
                    query_params,
                    context_params,
                }
            })
            .collect();
        RunPlan {
            date,
            generated_at: self.generated_at,
            run_id,
            exporters: plans,
        }
    }
}

/// The parameters of one exporter's run, in the two forms they are used.
pub(crate) struct BoundParams {
    /// For `@name` in its queries.
    pub(crate) query: Vec<QueryParam>,
    /// As text by kebab-case name, for its context.
    pub(crate) context: Vec<(String, String)>,
}

/// The values of the built-in parameters and of every option of `exporter` (the last value
/// `given` for it, else its default), for binding into queries and for the exporter's context.
pub(crate) fn exporter_params(
    exporter: &Exporter,
    date: Date,
    given: &[(String, String)],
) -> anyhow::Result<BoundParams> {
    Ok(bind(date, &option_values(exporter, given)?))
}

/// The names of `exporter`'s options, for messages.
fn option_names(exporter: &Exporter) -> String {
    let names: Vec<&str> = exporter
        .manifest
        .params
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    if names.is_empty() {
        "none".to_string()
    } else {
        names.join(", ")
    }
}

/// The value of every option of `exporter`: the last value `given` for it, else its default.
fn option_values(
    exporter: &Exporter,
    given: &[(String, String)],
) -> anyhow::Result<Vec<(String, ParamValue)>> {
    exporter
        .manifest
        .params
        .iter()
        .map(|param| {
            let given = given.iter().rev().find(|(name, _)| *name == param.name);
            let text = given.map_or(param.default.as_str(), |(_, value)| value.as_str());
            let value = param.ty.parse_value(text).with_context(|| {
                format!(
                    "option `{}` of exporter `{}`",
                    param.name, exporter.manifest.name
                )
            })?;
            Ok((param.name.clone(), value))
        })
        .collect()
}

/// The built-in parameters of `date` followed by `options`, in both forms.
fn bind(date: Date, options: &[(String, ParamValue)]) -> BoundParams {
    let builtins = [
        ("date".to_string(), ParamValue::Date(date)),
        ("season".into(), ParamValue::Text(dates::season_label(date))),
        (
            "season-start".into(),
            ParamValue::Date(dates::season_start(date)),
        ),
    ];
    let values: Vec<&(String, ParamValue)> = builtins.iter().chain(options).collect();
    BoundParams {
        query: values
            .iter()
            .map(|(name, value)| QueryParam {
                name: param_sql_name(name),
                value: value.clone(),
            })
            .collect(),
        context: values
            .iter()
            .map(|(name, value)| (name.clone(), value.to_string()))
            .collect(),
    }
}

/// The exporters `--only` names, in the order given, or all of them.
fn select_exporters<'a>(
    only: &[String],
    exporters: &'a [Exporter],
    load_errors: &[LoadError],
) -> anyhow::Result<Vec<&'a Exporter>> {
    if only.is_empty() {
        return Ok(exporters.iter().collect());
    }
    let mut selected: Vec<&Exporter> = Vec::new();
    for name in only {
        match exporters.iter().find(|e| &e.manifest.name == name) {
            Some(e) if !selected.iter().any(|s| s.manifest.name == *name) => selected.push(e),
            Some(_) => {}
            None => {
                let available: Vec<&str> =
                    exporters.iter().map(|e| e.manifest.name.as_str()).collect();
                let mut message = format!(
                    "unknown exporter `{name}` (available: {})",
                    if available.is_empty() {
                        "none".to_string()
                    } else {
                        available.join(", ")
                    }
                );
                if !load_errors.is_empty() {
                    message.push_str(&format!(
                        "\n\n{} plugin file(s) failed to load; `propcast plugins` shows why",
                        load_errors.len()
                    ));
                }
                bail!(message);
            }
        }
    }
    Ok(selected)
}
