//! Freshness guards: before a date is published, the warehouse must hold what its exporters
//! need, so a scheduled run that starts before the upstream pipeline finished fails (exit code 3,
//! [`NotReady`]) and publishes nothing, and the scheduler's retry does the right thing, instead
//! of overwriting the live site with empty documents.
//!
//! Every run needs its date not past the warehouse's schedule (a date after the last scheduled
//! game is data not loaded yet; a date without games before that, an off day or the pre-season,
//! is real and publishes empty documents). Beyond that, `[freshness]` in the config file names what each exporter needs on
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

/// The one query the guards run: what `schedule` holds always, and the tables `needs` name.
/// Every table is read with a filter on `game_date` (a partition filter on BigQuery), and the
/// lines and predictions only back to the season's start. Plain SQL every warehouse runs.
fn coverage_sql(needs: &[Need]) -> String {
    let mut columns = vec![
        "(SELECT COUNT(*) FROM schedule WHERE game_date = @date) AS games",
        "(SELECT COUNT(*) FROM schedule WHERE game_date = @date AND game_status = 'final' \
         AND home_score IS NOT NULL AND away_score IS NOT NULL) AS final_games",
        "(SELECT MAX(game_date) FROM schedule) AS last_scheduled",
        "(SELECT MAX(game_date) FROM schedule WHERE game_status = 'final' \
         AND game_date <= @date) AS last_final",
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

/// What the warehouse holds for a date, and how far its data goes.
#[derive(Debug, Default, PartialEq)]
struct Coverage {
    games: i64,
    final_games: i64,
    /// Zero when not asked for.
    lines: i64,
    predictions: i64,
    last_scheduled: Option<String>,
    last_final: Option<String>,
    last_lines: Option<String>,
    last_predictions: Option<String>,
}

/// Checks that `source` covers the run's `dates` (in order) for `needs`; `Err` holds a
/// [`NotReady`] when it does not. The newest date is checked: the one the upstream pipeline may
/// not have loaded yet, and the one a run's `current` documents and aliases come from. A range
/// that runs past the schedule's end (a season's tail) is ready when it starts inside it.
pub(crate) async fn check(
    source: &dyn Source,
    dates: &[Date],
    needs: &[Need],
) -> anyhow::Result<()> {
    let (Some(&first), Some(&newest)) = (dates.first(), dates.last()) else {
        return Ok(());
    };
    let sql = coverage_sql(needs);
    let params: Vec<QueryParam> = [
        ("date", newest),
        ("season_start", super::dates::season_start(newest)),
    ]
    .into_iter()
    .filter(|(name, _)| sql.contains(&format!("@{name}")))
    .map(|(name, day)| QueryParam {
        name: name.into(),
        value: ParamValue::Date(day),
    })
    .collect();
    let table = source
        .run_query(&QueryRequest {
            name: "freshness",
            sql: &sql,
            params: &params,
        })
        .await
        .with_context(|| {
            format!(
                "failed to check that {} covers {newest} (`--allow-empty` skips the check)",
                source.describe()
            )
        })?;
    let coverage = Coverage::from_table(&table)?;
    let past_the_end = |day: Date| {
        coverage
            .last_scheduled
            .as_deref()
            .is_some_and(|last| day.to_string().as_str() > last)
    };
    if first != newest && past_the_end(newest) && !past_the_end(first) {
        return Ok(());
    }
    match coverage.missing(&newest.to_string(), needs) {
        missing if missing.is_empty() => Ok(()),
        missing => Err(NotReady {
            date: newest,
            missing,
        }
        .into()),
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
        let day = |name: &str| -> Option<String> {
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
        };
        Ok(Coverage {
            games: count("games")?,
            final_games: count("final_games")?,
            lines: count("lines")?,
            predictions: count("predictions")?,
            last_scheduled: day("last_scheduled"),
            last_final: day("last_final"),
            last_lines: day("last_lines"),
            last_predictions: day("last_predictions"),
        })
    }

    /// What is missing for `date` (`YYYY-MM-DD`) and `needs`, in words; empty when ready.
    fn missing(&self, date: &str, needs: &[Need]) -> Vec<String> {
        let up_to = |what: &str, day: &Option<String>| match day {
            Some(day) => format!("{what} are loaded up to {day}"),
            None => format!("there are no {what} at all"),
        };
        let final_games = match &self.last_final {
            Some(day) => format!("the latest final game is on {day}"),
            None => "no game is final yet".to_string(),
        };
        let Some(last) = &self.last_scheduled else {
            return vec!["the warehouse's `schedule` table is empty".into()];
        };
        if date > last.as_str() {
            return vec![format!(
                "{date} is past the warehouse's schedule, which ends on {last} (data not loaded \
                 yet; {final_games})"
            )];
        }
        if self.games == 0 {
            // An off day, or a date before the season: real, and published as empty documents.
            return Vec::new();
        }
        let mut missing = Vec::new();
        if needs.contains(&Need::FinalScores) && self.final_games < self.games {
            missing.push(format!(
                "{} of the {} games on {date} are not final yet ({final_games})",
                self.games - self.final_games,
                self.games,
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
            games: 6,
            final_games: 6,
            lines: 120,
            predictions: 130,
            last_scheduled: Some("2024-04-14".into()),
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
    fn a_date_past_the_schedule_is_not_ready_whatever_the_needs() {
        let missing = coverage().missing("2024-07-15", &[]);
        assert_eq!(
            missing,
            [
                "2024-07-15 is past the warehouse's schedule, which ends on 2024-04-14 (data not \
              loaded yet; the latest final game is on 2024-01-10)"
            ]
        );
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
                "no predictions for 2024-01-11 yet (there are no predictions at all)",
            ]
        );
        assert!(tonight.missing("2024-01-11", &[]).is_empty());
        let before = Coverage {
            games: 0,
            ..coverage()
        };
        assert!(
            before.missing("2019-01-01", &ALL).is_empty(),
            "a date before the data is an off day"
        );
    }
}
