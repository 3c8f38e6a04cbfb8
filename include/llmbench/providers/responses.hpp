#pragma once
// The OpenAI Responses API (`POST /v1/responses`, what Codex speaks). A stream is a sequence
// of typed events with no `[DONE]`: output arrives as `response.output_text.delta`,
// `response.refusal.delta`, `response.reasoning_summary_text.delta` /
// `response.reasoning_text.delta` and `response.function_call_arguments.delta` (each with a
// string `delta`); it ends with `response.completed`, `response.incomplete` or
// `response.failed`, whose `response.usage` holds `input_tokens`
// (`input_tokens_details.cached_tokens`) and `output_tokens`
// (`output_tokens_details.reasoning_tokens`). An `error` event fails the stream. A whole body
// is the response object itself (`output[]` of message items with `output_text` parts).
//
// The codec writes `input` (the suite's messages), `instructions` (its system prompt) and
// `max_output_tokens`; the proxy forwards clients' own Responses requests and only reads the
// answers. A suite target does not yet choose this protocol (its provider names a codec).

#include "llmbench/providers/codec.hpp"
#include "llmbench/providers/parser.hpp"

namespace llmbench::providers {

class ResponsesCodec final : public Codec {
 public:
  std::string_view name() const override { return "openai-responses"; }
  std::string default_base_url() const override { return "https://api.openai.com/v1"; }
  net::HttpRequest build(const ChatRequest& request) const override;
  std::string body(const ChatRequest& request) const override;
  std::unique_ptr<ResponseParser> parser(const ParserOptions& options) const override;
};

const Codec& responses_codec();

class ResponsesParser final : public ResponseParser {
 public:
  using ResponseParser::ResponseParser;

 protected:
  bool on_event(const net::SseEvent& event, std::int64_t t_ns) override;
  void on_json_body(std::string_view body, std::int64_t t_ns) override;
  net::ErrorClass error_class_for_type(std::string_view type, long status) const override;
};

}  // namespace llmbench::providers
