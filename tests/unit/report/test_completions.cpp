// The completion bins build_report gathers for the over-time charts: bounded in number
// whatever the run's length, and never losing or moving a completion by more than a bin.

#include <gtest/gtest.h>

#include "llmbench/report/model.hpp"

using llmbench::report::Completions;

namespace {

double total(const Completions& c, double Completions::Bin::*field) {
  double sum = 0;
  for (const auto& [label, series] : c.series) {
    for (const auto& [key, bin] : series.bins) {
      sum += bin.*field;
    }
  }
  return sum;
}

}  // namespace

TEST(Completions, ALongRunCoarsensTheBinsAndKeepsEveryCompletion) {
  Completions c;
  // An hour of completions every 50 ms for two targets, a failure every tenth.
  const std::int64_t step = 50'000'000;
  std::int64_t n = 0;
  for (std::int64_t t = 1'000; t < 3'600'000'000'000; t += step, ++n) {
    c.add(n % 2 == 0 ? "a" : "b", t, n % 10 == 9, 4.0);
  }
  EXPECT_LE(c.bins(), Completions::k_max_bins);
  EXPECT_GT(c.width_ns, 100'000);  // it had to grow from 0.1 ms
  std::size_t counted = 0;
  for (const auto& [label, series] : c.series) {
    counted += series.bins.size();
  }
  EXPECT_EQ(counted, c.bins());
  EXPECT_EQ(total(c, &Completions::Bin::ok) + total(c, &Completions::Bin::failed),
            static_cast<double>(n));
  EXPECT_EQ(total(c, &Completions::Bin::failed), static_cast<double>(n / 10));
  EXPECT_EQ(total(c, &Completions::Bin::tokens), 4.0 * static_cast<double>(n - n / 10));
  // Exact extremes, and every bin where its completions fell.
  EXPECT_EQ(c.first_ns, 1'000);
  EXPECT_EQ(c.series.at("a").first_ns, 1'000);
  for (const auto& [label, series] : c.series) {
    for (const auto& [key, bin] : series.bins) {
      EXPECT_GE((key + 1) * c.width_ns, c.first_ns);
      EXPECT_LE(key * c.width_ns, c.last_ns);
    }
  }
}

TEST(Completions, AShortRunKeepsFineBins) {
  Completions c;
  for (std::int64_t t = 0; t < 50'000'000; t += 1'000'000) {
    c.add("m", t, false, 1.0);
  }
  EXPECT_EQ(c.width_ns, 100'000);
  EXPECT_EQ(c.bins(), 50u);
  EXPECT_EQ(c.series.at("m").last_ns, 49'000'000);
}
