//! What one exporter run may use, and what happens when it uses more.
//!
//! A breach ends the run with a [`LimitBreach`] naming the limit, its value and what was used.
//! Memory and table growth go through [`Limiter`] (a `ResourceLimiter` that remembers what was
//! asked for); fuel, the epoch deadline and the stack are wasmtime's own traps; output, log and
//! stdio sizes are checked by the host as the exporter writes or returns them.

use std::fmt;
use std::time::Duration;

use wasmtime::ResourceLimiter;

use super::pool::PER_RUN;

/// The limits of one exporter run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Limits {
    /// Instructions, as wasmtime fuel: deterministic for the same inputs.
    pub(crate) fuel: u64,
    /// Wall-clock time for one run.
    pub(crate) deadline: Duration,
    /// Bytes of all linear memories of a run together.
    pub(crate) memory: usize,
    /// Elements of all tables of a run together.
    pub(crate) table_elements: usize,
    /// Bytes of all documents of a run together.
    pub(crate) output: usize,
    /// Documents in a run.
    pub(crate) documents: usize,
    /// Bytes of one document.
    pub(crate) document_size: usize,
    /// Bytes of log messages, and separately of stdout and of stderr.
    pub(crate) log: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            fuel: 50_000_000_000,
            deadline: Duration::from_secs(60),
            memory: 512 << 20,
            table_elements: 100_000,
            output: 256 << 20,
            documents: 20_000,
            document_size: 16 << 20,
            log: 1 << 20,
        }
    }
}

/// A `describe` call's own budget of instructions and time: it only returns a manifest, so it
/// gets a small share of what a run may; the user's other limits apply to it as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DescribeBudget {
    pub(crate) fuel: u64,
    pub(crate) deadline: Duration,
}

impl Default for DescribeBudget {
    fn default() -> DescribeBudget {
        DescribeBudget {
            fuel: 1_000_000_000,
            deadline: Duration::from_secs(10),
        }
    }
}

impl DescribeBudget {
    /// `limits` for a `describe` call: fuel and time capped at this budget.
    pub(crate) fn apply(self, limits: &Limits) -> Limits {
        Limits {
            fuel: limits.fuel.min(self.fuel),
            deadline: limits.deadline.min(self.deadline),
            ..limits.clone()
        }
    }

    /// `breach` of a `describe` call under `limits` as this budget's own when the budget is
    /// what bound it, so its hint names the budget's key.
    pub(crate) fn own(self, limits: &Limits, mut breach: LimitBreach) -> LimitBreach {
        breach.kind = match breach.kind {
            LimitKind::Fuel if self.fuel < limits.fuel => LimitKind::DescribeFuel,
            LimitKind::Deadline if self.deadline < limits.deadline => LimitKind::DescribeDeadline,
            kind => kind,
        };
        breach
    }
}

/// Which limit was hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LimitKind {
    Fuel,
    Deadline,
    DescribeFuel,
    DescribeDeadline,
    Memory,
    TableElements,
    Stack,
    Output,
    Documents,
    DocumentSize,
    Log,
}

impl LimitKind {
    /// The name used in `propcast.toml` and `--limit NAME=VALUE`.
    pub(crate) fn key(self) -> &'static str {
        match self {
            LimitKind::Fuel => "fuel",
            LimitKind::Deadline => "deadline",
            LimitKind::DescribeFuel => "describe-fuel",
            LimitKind::DescribeDeadline => "describe-deadline",
            LimitKind::Memory => "memory",
            LimitKind::TableElements => "table-elements",
            LimitKind::Stack => "stack",
            LimitKind::Output => "output",
            LimitKind::Documents => "documents",
            LimitKind::DocumentSize => "document-size",
            LimitKind::Log => "log",
        }
    }

    fn describe(self) -> &'static str {
        match self {
            LimitKind::Fuel => "instruction (fuel)",
            LimitKind::Deadline => "time",
            LimitKind::DescribeFuel => "describe instruction (fuel)",
            LimitKind::DescribeDeadline => "describe time",
            LimitKind::Memory => "memory",
            LimitKind::TableElements => "table size",
            LimitKind::Stack => "stack",
            LimitKind::Output => "total output",
            LimitKind::Documents => "document count",
            LimitKind::DocumentSize => "document size",
            LimitKind::Log => "log output",
        }
    }
}

