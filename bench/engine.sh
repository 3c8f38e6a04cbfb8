#!/usr/bin/env bash
# Engine capacity and timing accuracy against `llmbench mock` in its own process, so the
# client's CPU and memory are measured alone. Usage (after scripts/test or a build):
#   bench/engine.sh capacity [requests] [concurrency] [extra bench_engine flags]
#   bench/engine.sh accuracy [streams,...] [requests per stream] [extra bench_engine flags]
# capacity defaults: 1,000,000 requests, 256 concurrent, 64 tokens each, no scripted delay.
# accuracy defaults: 1, 100 and 1,000 streams, 4 requests per stream (50 at 1 stream).
# The mock runs with MOCK_THREADS threads (default: half the cores, at least one: the client
# needs a core of its own, or its error is the scheduler's), PROTOCOLS (default both).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$here/build}"
mode="${1:-capacity}"
args=()
if [[ "$mode" == capacity ]]; then
  args=(--requests "${2:-1000000}" --concurrency "${3:-256}")
elif [[ "$mode" == accuracy ]]; then
  args=(--streams "${2:-1,100,1000}" --requests-per-stream "${3:-4}")
else
  echo "usage: bench/engine.sh capacity|accuracy ..." >&2
  exit 2
fi
extra=("${@:4}")
mock_threads="${MOCK_THREADS:-$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))}"
log="$(mktemp)"
"$build/llmbench" mock --port 0 --threads "$mock_threads" >"$log" 2>&1 &
mock=$!
trap 'kill $mock 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$log" && break
  sleep 0.05
done
port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log")"
[[ -n "$port" ]] || { cat "$log"; exit 1; }
echo "mock on port $port (pid $mock, $mock_threads threads); $(nproc) cores"
for protocol in ${PROTOCOLS:-openai anthropic}; do
  echo "== $mode, $protocol"
  "$build/bench/bench_engine" --mode "$mode" --protocol "$protocol" \
    --base-url "http://127.0.0.1:$port/v1" --mock-pid "$mock" --mock-threads "$mock_threads" "${args[@]}" "${extra[@]}"
done
mock_cpu="$(ps -o times= -p $mock | tr -d ' ')"
echo "mock process CPU seconds: $mock_cpu"
