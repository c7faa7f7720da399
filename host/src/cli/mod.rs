//! The command line: what users can ask for, parsed into plain data. No I/O happens here; each
//! `///` comment is the help text users see.

mod exporter_flags;

pub(crate) use exporter_flags::parse;

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand};
use jiff::civil::Date;

use crate::data::parse_date;
use crate::jobs::parse_bless;
use crate::jobs::{
    BenchInput, BenchRequest, BigQueryRequest, CacheRequest, CaptureRequest, DateSelection,
    LoadRequest, NewRequest, RelativeDay, ReportStyle, RunRequest, Shard, SourceRequest,
    TestRequest, Warehouse,
};
use crate::logging::LogFormat;

/// Publish the NBA player-props JSON API by running sandboxed WebAssembly exporters.
///
/// Each exporter is a `.wasm` component in the plugin folder. For a date, propcast runs the
/// queries each exporter declares against the warehouse, hands it the results, checks the JSON
/// documents it returns and publishes them.
#[derive(Debug, Parser)]
#[command(name = "propcast", version, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,

    #[command(flatten)]
    pub(crate) log: LogArgs,
}

/// What is logged on stderr, and how.
#[derive(Debug, Args)]
pub(crate) struct LogArgs {
    /// Log more: `-v` the settings and what each exporter and date did, `-vv` each query and
    /// compile too (PROPCAST_LOG, e.g. `debug` or `propcast=trace`, overrides)
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub(crate) verbose: u8,

    /// Log errors only, and print no report unless `--report json` asks for one
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,

    /// How logs are written: lines for people, or one JSON object per line with the
    /// `severity` field Cloud Logging reads
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        global = true,
        env = "PROPCAST_LOG_FORMAT",
        default_value = "text"
    )]
    pub(crate) log_format: LogFormatArg,
}

/// `--log-format`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum LogFormatArg {
    Text,
    Json,
}

impl LogArgs {
    /// `-q` as -1, each `-v` as +1.
    pub(crate) fn verbosity(&self) -> i8 {
        if self.quiet {
            -1
        } else {
            self.verbose.min(3) as i8
        }
    }

    pub(crate) fn format(&self) -> LogFormat {
        match self.log_format {
            LogFormatArg::Text => LogFormat::Text,
            LogFormatArg::Json => LogFormat::Json,
        }
    }
}

/// `--report`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ReportArg {
    /// A table (a line per date for a backfill) and a summary
    Text,
    /// One JSON object: each date and exporter with status, documents, bytes, timings,
    /// instructions, memory and error
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Run exporters for a date and publish their documents.
    Run(RunArgs),
    /// Publish every date of a range (whole seasons) in one process: exporters loaded once,
    /// several running at once, each exporter's dates published in order.
    Backfill(BackfillArgs),
    /// List the scheduled jobs of the config file with their next run times.
    Jobs(JobsArgs),
    /// List the exporters in the plugin folder with their manifests.
    Plugins(PluginsArgs),
    /// Write a sample warehouse (SQLite) with realistic, deterministic NBA data.
    SampleData(SampleDataArgs),
    /// Run one exporter on fixture tables, in isolation, and compare with the expected documents.
    Test(TestArgs),
    /// Save what one exporter's queries return for a date as a fixture case, with the documents
    /// the exporter produces from it as the expected output, to replay with `propcast test`.
    Capture(CaptureArgs),
    /// Show what plugin files are, whether or not this host can run them: manifest, queries
    /// with their SQL, options, outputs, contract version, size, imports and exports.
    Describe(DescribeArgs),
    /// Create a new exporter crate on propcast-sdk, added to the Cargo workspace: a manifest with
    /// one query and one option, a working run, a native test and a fixture case.
    New(NewArgs),
    /// Measure what fuel metering and epoch deadlines cost on one exporter (a benchmark).
    Bench(BenchArgs),
    /// Compile every exporter in the plugin folder into the compile cache, so later commands
    /// start at once (e.g. when building a container image).
    Precompile(PluginsArgs),
}

/// Where exporters are found.
#[derive(Debug, Args)]
pub(crate) struct PluginArgs {
    /// Folder of exporter `.wasm` files [default: the `plugins` folder beside the propcast
    /// binary or its parent, which `cargo xtask plugins` fills]
    #[arg(long, value_name = "DIR", env = "PROPCAST_PLUGINS")]
    pub(crate) plugins: Option<PathBuf>,

