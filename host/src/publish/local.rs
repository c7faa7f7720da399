//! A local folder as a [`Store`]: the default destination, and what `--out DIR` selects.
//!
//! Each object is written to a temporary file beside its target and renamed over it, which
//! replaces the old file in one step: a reader opens the old bytes or the new, never a missing
//! or half-written file. A folder keeps no headers (and so no gzip).
//!
//! Each file's stamp is an extended attribute of the file (`user.propcast.stamp`, JSON), set on
//! the temporary file, so bytes and stamp arrive together in the one rename. On a file system
//! that refuses user attributes (found once, by the write check), the stamp lives in a small
//! JSON file under `.propcast/objects/` in the folder instead, written just before the file
//! itself: if the file then fails, the newer stamp on the old bytes only keeps older runs away,
//! and the next run of that date rewrites the file (its MD5 differs). The other order could let
//! a new alias stand under an old stamp, which an older run would then move back. Stamps are
//! read from the attribute first, then from the stamp file (folders published before attributes
//! were used); a put with attributes removes the file's old stamp file.
//!
//! Why attributes: a backfill replaces hundreds of thousands of files, and on ext4 each new
//! file (the temporary one) costs an inode allocation that slows as files churn; a stamp file
//! doubled that (docs/performance.md).
//! Names starting with `.` (temporary files, `.propcast`) are never listed as objects.
//!
//! A batch's changes are journaled ([`super::journal`]) so an interrupted batch is rolled back,
//! by this run (Ctrl-C) or by the next (a crash).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context as _, bail};
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::journal::Journal;
use super::{Headers, NewObject, Precondition, Stamp, Store, StoredObject};
use crate::data::DocumentKind;
use crate::files::{replace_file, replace_file_with};

/// Where the stamps live, inside the folder, when the file system takes no user attributes.
const STAMPS: &str = ".propcast/objects";
/// The extended attribute holding a file's stamp.
const STAMP_ATTRIBUTE: &str = "user.propcast.stamp";

/// A folder that receives objects at their relative paths.
pub(crate) struct LocalStore {
    root: PathBuf,
    /// How stamps are written, decided once per folder.
    stamps: OnceLock<StampKeeping>,
    /// Whether to wait for another run's lock on the folder rather than fail.
    wait_for_lock: bool,
    /// The folder itself, opened and locked from [`Store::check_writable`] until the store is
    /// dropped, so two runs never publish into one folder at once (nothing is added to it).
    lock: OnceLock<fs::File>,
    /// The undo journal of the batches being published, opened with the lock.
    journal: OnceLock<Journal>,
}

/// Another run holds the folder: the run stops before anything runs.
#[derive(Debug, thiserror::Error)]
#[error(
    "another propcast run is publishing to `{folder}` (it holds the folder's lock)\n\n\
     Consider waiting for it, or `--wait-lock` to wait here"
)]
pub(crate) struct FolderBusy {
    folder: String,
}

/// Where this folder's stamps are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum StampKeeping {
    /// In each file's attribute; `old_files` when stamp files of earlier versions may remain.
    Attribute { old_files: bool },
    /// In stamp files under `.propcast/objects/`.
    Files,
}

/// A stamp as it is stored beside a file.
#[derive(Serialize, Deserialize)]
struct StampFile {
    exporter: String,
    kind: String,
    date: String,
}

impl LocalStore {
    /// The folder `root`; a second run publishing there fails, or waits when `wait_for_lock`.
    pub(crate) fn new(root: &Path, wait_for_lock: bool) -> LocalStore {
        LocalStore {
            root: root.to_path_buf(),
            stamps: OnceLock::new(),
            wait_for_lock,
            lock: OnceLock::new(),
            journal: OnceLock::new(),
        }
    }

