#include <cmath>
#include <cstdio>
#include <random>
#include "llmbench/report/diff.hpp"

// How often report diff calls a true p50 shift a regression at the default thresholds
// (lognormal latencies, sigma 0.25; 50 seeded pairs per cell). Quoted in docs/ci.md.
//   build/bench/bench_diff
using namespace llmbench;
std::vector<double> lat(double m, size_t n, uint64_t seed) {
  std::mt19937_64 r(seed);
  std::lognormal_distribution<double> d(std::log(m), 0.25);
  std::vector<double> x(n);
  for (auto& v : x)
    v = d(r);
  return x;
}
int main() {
  report::DiffOptions o;
  o.resamples = 300;
  for (size_t n : {200, 1000})
    for (double shift : {1.10, 1.15, 1.25}) {
      int caught = 0;
      for (uint64_t s = 1; s <= 50; ++s) {
        auto a = lat(200, n, s * 2), b = lat(200 * shift, n, s * 2 + 1);
        caught += report::compare_samples("ttft", "p50", "ms", a, b, false, o).verdict ==
                  report::Verdict::regressed;
      }
      printf("n=%zu shift +%.0f%%: p50 regressed %d/50\n", n, (shift - 1) * 100, caught);
    }
}
