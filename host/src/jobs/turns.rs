//! Each exporter publishes its dates in order, even when several dates run at once.
//!
//! A backfill runs exporters for several dates concurrently, but publishing must go date by
//! date for each exporter: its `current` documents and aliases must end at the newest date
//! without two runs of it racing for the same object (a folder cannot check preconditions, and
//! on a bucket a lost race is a failed upload), and an interrupted backfill must leave every
//! exporter's dated documents complete up to some date. So the piece of work for (date `d`, exporter `e`) waits
//! for its turn, which comes once `e`'s piece for date `d - 1` has finished, published or not.
//! Pieces are handed out date by date, so the one a turn waits for has always been started.

use std::sync::{Condvar, Mutex};

/// How far each exporter has published, by date index.
pub(super) struct Turns {
    /// For each exporter, the index of the date whose turn it is.
    next: Mutex<Vec<usize>>,
    changed: Condvar,
}

/// The right to publish one exporter's date; dropping it (after publishing, after a failure, or
/// in a panic) passes the turn to the next date.
pub(super) struct Turn<'a> {
    turns: &'a Turns,
    exporter: usize,
}

/// A piece's claim on its turn, taken before it starts: if the piece panics before it waits
/// for its turn, dropping the claim still waits for the turn and passes it on, so the
/// exporter's later dates are not left waiting for ever.
pub(super) struct Claim<'a> {
    turns: &'a Turns,
    exporter: usize,
    date: usize,
    waited: bool,
}

impl Turns {
    /// Claims `exporter`'s turn for `date`, to be waited for with [`Claim::wait`].
    pub(super) fn claim(&self, exporter: usize, date: usize) -> Claim<'_> {
        Claim {
            turns: self,
            exporter,
            date,
            waited: false,
        }
    }

    pub(super) fn new(exporters: usize) -> Turns {
        Turns {
            next: Mutex::new(vec![0; exporters]),
            changed: Condvar::new(),
        }
    }

    /// Waits until every earlier date of `exporter` is done, then holds its turn for `date`.
    fn wait(&self, exporter: usize, date: usize) -> Turn<'_> {
        let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
        while next[exporter] != date {
            next = self.changed.wait(next).unwrap_or_else(|e| e.into_inner());
        }
        Turn {
            turns: self,
            exporter,
        }
    }
}

impl<'a> Claim<'a> {
    /// Waits until every earlier date of the exporter is done, then holds the turn.
    pub(super) fn wait(mut self) -> Turn<'a> {
        self.waited = true;
        self.turns.wait(self.exporter, self.date)
    }
}

impl Drop for Claim<'_> {
    fn drop(&mut self) {
        if !self.waited {
            drop(self.turns.wait(self.exporter, self.date));
        }
    }
}

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        let mut next = self.turns.next.lock().unwrap_or_else(|e| e.into_inner());
        next[self.exporter] += 1;
        self.turns.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_publish_in_order_whatever_order_they_finish_in() {
        let turns = Turns::new(1);
        let published = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            // The later dates are ready first; each still waits for the one before it.
            for date in (0..8).rev() {
                let (turns, published) = (&turns, &published);
                scope.spawn(move || {
                    let _turn = turns.wait(0, date);
                    published.lock().unwrap().push(date);
                });
            }
        });
        assert_eq!(published.into_inner().unwrap(), (0..8).collect::<Vec<_>>());
    }

    #[test]
    fn a_date_that_panics_before_its_turn_still_passes_it_on() {
        let turns = Turns::new(1);
        let failed = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let _claim = turns.claim(0, 0);
                    panic!("computing date 0 failed");
                })
                .join()
        });
        assert!(failed.is_err());
        drop(turns.claim(0, 1).wait());
    }

    #[test]
    fn a_panicking_date_still_passes_the_turn_on() {
        let turns = Turns::new(2);
        let failed = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let _turn = turns.wait(1, 0);
                    panic!("the run of date 0 failed");
                })
                .join()
        });
        assert!(failed.is_err());
        drop(turns.wait(1, 1));
        drop(turns.wait(0, 0));
    }
}
