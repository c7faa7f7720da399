"""The same work as three propcast exporters, done "the Python way", to measure propcast against.

Why it exists: `cargo xtask bench` compares `propcast backfill` with what a data engineer would
otherwise write: one Python process that, for every date of a range, reads that date's data from
the SQLite warehouse with SQL (`pandas.read_sql_query` on `sqlite3`), computes with pandas and
writes JSON files with `json.dumps` (the C encoder; `json.dump` to a file would stream through
the pure-Python one, about a third slower overall). It does what the `streaks`, `player-profiles` and
`tonight-players` exporters do (docs/exporters/, plugins/<name>/exporter.toml and src/), with
their own SQL queries (copied from the manifests, `@name` written `:name` for sqlite3) and their
options' defaults (streaks' min-length 4, player-profiles' min-games 5). It is meant to be plain,
ordinary pandas: neither tuned to be slow nor made artificially fast.

How it is run (the bench creates a venv with pandas, the only dependency; written against
pandas 3.1.1 with numpy 2.4.6 on Python 3.11, and also runs on pandas 2.3):

    python bench/pandas_reference.py --db WAREHOUSE.sqlite --from 2023-10-01 --to 2024-04-30 \
        --out DIR [--game-days] [--generated-at 2024-04-10T12:00:00Z]

`--game-days` keeps only the dates with games in `schedule`, as `propcast backfill --game-days`
does. Documents go under DIR at the paths propcast publishes: `v1/streaks/<date>.json` and
`today.json`, `v1/players/<player_lookup>.json` and `index.json`, and
`v1/tonight/player/<player_lookup>.json`, whose folder holds only the last date's players (pages
of players not playing are removed, like propcast's replaced set). It ends by printing
`<dates> dates, <documents> documents, <seconds> s`: seconds of wall time after the imports, and
every document computed, aliases included, as propcast's backfill counts them.

Where it knowingly differs from propcast:
- Every document of every date is written as it is made, as a plain loop would. propcast's
  backfill computes the same documents but writes a `current` document (profiles, player pages)
  or an alias (`today.json`) only for the last date that has it, and it runs the season-to-date
  queries once per season and several exporters at once; this script does none of that. The
  folder ends the same either way.
- No run records (`runs/`), upload bookkeeping, schema checks or sandbox: just the documents.
- `generated_at` is the script's start time unless `--generated-at` fixes it (as propcast's flag
  does), so that documents can be compared byte for byte.
- Averages are pandas' groupby means. Where a player's average minutes is an exact tie at 1 place
  (e.g. 214.5 / 26 = 8.25), the rounding follows float noise, and pandas (which sums with
  compensation) lands on the other side of propcast (which adds in order) for about 1 profile
  in 200. Everything else matches propcast's documents value for value, and mostly byte for byte.
"""

import argparse
import datetime as dt
import json
import os
import sqlite3
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

MIN_LENGTH = 4  # streaks' `min-length` default (plugins/streaks/exporter.toml)
MIN_GAMES = 5  # player-profiles' `min-games` default (plugins/player-profiles/exporter.toml)
LIMITED_DATA_GAMES = 10  # tonight-players: fewer games than this is `limited_data`
FORM_TREND_POINTS = 2.0  # tonight-players: last-5 minus season average that counts as a trend

# --- The exporters' queries, as in their manifests -----------------------------------------------

STREAKS_GAMES_SQL = """
SELECT g.player_lookup,
       p.player_name,
       g.team_abbr,
       g.opponent_team_abbr,
       g.game_date,
       g.points,
       l.points_line,
       pr.recommendation,
       pr.points_line AS prediction_line
FROM player_game_summary AS g
JOIN players AS p
  ON p.player_lookup = g.player_lookup AND p.season = g.season
LEFT JOIN points_prop_lines AS l
  ON l.game_id = g.game_id AND l.player_lookup = g.player_lookup
LEFT JOIN player_prop_predictions AS pr
  ON pr.game_id = g.game_id AND pr.player_lookup = g.player_lookup
WHERE g.season = :season
  AND g.game_date >= :season_start
  AND g.game_date < :date
ORDER BY g.player_lookup, g.game_date
"""

