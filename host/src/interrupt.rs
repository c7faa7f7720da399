//! Ctrl-C (SIGINT) and SIGTERM (what Cloud Run sends a job it stops) during a run.
//!
//! The first asks the run to stop cleanly: no new date or upload starts, the batch being
//! published is rolled back where the store can (a local folder), and the run exits with 130.
//! A second ends the process at once; the next run on the folder then rolls the batch back from
//! its journal (`publish/journal.rs`).

use std::sync::atomic::{AtomicBool, Ordering};

/// The exit code of a run stopped by a signal (128 + SIGINT), as shells report one.
pub(crate) const EXIT_CODE: u8 = 130;

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Whether the run was asked to stop.
pub(crate) fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Listens for Ctrl-C and SIGTERM on `runtime` for the rest of the process.
pub(crate) fn listen(runtime: &tokio::runtime::Runtime) {
    use tokio::signal::unix::{SignalKind, signal};
    for kind in [SignalKind::interrupt(), SignalKind::terminate()] {
        // Registering fails only without a signal driver; the default handling then stays.
        let Ok(mut signals) = runtime.block_on(async { signal(kind) }) else {
            continue;
        };
        runtime.spawn(async move {
            while signals.recv().await.is_some() {
                if REQUESTED.swap(true, Ordering::SeqCst) {
                    eprintln!(
                        "propcast: stopped at once; the next run rolls back what was cut short"
                    );
                    std::process::exit(i32::from(EXIT_CODE));
                }
                tracing::warn!(
                    "interrupted: no new date or upload starts, and the batch being published is \
                     rolled back (interrupt again to stop at once)"
                );
            }
        });
    }
}
