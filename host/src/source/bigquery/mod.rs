//! The production warehouse: a BigQuery dataset, read through Google's clients.
//!
//! Each exporter query runs as a query job (`jobs.insert`, then `jobs.getQueryResults` page by
//! page) in the configured project, with the dataset as the job's default dataset (so the
//! exporters' unqualified table names resolve in it) and every `@name` parameter bound with
//! its BigQuery type (DATE, INT64, FLOAT64, STRING), never spliced into the text.
//!
//! Before a query runs, a dry run of it must say it is a `SELECT` (the authoritative read-only
//! check on BigQuery; the load-time text check is the first line) and that it scans no more
//! than the maximum bytes billed; the job itself carries that maximum too, so BigQuery enforces
//! it. Transient failures (HTTP 429 and 5xx) are retried with backoff by the BigQuery client's
//! own policy (`google_cloud_bigquery::query::retry_policy::RetryableErrors`, the strategy
//! BigQuery's error guide recommends); a job that fails with a transient reason
//! (`backendError`, `rateLimitExceeded`, ...) is reissued. Bad requests are not retried.
//!
//! Why `google-cloud-bigquery-v2`'s `JobService` rather than `google-cloud-bigquery`'s
//! `BigQuery::query`: docs/design.md ("How does propcast query BigQuery?").

mod columns;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context as _, anyhow, bail};
use async_trait::async_trait;
use google_cloud_bigquery::query::retry_policy::RetryableErrors;
use google_cloud_bigquery_v2::client::JobService;
use google_cloud_bigquery_v2::model::{
    DataFormatOptions, DatasetReference, GetQueryResultsResponse, Job, JobConfiguration,
    JobConfigurationQuery, JobReference, QueryParameter, QueryParameterType, QueryParameterValue,
};
use google_cloud_gax::exponential_backoff::ExponentialBackoffBuilder;
use google_cloud_gax::options::RequestOptionsBuilder as _;
use google_cloud_gax::retry_policy::RetryPolicyExt as _;

use super::{DryRun, QueryLimits, QueryRequest, Source};
use crate::data::{ParamValue, Table, sql};
use columns::ColumnBuilder;

/// Rows per page of results unless `[bigquery] page-size` says otherwise: BigQuery's own.
const DEFAULT_PAGE_SIZE: u32 = 10_000;
/// Attempts per HTTP request (the first and its retries) for transient failures.
const REQUEST_ATTEMPTS: u32 = 6;
/// Attempts per query job for jobs that fail with a transient reason.
const JOB_ATTEMPTS: u32 = 3;
/// The longest one HTTP attempt may take; a `getQueryResults` call waits at most
/// [`POLL_WAIT`] on the server for the job to finish.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(60);
const POLL_WAIT: Duration = Duration::from_secs(10);
/// Job error reasons that mean "try again", from BigQuery's error guide.
const TRANSIENT_REASONS: [&str; 6] = [
    "backendError",
    "internalError",
    "rateLimitExceeded",
    "jobBackendError",
    "jobInternalError",
    "jobRateLimitExceeded",
];

/// Where and how to query, from flags and `[bigquery]` in `propcast.toml`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BigQueryConfig {
    /// Runs the jobs (and is billed for them) and holds the dataset.
    pub(crate) project: String,
    pub(crate) dataset: String,
    /// Where jobs run; BigQuery picks the dataset's location when `None`.
    pub(crate) location: Option<String>,
    /// Another endpoint (a private one), with the usual credentials.
    pub(crate) endpoint: Option<String>,
    /// `BIGQUERY_EMULATOR_HOST` as a URL: an emulator, with no credentials.
    pub(crate) emulator: Option<String>,
    /// The most one query may bill, in bytes.
    pub(crate) max_bytes_billed: u64,
    /// Rows per page of results.
    pub(crate) page_size: Option<u32>,
    /// Time and rows per query.
    pub(crate) limits: QueryLimits,
}

/// A BigQuery dataset that answers exporter queries.
pub(crate) struct BigQuerySource {
    jobs: JobService,
    config: BigQueryConfig,
}

/// Distinguishes the jobs of one process.
static JOB_COUNTER: AtomicU64 = AtomicU64::new(0);

