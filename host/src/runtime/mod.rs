//! Runs exporter components: the only module that touches wasmtime.
//!
//! A [`Runtime`] is one `Engine` (component model, fuel metering, epoch interruption, a bounded
//! stack) with one `Linker` that offers WASI with nothing granted plus the contract's `log`
//! import; a command makes one (`propcast bench` makes one per engine setting it compares). Each plugin file is compiled once into an [`Exporter`] holding
//! its pre-instantiated handle and checked manifest; each run gets a fresh `Store` with its
//! [`Limits`].
//!
//! The rest of the host sees tables going in and checked documents (or a [`RunError`]) coming
//! out; it never sees the ABI.

mod bindings;
mod cache;
mod invoke;
mod limits;
mod loader;
mod output;
mod pipe;
mod pool;
mod profile;
mod state;
mod strict_json;
mod ticker;
mod virtual_time;

use std::time::Duration;

use anyhow::Context as _;
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{Config, Engine};

pub(crate) use bindings::PACKAGE as CONTRACT_PACKAGE;
pub(crate) use cache::{CacheOutcome, CompileCache};
pub(crate) use invoke::{RunError, RunInput};
pub(crate) use limits::{DescribeBudget, Limits, bytes as format_bytes_binary};
pub(crate) use loader::{Clash, Contract, Exporter, LoadError};
pub(crate) use pool::MAX_CONCURRENT_RUNS;
pub(crate) use state::{LogLevel, LogLine};

use state::HostState;
use ticker::Ticker;

/// How often the epoch ticks; deadlines are whole numbers of ticks.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// How the engine is built: what it meters and how deep guests may recurse. These are fixed
/// for the process; per-run limits are [`Limits`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct EngineSettings {
    /// Bytes of stack a guest may use.
    pub(crate) stack: usize,
    /// Meter instructions with fuel.
    pub(crate) fuel: bool,
    /// Enforce deadlines with epoch interruption.
    pub(crate) epoch: bool,
    /// Write `/tmp/perf-<pid>.map` so `perf` can name the exporters' compiled functions
    /// (`PROPCAST_PERF_MAP=1`; docs/performance.md). Compiled code is the same either way.
    pub(crate) perf_map: bool,
    /// The largest plugin file that is compiled: compiling costs time in proportion to the
    /// code, and a file past this is refused unread.
    pub(crate) max_component_bytes: usize,
    /// The largest table-elements limit any exporter runs under: the size of a pooled table's
    /// slot (`pool`), so a table stops growing at its limit, not at its slot.
    pub(crate) max_table_elements: usize,
}

impl Default for EngineSettings {
    fn default() -> EngineSettings {
        EngineSettings {
            stack: 1 << 20,
            fuel: true,
            epoch: true,
            perf_map: false,
            max_component_bytes: 64 << 20,
            max_table_elements: Limits::default().table_elements,
        }
    }
}

/// The wasmtime engine, linker and epoch ticker shared by every exporter.
pub(crate) struct Runtime {
    engine: Engine,
    linker: Linker<HostState>,
    settings: EngineSettings,
    /// Where compiled components are kept between commands; `None` compiles every time.
    cache: Option<CompileCache>,
    /// The limits every exporter runs under, which `describe` runs under too, within its own
    /// budget.
    describe_limits: Limits,
    describe_budget: DescribeBudget,
    /// Dropping this stops the ticker thread.
    _ticker: Ticker,
}

impl Runtime {
    pub(crate) fn new(settings: EngineSettings) -> anyhow::Result<Runtime> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(settings.epoch);
        config.consume_fuel(settings.fuel);
        config.max_wasm_stack(settings.stack);
        if settings.perf_map {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = pool::engine(&mut config, settings.max_table_elements)
            .map_err(anyhow::Error::from)
            .context("failed to create the WebAssembly engine")?;

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .map_err(anyhow::Error::from)
            .context("failed to link WASI")?;
        virtual_time::add_to_linker(&mut linker)
            .map_err(anyhow::Error::from)
            .context("failed to link the virtual clock's waits")?;
        bindings::log::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |state| state)
            .map_err(anyhow::Error::from)
            .context("failed to link the log import")?;

        let ticker = Ticker::start(&engine, EPOCH_TICK, "propcast-epoch")
            .context("failed to start the epoch ticker")?;

        Ok(Runtime {
            engine,
            linker,
            settings,
            cache: None,
            describe_limits: Limits::default(),
            describe_budget: DescribeBudget::default(),
            _ticker: ticker,
        })
    }

    /// This runtime, loading plugins through `cache`.
    pub(crate) fn with_cache(mut self, cache: Option<CompileCache>) -> Runtime {
        self.cache = cache;
        self
    }

    /// This runtime, calling `describe` under `limits` (those of every exporter) with its
    /// instructions and time capped at `budget`.
    pub(crate) fn with_describe_limits(
        mut self,
        limits: Limits,
        budget: DescribeBudget,
    ) -> Runtime {
        self.describe_limits = limits;
        self.describe_budget = budget;
        self
    }
}
