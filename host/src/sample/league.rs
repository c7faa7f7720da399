//! The players and rosters the sample seasons are played with, carried from one season to the
//! next with some change: levels drift, some players move teams, some retire and rookies arrive.

use std::collections::HashSet;

use super::names;
use super::rng::Rng;

/// A player as the simulation sees them.
pub(crate) struct Player {
    pub(crate) lookup: String,
    pub(crate) name: String,
    pub(crate) position: &'static str,
    /// Points per game they score when playing, before form, opponent and venue.
    pub(crate) level: f64,
    /// Chance they play a given game.
    pub(crate) availability: f64,
    pub(crate) minutes: f64,
}

/// A season's league: the players and each team's 15-man roster (indices into `players`).
pub(crate) struct League {
    pub(crate) players: Vec<Player>,
    pub(crate) rosters: Vec<Vec<usize>>,
    used_names: HashSet<String>,
}

const POSITIONS: [&str; 5] = ["PG", "SG", "SF", "PF", "C"];

/// Levels by roster slot: a star, two scorers, two starters, five rotation players, five
/// deep-bench players.
fn slot_level(rng: &mut Rng, slot: usize) -> (f64, f64, f64) {
    match slot {
        0 => (rng.range_f64(21.0, 32.0), 0.92, 34.0),
        1 | 2 => (rng.range_f64(14.0, 22.0), 0.92, 32.0),
        3 | 4 => (rng.range_f64(9.0, 15.0), 0.9, 28.0),
        5..=9 => (rng.range_f64(5.0, 11.0), 0.85, 20.0),
        _ => (rng.range_f64(1.0, 5.5), 0.45, 9.0),
    }
}

impl League {
    /// A new league of 30 teams of 15.
    pub(crate) fn new(rng: &mut Rng) -> League {
        let mut league = League {
            players: Vec::new(),
            rosters: vec![Vec::new(); 30],
            used_names: HashSet::new(),
        };
        for team in 0..30 {
            for slot in 0..15 {
                let player = league.new_player(rng, slot);
                league.rosters[team].push(player);
            }
        }
        league
    }

    fn new_player(&mut self, rng: &mut Rng, slot: usize) -> usize {
        let name = loop {
            let candidate = format!("{} {}", rng.pick(&names::FIRST), rng.pick(&names::LAST));
            let candidate = if self.used_names.contains(&names::lookup(&candidate)) {
                format!("{candidate} {}", rng.pick(&["Jr.", "II", "III"]))
            } else {
                candidate
            };
            if self.used_names.insert(names::lookup(&candidate)) {
                break candidate;
            }
        };
        let (level, availability, minutes) = slot_level(rng, slot);
        self.players.push(Player {
            lookup: names::lookup(&name),
            name,
            position: POSITIONS[slot % 5],
            level,
            availability,
            minutes,
        });
        self.players.len() - 1
    }

    /// Moves the league on a season: levels drift, about one player in ten changes teams, and
    /// about one in twenty retires for a rookie.
    pub(crate) fn next_season(&mut self, rng: &mut Rng) {
        for player in &mut self.players {
            player.level = (player.level * rng.normal(1.0, 0.1)).clamp(0.8, 34.0);
        }
        for team in 0..30 {
            for slot in 0..15 {
                if rng.chance(0.05) {
                    self.rosters[team][slot] = self.new_player(rng, slot);
                }
            }
        }
        for _ in 0..45 {
            let (a, b) = (rng.below(30), rng.below(30));
            let slot = rng.below(15);
            let (x, y) = (self.rosters[a][slot], self.rosters[b][slot]);
            self.rosters[a][slot] = y;
            self.rosters[b][slot] = x;
        }
        for roster in &mut self.rosters {
            let players = &self.players;
            roster.sort_by(|&x, &y| players[y].level.total_cmp(&players[x].level));
        }
    }
}
