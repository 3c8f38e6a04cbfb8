#pragma once

#include <cstdint>
#include <string>

namespace llmbench::util {

// A UUIDv7 (RFC 9562): 48-bit Unix milliseconds first, so ids sort by creation time. Ids made
// in the same millisecond by one process still sort in creation order (a counter in rand_a).
std::string uuid_v7();
std::string uuid_v7(std::uint64_t unix_ms);
bool is_uuid(const std::string& text);

}  // namespace llmbench::util
