//! The embedded warehouse: a SQLite file with the production table shapes (see `docs/data.md`),
//! opened read-only.
//!
//! SQLite is dynamically typed, so a column's type is read off its values: integers, floats
//! (integers among floats are widened), or text. Text in a column declared `DATE` becomes a date
//! column and 0/1 in a column declared `BOOLEAN` a boolean column, matching what BigQuery returns.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context as _, anyhow, bail};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};

use async_trait::async_trait;

use super::{DryRun, QueryLimits, QueryRequest, Source};
use crate::data::{Column, ColumnValues, Dictionary, ParamValue, Table};

/// Read-only connections to a SQLite warehouse file: one per query running at once, opened as
/// needed and kept for the next query.
pub(crate) struct SqliteSource {
    path: PathBuf,
    idle: Mutex<Vec<Handle>>,
    limits: QueryLimits,
}

/// One connection and the deadline its progress handler watches.
struct Handle {
    connection: Connection,
    /// When the running query must stop.
    deadline: Arc<Mutex<Option<Instant>>>,
    /// What the authorizer last refused.
    denied: Denied,
}

/// Page cache per connection, in KiB (SQLite's negative `cache_size`): season-long queries
/// read the same pages for every date of a backfill.
const CACHE_KIB: i64 = 64 * 1024;
/// How much of the file each connection may map instead of reading it through the page cache.
const MMAP_BYTES: i64 = 256 << 20;

impl SqliteSource {
    /// Opens `path` read-only and checks it is a SQLite database.
    pub(crate) fn open(path: &Path, limits: QueryLimits) -> anyhow::Result<SqliteSource> {
        if !path.is_file() {
            bail!(
                "the database `{}` does not exist\n\nConsider creating the sample warehouse with \
                 `propcast sample-data --out {}`",
                path.display(),
                path.display()
            );
        }
        let first = Handle::open(path)?;
        Ok(SqliteSource {
            path: path.to_path_buf(),
            idle: Mutex::new(vec![first]),
            limits,
        })
    }

    /// An idle connection, or a new one when every connection is busy.
    fn take(&self) -> anyhow::Result<Handle> {
        let idle = self.idle.lock().expect("connection pool lock").pop();
        match idle {
            Some(handle) => Ok(handle),
            None => Handle::open(&self.path),
        }
    }

    /// Keeps `handle` for the next query.
    fn give_back(&self, handle: Handle) {
        self.idle.lock().expect("connection pool lock").push(handle);
    }
}

impl Handle {
    /// Opens `path` read-only, checks it is a SQLite database and installs the time limit.
    fn open(path: &Path) -> anyhow::Result<Handle> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let mut connection = Connection::open_with_flags(path, flags)
            .with_context(|| format!("failed to open the database `{}`", path.display()))?;
        connection
            .pragma_update(None, "query_only", true)
            .and_then(|()| connection.pragma_update(None, "cache_size", -CACHE_KIB))
            .and_then(|()| connection.pragma_update(None, "mmap_size", MMAP_BYTES))
            .and_then(|()| {
                connection.query_row("SELECT count(*) FROM sqlite_master", [], |_| Ok(()))
            })
            .with_context(|| format!("`{}` is not a readable SQLite database", path.display()))?;
        let denied = install_authorizer(&mut connection)
            .with_context(|| format!("failed to read the tables of `{}`", path.display()))?;
        // SQLite calls the handler every few thousand steps; returning true interrupts the query.
        let deadline: Arc<Mutex<Option<Instant>>> = Arc::default();
        let watched = Arc::clone(&deadline);
        connection
            .progress_handler(
                10_000,
                Some(move || {
                    watched
                        .lock()
                        .expect("deadline lock")
                        .is_some_and(|d| Instant::now() >= d)
                }),
            )
            .context("failed to install the query time limit")?;
        Ok(Handle {
            connection,
            deadline,
            denied,
        })
    }
}

/// What SQLite's authorizer refused while a statement was prepared, to name in the error.
type Denied = Arc<Mutex<Option<String>>>;

