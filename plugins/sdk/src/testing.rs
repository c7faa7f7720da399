//! Runs an exporter natively, without Wasm or a host, on tables written as JSON rows.
//!
//! This is how exporter logic is unit-tested with plain `cargo test`: the same `run` the component
//! exports, the same [`Context`] (options default from `exporter.toml`), the same tables.
//!
//! Tables are written as fixture files are, with their column types stated once
//! (`propcast-fixtures`): a table means the same here, in `propcast test` and from the warehouse.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::context::Context;
use crate::document::Document;
use crate::error::Result;
/// What [`exporter!`](crate::exporter) implements for an exporter type: its manifest. A
/// [`Harness`] needs it, and so does code generic over exporters.
pub use crate::glue::ExporterManifest;
use crate::log::Level;
use crate::table::{Column, ColumnData, Dictionary, Table, Tables};
use crate::{Date, Exporter};
use propcast_fixtures::Values;
use propcast_manifest::Manifest;

/// Builds a table from its JSON in the fixture format, `{"columns": {"name": "int64", …},
/// "rows": [{"name": 1, …}, …]}` (`propcast-fixtures`, which the host reads fixture files with).
/// Panics, saying what is wrong, when `table` is not such a table (a test's mistake, not the
/// exporter's).
pub fn table(name: &str, table: Json) -> Table {
    let read = propcast_fixtures::from_json(table)
        .unwrap_or_else(|e| panic!("table `{name}` is not a fixture table: {e}"));
    let columns = read
        .columns
        .into_iter()
        .map(|column| {
            let data = match column.values {
                Values::Int64(v) => ColumnData::Int64(v),
                Values::Float64(v) => ColumnData::Float64(v),
                Values::Boolean(v) => ColumnData::Boolean(v.into_iter().map(u8::from).collect()),
                Values::Text(v) => {
                    ColumnData::Text(Dictionary::encode(v.iter().map(String::as_str)))
                }
                Values::Date(v) => {
                    ColumnData::Date(Dictionary::encode(v.iter().map(String::as_str)))
                }
            };
            Column::new(&column.name, data, &column.nulls).expect("null rows are in range")
        })
        .collect();
    Table::new(name, read.row_count, columns).expect("columns built with one cell per row")
}

/// The tables of one run from each table's column types, `{"games": {"points": "int64", …}, …}`
/// (declared once in a test file), and its rows, `{"games": [rows…], …}`. Panics when a table
/// has rows but no columns.
pub fn tables_of(columns: Json, rows: Json) -> Tables {
    let Json::Object(rows) = rows else {
        panic!("rows must be a JSON object from table name to rows");
    };
    let typed_tables = rows
        .into_iter()
        .map(|(name, rows)| {
            let declared = columns
                .get(&name)
                .unwrap_or_else(|| panic!("no columns are declared for table `{name}`"));
            let table = serde_json::json!({ "columns": declared, "rows": rows });
            (name, table)
        })
        .collect();
    tables(Json::Object(typed_tables))
}

/// Builds the tables of one run from `{"table name": [rows…], …}`.
pub fn tables(value: Json) -> Tables {
    let Json::Object(map) = value else {
        panic!("tables must be a JSON object from table name to table");
    };
    Tables::new(
        map.into_iter()
            .map(|(name, rows)| table(&name, rows))
            .collect(),
    )
}

/// What a native run produced.
#[derive(Debug)]
pub struct Output {
    /// The documents, in the order `run` returned them.
    pub documents: Vec<Document>,
    /// The lines the exporter logged.
    pub logs: Vec<(Level, String)>,
}

impl Output {
    /// The parsed body of the document at `path`. Panics, listing the paths, when there is none.
    pub fn json(&self, path: &str) -> Json {
        match self.documents.iter().find(|d| d.path == path) {
            Some(d) => d.to_value(),
            None => {
                let paths: Vec<&str> = self.documents.iter().map(|d| d.path.as_str()).collect();
                panic!("no document `{path}`; the run wrote: {paths:?}")
            }
        }
    }
}