PROFILES_PLAYERS_SQL = """
SELECT player_lookup, player_name, team_abbr, position
FROM players
WHERE season = :season
ORDER BY player_lookup
"""

PROFILES_GAMES_SQL = """
SELECT g.player_lookup,
       g.game_date,
       g.team_abbr,
       g.opponent_team_abbr,
       g.home_game,
       g.minutes_played,
       g.points,
       g.field_goals_made,
       g.field_goals_attempted,
       g.three_pointers_made,
       g.free_throws_made,
       g.free_throws_attempted,
       g.rebounds,
       g.assists,
       l.points_line,
       pr.recommendation,
       pr.points_line AS prediction_line
FROM player_game_summary AS g
LEFT JOIN points_prop_lines AS l
  ON l.game_id = g.game_id AND l.player_lookup = g.player_lookup
LEFT JOIN player_prop_predictions AS pr
  ON pr.game_id = g.game_id AND pr.player_lookup = g.player_lookup
WHERE g.season = :season
  AND g.game_date >= :season_start
  AND g.game_date < :date
ORDER BY g.player_lookup, g.game_date
"""

TONIGHT_GAMES_SQL = """
SELECT game_id, home_team_abbr, away_team_abbr
FROM schedule
WHERE game_date = :date
ORDER BY game_id
"""

TONIGHT_PLAYERS_SQL = """
SELECT s.game_id,
       p.player_lookup,
       p.player_name,
       p.team_abbr,
       p.position,
       l.points_line,
       pr.predicted_points,
       pr.recommendation,
       pr.confidence
FROM schedule AS s
JOIN players AS p
  ON p.season = s.season AND (p.team_abbr = s.home_team_abbr OR p.team_abbr = s.away_team_abbr)
LEFT JOIN points_prop_lines AS l
  ON l.game_id = s.game_id AND l.player_lookup = p.player_lookup
LEFT JOIN player_prop_predictions AS pr
  ON pr.game_id = s.game_id AND pr.player_lookup = p.player_lookup
WHERE s.game_date = :date
ORDER BY s.game_id, p.team_abbr, p.player_lookup
"""

TONIGHT_HISTORY_SQL = """
SELECT g.player_lookup, g.game_date, g.opponent_team_abbr, g.home_game, g.minutes_played, g.points, l.points_line
FROM player_game_summary AS g
LEFT JOIN points_prop_lines AS l
  ON l.game_id = g.game_id AND l.player_lookup = g.player_lookup
WHERE g.season = :season
  AND g.game_date >= :season_start
  AND g.game_date < :date
  AND g.player_lookup IN (
    SELECT p.player_lookup
    FROM players AS p
    JOIN schedule AS s
      ON p.season = s.season AND (p.team_abbr = s.home_team_abbr OR p.team_abbr = s.away_team_abbr)
    WHERE s.game_date = :date
  )
ORDER BY g.player_lookup, g.game_date
"""

TONIGHT_DEFENSE_SQL = """
SELECT d.team_abbr, d.points_allowed_per_game, d.points_allowed_last_10
FROM team_defense_zone_analysis AS d
JOIN (
  SELECT team_abbr, MAX(analysis_date) AS latest
  FROM team_defense_zone_analysis
  WHERE analysis_date <= :date AND analysis_date >= :season_start
  GROUP BY team_abbr
) AS l
  ON l.team_abbr = d.team_abbr AND l.latest = d.analysis_date
ORDER BY d.team_abbr
"""

GAME_DAYS_SQL = """
SELECT DISTINCT game_date FROM schedule
WHERE game_date >= :from_date AND game_date <= :to_date
ORDER BY game_date
"""

# --- Shared helpers --------------------------------------------------------------------------------