    /// Folder of compiled exporters, shared by every command and safe to delete
    /// [default: $XDG_CACHE_HOME/propcast, else ~/.cache/propcast]
    #[arg(long, value_name = "DIR", env = "PROPCAST_CACHE_DIR")]
    pub(crate) cache_dir: Option<PathBuf>,

    /// Compile every exporter afresh and leave the compile cache alone
    #[arg(long)]
    pub(crate) no_cache: bool,
}

impl PluginArgs {
    /// The compile cache these arguments ask for.
    pub(crate) fn cache(&self) -> CacheRequest {
        if self.no_cache {
            CacheRequest::Off
        } else {
            CacheRequest::Folder(self.cache_dir.clone())
        }
    }
}

/// Where the data comes from.
#[derive(Debug, Args)]
pub(crate) struct WarehouseArgs {
    /// The SQLite warehouse to read [default: `db` under [source] in propcast.toml, else
    /// warehouse.sqlite]
    #[arg(long, value_name = "FILE", env = "PROPCAST_DB")]
    pub(crate) db: Option<PathBuf>,
}

/// Which warehouse `run` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum SourceKind {
    /// The SQLite file `--db` names
    Sqlite,
    /// A BigQuery dataset (`--project`, `--dataset`)
    Bigquery,
}

/// Where `run` reads from, when it is BigQuery.
#[derive(Debug, Args)]
pub(crate) struct BigQueryArgs {
    /// The warehouse to read. BigQuery uses Application Default Credentials
    /// (GOOGLE_APPLICATION_CREDENTIALS, gcloud, or the Cloud Run service account) [default:
    /// `kind` under [source] in propcast.toml, else sqlite]
    #[arg(long, value_enum, env = "PROPCAST_SOURCE")]
    pub(crate) source: Option<SourceKind>,

    /// The Google Cloud project that runs the queries and holds the dataset [default: `project`
    /// under [bigquery] in propcast.toml, else GOOGLE_CLOUD_PROJECT]
    #[arg(long, value_name = "PROJECT", env = "PROPCAST_PROJECT")]
    pub(crate) project: Option<String>,

    /// The BigQuery dataset whose tables the queries read (unqualified names resolve in it)
    #[arg(long, value_name = "DATASET", env = "PROPCAST_DATASET")]
    pub(crate) dataset: Option<String>,

    /// Where the queries run, e.g. `US` or `europe-west1` [default: BigQuery's choice]
    #[arg(long, value_name = "LOCATION")]
    pub(crate) location: Option<String>,

    /// Another BigQuery REST endpoint, e.g. a private one, used with the usual credentials (for
    /// an emulator, set BIGQUERY_EMULATOR_HOST=HOST:PORT instead: no credentials)
    /// [default: https://bigquery.googleapis.com]
    #[arg(long, value_name = "URL", env = "PROPCAST_BIGQUERY_ENDPOINT")]
    pub(crate) bigquery_endpoint: Option<String>,

    /// The most one query may bill, e.g. `10GB`; a query estimated above it is not run
    /// [default: 10GB]
    #[arg(long, value_name = "SIZE")]
    pub(crate) max_bytes_billed: Option<String>,
}

impl BigQueryArgs {
    /// The warehouse these flags and `warehouse` name.
    fn source_request(self, warehouse: WarehouseArgs) -> SourceRequest {
        SourceRequest {
            kind: self.source.map(|kind| match kind {
                SourceKind::Sqlite => Warehouse::Sqlite,
                SourceKind::Bigquery => Warehouse::Bigquery,
            }),
            db: warehouse.db,
            bigquery: BigQueryRequest {
                project: self.project,
                dataset: self.dataset,
                location: self.location,
                endpoint: self.bigquery_endpoint,
                max_bytes_billed: self.max_bytes_billed,
            },
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// The date to publish: YYYY-MM-DD, `today` or `yesterday` (in the config file's time zone,
    /// America/New_York unless it sets `time-zone`, at `--at`) [default with --job: the date the
    /// job publishes]
    #[arg(long, value_name = "DATE", value_parser = parse_run_date, required_unless_present = "job")]
    pub(crate) date: Option<DateSelection>,

    /// Run a scheduled job of the config file (`propcast jobs` lists them): its exporters and
    /// options, for the date it publishes
    #[arg(
        long,
        value_name = "NAME",
        env = "PROPCAST_JOB_NAME",
        conflicts_with = "only"
    )]
    pub(crate) job: Option<String>,

