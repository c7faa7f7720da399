//! The local folder's undo journal: what a batch changed, so a batch cut short (Ctrl-C, a
//! crash, `kill -9`) is rolled back instead of staying half-published.
//!
//! While a batch publishes, each file it is about to replace or remove is first hard-linked into
//! `.propcast/journal/batches/<exporter>/` (an exporter publishes one batch at a time; no copy: the old bytes and their stamp attribute stay
//! on disk under a second name), and each change is appended to that folder's `changes` file
//! before it is made. A batch that ends forgets its journal: its `changes` file first, in one
//! step, so a journal cut short while being forgotten undoes nothing. One that is interrupted is
//! undone from it, newest change first: saved files are renamed back, files it added are
//! removed, and folders it created are removed when empty. Undoing again what was partly undone
//! is harmless (a saved file already put back is not looked for), so an undo cut short is
//! finished by the next run.
//!
//! A journal still there when a run takes the folder's lock was left by a run that died (or
//! failed to undo it): it is undone then. A run also marks the folder while it holds it
//! (`.propcast/journal/running`); a run that finds the mark, or a journal, removes the
//! temporary files (`.*.tmp`) the dead run left. Only the lock holder touches the journal, so
//! nothing else can be writing meanwhile.

use std::collections::HashMap;
use std::fs;
use std::io::{self, BufRead as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

/// The journal's folder, inside the output folder.
const JOURNAL: &str = ".propcast/journal";
/// The mark of a run holding the folder, in the journal's folder.
const RUNNING: &str = "running";
/// The open batches' journals, one folder per exporter, in the journal's folder.
const BATCHES: &str = "batches";
/// The list of a batch's changes, in its folder; without it a batch journal undoes nothing.
const CHANGES: &str = "changes";

/// One change of a batch, recorded before it is made.
#[derive(Debug, Serialize, Deserialize)]
enum Change {
    /// The file at `path` (relative to the output folder) was about to be replaced or removed;
    /// its old version is saved as `saved` in the batch's journal folder.
    Replaced { path: String, saved: u64 },
    /// The file at `path` did not exist; the batch adds it.
    Added { path: String },
    /// The batch created this folder (relative to the output folder).
    Folder { path: String },
}

/// One open batch's journal.
struct Open {
    dir: PathBuf,
    changes: fs::File,
    next_saved: u64,
}

/// The journal of one output folder, for the run holding its lock.
pub(crate) struct Journal {
    root: PathBuf,
    /// `.propcast/journal` in the folder.
    dir: PathBuf,
    /// Its `batches` folder.
    batches: PathBuf,
    open: Mutex<HashMap<String, Open>>,
}

/// What opening the journal found left by a run that died.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Recovered {
    /// The exporters whose batches were rolled back.
    pub(crate) batches: Vec<String>,
    /// Temporary files removed.
    pub(crate) temporary_files: usize,
}

impl Journal {
    /// The journal of the folder `root`, whose lock this run holds: a dead run's batches are
    /// rolled back and its temporary files removed, then the folder is marked as in use.
    pub(crate) fn open(root: &Path) -> anyhow::Result<(Journal, Recovered)> {
        let dir = root.join(JOURNAL);
        let batches = dir.join(BATCHES);
        fs::create_dir_all(&batches)
            .with_context(|| format!("failed to create the journal `{}`", batches.display()))?;
        let journal = Journal {
            root: root.to_path_buf(),
            dir,
            batches,
            open: Mutex::new(HashMap::new()),
        };
        let mut recovered = Recovered::default();
        let left = read_dir(&journal.batches)?;
        if journal.dir.join(RUNNING).exists() || !left.is_empty() {
            // First, so the folders a dead batch created are empty when it is undone.
            recovered.temporary_files = remove_temporary_files(root)?;
        }
        for entry in left {
            journal.undo_folder(&entry.path())?;
            recovered
                .batches
                .push(entry.file_name().to_string_lossy().into_owned());
        }
        recovered.batches.sort();
        fs::write(journal.dir.join(RUNNING), std::process::id().to_string())
            .with_context(|| format!("failed to mark `{}` as in use", root.display()))?;
        Ok((journal, recovered))
    }

