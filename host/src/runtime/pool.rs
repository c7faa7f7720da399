//! Where a run's linear memories and tables come from: wasmtime's pooling allocator. Its slots
//! are reused run after run and keep what a run touched mapped (up to [`KEEP_RESIDENT`] bytes
//! of each memory, zeroed with `memset` when the run ends), so a run neither faults in fresh
//! zeroed pages for everything it touches nor unmaps them afterwards: 11–17% of the time of
//! the larger exporters as components, and half of a trivial call's (docs/performance.md).
//!
//! The pool is sized so that runs never compete for it: room for [`MAX_CONCURRENT_RUNS`] runs
//! at once (the most `--jobs` allows), each a component of up to [`PER_RUN`]'s memories,
//! tables and core instances. A component needing more is refused as it loads, with wasmtime's
//! message naming the count; so is one whose instance metadata passes wasmtime's 1 MiB, or
//! with a table declared larger than a slot. What a run may grow to is still its
//! [`super::Limits`], checked by the store's limiter: a memory slot is the whole 32-bit space
//! and a table slot holds the largest table-elements limit of any exporter, so growth stops at
//! a limit, with its name, not at a slot.
//!
//! The slots are address space, not memory: about 4 TiB for the memories, and the tables'
//! `4 × 256 × 8` bytes per element of the limit (800 MiB at the default). Where that cannot be
//! reserved (a process with an address-space limit), the engine falls back to mapping each
//! run's memory afresh: slower, and with the same [`PER_RUN`] counts, which the store's
//! limiter bounds as well (at instantiation rather than at load).

use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// The most runs one engine has at once: one per `--jobs` thread.
pub(crate) const MAX_CONCURRENT_RUNS: u32 = 256;

/// Bytes of each memory slot kept mapped between runs (zeroed by `memset` rather than handed
/// back to the system): as fast as 64 MiB on every exporter here, faster than 8 MiB on
/// `player-profiles`; what a run touches past it is handed back as before.
const KEEP_RESIDENT: usize = 16 << 20;

/// What one run's component may hold. Rust exporters have 1 memory, 2 tables and 3 core
/// instances; the Python one (componentize-py) 1, 2 and 14.
pub(crate) struct PerRun {
    pub(crate) memories: u32,
    pub(crate) tables: u32,
    pub(crate) core_instances: u32,
}

pub(crate) const PER_RUN: PerRun = PerRun {
    memories: 4,
    tables: 4,
    core_instances: 256,
};

/// The engine for `config` with its runs' memories pooled, or, if the pool's address space
/// cannot be reserved, with each run's memory mapped afresh. `max_table_elements` is the
/// largest table-elements limit any exporter runs under.
pub(super) fn engine(config: &mut Config, max_table_elements: usize) -> wasmtime::Result<Engine> {
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool(
        max_table_elements,
    )));
    match Engine::new(config) {
        Ok(engine) => Ok(engine),
        Err(error) => {
            tracing::debug!(
                "the memory pool could not be set up ({error:#}); each run maps its own memory"
            );
            config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
            Engine::new(config)
        }
    }
}

fn pool(max_table_elements: usize) -> PoolingAllocationConfig {
    let runs = MAX_CONCURRENT_RUNS;
    let mut pool = PoolingAllocationConfig::new();
    pool.total_component_instances(runs)
        .total_core_instances(runs * PER_RUN.core_instances)
        .total_memories(runs * PER_RUN.memories)
        .total_tables(runs * PER_RUN.tables)
        .max_core_instances_per_component(PER_RUN.core_instances)
        .max_memories_per_component(PER_RUN.memories)
        .max_tables_per_component(PER_RUN.tables)
        .max_memories_per_module(PER_RUN.memories)
        .max_tables_per_module(PER_RUN.tables)
        // Runs are synchronous: no fiber stacks.
        .total_stacks(0)
        .table_elements(max_table_elements)
        // A slot free for another exporter's run is reused before a fresh one: the memory
        // kept resident is then at most a slot's for each run at once, not one for every
        // exporter of every job (measured: 179 MB peak for a 4-season backfill, against 221 MB
        // with the default of 100 unused slots, and within the noise in time).
        .max_unused_warm_slots(0)
        .linear_memory_keep_resident(KEEP_RESIDENT);
    pool
}
