//! The 30 NBA teams, grouped so that each conference lists its three divisions of five in order.

pub(crate) struct Team {
    pub(crate) abbr: &'static str,
    pub(crate) city: &'static str,
    pub(crate) name: &'static str,
    pub(crate) conference: &'static str,
    pub(crate) division: &'static str,
}

const fn team(
    abbr: &'static str,
    city: &'static str,
    name: &'static str,
    conference: &'static str,
    division: &'static str,
) -> Team {
    Team {
        abbr,
        city,
        name,
        conference,
        division,
    }
}

/// East then West; within each, Atlantic/Central/Southeast and Northwest/Pacific/Southwest.
pub(crate) const TEAMS: [Team; 30] = [
    team("BOS", "Boston", "Celtics", "East", "Atlantic"),
    team("BKN", "Brooklyn", "Nets", "East", "Atlantic"),
    team("NYK", "New York", "Knicks", "East", "Atlantic"),
    team("PHI", "Philadelphia", "76ers", "East", "Atlantic"),
    team("TOR", "Toronto", "Raptors", "East", "Atlantic"),
    team("CHI", "Chicago", "Bulls", "East", "Central"),
    team("CLE", "Cleveland", "Cavaliers", "East", "Central"),
    team("DET", "Detroit", "Pistons", "East", "Central"),
    team("IND", "Indiana", "Pacers", "East", "Central"),
    team("MIL", "Milwaukee", "Bucks", "East", "Central"),
    team("ATL", "Atlanta", "Hawks", "East", "Southeast"),
    team("CHA", "Charlotte", "Hornets", "East", "Southeast"),
    team("MIA", "Miami", "Heat", "East", "Southeast"),
    team("ORL", "Orlando", "Magic", "East", "Southeast"),
    team("WAS", "Washington", "Wizards", "East", "Southeast"),
    team("DEN", "Denver", "Nuggets", "West", "Northwest"),
    team("MIN", "Minnesota", "Timberwolves", "West", "Northwest"),
    team("OKC", "Oklahoma City", "Thunder", "West", "Northwest"),
    team("POR", "Portland", "Trail Blazers", "West", "Northwest"),
    team("UTA", "Utah", "Jazz", "West", "Northwest"),
    team("GSW", "Golden State", "Warriors", "West", "Pacific"),
    team("LAC", "Los Angeles", "Clippers", "West", "Pacific"),
    team("LAL", "Los Angeles", "Lakers", "West", "Pacific"),
    team("PHX", "Phoenix", "Suns", "West", "Pacific"),
    team("SAC", "Sacramento", "Kings", "West", "Pacific"),
    team("DAL", "Dallas", "Mavericks", "West", "Southwest"),
    team("HOU", "Houston", "Rockets", "West", "Southwest"),
    team("MEM", "Memphis", "Grizzlies", "West", "Southwest"),
    team("NOP", "New Orleans", "Pelicans", "West", "Southwest"),
    team("SAS", "San Antonio", "Spurs", "West", "Southwest"),
];