    /// Starts keeping the changes of exporter `key`'s batch.
    pub(crate) fn begin(&self, key: &str) -> anyhow::Result<()> {
        let dir = self.batches.join(key);
        if dir.exists() {
            // Left by an earlier batch of this exporter in this run whose undo failed: undo it
            // now, or start nothing.
            self.undo_folder(&dir)?;
        }
        fs::create_dir(&dir).with_context(|| format!("failed to create `{}`", dir.display()))?;
        let changes = fs::File::create(dir.join(CHANGES))
            .with_context(|| format!("failed to create `{}`", dir.display()))?;
        self.lock().insert(
            key.to_string(),
            Open {
                dir,
                changes,
                next_saved: 0,
            },
        );
        Ok(())
    }

    /// Records that batch `key` is about to replace, add or remove the file at `path`
    /// (relative to the output folder), saving the old version first. Nothing is recorded when
    /// the batch keeps no journal (the run manifest, written outside batches).
    pub(crate) fn before_change(&self, key: &str, path: &str) -> anyhow::Result<()> {
        let mut open = self.lock();
        let Some(batch) = open.get_mut(key) else {
            return Ok(());
        };
        let file = self.root.join(path);
        let change = match fs::symlink_metadata(&file) {
            Ok(meta) if meta.is_file() => {
                let saved = batch.next_saved;
                keep_old(&file, &batch.dir.join(saved.to_string()))?;
                batch.next_saved += 1;
                Change::Replaced {
                    path: path.to_string(),
                    saved,
                }
            }
            Ok(_) => anyhow::bail!(
                "`{}` is not a file; propcast replaces only files it wrote",
                file.display()
            ),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Change::Added {
                path: path.to_string(),
            },
            Err(e) => {
                return Err(e).with_context(|| format!("failed to look at `{}`", file.display()));
            }
        };
        record(batch, &change)
    }

    /// Records that batch `key` created the folder `path` (relative to the output folder).
    pub(crate) fn created_folder(&self, key: &str, path: &Path) -> anyhow::Result<()> {
        let mut open = self.lock();
        let Some(batch) = open.get_mut(key) else {
            return Ok(());
        };
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        record(
            batch,
            &Change::Folder {
                path: relative.to_string_lossy().into_owned(),
            },
        )
    }

    /// Ends batch `key`: its changes stay (`keep`) and the journal is forgotten, or they are
    /// undone.
    pub(crate) fn end(&self, key: &str, keep: bool) -> anyhow::Result<()> {
        let Some(batch) = self.lock().remove(key) else {
            return Ok(());
        };
        drop(batch.changes);
        if keep {
            forget(&batch.dir)
        } else {
            self.undo_folder(&batch.dir)
        }
    }

    /// The run is over: the folder is no longer marked as in use, unless a batch is still open
    /// (a run unwinding from a panic), which the next run then undoes.
    pub(crate) fn close(&self) {
        if self.lock().is_empty() {
            let _ = fs::remove_file(self.dir.join(RUNNING));
        }
    }

