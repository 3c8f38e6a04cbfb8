#include "llmbench/util/base64.hpp"

#include <array>

namespace llmbench::util {

namespace {
constexpr std::string_view k_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_reverse() {
  std::array<std::int8_t, 256> rev{};
  for (auto& r : rev) {
    r = -1;
  }
  for (std::size_t i = 0; i < k_alphabet.size(); ++i) {
    rev[static_cast<unsigned char>(k_alphabet[i])] = static_cast<std::int8_t>(i);
  }
  return rev;
}
constexpr auto k_reverse = make_reverse();
}  // namespace

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v =
        (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += k_alphabet[(v >> 18) & 63];
    out += k_alphabet[(v >> 12) & 63];
    out += k_alphabet[(v >> 6) & 63];
    out += k_alphabet[v & 63];
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    if (rest == 2) {
      v |= std::uint32_t{bytes[i + 1]} << 8;
    }
    out += k_alphabet[(v >> 18) & 63];
    out += k_alphabet[(v >> 12) & 63];
    out += rest == 2 ? k_alphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return std::nullopt;
  }
  std::vector<std::uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (std::size_t i = 0; i < text.size(); i += 4) {
    std::uint32_t v = 0;
    int pad = 0;
    for (std::size_t j = 0; j < 4; ++j) {
      const char c = text[i + j];
      if (c == '=' && i + 4 == text.size() && j >= 2) {
        ++pad;
        v <<= 6;
        continue;
      }
      const std::int8_t r = k_reverse[static_cast<unsigned char>(c)];
      if (r < 0 || pad > 0) {
        return std::nullopt;
      }
      v = (v << 6) | static_cast<std::uint32_t>(r);
    }
    out.push_back(static_cast<std::uint8_t>(v >> 16));
    if (pad < 2) {
      out.push_back(static_cast<std::uint8_t>(v >> 8));
    }
    if (pad < 1) {
      out.push_back(static_cast<std::uint8_t>(v));
    }
  }
  return out;
}

}  // namespace llmbench::util
