//! Where query results come from. A [`Source`] runs one exporter query with host-bound
//! parameters and returns its result as a columnar [`Table`].
//!
//! The embedded default is a read-only SQLite file ([`sqlite`]); production reads BigQuery
//! ([`bigquery`]); fixture cases are another source ([`fixtures`]). Sources are async (a
//! BigQuery query is network round trips); the jobs layer owns the runtime they run on.
//! Sources know nothing of Wasm or of where documents are published.

pub(crate) mod bigquery;
pub(crate) mod fixtures;
pub(crate) mod sqlite;

use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::data::{QueryParam, Table};

/// A query to run: the exporter's SQL and the values of the parameters it may use.
pub(crate) struct QueryRequest<'a> {
    /// The query's name, which becomes the table's name.
    pub(crate) name: &'a str,
    /// Portable SQL with `@named` parameters.
    pub(crate) sql: &'a str,
    /// Every parameter the host offers; the query uses some of them.
    pub(crate) params: &'a [QueryParam],
    /// When the first query of its exporter's date started: all of them together must end
    /// within the total query time from then. `None` for the host's own queries.
    pub(crate) queries_started: Option<Instant>,
}

/// When a query must end, and which limit says so.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct QueryEnd {
    pub(crate) at: Instant,
    /// The total time of its exporter's queries ends first, not the query's own.
    by_total: bool,
}

/// How long one query may run and how many rows it may return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct QueryLimits {
    pub(crate) time: Duration,
    /// How long one exporter's queries of one date may run together; unset, 120 s or
    /// `time`, whichever is longer (see [`QueryLimits::total`]).
    pub(crate) total_time: Option<Duration>,
    pub(crate) rows: usize,
    /// The most a result may hold, counting each text's bytes and 8 for any other value.
    pub(crate) bytes: usize,
}

impl QueryLimits {
    /// When `request`, starting now, must end: after its own time limit, or earlier when its
    /// exporter's queries together reach their total.
    pub(crate) fn end_of(&self, request: &QueryRequest<'_>) -> QueryEnd {
        let far = || Instant::now() + Duration::from_secs(100 * 365 * 86_400);
        let own = Instant::now().checked_add(self.time).unwrap_or_else(far);
        let total = request
            .queries_started
            .map(|started| started.checked_add(self.total()).unwrap_or_else(far));
        match total {
            Some(total) if total < own => QueryEnd {
                at: total,
                by_total: true,
            },
            _ => QueryEnd {
                at: own,
                by_total: false,
            },
        }
    }

    /// How long one exporter's queries of one date may run together: as set, else 120 s, or
    /// the time one query may take if that is longer (a user who raised it is not cut short).
    pub(crate) fn total(&self) -> Duration {
        self.total_time
            .unwrap_or(Duration::from_secs(120).max(self.time))
    }

    /// The error of query `name` running past `end`, the same on every source.
    pub(crate) fn too_slow(&self, name: &str, end: QueryEnd) -> anyhow::Error {
        if end.by_total {
            return anyhow::anyhow!(
                "query `{name}` was still running when its exporter's queries reached their \
                 total time limit of {}s\n\nConsider raising it with `--limit \
                 query-total-time=<duration>` or `query-total-time` under [limits] in \
                 propcast.toml",
                self.total().as_secs_f64()
            );
        }
        anyhow::anyhow!(
            "query `{name}` ran longer than its time limit of {}s\n\nConsider raising it with \
             `--limit query-time=<duration>` or `query-time` under [limits] in propcast.toml",
            self.time.as_secs_f64()
        )
    }

    /// The error of query `name` returning more bytes than the limit, the same on every source.
    pub(crate) fn too_many_bytes(&self, name: &str) -> anyhow::Error {
        anyhow::anyhow!(
            "query `{name}` returned more than its limit of {} bytes\n\nConsider raising it \
             with `--limit query-bytes=<size>` or `query-bytes` under [limits] in propcast.toml",
            self.bytes
        )
    }

    /// The error of query `name` returning more rows than the limit, the same on every source.
    pub(crate) fn too_many_rows(&self, name: &str) -> anyhow::Error {
        anyhow::anyhow!(
            "query `{name}` returned more than its limit of {} rows\n\nConsider raising it with \
             `--limit query-rows=<count>` or `query-rows` under [limits] in propcast.toml",
            self.rows
        )
    }
}

impl Default for QueryLimits {
    fn default() -> QueryLimits {
        QueryLimits {
            time: Duration::from_secs(30),
            total_time: None,
            rows: 2_000_000,
            bytes: 512 << 20,
        }
    }
}

/// What a query would cost, found without running it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct DryRun {
    /// Bytes it would scan (and bill); `None` when the source cannot tell (SQLite).
    pub(crate) bytes: Option<u64>,
}

/// A warehouse that answers exporter queries.
#[async_trait]
pub(crate) trait Source: Send + Sync {
    /// Where the data comes from, for messages: "SQLite database `warehouse.sqlite`".
    fn describe(&self) -> String;

    /// Where the data comes from, as a plain address for records (the run manifest):
    /// `sqlite:warehouse.sqlite`, `bigquery:project.dataset`.
    fn locator(&self) -> String;

    /// Checks one query without running it: valid, read-only, within the source's limits.
    /// Errors name the query and what went wrong.
    async fn dry_run(&self, request: &QueryRequest<'_>) -> anyhow::Result<DryRun>;

    /// Runs one query. Errors name the query and what went wrong.
    async fn run_query(&self, request: &QueryRequest<'_>) -> anyhow::Result<Table>;
}
