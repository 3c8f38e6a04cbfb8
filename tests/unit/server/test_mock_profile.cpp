#include "llmbench/server/mock_profile.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "llmbench/suite/suite.hpp"
#include "llmbench/util/error.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench::server;

TEST(Distribution, ParsesEveryForm) {
  auto fixed = Distribution::parse("50ms", true);
  ASSERT_TRUE(fixed);
  EXPECT_EQ(fixed->kind(), Distribution::Kind::fixed);
  EXPECT_DOUBLE_EQ(fixed->a(), 50e6);
  auto uniform = Distribution::parse("uniform:20ms..80ms", true);
  ASSERT_TRUE(uniform);
  EXPECT_DOUBLE_EQ(uniform->a(), 20e6);
  EXPECT_DOUBLE_EQ(uniform->b(), 80e6);
  auto normal = Distribution::parse("normal:50ms,5ms", true);
  ASSERT_TRUE(normal);
  EXPECT_DOUBLE_EQ(normal->b(), 5e6);
  auto lognormal = Distribution::parse("lognormal:50ms,0.3", true);
  ASSERT_TRUE(lognormal);
  EXPECT_DOUBLE_EQ(lognormal->b(), 0.3);  // sigma of the log: unitless
  auto count = Distribution::parse("uniform:16..256", false);
  ASSERT_TRUE(count);
  EXPECT_DOUBLE_EQ(count->b(), 256);
  EXPECT_EQ(lognormal->describe(true), "lognormal:50ms,0.3");
  EXPECT_EQ(uniform->describe(true), "uniform:20ms..80ms");
}

TEST(Distribution, RejectsWhatItCannotUse) {
  for (const char* bad : {"50", "fast", "uniform:80ms..20ms", "uniform:20ms", "normal:50ms",
                          "lognormal:0ms,0.3", "gamma:1ms,2ms", "-5ms", "normal:50ms,x"}) {
    auto d = Distribution::parse(bad, true);
    EXPECT_FALSE(d) << bad;
    if (!d) {
      EXPECT_NE(d.error().find("uniform:LOW..HIGH"), std::string::npos) << d.error();
    }
  }
  EXPECT_FALSE(Distribution::parse("12ms", false));  // counts take no unit
}

