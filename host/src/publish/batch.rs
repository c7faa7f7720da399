//! The [`Publisher`]: one exporter's documents onto a [`Store`], keeping the promise stated in
//! the module above (order, unchanged documents skipped, nothing moved back to an older date,
//! replaced sets, a report of every document).
//!
//! Steps, for one batch:
//! 1. Read what is stored for the batch (a listing per folder on a bucket, a lookup per
//!    document in a local folder; replaced sets are always listed whole): checksums, headers
//!    and stamps (a bucket gives them without the bodies; a folder reads its files). If that
//!    fails, nothing is written.
//! 2. Decide each document: kept (a newer `current`/`alias` is there, or the replaced set is
//!    newer), unchanged (same MD5, headers and stamp), or to upload.
//! 3. Upload the `dated` and `current` ones, at most `concurrency` at a time; then, only if
//!    all of them succeeded, the aliases.
//! 4. Only if everything succeeded, remove the replaced sets' leftovers and record each set's
//!    date in `runs/sets/<exporter>/<folder>set.json` (stamped like a document), so an emptied
//!    set still knows it is newer than a later run for an older date.
//!
//! Steps 3 and 4 are one batch on the store ([`Store::begin_batch`]): when the run is
//! interrupted (`interrupt.rs`), no new upload starts and a store that can undo (a local folder)
//! rolls the batch back.

use std::collections::HashMap;

use futures::StreamExt as _;
use jiff::civil::Date;

use super::encoding::{CacheControl, Encoding};
use super::{NewObject, Precondition, Stamp, Store, StoredObject};
use crate::data::{Document, DocumentKind, RUNS_FOLDER};
use crate::files::sha256_hex;

/// Up to this many documents in one folder are looked up one by one rather than by listing
/// the folder (whose history can hold thousands of dated files).
const LOOKUPS_BEFORE_LISTING: usize = 8;

/// How documents are published, from `[publish]` in `propcast.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PublishSettings {
    pub(crate) cache_control: CacheControl,
    /// Gzip bodies, served with `Content-Encoding: gzip` (stores that keep headers only).
    pub(crate) gzip: bool,
    /// Uploads in flight at once, per exporter.
    pub(crate) concurrency: usize,
}

impl Default for PublishSettings {
    fn default() -> PublishSettings {
        PublishSettings {
            cache_control: CacheControl::default(),
            gzip: false,
            concurrency: 16,
        }
    }
}

/// Publishes batches onto one store.
pub(crate) struct Publisher {
    store: Box<dyn Store>,
    encoding: Encoding,
    concurrency: usize,
}

/// One exporter's checked documents for one date.
pub(crate) struct Batch<'a> {
    pub(crate) exporter: &'a str,
    pub(crate) date: Date,
    /// The manifest's outputs: where to look for what is already published.
    pub(crate) outputs: &'a [String],
    /// The output folders that are replaced as a set.
    pub(crate) replaced_sets: &'a [String],
    pub(crate) documents: &'a [Document],
}

/// What happened to one document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    Uploaded,
    /// The stored object already had these bytes, headers and stamp.
    Unchanged,
    /// A `current` document or alias for this newer date is published; this run left it.
    KeptNewer(Date),
    /// The upload failed (after the client's retries); the old object is in place. The report's
    /// `errors` say why.
    Failed,
    /// Not attempted: a document it waits for failed (an alias waits for every file).
    Held,
    /// Left for a later date of the same run, which publishes the path's newest version (a
    /// backfill's `current` documents and aliases; see `jobs/deferred.rs`).
    Deferred,
}

impl Outcome {
    /// The outcome's name in reports and the run manifest.
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Outcome::Uploaded => "uploaded",
            Outcome::Unchanged => "unchanged",
            Outcome::KeptNewer(_) => "kept-newer",
            Outcome::Failed => "failed",
            Outcome::Held => "held",
            Outcome::Deferred => "deferred",
        }
    }

    /// Whether an outcome named `name` (as a run manifest records it) left the path in the
    /// store as published, or with a newer date's version.
    pub(crate) fn left_published(name: &str) -> bool {
        [
            Outcome::Uploaded,
            Outcome::Unchanged,
            Outcome::KeptNewer(Date::MIN),
        ]
        .iter()
        .any(|o| o.name() == name)
    }
}

