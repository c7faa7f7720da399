//! Fixture tables: a folder of JSON files, one per query, standing in for the warehouse so an
//! exporter can be tested in isolation (`propcast test`, and the golden tests).
//!
//! `tables/<query>.json` states its columns' types and holds its rows, in the format
//! `propcast-fixtures` reads and writes (the one `propcast_sdk::testing` reads too), so a
//! fixture table has the types the warehouse gave. [`write_table`] writes one the other way
//! (`propcast capture`).

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

use async_trait::async_trait;

use super::{DryRun, QueryRequest, Source};
use crate::data::{Column, ColumnValues, Dictionary, Table};

/// The `tables/` folder of a fixture case.
pub(crate) struct FixtureSource {
    dir: PathBuf,
}

impl FixtureSource {
    pub(crate) fn new(dir: &Path) -> FixtureSource {
        FixtureSource {
            dir: dir.to_path_buf(),
        }
    }
}

#[async_trait]
impl Source for FixtureSource {
    fn describe(&self) -> String {
        format!("fixture tables in `{}`", self.dir.display())
    }

    fn locator(&self) -> String {
        format!("fixtures:{}", self.dir.display())
    }

    async fn dry_run(&self, request: &QueryRequest<'_>) -> anyhow::Result<DryRun> {
        self.run_query(request).await?;
        Ok(DryRun { bytes: None })
    }

    async fn run_query(&self, request: &QueryRequest<'_>) -> anyhow::Result<Table> {
        let path = self.dir.join(format!("{}.json", request.name));
        if !path.is_file() {
            bail!(
                "there is no fixture table for query `{}`; add `{}` with its columns and rows",
                request.name,
                path.display()
            );
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("failed to read `{}`", path.display()))?;
        read_table(request.name, &text)
            .with_context(|| format!("`{}` is not a fixture table", path.display()))
    }
}

/// Writes `table` as `<dir>/<table name>.json`, its columns' types stated (`propcast capture`).
/// Fails, naming the cell, on a float JSON cannot hold (NaN or infinite).
pub(crate) fn write_table(dir: &Path, table: &Table) -> anyhow::Result<()> {
    let text = propcast_fixtures::to_text(&fixture_table(table))
        .with_context(|| format!("table `{}` cannot be written as JSON", table.name))?;
    let path = dir.join(format!("{}.json", table.name));
    std::fs::write(&path, text).with_context(|| format!("failed to write `{}`", path.display()))
}

/// `table` in the fixture format's terms.
fn fixture_table(table: &Table) -> propcast_fixtures::Table {
    use propcast_fixtures::Values;
    let strings = |d: &Dictionary| -> Vec<String> {
        d.codes
            .iter()
            .map(|&c| d.values[c as usize].clone())
            .collect()
    };
    propcast_fixtures::Table {
        row_count: table.row_count,
        columns: table
            .columns
            .iter()
            .map(|column| propcast_fixtures::Column {
                name: column.name.clone(),
                values: match &column.values {
                    ColumnValues::Int64(v) => Values::Int64(v.clone()),
                    ColumnValues::Float64(v) => Values::Float64(v.clone()),
                    ColumnValues::Boolean(v) => {
                        Values::Boolean(v.iter().map(|&b| b != 0).collect())
                    }
                    ColumnValues::Text(d) => Values::Text(strings(d)),
                    ColumnValues::Date(d) => Values::Date(strings(d)),
                },
                nulls: column.nulls.clone(),
            })
            .collect(),
    }
}

/// The table `name` from a fixture file's text.
fn read_table(name: &str, text: &str) -> anyhow::Result<Table> {
    use propcast_fixtures::Values;
    let read = propcast_fixtures::parse(text)?;
    let dictionary = |values: Vec<String>| {
        let mut d = Dictionary::default();
        values.iter().for_each(|v| d.push(v));
        d
    };
    let columns = read
        .columns
        .into_iter()
        .map(|column| Column {
            name: column.name,
            values: match column.values {
                Values::Int64(v) => ColumnValues::Int64(v),
                Values::Float64(v) => ColumnValues::Float64(v),
                Values::Boolean(v) => ColumnValues::Boolean(v.into_iter().map(u8::from).collect()),
                Values::Text(v) => ColumnValues::Text(dictionary(v)),
                Values::Date(v) => ColumnValues::Date(dictionary(v)),
            },
            nulls: column.nulls,
        })
        .collect();
    Ok(Table {
        name: name.to_string(),
        row_count: read.row_count,
        columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_written_reads_back_the_same() {
        let text = r#"{"columns": {"player": "text", "game_date": "date", "points": "int64",
            "line": "float64", "home": "boolean", "minutes": "int64"},
            "rows": [{"player": "ann", "game_date": "2024-01-08", "points": 20, "line": 19.5,
            "home": true}, {"player": "bo", "game_date": "2024-01-08", "points": 7,
            "line": null, "home": false}]}"#;
        let table = read_table("games", text).unwrap();
        let kinds: Vec<&str> = table.columns.iter().map(|c| c.values.type_name()).collect();
        assert_eq!(
            kinds,
            ["text", "date", "int64", "float64", "boolean", "int64"]
        );
        assert_eq!(table.columns[5].nulls, vec![0, 1]);
        let dir = tempfile::tempdir().unwrap();
        write_table(dir.path(), &table).unwrap();
        let again = std::fs::read_to_string(dir.path().join("games.json")).unwrap();
        assert_eq!(read_table("games", &again).unwrap(), table);
    }

    #[test]
    fn an_untyped_table_says_how_to_type_it() {
        let err = read_table("t", r#"[{"a": 1}]"#).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "it is an array of rows without column types; a table is written {\"columns\""
            ),
            "{err}"
        );
    }
}
