//! Freshness guards: before a date is published, the warehouse must hold what its exporters
//! need, so a scheduled run that starts before the upstream pipeline finished fails (exit code 3,
//! [`NotReady`]) and publishes nothing, or waits for the data (`--wait-for-data`), instead
//! of overwriting the live site with empty documents.
//!
//! Every run needs the schedule loaded (something scheduled on or after its first date: else its
//! dates are past the loaded data); a date without games before the schedule's end (an off day,
//! the pre-season) is real and publishes empty documents, and a backfill running past the end is
//! checked at the end. Beyond that, `[freshness]` in the config file names what each exporter needs on
//! a date with games: `final-scores` (every game final, with scores), `lines` (points lines
//! posted), `predictions` (predictions made). They read the warehouse tables docs/data.md
//! describes, which every warehouse has; `--allow-empty` skips the guards.

use std::fmt;

use anyhow::Context as _;
use jiff::civil::Date;
use serde::Deserialize;

use crate::data::{ColumnValues, ParamValue, QueryParam, Table};
use crate::source::{QueryRequest, Source};

/// What an exporter needs loaded for its date before it may publish.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Need {
    /// Every game of the date is final, with its scores.
    FinalScores,
    /// The date's points lines are posted.
    Lines,
    /// The date's predictions are made.
    Predictions,
}

/// The date is not covered by the warehouse yet: what is missing, and how far the data goes.
#[derive(Debug)]
pub(crate) struct NotReady {
    pub(crate) date: Date,
    pub(crate) missing: Vec<String>,
}

impl fmt::Display for NotReady {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the warehouse is not ready for {}, so nothing was published:\n  - {}\n\n\
             Retry when the upstream pipeline has loaded it, or pass `--allow-empty` to publish \
             what there is",
            self.date,
            self.missing.join("\n  - ")
        )
    }
}

impl std::error::Error for NotReady {}

/// What the date holds: where the schedule ends from the run's `@first` date on (whether the
/// run is past the loaded data at all), the date's games (and how many are final), and the
/// tables `needs` name, with how far each goes this season. Every table is read with a filter
/// on `game_date` (a partition filter on BigQuery). Plain SQL every warehouse runs.
fn coverage_sql(needs: &[Need]) -> String {
    let mut columns = vec![
        "(SELECT MAX(game_date) FROM schedule WHERE game_date >= @first) AS last_scheduled",
        "(SELECT COUNT(*) FROM schedule WHERE game_date = @date) AS games",
        "(SELECT COUNT(*) FROM schedule WHERE game_date = @date AND game_status = 'final' \
         AND home_score IS NOT NULL AND away_score IS NOT NULL) AS final_games",
        "(SELECT MAX(game_date) FROM schedule WHERE game_status = 'final' \
         AND game_date >= @season_start AND game_date <= @date) AS last_final",
    ];
    if needs.contains(&Need::Lines) {
        columns.extend([
            "(SELECT COUNT(*) FROM points_prop_lines WHERE game_date = @date) AS lines",
            "(SELECT MAX(game_date) FROM points_prop_lines \
             WHERE game_date >= @season_start AND game_date <= @date) AS last_lines",
        ]);
    }
    if needs.contains(&Need::Predictions) {
        columns.extend([
            "(SELECT COUNT(*) FROM player_prop_predictions WHERE game_date = @date) AS predictions",
            "(SELECT MAX(game_date) FROM player_prop_predictions \
             WHERE game_date >= @season_start AND game_date <= @date) AS last_predictions",
        ]);
    }
    format!("SELECT {}", columns.join(", "))
}

/// What the warehouse holds for a date, and how far its data goes this season.
#[derive(Debug, Default, PartialEq)]
struct Coverage {
    /// The schedule's last date from the run's first date on; `None` past the schedule.
    last_scheduled: Option<String>,
    games: i64,
    final_games: i64,
    /// Zero when not asked for.
    lines: i64,
    predictions: i64,
    last_final: Option<String>,
    last_lines: Option<String>,
    last_predictions: Option<String>,
}

