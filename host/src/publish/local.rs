//! Publishes to a local folder, the default sink and what `--out DIR` selects.
//!
//! All documents of a batch are first written to temporary files beside their targets; only
//! when every write succeeded are they renamed into place, in order, each replaced file kept
//! aside until the whole batch is in. If a rename fails, the files already moved are put back,
//! so a failed batch leaves the folder as it was and a reader never sees a half-written file.
//! Headers such as `Cache-Control` have no place in a folder and are not recorded.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{Published, Publisher};
use crate::data::Document;

/// A folder that receives documents at their relative paths.
pub(crate) struct LocalPublisher {
    root: PathBuf,
    /// Distinguishes this process's temporary files.
    tag: String,
    /// `fs::rename`, replaceable in tests to make a rename fail.
    rename: fn(&Path, &Path) -> io::Result<()>,
}

impl LocalPublisher {
    pub(crate) fn new(root: &Path) -> LocalPublisher {
        LocalPublisher {
            root: root.to_path_buf(),
            tag: format!("propcast-{}", std::process::id()),
            rename: |from, to| fs::rename(from, to),
        }
    }

    fn stage(&self, doc: &Document) -> anyhow::Result<(PathBuf, PathBuf)> {
        let target = self.root.join(&doc.path);
        let dir = target.parent().expect("document paths have a file name");
        fs::create_dir_all(dir)
            .with_context(|| format!("failed to create the folder `{}`", dir.display()))?;
        let file_name = target
            .file_name()
            .expect("document paths have a file name")
            .to_string_lossy();
        let temp = dir.join(format!(".{file_name}.{}.tmp", self.tag));
        fs::write(&temp, &doc.body)
            .with_context(|| format!("failed to write `{}`", temp.display()))?;
        Ok((temp, target))
    }
}

impl Publisher for LocalPublisher {
    fn describe(&self) -> String {
        format!("folder `{}`", self.root.display())
    }

    fn publish(&self, documents: &[Document]) -> anyhow::Result<Published> {
        let mut staged = Vec::with_capacity(documents.len());
        for doc in documents {
            match self.stage(doc) {
                Ok(pair) => staged.push(pair),
                Err(e) => {
                    for (temp, _) in &staged {
                        let _ = fs::remove_file(temp);
                    }
                    return Err(e);
                }
            }
        }
        // Move each file into place, keeping any file it replaces as a backup.
        let mut moved: Vec<(&Path, Option<PathBuf>)> = Vec::with_capacity(staged.len());
        for (index, (temp, target)) in staged.iter().enumerate() {
            let backup = target.with_file_name(format!(
                ".{}.{}.bak",
                target
                    .file_name()
                    .expect("document paths have a file name")
                    .to_string_lossy(),
                self.tag
            ));
            let result = (|| {
                let kept = if target.is_file() {
                    (self.rename)(target, &backup)?;
                    Some(backup.clone())
                } else {
                    None
                };
                if let Err(e) = (self.rename)(temp, target) {
                    if let Some(kept) = &kept {
                        let _ = (self.rename)(kept, target);
                    }
                    return Err(e);
                }
                Ok(kept)
            })();
            match result {
                Ok(kept) => moved.push((target, kept)),
                Err(e) => {
                    // Put back what was moved, newest first, and drop the rest of the batch.
                    for (target, kept) in moved.iter().rev() {
                        let _ = fs::remove_file(target);
                        if let Some(kept) = kept {
                            let _ = (self.rename)(kept, target);
                        }
                    }
                    for (temp, _) in &staged[index..] {
                        let _ = fs::remove_file(temp);
                    }
                    return Err(e).with_context(|| {
                        format!("failed to move a document into `{}`", target.display())
                    });
                }
            }
        }
        for (_, kept) in moved {
            if let Some(kept) = kept {
                let _ = fs::remove_file(kept);
            }
        }
        Ok(Published {
            documents: documents.len(),
            bytes: documents.iter().map(|d| d.body.len()).sum(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::DocumentKind;

    fn doc(path: &str, body: &str) -> Document {
        Document {
            path: path.into(),
            body: body.as_bytes().to_vec(),
            kind: DocumentKind::Dated,
        }
    }

    #[test]
    fn writes_documents_at_their_paths() {
        let dir = tempfile::tempdir().unwrap();
        let published = LocalPublisher::new(dir.path())
            .publish(&[doc("v1/a/1.json", "{}"), doc("v1/a/today.json", "[1]")])
            .unwrap();
        assert_eq!(
            published,
            Published {
                documents: 2,
                bytes: 5
            }
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("v1/a/today.json")).unwrap(),
            "[1]"
        );
    }

    #[test]
    fn a_rename_failing_midway_puts_back_what_was_moved() {
        let dir = tempfile::tempdir().unwrap();
        let mut publisher = LocalPublisher::new(dir.path());
        publisher
            .publish(&[
                doc("v1/a/1.json", "{\"old\":1}"),
                doc("v1/a/2.json", "{\"old\":2}"),
            ])
            .unwrap();
        // The third rename of the batch fails: 1.json's backup and move went through.
        thread_local!(static RENAMES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) });
        publisher.rename = |from, to| {
            let n = RENAMES.with(|r| {
                r.set(r.get() + 1);
                r.get()
            });
            if n == 3 {
                Err(io::Error::other("disk trouble"))
            } else {
                fs::rename(from, to)
            }
        };
        let err = publisher
            .publish(&[
                doc("v1/a/1.json", "{\"new\":1}"),
                doc("v1/a/2.json", "{\"new\":2}"),
            ])
            .unwrap_err();
        assert!(format!("{err:#}").contains("disk trouble"), "{err:#}");
        assert_eq!(
            fs::read_to_string(dir.path().join("v1/a/1.json")).unwrap(),
            "{\"old\":1}"
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("v1/a/2.json")).unwrap(),
            "{\"old\":2}"
        );
        let names: Vec<String> = fs::read_dir(dir.path().join("v1/a"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names.len(),
            2,
            "no temporary or backup files are left: {names:?}"
        );
    }

    #[test]
    fn a_failed_batch_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let publisher = LocalPublisher::new(dir.path());
        publisher
            .publish(&[doc("v1/a/1.json", "{\"old\":1}")])
            .unwrap();
        // `v1/a/1.json/x.json` needs `1.json` to be a folder, so staging it fails.
        let err = publisher
            .publish(&[
                doc("v1/a/1.json", "{\"new\":1}"),
                doc("v1/a/1.json/x.json", "{}"),
            ])
            .unwrap_err();
        assert!(
            format!("{err:#}").contains("failed to create the folder"),
            "{err:#}"
        );
        assert_eq!(
            fs::read_to_string(dir.path().join("v1/a/1.json")).unwrap(),
            "{\"old\":1}"
        );
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("v1/a")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary files are removed");
    }
}
