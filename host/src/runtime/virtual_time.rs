//! Waiting never blocks in real time. An exporter's clocks are virtual (the wall clock reads
//! the run's timestamp, the monotonic clock never moves), so a wait on them has nothing real
//! to wait for; but wasmtime-wasi's `subscribe-duration` and `subscribe-instant` sleep on the
//! host's real clock, inside a host call, where epoch interruption cannot stop them: a guest's
//! `std::thread::sleep(1 hour)` held the host an hour whatever its deadline. These two
//! functions are replaced here by ones whose pollable is ready at once, so a sleeping guest
//! goes on at once and a guest that waits in a loop is stopped by its fuel or deadline.
//!
//! Nothing else a guest can reach waits: stdin is empty, stdout and stderr are memory pipes,
//! and there are no sockets or files.

use async_trait::async_trait;
use wasmtime::component::{Linker, Resource};
use wasmtime_wasi::WasiView as _;
use wasmtime_wasi::p2::{DynPollable, Pollable, subscribe};

use super::state::HostState;

/// The WASI clocks interface whose waits are replaced; its version is wasmtime-wasi's, which
/// the linker matches with any 0.2 version a component imports.
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.12";

/// A wait that is over as soon as it starts.
struct Elapsed;

#[async_trait]
impl Pollable for Elapsed {
    async fn ready(&mut self) {}
}

/// Replaces the monotonic clock's two waits in `linker`, after WASI was added to it.
pub(super) fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    for name in ["subscribe-duration", "subscribe-instant"] {
        clock.func_wrap(name, |mut store, (_when,): (u64,)| {
            let table = store.data_mut().ctx().table;
            let elapsed = table.push(Elapsed)?;
            let pollable: Resource<DynPollable> = subscribe(table, elapsed)?;
            Ok((pollable,))
        })?;
    }
    linker.allow_shadowing(false);
    Ok(())
}