/// Checks that `source` covers the run's `dates` (in order) for `needs`; `Err` holds a
/// [`NotReady`] when it does not. The run is past the loaded data when nothing is scheduled
/// from its first date on; otherwise its newest date with a schedule is checked (the newest
/// date, or the schedule's end when a backfill runs past it): the one the upstream pipeline may
/// not have loaded yet, and the one a run's `current` documents and aliases come from.
pub(crate) async fn check(
    source: &dyn Source,
    dates: &[Date],
    needs: &[Need],
) -> anyhow::Result<()> {
    let (Some(&first), Some(&newest)) = (dates.first(), dates.last()) else {
        return Ok(());
    };
    let coverage_at = |date: Date| async move {
        let table = query(
            source,
            &coverage_sql(needs),
            &[
                ("first", first),
                ("date", date),
                ("season_start", super::dates::season_start(date)),
            ],
        )
        .await?;
        Coverage::from_table(&table)
    };
    // One query for a run that ends inside the schedule (every scheduled run); a backfill past
    // the schedule's end asks again at the end.
    let mut coverage = coverage_at(newest).await?;
    let Some(last_scheduled) = coverage.last_scheduled.clone() else {
        let run = if first == newest {
            first.to_string()
        } else {
            format!("{first} to {newest}")
        };
        return Err(NotReady {
            date: newest,
            missing: vec![format!(
                "{run} is past the warehouse's schedule: nothing is scheduled on or after \
                 {first} (data not loaded yet; {})",
                final_games(&coverage.last_final)
            )],
        }
        .into());
    };
    let last_scheduled = crate::data::parse_date(&last_scheduled).map_err(anyhow::Error::msg)?;
    let date = newest.min(last_scheduled);
    if date < newest {
        coverage = coverage_at(date).await?;
    }
    match coverage.missing(&date.to_string(), needs) {
        missing if missing.is_empty() => Ok(()),
        missing => Err(NotReady { date, missing }.into()),
    }
}

/// Runs `check` until it passes or `wait` has passed, checking again every minute (or sooner,
/// for short waits): a scheduled run started before the upstream pipeline finished waits for its
/// data in the process instead of failing at once. Only [`NotReady`] is waited on.
pub(crate) fn wait_for(
    check: impl Fn() -> anyhow::Result<()>,
    wait: Option<std::time::Duration>,
) -> anyhow::Result<()> {
    let Some(wait) = wait else {
        return check();
    };
    let deadline = std::time::Instant::now() + wait;
    let pause = (wait / 10).clamp(
        std::time::Duration::from_millis(100),
        std::time::Duration::from_secs(60),
    );
    loop {
        match check() {
            Err(e) if e.downcast_ref::<NotReady>().is_some() => {
                let now = std::time::Instant::now();
                if now >= deadline {
                    return Err(e.context(format!("waited {} for the data", humantime(wait))));
                }
                tracing::warn!(
                    "{e}\n(checking again, until {} from the start)",
                    humantime(wait)
                );
                std::thread::sleep(pause.min(deadline - now));
            }
            other => return other,
        }
    }
}

fn humantime(d: std::time::Duration) -> String {
    format!("{:.0?}", d)
}

/// Runs one of the guards' queries with these dates bound (each names every one).
async fn query(source: &dyn Source, sql: &str, dates: &[(&str, Date)]) -> anyhow::Result<Table> {
    let params: Vec<QueryParam> = dates
        .iter()
        .map(|&(name, day)| QueryParam {
            name: name.into(),
            value: ParamValue::Date(day),
        })
        .collect();
    source
        .run_query(&QueryRequest {
            name: "freshness",
            sql,
            params: &params,
            queries_started: None,
        })
        .await
        .with_context(|| {
            format!(
                "failed to check what {} holds (`--allow-empty` skips the check)",
                source.describe()
            )
        })
}

/// The date in column `name` of a one-row result; `None` when NULL or absent.
fn day(table: &Table, name: &str) -> Option<String> {
    let column = table.columns.iter().find(|c| c.name == name)?;
    if table.row_count != 1 || column.nulls.contains(&0) {
        return None;
    }
    match &column.values {
        ColumnValues::Date(d) | ColumnValues::Text(d) => {
            Some(d.values[d.codes[0] as usize].clone())
        }
        _ => None,
    }
}