    /// Undoes the changes journaled in `dir`, newest first, then removes it.
    fn undo_folder(&self, dir: &Path) -> anyhow::Result<()> {
        let changes = match fs::File::open(dir.join(CHANGES)) {
            Ok(file) => io::BufReader::new(file)
                .lines()
                .map_while(Result::ok)
                // A line cut by a crash is a change that was never made.
                .filter_map(|line| serde_json::from_str::<Change>(&line).ok())
                .collect(),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                return Err(e).with_context(|| format!("failed to read `{}`", dir.display()));
            }
        };
        for change in changes.into_iter().rev() {
            match change {
                Change::Replaced { path, saved } => {
                    let target = self.root.join(&path);
                    match fs::rename(dir.join(saved.to_string()), &target) {
                        // Put back by an undo that was cut short.
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                        done => done.with_context(|| {
                            format!("failed to put back the old `{}`", target.display())
                        })?,
                    }
                }
                Change::Added { path } => {
                    let target = self.root.join(&path);
                    match fs::remove_file(&target) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => {
                            return Err(e).with_context(|| {
                                format!("failed to remove `{}`", target.display())
                            });
                        }
                        _ => {}
                    }
                }
                Change::Folder { path } => {
                    // Not empty: something else was written there since; it stays.
                    let _ = fs::remove_dir(self.root.join(path));
                }
            }
        }
        forget(dir)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Open>> {
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Removes the batch journal `dir`: its list of changes first, in one step, so one cut short
/// here undoes nothing.
fn forget(dir: &Path) -> anyhow::Result<()> {
    match fs::remove_file(dir.join(CHANGES)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("failed to forget `{}`", dir.display()));
        }
        _ => {}
    }
    fs::remove_dir_all(dir).with_context(|| format!("failed to forget `{}`", dir.display()))
}

/// Keeps the old version of `file` as `saved`: a hard link (the same bytes and attributes under
/// a second name, no copy), or a copy with its attributes where the file system has no links.
fn keep_old(file: &Path, saved: &Path) -> anyhow::Result<()> {
    let context = || {
        format!(
            "failed to keep the old `{}` for rolling back",
            file.display()
        )
    };
    if fs::hard_link(file, saved).is_ok() {
        return Ok(());
    }
    fs::copy(file, saved).with_context(context)?;
    for name in xattr::list(file).into_iter().flatten() {
        if let Ok(Some(value)) = xattr::get(file, &name) {
            xattr::set(saved, &name, &value).with_context(context)?;
        }
    }
    Ok(())
}

/// Appends `change` to the batch's journal, before it is made.
fn record(batch: &mut Open, change: &Change) -> anyhow::Result<()> {
    let mut line = serde_json::to_vec(change).expect("a change serializes");
    line.push(b'\n');
    batch
        .changes
        .write_all(&line)
        .with_context(|| format!("failed to write the journal `{}`", batch.dir.display()))
}

fn read_dir(dir: &Path) -> anyhow::Result<Vec<fs::DirEntry>> {
    fs::read_dir(dir)
        .and_then(|entries| entries.collect::<io::Result<Vec<_>>>())
        .with_context(|| format!("failed to list `{}`", dir.display()))
}