    /// When the run happens, for `--job`, `today` and `yesterday` (RFC 3339, e.g. the
    /// scheduler's trigger time); also the run's timestamp unless `--generated-at` is given
    /// [default: now]
    #[arg(long, value_name = "TIMESTAMP")]
    pub(crate) at: Option<jiff::Timestamp>,

    /// Check every selected exporter's queries and print what each would scan (bytes, on
    /// BigQuery); run no exporter and publish nothing
    #[arg(long)]
    pub(crate) dry_run: bool,

    #[command(flatten)]
    pub(crate) publish: PublishArgs,
}

#[derive(Debug, Args)]
pub(crate) struct BackfillArgs {
    /// The first date to publish, YYYY-MM-DD
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub(crate) from: Date,

    /// The last date to publish (included), YYYY-MM-DD
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub(crate) to: Date,

    /// Publish only the dates with games in the warehouse's `schedule` table, not every day of
    /// the range (the off-season, the All-Star break)
    #[arg(long)]
    pub(crate) game_days: bool,

    /// Take task I's share of the dates, of N tasks (I from 0), a block of consecutive dates
    /// [default: CLOUD_RUN_TASK_INDEX/CLOUD_RUN_TASK_COUNT when a Cloud Run Job sets them]
    #[arg(long, value_name = "I/N")]
    pub(crate) shard: Option<Shard>,

    /// Publish every date again, also those whose run manifests show an earlier run published
    /// them completely with the same exporters and options (which are skipped otherwise)
    #[arg(long)]
    pub(crate) force: bool,

    #[command(flatten)]
    pub(crate) publish: PublishArgs,
}

/// What `run` and `backfill` share: the exporters, their options, the warehouse, the
/// destination and the settings.
#[derive(Debug, Args)]
pub(crate) struct PublishArgs {
    /// Run only these exporters (comma-separated names)
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub(crate) only: Vec<String>,

    /// Set an exporter option, e.g. `--param min-games=5`; may be repeated. Each option is also
    /// a flag of its own (`--min-games 5`), listed under Exporter options
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub(crate) params: Vec<(String, String)>,

    /// How many exporters may run at once, on as many threads (at most 256); each exporter
    /// still publishes its dates in order [default: the number of cores]
    #[arg(long, value_name = "N", env = "PROPCAST_JOBS", value_parser = clap::value_parser!(u16).range(1..=i64::from(crate::jobs::MAX_JOBS)))]
    pub(crate) jobs: Option<u16>,

    #[command(flatten)]
    pub(crate) plugins: PluginArgs,

    #[command(flatten)]
    pub(crate) warehouse: WarehouseArgs,

    #[command(flatten)]
    pub(crate) bigquery: BigQueryArgs,

    /// Where to publish: a folder, or a Cloud Storage bucket and prefix (`gs://BUCKET/PREFIX`),
    /// reached with Application Default Credentials (STORAGE_EMULATOR_HOST=HOST:PORT points it at
    /// an emulator, with none) [default: `out` under [publish] in propcast.toml, else `out`]
    #[arg(long, value_name = "DIR|gs://BUCKET/PREFIX", env = "PROPCAST_OUT")]
    pub(crate) out: Option<String>,

    /// Gzip what goes to Cloud Storage, served with `Content-Encoding: gzip`
    #[arg(long)]
    pub(crate) gzip: bool,

    /// When another run is publishing to the same folder, wait for it to finish instead of
    /// failing before anything runs
    #[arg(long)]
    pub(crate) wait_lock: bool,

    /// Publish even if the warehouse is not ready for the date (past its schedule, games not
    /// final, lines not posted: exit code 3 otherwise), e.g. to publish empty documents on purpose
    #[arg(long)]
    pub(crate) allow_empty: bool,

