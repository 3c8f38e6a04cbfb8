#pragma once
// OpenAI Chat Completions (and every compatible server: vLLM, llama.cpp server, Ollama,
// LiteLLM, OpenRouter, Groq). Streams with `stream_options.include_usage`, reads content,
// reasoning (`reasoning_content` / `reasoning`) and tool-call argument deltas, the usage
// chunk, `[DONE]`, and error objects mid-stream or as a non-2xx body.

#include "llmbench/providers/codec.hpp"

namespace llmbench::providers {

class OpenAiCodec final : public Codec {
 public:
  std::string_view name() const override { return "openai"; }
  std::string default_base_url() const override { return "https://api.openai.com/v1"; }
  net::HttpRequest build(const ChatRequest& request) const override;
  std::string body(const ChatRequest& request) const override;
  std::unique_ptr<ResponseParser> parser(const ParserOptions& options) const override;
};

class OpenAiParser final : public ResponseParser {
 public:
  using ResponseParser::ResponseParser;

 protected:
  bool on_event(const net::SseEvent& event, std::int64_t t_ns) override;
  void on_json_body(std::string_view body, std::int64_t t_ns) override;
  net::ErrorClass error_class_for_type(std::string_view type, long status) const override;
};

}  // namespace llmbench::providers
