//! A query of the season so far runs once per season of a run, not once per date.
//!
//! Four exporters read every game of the season before the date, so a backfill re-read the
//! season for every date: the cost grew with the square of the season, and on BigQuery so did
//! the bill. A query that declares `season-to-date = "<column>"` promises that its rows for a
//! date are its rows for a later date of the season whose `<column>` is before the date (the
//! contract says when that holds). In a run of several dates it runs once per season, with
//! `@date` the day after the run's last date in that season, and each date gets the rows
//! before it ([`Table::rows_before`]). The promise is checked once per season: the query also
//! runs plainly for the run's last date in the season, and if the two disagree every date of
//! that season fails for the exporter with a message saying what to change. A failed query is
//! not kept (the next date tries again), a broken promise is. A season's result is dropped once
//! a date after its last one asks for rows.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::anyhow;
use jiff::ToSpan as _;
use jiff::civil::Date;

use super::dates::season_label;
use super::shared_queries::QueryKey;
use crate::data::{ParamValue, QueryParam, Table};
use crate::source::{QueryRequest, Source};

/// The season-long results of a run's `season-to-date` queries.
pub(super) struct SeasonRows {
    /// The run's last date in each season, by season label.
    last: HashMap<String, Date>,
    /// Each season's result (or why the query broke its promise), by season and query.
    results: Mutex<HashMap<(String, QueryKey), Slot>>,
}

type Slot = Arc<tokio::sync::Mutex<Option<Result<Table, String>>>>;

impl SeasonRows {
    /// For a run of `dates`.
    pub(super) fn new(dates: &[Date]) -> SeasonRows {
        let mut last: HashMap<String, Date> = HashMap::new();
        for &date in dates {
            let entry = last.entry(season_label(date)).or_insert(date);
            *entry = (*entry).max(date);
        }
        SeasonRows {
            last,
            results: Mutex::default(),
        }
    }

    /// The rows of `request` (for `date`, its `@date`) whose `column` is before `date`, from
    /// the season's result.
    pub(super) async fn rows(
        &self,
        source: &dyn Source,
        request: &QueryRequest<'_>,
        column: &str,
        date: Date,
    ) -> anyhow::Result<Table> {
        let season = season_label(date);
        let Some(&last) = self.last.get(&season) else {
            return source.run_query(request).await;
        };
        let slot = {
            let mut results = self.results.lock().unwrap_or_else(|e| e.into_inner());
            // Seasons whose dates all come before this one are done (dates start in order; a
            // late asker of one would run its query again, correctly): keep memory bounded.
            results.retain(|(held, _), _| self.last.get(held).is_none_or(|&l| l >= date));
            let key = (season, QueryKey::of_except(request, Some("date")));
            Arc::clone(results.entry(key).or_default())
        };
        let mut slot = slot.lock().await;
        if slot.is_none() {
            *slot = Some(season_result(source, request, column, last).await?);
        }
        let season_table = match slot.as_ref().expect("the slot was just filled") {
            Ok(table) => table,
            Err(broken) => return Err(anyhow!("{broken}")),
        };
        let mut table = season_table
            .rows_before(column, &date.to_string())
            .map_err(|problem| anyhow!("query `{}` {problem}", request.name))?;
        table.name = request.name.to_string();
        Ok(table)
    }
}

/// Runs `request` for the whole season up to `last` and checks it against a plain run for
/// `last`. The outer error is a failed query; the inner one a broken promise.
async fn season_result(
    source: &dyn Source,
    request: &QueryRequest<'_>,
    column: &str,
    last: Date,
) -> anyhow::Result<Result<Table, String>> {
    let name = request.name;
    let with_date = |date: Date| -> Vec<QueryParam> {
        request
            .params
            .iter()
            .map(|p| QueryParam {
                name: p.name.clone(),
                value: if p.name == "date" {
                    ParamValue::Date(date)
                } else {
                    p.value.clone()
                },
            })
            .collect()
    };
    let (season_params, last_params) = (with_date(last.saturating_add(1.day())), with_date(last));
    let season = source
        .run_query(&QueryRequest {
            params: &season_params,
            ..*request
        })
        .await?;
    let plain = source
        .run_query(&QueryRequest {
            params: &last_params,
            ..*request
        })
        .await?;
    let filtered = match season.rows_before(column, &last.to_string()) {
        Ok(filtered) => filtered,
        Err(problem) => return Ok(Err(format!("query `{name}` {problem}"))),
    };
    if !filtered.same_rows(&plain) {
        return Ok(Err(format!(
            "query `{name}` declares `season-to-date = \"{column}\"`, but its rows for {last} \
             ({} rows) are not its season's rows whose `{column}` is before {last} ({} rows): \
             it depends on `@date` in another way, or its ORDER BY is not total\n\nConsider \
             fixing the query, or removing `season-to-date` from the exporter's exporter.toml",
            plain.row_count, filtered.row_count
        )));
    }
    Ok(Ok(season))
}