/// One document's line in the report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct DocumentOutcome {
    pub(crate) path: String,
    pub(crate) kind: DocumentKind,
    /// SHA-256 of the document's body (before any compression), in hex.
    pub(crate) sha256: String,
    /// The body's size.
    pub(crate) bytes: usize,
    pub(crate) outcome: Outcome,
    /// The date it was published for, when a later date of the run published it.
    pub(crate) date: Option<Date>,
}

/// What a batch did, document by document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct BatchReport {
    /// In the batch's order.
    pub(crate) documents: Vec<DocumentOutcome>,
    /// Leftovers of replaced sets that were removed.
    pub(crate) removed: Vec<String>,
    /// Each failure, naming the object; empty when everything was published.
    pub(crate) errors: Vec<String>,
}

impl BatchReport {
    /// The report of `documents` left for a later date of the run.
    pub(crate) fn deferred(documents: &[Document]) -> BatchReport {
        BatchReport::with_outcome(documents, Outcome::Deferred)
    }

    /// The report of `documents` held back, not attempted, because of a failure.
    pub(crate) fn held(documents: &[Document]) -> BatchReport {
        BatchReport::with_outcome(documents, Outcome::Held)
    }

    /// Marks the reported `documents` as held back instead of what they were.
    pub(crate) fn hold_back(&mut self, documents: &[Document]) {
        for reported in &mut self.documents {
            if documents.iter().any(|d| d.path == reported.path) {
                reported.outcome = Outcome::Held;
            }
        }
    }

    /// The batch's changes were undone: what it uploaded or removed is as it was.
    fn rolled_back(&mut self) {
        for reported in &mut self.documents {
            if reported.outcome == Outcome::Uploaded {
                reported.outcome = Outcome::Held;
            }
        }
        self.removed.clear();
    }

    fn with_outcome(documents: &[Document], outcome: Outcome) -> BatchReport {
        BatchReport {
            documents: documents
                .iter()
                .map(|doc| DocumentOutcome {
                    path: doc.path.clone(),
                    kind: doc.kind,
                    sha256: sha256_hex(&doc.body),
                    bytes: doc.body.len(),
                    outcome: outcome.clone(),
                    date: None,
                })
                .collect(),
            removed: Vec::new(),
            errors: Vec::new(),
        }
    }

    /// Adds `other`'s documents, removals and errors; its documents were published for `date`
    /// when that is given.
    pub(crate) fn append(&mut self, other: BatchReport, date: Option<Date>) {
        self.documents.extend(
            other
                .documents
                .into_iter()
                .map(|d| DocumentOutcome { date, ..d }),
        );
        self.removed.extend(other.removed);
        self.errors.extend(other.errors);
    }

    /// How many documents ended each way, and the bytes uploaded; `documents` counts the
    /// batch's own, not those of earlier dates it published (appended with their date).
    pub(crate) fn tally(&self) -> Tally {
        let mut tally = Tally {
            documents: self.documents.iter().filter(|d| d.date.is_none()).count(),
            ..Tally::default()
        };
        for d in &self.documents {
            match d.outcome {
                Outcome::Uploaded => {
                    tally.uploaded += 1;
                    tally.bytes += d.bytes;
                }
                Outcome::Unchanged => tally.unchanged += 1,
                Outcome::KeptNewer(_) => tally.kept += 1,
                Outcome::Failed | Outcome::Held => tally.failed += 1,
                Outcome::Deferred => tally.deferred += 1,
            }
        }
        tally
    }
}

/// A batch's outcomes, counted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Tally {
    pub(crate) documents: usize,
    pub(crate) uploaded: usize,
    pub(crate) unchanged: usize,
    /// A newer date was already published there.
    pub(crate) kept: usize,
    /// Failed, or held back by a failure.
    pub(crate) failed: usize,
    /// Left for a later date of the run.
    pub(crate) deferred: usize,
    /// Bytes uploaded.
    pub(crate) bytes: usize,
}

/// A document to upload, and the condition it is uploaded on.
struct Upload {
    index: usize,
    object: NewObject,
    precondition: Option<Precondition>,
}

impl Publisher {
    pub(crate) fn new(store: Box<dyn Store>, settings: &PublishSettings) -> Publisher {
        Publisher {
            encoding: Encoding {
                cache_control: settings.cache_control.clone(),
                gzip: settings.gzip,
                headers: store.keeps_headers(),
            },
            store,
            concurrency: settings.concurrency.max(1),
        }
    }

