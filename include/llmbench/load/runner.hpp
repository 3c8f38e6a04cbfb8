#pragma once
// The run loop: schedules a suite's requests under its load profile, drives them through the
// engine, and hands every finished attempt to the sinks (the store's batch writer and the
// aggregator). One thread; the engine's poll is its only wait.
//
// Load modes (docs/suite.md):
//   concurrency  closed loop: keep N requests in flight
//   rate         open loop: arrivals at fixed intervals, against absolute instants
//   poisson      open loop: exponential gaps (seeded)
//   sweep        open-loop steps, each a phase of its own: an explicit `rates` list, or
//                `steps` evenly spaced up to the saturation throughput found by a first
//                closed-loop pass (phase "max")
// Every request stores its scheduled instant (open loop) beside its send, so queueing in the
// client (coordinated omission) shows as queue delay and latency-from-schedule.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "llmbench/load/aggregator.hpp"
#include "llmbench/store/batch_writer.hpp"
#include "llmbench/suite/suite.hpp"

namespace llmbench::load {

struct Progress {
  std::int64_t done = 0;   // finished requests (warmup and retries included)
  std::int64_t total = 0;  // 0 when the duration decides
  std::int64_t errors = 0;
  std::int64_t in_flight = 0;
  double requests_per_s = 0;
  double ttft_p50_ms = 0;
  double ttft_p95_ms = 0;
  double eta_s = -1;  // < 0: unknown
  std::string stage;  // "mock-fast", "mock-fast rate=20", ...
};

struct RunnerOptions {
  std::string run_id;
  std::chrono::steady_clock::time_point epoch = std::chrono::steady_clock::now();
  std::chrono::nanoseconds grace{std::chrono::seconds(5)};
  std::string mock_base_url;  // where `provider = "mock"` targets are sent
  std::function<void(const Progress&)> on_progress;
  std::chrono::milliseconds progress_every{250};
};

enum class RunOutcome { completed, interrupted };

class Runner {
 public:
  Runner(const suite::Suite& suite, RunnerOptions options, store::BatchWriter& writer,
         Aggregator& aggregator);
  ~Runner();

  RunOutcome run();
  // Async-signal-safe. The first call stops scheduling and lets in-flight requests finish
  // within the grace period; the second cancels them at once.
  void request_stop();

  class Impl;

 private:
  std::unique_ptr<Impl> m_impl;
};

}  // namespace llmbench::load
