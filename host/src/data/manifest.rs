//! An exporter's manifest as the host keeps it after loading and checking it (and as the
//! compile cache stores it, so it is serializable).

use serde::{Deserialize, Serialize};

/// The type of an exporter option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) enum ParamType {
    Text,
    Int64,
    Float64,
    Date,
}

impl std::fmt::Display for ParamType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ParamType::Text => "text",
            ParamType::Int64 => "int64",
            ParamType::Float64 => "float64",
            ParamType::Date => "date",
        })
    }
}

/// An option the exporter accepts, in kebab-case (`min-games`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Param {
    pub(crate) name: String,
    pub(crate) ty: ParamType,
    pub(crate) default: String,
    pub(crate) description: String,
}

/// A query whose result reaches the exporter as the table `name`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Query {
    pub(crate) name: String,
    pub(crate) sql: String,
    /// The column every row's value of is before `@date`, when the query reads the season so
    /// far and nothing else depends on `@date` (the contract's `season-to-date`).
    pub(crate) season_to_date: Option<String>,
}

/// What an exporter is and needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub(crate) struct Manifest {
    pub(crate) name: String,
    pub(crate) version: String,
    pub(crate) description: String,
    pub(crate) queries: Vec<Query>,
    pub(crate) params: Vec<Param>,
    pub(crate) outputs: Vec<String>,
    /// The output folders whose `current` documents each run replaces as a whole set (a subset
    /// of `outputs`); see `replace-set` in `wit/exporter.wit`.
    pub(crate) replaced_sets: Vec<String>,
}

impl ParamType {
    /// Parses an option's text as this type, for binding it to queries.
    pub(crate) fn parse_value(self, text: &str) -> anyhow::Result<super::ParamValue> {
        use super::ParamValue;
        Ok(match self {
            ParamType::Text => ParamValue::Text(text.to_string()),
            ParamType::Int64 => ParamValue::Int64(
                text.parse()
                    .map_err(|_| anyhow::anyhow!("`{text}` is not a whole number"))?,
            ),
            ParamType::Float64 => ParamValue::Float64(
                text.parse()
                    .map_err(|_| anyhow::anyhow!("`{text}` is not a number"))?,
            ),
            ParamType::Date => {
                ParamValue::Date(text.parse().map_err(|_| {
                    anyhow::anyhow!("`{text}` is not a date of the form YYYY-MM-DD")
                })?)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::ParamValue;

    #[test]
    fn parses_values_by_type_and_names_the_bad_one() {
        assert_eq!(
            ParamType::Int64.parse_value("5").unwrap(),
            ParamValue::Int64(5)
        );
        assert_eq!(
            ParamType::Float64.parse_value("0.5").unwrap(),
            ParamValue::Float64(0.5)
        );
        assert_eq!(
            ParamType::Int64
                .parse_value("five")
                .unwrap_err()
                .to_string(),
            "`five` is not a whole number"
        );
        assert!(ParamType::Date.parse_value("2024-02-30").is_err());
    }
}
