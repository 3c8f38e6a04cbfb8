#!/usr/bin/env bash
# Engine capacity and timing accuracy against `llmbench mock` in its own process, so the
# client's CPU and memory are measured alone. Usage (after scripts/test or a build):
#   bench/engine.sh [capacity|accuracy] [requests] [concurrency] [extra bench_engine flags]
# capacity defaults: 1,000,000 requests, 256 concurrent, 64 tokens each, no scripted delay.
# accuracy defaults: 2,000 requests at 100 concurrent (and 100 at 1, the platform's floor).
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$here/build}"
mode="${1:-capacity}"
if [[ "$mode" == capacity ]]; then
  requests="${2:-1000000}"; concurrency="${3:-256}"
else
  requests="${2:-2000}"; concurrency="${3:-100}"
fi
extra=("${@:4}")
log="$(mktemp)"
"$build/llmbench" mock --port 0 --threads "${MOCK_THREADS:-1}" >"$log" 2>&1 &
mock=$!
trap 'kill $mock 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  grep -q "listening on" "$log" && break
  sleep 0.05
done
port="$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) .*/\1/p' "$log")"
[[ -n "$port" ]] || { cat "$log"; exit 1; }
echo "mock on port $port (pid $mock); $(nproc) cores"
for protocol in ${PROTOCOLS:-openai anthropic}; do
  echo "== $mode, $protocol"
  "$build/bench/bench_engine" --mode "$mode" --protocol "$protocol" \
    --base-url "http://127.0.0.1:$port/v1" --requests "$requests" --concurrency "$concurrency" "${extra[@]}"
done
mock_cpu="$(ps -o times= -p $mock | tr -d ' ')"
echo "mock process CPU seconds: $mock_cpu"
