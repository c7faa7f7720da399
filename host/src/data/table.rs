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

impl ColumnValues {
    /// The type's name in the contract: `int64`, `float64`, `boolean`, `text` or `date`.
    #[cfg(test)]
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            ColumnValues::Int64(_) => "int64",
            ColumnValues::Float64(_) => "float64",
            ColumnValues::Boolean(_) => "boolean",
            ColumnValues::Text(_) => "text",
            ColumnValues::Date(_) => "date",
        }
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
