// Timing accuracy against ground truth: the mock scripts TTFT = 50 ms and 10 ms between
// tokens and says so in headers; the engine's measurements must match at 100 concurrent
// streams. Bounds here are generous (CI machines are noisy); bench/engine_accuracy reports
// the real figures against the goals (median < 0.2 ms, p99 < 2 ms).

#include <gtest/gtest.h>

#include <cmath>

#include "llmbench/metrics/sample_stats.hpp"
#include "llmbench/net/engine.hpp"
#include "llmbench/providers/anthropic.hpp"
#include "llmbench/providers/mock.hpp"
#include "llmbench/providers/openai.hpp"
#include "llmbench/server/mock_server.hpp"
#include "support/engine_runner.hpp"

using namespace llmbench;
namespace lt = llmbench::testing;

namespace {

struct Figures {
  double ttft_median_ms;
  double ttft_p99_ms;
  double gap_median_ms;
  double gap_p99_ms;
  double ttft_min_ms;
};

Figures measure(const providers::Codec& codec) {
  server::MockProfile profile;
  profile.ttft = server::Distribution::fixed(50e6);
  profile.itl = server::Distribution::fixed(10e6);
  profile.output_tokens = server::Distribution::fixed(20);
  server::MockServerOptions server_options;
  server_options.threads = 1;
  server::MockServer mock(profile, server_options);
  mock.start();
  net::Engine engine;
  const std::vector<suite::Message> messages = {{"user", "Count to twenty.", ""}};
  providers::ChatRequest req;
  req.base_url = mock.base_url();
  req.messages = messages;
  req.params.model = "m";
  req.params.max_tokens = 100;
  // A closed loop at 100 in flight, ramped up over one request's length; the first 100
  // requests (which open the connections, a cost the server's clock cannot see) are not
  // compared.
  std::vector<double> ttft_abs;
  std::vector<double> gap_abs;
  double ttft_min = 1e18;
  std::size_t failures = 0;
  providers::ParserOptions options;
  options.keep_headers = true;
  options.expected_events = 20;
  lt::closed_loop(
      engine, codec, 100, 400, std::chrono::microseconds(2500), [&](std::size_t) { return req; },
      [&](lt::Exchange& ex, std::size_t index) {
        if (!ex.r().ok()) {
          ++failures;
          return;
        }
        const auto e = providers::measurement_error(ex.r());
        if (!e || e->gap_ns.size() != 19 || index < 100) {
          failures += e && e->gap_ns.size() == 19 ? 0 : 1;
          return;
        }
        ttft_abs.push_back(std::abs(static_cast<double>(e->ttft_ns)) / 1e6);
        ttft_min = std::min(ttft_min, static_cast<double>(e->ttft_ns) / 1e6);
        for (const auto g : e->gap_ns) {
          gap_abs.push_back(std::abs(static_cast<double>(g)) / 1e6);
        }
      },
      options);
  EXPECT_EQ(failures, 0u);
  EXPECT_EQ(ttft_abs.size(), 300u);
  return {metrics::percentile(ttft_abs, 50), metrics::percentile(ttft_abs, 99),
          metrics::percentile(gap_abs, 50), metrics::percentile(gap_abs, 99), ttft_min};
}

bool within_limits(const Figures& f) {
  return f.ttft_min_ms >= 0.0 && f.ttft_median_ms < 2.0 && f.ttft_p99_ms < 20.0 &&
         f.gap_median_ms < 2.0 && f.gap_p99_ms < 20.0;
}

// One measurement, and a second only when the first is over a limit: a scheduler stall of
// the machine (seen once: both p99s at 88 ms, medians 0.4 ms) must not fail the build, but a
// client that is really off fails both. Both are printed.
Figures measure_twice_if_needed(const providers::Codec& codec, const char* protocol) {
  Figures f = measure(codec);
  if (!within_limits(f)) {
    std::printf(
        "%s, first try over a limit: |ttft error| median %.3f ms, p99 %.3f ms; |gap error| "
        "median %.3f ms, p99 %.3f ms; measuring again\n",
        protocol, f.ttft_median_ms, f.ttft_p99_ms, f.gap_median_ms, f.gap_p99_ms);
    f = measure(codec);
  }
  return f;
}

void check(const Figures& f, const char* protocol) {
  std::printf(
      "%s: |ttft error| median %.3f ms, p99 %.3f ms; |gap error| median %.3f ms, p99 %.3f ms\n",
      protocol, f.ttft_median_ms, f.ttft_p99_ms, f.gap_median_ms, f.gap_p99_ms);
  // The server cannot answer before its script says, and it starts counting only after the
  // request reached it: a measured TTFT below the scripted one would be a clock error.
  EXPECT_GE(f.ttft_min_ms, 0.0);
  EXPECT_LT(f.ttft_median_ms, 2.0);
  EXPECT_LT(f.ttft_p99_ms, 20.0);
  EXPECT_LT(f.gap_median_ms, 2.0);
  EXPECT_LT(f.gap_p99_ms, 20.0);
}

}  // namespace

TEST(Accuracy, OpenAiStreamsAt100Concurrent) {
  check(measure_twice_if_needed(providers::openai_codec(), "openai"), "openai");
}

TEST(Accuracy, AnthropicStreamsAt100Concurrent) {
  check(measure_twice_if_needed(providers::anthropic_codec(), "anthropic"), "anthropic");
}
