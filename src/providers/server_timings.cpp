#include "server_timings.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <optional>

#include "llmbench/util/strings.hpp"

namespace llmbench::providers {

namespace {

// A week: a reported duration past it is not a duration of one request.
constexpr double k_max_ms = 7.0 * 24 * 3600 * 1000;

// A member that is a finite, non-negative number (integer or not).
std::optional<double> number(simdjson::dom::element e, std::string_view key) {
  double v = 0;
  if (e[key].get_double().get(v) != simdjson::SUCCESS || !std::isfinite(v) || v < 0) {
    return std::nullopt;
  }
  return v;
}

std::optional<std::int64_t> ns_from_ms(std::optional<double> ms) {
  if (!ms || *ms > k_max_ms) {
    return std::nullopt;
  }
  return std::llround(*ms * 1e6);
}

std::optional<std::int64_t> ns_from_s(std::optional<double> s) {
  return ns_from_ms(s ? std::optional<double>(*s * 1000.0) : std::nullopt);
}

std::optional<std::int64_t> whole(std::optional<double> n) {
  if (!n || *n > 1e12 || std::floor(*n) != *n) {
    return std::nullopt;
  }
  return static_cast<std::int64_t>(*n);
}

std::optional<simdjson::dom::element> object(simdjson::dom::element e, std::string_view key) {
  simdjson::dom::element v;
  if (e[key].get(v) != simdjson::SUCCESS || !v.is_object()) {
    return std::nullopt;
  }
  return v;
}

// Groq (`usage`, or `x_groq.usage` in a stream) and Cerebras (`time_info`) report seconds
// under the same four names.
bool read_seconds(simdjson::dom::element times, ServerTimings& out) {
  const auto queue = ns_from_s(number(times, "queue_time"));
  const auto prompt = ns_from_s(number(times, "prompt_time"));
  const auto decode = ns_from_s(number(times, "completion_time"));
  if (!prompt && !decode) {
    return false;
  }
  out.queue_ns = queue;
  out.prompt_ns = prompt;
  out.decode_ns = decode;
  return true;
}

}  // namespace

void ServerTimings::add_source(std::string_view name) {
  if (source.find(name) != std::string::npos) {
    return;
  }
  source += source.empty() ? "" : " + ";
  source += name;
}

namespace detail {

void read_server_timings(simdjson::dom::element doc, ServerTimings& out) {
  if (const auto t = object(doc, "timings")) {
    const auto prompt = ns_from_ms(number(*t, "prompt_ms"));
    const auto decode = ns_from_ms(number(*t, "predicted_ms"));
    if (prompt || decode) {
      out.prompt_ns = prompt;
      out.decode_ns = decode;
      out.prompt_tokens = whole(number(*t, "prompt_n"));
      out.decode_tokens = whole(number(*t, "predicted_n"));
      out.cached_tokens = whole(number(*t, "cache_n"));
      out.add_source("llama.cpp timings");
    }
  }
  if (const auto info = object(doc, "time_info"); info && read_seconds(*info, out)) {
    out.add_source("cerebras time_info");
  }
  std::optional<simdjson::dom::element> usage = object(doc, "usage");
  if (const auto groq = object(doc, "x_groq")) {
    if (const auto inner = object(*groq, "usage")) {
      usage = inner;
    }
  }
  if (usage && read_seconds(*usage, out)) {
    out.decode_tokens = whole(number(*usage, "completion_tokens"));
    out.prompt_tokens = whole(number(*usage, "prompt_tokens"));
    out.add_source("groq usage");
  }
}

void read_server_timing_header(std::string_view name, std::string_view value, ServerTimings& out) {
  if (!util::equals_ci(name, "openai-processing-ms")) {
    return;
  }
  double ms = 0;
  const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (ec != std::errc() || ptr != value.data() + value.size() || !std::isfinite(ms) || ms < 0) {
    return;
  }
  if (const auto ns = ns_from_ms(ms)) {
    out.processing_ns = ns;
    out.add_source("openai-processing-ms");
  }
}

}  // namespace detail

std::optional<std::string> server_clock_disagreement(const Response& r) {
  const ServerTimings& s = r.server;
  if (s.empty() || !r.ok() || r.t_done_ns < 0) {
    return std::nullopt;
  }
  const auto ms = [](std::int64_t ns) {
    return fmt::format("{:.2f} ms", static_cast<double>(ns) / 1e6);
  };
  if (s.prompt_ns && r.t_first_token_ns >= 0) {
    const std::int64_t ttft = r.t_first_token_ns - r.t_send_ns;
    if (ttft < *s.prompt_ns) {
      return fmt::format("TTFT {} is below the server's prompt time {} ({})", ms(ttft),
                         ms(*s.prompt_ns), s.source);
    }
  }
  const std::int64_t e2e = r.t_done_ns - r.t_send_ns;
  const std::int64_t work = s.prompt_ns.value_or(0) + s.decode_ns.value_or(0);
  if (work > 0 && e2e < work) {
    return fmt::format("E2E {} is below the server's prompt and decode time {} ({})", ms(e2e),
                       ms(work), s.source);
  }
  if (s.processing_ns && e2e < *s.processing_ns) {
    return fmt::format("E2E {} is below the server's processing time {} ({})", ms(e2e),
                       ms(*s.processing_ns), s.source);
  }
  return std::nullopt;
}

}  // namespace llmbench::providers
