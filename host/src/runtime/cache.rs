//! The compile cache: exporters compiled once, then loaded from disk in a fraction of the time.
//!
//! An entry is the component as wasmtime serializes it (`Component::serialize`), stored under a
//! key made of the plugin file's SHA-256, the engine's compatibility hash (wasmtime's version,
//! the target and every setting that changes code, such as fuel metering; a stack size is
//! checked at run time and shares the entry) and propcast's version,
//! so a changed plugin, another engine setting or another build of the host never sees a stale
//! entry. Each entry carries the SHA-256 of its own bytes, checked before wasmtime is asked to
//! trust them: a truncated or corrupted file is recompiled and replaced, never loaded. Entries
//! are written under a temporary name and renamed, so readers never see half of one; the
//! folder can be deleted at any time.
//!
//! Beside each entry, `<key>.described.json` keeps what the plugin's `describe` returned and
//! what it used, so a plugin is described once: the manifest depends only on the file (the
//! clock, randomness and inputs of `describe` are fixed), and the key names the host that
//! checked it. A manifest that used more than the current limits allow is described again.
//!
//! The folder is `--cache-dir` (or `PROPCAST_CACHE_DIR`), else `$XDG_CACHE_HOME/propcast`,
//! else `~/.cache/propcast`; with none of those (no home), or `--no-cache`, nothing is cached.

use std::hash::{Hash as _, Hasher as _};
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sha2::Digest as _;
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::data::Manifest;

/// What an entry starts with; the version changes when the layout does.
const MAGIC: &[u8] = b"propcast-compiled-component-1\n";

/// How a component was obtained.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CacheOutcome {
    /// Loaded from the cache.
    Hit,
    /// Compiled, and stored for next time.
    Compiled,
    /// Compiled; the entry there was unusable (and was replaced): why.
    Replaced(String),
    /// Compiled; there is no cache, or storing in it failed: why.
    Uncached(String),
}

impl CacheOutcome {
    /// A few words for `propcast plugins`.
    pub(crate) fn describe(&self) -> String {
        match self {
            CacheOutcome::Hit => "from the compile cache".into(),
            CacheOutcome::Compiled => "compiled, now cached".into(),
            CacheOutcome::Replaced(why) => format!("recompiled: the cached copy {why}"),
            CacheOutcome::Uncached(why) => format!("compiled, not cached: {why}"),
        }
    }
}

/// What a plugin's `describe` returned (checked) and what it used, kept beside its compiled
/// component so each file is described once.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct Described {
    pub(crate) manifest: Manifest,
    /// Instructions it used.
    pub(crate) fuel: u64,
    /// Bytes of memory it used.
    pub(crate) memory: usize,
}

/// A folder of compiled components.
#[derive(Clone, Debug)]
pub(crate) struct CompileCache {
    dir: PathBuf,
}

impl CompileCache {
    pub(crate) fn new(dir: PathBuf) -> CompileCache {
        CompileCache { dir }
    }

    /// The default folder: `$XDG_CACHE_HOME/propcast`, or `~/.cache/propcast`; `None` with
    /// no home to put it in.
    pub(crate) fn default_dir() -> Option<PathBuf> {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        var("XDG_CACHE_HOME")
            .map(|d| PathBuf::from(d).join("propcast"))
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache/propcast")))
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    /// The component of `bytes` (whose SHA-256 is `sha256`, in hex) for `engine`: from the
    /// cache when a sound entry is there, else compiled (and stored).
    pub(crate) fn load(
        &self,
        engine: &Engine,
        bytes: &[u8],
        sha256: &str,
    ) -> anyhow::Result<(Component, CacheOutcome)> {
        let path = self.dir.join(format!("{}.cwasm", key(engine, sha256)));
        let problem = match std::fs::read(&path) {
            Ok(entry) => match open_entry(engine, &entry) {
                Ok(component) => return Ok((component, CacheOutcome::Hit)),
                Err(problem) => Some(problem),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => Some(format!("could not be read ({e})")),
        };
        let component = compile(engine, bytes)?;
        let stored = self.store(&path, &component);
        let outcome = match (stored, problem) {
            (Err(e), _) => CacheOutcome::Uncached(format!("{e:#}")),
            (Ok(()), Some(problem)) => CacheOutcome::Replaced(problem),
            (Ok(()), None) => CacheOutcome::Compiled,
        };
        Ok((component, outcome))
    }

    /// What describing the plugin whose SHA-256 is `sha256` returned before, if it is kept and
    /// readable.
    pub(crate) fn described(&self, engine: &Engine, sha256: &str) -> Option<Described> {
        let text = std::fs::read(self.described_path(engine, sha256)).ok()?;
        serde_json::from_slice(&text).ok()
    }

    /// Keeps what describing the plugin whose SHA-256 is `sha256` returned.
    pub(crate) fn store_described(
        &self,
        engine: &Engine,
        sha256: &str,
        described: &Described,
    ) -> anyhow::Result<()> {
        let text = serde_json::to_vec(described).context("failed to encode the manifest")?;
        crate::files::replace_file(&self.described_path(engine, sha256), &text)
    }

    fn described_path(&self, engine: &Engine, sha256: &str) -> PathBuf {
        self.dir
            .join(format!("{}.described.json", key(engine, sha256)))
    }

    /// Writes `component`'s entry at `path` in one step.
    fn store(&self, path: &Path, component: &Component) -> anyhow::Result<()> {
        let payload = component
            .serialize()
            .map_err(anyhow::Error::from)
            .context("failed to serialize the component")?;
        let mut entry = Vec::with_capacity(MAGIC.len() + 32 + payload.len());
        entry.extend_from_slice(MAGIC);
        entry.extend_from_slice(&sha2::Sha256::digest(&payload));
        entry.extend_from_slice(&payload);
        crate::files::replace_file(path, &entry)
    }
}

/// Compiles `bytes` with no cache.
pub(crate) fn compile(engine: &Engine, bytes: &[u8]) -> anyhow::Result<Component> {
    Component::new(engine, bytes)
        .map_err(anyhow::Error::from)
        .context("failed to compile the component")
}

/// The component in a cache entry, or what is wrong with the entry.
fn open_entry(engine: &Engine, entry: &[u8]) -> Result<Component, String> {
    let rest = entry
        .strip_prefix(MAGIC)
        .ok_or("is not a propcast cache entry")?;
    if rest.len() < 32 {
        return Err("is truncated".into());
    }
    let (digest, payload) = rest.split_at(32);
    if sha2::Sha256::digest(payload).as_slice() != digest {
        return Err("is corrupted (its checksum does not match)".into());
    }
    // SAFETY: the bytes are a `Component::serialize` output of this engine configuration: the
    // key names the engine's compatibility hash, and the checksum proves the bytes are the ones
    // written. wasmtime checks its own header and version again.
    unsafe { Component::deserialize(engine, payload) }
        .map_err(|e| format!("was refused by wasmtime ({e})"))
}

/// The entry's name: the plugin's SHA-256, then a hash of the engine's compatibility and
/// propcast's version.
fn key(engine: &Engine, plugin: &str) -> String {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    env!("CARGO_PKG_VERSION").hash(&mut hasher);
    format!("{plugin}-{:016x}", hasher.finish())
}
