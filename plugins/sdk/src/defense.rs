//! Ranking team defenses by points allowed per game, as of a date, and naming their tier.
//!
//! Rank 1 allows the fewest points. Ties are broken by fewer points allowed over the last 10
//! games, then by team abbreviation, so the order is total and stable. Tiers: elite 1–5,
//! good 6–10, average 11–20, weak 21–30.

use serde::Serialize;

use crate::stats::round;

/// A team's defense as the warehouse has it for a date.
#[derive(Clone, Debug, PartialEq)]
pub struct TeamDefense {
    /// The team's abbreviation.
    pub team: String,
    /// Points allowed per game so far.
    pub points_allowed_per_game: f64,
    /// Points allowed per game over the last 10 games (the tie-break).
    pub points_allowed_last_10: f64,
}

/// How good a defense is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DefenseTier {
    /// Ranks 1–5.
    Elite,
    /// Ranks 6–10.
    Good,
    /// Ranks 11–20.
    Average,
    /// Ranks 21 and below.
    Weak,
}

impl DefenseTier {
    /// The tier of a rank.
    pub fn of_rank(rank: usize) -> DefenseTier {
        match rank {
            0..=5 => DefenseTier::Elite,
            6..=10 => DefenseTier::Good,
            11..=20 => DefenseTier::Average,
            _ => DefenseTier::Weak,
        }
    }

    /// `elite`, `good`, `average` or `weak`.
    pub fn label(self) -> &'static str {
        match self {
            DefenseTier::Elite => "elite",
            DefenseTier::Good => "good",
            DefenseTier::Average => "average",
            DefenseTier::Weak => "weak",
        }
    }
}

/// A team's place among the defenses.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DefenseRank {
    /// The team's abbreviation.
    pub team: String,
    /// 1 allows the fewest points.
    pub rank: usize,
    /// The rank's tier.
    pub tier: DefenseTier,
    /// Points allowed per game, 2 places.
    pub ppg_allowed: f64,
}

impl DefenseRank {
    /// `vs BKN (weak defense, #21, allows 111.13 PPG)`.
    pub fn description(&self) -> String {
        format!(
            "vs {} ({} defense, #{}, allows {:.2} PPG)",
            self.team,
            self.tier.label(),
            self.rank,
            self.ppg_allowed
        )
    }
}

/// Ranks every team given, best defense first.
pub fn rank_defenses(teams: &[TeamDefense]) -> Vec<DefenseRank> {
    let mut sorted: Vec<&TeamDefense> = teams.iter().collect();
    sorted.sort_by(|a, b| {
        a.points_allowed_per_game
            .total_cmp(&b.points_allowed_per_game)
            .then(
                a.points_allowed_last_10
                    .total_cmp(&b.points_allowed_last_10),
            )
            .then(a.team.cmp(&b.team))
    });
    sorted
        .into_iter()
        .enumerate()
        .map(|(index, t)| DefenseRank {
            team: t.team.clone(),
            rank: index + 1,
            tier: DefenseTier::of_rank(index + 1),
            ppg_allowed: round(t.points_allowed_per_game, 2),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn team(team: &str, ppg: f64, last_10: f64) -> TeamDefense {
        TeamDefense {
            team: team.into(),
            points_allowed_per_game: ppg,
            points_allowed_last_10: last_10,
        }
    }

    #[test]
    fn ranks_fewest_points_first_and_breaks_ties() {
        let ranks = rank_defenses(&[
            team("BKN", 111.13, 110.0),
            team("BOS", 105.0, 104.0),
            team("MIA", 108.0, 109.0),
            team("DEN", 108.0, 107.0),
            team("ATL", 108.0, 107.0),
        ]);
        let order: Vec<(&str, usize)> = ranks.iter().map(|r| (r.team.as_str(), r.rank)).collect();
        assert_eq!(
            order,
            [("BOS", 1), ("ATL", 2), ("DEN", 3), ("MIA", 4), ("BKN", 5)]
        );
    }

    #[test]
    fn tiers_and_the_description_read_as_on_the_site() {
        assert_eq!(
            [1, 5, 6, 10, 11, 20, 21, 30].map(|r| DefenseTier::of_rank(r).label()),
            [
                "elite", "elite", "good", "good", "average", "average", "weak", "weak"
            ]
        );
        let rank = DefenseRank {
            team: "BKN".into(),
            rank: 21,
            tier: DefenseTier::Weak,
            ppg_allowed: 111.13,
        };
        assert_eq!(
            rank.description(),
            "vs BKN (weak defense, #21, allows 111.13 PPG)"
        );
        let round_number = DefenseRank {
            ppg_allowed: 111.1,
            ..rank
        };
        assert_eq!(
            round_number.description(),
            "vs BKN (weak defense, #21, allows 111.10 PPG)"
        );
    }
}