/// Removes the temporary files (`.*.tmp`) under `dir`, never following a symbolic link;
/// returns how many.
fn remove_temporary_files(dir: &Path) -> anyhow::Result<usize> {
    let mut removed = 0;
    for entry in read_dir(dir)? {
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry
            .file_type()
            .with_context(|| format!("failed to look at `{}`", entry.path().display()))?;
        if kind.is_dir() {
            removed += remove_temporary_files(&entry.path())?;
        } else if kind.is_file() && name.starts_with('.') && name.ends_with(".tmp") {
            fs::remove_file(entry.path())
                .with_context(|| format!("failed to remove `{}`", entry.path().display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, path: &str, text: &str) {
        let file = root.join(path);
        fs::create_dir_all(file.parent().unwrap()).unwrap();
        fs::write(file, text).unwrap();
    }

    fn read(root: &Path, path: &str) -> Option<String> {
        fs::read_to_string(root.join(path)).ok()
    }

    /// A folder holding `a.json` and `c.json`.
    fn folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a.json", "old a");
        write(dir.path(), "c.json", "c");
        dir
    }

    /// A batch that replaces `a.json`, adds `new/b.json` in a new folder and removes `c.json`.
    fn change_some(root: &Path, journal: &Journal) {
        journal.begin("x").unwrap();
        journal.before_change("x", "a.json").unwrap();
        write(root, ".a.json.1-1.tmp", "new a");
        fs::rename(root.join(".a.json.1-1.tmp"), root.join("a.json")).unwrap();
        fs::create_dir(root.join("new")).unwrap();
        journal.created_folder("x", &root.join("new")).unwrap();
        journal.before_change("x", "new/b.json").unwrap();
        write(root, "new/b.json", "b");
        journal.before_change("x", "c.json").unwrap();
        fs::remove_file(root.join("c.json")).unwrap();
    }

    #[test]
    fn an_undone_batch_leaves_the_folder_as_it_was() {
        let dir = folder();
        let root = dir.path();
        let (journal, recovered) = Journal::open(root).unwrap();
        assert_eq!(recovered, Recovered::default());
        change_some(root, &journal);
        assert_eq!(read(root, "a.json").as_deref(), Some("new a"));
        journal.end("x", false).unwrap();
        assert_eq!(read(root, "a.json").as_deref(), Some("old a"));
        assert_eq!(read(root, "c.json").as_deref(), Some("c"));
        assert!(!root.join("new").exists());
        assert!(!root.join(JOURNAL).join(BATCHES).join("x").exists());
    }

    #[test]
    fn a_kept_batch_forgets_its_journal() {
        let dir = folder();
        let root = dir.path();
        let (journal, _) = Journal::open(root).unwrap();
        change_some(root, &journal);
        journal.end("x", true).unwrap();
        journal.close();
        assert_eq!(read(root, "a.json").as_deref(), Some("new a"));
        assert_eq!(read(root, "new/b.json").as_deref(), Some("b"));
        assert_eq!(read(root, "c.json"), None);
        let left: Vec<_> = fs::read_dir(root.join(JOURNAL).join(BATCHES))
            .unwrap()
            .collect();
        assert!(left.is_empty(), "{left:?}");
    }

    #[test]
    fn an_undo_cut_short_is_finished_by_the_next_run() {
        let dir = folder();
        let root = dir.path();
        let (journal, _) = Journal::open(root).unwrap();
        change_some(root, &journal);
        // The undo put `c.json` back (the newest change) and then the run died.
        let batch = root.join(JOURNAL).join(BATCHES).join("x");
        fs::rename(batch.join("1"), root.join("c.json")).unwrap();
        std::mem::forget(journal);

        let (_journal, recovered) = Journal::open(root).unwrap();
        assert_eq!(recovered.batches, vec!["x".to_string()]);
        assert_eq!(read(root, "a.json").as_deref(), Some("old a"));
        assert_eq!(read(root, "c.json").as_deref(), Some("c"));
        assert!(!batch.exists());
    }

    #[test]
    fn the_next_run_rolls_back_what_a_dead_run_left() {
        let dir = folder();
        let root = dir.path();
        let (journal, _) = Journal::open(root).unwrap();
        change_some(root, &journal);
        // The run dies here: a temporary file of a write in flight is left too, and a cut line.
        write(root, "new/.d.json.1-2.tmp", "half");
        let mut changes = fs::OpenOptions::new()
            .append(true)
            .open(root.join(JOURNAL).join(BATCHES).join("x").join(CHANGES))
            .unwrap();
        changes.write_all(b"{\"Added\":{\"pa").unwrap();
        std::mem::forget(journal);

        let (journal, recovered) = Journal::open(root).unwrap();
        assert_eq!(
            recovered,
            Recovered {
                batches: vec!["x".into()],
                temporary_files: 1,
            }
        );
        assert_eq!(read(root, "a.json").as_deref(), Some("old a"));
        assert_eq!(read(root, "c.json").as_deref(), Some("c"));
        assert!(!root.join("new").exists());
        journal.close();
        assert!(!root.join(JOURNAL).join(RUNNING).exists());
    }
}
