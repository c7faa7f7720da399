//! Runs an exporter natively, without Wasm or a host, on tables written as JSON rows.
//!
//! This is how exporter logic is unit-tested with plain `cargo test`: the same `run` the component
//! exports, the same [`Context`] (options default from `exporter.toml`), the same tables.
//!
//! JSON values map to column types as the warehouse would give them: integers to `int64`, any
//! number with a fraction to `float64`, booleans to `boolean`, strings of the form `YYYY-MM-DD` to
//! `date`, other strings to `text`, and `null` (or a missing key) to NULL.

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
use propcast_manifest::Manifest;

/// Builds a table from an array of JSON objects. Panics when `rows` is not such an array, or a
/// column mixes kinds of values (a test's mistake, not the exporter's).
pub fn table(name: &str, rows: Json) -> Table {
    let Json::Array(rows) = rows else {
        panic!("table `{name}`: rows must be a JSON array of objects");
    };
    let mut names: Vec<String> = Vec::new();
    for row in &rows {
        let Json::Object(map) = row else {
            panic!("table `{name}`: every row must be a JSON object, got {row}");
        };
        for key in map.keys() {
            if !names.contains(key) {
                names.push(key.clone());
            }
        }
    }
    let columns = names
        .iter()
        .map(|column| {
            let cells: Vec<&Json> = rows
                .iter()
                .map(|r| r.get(column).unwrap_or(&Json::Null))
                .collect();
            json_column(name, column, &cells)
        })
        .collect();
    Table::new(name, rows.len(), columns).expect("columns built with one cell per row")
}

fn json_column(table: &str, column: &str, cells: &[&Json]) -> Column {
    let nulls: Vec<u32> = (0..cells.len() as u32)
        .filter(|&i| cells[i as usize].is_null())
        .collect();
    let present = || cells.iter().filter(|c| !c.is_null());
    let all = |f: fn(&Json) -> bool| present().all(|c| f(c));
    let data = if present().count() == 0 {
        ColumnData::Text(Dictionary::encode(cells.iter().map(|_| "")))
    } else if all(|c| c.is_i64()) {
        ColumnData::Int64(cells.iter().map(|c| c.as_i64().unwrap_or(0)).collect())
    } else if all(|c| c.is_number()) {
        ColumnData::Float64(cells.iter().map(|c| c.as_f64().unwrap_or(0.0)).collect())
    } else if all(|c| c.is_boolean()) {
        ColumnData::Boolean(
            cells
                .iter()
                .map(|c| u8::from(c.as_bool() == Some(true)))
                .collect(),
        )
    } else if all(|c| c.is_string()) {
        let text = cells.iter().map(|c| c.as_str().unwrap_or(""));
        let is_date = present().all(|c| c.as_str().is_some_and(|s| s.parse::<Date>().is_ok()));
        if is_date {
            ColumnData::Date(Dictionary::encode(text))
        } else {
            ColumnData::Text(Dictionary::encode(text))
        }
    } else {
        panic!("table `{table}` column `{column}` mixes kinds of JSON values");
    };
    Column::new(column, data, &nulls).expect("null rows are in range")
}

/// Builds the tables of one run from `{"table name": [rows…], …}`.
pub fn tables(value: Json) -> Tables {
    let Json::Object(map) = value else {
        panic!("tables must be a JSON object from table name to rows");
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
    fn infers_column_types_from_json() {
        let t = table(
            "games",
            serde_json::json!([
                {"player": "ann", "game_date": "2024-01-08", "points": 20, "line": 19.5, "home": true},
                {"player": "bo", "game_date": "2024-01-09", "points": 7, "line": null, "home": false},
            ]),
        );
        let type_of = |c: &str| t.column(c).unwrap().data().type_name();
        assert_eq!(
            ["text", "date", "int64", "float64", "boolean"],
            ["player", "game_date", "points", "line", "home"].map(type_of)
        );
        assert_eq!(t.column("line").unwrap().get(1), Value::Null);
    }

    #[test]
    fn missing_keys_are_nulls() {
        let t = table("t", serde_json::json!([{"a": 1}, {"b": "x"}]));
        assert_eq!(t.column("a").unwrap().get(1), Value::Null);
        assert_eq!(t.column("b").unwrap().get(0), Value::Null);
    }
}