/// Lets queries read the warehouse's own tables and views (of the `main` database) and
/// nothing else: not `sqlite_master`, not the table-valued pragma functions
/// (`pragma_database_list` shows the host's file paths), not a pragma, not the `sqlite_*`
/// functions that describe the host's build. Everything a SELECT needs besides is allowed.
fn install_authorizer(connection: &mut Connection) -> rusqlite::Result<Denied> {
    use rusqlite::hooks::{AuthAction, AuthContext, Authorization};
    let mut statement = connection.prepare(
        "SELECT lower(name) FROM sqlite_master WHERE type IN ('table', 'view') \
         AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
    )?;
    let tables: std::collections::HashSet<String> = statement
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    drop(statement);
    let denied = Denied::default();
    let record = Arc::clone(&denied);
    connection.authorizer(Some(move |context: AuthContext<'_>| {
        let refusal = match context.action {
            AuthAction::Select | AuthAction::Recursive => None,
            // No database: a common table expression or a subquery of this statement.
            AuthAction::Read { .. } if context.database_name.is_none() => None,
            AuthAction::Read { table_name, .. }
                if context.database_name == Some("main")
                    && (tables.contains(&table_name.to_ascii_lowercase())
                        || TABLE_FUNCTIONS.contains(&table_name.to_ascii_lowercase().as_str())) =>
            {
                None
            }
            AuthAction::Read { table_name, .. } => Some(format!(
                "reads `{table_name}`, which is not a table of the warehouse; {READ_ONLY_TABLES}"
            )),
            AuthAction::Function { function_name }
                if !function_name.to_ascii_lowercase().starts_with("sqlite_")
                    && !HIDDEN_FUNCTIONS.contains(&function_name.to_ascii_lowercase().as_str()) =>
            {
                None
            }
            AuthAction::Function { function_name } => Some(format!(
                "calls `{function_name}()`, which describes the host, not the warehouse; \
                 {READ_ONLY_TABLES}"
            )),
            AuthAction::Pragma { pragma_name, .. } => {
                Some(format!("runs `PRAGMA {pragma_name}`; {READ_ONLY_TABLES}"))
            }
            other => Some(format!(
                "would modify the database ({other:?}); only SELECT and WITH queries are allowed"
            )),
        };
        match refusal {
            None => Authorization::Allow,
            Some(refusal) => {
                record.lock().expect("denied lock").get_or_insert(refusal);
                Authorization::Deny
            }
        }
    }))?;
    Ok(denied)
}

/// What the authorizer's refusals end with.
const READ_ONLY_TABLES: &str =
    "a query may read only the warehouse's tables and views (docs/sql.md)";

/// Table-valued functions a query may read from, as from a table: they compute from their
/// arguments and reveal nothing of the host.
const TABLE_FUNCTIONS: [&str; 3] = ["json_each", "json_tree", "generate_series"];

/// Functions a query may not call besides the `sqlite_*` ones (most are not even compiled in).
const HIDDEN_FUNCTIONS: [&str; 4] = ["load_extension", "fts3_tokenizer", "readfile", "writefile"];

#[async_trait]
impl Source for SqliteSource {
    fn describe(&self) -> String {
        format!("SQLite database `{}`", self.path.display())
    }

    fn locator(&self) -> String {
        format!("sqlite:{}", self.path.display())
    }

    async fn dry_run(&self, request: &QueryRequest<'_>) -> anyhow::Result<DryRun> {
        let handle = self.take()?;
        let prepared = prepare(&handle, request).map(drop);
        self.give_back(handle);
        prepared?;
        Ok(DryRun { bytes: None })
    }

    async fn run_query(&self, request: &QueryRequest<'_>) -> anyhow::Result<Table> {
        self.query(request)
    }
}

