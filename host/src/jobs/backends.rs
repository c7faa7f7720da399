//! Opens the source and the store a run asks for, with settings layered lowest first: built-in
//! defaults, `propcast.toml` (`[source]`, `[bigquery]`, `out` under `[publish]`), environment variables, flags.

use anyhow::{Context as _, bail};

use std::path::Path;

use super::request::{BigQueryRequest, SourceRequest, Warehouse};
use super::settings::{Settings, parse_bytes};
use crate::publish::gcs::GcsStore;
use crate::publish::local::LocalStore;
use crate::publish::{Destination, Store};
use crate::source::Source;
use crate::source::bigquery::{BigQueryConfig, BigQuerySource};
use crate::source::sqlite::SqliteSource;

/// The SQLite warehouse read unless configured.
const DEFAULT_DB: &str = "warehouse.sqlite";

/// The SQLite file: `flag` (`--db`, `PROPCAST_DB`), else `db` under `[source]`, else the default.
pub(super) fn sqlite_db<'a>(flag: Option<&'a Path>, settings: &'a Settings) -> &'a Path {
    flag.or(settings.source.db.as_deref())
        .unwrap_or(Path::new(DEFAULT_DB))
}

/// Where documents go unless configured.
const DEFAULT_OUT: &str = "out";

/// The most one BigQuery query may bill unless configured: 10 GB.
const DEFAULT_MAX_BYTES_BILLED: &str = "10GB";

/// The warehouse `request` names.
pub(crate) async fn open_source(
    request: &SourceRequest,
    settings: &Settings,
) -> anyhow::Result<Box<dyn Source>> {
    let kind = request.kind.or(settings.source.kind);
    Ok(match kind.unwrap_or(Warehouse::Sqlite) {
        Warehouse::Sqlite => Box::new(SqliteSource::open(
            sqlite_db(request.db.as_deref(), settings),
            settings.query,
        )?),
        Warehouse::Bigquery => {
            let config = bigquery_config(&request.bigquery, settings)?;
            Box::new(BigQuerySource::connect(config).await?)
        }
    })
}

/// The BigQuery settings: each flag, else `[bigquery]` in the config file, else the default.
fn bigquery_config(flags: &BigQueryRequest, settings: &Settings) -> anyhow::Result<BigQueryConfig> {
    let file = &settings.bigquery;
    let pick = |flag: &Option<String>, file: &Option<String>| flag.clone().or_else(|| file.clone());
    let project = pick(&flags.project, &file.project)
        .or_else(|| std::env::var("GOOGLE_CLOUD_PROJECT").ok())
        .filter(|p| !p.is_empty());
    let Some(project) = project else {
        bail!(
            "BigQuery needs a project\n\nConsider `--project PROJECT`, `project` under [bigquery] \
             in propcast.toml, or GOOGLE_CLOUD_PROJECT"
        );
    };
    let Some(dataset) = pick(&flags.dataset, &file.dataset).filter(|d| !d.is_empty()) else {
        bail!(
            "BigQuery needs the dataset that holds the warehouse tables\n\nConsider \
             `--dataset DATASET`, or `dataset` under [bigquery] in propcast.toml"
        );
    };
    let max_bytes = pick(&flags.max_bytes_billed, &file.max_bytes_billed)
        .unwrap_or_else(|| DEFAULT_MAX_BYTES_BILLED.to_string());
    let max_bytes_billed = parse_bytes(&max_bytes)
        .with_context(|| format!("the maximum bytes billed `{max_bytes}`"))?
        as u64;
    let emulator = crate::cloud::emulator("BIGQUERY_EMULATOR_HOST");
    Ok(BigQueryConfig {
        project,
        dataset,
        location: pick(&flags.location, &file.location),
        endpoint: pick(&flags.endpoint, &file.endpoint),
        emulator,
        max_bytes_billed,
        page_size: file.page_size,
        limits: settings.query,
    })
}

/// The store `--out` names (else `out` under `[publish]`, else `out`): a folder, or a Cloud
/// Storage bucket and prefix. A folder another run is publishing to makes this run wait when
/// `wait_for_lock`, else fail (a bucket needs no lock: its uploads are conditional).
pub(crate) async fn open_store(
    out: Option<&str>,
    settings: &Settings,
    wait_for_lock: bool,
) -> anyhow::Result<Box<dyn Store>> {
    let out = out.or(settings.out.as_deref()).unwrap_or(DEFAULT_OUT);
    let destination = Destination::parse(out).map_err(anyhow::Error::msg)?;
    Ok(match destination {
        Destination::Folder(path) => Box::new(LocalStore::new(&path, wait_for_lock)),
        Destination::Bucket { bucket, prefix } => {
            Box::new(GcsStore::connect(&bucket, &prefix).await?)
        }
    })
}
