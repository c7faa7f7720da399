//! What talking to Google Cloud needs on both edges, the BigQuery source and the Cloud Storage
//! store: the credentials and where an emulator is. One rule, written once.
//!
//! Production uses Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's
//! application-default login, or the metadata server, i.e. a Cloud Run job's service account).
//! An emulator (`BIGQUERY_EMULATOR_HOST`, `STORAGE_EMULATOR_HOST`) gets anonymous credentials.

use anyhow::Context as _;
use google_cloud_auth::credentials::Credentials;

/// The endpoint named by the environment variable `variable` (e.g. `STORAGE_EMULATOR_HOST`), as
/// a URL: `127.0.0.1:4443` and `http://127.0.0.1:4443` both work. `None` when unset or empty.
pub(crate) fn emulator(variable: &str) -> Option<String> {
    let host = std::env::var(variable).ok().filter(|h| !h.is_empty())?;
    let host = host.trim_end_matches('/');
    Some(
        if host.starts_with("http://") || host.starts_with("https://") {
            host.to_string()
        } else {
            format!("http://{host}")
        },
    )
}

/// Anonymous credentials for an emulator, else Application Default Credentials; `service`
/// names what they are for in the error ("BigQuery", "Cloud Storage").
pub(crate) fn credentials(emulator: bool, service: &str) -> anyhow::Result<Credentials> {
    if emulator {
        return Ok(google_cloud_auth::credentials::anonymous::Builder::new().build());
    }
    google_cloud_auth::credentials::Builder::default()
        .build()
        .with_context(|| {
            format!(
                "failed to find Google Cloud credentials for {service}\n\nConsider `gcloud auth \
                 application-default login`, or setting `GOOGLE_APPLICATION_CREDENTIALS` to a \
                 service account key file"
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_emulator_host_may_omit_the_scheme() {
        // SAFETY: no other test reads these variables.
        unsafe {
            std::env::set_var("PROPCAST_TEST_EMULATOR_A", "127.0.0.1:4443");
            std::env::set_var("PROPCAST_TEST_EMULATOR_B", "http://127.0.0.1:4443/");
            std::env::set_var("PROPCAST_TEST_EMULATOR_C", "");
        }
        assert_eq!(
            emulator("PROPCAST_TEST_EMULATOR_A").as_deref(),
            Some("http://127.0.0.1:4443")
        );
        assert_eq!(
            emulator("PROPCAST_TEST_EMULATOR_B").as_deref(),
            Some("http://127.0.0.1:4443")
        );
        assert_eq!(emulator("PROPCAST_TEST_EMULATOR_C"), None);
        assert_eq!(emulator("PROPCAST_TEST_EMULATOR_UNSET"), None);
    }
}