/// Prepares `request` and binds its parameters: a valid, read-only statement ready to run.
fn prepare<'c>(
    handle: &'c Handle,
    request: &QueryRequest<'_>,
) -> anyhow::Result<rusqlite::Statement<'c>> {
    let name = request.name;
    let prepared = handle.connection.prepare(request.sql);
    if let Some(refusal) = handle.denied.lock().expect("denied lock").take() {
        bail!("query `{name}` {refusal}");
    }
    let mut statement =
        prepared.with_context(|| format!("query `{name}` is not valid SQL for SQLite"))?;
    if !statement.readonly() {
        bail!("query `{name}` would modify the database; only SELECT and WITH queries are allowed");
    }
    for index in 1..=statement.parameter_count() {
        let placeholder = statement.parameter_name(index).unwrap_or("?").to_string();
        let Some(param_name) = placeholder.strip_prefix('@') else {
            bail!("query `{name}` uses the parameter `{placeholder}`; write parameters as `@name`");
        };
        let param = request
            .params
            .iter()
            .find(|p| p.name == param_name)
            .ok_or_else(|| anyhow!("query `{name}` uses `@{param_name}`, which has no value"))?;
        match &param.value {
            ParamValue::Text(v) => statement.raw_bind_parameter(index, v),
            ParamValue::Int64(v) => statement.raw_bind_parameter(index, v),
            ParamValue::Float64(v) => statement.raw_bind_parameter(index, v),
            ParamValue::Date(v) => statement.raw_bind_parameter(index, v.to_string()),
        }
        .with_context(|| format!("failed to bind `@{param_name}` in query `{name}`"))?;
    }
    Ok(statement)
}

impl SqliteSource {
    fn query(&self, request: &QueryRequest<'_>) -> anyhow::Result<Table> {
        let handle = self.take()?;
        let result = self.query_on(&handle, request);
        self.give_back(handle);
        result
    }

    fn query_on(&self, handle: &Handle, request: &QueryRequest<'_>) -> anyhow::Result<Table> {
        let name = request.name;
        let mut statement = prepare(handle, request)?;
        let mut builders: Vec<ColumnBuilder> = statement
            .columns()
            .map(|c| ColumnBuilder::new(c.name(), c.decl_type()))
            .collect();
        let end = self.limits.end_of(request);
        *handle.deadline.lock().expect("deadline lock") = Some(end.at);
        let read = read_rows(&mut statement, &mut builders, &self.limits);
        *handle.deadline.lock().expect("deadline lock") = None;
        let row_count = match read {
            Ok(rows) => rows,
            Err(ReadError::Interrupted) => return Err(self.limits.too_slow(name, end)),
            Err(ReadError::TooManyRows) => return Err(self.limits.too_many_rows(name)),
            Err(ReadError::TooManyBytes) => return Err(self.limits.too_many_bytes(name)),
            Err(ReadError::Column(column, problem)) => {
                bail!("query `{name}` column `{column}`: {problem}")
            }
            Err(ReadError::Sqlite(e)) => {
                return Err(e).with_context(|| format!("query `{name}` failed"));
            }
        };
        Ok(Table {
            name: name.to_string(),
            row_count,
            columns: builders.into_iter().map(|b| b.finish(row_count)).collect(),
        })
    }
}

enum ReadError {
    Interrupted,
    TooManyRows,
    TooManyBytes,
    Column(String, String),
    Sqlite(rusqlite::Error),
}

/// Reads every row into the column builders, stopping past the row or byte limit.
fn read_rows(
    statement: &mut rusqlite::Statement<'_>,
    builders: &mut [ColumnBuilder],
    limits: &QueryLimits,
) -> Result<usize, ReadError> {
    let mut rows = statement.raw_query();
    let mut row_count = 0usize;
    let mut held = 0usize;
    loop {
        let row = match rows.next() {
            Ok(Some(row)) => row,
            Ok(None) => return Ok(row_count),
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::OperationInterrupted =>
            {
                return Err(ReadError::Interrupted);
            }
            Err(e) => return Err(ReadError::Sqlite(e)),
        };
        if row_count == limits.rows {
            return Err(ReadError::TooManyRows);
        }
        for (index, builder) in builders.iter_mut().enumerate() {
            let value = row.get_ref(index).map_err(ReadError::Sqlite)?;
            held += match value {
                ValueRef::Text(bytes) | ValueRef::Blob(bytes) => bytes.len(),
                _ => 8,
            };
            if held > limits.bytes {
                return Err(ReadError::TooManyBytes);
            }
            builder
                .push(row_count, value)
                .map_err(|problem| ReadError::Column(builder.name.clone(), problem))?;
        }
        row_count += 1;
    }
}

