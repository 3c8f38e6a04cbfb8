#include "llmbench/providers/anthropic.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "support/stream_fixtures.hpp"

using namespace llmbench;
using llmbench::net::ErrorClass;
using llmbench::testing::feed;
using llmbench::testing::read_fixture;

namespace {

const providers::Codec& codec() {
  return providers::anthropic_codec();
}

}  // namespace

TEST(Anthropic, ReadsTheDocumentedStream) {
  const auto fed = feed(codec(), 200, read_fixture("anthropic_messages.sse"));
  const auto& r = fed.r();
  EXPECT_TRUE(r.ok()) << r.error_message;
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.text_events, 2);
  EXPECT_EQ(r.text, "Hello!");
  EXPECT_EQ(r.input_tokens, 25);
  EXPECT_EQ(r.cached_input_tokens, 0);
  EXPECT_EQ(r.output_tokens, 15);  // message_delta's count, not message_start's
  EXPECT_EQ(r.finish_reason, "end_turn");
  EXPECT_EQ(r.token_source(), providers::TokenSource::usage);
}

TEST(Anthropic, EverySplitOfTheStreamReadsTheSame) {
  const std::string body = read_fixture("anthropic_tools_thinking.sse");
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    const auto fed = feed(codec(), 200, body, {cut});
    ASSERT_TRUE(fed.r().ok()) << cut << ": " << fed.r().error_message;
    ASSERT_EQ(fed.r().content_events(), 3) << cut;
    ASSERT_EQ(fed.r().output_tokens, 89) << cut;
  }
}

TEST(Anthropic, ThinkingAndToolInputCountApartAndCacheReadsAreInput) {
  const auto fed = feed(codec(), 200, read_fixture("anthropic_tools_thinking.sse"));
  const auto& r = fed.r();
  EXPECT_EQ(r.reasoning_events, 1);  // the signature delta is not output
  EXPECT_EQ(r.tool_events, 2);       // the empty partial_json is not output
  EXPECT_EQ(r.text_events, 0);
  EXPECT_EQ(r.input_tokens, 472 + 2048);
  EXPECT_EQ(r.cached_input_tokens, 2048);
  EXPECT_EQ(r.finish_reason, "tool_use");
}

TEST(Anthropic, OverloadedErrorEventMidStream) {
  const auto fed = feed(codec(), 200, read_fixture("anthropic_overloaded.sse"));
  EXPECT_EQ(fed.r().error, ErrorClass::http_5xx);
  EXPECT_EQ(fed.r().error_message, "error event (overloaded_error): Overloaded");
  EXPECT_EQ(fed.r().text_events, 1);
}

TEST(Anthropic, ErrorBodiesByType) {
  const auto limited = feed(
      codec(), 429,
      R"({"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}})",
      {}, {{"retry-after", "7"}});
  EXPECT_EQ(limited.r().error, ErrorClass::rate_limited);
  EXPECT_EQ(limited.r().retry_after_ms, 7000);
  const auto overloaded =
      feed(codec(), 529,
           R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})");
  EXPECT_EQ(overloaded.r().error, ErrorClass::http_5xx);
  const auto auth = feed(
      codec(), 401,
      R"({"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}})");
  EXPECT_EQ(auth.r().error, ErrorClass::http_4xx);
  EXPECT_EQ(auth.r().error_message, "HTTP 401 (authentication_error): invalid x-api-key");
}

TEST(Anthropic, StreamWithoutMessageStopIsAProtocolError) {
  std::string body = read_fixture("anthropic_messages.sse");
  body.resize(body.find("event: message_stop"));
  const auto fed = feed(codec(), 200, body);
  EXPECT_EQ(fed.r().error, ErrorClass::protocol);
  EXPECT_EQ(fed.r().output_tokens, 15);
}

TEST(Anthropic, MalformedEventIsAProtocolError) {
  const auto fed = feed(codec(), 200,
                        "event: content_block_delta\ndata: {\"type\": \"content_bl\n\n"
                        "event: message_stop\ndata: {\"type\": \"message_stop\"}\n\n");
  EXPECT_EQ(fed.r().error, ErrorClass::protocol);
  EXPECT_NE(fed.r().error_message.find("content_block_delta"), std::string::npos);
}

TEST(Anthropic, NonStreamingMessage) {
  providers::ParserOptions options;
  options.stream = false;
  const auto fed = feed(codec(), 200, read_fixture("anthropic_nonstream.json"), {}, {}, options);
  const auto& r = fed.r();
  EXPECT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.text, "Hi! My name is Claude.");
  EXPECT_EQ(r.input_tokens, 2095);
  EXPECT_EQ(r.output_tokens, 503);
  EXPECT_EQ(r.finish_reason, "end_turn");
}

