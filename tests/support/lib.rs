//! Support for the end-to-end tests: find the built `propcast` binary and plugins, give each test
//! an empty folder and a command with a clean environment, and read what was published.
//!
//! The binary and plugins are built by `cargo xtask test` before the tests run. A test that finds
//! them missing fails and says how to build them; it never passes by skipping.

pub mod emulators;
pub mod http;
pub mod proxy;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub use tempfile::TempDir;

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The project's exporters, by name.
pub const EXPORTERS: [&str; 7] = [
    "best-bets",
    "player-profiles",
    "predictions",
    "results",
    "streaks",
    "tonight",
    "tonight-players",
];

/// The cargo profile folder this test binary was built into (`target/release`).
fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test binary>
    exe.parent().and_then(Path::parent).unwrap().to_path_buf()
}

/// The `target` folder.
pub fn target_dir() -> PathBuf {
    profile_dir().parent().unwrap().to_path_buf()
}

/// The built host binary, from the same profile as the tests.
pub fn propcast_bin() -> PathBuf {
    built_by_xtask(profile_dir().join("propcast"))
}

/// `file`, which `cargo xtask test` builds before the tests run: the test fails, saying so,
/// when it is missing.
pub fn built_by_xtask(file: PathBuf) -> PathBuf {
    assert!(
        file.is_file(),
        "`{}` is missing; run the tests with `cargo xtask test`, which builds it",
        file.display()
    );
    file
}

/// The folder `cargo xtask plugins` fills.
pub fn plugins_dir() -> PathBuf {
    let dir = target_dir().join("plugins");
    assert!(
        dir.join("streaks.wasm").is_file(),
        "no built plugins in `{}`; run the tests with `cargo xtask test`, which builds them",
        dir.display()
    );
    dir
}

/// A sample warehouse generated once per test binary by the built `propcast sample-data`.
pub fn sample_db() -> &'static Path {
    static DB: OnceLock<(TempDir, PathBuf)> = OnceLock::new();
    &DB.get_or_init(|| {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("warehouse.sqlite");
        let out = Env::new().run(&[
            "sample-data",
            "--out",
            path.to_str().unwrap(),
            "--seed",
            "7",
        ]);
        assert!(out.success(), "sample-data failed: {}", out.stderr);
        (dir, path)
    })
    .1
}

/// What a command did.
#[derive(Debug)]
pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == 0
    }

    /// Panics unless the command exited with `code` and its stderr holds each of `parts`.
    pub fn assert_fails(&self, code: i32, parts: &[&str]) {
        assert_eq!(self.code, code, "{}\n{}", self.stdout, self.stderr);
        for part in parts {
            assert!(
                self.stderr.contains(part),
                "no `{part}` in:\n{}",
                self.stderr
            );
        }
    }

    /// The report of a run given `--report json`.
    pub fn report(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not a JSON report ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Panics, showing the exit code and both streams, unless the command succeeded.
    pub fn assert_success(&self) {
        assert!(
            self.success(),
            "exit {}\n{}\n{}",
            self.code,
            self.stdout,
            self.stderr
        );
    }
}

/// An empty temporary folder to run `propcast` in, with a clean environment.
pub struct Env {
    pub dir: TempDir,
}

