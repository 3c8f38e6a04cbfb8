#include "llmbench/route/fate.hpp"

namespace llmbench::route {

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::success:
      return "success";
    case Outcome::soft:
      return "soft";
    case Outcome::hard:
      return "hard";
  }
  return "soft";
}

Outcome classify(const providers::Response& r) {
  if (r.ok()) {
    return Outcome::success;
  }
  switch (r.error) {
    case net::ErrorClass::http_4xx:
      return r.status_code == 408 ? Outcome::soft : Outcome::hard;
    default:
      // 429, 5xx, connection failures and resets, timeouts, a broken stream, a cancel.
      return Outcome::soft;
  }
}

std::optional<std::int64_t> retry_delay_ms(const providers::Response& r, const RetryPolicy& policy,
                                           int attempt) {
  if (r.error != net::ErrorClass::rate_limited || !policy.retry_rate_limited ||
      attempt > policy.max_retries) {
    return std::nullopt;
  }
  return r.retry_after_ms.value_or(1000);
}

}  // namespace llmbench::route
