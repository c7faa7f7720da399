//! One exporter run: a fresh store, the inputs lowered into the component, `run` called under
//! the limits, and the result turned into checked documents or a [`RunError`] that says what
//! happened in the user's terms (a guest panic's message, not "unreachable"; the limit that was
//! hit, its value and what was used).

use std::time::{Duration, Instant};

use wasmtime::{Store, Trap};

use super::bindings::wit;
use super::limits::{LimitBreach, LimitKind, Limiter, Limits, bytes};
use super::loader::Exporter;
use super::output;
use super::profile::GuestProfile;
use super::state::{HostState, LogLevel, LogLine, StateConfig};
use super::{EPOCH_TICK, Runtime};
use crate::data::{ColumnValues, Document, Table};

/// What one run is given.
#[derive(Clone)]
pub(crate) struct RunInput {
    pub(crate) date: String,
    pub(crate) run_id: String,
    pub(crate) generated_at: String,
    /// Seconds since the Unix epoch of `generated_at`; what the exporter's clock reads.
    pub(crate) generated_at_seconds: u64,
    /// Options and built-in parameters by kebab-case name, as text.
    pub(crate) params: Vec<(String, String)>,
    pub(crate) tables: Vec<Table>,
}

/// Why a run produced nothing to publish.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    /// The exporter returned `bad-input`.
    #[error("the exporter rejected its input: {message}")]
    BadInput {
        message: String,
        hint: Option<String>,
    },
    /// The exporter returned `failed`.
    #[error("the exporter failed: {message}")]
    Failed {
        message: String,
        hint: Option<String>,
    },
    /// The exporter panicked; the message is the panic's.
    #[error("the exporter panicked: {message}")]
    Panicked { message: String },
    /// The exporter went past one of its limits.
    #[error("{0}")]
    Limit(LimitBreach),
    /// Any other trap.
    #[error("the exporter trapped: {trap}")]
    Trapped { trap: String },
    /// The documents broke the publishing rules; nothing of the run is published.
    #[error("the exporter's output was rejected: {}", .problems.join("; "))]
    BadOutput { problems: Vec<String> },
}

impl RunError {
    /// What the user could do about it.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            RunError::BadInput { hint, .. } | RunError::Failed { hint, .. } => hint.clone(),
            RunError::Limit(breach) => Some(breach.hint()),
            _ => None,
        }
    }

    /// The error and, after a blank line, its hint: what a user is shown.
    pub(crate) fn with_hint(&self) -> String {
        match self.hint() {
            Some(hint) => format!("{self}\n\n{hint}"),
            None => self.to_string(),
        }
    }
}

/// Everything a run produced, whether it succeeded or not.
pub(crate) struct RunOutcome {
    pub(crate) result: Result<Vec<Document>, RunError>,
    pub(crate) logs: Vec<LogLine>,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) duration: Duration,
    /// Of which instantiating the component and its `run` (tables lifted in, documents lowered
    /// out): the exporter's work as Wasm, without the host's preparation and output check.
    pub(crate) call_duration: Duration,
    /// Instructions used, when fuel is metered.
    pub(crate) fuel_used: Option<u64>,
    /// The largest linear memory the run grew to, in bytes.
    pub(crate) peak_memory: usize,
}

impl Runtime {
    /// Runs `exporter` on `input` in a fresh store, under `limits`.
    pub(crate) fn run(&self, exporter: &Exporter, input: RunInput, limits: &Limits) -> RunOutcome {
        self.run_profiled(exporter, input, limits, None)
    }

    /// [`Runtime::run`], sampled into `profile` when one is given.
    pub(super) fn run_profiled(
        &self,
        exporter: &Exporter,
        input: RunInput,
        limits: &Limits,
        profile: Option<&GuestProfile>,
    ) -> RunOutcome {
        let started = Instant::now();
        let seed = seed_for(&input.run_id, &exporter.manifest.name);
        let mut store = self.store(limits, input.generated_at_seconds, seed);
        let ticker = profile.map(|p| p.attach(&self.engine, &mut store, limits.deadline));
        let ctx = wit::Context {
            date: input.date,
            run_id: input.run_id,
            generated_at: input.generated_at,
            params: input.params,
        };
        let tables: Vec<wit::Table> = input.tables.into_iter().map(table_to_wit).collect();
        let call_started = Instant::now();
        let called = exporter.pre.instantiate(&mut store).and_then(|instance| {
            instance
                .propcast_exporter_plugin()
                .call_run(&mut store, &ctx, &tables)
        });
        let call_duration = call_started.elapsed();
        drop(ticker);
        let fuel_used = self
            .settings
            .fuel
            .then(|| limits.fuel - store.get_fuel().unwrap_or(0));
        let result = match called {
            Ok(Ok(documents)) => output::check(&exporter.manifest, documents, limits),
            Ok(Err(wit::ExportError::BadInput(e))) => Err(RunError::BadInput {
                message: bounded(e.message),
                hint: e.hint.map(bounded),
            }),
            Ok(Err(wit::ExportError::Failed(e))) => Err(RunError::Failed {
                message: bounded(e.message),
                hint: e.hint.map(bounded),
            }),
            Err(error) => Err(classify(
                error,
                store.data(),
                limits,
                started.elapsed(),
                self.settings.stack,
            )),
        };
        // A run that filled stdout or stderr went past its log limit even if it then returned.
        let result = match store.data().stdio_breach() {
            Some(breach) if !matches!(result, Err(RunError::Limit(_))) => {
                Err(RunError::Limit(breach))
            }
            _ => result,
        };
        let (stdout, stderr) = store.data().stdio();
        let state = store.into_data();
        RunOutcome {
            result,
            logs: state.log.lines,
            stdout,
            stderr,
            duration: started.elapsed(),
            call_duration,
            fuel_used,
            peak_memory: state.limiter.peak_memory,
        }
    }

