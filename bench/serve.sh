#!/usr/bin/env bash
# `llmbench serve` throughput: a history of N runs (default 10,000: one real run of 50
# requests copied N times with SQL), then GET /api/v1/runs pages (50 runs each, walking the
# cursors) and GET /api/v1/runs/{id}/requests pages (100 rows), fetched by curl with 32
# connections in parallel. Prints requests/s and the mean time per request for each.
#   bench/serve.sh [runs] [requests per endpoint]     (default: 10000 2000)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$here/build}"
runs="${1:-10000}"
count="${2:-2000}"
work="$(mktemp -d)"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
db="$work/history.db"
cat >"$work/suite.toml" <<SUITE
[suite]
name = "serve-bench"
[load]
mode = "concurrency"
concurrency = 8
requests = 50
[[targets]]
name = "m"
provider = "mock"
mock = { ttft = "1ms", itl = "0ms", output_tokens = 4 }
[[prompts]]
id = "p"
messages = [{ role = "user", content = "hi" }]
SUITE
"$build/llmbench" --quiet --db "$db" run "$work/suite.toml" --no-report >/dev/null
seed="$(sqlite3 "$db" "SELECT id FROM runs LIMIT 1")"
# N-1 copies of the run (ids ordered like UUIDv7s, a minute apart), with its targets and rows.
sqlite3 "$db" <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $runs - 1)
INSERT INTO runs (id, suite_name, suite_path, suite_hash, suite_text, llmbench_version, host,
                  git_commit, tags_json, load_json, started_at_ms, ended_at_ms, status)
SELECT printf('%s-%08d', substr(id, 1, 27), i), suite_name, suite_path, suite_hash, suite_text,
       llmbench_version, host, git_commit, tags_json, load_json, started_at_ms - i * 60000,
       ended_at_ms - i * 60000, status
FROM runs, n WHERE runs.id = '$seed';
INSERT INTO run_targets (run_id, target, provider, model, base_url, region)
SELECT r.id, t.target, t.provider, t.model, t.base_url, t.region
FROM runs r, run_targets t WHERE t.run_id = '$seed' AND r.id <> '$seed';
INSERT INTO requests SELECT * FROM requests WHERE 0;
SQL
cols="$(sqlite3 "$db" "SELECT group_concat(name, ', ') FROM pragma_table_info('requests') WHERE name <> 'run_id'")"
sqlite3 "$db" "INSERT INTO requests (run_id, $cols) SELECT r.id, $cols FROM runs r, requests q WHERE q.run_id = '$seed' AND r.id <> '$seed'"
# Each copy ended as the seed did, so it keeps the seed's request counts (the store keeps them
# on the row when a run ends; rows stored after that, as above, clear them).
sqlite3 "$db" "UPDATE runs SET (n_requests, n_errors, n_warmup) = (SELECT n_requests, n_errors, n_warmup FROM runs WHERE id = '$seed') WHERE id <> '$seed'"
echo "history: $(sqlite3 "$db" "SELECT COUNT(*) FROM runs") runs, $(sqlite3 "$db" "SELECT COUNT(*) FROM requests") request rows ($(du -h "$db" | cut -f1))"
"$build/llmbench" --db "$db" serve --port 0 >"$work/serve.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  grep -q "listening on" "$work/serve.out" 2>/dev/null && break
  sleep 0.1
done
base="$(sed -n 's/.*(base URL \(http[^)]*\)).*/\1/p' "$work/serve.out" | head -1)"
# The runs pages: every page's cursor, walked once, then asked for in turn.
cursor=""
: >"$work/runs.urls"
while :; do
  url="$base/api/v1/runs?limit=50${cursor:+&cursor=$cursor}"
  printf 'url = "%s"\noutput = "/dev/null"\n' "$url" >>"$work/runs.urls"
  cursor="$(curl -s "$url" | sed -n 's/.*"next_cursor":"\([^"]*\)".*/\1/p')"
  [[ -z $cursor || $(wc -l <"$work/runs.urls") -ge 400 ]] && break
done
: >"$work/requests.urls"
for id in $(sqlite3 "$db" "SELECT id FROM runs ORDER BY random() LIMIT 200"); do
  printf 'url = "%s"\noutput = "/dev/null"\n' "$base/api/v1/runs/$id/requests?limit=100" >>"$work/requests.urls"
done
measure() {  # name, url file
  : >"$work/all.urls"
  while [[ $(wc -l <"$work/all.urls") -lt $((2 * count)) ]]; do cat "$2" >>"$work/all.urls"; done
  head -n "$((2 * count))" "$work/all.urls" >"$work/n.urls"
  local start end
  start=$(date +%s.%N)
  curl -s --no-progress-meter -Z --parallel-max 32 --config "$work/n.urls" -w '%{http_code}\n' >"$work/codes"
  end=$(date +%s.%N)
  local bad
  bad=$(grep -vc '^200$' "$work/codes" || true)
  awk -v n="$count" -v s="$start" -v e="$end" -v name="$1" -v bad="$bad" \
    'BEGIN { printf "%-34s %6d requests  %8.0f requests/s  %6.2f ms each  (%d not 200)\n", name, n, n / (e - s), 1000 * (e - s) / n, bad }'
}
measure "GET /api/v1/runs (50 a page)" "$work/runs.urls"
measure "GET /api/v1/runs/{id}/requests" "$work/requests.urls"
