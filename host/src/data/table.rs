//! A query result in the columnar shape it crosses the contract in, and the typed parameters a
//! query is run with.

use std::collections::HashMap;

/// Text stored once per distinct value: row `i` holds `values[codes[i]]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Dictionary {
    pub(crate) values: Vec<String>,
    pub(crate) codes: Vec<u32>,
    index: HashMap<String, u32>,
}

impl Dictionary {
    pub(crate) fn push(&mut self, value: &str) {
        let code = match self.index.get(value) {
            Some(&code) => code,
            None => {
                let code = self.values.len() as u32;
                self.values.push(value.to_string());
                self.index.insert(value.to_string(), code);
                code
            }
        };
        self.codes.push(code);
    }

    pub(crate) fn into_parts(self) -> (Vec<String>, Vec<u32>) {
        (self.values, self.codes)
    }
}

/// One column's values. NULL rows hold a placeholder (0, 0.0, or the empty string).
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ColumnValues {
    Int64(Vec<i64>),
    Float64(Vec<f64>),
    Boolean(Vec<u8>),
    Text(Dictionary),
    Date(Dictionary),
}

#[cfg(test)]
impl ColumnValues {
    /// The type's name, as fixture tables and the contract name it (for tests' assertions).
    pub(crate) fn type_name(&self) -> &'static str {
        use propcast_fixtures::ColumnType;
        match self {
            ColumnValues::Int64(_) => ColumnType::Int64,
            ColumnValues::Float64(_) => ColumnType::Float64,
            ColumnValues::Boolean(_) => ColumnType::Boolean,
            ColumnValues::Text(_) => ColumnType::Text,
            ColumnValues::Date(_) => ColumnType::Date,
        }
        .name()
    }
}

/// A named column; `nulls` lists the NULL rows in ascending order.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Column {
    pub(crate) name: String,
    pub(crate) values: ColumnValues,
    pub(crate) nulls: Vec<u32>,
}

/// A query's result, named after the query.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Table {
    pub(crate) name: String,
    pub(crate) row_count: usize,
    pub(crate) columns: Vec<Column>,
}

/// A value bound to a query parameter.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum ParamValue {
    Text(String),
    Int64(i64),
    Float64(f64),
    Date(jiff::civil::Date),
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Text(v) => f.write_str(v),
            ParamValue::Int64(v) => write!(f, "{v}"),
            ParamValue::Float64(v) => write!(f, "{v}"),
            ParamValue::Date(v) => write!(f, "{v}"),
        }
    }
}

/// A named parameter as it appears in SQL, without the `@` (`min_games`).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct QueryParam {
    pub(crate) name: String,
    pub(crate) value: ParamValue,
}

/// One cell, for comparing tables whose columns may have settled on different types.
#[derive(Debug)]
enum Cell<'a> {
    Null,
    Number(f64),
    Boolean(bool),
    Text(&'a str),
}

impl PartialEq for Cell<'_> {
    /// Numbers are equal by value (an integer equals the same float), and NaN equals NaN: the
    /// same row read twice must compare equal.
    fn eq(&self, other: &Cell<'_>) -> bool {
        match (self, other) {
            (Cell::Null, Cell::Null) => true,
            (Cell::Number(a), Cell::Number(b)) => a == b || (a.is_nan() && b.is_nan()),
            (Cell::Boolean(a), Cell::Boolean(b)) => a == b,
            (Cell::Text(a), Cell::Text(b)) => a == b,
            _ => false,
        }
    }
}

impl ColumnValues {
    fn cell(&self, row: usize) -> Cell<'_> {
        match self {
            ColumnValues::Int64(v) => Cell::Number(v[row] as f64),
            ColumnValues::Float64(v) => Cell::Number(v[row]),
            ColumnValues::Boolean(v) => Cell::Boolean(v[row] != 0),
            ColumnValues::Text(d) | ColumnValues::Date(d) => {
                Cell::Text(&d.values[d.codes[row] as usize])
            }
        }
    }

    /// The values of `rows`, in that order, as a column of the same type.
    fn select(&self, rows: &[usize]) -> ColumnValues {
        let dictionary = |d: &Dictionary| {
            let mut picked = Dictionary::default();
            for &row in rows {
                picked.push(&d.values[d.codes[row] as usize]);
            }
            picked
        };
        match self {
            ColumnValues::Int64(v) => ColumnValues::Int64(rows.iter().map(|&r| v[r]).collect()),
            ColumnValues::Float64(v) => ColumnValues::Float64(rows.iter().map(|&r| v[r]).collect()),
            ColumnValues::Boolean(v) => ColumnValues::Boolean(rows.iter().map(|&r| v[r]).collect()),
            ColumnValues::Text(d) => ColumnValues::Text(dictionary(d)),
            ColumnValues::Date(d) => ColumnValues::Date(dictionary(d)),
        }
    }
}

impl Column {
    fn cell(&self, row: usize) -> Cell<'_> {
        if self.nulls.binary_search(&(row as u32)).is_ok() {
            Cell::Null
        } else {
            self.values.cell(row)
        }
    }
}

