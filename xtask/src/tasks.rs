//! The tasks. Each runs cargo (`$CARGO`) from the project root and stops at the first failure.

use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) const WASM_TARGET: &str = "wasm32-wasip2";
/// The cargo profile plugins are built with (see the workspace `Cargo.toml`).
pub(crate) const PLUGIN_PROFILE: &str = "plugin";

pub(crate) type Result<T = ()> = std::result::Result<T, String>;

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

pub(crate) fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

pub(crate) fn cargo() -> Command {
    let mut command = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    command.current_dir(root());
    command
}

pub(crate) fn run(mut command: Command) -> Result {
    let shown = format!("{command:?}");
    eprintln!("xtask: running {shown}");
    let status = command
        .status()
        .map_err(|e| format!("failed to start {shown}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{shown} failed ({status})"))
    }
}

/// Adds the wasm target with rustup when it is missing.
fn ensure_wasm_target() -> Result {
    let sysroot = Command::new("rustc")
        .current_dir(root())
        .args(["--print", "sysroot"])
        .output()
        .map_err(|e| format!("failed to run rustc: {e}"))?;
    let sysroot = PathBuf::from(String::from_utf8_lossy(&sysroot.stdout).trim());
    if sysroot.join("lib/rustlib").join(WASM_TARGET).is_dir() {
        return Ok(());
    }
    let mut rustup = Command::new("rustup");
    rustup
        .current_dir(root())
        .args(["target", "add", WASM_TARGET]);
    run(rustup).map_err(|e| format!("{e}\n\nThe {WASM_TARGET} target is missing; install it with `rustup target add {WASM_TARGET}`"))
}

/// The exporter crates: every folder in `plugins/` with an `exporter.toml`.
pub(crate) fn exporter_crates() -> Result<Vec<String>> {
    plugin_folders_with("exporter.toml")
}

