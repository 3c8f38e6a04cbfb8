#!/usr/bin/env bash
# The response cache in a whole `llmbench run`: record a run against the in-process mock,
# then replay it from the cache (no network) with --replay-timing none, at 10,000 and
# 100,000 requests: requests/s and peak memory. Compare bench/run.sh (the same suite sent).
#   bench/replay.sh [requests...]     (default: 10000 100000)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$here/build}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
counts=("$@")
[[ ${#counts[@]} -gt 0 ]] || counts=(10000 100000)
sed "s/REQUESTS/1000/" "$here/bench/suites/run_100k.toml" >"$work/record.toml"
"$build/llmbench" --quiet --db "$work/record.db" run "$work/record.toml" --no-report \
  --cache-mode record --cache "$work/cache.db" >/dev/null
for requests in "${counts[@]}"; do
  sed "s/REQUESTS/$requests/" "$here/bench/suites/run_100k.toml" >"$work/suite.toml"
  /usr/bin/time -f "%M" -o "$work/rss" "$build/llmbench" --quiet --db "$work/$requests.db" \
    run "$work/suite.toml" --no-report --cache-mode replay --cache "$work/cache.db" \
    >"$work/out" 2>&1 || { cat "$work/out"; exit 1; }
  replayed="$(sqlite3 "$work/$requests.db" 'SELECT SUM(replayed) FROM requests')"
  wall="$(sqlite3 "$work/$requests.db" 'SELECT (ended_at_ms - started_at_ms) / 1000.0 FROM runs')"
  awk -v n="$requests" -v r="$replayed" -v wall="$wall" -v rss="$(cat "$work/rss")" \
    'BEGIN { printf "%8d requests: %d replayed, run %.2f s (%.0f req/s), peak RSS %.1f MiB\n", n, r, wall, n / wall, rss / 1024 }'
done
