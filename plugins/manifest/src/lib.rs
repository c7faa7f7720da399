//! The exporter's manifest, written by the author in `exporter.toml`. `propcast-sdk`'s
//! `exporter!` macro reads and checks it when the exporter is compiled (through
//! `propcast-sdk-macros`) and embeds the result in the component, so the `.wasm` file is the
//! whole plugin and carries no TOML parser; native tests parse it with the same code.
//!
//! ```toml
//! name = "streaks"
//! description = "Players on OVER/UNDER runs"
//! outputs = ["v1/streaks/"]
//!
//! [params.min-length]
//! type = "int64"
//! default = 4
//! description = "Shortest run reported"
//!
//! [queries.games]
//! sql = "SELECT player_lookup, points FROM player_game_summary WHERE game_date < @date"
//! ```
//!
//! The version defaults to the crate's. Queries reach `run` as tables of the same name.
//!
//! A query of the season so far, whose only use of `@date` is `<column> < @date` (and whose
//! ORDER BY is total), can say so; a backfill then runs it once per season (the contract's
//! `season-to-date` says exactly what is promised):
//!
//! ```toml
//! [queries.games]
//! sql = """SELECT player_lookup, game_date, points FROM player_game_summary
//!          WHERE season = @season AND game_date < @date ORDER BY player_lookup, game_date"""
//! season-to-date = "game_date"
//! ```
//!
//! An output folder whose `current` documents are one set that each run replaces whole (a
//! player not playing tonight loses the page) is written as a table:
//!
//! ```toml
//! outputs = [{ path = "v1/tonight/player/", replace-set = true }]
//! ```

pub mod bounds;
pub mod paths;
pub mod rules;

use std::collections::BTreeMap;

use serde::Deserialize;

/// Why `exporter.toml` is invalid; the message names the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestError(String);

impl std::fmt::Display for ManifestError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ManifestError {}

type Result<T> = std::result::Result<T, ManifestError>;

/// The type of an option.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParamType {
    /// Any text.
    Text,
    /// A 64-bit integer.
    Int64,
    /// A 64-bit float.
    Float64,
    /// A `YYYY-MM-DD` date.
    Date,
}

/// An option the exporter accepts.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Kebab-case name, e.g. `min-games`; `@min_games` in SQL.
    pub name: String,
    /// Its type.
    pub ty: ParamType,
    /// Its default value as text.
    pub default: String,
    /// What it does, for `propcast plugins`.
    pub description: String,
}

/// A query the exporter needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Query {
    /// The name of the table its result arrives as.
    pub name: String,
    /// Portable SQL with `@named` parameters.
    pub sql: String,
    /// The column whose value is before `@date` in every row, when the query reads the season
    /// so far and nothing else depends on `@date`.
    pub season_to_date: Option<String>,
}

/// A place the exporter may write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    /// A folder ending in `/` (everything under it) or an exact `.json` path.
    pub path: String,
    /// The folder's `current` documents are one set each run replaces whole: the host removes
    /// those an earlier run published that this run did not.
    pub replace_set: bool,
}

/// What an exporter is and needs.
#[derive(Clone, Debug, PartialEq)]
pub struct Manifest {
    /// The exporter's name, used by `--only`.
    pub name: String,
    /// Its version.
    pub version: String,
    /// One line on what it publishes.
    pub description: String,
    /// The queries whose results `run` receives.
    pub queries: Vec<Query>,
    /// The options it accepts.
    pub params: Vec<Param>,
    /// Where it may write.
    pub outputs: Vec<Output>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    name: String,
    version: Option<String>,
    description: String,
    outputs: Vec<OutputFile>,
    #[serde(default)]
    params: BTreeMap<String, ParamFile>,
    #[serde(default)]
    queries: BTreeMap<String, QueryFile>,
}

