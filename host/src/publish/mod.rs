//! Where documents go, and what publishing promises.
//!
//! A [`Store`] is a place that keeps objects at relative paths with a little metadata: a local
//! folder ([`local`], the default) or a Cloud Storage bucket and prefix ([`gcs`]). The
//! [`Publisher`] ([`batch`]) holds the rules every store keeps, written once:
//!
//! - An exporter's `dated` and `current` documents go up first (concurrently, with a bounded
//!   limit), its aliases only after all of those succeeded.
//! - Each object is replaced in one step: a reader sees the old bytes or the new, never a
//!   missing or half-written file. A failed upload (after the client's retries) leaves the old
//!   object in place. Neither a folder nor a bucket can publish a batch atomically, so a
//!   failed batch may leave some of its `dated`/`current` documents new and the rest old; the
//!   report says exactly which were and were not published, and no alias moved.
//! - A document whose bytes, headers and stamp equal what is stored is not written again.
//! - `current` and `alias` documents never go back to an older date: each object carries a
//!   stamp (exporter, kind, date) and a run for an older date leaves a newer one as it is.
//! - A replaced set (`replace-set` in the manifest) loses the pages an earlier run published
//!   and this one did not, once everything else is up; a failed run removes nothing.
//!
//! Stores know nothing of Wasm or of where the data came from.

mod batch;
mod encoding;
pub(crate) mod gcs;
mod journal;
pub(crate) mod local;
pub(crate) mod run_manifest;

use async_trait::async_trait;
use jiff::civil::Date;

use crate::data::DocumentKind;

pub(crate) use batch::{Batch, BatchReport, Outcome, PublishSettings, Publisher, Tally};
pub(crate) use encoding::CacheControl;

/// Who wrote an object, and for which date: kept with every object propcast publishes, so the
/// rules above can be applied without reading bodies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) exporter: String,
    pub(crate) kind: DocumentKind,
    pub(crate) date: Date,
}

impl Stamp {
    const EXPORTER: &str = "propcast-exporter";
    const KIND: &str = "propcast-kind";
    const DATE: &str = "propcast-date";

    /// The stamp as object metadata (key, value) pairs.
    pub(crate) fn to_metadata(&self) -> [(&'static str, String); 3] {
        [
            (Stamp::EXPORTER, self.exporter.clone()),
            (Stamp::KIND, self.kind.name().to_string()),
            (Stamp::DATE, self.date.to_string()),
        ]
    }

    /// Reads a stamp back from object metadata; `None` for an object propcast did not write.
    pub(crate) fn from_metadata<'a>(mut get: impl FnMut(&str) -> Option<&'a str>) -> Option<Stamp> {
        Some(Stamp {
            exporter: get(Stamp::EXPORTER)?.to_string(),
            kind: DocumentKind::from_name(get(Stamp::KIND)?)?,
            date: get(Stamp::DATE)?.parse().ok()?,
        })
    }
}

/// The headers an object is served with. A local folder keeps none.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Headers {
    pub(crate) content_type: Option<String>,
    pub(crate) cache_control: Option<String>,
    pub(crate) content_encoding: Option<String>,
}

/// What a store says about an object without reading its body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredObject {
    /// Relative to the store's root, e.g. `v1/streaks/today.json`.
    pub(crate) path: String,
    /// MD5 of the stored bytes, as the store computed it (`None` when it keeps none).
    pub(crate) md5: Option<[u8; 16]>,
    pub(crate) headers: Headers,
    /// `None` for an object propcast did not write.
    pub(crate) stamp: Option<Stamp>,
    /// The store's version of the object, for conditional writes (Cloud Storage's generation).
    pub(crate) generation: Option<i64>,
}

/// An object to write: its bytes exactly as stored, and what goes with them.
#[derive(Clone, Debug)]
pub(crate) struct NewObject {
    pub(crate) path: String,
    /// Shared, so a retried upload does not copy them again.
    pub(crate) bytes: bytes::Bytes,
    pub(crate) md5: [u8; 16],
    pub(crate) headers: Headers,
    pub(crate) stamp: Stamp,
}

/// When a write may happen, so two runs racing cannot move an alias backwards.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Precondition {
    /// Only if the object does not exist yet.
    Absent,
    /// Only if the object is still at this generation.
    Generation(i64),
}

/// A destination for published objects.
#[async_trait]
pub(crate) trait Store: Send + Sync {
    /// Where objects go, for messages: "folder `out`", "`gs://site/v1`".
    fn describe(&self) -> String;

    /// Where objects go, as a plain address for records (the run manifest): `out`,
    /// `gs://site/v1`.
    fn locator(&self) -> String;

    /// Whether the store keeps headers (and so can serve gzip with `Content-Encoding`).
    fn keeps_headers(&self) -> bool;

    /// Whether listing a folder is cheaper than looking up many of its objects one by one
    /// (true for a bucket, where one request lists a thousand objects; false for a folder,
    /// where listing would read every file).
    fn lists_cheaply(&self) -> bool;

    /// Checks, before anything runs, that the destination exists or can be created and that
    /// this process may write to it.
    async fn check_writable(&self) -> anyhow::Result<()>;