impl From<std::process::Output> for Output {
    fn from(output: std::process::Output) -> Output {
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Default for Env {
    fn default() -> Self {
        Self::new()
    }
}

impl Env {
    pub fn new() -> Env {
        Env {
            dir: TempDir::new().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `propcast` with no inherited environment, run in this folder. Every test shares one
    /// compile cache (`target/test-compile-cache`), so each plugin is compiled once per test
    /// run, not once per command; the cache's own tests give theirs with `--cache-dir`.
    pub fn command(&self) -> Command {
        let mut command = Command::new(propcast_bin());
        command
            .env_clear()
            .env(
                "PROPCAST_CACHE_DIR",
                target_dir().join("test-compile-cache"),
            )
            .current_dir(self.path());
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.run_with(&[], args)
    }

    /// `propcast args` with the environment variables `env`.
    pub fn run_with(&self, env: &[(&str, &str)], args: &[&str]) -> Output {
        let output = self
            .command()
            .envs(env.iter().copied())
            .args(args)
            .output()
            .unwrap();
        Output::from(output)
    }

    /// `propcast run` for `date` on the sample warehouse, publishing to `out/` here, with a
    /// fixed timestamp, plus `extra` arguments.
    pub fn publish(&self, date: &str, plugins: &Path, extra: &[&str]) -> Output {
        self.on_sample(&["run", "--date", date], plugins, extra)
    }

    /// `propcast backfill` from `from` to `to`, as [`Env::publish`] runs one date.
    pub fn backfill(&self, from: &str, to: &str, plugins: &Path, extra: &[&str]) -> Output {
        self.on_sample(&["backfill", "--from", from, "--to", to], plugins, extra)
    }

    /// `command` on the sample warehouse with the plugins in `plugins`, publishing to `out/`
    /// here with a fixed timestamp, plus `extra` arguments.
    fn on_sample(&self, command: &[&str], plugins: &Path, extra: &[&str]) -> Output {
        let args = sample_args(command, plugins, extra);
        self.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
    }

    pub fn out(&self) -> PathBuf {
        self.path().join("out")
    }

    pub fn json(&self, relative: &str) -> serde_json::Value {
        let path = self.out().join(relative);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading `{}`: {e}", path.display()));
        serde_json::from_str(&text).unwrap()
    }

    /// The run manifests of `date` under `out/runs/`.
    pub fn run_manifests(&self, date: &str) -> Vec<serde_json::Value> {
        files_under(&self.out().join("runs").join(date))
            .into_values()
            .map(|body| serde_json::from_slice(&body).unwrap())
            .collect()
    }

    /// Every document under `out/`, by relative path: the host's own records (run manifests
    /// under `runs/`, stamps under `.propcast/`) left out.
    pub fn published(&self) -> BTreeMap<String, Vec<u8>> {
        documents_under(&self.out())
    }
}

/// The arguments of `command` on the sample warehouse with the plugins in `plugins`,
/// publishing to `out/` with a fixed timestamp, plus `extra` (for a run the test spawns itself).
pub fn sample_args(command: &[&str], plugins: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = command.to_vec();
    args.extend([
        "--db",
        sample_db().to_str().unwrap(),
        "--plugins",
        plugins.to_str().unwrap(),
        "--out",
        "out",
        "--generated-at",
        "2024-01-10T12:00:00Z",
    ]);
    args.extend_from_slice(extra);
    args.into_iter().map(String::from).collect()
}

/// The documents under `root`: every file but the host's records (`runs/`, `.propcast/`).
pub fn documents_under(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = files_under(root);
    files.retain(|path, _| !path.starts_with("runs/") && !path.starts_with(".propcast/"));
    files
}

/// Every file under `root` (none when it does not exist), by path relative to it.
pub fn files_under(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let relative = path
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(relative, std::fs::read(&path).unwrap());
            }
        }
    }
    files
}

/// A plugin folder holding copies of the given built plugins (by name) and extra files.
pub fn plugin_folder(built: &[&str], extra: &[(&str, &[u8])]) -> TempDir {
    let dir = TempDir::new().unwrap();
    for name in built {
        let file = format!("{name}.wasm");
        std::fs::copy(plugins_dir().join(&file), dir.path().join(&file)).unwrap();
    }
    for (file, bytes) in extra {
        std::fs::write(dir.path().join(file), bytes).unwrap();
    }
    dir
}

/// Caps the address space of the process `command` starts at `bytes`: 1 TiB leaves room for
/// each run's own memory but not for the engine's memory pool (~4 TiB), which it then does
/// without.
pub fn cap_address_space(command: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt as _;
    // SAFETY: only setrlimit, which is async-signal-safe, runs between fork and exec.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: bytes,
                rlim_max: bytes,
            };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}

