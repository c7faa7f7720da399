//! The run manifest: after each run, `runs/<date>/<run-id>.json` beside the published documents
//! lists every document with its path, SHA-256, size, kind, exporter and version, and whether it
//! was uploaded, unchanged, kept (a newer date was there) or failed, plus the leftovers of
//! replaced sets that were removed. With the exporter's component hash and options it is
//! enough to audit what the site served and to reproduce it.
//!
//! It is written last, after every exporter, and also when some failed (their errors are in it).

use std::collections::BTreeMap;

use serde::Serialize;

use super::batch::BatchReport;
use super::{Precondition, Publisher, Stamp};
use crate::data::{Document, DocumentKind};

use crate::data::RUNS_FOLDER;

/// A new run manifest's path: `runs/<date>/<run's timestamp>-<random>.json`, e.g.
/// `runs/2024-01-10/20240110T120000Z-3f9a1c02.json`. Sortable by timestamp, safe in a path, and
/// unique even for reruns with the same `--generated-at` (the run id, which exporters see, is
/// deliberately the same for those, so their documents are byte-identical).
pub(crate) fn path(date: jiff::civil::Date, generated_at: jiff::Timestamp) -> String {
    use std::hash::{BuildHasher as _, Hasher as _};
    let mut tail = std::collections::hash_map::RandomState::new().build_hasher();
    tail.write_i128(jiff::Timestamp::now().as_nanosecond());
    tail.write_u32(std::process::id());
    format!(
        "{RUNS_FOLDER}{date}/{}-{:08x}.json",
        generated_at.strftime("%Y%m%dT%H%M%SZ"),
        tail.finish() as u32
    )
}

/// The date of a run manifest's path (see [`path`]); `None` for any other path.
pub(crate) fn date_of(path: &str) -> Option<jiff::civil::Date> {
    let rest = path.strip_prefix(RUNS_FOLDER)?;
    let (date, name) = rest.split_once('/')?;
    (name.ends_with(".json") && !name.contains('/'))
        .then(|| date.parse().ok())
        .flatten()
}

/// What one run published.
#[derive(Debug, Serialize)]
pub(crate) struct RunManifest {
    pub(crate) run_id: String,
    pub(crate) date: String,
    pub(crate) generated_at: String,
    /// When the manifest was written (the real clock): which of a date's runs came last, also
    /// for reruns with the same `--generated-at`.
    pub(crate) written_at: String,
    pub(crate) propcast_version: &'static str,
    /// Where the data came from: `sqlite:warehouse.sqlite`, `bigquery:project.dataset`.
    pub(crate) source: String,
    /// Where the documents went: `gs://site/api`, or the folder.
    pub(crate) destination: String,
    pub(crate) exporters: Vec<ExporterEntry>,
}

/// One exporter's part of the run (or a plugin file that failed to load).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct ExporterEntry {
    /// The exporter's name; the file's name when it failed to load.
    pub(crate) name: String,
    /// The plugin file it came from.
    pub(crate) file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) version: Option<String>,
    /// SHA-256 of the `.wasm` file that ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) component_sha256: Option<String>,
    /// Its options and the built-in parameters, as the exporter received them.
    pub(crate) params: BTreeMap<String, String>,
    /// `ok`, or the stage that failed: `load failed`, `query failed`, `run failed`,
    /// `publish failed`.
    pub(crate) status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) error: Option<String>,
    pub(crate) documents: Vec<DocumentEntry>,
    /// Leftovers of replaced sets this run removed.
    pub(crate) removed: Vec<String>,
}

/// One document's line.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct DocumentEntry {
    pub(crate) path: String,
    pub(crate) sha256: String,
    pub(crate) bytes: usize,
    pub(crate) kind: &'static str,
    /// `uploaded`, `unchanged`, `kept-newer`, `failed`, `held` or `deferred` (a later date of
    /// the run published this path's newest version).
    pub(crate) outcome: &'static str,
    /// The date it was published for, when that is not the manifest's: a backfill publishes
    /// `current` documents and aliases once, with the date that produced their newest version.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) date: Option<String>,
}

impl ExporterEntry {
    /// The entry of exporter `name` from plugin file `file` before anything happened: `ok`.
    pub(crate) fn new(name: String, file: String) -> ExporterEntry {
        ExporterEntry {
            name,
            file,
            version: None,
            component_sha256: None,
            params: BTreeMap::new(),
            status: "ok".to_string(),
            error: None,
            documents: Vec::new(),
            removed: Vec::new(),
        }
    }

    /// The documents and removals of a publish report.
    pub(crate) fn record(&mut self, report: &BatchReport) {
        self.documents = report
            .documents
            .iter()
            .map(|d| DocumentEntry {
                path: d.path.clone(),
                sha256: d.sha256.clone(),
                bytes: d.bytes,
                kind: d.kind.name(),
                outcome: d.outcome.name(),
                date: d.date.map(|date| date.to_string()),
            })
            .collect();
        self.removed = report.removed.clone();
    }
}

impl RunManifest {
    /// The manifest as pretty-printed JSON.
    pub(crate) fn to_json(&self) -> Vec<u8> {
        let mut body = serde_json::to_vec_pretty(self).expect("a run manifest serializes");
        body.push(b'\n');
        body
    }

    /// The kind the manifest is published as: immutable once written, like a dated document.
    pub(crate) const KIND: DocumentKind = DocumentKind::Dated;
}

impl Publisher {
    /// Writes `manifest`, of the run for `date` at `generated_at`, under a new name (see
    /// [`path`]); returns that path. Errors name the path and the store.
    pub(crate) async fn write_run_manifest(
        &self,
        manifest: &RunManifest,
        date: jiff::civil::Date,
        generated_at: jiff::Timestamp,
    ) -> anyhow::Result<String> {
        let path = path(date, generated_at);
        let object = self.object_for(
            &Document {
                path: path.clone(),
                body: manifest.to_json(),
                kind: RunManifest::KIND,
            },
            Stamp {
                exporter: "propcast".into(),
                kind: RunManifest::KIND,
                date,
            },
        );
        self.store()
            .put(&object, Some(Precondition::Absent))
            .await
            .map_err(|e| {
                e.context(format!(
                    "failed to write the run manifest `{path}` to {}",
                    self.store().describe()
                ))
            })?;
        Ok(path)
    }
}
