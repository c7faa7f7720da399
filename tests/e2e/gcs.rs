//! Publishing to Cloud Storage (`--out gs://site/api`), against the real fake-gcs-server on
//! 127.0.0.1 behind the tests' faulty proxy, which records every request and fails the ones a
//! test asks it to (issue 7).
//!
//! Known difference, written down in docs/design.md: fake-gcs-server drops the `Content-Type`
//! the client sends with a single-shot upload (it reads it from the media part, which the
//! client leaves bare), so the content type is checked in the requests, not on the objects.

use std::collections::BTreeMap;
use std::io::Read as _;

use propcast_e2e::emulators::FakeGcs;
use propcast_e2e::proxy::{Action, Exchange, Proxy, Rule};
use propcast_e2e::{Env, Output, documents_under, plugins_dir, sample_db};
use serde_json::Value;

const BUCKET: &str = "site";
const PREFIX: &str = "api/";

/// A bucket on fake-gcs-server, reached through a proxy, and a folder to run in.
struct Site {
    gcs: FakeGcs,
    proxy: Proxy,
    env: Env,
}

impl Site {
    fn new() -> Site {
        let gcs = FakeGcs::start();
        gcs.create_bucket(BUCKET);
        let proxy = Proxy::start(gcs.port);
        Site {
            gcs,
            proxy,
            env: Env::new(),
        }
    }

    /// `propcast run --date date --only only` into `gs://site/api`, plus `extra`.
    fn publish(&self, date: &str, only: &str, extra: &[&str]) -> Output {
        let db = sample_db().to_str().unwrap();
        let plugins = plugins_dir();
        let mut args = vec![
            "run",
            "--date",
            date,
            "--only",
            only,
            "--db",
            db,
            "--plugins",
            plugins.to_str().unwrap(),
            "--out",
            "gs://site/api",
            "--generated-at",
            "2024-01-10T12:00:00Z",
        ];
        args.extend_from_slice(extra);
        let host = self.proxy.host();
        self.env
            .run_with(&[("STORAGE_EMULATOR_HOST", host.as_str())], &args)
    }

    /// The same run into a local folder, for comparison: its documents by path.
    fn publish_locally(&self, date: &str, only: &str) -> BTreeMap<String, Vec<u8>> {
        let env = Env::new();
        env.publish(date, &plugins_dir(), &["--only", only])
            .assert_success();
        documents_under(&env.out())
    }

    /// Object resources under the prefix, by path relative to it.
    fn objects(&self) -> BTreeMap<String, Value> {
        self.gcs
            .objects(BUCKET, PREFIX)
            .into_iter()
            .map(|o| {
                let name = o["name"].as_str().unwrap();
                (name.strip_prefix(PREFIX).unwrap().to_string(), o)
            })
            .collect()
    }

    /// The documents under the prefix (run manifests and set records left out).
    fn documents(&self) -> BTreeMap<String, Vec<u8>> {
        self.objects()
            .into_keys()
            .filter(|path| !path.starts_with("runs/"))
            .map(|path| {
                let body = self.body(&path);
                (path, body)
            })
            .collect()
    }

    fn body(&self, path: &str) -> Vec<u8> {
        self.gcs.download(BUCKET, &format!("{PREFIX}{path}"))
    }

    /// The run manifests, oldest first (their names start with the run's timestamp and the
    /// runs here share one, so by upload order instead).
    fn run_manifests(&self) -> Vec<Value> {
        let mut manifests: Vec<(String, Value)> = self
            .objects()
            .into_iter()
            .filter(|(path, _)| path.starts_with("runs/20"))
            .map(|(path, o)| (o["generation"].as_str().unwrap().to_string(), path))
            .map(|(generation, path)| {
                let body: Value = serde_json::from_slice(&self.body(&path)).unwrap();
                (generation, body)
            })
            .collect();
        manifests.sort_by(|a, b| a.0.cmp(&b.0));
        manifests.into_iter().map(|(_, m)| m).collect()
    }

