#pragma once
// Exact statistics over per-request samples, for comparing two runs (report diff). Pure code.

#include <cstdint>
#include <span>
#include <vector>

namespace llmbench::metrics {

double mean(std::span<const double> xs);
// Sample standard deviation (n - 1 in the denominator); 0 for fewer than two values.
double stddev(std::span<const double> xs);
// Nearest-rank percentile (the same definition as HdrHistogram's): the ceil(p/100 * n)-th
// smallest value. `sorted` must be ascending and non-empty.
double percentile_sorted(std::span<const double> sorted, double p);
double percentile(std::vector<double> xs, double p);

struct MannWhitney {
  double u1 = 0;       // U statistic of the first sample
  double u2 = 0;       // U statistic of the second sample (u1 + u2 = n1 * n2)
  double z = 0;        // normal approximation score (0 when the exact test was used)
  double p_value = 1;  // two-sided
  bool exact = false;  // exact permutation distribution (small samples, no ties)
};
// Two-sided Mann-Whitney U test. Exact for n1 * n2 <= 400 without ties; otherwise the normal
// approximation with tie correction and continuity correction (as SciPy's default does).
MannWhitney mann_whitney_u(std::span<const double> a, std::span<const double> b);

struct Interval {
  double low = 0;
  double high = 0;
};
// Percentile bootstrap confidence interval of percentile_p(b) - percentile_p(a), resampling
// both samples with replacement `resamples` times. Deterministic for a given seed on every
// platform (our own generator and index draw, no std:: distributions).
Interval bootstrap_percentile_diff(std::span<const double> a, std::span<const double> b, double p,
                                   double confidence, int resamples, std::uint64_t seed);

// Two-sided two-proportion z-test (pooled) of x1/n1 against x2/n2; p = 1 when either n is 0
// or the pooled proportion is 0 or 1 (no variance: nothing to test).
double two_proportion_p_value(std::int64_t x1, std::int64_t n1, std::int64_t x2, std::int64_t n2);

// Standard normal upper-tail probability P(Z > z).
double normal_sf(double z);

}  // namespace llmbench::metrics
