//! The host's logs: `tracing` events on stderr, filtered by `-q`/`-v`/`-vv` or `PROPCAST_LOG`,
//! written as `propcast: …` lines for people or, with `--log-format json`, as one JSON object
//! per line with the `severity`, `message` and `time` fields Cloud Logging reads.
//!
//! Logs are not the report: the run table (or `--report json`) goes to stdout. While a
//! progress bar is drawn, each log line is written above it ([`set_progress_bar`]).

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::Mutex;

use indicatif::ProgressBar;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// The variable that overrides `-q`/`-v` with `tracing` filter directives, e.g. `debug` or
/// `propcast=debug,wasmtime=info`.
pub(crate) const FILTER_VARIABLE: &str = "PROPCAST_LOG";

/// How log lines are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum LogFormat {
    /// `propcast: warning: …`, for people.
    #[default]
    Text,
    /// One JSON object per line, for Cloud Logging.
    Json,
}

/// How much is logged: `-q` is -1, nothing is 0, each `-v` adds one.
pub(crate) fn level_for(verbosity: i8) -> Level {
    match verbosity {
        i8::MIN..=-1 => Level::ERROR,
        0 => Level::WARN,
        1 => Level::INFO,
        2 => Level::DEBUG,
        _ => Level::TRACE,
    }
}

/// Sends the process's `tracing` events to stderr. `PROPCAST_LOG`, when set, replaces the
/// level `verbosity` asks for; an invalid one is an error that says so.
pub(crate) fn init(verbosity: i8, format: LogFormat) -> anyhow::Result<()> {
    let filter = match std::env::var(FILTER_VARIABLE) {
        Ok(directives) if !directives.trim().is_empty() => EnvFilter::try_new(&directives)
            .map_err(|e| {
                anyhow::anyhow!(
                    "{FILTER_VARIABLE}=`{directives}` is not a log filter: {e}\n\nConsider a \
                     level (`error`, `warn`, `info`, `debug`, `trace`) or `propcast=debug`"
                )
            })?,
        // Our own events at the level asked for; other crates' (wasmtime, the Google clients)
        // only when they warn.
        _ => EnvFilter::new(format!(
            "warn,propcast={}",
            level_for(verbosity).as_str().to_ascii_lowercase()
        )),
    };
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .event_format(Lines { format })
        .with_writer(Stderr)
        .try_init()
        .map_err(|e| anyhow::anyhow!("failed to set up logging: {e}"))
}

/// The progress bar being drawn, if any: log lines go above it.
static PROGRESS_BAR: Mutex<Option<ProgressBar>> = Mutex::new(None);

/// Makes log lines suspend `bar` while they are written (`None` when it is finished).
pub(crate) fn set_progress_bar(bar: Option<ProgressBar>) {
    *PROGRESS_BAR.lock().unwrap_or_else(|e| e.into_inner()) = bar;
}

/// Writes `write` to the terminal without tearing the progress bar, if one is drawn.
pub(crate) fn above_progress_bar(write: impl FnOnce()) {
    let bar = PROGRESS_BAR
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    match bar {
        Some(bar) => bar.suspend(write),
        None => write(),
    }
}

/// Stderr, one whole event at a time.
struct Stderr;

/// One event's bytes, written when the event is done.
struct EventBuffer(Vec<u8>);

impl<'a> MakeWriter<'a> for Stderr {
    type Writer = EventBuffer;

    fn make_writer(&'a self) -> EventBuffer {
        EventBuffer(Vec::new())
    }
}

impl std::io::Write for EventBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for EventBuffer {
    fn drop(&mut self) {
        if self.0.is_empty() {
            return;
        }
        above_progress_bar(|| {
            // Nowhere to report a failure to write the log.
            let _ = std::io::stderr().lock().write_all(&self.0);
        });
    }
}

/// The format of a log line.
struct Lines {
    format: LogFormat,
}

impl<S, N> FormatEvent<S, N> for Lines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _context: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let level = *event.metadata().level();
        match self.format {
            LogFormat::Text => writeln!(writer, "{}", text_line(level, &fields)),
            LogFormat::Json => {
                let line = json_line(level, event.metadata().target(), fields);
                writeln!(writer, "{line}")
            }
        }
    }
}

/// `propcast: warning: message key=value …`.
fn text_line(level: Level, fields: &Fields) -> String {
    let prefix = match level {
        Level::ERROR | Level::INFO => "",
        Level::WARN => "warning: ",
        Level::DEBUG => "debug: ",
        Level::TRACE => "trace: ",
    };
    let mut line = format!("propcast: {prefix}{}", printable(&fields.message));
    // Errors and warnings read as sentences; their fields are for JSON logs.
    let others = if level <= Level::WARN {
        &[][..]
    } else {
        &fields.others[..]
    };
    for (name, value) in others {
        match value {
            Value::String(text) => write!(line, " {name}={}", printable(text)),
            other => write!(line, " {name}={other}"),
        }
        .expect("writing to a String");
    }
    line
}

