#pragma once
// The arrival schedule of a run: which stages run one after another (a sweep's steps, or one
// target after another), which lanes (one per target) run together in a stage, and within a
// lane when the next request is due, whether it is warmup, and which prompt it sends.
// Nothing here sends anything: the runner (runner.cpp) asks and sends.
//
// Load modes (docs/suite.md): a closed loop keeps `concurrency` requests in flight; an open
// loop (rate, poisson, a sweep's steps) schedules arrivals at absolute instants, at fixed
// gaps or at seeded exponential ones, so a late client shows as queueing.

#include <cstdint>
#include <deque>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "llmbench/suite/suite.hpp"

namespace llmbench::load {

// What one stage asks of one target.
struct LaneSpec {
  std::size_t target = 0;
  std::string phase;
  bool open = false;
  bool poisson = false;
  double rate = 0;
  std::int64_t concurrency = 1;
  std::optional<std::int64_t> cap;
  std::int64_t warmup = 0;
  std::optional<std::int64_t> requests;
  std::optional<std::int64_t> duration_ns;
};

// Stages run one after another; the lanes of a stage run together.
using Stages = std::vector<std::vector<LaneSpec>>;

// One target's lane in a stage: its schedule, and the runner's counts of it.
struct Lane {
  LaneSpec spec;
  std::int64_t warmup_left = 0;
  std::int64_t launched_measured = 0;
  std::int64_t in_flight = 0;
  std::int64_t pending_retries = 0;
  std::int64_t measured_start_ns = -1;
  std::int64_t next_arrival_ns = 0;
  // Scheduled instants (and whether each is warmup) waiting under the in-flight cap.
  std::deque<std::pair<std::int64_t, bool>> backlog;
  std::mt19937_64 rng;
  std::vector<std::size_t> order;  // prompt order of the current cycle
  std::size_t cursor = 0;
  // For the sweep's saturation pass.
  std::int64_t completed_measured = 0;
  std::int64_t first_send_ns = -1;
  std::int64_t last_done_ns = -1;

  // Whether the lane has more to send at `now` (a stopped target has none).
  bool has_more(std::int64_t now, bool target_stopped) const;
  // Accounts a request scheduled at `at` as warmup or measured; returns whether it is warmup.
  bool count_scheduled(std::int64_t at);
  // The next prompt, cycling through `prompts` in order or, shuffled, in a new order each
  // cycle (from the lane's seeded generator).
  std::size_t next_prompt(std::size_t prompts, suite::PromptOrder order);
  // Moves the next open-loop arrival one gap on: 1/rate, or an exponential draw (poisson).
  void advance_arrival();
};

// "rate=12.5": a sweep step's phase name.
std::string rate_phase(double rate);

// The lane of `target` under the suite's load profile (before a stage gives it a phase).
LaneSpec base_spec(const suite::LoadProfile& load, std::size_t target);
// The stages a run starts with, for `targets` targets.
Stages initial_stages(const suite::LoadProfile& load, std::size_t targets);
// After a sweep's saturation passes (the lanes of phase "max"): `load.steps` open-loop steps
// per target up to the throughput each reached, appended in the suite's target order.
void append_sweep_steps(const suite::LoadProfile& load, const std::vector<Lane>& max_lanes,
                        Stages& stages);
// Requests the stages will send (warmup included), or 0 when a duration decides.
std::int64_t planned_total(const Stages& stages);

}  // namespace llmbench::load
