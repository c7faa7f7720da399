//! Identical queries of one date run once.
//!
//! Exporters often ask for the same rows: `tonight` and `tonight-players` both read the date's
//! games and players with the same SQL. Within one date, a query whose text and bound values
//! (of the parameters it uses) equal an earlier one's is answered from that one's result, also
//! when two exporters ask at the same moment (the second waits for the first). Results are kept
//! only while their date runs; a failed query is not kept, so a later asker runs it again and
//! gets its own error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::data::sql::named_params;
use crate::data::{QueryParam, Table};
use crate::source::{QueryRequest, Source};

/// A query's identity: its SQL and the values of the parameters it uses.
#[derive(Clone, Debug, Hash, PartialEq, Eq)]
struct QueryKey {
    sql: String,
    values: Vec<String>,
}

impl QueryKey {
    fn of(request: &QueryRequest<'_>) -> QueryKey {
        let value = |name: &str| {
            request
                .params
                .iter()
                .find(|p| p.name == name)
                .map(|p: &QueryParam| format!("{name}={:?}", p.value))
                .unwrap_or_default()
        };
        QueryKey {
            sql: request.sql.to_string(),
            values: named_params(request.sql).iter().map(|n| value(n)).collect(),
        }
    }
}

/// One date's query results, shared by its exporters.
#[derive(Default)]
pub(super) struct SharedQueries {
    /// Each entry's own lock is held while its query runs, so a second asker waits for it.
    results: Mutex<HashMap<QueryKey, Arc<tokio::sync::Mutex<Option<Table>>>>>,
}

impl SharedQueries {
    /// The result of `request`: an earlier identical query's (renamed after this one), or
    /// `source`'s answer.
    pub(super) async fn run(
        &self,
        source: &dyn Source,
        request: &QueryRequest<'_>,
    ) -> anyhow::Result<Table> {
        let entry = {
            let mut results = self.results.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(results.entry(QueryKey::of(request)).or_default())
        };
        let mut slot = entry.lock().await;
        if let Some(table) = slot.as_ref() {
            let mut table = table.clone();
            table.name = request.name.to_string();
            return Ok(table);
        }
        let table = source.run_query(request).await?;
        *slot = Some(table.clone());
        Ok(table)
    }

    /// Forgets every result: the date is done.
    pub(super) fn clear(&self) {
        self.results
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }
}