/// The storage a column settles on with its first non-NULL value.
enum Storage {
    Unknown,
    Int(Vec<i64>),
    Float(Vec<f64>),
    Text(Dictionary),
}

/// Builds one column from SQLite values, deciding its type from what arrives.
struct ColumnBuilder {
    name: String,
    declared: String,
    storage: Storage,
    nulls: Vec<u32>,
}

impl ColumnBuilder {
    fn new(name: &str, declared: Option<&str>) -> ColumnBuilder {
        ColumnBuilder {
            name: name.to_string(),
            declared: declared.unwrap_or("").to_ascii_uppercase(),
            storage: Storage::Unknown,
            nulls: Vec::new(),
        }
    }

    fn push(&mut self, row: usize, value: ValueRef<'_>) -> Result<(), String> {
        if let ValueRef::Null = value {
            self.nulls.push(row as u32);
            match &mut self.storage {
                Storage::Unknown => {}
                Storage::Int(v) => v.push(0),
                Storage::Float(v) => v.push(0.0),
                Storage::Text(d) => d.push(""),
            }
            return Ok(());
        }
        if let Storage::Unknown = self.storage {
            // Rows before this one were all NULL; give them placeholders of the settled type.
            self.storage = match value {
                ValueRef::Integer(_) => Storage::Int(vec![0; row]),
                ValueRef::Real(_) => Storage::Float(vec![0.0; row]),
                ValueRef::Text(_) => {
                    let mut d = Dictionary::default();
                    (0..row).for_each(|_| d.push(""));
                    Storage::Text(d)
                }
                _ => return Err("holds a BLOB, which exporters cannot receive".into()),
            };
        }
        match (&mut self.storage, value) {
            (Storage::Int(v), ValueRef::Integer(i)) => v.push(i),
            (Storage::Float(v), ValueRef::Real(f)) => v.push(f),
            (Storage::Float(v), ValueRef::Integer(i)) => v.push(i as f64),
            (Storage::Int(v), ValueRef::Real(f)) => {
                let mut floats: Vec<f64> = v.iter().map(|&i| i as f64).collect();
                floats.push(f);
                self.storage = Storage::Float(floats);
            }
            (Storage::Text(d), ValueRef::Text(t)) => {
                let text =
                    std::str::from_utf8(t).map_err(|_| format!("row {row} is not UTF-8 text"))?;
                d.push(text);
            }
            (_, ValueRef::Blob(_)) => {
                return Err("holds a BLOB, which exporters cannot receive".into());
            }
            _ => {
                return Err(format!(
                    "mixes text and numbers (row {row}); cast it to one type in the query"
                ));
            }
        }
        Ok(())
    }

