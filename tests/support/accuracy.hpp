#pragma once
// Timing accuracy against the mock's ground truth, split by whose error it is (the accuracy
// tests and bench/engine.sh accuracy share it). The mock scripts TTFT 50 ms and 10 ms between
// 20 tokens, and reports when it read each request and when it wrote each event
// (x-mock-write-times); the client's error, the mock's lateness and their sum are kept apart.

#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "llmbench/metrics/sample_stats.hpp"
#include "llmbench/net/engine.hpp"
#include "llmbench/providers/codec.hpp"
#include "llmbench/providers/mock.hpp"
#include "support/engine_runner.hpp"

namespace llmbench::testing {

// Median and p99 of one figure, in milliseconds.
struct Spread {
  double median_ms = 0;
  double p99_ms = 0;
  double max_ms = 0;
  double min_ms = 0;
};

inline Spread spread_of(std::vector<double> xs) {
  Spread s;
  if (xs.empty()) {
    return s;
  }
  std::sort(xs.begin(), xs.end());
  s.median_ms = metrics::percentile_sorted(xs, 50);
  s.p99_ms = metrics::percentile_sorted(xs, 99);
  s.min_ms = xs.front();
  s.max_ms = xs.back();
  return s;
}

struct AccuracyFigures {
  std::size_t streams = 0;
  std::size_t measured = 0;  // requests compared
  std::size_t failures = 0;  // failed, or without the mock's instants
  Spread client;             // |client receive - mock write|, every content event
  Spread mock_late;          // mock write - scripted instant, every content event
  Spread sum;                // |client + mock lateness|, every content event
  Spread send_lag;           // mock read - client send, per request
  Spread ttft_total;         // |measured - scripted TTFT| (send lag + lateness + client)
  Spread gap_total;          // |measured - scripted gap|
  double client_min_ms = 0;  // signed minimum: below zero the clocks disagree
  double mock_late_min_ms = 0;
};

struct AccuracyPlan {
  std::size_t streams = 100;
  std::size_t requests = 400;  // the first `streams` open connections and are not compared
  std::size_t tokens = 20;
  std::string ttft = "50ms";
  std::string itl = "10ms";
};

// Runs the plan as a closed loop against the mock at `base_url` and splits the error.
inline AccuracyFigures measure_accuracy(net::Engine& engine, const providers::Codec& codec,
                                        const std::string& base_url, const AccuracyPlan& plan) {
  const std::vector<suite::Message> messages = {{"user", "Count to twenty.", ""}};
  providers::ChatRequest req;
  req.base_url = base_url;
  req.messages = messages;
  req.params.model = "bench";
  req.params.max_tokens = static_cast<std::int64_t>(plan.tokens) * 4;
  req.total_timeout = std::chrono::seconds(120);
  req.headers = {{"x-mock-ttft", plan.ttft},
                 {"x-mock-itl", plan.itl},
                 {"x-mock-output-tokens", std::to_string(plan.tokens)},
                 {"x-mock-write-times", "1"}};
  providers::ParserOptions options;
  options.keep_headers = true;
  options.expected_events = plan.tokens;
  std::vector<double> client, late, sum, lag, ttft, gaps;
  double client_min = 1e18;
  double late_min = 1e18;
  AccuracyFigures f;
  f.streams = plan.streams;
  // One request's length (TTFT + gaps, ~240 ms) spread over the ramp: a staggered steady state.
  const auto length = std::chrono::milliseconds(240);
  const auto ramp = std::chrono::nanoseconds(length) / static_cast<std::int64_t>(plan.streams);
  closed_loop(
      engine, codec, plan.streams, plan.requests, ramp, [&](std::size_t) { return req; },
      [&](Exchange& ex, std::size_t index) {
        const auto e = providers::attributed_error(ex.r(), engine.epoch_ns());
        const auto total = providers::measurement_error(ex.r());
        if (!ex.r().ok() || !e || !total || e->client_ns.size() != plan.tokens) {
          ++f.failures;
          return;
        }
        if (index < plan.streams) {
          return;  // these opened the connections
        }
        ++f.measured;
        for (std::size_t k = 0; k < e->client_ns.size(); ++k) {
          const double c = static_cast<double>(e->client_ns[k]) / 1e6;
          const double m = static_cast<double>(e->mock_late_ns[k]) / 1e6;
          client.push_back(std::abs(c));
          late.push_back(m);
          sum.push_back(std::abs(c + m));
          client_min = std::min(client_min, c);
          late_min = std::min(late_min, m);
        }
        lag.push_back(static_cast<double>(e->send_lag_ns) / 1e6);
        ttft.push_back(std::abs(static_cast<double>(total->ttft_ns)) / 1e6);
        for (const auto g : total->gap_ns) {
          gaps.push_back(std::abs(static_cast<double>(g)) / 1e6);
        }
      },
      options);
  f.client = spread_of(std::move(client));
  f.mock_late = spread_of(std::move(late));
  f.sum = spread_of(std::move(sum));
  f.send_lag = spread_of(std::move(lag));
  f.ttft_total = spread_of(std::move(ttft));
  f.gap_total = spread_of(std::move(gaps));
  f.client_min_ms = f.measured > 0 ? client_min : 0;
  f.mock_late_min_ms = f.measured > 0 ? late_min : 0;
  return f;
}

}  // namespace llmbench::testing