EMPTY_SPLIT = {"games": 0, "average": None, "games_with_line": 0, "vs_line_pct": None}


def season_of(date):
    """The season label (`2023-24`) and its July 1st start, as propcast's @season/@season_start."""
    year = date.year if date.month >= 7 else date.year - 1
    return f"{year}-{(year + 1) % 100:02d}", f"{year}-07-01"


def round_away(values, places):
    """Round half away from zero, as propcast does (pandas' and numpy's round() go to even)."""
    scaled = values * 10.0**places
    return np.sign(scaled) * np.floor(np.abs(scaled) + 0.5) / 10.0**places


def num(value):
    """A JSON number, or None for a missing one."""
    return None if pd.isna(value) else float(value)


def outcome(points, line):
    """OVER, UNDER, PUSH or NO_LINE for each game."""
    return pd.Series(
        np.select(
            [line.isna(), points > line, points < line], ["NO_LINE", "OVER", "UNDER"], "PUSH"
        ),
        index=points.index,
    )


def add_game_columns(games):
    """Columns shared by the history-based exporters, for games ordered by player and date."""
    games = games.copy()
    games["outcome"] = outcome(games["points"], games["points_line"])
    games["has_line"] = games["points_line"].notna()
    games["over"] = games["outcome"] == "OVER"
    games["day"] = pd.to_datetime(games["game_date"], format="%Y-%m-%d")
    by_player = games.groupby("player_lookup")
    games["rest_days"] = by_player["day"].diff().dt.days - 1
    games["from_end"] = by_player.cumcount(ascending=False)
    games["venue"] = np.where(games["home_game"] == 1, "HOME", "AWAY")
    games["rest_split"] = np.select(
        [games["rest_days"] == 0, games["rest_days"] == 1, games["rest_days"] >= 2],
        ["back_to_back", "one_day", "two_plus_days"],
        "",
    )
    return games


def split_stats(games, keys):
    """Games, average points, games with a line and % over it, for each group of `keys`."""
    stats = games.groupby(keys).agg(
        games=("points", "size"),
        average=("points", "mean"),
        games_with_line=("has_line", "sum"),
        over=("over", "sum"),
    )
    stats["average"] = round_away(stats["average"], 1)
    stats["vs_line_pct"] = round_away(100 * stats["over"] / stats["games_with_line"], 1)
    return {
        row.Index: {
            "games": int(row.games),
            "average": num(row.average),
            "games_with_line": int(row.games_with_line),
            "vs_line_pct": num(row.vs_line_pct),
        }
        for row in stats.itertuples()
    }


def form_stats(games):
    """Each player's form: games, season / last 5 / last 10 averages, and of the last 10 games
    the % of those with a line that went over (the last-10 split's window). The exact season
    and last-5 averages ride along under `_exact` for the recent-form rule; they are not
    published."""
    by_player = games.groupby("player_lookup")
    last_10 = games[games["from_end"] < 10]
    recent = last_10[last_10["has_line"]].groupby("player_lookup")
    season_exact = by_player["points"].mean()
    last_5_exact = games[games["from_end"] < 5].groupby("player_lookup")["points"].mean()
    form = pd.DataFrame(
        {
            "games_played": by_player.size(),
            "season_avg": round_away(season_exact, 1),
            "last_5_avg": round_away(last_5_exact, 1),
            "season_exact": season_exact,
            "last_5_exact": last_5_exact,
            "last_10_avg": round_away(
                games[games["from_end"] < 10].groupby("player_lookup")["points"].mean(), 1
            ),
            "hit_rate": round_away(100 * recent["over"].sum() / recent.size(), 1),
        }
    )
    return {
        row.Index: {
            "games_played": int(row.games_played),
            "season_avg": num(row.season_avg),
            "last_5_avg": num(row.last_5_avg),
            "last_10_avg": num(row.last_10_avg),
            "hit_rate_vs_line_last_10": num(row.hit_rate),
            "_exact": (float(row.season_exact), float(row.last_5_exact)),
        }
        for row in form.itertuples()
    }