/// The plugins under `tests/plugins`, built for the wasm target after the host binary exists
/// (their own workspace and target folder, so the running tests' cargo is not involved):
/// `probe`, `echo`, `hostile` and its variants (`hostile-<feature>`), `wrong-world`,
/// `old-contract`.
/// Returns the `.wasm` file of `name`; everything is built once per test binary.
pub fn test_plugin(name: &str) -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        let target = target_dir().join("test-plugins");
        let out = target.join("plugins");
        std::fs::create_dir_all(&out).unwrap();
        let manifest = root().join("tests/plugins/Cargo.toml");
        let build = |extra: &[&str]| {
            let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
            let status = Command::new(cargo)
                .args([
                    "build",
                    "--quiet",
                    "--release",
                    "--target",
                    "wasm32-wasip2",
                    "--manifest-path",
                ])
                .arg(&manifest)
                .args(extra)
                .env("CARGO_TARGET_DIR", &target)
                .status()
                .unwrap();
            assert!(
                status.success(),
                "building the test plugins failed ({extra:?})"
            );
        };
        let built = |file: &str| target.join("wasm32-wasip2/release").join(file);
        build(&["--workspace"]);
        for (file, name) in [
            ("probe.wasm", "probe"),
            ("echo.wasm", "echo"),
            ("hostile.wasm", "hostile"),
            ("wrong-world.wasm", "wrong-world"),
            ("old_contract.wasm", "old-contract"),
            ("slow_describe.wasm", "slow-describe"),
        ] {
            std::fs::copy(built(file), out.join(format!("{name}.wasm"))).unwrap();
        }
        for feature in [
            "query-delete",
            "query-two-statements",
            "query-slow",
            "query-many-rows",
            "query-season-promise",
            "outputs-overlap",
            "outputs-file-as-folder",
            "option-named-like-a-flag",
        ] {
            build(&["--package", "hostile", "--features", feature]);
            std::fs::copy(
                built("hostile.wasm"),
                out.join(format!("hostile-{feature}.wasm")),
            )
            .unwrap();
        }
        out
    });
    let file = dir.join(format!("{name}.wasm"));
    assert!(
        file.is_file(),
        "no test plugin `{name}` in `{}`",
        dir.display()
    );
    file
}

/// The JSON Schemas the exporters document (`plugins/*/schemas/*.schema.json`), each with the
/// document paths it covers (`x-paths`, where `*` stands for one path segment).
pub struct Schemas {
    schemas: Vec<(String, Vec<String>, jsonschema::Validator)>,
}

impl Schemas {
    pub fn load() -> Schemas {
        let mut schemas = Vec::new();
        for plugin in std::fs::read_dir(root().join("plugins")).unwrap() {
            let dir = plugin.unwrap().path().join("schemas");
            let Ok(files) = std::fs::read_dir(&dir) else {
                continue;
            };
            for file in files {
                let path = file.unwrap().path();
                let schema: serde_json::Value =
                    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
                let paths = schema["x-paths"]
                    .as_array()
                    .expect("x-paths")
                    .iter()
                    .map(|p| p.as_str().unwrap().to_string())
                    .collect();
                let validator = jsonschema::validator_for(&schema)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                schemas.push((
                    path.file_name().unwrap().to_string_lossy().into_owned(),
                    paths,
                    validator,
                ));
            }
        }
        assert!(schemas.len() >= 8, "found only {} schemas", schemas.len());
        Schemas { schemas }
    }

    /// Checks `document` (published at `path`) against the one schema that covers the path:
    /// an exact `x-paths` entry wins over a pattern.
    pub fn check(&self, path: &str, document: &serde_json::Value) -> Result<String, String> {
        let matches = |pattern: &str| {
            let (p, q): (Vec<&str>, Vec<&str>) =
                (pattern.split('/').collect(), path.split('/').collect());
            p.len() == q.len()
                && p.iter()
                    .zip(&q)
                    .all(|(a, b)| *a == *b || (a.starts_with('*') && b.ends_with(&a[1..])))
        };
        let exact = self
            .schemas
            .iter()
            .find(|(_, paths, _)| paths.iter().any(|p| p == path));
        let pattern: Vec<_> = self
            .schemas
            .iter()
            .filter(|(_, paths, _)| paths.iter().any(|p| matches(p)))
            .collect();
        let (name, _, validator) = match (exact, pattern.as_slice()) {
            (Some(schema), _) => schema,
            (None, [schema]) => *schema,
            (None, []) => return Err(format!("no schema covers `{path}`")),
            (None, _) => return Err(format!("several schemas cover `{path}`")),
        };
        let errors: Vec<String> = validator
            .iter_errors(document)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .take(5)
            .collect();
        if errors.is_empty() {
            Ok(name.clone())
        } else {
            Err(format!("`{path}` breaks {name}: {}", errors.join("; ")))
        }
    }
}