    /// When the warehouse is not ready for the date, check again (every minute, or a tenth of
    /// the wait if shorter) until this long has passed, e.g. `2h`, before giving up with exit
    /// code 3: a scheduled run that starts before the data waits for it
    #[arg(long, value_name = "DURATION", env = "PROPCAST_WAIT_FOR_DATA", value_parser = parse_wait_for_data)]
    pub(crate) wait_for_data: Option<std::time::Duration>,

    /// The run's timestamp (RFC 3339, e.g. 2024-01-10T12:00:00Z) [default: now]; fixing it
    /// makes a rerun byte-identical
    #[arg(long, value_name = "TIMESTAMP")]
    pub(crate) generated_at: Option<jiff::Timestamp>,

    #[command(flatten)]
    pub(crate) settings: SettingsArgs,

    /// How the run's report is printed on stdout when it is done
    #[arg(long, value_enum, value_name = "FORMAT", default_value = "text")]
    pub(crate) report: ReportArg,

    /// Write a guest profile of each exporter run into this folder, as
    /// `<date>/<exporter>.json`, for https://profiler.firefox.com; exporters then run one at a
    /// time (docs/plugins.md)
    #[arg(long, value_name = "DIR")]
    pub(crate) profile: Option<PathBuf>,
}

/// Limits and the config file they can come from.
#[derive(Debug, Args)]
pub(crate) struct SettingsArgs {
    /// Set a limit for every exporter, e.g. `--limit memory=1GiB`, or for one, e.g.
    /// `--limit player-profiles.fuel=100G`; may be repeated. Limits: fuel, deadline, memory,
    /// table-elements, stack, output, documents, document-size, log, query-time, query-rows,
    /// query-total-time, query-bytes, component-size, describe-fuel, describe-deadline
    #[arg(long = "limit", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub(crate) limits: Vec<(String, String)>,

    /// The config file [default: propcast.toml in the current folder, if there is one]
    #[arg(long, value_name = "FILE", env = "PROPCAST_CONFIG")]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct JobsArgs {
    /// List the runs after this time (RFC 3339) [default: now]
    #[arg(long, value_name = "TIMESTAMP")]
    pub(crate) at: Option<jiff::Timestamp>,

    /// Print the jobs as one JSON object (for scripts, e.g. deploy/deploy.py)
    #[arg(long)]
    pub(crate) json: bool,

    /// The config file [default: propcast.toml in the current folder, if there is one]
    #[arg(long, value_name = "FILE", env = "PROPCAST_CONFIG")]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct PluginsArgs {
    #[command(flatten)]
    pub(crate) plugins: PluginArgs,

    #[command(flatten)]
    pub(crate) settings: SettingsArgs,
}

#[derive(Debug, Args)]
pub(crate) struct DescribeArgs {
    /// The plugins: `.wasm` files, or exporter names in the plugin folder
    #[arg(required = true, value_name = "PLUGIN")]
    pub(crate) plugins_to_describe: Vec<String>,

    #[command(flatten)]
    pub(crate) load: PluginsArgs,
}

impl DescribeArgs {
    /// The plugins to describe and how to load them, as the jobs layer takes them.
    pub(crate) fn into_request(self) -> (Vec<String>, LoadRequest) {
        (self.plugins_to_describe, self.load.into_request())
    }
}

#[derive(Debug, Args)]
pub(crate) struct NewArgs {
    /// The exporter's name: lowercase letters, digits and dashes, e.g. `top-scorers`
    pub(crate) name: String,

    /// The folder the crate is created in, as `<DIR>/<NAME>`; it must be inside a Cargo
    /// workspace whose [workspace.dependencies] list propcast-sdk, serde and serde_json
    #[arg(long, value_name = "DIR", default_value = "plugins")]
    pub(crate) dir: PathBuf,
}

impl NewArgs {
    /// The scaffold these arguments ask for, as the jobs layer takes it.
    pub(crate) fn into_request(self) -> NewRequest {
        NewRequest {
            name: self.name,
            dir: self.dir,
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct SampleDataArgs {
    /// The SQLite file to create; an existing file is replaced
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,

    /// How many seasons, ending with 2023-24
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=20))]
    pub(crate) seasons: u16,

    /// Seed for the generator; the same seed gives the same database
    #[arg(long, value_name = "S", default_value_t = 2024)]
    pub(crate) seed: u64,
}

