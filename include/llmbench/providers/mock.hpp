#pragma once
// The mock provider: the OpenAI protocol, plus request headers that carry a suite target's
// script (x-mock-ttft, x-mock-itl, x-mock-output-tokens, x-mock-seed, x-mock-faults) to the
// mock server, so one in-process server can play every mock target of a suite. The run adds
// x-mock-index (the request's sequence number), so each request's script, faults included,
// follows from (seed, index) alone and a run is reproducible.

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "llmbench/providers/response.hpp"
#include "llmbench/suite/suite.hpp"

namespace llmbench::providers {

std::vector<std::pair<std::string, std::string>> mock_script_headers(
    const suite::MockScript& script);

// The delays the mock scripted for a response (its x-mock-ttft-ns and x-mock-itl-ns headers;
// the response must have been parsed with keep_headers), or nothing if they are absent.
struct ScriptedTimes {
  std::chrono::nanoseconds ttft{0};
  std::vector<std::chrono::nanoseconds> gaps;
};
std::optional<ScriptedTimes> scripted_times(const Response& response);

// How far a measurement strays from the script: measured minus scripted, in nanoseconds, for
// the TTFT and for every inter-token gap the headers report.
struct MeasurementError {
  std::int64_t ttft_ns = 0;
  std::vector<std::int64_t> gap_ns;
};
std::optional<MeasurementError> measurement_error(const Response& response);

}  // namespace llmbench::providers
