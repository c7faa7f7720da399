//! What one exporter run may use, and what happens when it uses more.
//!
//! A breach ends the run with a [`LimitBreach`] naming the limit, its value and what was used.
//! Memory and table growth go through [`Limiter`] (a `ResourceLimiter` that remembers what was
//! asked for); fuel, the epoch deadline and the stack are wasmtime's own traps; output, log and
//! stdio sizes are checked by the host as the exporter writes or returns them.

use std::fmt;
use std::time::Duration;

use wasmtime::ResourceLimiter;

/// The limits of one exporter run.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Limits {
    /// Instructions, as wasmtime fuel: deterministic for the same inputs.
    pub(crate) fuel: u64,
    /// Wall-clock time for one run.
    pub(crate) deadline: Duration,
    /// Linear memory, in bytes.
    pub(crate) memory: usize,
    /// Elements of any one table.
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

/// Which limit was hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LimitKind {
    Fuel,
    Deadline,
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
        if self.kind == LimitKind::Stack {
            return format!(
                "Consider raising it with `--limit {key}=<bytes>` or `{key} = \"…\"` under [limits] in propcast.toml"
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
pub(crate) struct Limiter {
    memory: usize,
    table_elements: usize,
    pub(crate) peak_memory: usize,
    pub(crate) breach: Option<LimitBreach>,
}

impl Limiter {
    pub(crate) fn new(limits: &Limits) -> Limiter {
        Limiter {
            memory: limits.memory,
            table_elements: limits.table_elements,
            peak_memory: 0,
            breach: None,
        }
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.memory {
            let breach = LimitBreach::new(
                LimitKind::Memory,
                bytes(self.memory as u64),
                format!("it asked for {}", bytes(desired as u64)),
            );
            self.breach = Some(breach.clone());
            return Err(wasmtime::Error::new(breach));
        }
        self.peak_memory = self.peak_memory.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired > self.table_elements {
            let breach = LimitBreach::new(
                LimitKind::TableElements,
                format!("{} elements", self.table_elements),
                format!("it asked for {desired}"),
            );
            self.breach = Some(breach.clone());
            return Err(wasmtime::Error::new(breach));
        }
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
}