/// A native run of exporter `E` for one date.
pub struct Harness<E> {
    manifest: Manifest,
    date: String,
    run_id: String,
    generated_at: String,
    params: BTreeMap<String, String>,
    _exporter: std::marker::PhantomData<E>,
}

impl<E: Exporter + ExporterManifest> Harness<E> {
    /// A run for `date` (`YYYY-MM-DD`) with every option at its default, the way the host would
    /// call it, the run id `test` and a fixed `generated-at` of `<date>T12:00:00Z`.
    pub fn new(date: &str) -> Harness<E> {
        let manifest = E::manifest();
        let mut params: BTreeMap<String, String> = manifest
            .params
            .iter()
            .map(|p| (p.name.clone(), p.default.clone()))
            .collect();
        let parsed: Date = date.parse().unwrap_or_else(|e| panic!("{e}"));
        params.insert("date".into(), date.into());
        params.insert("season".into(), crate::season::season_label(parsed));
        params.insert(
            "season-start".into(),
            crate::season::season_start(parsed).to_string(),
        );
        Harness {
            manifest,
            date: date.to_string(),
            run_id: "test".into(),
            generated_at: format!("{date}T12:00:00Z"),
            params,
            _exporter: std::marker::PhantomData,
        }
    }

    /// Sets option `name`, which the manifest must declare.
    pub fn param(mut self, name: &str, value: impl ToString) -> Harness<E> {
        assert!(
            self.manifest.params.iter().any(|p| p.name == name),
            "exporter.toml declares no option `{name}`"
        );
        self.params.insert(name.to_string(), value.to_string());
        self
    }

    /// Sets the run id the context carries.
    pub fn run_id(mut self, run_id: &str) -> Harness<E> {
        self.run_id = run_id.to_string();
        self
    }

    /// Sets the run's timestamp (RFC 3339, as the host passes it).
    pub fn generated_at(mut self, generated_at: &str) -> Harness<E> {
        self.generated_at = generated_at.to_string();
        self
    }

    /// The exporter's manifest.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Runs the exporter on `tables`.
    pub fn run(&self, tables: &Tables) -> Result<Output> {
        let ctx = Context::new(
            &self.date,
            self.run_id.as_str(),
            self.generated_at.as_str(),
            self.params.clone(),
        )?;
        crate::log::captured::take();
        let documents = E::run(&ctx, tables)?;
        Ok(Output {
            documents,
            logs: crate::log::captured::take(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::table::Value;

    #[test]
    fn columns_take_their_declared_types() {
        let t = table(
            "games",
            serde_json::json!({
                "columns": {"player": "text", "game_date": "date", "points": "int64",
                    "line": "float64", "home": "boolean", "note": "text", "minutes": "int64"},
                "rows": [
                    {"player": "ann", "game_date": "2024-01-08", "points": 20, "line": 19.5,
                        "home": true, "note": "2024-01-01"},
                    {"player": "bo", "game_date": "2024-01-09", "points": 7, "line": null,
                        "home": false},
                ],
            }),
        );
        let type_of = |c: &str| t.column(c).unwrap().data().type_name();
        assert_eq!(
            [
                "text", "date", "int64", "float64", "boolean", "text", "int64"
            ],
            [
                "player",
                "game_date",
                "points",
                "line",
                "home",
                "note",
                "minutes"
            ]
            .map(type_of)
        );
        assert_eq!(t.column("line").unwrap().get(1), Value::Null);
        assert_eq!(t.column("minutes").unwrap().get(0), Value::Null);
    }

    #[test]
    #[should_panic(
        expected = "table `t` is not a fixture table: it is an array of rows without column types"
    )]
    fn untyped_rows_are_refused() {
        table("t", serde_json::json!([{"a": 1}]));
    }
}
