//! Ctrl-C (SIGINT) and SIGTERM (what Cloud Run sends a job it stops) during a run.
//!
//! The first asks the run to stop cleanly: no new date or upload starts, the batch being
//! published is rolled back where the store can (a local folder), and the run exits with 130
//! (143 for SIGTERM), as shells report a process a signal stopped.
//! A second ends the process at once; the next run on the folder then rolls the batch back from
//! its journal (`publish/journal.rs`).

use std::sync::atomic::{AtomicU8, Ordering};

/// The exit code of the first signal that asked the run to stop (128 + its number); 0 for none.
static EXIT_CODE: AtomicU8 = AtomicU8::new(0);

/// Whether the run was asked to stop.
pub(crate) fn requested() -> bool {
    exit_code().is_some()
}

/// The exit code of a run a signal stopped: 130 for Ctrl-C, 143 for SIGTERM.
pub(crate) fn exit_code() -> Option<u8> {
    Some(EXIT_CODE.load(Ordering::SeqCst)).filter(|&code| code != 0)
}

/// Listens for Ctrl-C and SIGTERM on `runtime` for the rest of the process.
pub(crate) fn listen(runtime: &tokio::runtime::Runtime) {
    use tokio::signal::unix::{SignalKind, signal};
    for (kind, code) in [
        (SignalKind::interrupt(), 130),
        (SignalKind::terminate(), 143),
    ] {
        // Registering fails only without a signal driver; the default handling then stays.
        let Ok(mut signals) = runtime.block_on(async { signal(kind) }) else {
            continue;
        };
        runtime.spawn(async move {
            while signals.recv().await.is_some() {
                if let Err(first) =
                    EXIT_CODE.compare_exchange(0, code, Ordering::SeqCst, Ordering::SeqCst)
                {
                    eprintln!(
                        "propcast: stopped at once; the next run rolls back what was cut short"
                    );
                    std::process::exit(i32::from(first));
                }
                tracing::warn!(
                    "interrupted: no new date or upload starts, and the batch being published is \
                     rolled back (interrupt again to stop at once)"
                );
            }
        });
    }
}
