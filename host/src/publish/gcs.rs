//! A Cloud Storage bucket and prefix as a [`Store`]: what `--out gs://BUCKET/PREFIX` selects.
//!
//! Uploads go through Google's `google-cloud-storage` client (`Storage::write_object`, one
//! single-shot request per object, CRC32C checked by the client, transient failures retried
//! with backoff, every upload conditional on the generation it replaces so it is idempotent and
//! two runs racing cannot move an alias backwards). That crate offers metadata reads, listing
//! and deletion only over gRPC (`StorageControl`), which no emulator serves, so those three go
//! to the JSON API (`storage/v1`) with the same credentials: one code path for the service and
//! the emulator, covered by the tests (docs/design.md says more).
//!
//! Credentials are Google's Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`,
//! `gcloud auth application-default login`, or the service account on Cloud Run).
//! `STORAGE_EMULATOR_HOST` (e.g. `http://127.0.0.1:4443`) points everything at an emulator,
//! with anonymous credentials.

use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use async_trait::async_trait;
use base64::Engine as _;
use google_cloud_auth::credentials::{CacheableResource, Credentials};
use google_cloud_gax::exponential_backoff::ExponentialBackoffBuilder;
use google_cloud_gax::retry_policy::RetryPolicyExt as _;
use google_cloud_storage::client::Storage;
use google_cloud_storage::retry_policy::RetryableErrors;
use serde::Deserialize;

use super::{Headers, NewObject, Precondition, Stamp, Store, StoredObject};
use crate::data::RUNS_FOLDER;

/// The service's endpoint; `STORAGE_EMULATOR_HOST` replaces it.
const ENDPOINT: &str = "https://storage.googleapis.com";
/// Attempts per request (the first and its retries) for transient failures: 408, 429, 5xx,
/// timeouts and broken connections. Other failures are not retried.
const ATTEMPTS: u32 = 5;
/// The longest an upload and its retries may take, and the longest one JSON-API attempt may
/// take (those are retried [`ATTEMPTS`] times).
const RETRY_TIME: Duration = Duration::from_secs(60);
/// The first pause between attempts; each later one doubles, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(8);

/// Objects in `gs://bucket/prefix`.
pub(crate) struct GcsStore {
    bucket: String,
    /// Empty, or ending in `/`.
    prefix: String,
    endpoint: String,
    storage: Storage,
    credentials: Credentials,
    http: reqwest::Client,
}