    /// Every object under the folder `prefix` (ending in `/`), at any depth.
    async fn list(&self, prefix: &str) -> anyhow::Result<Vec<StoredObject>>;

    /// The paths of [`Store::list`], for a caller that reads no metadata. A store whose listing
    /// computes metadata (a folder hashes each file) lists names alone.
    async fn list_paths(&self, prefix: &str) -> anyhow::Result<Vec<String>> {
        Ok(self
            .list(prefix)
            .await?
            .into_iter()
            .map(|o| o.path)
            .collect())
    }

    /// The object at `path`, if there is one.
    async fn stat(&self, path: &str) -> anyhow::Result<Option<StoredObject>>;

    /// The bytes of the object at `path` as stored (gzip stays compressed where a store keeps
    /// it so), if there is one.
    async fn read(&self, path: &str) -> anyhow::Result<Option<Vec<u8>>>;

    /// Writes `object` in one step, so a reader sees the old or the new bytes; with a
    /// precondition that no longer holds it fails and changes nothing. Stores that cannot
    /// check preconditions (a local folder, written by one process) ignore them.
    async fn put(
        &self,
        object: &NewObject,
        precondition: Option<Precondition>,
    ) -> anyhow::Result<()>;

    /// Starts a batch of `exporter`'s documents (an exporter publishes one batch at a time):
    /// until [`Store::end_batch`], what the store changes for it can be undone where the store
    /// can (a local folder journals it).
    async fn begin_batch(&self, _exporter: &str) -> anyhow::Result<()> {
        Ok(())
    }

    /// Ends `exporter`'s batch: its changes stay (`keep`), or are undone where the store can;
    /// returns whether they were undone. A bucket cannot undo: a batch cut short there stays
    /// as a failed upload leaves it (the aliases not moved) until its date is run again.
    async fn end_batch(&self, _exporter: &str, _keep: bool) -> anyhow::Result<bool> {
        Ok(false)
    }

    /// Removes the object at `path` (if it is still at the precondition's generation);
    /// removing one that is not there is not an error.
    async fn delete(&self, path: &str, precondition: Option<Precondition>) -> anyhow::Result<()>;
}

/// Where `--out` points: a `gs://bucket/prefix` URL or a local folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Destination {
    Folder(std::path::PathBuf),
    Bucket { bucket: String, prefix: String },
}

impl Destination {
    /// Reads `--out`: `gs://bucket[/prefix]`, else a folder path.
    pub(crate) fn parse(text: &str) -> Result<Destination, String> {
        let Some(rest) = text.strip_prefix("gs://") else {
            if text.is_empty() {
                return Err("the output folder is empty".into());
            }
            return Ok(Destination::Folder(text.into()));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = (3..=222).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b))
            && bucket.as_bytes()[0].is_ascii_alphanumeric()
            && bucket.as_bytes()[bucket.len() - 1].is_ascii_alphanumeric();
        if !valid_bucket {
            return Err(format!(
                "`{text}` does not name a Cloud Storage bucket: write `gs://BUCKET/PREFIX` with a \
                 bucket name of 3 to 222 lowercase letters, digits, `-`, `_` and `.`"
            ));
        }
        let prefix = prefix.trim_matches('/');
        if prefix
            .split('/')
            .any(|s| s == "." || s == ".." || (s.is_empty() && !prefix.is_empty()))
        {
            return Err(format!(
                "`{text}` has an empty, `.` or `..` segment in its prefix"
            ));
        }
        Ok(Destination::Bucket {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        })
    }
}

impl std::fmt::Display for Destination {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Destination::Folder(path) => write!(f, "{}", path.display()),
            Destination::Bucket { bucket, prefix } if prefix.is_empty() => {
                write!(f, "gs://{bucket}")
            }
            Destination::Bucket { bucket, prefix } => write!(f, "gs://{bucket}/{prefix}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_is_a_bucket_url_or_a_folder() {
        assert_eq!(
            Destination::parse("gs://site-data/api/v1/").unwrap(),
            Destination::Bucket {
                bucket: "site-data".into(),
                prefix: "api/v1".into()
            }
        );
        assert_eq!(
            Destination::parse("gs://site-data").unwrap(),
            Destination::Bucket {
                bucket: "site-data".into(),
                prefix: String::new()
            }
        );
        assert_eq!(
            Destination::parse("out").unwrap(),
            Destination::Folder("out".into())
        );
        assert!(
            Destination::parse("gs://Bad_Bucket/x")
                .unwrap_err()
                .starts_with("`gs://Bad_Bucket/x` does not name a Cloud Storage bucket")
        );
        assert!(Destination::parse("gs://site/a/../b").is_err());
        assert!(Destination::parse("gs://site/a//b").is_err());
    }

    #[test]
    fn stamps_round_trip_through_metadata() {
        let stamp = Stamp {
            exporter: "streaks".into(),
            kind: DocumentKind::Alias,
            date: "2024-01-10".parse().unwrap(),
        };
        let metadata = stamp.to_metadata();
        let read = Stamp::from_metadata(|key| {
            metadata
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.as_str())
        });
        assert_eq!(read, Some(stamp));
        assert_eq!(Stamp::from_metadata(|_| None), None);
    }
}