    /// The uploads the proxy saw, in order, but the check before the run that the bucket is
    /// writable (a probe object it removes at once).
    fn upload_exchanges(&self) -> Vec<Exchange> {
        self.proxy
            .exchanges()
            .into_iter()
            .filter(|e| e.method == "POST" && e.target.starts_with("/upload/"))
            .filter(|e| !upload_name(&e.target).starts_with("api/runs/.write-check-"))
            .collect()
    }

    /// The object names of those uploads.
    fn uploads(&self) -> Vec<String> {
        self.upload_exchanges()
            .iter()
            .map(|e| upload_name(&e.target))
            .collect()
    }
}

/// The object name in an upload's query string, decoded.
fn upload_name(target: &str) -> String {
    let query = target.split_once('?').map_or("", |(_, q)| q);
    let encoded = query
        .split('&')
        .find_map(|pair| pair.strip_prefix("name="))
        .unwrap_or_default();
    let mut name = Vec::new();
    let bytes = encoded.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            name.push(u8::from_str_radix(&encoded[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            name.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
            i += 1;
        }
    }
    String::from_utf8(name).unwrap()
}

#[test]
fn documents_go_up_with_their_type_cache_headers_and_stamps() {
    let site = Site::new();
    let out = site.publish("2024-01-10", "streaks,tonight,tonight-players", &[]);
    out.assert_success();
    let local = site.publish_locally("2024-01-10", "streaks,tonight,tonight-players");
    assert_eq!(
        site.documents(),
        local,
        "the bucket holds exactly the folder's documents"
    );
    assert!(local.len() > 100, "{} documents", local.len());

    let objects = site.objects();
    let cache = |path: &str| objects[path]["cacheControl"].as_str().unwrap().to_string();
    assert_eq!(
        cache("v1/streaks/2024-01-10.json"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(cache("v1/streaks/today.json"), "public, max-age=60");
    assert_eq!(cache("v1/tonight/all-players.json"), "public, max-age=300");
    let page = objects
        .keys()
        .find(|p| p.starts_with("v1/tonight/player/"))
        .unwrap();
    assert_eq!(cache(page), "public, max-age=300");
    assert_eq!(
        objects["v1/streaks/today.json"]["metadata"],
        serde_json::json!({
            "propcast-exporter": "streaks",
            "propcast-kind": "alias",
            "propcast-date": "2024-01-10"
        })
    );
    assert!(
        objects
            .values()
            .all(|o| o.get("contentEncoding").is_none_or(|e| e == ""))
    );

    // The write check left nothing behind.
    assert!(!objects.keys().any(|p| p.contains(".write-check")));
    // Every upload asked for `Content-Type: application/json` (the emulator does not keep it).
    let uploads = site.upload_exchanges();
    assert_eq!(
        uploads.len(),
        local.len() + 2,
        "the documents, the record of the replaced set and the run manifest"
    );
    for upload in &uploads {
        assert!(
            upload
                .body_text()
                .contains(r#""contentType":"application/json""#),
            "{}",
            upload.body_text()
        );
    }

    // The run manifest lists every document with its hash and outcome.
    let manifests = site.run_manifests();
    assert_eq!(manifests.len(), 1);
    let manifest = &manifests[0];
    assert_eq!(manifest["date"], "2024-01-10");
    assert_eq!(manifest["destination"], "gs://site/api");
    assert!(manifest["source"].as_str().unwrap().starts_with("sqlite:"));
    let listed: usize = manifest["exporters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["status"], "ok");
            assert_eq!(e["component_sha256"].as_str().unwrap().len(), 64);
            e["documents"].as_array().unwrap().len()
        })
        .sum();
    assert_eq!(listed, local.len());
    let streaks = &manifest["exporters"][0];
    assert_eq!(streaks["name"], "streaks");
    assert_eq!(
        streaks["documents"][1],
        serde_json::json!({
            "path": "v1/streaks/today.json",
            "sha256": sha256_hex(&local["v1/streaks/today.json"]),
            "bytes": local["v1/streaks/today.json"].len(),
            "kind": "alias",
            "outcome": "uploaded"
        })
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn gzip_objects_are_served_compressed_and_decompress_to_the_documents() {
    let site = Site::new();
    site.publish("2024-01-10", "streaks", &["--gzip"])
        .assert_success();
    let local = site.publish_locally("2024-01-10", "streaks");
    let objects = site.objects();
    for (path, body) in &local {
        assert_eq!(objects[path]["contentEncoding"], "gzip", "{path}");
        let stored = site.body(path);
        assert!(stored.len() < body.len(), "{path} is compressed");
        let mut plain = Vec::new();
        flate2::read::GzDecoder::new(&stored[..])
            .read_to_end(&mut plain)
            .unwrap();
        assert_eq!(&plain, body, "{path}");
    }
    // Compression is reproducible, so a rerun finds every object unchanged.
    site.proxy.clear_log();
    let again = site.publish("2024-01-10", "streaks", &["--gzip"]);
    again.assert_success();
    assert!(
        again.stdout.contains(": 0 uploaded, 2 unchanged"),
        "{}",
        again.stdout
    );
}

#[test]
fn a_second_run_uploads_nothing_but_its_run_manifest() {
    let site = Site::new();
    let only = "streaks,tonight-players,results";
    site.publish("2024-01-10", only, &[]).assert_success();
    let documents = site.publish_locally("2024-01-10", only).len();
    site.proxy.clear_log();
    let again = site.publish("2024-01-10", only, &[]);
    again.assert_success();
    assert!(
        again.stdout.contains(&format!(
            "published {documents} documents to `gs://site/api`: 0 uploaded, {documents} unchanged"
        )),
        "{}",
        again.stdout
    );
    let uploads = site.uploads();
    assert_eq!(uploads.len(), 1, "{uploads:?}");
    assert!(
        uploads[0].starts_with("api/runs/2024-01-10/"),
        "{uploads:?}"
    );
    let manifests = site.run_manifests();
    assert_eq!(manifests.len(), 2);
    assert!(
        manifests[1]["exporters"][0]["documents"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["outcome"] == "unchanged")
    );
}

#[test]
fn aliases_go_up_only_after_every_file_of_their_exporter_is_up() {
    let site = Site::new();
    // Each dated upload is held back a while: an alias sent alongside it would overtake it.
    site.proxy.add_rule(
        Rule::on(
            "%2F2024-01-10.json",
            Action::Delay(std::time::Duration::from_millis(600)),
        )
        .method("POST"),
    );
    site.publish("2024-01-10", "streaks,results,predictions,best-bets", &[])
        .assert_success();
    let exchanges = site.proxy.exchanges();
    for (folder, alias) in [
        ("streaks", "today"),
        ("results", "latest"),
        ("predictions", "today"),
        ("best-bets", "today"),
    ] {
        let upload = |name: &str| {
            let object = format!("api/v1/{folder}/{name}.json");
            exchanges
                .iter()
                .find(|e| e.target.starts_with("/upload/") && upload_name(&e.target) == object)
                .unwrap_or_else(|| panic!("no upload of `{object}`"))
                .clone()
        };
        let (dated, alias) = (upload("2024-01-10"), upload(alias));
        assert!(
            alias.arrived > dated.answered,
            "{folder}: the alias was sent (at {}) before its dated file was up (at {})",
            alias.arrived,
            dated.answered
        );
    }
}

#[test]
fn a_listing_of_many_pages_is_read_whole() {
    let site = Site::new();
    // Listings come back seven objects a page.
    site.proxy.add_rule(
        Rule::on(
            "/b/site/o?",
            Action::RewriteTarget {
                from: "/o?".into(),
                to: "/o?maxResults=7&".into(),
            },
        )
        .method("GET"),
    );
    site.publish("2024-01-17", "tonight-players", &[])
        .assert_success();
    let pages = site.publish_locally("2024-01-17", "tonight-players").len();
    assert!(pages > 100, "{pages}");
    site.proxy.clear_log();
    let again = site.publish("2024-01-17", "tonight-players", &[]);
    again.assert_success();
    assert!(
        again
            .stdout
            .contains(&format!(": 0 uploaded, {pages} unchanged")),
        "every page was found in the listing:\n{}",
        again.stdout
    );
    let listings = site
        .proxy
        .exchanges()
        .iter()
        .filter(|e| e.target.contains("/b/site/o?") && e.target.contains("pageToken="))
        .count();
    assert!(listings >= pages / 7, "{listings} listing pages");
    // The next night's set is smaller; the listing finds every page to remove.
    let next = site.publish("2024-01-18", "tonight-players", &[]);
    next.assert_success();
    let kept = site.publish_locally("2024-01-18", "tonight-players");
    let remaining: Vec<String> = site
        .objects()
        .into_keys()
        .filter(|p| p.starts_with("v1/tonight/player/"))
        .collect();
    assert_eq!(remaining, kept.into_keys().collect::<Vec<_>>());
}

#[test]
fn an_older_date_never_moves_an_alias_back() {
    let site = Site::new();
    site.publish("2024-01-17", "streaks,results", &[])
        .assert_success();
    let newer_today = site.body("v1/streaks/today.json");
    assert_eq!(newer_today, site.body("v1/streaks/2024-01-17.json"));
    let older = site.publish("2024-01-10", "streaks,results", &[]);
    older.assert_success();
    assert!(
        older
            .stdout
            .contains(": 2 uploaded, 0 unchanged, 2 kept newer, 0 failed"),
        "{}",
        older.stdout
    );
    assert_eq!(site.body("v1/streaks/today.json"), newer_today);
    assert_eq!(
        site.objects()["v1/results/latest.json"]["metadata"]["propcast-date"],
        "2024-01-17"
    );
    assert!(site.objects().contains_key("v1/streaks/2024-01-10.json"));
    // A newer date moves it on.
    site.publish("2024-01-18", "streaks", &[]).assert_success();
    assert_eq!(
        site.body("v1/streaks/today.json"),
        site.body("v1/streaks/2024-01-18.json")
    );
}

#[test]
fn a_failed_upload_leaves_the_old_alias_and_exits_1_naming_the_object() {
    let site = Site::new();
    site.publish("2024-01-10", "streaks,results", &[])
        .assert_success();
    let old_today = site.body("v1/streaks/today.json");
    // Every attempt to upload the 11th's streaks fails, as an outage would, retries included.
    site.proxy.add_rule(
        Rule::on(
            "streaks%2F2024-01-11.json",
            Action::Fail {
                status: 503,
                reason: "backendError",
            },
        )
        .method("POST"),
    );
    let out = site.publish("2024-01-11", "streaks,results", &[]);
    out.assert_fails(1, &["propcast: exporter `streaks` failed: failed to publish `v1/streaks/2024-01-11.json` to `gs://site/api`"]);
    let attempts = site.proxy.exchanges().iter().filter(|e| e.injected).count();
    assert!(
        attempts > 1,
        "the client retried the 503 ({attempts} attempts)"
    );
    assert_eq!(site.body("v1/streaks/today.json"), old_today);
    let objects = site.objects();
    assert!(!objects.contains_key("v1/streaks/2024-01-11.json"));
    // The other exporter published.
    assert_eq!(
        objects["v1/results/latest.json"]["metadata"]["propcast-date"],
        "2024-01-11"
    );
    // The run manifest says what was and was not published.
    let manifest = site.run_manifests().pop().unwrap();
    let streaks = &manifest["exporters"][0];
    assert_eq!(streaks["status"], "publish failed");
    assert_eq!(streaks["documents"][0]["outcome"], "failed");
    assert_eq!(streaks["documents"][1]["outcome"], "held");
    assert_eq!(manifest["exporters"][1]["status"], "ok");
}

#[test]
fn a_transient_failure_is_retried_and_the_run_succeeds() {
    let site = Site::new();
    site.proxy.add_rule(
        Rule::on(
            "streaks%2Ftoday.json",
            Action::Fail {
                status: 503,
                reason: "backendError",
            },
        )
        .method("POST")
        .times(1),
    );
    site.publish("2024-01-10", "streaks", &[]).assert_success();
    let tries: Vec<u16> = site
        .proxy
        .exchanges()
        .iter()
        .filter(|e| e.method == "POST" && e.target.contains("streaks%2Ftoday.json"))
        .map(|e| e.status)
        .collect();
    assert_eq!(tries, [503, 200]);
    assert_eq!(
        site.body("v1/streaks/today.json"),
        site.body("v1/streaks/2024-01-10.json")
    );
}

#[test]
fn a_replaced_set_drops_the_pages_of_players_not_playing() {
    let site = Site::new();
    site.publish("2024-01-17", "tonight,tonight-players", &[])
        .assert_success();
    let pages = |site: &Site| {
        site.objects()
            .keys()
            .filter(|p| p.starts_with("v1/tonight/player/"))
            .count()
    };
    let january = pages(&site);
    assert!(january > 100, "{january}");
    // 2024-02-18 is in the All-Star break: no games, so no player pages.
    let out = site.publish("2024-02-18", "tonight,tonight-players", &[]);
    out.assert_success();
    assert_eq!(pages(&site), 0);
    let manifest = site.run_manifests().pop().unwrap();
    let removed = manifest["exporters"][1]["removed"].as_array().unwrap();
    assert_eq!(removed.len(), january);
    // An older date publishes no pages into the newer, empty set, and removes nothing.
    let older = site.publish("2024-01-10", "tonight-players", &[]);
    older.assert_success();
    assert_eq!(pages(&site), 0);
    let would_have = site.publish_locally("2024-01-10", "tonight-players").len();
    assert!(
        older.stdout.contains(&format!(
            ": 0 uploaded, 0 unchanged, {would_have} kept newer"
        )),
        "{}",
        older.stdout
    );
}

#[test]
fn a_missing_bucket_is_named_before_anything_runs() {
    let site = Site::new();
    let out = site.env.run_with(
        &[("STORAGE_EMULATOR_HOST", site.proxy.host().as_str())],
        &[
            "run",
            "--date",
            "2024-01-10",
            "--db",
            sample_db().to_str().unwrap(),
            "--plugins",
            plugins_dir().to_str().unwrap(),
            "--out",
            "gs://no-such-bucket/api",
        ],
    );
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert_eq!(
        out.stderr.trim(),
        "propcast: cannot publish to `gs://no-such-bucket/api`; nothing was run: the bucket `no-such-bucket` does not exist, or these credentials cannot see it"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn a_backfill_rerun_reads_the_bucket_s_run_manifests_and_skips_what_is_published() {
    let site = Site::new();
    let db = sample_db().to_str().unwrap().to_string();
    let plugins = plugins_dir();
    let backfill = || {
        let args = [
            "backfill",
            "--from",
            "2024-01-08",
            "--to",
            "2024-01-10",
            "--only",
            "streaks,results",
            "--db",
            &db,
            "--plugins",
            plugins.to_str().unwrap(),
            "--out",
            "gs://site/api",
            // Gzipped run manifests are read back too.
            "--gzip",
        ];
        let host = site.proxy.host();
        site.env
            .run_with(&[("STORAGE_EMULATOR_HOST", host.as_str())], &args)
    };
    backfill().assert_success();
    site.proxy.clear_log();
    let again = backfill();
    again.assert_success();
    assert!(
        again
            .stdout
            .contains("all 3 dates were already published by earlier runs; nothing to do"),
        "{}",
        again.stdout
    );
    assert_eq!(site.uploads(), Vec::<String>::new(), "nothing was written");
}
