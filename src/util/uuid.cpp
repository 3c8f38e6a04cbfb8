#include "llmbench/util/uuid.hpp"

#include <fmt/format.h>

#include <mutex>
#include <random>

#include "llmbench/util/time.hpp"

namespace llmbench::util {

std::string format_uuid_v7(std::uint64_t unix_ms, std::uint16_t rand_a, std::uint64_t rand_b) {
  const std::uint64_t hi = ((unix_ms & 0xffffffffffffULL) << 16) | 0x7000 | (rand_a & 0x0fff);
  const std::uint64_t lo = (rand_b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", hi >> 32, (hi >> 16) & 0xffff,
                     hi & 0xffff, lo >> 48, lo & 0xffffffffffffULL);
}

std::string uuid_v7() {
  static std::mutex mutex;
  static std::mt19937_64 rng{std::random_device{}()};
  static std::uint64_t last_ms = 0;
  static std::uint16_t counter = 0;

  auto unix_ms = static_cast<std::uint64_t>(unix_ms_now());
  std::lock_guard lock(mutex);
  if (unix_ms <= last_ms) {
    // Same (or, after a clock step back, an earlier) millisecond: keep counting upwards.
    unix_ms = last_ms;
    if (++counter > 0x0fff) {
      counter = 0;
      unix_ms = ++last_ms;
    }
  } else {
    counter = static_cast<std::uint16_t>(rng() & 0x03ff);  // leave room to count upwards
    last_ms = unix_ms;
  }
  return format_uuid_v7(unix_ms, counter, rng());
}

bool is_uuid(const std::string& text) {
  if (text.size() != 36) {
    return false;
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') {
        return false;
      }
    } else if (!std::isxdigit(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  return true;
}

}  // namespace llmbench::util
