//! `propcast`: publishes the static JSON API of an NBA player-props site by running sandboxed
//! WebAssembly exporters. See the README for the commands and `docs/design.md` for why it is
//! built this way.
//!
//! Data flows one way: `cli` parses, `jobs` plans and drives, `source` reads the warehouse,
//! `runtime` runs exporters, `publish` writes documents; `data` holds what passes between them,
//! and `cloud` what the two Google Cloud edges share (credentials, emulators).

mod cli;
mod cloud;
mod data;
mod files;
mod interrupt;
mod jobs;
mod logging;
mod publish;
mod runtime;
mod sample;
mod source;

use std::process::ExitCode;

fn main() -> ExitCode {
    let start_logging = |log: &cli::LogArgs| logging::init(log.verbosity(), log.format());
    let (cli, preloaded) = match cli::parse(std::env::args_os().collect(), start_logging) {
        Ok(parsed) => parsed,
        Err(error) => {
            eprintln!("propcast: {error:#}");
            return ExitCode::from(2);
        }
    };
    let log = &cli.log;
    let result = match cli.command {
        cli::Command::Run(args) => jobs::run(args.into_request(log), preloaded),
        cli::Command::Backfill(args) => args
            .into_request(log)
            .and_then(|request| jobs::run(request, preloaded)),
        cli::Command::Jobs(args) => jobs::list_jobs(args.config.as_deref(), args.at, args.json),
        cli::Command::Plugins(args) => jobs::plugins(args.into_request()),
        cli::Command::SampleData(args) => jobs::sample_data(args),
        cli::Command::Test(args) => jobs::test(args.into_request()),
        cli::Command::Capture(args) => jobs::capture(args.into_request()),
        cli::Command::Describe(args) => {
            let (plugins, request) = args.into_request();
            jobs::describe(&plugins, &request)
        }
        cli::Command::New(args) => jobs::new_exporter(&args.into_request()),
        cli::Command::Bench(args) => jobs::bench(args.into_request()),
        cli::Command::Precompile(args) => jobs::precompile(args.into_request()),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            tracing::error!("{error:#}");
            // 3: the data is not ready (retry later); 2: usage or configuration.
            if error.downcast_ref::<jobs::NotReady>().is_some() {
                ExitCode::from(3)
            } else {
                ExitCode::from(2)
            }
        }
    }
}
