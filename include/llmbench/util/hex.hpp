#pragma once
// Lowercase hexadecimal: digests, tokens and keys as text.

#include <cstddef>
#include <string>
#include <string_view>

namespace llmbench::util {

std::string to_hex(std::string_view bytes);
// The bytes of an even-length hex string (either case); what is not hex decodes as 0.
std::string from_hex(std::string_view hex);
// `text` is lowercase hex, of exactly `digits` digits when digits > 0 (else of any length).
bool is_lower_hex(std::string_view text, std::size_t digits = 0);

}  // namespace llmbench::util