    fn finish(self, row_count: usize) -> Column {
        let is_date = self.declared == "DATE";
        let is_bool = matches!(self.declared.as_str(), "BOOL" | "BOOLEAN");
        let values = match self.storage {
            Storage::Unknown if self.declared.contains("INT") && !is_bool => {
                ColumnValues::Int64(vec![0; row_count])
            }
            Storage::Unknown if is_bool => ColumnValues::Boolean(vec![0; row_count]),
            Storage::Unknown
                if ["REAL", "FLOA", "DOUB", "NUMERIC"]
                    .iter()
                    .any(|t| self.declared.contains(t)) =>
            {
                ColumnValues::Float64(vec![0.0; row_count])
            }
            Storage::Unknown => {
                let mut d = Dictionary::default();
                (0..row_count).for_each(|_| d.push(""));
                if is_date {
                    ColumnValues::Date(d)
                } else {
                    ColumnValues::Text(d)
                }
            }
            Storage::Int(v) if is_bool && v.iter().all(|&i| i == 0 || i == 1) => {
                ColumnValues::Boolean(v.into_iter().map(|i| i as u8).collect())
            }
            Storage::Int(v) => ColumnValues::Int64(v),
            Storage::Float(v) => ColumnValues::Float64(v),
            Storage::Text(d) if is_date => ColumnValues::Date(d),
            Storage::Text(d) => ColumnValues::Text(d),
        };
        Column {
            name: self.name,
            values,
            nulls: self.nulls,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::QueryParam;

    fn database(dir: &Path) -> PathBuf {
        let path = dir.join("w.sqlite");
        let c = Connection::open(&path).unwrap();
        c.execute_batch(
            "CREATE TABLE g (player TEXT, game_date DATE, points INTEGER, line REAL, home BOOLEAN);
             INSERT INTO g VALUES ('ann', '2024-01-08', 20, 19.5, 1), ('bo', '2024-01-09', 7, NULL, 0),
                                  ('ann', '2024-01-10', 25, 21, 1);",
        )
        .unwrap();
        path
    }

    fn query(source: &SqliteSource, sql: &str) -> anyhow::Result<Table> {
        let params = [QueryParam {
            name: "date".into(),
            value: ParamValue::Date("2024-01-10".parse().unwrap()),
        }];
        source.query(&QueryRequest {
            name: "games",
            sql,
            params: &params,
            queries_started: None,
        })
    }

    #[test]
    fn queries_read_the_warehouse_tables_and_nothing_of_the_host() {
        let dir = tempfile::tempdir().unwrap();
        let db = database(dir.path());
        Connection::open(&db)
            .unwrap()
            .execute_batch(
                "CREATE VIEW recent AS SELECT player FROM g WHERE game_date >= '2024-01-09'",
            )
            .unwrap();
        let source = SqliteSource::open(&db, QueryLimits::default()).unwrap();
        for sql in [
            "SELECT player, upper(player) FROM G WHERE game_date < @date",
            "SELECT player FROM recent",
            "SELECT value FROM json_each('[1, 2]')",
            "WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r WHERE x < 3) SELECT x FROM r",
        ] {
            assert!(query(&source, sql).is_ok(), "{sql}");
        }
        for (sql, refusal) in [
            (
                "SELECT * FROM pragma_database_list",
                "reads `pragma_database_list`, which is not a table of the warehouse",
            ),
            (
                "SELECT name FROM pragma_function_list",
                "reads `pragma_function_list`",
            ),
            ("SELECT sql FROM sqlite_master", "reads `sqlite_master`"),
            (
                "SELECT * FROM temp.sqlite_master",
                "reads `sqlite_temp_master`",
            ),
            (
                "SELECT sqlite_source_id()",
                "calls `sqlite_source_id()`, which describes the host",
            ),
        ] {
            let error = format!("{:#}", query(&source, sql).unwrap_err());
            assert!(
                error.starts_with(&format!("query `games` {refusal}"))
                    && error.ends_with(
                        "; a query may read only the warehouse's tables and views (docs/sql.md)"
                    ),
                "{sql}: {error}"
            );
        }
    }

    #[test]
    fn types_columns_and_binds_parameters() {
        let dir = tempfile::tempdir().unwrap();
        let source = SqliteSource::open(&database(dir.path()), QueryLimits::default()).unwrap();
        let t = query(
            &source,
            "SELECT * FROM g WHERE game_date < @date ORDER BY game_date",
        )
        .unwrap();
        assert_eq!(t.row_count, 2);
        let kinds: Vec<&str> = t.columns.iter().map(|c| c.values.type_name()).collect();
        assert_eq!(kinds, ["text", "date", "int64", "float64", "boolean"]);
        assert_eq!(t.columns[3].nulls, vec![1]);
    }

    #[test]
    fn an_empty_result_keeps_declared_types() {
        let dir = tempfile::tempdir().unwrap();
        let source = SqliteSource::open(&database(dir.path()), QueryLimits::default()).unwrap();
        let t = query(
            &source,
            "SELECT points, game_date FROM g WHERE game_date > @date",
        )
        .unwrap();
        assert_eq!(t.row_count, 0);
        assert!(matches!(t.columns[0].values, ColumnValues::Int64(_)));
        assert!(matches!(t.columns[1].values, ColumnValues::Date(_)));
    }

    #[test]
    fn refuses_writes_and_foreign_placeholders() {
        let dir = tempfile::tempdir().unwrap();
        let source = SqliteSource::open(&database(dir.path()), QueryLimits::default()).unwrap();
        let err = query(&source, "DELETE FROM g").unwrap_err();
        assert!(
            format!("{err:#}").contains("would modify the database"),
            "{err:#}"
        );
        let err = query(&source, "SELECT * FROM g WHERE player = :who").unwrap_err();
        assert_eq!(
            err.to_string(),
            "query `games` uses the parameter `:who`; write parameters as `@name`"
        );
        let err = query(&source, "SELECT 1; SELECT 2").unwrap_err();
        assert!(format!("{err:#}").contains("not valid SQL"), "{err:#}");
    }

    #[test]
    fn stops_a_query_when_its_exporter_s_queries_reach_their_total_time() {
        let dir = tempfile::tempdir().unwrap();
        let limits = QueryLimits {
            total_time: Some(std::time::Duration::from_millis(300)),
            ..QueryLimits::default()
        };
        let source = SqliteSource::open(&database(dir.path()), limits).unwrap();
        let forever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
        // The exporter's first query started 200 ms ago: 100 ms are left of its total.
        let started = std::time::Instant::now() - std::time::Duration::from_millis(200);
        let err = source
            .query(&QueryRequest {
                name: "games",
                sql: forever,
                params: &[],
                queries_started: Some(started),
            })
            .unwrap_err();
        assert!(
            err.to_string().starts_with(
                "query `games` was still running when its exporter's queries reached their total time limit of 0.3s"
            ),
            "{err:#}"
        );
    }

    #[test]
    fn stops_queries_past_their_time_and_row_limits() {
        let dir = tempfile::tempdir().unwrap();
        let path = database(dir.path());
        let slow = QueryLimits {
            time: std::time::Duration::from_millis(50),
            rows: 10,
            bytes: 1000,
            ..QueryLimits::default()
        };
        let source = SqliteSource::open(&path, slow).unwrap();
        let forever = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
        let err = query(&source, forever).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("query `games` ran longer than its time limit of 0.05s"),
            "{err:#}"
        );
        let many = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100) SELECT x FROM c";
        let err = query(&source, many).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("query `games` returned more than its limit of 10 rows"),
            "{err:#}"
        );
        // Few rows of large text: the bytes a result holds are bounded as well.
        let large = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 5) \
                     SELECT x, printf('%.400c', 'y') AS text FROM c";
        let err = query(&source, large).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("query `games` returned more than its limit of 1000 bytes"),
            "{err:#}"
        );
        // The connection still works after an interrupted query.
        assert_eq!(query(&source, "SELECT 1 AS one").unwrap().row_count, 1);
    }

    #[test]
    fn names_a_column_that_mixes_types() {
        let dir = tempfile::tempdir().unwrap();
        let source = SqliteSource::open(&database(dir.path()), QueryLimits::default()).unwrap();
        let err = query(
            &source,
            "SELECT CASE WHEN points > 10 THEN 'many' ELSE points END AS p FROM g",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "query `games` column `p`: mixes text and numbers (row 1); cast it to one type in the query"
        );
    }

    #[test]
    fn a_missing_file_says_how_to_make_one() {
        let err = SqliteSource::open(Path::new("/nonexistent/w.sqlite"), QueryLimits::default())
            .err()
            .unwrap();
        assert!(
            err.to_string()
                .contains("propcast sample-data --out /nonexistent/w.sqlite")
        );
    }
}
