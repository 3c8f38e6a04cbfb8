#!/usr/bin/env bash
# What `llmbench proxy` adds to a stream: the same suite run straight at a `llmbench mock`
# (50 ms TTFT, 32 tokens 5 ms apart) and through the proxy (a session key, an alias for the
# mock), at 1, 100 and 500 concurrent streams. Prints the client's TTFT p50/p99 both ways and
# the difference, the proxy's own overhead per request as it stores it (time to the first
# token's write to the client, less the upstream's TTFT) and the proxy's CPU per request.
# Everything runs on this machine: at 500 streams the client, the proxy and the mock share
# its cores, and the figures say so.
#   bench/proxy.sh [requests per stream slot] (default 4: 4, 400 and 2000 requests)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$here/build}"
per_slot="${1:-4}"
work="$(mktemp -d)"
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
wait_line() {
  for _ in $(seq 100); do
    grep -q "listening on" "$1" 2>/dev/null && return
    sleep 0.1
  done
  cat "$1"
  exit 1
}
ulimit -n 8192 2>/dev/null || true
"$build/llmbench" mock --port 0 --ttft 50ms --itl 5ms --output-tokens 32 >"$work/mock.out" 2>&1 &
pids+=($!)
wait_line "$work/mock.out"
mock_url="$(sed -n 's/.*(base URL \(http[^)]*\)).*/\1/p' "$work/mock.out" | head -1)"
cat >"$work/proxy.toml" <<TOML
[[models]]
alias = "m"
provider = "mock"
base_url = "$mock_url"
[[variants]]
name = "bench"
model = "m"
harness = "openai-sdk"
TOML
"$build/llmbench" --db "$work/proxy.db" proxy --config "$work/proxy.toml" --port 0 \
  >"$work/proxy.out" 2>&1 &
proxy=$!
pids+=($proxy)
wait_line "$work/proxy.out"
proxy_url="$(sed -n 's/.*(base URL \(http[^)]*\)).*/\1/p' "$work/proxy.out" | head -1)"
key="$("$build/llmbench" --db "$work/proxy.db" session create --config "$work/proxy.toml" \
  --variant bench | sed -n 's/^export LLMBENCH_SESSION_KEY=//p')"
export LLMBENCH_BENCH_KEY="$key"
ticks="$(getconf CLK_TCK)"
cpu() { awk '{ print $14 + $15 }' "/proc/$proxy/stat"; }
printf '%-8s %8s | %-17s | %-17s | %-17s | %-19s | %s\n' "streams" "requests" \
  "direct TTFT p50/p99" "proxied p50/p99" "difference" "stored overhead" "proxy CPU/request"
for streams in 1 100 500; do
  requests=$((streams * per_slot))
  [[ $requests -lt 200 ]] && requests=200
  for via in direct proxied; do
    url="$mock_url"
    [[ $via == proxied ]] && url="$proxy_url/v1"
    cat >"$work/$via.toml" <<SUITE
[suite]
name = "proxy-bench-$via"
[defaults]
max_tokens = 32
[load]
mode = "concurrency"
concurrency = $streams
requests = $requests
warmup = $((streams < 20 ? 20 : streams))
timeout = "60s"
[[targets]]
name = "$via"
provider = "openai"
model = "m"
base_url = "$url"
api_key_env = "LLMBENCH_BENCH_KEY"
[[prompts]]
id = "p"
messages = [{ role = "user", content = "Write one sentence about the sea." }]
SUITE
    before="$(cpu)"
    seen_before="$(sqlite3 "$work/proxy.db" "SELECT COALESCE(MAX(seq), 0) FROM requests")"
    "$build/llmbench" --quiet --db "$work/$via-$streams.db" run "$work/$via.toml" --no-report \
      >"$work/$via.out" 2>&1 || { cat "$work/$via.out"; exit 1; }
    after="$(cpu)"
    sqlite3 "$work/$via-$streams.db" "SELECT t_first_token_ns - t_send_ns FROM requests WHERE warmup = 0 AND error_class IS NULL ORDER BY 1" >"$work/$via.ttft"
    if [[ $via == proxied ]]; then
      cpu_ticks=$((after - before))
      sqlite3 "$work/proxy.db" "SELECT (p.t_client_first_ns - p.t_recv_ns) - (r.t_first_token_ns - r.t_send_ns) FROM requests r JOIN proxy_requests p USING (run_id, seq) WHERE r.seq > $seen_before AND r.error_class IS NULL ORDER BY 1" >"$work/overhead"
      proxied_count="$(sqlite3 "$work/proxy.db" "SELECT COUNT(*) FROM requests WHERE seq > $seen_before")"
    fi
  done
  q() { awk -v p="$2" '{ v[NR] = $1 } END { i = int(p * NR); if (i < p * NR) i++; if (i < 1) i = 1; printf "%.2f", v[i] / 1e6 }' "$1"; }
  d50="$(q "$work/direct.ttft" 0.5)"; d99="$(q "$work/direct.ttft" 0.99)"
  p50="$(q "$work/proxied.ttft" 0.5)"; p99="$(q "$work/proxied.ttft" 0.99)"
  o50="$(q "$work/overhead" 0.5)"; o99="$(q "$work/overhead" 0.99)"
  per_request="$(awk -v t="$cpu_ticks" -v hz="$ticks" -v n="$proxied_count" 'BEGIN { printf "%.3f ms", 1000 * t / hz / n }')"
  printf '%-8s %8s | %7s / %7s | %7s / %7s | %+7.2f / %+7.2f | %7s / %7s ms | %s\n' "$streams" \
    "$requests" "$d50" "$d99" "$p50" "$p99" "$(echo "$p50 - $d50" | bc)" "$(echo "$p99 - $d99" | bc)" \
    "$o50" "$o99" "$per_request"
done
