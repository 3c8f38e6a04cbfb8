#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace llmbench::util {

// Edit distance (insert, delete, substitute, and swap of neighbours), for "did you mean".
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` when it is close enough to be a plausible typo.
std::optional<std::string> closest_match(std::string_view word,
                                         std::span<const std::string_view> candidates);

std::vector<std::string> split(std::string_view text, char sep);
std::string_view trim(std::string_view text);
bool starts_with_ci(std::string_view text, std::string_view prefix);
// ASCII case-insensitive equality (HTTP header names).
bool equals_ci(std::string_view a, std::string_view b);
// ASCII lower case.
std::string to_lower(std::string_view text);
// RFC 4180: a field holding a comma, quote or line break quoted, inner quotes doubled.
void append_csv_field(std::string& out, std::string_view field);
std::string csv_field(std::string_view field);
// %XX for every byte but the unreserved characters (RFC 3986): a URL path segment or query
// value.
std::string percent_encode(std::string_view s);
std::string join(std::span<const std::string> parts, std::string_view sep);

}  // namespace llmbench::util
