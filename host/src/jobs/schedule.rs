//! The scheduled jobs: which exporters each runs, with which options, when, and for which
//! date. A job's schedule is a five-field cron expression (Cloud Scheduler's unix-cron format,
//! so `deploy/` can hand it over unchanged) read as wall-clock time in the configured time zone
//! (America/New_York unless `time-zone` says otherwise): 05:00 stays 05:00 across daylight saving
//! changes. A run publishes the trigger's local date (`today`) or the day before (`yesterday`),
//! so a late start or a retry on the same day publishes the same date.
//!
//! Cron matching is `croner`'s; [`Local`] lets it search `jiff` time the host already uses.

use std::cmp::Ordering;
use std::str::FromStr;

use anyhow::{Context as _, bail};
use croner::parser::{CronParser, Seconds, Year};
use croner::{CivilDateTime, Cron, CronDateTime, Resolution, Weekday};
use jiff::civil::Date;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp, ZonedDateTime};
use serde::Deserialize;

use super::config::JobFile;
use super::request::{DateSelection, RunRequest};

/// The site's time zone, used when the config file names none.
pub(crate) const DEFAULT_TIME_ZONE: &str = "America/New_York";

/// The date a run publishes, relative to the day it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum RelativeDay {
    Today,
    Yesterday,
}

impl RelativeDay {
    /// The date this names for a run at `at`, in `zone`.
    pub(crate) fn date_at(self, at: Timestamp, zone: &TimeZone) -> Date {
        let today = at.to_zoned_datetime(zone.clone()).date();
        match self {
            RelativeDay::Today => today,
            RelativeDay::Yesterday => today.yesterday().expect("a date after the year -9999"),
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            RelativeDay::Today => "today",
            RelativeDay::Yesterday => "yesterday",
        }
    }
}

/// One job, checked.
#[derive(Clone, Debug)]
pub(crate) struct Job {
    pub(crate) name: String,
    /// The cron expression as written.
    pub(crate) schedule: String,
    cron: Cron,
    pub(crate) date: RelativeDay,
    pub(crate) exporters: Vec<String>,
    /// Exporter options for this job's runs, `(name, value)`.
    pub(crate) options: Vec<(String, String)>,
    pub(crate) description: Option<String>,
}

/// Every job, and the zone their schedules and relative dates are read in.
#[derive(Clone, Debug)]
pub(crate) struct Schedule {
    pub(crate) zone_name: String,
    pub(crate) zone: TimeZone,
    /// In name order.
    pub(crate) jobs: Vec<Job>,
}

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule {
            zone_name: DEFAULT_TIME_ZONE.to_string(),
            zone: TimeZone::get(DEFAULT_TIME_ZONE).expect("jiff bundles the time zone database"),
            jobs: Vec::new(),
        }
    }
}

impl Schedule {
    /// The schedule a config file declares: `time_zone` (or the default) and its `[jobs]`.
    pub(crate) fn from_file<'a>(
        time_zone: Option<&str>,
        jobs: impl IntoIterator<Item = (&'a String, &'a JobFile)>,
    ) -> anyhow::Result<Schedule> {
        let zone_name = time_zone.unwrap_or(DEFAULT_TIME_ZONE).to_string();
        let zone = TimeZone::get(&zone_name).with_context(|| {
            format!("`time-zone = \"{zone_name}\"` is not a time zone; use an IANA name like \"America/New_York\"")
        })?;
        let jobs = jobs
            .into_iter()
            .map(|(name, file)| Job::from_file(name, file))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Schedule {
            zone_name,
            zone,
            jobs,
        })
    }

    /// The exporters a run selects: job `job`'s own, else those `only` names (every one when
    /// empty).
    pub(crate) fn exporters_for(
        &self,
        job: Option<&str>,
        only: &[String],
    ) -> anyhow::Result<Vec<String>> {
        Ok(match job {
            Some(name) => self.job(name)?.exporters.clone(),
            None => only.to_vec(),
        })
    }

    /// The job called `name`; the error lists the jobs there are.
    pub(crate) fn job(&self, name: &str) -> anyhow::Result<&Job> {
        if let Some(job) = self.jobs.iter().find(|j| j.name == name) {
            return Ok(job);
        }
        if self.jobs.is_empty() {
            bail!(
                "there is no job `{name}`: the config file declares no jobs\n\nConsider `--config \
                 FILE` naming the project's propcast.toml, which declares the site's jobs, or a \
                 `[jobs.{name}]` table"
            );
        }
        let names: Vec<&str> = self.jobs.iter().map(|j| j.name.as_str()).collect();
        bail!(
            "there is no job `{name}`; the config file declares: {}",
            names.join(", ")
        )
    }
}

