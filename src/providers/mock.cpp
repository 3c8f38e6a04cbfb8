#include "llmbench/providers/mock.hpp"

#include <fmt/format.h>

#include <charconv>

namespace llmbench::providers {

std::vector<std::pair<std::string, std::string>> mock_script_headers(
    const suite::MockScript& script) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"x-mock-ttft", fmt::format("{}ns", script.ttft.count())},
      {"x-mock-itl", fmt::format("{}ns", script.itl.count())},
      {"x-mock-output-tokens", std::to_string(script.output_tokens)},
      {"x-mock-seed", std::to_string(script.seed)},
  };
  std::string faults;
  for (const auto& [name, p] : script.faults) {
    faults += fmt::format("{}{}={}", faults.empty() ? "" : ",", name, p);
  }
  if (!faults.empty()) {
    headers.emplace_back("x-mock-faults", faults);
  }
  return headers;
}

std::optional<ScriptedTimes> scripted_times(const Response& response) {
  const auto ttft = response.header("x-mock-ttft-ns");
  const auto gaps = response.header("x-mock-itl-ns");
  if (!ttft || !gaps) {
    return std::nullopt;
  }
  const auto number = [](std::string_view s) -> std::optional<std::int64_t> {
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || ptr != s.data() + s.size()) {
      return std::nullopt;
    }
    return v;
  };
  ScriptedTimes out;
  const auto t = number(*ttft);
  if (!t) {
    return std::nullopt;
  }
  out.ttft = std::chrono::nanoseconds(*t);
  std::string_view rest = *gaps;
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    const auto g = number(rest.substr(0, comma));
    if (!g) {
      return std::nullopt;
    }
    out.gaps.emplace_back(*g);
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
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

}  // namespace llmbench::providers
