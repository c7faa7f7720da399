//! `propcast.toml` as typed data: every table and key the file may hold, with unknown keys
//! refused by serde (`deny_unknown_fields`) so a misspelt setting is an error that names it,
//! never a silently ignored line. [`super::settings`] layers these values under the flags.
//!
//! ```toml
//! time-zone = "America/New_York"   # of the jobs' schedules and of `--date today|yesterday`
//!
//! [limits]
//! memory = "512MiB"
//! [limits.exporters.player-profiles]
//! memory = "1GiB"
//!
//! [source]
//! kind = "bigquery"                # or "sqlite", with db = "warehouse.sqlite"
//!
//! [bigquery]                       # project, dataset, location, endpoint, max-bytes-billed,
//! dataset = "nba"                  # page-size
//!
//! [publish]                        # out, gzip, concurrency, [publish.cache-control]
//! out = "gs://site/api"            # or a folder
//! gzip = true
//!
//! [options.player-profiles]        # exporter options, for every run
//! min-games = 5
//!
//! [freshness]                     # what each exporter needs loaded for its date
//! results = ["final-scores"]       # also "lines", "predictions"
//!
//! [jobs.daily-results]
//! schedule = "0 5 * * *"           # five-field cron (Cloud Scheduler's), in `time-zone`
//! date = "yesterday"               # or "today": the date the job publishes
//! exporters = ["results", "predictions", "best-bets"]
//! options = { }                    # exporter options for this job's runs
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use super::freshness::Need;
use super::schedule::RelativeDay;
use super::settings::BigQueryFile;
use crate::publish::CacheControl;

/// The whole file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ConfigFile {
    pub(crate) time_zone: Option<String>,
    #[serde(default)]
    pub(crate) limits: LimitsFile,
    pub(crate) source: Option<SourceFile>,
    pub(crate) bigquery: Option<BigQueryFile>,
    pub(crate) publish: Option<PublishFile>,
    /// Exporter options by exporter name, then option name.
    #[serde(default)]
    pub(crate) options: BTreeMap<String, BTreeMap<String, Scalar>>,
    #[serde(default)]
    pub(crate) jobs: BTreeMap<String, JobFile>,
    /// What each exporter needs loaded for its date before it may publish.
    #[serde(default)]
    pub(crate) freshness: BTreeMap<String, Vec<Need>>,
}

/// `[limits]`: each limit for every exporter, and `[limits.exporters.<name>]` for one. (Not
/// `#[serde(flatten)]`ed from [`ExporterLimits`]: serde cannot refuse unknown keys through it.)
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct LimitsFile {
    pub(crate) fuel: Option<Scalar>,
    pub(crate) deadline: Option<Scalar>,
    pub(crate) memory: Option<Scalar>,
    pub(crate) table_elements: Option<Scalar>,
    pub(crate) output: Option<Scalar>,
    pub(crate) documents: Option<Scalar>,
    pub(crate) document_size: Option<Scalar>,
    pub(crate) log: Option<Scalar>,
    pub(crate) stack: Option<Scalar>,
    pub(crate) component_size: Option<Scalar>,
    pub(crate) query_time: Option<Scalar>,
    pub(crate) query_rows: Option<Scalar>,
    pub(crate) query_bytes: Option<Scalar>,
    pub(crate) query_total_time: Option<Scalar>,
    pub(crate) describe_fuel: Option<Scalar>,
    pub(crate) describe_deadline: Option<Scalar>,
    #[serde(default)]
    pub(crate) exporters: BTreeMap<String, ExporterLimits>,
}

/// `[limits.exporters.<name>]`: the limits that can be set for one exporter.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct ExporterLimits {
    pub(crate) fuel: Option<Scalar>,
    pub(crate) deadline: Option<Scalar>,
    pub(crate) memory: Option<Scalar>,
    pub(crate) table_elements: Option<Scalar>,
    pub(crate) output: Option<Scalar>,
    pub(crate) documents: Option<Scalar>,
    pub(crate) document_size: Option<Scalar>,
    pub(crate) log: Option<Scalar>,
}

impl LimitsFile {
    /// The limits set for every exporter, as `(--limit name, value)`.
    pub(crate) fn entries(&self) -> Vec<(&'static str, String)> {
        set([
            ("fuel", &self.fuel),
            ("deadline", &self.deadline),
            ("memory", &self.memory),
            ("table-elements", &self.table_elements),
            ("output", &self.output),
            ("documents", &self.documents),
            ("document-size", &self.document_size),
            ("log", &self.log),
            ("stack", &self.stack),
            ("component-size", &self.component_size),
            ("query-time", &self.query_time),
            ("query-rows", &self.query_rows),
            ("query-bytes", &self.query_bytes),
            ("query-total-time", &self.query_total_time),
            ("describe-fuel", &self.describe_fuel),
            ("describe-deadline", &self.describe_deadline),
        ])
    }
}

impl ExporterLimits {
    /// The limits set, as `(--limit name, value)`.
    pub(crate) fn entries(&self) -> Vec<(&'static str, String)> {
        set([
            ("fuel", &self.fuel),
            ("deadline", &self.deadline),
            ("memory", &self.memory),
            ("table-elements", &self.table_elements),
            ("output", &self.output),
            ("documents", &self.documents),
            ("document-size", &self.document_size),
            ("log", &self.log),
        ])
    }
}

fn set<const N: usize>(
    values: [(&'static str, &Option<Scalar>); N],
) -> Vec<(&'static str, String)> {
    values
        .into_iter()
        .filter_map(|(name, value)| value.as_ref().map(|v| (name, v.to_string())))
        .collect()
}

/// `[source]`: the warehouse runs read unless a flag says otherwise.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct SourceFile {
    pub(crate) kind: Option<Warehouse>,
    /// The SQLite file, relative to the config file's folder.
    pub(crate) db: Option<std::path::PathBuf>,
}

/// The kinds of warehouse.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Warehouse {
    Sqlite,
    Bigquery,
}

/// `[publish]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct PublishFile {
    /// Where documents go: a folder (relative to the config file's folder) or `gs://B/P`.
    pub(crate) out: Option<String>,
    pub(crate) gzip: Option<bool>,
    pub(crate) concurrency: Option<usize>,
    pub(crate) cache_control: Option<CacheControl>,
}

/// `[jobs.<name>]`: one scheduled job.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct JobFile {
    /// Five-field cron, in the file's time zone.
    pub(crate) schedule: String,
    pub(crate) date: RelativeDay,
    pub(crate) exporters: Vec<String>,
    #[serde(default)]
    pub(crate) options: BTreeMap<String, Scalar>,
    pub(crate) description: Option<String>,
}

/// A value written as text or a number (`memory = "1GiB"`, `fuel = 1000000`, `min-games = 5`).
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(untagged)]
pub(crate) enum Scalar {
    Text(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
}

impl std::fmt::Display for Scalar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Scalar::Text(v) => f.write_str(v),
            Scalar::Integer(v) => write!(f, "{v}"),
            Scalar::Float(v) => write!(f, "{v}"),
            Scalar::Boolean(v) => write!(f, "{v}"),
        }
    }
}

impl ConfigFile {
    pub(crate) fn parse(text: &str) -> Result<ConfigFile, toml::de::Error> {
        toml::from_str(text)
    }
}
