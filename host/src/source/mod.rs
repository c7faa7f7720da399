//! Where query results come from. A [`Source`] runs one exporter query with host-bound
//! parameters and returns its result as a columnar [`Table`].
//!
//! The embedded default is a read-only SQLite file ([`sqlite`]); fixture cases are another
//! source ([`fixtures`]). BigQuery, not built yet, is meant to implement the same trait. Sources know nothing of Wasm or of where documents are published.

pub(crate) mod fixtures;
pub(crate) mod sqlite;

use crate::data::{QueryParam, Table};

/// A query to run: the exporter's SQL and the values of the parameters it may use.
pub(crate) struct QueryRequest<'a> {
    /// The query's name, which becomes the table's name.
    pub(crate) name: &'a str,
    /// Portable SQL with `@named` parameters.
    pub(crate) sql: &'a str,
    /// Every parameter the host offers; the query uses some of them.
    pub(crate) params: &'a [QueryParam],
}

/// How long one query may run and how many rows it may return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct QueryLimits {
    pub(crate) time: std::time::Duration,
    pub(crate) rows: usize,
}

impl Default for QueryLimits {
    fn default() -> QueryLimits {
        QueryLimits {
            time: std::time::Duration::from_secs(30),
            rows: 2_000_000,
        }
    }
}

/// A warehouse that answers exporter queries.
pub(crate) trait Source {
    /// Where the data comes from, for messages: "SQLite database `warehouse.sqlite`".
    fn describe(&self) -> String;

    /// Runs one query. Errors name the query and what went wrong.
    fn run_query(&self, request: &QueryRequest<'_>) -> anyhow::Result<Table>;
}