    /// A fresh store under `limits`, its clock reading `clock_seconds`.
    pub(crate) fn store(
        &self,
        limits: &Limits,
        clock_seconds: u64,
        random_seed: u64,
    ) -> Store<HostState> {
        let mut store = Store::new(
            &self.engine,
            HostState::new(StateConfig {
                limiter: Limiter::new(limits),
                max_log_bytes: limits.log,
                clock_seconds,
                random_seed,
            }),
        );
        store.limiter(|state| &mut state.limiter);
        if self.settings.fuel {
            store
                .set_fuel(limits.fuel)
                .expect("fuel is enabled in the engine");
        }
        if self.settings.epoch {
            let ticks = (limits.deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64;
            store.set_epoch_deadline(ticks);
            store.epoch_deadline_trap();
        }
        store
    }
}

/// A trap as the user should see it: the limit it was, else the guest's panic message when it
/// left one (in its log through the SDK's panic hook, or on stderr), else the trap itself.
pub(crate) fn classify(
    error: wasmtime::Error,
    state: &HostState,
    limits: &Limits,
    elapsed: Duration,
    stack: usize,
) -> RunError {
    if let Some(breach) = state.limiter.breach.clone() {
        return RunError::Limit(breach);
    }
    if let Some(breach) = error.downcast_ref::<LimitBreach>() {
        return RunError::Limit(breach.clone());
    }
    match error.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => {
            let used = format!("it used all {} instructions", limits.fuel);
            return RunError::Limit(LimitBreach::new(LimitKind::Fuel, limits.fuel, used));
        }
        Some(Trap::Interrupt) => {
            let used = format!("it was still running after {:.1}s", elapsed.as_secs_f64());
            return RunError::Limit(LimitBreach::new(
                LimitKind::Deadline,
                format!("{}s", limits.deadline.as_secs_f64()),
                used,
            ));
        }
        Some(Trap::StackOverflow) => {
            return RunError::Limit(LimitBreach::new(
                LimitKind::Stack,
                bytes(stack as u64),
                "it overflowed the stack",
            ));
        }
        _ => {}
    }
    if let Some(breach) = state.stdio_breach() {
        return RunError::Limit(breach);
    }
    // The contract's panic protocol: before it traps, a guest logs `panic: <message>` at
    // error level (the SDK's panic hook does). Anything else is a trap, reported with the
    // guest's stderr, where Rust's own panic message is.
    let panic_logged = state
        .log
        .lines
        .iter()
        .rev()
        .find(|l| l.level == LogLevel::Error && l.message.starts_with(PANIC_PREFIX))
        .map(|l| l.message[PANIC_PREFIX.len()..].to_string());
    if let Some(message) = panic_logged {
        return RunError::Panicked { message };
    }
    let trap = match error.downcast_ref::<Trap>() {
        Some(trap) => trap.to_string(),
        None => format!("{error:#}"),
    };
    RunError::Trapped { trap }
}

/// How a guest's log line announces its panic, by the contract (`wit/exporter.wit`).
const PANIC_PREFIX: &str = "panic: ";

/// A per-exporter seed from the run id, so two exporters of one run differ but reruns match.
fn seed_for(run_id: &str, exporter: &str) -> u64 {
    // FNV-1a: stable across builds and platforms, unlike `DefaultHasher`.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in run_id.bytes().chain([0]).chain(exporter.bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash
}

fn table_to_wit(table: Table) -> wit::Table {
    wit::Table {
        name: table.name,
        row_count: table.row_count as u32,
        columns: table
            .columns
            .into_iter()
            .map(|column| wit::Column {
                name: column.name,
                nulls: column.nulls,
                data: match column.values {
                    ColumnValues::Int64(v) => wit::ColumnData::Int64(v),
                    ColumnValues::Float64(v) => wit::ColumnData::Float64(v),
                    ColumnValues::Boolean(v) => wit::ColumnData::Boolean(v),
                    ColumnValues::Text(d) => {
                        let (values, codes) = d.into_parts();
                        wit::ColumnData::Text(wit::Dictionary { values, codes })
                    }
                    ColumnValues::Date(d) => {
                        let (values, codes) = d.into_parts();
                        wit::ColumnData::Date(wit::Dictionary { values, codes })
                    }
                },
            })
            .collect(),
    }
}

/// The most of an exporter's error message or hint that is kept, reported and recorded.
const MAX_ERROR_TEXT: usize = 16 << 10;

/// `text`, cut to [`MAX_ERROR_TEXT`] bytes (at a character's start) with a note of what was cut.
fn bounded(mut text: String) -> String {
    if text.len() <= MAX_ERROR_TEXT {
        return text;
    }
    let mut cut = MAX_ERROR_TEXT;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let dropped = text.len() - cut;
    text.truncate(cut);
    text.push_str(&format!("… ({} more cut)", bytes(dropped as u64)));
    text
}
