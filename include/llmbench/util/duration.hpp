#pragma once
// Human durations such as "500ms", "60s", "2m", "1.5h", "250us", "30d".

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "llmbench/util/result.hpp"

namespace llmbench::util {

using Nanos = std::chrono::nanoseconds;

// Parses "<number><unit>" with unit one of ns, us, ms, s, m, h, d. A bare number is an error
// (which unit was meant is a guess we refuse to make).
Result<Nanos> parse_duration(std::string_view text);

// "1.25s", "500ms", "2m", "1h30m": the shortest exact-enough spelling for messages and plans.
std::string format_duration(Nanos d);

}  // namespace llmbench::util