/// `request` with its job and relative date resolved: a job's exporters and options (the
/// request's own options after them, so they win) and the date it publishes at the run's time;
/// `today` and `yesterday` in the schedule's zone. The run's timestamp is that time (`--at`, else
/// now) unless `--generated-at` sets it, so the date and the timestamp never disagree.
pub(crate) fn resolve_request(
    mut request: RunRequest,
    schedule: &Schedule,
) -> anyhow::Result<RunRequest> {
    let mut at = request.at.unwrap_or_else(now);
    match (&request.job, request.dates) {
        (Some(name), dates) => {
            let job = schedule.job(name)?;
            if request.at.is_none() {
                // A late start or a retry of a scheduled run is that run: the same date and
                // timestamp, so a retry rewrites nothing that already went out.
                at = job.latest_run(at, &schedule.zone).unwrap_or(at);
            }
            request.only = schedule.exporters_for(Some(name), &request.only)?;
            request.params = job.options.iter().cloned().chain(request.params).collect();
            if dates == DateSelection::OfJob {
                request.dates = DateSelection::Relative(job.date);
            }
        }
        (None, DateSelection::OfJob) => bail!("a run needs `--date` or `--job`"),
        (None, _) => {}
    }
    if let DateSelection::Relative(day) = request.dates {
        request.dates = DateSelection::One(day.date_at(at, &schedule.zone));
    }
    request.generated_at = Some(request.generated_at.unwrap_or(at));
    Ok(request)
}

/// Now, in whole seconds (a run's timestamp is published to the second).
pub(crate) fn now() -> Timestamp {
    Timestamp::from_second(Timestamp::now().as_second()).expect("now is a valid timestamp")
}

impl Job {
    fn from_file(name: &str, file: &JobFile) -> anyhow::Result<Job> {
        let context = || format!("[jobs.{name}]");
        let cron = parse_cron(&file.schedule).with_context(context)?;
        if file.exporters.is_empty() {
            bail!("[jobs.{name}]: `exporters` is empty; name the exporters the job runs");
        }
        Ok(Job {
            name: name.to_string(),
            schedule: file.schedule.clone(),
            cron,
            date: file.date,
            exporters: file.exporters.clone(),
            options: file
                .options
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
            description: file.description.clone(),
        })
    }

    /// The job's run at or before `at` within the last day, if any: the trigger a run started at
    /// `at` belongs to.
    pub(crate) fn latest_run(&self, at: Timestamp, zone: &TimeZone) -> Option<Timestamp> {
        let run = self
            .cron
            .find_previous_occurrence(&Local(at.to_zoned_datetime(zone.clone())), true)
            .ok()?
            .0
            .timestamp();
        (at.as_second() - run.as_second() <= 24 * 3600).then_some(run)
    }

    /// The job's next `count` run times after `after`, in `zone`.
    pub(crate) fn next_runs(
        &self,
        after: Timestamp,
        zone: &TimeZone,
        count: usize,
    ) -> Vec<ZonedDateTime> {
        self.cron
            .iter_after(Local(after.to_zoned_datetime(zone.clone())))
            .take(count)
            .map(|local| local.0)
            .collect()
    }
}

/// A five-field cron expression: minute, hour, day of month, month, day of week.
fn parse_cron(text: &str) -> anyhow::Result<Cron> {
    let parser = CronParser::builder()
        .seconds(Seconds::Disallowed)
        .year(Year::Disallowed)
        .build();
    parser.parse(text).map_err(|e| {
        anyhow::anyhow!(
            "`schedule = \"{text}\"` is not a five-field cron expression (minute hour \
             day-of-month month day-of-week, e.g. \"0 5 * * *\"): {e}"
        )
    })
}

