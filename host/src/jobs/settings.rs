//! The host's settings, layered lowest first: built-in defaults, `propcast.toml` (read as typed
//! data by [`super::config`], unknown keys refused), then flags. Limits: `[limits]`, then
//! `[limits.exporters.<name>]`, then `--limit NAME=VALUE` flags (then
//! `--limit <exporter>.NAME=VALUE`). BigQuery: `[bigquery]`. Publishing: `[publish]`. Exporter
//! options: `[options.<name>]`. The time zone and the scheduled jobs: `time-zone`, `[jobs]`.
//!
//! ```toml
//! [limits]
//! fuel = "50G"          # instructions
//! deadline = "60s"
//! memory = "512MiB"
//! query-time = "30s"
//! query-total-time = "120s"  # one exporter's queries of one date together
//! describe-fuel = "1G"  # what loading a plugin may spend reading its manifest
//! describe-deadline = "10s"
//!
//! [limits.exporters.player-profiles]
//! memory = "1GiB"
//!
//! [bigquery]
//! project = "my-project"
//! dataset = "nba"
//! location = "US"
//! max-bytes-billed = "10GB"   # per query
//!
//! [publish]
//! gzip = true
//! concurrency = 16
//!
//! [publish.cache-control]
//! dated = "public, max-age=31536000, immutable"
//! current = "public, max-age=300"
//! alias = "public, max-age=60"
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};

use serde::Deserialize;

use super::config::{ConfigFile, SourceFile};
use super::freshness::Need;
use super::schedule::Schedule;
use crate::publish::{Destination, PublishSettings};
use crate::runtime::{DescribeBudget, EngineSettings, Limits};
use crate::source::QueryLimits;

/// Every limit key, for messages.
const KEYS: [&str; 16] = [
    "fuel",
    "deadline",
    "memory",
    "table-elements",
    "stack",
    "output",
    "documents",
    "document-size",
    "log",
    "query-time",
    "query-rows",
    "component-size",
    "query-bytes",
    "query-total-time",
    "describe-fuel",
    "describe-deadline",
];

/// The limits that bound every exporter together (the engine, the source, `describe`), which
/// cannot be set for one.
const SHARED_KEYS: [&str; 8] = [
    "stack",
    "query-time",
    "query-total-time",
    "query-rows",
    "query-bytes",
    "component-size",
    "describe-fuel",
    "describe-deadline",
];

/// Limits as configured.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// Limit values in the order they were given, each for every exporter (`None`) or one.
    entries: Vec<(Option<String>, String, String)>,
    /// Wasm stack per run, in bytes (engine-wide).
    pub(crate) stack: usize,
    /// The largest plugin file that is compiled, in bytes (engine-wide).
    pub(crate) component_size: usize,
    /// Instructions and time a `describe` call may use at most.
    pub(crate) describe: DescribeBudget,
    /// Query limits (source-wide).
    pub(crate) query: QueryLimits,
    /// `[source]` as the file gives it, its `db` relative to the file's folder resolved.
    pub(crate) source: SourceFile,
    /// `[bigquery]` as the file gives it; flags override each field.
    pub(crate) bigquery: BigQueryFile,
    /// `out` under `[publish]`, a relative folder resolved against the file's folder.
    pub(crate) out: Option<String>,
    /// How documents are published.
    pub(crate) publish: PublishSettings,
    /// `[options.<exporter>]`: `(exporter, option, value)`, for every run.
    pub(crate) options: Vec<(String, String, String)>,
    /// The time zone and `[jobs]`.
    pub(crate) schedule: Schedule,
    /// `[freshness]`: what each exporter needs loaded for its date.
    pub(crate) freshness: BTreeMap<String, Vec<Need>>,
    /// Where the settings came from, for `--verbose`.
    pub(crate) origin: Vec<String>,
}

/// `[bigquery]` in `propcast.toml`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub(crate) struct BigQueryFile {
    pub(crate) project: Option<String>,
    pub(crate) dataset: Option<String>,
    pub(crate) location: Option<String>,
    /// Another REST endpoint (a private one), used with the usual credentials.
    pub(crate) endpoint: Option<String>,
    /// The most a query may bill, e.g. `10GB`.
    pub(crate) max_bytes_billed: Option<String>,
    /// Rows per page of results.
    pub(crate) page_size: Option<u32>,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            entries: Vec::new(),
            stack: 1 << 20,
            component_size: EngineSettings::default().max_component_bytes,
            describe: DescribeBudget::default(),
            query: QueryLimits::default(),
            source: SourceFile::default(),
            bigquery: BigQueryFile::default(),
            out: None,
            publish: PublishSettings::default(),
            options: Vec::new(),
            schedule: Schedule::default(),
            freshness: BTreeMap::new(),
            origin: vec!["built-in defaults".into()],
        }
    }
}

