//! Resuming a backfill: which of its dates earlier runs already published completely, so a
//! rerun skips them without querying the warehouse or running an exporter.
//!
//! The evidence is the run manifests under `runs/<date>/`, which a run writes last, after its
//! exporters published. An exporter's part of a date is done when some manifest of that date
//! shows it `ok`, from the same component file (SHA-256) with the same parameters, every
//! document published (`uploaded`, `unchanged`, `kept-newer`) or `deferred`, and each deferred
//! path published by some manifest for that date or a later one (a backfill publishes `current`
//! documents and aliases at its flush dates; an interrupted one never got there). A date is
//! skipped when every selected exporter's part is done.
//!
//! What this cannot see: a warehouse corrected since, or documents removed from the store by
//! hand. `--force` publishes every date again.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read as _;

use anyhow::Context as _;
use futures::{StreamExt as _, TryStreamExt as _};
use jiff::civil::Date;
use serde::Deserialize;

use super::plan::{ExporterPlan, RunPlan};
use super::report::Status;
use crate::data::RUNS_FOLDER;
use crate::publish::{Outcome, Store};

/// Run manifests read at once from a store.
const READS_AT_ONCE: usize = 16;

/// The part of a run manifest resuming reads.
#[derive(Debug, Deserialize)]
struct PublishedRun {
    date: Date,
    exporters: Vec<PublishedExporter>,
}

#[derive(Debug, Deserialize)]
struct PublishedExporter {
    name: String,
    component_sha256: Option<String>,
    params: BTreeMap<String, String>,
    status: String,
    documents: Vec<PublishedDocument>,
    /// Leftovers of replaced sets the run removed.
    #[serde(default)]
    removed: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct PublishedDocument {
    path: String,
    outcome: String,
    /// The date it was published for, when not the manifest's.
    date: Option<Date>,
}

/// The dates of `plans` that earlier runs published completely, by their run manifests in
/// `store`.
pub(super) async fn published_dates(
    store: &dyn Store,
    plans: &[RunPlan<'_>],
) -> anyhow::Result<BTreeSet<Date>> {
    let wanted: BTreeSet<Date> = plans.iter().map(|p| p.date).collect();
    let paths: Vec<String> = store
        .list(RUNS_FOLDER)
        .await
        .context("failed to list the run manifests, to find the dates already published")?
        .into_iter()
        .map(|object| object.path)
        .filter(|path| manifest_date(path).is_some_and(|d| wanted.contains(&d)))
        .collect();
    let runs: Vec<PublishedRun> = futures::stream::iter(paths)
        .map(|path| async move { read_run(store, &path).await })
        .buffer_unordered(READS_AT_ONCE)
        .try_filter_map(|run| async move { Ok(run) })
        .try_collect()
        .await?;
    let sets: HashMap<&str, &[String]> = (plans.iter().take(1))
        .flat_map(|plan| &plan.exporters)
        .map(|e| {
            (
                e.exporter.manifest.name.as_str(),
                &e.exporter.manifest.replaced_sets[..],
            )
        })
        .collect();
    let evidence = Evidence::new(&runs, &sets);
    Ok(plans
        .iter()
        .filter(|plan| {
            plan.exporters
                .iter()
                .all(|e| evidence.done(plan.date, &Part::of(e)))
        })
        .map(|plan| plan.date)
        .collect())
}

/// The date of a run manifest's path, `runs/<date>/<name>.json`.
fn manifest_date(path: &str) -> Option<Date> {
    let rest = path.strip_prefix(RUNS_FOLDER)?;
    let (date, name) = rest.split_once('/')?;
    (name.ends_with(".json") && !name.contains('/'))
        .then(|| date.parse().ok())
        .flatten()
}

/// One run manifest; `None` when it is gone or is not one this version can read (then it is
/// no evidence, and its date runs again).
async fn read_run(store: &dyn Store, path: &str) -> anyhow::Result<Option<PublishedRun>> {
    let Some(bytes) = store.read(path).await? else {
        return Ok(None);
    };
    let text = if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        if flate2::read::GzDecoder::new(bytes.as_slice())
            .read_to_end(&mut text)
            .is_err()
        {
            return Ok(None);
        }
        text
    } else {
        bytes
    };
    Ok(serde_json::from_slice(&text).ok())
}

/// An exporter's part of a date as a run manifest records it.
struct Part<'a> {
    name: &'a str,
    /// Of the component file.
    sha256: &'a str,
    params: BTreeMap<String, String>,
}

impl<'a> Part<'a> {
    fn of(plan: &'a ExporterPlan<'_>) -> Part<'a> {
        Part {
            name: &plan.exporter.manifest.name,
            sha256: &plan.exporter.sha256,
            params: plan.context_params.iter().cloned().collect(),
        }
    }
}

/// What the run manifests say was published.
struct Evidence<'a> {
    /// Each date's manifests' exporter entries.
    entries: HashMap<Date, Vec<&'a PublishedExporter>>,
    /// For each (exporter, path), the newest date it was published for.
    newest: HashMap<(&'a str, &'a str), Date>,
    /// For each (exporter, replaced set), the newest date the set was published for: a page
    /// missing from a newer set was removed, not left behind.
    newest_sets: HashMap<(&'a str, &'a str), Date>,
    /// Each exporter's replaced sets (folders ending in `/`).
    sets: &'a HashMap<&'a str, &'a [String]>,
}

