#include "llmbench/load/schedule.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

namespace llmbench::load {

bool Lane::has_more(std::int64_t now, bool target_stopped) const {
  if (target_stopped) {
    return false;
  }
  if (warmup_left > 0) {
    return true;
  }
  // With both `requests` and `duration`, whichever comes first ends the lane.
  if (spec.requests && launched_measured >= *spec.requests) {
    return false;
  }
  if (spec.duration_ns && measured_start_ns >= 0) {
    const std::int64_t at = spec.open ? next_arrival_ns : now;
    return at < measured_start_ns + *spec.duration_ns;
  }
  return spec.requests || spec.duration_ns;
}

bool Lane::count_scheduled(std::int64_t at) {
  if (warmup_left > 0) {
    --warmup_left;
    return true;
  }
  ++launched_measured;
  if (measured_start_ns < 0) {
    measured_start_ns = at;
  }
  return false;
}

std::size_t Lane::next_prompt(std::size_t prompts, suite::PromptOrder prompt_order) {
  if (order.size() != prompts || cursor >= prompts) {
    order.resize(prompts);
    for (std::size_t i = 0; i < prompts; ++i) {
      order[i] = i;
    }
    if (prompt_order == suite::PromptOrder::shuffle) {
      std::shuffle(order.begin(), order.end(), rng);
    }
    cursor = 0;
  }
  return order[cursor++];
}

void Lane::advance_arrival() {
  const double rate = std::max(spec.rate, 1e-6);
  double gap_s = 1.0 / rate;
  if (spec.poisson) {
    gap_s = std::exponential_distribution<double>(rate)(rng);
  }
  next_arrival_ns += static_cast<std::int64_t>(std::llround(gap_s * 1e9));
}

std::string rate_phase(double rate) {
  return fmt::format("rate={}", std::round(rate * 100.0) / 100.0);
}

LaneSpec base_spec(const suite::LoadProfile& load, std::size_t target) {
  LaneSpec spec;
  spec.target = target;
  spec.concurrency = load.concurrency;
  spec.cap = load.max_in_flight;
  spec.requests = load.requests;
  if (load.duration) {
    spec.duration_ns = load.duration->count();
  }
  switch (load.mode) {
    case suite::LoadMode::concurrency:
      break;
    case suite::LoadMode::rate:
    case suite::LoadMode::poisson:
      spec.open = true;
      spec.poisson = load.mode == suite::LoadMode::poisson;
      spec.rate = load.rate;
      break;
    case suite::LoadMode::sweep:
      spec.open = true;
      break;
  }
  return spec;
}

Stages initial_stages(const suite::LoadProfile& load, std::size_t targets) {
  Stages stages;
  const bool interleaved = load.order == suite::TargetOrder::interleaved;
  const auto add = [&](std::vector<LaneSpec> lanes) {
    if (interleaved) {
      stages.push_back(std::move(lanes));
      return;
    }
    for (auto& lane : lanes) {
      stages.push_back({std::move(lane)});
    }
  };
  Stages per_step;
  if (load.mode == suite::LoadMode::sweep && !load.rates.empty()) {
    for (std::size_t r = 0; r < load.rates.size(); ++r) {
      std::vector<LaneSpec> lanes;
      for (std::size_t t = 0; t < targets; ++t) {
        LaneSpec spec = base_spec(load, t);
        spec.rate = load.rates[r];
        spec.phase = rate_phase(load.rates[r]);
        spec.warmup = r == 0 ? load.warmup : 0;
        lanes.push_back(spec);
      }
      per_step.push_back(std::move(lanes));
    }
  } else if (load.mode == suite::LoadMode::sweep) {
    std::vector<LaneSpec> lanes;
    for (std::size_t t = 0; t < targets; ++t) {
      LaneSpec spec = base_spec(load, t);
      spec.open = false;  // saturation: a closed loop
      spec.phase = "max";
      spec.warmup = load.warmup;
      lanes.push_back(spec);
    }
    per_step.push_back(std::move(lanes));
  } else {
    std::vector<LaneSpec> lanes;
    for (std::size_t t = 0; t < targets; ++t) {
      LaneSpec spec = base_spec(load, t);
      spec.warmup = load.warmup;
      lanes.push_back(spec);
    }
    per_step.push_back(std::move(lanes));
  }
  if (interleaved || per_step.size() == 1) {
    for (auto& step : per_step) {
      add(std::move(step));
    }
  } else {
    // Sequential sweep: every step of one target, then the next target.
    for (std::size_t t = 0; t < targets; ++t) {
      for (auto& step : per_step) {
        stages.push_back({step[t]});
      }
    }
  }
  return stages;
}

void append_sweep_steps(const suite::LoadProfile& load, const std::vector<Lane>& max_lanes,
                        Stages& stages) {
  std::vector<std::vector<LaneSpec>> steps(static_cast<std::size_t>(load.steps));
  for (const Lane& lane : max_lanes) {
    const double window_s = static_cast<double>(lane.last_done_ns - lane.first_send_ns) / 1e9;
    const double max_rate =
        window_s > 0 ? static_cast<double>(lane.completed_measured) / window_s : 1.0;
    for (std::int64_t k = 1; k <= load.steps; ++k) {
      LaneSpec spec = base_spec(load, lane.spec.target);
      spec.rate =
          std::max(0.1, max_rate * static_cast<double>(k) / static_cast<double>(load.steps));
      spec.phase = rate_phase(spec.rate);
      steps[static_cast<std::size_t>(k - 1)].push_back(spec);
    }
  }
  if (load.order == suite::TargetOrder::interleaved) {
    for (auto& step : steps) {
      stages.push_back(std::move(step));
    }
  } else {
    for (std::size_t t = 0; t < max_lanes.size(); ++t) {
      for (auto& step : steps) {
        stages.push_back({step[t]});
      }
    }
  }
}

std::int64_t planned_total(const Stages& stages) {
  std::int64_t total = 0;
  for (const auto& stage : stages) {
    for (const auto& lane : stage) {
      if (!lane.requests) {
        return 0;
      }
      total += lane.warmup + *lane.requests;
    }
  }
  return total;
}

}  // namespace llmbench::load
