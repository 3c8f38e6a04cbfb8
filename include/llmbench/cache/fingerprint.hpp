#pragma once
// The cache key of a request (docs/cache.md has a worked example, so other tools can compute
// the same key): BLAKE3-256, as lowercase hex, of the RFC 8785 canonical form of
//   {"body": <the request body as sent, minus stream, stream_options and user>,
//    "provider": <"openai" | "anthropic">}
// so requests that differ only in key order, number spelling, whitespace or streaming share a
// key, and any semantic change gives another. With `full`, nothing is left out of the body.

#include <string>
#include <string_view>

#include "llmbench/util/result.hpp"

namespace llmbench::cache {

enum class KeyMode { semantic, full };

// The fingerprint, or why the body has none (it is not canonicalizable JSON).
Result<std::string> fingerprint(std::string_view provider, std::string_view body,
                                KeyMode mode = KeyMode::semantic);
// The exact text that is hashed (for `llmbench cache show` and the docs).
Result<std::string> fingerprint_input(std::string_view provider, std::string_view body,
                                      KeyMode mode = KeyMode::semantic);

}  // namespace llmbench::cache
