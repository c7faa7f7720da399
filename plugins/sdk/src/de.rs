//! Reads a table row into the exporter's own serde types.
//!
//! Portability lives here: the warehouse engines disagree on types (SQLite has no boolean or date
//! type, BigQuery does), so the row reader accepts the forms both produce for the same column.

use std::fmt;

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde::forward_to_deserialize_any;

use crate::table::{Table, Value};

/// Why a row did not fit the requested type.
#[derive(Debug)]
pub(crate) struct DeError(String);

impl fmt::Display for DeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DeError {}

impl de::Error for DeError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        DeError(msg.to_string())
    }
}

/// Where each field of the row type is among a table's columns, found with the first row and
/// kept for the rest (`None` until then; `Some(None)` when a field has no column).
pub(crate) type FieldColumns = std::cell::OnceCell<Option<Vec<usize>>>;

/// Deserializes one row: a struct whose fields all have columns gets its values in field order,
/// the columns found once per table (`columns`); anything else reads the row as a map from
/// column name to value (a missing column then leaves an `Option` field `None` or a
/// `#[serde(default)]` field its default). Columns no field names are ignored.
pub(crate) struct RowDeserializer<'de, 'c> {
    table: &'de Table,
    row: usize,
    columns: &'c FieldColumns,
}

impl<'de, 'c> RowDeserializer<'de, 'c> {
    pub(crate) fn new(table: &'de Table, row: usize, columns: &'c FieldColumns) -> Self {
        RowDeserializer {
            table,
            row,
            columns,
        }
    }
}

impl<'de> Deserializer<'de> for RowDeserializer<'de, '_> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        visitor.visit_map(RowAccess {
            table: self.table,
            row: self.row,
            next: 0,
        })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        let columns = self.columns.get_or_init(|| {
            fields
                .iter()
                .map(|field| self.table.columns().iter().position(|c| c.name() == *field))
                .collect()
        });
        match columns {
            Some(columns) => visitor.visit_seq(FieldAccess {
                table: self.table,
                row: self.row,
                columns: columns.iter(),
            }),
            None => self.deserialize_any(visitor),
        }
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// A row's values in the order of a struct's fields.
struct FieldAccess<'de, 'c> {
    table: &'de Table,
    row: usize,
    columns: std::slice::Iter<'c, usize>,
}

impl<'de> SeqAccess<'de> for FieldAccess<'de, '_> {
    type Error = DeError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, DeError> {
        let Some(&index) = self.columns.next() else {
            return Ok(None);
        };
        let column = &self.table.columns()[index];
        seed.deserialize(CellDeserializer {
            value: column.get(self.row),
        })
        .map(Some)
        .map_err(|e| DeError(format!("column `{}`: {e}", column.name())))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.columns.len())
    }
}

struct RowAccess<'de> {
    table: &'de Table,
    row: usize,
    next: usize,
}

impl<'de> MapAccess<'de> for RowAccess<'de> {
    type Error = DeError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, DeError> {
        let Some(column) = self.table.columns().get(self.next) else {
            return Ok(None);
        };
        let name: &'de str = column.name();
        seed.deserialize(de::value::BorrowedStrDeserializer::new(name))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, DeError> {
        let column = &self.table.columns()[self.next];
        self.next += 1;
        seed.deserialize(CellDeserializer {
            value: column.get(self.row),
        })
        .map_err(|e| DeError(format!("column `{}`: {e}", column.name())))
    }
}

/// Deserializes one cell, converting between the engines' representations.
struct CellDeserializer<'de> {
    value: Value<'de>,
}

impl<'de> CellDeserializer<'de> {
    fn unexpected(&self) -> de::Unexpected<'de> {
        match self.value {
            Value::Null => de::Unexpected::Option,
            Value::Int(v) => de::Unexpected::Signed(v),
            Value::Float(v) => de::Unexpected::Float(v),
            Value::Bool(v) => de::Unexpected::Bool(v),
            Value::Text(v) | Value::Date(v) => de::Unexpected::Str(v),
        }
    }
}

