//! What the host tells an exporter about the run: the date, the run's identity and timestamp,
//! and the options. This is the exporter's only source of time, so output is reproducible.

use std::collections::BTreeMap;
use std::str::FromStr;

use crate::date::Date;
use crate::error::{Error, Result};

/// The run an exporter is called for.
#[derive(Clone, Debug, PartialEq)]
pub struct Context {
    date: Date,
    run_id: String,
    generated_at: String,
    params: BTreeMap<String, String>,
}

impl Context {
    /// A context; `date` must be `YYYY-MM-DD`.
    pub fn new(
        date: &str,
        run_id: impl Into<String>,
        generated_at: impl Into<String>,
        params: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Context> {
        let date = date
            .parse()
            .map_err(|e| Error::bad_input(format!("the run's date: {e}")))?;
        Ok(Context {
            date,
            run_id: run_id.into(),
            generated_at: generated_at.into(),
            params: params.into_iter().collect(),
        })
    }

    /// The date being published.
    pub fn date(&self) -> Date {
        self.date
    }

    /// Identifies the run in logs.
    pub fn run_id(&self) -> &str {
        &self.run_id
    }

    /// The run's timestamp (RFC 3339, UTC), chosen by the host.
    pub fn generated_at(&self) -> &str {
        &self.generated_at
    }

    /// The raw text of option or built-in parameter `name`, if present.
    pub fn param_str(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// Option `name` parsed as a `T`.
    ///
    /// The host passes every option the manifest declares, with its default when the user gave
    /// none, so a missing option means the manifest does not declare it.
    pub fn param<T: FromStr>(&self, name: &str) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        let text = self.param_str(name).ok_or_else(|| {
            Error::bad_input(format!("option `{name}` was not passed"))
                .with_hint(format!("declare it under [params.{name}] in exporter.toml"))
        })?;
        text.parse()
            .map_err(|e| Error::bad_input(format!("option `{name}` is `{text}`: {e}")))
    }

    /// Every parameter, by name.
    pub fn params(&self) -> &BTreeMap<String, String> {
        &self.params
    }
}
