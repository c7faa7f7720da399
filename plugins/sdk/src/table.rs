//! Query results as the exporter sees them: named tables of typed columns.
//!
//! A [`Table`] keeps the columnar shape it crossed the contract in, so nothing is copied row by
//! row on the way in. Exporters usually read it as rows of their own serde structs with
//! [`Table::rows`], or column by column with [`Table::column`] and [`Column::get`].

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, Result};

/// Text stored once per distinct value: row `i` holds `values[codes[i]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dictionary {
    /// The distinct values.
    pub values: Vec<String>,
    /// One index into `values` per row.
    pub codes: Vec<u32>,
}

impl Dictionary {
    /// Encodes a list of strings, storing each distinct one once.
    pub fn encode<'a>(items: impl IntoIterator<Item = &'a str>) -> Dictionary {
        let mut index: BTreeMap<&str, u32> = BTreeMap::new();
        let mut values = Vec::new();
        let mut codes = Vec::new();
        for item in items {
            let code = *index.entry(item).or_insert_with(|| {
                values.push(item.to_string());
                (values.len() - 1) as u32
            });
            codes.push(code);
        }
        Dictionary { values, codes }
    }

    fn get(&self, row: usize) -> &str {
        &self.values[self.codes[row] as usize]
    }
}

/// The values of one column, in the type the warehouse gave them.
#[derive(Clone, Debug, PartialEq)]
pub enum ColumnData {
    /// 64-bit integers.
    Int64(Vec<i64>),
    /// 64-bit floats.
    Float64(Vec<f64>),
    /// Booleans, 0 for false.
    Boolean(Vec<u8>),
    /// Text.
    Text(Dictionary),
    /// Dates as `YYYY-MM-DD`.
    Date(Dictionary),
}

impl ColumnData {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            ColumnData::Int64(v) => v.len(),
            ColumnData::Float64(v) => v.len(),
            ColumnData::Boolean(v) => v.len(),
            ColumnData::Text(d) | ColumnData::Date(d) => d.codes.len(),
        }
    }

    /// True when the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name of the type, as used in error messages.
    pub fn type_name(&self) -> &'static str {
        self.column_type().name()
    }

    /// The type, as fixture tables and the host name it.
    pub fn column_type(&self) -> propcast_fixtures::ColumnType {
        use propcast_fixtures::ColumnType;
        match self {
            ColumnData::Int64(_) => ColumnType::Int64,
            ColumnData::Float64(_) => ColumnType::Float64,
            ColumnData::Boolean(_) => ColumnType::Boolean,
            ColumnData::Text(_) => ColumnType::Text,
            ColumnData::Date(_) => ColumnType::Date,
        }
    }
}

/// One cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    /// SQL NULL.
    Null,
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// Text.
    Text(&'a str),
    /// A date as `YYYY-MM-DD`.
    Date(&'a str),
}

/// A named column with its NULLs.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    name: String,
    data: ColumnData,
    /// One flag per row; empty when the column has no NULLs.
    nulls: Vec<bool>,
}

impl Column {
    /// A column from its values and the ascending row indices that are NULL.
    pub fn new(name: impl Into<String>, data: ColumnData, null_rows: &[u32]) -> Result<Column> {
        let name = name.into();
        let rows = data.len();
        if let ColumnData::Text(d) | ColumnData::Date(d) = &data
            && let Some(code) = d.codes.iter().find(|&&c| c as usize >= d.values.len())
        {
            return Err(Error::bad_input(format!(
                "column `{name}` refers to dictionary entry {code} of {}",
                d.values.len()
            )));
        }
        let mut nulls = Vec::new();
        if !null_rows.is_empty() {
            nulls = vec![false; rows];
            for &row in null_rows {
                let slot = nulls.get_mut(row as usize).ok_or_else(|| {
                    Error::bad_input(format!(
                        "column `{name}` marks row {row} NULL but has {rows} rows"
                    ))
                })?;
                *slot = true;
            }
        }
        Ok(Column { name, data, nulls })
    }

    /// The column's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The column's values.
    pub fn data(&self) -> &ColumnData {
        &self.data
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// True when the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// True when the value at `row` is NULL.
    pub fn is_null(&self, row: usize) -> bool {
        self.nulls.get(row).copied().unwrap_or(false)
    }

    /// The value at `row`. Panics when `row` is out of range.
    pub fn get(&self, row: usize) -> Value<'_> {
        if self.is_null(row) {
            return Value::Null;
        }
        match &self.data {
            ColumnData::Int64(v) => Value::Int(v[row]),
            ColumnData::Float64(v) => Value::Float(v[row]),
            ColumnData::Boolean(v) => Value::Bool(v[row] != 0),
            ColumnData::Text(d) => Value::Text(d.get(row)),
            ColumnData::Date(d) => Value::Date(d.get(row)),
        }
    }
}

/// A query's result.
#[derive(Clone, Debug, PartialEq)]
pub struct Table {
    name: String,
    row_count: usize,
    columns: Vec<Column>,
}

