// HDR histogram record cost. Goal (issue 2): under 5 ns per record.
//   build/bench/bench_hdr --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "llmbench/metrics/hdr_codec.hpp"
#include "llmbench/metrics/hdr_histogram.hpp"

namespace {

std::vector<std::int64_t> latency_values(std::size_t n) {
  std::mt19937_64 rng(42);
  std::lognormal_distribution<double> dist(17.0, 1.0);  // ~24 ms median, in ns
  std::vector<std::int64_t> values(n);
  for (auto& v : values) {
    v = static_cast<std::int64_t>(dist(rng));
  }
  return values;
}

void BM_HdrRecord(benchmark::State& state) {
  auto h = llmbench::metrics::HdrHistogram::for_latency_ns();
  const auto values = latency_values(1 << 16);
  std::size_t i = 0;
  for (auto _ : state) {
    h.record(values[i++ & 0xffff]);
  }
  benchmark::DoNotOptimize(h.count());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_HdrRecord);

void BM_HdrValueAtPercentile(benchmark::State& state) {
  auto h = llmbench::metrics::HdrHistogram::for_latency_ns();
  for (const auto v : latency_values(1 << 20)) {
    h.record(v);
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(h.value_at_percentile(99.0));
  }
}
BENCHMARK(BM_HdrValueAtPercentile);

void BM_HdrEncodeBase64(benchmark::State& state) {
  auto h = llmbench::metrics::HdrHistogram::for_latency_ns();
  for (const auto v : latency_values(1 << 20)) {
    h.record(v);
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(llmbench::metrics::encode_base64(h));
  }
}
BENCHMARK(BM_HdrEncodeBase64);

}  // namespace

BENCHMARK_MAIN();