    /// The store, for checks and the run manifest.
    pub(crate) fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The object `doc` becomes on this store (the run manifest is written this way too).
    pub(super) fn object_for(&self, doc: &Document, stamp: Stamp) -> NewObject {
        self.encoding.object(doc, stamp)
    }

    /// Publishes one batch; see the module docs for the steps.
    pub(crate) async fn publish(&self, batch: &Batch<'_>) -> BatchReport {
        let mut report = BatchReport::held(batch.documents);
        let stored = match self.stored(batch).await {
            Ok(stored) => stored,
            Err(e) => {
                report.errors.push(format!(
                    "failed to read what {} holds under the exporter's outputs: {e:#}",
                    self.store.describe()
                ));
                return report;
            }
        };
        let newer_sets = newer_sets(batch, &stored);
        let mut uploads = Vec::new();
        for (index, doc) in batch.documents.iter().enumerate() {
            let stamp = Stamp {
                exporter: batch.exporter.to_string(),
                kind: doc.kind,
                date: batch.date,
            };
            let object = self.encoding.object(doc, stamp);
            let existing = stored.get(&doc.path);
            if let Some(newer) = newer_than(batch, doc, existing, &newer_sets) {
                report.documents[index].outcome = Outcome::KeptNewer(newer);
                continue;
            }
            if existing.is_some_and(|e| unchanged(e, &object)) {
                report.documents[index].outcome = Outcome::Unchanged;
                continue;
            }
            uploads.push(Upload {
                index,
                object,
                precondition: replacing(existing),
            });
        }
        if let Err(e) = self.store.begin_batch(batch.exporter).await {
            report.errors.push(format!(
                "failed to start journaling the batch on {}: {e:#}",
                self.store.describe()
            ));
            return report;
        }
        self.write(batch, uploads, &stored, &newer_sets, &mut report)
            .await;
        let interrupted = crate::interrupt::requested();
        match self.store.end_batch(batch.exporter, !interrupted).await {
            Ok(true) => report.rolled_back(),
            Ok(false) => {}
            Err(e) => report.errors.push(format!(
                "failed to end the batch's journal on {} (the next run finishes it): {e:#}",
                self.store.describe()
            )),
        }
        if interrupted {
            report
                .errors
                .push("the run was interrupted before this batch was done".into());
        }
        report
    }

    /// Writes the batch's uploads (files, then aliases only if every file succeeded), then,
    /// only if all succeeded, removes the replaced sets' leftovers and records the sets.
    async fn write(
        &self,
        batch: &Batch<'_>,
        uploads: Vec<Upload>,
        stored: &HashMap<String, StoredObject>,
        newer_sets: &[(&str, Date)],
        report: &mut BatchReport,
    ) {
        let (aliases, files): (Vec<Upload>, Vec<Upload>) = uploads
            .into_iter()
            .partition(|u| u.object.stamp.kind == DocumentKind::Alias);
        self.upload(files, report).await;
        if !report.errors.is_empty() || crate::interrupt::requested() {
            return;
        }
        self.upload(aliases, report).await;
        if !report.errors.is_empty() || crate::interrupt::requested() {
            return;
        }
        self.remove_leftovers(batch, stored, newer_sets, report)
            .await;
        if report.errors.is_empty() && !crate::interrupt::requested() {
            self.record_sets(batch, stored, newer_sets, report).await;
        }
    }

    /// What is stored for the batch, by path: each replaced set listed whole; another folder
    /// listed when the store lists cheaply and the batch writes many documents there (a bucket:
    /// one request for a thousand objects), else looked up document by document (a few dated
    /// files and an alias among a season's history; or a local folder, where listing would read
    /// every older file).
    async fn stored(&self, batch: &Batch<'_>) -> anyhow::Result<HashMap<String, StoredObject>> {
        let mut stored = HashMap::new();
        for prefix in batch.replaced_sets {
            let found = self.store.list(prefix).await?;
            stored.extend(found.into_iter().map(|o| (o.path.clone(), o)));
        }
        for output in batch.outputs {
            if batch.replaced_sets.contains(output) {
                continue;
            }
            let under = |path: &str| {
                path == output.as_str()
                    || (output.ends_with('/') && path.starts_with(output.as_str()))
            };
            let written = batch.documents.iter().filter(|d| under(&d.path));
            if output.ends_with('/')
                && self.store.lists_cheaply()
                && written.clone().count() > LOOKUPS_BEFORE_LISTING
            {
                let found = self.store.list(output).await?;
                stored.extend(found.into_iter().map(|o| (o.path.clone(), o)));
                continue;
            }
            for doc in written {
                if !stored.contains_key(&doc.path)
                    && let Some(found) = self.store.stat(&doc.path).await?
                {
                    stored.insert(doc.path.clone(), found);
                }
            }
        }
        for prefix in batch.replaced_sets {
            let record = set_record_path(batch.exporter, prefix);
            if let Some(found) = self.store.stat(&record).await? {
                stored.insert(record, found);
            }
        }
        Ok(stored)
    }

