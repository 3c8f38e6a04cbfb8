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
//
// A request answered from the response cache goes through the same parser and sinks as a
// sent one; its events are fed by this loop's timers instead of the network, and its row is
// marked `replayed`.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmbench/load/aggregator.hpp"
#include "llmbench/providers/recording.hpp"
#include "llmbench/route/attempt.hpp"
#include "llmbench/store/batch_writer.hpp"
#include "llmbench/suite/suite.hpp"

namespace llmbench::load {

struct Progress {
  std::int64_t done = 0;   // finished requests of the run (warmup and retries included)
  std::int64_t total = 0;  // 0 when the duration decides
  std::int64_t errors = 0;
  std::int64_t in_flight = 0;
  double eta_s = -1;  // < 0: unknown
  // The current stage's own figures: one target (or every target when they run
  // interleaved), never a mix labelled as one.
  std::string stage;  // "mock-fast", "mock-fast rate=20", "all targets", ...
  std::int64_t stage_done = 0;
  std::int64_t stage_ok = 0;  // measured successes, the ones the TTFT figures are of
  std::int64_t stage_errors = 0;
  double stage_requests_per_s = 0;  // over the last ~2 s
  double ttft_p50_ms = 0;
  double ttft_p95_ms = 0;
  bool stage_end = false;  // the last call of a stage (and of the run)
};

// The response cache (route/attempt.hpp), under the name the run command knows it by.
using ResponseCache = route::ResponseCache;

struct RunnerOptions {
  std::string run_id;
  std::chrono::steady_clock::time_point epoch = std::chrono::steady_clock::now();
  std::chrono::nanoseconds grace{std::chrono::seconds(5)};
  std::string mock_base_url;  // where `provider = "mock"` targets are sent
  std::function<void(const Progress&)> on_progress;
  std::chrono::milliseconds progress_every{250};
  // The response cache (docs/cache.md): off, record (send, keep successes), replay (answer
  // from the cache; a miss is a `cache_miss` error and nothing is sent), or auto (replay hits,
  // send and record misses). Replayed streams are paced by `replay_timing`.
  ResponseCache* cache = nullptr;
  suite::CacheMode cache_mode = suite::CacheMode::off;
  suite::ReplayTiming replay_timing;
};

enum class RunOutcome { completed, interrupted };

// A target stopped early by [load] abort_after_errors: its first `failures` requests all
// failed with `failure` ("connection", "timeout_connect", "HTTP 401", "HTTP 403", "HTTP 404").
struct TargetStop {
  std::string target;
  std::string failure;
  std::int64_t failures = 0;
};

class Runner {
 public:
  Runner(const suite::Suite& suite, RunnerOptions options, store::BatchWriter& writer,
         Aggregator& aggregator);
  ~Runner();

  RunOutcome run();
  // Async-signal-safe. The first call stops scheduling and lets in-flight requests finish
  // within the grace period; the second cancels them at once.
  void request_stop();
  // The targets [load] abort_after_errors stopped, in the order they were stopped.
  const std::vector<TargetStop>& stopped_targets() const;

  class Impl;

 private:
  std::unique_ptr<Impl> m_impl;
};

}  // namespace llmbench::load
