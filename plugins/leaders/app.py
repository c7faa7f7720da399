"""The `leaders` exporter, in Python: the top scorers of the last 7 days and the players most
often OVER their points line this month, as `v1/leaders/<date>.json` and `v1/leaders/today.json`.

Built into a WebAssembly component by componentize-py against `wit/exporter.wit` (world
`exporter`), it runs in the unchanged host like the Rust exporters. It has no SDK, so it
answers `describe` itself, reads the tables column by column as the contract sends them, and
follows the contract's panic protocol: an unexpected exception is logged as `panic: …` at
error level before the component traps.

- Top scorers: games from 7 days before the date up to the day before it; by points, then
  games, then player; `points_per_game` rounded to 1 place (halves away from zero).
- Most OVER: games of the date's calendar month before the date that had a line; a game is OVER
  when points exceed the line; only players with at least `min-lines` such games; by OVERs,
  then OVER percentage, then player; `over_pct` rounded to 1 place.
"""

import datetime
import json
import math
import traceback

from componentize_py_types import Err
from wit_world import exports
from wit_world.imports import log, types

NAME = "leaders"
VERSION = "0.1.0"

GAMES_SQL = """
SELECT g.player_lookup,
       p.player_name,
       g.team_abbr,
       g.game_date,
       g.points,
       l.points_line
FROM player_game_summary AS g
JOIN players AS p
  ON p.player_lookup = g.player_lookup AND p.season = g.season
LEFT JOIN points_prop_lines AS l
  ON l.game_id = g.game_id AND l.player_lookup = g.player_lookup
WHERE g.season = @season
  AND g.game_date >= @season_start
  AND g.game_date < @date
ORDER BY g.game_date, g.player_lookup
"""


class BadInput(Exception):
    """The tables or options are not what the exporter needs."""


class Plugin(exports.Plugin):
    def describe(self) -> types.Manifest:
        return types.Manifest(
            name=NAME,
            version=VERSION,
            description="The top scorers of the last 7 days and the players most often OVER "
            "their points line this month",
            queries=[types.Query(name="games", sql=GAMES_SQL, season_to_date="game_date")],
            params=[
                types.Param(
                    name="top",
                    type=types.ParamType.INT64,
                    default="10",
                    description="How many players each list holds",
                ),
                types.Param(
                    name="min-lines",
                    type=types.ParamType.INT64,
                    default="3",
                    description="Fewest games with a line this month for the OVER list",
                ),
            ],
            outputs=[types.Output(path="v1/leaders/", replace_set=False)],
        )

    def run(self, ctx: types.Context, tables: list) -> list:
        try:
            return documents(ctx, tables)
        except BadInput as error:
            raise Err(types.ExportError_BadInput(types.ErrorInfo(message=str(error), hint=None)))
        except Exception:
            # The contract's panic protocol: say why before the component traps.
            log.log(log.Level.ERROR, "panic: " + traceback.format_exc().strip())
            raise


def documents(ctx: types.Context, tables: list) -> list:
    params = dict(ctx.params)
    top = whole_number(params, "top")
    min_lines = whole_number(params, "min-lines")
    games = rows_of(tables, "games")
    date = datetime.date.fromisoformat(ctx.date)
    week_from = (date - datetime.timedelta(days=7)).isoformat()
    month = ctx.date[:7]

    scorers = {}
    overs = {}
    for game in games:
        player = game["player_lookup"]
        if game["game_date"] >= week_from:
            entry = scorers.setdefault(player, leader(game, games=0, points=0))
            entry["team"] = game["team_abbr"]
            entry["games"] += 1
            entry["points"] += game["points"]
        if game["game_date"].startswith(month) and game["points_line"] is not None:
            entry = overs.setdefault(player, leader(game, games_with_line=0, overs=0))
            entry["team"] = game["team_abbr"]
            entry["games_with_line"] += 1
            if game["points"] > game["points_line"]:
                entry["overs"] += 1

    top_scorers = sorted(
        scorers.values(), key=lambda e: (-e["points"], -e["games"], e["player_lookup"])
    )[:top]
    for entry in top_scorers:
        entry["points_per_game"] = round_half_away(entry["points"] / entry["games"], 1)
    most_overs = [e for e in overs.values() if e["games_with_line"] >= min_lines]
    for entry in most_overs:
        entry["over_pct"] = round_half_away(100 * entry["overs"] / entry["games_with_line"], 1)
    most_overs = sorted(
        most_overs, key=lambda e: (-e["overs"], -e["over_pct"], e["player_lookup"])
    )[:top]

    document = {
        "date": ctx.date,
        "generated_at": ctx.generated_at,
        "scoring_window": {"from": week_from, "to": ctx.date},
        "over_window": {"from": month + "-01", "to": ctx.date},
        "top_scorers": top_scorers,
        "most_overs": most_overs,
    }
    log.log(
        log.Level.INFO,
        f"{len(top_scorers)} top scorers, {len(most_overs)} players most often OVER",
    )
    body = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()
    return [
        types.Document(path=f"v1/leaders/{ctx.date}.json", body=body, kind=types.DocumentKind.DATED),
        types.Document(path="v1/leaders/today.json", body=body, kind=types.DocumentKind.ALIAS),
    ]


def whole_number(params: dict, name: str) -> int:
    """Option `name`, which the host has checked is an int64, refused when negative."""
    value = int(params[name])
    if value < 0:
        raise BadInput(f"option `{name}` is {value}; it must be 0 or more")
    return value


def leader(game: dict, **counts) -> dict:
    return {
        "player_lookup": game["player_lookup"],
        "player_name": game["player_name"],
        "team": game["team_abbr"],
        **counts,
    }


def round_half_away(value: float, places: int) -> float:
    """`value` rounded to `places` with halves away from zero, as the Rust SDK's `round`."""
    factor = 10**places
    scaled = value * factor
    rounded = math.floor(abs(scaled) + 0.5) * (1 if scaled >= 0 else -1)
    return rounded / factor + 0.0


NEEDED = ("player_lookup", "player_name", "team_abbr", "game_date", "points", "points_line")


def rows_of(tables: list, name: str) -> list:
    """The rows of table `name` as dicts of the columns the exporter reads, NULL as None."""
    table = next((t for t in tables if t.name == name), None)
    if table is None:
        raise BadInput(f"there is no table `{name}`")
    columns = {}
    for column in table.columns:
        if column.name in NEEDED:
            columns[column.name] = values_of(column, table.row_count)
    missing = [c for c in NEEDED if c not in columns]
    if missing and table.row_count > 0:
        raise BadInput(f"table `{name}` has no column " + ", ".join(f"`{c}`" for c in missing))
    return [
        {c: columns[c][row] for c in NEEDED if c in columns} for row in range(table.row_count)
    ]


def values_of(column: types.Column, rows: int) -> list:
    data = column.data
    if isinstance(data, (types.ColumnData_Text, types.ColumnData_Date)):
        strings = data.value.values
        values = [strings[code] for code in data.value.codes]
    elif isinstance(data, types.ColumnData_Boolean):
        values = [b != 0 for b in data.value]
    else:
        values = list(data.value)
    for row in column.nulls:
        values[row] = None
    return values