def published(form):
    """A form without the exact averages that ride along for the rules."""
    return {key: value for key, value in form.items() if not key.startswith("_")}


def no_form():
    return {
        "games_played": 0,
        "season_avg": None,
        "last_5_avg": None,
        "last_10_avg": None,
        "hit_rate_vs_line_last_10": None,
    }


def venue_and_rest(games):
    """Home/away and rest splits per player, as functions of the player."""
    venue = split_stats(games, ["player_lookup", "venue"])
    rest = split_stats(games[games["rest_split"] != ""], ["player_lookup", "rest_split"])

    def splits(player):
        return (
            venue.get((player, "HOME"), EMPTY_SPLIT),
            venue.get((player, "AWAY"), EMPTY_SPLIT),
            {
                "back_to_back": rest.get((player, "back_to_back"), EMPTY_SPLIT),
                "one_day": rest.get((player, "one_day"), EMPTY_SPLIT),
                "two_plus_days": rest.get((player, "two_plus_days"), EMPTY_SPLIT),
            },
        )

    return splits


def write_json(out, path, document):
    with open(out / path, "w", encoding="utf-8") as f:
        f.write(json.dumps(document, ensure_ascii=False, separators=(",", ":")))


# --- streaks ---------------------------------------------------------------------------------------


def streaks(conn, out, date, season, params, generated_at):
    games = pd.read_sql_query(STREAKS_GAMES_SQL, conn, params=params)
    games["outcome"] = outcome(games["points"], games["points_line"])
    games["pick_outcome"] = outcome(games["points"], games["prediction_line"])
    over_under, predictions = [], []
    for player, played in games.groupby("player_lookup"):
        rows = list(played.itertuples(index=False))
        latest = rows[-1]

        def streak(direction, run):
            return {
                "player_lookup": player,
                "player_name": latest.player_name,
                "team": latest.team_abbr,
                "direction": direction,
                "length": len(run),
                "games": run[::-1],
            }

        # OVER/UNDER: walk back; a game without a line is skipped, a push or a change ends it.
        direction, run = None, []
        for g in reversed(rows):
            if g.outcome == "NO_LINE":
                continue
            if g.outcome == "PUSH" or (direction is not None and g.outcome != direction):
                break
            direction = g.outcome
            run.append(
                {"date": g.game_date, "opponent": g.opponent_team_abbr, "points": g.points,
                 "line": g.points_line}
            )
        if direction is not None and len(run) >= MIN_LENGTH:
            over_under.append(streak(direction, run))

        # Correct picks: a pass, no pick or no line is skipped; a miss or a push ends it.
        run = []
        for g in reversed(rows):
            if g.recommendation not in ("OVER", "UNDER") or g.pick_outcome == "NO_LINE":
                continue
            if g.pick_outcome != g.recommendation:
                break
            run.append(
                {"date": g.game_date, "opponent": g.opponent_team_abbr, "points": g.points,
                 "line": g.prediction_line, "recommendation": g.recommendation}
            )
        if len(run) >= MIN_LENGTH:
            predictions.append(streak("CORRECT", run))

    def longest_first(s):
        return (-s["length"], s["player_name"], s["player_lookup"])

    over_under.sort(key=longest_first)
    predictions.sort(key=longest_first)

    def tally(runs):
        if not runs:
            return {"count": 0, "longest": None}
        length = max(s["length"] for s in runs)
        players = sorted(
            ({"player_lookup": s["player_lookup"], "player_name": s["player_name"]}
             for s in runs if s["length"] == length),
            key=lambda p: (p["player_name"], p["player_lookup"]),
        )
        return {"count": len(runs), "longest": {"length": length, "players": players}}

    def describe(label, t):
        if t["longest"] is None:
            return f"{t['count']} {label} streaks"
        names = " and ".join(p["player_name"] for p in t["longest"]["players"])
        return f"{t['count']} {label} streaks (longest: {names}, {t['longest']['length']} games)"

    over = tally([s for s in over_under if s["direction"] == "OVER"])
    under = tally([s for s in over_under if s["direction"] == "UNDER"])
    prediction = tally(predictions)
    text = ", ".join(
        [describe("OVER", over), describe("UNDER", under), describe("prediction", prediction)]
    )
    report = {
        "date": date,
        "season": season,
        "generated_at": generated_at,
        "min_length": MIN_LENGTH,
        "summary": {"over": over, "under": under, "prediction": prediction, "text": text},
        "over_under": over_under,
        "predictions": predictions,
    }
    write_json(out, f"v1/streaks/{date}.json", report)
    write_json(out, "v1/streaks/today.json", report)
    return 2