impl BigQuerySource {
    /// A client for `config`, with Application Default Credentials (or none, for an emulator).
    pub(crate) async fn connect(config: BigQueryConfig) -> anyhow::Result<BigQuerySource> {
        let backoff = ExponentialBackoffBuilder::new()
            .with_initial_delay(Duration::from_millis(500))
            .with_maximum_delay(Duration::from_secs(16))
            .with_scaling(2.0)
            .build()
            .context("failed to set up the BigQuery backoff")?;
        let mut builder = JobService::builder()
            .with_retry_policy(RetryableErrors.with_attempt_limit(REQUEST_ATTEMPTS))
            .with_backoff_policy(backoff)
            .with_attempt_timeout(ATTEMPT_TIMEOUT);
        builder = builder.with_credentials(crate::cloud::credentials(
            config.emulator.is_some(),
            "BigQuery",
        )?);
        if let (Some(emulator), Some(endpoint)) = (&config.emulator, &config.endpoint) {
            bail!(
                "both an endpoint (`{endpoint}`) and BIGQUERY_EMULATOR_HOST (`{emulator}`) are set; \
                 unset one: the emulator takes no credentials, the endpoint the usual ones"
            );
        }
        if let Some(endpoint) = config.emulator.as_ref().or(config.endpoint.as_ref()) {
            builder = builder.with_endpoint(endpoint.clone());
        }
        let jobs = builder
            .build()
            .await
            .context("failed to set up the BigQuery client")?;
        Ok(BigQuerySource { jobs, config })
    }

    /// A new job id: unique per process and run, as BigQuery wants for an idempotent insert.
    fn job_id(&self) -> String {
        let n = JOB_COUNTER.fetch_add(1, Ordering::Relaxed);
        let now = jiff::Timestamp::now();
        format!(
            "propcast_{}_{}_{n}",
            now.strftime("%Y%m%d_%H%M%S"),
            now.subsec_nanosecond() ^ std::process::id() as i32
        )
    }

    /// The job that runs `request` (a dry run when `dry_run`).
    fn job(&self, request: &QueryRequest<'_>, job_id: &str, dry_run: bool) -> anyhow::Result<Job> {
        let mut reference = JobReference::new()
            .set_project_id(&self.config.project)
            .set_job_id(job_id);
        if let Some(location) = &self.config.location {
            reference = reference.set_location(location.clone());
        }
        let query = JobConfigurationQuery::new()
            .set_query(request.sql)
            .set_use_legacy_sql(false)
            .set_default_dataset(
                DatasetReference::new()
                    .set_project_id(&self.config.project)
                    .set_dataset_id(&self.config.dataset),
            )
            .set_parameter_mode("NAMED")
            .set_query_parameters(parameters(request)?)
            .set_maximum_bytes_billed(self.config.max_bytes_billed as i64);
        let mut configuration = JobConfiguration::new()
            .set_query(query)
            .set_dry_run(dry_run);
        if !dry_run {
            // The job stops itself when the query must end, as the host stops waiting.
            let end = self.config.limits.end_of(request).at;
            let left = end.saturating_duration_since(std::time::Instant::now());
            configuration = configuration.set_job_timeout_ms(left.as_millis().max(1) as i64);
        }
        Ok(Job::new()
            .set_job_reference(reference)
            .set_configuration(configuration))
    }

    /// Inserts the job for `request`; a job that already exists (an insert retried after
    /// its reply was lost) is read back instead.
    async fn insert(&self, request: &QueryRequest<'_>, dry_run: bool) -> anyhow::Result<Job> {
        let name = request.name;
        let job_id = self.job_id();
        let job = self.job(request, &job_id, dry_run)?;
        let inserted = self
            .jobs
            .insert_job()
            .set_project_id(&self.config.project)
            .set_job(job)
            .with_idempotency(true)
            .send()
            .await;
        let job = match inserted {
            Ok(job) => job,
            Err(e) if e.http_status_code() == Some(409) && !dry_run => {
                let mut get = self
                    .jobs
                    .get_job()
                    .set_project_id(&self.config.project)
                    .set_job_id(&job_id);
                if let Some(location) = &self.config.location {
                    get = get.set_location(location.clone());
                }
                get.send()
                    .await
                    .with_context(|| format!("failed to read back the job of query `{name}`"))?
            }
            Err(e) => return Err(query_error(name, e)),
        };
        Ok(job)
    }

