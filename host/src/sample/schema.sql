-- The warehouse tables propcast's exporters read, in SQLite form. BigQuery holds the same
-- columns (TEXT as STRING, INTEGER as INT64, REAL as FLOAT64, DATE as DATE, BOOLEAN as BOOL).
-- docs/data.md describes each column.

CREATE TABLE teams (
    team_abbr   TEXT PRIMARY KEY,
    team_name   TEXT NOT NULL,
    city        TEXT NOT NULL,
    conference  TEXT NOT NULL,
    division    TEXT NOT NULL
);

CREATE TABLE players (
    player_lookup TEXT NOT NULL,
    player_name   TEXT NOT NULL,
    season        TEXT NOT NULL,
    team_abbr     TEXT NOT NULL,
    position      TEXT NOT NULL,
    PRIMARY KEY (player_lookup, season)
);

CREATE TABLE schedule (
    game_id         TEXT PRIMARY KEY,
    game_date       DATE NOT NULL,
    season          TEXT NOT NULL,
    home_team_abbr  TEXT NOT NULL,
    away_team_abbr  TEXT NOT NULL,
    home_score      INTEGER,
    away_score      INTEGER,
    game_status     TEXT NOT NULL
);
CREATE INDEX schedule_by_date ON schedule (game_date);

CREATE TABLE player_game_summary (
    game_id                  TEXT NOT NULL,
    game_date                DATE NOT NULL,
    season                   TEXT NOT NULL,
    player_lookup            TEXT NOT NULL,
    team_abbr                TEXT NOT NULL,
    opponent_team_abbr       TEXT NOT NULL,
    home_game                BOOLEAN NOT NULL,
    starter                  BOOLEAN NOT NULL,
    minutes_played           REAL NOT NULL,
    points                   INTEGER NOT NULL,
    field_goals_made         INTEGER NOT NULL,
    field_goals_attempted    INTEGER NOT NULL,
    three_pointers_made      INTEGER NOT NULL,
    three_pointers_attempted INTEGER NOT NULL,
    free_throws_made         INTEGER NOT NULL,
    free_throws_attempted    INTEGER NOT NULL,
    rebounds                 INTEGER NOT NULL,
    assists                  INTEGER NOT NULL,
    PRIMARY KEY (game_id, player_lookup)
);
CREATE INDEX player_game_summary_by_date ON player_game_summary (game_date);
-- The season-to-date queries (`season = @season AND game_date < @date`) read one season's rows
-- through this index instead of every season's (docs/performance.md: 2.4-2.8x faster late in a
-- season). On BigQuery the same role is played by partitioning by `game_date` and clustering
-- by `season, player_lookup` (docs/data.md).
CREATE INDEX player_game_summary_by_season ON player_game_summary (season, game_date);
CREATE INDEX player_game_summary_by_player ON player_game_summary (player_lookup, game_date);

CREATE TABLE points_prop_lines (
    game_id        TEXT NOT NULL,
    game_date      DATE NOT NULL,
    player_lookup  TEXT NOT NULL,
    points_line    REAL NOT NULL,
    over_price     INTEGER NOT NULL,
    under_price    INTEGER NOT NULL,
    bookmaker      TEXT NOT NULL,
    PRIMARY KEY (game_id, player_lookup)
);
CREATE INDEX points_prop_lines_by_date ON points_prop_lines (game_date);

CREATE TABLE player_prop_predictions (
    game_id           TEXT NOT NULL,
    game_date         DATE NOT NULL,
    player_lookup     TEXT NOT NULL,
    predicted_points  REAL NOT NULL,
    points_line       REAL,
    recommendation    TEXT NOT NULL,
    confidence        REAL NOT NULL,
    model_version     TEXT NOT NULL,
    PRIMARY KEY (game_id, player_lookup)
);
CREATE INDEX player_prop_predictions_by_date ON player_prop_predictions (game_date);

CREATE TABLE team_defense_zone_analysis (
    team_abbr                         TEXT NOT NULL,
    analysis_date                     DATE NOT NULL,
    season                            TEXT NOT NULL,
    games_played                      INTEGER NOT NULL,
    points_allowed_per_game           REAL NOT NULL,
    points_allowed_last_10            REAL NOT NULL,
    paint_points_allowed_per_game     REAL NOT NULL,
    three_point_points_allowed_per_game REAL NOT NULL,
    PRIMARY KEY (team_abbr, analysis_date)
);
