#pragma once
// What the mock reads from a chat request and the bytes it answers with, in the shape each
// protocol sends: OpenAI Chat Completions chunks, Anthropic Messages events and OpenAI
// Responses events (docs/mock.md). The server (mock_server.cpp) decides when they are written.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "llmbench/server/mock_profile.hpp"
#include "llmbench/util/result.hpp"

namespace llmbench::server::mock {

enum class Protocol { openai, anthropic, responses };

struct ChatInput {
  std::string model;
  std::optional<std::int64_t> max_tokens;
  bool stream = false;
  bool include_usage = false;
  std::int64_t input_tokens = 1;  // about four characters of prompt text per token
};

// What the mock needs from a request body; an error message if it cannot be read. With
// `count_only` (Anthropic's count_tokens), a body without max_tokens is fine.
Result<ChatInput> read_chat(const std::string& body, Protocol protocol, bool count_only = false);

// The text of content event `event` (0-based) of a stream of `total` tokens.
std::string event_text(std::int64_t event, std::int64_t tokens_per_chunk, std::int64_t total);

// An error body in the protocol's own shape.
std::string error_body(Protocol protocol, std::string_view type, std::string_view message);

// llama-server's `timings` object (as a member to append: ",\"timings\":{...}") for a
// scripted answer: its prompt time is the scripted TTFT (plus `skew`), its decode time the
// scripted gaps after the first token, so the figures are the mock's ground truth and the
// client's TTFT can never be below them unless a clock is wrong.
std::string llamacpp_timings(const MockScript& script, std::int64_t prompt_n, Nanos skew);

// SSE payloads for one response, in the shape each provider sends. Appends to `out`.
class EventWriter {
 public:
  EventWriter(Protocol protocol, const ChatInput& in, const MockScript& script, std::uint64_t index,
              std::string timings = {});

  // The output stopped at the request's max_tokens.
  bool capped() const { return m_in.max_tokens && m_script.output_tokens >= *m_in.max_tokens; }
  // What comes before the first content event.
  void preamble(std::string& out) const;
  void content(std::string& out, std::string_view text) const;
  // An event cut off mid-JSON (the `malformed` fault).
  void malformed(std::string& out) const;
  // What follows the last content event; without `terminator`, the stream's closing event
  // (`[DONE]`, `message_stop`, `response.completed`) is left out.
  void finish(std::string& out, bool terminator) const;
  // The non-streaming answer carrying `text`.
  std::string whole_body(std::string_view text) const;

 private:
  void openai_chunk(std::string& out, std::string_view delta, std::string_view finish,
                    std::string_view extra = {}) const;
  void responses_event(std::string& out, std::string_view type, std::string_view fields) const;
  std::string usage_json() const;
  // The Responses API's response object (status in_progress | completed | incomplete).
  std::string response_object(std::string_view status, std::string_view text) const;

  Protocol m_protocol;
  const ChatInput& m_in;
  const MockScript& m_script;
  std::string m_timings;  // ",\"timings\":{...}" or empty
  std::string m_id;
  std::string m_item_id;  // the Responses API's message item
  std::string m_model;    // as a JSON string literal
  std::int64_t m_created = 0;
  mutable std::int64_t m_sequence = 0;  // the Responses API numbers its events
};

}  // namespace llmbench::server::mock