    /// Runs `request` to completion: the job (reissued on a transient failure), then every
    /// page of its result.
    async fn execute(&self, request: &QueryRequest<'_>) -> anyhow::Result<Table> {
        let name = request.name;
        let mut attempt = 1;
        let mut pause = Duration::from_secs(1);
        loop {
            let job = self.insert(request, false).await?;
            let failure = job
                .status
                .as_ref()
                .and_then(|s| s.error_result.as_ref())
                .map(|e| ResultError::Failed {
                    reason: e.reason.clone(),
                    message: e.message.clone(),
                });
            let result = match failure {
                Some(failure) => Err(failure),
                None => self.read_results(request, &job).await,
            };
            match result {
                Ok(table) => return Ok(table),
                Err(ResultError::Failed { reason, .. })
                    if TRANSIENT_REASONS.contains(&reason.as_str()) && attempt < JOB_ATTEMPTS =>
                {
                    tokio::time::sleep(pause).await;
                    pause *= 2;
                    attempt += 1;
                }
                Err(ResultError::Failed { reason, message }) => {
                    bail!("{}", job_failure(name, &reason, &message))
                }
                Err(ResultError::Refused(error)) => return Err(error),
            }
        }
    }

    /// Reads every page of `job`'s result into a table.
    async fn read_results(
        &self,
        request: &QueryRequest<'_>,
        job: &Job,
    ) -> Result<Table, ResultError> {
        let name = request.name;
        let job_id = job
            .job_reference
            .as_ref()
            .map(|r| r.job_id.clone())
            .unwrap_or_default();
        let location = job
            .job_reference
            .as_ref()
            .and_then(|r| r.location.clone())
            .or_else(|| self.config.location.clone());
        let page_size = self.config.page_size.unwrap_or(DEFAULT_PAGE_SIZE).max(1);
        let mut builders: Option<Vec<ColumnBuilder>> = None;
        let mut rows = 0usize;
        let mut held = 0usize;
        let mut token = String::new();
        loop {
            let mut call = self
                .jobs
                .get_query_results()
                .set_project_id(&self.config.project)
                .set_job_id(&job_id)
                .set_max_results(page_size)
                .set_timeout_ms(POLL_WAIT.as_millis() as u32)
                .set_format_options(DataFormatOptions::new().set_use_int64_timestamp(true));
            if let Some(location) = &location {
                call = call.set_location(location.clone());
            }
            if !token.is_empty() {
                call = call.set_page_token(&token);
            }
            let page: GetQueryResultsResponse =
                call.send().await.map_err(|e| ResultError::Failed {
                    reason: job_reason(&e).unwrap_or_default(),
                    message: format!("{:#}", anyhow::Error::new(e)),
                })?;
            // `page.errors` may hold warnings of a job that succeeded; a failed job fails the
            // call itself (or its insert already said so).
            if page.job_complete != Some(true) {
                continue;
            }
            if builders.is_none() {
                if let Some(total) = page.total_rows
                    && total as usize > self.config.limits.rows
                {
                    return Err(ResultError::Refused(self.config.limits.too_many_rows(name)));
                }
                let fields = page
                    .schema
                    .as_ref()
                    .map(|s| s.fields.as_slice())
                    .unwrap_or(&[]);
                let mut made = Vec::with_capacity(fields.len());
                for field in fields {
                    let builder = ColumnBuilder::new(&field.name, &field.r#type, &field.mode)
                        .map_err(|problem| {
                            ResultError::Refused(anyhow!(
                                "query `{name}` column `{}` {problem}",
                                field.name
                            ))
                        })?;
                    made.push(builder);
                }
                builders = Some(made);
            }
            let columns = builders.as_mut().expect("built above");
            for row in &page.rows {
                if rows == self.config.limits.rows {
                    return Err(ResultError::Refused(self.config.limits.too_many_rows(name)));
                }
                held += add_row(columns, rows, row)
                    .map_err(|problem| ResultError::Refused(anyhow!("query `{name}` {problem}")))?;
                if held > self.config.limits.bytes {
                    return Err(ResultError::Refused(
                        self.config.limits.too_many_bytes(name),
                    ));
                }
                rows += 1;
            }
            if page.page_token.is_empty() {
                break;
            }
            token = page.page_token;
        }
        Ok(Table {
            name: name.to_string(),
            row_count: rows,
            columns: builders
                .unwrap_or_default()
                .into_iter()
                .map(ColumnBuilder::finish)
                .collect(),
        })
    }
}

#[async_trait]
impl Source for BigQuerySource {
    fn describe(&self) -> String {
        let mut text = format!(
            "BigQuery dataset `{}.{}`",
            self.config.project, self.config.dataset
        );
        if let Some(host) = &self.config.emulator {
            text.push_str(&format!(" on the emulator at `{host}`"));
        }
        text
    }

