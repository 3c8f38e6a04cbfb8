#pragma once
// Anthropic Messages API: `x-api-key` and `anthropic-version` headers; the event stream
// message_start (input usage), content_block_start/delta/stop (text_delta, thinking_delta,
// input_json_delta), message_delta (output usage, stop_reason), message_stop, ping, error.

#include "llmbench/providers/codec.hpp"

namespace llmbench::providers {

inline constexpr std::string_view k_anthropic_version = "2023-06-01";

class AnthropicCodec final : public Codec {
 public:
  std::string_view name() const override { return "anthropic"; }
  std::string default_base_url() const override { return "https://api.anthropic.com/v1"; }
  net::HttpRequest build(const ChatRequest& request) const override;
  std::string body(const ChatRequest& request) const override;
  std::unique_ptr<ResponseParser> parser(const ParserOptions& options) const override;
};

class AnthropicParser final : public ResponseParser {
 public:
  using ResponseParser::ResponseParser;

 protected:
  bool on_event(const net::SseEvent& event, std::int64_t t_ns) override;
  void on_json_body(std::string_view body, std::int64_t t_ns) override;
  net::ErrorClass error_class_for_type(std::string_view type, long status) const override;
};

}  // namespace llmbench::providers
