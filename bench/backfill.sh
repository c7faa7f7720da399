#!/usr/bin/env bash
# Backfill cost, measured side by side on the sample warehouse (docs/performance.md):
#   1. one `propcast run` process per date (the way before `backfill`), serially;
#   2. `propcast backfill --jobs 1`;
#   3. `propcast backfill` with the default jobs (one per core).
# Usage: bench/backfill.sh [FROM] [TO] (default: the 2023-24 season of a 4-season warehouse).
# Needs `cargo xtask plugins && cargo build --release` first. Prints wall time, peak RSS, user
# and system CPU for each, and the backfills' own summaries.
set -euo pipefail
cd "$(dirname "$0")/.."
from=${1:-2023-10-01}
to=${2:-2024-04-30}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
propcast=target/release/propcast
common=(--db "$work/w.sqlite" --plugins target/plugins --cache-dir "$work/cache"
        --generated-at 2024-04-10T12:00:00Z)
$propcast sample-data --seasons 4 --out "$work/w.sqlite" >/dev/null
$propcast precompile --plugins target/plugins --cache-dir "$work/cache" >/dev/null
measure() { /usr/bin/time -f "  %e s wall, %M KB peak RSS, %U s user, %S s system" "$@"; }

$propcast backfill --from "$from" --to "$to" --game-days --only results "${common[@]}" \
    --out "$work/dates" >/dev/null
dates=$(ls "$work/dates/runs" | grep '^[0-9]')
echo "$(echo "$dates" | wc -l) game dates from $from to $to"

echo "one propcast run per date:"
measure bash -c "for d in $(echo $dates); do $propcast run --jobs 1 --date \$d ${common[*]} \
    --out $work/o1 >/dev/null || exit 1; done"
echo "backfill --jobs 1:"
measure $propcast backfill --jobs 1 --from "$from" --to "$to" --game-days "${common[@]}" \
    --out "$work/o2" | tail -2
echo "backfill (one job per core):"
measure $propcast backfill --from "$from" --to "$to" --game-days "${common[@]}" \
    --out "$work/o3" | tail -2