# --- player-profiles -------------------------------------------------------------------------------


def player_profiles(conn, out, date, season, params, generated_at):
    players = pd.read_sql_query(PROFILES_PLAYERS_SQL, conn, params=params)
    games = pd.read_sql_query(PROFILES_GAMES_SQL, conn, params=params)
    played = games.groupby("player_lookup").size()
    players = players[players["player_lookup"].map(played).fillna(0) >= MIN_GAMES]
    games = add_game_columns(games[games["player_lookup"].isin(players["player_lookup"])])

    # The model's OVER/UNDER picks graded against the line each was made for.
    picked = games["recommendation"].isin(["OVER", "UNDER"])
    pick_outcome = outcome(games["points"], games["prediction_line"])
    games["hit"] = picked & (pick_outcome == games["recommendation"])
    games["push"] = picked & (pick_outcome == "PUSH")
    games["miss"] = picked & pick_outcome.isin(["OVER", "UNDER"]) & ~games["hit"]

    totals = games.groupby("player_lookup").agg(
        games_played=("points", "size"),
        points=("points", "mean"),
        minutes=("minutes_played", "mean"),
        rebounds=("rebounds", "mean"),
        assists=("assists", "mean"),
        three_pointers_made=("three_pointers_made", "mean"),
        fgm=("field_goals_made", "sum"),
        fga=("field_goals_attempted", "sum"),
        ftm=("free_throws_made", "sum"),
        fta=("free_throws_attempted", "sum"),
        hits=("hit", "sum"),
        misses=("miss", "sum"),
        pushes=("push", "sum"),
    )
    for column in ["points", "minutes", "rebounds", "assists", "three_pointers_made"]:
        totals[column] = round_away(totals[column], 1)
    totals["fg_pct"] = round_away(100 * totals["fgm"] / totals["fga"].where(totals["fga"] > 0), 1)
    totals["ft_pct"] = round_away(100 * totals["ftm"] / totals["fta"].where(totals["fta"] > 0), 1)
    totals["hit_rate"] = round_away(
        100 * totals["hits"] / (totals["hits"] + totals["misses"]).where(lambda n: n > 0), 1
    )
    totals = totals.to_dict("index")
    form = form_stats(games)
    venue_rest = venue_and_rest(games)
    last_10 = split_stats(games[games["from_end"] < 10], "player_lookup")

    log = pd.DataFrame(
        {
            "player_lookup": games["player_lookup"],
            "date": games["game_date"],
            "opponent": games["opponent_team_abbr"],
            "home_away": games["venue"],
            "minutes": round_away(games["minutes_played"], 1),
            "points": games["points"],
            "line": games["points_line"],
            "result": games["outcome"],
            "recommendation": games["recommendation"],
        }
    ).iloc[::-1]
    log = log.astype(object).where(log.notna(), None)
    log_columns = ["date", "opponent", "home_away", "minutes", "points", "line", "result",
                   "recommendation"]
    logs = {
        player: g.to_dict("records") for player, g in log.groupby("player_lookup")[log_columns]
    }

    index = []
    for p in players.itertuples(index=False):
        t = totals[p.player_lookup]
        home, away, rest = venue_rest(p.player_lookup)
        profile = {
            "player_lookup": p.player_lookup,
            "player_name": p.player_name,
            "team": p.team_abbr,
            "position": p.position,
            "season": season,
            "as_of": date,
            "generated_at": generated_at,
            "games_played": int(t["games_played"]),
            "averages": {
                "points": num(t["points"]),
                "minutes": num(t["minutes"]),
                "rebounds": num(t["rebounds"]),
                "assists": num(t["assists"]),
                "three_pointers_made": num(t["three_pointers_made"]),
                "field_goal_pct": num(t["fg_pct"]),
                "free_throw_pct": num(t["ft_pct"]),
            },
            "form": published(form[p.player_lookup]),
            "splits": {
                "home": home,
                "away": away,
                "rest": rest,
                "last_10": last_10.get(p.player_lookup, EMPTY_SPLIT),
            },
            "game_log": logs[p.player_lookup],
            "prediction_record": {
                "picks": int(t["hits"] + t["misses"] + t["pushes"]),
                "hits": int(t["hits"]),
                "misses": int(t["misses"]),
                "pushes": int(t["pushes"]),
                "hit_rate": num(t["hit_rate"]),
            },
        }
        write_json(out, f"v1/players/{p.player_lookup}.json", profile)
        index.append(
            {
                "player_lookup": p.player_lookup,
                "player_name": p.player_name,
                "team": p.team_abbr,
                "games_played": profile["games_played"],
                "points_avg": profile["averages"]["points"],
            }
        )
    index.sort(key=lambda e: (e["player_name"], e["player_lookup"]))
    write_json(
        out,
        "v1/players/index.json",
        {"season": season, "as_of": date, "generated_at": generated_at,
         "min_games": MIN_GAMES, "players": index},
    )
    return len(index) + 1


