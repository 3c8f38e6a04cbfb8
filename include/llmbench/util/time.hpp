#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmbench::util {

// Wall-clock milliseconds since the Unix epoch: only for start/end stamps, never for latency.
std::int64_t unix_ms_now();
// "2026-11-25T12:05:34.123Z"
std::string iso8601_utc_ms(std::int64_t unix_ms);
// "2026-11-25 12:05" (UTC), for tables people read.
std::string short_utc(std::int64_t unix_ms);
// "2026-11-25", "2026-11-25T12:05", "2026-11-25T12:05:34Z" (UTC) -> Unix milliseconds;
// nothing when the text is none of these.
std::optional<std::int64_t> parse_utc(std::string_view text);

}  // namespace llmbench::util
