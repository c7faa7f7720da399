//! BigQuery's result types onto the contract's columns, and REST cells (`{"v": "12"}`) into
//! them.
//!
//! | BigQuery | column | value |
//! | --- | --- | --- |
//! | INT64 (INTEGER) | `int64` | |
//! | FLOAT64 (FLOAT), NUMERIC, BIGNUMERIC | `float64` | decimals to the nearest `f64` |
//! | BOOL (BOOLEAN) | `boolean` | |
//! | STRING | `text` | |
//! | DATE | `date` | `YYYY-MM-DD` |
//! | TIMESTAMP | `text` | RFC 3339 in UTC, e.g. `2024-01-10T12:00:00.5Z` |
//!
//! Anything else (BYTES, DATETIME, TIME, GEOGRAPHY, JSON, INTERVAL, RANGE, RECORD, REPEATED
//! fields) is an error naming the query and the column: cast it in the query.

use serde_json::Value;

use crate::data::{Column, ColumnValues, Dictionary};

/// What a BigQuery field becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Int64,
    Float64,
    Boolean,
    Text,
    Date,
    Timestamp,
}

/// The column a BigQuery field of type `ty` and mode `mode` becomes, or why it cannot cross.
fn kind_of(ty: &str, mode: &str) -> Result<Kind, String> {
    if mode.eq_ignore_ascii_case("REPEATED") {
        return Err(format!(
            "is a REPEATED {ty}, which exporters cannot receive; unnest it in the query"
        ));
    }
    Ok(match ty.to_ascii_uppercase().as_str() {
        "INTEGER" | "INT64" => Kind::Int64,
        "FLOAT" | "FLOAT64" | "NUMERIC" | "BIGNUMERIC" | "DECIMAL" | "BIGDECIMAL" => Kind::Float64,
        "BOOLEAN" | "BOOL" => Kind::Boolean,
        "STRING" => Kind::Text,
        "DATE" => Kind::Date,
        "TIMESTAMP" => Kind::Timestamp,
        other => {
            return Err(format!(
                "has the BigQuery type {other}, which exporters cannot receive; cast it in the \
                 query (e.g. `CAST(x AS STRING)`)"
            ));
        }
    })
}

/// Builds one column from REST cells.
pub(super) struct ColumnBuilder {
    name: String,
    /// The BigQuery type, for messages.
    ty: String,
    kind: Kind,
    values: Values,
    nulls: Vec<u32>,
}

enum Values {
    Int64(Vec<i64>),
    Float64(Vec<f64>),
    Boolean(Vec<u8>),
    Text(Dictionary),
}

impl ColumnBuilder {
    /// A builder for the field `name` of type `ty` and mode `mode`; the error says why the
    /// field cannot cross the contract.
    pub(super) fn new(name: &str, ty: &str, mode: &str) -> Result<ColumnBuilder, String> {
        let kind = kind_of(ty, mode)?;
        let values = match kind {
            Kind::Int64 => Values::Int64(Vec::new()),
            Kind::Float64 => Values::Float64(Vec::new()),
            Kind::Boolean => Values::Boolean(Vec::new()),
            Kind::Text | Kind::Date | Kind::Timestamp => Values::Text(Dictionary::default()),
        };
        Ok(ColumnBuilder {
            name: name.to_string(),
            ty: ty.to_ascii_uppercase(),
            kind,
            values,
            nulls: Vec::new(),
        })
    }

    pub(super) fn name(&self) -> &str {
        &self.name
    }

    /// Adds row `row`'s cell value (`null` for NULL, else a string).
    pub(super) fn push(&mut self, row: usize, cell: &Value) -> Result<(), String> {
        let text = match cell {
            Value::Null => None,
            Value::String(s) => Some(s.as_str()),
            other => return Err(format!("row {row} holds `{other}`, not a scalar value")),
        };
        let Some(text) = text else {
            self.nulls.push(row as u32);
            match &mut self.values {
                Values::Int64(v) => v.push(0),
                Values::Float64(v) => v.push(0.0),
                Values::Boolean(v) => v.push(0),
                Values::Text(d) => d.push(""),
            }
            return Ok(());
        };
        let bad = || format!("row {row} holds `{text}`, which is not a valid {}", self.ty);
        match &mut self.values {
            Values::Int64(v) => v.push(text.parse().map_err(|_| bad())?),
            Values::Float64(v) => v.push(text.parse().map_err(|_| bad())?),
            Values::Boolean(v) => v.push(match text {
                "true" | "TRUE" | "True" => 1,
                "false" | "FALSE" | "False" => 0,
                _ => return Err(bad()),
            }),
            Values::Text(d) if self.kind == Kind::Timestamp => {
                d.push(&timestamp_text(text).ok_or_else(bad)?)
            }
            Values::Text(d) => d.push(text),
        }
        Ok(())
    }

