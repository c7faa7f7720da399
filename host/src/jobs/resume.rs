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
use crate::publish::{Outcome, Store, run_manifest};

/// Run manifests read at once from a store.
const READS_AT_ONCE: usize = 16;

/// The part of a run manifest resuming reads.
#[derive(Debug, Deserialize)]
struct PublishedRun {
    date: Date,
    generated_at: jiff::Timestamp,
    /// Absent from manifests written before it was recorded.
    written_at: Option<jiff::Timestamp>,
    exporters: Vec<PublishedExporter>,
}

impl PublishedRun {
    /// When the run ended, as near as the manifest tells.
    fn written(&self) -> jiff::Timestamp {
        self.written_at.unwrap_or(self.generated_at)
    }
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
        .list_paths(RUNS_FOLDER)
        .await
        .context("failed to list the run manifests, to find the dates already published")?
        .into_iter()
        .filter(|path| run_manifest::date_of(path).is_some_and(|d| wanted.contains(&d)))
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
    /// For each (date, exporter), the entry of the newest run of that date that ran it: what
    /// the store holds of it (an older run matching the plan proves nothing once a newer run
    /// with another build or other options has overwritten its documents).
    entries: HashMap<(Date, &'a str), (jiff::Timestamp, &'a PublishedExporter)>,
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
                let written = run.written();
                let slot = evidence.entries.entry((run.date, name));
                let slot = slot.or_insert((written, exporter));
                if written > slot.0 {
                    *slot = (written, exporter);
                }
                // A set counts as published only where none of its documents in this entry
                // failed or was held back: then its leftovers were not removed either.
                let broken_sets: Vec<&str> = (exporter.documents.iter())
                    .filter(|d| !Outcome::left_published(&d.outcome))
                    .filter(|d| d.outcome != Outcome::Deferred.name())
                    .filter_map(|d| evidence.set_of(name, &d.path))
                    .collect();
                for document in &exporter.documents {
                    if Outcome::left_published(&document.outcome) {
                        let date = document.date.unwrap_or(run.date);
                        raise(&mut evidence.newest, (name, &document.path), date);
                        if let Some(set) = evidence.set_of(name, &document.path)
                            && !broken_sets.contains(&set)
                        {
                            raise(&mut evidence.newest_sets, (name, set), date);
                        }
                    }
                }
                for path in &exporter.removed {
                    if let Some(set) = evidence.set_of(name, path)
                        && !broken_sets.contains(&set)
                    {
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

    /// Whether `part` of `date` was published completely by the newest run of the date that
    /// ran its exporter.
    fn done(&self, date: Date, part: &Part<'_>) -> bool {
        let name = part.name;
        let Some((_, entry)) = self.entries.get(&(date, name)) else {
            return false;
        };
        entry.status == Status::Ok.label()
            && entry.component_sha256.as_deref() == Some(part.sha256)
            && entry.params == part.params
            && entry.documents.iter().all(|d| {
                Outcome::left_published(&d.outcome)
                    || (d.outcome == Outcome::Deferred.name() && self.settled(name, &d.path, date))
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
        let date = |path: &str| run_manifest::date_of(path);
        let path = run_manifest::path("2024-01-10".parse().unwrap(), jiff::Timestamp::UNIX_EPOCH);
        assert_eq!(date(&path), Some("2024-01-10".parse().unwrap()));
        assert_eq!(date("runs/sets/v1/players.json"), None);
        assert_eq!(date("runs/2024-01-10/x/y.json"), None);
        assert_eq!(date("v1/results/2024-01-10.json"), None);
    }

    fn run(date: &str, status: &str, documents: &[(&str, &str, Option<&str>)]) -> PublishedRun {
        run_of("abc", "2026-01-01T00:00:00Z", date, status, documents)
    }

    /// A run of component `sha` whose manifest was written at `written`.
    fn run_of(
        sha: &str,
        written: &str,
        date: &str,
        status: &str,
        documents: &[(&str, &str, Option<&str>)],
    ) -> PublishedRun {
        let documents = documents
            .iter()
            .map(|(path, outcome, date)| {
                serde_json::json!({"path": path, "outcome": outcome, "date": date})
            })
            .collect::<Vec<_>>();
        serde_json::from_value(serde_json::json!({
            "date": date,
            "generated_at": format!("{date}T12:00:00Z"),
            "written_at": written,
            "exporters": [{
                "name": "x", "component_sha256": sha, "params": {"date": date},
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
    fn only_the_newest_run_of_a_date_counts() {
        let docs = [("v1/x/2024-01-08.json", "uploaded", None)];
        // Build `abc` published, then `def`, then `abc` is back: the store holds `def`'s.
        let runs = [
            run_of("abc", "2026-01-01T00:00:00Z", "2024-01-08", "ok", &docs),
            run_of("def", "2026-01-02T00:00:00Z", "2024-01-08", "ok", &docs),
        ];
        assert!(!done(&runs, "2024-01-08"));
        let runs = [
            run_of("def", "2026-01-02T00:00:00Z", "2024-01-08", "ok", &docs),
            run_of("abc", "2026-01-03T00:00:00Z", "2024-01-08", "ok", &docs),
        ];
        assert!(done(&runs, "2024-01-08"));
    }

    #[test]
    fn a_set_whose_flush_partly_failed_settles_nothing() {
        let first = run(
            "2024-01-08",
            "ok",
            &[
                ("v1/x/player/a.json", "deferred", None),
                ("v1/x/player/b.json", "deferred", None),
            ],
        );
        let flush = run(
            "2024-01-09",
            "publish failed",
            &[
                ("v1/x/player/a.json", "uploaded", Some("2024-01-08")),
                ("v1/x/player/b.json", "failed", Some("2024-01-08")),
            ],
        );
        assert!(!done(&[first, flush], "2024-01-08"));
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
