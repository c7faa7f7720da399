//! A local folder as a [`Store`]: the default destination, and what `--out DIR` selects.
//!
//! Each object is written to a temporary file beside its target and renamed over it, which
//! replaces the old file in one step: a reader opens the old bytes or the new, never a missing
//! or half-written file. A folder keeps no headers (and so no gzip); each file's stamp lives in
//! a small JSON file under `.propcast/objects/` in the folder, written just before the file
//! itself: if the file then fails, the newer stamp on the old bytes only keeps older runs away,
//! and the next run of that date rewrites the file (its MD5 differs). The other order could let
//! a new alias stand under an old stamp, which an older run would then move back.
//! Names starting with `.` (temporary files, `.propcast`) are never listed as objects.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{Headers, NewObject, Precondition, Stamp, Store, StoredObject};
use crate::data::DocumentKind;
use crate::files::replace_file;

/// Where the stamps live, inside the folder.
const STAMPS: &str = ".propcast/objects";

/// A folder that receives objects at their relative paths.
pub(crate) struct LocalStore {
    root: PathBuf,
}

/// A stamp as it is stored beside a file.
#[derive(Serialize, Deserialize)]
struct StampFile {
    exporter: String,
    kind: String,
    date: String,
}

impl LocalStore {
    pub(crate) fn new(root: &Path) -> LocalStore {
        LocalStore {
            root: root.to_path_buf(),
        }
    }

    fn stamp_path(&self, path: &str) -> PathBuf {
        self.root.join(STAMPS).join(format!("{path}.stamp.json"))
    }

    fn read_stamp(&self, path: &str) -> Option<Stamp> {
        let text = fs::read(self.stamp_path(path)).ok()?;
        let file: StampFile = serde_json::from_slice(&text).ok()?;
        Some(Stamp {
            exporter: file.exporter,
            kind: DocumentKind::from_name(&file.kind)?,
            date: file.date.parse().ok()?,
        })
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
            })
    }

    async fn list(&self, prefix: &str) -> anyhow::Result<Vec<StoredObject>> {
        let mut paths = Vec::new();
        self.walk(prefix, &mut paths)?;
        paths.sort();
        let mut objects = Vec::with_capacity(paths.len());
        for path in paths {
            objects.extend(self.stat_sync(&path)?);
        }
        Ok(objects)
    }

    async fn stat(&self, path: &str) -> anyhow::Result<Option<StoredObject>> {
        self.stat_sync(path)
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
        // A rewritten document usually keeps its stamp (same exporter, kind and date): then
        // only the document is written.
        if self.read_stamp(&object.path).as_ref() != Some(&object.stamp) {
            let text = serde_json::to_vec(&stamp).expect("a stamp serializes");
            replace_file(&self.stamp_path(&object.path), &text)
                .context("failed to record the file's stamp")?;
        }
        replace_file(&self.root.join(&object.path), &object.bytes)
    }

    async fn delete(&self, path: &str, _precondition: Option<Precondition>) -> anyhow::Result<()> {
        for file in [self.root.join(path), self.stamp_path(path)] {
            match fs::remove_file(&file) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e)
                        .with_context(|| format!("failed to remove `{}`", file.display()));
                }
            }
        }
        Ok(())
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
    fn a_put_replaces_the_file_and_keeps_its_stamp() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
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
    fn lists_files_at_any_depth_but_not_hidden_ones() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::new(dir.path());
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
        let store = LocalStore::new(&dir.path().join("file/out"));
        let err = block_on(store.check_writable()).unwrap_err();
        assert!(
            format!("{err:#}").starts_with("failed to create the output folder `"),
            "{err:#}"
        );
    }
}