/// An output as written: a path, or a table with the path and its flags.
#[derive(Deserialize)]
#[serde(untagged)]
enum OutputFile {
    Path(String),
    Table(OutputTable),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct OutputTable {
    path: String,
    #[serde(default)]
    replace_set: bool,
}

impl From<OutputFile> for Output {
    fn from(file: OutputFile) -> Output {
        match file {
            OutputFile::Path(path) => Output {
                path,
                replace_set: false,
            },
            OutputFile::Table(t) => Output {
                path: t.path,
                replace_set: t.replace_set,
            },
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParamFile {
    #[serde(rename = "type")]
    ty: ParamType,
    default: Scalar,
    description: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Scalar {
    Int(i64),
    Float(f64),
    Text(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct QueryFile {
    sql: String,
    season_to_date: Option<String>,
}

impl Manifest {
    /// Parses `exporter.toml`; `crate_version` is used when it gives no version.
    pub fn parse(toml_text: &str, crate_version: &str) -> Result<Manifest> {
        let file: ManifestFile = toml::from_str(toml_text)
            .map_err(|e| ManifestError(format!("exporter.toml is invalid: {e}")))?;
        let manifest = Manifest {
            name: file.name,
            version: file.version.unwrap_or_else(|| crate_version.to_string()),
            description: file.description,
            outputs: file.outputs.into_iter().map(Output::from).collect(),
            params: file
                .params
                .into_iter()
                .map(|(name, p)| Param {
                    name,
                    ty: p.ty,
                    default: match p.default {
                        Scalar::Int(v) => v.to_string(),
                        Scalar::Float(v) => v.to_string(),
                        Scalar::Text(v) => v,
                    },
                    description: p.description,
                })
                .collect(),
            queries: file
                .queries
                .into_iter()
                .map(|(name, q)| Query {
                    name,
                    sql: q.sql,
                    season_to_date: q.season_to_date,
                })
                .collect(),
        };
        manifest.check()?;
        Ok(manifest)
    }

    fn check(&self) -> Result<()> {
        rules::check(&self.declared())
            .map_err(|what| ManifestError(format!("exporter.toml is invalid: {what}")))
    }
}

impl Manifest {
    /// What it declares, for [`rules::check`].
    fn declared(&self) -> bounds::Declared<'_> {
        let mut declared = bounds::Declared::new(&self.name, &self.version, &self.description);
        for output in &self.outputs {
            declared.output(&output.path, output.replace_set);
        }
        for param in &self.params {
            declared.option(&param.name, &param.description, &param.default);
        }
        for query in &self.queries {
            declared.query(&query.name, &query.sql, query.season_to_date.as_deref());
        }
        declared
    }
}

/// Whether `name` can be a `season-to-date` column: letters, digits and `_`, as a result
/// column's plain name is (the host applies the same rule at load).
pub fn is_column_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Whether `name` is kebab-case (lowercase letters, digits and inner dashes): the rule for
/// exporter and option names, which the host applies to every manifest it loads as well.
pub fn is_kebab(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && !name.ends_with('-')
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_manifest() {
        let m = Manifest::parse(
            r#"
            name = "streaks"
            description = "runs"
            outputs = ["v1/streaks/"]
            [params.min-length]
            type = "int64"
            default = 4
            description = "shortest run"
            [queries.games]
            sql = "SELECT 1"
            "#,
            "1.2.3",
        )
        .unwrap();
        assert_eq!(m.version, "1.2.3");
        assert_eq!(m.params[0].name, "min-length");
        assert_eq!(m.params[0].default, "4");
        assert_eq!(m.queries[0].name, "games");
        assert_eq!(
            m.outputs,
            [Output {
                path: "v1/streaks/".into(),
                replace_set: false
            }]
        );
    }

    #[test]
    fn a_query_can_read_the_season_so_far() {
        let m = Manifest::parse(
            r#"name = "x"
description = "d"
outputs = ["v1/x/"]
[queries.games]
sql = "SELECT game_date FROM g WHERE game_date < @date ORDER BY game_date"
season-to-date = "game_date"
[queries.today]
sql = "SELECT 1""#,
            "0.1.0",
        )
        .unwrap();
        assert_eq!(m.queries[0].season_to_date.as_deref(), Some("game_date"));
        assert_eq!(m.queries[1].season_to_date, None);
        let err = Manifest::parse(
            r#"name = "x"
description = "d"
outputs = ["v1/x/"]
[queries.games]
sql = "SELECT 1"
season_to_date = "game_date""#,
            "0.1.0",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("unknown field `season_to_date`"),
            "{err}"
        );
        let err = Manifest::parse(
            r#"name = "x"
description = "d"
outputs = ["v1/x/"]
[queries.games]
sql = "SELECT 1"
season-to-date = "g.game_date""#,
            "0.1.0",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .ends_with("declares `season-to-date = \"g.game_date\"`, which is not a column name (letters, digits and `_`)"),
            "{err}"
        );
    }

    #[test]
    fn an_output_folder_can_be_a_replaced_set() {
        let m = Manifest::parse(
            r#"name = "x"
description = "d"
outputs = ["v1/x/all.json", { path = "v1/x/player/", replace-set = true }]"#,
            "0.1.0",
        )
        .unwrap();
        assert_eq!(
            m.outputs,
            [
                Output {
                    path: "v1/x/all.json".into(),
                    replace_set: false
                },
                Output {
                    path: "v1/x/player/".into(),
                    replace_set: true
                }
            ]
        );
        let err = Manifest::parse(
            r#"name = "x"
description = "d"
outputs = [{ path = "v1/x/all.json", replace-set = true }]"#,
            "0.1.0",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "exporter.toml is invalid: output `v1/x/all.json` is a file; only a folder ending in `/` can be a replaced set"
        );
    }

    #[test]
    fn rejects_bad_prefixes_and_unknown_keys() {
        let err = Manifest::parse(
            r#"name = "x"
description = "d"
outputs = ["v1/x"]"#,
            "0.1.0",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("output `v1/x` must be a folder ending in `/` or a `.json` file path"),
            "{}",
            err.to_string()
        );
        let err = Manifest::parse(
            r#"name = "x"
description = "d"
outputs = ["v1/x/"]
colour = "red""#,
            "0.1.0",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("unknown field `colour`"),
            "{}",
            err.to_string()
        );
    }
}
