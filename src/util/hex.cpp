#include "llmbench/util/hex.hpp"

namespace llmbench::util {

namespace {
constexpr char k_digits[] = "0123456789abcdef";

int value_of(char c) {
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return 0;
}
}  // namespace

std::string to_hex(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out += k_digits[b >> 4];
    out += k_digits[b & 15];
  }
  return out;
}

std::string from_hex(std::string_view hex) {
  std::string out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    out += static_cast<char>(value_of(hex[i]) * 16 + value_of(hex[i + 1]));
  }
  return out;
}

bool is_lower_hex(std::string_view text, std::size_t digits) {
  return (digits == 0 || text.size() == digits) &&
         text.find_first_not_of(k_digits) == std::string_view::npos;
}

}  // namespace llmbench::util
