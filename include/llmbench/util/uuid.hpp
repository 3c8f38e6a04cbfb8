#pragma once

#include <cstdint>
#include <string>

namespace llmbench::util {

// A UUIDv7 (RFC 9562): 48-bit Unix milliseconds first, so ids sort by creation time. Ids made
// by one process sort in creation order even within one millisecond (a counter in rand_a).
std::string uuid_v7();
// The encoding alone: version and variant bits are set over the given fields.
std::string format_uuid_v7(std::uint64_t unix_ms, std::uint16_t rand_a, std::uint64_t rand_b);
bool is_uuid(const std::string& text);

}  // namespace llmbench::util
