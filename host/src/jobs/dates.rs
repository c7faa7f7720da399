//! Date rules: the NBA season a date belongs to, and the dates a run publishes.
//!
//! The season rule is the one `propcast-sdk` documents in `season.rs`: a date from July onward
//! belongs to the season starting that year. Both must agree; their tests use the same cases.

use anyhow::bail;
use jiff::ToSpan as _;
use jiff::civil::Date;

use super::request::{DateSelection, Shard};
use crate::data::{ColumnValues, ParamValue, QueryParam};
use crate::source::{QueryRequest, Source};

/// The dates with games in the warehouse's schedule (a table every warehouse has; see
/// docs/data.md), between `@from` and `@to`.
const GAME_DAYS_SQL: &str = "SELECT DISTINCT game_date FROM schedule \
     WHERE game_date >= @from AND game_date <= @to ORDER BY game_date";

/// The dates `selection` names, in order; never empty. Game days are read from `source`.
pub(crate) async fn resolve(
    selection: DateSelection,
    source: &dyn Source,
) -> anyhow::Result<Vec<Date>> {
    let (from, to, game_days_only) = match selection {
        DateSelection::One(date) => return Ok(vec![date]),
        DateSelection::Relative(_) | DateSelection::OfJob => {
            unreachable!("schedule::resolve_request turns relative dates into one date first")
        }
        DateSelection::Range {
            from,
            to,
            game_days_only,
        } => (from, to, game_days_only),
    };
    if from > to {
        bail!("the range is empty: `--from {from}` is after `--to {to}`");
    }
    if !game_days_only {
        return Ok(from.series(1.day()).take_while(|d| *d <= to).collect());
    }
    let params = [
        QueryParam {
            name: "from".into(),
            value: ParamValue::Date(from),
        },
        QueryParam {
            name: "to".into(),
            value: ParamValue::Date(to),
        },
    ];
    let table = source
        .run_query(&QueryRequest {
            name: "game_days",
            sql: GAME_DAYS_SQL,
            params: &params,
            queries_started: None,
        })
        .await
        .map_err(|e| {
            e.context(format!(
                "failed to read the game days from the `schedule` table of {}",
                source.describe()
            ))
        })?;
    let days = match table.columns.first().map(|c| &c.values) {
        Some(ColumnValues::Date(days) | ColumnValues::Text(days)) => days,
        _ => bail!("the `schedule` table's `game_date` column does not hold dates"),
    };
    let days = days
        .codes
        .iter()
        .map(|&code| crate::data::parse_date(&days.values[code as usize]))
        .collect::<Result<Vec<Date>, String>>()
        .map_err(|e| anyhow::anyhow!("the `schedule` table's `game_date` column: {e}"))?;
    if days.is_empty() {
        bail!(
            "{} schedules no games from {from} to {to}, so there is nothing to publish\n\n\
             Consider another range, or leave out `--game-days` to publish every day of it",
            source.describe()
        );
    }
    Ok(days)
}

/// `shard`'s share of `dates`: one block of consecutive dates (so each task runs whole stretches
/// of a season and reads its season-to-date rows once), the blocks in order and as even as can
/// be. Every date is in exactly one shard; a shard may get none when there are more tasks
/// than dates.
pub(crate) fn shard(dates: &[Date], shard: Shard) -> &[Date] {
    let start = dates.len() * shard.index / shard.count;
    let end = dates.len() * (shard.index + 1) / shard.count;
    &dates[start..end]
}

/// The first year of the season `date` is in: 2023 for 2024-01-10.
fn season_year(date: Date) -> i32 {
    propcast_rules::season::first_year(date.year().into(), date.month() as u8)
}

/// The season's label as stored in the warehouse: `2023-24` (`propcast_rules::season`).
pub(crate) fn season_label(date: Date) -> String {
    propcast_rules::season::label(season_year(date))
}

/// July 1st of the season's first year: a lower bound for its game dates.
pub(crate) fn season_start(date: Date) -> Date {
    let year = i16::try_from(season_year(date)).expect("a date's year fits jiff's");
    Date::new(year, propcast_rules::season::FIRST_MONTH as i8, 1).expect("July 1st exists")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_map_to_the_season_they_are_played_in() {
        let d = |s: &str| crate::data::parse_date(s).unwrap();
        assert_eq!(season_label(d("2024-01-10")), "2023-24");
        assert_eq!(season_label(d("2023-10-24")), "2023-24");
        assert_eq!(season_label(d("1999-11-01")), "1999-00");
        assert_eq!(season_start(d("2024-04-14")).to_string(), "2023-07-01");
    }

    #[test]
    fn every_date_is_in_exactly_one_shard_in_order() {
        let start: Date = "2024-01-01".parse().unwrap();
        for len in [0, 1, 2, 7, 10, 168] {
            let dates: Vec<Date> = start.series(1.day()).take(len).collect();
            for count in 1..=12 {
                let joined: Vec<Date> = (0..count)
                    .flat_map(|index| shard(&dates, Shard { index, count }).to_vec())
                    .collect();
                assert_eq!(joined, dates, "{len} dates in {count} shards");
                let sizes: Vec<usize> = (0..count)
                    .map(|index| shard(&dates, Shard { index, count }).len())
                    .collect();
                let (min, max) = (sizes.iter().min(), sizes.iter().max());
                assert!(max.unwrap() - min.unwrap() <= 1, "{sizes:?}");
            }
        }
    }

    #[test]
    fn a_shard_is_i_of_n_from_zero() {
        assert_eq!("2/4".parse(), Ok(Shard { index: 2, count: 4 }));
        for bad in ["4/4", "1/0", "a/2", "3", "-1/2"] {
            let err = bad.parse::<Shard>().unwrap_err();
            assert!(err.contains("use I/N with I from 0 to N-1"), "{err}");
        }
    }
}
