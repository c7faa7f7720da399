//! A season's schedule: who plays whom (82 games a team, 41 at home, NBA-style weighting toward
//! division and conference rivals) and on which dates (at most one game a team a day, no three
//! days in a row, back-to-backs allowed, a break around the All-Star game).

use std::collections::HashMap;

use anyhow::bail;
use jiff::ToSpan;
use jiff::civil::{Date, Weekday};

use super::rng::Rng;

/// Two teams (indices into `TEAMS`) and who is at home.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Matchup {
    pub(crate) home: usize,
    pub(crate) away: usize,
}

/// A matchup on a date.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ScheduledGame {
    pub(crate) date: Date,
    pub(crate) home: usize,
    pub(crate) away: usize,
}

/// Opening night and the last day of the regular season that starts in `year`: the first
/// Tuesday on or after October 18th, and 173 days later (2023-10-24 to 2024-04-14).
pub(crate) fn season_dates(year: i16) -> (Date, Date) {
    let mut start = Date::new(year, 10, 18).expect("valid date");
    while start.weekday() != Weekday::Tuesday {
        start = start.tomorrow().expect("in range");
    }
    (start, start.checked_add(173.days()).expect("in range"))
}

/// The All-Star break: the Friday on or after February 14th through the Wednesday after.
fn all_star_break(end_year: i16) -> (Date, Date) {
    let mut friday = Date::new(end_year, 2, 14).expect("valid date");
    while friday.weekday() != Weekday::Friday {
        friday = friday.tomorrow().expect("in range");
    }
    (friday, friday.checked_add(5.days()).expect("in range"))
}

/// Every game of a season: division rivals 4 times, conference rivals 3 or 4 times, the other
/// conference twice. Conference rivals that meet 3 times are neighbours 5 or 6 apart on a
/// circle of the conference's 15 teams, which never puts division rivals together and gives
/// each team two extra home games and two extra away games.
pub(crate) fn matchups() -> Vec<Matchup> {
    let mut games = Vec::with_capacity(1230);
    let mut add = |home: usize, away: usize, times: usize| {
        games.extend(std::iter::repeat_n(Matchup { home, away }, times));
    };
    for i in 0..30 {
        for j in (i + 1)..30 {
            let same_conference = i / 15 == j / 15;
            if !same_conference {
                add(i, j, 1);
                add(j, i, 1);
                continue;
            }
            let (a, b) = (i % 15, j % 15);
            if a / 5 == b / 5 {
                add(i, j, 2);
                add(j, i, 2);
                continue;
            }
            match (b + 15 - a) % 15 {
                5 | 9 => {
                    add(i, j, 2);
                    add(j, i, 1);
                }
                6 | 10 => {
                    add(i, j, 1);
                    add(j, i, 2);
                }
                _ => {
                    add(i, j, 2);
                    add(j, i, 2);
                }
            }
        }
    }
    games
}

/// Puts every matchup on a date between `start` and `end`, outside the All-Star break.
pub(crate) fn schedule(
    rng: &mut Rng,
    start: Date,
    end: Date,
) -> anyhow::Result<Vec<ScheduledGame>> {
    let (break_start, break_end) = all_star_break(end.year());
    let days: Vec<Date> = start
        .series(1.day())
        .take_while(|d| *d <= end)
        .filter(|d| !(*d >= break_start && *d <= break_end))
        .collect();
    for attempt in 0..50 {
        let mut attempt_rng = rng.fork(&format!("schedule attempt {attempt}"));
        if let Some(games) = try_schedule(&mut attempt_rng, &days) {
            return Ok(games);
        }
    }
    bail!("could not fit the season's games between {start} and {end}")
}