#[derive(Debug, Args)]
pub(crate) struct TestArgs {
    /// The exporter: a name from the plugin folder, or the path of a `.wasm` file
    pub(crate) exporter: String,

    /// Folder of fixture cases, each a folder with case.json, tables/ and expected/ [default:
    /// `fixtures` in the exporter's crate when run there, else `plugins/<exporter>/fixtures` in
    /// the current folder, the plugin file's folder or a folder above either]
    #[arg(long, value_name = "DIR")]
    pub(crate) fixtures: Option<PathBuf>,

    /// Record what the exporter produces as the expected output instead of comparing (BLESS=1
    /// does the same; BLESS=0 does not)
    #[arg(long, env = "BLESS", value_parser = parse_bless, action = clap::ArgAction::SetTrue)]
    pub(crate) update: bool,

    /// Write a guest profile of each case's run into this folder, as `<case>.json`: where the
    /// exporter's time goes, by function, for https://profiler.firefox.com (docs/plugins.md)
    #[arg(long, value_name = "DIR")]
    pub(crate) profile: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) settings: SettingsArgs,

    #[command(flatten)]
    pub(crate) plugins: PluginArgs,
}

#[derive(Debug, Args)]
pub(crate) struct CaptureArgs {
    /// The date whose tables to capture, YYYY-MM-DD
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date)]
    pub(crate) date: Date,

    /// The exporter: a name from the plugin folder, or the path of a `.wasm` file
    #[arg(long, value_name = "NAME")]
    pub(crate) only: String,

    /// The fixtures folder to add the case to (created if missing), e.g.
    /// `plugins/streaks/fixtures`
    #[arg(long, value_name = "DIR")]
    pub(crate) to: PathBuf,

    /// The case's folder name [default: the date]; an existing case is never replaced
    #[arg(long, value_name = "NAME")]
    pub(crate) case: Option<String>,

    /// Set an exporter option, e.g. `--param min-games=5`; may be repeated. The case records it
    #[arg(long = "param", value_name = "NAME=VALUE", value_parser = parse_param)]
    pub(crate) params: Vec<(String, String)>,

    /// The timestamp the case records (RFC 3339) [default: noon UTC of the date]
    #[arg(long, value_name = "TIMESTAMP")]
    pub(crate) generated_at: Option<jiff::Timestamp>,

    #[command(flatten)]
    pub(crate) plugins: PluginArgs,

    #[command(flatten)]
    pub(crate) warehouse: WarehouseArgs,

    #[command(flatten)]
    pub(crate) bigquery: BigQueryArgs,

    #[command(flatten)]
    pub(crate) settings: SettingsArgs,
}

impl PluginsArgs {
    /// The plugin folder and settings, as the jobs layer takes them.
    pub(crate) fn into_request(self) -> LoadRequest {
        load_request(&self.plugins, &self.settings)
    }
}

impl TestArgs {
    /// The test these arguments ask for, as the jobs layer takes it.
    pub(crate) fn into_request(self) -> TestRequest {
        TestRequest {
            load: load_request(&self.plugins, &self.settings),
            exporter: self.exporter,
            fixtures: self.fixtures,
            update: self.update,
            profile: self.profile,
        }
    }
}

/// Where plugins are and the settings they load under, with the flags their options may not
/// be named like.
fn load_request(plugins: &PluginArgs, settings: &SettingsArgs) -> LoadRequest {
    LoadRequest {
        plugins: plugins.plugins.clone(),
        cache: plugins.cache(),
        config: settings.config.clone(),
        limits: settings.limits.clone(),
        host_flags: flags_options_may_not_take(),
    }
}

impl CaptureArgs {
    /// The capture these arguments ask for, as the jobs layer takes it.
    pub(crate) fn into_request(self) -> CaptureRequest {
        CaptureRequest {
            date: self.date,
            exporter: self.only,
            fixtures: self.to,
            case: self.case,
            params: self.params,
            generated_at: self.generated_at,
            cache: self.plugins.cache(),
            plugins: self.plugins.plugins,
            source: self.bigquery.source_request(self.warehouse),
            config: self.settings.config,
            limits: self.settings.limits,
        }
    }
}