impl Settings {
    /// Loads `config` (or `propcast.toml` in the current folder, if present) and applies the
    /// `--limit` flags.
    pub(crate) fn load(
        config: Option<&Path>,
        flags: &[(String, String)],
    ) -> anyhow::Result<Settings> {
        let mut settings = Settings::default();
        let path: Option<PathBuf> = match config {
            Some(path) => {
                if !path.is_file() {
                    bail!("the config file `{}` does not exist", path.display());
                }
                Some(path.to_path_buf())
            }
            None => Some(PathBuf::from("propcast.toml")).filter(|p| p.is_file()),
        };
        if let Some(path) = path {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("failed to read `{}`", path.display()))?;
            let folder = path.parent().unwrap_or(Path::new(""));
            settings
                .apply_toml(&text, folder)
                .with_context(|| format!("`{}` is invalid", path.display()))?;
            settings.origin.push(format!("`{}`", path.display()));
        }
        let (global, scoped): (Vec<_>, Vec<_>) =
            flags.iter().partition(|(key, _)| !key.contains('.'));
        for (key, value) in global.into_iter().chain(scoped) {
            match key.split_once('.') {
                Some((exporter, key)) => settings.set_for(exporter, key, value),
                None => settings.set(key, value),
            }
            .with_context(|| format!("--limit {key}={value}"))?;
        }
        if !flags.is_empty() {
            settings.origin.push("--limit flags".into());
        }
        Ok(settings)
    }

    /// Applies the config file `text`, whose relative paths are relative to `folder`.
    fn apply_toml(&mut self, text: &str, folder: &Path) -> anyhow::Result<()> {
        let file = ConfigFile::parse(text)?;
        if let Some(source) = file.source {
            self.source = SourceFile {
                db: source.db.map(|db| folder.join(db)),
                ..source
            };
        }
        for (key, value) in file.limits.entries() {
            self.set(key, &value)
                .with_context(|| format!("limits.{key}"))?;
        }
        for (exporter, limits) in &file.limits.exporters {
            for (key, value) in limits.entries() {
                self.set_for(exporter, key, &value)
                    .with_context(|| format!("limits.exporters.{exporter}.{key}"))?;
            }
        }
        if let Some(bigquery) = file.bigquery {
            self.bigquery = bigquery;
        }
        if let Some(publish) = file.publish {
            if publish.concurrency == Some(0) {
                bail!("[publish]: `concurrency` must be at least 1");
            }
            self.out = publish.out.map(|out| match Destination::parse(&out) {
                Ok(Destination::Folder(path)) => folder.join(path).display().to_string(),
                _ => out,
            });
            self.publish = PublishSettings {
                gzip: publish.gzip.unwrap_or(self.publish.gzip),
                concurrency: publish.concurrency.unwrap_or(self.publish.concurrency),
                cache_control: publish
                    .cache_control
                    .unwrap_or_else(|| self.publish.cache_control.clone()),
            };
        }
        self.options = file
            .options
            .iter()
            .flat_map(|(exporter, options)| {
                options
                    .iter()
                    .map(move |(name, value)| (exporter.clone(), name.clone(), value.to_string()))
            })
            .collect();
        self.schedule = Schedule::from_file(file.time_zone.as_deref(), &file.jobs)?;
        self.freshness = file.freshness;
        Ok(())
    }

    /// Sets a limit for every exporter.
    fn set(&mut self, key: &str, value: &str) -> anyhow::Result<()> {
        match key {
            "stack" => self.stack = parse_bytes(value)?,
            "component-size" => self.component_size = parse_bytes(value)?,
            "query-time" => self.query.time = parse_duration(value)?,
            "query-total-time" => self.query.total_time = Some(parse_duration(value)?),
            "query-rows" => self.query.rows = parse_count(value)? as usize,
            "query-bytes" => self.query.bytes = parse_bytes(value)?,
            "describe-fuel" => self.describe.fuel = parse_count(value)?,
            "describe-deadline" => self.describe.deadline = parse_duration(value)?,
            _ => {
                set_limit(&mut Limits::default(), key, value)?;
                self.entries
                    .push((None, key.to_string(), value.to_string()));
            }
        }
        Ok(())
    }

    /// Sets a limit for one exporter.
    fn set_for(&mut self, exporter: &str, key: &str, value: &str) -> anyhow::Result<()> {
        // Check it now, so a mistake is reported where it was made.
        set_limit(&mut Limits::default(), key, value).map_err(|e| {
            if SHARED_KEYS.contains(&key) {
                anyhow!("`{key}` applies to every exporter and cannot be set for one")
            } else {
                e
            }
        })?;
        self.entries.push((
            Some(exporter.to_string()),
            key.to_string(),
            value.to_string(),
        ));
        Ok(())
    }

    /// The limits of one exporter's runs: the defaults, then every entry for all exporters or
    /// for this one, in the order given.
    pub(crate) fn limits_for(&self, exporter: &str) -> Limits {
        self.limits_where(|scope| scope.is_none_or(|name| name == exporter))
    }

    /// What `describe` runs under (within its own budget), before its exporter's name is
    /// known: the limits set for every exporter, with the most memory and table elements any
    /// one exporter is given, so an exporter allowed more is not refused as it loads.
    pub(crate) fn limits_for_describe(&self) -> Limits {
        let mut limits = self.limits_where(|scope| scope.is_none());
        for (scope, _, _) in &self.entries {
            if let Some(exporter) = scope {
                let theirs = self.limits_for(exporter);
                limits.memory = limits.memory.max(theirs.memory);
                limits.table_elements = limits.table_elements.max(theirs.table_elements);
            }
        }
        limits
    }

    /// The defaults, then every entry whose scope `applies`, in the order given.
    fn limits_where(&self, applies: impl Fn(Option<&str>) -> bool) -> Limits {
        let mut limits = Limits::default();
        for (scope, key, value) in &self.entries {
            if applies(scope.as_deref()) {
                set_limit(&mut limits, key, value).expect("entries were checked when set");
            }
        }
        limits
    }

    /// `[options.<exporter>]` of the config file, as `(option, value)`.
    pub(crate) fn options_for(&self, exporter: &str) -> Vec<(String, String)> {
        self.options
            .iter()
            .filter(|(owner, _, _)| owner == exporter)
            .map(|(_, option, value)| (option.clone(), value.clone()))
            .collect()
    }

    /// What the exporters `names` need loaded for their date, together.
    pub(crate) fn needs_of<'a>(&self, names: impl IntoIterator<Item = &'a str>) -> Vec<Need> {
        let mut needs: Vec<Need> = names
            .into_iter()
            .filter_map(|name| self.freshness.get(name))
            .flatten()
            .copied()
            .collect();
        needs.sort_by_key(|n| *n as u8);
        needs.dedup();
        needs
    }

    /// The exporters the settings name, each with where (`limits are set`, `[freshness]`
    /// names it, …), to check they exist.
    pub(crate) fn exporters_named(&self) -> BTreeSet<(&str, &'static str)> {
        let limits = self
            .entries
            .iter()
            .filter_map(|(scope, _, _)| scope.as_deref())
            .map(|name| (name, "limits are set for"));
        let options = self
            .options
            .iter()
            .map(|(name, _, _)| (name.as_str(), "`[options]` of the config file names"));
        let freshness = self
            .freshness
            .keys()
            .map(|name| (name.as_str(), "`[freshness]` of the config file names"));
        limits.chain(options).chain(freshness).collect()
    }
}

