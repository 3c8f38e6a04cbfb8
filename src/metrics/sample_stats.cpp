#include "llmbench/metrics/sample_stats.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <stdexcept>

namespace llmbench::metrics {

double mean(std::span<const double> xs) {
  if (xs.empty()) {
    return 0.0;
  }
  return std::accumulate(xs.begin(), xs.end(), 0.0) / static_cast<double>(xs.size());
}

double stddev(std::span<const double> xs) {
  if (xs.size() < 2) {
    return 0.0;
  }
  const double mu = mean(xs);
  double sum = 0;
  for (const double x : xs) {
    sum += (x - mu) * (x - mu);
  }
  return std::sqrt(sum / static_cast<double>(xs.size() - 1));
}

double percentile_sorted(std::span<const double> sorted, double p) {
  if (sorted.empty()) {
    throw std::invalid_argument("percentile of an empty sample");
  }
  const double clamped = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<std::size_t>(
      std::ceil(clamped / 100.0 * static_cast<double>(sorted.size()) - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

double percentile(std::vector<double> xs, double p) {
  std::sort(xs.begin(), xs.end());
  return percentile_sorted(xs, p);
}

double normal_sf(double z) {
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

namespace {

// Number of ways each U value arises among all C(n1+n2, n1) arrangements (no ties).
std::vector<double> exact_u_distribution(std::size_t n1, std::size_t n2) {
  // f[i][j][u]: arrangements of i from the first and j from the second sample giving U = u.
  const std::size_t max_u = n1 * n2;
  std::vector<std::vector<std::vector<double>>> f(
      n1 + 1, std::vector<std::vector<double>>(n2 + 1, std::vector<double>(max_u + 1, 0.0)));
  for (std::size_t i = 0; i <= n1; ++i) {
    for (std::size_t j = 0; j <= n2; ++j) {
      if (i == 0 || j == 0) {
        f[i][j][0] = 1.0;
        continue;
      }
      for (std::size_t u = 0; u <= i * j; ++u) {
        // The largest value belongs to sample one (it beats all j of sample two) or to two.
        const double from_first = u >= j ? f[i - 1][j][u - j] : 0.0;
        const double from_second = f[i][j - 1][u];
        f[i][j][u] = from_first + from_second;
      }
    }
  }
  return f[n1][n2];
}

}  // namespace

MannWhitney mann_whitney_u(std::span<const double> a, std::span<const double> b) {
  MannWhitney r;
  const std::size_t n1 = a.size();
  const std::size_t n2 = b.size();
  if (n1 == 0 || n2 == 0) {
    return r;
  }
  struct Item {
    double v;
    int group;
  };
  std::vector<Item> all;
  all.reserve(n1 + n2);
  for (const double x : a) {
    all.push_back({x, 0});
  }
  for (const double x : b) {
    all.push_back({x, 1});
  }
  std::sort(all.begin(), all.end(), [](const Item& x, const Item& y) { return x.v < y.v; });

  // Mid-ranks for ties; collect the tie term sum(t^3 - t).
  double rank_sum_a = 0;
  double tie_term = 0;
  std::size_t i = 0;
  while (i < all.size()) {
    std::size_t j = i;
    while (j + 1 < all.size() && all[j + 1].v == all[i].v) {
      ++j;
    }
    const double mid_rank = (static_cast<double>(i + 1) + static_cast<double>(j + 1)) / 2.0;
    const auto t = static_cast<double>(j - i + 1);
    tie_term += t * t * t - t;
    for (std::size_t k = i; k <= j; ++k) {
      if (all[k].group == 0) {
        rank_sum_a += mid_rank;
      }
    }
    i = j + 1;
  }
  const double dn1 = static_cast<double>(n1);
  const double dn2 = static_cast<double>(n2);
  r.u1 = rank_sum_a - dn1 * (dn1 + 1) / 2.0;
  r.u2 = dn1 * dn2 - r.u1;

  if (tie_term == 0 && n1 * n2 <= 400) {
    const std::vector<double> dist = exact_u_distribution(n1, n2);
    const double total = std::accumulate(dist.begin(), dist.end(), 0.0);
    const auto u_small = static_cast<std::size_t>(std::min(r.u1, r.u2));
    double tail = 0;
    for (std::size_t u = 0; u <= u_small; ++u) {
      tail += dist[u];
    }
    r.exact = true;
    r.p_value = std::min(1.0, 2.0 * tail / total);
    return r;
  }
  const double n = dn1 + dn2;
  const double mu = dn1 * dn2 / 2.0;
  const double variance = dn1 * dn2 / 12.0 * ((n + 1) - tie_term / (n * (n - 1)));
  if (variance <= 0) {
    return r;  // every value equal: no evidence of any difference
  }
  const double u_big = std::max(r.u1, r.u2);
  r.z = (u_big - mu - 0.5) / std::sqrt(variance);
  r.p_value = std::min(1.0, 2.0 * normal_sf(r.z));
  return r;
}

namespace {

// SplitMix64: tiny, fast, and the same sequence everywhere.
struct SplitMix64 {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Unbiased index in [0, n): reject the few values that would make the modulo uneven.
  std::size_t below(std::size_t n) {
    const auto bound = static_cast<std::uint64_t>(n);
    const std::uint64_t threshold = (0 - bound) % bound;
    while (true) {
      const std::uint64_t r = next();
      if (r >= threshold) {
        return static_cast<std::size_t>(r % bound);
      }
    }
  }
};

double resampled_percentile(std::span<const double> xs, double p, SplitMix64& rng,
                            std::vector<double>& scratch) {
  scratch.resize(xs.size());
  for (auto& x : scratch) {
    x = xs[rng.below(xs.size())];
  }
  const double clamped = std::clamp(p, 0.0, 100.0);
  auto rank = static_cast<std::size_t>(
      std::ceil(clamped / 100.0 * static_cast<double>(scratch.size()) - 1e-9));
  rank = std::clamp<std::size_t>(rank, 1, scratch.size());
  std::nth_element(scratch.begin(), scratch.begin() + static_cast<std::ptrdiff_t>(rank - 1),
                   scratch.end());
  return scratch[rank - 1];
}

}  // namespace

Interval bootstrap_percentile_diff(std::span<const double> a, std::span<const double> b, double p,
                                   double confidence, int resamples, std::uint64_t seed) {
  if (a.empty() || b.empty() || resamples < 1 || confidence <= 0 || confidence >= 1) {
    throw std::invalid_argument("bootstrap: need two non-empty samples, resamples >= 1, 0<c<1");
  }
  SplitMix64 rng{seed};
  std::vector<double> diffs(static_cast<std::size_t>(resamples));
  std::vector<double> scratch;
  for (auto& d : diffs) {
    const double pa = resampled_percentile(a, p, rng, scratch);
    const double pb = resampled_percentile(b, p, rng, scratch);
    d = pb - pa;
  }
  std::sort(diffs.begin(), diffs.end());
  const double alpha = (1.0 - confidence) / 2.0;
  return {percentile_sorted(diffs, alpha * 100.0), percentile_sorted(diffs, (1.0 - alpha) * 100.0)};
}

double two_proportion_p_value(std::int64_t x1, std::int64_t n1, std::int64_t x2, std::int64_t n2) {
  if (n1 <= 0 || n2 <= 0) {
    return 1.0;
  }
  const double p1 = static_cast<double>(x1) / static_cast<double>(n1);
  const double p2 = static_cast<double>(x2) / static_cast<double>(n2);
  const double pooled = static_cast<double>(x1 + x2) / static_cast<double>(n1 + n2);
  const double var =
      pooled * (1 - pooled) * (1.0 / static_cast<double>(n1) + 1.0 / static_cast<double>(n2));
  if (var <= 0) {
    return 1.0;
  }
  const double z = std::abs(p2 - p1) / std::sqrt(var);
  return std::min(1.0, 2.0 * normal_sf(z));
}

}  // namespace llmbench::metrics