# --- tonight-players -------------------------------------------------------------------------------


def defense_factor(opponent, rank):
    if rank is None:
        return {"factor": "opponent_defense", "direction": "neutral", "opponent": opponent,
                "defense_rank": None, "defense_tier": None, "ppg_allowed": None,
                "description": f"vs {opponent} (no defense data yet)"}
    direction = {"weak": "positive", "elite": "negative", "good": "negative"}.get(
        rank["tier"], "neutral"
    )
    return {
        "factor": "opponent_defense",
        "direction": direction,
        "opponent": opponent,
        "defense_rank": rank["rank"],
        "defense_tier": rank["tier"],
        "ppg_allowed": rank["ppg"],
        "description": f"vs {opponent} ({rank['tier']} defense, #{rank['rank']}, "
        f"allows {rank['ppg']:.2f} PPG)",
    }


def rest_factor(rest_days, games_7, minutes_7, minutes_3):
    if rest_days is None:
        direction, description = "neutral", "no earlier games this season"
    elif rest_days == 0:
        direction, description = "negative", "second night of a back-to-back"
    elif games_7 >= 4:
        direction, description = "negative", f"{games_7} games in the last 7 days"
    else:
        plural = "" if rest_days == 1 else "s"
        direction = "neutral"
        description = f"{rest_days} day{plural} of rest, {games_7} games in the last 7 days"
    return {
        "factor": "rest",
        "direction": direction,
        "rest_days": rest_days,
        "back_to_back": rest_days == 0,
        "games_last_7_days": games_7,
        "minutes_last_7_days": minutes_7,
        "minutes_last_3_avg": minutes_3,
        "description": description,
    }


