//! Guest profiles: one exporter run sampled about every millisecond with wasmtime's
//! `GuestProfiler` and written in the Firefox Profiler's format (open it at
//! <https://profiler.firefox.com/>), so an author sees which of the exporter's functions the
//! time goes to (`propcast test NAME --profile DIR`, `propcast run --profile DIR`).
//!
//! Samples are taken at epoch ticks. The engine's ticker ticks every 10 ms, too coarse for runs
//! of a few milliseconds, so a profiled run has a 1 ms ticker of its own while it runs, and its
//! deadline is checked against the clock at each tick instead of counted in ticks. Ticking the
//! engine faster shortens every other store's tick-counted deadline, so a profiled command runs
//! one exporter at a time.

use std::io::Write as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use wasmtime::{Engine, GuestProfiler, Store, Trap, UpdateDeadline};

use super::Runtime;
use super::invoke::{RunInput, RunOutcome};
use super::limits::Limits;
use super::loader::Exporter;
use super::state::HostState;
use super::ticker::Ticker;

/// How often a profiled run is sampled.
const INTERVAL: Duration = Duration::from_millis(1);

/// The profile of one exporter run, filled while it runs.
pub(super) struct GuestProfile {
    profiler: Arc<Mutex<Option<GuestProfiler>>>,
}

impl Runtime {
    /// [`Runtime::run`], sampled, with the profile written to `path`: the run's outcome and
    /// whether its profile was written, or why the profiler could not start (nothing run).
    pub(crate) fn run_and_profile(
        &self,
        exporter: &Exporter,
        input: RunInput,
        limits: &Limits,
        path: &Path,
    ) -> anyhow::Result<(RunOutcome, anyhow::Result<()>)> {
        let profile = self.profile_of(exporter)?;
        let outcome = self.run_profiled(exporter, input, limits, Some(&profile));
        Ok((outcome, profile.write(path)))
    }

    /// An empty profile of `exporter`'s component.
    fn profile_of(&self, exporter: &Exporter) -> anyhow::Result<GuestProfile> {
        let component = exporter.pre.instance_pre().component().clone();
        let name = &exporter.manifest.name;
        let profiler = GuestProfiler::new_component(&self.engine, name, INTERVAL, component, [])
            .map_err(anyhow::Error::from)
            .context("failed to start the guest profiler")?;
        Ok(GuestProfile {
            profiler: Arc::new(Mutex::new(Some(profiler))),
        })
    }
}

impl GuestProfile {
    /// Samples `store` at every tick of a fast ticker until the ticker is dropped, ending the
    /// run with a deadline trap once `deadline` has passed.
    pub(super) fn attach(
        &self,
        engine: &Engine,
        store: &mut Store<HostState>,
        deadline: Duration,
    ) -> Ticker {
        let profiler = Arc::clone(&self.profiler);
        let started = Instant::now();
        let mut last = started;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |context| {
            if started.elapsed() >= deadline {
                return Err(Trap::Interrupt.into());
            }
            let now = Instant::now();
            if let Some(profiler) = profiler.lock().expect("not poisoned").as_mut() {
                profiler.sample(&context, now - last);
            }
            last = now;
            Ok(UpdateDeadline::Continue(1))
        });
        Ticker::start(engine, INTERVAL, "propcast-profile")
            .expect("a thread for the profile's ticker")
    }

    /// Writes the profile to `path` (its folder is created), as the Firefox Profiler's JSON.
    fn write(self, path: &Path) -> anyhow::Result<()> {
        let profiler = self
            .profiler
            .lock()
            .expect("not poisoned")
            .take()
            .expect("a profile is written once");
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)
                .with_context(|| format!("failed to create `{}`", folder.display()))?;
        }
        let file = std::fs::File::create(path)
            .with_context(|| format!("failed to create `{}`", path.display()))?;
        let mut writer = std::io::BufWriter::new(file);
        profiler
            .finish(&mut writer)
            .map_err(anyhow::Error::from)
            .and_then(|()| Ok(writer.flush()?))
            .with_context(|| format!("failed to write the profile `{}`", path.display()))
    }
}
