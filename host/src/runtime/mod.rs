//! Runs exporter components: the only module that touches wasmtime.
//!
//! There is one [`Runtime`] per process: one `Engine` (component model, epoch interruption) with
//! one `Linker` that offers WASI with nothing granted plus the contract's `log` import. Each
//! plugin file is compiled once into an [`Exporter`] holding its pre-instantiated handle and
//! checked manifest; each run gets a fresh `Store`.
//!
//! The rest of the host sees tables going in and checked documents (or a [`RunError`]) coming
//! out; it never sees the ABI.

mod bindings;
mod invoke;
mod loader;
mod output;
mod state;

use std::sync::mpsc;
use std::time::Duration;

use anyhow::Context as _;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine};

pub(crate) use invoke::{RunError, RunInput};
pub(crate) use loader::{Exporter, LoadError};
#[cfg(test)]
pub(crate) use state::LogLevel;
pub(crate) use state::LogLine;

use state::HostState;

/// How often the epoch ticks; deadlines are whole numbers of ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Limits that apply to every exporter run.
#[derive(Clone, Debug)]
pub(crate) struct Limits {
    /// Wall-clock time one `run` may take.
    pub(crate) deadline: Duration,
    /// Linear memory one run may grow to, in bytes.
    pub(crate) max_memory_bytes: usize,
    /// Bytes of log messages kept per run; later lines are dropped and counted.
    pub(crate) max_log_bytes: usize,
    /// Bytes of stdout and of stderr kept per run.
    pub(crate) max_stdio_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            deadline: Duration::from_secs(60),
            max_memory_bytes: 512 << 20,
            max_log_bytes: 1 << 20,
            max_stdio_bytes: 64 << 10,
        }
    }
}

/// The wasmtime engine, linker and epoch ticker shared by every exporter.
pub(crate) struct Runtime {
    engine: Engine,
    linker: Linker<HostState>,
    limits: Limits,
    /// Dropping this stops the ticker thread.
    _ticker: mpsc::Sender<()>,
}

impl Runtime {
    pub(crate) fn new(limits: Limits) -> anyhow::Result<Runtime> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        let engine = Engine::new(&config)
            .map_err(anyhow::Error::from)
            .context("failed to create the WebAssembly engine")?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(anyhow::Error::from)
            .context("failed to link WASI")?;
        bindings::log::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)
            .map_err(anyhow::Error::from)
            .context("failed to link the log import")?;

        let (stop, stopped) = mpsc::channel::<()>();
        let ticking = engine.clone();
        std::thread::Builder::new()
            .name("propcast-epoch".into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(EPOCH_TICK) {
                    ticking.increment_epoch();
                }
            })
            .context("failed to start the epoch ticker")?;

        Ok(Runtime {
            engine,
            linker,
            limits,
            _ticker: stop,
        })
    }
}