fn try_schedule(rng: &mut Rng, days: &[Date]) -> Option<Vec<ScheduledGame>> {
    let mut remaining = matchups();
    rng.shuffle(&mut remaining);
    let mut left_per_team = [82usize; 30];
    // The day indices each team played on most recently, newest first.
    let mut recent: [[Option<usize>; 2]; 30] = [[None; 2]; 30];
    let mut last_meeting: HashMap<(usize, usize), usize> = HashMap::new();
    let mut scheduled = Vec::with_capacity(remaining.len());

    for (day_index, &date) in days.iter().enumerate() {
        let days_left = (days.len() - day_index) as f64;
        let urgency: Vec<f64> = left_per_team
            .iter()
            .map(|&n| n as f64 / days_left)
            .collect();
        let target = ((remaining.len() as f64 / days_left) * rng.range_f64(0.7, 1.3))
            .round()
            .clamp(1.0, 15.0) as usize;
        let rested = |team: usize| {
            // No third day in a row.
            !(recent[team][0] == Some(day_index.wrapping_sub(1))
                && recent[team][1] == Some(day_index.wrapping_sub(2)))
        };
        let mut candidates: Vec<(f64, usize)> = remaining
            .iter()
            .enumerate()
            .filter(|(_, m)| rested(m.home) && rested(m.away))
            .map(|(index, m)| {
                let pair = (m.home.min(m.away), m.home.max(m.away));
                let met_recently = last_meeting.get(&pair).is_some_and(|&d| day_index - d < 10);
                let score = urgency[m.home] + urgency[m.away] + rng.range_f64(0.0, 0.4)
                    - if met_recently { 0.6 } else { 0.0 };
                (score, index)
            })
            .collect();
        candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut busy = [false; 30];
        let mut picked = Vec::new();
        for (_, index) in candidates {
            let m = remaining[index];
            if busy[m.home] || busy[m.away] {
                continue;
            }
            let behind = urgency[m.home].max(urgency[m.away]) >= 0.75;
            if picked.len() >= target && !behind {
                continue;
            }
            busy[m.home] = true;
            busy[m.away] = true;
            picked.push(index);
        }
        picked.sort_unstable_by(|a, b| b.cmp(a));
        for index in picked {
            let m = remaining.swap_remove(index);
            for team in [m.home, m.away] {
                left_per_team[team] -= 1;
                recent[team] = [Some(day_index), recent[team][0]];
            }
            last_meeting.insert((m.home.min(m.away), m.home.max(m.away)), day_index);
            scheduled.push(ScheduledGame {
                date,
                home: m.home,
                away: m.away,
            });
        }
    }
    remaining.is_empty().then_some(scheduled)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_team_plays_82_games_41_at_home() {
        let games = matchups();
        assert_eq!(games.len(), 1230);
        for team in 0..30 {
            let home = games.iter().filter(|m| m.home == team).count();
            let away = games.iter().filter(|m| m.away == team).count();
            assert_eq!((home, away), (41, 41), "team {team}");
        }
    }

    #[test]
    fn the_2023_24_season_has_its_real_dates() {
        let (start, end) = season_dates(2023);
        assert_eq!(
            (start.to_string(), end.to_string()),
            ("2023-10-24".into(), "2024-04-14".into())
        );
        assert_eq!(all_star_break(2024).0.to_string(), "2024-02-16");
    }

    #[test]
    fn schedules_all_games_within_the_rules() {
        let (start, end) = season_dates(2023);
        let games = schedule(&mut Rng::new(1), start, end).unwrap();
        assert_eq!(games.len(), 1230);
        let mut back_to_backs = 0;
        for team in 0..30 {
            let mut dates: Vec<Date> = games
                .iter()
                .filter(|g| g.home == team || g.away == team)
                .map(|g| g.date)
                .collect();
            dates.sort();
            assert_eq!(dates.len(), 82);
            assert!(dates.windows(2).all(|w| w[0] < w[1]), "one game a day");
            assert!(
                dates.windows(3).all(|w| (w[2] - w[0]).get_days() > 2),
                "never three days in a row"
            );
            back_to_backs += dates
                .windows(2)
                .filter(|w| (w[1] - w[0]).get_days() == 1)
                .count();
            assert!(dates.iter().all(|d| *d >= start && *d <= end));
        }
        assert!(
            back_to_backs > 30 * 5,
            "back-to-backs happen: {back_to_backs}"
        );
        let on_break = games
            .iter()
            .filter(|g| g.date.month() == 2 && (16..=21).contains(&g.date.day()))
            .count();
        assert_eq!(on_break, 0);
    }
}
