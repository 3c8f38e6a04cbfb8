#include "llmbench/util/time.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdio>
#include <ctime>

namespace llmbench::util {

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

namespace {
std::tm utc_tm(std::int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}
}  // namespace

std::string iso8601_utc_ms(std::int64_t unix_ms) {
  const std::tm tm = utc_tm(unix_ms);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, unix_ms % 1000);
}

std::string short_utc(std::int64_t unix_ms) {
  const std::tm tm = utc_tm(unix_ms);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min);
}

std::optional<std::int64_t> parse_utc(std::string_view text) {
  if (!text.empty() && text.back() == 'Z') {
    text.remove_suffix(1);
  }
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  const std::string s(text);
  int used = 0;
  const int n = std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &used);
  if (n != 3 || used != 10) {
    return std::nullopt;
  }
  if (s.size() > 10) {
    int more = 0;
    const int m = std::sscanf(s.c_str() + 10, "T%2d:%2d%n", &hour, &minute, &more);
    if (m != 2) {
      return std::nullopt;
    }
    std::size_t at = 10 + static_cast<std::size_t>(more);
    if (at < s.size()) {
      int tail_used = 0;
      if (std::sscanf(s.c_str() + at, ":%2d%n", &second, &tail_used) != 1) {
        return std::nullopt;
      }
      at += static_cast<std::size_t>(tail_used);
    }
    if (at != s.size()) {
      return std::nullopt;
    }
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<std::int64_t>(timegm(&tm)) * 1000;
}

}  // namespace llmbench::util