/// How far the final scores go, in words.
fn final_games(last_final: &Option<String>) -> String {
    match last_final {
        Some(day) => format!("the latest final game is on {day}"),
        None => "no game of its season is final".to_string(),
    }
}

impl Coverage {
    fn from_table(table: &Table) -> anyhow::Result<Coverage> {
        // A count not asked for is absent, and reads 0.
        let count = |name: &str| -> anyhow::Result<i64> {
            match table
                .columns
                .iter()
                .find(|c| c.name == name)
                .map(|c| &c.values)
            {
                None => Ok(0),
                Some(ColumnValues::Int64(v)) if table.row_count == 1 => Ok(v[0]),
                Some(_) => anyhow::bail!("the freshness check's `{name}` is not one count"),
            }
        };
        Ok(Coverage {
            games: count("games")?,
            final_games: count("final_games")?,
            lines: count("lines")?,
            predictions: count("predictions")?,
            last_scheduled: day(table, "last_scheduled"),
            last_final: day(table, "last_final"),
            last_lines: day(table, "last_lines"),
            last_predictions: day(table, "last_predictions"),
        })
    }

    /// What is missing for `date` (`YYYY-MM-DD`, inside the schedule) and `needs`, in words;
    /// empty when ready.
    fn missing(&self, date: &str, needs: &[Need]) -> Vec<String> {
        let up_to = |what: &str, day: &Option<String>| match day {
            Some(day) => format!("{what} are loaded up to {day}"),
            None => format!("there are no {what} this season"),
        };
        if self.games == 0 {
            // An off day, or a date before the season: real, and published as empty documents.
            return Vec::new();
        }
        let mut missing = Vec::new();
        if needs.contains(&Need::FinalScores) && self.final_games < self.games {
            missing.push(format!(
                "{} of the {} games on {date} are not final yet ({})",
                self.games - self.final_games,
                self.games,
                final_games(&self.last_final)
            ));
        }
        if needs.contains(&Need::Lines) && self.lines == 0 {
            missing.push(format!(
                "no points lines for {date} yet ({})",
                up_to("lines", &self.last_lines)
            ));
        }
        if needs.contains(&Need::Predictions) && self.predictions == 0 {
            missing.push(format!(
                "no predictions for {date} yet ({})",
                up_to("predictions", &self.last_predictions)
            ));
        }
        missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coverage() -> Coverage {
        Coverage {
            last_scheduled: Some("2024-04-14".into()),
            games: 6,
            final_games: 6,
            lines: 120,
            predictions: 130,
            last_final: Some("2024-01-10".into()),
            last_lines: Some("2024-01-11".into()),
            last_predictions: Some("2024-01-11".into()),
        }
    }

    const ALL: [Need; 3] = [Need::FinalScores, Need::Lines, Need::Predictions];

    #[test]
    fn a_loaded_date_and_an_off_day_are_ready() {
        assert!(coverage().missing("2024-01-10", &ALL).is_empty());
        let off_day = Coverage {
            games: 0,
            final_games: 0,
            lines: 0,
            predictions: 0,
            ..coverage()
        };
        assert!(off_day.missing("2024-02-16", &ALL).is_empty());
    }

    #[test]
    fn each_need_names_what_is_missing() {
        let tonight = Coverage {
            final_games: 0,
            lines: 0,
            predictions: 0,
            last_lines: Some("2024-01-10".into()),
            last_predictions: None,
            ..coverage()
        };
        assert_eq!(
            tonight.missing("2024-01-11", &ALL),
            [
                "6 of the 6 games on 2024-01-11 are not final yet (the latest final game is on \
                 2024-01-10)",
                "no points lines for 2024-01-11 yet (lines are loaded up to 2024-01-10)",
                "no predictions for 2024-01-11 yet (there are no predictions this season)",
            ]
        );
        assert!(tonight.missing("2024-01-11", &[]).is_empty());
    }
}