/// `text` safe to print on a terminal: control characters but newline and tab, and the
/// bidirectional-text controls, are written as escapes (`\u{1b}`), so text from an exporter
/// (its error, hint, log, output or manifest) cannot move the cursor, rewrite lines, set the
/// clipboard or reorder what is shown.
pub(crate) fn printable(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char = |c: char| {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}')
    };
    if !text.contains(unsafe_char) {
        return text.into();
    }
    let mut escaped = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if unsafe_char(c) {
            write!(escaped, "\\u{{{:x}}}", c as u32).expect("writing to a String");
        } else {
            escaped.push(c);
        }
    }
    escaped.into()
}

/// `{"severity": "WARNING", "message": …, "time": …, "target": …, <fields>}`.
fn json_line(level: Level, target: &str, fields: Fields) -> String {
    let severity = match level {
        Level::ERROR => "ERROR",
        Level::WARN => "WARNING",
        Level::INFO => "INFO",
        Level::DEBUG | Level::TRACE => "DEBUG",
    };
    // JSON escapes only C0 controls; DEL, C1 and bidirectional controls are escaped here, so a
    // log viewer shows what an exporter wrote rather than obeying it.
    let text = |text: &str| Value::from(printable(text).into_owned());
    let mut object = Map::new();
    object.insert("severity".into(), severity.into());
    object.insert("message".into(), text(&fields.message));
    object.insert("time".into(), jiff::Timestamp::now().to_string().into());
    object.insert("target".into(), target.into());
    for (name, value) in fields.others {
        let value = match value {
            Value::String(s) => text(&s),
            other => other,
        };
        object.entry(name).or_insert(value);
    }
    Value::Object(object).to_string()
}

/// An event's message and other fields, in the order given.
#[derive(Default)]
struct Fields {
    message: String,
    others: Vec<(String, Value)>,
}

impl Fields {
    fn add(&mut self, field: &Field, value: Value) {
        if field.name() == "message" {
            self.message = match value {
                Value::String(text) => text,
                other => other.to_string(),
            };
        } else {
            self.others.push((field.name().to_string(), value));
        }
    }
}

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.add(field, format!("{value:?}").into());
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.add(field, value.into());
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.add(field, value.into());
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.add(field, value.into());
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.add(field, value.into());
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.add(field, value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(message: &str, others: &[(&str, Value)]) -> Fields {
        Fields {
            message: message.into(),
            others: others
                .iter()
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect(),
        }
    }

    #[test]
    fn text_lines_read_like_the_rest_of_the_output() {
        let f = fields(
            "exporter done",
            &[("date", "2024-01-10".into()), ("rows", 3.into())],
        );
        assert_eq!(
            text_line(Level::INFO, &f),
            "propcast: exporter done date=2024-01-10 rows=3"
        );
        let f = fields(
            "exporter `streaks` failed",
            &[("exporter", "streaks".into())],
        );
        assert_eq!(
            text_line(Level::ERROR, &f),
            "propcast: exporter `streaks` failed"
        );
        let f = fields("skipped `x.wasm`", &[]);
        assert_eq!(
            text_line(Level::WARN, &f),
            "propcast: warning: skipped `x.wasm`"
        );
    }

    #[test]
    fn guest_text_cannot_drive_the_terminal() {
        let fake = "\u{1b}[2K\r7 of 7 exporters published\u{1b}]52;c;eA==\u{7} \u{202e}gpj.exe";
        assert_eq!(
            printable(fake),
            "\\u{1b}[2K\\u{d}7 of 7 exporters published\\u{1b}]52;c;eA==\\u{7} \\u{202e}gpj.exe"
        );
        assert_eq!(printable("two\nlines\tok"), "two\nlines\tok");
        let f = fields("failed: \u{1b}[31m", &[]);
        assert_eq!(text_line(Level::ERROR, &f), "propcast: failed: \\u{1b}[31m");
    }

    #[test]
    fn json_lines_carry_the_severity_cloud_logging_reads() {
        let f = fields(
            "not ready",
            &[("date", "2024-01-10".into()), ("rows", 3.into())],
        );
        let line: Value = serde_json::from_str(&json_line(Level::WARN, "propcast::jobs", f))
            .expect("one JSON object");
        assert_eq!(line["severity"], "WARNING");
        assert_eq!(line["message"], "not ready");
        assert_eq!(line["date"], "2024-01-10");
        assert_eq!(line["rows"], 3);
        assert!(
            line["time"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .is_ok()
        );
        assert_eq!(level_for(-1), Level::ERROR);
        assert_eq!(level_for(0), Level::WARN);
        assert_eq!(level_for(2), Level::DEBUG);
    }
}