TEST(Distribution, SamplesHaveTheStatedShape) {
  std::mt19937_64 rng(42);
  const auto check = [&](const char* spec, double want_median, double tolerance) {
    auto d = Distribution::parse(spec, true);
    ASSERT_TRUE(d) << spec;
    std::vector<double> xs(20'001);
    for (auto& x : xs) {
      x = d->sample(rng);
      ASSERT_GE(x, 0);
    }
    std::nth_element(xs.begin(), xs.begin() + 10'000, xs.end());
    EXPECT_NEAR(xs[10'000], want_median, tolerance) << spec;
  };
  check("50ms", 50e6, 0);
  check("uniform:20ms..80ms", 50e6, 1.5e6);
  check("normal:50ms,5ms", 50e6, 0.3e6);
  check("lognormal:50ms,0.3", 50e6, 1e6);
  // A normal far below zero is clamped, never negative.
  auto wide = Distribution::parse("normal:1ms,10ms", true);
  for (int i = 0; i < 1000; ++i) {
    EXPECT_GE(wide->sample(rng), 0);
  }
}

TEST(Faults, PickFollowsTheRates) {
  FaultRates rates;
  rates.rates = {{Fault::rate_limited, 0.1}, {Fault::reset, 0.2}};
  EXPECT_DOUBLE_EQ(rates.total(), 0.3 + 0.0);
  EXPECT_EQ(rates.pick(0.05), Fault::rate_limited);
  EXPECT_EQ(rates.pick(0.15), Fault::reset);
  EXPECT_EQ(rates.pick(0.31), Fault::none);
  for (Fault f : all_faults()) {
    EXPECT_EQ(fault_from_string(to_string(f)), f);
  }
  EXPECT_FALSE(fault_from_string("explode"));
}

TEST(MockScript, IsReproducibleFromSeedAndIndex) {
  MockProfile p;
  p.ttft = *Distribution::parse("lognormal:50ms,0.5", true);
  p.itl = *Distribution::parse("uniform:1ms..20ms", true);
  p.output_tokens = *Distribution::parse("uniform:10..100", false);
  const auto a = make_script(p, {}, 7, std::nullopt);
  const auto b = make_script(p, {}, 7, std::nullopt);
  const auto c = make_script(p, {}, 8, std::nullopt);
  EXPECT_EQ(a.ttft, b.ttft);
  EXPECT_EQ(a.gaps, b.gaps);
  EXPECT_NE(a.ttft, c.ttft);
  EXPECT_EQ(static_cast<std::int64_t>(a.gaps.size()), a.events() - 1);
  MockOverrides seeded;
  seeded.seed = 99;
  EXPECT_NE(make_script(p, seeded, 7, std::nullopt).ttft, a.ttft);
  EXPECT_EQ(make_script(p, seeded, 7, std::nullopt).gaps,
            make_script(p, seeded, 8, std::nullopt).gaps);
}

TEST(MockScript, OutputLengthRules) {
  MockProfile p;
  p.output_tokens = Distribution::fixed(64);
  EXPECT_EQ(make_script(p, {}, 0, 10).output_tokens, 10);  // never past max_tokens
  EXPECT_EQ(make_script(p, {}, 0, std::nullopt).output_tokens, 64);
  p.output_from_max_tokens = true;
  EXPECT_EQ(make_script(p, {}, 0, 300).output_tokens, 300);
  p.tokens_per_chunk = 8;
  const auto s = make_script(p, {}, 0, 20);
  EXPECT_EQ(s.events(), 3);
  EXPECT_EQ(s.gaps.size(), 2u);
  MockOverrides forced;
  forced.fault = Fault::stall;
  EXPECT_EQ(make_script(p, forced, 0, 20).fault, Fault::stall);
}

TEST(MockProfile, LoadsAFile) {
  llmbench::testing::TempDir dir;
  const auto path = dir.write("m.toml", R"([mock]
ttft = "lognormal:80ms,0.4"
itl = "uniform:5ms..15ms"
output_tokens = "max_tokens"
tokens_per_chunk = 2
seed = 9
model = "gpt-mock"
retry_after = "3s"
[mock.faults]
rate_limited = 0.05
reset = 0.01
)");
  const auto p = MockProfile::load(path);
  EXPECT_EQ(p.ttft.kind(), Distribution::Kind::lognormal);
  EXPECT_DOUBLE_EQ(p.itl.b(), 15e6);
  EXPECT_TRUE(p.output_from_max_tokens);
  EXPECT_EQ(p.tokens_per_chunk, 2);
  EXPECT_EQ(p.seed, 9u);
  EXPECT_EQ(p.model, "gpt-mock");
  EXPECT_EQ(p.retry_after, std::chrono::seconds(3));
  EXPECT_NEAR(p.faults.total(), 0.06, 1e-12);
}

TEST(MockProfile, ErrorsNameTheLine) {
  llmbench::testing::TempDir dir;
  const auto expect_error = [&](const std::string& text, const std::string& fragment) {
    const auto path = dir.write("bad.toml", text);
    try {
      MockProfile::load(path);
      ADD_FAILURE() << "no error for: " << text;
    } catch (const llmbench::InputError& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error("[mock]\nttft = \"fast\"\n", "bad.toml:2:8: `ttft`");
  expect_error("[mock]\nspeed = 1\n", "bad.toml:2:1: unknown key `speed`");
  expect_error("[mock]\n[mock.faults]\nexplode = 0.1\n", "unknown fault `explode`");
  expect_error("[mock]\n[mock.faults]\nreset = 0.7\nstall = 0.7\n", "more than 1");
  expect_error("ttft = \"1ms\"\n", "needs a [mock] table");
  expect_error("[mock\n", "bad.toml:1:");
}

TEST(Faults, TheSuiteKnowsEveryFaultTheServerInjects) {
  // suite/ cannot depend on server/, so it keeps its own list of names; they must agree.
  const auto& names = llmbench::suite::mock_fault_names();
  ASSERT_EQ(names.size(), all_faults().size());
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_EQ(names[i], to_string(all_faults()[i]));
  }
}

// NaN compares false both ways, so `p < 0 || p > 1` let it through (issue 11).
TEST(Faults, NotANumberIsRefused) {
  EXPECT_FALSE(FaultRates::parse("reset=nan").ok());
  EXPECT_FALSE(FaultRates::parse("reset=-nan").ok());
  EXPECT_FALSE(FaultRates::parse("reset=inf").ok());
  EXPECT_FALSE(Distribution::parse("nan", false).ok());
  EXPECT_FALSE(Distribution::parse("uniform:1..inf", false).ok());
  EXPECT_TRUE(FaultRates::parse("reset=0.5").ok());
}

// A rare spike on any distribution: heavy tails that can be scripted per target.
TEST(Distribution, ASpikeReplacesThatShareOfDraws) {
  auto plain = Distribution::parse("spike:20ms,2%,800ms", true);
  ASSERT_TRUE(plain) << plain.error();
  EXPECT_EQ(plain->kind(), Distribution::Kind::fixed);
  EXPECT_DOUBLE_EQ(plain->a(), 20e6);
  EXPECT_DOUBLE_EQ(plain->spike_probability(), 0.02);
  EXPECT_DOUBLE_EQ(plain->spike_value(), 800e6);
  EXPECT_NEAR(plain->mean(), 0.98 * 20e6 + 0.02 * 800e6, 1);
  EXPECT_EQ(plain->describe(true), "20ms+spike:2%,800ms");
  auto tail = Distribution::parse("lognormal:20ms,0.8+spike:1%,1s", true);
  ASSERT_TRUE(tail) << tail.error();
  EXPECT_EQ(tail->kind(), Distribution::Kind::lognormal);
  EXPECT_DOUBLE_EQ(tail->spike_value(), 1e9);
  // The described spec parses back to the same distribution.
  auto again = Distribution::parse(tail->describe(true), true);
  ASSERT_TRUE(again) << again.error();
  EXPECT_EQ(again->describe(true), tail->describe(true));

  std::mt19937_64 rng(7);
  int spikes = 0;
  for (int i = 0; i < 100'000; ++i) {
    const double x = plain->sample(rng);
    ASSERT_TRUE(x == 20e6 || x == 800e6) << x;
    spikes += x == 800e6 ? 1 : 0;
  }
  EXPECT_NEAR(spikes, 2'000, 200);  // 2% of 100,000, within ~4.5 sigma
  auto counts = Distribution::parse("uniform:16..64+spike:0.5%,4000", false);
  ASSERT_TRUE(counts) << counts.error();
  EXPECT_DOUBLE_EQ(counts->spike_value(), 4000);

  for (const char* bad : {"spike:20ms", "spike:20ms,2%", "spike:20ms,200%,1s", "20ms+spike:2%",
                          "20ms+spike:x,1s", "spike:20ms,2%,-1s", "spike:20ms,2%,soon"}) {
    auto d = Distribution::parse(bad, true);
    EXPECT_FALSE(d) << bad;
    if (!d) {
      EXPECT_NE(d.error().find(bad), std::string::npos) << d.error();
    }
  }
}

// Without a spike a distribution draws exactly as before: one draw per sample, same values.
TEST(Distribution, WithoutASpikeTheDrawsAreUnchanged) {
  std::mt19937_64 a(3);
  std::mt19937_64 b(3);
  auto d = Distribution::parse("lognormal:20ms,0.8", true);
  ASSERT_TRUE(d);
  for (int i = 0; i < 100; ++i) {
    EXPECT_EQ(d->sample(a), 20e6 * std::exp(std::normal_distribution<double>(0.0, 0.8)(b)));
  }
}
