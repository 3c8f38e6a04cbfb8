#pragma once
// `llmbench run` flags that change a suite's load without editing it: --concurrency, --rate,
// --requests, --duration, --warmup, --target NAME... and --prompt ID.... They are applied to
// the loaded suite, checked like the suite's own keys, stored with the run (load_json
// "overrides") and shown by `report diff` as a load change.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "llmbench/suite/suite.hpp"

namespace llmbench::suite {

struct LoadOverrides {
  std::optional<std::int64_t> concurrency;  // closed loop with N in flight
  std::optional<double> rate;               // open loop at R requests/s
  std::optional<std::int64_t> requests;     // per target (per step in a sweep)
  std::optional<std::string> duration;      // "2m"
  std::optional<std::int64_t> warmup;
  std::vector<std::string> targets;  // keep only these targets (suite order)
  std::vector<std::string> prompts;  // keep only these prompts (suite order)

  bool empty() const;
  // "--concurrency 8 --requests 50 --target fast" (as a user would type them), "" if none.
  std::string describe() const;
  // {"concurrency":8,"requests":50,"targets":["fast"]} ("{}" if none).
  std::string to_json() const;
};

// Applies `o` to `s`; throws InputError naming the flag and the fix (an unknown target or
// prompt gets a "did you mean").
void apply_overrides(Suite& s, const LoadOverrides& o);

}  // namespace llmbench::suite
