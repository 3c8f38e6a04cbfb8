#include "llmbench/util/duration.hpp"

#include <fmt/format.h>
#include <charconv>
#include <cmath>

namespace llmbench::util {

Result<Nanos> parse_duration(std::string_view text) {
  const auto fail = [&](std::string_view why) {
    return Result<Nanos>::failure(
        fmt::format("bad duration \"{}\": {} (write e.g. \"500ms\", \"60s\", \"2m\")", text, why));
  };
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  if (i == 0) {
    return fail("it must start with a number");
  }
  double number = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + i, number);
  if (ec != std::errc() || end != text.data() + i) {
    return fail("the number is malformed");
  }
  const std::string_view unit = text.substr(i);
  double scale = 0;
  if (unit == "ns") {
    scale = 1;
  } else if (unit == "us" || unit == "µs") {
    scale = 1e3;
  } else if (unit == "ms") {
    scale = 1e6;
  } else if (unit == "s") {
    scale = 1e9;
  } else if (unit == "m" || unit == "min") {
    scale = 60e9;
  } else if (unit == "h") {
    scale = 3600e9;
  } else if (unit == "d") {
    scale = 86400e9;
  } else if (unit.empty()) {
    return fail("a unit is missing (ns, us, ms, s, m, h or d)");
  } else {
    return fail(fmt::format("unknown unit \"{}\" (use ns, us, ms, s, m, h or d)", unit));
  }
  const double ns = number * scale;
  if (!std::isfinite(ns) || ns > 9.0e18) {
    return fail("it is too long");
  }
  return Nanos(static_cast<std::int64_t>(std::llround(ns)));
}

std::string format_duration(Nanos d) {
  const std::int64_t ns = d.count();
  if (ns == 0) {
    return "0s";
  }
  if (ns % 3'600'000'000'000 == 0) {
    return fmt::format("{}h", ns / 3'600'000'000'000);
  }
  if (ns % 60'000'000'000 == 0) {
    return fmt::format("{}m", ns / 60'000'000'000);
  }
  if (ns >= 1'000'000'000) {
    return fmt::format("{:g}s", static_cast<double>(ns) / 1e9);
  }
  if (ns >= 1'000'000) {
    return fmt::format("{:g}ms", static_cast<double>(ns) / 1e6);
  }
  if (ns >= 1'000) {
    return fmt::format("{:g}us", static_cast<double>(ns) / 1e3);
  }
  return fmt::format("{}ns", ns);
}

}  // namespace llmbench::util