    pub(super) fn finish(self) -> Column {
        let values = match self.values {
            Values::Int64(v) => ColumnValues::Int64(v),
            Values::Float64(v) => ColumnValues::Float64(v),
            Values::Boolean(v) => ColumnValues::Boolean(v),
            Values::Text(d) if self.kind == Kind::Date => ColumnValues::Date(d),
            Values::Text(d) => ColumnValues::Text(d),
        };
        Column {
            name: self.name,
            values,
            nulls: self.nulls,
        }
    }
}

/// A TIMESTAMP cell as RFC 3339 UTC: microseconds since the epoch (what propcast asks for
/// with `useInt64Timestamp`), or seconds with a fraction (the REST default).
fn timestamp_text(cell: &str) -> Option<String> {
    let timestamp = match cell.parse::<i64>() {
        Ok(micros) => jiff::Timestamp::from_microsecond(micros).ok()?,
        Err(_) => {
            let seconds: f64 = cell.parse().ok()?;
            jiff::Timestamp::from_microsecond((seconds * 1e6).round() as i64).ok()?
        }
    };
    Some(timestamp.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn column(ty: &str, cells: &[Value]) -> Column {
        let mut builder = ColumnBuilder::new("c", ty, "NULLABLE").unwrap();
        for (row, cell) in cells.iter().enumerate() {
            builder.push(row, cell).unwrap();
        }
        builder.finish()
    }

    #[test]
    fn every_mapped_type_and_nulls() {
        let ints = column("INTEGER", &[json!("-9007199254740993"), Value::Null]);
        assert_eq!(ints.values, ColumnValues::Int64(vec![-9007199254740993, 0]));
        assert_eq!(ints.nulls, [1]);
        let floats = column("FLOAT", &[json!("1e+20"), json!("1.0E-7"), json!("NaN")]);
        let ColumnValues::Float64(f) = floats.values else {
            panic!()
        };
        assert_eq!(&f[..2], [1e20, 1e-7]);
        assert!(f[2].is_nan());
        assert_eq!(
            column("NUMERIC", &[json!("1.500")]).values,
            ColumnValues::Float64(vec![1.5])
        );
        assert_eq!(
            column("BIGNUMERIC", &[json!("12.25")]).values,
            ColumnValues::Float64(vec![12.25])
        );
        assert_eq!(
            column("BOOLEAN", &[json!("true"), json!("false"), Value::Null]).values,
            ColumnValues::Boolean(vec![1, 0, 0])
        );
        let dates = column("DATE", &[json!("2024-01-10"), json!("2024-01-10")]);
        let ColumnValues::Date(d) = dates.values else {
            panic!()
        };
        assert_eq!(d.values, ["2024-01-10"]);
        let text = column("STRING", &[json!("é\"q"), Value::Null]);
        assert!(matches!(text.values, ColumnValues::Text(_)));
        assert_eq!(text.nulls, [1]);
        let ts = column(
            "TIMESTAMP",
            &[json!("1704110400500000"), json!("1.7041104005E9")],
        );
        let ColumnValues::Text(t) = ts.values else {
            panic!()
        };
        assert_eq!(t.values, ["2024-01-01T12:00:00.5Z"]);
        assert_eq!(t.codes, [0, 0]);
    }

    #[test]
    fn unsupported_types_say_what_to_do() {
        let err = ColumnBuilder::new("g", "GEOGRAPHY", "NULLABLE")
            .err()
            .unwrap();
        assert_eq!(
            err,
            "has the BigQuery type GEOGRAPHY, which exporters cannot receive; cast it in the query (e.g. `CAST(x AS STRING)`)"
        );
        assert!(
            ColumnBuilder::new("r", "INTEGER", "REPEATED")
                .err()
                .unwrap()
                .contains("REPEATED")
        );
        let mut ints = ColumnBuilder::new("i", "INT64", "NULLABLE").unwrap();
        assert_eq!(
            ints.push(3, &json!("x")).unwrap_err(),
            "row 3 holds `x`, which is not a valid INT64"
        );
    }
}
