#pragma once
// Human byte sizes: "500MB", "1.5GiB", "64KB", "1024B".

#include <cstdint>
#include <string>
#include <string_view>

#include "llmbench/util/result.hpp"

namespace llmbench::util {

// "<number><unit>" with unit B, KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB
// (powers of 1024); case-insensitive. A bare number is an error.
Result<std::int64_t> parse_size(std::string_view text);
// "1.2 MB", "512 B": for messages.
std::string format_size(std::int64_t bytes);

}  // namespace llmbench::util