/// The folders in `plugins/` that hold `file`, by name; hidden ones (a crash's leftovers) are
/// not plugins.
fn plugin_folders_with(file: &str) -> Result<Vec<String>> {
    let dir = root().join("plugins");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .map_err(|e| format!("failed to read `{}`: {e}", dir.display()))?
        .filter_map(|entry| entry.ok())
        .filter(|entry| !entry.file_name().to_string_lossy().starts_with('.'))
        .filter(|entry| entry.path().join(file).is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

/// Builds every exporter in one cargo run and copies them to `target/plugins`.
pub(crate) fn plugins() -> Result<PathBuf> {
    ensure_wasm_target()?;
    let crates = exporter_crates()?;
    let mut build = cargo();
    build.args([
        "build",
        "--target",
        WASM_TARGET,
        "--profile",
        PLUGIN_PROFILE,
    ]);
    for name in &crates {
        build.args(["--package", name]);
    }
    run(build)?;
    let out = target_dir().join("plugins");
    std::fs::create_dir_all(&out)
        .map_err(|e| format!("failed to create `{}`: {e}", out.display()))?;
    for name in &crates {
        let built = target_dir()
            .join(WASM_TARGET)
            .join(PLUGIN_PROFILE)
            .join(format!("{}.wasm", name.replace('-', "_")));
        let dest = out.join(format!("{name}.wasm"));
        std::fs::copy(&built, &dest).map_err(|e| {
            format!(
                "failed to copy `{}` to `{}`: {e}",
                built.display(),
                dest.display()
            )
        })?;
    }
    eprintln!("xtask: {} exporters in `{}`", crates.len(), out.display());
    Ok(out)
}

/// The exporters written in Python: every folder in `plugins/` with an `app.py`.
fn python_exporters() -> Result<Vec<String>> {
    plugin_folders_with("app.py")
}

/// Builds each Python exporter into `target/polyglot/<name>.wasm` with componentize-py,
/// installed in `target/componentize-py/venv` from the exporter's `requirements.txt`. They are
/// kept apart from `target/plugins`, the default plugin folder: a Python component is 18 MB and
/// takes seconds to compile, so only what asks for it loads it. An exporter whose Python
/// modules, requirements and the WIT are as at its last build is not built again. Each has a
/// venv of its own, so exporters may pin different versions. Needs `python3`; only
/// `cargo xtask plugins` and `cargo xtask test` build them (the demo and the bench do not use
/// them).
pub(crate) fn python_plugins() -> Result {
    let out = target_dir().join("polyglot");
    std::fs::create_dir_all(&out)
        .map_err(|e| format!("failed to create `{}`: {e}", out.display()))?;
    let read = |path: &Path| {
        std::fs::read_to_string(path)
            .map_err(|e| format!("failed to read `{}`: {e}", path.display()))
    };
    for name in python_exporters()? {
        let source = root().join("plugins").join(&name);
        let requirements = source.join("requirements.txt");
        let tools = target_dir().join("componentize-py").join(&name);
        std::fs::create_dir_all(&tools)
            .map_err(|e| format!("failed to create `{}`: {e}", tools.display()))?;
        let venv = tools.join("venv");
        let purpose = format!("the Python exporter `{name}`");
        python_venv(
            &venv,
            &requirements,
            &tools.join("installed-requirements.txt"),
            &purpose,
        )?;
        let mut modules: Vec<PathBuf> = std::fs::read_dir(&source)
            .map_err(|e| format!("failed to read `{}`: {e}", source.display()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "py"))
            .collect();
        modules.sort();
        let mut inputs = String::new();
        for path in modules
            .iter()
            .chain([&requirements, &root().join("wit/exporter.wit")])
        {
            inputs.push_str(&read(path)?);
        }
        let built = out.join(format!("{name}.wasm"));
        let stamp = out.join(format!(".{name}.inputs"));
        if built.is_file() && std::fs::read_to_string(&stamp).ok().as_deref() == Some(&inputs) {
            continue;
        }
        let mut componentize = Command::new(venv.join("bin/componentize-py"));
        componentize
            .current_dir(root())
            .args(["-d", "wit", "-w", "exporter", "componentize", "app", "-p"])
            .arg(&source)
            .arg("-o")
            .arg(&built);
        run(componentize)?;
        std::fs::write(&stamp, &inputs)
            .map_err(|e| format!("failed to write `{}`: {e}", stamp.display()))?;
    }
    eprintln!("xtask: Python exporters in `{}`", out.display());
    Ok(())
}

pub(crate) fn build_host() -> Result {
    let mut build = cargo();
    build.args(["build", "--release", "--package", "propcast"]);
    run(build)
}

fn propcast() -> Command {
    let mut command = Command::new(target_dir().join("release").join("propcast"));
    command.current_dir(root());
    command
}

/// Sets up everything and publishes 2024-01-10 from the sample warehouse to `out/`.
pub(crate) fn demo() -> Result {
    plugins()?;
    build_host()?;
    let mut sample = propcast();
    sample.args(["sample-data", "--out", "warehouse.sqlite"]);
    run(sample)?;
    let mut publish = propcast();
    publish.args(["run", "--date", "2024-01-10"]);
    run(publish)?;
    eprintln!(
        "xtask: the documents are in `{}`",
        root().join("out").display()
    );
    Ok(())
}

/// The emulator packages (`tests/emulators/requirements.txt`) and where they are installed.
const EMULATOR_REQUIREMENTS: &str = "tests/emulators/requirements.txt";
/// The DuckDB version bqemulator runs, whose spatial extension must be in place offline.
const DUCKDB_VERSION: &str = "v1.5.5";

/// Installs the BigQuery and Cloud Storage emulators the tests start into
/// `target/emulators/venv` (skipped when the installed pins match the requirements), and puts
/// DuckDB's spatial extension where bqemulator's DuckDB finds it with no network: under
/// `target/emulators/duckdb-home`, the HOME the tests give the emulator.
pub(crate) fn emulators() -> Result<PathBuf> {
    let dir = target_dir().join("emulators");
    let venv = dir.join("venv");
    let requirements = root().join(EMULATOR_REQUIREMENTS);
    // The tests look for this stamp (tests/support/emulators.rs) to know the emulators are there.
    let stamp = dir.join("installed-requirements.txt");
    python_venv(&venv, &requirements, &stamp, "the emulators")?;
    let site = std::fs::read_dir(venv.join("lib"))
        .map_err(|e| format!("failed to read `{}`: {e}", venv.join("lib").display()))?
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.path().join("site-packages"))
        .find(|path| path.is_dir())
        .ok_or_else(|| format!("no site-packages in `{}`", venv.display()))?;
    let extension = site
        .join("duckdb_extension_spatial/extensions")
        .join(DUCKDB_VERSION)
        .join("spatial.duckdb_extension");
    let extensions = dir
        .join("duckdb-home/.duckdb/extensions")
        .join(DUCKDB_VERSION)
        .join("linux_amd64");
    std::fs::create_dir_all(&extensions)
        .map_err(|e| format!("failed to create `{}`: {e}", extensions.display()))?;
    std::fs::copy(&extension, extensions.join("spatial.duckdb_extension")).map_err(|e| {
        format!(
            "failed to copy DuckDB's spatial extension from `{}`: {e}",
            extension.display()
        )
    })?;
    eprintln!("xtask: emulators ready in `{}`", dir.display());
    Ok(dir)
}

/// A Python virtual environment at `venv` with the packages `requirements` pins, created (or
/// recreated) unless `stamp` records that those pins are installed; `purpose` names what needs
/// it.
pub(crate) fn python_venv(venv: &Path, requirements: &Path, stamp: &Path, purpose: &str) -> Result {
    let wanted = std::fs::read_to_string(requirements)
        .map_err(|e| format!("failed to read `{}`: {e}", requirements.display()))?;
    if std::fs::read_to_string(stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(());
    }
    let _ = std::fs::remove_dir_all(venv);
    let mut create = Command::new("python3");
    create.args(["-m", "venv"]).arg(venv);
    run(create).map_err(|e| {
        format!("{e}\n\n{purpose} need Python 3 with venv (Debian: `apt-get install python3-venv`)")
    })?;
    let mut install = Command::new(venv.join("bin/pip"));
    install
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(requirements);
    run(install)?;
    std::fs::write(stamp, &wanted)
        .map_err(|e| format!("failed to write `{}`: {e}", stamp.display()))
}

/// Builds the plugins, the host and every test, installs the emulators, then runs every test.
///
/// The host is built with the tests (`--workspace --all-targets`), not on its own: a build of
/// `propcast` alone resolves its dependencies' features differently from the workspace's test
/// build, and would compile wasmtime and the Google clients a second time.
pub(crate) fn test() -> Result {
    plugins()?;
    python_plugins()?;
    let mut build = cargo();
    build.args(["build", "--release", "--workspace", "--all-targets"]);
    run(build)?;
    emulators()?;
    let mut test = cargo();
    test.args(["test", "--workspace", "--release", "--no-fail-fast"]);
    run(test)
}

/// rustfmt and clippy, warnings denied.
pub(crate) fn lint() -> Result {
    let mut fmt = cargo();
    fmt.args(["fmt", "--all", "--check"]);
    run(fmt)?;
    let mut clippy = cargo();
    clippy.args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]);
    run(clippy)
}