/// A limit an exporter run went past.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("it went past its {} limit of {value}: {used}", .kind.describe())]
pub(crate) struct LimitBreach {
    pub(crate) kind: LimitKind,
    /// The limit, formatted for people: `512 MiB`, `60 s`.
    pub(crate) value: String,
    /// What it used or asked for: `asked for 1.0 GiB`.
    pub(crate) used: String,
}

impl LimitBreach {
    pub(crate) fn new(
        kind: LimitKind,
        value: impl fmt::Display,
        used: impl Into<String>,
    ) -> LimitBreach {
        LimitBreach {
            kind,
            value: value.to_string(),
            used: used.into(),
        }
    }

    /// How to raise the limit.
    pub(crate) fn hint(&self) -> String {
        let key = self.kind.key();
        // These apply to every exporter (the engine's stack; `describe` runs before its
        // exporter's name is known), so they cannot be set for one.
        if let LimitKind::Stack | LimitKind::DescribeFuel | LimitKind::DescribeDeadline = self.kind
        {
            return format!(
                "Consider raising it with `--limit {key}=<value>`, or `{key} = …` under [limits] in propcast.toml"
            );
        }
        format!(
            "Consider raising it with `--limit {key}=<value>`, or `{key} = …` under [limits] (or [limits.exporters.<name>]) in propcast.toml"
        )
    }
}

/// Bytes for people: `512 MiB`, `1.5 GiB`, `900 B`.
pub(crate) fn bytes(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if n >= size {
            return if n.is_multiple_of(size) {
                format!("{} {unit}", n / size)
            } else {
                format!("{:.1} {unit}", n as f64 / size as f64)
            };
        }
    }
    format!("{n} B")
}

/// A `ResourceLimiter` that refuses growth past the limits and remembers the breach, so the
/// trap can be reported as the limit it is rather than a failed allocation.
///
/// The limits bound a run's whole store, not each memory or table: a component may hold many
/// core instances, each with its own memory, and wasmtime asks about each one alone (creating
/// one is growing it from zero). Wasm memories and tables never shrink, so the sums only grow.
/// Growth past a memory's own maximum is refused before it is counted (the guest's `grow`
/// returns -1, as Wasm says). For a table the limit is checked first: a pooled table's maximum
/// is its slot (`super::pool`), which would otherwise hide a breach of the limit. Growth the
/// system then fails to provide stays counted (wasmtime also reports failures it never asked
/// about, so taking an amount back could be gamed). The counts of core instances, memories
/// and tables are bounded as the pool bounds them ([`PER_RUN`]), so a component the pool
/// would refuse is refused the same way by an engine without one.
pub(crate) struct Limiter {
    memory: usize,
    table_elements: usize,
    /// Bytes of every memory of the store together, as last granted.
    pub(crate) peak_memory: usize,
    /// Elements of every table of the store together.
    table_elements_in_use: usize,
    pub(crate) breach: Option<LimitBreach>,
}

impl Limiter {
    pub(crate) fn new(limits: &Limits) -> Limiter {
        Limiter {
            memory: limits.memory,
            table_elements: limits.table_elements,
            peak_memory: 0,
            table_elements_in_use: 0,
            breach: None,
        }
    }

    fn refuse(&mut self, breach: LimitBreach) -> wasmtime::Result<bool> {
        self.breach = Some(breach.clone());
        Err(wasmtime::Error::new(breach))
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if maximum.is_some_and(|maximum| desired > maximum) {
            // Past the memory's own maximum: the guest's `memory.grow` returns -1, as Wasm says.
            return Ok(false);
        }
        let growth = desired.saturating_sub(current);
        let total = self.peak_memory.saturating_add(growth);
        if total > self.memory {
            let others = self.peak_memory.saturating_sub(current);
            let used = if others == 0 {
                format!("it asked for {}", bytes(desired as u64))
            } else {
                format!(
                    "it asked for {} besides the {} its other memories hold",
                    bytes(desired as u64),
                    bytes(others as u64)
                )
            };
            return self.refuse(LimitBreach::new(
                LimitKind::Memory,
                bytes(self.memory as u64),
                used,
            ));
        }
        self.peak_memory = total;
        Ok(true)
    }

