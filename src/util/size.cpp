#include "llmbench/util/size.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include "llmbench/util/strings.hpp"

namespace llmbench::util {

Result<std::int64_t> parse_size(std::string_view text) {
  const auto fail = [&](std::string_view why) {
    return Result<std::int64_t>::failure(
        fmt::format("bad size \"{}\": {} (write e.g. \"500MB\", \"2GiB\")", text, why));
  };
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  double number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + i, number);
  if (i == 0 || ec != std::errc() || end != text.data() + i) {
    return fail("it must start with a number");
  }
  std::string_view unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') {
    unit.remove_prefix(1);
  }
  static constexpr std::array<std::pair<std::string_view, double>, 9> k_units = {{
      {"b", 1},
      {"kb", 1e3},
      {"mb", 1e6},
      {"gb", 1e9},
      {"tb", 1e12},
      {"kib", 1024.0},
      {"mib", 1024.0 * 1024},
      {"gib", 1024.0 * 1024 * 1024},
      {"tib", 1024.0 * 1024 * 1024 * 1024},
  }};
  if (unit.empty()) {
    return fail("a unit is missing (B, KB, MB, GB, KiB, MiB, GiB)");
  }
  for (const auto& [name, scale] : k_units) {
    if (equals_ci(unit, name)) {
      const double bytes = number * scale;
      if (!std::isfinite(bytes) || bytes > 9.0e18) {
        return fail("it is too large");
      }
      return static_cast<std::int64_t>(std::llround(bytes));
    }
  }
  return fail(fmt::format("unknown unit \"{}\"", unit));
}

std::string format_size(std::int64_t bytes) {
  const auto b = static_cast<double>(bytes);
  if (bytes < 1000) {
    return fmt::format("{} B", bytes);
  }
  if (b < 1e6) {
    return fmt::format("{:.1f} KB", b / 1e3);
  }
  if (b < 1e9) {
    return fmt::format("{:.1f} MB", b / 1e6);
  }
  return fmt::format("{:.2f} GB", b / 1e9);
}

}  // namespace llmbench::util