    /// Records the date of each replaced set this batch published (unless it is already
    /// recorded, or the set is newer than the batch).
    async fn record_sets(
        &self,
        batch: &Batch<'_>,
        stored: &HashMap<String, StoredObject>,
        newer_sets: &[(&str, Date)],
        report: &mut BatchReport,
    ) {
        for prefix in batch.replaced_sets {
            if newer_sets.iter().any(|(set, _)| set == prefix) {
                continue;
            }
            let path = set_record_path(batch.exporter, prefix);
            let pages = batch
                .documents
                .iter()
                .filter(|d| d.kind == DocumentKind::Current && d.path.starts_with(prefix.as_str()))
                .count();
            let body = serde_json::json!({
                "exporter": batch.exporter,
                "set": prefix,
                "date": batch.date.to_string(),
                "pages": pages,
            });
            let record = Document {
                path: path.clone(),
                body: serde_json::to_vec(&body).expect("a set record serializes"),
                kind: DocumentKind::Current,
            };
            let stamp = Stamp {
                exporter: batch.exporter.to_string(),
                kind: DocumentKind::Current,
                date: batch.date,
            };
            let object = self.encoding.object(&record, stamp);
            let existing = stored.get(&path);
            if existing.is_some_and(|e| unchanged(e, &object)) {
                continue;
            }
            if let Err(e) = self.store.put(&object, replacing(existing)).await {
                report.errors.push(format!(
                    "failed to record the date of the replaced set `{prefix}` in `{path}` on {}: {e:#}",
                    self.store.describe()
                ));
            }
        }
    }