    fn locator(&self) -> String {
        format!("bigquery:{}.{}", self.config.project, self.config.dataset)
    }

    async fn dry_run(&self, request: &QueryRequest<'_>) -> anyhow::Result<DryRun> {
        let name = request.name;
        let job = self.insert(request, true).await?;
        if let Some(e) = job.status.as_ref().and_then(|s| s.error_result.as_ref()) {
            bail!("{}", job_failure(name, &e.reason, &e.message));
        }
        let stats = job
            .statistics
            .as_ref()
            .and_then(|s| s.query.as_ref())
            .ok_or_else(|| anyhow!("query `{name}`: BigQuery's dry run gave no statistics"))?;
        if !stats.statement_type.eq_ignore_ascii_case("SELECT") {
            bail!(
                "query `{name}` is a {} statement, BigQuery's dry run says; only SELECT queries \
                 are allowed",
                if stats.statement_type.is_empty() {
                    "non-SELECT"
                } else {
                    &stats.statement_type
                }
            );
        }
        let bytes = stats.total_bytes_processed.unwrap_or(0).max(0) as u64;
        if bytes > self.config.max_bytes_billed {
            bail!(
                "query `{name}` would scan `{bytes}` bytes, more than the maximum bytes billed of \
                 `{}` per query\n\nConsider filtering it on the table's partition date, or raising \
                 the cap with `--max-bytes-billed` or `max-bytes-billed` under [bigquery] in \
                 propcast.toml",
                self.config.max_bytes_billed
            );
        }
        Ok(DryRun { bytes: Some(bytes) })
    }

