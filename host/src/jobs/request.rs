//! What a `propcast run` or `propcast backfill` asks for, as plain data. The command line builds
//! it (`cli`), and a scheduled job can build it the same way; nothing here knows clap.

use std::path::PathBuf;

use jiff::Timestamp;
use jiff::civil::Date;

pub(crate) use super::config::Warehouse;
use super::schedule::RelativeDay;

/// One run: its dates, the exporters, where data comes from and where documents go.
#[derive(Clone, Debug)]
pub(crate) struct RunRequest {
    pub(crate) dates: DateSelection,
    /// `--job`: a scheduled job of the config file, whose exporters and options the run takes
    /// (the request's own options after them).
    pub(crate) job: Option<String>,
    /// `--at`: when the run happens, for relative dates and jobs; now when not given.
    pub(crate) at: Option<Timestamp>,
    /// `--shard I/N` of a backfill: this task's share of the dates.
    pub(crate) shard: Option<Shard>,
    /// How many exporter runs may go on at once (threads); at least 1.
    pub(crate) jobs: usize,
    /// Exporters to run, by name; empty for all.
    pub(crate) only: Vec<String>,
    /// Exporter options, `(name, value)`; the last value of a name wins.
    pub(crate) params: Vec<(String, String)>,
    /// The plugin folder, when given.
    pub(crate) plugins: Option<PathBuf>,
    /// Where compiled exporters are kept.
    pub(crate) cache: CacheRequest,
    pub(crate) source: SourceRequest,
    /// `--out`: a folder or `gs://bucket/prefix`; from the config file, else `out`, when unset.
    pub(crate) out: Option<String>,
    /// Gzip objects for stores that keep headers (overrides `[publish] gzip` when set).
    pub(crate) gzip: bool,
    /// The run's timestamp: `--generated-at`, else set by `schedule::resolve_request` (the
    /// job's trigger, `--at`, or now) before the run is planned.
    pub(crate) generated_at: Option<Timestamp>,
    /// The config file, when given.
    pub(crate) config: Option<PathBuf>,
    /// `--limit` values, `(name, value)`.
    pub(crate) limits: Vec<(String, String)>,
    /// Check queries and estimate their cost only.
    pub(crate) dry_run: bool,
    /// A backfill publishes every date, also those earlier runs published completely.
    pub(crate) force: bool,
    /// Wait for another run publishing to the same folder instead of failing.
    pub(crate) wait_lock: bool,
    /// Publish even when the freshness guards find the warehouse not ready for the date.
    pub(crate) allow_empty: bool,
    /// How long to wait for the warehouse to be ready before giving up (exit code 3).
    pub(crate) wait_for_data: Option<std::time::Duration>,
    /// The long flags of `run` and `backfill` (`out`, `db`, …): an exporter option named like
    /// one cannot be given as that flag, and an unknown option is compared with them for a
    /// suggestion.
    pub(crate) host_flags: Vec<String>,
    /// What is printed on stdout when the run is done.
    pub(crate) report: ReportStyle,
    /// `--profile DIR`: a guest profile of each exporter run, as `DIR/<date>/<exporter>.json`
    /// (one exporter runs at a time then).
    pub(crate) profile: Option<PathBuf>,
}

/// How a run reports on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReportStyle {
    /// A table (a line per date for several) and a summary.
    Text,
    /// One JSON object.
    Json,
    /// Nothing: `-q`, where the exit code and the logged errors say enough.
    Quiet,
}

/// The dates a run publishes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DateSelection {
    /// `propcast run --date D`: one date, reported exporter by exporter.
    One(Date),
    /// `--date today` or `--date yesterday`: in the configured time zone, at the run's `at`.
    Relative(RelativeDay),
    /// `--job` without `--date`: the date the job publishes.
    OfJob,
    /// `propcast backfill --from D1 --to D2`: every date from `from` to `to`, both included, or
    /// only those with games in the warehouse's schedule; reported date by date.
    Range {
        from: Date,
        to: Date,
        game_days_only: bool,
    },
}

/// One task's share of a backfill's dates, as Cloud Run Jobs run tasks: task `index` (from 0)
/// of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Shard {
    pub(crate) index: usize,
    pub(crate) count: usize,
}

impl std::str::FromStr for Shard {
    type Err = String;

    /// `I/N`, with `I` from 0 to N-1.
    fn from_str(text: &str) -> Result<Shard, String> {
        let parsed = text
            .split_once('/')
            .and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((index, count)) if count > 0 && index < count => Ok(Shard { index, count }),
            _ => Err(format!(
                "`{text}` is not a shard: use I/N with I from 0 to N-1 (as CLOUD_RUN_TASK_INDEX \
                 and CLOUD_RUN_TASK_COUNT), e.g. 0/4"
            )),
        }
    }
}

/// Which warehouse to read, and the flags that shape it. What is unset comes from `[source]`
/// and `[bigquery]` in the config file, else the defaults (SQLite, `warehouse.sqlite`).
#[derive(Clone, Debug, Default)]
pub(crate) struct SourceRequest {
    pub(crate) kind: Option<Warehouse>,
    /// The SQLite file.
    pub(crate) db: Option<PathBuf>,
    pub(crate) bigquery: BigQueryRequest,
}

/// BigQuery settings given on the command line.
#[derive(Clone, Debug, Default)]
pub(crate) struct BigQueryRequest {
    pub(crate) project: Option<String>,
    pub(crate) dataset: Option<String>,
    pub(crate) location: Option<String>,
    pub(crate) endpoint: Option<String>,
    pub(crate) max_bytes_billed: Option<String>,
}

/// The compile cache a command uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CacheRequest {
    /// This folder, or the default one (`$XDG_CACHE_HOME/propcast`, `~/.cache/propcast`).
    Folder(Option<PathBuf>),
    /// None: compile every exporter.
    Off,
}

/// Which plugin folder a command loads, and the settings plugins load under.
#[derive(Clone, Debug)]
pub(crate) struct LoadRequest {
    /// The plugin folder, when given.
    pub(crate) plugins: Option<PathBuf>,
    pub(crate) cache: CacheRequest,
    /// The config file, when given.
    pub(crate) config: Option<PathBuf>,
    /// `--limit` values, `(name, value)`.
    pub(crate) limits: Vec<(String, String)>,
    /// The long flags of `run` and `backfill`: an exporter declaring an option named like one
    /// is refused, since its option could not be given as a flag.
    pub(crate) host_flags: Vec<String>,
}

/// `propcast test`: one exporter on its fixture cases.
#[derive(Clone, Debug)]
pub(crate) struct TestRequest {
    /// A name from the plugin folder, or the path of a `.wasm` file.
    pub(crate) exporter: String,
    /// The folder of fixture cases, when given.
    pub(crate) fixtures: Option<PathBuf>,
    /// Record what the exporter produces as the expected output instead of comparing.
    pub(crate) update: bool,
    /// Write a guest profile of each case's run into this folder, as `<case>.json`.
    pub(crate) profile: Option<PathBuf>,
    pub(crate) load: LoadRequest,
}
