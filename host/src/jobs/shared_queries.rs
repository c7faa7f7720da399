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
pub(super) struct QueryKey {
    sql: String,
    values: Vec<String>,
}

impl QueryKey {
    fn of(request: &QueryRequest<'_>) -> QueryKey {
        QueryKey::of_except(request, None)
    }

    /// The identity of `request`, leaving out the parameter `except` (`@date`, for a query of
    /// the season so far).
    pub(super) fn of_except(request: &QueryRequest<'_>, except: Option<&str>) -> QueryKey {
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
            values: named_params(request.sql)
                .iter()
                .filter(|name| Some(name.as_str()) != except)
                .map(|name| value(name))
                .collect(),
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use async_trait::async_trait;

    use super::*;
    use crate::data::ParamValue;
    use crate::source::DryRun;

    /// A source that counts the queries it runs and fails the ones that say `fail`.
    #[derive(Default)]
    struct Counting {
        runs: AtomicUsize,
    }

    #[async_trait]
    impl Source for Counting {
        fn describe(&self) -> String {
            "a counting source".into()
        }
        fn locator(&self) -> String {
            "counting:".into()
        }
        async fn dry_run(&self, _: &QueryRequest<'_>) -> anyhow::Result<DryRun> {
            Ok(DryRun { bytes: None })
        }
        async fn run_query(&self, request: &QueryRequest<'_>) -> anyhow::Result<Table> {
            self.runs.fetch_add(1, Ordering::SeqCst);
            if request.sql.contains("fail") {
                anyhow::bail!("query `{}` failed", request.name);
            }
            Ok(Table {
                name: request.name.to_string(),
                row_count: 0,
                columns: Vec::new(),
            })
        }
    }

    fn params(date: &str, min_games: i64) -> Vec<QueryParam> {
        vec![
            QueryParam {
                name: "date".into(),
                value: ParamValue::Date(date.parse().unwrap()),
            },
            QueryParam {
                name: "min_games".into(),
                value: ParamValue::Int64(min_games),
            },
        ]
    }

    fn ask(shared: &SharedQueries, source: &Counting, name: &str, sql: &str, p: &[QueryParam]) {
        let request = QueryRequest {
            name,
            sql,
            params: p,
            queries_started: None,
        };
        let result = futures::executor::block_on(shared.run(source, &request));
        match result {
            Ok(table) => assert_eq!(table.name, name, "a shared result takes the asker's name"),
            Err(e) => assert!(e.to_string().contains(name), "{e}"),
        }
    }

    #[test]
    fn identical_queries_run_once_and_others_run_apart() {
        let (shared, source) = (SharedQueries::default(), Counting::default());
        let games = "SELECT * FROM schedule WHERE game_date = @date";
        ask(&shared, &source, "games", games, &params("2024-01-10", 5));
        // Another exporter's options differ, but this query does not use them.
        ask(
            &shared,
            &source,
            "todays_games",
            games,
            &params("2024-01-10", 9),
        );
        assert_eq!(source.runs.load(Ordering::SeqCst), 1);
        // Another value of a parameter it uses, or other SQL, is another query.
        ask(&shared, &source, "games", games, &params("2024-01-11", 5));
        ask(
            &shared,
            &source,
            "games",
            &format!("{games} "),
            &params("2024-01-10", 5),
        );
        assert_eq!(source.runs.load(Ordering::SeqCst), 3);
        // Failures are not kept: each asker gets its own error.
        let failing = "SELECT fail FROM schedule";
        ask(&shared, &source, "a", failing, &[]);
        ask(&shared, &source, "b", failing, &[]);
        assert_eq!(source.runs.load(Ordering::SeqCst), 5);
        shared.clear();
        ask(&shared, &source, "games", games, &params("2024-01-10", 5));
        assert_eq!(source.runs.load(Ordering::SeqCst), 6);
    }
}
