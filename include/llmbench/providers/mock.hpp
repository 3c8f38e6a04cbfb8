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

// The same error split by whose it is, from the mock's own instants (a request sent with the
// x-mock-write-times header, parsed with keep_headers). `epoch_ns` is the engine's epoch in
// steady-clock nanoseconds (Engine::epoch_ns()), which turns the response's times into the
// mock's clock. For content event k, with S_k its scripted instant counted from when the
// mock read the request, W_k when the mock handed it to the socket and R_k when the client
// saw it:
//   client_ns[k]    = R_k - W_k   the client's error (and the kernel's, between them)
//   mock_late_ns[k] = W_k - S_k   the mock's lateness (never negative: it never writes early)
//   send_lag_ns     = mock read - client send: the request's way in
// so a measured TTFT's error is send_lag_ns + mock_late_ns[0] + client_ns[0].
struct AttributedError {
  std::int64_t send_lag_ns = 0;
  std::int64_t ttft_ns = 0;  // measured minus scripted TTFT, as in MeasurementError
  std::vector<std::int64_t> client_ns;
  std::vector<std::int64_t> mock_late_ns;
};
std::optional<AttributedError> attributed_error(const Response& response, std::int64_t epoch_ns);

}  // namespace llmbench::providers