impl Table {
    /// A table from columns that all have `row_count` rows.
    pub fn new(name: impl Into<String>, row_count: usize, columns: Vec<Column>) -> Result<Table> {
        let name = name.into();
        for column in &columns {
            if column.len() != row_count {
                return Err(Error::bad_input(format!(
                    "table `{name}` has {row_count} rows but its column `{}` has {}",
                    column.name,
                    column.len()
                )));
            }
        }
        Ok(Table {
            name,
            row_count,
            columns,
        })
    }

    /// The table's name: the name of the query it answers.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.row_count
    }

    /// True when the query returned no rows.
    pub fn is_empty(&self) -> bool {
        self.row_count == 0
    }

    /// The columns, in query order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The column called `name`.
    pub fn column(&self, name: &str) -> Result<&Column> {
        self.columns.iter().find(|c| c.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.columns.iter().map(|c| c.name.as_str()).collect();
            Error::bad_input(format!(
                "table `{}` has no column `{name}` (it has: {})",
                self.name,
                names.join(", ")
            ))
        })
    }

    /// Every row as a `T`, matching struct fields to column names.
    ///
    /// `Option<T>` fields take NULLs; integers widen to floats; a 0/1 integer reads as a
    /// boolean, because SQLite has no boolean type; a date reads as text or as [`crate::Date`].
    /// Strings can borrow from the table (`&'a str`). Columns no field names are ignored. A
    /// field's `#[serde(alias)]` is not supported: when a column has the field's name and
    /// another the alias, values would go to the wrong fields.
    pub fn rows<'a, T: Deserialize<'a>>(&'a self) -> Result<Vec<T>> {
        let columns = crate::de::FieldColumns::new();
        (0..self.row_count)
            .map(|row| self.read_row(row, &columns))
            .collect()
    }

    /// Row `row` as a `T`; see [`Table::rows`].
    pub fn row<'a, T: Deserialize<'a>>(&'a self, row: usize) -> Result<T> {
        self.read_row(row, &crate::de::FieldColumns::new())
    }

    fn read_row<'a, T: Deserialize<'a>>(
        &'a self,
        row: usize,
        columns: &crate::de::FieldColumns,
    ) -> Result<T> {
        T::deserialize(crate::de::RowDeserializer::new(self, row, columns))
            .map_err(|e| Error::bad_input(format!("table `{}` row {row}: {e}", self.name)))
    }
}

/// The tables passed to one run, one per declared query.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tables {
    tables: Vec<Table>,
}

impl Tables {
    /// Wraps the given tables.
    pub fn new(tables: Vec<Table>) -> Tables {
        Tables { tables }
    }

    /// The table answering the query called `name`.
    pub fn get(&self, name: &str) -> Result<&Table> {
        self.tables.iter().find(|t| t.name == name).ok_or_else(|| {
            let names: Vec<&str> = self.tables.iter().map(|t| t.name.as_str()).collect();
            Error::bad_input(format!(
                "no table `{name}` was passed (got: {}); declare a query named `{name}` in exporter.toml",
                names.join(", ")
            ))
        })
    }

    /// Every row of table `name` as a `T`; see [`Table::rows`].
    pub fn rows<'a, T: Deserialize<'a>>(&'a self, name: &str) -> Result<Vec<T>> {
        self.get(name)?.rows()
    }

    /// All tables.
    pub fn iter(&self) -> impl Iterator<Item = &Table> {
        self.tables.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let names = Column::new(
            "player",
            ColumnData::Text(Dictionary::encode(["a", "b", "a"])),
            &[],
        )
        .unwrap();
        let points = Column::new("points", ColumnData::Int64(vec![10, 0, 30]), &[1]).unwrap();
        Table::new("games", 3, vec![names, points]).unwrap()
    }

    #[test]
    fn dictionary_stores_each_value_once() {
        let d = Dictionary::encode(["x", "y", "x", "x"]);
        assert_eq!(d.values, vec!["x", "y"]);
        assert_eq!(d.codes, vec![0, 1, 0, 0]);
    }

    #[test]
    fn reads_values_and_nulls() {
        let t = sample();
        let points = t.column("points").unwrap();
        assert_eq!(points.get(0), Value::Int(10));
        assert_eq!(points.get(1), Value::Null);
        assert_eq!(t.column("player").unwrap().get(2), Value::Text("a"));
    }

    #[test]
    fn rejects_inconsistent_shapes() {
        let short = Column::new("x", ColumnData::Int64(vec![1]), &[]).unwrap();
        let err = Table::new("t", 2, vec![short]).unwrap_err();
        assert!(
            err.message()
                .contains("has 2 rows but its column `x` has 1")
        );
        let err = Column::new("x", ColumnData::Int64(vec![1]), &[3]).unwrap_err();
        assert!(err.message().contains("marks row 3 NULL"));
    }

    #[test]
    fn missing_column_and_table_are_named() {
        let t = sample();
        let err = t.column("line").unwrap_err();
        assert_eq!(
            err.message(),
            "table `games` has no column `line` (it has: player, points)"
        );
        let err = Tables::new(vec![t]).get("lines").unwrap_err();
        assert!(
            err.message()
                .starts_with("no table `lines` was passed (got: games)")
        );
    }
}
