//! Log lines from the exporter to the host, which shows them under the exporter's result.
//!
//! In a component, each line crosses the `log` import at once. In native tests there is no host,
//! so lines are kept per thread for [`crate::testing`] to return.

/// How important a log line is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Detail for the exporter's author.
    Debug,
    /// What the exporter did.
    Info,
    /// Something odd in the data that did not stop the run.
    Warn,
    /// Something that failed.
    Error,
}

/// Sends one line to the host.
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    {
        use crate::glue::bindings::propcast::exporter::log as wit;
        let level = match level {
            Level::Debug => wit::Level::Debug,
            Level::Info => wit::Level::Info,
            Level::Warn => wit::Level::Warn,
            Level::Error => wit::Level::Error,
        };
        wit::log(level, message);
    }
    #[cfg(not(target_arch = "wasm32"))]
    captured::push(level, message);
}

#[cfg(not(target_arch = "wasm32"))]
pub(crate) mod captured {
    use std::cell::RefCell;

    use super::Level;

    thread_local! {
        static LINES: RefCell<Vec<(Level, String)>> = const { RefCell::new(Vec::new()) };
    }

    pub(crate) fn push(level: Level, message: &str) {
        LINES.with(|lines| lines.borrow_mut().push((level, message.to_string())));
    }

    pub(crate) fn take() -> Vec<(Level, String)> {
        LINES.with(|lines| std::mem::take(&mut *lines.borrow_mut()))
    }
}

/// Logs a formatted line at info level: `info!("{} players", n)`.
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Info, &::std::format!($($arg)*)) };
}

/// Logs a formatted line at debug level.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Debug, &::std::format!($($arg)*)) };
}

/// Logs a formatted line at warn level.
#[macro_export]
macro_rules! warn {
    ($($arg:tt)*) => { $crate::log::log($crate::log::Level::Warn, &::std::format!($($arg)*)) };
}
