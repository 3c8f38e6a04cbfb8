#!/usr/bin/env bash
# What a route buys and costs: two members with heavy-tailed TTFT (lognormal, plus a rare
# 1 s spike) on a `llmbench mock` of their own, each measured alone, then through a
# sequential route, hedged at once (f3dx-router's race), hedged after the route's own p95,
# and hedged after the p95 with a 5% budget: one run each, same prompts, same load. Prints
# TTFT p50/p99/p99.9 (ms), the extra load (attempts per request - 1) and the cost per
# 1,000 requests (members priced at $0.15 / $0.60 per 1M input / output tokens).
#   bench/route.sh [requests] [concurrency]     (default: 4000 8)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$here/build}"
requests="${1:-4000}"
concurrency="${2:-8}"
work="$(mktemp -d)"
"$build/llmbench" mock --port 0 --itl 2ms --output-tokens 32 >"$work/mock.out" 2>&1 &
mock=$!
trap 'kill $mock 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do
  grep -q "listening on" "$work/mock.out" 2>/dev/null && break
  sleep 0.1
done
base="$(sed -n 's/.*(base URL \(http[^)]*\)).*/\1/p' "$work/mock.out" | head -1)"
tail='lognormal:40ms,0.5+spike:2%,1s'
cat >"$work/suite.toml" <<SUITE
[suite]
name = "route-bench"
[defaults]
max_tokens = 32
[load]
mode = "concurrency"
concurrency = $concurrency
requests = $requests
warmup = 50
[[targets]]
name = "a"
provider = "openai"
model = "a"
base_url = "$base"
headers = { "x-mock-ttft" = "$tail" }
price = { input = 0.15, output = 0.60 }
[[targets]]
name = "b"
provider = "openai"
model = "b"
base_url = "$base"
headers = { "x-mock-ttft" = "$tail" }
price = { input = 0.15, output = 0.60 }
[[routes]]
name = "sequential"
policy = "sequential"
members = ["a", "b"]
[[routes]]
name = "hedged-0ms"
policy = "hedged"
members = ["a", "b"]
hedge_delay = "0ms"
[[routes]]
name = "hedged-p95"
policy = "hedged"
members = ["a", "b"]
hedge_delay = "p95"
[[routes]]
name = "hedged-p95-5pct"
policy = "hedged"
members = ["a", "b"]
hedge_delay = "p95"
max_extra_load = 0.05
[[prompts]]
id = "p"
messages = [{ role = "user", content = "Write one sentence about the sea." }]
SUITE
printf '%-16s %9s %9s %9s %11s %12s\n' "measured" "p50 ms" "p99 ms" "p99.9 ms" "extra load" "$/1k req"
for unit in a b sequential hedged-0ms hedged-p95 hedged-p95-5pct; do
  db="$work/$unit.db"
  "$build/llmbench" --quiet --db "$db" run "$work/suite.toml" --target "$unit" --no-report \
    >"$work/$unit.out" 2>&1 || { cat "$work/$unit.out"; exit 1; }
  sqlite3 "$db" "SELECT t_first_token_ns - t_send_ns FROM requests WHERE target = '$unit' AND warmup = 0 AND error_class IS NULL ORDER BY 1" >"$work/ttft"
  stats="$(sqlite3 "$db" "SELECT COUNT(*), COALESCE(SUM(cost_usd), 0) FROM requests WHERE target = '$unit' AND warmup = 0")"
  attempts="$(sqlite3 "$db" "SELECT COUNT(*) FROM route_attempts a JOIN requests r USING (run_id, seq, attempt) WHERE r.warmup = 0")"
  awk -v unit="$unit" -v stats="$stats" -v attempts="$attempts" '
    { v[NR] = $1 }
    function q(p,   i) { i = int(p * NR); if (i < p * NR) i++; if (i < 1) i = 1; return v[i] / 1e6 }
    END {
      split(stats, s, "|"); n = s[1]; cost = s[2]
      extra = attempts > 0 ? sprintf("%.1f%%", 100 * (attempts - n) / n) : "-"
      printf "%-16s %9.1f %9.1f %9.1f %11s %12.4f\n", unit, q(0.50), q(0.99), q(0.999), extra, 1000 * cost / n
    }' "$work/ttft"
done
