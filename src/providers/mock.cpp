#include "llmbench/providers/mock.hpp"

#include <fmt/format.h>

#include <charconv>

namespace llmbench::providers {

std::vector<std::pair<std::string, std::string>> mock_script_headers(
    const suite::MockScript& script) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"x-mock-ttft",
       script.ttft_spec.empty() ? fmt::format("{}ns", script.ttft.count()) : script.ttft_spec},
      {"x-mock-itl",
       script.itl_spec.empty() ? fmt::format("{}ns", script.itl.count()) : script.itl_spec},
      {"x-mock-output-tokens", script.output_tokens_spec.empty()
                                   ? std::to_string(script.output_tokens)
                                   : script.output_tokens_spec},
      {"x-mock-seed", std::to_string(script.seed)},
  };
  std::string faults;
  for (const auto& [name, p] : script.faults) {
    faults += fmt::format("{}{}={}", faults.empty() ? "" : ",", name, p);
  }
  if (!faults.empty()) {
    headers.emplace_back("x-mock-faults", faults);
  }
  if (script.llamacpp_timings) {
    headers.emplace_back("x-mock-timings", "llama.cpp");
  }
  return headers;
}

namespace {

std::optional<std::int64_t> number(std::string_view s) {
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size()) {
    return std::nullopt;
  }
  return v;
}

// "1,2,3" as numbers; nothing if any is not one.
std::optional<std::vector<std::int64_t>> numbers(std::string_view list) {
  std::vector<std::int64_t> out;
  while (!list.empty()) {
    const auto comma = list.find(',');
    const auto n = number(list.substr(0, comma));
    if (!n) {
      return std::nullopt;
    }
    out.push_back(*n);
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
  }
  return out;
}

}  // namespace

std::optional<ScriptedTimes> scripted_times(const Response& response) {
  const auto ttft = response.header("x-mock-ttft-ns");
  const auto gaps = response.header("x-mock-itl-ns");
  if (!ttft || !gaps) {
    return std::nullopt;
  }
  const auto t = number(*ttft);
  const auto g = numbers(*gaps);
  if (!t || !g) {
    return std::nullopt;
  }
  ScriptedTimes out;
  out.ttft = std::chrono::nanoseconds(*t);
  for (const auto gap : *g) {
    out.gaps.emplace_back(gap);
  }
  return out;
}

std::optional<MeasurementError> measurement_error(const Response& response) {
  const auto script = scripted_times(response);
  if (!script || response.t_first_token_ns < 0) {
    return std::nullopt;
  }
  MeasurementError e;
  e.ttft_ns = response.t_first_token_ns - response.t_send_ns - script->ttft.count();
  const auto& times = response.content_times_ns;
  for (std::size_t i = 1; i < times.size() && i - 1 < script->gaps.size(); ++i) {
    e.gap_ns.push_back(times[i] - times[i - 1] - script->gaps[i - 1].count());
  }
  return e;
}

std::optional<AttributedError> attributed_error(const Response& response, std::int64_t epoch_ns) {
  const auto total = measurement_error(response);
  const auto script = scripted_times(response);
  const auto read_header = response.header("x-mock-read-ns");
  if (!total || !script || !read_header) {
    return std::nullopt;
  }
  const auto read_ns = number(*read_header);
  static constexpr std::string_view k_tag = "mock-write-ns ";
  const std::string_view comments = response.sse_comments;
  const auto at = comments.find(k_tag);
  if (!read_ns || at == std::string_view::npos) {
    return std::nullopt;
  }
  std::string_view list = comments.substr(at + k_tag.size());
  list = list.substr(0, list.find('\n'));
  const auto writes = numbers(list);
  if (!writes) {
    return std::nullopt;
  }
  AttributedError e;
  e.ttft_ns = total->ttft_ns;
  e.send_lag_ns = *read_ns - (epoch_ns + response.t_send_ns);
  std::int64_t scripted = *read_ns + script->ttft.count();
  const auto& received = response.content_times_ns;
  for (std::size_t k = 0; k < received.size() && k < writes->size(); ++k) {
    if (k > 0) {
      if (k - 1 >= script->gaps.size()) {
        break;
      }
      scripted += script->gaps[k - 1].count();
    }
    e.client_ns.push_back(epoch_ns + received[k] - (*writes)[k]);
    e.mock_late_ns.push_back((*writes)[k] - scripted);
  }
  return e;
}

}  // namespace llmbench::providers
