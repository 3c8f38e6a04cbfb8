#pragma once
// What one response amounted to: timestamps, content events, usage, outcome. A codec's
// parser fills it as bytes arrive; the run pipeline turns it into a stored request row.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "llmbench/net/error_class.hpp"

namespace llmbench::providers {

// Output content comes in three kinds; each counts as output, and reports can tell them
// apart.
enum class ContentKind : std::uint8_t { text, reasoning, tool_args };

// Where token counts came from: the server's usage numbers, or our count of content events.
enum class TokenSource { usage, estimated };
std::string_view to_string(TokenSource s);

// What the server says it spent on a request, where it says so (docs/metrics.md lists who
// reports what, and under which names). Durations in nanoseconds; absent where not sent.
struct ServerTimings {
  std::string source;                         // "llama.cpp timings", "openai-processing-ms" ...
  std::optional<std::int64_t> queue_ns;       // waiting before its work began
  std::optional<std::int64_t> prompt_ns;      // prompt processing (prefill) to the first token
  std::optional<std::int64_t> prompt_tokens;  // prompt tokens it processed (cache hits excluded)
  std::optional<std::int64_t> cached_tokens;  // prompt tokens it took from its cache
  std::optional<std::int64_t> decode_ns;      // generating the output (llama.cpp: after the
                                              // first token, so over decode_tokens - 1 steps)
  std::optional<std::int64_t> decode_tokens;
  std::optional<std::int64_t> processing_ns;  // the whole request as one figure (a header)

  bool empty() const { return source.empty(); }
  // Notes one more source ("a + b" when a response carries two).
  void add_source(std::string_view name);
};

struct Response {
  long status_code = 0;
  long http_version = 0;  // 11 or 20
  bool reused_connection = false;
  // Steady-clock ns since the engine's epoch; -1 where the moment never came.
  std::int64_t t_send_ns = 0;
  std::int64_t t_first_byte_ns = -1;
  std::int64_t t_first_token_ns = -1;
  std::int64_t t_done_ns = -1;
  std::vector<std::int64_t> content_times_ns;  // each content event's arrival, in order
  std::int64_t text_events = 0;
  std::int64_t reasoning_events = 0;
  std::int64_t tool_events = 0;

  std::optional<std::int64_t> input_tokens;         // all prompt tokens, cached included
  std::optional<std::int64_t> cached_input_tokens;  // the cached part of input_tokens
  std::optional<std::int64_t> output_tokens;        // as the server counted them
  std::optional<std::int64_t> reasoning_tokens;     // the reasoning part of output_tokens
  std::optional<std::string> finish_reason;         // stop, length, end_turn, tool_use ...
  bool terminated = false;  // saw the stream's terminator ([DONE] / message_stop)

  net::ErrorClass error = net::ErrorClass::none;
  std::string error_message;
  std::optional<std::int64_t> retry_after_ms;  // from Retry-After / retry-after-ms

  std::string text;                                          // only with keep_text
  std::vector<std::pair<std::string, std::string>> headers;  // only with keep_headers
  // The stream's SSE comment lines (text after ':', one per line), only with keep_headers:
  // the mock reports its write instants there.
  std::string sse_comments;
  ServerTimings server;  // what the server reported of its own time, if anything

  bool ok() const { return error == net::ErrorClass::none; }
  std::int64_t content_events() const { return text_events + reasoning_events + tool_events; }
  TokenSource token_source() const {
    return output_tokens ? TokenSource::usage : TokenSource::estimated;
  }
  // The server's count when it sent one, else one token per content event.
  std::int64_t output_token_count() const { return output_tokens.value_or(content_events()); }
  // The first response header with this name (case-insensitive), when headers were kept.
  std::optional<std::string_view> header(std::string_view name) const;
};

// Where the server's own figures contradict the client's clock, in words ("TTFT 12.1 ms is
// below the server's prompt time 15.3 ms"): the server cannot have sent the first token
// before it finished the prompt, nor the last before its prompt and decode time had passed,
// so one of the two clocks is wrong. Nothing when they agree or there is nothing to compare.
std::optional<std::string> server_clock_disagreement(const Response& response);

}  // namespace llmbench::providers