/// A zoned time croner can search over: the trait is croner's documented way to bring a date
/// library it does not include (it bundles jiff 0.2; the host uses jiff 1).
#[derive(Clone, Debug)]
struct Local(ZonedDateTime);

impl CronDateTime for Local {
    fn to_civil(&self) -> CivilDateTime {
        let d = self.0.datetime();
        CivilDateTime::from_ymd_hms_opt(
            i32::from(d.year()),
            d.month() as u32,
            d.day() as u32,
            d.hour() as u32,
            d.minute() as u32,
            d.second() as u32,
        )
        .expect("jiff keeps every part in range")
    }

    fn civil_weekday(&self) -> Weekday {
        Weekday::from_days_from_sunday(self.0.weekday().to_sunday_zero_offset() as u32)
    }

    fn resolve_civil(
        &self,
        civil: CivilDateTime,
    ) -> Result<Resolution<Local>, croner::errors::CronError> {
        let invalid = |_| croner::errors::CronError::InvalidDate;
        let year =
            i16::try_from(civil.year()).map_err(|_| croner::errors::CronError::InvalidDate)?;
        let datetime = jiff::civil::DateTime::new(
            year,
            civil.month() as i8,
            civil.day() as i8,
            civil.hour() as i8,
            civil.minute() as i8,
            civil.second() as i8,
            0,
        )
        .map_err(invalid)?;
        let ambiguous = self.0.time_zone().to_ambiguous_zoned_datetime(datetime);
        Ok(match ambiguous.offset() {
            AmbiguousOffset::Unambiguous { .. } => {
                Resolution::Single(Local(ambiguous.unambiguous().map_err(invalid)?))
            }
            AmbiguousOffset::Fold { .. } => Resolution::Ambiguous(
                Local(ambiguous.clone().earlier().map_err(invalid)?),
                Local(ambiguous.later().map_err(invalid)?),
            ),
            AmbiguousOffset::Gap { .. } => Resolution::Gap,
        })
    }

    fn checked_add_seconds(&self, seconds: i64) -> Option<Local> {
        self.0
            .checked_add(SignedDuration::from_secs(seconds))
            .ok()
            .map(Local)
    }

    fn cmp_instant(&self, other: &Local) -> Ordering {
        self.0.timestamp().cmp(&other.0.timestamp())
    }
}

impl FromStr for RelativeDay {
    type Err = String;