impl<'a> Evidence<'a> {
    fn new(runs: &'a [PublishedRun], sets: &'a HashMap<&'a str, &'a [String]>) -> Evidence<'a> {
        let mut evidence = Evidence {
            entries: HashMap::new(),
            newest: HashMap::new(),
            newest_sets: HashMap::new(),
            sets,
        };
        for run in runs {
            for exporter in &run.exporters {
                let name = exporter.name.as_str();
                evidence.entries.entry(run.date).or_default().push(exporter);
                for document in &exporter.documents {
                    if Outcome::left_published(&document.outcome) {
                        let date = document.date.unwrap_or(run.date);
                        raise(&mut evidence.newest, (name, &document.path), date);
                        if let Some(set) = evidence.set_of(name, &document.path) {
                            raise(&mut evidence.newest_sets, (name, set), date);
                        }
                    }
                }
                for path in &exporter.removed {
                    if let Some(set) = evidence.set_of(name, path) {
                        raise(&mut evidence.newest_sets, (name, set), run.date);
                    }
                }
            }
        }
        evidence
    }

    /// The replaced set of `exporter` that holds `path`.
    fn set_of(&self, exporter: &str, path: &str) -> Option<&'a str> {
        let sets = self.sets.get(exporter)?;
        sets.iter()
            .find(|set| path.starts_with(set.as_str()))
            .map(String::as_str)
    }

    /// Whether `exporter`'s `path`, deferred by a run of `date`, was published since: its
    /// version of `date` or of a later date, or a later version of its replaced set.
    fn settled(&self, exporter: &str, path: &str, date: Date) -> bool {
        let newest = self.newest.get(&(exporter, path));
        let newest_set =
            (self.set_of(exporter, path)).and_then(|set| self.newest_sets.get(&(exporter, set)));
        newest.into_iter().chain(newest_set).any(|&d| d >= date)
    }

    /// Whether `part` of `date` was published completely.
    fn done(&self, date: Date, part: &Part<'_>) -> bool {
        let name = part.name;
        let Some(entries) = self.entries.get(&date) else {
            return false;
        };
        entries.iter().any(|entry| {
            entry.name == name
                && entry.status == Status::Ok.label()
                && entry.component_sha256.as_deref() == Some(part.sha256)
                && entry.params == part.params
                && entry.documents.iter().all(|d| {
                    Outcome::left_published(&d.outcome)
                        || (d.outcome == Outcome::Deferred.name()
                            && self.settled(name, &d.path, date))
                })
        })
    }
}

/// Raises `map[key]` to `date` if that is newer.
fn raise<'a>(map: &mut HashMap<(&'a str, &'a str), Date>, key: (&'a str, &'a str), date: Date) {
    let slot = map.entry(key).or_insert(date);
    *slot = (*slot).max(date);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_manifest_paths_have_a_date() {
        assert_eq!(
            manifest_date("runs/2024-01-10/20240110T120000Z-3f9a1c02.json"),
            Some("2024-01-10".parse().unwrap())
        );
        assert_eq!(manifest_date("runs/sets/v1/players.json"), None);
        assert_eq!(manifest_date("runs/2024-01-10/x/y.json"), None);
        assert_eq!(manifest_date("v1/results/2024-01-10.json"), None);
    }

    fn run(date: &str, status: &str, documents: &[(&str, &str, Option<&str>)]) -> PublishedRun {
        let documents = documents
            .iter()
            .map(|(path, outcome, date)| {
                serde_json::json!({"path": path, "outcome": outcome, "date": date})
            })
            .collect::<Vec<_>>();
        serde_json::from_value(serde_json::json!({
            "date": date,
            "exporters": [{
                "name": "x", "component_sha256": "abc", "params": {"date": date},
                "status": status, "documents": documents, "removed": [],
            }],
        }))
        .unwrap()
    }

    fn done(runs: &[PublishedRun], date: &str) -> bool {
        let set = ["v1/x/player/".to_string()];
        let sets = HashMap::from([("x", &set[..])]);
        let part = Part {
            name: "x",
            sha256: "abc",
            params: BTreeMap::from([("date".into(), date.into())]),
        };
        Evidence::new(runs, &sets).done(date.parse().unwrap(), &part)
    }

    #[test]
    fn a_deferred_document_counts_once_a_later_date_published_it() {
        let first = run(
            "2024-01-08",
            "ok",
            &[
                ("v1/x/2024-01-08.json", "uploaded", None),
                ("v1/x/today.json", "deferred", None),
            ],
        );
        // Cut short before its flush: the alias never went out.
        assert!(!done(std::slice::from_ref(&first), "2024-01-08"));
        // The flush published the newest version, of a later date.
        let flush = run(
            "2024-01-09",
            "ok",
            &[("v1/x/today.json", "uploaded", Some("2024-01-09"))],
        );
        let runs = [first, flush];
        assert!(done(&runs, "2024-01-08"));
        assert!(done(&runs, "2024-01-09"));
        // Another component or other options are another run.
        let mut part = Part {
            name: "x",
            sha256: "def",
            params: BTreeMap::from([("date".into(), "2024-01-09".into())]),
        };
        let sets = HashMap::new();
        let evidence = Evidence::new(&runs, &sets);
        assert!(!evidence.done("2024-01-09".parse().unwrap(), &part));
        part.sha256 = "abc";
        part.params.insert("min-games".into(), "5".into());
        assert!(!evidence.done("2024-01-09".parse().unwrap(), &part));
    }

    #[test]
    fn a_page_dropped_from_a_newer_replaced_set_is_settled_by_that_set() {
        let first = run(
            "2024-01-08",
            "ok",
            &[("v1/x/player/a.json", "deferred", None)],
        );
        let flush = run(
            "2024-01-09",
            "ok",
            &[("v1/x/player/b.json", "uploaded", None)],
        );
        assert!(done(&[first, flush], "2024-01-08"));
        let failed = run(
            "2024-01-08",
            "publish failed",
            &[("v1/x/2024-01-08.json", "failed", None)],
        );
        assert!(!done(&[failed], "2024-01-08"));
    }
}