/// The long flags `propcast <subcommand>` takes (its own and the global ones), without `--`:
/// exporter options may not be named like them.
fn host_flags(command: &clap::Command, subcommand: &str) -> Vec<String> {
    let run = command
        .find_subcommand(subcommand)
        .expect("`run` and `backfill` are subcommands");
    run.get_arguments()
        .filter_map(|a| a.get_long())
        .chain(command.get_arguments().filter_map(|a| a.get_long()))
        .chain(["help", "version"])
        .map(String::from)
        .collect()
}

/// The flags of `run` and `backfill` together: an exporter option named like one is refused in
/// both, so a plugin does not load for one command and fail for the other.
fn flags_options_may_not_take() -> Vec<String> {
    let command = Cli::command();
    let mut flags = host_flags(&command, "run");
    flags.extend(host_flags(&command, "backfill"));
    flags.sort();
    flags.dedup();
    flags
}

#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// The exporter to measure: a name from the plugin folder, or the path of a `.wasm` file
    pub(crate) exporter: String,

    /// Run it on the warehouse's tables for this date
    #[arg(long, value_name = "YYYY-MM-DD", value_parser = parse_date, required_unless_present = "case", conflicts_with = "case")]
    pub(crate) date: Option<Date>,

    /// Run it on a fixture case's tables instead (a folder with case.json and tables/, e.g. one
    /// `propcast capture` wrote)
    #[arg(long, value_name = "DIR")]
    pub(crate) case: Option<PathBuf>,

    /// Timed runs in each engine (after one warm-up run each)
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) runs: u32,

    /// Write the documents it produced to this folder, byte for byte
    #[arg(long, value_name = "DIR")]
    pub(crate) documents: Option<PathBuf>,

    /// Print the result as one JSON object
    #[arg(long)]
    pub(crate) json: bool,

    #[command(flatten)]
    pub(crate) warehouse: WarehouseArgs,

    #[command(flatten)]
    pub(crate) plugins: PluginArgs,
}

impl BenchArgs {
    /// The measurement these arguments ask for, as the jobs layer takes it.
    pub(crate) fn into_request(self) -> BenchRequest {
        let input = match (self.case, self.date) {
            (Some(case), _) => BenchInput::Case(case),
            (None, Some(date)) => BenchInput::Warehouse {
                db: self.warehouse.db,
                date,
            },
            (None, None) => unreachable!("clap requires --date unless --case is given"),
        };
        BenchRequest {
            exporter: self.exporter,
            input,
            runs: self.runs,
            cache: self.plugins.cache(),
            plugins: self.plugins.plugins,
            documents: self.documents,
            json: self.json,
        }
    }
}

impl RunArgs {
    /// The run these arguments ask for, as the jobs layer takes it.
    pub(crate) fn into_request(self, log: &LogArgs) -> RunRequest {
        let mut request = self
            .publish
            .into_request(self.date.unwrap_or(DateSelection::OfJob), log.quiet);
        request.dry_run = self.dry_run;
        request.job = self.job;
        request.at = self.at;
        request.host_flags = flags_options_may_not_take();
        request
    }
}

impl BackfillArgs {
    /// The backfill these arguments ask for, as the jobs layer takes it.
    pub(crate) fn into_request(self, log: &LogArgs) -> anyhow::Result<RunRequest> {
        let shard = match self.shard {
            Some(shard) => Some(shard),
            None => cloud_run_task()?,
        };
        let dates = DateSelection::Range {
            from: self.from,
            to: self.to,
            game_days_only: self.game_days,
        };
        let mut request = self.publish.into_request(dates, log.quiet);
        request.shard = shard;
        request.force = self.force;
        request.host_flags = flags_options_may_not_take();
        Ok(request)
    }
}

impl PublishArgs {
    /// With `quiet` (`-q`), no text report.
    fn into_request(self, dates: DateSelection, quiet: bool) -> RunRequest {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        RunRequest {
            dates,
            job: None,
            at: None,
            shard: None,
            jobs: self.jobs.map_or(cores, usize::from),
            only: self.only,
            params: self.params,
            cache: self.plugins.cache(),
            plugins: self.plugins.plugins,
            source: self.bigquery.source_request(self.warehouse),
            out: self.out,
            gzip: self.gzip,
            generated_at: self.generated_at,
            config: self.settings.config,
            limits: self.settings.limits,
            dry_run: false,
            force: false,
            wait_lock: self.wait_lock,
            allow_empty: self.allow_empty,
            wait_for_data: self.wait_for_data,
            host_flags: Vec::new(),
            profile: self.profile,
            report: match self.report {
                ReportArg::Json => ReportStyle::Json,
                ReportArg::Text if quiet => ReportStyle::Quiet,
                ReportArg::Text => ReportStyle::Text,
            },
        }
    }
}

