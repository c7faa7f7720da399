//! Fixture tables: a folder of JSON files, one per query, standing in for the warehouse so an
//! exporter can be tested in isolation (`propcast test`, and the golden tests).
//!
//! `tables/<query>.json` holds an array of row objects. Column types follow the values, as the
//! warehouse would give them: integers `int64`, any number with a fraction `float64` (integers
//! among them are widened), booleans `boolean`, strings of the form `YYYY-MM-DD` `date`, other
//! strings `text`; `null` or a missing key is NULL. A column of only NULLs is text.
//!
//! [`write_table`] writes a table the other way (`propcast capture`) and names the columns
//! whose type the file cannot carry, so a captured case says where it may differ from the
//! warehouse.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use serde_json::Value;

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
                "there is no fixture table for query `{}`; add `{}` with an array of rows",
                request.name,
                path.display()
            );
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("failed to read `{}`", path.display()))?;
        let rows: Value = serde_json::from_str(&text)
            .with_context(|| format!("`{}` is not valid JSON", path.display()))?;
        table_from_json(request.name, &rows)
            .with_context(|| format!("`{}` is not a table", path.display()))
    }
}

/// Writes `table` as `<dir>/<table name>.json`: an array of row objects, one line per row.
/// Returns the columns that come back with another type when the file is read (an all-NULL
/// column becomes text, text of dates becomes a date), as `name: type → type`. Fails, naming
/// the column, on a float JSON cannot hold (NaN or infinite).
pub(crate) fn write_table(dir: &Path, table: &Table) -> anyhow::Result<Vec<String>> {
    let mut rows = Vec::with_capacity(table.row_count);
    for row in 0..table.row_count {
        let mut object = serde_json::Map::new();
        for column in &table.columns {
            let cell = cell_json(column, row).with_context(|| {
                format!(
                    "table `{}`, column `{}`, row {row}: cannot be written as JSON",
                    table.name, column.name
                )
            })?;
            object.insert(column.name.clone(), cell);
        }
        rows.push(Value::Object(object));
    }
    let mut text = String::from("[");
    for (index, row) in rows.iter().enumerate() {
        text.push_str(if index == 0 { "\n  " } else { ",\n  " });
        text.push_str(&serde_json::to_string(row)?);
    }
    text.push_str("\n]\n");
    let path = dir.join(format!("{}.json", table.name));
    std::fs::write(&path, text).with_context(|| format!("failed to write `{}`", path.display()))?;
    if table.row_count == 0 && !table.columns.is_empty() {
        return Ok(vec![format!(
            "`{}`: no rows, so none of its columns are in the file",
            table.name
        )]);
    }
    let reread = table_from_json(&table.name, &Value::Array(rows))?;
    Ok(table
        .columns
        .iter()
        .filter_map(|was| {
            let now = reread.columns.iter().find(|c| c.name == was.name)?;
            let (was_type, now_type) = (was.values.type_name(), now.values.type_name());
            (was_type != now_type)
                .then(|| format!("`{}.{}`: {was_type} → {now_type}", table.name, was.name))
        })
        .collect())
}

fn cell_json(column: &Column, row: usize) -> anyhow::Result<Value> {
    if column.nulls.binary_search(&(row as u32)).is_ok() {
        return Ok(Value::Null);
    }
    Ok(match &column.values {
        ColumnValues::Int64(v) => Value::from(v[row]),
        ColumnValues::Float64(v) => serde_json::Number::from_f64(v[row])
            .map(Value::Number)
            .ok_or_else(|| anyhow!("{} is not a JSON number", v[row]))?,
        ColumnValues::Boolean(v) => Value::Bool(v[row] != 0),
        ColumnValues::Text(d) | ColumnValues::Date(d) => {
            Value::String(d.values[d.codes[row] as usize].clone())
        }
    })
}

/// A table from an array of JSON objects.
fn table_from_json(name: &str, rows: &Value) -> anyhow::Result<Table> {
    let rows = rows
        .as_array()
        .ok_or_else(|| anyhow!("expected an array of row objects"))?;
    let mut names: Vec<&str> = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let object = row
            .as_object()
            .ok_or_else(|| anyhow!("row {index} is not an object"))?;
        for key in object.keys() {
            if !names.contains(&key.as_str()) {
                names.push(key);
            }
        }
    }
    let columns = names
        .iter()
        .map(|column| {
            let cells: Vec<&Value> = rows
                .iter()
                .map(|r| r.get(*column).unwrap_or(&Value::Null))
                .collect();
            json_column(column, &cells).with_context(|| format!("column `{column}`"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(Table {
        name: name.to_string(),
        row_count: rows.len(),
        columns,
    })
}

fn json_column(name: &str, cells: &[&Value]) -> anyhow::Result<Column> {
    let nulls: Vec<u32> = (0..cells.len())
        .filter(|&i| cells[i].is_null())
        .map(|i| i as u32)
        .collect();
    let present: Vec<&Value> = cells.iter().copied().filter(|c| !c.is_null()).collect();
    let all = |f: fn(&Value) -> bool| present.iter().all(|c| f(c));
    let dictionary = |cells: &[&Value]| {
        let mut d = Dictionary::default();
        cells.iter().for_each(|c| d.push(c.as_str().unwrap_or("")));
        d
    };
    let values = if present.is_empty() {
        ColumnValues::Text(dictionary(cells))
    } else if all(Value::is_i64) {
        ColumnValues::Int64(cells.iter().map(|c| c.as_i64().unwrap_or(0)).collect())
    } else if all(Value::is_number) {
        ColumnValues::Float64(cells.iter().map(|c| c.as_f64().unwrap_or(0.0)).collect())
    } else if all(Value::is_boolean) {
        ColumnValues::Boolean(
            cells
                .iter()
                .map(|c| u8::from(c.as_bool() == Some(true)))
                .collect(),
        )
    } else if all(Value::is_string) {
        let is_date = present.iter().all(|c| {
            c.as_str()
                .is_some_and(|s| crate::data::parse_date(s).is_ok())
        });
        if is_date {
            ColumnValues::Date(dictionary(cells))
        } else {
            ColumnValues::Text(dictionary(cells))
        }
    } else {
        bail!("mixes kinds of values (numbers, text, booleans); use one kind per column");
    };
    Ok(Column {
        name: name.to_string(),
        values,
        nulls,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_follow_the_values() {
        let rows = serde_json::json!([
            {"player": "ann", "game_date": "2024-01-08", "points": 20, "line": 19.5, "home": true},
            {"player": "bo", "game_date": "2024-01-09", "points": 7, "line": 20, "home": false, "extra": null},
        ]);
        let t = table_from_json("games", &rows).unwrap();
        let kinds: Vec<&str> = t.columns.iter().map(|c| c.values.type_name()).collect();
        assert_eq!(
            kinds,
            ["text", "date", "int64", "float64", "boolean", "text"]
        );
        assert_eq!(t.columns[5].nulls, vec![0, 1]);
    }

    #[test]
    fn mixed_columns_and_non_arrays_are_named() {
        let err = table_from_json("t", &serde_json::json!([{"a": 1}, {"a": "x"}])).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "column `a`: mixes kinds of values (numbers, text, booleans); use one kind per column"
        );
        let err = table_from_json("t", &serde_json::json!({"a": 1})).unwrap_err();
        assert_eq!(err.to_string(), "expected an array of row objects");
    }
}