fn set_limit(limits: &mut Limits, key: &str, value: &str) -> anyhow::Result<()> {
    match key {
        "fuel" => limits.fuel = parse_count(value)?,
        "deadline" => limits.deadline = parse_duration(value)?,
        "memory" => limits.memory = parse_bytes(value)?,
        "table-elements" => limits.table_elements = parse_count(value)? as usize,
        "output" => limits.output = parse_bytes(value)?,
        "documents" => limits.documents = parse_count(value)? as usize,
        "document-size" => limits.document_size = parse_bytes(value)?,
        "log" => limits.log = parse_bytes(value)?,
        _ => bail!("unknown limit `{key}` (known: {})", KEYS.join(", ")),
    }
    Ok(())
}

/// A count: `5000`, `50_000`, `50k`, `20M`, `50G` (powers of 1000).
fn parse_count(text: &str) -> anyhow::Result<u64> {
    let clean = text.trim().replace('_', "");
    let (digits, factor) = match clean.chars().last() {
        Some('k' | 'K') => (&clean[..clean.len() - 1], 1_000),
        Some('M') => (&clean[..clean.len() - 1], 1_000_000),
        Some('G') => (&clean[..clean.len() - 1], 1_000_000_000),
        _ => (clean.as_str(), 1),
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(factor))
        .ok_or_else(|| anyhow!("`{text}` is not a count like 5000, 50k, 20M or 50G"))
}