/// The task a Cloud Run Job runs this process as: `CLOUD_RUN_TASK_INDEX` of
/// `CLOUD_RUN_TASK_COUNT`; none when neither is set, an error when they do not make a share.
fn cloud_run_task() -> anyhow::Result<Option<Shard>> {
    let index = std::env::var("CLOUD_RUN_TASK_INDEX").ok();
    let count = std::env::var("CLOUD_RUN_TASK_COUNT").ok();
    match (index, count) {
        (None, None) => Ok(None),
        (Some(index), Some(count)) => format!("{index}/{count}")
            .parse()
            .map(Some)
            .map_err(|e| anyhow::anyhow!("CLOUD_RUN_TASK_INDEX/CLOUD_RUN_TASK_COUNT: {e}")),
        _ => anyhow::bail!(
            "only one of CLOUD_RUN_TASK_INDEX and CLOUD_RUN_TASK_COUNT is set; a backfill task \
             needs both (or `--shard I/N`)"
        ),
    }
}

/// `--wait-for-data`: a duration, as limits are written (`90s`, `30m`, `2h`).
fn parse_wait_for_data(text: &str) -> Result<std::time::Duration, String> {
    crate::jobs::parse_duration(text).map_err(|e| e.to_string())
}

/// `--date`: a date, or `today` or `yesterday`.
fn parse_run_date(text: &str) -> Result<DateSelection, String> {
    match text.parse::<RelativeDay>() {
        Ok(day) => Ok(DateSelection::Relative(day)),
        Err(_) => parse_date(text)
            .map(DateSelection::One)
            .map_err(|e| format!("{e}, `today` or `yesterday`")),
    }
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, value)) if !name.is_empty() => Ok((name.to_string(), value.to_string())),
        _ => Err(format!("`{text}` is not of the form NAME=VALUE")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("propcast").chain(args.iter().copied()))
    }

    #[test]
    fn run_takes_a_date_and_comma_separated_names() {
        let cli = parse(&[
            "run",
            "--date",
            "2024-01-10",
            "--only",
            "streaks,results",
            "--param",
            "min-length=5",
        ])
        .unwrap();
        let Command::Run(args) = cli.command else {
            panic!("not run")
        };
        assert_eq!(
            args.date,
            Some(DateSelection::One("2024-01-10".parse().unwrap()))
        );
        assert_eq!(args.publish.only, ["streaks", "results"]);
        assert_eq!(
            args.publish.params,
            [("min-length".to_string(), "5".to_string())]
        );
        assert_eq!(args.publish.out, None);
        assert_eq!(args.publish.bigquery.source, None);
    }

    #[test]
    fn a_bad_date_names_the_value() {
        let err = parse(&["run", "--date", "2024-02-30"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`2024-02-30` is not a date of the form YYYY-MM-DD"),
            "{err}"
        );
    }

    #[test]
    fn a_param_needs_a_name_and_value() {
        let err = parse(&["run", "--date", "2024-01-10", "--param", "min-length"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`min-length` is not of the form NAME=VALUE"),
            "{err}"
        );
    }

    #[test]
    fn backfill_takes_a_range_and_the_options_of_run() {
        let cli = parse(&[
            "backfill",
            "--from",
            "2023-10-24",
            "--to",
            "2024-04-14",
            "--game-days",
            "--jobs",
            "3",
            "--param",
            "min-games=7",
        ])
        .unwrap();
        let Command::Backfill(args) = cli.command else {
            panic!("not backfill")
        };
        let request = args.into_request(&cli.log).unwrap();
        assert_eq!(
            request.dates,
            DateSelection::Range {
                from: "2023-10-24".parse().unwrap(),
                to: "2024-04-14".parse().unwrap(),
                game_days_only: true
            }
        );
        assert_eq!(request.jobs, 3);
        assert_eq!(request.params, [("min-games".to_string(), "7".to_string())]);
        assert!(!request.dry_run);
    }

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
