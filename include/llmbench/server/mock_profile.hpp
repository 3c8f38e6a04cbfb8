#pragma once
// What the mock server scripts: latency and length distributions, chunking, and faults.
//
// Distributions are written as specs (util/distribution.hpp), the same in flags, profile
// files, request headers and suites: "50ms", "uniform:20ms..80ms", "normal:50ms,5ms",
// "lognormal:50ms,0.3", "spike:20ms,2%,800ms", "lognormal:20ms,0.8+spike:2%,800ms".

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "llmbench/util/distribution.hpp"
#include "llmbench/util/result.hpp"

namespace llmbench::server {

using Nanos = std::chrono::nanoseconds;

// The distributions (util/distribution.hpp), kept under their old name here.
using Distribution = util::Distribution;

enum class Fault {
  none,
  rate_limited,   // 429 with Retry-After and an error body
  server_error,   // 500 with an error body
  unavailable,    // 503 with an error body
  reset,          // the connection is reset (RST) halfway through the stream
  malformed,      // a malformed JSON event halfway through the stream
  stall,          // the stream stops halfway and never resumes (until the client leaves)
  no_terminator,  // every token, but no [DONE] / message_stop
  unauthorized,   // 401 with an error body (a bad key: a route never sends it on)
};
std::string_view to_string(Fault f);
std::optional<Fault> fault_from_string(std::string_view s);
const std::vector<Fault>& all_faults();  // every fault but `none`

struct FaultRates {
  // Probability of each fault per request, in all_faults() order; the sum must be <= 1.
  std::vector<std::pair<Fault, double>> rates;
  double total() const;
  // Picks a fault (or none) from one uniform draw in [0, 1).
  Fault pick(double u) const;
  // "rate_limited=0.1,reset=0.05" (the x-mock-faults header).
  static Result<FaultRates> parse(std::string_view text);
};

struct MockProfile {
  Distribution ttft = Distribution::fixed(20e6);
  Distribution itl = Distribution::fixed(5e6);
  bool output_from_max_tokens = false;  // emit exactly the request's max_tokens
  Distribution output_tokens = Distribution::fixed(64);
  std::int64_t tokens_per_chunk = 1;
  FaultRates faults;
  Nanos retry_after{std::chrono::seconds(1)};
  std::uint64_t seed = 1;
  std::string model = "mock";
  // "llama.cpp": OpenAI-protocol answers carry llama-server's `timings` object (the stream's
  // last chunk, or the whole body), reporting the scripted times as the server's own.
  bool llamacpp_timings = false;

  // Reads a TOML profile (a [mock] table; see docs/mock.md). Errors name file:line:column.
  static MockProfile load(const std::string& path);
};

// The longest answer the mock scripts (each token costs the script 8 bytes up front); a
// request asking for more gets a 400.
inline constexpr std::int64_t k_max_mock_output_tokens = 1'000'000;

// One request's script: every delay decided before the first byte is sent, so the response
// headers can report them as ground truth.
struct MockScript {
  Nanos ttft{0};
  std::vector<Nanos> gaps;  // between consecutive content events (events - 1 of them);
                            // none when output_tokens passes k_max_mock_output_tokens
  std::int64_t output_tokens = 0;
  std::int64_t tokens_per_chunk = 1;
  Fault fault = Fault::none;
  std::int64_t events() const {
    return (output_tokens + tokens_per_chunk - 1) / std::max<std::int64_t>(1, tokens_per_chunk);
  }
};

// Per-request overrides, from x-mock-* request headers (specs as above).
struct MockOverrides {
  std::optional<Distribution> ttft;
  std::optional<Distribution> itl;
  std::optional<Distribution> output_tokens;
  bool output_from_max_tokens = false;
  std::optional<std::int64_t> tokens_per_chunk;
  std::optional<std::uint64_t> seed;
  std::optional<std::uint64_t> index;    // with seed: the request's own number
  std::optional<FaultRates> faults;      // replaces the profile's rates
  std::optional<Fault> fault;            // forces one
  std::optional<bool> llamacpp_timings;  // x-mock-timings: llama.cpp | none
  // x-mock-timings-skew: added to the reported prompt time, so a test can make the server's
  // figures contradict the client's clock.
  Nanos timings_skew{0};
};

// Decides a script for request number `index`: the profile's seed and the index make it
// reproducible. A request that brings its own seed is scripted by that seed and its own
// index (x-mock-index, 0 when absent), never by the server's counter.
MockScript make_script(const MockProfile& profile, const MockOverrides& overrides,
                       std::uint64_t index, std::optional<std::int64_t> max_tokens);

}  // namespace llmbench::server
