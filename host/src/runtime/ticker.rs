//! A thread that moves an engine's epoch on at a fixed interval, for as long as its handle
//! lives: the engine's own 10 ms ticker for every run's deadline, and a profiled run's 1 ms one
//! (`super::profile`).

use std::sync::mpsc;
use std::time::Duration;

use wasmtime::Engine;

/// Ticks an engine until dropped.
pub(super) struct Ticker {
    _stop: mpsc::Sender<()>,
}

impl Ticker {
    /// Increments `engine`'s epoch every `interval` on a thread named `name`.
    pub(super) fn start(
        engine: &Engine,
        interval: Duration,
        name: &str,
    ) -> std::io::Result<Ticker> {
        let (stop, stopped) = mpsc::channel::<()>();
        let ticking = engine.clone();
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(interval) {
                    ticking.increment_epoch();
                }
            })?;
        Ok(Ticker { _stop: stop })
    }
}