impl GcsStore {
    /// Connects to `gs://bucket/prefix` with Application Default Credentials, or to the
    /// emulator `STORAGE_EMULATOR_HOST` names with none.
    pub(crate) async fn connect(bucket: &str, prefix: &str) -> anyhow::Result<GcsStore> {
        let emulator = crate::cloud::emulator("STORAGE_EMULATOR_HOST");
        let credentials = crate::cloud::credentials(emulator.is_some(), "Cloud Storage")?;
        let endpoint = emulator.unwrap_or_else(|| ENDPOINT.to_string());
        let backoff = ExponentialBackoffBuilder::new()
            .with_initial_delay(FIRST_BACKOFF)
            .with_maximum_delay(MAX_BACKOFF)
            .with_scaling(2.0)
            .build()
            .context("failed to set up the upload backoff")?;
        let storage = Storage::builder()
            .with_endpoint(endpoint.clone())
            .with_credentials(credentials.clone())
            .with_retry_policy(
                RetryableErrors
                    .with_attempt_limit(ATTEMPTS)
                    .with_time_limit(RETRY_TIME),
            )
            .with_backoff_policy(backoff)
            .with_resumable_upload_threshold(usize::MAX)
            .build()
            .await
            .context("failed to set up the Cloud Storage client")?;
        let http = reqwest::Client::builder()
            .timeout(RETRY_TIME)
            .build()
            .context("failed to set up the Cloud Storage client")?;
        let prefix = if prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", prefix.trim_end_matches('/'))
        };
        Ok(GcsStore {
            bucket: bucket.to_string(),
            prefix,
            endpoint,
            storage,
            credentials,
            http,
        })
    }

    fn object_name(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    fn object_url(&self, path: &str) -> String {
        format!(
            "{}/storage/v1/b/{}/o/{}",
            self.endpoint,
            self.bucket,
            encode_segment(&self.object_name(path))
        )
    }

    /// Sends a JSON-API request built by `build`, with credentials, retrying transient
    /// failures; `Ok(None)` for a 404.
    async fn send(
        &self,
        what: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> anyhow::Result<Option<reqwest::Response>> {
        let mut pause = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let headers = match self
                .credentials
                .headers(http::Extensions::new())
                .await
                .context("failed to get Google Cloud credentials")?
            {
                CacheableResource::New { data, .. } => data,
                CacheableResource::NotModified => http::HeaderMap::new(),
            };
            let result = build().headers(headers).send().await;
            let transient = match &result {
                Ok(response) => {
                    let status = response.status();
                    status == reqwest::StatusCode::REQUEST_TIMEOUT
                        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
                        || status.is_server_error()
                }
                Err(e) => e.is_timeout() || e.is_connect(),
            };
            if !transient || attempt == ATTEMPTS {
                let response = result.with_context(|| format!("failed to {what}"))?;
                let status = response.status();
                if status == reqwest::StatusCode::NOT_FOUND {
                    return Ok(None);
                }
                if !status.is_success() {
                    let body = response.text().await.unwrap_or_default();
                    bail!("failed to {what}: {status}: {}", error_message(&body));
                }
                return Ok(Some(response));
            }
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(MAX_BACKOFF);
            attempt += 1;
        }
    }

    /// One page of the listing under `prefix`.
    async fn list_page(
        &self,
        prefix: &str,
        page_token: Option<&str>,
        max_results: Option<u32>,
    ) -> anyhow::Result<Option<ListPage>> {
        let url = format!("{}/storage/v1/b/{}/o", self.endpoint, self.bucket);
        let name = self.object_name(prefix);
        let what = format!("list `gs://{}/{name}`", self.bucket);
        let Some(response) = self
            .send(&what, || {
                let mut query: Vec<(&str, String)> = vec![("prefix", name.clone())];
                if let Some(token) = page_token {
                    query.push(("pageToken", token.to_string()));
                }
                if let Some(n) = max_results {
                    query.push(("maxResults", n.to_string()));
                }
                self.http.get(&url).query(&query)
            })
            .await?
        else {
            return Ok(None);
        };
        let page: ListPage = response
            .json()
            .await
            .with_context(|| format!("failed to {what}: the reply is not an object listing"))?;
        Ok(Some(page))
    }

    fn stored(&self, item: ObjectResource) -> anyhow::Result<StoredObject> {
        let path = item
            .name
            .strip_prefix(&self.prefix)
            .ok_or_else(|| anyhow!("listed `{}` outside the prefix", item.name))?
            .to_string();
        let md5 = item
            .md5_hash
            .as_deref()
            .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b).ok())
            .and_then(|bytes| <[u8; 16]>::try_from(bytes).ok());
        let metadata = item.metadata.unwrap_or_default();
        let non_empty = |v: Option<String>| v.filter(|s| !s.is_empty());
        Ok(StoredObject {
            path,
            md5,
            headers: Headers {
                content_type: non_empty(item.content_type),
                cache_control: non_empty(item.cache_control),
                content_encoding: non_empty(item.content_encoding),
            },
            stamp: Stamp::from_metadata(|key| metadata.get(key).map(String::as_str)),
            generation: item.generation.and_then(|g| g.parse().ok()),
        })
    }
}

/// A page of `objects.list`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ListPage {
    #[serde(default)]
    items: Vec<ObjectResource>,
    next_page_token: Option<String>,
}

/// The fields of an object resource propcast reads.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ObjectResource {
    name: String,
    md5_hash: Option<String>,
    content_type: Option<String>,
    cache_control: Option<String>,
    content_encoding: Option<String>,
    metadata: Option<std::collections::HashMap<String, String>>,
    /// A decimal int64 as a string.
    generation: Option<String>,
}

#[async_trait]
impl Store for GcsStore {
    fn describe(&self) -> String {
        format!("`{}`", self.locator())
    }

    fn locator(&self) -> String {
        match self.prefix.trim_end_matches('/') {
            "" => format!("gs://{}", self.bucket),
            prefix => format!("gs://{}/{prefix}", self.bucket),
        }
    }

    fn keeps_headers(&self) -> bool {
        true
    }

    fn lists_cheaply(&self) -> bool {
        true
    }

    /// Lists the prefix (the bucket exists and may be read), then writes and removes a probe
    /// object under `runs/` (objects may be created and deleted): a viewer-only account is
    /// found before any query is paid for. The JSON API's `testIamPermissions` would say the
    /// same without writing, but no emulator serves it.
    async fn check_writable(&self) -> anyhow::Result<()> {
        if self.list_page("", None, Some(1)).await?.is_none() {
            bail!(
                "the bucket `{}` does not exist, or these credentials cannot see it",
                self.bucket
            );
        }
        let probe = format!(
            "{RUNS_FOLDER}.write-check-{}-{}",
            std::process::id(),
            jiff::Timestamp::now().as_nanosecond()
        );
        self.storage
            .write_object(
                format!("projects/_/buckets/{}", self.bucket),
                self.object_name(&probe),
                bytes::Bytes::new(),
            )
            .set_if_generation_match(0)
            .send_buffered()
            .await
            .with_context(|| {
                format!(
                    "these credentials cannot create objects in `gs://{}/{}`\n\nConsider \
                     granting the account Storage Object Admin on the bucket",
                    self.bucket, self.prefix
                )
            })?;
        self.delete(&probe, None).await.with_context(|| {
            format!(
                "these credentials cannot delete objects in `gs://{}/{}`\n\nConsider granting \
                 the account Storage Object Admin on the bucket",
                self.bucket, self.prefix
            )
        })
    }