TEST(Anthropic, BuildsTheRequest) {
  const std::vector<suite::Message> messages = {{"system", "Answer in French.", ""},
                                                {"user", "Hello", ""},
                                                {"assistant", "Bonjour", ""},
                                                {"user", "More", ""}};
  providers::ChatRequest req;
  req.base_url = "https://api.anthropic.com/v1";
  req.api_key = "sk-ant-test";
  req.messages = messages;
  req.params.model = "claude-haiku-4-5";
  req.params.system = "Be brief.";
  req.params.stop = std::vector<std::string>{"END"};
  req.params.temperature = 0;
  req.params.extra = {{"thinking", R"({"type":"enabled","budget_tokens":1024})"}};
  const auto http = codec().build(req);
  EXPECT_EQ(http.url, "https://api.anthropic.com/v1/messages");
  bool key = false;
  bool version = false;
  for (const auto& [k, v] : http.headers) {
    key |= k == "x-api-key" && v == "sk-ant-test";
    version |= k == "anthropic-version" && v == "2023-06-01";
    EXPECT_NE(k, "Authorization");
  }
  EXPECT_TRUE(key);
  EXPECT_TRUE(version);
  EXPECT_EQ(http.body,
            R"({"model":"claude-haiku-4-5","max_tokens":1024,)"
            R"("system":"Be brief.\n\nAnswer in French.","messages":[)"
            R"({"role":"user","content":"Hello"},{"role":"assistant","content":"Bonjour"},)"
            R"({"role":"user","content":"More"}],"temperature":0,"stop_sequences":["END"],)"
            R"("stream":true,"thinking":{"type":"enabled","budget_tokens":1024}})");
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(simdjson::padded_string(http.body)).error(), simdjson::SUCCESS);
}

// A tool_use block without `input` used to abort the run with an uncaught simdjson exception
// (issue 11); any missing or wrong-typed field is a `protocol` row instead.
TEST(Anthropic, AWholeMessageWithMissingOrWrongFieldsIsAProtocolError) {
  providers::ParserOptions options;
  options.stream = false;
  const auto body = [&](const std::string& json) {
    return feed(codec(), 200, json, {}, {{"content-type", "application/json"}}, options).r();
  };
  EXPECT_EQ(body(R"({"content":[{"type":"tool_use","id":"t","name":"f"}]})").error,
            ErrorClass::protocol);
  EXPECT_EQ(body(R"({"content":[{"type":"tool_use","input":"{}"}]})").error, ErrorClass::protocol);
  EXPECT_EQ(body(R"({"content":[{"type":"text","text":7}]})").error, ErrorClass::protocol);
  EXPECT_EQ(body(R"({"content":[3]})").error, ErrorClass::protocol);
  EXPECT_EQ(body(R"({"content":{}})").error, ErrorClass::protocol);
  EXPECT_EQ(body("{}").error, ErrorClass::protocol);
  EXPECT_EQ(body("[]").error, ErrorClass::protocol);
  EXPECT_EQ(body(R"({"content":[],"usage":{"output_tokens":"3"}})").error, ErrorClass::protocol);
  const auto& ok =
      body(R"({"content":[{"type":"tool_use","input":{"a":1}}],"stop_reason":null,"usage":null})");
  EXPECT_TRUE(ok.ok()) << ok.error_message;
  EXPECT_EQ(ok.tool_events, 1);
}

TEST(Anthropic, StreamEventsWithWrongTypesAreProtocolErrors) {
  const auto stream = [&](const std::string& name, const std::string& data) {
    return feed(codec(), 200,
                "event: " + name + "\ndata: " + data +
                    "\n\nevent: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
        .r();
  };
  EXPECT_EQ(stream("content_block_delta", R"({"delta":"x"})").error, ErrorClass::protocol);
  EXPECT_EQ(stream("content_block_delta", R"({"delta":{"type":"text_delta","text":1}})").error,
            ErrorClass::protocol);
  EXPECT_EQ(stream("message_start", R"({"message":{"usage":{"input_tokens":-1}}})").error,
            ErrorClass::protocol);
  EXPECT_EQ(stream("message_delta", R"({"usage":{"output_tokens":[]}})").error,
            ErrorClass::protocol);
  EXPECT_EQ(stream("message_delta", "[]").error, ErrorClass::protocol);
  EXPECT_TRUE(stream("message_delta", R"({"delta":{"stop_reason":null},"usage":null})").ok());
}