impl<'de> Deserializer<'de> for CellDeserializer<'de> {
    type Error = DeError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Value::Null => visitor.visit_none(),
            Value::Int(v) => visitor.visit_i64(v),
            Value::Float(v) => visitor.visit_f64(v),
            Value::Bool(v) => visitor.visit_bool(v),
            Value::Text(v) | Value::Date(v) => visitor.visit_borrowed_str(v),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Value::Bool(v) => visitor.visit_bool(v),
            Value::Int(v @ (0 | 1)) => visitor.visit_bool(v == 1),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        match self.value {
            Value::Int(v) => visitor.visit_f64(v as f64),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, DeError> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, DeError> {
        match self.value {
            Value::Text(v) => visitor.visit_enum(v.into_deserializer()),
            _ => Err(de::Error::invalid_type(self.unexpected(), &visitor)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, DeError> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 char str string
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use crate::Date;
    use crate::table::{Column, ColumnData, Dictionary, Table};

    #[derive(Debug, Deserialize, PartialEq)]
    struct Game<'a> {
        player: &'a str,
        game_date: Date,
        points: i64,
        line: Option<f64>,
        home: bool,
        #[serde(default)]
        missing_with_default: u32,
    }

    #[derive(Debug, Deserialize, PartialEq)]
    enum Recommendation {
        #[serde(rename = "OVER")]
        Over,
        #[serde(rename = "UNDER")]
        Under,
    }

    fn games() -> Table {
        let columns = vec![
            Column::new(
                "player",
                ColumnData::Text(Dictionary::encode(["ann", "bo"])),
                &[],
            )
            .unwrap(),
            Column::new(
                "game_date",
                ColumnData::Date(Dictionary::encode(["2024-01-08", "2024-01-09"])),
                &[],
            )
            .unwrap(),
            Column::new("points", ColumnData::Int64(vec![21, 7]), &[]).unwrap(),
            Column::new("line", ColumnData::Int64(vec![20, 0]), &[1]).unwrap(),
            Column::new("home", ColumnData::Int64(vec![1, 0]), &[]).unwrap(),
            Column::new(
                "pick",
                ColumnData::Text(Dictionary::encode(["OVER", "SIDEWAYS"])),
                &[],
            )
            .unwrap(),
        ];
        Table::new("games", 2, columns).unwrap()
    }

    #[test]
    fn reads_rows_into_structs_across_engine_types() {
        let table = games();
        let rows: Vec<Game> = table.rows().unwrap();
        assert_eq!(
            rows[0],
            Game {
                player: "ann",
                game_date: "2024-01-08".parse().unwrap(),
                points: 21,
                line: Some(20.0),
                home: true,
                missing_with_default: 0,
            }
        );
        assert_eq!(rows[1].line, None);
        assert!(!rows[1].home);
    }

    #[test]
    fn fields_find_their_columns_in_any_order_and_other_columns_are_ignored() {
        #[derive(Debug, Deserialize, PartialEq)]
        struct Points<'a> {
            points: f64,
            player: &'a str,
        }
        let table = games();
        assert_eq!(
            table.rows::<Points>().unwrap(),
            [
                Points {
                    points: 21.0,
                    player: "ann"
                },
                Points {
                    points: 7.0,
                    player: "bo"
                }
            ]
        );
    }

    #[test]
    fn reads_enums_and_names_the_bad_cell() {
        #[derive(Debug, Deserialize)]
        struct Pick {
            #[allow(dead_code)]
            pick: Recommendation,
        }
        let table = games();
        assert!(matches!(
            table.row::<Pick>(0).unwrap().pick,
            Recommendation::Over
        ));
        let err = table.row::<Pick>(1).unwrap_err();
        assert!(
            err.message()
                .starts_with("table `games` row 1: column `pick`: unknown variant `SIDEWAYS`"),
            "{}",
            err.message()
        );
    }

    #[test]
    fn missing_required_column_is_an_error() {
        #[derive(Debug, Deserialize)]
        struct NeedsMinutes {
            #[allow(dead_code)]
            minutes: f64,
        }
        let err = games().row::<NeedsMinutes>(0).unwrap_err();
        assert_eq!(
            err.message(),
            "table `games` row 0: missing field `minutes`"
        );
    }
}
