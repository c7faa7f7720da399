//! A backfill's progress on a terminal: a bar on stderr with the dates done, the documents
//! published, the rate and the time left (indicatif), with each failed date's line above it.
//! Anywhere else (a file, a pipe, Cloud Logging) there is no bar, and every date gets its plain
//! line on stdout as it finishes.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::report;
use super::workers::DateOutcome;
use crate::logging;

/// The progress of one run of several dates.
pub(super) struct Progress {
    /// Drawn on a terminal only.
    bar: Option<ProgressBar>,
    documents: AtomicUsize,
    /// Whether each date's line is printed (the text report).
    lines: bool,
}

impl Progress {
    /// The progress of `dates` dates; `lines` when each date's line belongs in the report.
    pub(super) fn start(dates: usize, lines: bool) -> Progress {
        let bar = (lines && std::io::stderr().is_terminal()).then(|| {
            let bar =
                ProgressBar::with_draw_target(Some(dates as u64), ProgressDrawTarget::stderr());
            bar.set_style(
                ProgressStyle::with_template(
                    "{elapsed_precise} [{wide_bar}] {pos}/{len} dates, {msg}, ETA {eta}",
                )
                .expect("the template is valid")
                .progress_chars("=> "),
            );
            bar.set_message("0 documents");
            logging::set_progress_bar(Some(bar.clone()));
            bar
        });
        Progress {
            bar,
            documents: AtomicUsize::new(0),
            lines,
        }
    }

    /// Counts `outcome` and prints its line: every date's without a bar, a failed one's above
    /// the bar.
    pub(super) fn date_done(&self, outcome: &DateOutcome) {
        let documents: usize = outcome.rows.iter().map(|r| r.published.documents).sum();
        let total = self.documents.fetch_add(documents, Ordering::Relaxed) + documents;
        match &self.bar {
            Some(bar) => {
                bar.inc(1);
                let rate = bar.position() as f64 / bar.elapsed().as_secs_f64().max(1e-3);
                bar.set_message(format!("{total} documents, {rate:.1} dates/s"));
                if outcome.failed() {
                    bar.suspend(|| report::print_date_line(outcome));
                }
            }
            None if self.lines => report::print_date_line(outcome),
            None => {}
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
            logging::set_progress_bar(None);
        }
    }
}