    /// Takes the folder's lock for this run (once), failing or waiting when another run has it.
    fn take_lock(&self) -> anyhow::Result<()> {
        if self.lock.get().is_some() {
            return Ok(());
        }
        let path = &self.root;
        let file = fs::File::open(path)
            .with_context(|| format!("failed to open the folder `{}`", path.display()))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) if self.wait_for_lock => {
                tracing::warn!(
                    "another propcast run is publishing to `{}`; waiting for it to finish",
                    self.root.display()
                );
                file.lock()
                    .with_context(|| format!("failed to lock `{}`", path.display()))?;
            }
            Err(fs::TryLockError::WouldBlock) => {
                return Err(FolderBusy {
                    folder: self.root.display().to_string(),
                }
                .into());
            }
            Err(fs::TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("failed to lock `{}`", path.display()));
            }
        }
        let _ = self.lock.set(file);
        let (journal, recovered) = Journal::open(path)?;
        if !recovered.batches.is_empty() {
            tracing::warn!(
                "rolled back what a run that stopped mid-publish left half-published in `{}` \
                 (exporters {})",
                path.display(),
                recovered.batches.join(", ")
            );
        }
        if recovered.temporary_files > 0 {
            tracing::warn!(
                "removed {} temporary files a run that stopped left in `{}`",
                recovered.temporary_files,
                path.display()
            );
        }
        let _ = self.journal.set(journal);
        Ok(())
    }

    /// Journals that `exporter`'s batch is about to change the file at `path`, if a batch of
    /// it is open.
    fn before_change(&self, exporter: &str, path: &str) -> anyhow::Result<()> {
        match self.journal.get() {
            Some(journal) => journal.before_change(exporter, path),
            None => Ok(()),
        }
    }

    /// How this folder keeps stamps: in attributes if a probe file in the (existing) folder
    /// takes one, else in stamp files.
    fn stamp_keeping(&self) -> StampKeeping {
        *self.stamps.get_or_init(|| {
            let probe = self
                .root
                .join(format!(".attribute-check.{}.tmp", std::process::id()));
            let takes_attributes = fs::write(&probe, b"")
                .and_then(|()| xattr::set(&probe, STAMP_ATTRIBUTE, b"{}"))
                .is_ok();
            let _ = fs::remove_file(&probe);
            if takes_attributes {
                StampKeeping::Attribute {
                    old_files: self.root.join(STAMPS).is_dir(),
                }
            } else {
                StampKeeping::Files
            }
        })
    }

    fn stamp_path(&self, path: &str) -> PathBuf {
        self.root.join(stamp_file_path(path))
    }

    /// The stamp of the file at `path`: its attribute's, else its stamp file's.
    fn read_stamp(&self, path: &str) -> Option<Stamp> {
        match xattr::get(self.root.join(path), STAMP_ATTRIBUTE) {
            Ok(Some(text)) => parse_stamp(&text),
            _ => self.read_stamp_file(path),
        }
    }

    /// The stamp in the stamp file of `path`, if there is one.
    fn read_stamp_file(&self, path: &str) -> Option<Stamp> {
        parse_stamp(&fs::read(self.stamp_path(path)).ok()?)
    }

    /// Removes the stamp file of `path`, if there is one.
    fn remove_stamp_file(&self, path: &str) -> anyhow::Result<()> {
        let file = self.stamp_path(path);
        match fs::remove_file(&file) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                Err(e).with_context(|| format!("failed to remove `{}`", file.display()))
            }
            _ => Ok(()),
        }
    }

    fn stat_sync(&self, path: &str) -> anyhow::Result<Option<StoredObject>> {
        let file = self.root.join(path);
        let bytes = match fs::read(&file) {
            Ok(bytes) => bytes,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::IsADirectory
                ) =>
            {
                return Ok(None);
            }
            Err(e) => {
                return Err(e).with_context(|| format!("failed to read `{}`", file.display()));
            }
        };
        Ok(Some(StoredObject {
            path: path.to_string(),
            md5: Some(md5::compute(&bytes).0),
            headers: Headers::default(),
            stamp: self.read_stamp(path),
            generation: None,
        }))
    }

    /// The relative paths of the files under `dir` (relative `prefix`), skipping hidden names.
    fn walk(&self, prefix: &str, found: &mut Vec<String>) -> anyhow::Result<()> {
        let dir = self.root.join(prefix);
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(e).with_context(|| format!("failed to list `{}`", dir.display()));
            }
        };
        for entry in entries {
            let entry = entry.with_context(|| format!("failed to list `{}`", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let path = format!("{prefix}{name}");
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                self.walk(&format!("{path}/"), found)?;
            } else {
                found.push(path);
            }
        }
        Ok(())
    }
}