/// A number and its unit, as `1.5GiB`, `512 MB` or `250ms` are written; `None` without a
/// unit.
fn number_and_unit(text: &str) -> Option<(f64, &str)> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.replace('_', "").parse().ok()?;
    (number.is_finite() && number >= 0.0).then_some((number, unit.trim()))
}

/// Bytes, always with a unit: `512KiB`, `64MiB`, `1.5GiB`, `10MB`, `900B`.
pub(crate) fn parse_bytes(text: &str) -> anyhow::Result<usize> {
    let wrong = || {
        anyhow!(
            "`{text}` is not a size: write a number and a unit, like 900B, 512KiB, 64MiB, \
             1.5GiB or 10MB"
        )
    };
    let (number, unit) = number_and_unit(text).ok_or_else(wrong)?;
    let factor: f64 = match unit {
        "B" => 1.0,
        "KiB" => 1024.0,
        "MiB" => 1024.0 * 1024.0,
        "GiB" => 1024.0 * 1024.0 * 1024.0,
        "KB" | "kB" => 1e3,
        "MB" => 1e6,
        "GB" => 1e9,
        _ => return Err(wrong()),
    };
    let bytes = (number * factor).round();
    if bytes >= usize::MAX as f64 {
        return Err(wrong());
    }
    Ok(bytes as usize)
}

/// A duration, always with a unit: `250ms`, `60s`, `1.5s`, `2m`, `1h`.
pub(crate) fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let wrong = || {
        anyhow!("`{text}` is not a duration: write a number and a unit, like 250ms, 60s, 2m or 1h")
    };
    let (number, unit) = number_and_unit(text).ok_or_else(wrong)?;
    let nanos_per_unit = match unit {
        "ms" => 1e6,
        "s" => 1e9,
        "m" | "min" => 60e9,
        "h" => 3600e9,
        _ => return Err(wrong()),
    };
    let nanos = (number * nanos_per_unit).round();
    if nanos >= u64::MAX as f64 {
        return Err(wrong());
    }
    Ok(Duration::from_nanos(nanos as u64))
}

#[cfg(test)]
impl Settings {
    /// [`Settings::apply_toml`] of a file in the current folder.
    fn apply_toml_here(&mut self, text: &str) -> anyhow::Result<()> {
        self.apply_toml(text, Path::new(""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_with_their_units() {
        assert_eq!(parse_count("50G").unwrap(), 50_000_000_000);
        assert_eq!(parse_count("20_000").unwrap(), 20_000);
        assert_eq!(parse_bytes("512MiB").unwrap(), 512 << 20);
        assert_eq!(parse_bytes("10 MB").unwrap(), 10_000_000);
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_bytes("1.5GiB").unwrap(), 3 << 29);
        assert_eq!(parse_duration("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_duration("1.5s").unwrap(), Duration::from_millis(1500));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(
            parse_bytes("lots").unwrap_err().to_string(),
            "`lots` is not a size: write a number and a unit, like 900B, 512KiB, 64MiB, 1.5GiB or 10MB"
        );
        // A bare number could mean anything: it is refused with the forms that are accepted.
        assert!(
            parse_bytes("5")
                .unwrap_err()
                .to_string()
                .starts_with("`5` is not a size")
        );
        assert_eq!(
            parse_duration("10").unwrap_err().to_string(),
            "`10` is not a duration: write a number and a unit, like 250ms, 60s, 2m or 1h"
        );
    }

    #[test]
    fn layers_apply_lowest_first() {
        let mut settings = Settings::default();
        settings
            .apply_toml_here(
                r#"
                [limits]
                memory = "256MiB"
                fuel = 1000000
                [limits.exporters.big]
                memory = "1GiB"
                fuel = "2M"
                "#,
            )
            .unwrap();
        assert_eq!(settings.limits_for("small").memory, 256 << 20);
        assert_eq!(settings.limits_for("big").memory, 1 << 30);
        assert_eq!(settings.limits_for("big").fuel, 2_000_000);
        // A later layer (a flag for everyone) beats the file's per-exporter value.
        settings.set("fuel", "5M").unwrap();
        assert_eq!(settings.limits_for("big").fuel, 5_000_000);
        settings.set_for("big", "fuel", "7M").unwrap();
        assert_eq!(settings.limits_for("big").fuel, 7_000_000);
        assert_eq!(settings.limits_for("small").fuel, 5_000_000);
    }

    #[test]
    fn unknown_keys_are_named() {
        let err = Settings::default()
            .apply_toml_here("[limits]\ncolour = 3")
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown field `colour`, expected one of `fuel`"),
            "{err:#}"
        );
        let err = Settings::default()
            .apply_toml_here("verbose = true")
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown field `verbose`, expected one of `time-zone`"),
            "{err:#}"
        );
        let err = Settings::default()
            .apply_toml_here("[bigquery]\nprojet = \"p\"")
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown field `projet`"),
            "{err:#}"
        );
        let err = Settings::default()
            .apply_toml_here("[limits.exporters.x]\nstack = \"1MiB\"")
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown field `stack`"),
            "{err:#}"
        );
        let err = Settings::default()
            .set_for("x", "stack", "1MiB")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`stack` applies to every exporter and cannot be set for one"
        );
    }
}

