#!/usr/bin/env bash
# BLAKE3 against Debian's b3sum (single thread) on 1 KiB and 1 MiB, then bench_cache.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$here/build}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
head -c 1024 /dev/urandom >"$work/1k"
head -c 1048576 /dev/urandom >"$work/1m"
for f in 1k 1m; do
  # b3sum's own time over many runs, process start-up included (it has no in-process loop).
  n=$([[ $f == 1k ]] && echo 2000 || echo 200)
  start=$(date +%s.%N)
  for _ in $(seq "$n"); do b3sum --num-threads 1 --no-names "$work/$f" >/dev/null; done
  end=$(date +%s.%N)
  awk -v n="$n" -v s="$start" -v e="$end" -v f="$f" \
    'BEGIN { printf "b3sum --num-threads 1, %s: %.1f us per file (process start included)\n", f, (e - s) / n * 1e6 }'
done
# b3sum's hashing speed alone: a large file, so start-up does not count.
head -c 268435456 /dev/zero >"$work/256m"
start=$(date +%s.%N); b3sum --num-threads 1 --no-names "$work/256m" >/dev/null; end=$(date +%s.%N)
awk -v s="$start" -v e="$end" 'BEGIN { printf "b3sum --num-threads 1, 256 MiB: %.0f MB/s\n", 268.435456 / (e - s) }'
"$build/bench/bench_cache" --benchmark_min_time=1