/// Where the stamp file of `path` is, relative to the folder.
fn stamp_file_path(path: &str) -> String {
    format!("{STAMPS}/{path}.stamp.json")
}

/// A stamp from its JSON; `None` when it is not one.
fn parse_stamp(text: &[u8]) -> Option<Stamp> {
    let file: StampFile = serde_json::from_slice(text).ok()?;
    Some(Stamp {
        exporter: file.exporter,
        kind: DocumentKind::from_name(&file.kind)?,
        date: file.date.parse().ok()?,
    })
}

#[async_trait]
impl Store for LocalStore {
    fn describe(&self) -> String {
        format!("folder `{}`", self.root.display())
    }

    fn locator(&self) -> String {
        self.root.display().to_string()
    }

    fn keeps_headers(&self) -> bool {
        false
    }

    fn lists_cheaply(&self) -> bool {
        false
    }

    async fn check_writable(&self) -> anyhow::Result<()> {
        fs::create_dir_all(&self.root).with_context(|| {
            format!(
                "failed to create the output folder `{}`",
                self.root.display()
            )
        })?;
        self.take_lock()?;
        let probe = self
            .root
            .join(format!(".write-check.{}.tmp", std::process::id()));
        fs::write(&probe, b"")
            .and_then(|()| fs::remove_file(&probe))
            .with_context(|| {
                format!(
                    "the output folder `{}` is not writable",
                    self.root.display()
                )
            })?;
        self.stamp_keeping();
        Ok(())
    }

    async fn list(&self, prefix: &str) -> anyhow::Result<Vec<StoredObject>> {
        let paths = self.list_paths(prefix).await?;
        let mut objects = Vec::with_capacity(paths.len());
        for path in paths {
            objects.extend(self.stat_sync(&path)?);
        }
        Ok(objects)
    }

    async fn list_paths(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        let mut paths = Vec::new();
        self.walk(prefix, &mut paths)?;
        paths.sort();
        Ok(paths)
    }

    async fn stat(&self, path: &str) -> anyhow::Result<Option<StoredObject>> {
        self.stat_sync(path)
    }

    async fn read(&self, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let file = self.root.join(path);
        match std::fs::read(&file) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("failed to read `{}`", file.display())),
        }
    }

    async fn put(
        &self,
        object: &NewObject,
        _precondition: Option<Precondition>,
    ) -> anyhow::Result<()> {
        let stamp = StampFile {
            exporter: object.stamp.exporter.clone(),
            kind: object.stamp.kind.name().to_string(),
            date: object.stamp.date.to_string(),
        };
        let text = serde_json::to_vec(&stamp).expect("a stamp serializes");
        let target = self.root.join(&object.path);
        let exporter = object.stamp.exporter.as_str();
        let mut created = self.create_folders_for(exporter, &object.path)?;
        let mut written = self.write_object(object, &target, &text);
        if written.is_err() && target.parent().is_some_and(|folder| !folder.is_dir()) {
            // Another write's failure removed a folder this one had found: make it again.
            created = self.create_folders_for(exporter, &object.path)?;
            written = self.write_object(object, &target, &text);
        }
        if written.is_err() {
            // A failed write leaves no folder it created behind.
            for folder in created.iter().rev() {
                let _ = fs::remove_dir(folder);
            }
        }
        written
    }

    async fn begin_batch(&self, exporter: &str) -> anyhow::Result<()> {
        match self.journal.get() {
            Some(journal) => journal.begin(exporter),
            None => Ok(()),
        }
    }

    async fn end_batch(&self, exporter: &str, keep: bool) -> anyhow::Result<bool> {
        match self.journal.get() {
            Some(journal) => journal.end(exporter, keep).map(|()| !keep),
            None => Ok(false),
        }
    }

    async fn delete(&self, path: &str, _precondition: Option<Precondition>) -> anyhow::Result<()> {
        let file = self.root.join(path);
        // A batch removes only its own exporter's files, so the stamp names the batch.
        if let Some(stamp) = self.read_stamp(path) {
            self.before_change(&stamp.exporter, path)?;
            if self.stamp_path(path).is_file() {
                self.before_change(&stamp.exporter, &stamp_file_path(path))?;
            }
        }
        match fs::remove_file(&file) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => {
                return Err(e).with_context(|| format!("failed to remove `{}`", file.display()));
            }
            _ => {}
        }
        self.remove_stamp_file(path)
    }
}

