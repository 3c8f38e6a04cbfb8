#include "llmbench/providers/responses.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "support/stream_fixtures.hpp"

using namespace llmbench;
using llmbench::net::ErrorClass;
using llmbench::testing::feed;
using llmbench::testing::read_fixture;

namespace {

const providers::Codec& codec() {
  return providers::responses_codec();
}

}  // namespace

TEST(Responses, ReadsAStreamWithReasoningTextAndUsage) {
  const auto fed = feed(codec(), 200, read_fixture("openai_responses.sse"));
  const auto& r = fed.r();
  EXPECT_TRUE(r.ok()) << r.error_message;
  EXPECT_TRUE(r.terminated);
  EXPECT_TRUE(fed.parser->streamed());
  EXPECT_EQ(r.text, "Hello there!");
  EXPECT_EQ(r.text_events, 3);
  EXPECT_EQ(r.reasoning_events, 1);
  EXPECT_EQ(r.input_tokens, 21);
  EXPECT_EQ(r.cached_input_tokens, 8);
  EXPECT_EQ(r.output_tokens, 19);
  EXPECT_EQ(r.reasoning_tokens, 16);
  EXPECT_EQ(r.token_source(), providers::TokenSource::usage);
  EXPECT_EQ(r.finish_reason, "completed");
}

TEST(Responses, EverySplitOfTheStreamReadsTheSame) {
  const std::string body = read_fixture("openai_responses.sse");
  for (std::size_t cut = 0; cut <= body.size(); cut += 7) {
    const auto fed = feed(codec(), 200, body, {cut});
    ASSERT_TRUE(fed.r().ok()) << cut << ": " << fed.r().error_message;
    ASSERT_EQ(fed.r().text, "Hello there!") << cut;
    ASSERT_EQ(fed.r().output_tokens, 19) << cut;
    ASSERT_EQ(fed.r().content_times_ns.size(), 4u) << cut;
  }
}

TEST(Responses, TheFirstTokenIsTheFirstDeltaNotTheLifecycleEvents) {
  const std::string body = read_fixture("openai_responses.sse");
  std::vector<std::size_t> cuts;
  for (std::size_t at = body.find("\n\n"); at != std::string::npos;
       at = body.find("\n\n", at + 2)) {
    cuts.push_back(at + 2);
  }
  const auto fed = feed(codec(), 200, body, cuts);
  // Events 0-2 are lifecycle and item events; the reasoning summary delta (event 3) is the
  // first output, at 4000 ns.
  EXPECT_EQ(fed.r().t_first_token_ns, 4000);
  EXPECT_EQ(fed.r().content_times_ns, (std::vector<std::int64_t>{4000, 8000, 9000, 10000}));
}

TEST(Responses, AFailedResponseIsAnErrorWithItsCode) {
  const auto fed = feed(codec(), 200, read_fixture("openai_responses_failed.sse"));
  EXPECT_FALSE(fed.r().ok());
  EXPECT_EQ(fed.r().error, ErrorClass::http_5xx);
  EXPECT_NE(fed.r().error_message.find("The model failed to generate a response."),
            std::string::npos)
      << fed.r().error_message;
}

TEST(Responses, AStreamWithoutItsFinalEventIsAProtocolError) {
  std::string body = read_fixture("openai_responses.sse");
  body.resize(body.find("event: response.completed"));
  const auto fed = feed(codec(), 200, body);
  EXPECT_EQ(fed.r().error, ErrorClass::protocol);
}

TEST(Responses, AnIncompleteResponseSaysWhy) {
  const std::string body =
      "event: response.output_text.delta\n"
      R"(data: {"type":"response.output_text.delta","delta":"Hi"})"
      "\n\nevent: response.incomplete\n"
      R"(data: {"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":3,"output_tokens":1}}})"
      "\n\n";
  const auto fed = feed(codec(), 200, body);
  EXPECT_TRUE(fed.r().ok()) << fed.r().error_message;
  EXPECT_EQ(fed.r().finish_reason, "max_output_tokens");
  EXPECT_EQ(fed.r().output_tokens, 1);
}

TEST(Responses, AnErrorEventFailsTheStream) {
  const std::string body =
      "event: error\n"
      R"(data: {"type":"error","code":"rate_limit_exceeded","message":"Slow down","param":null})"
      "\n\n";
  const auto fed = feed(codec(), 200, body);
  EXPECT_EQ(fed.r().error, ErrorClass::rate_limited);
}

TEST(Responses, ReadsANonStreamingBody) {
  providers::ParserOptions options;
  options.stream = false;
  const auto fed =
      feed(codec(), 200, read_fixture("openai_responses_nonstream.json"), {}, {}, options);
  EXPECT_TRUE(fed.r().ok()) << fed.r().error_message;
  EXPECT_FALSE(fed.parser->streamed());
  EXPECT_EQ(fed.r().text, "Hello there!");
  EXPECT_EQ(fed.r().output_tokens, 19);
  EXPECT_EQ(fed.r().finish_reason, "completed");
}

TEST(Responses, WritesInputInstructionsAndMaxOutputTokens) {
  suite::Message m;
  m.role = "user";
  m.text = "hi";
  std::vector<suite::Message> messages{m};
  providers::ChatRequest request;
  request.base_url = "http://127.0.0.1:1/v1";
  request.messages = messages;
  request.params.model = "gpt-5-codex";
  request.params.system = "be brief";
  request.params.max_tokens = 16;
  const auto http = codec().build(request);
  EXPECT_EQ(http.url, "http://127.0.0.1:1/v1/responses");
  simdjson::dom::parser parser;
  const auto doc = parser.parse(http.body);
  EXPECT_EQ(std::string_view(doc["model"].get_string().value()), "gpt-5-codex");
  EXPECT_EQ(std::string_view(doc["instructions"].get_string().value()), "be brief");
  EXPECT_EQ(std::string_view(doc.at_pointer("/input/0/content").get_string().value()), "hi");
  EXPECT_EQ(doc["max_output_tokens"].get_int64().value(), 16);
  EXPECT_TRUE(doc["stream"].get_bool().value());
}
