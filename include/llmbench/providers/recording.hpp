#pragma once
// What the response cache keeps of one exchange, and the two ends that make and use it:
//
//   Recorder   watches a ResponseParser and keeps each SSE event as the parser decodes it,
//              with its arrival time, so the stream can be replayed with its original timing.
//   replay_*   feed a Recording back into any handler (a parser), as if it arrived now.
//
// The cache store (cache/) persists Recordings; the runner (load/) records and replays them.
// Both sit above providers/, so the type lives here.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "llmbench/net/engine.hpp"
#include "llmbench/providers/parser.hpp"

namespace llmbench::providers {

struct RecordedEvent {
  std::int64_t offset_us = 0;  // arrival, from the send
  std::string text;            // the event as fields: "event: NAME\ndata: ..." (no blank line)
};

struct Recording {
  long status = 200;
  bool stream = true;  // false: `body` is the JSON body as received, and there are no events
  std::string body;    // the response as the non-streaming API returns it
  std::vector<RecordedEvent> events;
  std::string model;
  std::optional<std::string> system_fingerprint;
  std::int64_t ttft_us = -1;  // first content, from the send (-1: none)
  std::int64_t duration_us = 0;
};

// The non-streaming response body a stream amounts to (OpenAI chat.completion or Anthropic
// message): id, model and system fingerprint from the stream's first events, the output text
// (the parser must keep text), finish reason and usage. Tool calls and reasoning are counted
// in the stream but not rebuilt here.
std::string assemble_body(std::string_view provider, const Response& response,
                          const std::vector<RecordedEvent>& events,
                          std::string_view fallback_model);

class Recorder {
 public:
  // Watches `parser` (which must outlive the Recorder) from now on. `provider` is the
  // protocol ("openai" | "anthropic"); `model` names the model when the stream does not.
  Recorder(ResponseParser& parser, std::string provider, std::string model);

  // Once the parser has completed: the recording, when the exchange was a complete success
  // (errors and cut-off streams are never recorded).
  std::optional<Recording> take();

 private:
  ResponseParser& m_parser;
  std::string m_provider;
  std::string m_model;
  std::vector<std::pair<std::int64_t, std::string>> m_events;  // absolute arrival, text
};

// Replaying: the status and content type (at the first byte), then each event (or the body,
// for a non-streaming recording), then completion. The caller picks the instants.
void replay_start(net::ResponseHandler& handler, const Recording& recording, std::int64_t t_ns);
// Returns false when the handler wants no more.
bool replay_event(net::ResponseHandler& handler, const RecordedEvent& event, std::int64_t t_ns);
bool replay_body(net::ResponseHandler& handler, const Recording& recording, std::int64_t t_ns);
void replay_complete(net::ResponseHandler& handler, const Recording& recording,
                     std::int64_t t_send_ns, std::int64_t t_first_byte_ns, std::int64_t t_done_ns);

// Parses "event: NAME\ndata: ..." back into the raw SSE frame (with its blank line).
std::string sse_frame(std::string_view event_text);

}  // namespace llmbench::providers
