//! What one exporter run's `Store` holds: an empty WASI context, the captured output streams,
//! the log lines the exporter sent, and the limiter that bounds its memory and tables.
//!
//! Each capability an exporter can use is a field here with its own view trait, never a global.

use wasmtime::component::ResourceTable;
use wasmtime_wasi::p2::pipe::MemoryInputPipe;
use wasmtime_wasi::{HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxView, WasiView};

use super::bindings::log;
use super::limits::{LimitBreach, LimitKind, Limiter, bytes};
use super::pipe::BoundedPipe;

/// How important a log line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum LogLevel {
    Debug,
    Info,
    Warn,
    Error,
}

impl std::fmt::Display for LogLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            LogLevel::Debug => "debug",
            LogLevel::Info => "info",
            LogLevel::Warn => "warn",
            LogLevel::Error => "error",
        })
    }
}

/// One line an exporter logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LogLine {
    pub(crate) level: LogLevel,
    pub(crate) message: String,
}

/// What each log line counts against the log limit besides its text: its place in the host's
/// list of lines.
const LINE_COST: usize = std::mem::size_of::<LogLine>();

/// The captured log of one run, bounded so a flooding exporter cannot exhaust host memory.
#[derive(Debug, Default)]
pub(crate) struct Log {
    pub(crate) lines: Vec<LogLine>,
    pub(crate) bytes: usize,
}

/// The data of one exporter run's store.
pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: Limiter,
    pub(crate) log: Log,
    max_log_bytes: usize,
    max_stdio_bytes: usize,
    stdout: BoundedPipe,
    stderr: BoundedPipe,
}

/// A wall clock that always reads the run's `generated-at`.
struct FixedWallClock(std::time::Duration);

impl HostWallClock for FixedWallClock {
    fn resolution(&self) -> std::time::Duration {
        std::time::Duration::from_secs(1)
    }
    fn now(&self) -> std::time::Duration {
        self.0
    }
}

/// A monotonic clock that never moves.
struct FrozenMonotonicClock;

impl HostMonotonicClock for FrozenMonotonicClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}

/// What a run's store is set up with.
pub(crate) struct StateConfig {
    pub(crate) limiter: Limiter,
    /// Bytes of log messages, and of stdout and of stderr each.
    pub(crate) max_log_bytes: usize,
    /// Seconds since the Unix epoch of the run's `generated-at`: what the clock reads.
    pub(crate) clock_seconds: u64,
    /// Seeds the exporter's random numbers, so reruns are identical.
    pub(crate) random_seed: u64,
}

impl HostState {
    /// A state granting nothing: no files, environment, arguments or network; stdin is empty,
    /// stdout and stderr go to memory, clocks read the run's timestamp, random is seeded.
    pub(crate) fn new(config: StateConfig) -> HostState {
        // One byte of room past the limit, so writing exactly the limit is allowed and a
        // full pipe means the exporter tried to write more.
        let stdout = BoundedPipe::new(config.max_log_bytes + 1);
        let stderr = BoundedPipe::new(config.max_log_bytes + 1);
        let random_bytes = seeded_bytes(config.random_seed, 4096);
        let wasi = WasiCtx::builder()
            .stdin(MemoryInputPipe::new(Vec::new()))
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .wall_clock(FixedWallClock(std::time::Duration::from_secs(
                config.clock_seconds,
            )))
            .monotonic_clock(FrozenMonotonicClock)
            .secure_random(wasmtime_wasi::Deterministic::new(random_bytes.clone()))
            .insecure_random(wasmtime_wasi::Deterministic::new(random_bytes))
            .insecure_random_seed(u128::from(config.random_seed))
            .build();
        HostState {
            wasi,
            table: ResourceTable::new(),
            limiter: config.limiter,
            log: Log::default(),
            max_log_bytes: config.max_log_bytes,
            max_stdio_bytes: config.max_log_bytes,
            stdout,
            stderr,
        }
    }

    /// The stdio limit breach of this run, if any: a pipe holding more than the limit, or one
    /// that refused a write (a trap, or an error a Rust guest may ignore or turn into a panic).
    pub(crate) fn stdio_breach(&self) -> Option<LimitBreach> {
        let full = |pipe: &BoundedPipe| {
            pipe.contents().len() > self.max_stdio_bytes || pipe.refused_a_write()
        };
        let stream = if full(&self.stdout) {
            "stdout"
        } else if full(&self.stderr) {
            "stderr"
        } else {
            return None;
        };
        Some(LimitBreach::new(
            LimitKind::Log,
            bytes(self.max_stdio_bytes as u64),
            format!("it wrote more than that to {stream}"),
        ))
    }

    /// What the exporter wrote to stdout and stderr, as lossy UTF-8.
    pub(crate) fn stdio(&self) -> (String, String) {
        let text = |pipe: &BoundedPipe| String::from_utf8_lossy(&pipe.contents()).into_owned();
        (text(&self.stdout), text(&self.stderr))
    }
}

/// `len` pseudo-random bytes from `seed` (SplitMix64), for WASI's random interfaces.
fn seeded_bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    let mut bytes = Vec::with_capacity(len);
    while bytes.len() < len {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        bytes.extend_from_slice(&z.to_le_bytes());
    }
    bytes.truncate(len);
    bytes
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl log::Host for HostState {
    fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        // A line costs the host its text and its place in the list: empty lines are not free.
        let cost = message.len() + LINE_COST;
        if self.log.bytes + cost > self.max_log_bytes {
            let used = format!(
                "it logged {} in {} lines and then {} more (each line counts {LINE_COST} bytes \
                 besides its text)",
                bytes(self.log.bytes as u64),
                self.log.lines.len(),
                bytes(cost as u64)
            );
            return Err(wasmtime::Error::new(LimitBreach::new(
                LimitKind::Log,
                bytes(self.max_log_bytes as u64),
                used,
            )));
        }
        self.log.bytes += cost;
        let level = match level {
            log::Level::Debug => LogLevel::Debug,
            log::Level::Info => LogLevel::Info,
            log::Level::Warn => LogLevel::Warn,
            log::Level::Error => LogLevel::Error,
        };
        self.log.lines.push(LogLine { level, message });
        Ok(())
    }
}
