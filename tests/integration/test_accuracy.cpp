// Timing accuracy against ground truth: the mock scripts TTFT = 50 ms and 10 ms between
// tokens, says so in headers, and reports when it read each request and wrote each event
// (x-mock-write-times). The error is split by whose it is: the client's (receive minus the
// mock's write), the mock's lateness (write minus the script), and the totals. Bounds here
// are generous (CI machines are noisy); bench/engine.sh accuracy reports the real figures
// against the goals (client error median < 0.2 ms, p99 < 2 ms at 1,000 streams).

#include <gtest/gtest.h>

#include <cmath>

#include "llmbench/net/engine.hpp"
#include "llmbench/providers/anthropic.hpp"
#include "llmbench/providers/openai.hpp"
#include "llmbench/server/mock_server.hpp"
#include "support/accuracy.hpp"

using namespace llmbench;
namespace lt = llmbench::testing;

namespace {

lt::AccuracyFigures measure(const providers::Codec& codec, std::size_t streams) {
  server::MockProfile profile;
  server::MockServerOptions server_options;
  server_options.threads = 1;
  server::MockServer mock(profile, server_options);
  mock.start();
  net::Engine engine;
  lt::AccuracyPlan plan;
  plan.streams = streams;
  plan.requests = streams * 4;  // the first `streams` open the connections and are not compared
  return lt::measure_accuracy(engine, codec, mock.base_url(), plan);
}

void print(const lt::AccuracyFigures& f, const char* protocol, const char* note = "") {
  std::printf(
      "%s, %zu streams%s: client error median %.3f ms p99 %.3f ms; mock lateness median %.3f "
      "ms p99 %.3f ms; |ttft error| median %.3f ms p99 %.3f ms; |gap error| median %.3f ms p99 "
      "%.3f ms\n",
      protocol, f.streams, note, f.client.median_ms, f.client.p99_ms, f.mock_late.median_ms,
      f.mock_late.p99_ms, f.ttft_total.median_ms, f.ttft_total.p99_ms, f.gap_total.median_ms,
      f.gap_total.p99_ms);
}

// The client's own error: what the test bounds. The totals also hold the mock's lateness,
// which on a loaded CI machine is the scheduler's to give, and are only printed.
bool within_limits(const lt::AccuracyFigures& f) {
  return f.client.median_ms < 2.0 && f.client.p99_ms < 20.0;
}

// One measurement, and a second only when the first is over a limit: a scheduler stall of
// the machine (seen once: p99s at 88 ms, medians 0.4 ms) must not fail the build, but a
// client that is really off fails both. Both are printed.
lt::AccuracyFigures measure_twice_if_needed(const providers::Codec& codec, const char* protocol,
                                            std::size_t streams) {
  lt::AccuracyFigures f = measure(codec, streams);
  if (!within_limits(f)) {
    print(f, protocol, " (first try over a limit; measuring again)");
    f = measure(codec, streams);
  }
  print(f, protocol);
  return f;
}

void check(const lt::AccuracyFigures& f) {
  EXPECT_EQ(f.failures, 0u);
  EXPECT_EQ(f.measured, f.streams * 3);
  // Both clocks are CLOCK_MONOTONIC on one machine: a client that saw an event before the
  // mock wrote it, or a mock that wrote an event before its scripted instant, is a bug.
  EXPECT_GE(f.client_min_ms, 0.0);
  EXPECT_GE(f.mock_late_min_ms, 0.0);
  EXPECT_GE(f.send_lag.min_ms, 0.0);
  EXPECT_LT(f.client.median_ms, 2.0);
  EXPECT_LT(f.client.p99_ms, 20.0);
}

}  // namespace

TEST(Accuracy, OpenAiStreamsAt100Concurrent) {
  check(measure_twice_if_needed(providers::openai_codec(), "openai", 100));
}

TEST(Accuracy, AnthropicStreamsAt100Concurrent) {
  check(measure_twice_if_needed(providers::anthropic_codec(), "anthropic", 100));
}

TEST(Accuracy, ClientErrorAt300StreamsStaysWithinBounds) {
  check(measure_twice_if_needed(providers::openai_codec(), "openai", 300));
}
