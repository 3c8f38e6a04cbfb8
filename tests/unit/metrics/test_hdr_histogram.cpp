#include "llmbench/metrics/hdr_histogram.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

using llmbench::metrics::HdrHistogram;

namespace {

// Exact nearest-rank percentile of sorted values (the definition HdrHistogram uses).
std::int64_t exact_percentile(const std::vector<std::int64_t>& sorted, double p) {
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void expect_within_precision(const std::vector<std::int64_t>& values, int digits) {
  HdrHistogram h(1, 3'600'000'000'000, digits);
  for (const auto v : values) {
    h.record(v);
  }
  std::vector<std::int64_t> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  const double tolerance = std::pow(10.0, -digits);  // relative: the stated precision
  for (const double p : {0.0, 1.0, 10.0, 25.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.9, 99.99, 100.0}) {
    const auto exact = static_cast<double>(exact_percentile(sorted, p));
    const auto got = static_cast<double>(h.value_at_percentile(p));
    EXPECT_LE(std::fabs(got - exact), std::max(1.0, exact * tolerance))
        << "p" << p << " exact " << exact << " got " << got;
  }
  EXPECT_EQ(h.count(), static_cast<std::int64_t>(values.size()));
}

}  // namespace

TEST(HdrHistogram, PercentilesWithinPrecisionOverAMillionValues) {
  std::mt19937_64 rng(20261125);
  const std::size_t n = 1'000'000;
  std::vector<std::int64_t> v(n);

  std::uniform_int_distribution<std::int64_t> uniform(1, 10'000'000'000);
  std::generate(v.begin(), v.end(), [&] { return uniform(rng); });
  expect_within_precision(v, 3);

  std::lognormal_distribution<double> lognormal(17.0, 1.2);  // latency-like, ns
  std::generate(v.begin(), v.end(), [&] { return static_cast<std::int64_t>(lognormal(rng)) + 1; });
  expect_within_precision(v, 3);

  std::exponential_distribution<double> exponential(1.0 / 50'000'000.0);
  std::generate(v.begin(), v.end(),
                [&] { return static_cast<std::int64_t>(exponential(rng)) + 1; });
  expect_within_precision(v, 3);

  // Bimodal: a fast cache-hit mode and a slow tail.
  std::normal_distribution<double> fast(2'000'000, 100'000);
  std::normal_distribution<double> slow(800'000'000, 50'000'000);
  std::bernoulli_distribution pick_slow(0.05);
  std::generate(v.begin(), v.end(), [&] {
    return std::max<std::int64_t>(
        1, static_cast<std::int64_t>(pick_slow(rng) ? slow(rng) : fast(rng)));
  });
  expect_within_precision(v, 3);
  expect_within_precision(v, 2);
}

TEST(HdrHistogram, SmallValuesAreExact) {
  HdrHistogram h(1, 1'000'000, 3);
  for (int i = 1; i <= 100; ++i) {
    h.record(i);
  }
  EXPECT_EQ(h.value_at_percentile(50), 50);
  EXPECT_EQ(h.value_at_percentile(99), 99);
  EXPECT_EQ(h.value_at_percentile(100), 100);
  EXPECT_EQ(h.value_at_percentile(0), 1);
  EXPECT_EQ(h.min(), 1);
  EXPECT_EQ(h.max(), 100);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
  EXPECT_NEAR(h.stddev(), 28.866, 0.001);  // population stddev of 1..100
}

TEST(HdrHistogram, RecordWithCountEqualsRepeatedRecords) {
  HdrHistogram a(1, 1'000'000'000, 3);
  HdrHistogram b(1, 1'000'000'000, 3);
  a.record_n(123'456, 7);
  for (int i = 0; i < 7; ++i) {
    b.record(123'456);
  }
  EXPECT_EQ(a.count(), 7);
  EXPECT_EQ(a.value_at_percentile(50), b.value_at_percentile(50));
  EXPECT_EQ(a.mean(), b.mean());
}

TEST(HdrHistogram, MergeAddsCounts) {
  HdrHistogram a(1, 1'000'000, 3);
  HdrHistogram b(1, 1'000'000, 3);
  for (int i = 1; i <= 50; ++i) {
    a.record(i);
  }
  for (int i = 51; i <= 100; ++i) {
    b.record(i);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), 100);
  EXPECT_EQ(a.value_at_percentile(50), 50);
  EXPECT_EQ(a.max(), 100);
  EXPECT_EQ(a.min(), 1);
  HdrHistogram other_layout(1, 1'000'000, 2);
  EXPECT_THROW(a.merge(other_layout), std::invalid_argument);
}

TEST(HdrHistogram, OutOfRangeValuesAreClampedAndCounted) {
  HdrHistogram h(1, 1'000'000, 3);
  h.record(-5);
  h.record(5'000'000);
  h.record(10);
  EXPECT_EQ(h.count(), 3);
  EXPECT_EQ(h.clamped(), 2);
  EXPECT_EQ(h.value_at_percentile(0), 0);
  EXPECT_GE(h.max(), 1'000'000);
}

TEST(HdrHistogram, EmptyHistogramReportsZeros) {
  const auto h = HdrHistogram::for_latency_ns();
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.value_at_percentile(99), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(HdrHistogram, IteratesRecordedBucketsInOrder) {
  HdrHistogram h(1, 1'000'000'000, 3);
  h.record(5);
  h.record(5);
  h.record(1'000'000);
  std::vector<HdrHistogram::Bucket> seen;
  h.for_each_recorded([&](const HdrHistogram::Bucket& b) { seen.push_back(b); });
  ASSERT_EQ(seen.size(), 2U);
  EXPECT_EQ(seen[0].value_from, 5);
  EXPECT_EQ(seen[0].value_to, 5);
  EXPECT_EQ(seen[0].count, 2);
  EXPECT_EQ(seen[1].value_from, 999'936);
  EXPECT_EQ(seen[1].value_to, 1'000'447);
  EXPECT_EQ(seen[1].count, 1);
}

TEST(HdrHistogram, RejectsBadLayouts) {
  EXPECT_THROW(HdrHistogram(0, 100, 3), std::invalid_argument);
  EXPECT_THROW(HdrHistogram(10, 15, 3), std::invalid_argument);
  EXPECT_THROW(HdrHistogram(1, 100, 6), std::invalid_argument);
}

TEST(HdrHistogram, ResetClearsEverything) {
  HdrHistogram h(1, 1000, 3);
  h.record(7);
  h.reset();
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.max(), 0);
}

// Found by fuzz/hdr.cpp: with close to 2^63 values recorded, p100 of the total did not fit
// an integer (a float-to-int cast out of range).
TEST(HdrHistogram, PercentilesOfAHugeTotalStayInRange) {
  llmbench::metrics::HdrHistogram h(1, 1000, 3);
  ASSERT_TRUE(h.add_at_index(5, INT64_MAX - 10));
  ASSERT_TRUE(h.add_at_index(7, 10));
  EXPECT_EQ(h.value_at_percentile(100), 7);
  EXPECT_EQ(h.value_at_percentile(50), 5);
  EXPECT_FALSE(h.add_at_index(7, 1));  // the total would pass 2^63
}