    async fn list(&self, prefix: &str) -> anyhow::Result<Vec<StoredObject>> {
        let mut objects = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let Some(page) = self.list_page(prefix, token.as_deref(), None).await? else {
                bail!("the bucket `{}` does not exist", self.bucket);
            };
            for item in page.items {
                objects.push(self.stored(item)?);
            }
            match page.next_page_token {
                Some(next) if !next.is_empty() => token = Some(next),
                _ => return Ok(objects),
            }
        }
    }

    async fn stat(&self, path: &str) -> anyhow::Result<Option<StoredObject>> {
        let url = self.object_url(path);
        let what = format!("read `gs://{}/{}`", self.bucket, self.object_name(path));
        let Some(response) = self.send(&what, || self.http.get(&url)).await? else {
            return Ok(None);
        };
        let item: ObjectResource = response
            .json()
            .await
            .with_context(|| format!("failed to {what}: the reply is not an object resource"))?;
        self.stored(item).map(Some)
    }

    async fn read(&self, path: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let url = self.object_url(path);
        let what = format!("read `gs://{}/{}`", self.bucket, self.object_name(path));
        let build = || {
            // The bytes as stored: no decompressive transcoding of gzip objects.
            (self.http.get(&url))
                .query(&[("alt", "media")])
                .header(reqwest::header::ACCEPT_ENCODING, "gzip")
        };
        let Some(response) = self.send(&what, build).await? else {
            return Ok(None);
        };
        let body = response
            .bytes()
            .await
            .with_context(|| format!("failed to {what}"))?;
        Ok(Some(body.to_vec()))
    }

    async fn put(
        &self,
        object: &NewObject,
        precondition: Option<Precondition>,
    ) -> anyhow::Result<()> {
        let mut write = self
            .storage
            .write_object(
                format!("projects/_/buckets/{}", self.bucket),
                self.object_name(&object.path),
                object.bytes.clone(),
            )
            .set_metadata(object.stamp.to_metadata())
            .with_known_md5_hash(object.md5);
        let headers = &object.headers;
        if let Some(v) = &headers.content_type {
            write = write.set_content_type(v.clone());
        }
        if let Some(v) = &headers.cache_control {
            write = write.set_cache_control(v.clone());
        }
        if let Some(v) = &headers.content_encoding {
            write = write.set_content_encoding(v.clone());
        }
        write = match precondition {
            Some(Precondition::Absent) => write.set_if_generation_match(0),
            Some(Precondition::Generation(g)) => write.set_if_generation_match(g),
            None => write,
        };
        match write.send_buffered().await {
            Ok(_) => Ok(()),
            Err(e) if e.http_status_code() == Some(412) => {
                // A retry of an upload that did land (its reply was lost) finds the generation
                // moved on: that is success if the object now is exactly this one.
                let now = self.stat(&object.path).await?;
                if now.is_some_and(|o| {
                    o.md5 == Some(object.md5) && o.stamp.as_ref() == Some(&object.stamp)
                }) {
                    return Ok(());
                }
                Err(anyhow::Error::new(e).context(
                    "the object changed while this run published it (another run?); rerun to \
                     publish over it, or leave it if that run was for a newer date",
                ))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn delete(&self, path: &str, precondition: Option<Precondition>) -> anyhow::Result<()> {
        let url = self.object_url(path);
        let what = format!("remove `gs://{}/{}`", self.bucket, self.object_name(path));
        let generation = match precondition {
            Some(Precondition::Generation(g)) => Some(g),
            _ => None,
        };
        self.send(&what, || {
            let request = self.http.delete(&url);
            match generation {
                Some(g) => request.query(&[("ifGenerationMatch", g.to_string())]),
                None => request,
            }
        })
        .await?;
        Ok(())
    }
}

/// `name` as one URL path segment: everything but unreserved characters percent-encoded
/// (`/` too, as the JSON API wants object names).
fn encode_segment(name: &str) -> String {
    let mut encoded = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            encoded.push(b as char);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    encoded
}

/// The `message` of a JSON-API error body, or the body itself.
fn error_message(body: &str) -> String {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: ErrorDetail,
    }
    #[derive(Deserialize)]
    struct ErrorDetail {
        message: String,
    }
    match serde_json::from_str::<ErrorBody>(body) {
        Ok(parsed) => parsed.error.message,
        Err(_) => body.chars().take(500).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_are_one_url_segment() {
        assert_eq!(
            encode_segment("api/v1/players/o'neil jr.json"),
            "api%2Fv1%2Fplayers%2Fo%27neil%20jr.json"
        );
    }

    #[test]
    fn error_bodies_give_their_message() {
        assert_eq!(
            error_message(r#"{"error":{"code":403,"message":"Access denied."}}"#),
            "Access denied."
        );
        assert_eq!(error_message("plain"), "plain");
    }
}