impl Table {
    /// The rows whose value in `column` is before `date` (`YYYY-MM-DD`; a date column or text of
    /// that form; NULL is never before), in their order: what a query that declares
    /// `season-to-date = "<column>"` returns for `date` when this is its result for a later date
    /// of the season. Errors say what is wrong with the column.
    pub(crate) fn rows_before(&self, column: &str, date: &str) -> Result<Table, String> {
        let Some(key) = self.columns.iter().find(|c| c.name == column) else {
            return Err(format!("has no column `{column}`"));
        };
        let (ColumnValues::Date(days) | ColumnValues::Text(days)) = &key.values else {
            return Err(format!("column `{column}` does not hold dates"));
        };
        let rows: Vec<usize> = (0..self.row_count)
            .filter(|&row| {
                key.nulls.binary_search(&(row as u32)).is_err()
                    && days.values[days.codes[row] as usize].as_str() < date
            })
            .collect();
        let columns = self
            .columns
            .iter()
            .map(|c| Column {
                name: c.name.clone(),
                values: c.values.select(&rows),
                nulls: rows
                    .iter()
                    .enumerate()
                    .filter(|(_, row)| c.nulls.binary_search(&(**row as u32)).is_ok())
                    .map(|(i, _)| i as u32)
                    .collect(),
            })
            .collect();
        Ok(Table {
            name: self.name.clone(),
            row_count: rows.len(),
            columns,
        })
    }

    /// Whether `other` holds the same columns and rows, value by value. Types are compared by
    /// value, not by name: a column that is all NULL (whose type a source guesses) matches any,
    /// and an integer equals the same float.
    pub(crate) fn same_rows(&self, other: &Table) -> bool {
        self.row_count == other.row_count
            && self.columns.len() == other.columns.len()
            && self.columns.iter().zip(&other.columns).all(|(a, b)| {
                a.name == b.name && (0..self.row_count).all(|row| a.cell(row) == b.cell(row))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dictionary(values: &[&str]) -> Dictionary {
        let mut d = Dictionary::default();
        values.iter().for_each(|v| d.push(v));
        d
    }

    fn games(rows: &[(&str, i64, Option<f64>)]) -> Table {
        Table {
            name: "games".into(),
            row_count: rows.len(),
            columns: vec![
                Column {
                    name: "game_date".into(),
                    values: ColumnValues::Date(dictionary(
                        &rows.iter().map(|r| r.0).collect::<Vec<_>>(),
                    )),
                    nulls: Vec::new(),
                },
                Column {
                    name: "points".into(),
                    values: ColumnValues::Int64(rows.iter().map(|r| r.1).collect()),
                    nulls: Vec::new(),
                },
                Column {
                    name: "line".into(),
                    values: ColumnValues::Float64(
                        rows.iter().map(|r| r.2.unwrap_or(0.0)).collect(),
                    ),
                    nulls: (0..rows.len() as u32)
                        .filter(|&i| rows[i as usize].2.is_none())
                        .collect(),
                },
            ],
        }
    }

    #[test]
    fn the_rows_before_a_date_are_those_a_query_for_that_date_returns() {
        let season = games(&[
            ("2024-01-08", 20, Some(18.5)),
            ("2024-01-10", 31, None),
            ("2024-01-09", 12, Some(14.5)),
            ("2024-01-11", 7, None),
        ]);
        let before = season.rows_before("game_date", "2024-01-10").unwrap();
        assert_eq!(
            before,
            games(&[
                ("2024-01-08", 20, Some(18.5)),
                ("2024-01-09", 12, Some(14.5))
            ])
        );
        let later = season.rows_before("game_date", "2024-01-11").unwrap();
        assert_eq!(later.row_count, 3);
        assert_eq!(later.columns[2].nulls, [1]);
        assert!(later.same_rows(&games(&[
            ("2024-01-08", 20, Some(18.5)),
            ("2024-01-10", 31, None),
            ("2024-01-09", 12, Some(14.5)),
        ])));
        assert_eq!(
            season.rows_before("points", "2024-01-10").unwrap_err(),
            "column `points` does not hold dates"
        );
        assert_eq!(
            season.rows_before("day", "2024-01-10").unwrap_err(),
            "has no column `day`"
        );
    }

    #[test]
    fn rows_compare_by_value_whatever_type_a_source_guessed() {
        let floats = games(&[("2024-01-08", 20, None)]);
        let mut guessed = floats.clone();
        // A source that saw only NULLs guesses text; integers may also arrive as floats.
        guessed.columns[2].values = ColumnValues::Text(dictionary(&[""]));
        guessed.columns[1].values = ColumnValues::Float64(vec![20.0]);
        assert!(floats.same_rows(&guessed));
        guessed.columns[1].values = ColumnValues::Float64(vec![20.5]);
        assert!(!floats.same_rows(&guessed));
        let mut nan = floats.clone();
        nan.columns[1].values = ColumnValues::Float64(vec![f64::NAN]);
        assert!(nan.same_rows(&nan.clone()));
        assert!(!floats.same_rows(&games(&[])));
    }
}