#[cfg(test)]
mod file_tests {
    use super::*;

    #[test]
    fn bigquery_and_publishing_come_from_the_file() {
        let mut settings = Settings::default();
        settings
            .apply_toml_here(
                r#"
                [bigquery]
                project = "p"
                dataset = "nba"
                max-bytes-billed = "1GB"
                [publish]
                gzip = true
                [publish.cache-control]
                alias = "public, max-age=30"
                "#,
            )
            .unwrap();
        assert_eq!(settings.bigquery.project.as_deref(), Some("p"));
        assert_eq!(settings.bigquery.max_bytes_billed.as_deref(), Some("1GB"));
        assert!(settings.publish.gzip);
        assert_eq!(settings.publish.concurrency, 16);
        assert_eq!(settings.publish.cache_control.alias, "public, max-age=30");
        assert_eq!(
            settings.publish.cache_control.dated, "public, max-age=31536000, immutable",
            "unset kinds keep their defaults"
        );
    }

    #[test]
    fn the_source_and_the_destination_come_from_the_file_relative_to_it() {
        let mut settings = Settings::default();
        let text = "[source]\nkind = \"sqlite\"\ndb = \"data/w.sqlite\"\n[publish]\nout = \"site\"";
        settings
            .apply_toml(text, Path::new("/etc/propcast"))
            .unwrap();
        assert_eq!(settings.source.kind, Some(super::super::Warehouse::Sqlite));
        assert_eq!(
            settings.source.db.as_deref(),
            Some(Path::new("/etc/propcast/data/w.sqlite"))
        );
        assert_eq!(settings.out.as_deref(), Some("/etc/propcast/site"));
        settings
            .apply_toml("[publish]\nout = \"gs://b/api\"", Path::new("/etc"))
            .unwrap();
        assert_eq!(
            settings.out.as_deref(),
            Some("gs://b/api"),
            "a bucket is kept as written"
        );
        let err = Settings::default()
            .apply_toml_here("[source]\nkind = \"postgres\"")
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("unknown variant `postgres`"),
            "{err:#}"
        );
    }

    #[test]
    fn describe_runs_under_the_global_limits_with_the_most_memory_any_exporter_gets() {
        let mut settings = Settings::default();
        settings
            .apply_toml_here(
                "[limits]\nmemory = \"64MiB\"\nfuel = \"5G\"\ndescribe-fuel = \"2G\"\n\
                 [limits.exporters.big]\nmemory = \"1GiB\"\nfuel = \"100G\"",
            )
            .unwrap();
        let limits = settings.limits_for_describe();
        assert_eq!(limits.memory, 1 << 30);
        assert_eq!(limits.fuel, 5_000_000_000, "fuel is the global limit's");
        let capped = settings.describe.apply(&limits);
        assert_eq!(capped.fuel, 2_000_000_000);
        assert_eq!(capped.deadline, std::time::Duration::from_secs(10));
    }
}
