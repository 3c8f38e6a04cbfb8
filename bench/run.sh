#!/usr/bin/env bash
# A whole `llmbench run` against the in-process mock with zero scripted delay: peak memory
# (from /usr/bin/time) at each request count, and how long the reports take after the last
# request. Goals (issues 4 and 14): peak memory the same at 1e5 and 1e6 requests (within
# 10%); every report written within 1 s after the last request at 1e6.
#   bench/run.sh [requests...]     (default: 10000 100000; the issue's: 10000 100000 1000000)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$here/build}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
counts=("$@")
[[ ${#counts[@]} -gt 0 ]] || counts=(10000 100000)
for requests in "${counts[@]}"; do
  {
    sed "s/REQUESTS/$requests/" "$here/bench/suites/run_100k.toml" >"$work/suite.toml"
    /usr/bin/time -f "%M" -o "$work/rss" "$build/llmbench" --quiet --db "$work/$requests.db" \
      run "$work/suite.toml" --out "$work/report-$requests" >"$work/out" 2>&1 || {
      cat "$work/out"; exit 1; }
    rows="$(sqlite3 "$work/$requests.db" 'SELECT COUNT(*) FROM requests')"
    wall="$(sqlite3 "$work/$requests.db" 'SELECT (ended_at_ms - started_at_ms) / 1000.0 FROM runs')"
    reports="$(sed -n 's/.*files, \([0-9.]*\) s after the last request.*/\1/p' "$work/out")"
    awk -v n="$requests" -v rows="$rows" -v wall="$wall" -v rss="$(cat "$work/rss")" \
      -v reports="$reports" 'BEGIN { printf "%8d requests: %d rows stored, run %.1f s (%.0f req/s), peak RSS %.1f MiB, reports %s s after the last request\n", n, rows, wall, n / wall, rss / 1024, reports }' 
  }
done
