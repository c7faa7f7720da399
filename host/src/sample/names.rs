//! Made-up player names: plausible, not real people. `lookup` turns a name into the warehouse's
//! `player_lookup` key the way the upstream pipeline does (lowercase letters and digits only).

pub(crate) const FIRST: [&str; 96] = [
    "Aaron", "Adrian", "Alec", "Andre", "Anthony", "Bam", "Ben", "Bogdan", "Bol", "Brandon", "Bruce",
    "Cam", "Caleb", "Chris", "Christian", "Cole", "Collin", "Dalen", "D'Angelo", "Damian", "Darius",
    "De'Andre", "Deandre", "Dejounte", "Derrick", "Desmond", "Devin", "Dillon", "Donovan", "Draymond",
    "Dylan", "Evan", "Franz", "Fred", "Gary", "Gordon", "Grant", "Herbert", "Immanuel", "Isaiah",
    "Ivica", "Jabari", "Jaden", "Jalen", "Jamal", "Jaren", "Jarrett", "Jayson", "Jerami", "Jeremy",
    "Jevon", "Jordan", "Josh", "Jrue", "Julius", "Karl-Anthony", "Keegan", "Kelly", "Kevin", "Khris",
    "Kyle", "Lamar", "LaMelo", "Lauri", "Luguentz", "Luka", "Malik", "Marcus", "Mason", "Mikal",
    "Miles", "Mitchell", "Myles", "Naz", "Nic", "Nikola", "Norman", "OG", "Onyeka", "Paolo", "Pascal",
    "Quentin", "RJ", "Reggie", "Rui", "Scottie", "Shai", "Spencer", "Stephen", "Terance", "Trae",
    "Tyrese", "Tyus", "Victor", "Walker", "Zach",
];

pub(crate) const LAST: [&str; 120] = [
    "Achiuwa", "Adams", "Allen", "Anderson", "Ayton", "Bagley", "Ball", "Banchero", "Barnes", "Barrett",
    "Beasley", "Bell", "Bey", "Bogdanovic", "Bridges", "Brooks", "Brown", "Brunson", "Caldwell", "Capela",
    "Carter", "Claxton", "Clarke", "Collins", "Conley", "Cunningham", "Daniels", "Davis", "DeRozan",
    "Dosunmu", "Duren", "Edwards", "Eubanks", "Fox", "Gafford", "Garland", "Gordon", "Grant", "Green",
    "Haliburton", "Hardy", "Harris", "Hart", "Hayes", "Herro", "Holiday", "Hunter", "Ingram", "Irving",
    "Ivey", "Jackson", "Jaquez", "Johnson", "Jones", "Kennard", "Kuminga", "LaVine", "Lewis", "Lillard",
    "Lopez", "Lowry", "Markkanen", "Martin", "Mathurin", "Maxey", "McCollum", "McDaniels", "Middleton",
    "Miller", "Mitchell", "Mobley", "Monk", "Morant", "Murray", "Nance", "Nembhard", "Nurkic", "Okongwu",
    "Oubre", "Paul", "Porter", "Portis", "Poole", "Powell", "Quickley", "Randle", "Reaves", "Reid",
    "Robinson", "Russell", "Sabonis", "Sengun", "Sexton", "Sharpe", "Simons", "Smart", "Smith",
    "Strus", "Suggs", "Thomas", "Thompson", "Toppin", "Turner", "VanVleet", "Vassell", "Wagner",
    "Walker", "Washington", "White", "Wiggins", "Williams", "Williamson", "Wiseman", "Wood", "Young",
    "Zubac", "O'Neale", "Valanciunas", "Jovic", "Nnaji",
];

/// `De'Andre O'Neale Jr.` → `deandreonealejr`.
pub(crate) fn lookup(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_keeps_only_lowercase_letters_and_digits() {
        assert_eq!(lookup("De'Andre O'Neale Jr."), "deandreonealejr");
        assert_eq!(lookup("Karl-Anthony Towns"), "karlanthonytowns");
    }
}