    fn from_str(text: &str) -> Result<RelativeDay, String> {
        match text {
            "today" => Ok(RelativeDay::Today),
            "yesterday" => Ok(RelativeDay::Yesterday),
            _ => Err(format!("`{text}` is not `today` or `yesterday`")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(schedule: &str, date: RelativeDay) -> Job {
        Job {
            name: "j".into(),
            schedule: schedule.into(),
            cron: parse_cron(schedule).unwrap(),
            date,
            exporters: vec!["results".into()],
            options: Vec::new(),
            description: None,
        }
    }

    fn new_york() -> TimeZone {
        TimeZone::get(DEFAULT_TIME_ZONE).unwrap()
    }

    fn runs(job: &Job, after: &str) -> Vec<String> {
        job.next_runs(after.parse().unwrap(), &new_york(), 3)
            .iter()
            .map(|z| z.timestamp().to_string())
            .collect()
    }

    #[test]
    fn a_daily_job_keeps_its_wall_clock_time_across_daylight_saving() {
        let daily = job("0 5 * * *", RelativeDay::Yesterday);
        // Spring forward: on Sunday 2024-03-10, 02:00 EST becomes 03:00 EDT.
        assert_eq!(
            runs(&daily, "2024-03-09T00:00:00Z"),
            [
                "2024-03-09T10:00:00Z", // 05:00 EST
                "2024-03-10T09:00:00Z", // 05:00 EDT, the day of the change
                "2024-03-11T09:00:00Z",
            ]
        );
        // Fall back: on Sunday 2024-11-03, 02:00 EDT becomes 01:00 EST.
        assert_eq!(
            runs(&daily, "2024-11-02T00:00:00Z"),
            [
                "2024-11-02T09:00:00Z", // 05:00 EDT
                "2024-11-03T10:00:00Z", // 05:00 EST, the day of the change
                "2024-11-04T10:00:00Z",
            ]
        );
    }

    #[test]
    fn a_sunday_job_runs_on_sundays_only() {
        let weekly = job("0 6 * * SUN", RelativeDay::Today);
        assert_eq!(
            runs(&weekly, "2024-11-01T00:00:00Z"),
            [
                "2024-11-03T11:00:00Z", // 06:00 EST, the fall-back Sunday
                "2024-11-10T11:00:00Z",
                "2024-11-17T11:00:00Z",
            ]
        );
    }

    #[test]
    fn times_daylight_saving_skips_or_repeats_run_once() {
        // 02:30 does not exist on 2024-03-10: that day's run is at the end of the gap, 03:00 EDT.
        let skipped = job("30 2 * * *", RelativeDay::Today);
        assert_eq!(
            runs(&skipped, "2024-03-09T12:00:00Z"),
            [
                "2024-03-10T07:00:00Z",
                "2024-03-11T06:30:00Z",
                "2024-03-12T06:30:00Z"
            ]
        );
        // 01:30 happens twice on 2024-11-03 (EDT, then EST): it runs once, the first time.
        let repeated = job("30 1 * * *", RelativeDay::Today);
        assert_eq!(
            runs(&repeated, "2024-11-02T12:00:00Z"),
            [
                "2024-11-03T05:30:00Z",
                "2024-11-04T06:30:00Z",
                "2024-11-05T06:30:00Z"
            ]
        );
    }

    #[test]
    fn a_late_start_belongs_to_the_latest_trigger_of_the_day() {
        let daily = job("0 5 * * *", RelativeDay::Yesterday);
        let at = |t: &str| t.parse::<Timestamp>().unwrap();
        // A retry at 07:12 EST is the 05:00 EST run.
        assert_eq!(
            daily.latest_run(at("2024-01-11T12:12:00Z"), &new_york()),
            Some(at("2024-01-11T10:00:00Z"))
        );
        // On the trigger itself.
        assert_eq!(
            daily.latest_run(at("2024-01-11T10:00:00Z"), &new_york()),
            Some(at("2024-01-11T10:00:00Z"))
        );
        // A weekly job more than a day after its trigger is not a late start of it.
        let weekly = job("0 6 * * SUN", RelativeDay::Today);
        assert_eq!(
            weekly.latest_run(at("2024-03-13T12:00:00Z"), &new_york()),
            None
        );
    }

    #[test]
    fn the_date_is_the_triggers_local_date_or_the_day_before() {
        let ny = new_york();
        let at = |t: &str| t.parse::<Timestamp>().unwrap();
        let date = |d: RelativeDay, t: &str| d.date_at(at(t), &ny).to_string();
        // 05:00 EDT on the spring-forward Sunday publishes Saturday.
        assert_eq!(
            date(RelativeDay::Yesterday, "2024-03-10T09:00:00Z"),
            "2024-03-09"
        );
        // 05:00 EST on the fall-back Sunday publishes Saturday.
        assert_eq!(
            date(RelativeDay::Yesterday, "2024-11-03T10:00:00Z"),
            "2024-11-02"
        );
        // 13:00 EDT publishes the same day.
        assert_eq!(
            date(RelativeDay::Today, "2024-03-10T17:00:00Z"),
            "2024-03-10"
        );
        // 23:30 in New York is already tomorrow in UTC: the zone decides.
        assert_eq!(
            date(RelativeDay::Today, "2024-01-11T04:30:00Z"),
            "2024-01-10"
        );
    }

    #[test]
    fn a_bad_schedule_or_zone_is_named() {
        let err = parse_cron("0 5 * *").unwrap_err().to_string();
        assert!(
            err.starts_with("`schedule = \"0 5 * *\"` is not a five-field cron"),
            "{err}"
        );
        let err = parse_cron("0 0 5 * * *").unwrap_err().to_string();
        assert!(err.contains("is not a five-field cron"), "{err}");
        let err = Schedule::from_file(Some("Mars/Olympus"), std::iter::empty())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`time-zone = \"Mars/Olympus\"` is not a time zone"),
            "{err}"
        );
    }
}