    async fn run_query(&self, request: &QueryRequest<'_>) -> anyhow::Result<Table> {
        let end = self.config.limits.end_of(request);
        let checked_then_run = async {
            self.dry_run(request).await?;
            self.execute(request).await
        };
        match tokio::time::timeout_at(end.at.into(), checked_then_run).await {
            Ok(result) => result,
            Err(_) => Err(self.config.limits.too_slow(request.name, end)),
        }
    }
}

/// The query's `@name` parameters with their BigQuery types; only those the SQL uses, since a
/// query must not be given parameters it does not declare.
fn parameters(request: &QueryRequest<'_>) -> anyhow::Result<Vec<QueryParameter>> {
    sql::named_params(request.sql)
        .into_iter()
        .map(|used| {
            let param = request
                .params
                .iter()
                .find(|p| p.name == used)
                .ok_or_else(|| {
                    anyhow!(
                        "query `{}` uses `@{used}`, which has no value",
                        request.name
                    )
                })?;
            let (ty, value) = match &param.value {
                ParamValue::Text(v) => ("STRING", v.clone()),
                ParamValue::Int64(v) => ("INT64", v.to_string()),
                ParamValue::Float64(v) => ("FLOAT64", v.to_string()),
                ParamValue::Date(v) => ("DATE", v.to_string()),
            };
            Ok(QueryParameter::new()
                .set_name(used)
                .set_parameter_type(QueryParameterType::new().set_type(ty))
                .set_parameter_value(QueryParameterValue::new().set_value(value)))
        })
        .collect()
}

/// Adds one REST row (`{"f": [{"v": ...}, ...]}`) as row `index`.
/// Adds row `index` to `columns`; returns what it holds in bytes (each text's length, 8 for
/// any other value), as the query-bytes limit counts.
fn add_row(
    columns: &mut [ColumnBuilder],
    index: usize,
    row: &serde_json::Map<String, serde_json::Value>,
) -> Result<usize, String> {
    let cells = row
        .get("f")
        .and_then(|f| f.as_array())
        .ok_or_else(|| format!("row {index} is not a list of cells"))?;
    if cells.len() != columns.len() {
        return Err(format!(
            "row {index} has {} cells for {} columns",
            cells.len(),
            columns.len()
        ));
    }
    let mut held = 0;
    for (column, cell) in columns.iter_mut().zip(cells) {
        let value = cell.get("v").unwrap_or(&serde_json::Value::Null);
        held += value.as_str().map_or(8, str::len);
        column
            .push(index, value)
            .map_err(|problem| format!("column `{}`: {problem}", column.name()))?;
    }
    Ok(held)
}

/// The job error reason in a failed `getQueryResults` reply, if it has one.
fn job_reason(error: &google_cloud_gax::error::Error) -> Option<String> {
    let status = error.status()?;
    status.details.iter().find_map(|detail| match detail {
        google_cloud_gax::error::rpc::StatusDetails::ErrorInfo(info) => Some(info.reason.clone()),
        _ => None,
    })
}

/// A failed request as the user reads it: the query, and BigQuery's message.
fn query_error(name: &str, error: google_cloud_gax::error::Error) -> anyhow::Error {
    let message = error
        .status()
        .map(|s| s.message.clone())
        .filter(|m| !m.is_empty());
    match message {
        Some(message) => anyhow!("query `{name}` failed on BigQuery: {message}"),
        None => anyhow::Error::new(error).context(format!("query `{name}` failed on BigQuery")),
    }
}

/// Why a query job gave no table.
enum ResultError {
    /// BigQuery failed the job, or a call reading its results, with its error reason (empty
    /// when it gave none): a transient reason is worth reissuing the job.
    Failed { reason: String, message: String },
    /// The result could not be taken (past the row limit, a column type exporters cannot
    /// receive); the error says why.
    Refused(anyhow::Error),
}

/// A failed job as the user reads it.
fn job_failure(name: &str, reason: &str, message: &str) -> String {
    match reason {
        "bytesBilledLimitExceeded" => format!(
            "query `{name}` went past its maximum bytes billed: {message}\n\nConsider raising it \
             with `--max-bytes-billed` or `max-bytes-billed` under [bigquery] in propcast.toml"
        ),
        "" => format!("query `{name}` failed on BigQuery: {message}"),
        _ => format!("query `{name}` failed on BigQuery ({reason}): {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::QueryParam;

    #[test]
    fn binds_only_the_parameters_a_query_uses_with_bigquery_types() {
        let params = [
            QueryParam {
                name: "date".into(),
                value: ParamValue::Date("2024-01-10".parse().unwrap()),
            },
            QueryParam {
                name: "season".into(),
                value: ParamValue::Text("2023-24".into()),
            },
            QueryParam {
                name: "min_games".into(),
                value: ParamValue::Int64(5),
            },
        ];
        let request = QueryRequest {
            name: "games",
            sql: "SELECT * FROM g WHERE game_date < @date AND n >= @min_games AND s = '@season'",
            params: &params,
            queries_started: None,
        };
        let bound: Vec<(String, String, String)> = parameters(&request)
            .unwrap()
            .into_iter()
            .map(|p| {
                (
                    p.name,
                    p.parameter_type.unwrap().r#type,
                    p.parameter_value.unwrap().value.unwrap(),
                )
            })
            .collect();
        assert_eq!(
            bound,
            [
                ("date".into(), "DATE".into(), "2024-01-10".into()),
                ("min_games".into(), "INT64".into(), "5".into())
            ]
        );
        let missing = QueryRequest {
            name: "games",
            sql: "SELECT @nope",
            params: &params,
            queries_started: None,
        };
        assert_eq!(
            parameters(&missing).unwrap_err().to_string(),
            "query `games` uses `@nope`, which has no value"
        );
    }

    #[test]
    fn failed_jobs_read_plainly() {
        assert_eq!(
            job_failure("games", "invalidQuery", "Syntax error at [1:7]"),
            "query `games` failed on BigQuery (invalidQuery): Syntax error at [1:7]"
        );
        assert!(
            job_failure("games", "bytesBilledLimitExceeded", "Query exceeded limit")
                .starts_with("query `games` went past its maximum bytes billed")
        );
    }
}
