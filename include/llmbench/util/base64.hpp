#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace llmbench::util {

std::string base64_encode(std::span<const std::uint8_t> bytes);
// Standard alphabet with padding; nullopt on any character outside it or a bad length.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace llmbench::util