impl Drop for LocalStore {
    fn drop(&mut self) {
        if let Some(journal) = self.journal.get() {
            journal.close();
        }
    }
}

impl LocalStore {
    /// Creates the folders `path` (relative to the root) lies in, one by one, never through a
    /// symbolic link (a link planted inside the output folder would lead the write outside
    /// it); returns those it created, outermost first, journaled for `exporter`'s batch.
    fn create_folders_for(&self, exporter: &str, path: &str) -> anyhow::Result<Vec<PathBuf>> {
        let mut created = Vec::new();
        let mut folder = self.root.clone();
        let Some((folders, _file)) = path.rsplit_once('/') else {
            return Ok(created);
        };
        for segment in folders.split('/') {
            folder.push(segment);
            match fs::symlink_metadata(&folder) {
                Ok(meta) if meta.file_type().is_symlink() => bail!(
                    "`{}` is a symbolic link; propcast never follows links inside the output \
                     folder\n\nConsider removing the link",
                    folder.display()
                ),
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => bail!("`{}` is a file where a folder must be", folder.display()),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    match fs::create_dir(&folder) {
                        Ok(()) => {
                            if let Some(journal) = self.journal.get() {
                                journal.created_folder(exporter, &folder)?;
                            }
                            created.push(folder.clone());
                        }
                        // Another thread of this run made it meanwhile.
                        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                        Err(e) => {
                            for made in created.iter().rev() {
                                let _ = fs::remove_dir(made);
                            }
                            return Err(e).with_context(|| {
                                format!("failed to create the folder `{}`", folder.display())
                            });
                        }
                    }
                }
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("failed to look at `{}`", folder.display()));
                }
            }
        }
        Ok(created)
    }

    /// Writes `object` to `target` with its stamp `text`, the way the folder keeps stamps,
    /// journaling each file it replaces for the object's exporter's batch.
    fn write_object(&self, object: &NewObject, target: &Path, text: &[u8]) -> anyhow::Result<()> {
        let exporter = object.stamp.exporter.as_str();
        self.before_change(exporter, &object.path)?;
        match self.stamp_keeping() {
            StampKeeping::Attribute { old_files } => {
                replace_file_with(target, &object.bytes, |file| {
                    xattr::FileExt::set_xattr(file, STAMP_ATTRIBUTE, text)
                })?;
                if old_files && self.stamp_path(&object.path).is_file() {
                    self.before_change(exporter, &stamp_file_path(&object.path))?;
                    self.remove_stamp_file(&object.path)?;
                }
                Ok(())
            }
            StampKeeping::Files => {
                // A rewritten document usually keeps its stamp (same exporter, kind and
                // date): then only the document is written.
                if self.read_stamp_file(&object.path).as_ref() != Some(&object.stamp) {
                    self.before_change(exporter, &stamp_file_path(&object.path))?;
                    replace_file(&self.stamp_path(&object.path), text)
                        .context("failed to record the file's stamp")?;
                }
                replace_file(target, &object.bytes)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(path: &str, body: &str) -> NewObject {
        NewObject {
            path: path.into(),
            bytes: body.as_bytes().to_vec().into(),
            md5: md5::compute(body).0,
            headers: Headers::default(),
            stamp: Stamp {
                exporter: "a".into(),
                kind: DocumentKind::Current,
                date: "2024-01-10".parse().unwrap(),
            },
        }
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn an_interrupted_batch_is_rolled_back_stamps_and_all() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), false);
        block_on(store.check_writable()).unwrap();
        let older = |path: &str, body: &str| NewObject {
            stamp: Stamp {
                date: "2024-01-09".parse().unwrap(),
                ..object(path, body).stamp
            },
            ..object(path, body)
        };
        block_on(store.put(&older("v1/a/today.json", "[9]"), None)).unwrap();
        block_on(store.put(&older("v1/a/set/2.json", "[2]"), None)).unwrap();
        let before = block_on(store.list("v1/")).unwrap();

        block_on(store.begin_batch("a")).unwrap();
        block_on(store.put(&object("v1/a/today.json", "[10]"), None)).unwrap();
        block_on(store.put(&object("v1/a/new/1.json", "[1]"), None)).unwrap();
        block_on(store.delete("v1/a/set/2.json", None)).unwrap();
        assert!(block_on(store.end_batch("a", false)).unwrap());

        assert_eq!(block_on(store.list("v1/")).unwrap(), before);
        assert!(!dir.path().join("v1/a/new").exists());
        assert_eq!(
            fs::read_dir(dir.path().join(".propcast/journal/batches"))
                .unwrap()
                .count(),
            0
        );
        drop(store);
        assert!(!dir.path().join(".propcast/journal/running").exists());
    }

    /// What the journal costs a batch that replaces every file (the worst case: each gets a
    /// hard link and a journal line), against the same puts with no batch open.
    /// `cargo test --release -p propcast journal_cost -- --ignored --nocapture`
    #[test]
    #[ignore = "a measurement, not a test"]
    fn journal_cost() {
        const FILES: usize = 5000;
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), false);
        block_on(store.check_writable()).unwrap();
        let objects: Vec<NewObject> = (0..FILES)
            .map(|i| object(&format!("v1/a/{}/{i}.json", i % 50), "[1,2,3]"))
            .collect();
        let put_all = |journaled: bool| {
            let started = std::time::Instant::now();
            block_on(async {
                if journaled {
                    store.begin_batch("a").await.unwrap();
                }
                for object in &objects {
                    store.put(object, None).await.unwrap();
                }
                if journaled {
                    store.end_batch("a", true).await.unwrap();
                }
            });
            started.elapsed().as_secs_f64()
        };
        put_all(false);
        // Interleaved rounds, medians: the file system's own noise (ext4 journal commits) is
        // larger than the difference.
        let (mut plain, mut journaled) = (Vec::new(), Vec::new());
        for _ in 0..11 {
            plain.push(put_all(false));
            journaled.push(put_all(true));
        }
        let median = |times: &mut Vec<f64>| {
            times.sort_by(f64::total_cmp);
            times[times.len() / 2]
        };
        let (plain, journaled) = (median(&mut plain), median(&mut journaled));
        println!(
            "{FILES} replaced files, median of 11: {:.1} ms without a journal, {:.1} ms with \
             one: {:.2}x",
            plain * 1000.0,
            journaled * 1000.0,
            journaled / plain
        );
    }

    #[test]
    fn a_link_inside_the_folder_is_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("v1")).unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), dir.path().join("v1/a")).unwrap();
        let store = LocalStore::new(dir.path(), false);
        let error = block_on(store.put(&object("v1/a/b/x.json", "[1]"), None)).unwrap_err();
        assert!(
            format!("{error:#}").contains("v1/a` is a symbolic link; propcast never follows links"),
            "{error:#}"
        );
        assert_eq!(fs::read_dir(elsewhere.path()).unwrap().count(), 0);
    }

    #[test]
    fn a_failed_write_leaves_no_folder_it_created() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), false);
        // Folders are made, then the file's name is too long for the file system.
        let path = format!("v1/new/deeper/{}.json", "x".repeat(300));
        assert!(block_on(store.put(&object(&path, "[1]"), None)).is_err());
        assert!(
            !dir.path().join("v1").exists(),
            "the folders it made are gone"
        );
    }

    #[test]
    fn one_run_at_a_time_publishes_to_a_folder() {
        let dir = tempfile::tempdir().unwrap();
        let first = LocalStore::new(dir.path(), false);
        block_on(first.check_writable()).unwrap();
        let second = LocalStore::new(dir.path(), false);
        let error = block_on(second.check_writable()).unwrap_err();
        assert!(error.downcast_ref::<FolderBusy>().is_some(), "{error:#}");
        drop(first);
        block_on(second.check_writable()).unwrap();
    }

    #[test]
    fn a_put_replaces_the_file_and_keeps_its_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), false);
        block_on(store.put(&object("v1/a/x.json", "[1]"), None)).unwrap();
        block_on(store.put(&object("v1/a/x.json", "[2]"), None)).unwrap();
        assert_eq!(
            fs::read_to_string(dir.path().join("v1/a/x.json")).unwrap(),
            "[2]"
        );
        let stored = block_on(store.stat("v1/a/x.json")).unwrap().unwrap();
        assert_eq!(stored.md5, Some(md5::compute("[2]").0));
        assert_eq!(stored.stamp, Some(object("v1/a/x.json", "").stamp));
        let names: Vec<String> = fs::read_dir(dir.path().join("v1/a"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["x.json"], "no temporary files are left");
    }

    #[test]
    fn stamps_travel_in_an_attribute_or_a_stamp_file_and_old_stamp_files_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let x = object("v1/a/x.json", "[1]");
        // A folder published before attributes: a stamp file only.
        let old = LocalStore::new(dir.path(), false);
        old.stamps.set(StampKeeping::Files).unwrap();
        block_on(old.put(&x, None)).unwrap();
        assert!(old.stamp_path("v1/a/x.json").is_file());
        let stored = block_on(LocalStore::new(dir.path(), false).stat("v1/a/x.json")).unwrap();
        assert_eq!(stored.unwrap().stamp, Some(x.stamp.clone()));

        let store = LocalStore::new(dir.path(), false);
        block_on(store.check_writable()).unwrap();
        if store.stamp_keeping() == StampKeeping::Files {
            eprintln!("this file system takes no user attributes; only stamp files were tested");
            return;
        }
        assert_eq!(
            store.stamp_keeping(),
            StampKeeping::Attribute { old_files: true }
        );
        let mut newer = object("v1/a/x.json", "[2]");
        newer.stamp.date = "2024-01-11".parse().unwrap();
        block_on(store.put(&newer, None)).unwrap();
        assert!(
            !store.stamp_path("v1/a/x.json").exists(),
            "the old stamp file is gone"
        );
        let attribute = xattr::get(dir.path().join("v1/a/x.json"), STAMP_ATTRIBUTE).unwrap();
        assert_eq!(
            attribute.as_deref(),
            Some(&br#"{"exporter":"a","kind":"current","date":"2024-01-11"}"#[..])
        );
        let stored = block_on(store.stat("v1/a/x.json")).unwrap().unwrap();
        assert_eq!(stored.stamp, Some(newer.stamp));
    }

    #[test]
    fn lists_files_at_any_depth_but_not_hidden_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path(), false);
        block_on(store.put(&object("v1/a/x.json", "[1]"), None)).unwrap();
        block_on(store.put(&object("v1/a/b/y.json", "[2]"), None)).unwrap();
        fs::write(dir.path().join("v1/a/.x.json.propcast-1.tmp"), "half").unwrap();
        let listed: Vec<String> = block_on(store.list("v1/a/"))
            .unwrap()
            .into_iter()
            .map(|o| o.path)
            .collect();
        assert_eq!(listed, ["v1/a/b/y.json", "v1/a/x.json"]);
        assert!(block_on(store.list("v1/none/")).unwrap().is_empty());
        block_on(store.delete("v1/a/x.json", None)).unwrap();
        block_on(store.delete("v1/a/x.json", None)).unwrap();
        assert_eq!(block_on(store.stat("v1/a/x.json")).unwrap(), None);
    }

    #[test]
    fn a_folder_that_cannot_be_created_is_named() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("file"), "").unwrap();
        let store = LocalStore::new(&dir.path().join("file/out"), false);
        let err = block_on(store.check_writable()).unwrap_err();
        assert!(
            format!("{err:#}").starts_with("failed to create the output folder `"),
            "{err:#}"
        );
    }
}
