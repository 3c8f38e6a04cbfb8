#include "llmbench/metrics/sample_stats.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace llmbench::metrics;

TEST(SampleStats, MeanStddevPercentile) {
  const std::vector<double> xs = {2, 4, 4, 4, 5, 5, 7, 9};
  EXPECT_DOUBLE_EQ(mean(xs), 5.0);
  // Sum of squared deviations is 32; sample variance 32 / 7.
  EXPECT_NEAR(stddev(xs), std::sqrt(32.0 / 7.0), 1e-12);
  EXPECT_DOUBLE_EQ(percentile(xs, 50), 4.0);  // 4th of 8
  EXPECT_DOUBLE_EQ(percentile(xs, 90), 9.0);  // ceil(7.2) = 8th
  EXPECT_DOUBLE_EQ(percentile(xs, 75), 5.0);  // 6th
  EXPECT_DOUBLE_EQ(percentile(xs, 0), 2.0);
  EXPECT_DOUBLE_EQ(percentile(xs, 100), 9.0);
  EXPECT_EQ(stddev(std::vector<double>{3.0}), 0.0);
  EXPECT_THROW(percentile({}, 50), std::invalid_argument);
}

TEST(SampleStats, MannWhitneyExactSmallSamples) {
  // Complete separation, n1 = n2 = 3: U = 0, and P(U <= 0) = 1 / C(6,3) = 1/20, two-sided 0.1.
  const std::vector<double> a = {1, 2, 3};
  const std::vector<double> b = {4, 5, 6};
  const auto r = mann_whitney_u(a, b);
  EXPECT_TRUE(r.exact);
  EXPECT_DOUBLE_EQ(r.u1, 0.0);
  EXPECT_DOUBLE_EQ(r.u2, 9.0);
  EXPECT_NEAR(r.p_value, 0.1, 1e-12);

  // a = {1, 4}, b = {2, 3, 5}: pairs with a > b: (4>2), (4>3) -> U1 = 2, U2 = 4.
  // Of the C(5,2) = 10 arrangements, U <= 2 occurs for U = 0 (1), 1 (1), 2 (2): 4/10,
  // two-sided 0.8.
  const auto r2 = mann_whitney_u(std::vector<double>{1, 4}, std::vector<double>{2, 3, 5});
  EXPECT_TRUE(r2.exact);
  EXPECT_DOUBLE_EQ(r2.u1, 2.0);
  EXPECT_DOUBLE_EQ(r2.u2, 4.0);
  EXPECT_NEAR(r2.p_value, 0.8, 1e-12);
}

TEST(SampleStats, MannWhitneyNormalApproximationWithTies) {
  // a = {1,2,2,3}, b = {2,3,4,5,5}. Ranks of all 9 (ties averaged): 1 -> 1; 2,2,2 -> 3;
  // 3,3 -> 5.5; 4 -> 7; 5,5 -> 8.5. R_a = 1 + 3 + 3 + 5.5 = 12.5, U1 = 12.5 - 10 = 2.5,
  // U2 = 20 - 2.5 = 17.5. Tie term: (27-3) + (8-2) + (8-2) = 36.
  // sigma^2 = 4*5/12 * (10 - 36/(9*8)) = (5/3) * 9.5 = 15.8333; z = (17.5 - 10 - 0.5)/3.9791.
  const auto r =
      mann_whitney_u(std::vector<double>{1, 2, 2, 3}, std::vector<double>{2, 3, 4, 5, 5});
  EXPECT_FALSE(r.exact);
  EXPECT_DOUBLE_EQ(r.u1, 2.5);
  EXPECT_DOUBLE_EQ(r.u2, 17.5);
  const double z = 7.0 / std::sqrt(20.0 / 12.0 * 9.5);
  EXPECT_NEAR(r.z, z, 1e-12);
  EXPECT_NEAR(r.p_value, std::erfc(z / std::sqrt(2.0)), 1e-12);
  EXPECT_NEAR(r.p_value, 0.0786, 5e-4);
}

TEST(SampleStats, MannWhitneyLargeShiftIsSignificantAndNoShiftIsNot) {
  std::mt19937_64 rng(1);
  std::normal_distribution<double> base(100, 10);
  std::vector<double> a(500);
  std::vector<double> b(500);
  std::vector<double> c(500);
  for (std::size_t i = 0; i < 500; ++i) {
    a[i] = base(rng);
    b[i] = base(rng) + 5;  // half a standard deviation slower
    c[i] = base(rng);
  }
  EXPECT_LT(mann_whitney_u(a, b).p_value, 1e-6);
  EXPECT_GT(mann_whitney_u(a, c).p_value, 0.01);
  const auto all_equal = mann_whitney_u(std::vector<double>(30, 1.0), std::vector<double>(30, 1.0));
  EXPECT_DOUBLE_EQ(all_equal.p_value, 1.0);
}

TEST(SampleStats, BootstrapIsDeterministicAndCentred) {
  const std::vector<double> same(50, 10.0);
  const std::vector<double> shifted(50, 13.0);
  // Constant samples: every resample gives the same percentile, so the interval is a point.
  const auto point = bootstrap_percentile_diff(same, shifted, 95, 0.99, 200, 42);
  EXPECT_DOUBLE_EQ(point.low, 3.0);
  EXPECT_DOUBLE_EQ(point.high, 3.0);

  std::mt19937_64 rng(3);
  std::normal_distribution<double> dist(100, 10);
  std::vector<double> a(400);
  std::vector<double> b(400);
  for (std::size_t i = 0; i < 400; ++i) {
    a[i] = dist(rng);
    b[i] = dist(rng) + 20;
  }
  const auto ci1 = bootstrap_percentile_diff(a, b, 50, 0.99, 1000, 7);
  const auto ci2 = bootstrap_percentile_diff(a, b, 50, 0.99, 1000, 7);
  EXPECT_EQ(ci1.low, ci2.low);
  EXPECT_EQ(ci1.high, ci2.high);
  EXPECT_LT(ci1.low, 20.0);
  EXPECT_GT(ci1.high, 20.0);
  EXPECT_GT(ci1.low, 10.0);  // clearly excludes zero
  const auto ci3 = bootstrap_percentile_diff(a, b, 50, 0.99, 1000, 8);
  EXPECT_NE(ci1.low, ci3.low);  // the seed matters
  EXPECT_THROW(bootstrap_percentile_diff({}, b, 50, 0.99, 10, 1), std::invalid_argument);
}

TEST(SampleStats, NormalTail) {
  EXPECT_NEAR(normal_sf(0), 0.5, 1e-15);
  EXPECT_NEAR(normal_sf(1.959963984540054), 0.025, 1e-12);
  EXPECT_NEAR(normal_sf(-1.959963984540054), 0.975, 1e-12);
}

TEST(SampleStats, TwoProportionTestByHand) {
  // 10/100 vs 25/100: pooled p = 0.175, se = sqrt(0.175 * 0.825 * (2/100)) = 0.053735,
  // z = 0.15 / 0.053735 = 2.7914, two-sided p = 2 * (1 - Phi(2.7914)) = 0.005249.
  EXPECT_NEAR(llmbench::metrics::two_proportion_p_value(10, 100, 25, 100), 0.005249, 2e-5);
  EXPECT_NEAR(llmbench::metrics::two_proportion_p_value(25, 100, 10, 100), 0.005249, 2e-5);
  EXPECT_DOUBLE_EQ(llmbench::metrics::two_proportion_p_value(0, 100, 0, 100), 1.0);
  EXPECT_DOUBLE_EQ(llmbench::metrics::two_proportion_p_value(1, 0, 0, 100), 1.0);
}