    /// Uploads `uploads`, at most `concurrency` at a time, recording each outcome.
    async fn upload(&self, uploads: Vec<Upload>, report: &mut BatchReport) {
        // `None`: not started, because the run was interrupted.
        let results: Vec<(usize, Option<anyhow::Result<()>>)> = futures::stream::iter(uploads)
            .map(|upload| async move {
                if crate::interrupt::requested() {
                    return (upload.index, None);
                }
                let result = self.store.put(&upload.object, upload.precondition).await;
                (upload.index, Some(result))
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        let mut failures: Vec<(usize, String)> = Vec::new();
        for (index, result) in results {
            report.documents[index].outcome = match result {
                None => Outcome::Held,
                Some(Ok(())) => Outcome::Uploaded,
                Some(Err(e)) => {
                    failures.push((index, format!("{e:#}")));
                    Outcome::Failed
                }
            };
        }
        failures.sort();
        for (index, message) in failures {
            report.errors.push(format!(
                "failed to publish `{}` to {}: {message}",
                report.documents[index].path,
                self.store.describe()
            ));
        }
    }

    /// Removes what earlier runs of this exporter published in its replaced sets and this run
    /// did not, unless the set already holds a newer date.
    async fn remove_leftovers(
        &self,
        batch: &Batch<'_>,
        stored: &HashMap<String, StoredObject>,
        newer_sets: &[(&str, Date)],
        report: &mut BatchReport,
    ) {
        let produced: std::collections::HashSet<&str> =
            batch.documents.iter().map(|d| d.path.as_str()).collect();
        let mut leftovers: Vec<&StoredObject> = Vec::new();
        for prefix in batch.replaced_sets {
            if newer_sets.iter().any(|(set, _)| set == prefix) {
                continue;
            }
            leftovers.extend(stored.values().filter(|o| {
                o.path.starts_with(prefix.as_str())
                    && !produced.contains(o.path.as_str())
                    && o.stamp.as_ref().is_some_and(|s| {
                        s.exporter == batch.exporter && s.kind == DocumentKind::Current
                    })
            }));
        }
        leftovers.sort_by(|a, b| a.path.cmp(&b.path));
        let results: Vec<(String, anyhow::Result<()>)> = futures::stream::iter(leftovers)
            .map(|object| async move {
                let precondition = object.generation.map(Precondition::Generation);
                let result = self.store.delete(&object.path, precondition).await;
                (object.path.clone(), result)
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await;
        let mut results = results;
        results.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, result) in results {
            match result {
                Ok(()) => report.removed.push(path),
                Err(e) => report.errors.push(format!(
                    "failed to remove `{path}`, left over from an earlier run of the replaced set, from {}: {e:#}",
                    self.store.describe()
                )),
            }
        }
    }
}

/// The date of a newer `current` document or alias that `doc` must not replace: the stored
/// object's own, or, in a replaced set, the set's newest.
fn newer_than(
    batch: &Batch<'_>,
    doc: &Document,
    existing: Option<&StoredObject>,
    newer_sets: &[(&str, Date)],
) -> Option<Date> {
    if doc.kind == DocumentKind::Dated {
        return None;
    }
    let own = existing
        .and_then(|e| e.stamp.as_ref())
        .map(|s| s.date)
        .filter(|d| *d > batch.date);
    let set = || {
        newer_sets
            .iter()
            .find(|(prefix, _)| doc.kind == DocumentKind::Current && doc.path.starts_with(prefix))
            .map(|(_, date)| *date)
    };
    own.or_else(set)
}

/// The replaced sets that already hold a newer date than the batch's, with that date: this
/// batch leaves them as they are. Found once per batch, from what is stored.
fn newer_sets<'a>(
    batch: &Batch<'a>,
    stored: &HashMap<String, StoredObject>,
) -> Vec<(&'a str, Date)> {
    batch
        .replaced_sets
        .iter()
        .filter_map(|prefix| {
            let newest = newest_stamp(stored, batch.exporter, prefix)?;
            (newest > batch.date).then_some((prefix.as_str(), newest))
        })
        .collect()
}

/// Where the date of `exporter`'s replaced set `prefix` is recorded.
fn set_record_path(exporter: &str, prefix: &str) -> String {
    format!("{RUNS_FOLDER}sets/{exporter}/{prefix}set.json")
}

/// The newest date among the `current` documents `exporter` published under `prefix`, and the
/// set's record.
fn newest_stamp(
    stored: &HashMap<String, StoredObject>,
    exporter: &str,
    prefix: &str,
) -> Option<Date> {
    let record = set_record_path(exporter, prefix);
    stored
        .values()
        .filter(|o| o.path.starts_with(prefix) || o.path == record)
        .filter_map(|o| o.stamp.as_ref())
        .filter(|s| s.exporter == exporter && s.kind == DocumentKind::Current)
        .map(|s| s.date)
        .max()
}

/// The condition for writing over `existing`: that it is still what was read (absent, or at
/// its generation), so a concurrent run's newer object is never overwritten unseen.
fn replacing(existing: Option<&StoredObject>) -> Option<Precondition> {
    match existing {
        None => Some(Precondition::Absent),
        Some(e) => e.generation.map(Precondition::Generation),
    }
}

/// Whether writing `object` would leave `stored` as it is: the same bytes (by the store's MD5),
/// cache and encoding headers, and stamp. The content type is not compared: every object
/// propcast writes is `application/json` (and fake-gcs-server drops the one the client sends).
fn unchanged(stored: &StoredObject, object: &NewObject) -> bool {
    stored.md5 == Some(object.md5)
        && stored.headers.cache_control == object.headers.cache_control
        && stored.headers.content_encoding == object.headers.content_encoding
        && stored.stamp.as_ref() == Some(&object.stamp)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;

    use super::*;
    use crate::publish::local::LocalStore;

    /// A folder whose `fail_at`-th put (counting from 1) and every later put of that path
    /// fails, as an upload that failed after its retries would.
    struct Faulty {
        inner: LocalStore,
        puts: AtomicUsize,
        fail_at: usize,
        failed_path: std::sync::Mutex<Option<String>>,
    }

    #[async_trait]
    impl Store for Faulty {
        fn describe(&self) -> String {
            self.inner.describe()
        }
        fn locator(&self) -> String {
            self.inner.locator()
        }
        fn keeps_headers(&self) -> bool {
            false
        }
        fn lists_cheaply(&self) -> bool {
            false
        }
        async fn check_writable(&self) -> anyhow::Result<()> {
            self.inner.check_writable().await
        }
        async fn list(&self, prefix: &str) -> anyhow::Result<Vec<StoredObject>> {
            self.inner.list(prefix).await
        }
        async fn stat(&self, path: &str) -> anyhow::Result<Option<StoredObject>> {
            self.inner.stat(path).await
        }
        async fn read(&self, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
            self.inner.read(path).await
        }
        async fn put(&self, object: &NewObject, p: Option<Precondition>) -> anyhow::Result<()> {
            let n = self.puts.fetch_add(1, Ordering::SeqCst) + 1;
            {
                let mut failed = self.failed_path.lock().unwrap();
                if n == self.fail_at || failed.as_deref() == Some(object.path.as_str()) {
                    *failed = Some(object.path.clone());
                    anyhow::bail!("503 Service Unavailable");
                }
            }
            self.inner.put(object, p).await
        }
        async fn delete(&self, path: &str, p: Option<Precondition>) -> anyhow::Result<()> {
            self.inner.delete(path, p).await
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    fn doc(path: &str, kind: DocumentKind, body: &str) -> Document {
        Document {
            path: path.into(),
            body: body.as_bytes().to_vec(),
            kind,
        }
    }

    /// A streaks-like day: the dated file and its alias.
    fn day(date: &str) -> Vec<Document> {
        vec![
            doc(&format!("v1/s/{date}.json"), DocumentKind::Dated, date),
            doc("v1/s/today.json", DocumentKind::Alias, date),
        ]
    }

    fn publish(
        store: Box<dyn Store>,
        date: &str,
        documents: &[Document],
        sets: &[String],
    ) -> BatchReport {
        let outputs = ["v1/s/".to_string()];
        let publisher = Publisher::new(store, &PublishSettings::default());
        block_on(publisher.publish(&Batch {
            exporter: "s",
            date: date.parse().unwrap(),
            outputs: &outputs,
            replaced_sets: sets,
            documents,
        }))
    }

    fn read(dir: &Path, path: &str) -> String {
        std::fs::read_to_string(dir.join(path)).unwrap_or_else(|_| "<missing>".into())
    }

    use std::path::Path;

    fn outcomes(report: &BatchReport) -> Vec<&'static str> {
        report.documents.iter().map(|d| d.outcome.name()).collect()
    }

    #[test]
    fn a_rerun_uploads_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let first = publish(
            Box::new(LocalStore::new(dir.path(), false)),
            "2024-01-10",
            &day("2024-01-10"),
            &[],
        );
        assert_eq!(outcomes(&first), ["uploaded", "uploaded"]);
        assert_eq!(first.tally().bytes, 20);
        let again = publish(
            Box::new(LocalStore::new(dir.path(), false)),
            "2024-01-10",
            &day("2024-01-10"),
            &[],
        );
        assert_eq!(outcomes(&again), ["unchanged", "unchanged"]);
        assert!(again.errors.is_empty());
    }

    #[test]
    fn an_older_date_never_moves_an_alias_back() {
        let dir = tempfile::tempdir().unwrap();
        publish(
            Box::new(LocalStore::new(dir.path(), false)),
            "2024-01-17",
            &day("2024-01-17"),
            &[],
        );
        let older = publish(
            Box::new(LocalStore::new(dir.path(), false)),
            "2024-01-10",
            &day("2024-01-10"),
            &[],
        );
        assert_eq!(outcomes(&older), ["uploaded", "kept-newer"]);
        assert_eq!(
            older.documents[1].outcome,
            Outcome::KeptNewer("2024-01-17".parse().unwrap())
        );
        assert_eq!(read(dir.path(), "v1/s/2024-01-10.json"), "2024-01-10");
        assert_eq!(read(dir.path(), "v1/s/today.json"), "2024-01-17");
        let newer = publish(
            Box::new(LocalStore::new(dir.path(), false)),
            "2024-01-18",
            &day("2024-01-18"),
            &[],
        );
        assert_eq!(outcomes(&newer), ["uploaded", "uploaded"]);
        assert_eq!(read(dir.path(), "v1/s/today.json"), "2024-01-18");
    }

    #[test]
    fn a_failed_upload_holds_the_aliases_and_names_the_object() {
        let dir = tempfile::tempdir().unwrap();
        publish(
            Box::new(LocalStore::new(dir.path(), false)),
            "2024-01-10",
            &day("2024-01-10"),
            &[],
        );
        let faulty = Faulty {
            inner: LocalStore::new(dir.path(), false),
            puts: AtomicUsize::new(0),
            fail_at: 1,
            failed_path: Default::default(),
        };
        let report = publish(Box::new(faulty), "2024-01-11", &day("2024-01-11"), &[]);
        assert_eq!(outcomes(&report), ["failed", "held"]);
        assert_eq!(
            report.errors,
            [format!(
                "failed to publish `v1/s/2024-01-11.json` to folder `{}`: 503 Service Unavailable",
                dir.path().display()
            )]
        );
        assert_eq!(read(dir.path(), "v1/s/today.json"), "2024-01-10");
        assert_eq!(read(dir.path(), "v1/s/2024-01-11.json"), "<missing>");
    }

    fn pages(date: &str, players: &[&str]) -> Vec<Document> {
        players
            .iter()
            .map(|p| {
                doc(
                    &format!("v1/s/player/{p}.json"),
                    DocumentKind::Current,
                    &format!("{p} {date}"),
                )
            })
            .collect()
    }

    #[test]
    fn a_replaced_set_loses_the_pages_this_run_did_not_produce() {
        let dir = tempfile::tempdir().unwrap();
        let sets = ["v1/s/player/".to_string()];
        let store = || Box::new(LocalStore::new(dir.path(), false));
        publish(
            store(),
            "2024-01-17",
            &pages("2024-01-17", &["ann", "bo", "cy"]),
            &sets,
        );
        // An older date changes nothing in the newer set, not even a page it lacks.
        let older = publish(
            store(),
            "2024-01-10",
            &pages("2024-01-10", &["ann", "dee"]),
            &sets,
        );
        assert_eq!(outcomes(&older), ["kept-newer", "kept-newer"]);
        assert!(older.removed.is_empty());
        assert_eq!(read(dir.path(), "v1/s/player/dee.json"), "<missing>");
        // A failed run removes nothing.
        let faulty = Faulty {
            inner: LocalStore::new(dir.path(), false),
            puts: AtomicUsize::new(0),
            fail_at: 2,
            failed_path: Default::default(),
        };
        let failed = publish(
            Box::new(faulty),
            "2024-02-18",
            &pages("2024-02-18", &["ann", "dee"]),
            &sets,
        );
        assert_eq!(outcomes(&failed), ["uploaded", "failed"]);
        assert!(failed.removed.is_empty());
        assert_eq!(read(dir.path(), "v1/s/player/cy.json"), "cy 2024-01-17");
        // The next run that succeeds replaces the set.
        let replaced = publish(
            store(),
            "2024-02-18",
            &pages("2024-02-18", &["ann", "dee"]),
            &sets,
        );
        assert_eq!(outcomes(&replaced), ["unchanged", "uploaded"]);
        assert_eq!(
            replaced.removed,
            ["v1/s/player/bo.json", "v1/s/player/cy.json"]
        );
        assert_eq!(read(dir.path(), "v1/s/player/bo.json"), "<missing>");
        // An empty night empties the set, and the set still knows its date.
        let empty = publish(store(), "2024-02-19", &[], &sets);
        assert_eq!(
            empty.removed,
            ["v1/s/player/ann.json", "v1/s/player/dee.json"]
        );
        let older = publish(store(), "2024-02-10", &pages("2024-02-10", &["eve"]), &sets);
        assert_eq!(outcomes(&older), ["kept-newer"]);
        assert_eq!(read(dir.path(), "v1/s/player/eve.json"), "<missing>");
        let rerun = publish(store(), "2024-02-19", &[], &sets);
        assert!(rerun.errors.is_empty() && rerun.removed.is_empty());
    }

    #[test]
    fn dated_files_and_other_files_are_never_removed() {
        let dir = tempfile::tempdir().unwrap();
        let sets = ["v1/s/".to_string()];
        let store = || Box::new(LocalStore::new(dir.path(), false));
        publish(store(), "2024-01-10", &day("2024-01-10"), &sets);
        std::fs::write(dir.path().join("v1/s/hand-made.json"), "{}").unwrap();
        let next = publish(store(), "2024-01-11", &[], &sets);
        assert!(next.removed.is_empty(), "{:?}", next.removed);
        assert_eq!(read(dir.path(), "v1/s/2024-01-10.json"), "2024-01-10");
        assert_eq!(read(dir.path(), "v1/s/hand-made.json"), "{}");
    }
}