    fn instances(&self) -> usize {
        PER_RUN.core_instances as usize
    }

    fn memories(&self) -> usize {
        PER_RUN.memories as usize
    }

    fn tables(&self) -> usize {
        PER_RUN.tables as usize
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let growth = desired.saturating_sub(current);
        let total = self.table_elements_in_use.saturating_add(growth);
        if total > self.table_elements {
            return self.refuse(LimitBreach::new(
                LimitKind::TableElements,
                format!("{} elements", self.table_elements),
                format!("its tables asked for {total} together"),
            ));
        }
        if maximum.is_some_and(|maximum| desired > maximum) {
            return Ok(false);
        }
        self.table_elements_in_use = total;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(bytes(512 << 20), "512 MiB");
        assert_eq!(bytes(1536 << 20), "1.5 GiB");
        assert_eq!(bytes(900), "900 B");
    }

    #[test]
    fn growth_past_the_memory_limit_is_refused_and_named() {
        let mut limiter = Limiter::new(&Limits {
            memory: 1 << 20,
            ..Limits::default()
        });
        assert!(limiter.memory_growing(0, 1 << 19, None).unwrap());
        let error = limiter.memory_growing(1 << 19, 2 << 20, None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "it went past its memory limit of 1 MiB: it asked for 2 MiB"
        );
        assert_eq!(limiter.peak_memory, 1 << 19);
        assert_eq!(limiter.breach.unwrap().kind, LimitKind::Memory);
    }

    #[test]
    fn the_memory_limit_bounds_all_memories_together() {
        let mut limiter = Limiter::new(&Limits {
            memory: 1 << 20,
            ..Limits::default()
        });
        // Three memories created at 300 KiB each, then the first grows by 100 KiB.
        for _ in 0..3 {
            assert!(limiter.memory_growing(0, 300 << 10, None).unwrap());
        }
        assert!(limiter.memory_growing(300 << 10, 400 << 10, None).unwrap());
        assert_eq!(limiter.peak_memory, 1000 << 10);
        let error = limiter.memory_growing(0, 300 << 10, None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "it went past its memory limit of 1 MiB: it asked for 300 KiB besides the 1000 KiB its other memories hold"
        );
    }

    #[test]
    fn the_table_limit_bounds_all_tables_together() {
        let mut limiter = Limiter::new(&Limits {
            table_elements: 100,
            ..Limits::default()
        });
        assert!(limiter.table_growing(0, 60, None).unwrap());
        let error = limiter.table_growing(0, 41, None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "it went past its table size limit of 100 elements: its tables asked for 101 together"
        );
    }

    #[test]
    fn growth_past_its_own_maximum_is_refused_uncounted_unless_past_a_table_limit() {
        let mut limiter = Limiter::new(&Limits {
            memory: 1 << 20,
            table_elements: 100,
            ..Limits::default()
        });
        // Past the memory's or table's maximum: refused, not counted, no breach.
        assert!(
            !limiter
                .memory_growing(0, 512 << 10, Some(256 << 10))
                .unwrap()
        );
        assert!(!limiter.memory_growing(0, 2 << 20, Some(1 << 20)).unwrap());
        assert!(!limiter.table_growing(0, 50, Some(10)).unwrap());
        assert_eq!((limiter.peak_memory, limiter.table_elements_in_use), (0, 0));
        assert!(limiter.breach.is_none());
        // A table past its maximum and the limit: the limit's breach (a pooled table's
        // maximum is its slot, the largest limit of any exporter).
        let error = limiter.table_growing(0, 1000, Some(100)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "it went past its table size limit of 100 elements: its tables asked for 1000 together"
        );
    }
}
