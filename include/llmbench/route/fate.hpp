#pragma once
// What becomes of a request after one of its attempts ends: done, or tried again (after a
// rate limit's Retry-After), or, for a route over several targets (docs/suite.md), sent on
// to the next one. The runner asks; a proxy can ask the same.
//
// The failure classes are f3dx-router's: a 2xx is a success; 408, 429, 5xx, a reset or
// refused connection and a timeout are soft (another target may do better); any other 4xx is
// hard: surfaced at once and never sent to another target, since it would fail there too
// and, for 401 and 403, would hand the same bad key to a second vendor.

#include <cstdint>
#include <optional>
#include <string_view>

#include "llmbench/providers/response.hpp"

namespace llmbench::route {

enum class Outcome { success, soft, hard };
std::string_view to_string(Outcome outcome);
Outcome classify(const providers::Response& response);

// [load] retry: a rate-limited attempt is tried again, up to `max_retries` more times.
struct RetryPolicy {
  bool retry_rate_limited = false;
  std::int64_t max_retries = 3;
};

// After attempt number `attempt` (1 for the first) of a request ended as `response`: the
// delay before trying again (its Retry-After, else a second), or nothing when it is done.
std::optional<std::int64_t> retry_delay_ms(const providers::Response& response,
                                           const RetryPolicy& policy, int attempt);

}  // namespace llmbench::route