def form_factor(form):
    last_5, season_avg = form["last_5_avg"], form["season_avg"]
    if last_5 is None or season_avg is None:
        return {"factor": "recent_form", "direction": "neutral", "last_5_avg": None,
                "season_avg": None, "difference": None,
                "description": "no earlier games this season"}
    # The rule tests the exact averages (with propcast's float tolerance); only the published
    # difference is rounded.
    season_exact, last_5_exact = form["_exact"]
    exact = last_5_exact - season_exact
    difference = float(round_away(exact, 1))
    tolerance = 1e-9 * max(1.0, FORM_TREND_POINTS)
    if exact >= FORM_TREND_POINTS - tolerance:
        direction, relation = "positive", f"{difference:.1f} above"
    elif -exact >= FORM_TREND_POINTS - tolerance:
        direction, relation = "negative", f"{-difference:.1f} below"
    else:
        direction, relation = "neutral", "in line with"
    return {
        "factor": "recent_form",
        "direction": direction,
        "last_5_avg": last_5,
        "season_avg": season_avg,
        "difference": difference,
        "description": f"averaging {last_5:.1f} over the last 5, {relation} "
        f"the season's {season_avg:.1f}",
    }


def tonight_players(conn, out, date, season, params, generated_at):
    games = pd.read_sql_query(TONIGHT_GAMES_SQL, conn, params=params)
    roster = pd.read_sql_query(TONIGHT_PLAYERS_SQL, conn, params=params)
    history = pd.read_sql_query(TONIGHT_HISTORY_SQL, conn, params=params)
    defense = pd.read_sql_query(TONIGHT_DEFENSE_SQL, conn, params=params)

    # Defenses ranked by points allowed (fewest first), ties by the last 10, then by team.
    defense = defense.sort_values(
        ["points_allowed_per_game", "points_allowed_last_10", "team_abbr"]
    ).reset_index(drop=True)
    defense["rank"] = defense.index + 1
    defense["tier"] = np.select(
        [defense["rank"] <= 5, defense["rank"] <= 10, defense["rank"] <= 20],
        ["elite", "good", "average"],
        "weak",
    )
    defense["ppg"] = round_away(defense["points_allowed_per_game"], 2)
    ranks = {
        d.team_abbr: {"rank": int(d.rank), "tier": d.tier, "ppg": float(d.ppg)}
        for d in defense.itertuples()
    }

    roster = roster.merge(games, on="game_id", how="left")
    roster["home"] = roster["team_abbr"] == roster["home_team_abbr"]
    roster["opponent"] = np.where(roster["home"], roster["away_team_abbr"],
                                  roster["home_team_abbr"])

    history = add_game_columns(history)
    form = form_stats(history)
    venue_rest = venue_and_rest(history)
    tonight_opponent = history["player_lookup"].map(
        roster.drop_duplicates("player_lookup").set_index("player_lookup")["opponent"]
    )
    vs_opponent = split_stats(
        history[history["opponent_team_abbr"] == tonight_opponent], "player_lookup"
    )

    # Fatigue: rest before tonight, the last 7 days' games and minutes, the last 3 games' minutes.
    days_ago = (pd.Timestamp(date) - history["day"]).dt.days
    last_game = days_ago.groupby(history["player_lookup"]).min()
    week = history[days_ago <= 7].groupby("player_lookup")["minutes_played"].agg(["size", "sum"])
    last_3 = history[history["from_end"] < 3].groupby("player_lookup")["minutes_played"].mean()
    last_3 = round_away(last_3, 1)

    written = set()
    for p in roster.itertuples(index=False):
        player = p.player_lookup
        player_form = form.get(player) or no_form()
        home, away, rest = venue_rest(player)
        rest_days = int(last_game[player]) - 1 if player in last_game.index else None
        if player in week.index:
            games_7 = int(week.at[player, "size"])
            minutes_7 = float(round_away(week.at[player, "sum"], 1))
        else:
            games_7, minutes_7 = 0, 0.0
        minutes_3 = num(last_3.get(player))
        prediction = None
        if not pd.isna(p.predicted_points) and not pd.isna(p.recommendation):
            prediction = {
                "predicted_points": float(round_away(p.predicted_points, 1)),
                "recommendation": p.recommendation,
                "confidence": num(round_away(p.confidence, 2)),
                "edge": num(round_away(p.predicted_points - p.points_line, 1)),
            }
        page = {
            "player_lookup": player,
            "player_name": p.player_name,
            "team": p.team_abbr,
            "position": p.position,
            "date": date,
            "season": season,
            "generated_at": generated_at,
            "games_played": player_form["games_played"],
            "limited_data": player_form["games_played"] < LIMITED_DATA_GAMES,
            "game": {
                "game_id": p.game_id,
                "opponent": p.opponent,
                "home_away": "HOME" if p.home else "AWAY",
            },
            "line": num(p.points_line),
            "prediction": prediction,
            "form": published(player_form),
            "factors": [
                defense_factor(p.opponent, ranks.get(p.opponent)),
                rest_factor(rest_days, games_7, minutes_7, minutes_3),
                form_factor(player_form),
            ],
            "splits": {
                "home": home,
                "away": away,
                "rest": rest,
                "vs_opponent": vs_opponent.get(player, EMPTY_SPLIT),
            },
        }
        write_json(out, f"v1/tonight/player/{player}.json", page)
        written.add(f"{player}.json")

    # The folder is a replaced set: only tonight's players keep a page.
    for stale in os.listdir(out / "v1/tonight/player"):
        if stale not in written:
            os.remove(out / "v1/tonight/player" / stale)
    return len(written)


