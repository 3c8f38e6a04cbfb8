#include "llmbench/net/error_class.hpp"

#include <array>
#include <utility>

namespace llmbench::net {

namespace {
constexpr std::array<std::pair<ErrorClass, std::string_view>, 11> k_names = {{
    {ErrorClass::none, "none"},
    {ErrorClass::http_4xx, "http_4xx"},
    {ErrorClass::rate_limited, "rate_limited"},
    {ErrorClass::http_5xx, "http_5xx"},
    {ErrorClass::timeout_connect, "timeout_connect"},
    {ErrorClass::timeout_ttft, "timeout_ttft"},
    {ErrorClass::timeout_total, "timeout_total"},
    {ErrorClass::connection, "connection"},
    {ErrorClass::protocol, "protocol"},
    {ErrorClass::cancelled, "cancelled"},
    {ErrorClass::cache_miss, "cache_miss"},
}};
}  // namespace

std::string_view to_string(ErrorClass e) {
  for (const auto& [cls, name] : k_names) {
    if (cls == e) {
      return name;
    }
  }
  return "unknown";
}

ErrorClass error_class_for_status(long status) {
  if (status == 429) {
    return ErrorClass::rate_limited;
  }
  if (status >= 500) {
    return ErrorClass::http_5xx;
  }
  if (status >= 400) {
    return ErrorClass::http_4xx;
  }
  if (status >= 200 && status < 300) {
    return ErrorClass::none;
  }
  return ErrorClass::protocol;  // 1xx/3xx as a final answer: not something we can use
}

}  // namespace llmbench::net