# --- The run ---------------------------------------------------------------------------------------


def parse_date(text):
    try:
        if len(text) != 10:
            raise ValueError
        return dt.datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise argparse.ArgumentTypeError(f"`{text}` is not a date YYYY-MM-DD") from None


def main():
    started = time.perf_counter()
    parser = argparse.ArgumentParser(
        description="Publish streaks, player-profiles and tonight-players for every date of a "
        "range with pandas: the reference propcast's backfill is measured against."
    )
    parser.add_argument("--db", required=True, type=Path, help="the SQLite warehouse")
    parser.add_argument("--from", dest="first", required=True, type=parse_date, metavar="DATE")
    parser.add_argument("--to", dest="last", required=True, type=parse_date, metavar="DATE")
    parser.add_argument("--out", required=True, type=Path, help="the folder to write into")
    parser.add_argument("--game-days", action="store_true",
                        help="only the dates with games in `schedule`")
    parser.add_argument("--generated-at", metavar="TIMESTAMP",
                        help="the documents' generated_at [default: now, UTC]")
    args = parser.parse_args()
    if args.first > args.last:
        parser.error(f"--from {args.first} is after --to {args.last}")
    if not args.db.is_file():
        parser.error(f"--db {args.db}: no such file")
    generated_at = args.generated_at or dt.datetime.now(dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    try:
        for folder in ["v1/streaks", "v1/players", "v1/tonight/player"]:
            (args.out / folder).mkdir(parents=True, exist_ok=True)
    except OSError as e:
        parser.error(f"--out {args.out}: {e}")

    conn = sqlite3.connect(f"{args.db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        if args.game_days:
            dates = pd.read_sql_query(
                GAME_DAYS_SQL, conn,
                params={"from_date": args.first.isoformat(), "to_date": args.last.isoformat()},
            )["game_date"].tolist()
        else:
            days = (args.last - args.first).days + 1
            dates = [(args.first + dt.timedelta(days=n)).isoformat() for n in range(days)]
        documents = 0
        for date in dates:
            season, season_start = season_of(dt.date.fromisoformat(date))
            params = {"date": date, "season": season, "season_start": season_start}
            for exporter in (streaks, player_profiles, tonight_players):
                documents += exporter(conn, args.out, date, season, params, generated_at)
    except (sqlite3.Error, pd.errors.DatabaseError) as e:
        sys.exit(f"error: reading {args.db}: {e.__cause__ or e}")
    finally:
        conn.close()
    print(f"{len(dates)} dates, {documents} documents, {time.perf_counter() - started:.2f} s")


if __name__ == "__main__":
    main()
