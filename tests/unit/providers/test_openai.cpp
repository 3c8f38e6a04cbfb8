#include "llmbench/providers/openai.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include "support/stream_fixtures.hpp"

using namespace llmbench;
using llmbench::net::ErrorClass;
using llmbench::testing::feed;
using llmbench::testing::read_fixture;

namespace {

const providers::Codec& codec() {
  return providers::openai_codec();
}

}  // namespace

TEST(OpenAi, ReadsATextStreamWithUsage) {
  const auto fed = feed(codec(), 200, read_fixture("openai_chat.sse"));
  const auto& r = fed.r();
  EXPECT_TRUE(r.ok()) << r.error_message;
  EXPECT_TRUE(r.terminated);
  EXPECT_EQ(r.text_events, 3);  // the role chunk's empty content is not output
  EXPECT_EQ(r.text, "Hello there!");
  EXPECT_EQ(r.input_tokens, 19);
  EXPECT_EQ(r.cached_input_tokens, 0);
  EXPECT_EQ(r.output_tokens, 3);
  EXPECT_EQ(r.reasoning_tokens, 0);
  EXPECT_EQ(r.token_source(), providers::TokenSource::usage);
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.t_first_token_ns, 1000);
}

TEST(OpenAi, EverySplitOfTheStreamReadsTheSame) {
  const std::string body = read_fixture("openai_chat.sse");
  for (std::size_t cut = 0; cut <= body.size(); ++cut) {
    const auto fed = feed(codec(), 200, body, {cut});
    ASSERT_TRUE(fed.r().ok()) << cut << ": " << fed.r().error_message;
    ASSERT_EQ(fed.r().text, "Hello there!") << cut;
    ASSERT_EQ(fed.r().output_tokens, 3) << cut;
    ASSERT_EQ(fed.r().content_times_ns.size(), 3u) << cut;
  }
}

TEST(OpenAi, TimesEachContentEventByItsChunk) {
  const std::string body = read_fixture("openai_chat.sse");
  // One chunk per SSE event: event i arrives at 1000 * (i + 1).
  std::vector<std::size_t> cuts;
  for (std::size_t at = body.find("\n\n"); at != std::string::npos;
       at = body.find("\n\n", at + 2)) {
    cuts.push_back(at + 2);
  }
  const auto fed = feed(codec(), 200, body, cuts);
  EXPECT_EQ(fed.r().content_times_ns, (std::vector<std::int64_t>{2000, 3000, 4000}));
  EXPECT_EQ(fed.r().t_first_token_ns, 2000);
}

TEST(OpenAi, ReasoningAndToolCallDeltasCountAsOutputApart) {
  const auto fed = feed(codec(), 200, read_fixture("openai_tools_reasoning.sse"));
  const auto& r = fed.r();
  EXPECT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.text_events, 0);
  EXPECT_EQ(r.reasoning_events, 2);
  EXPECT_EQ(r.tool_events, 2);  // the empty opening `arguments` is not output
  EXPECT_EQ(r.content_events(), 4);
  EXPECT_EQ(r.finish_reason, "tool_calls");
  EXPECT_EQ(r.input_tokens, 40);
  EXPECT_EQ(r.cached_input_tokens, 32);
  EXPECT_EQ(r.reasoning_tokens, 20);
  EXPECT_EQ(r.output_tokens, 30);
}

TEST(OpenAi, ErrorObjectMidStream) {
  const auto fed = feed(codec(), 200, read_fixture("openai_error_midstream.sse"));
  EXPECT_EQ(fed.r().error, ErrorClass::http_5xx);
  EXPECT_NE(fed.r().error_message.find("server_error"), std::string::npos);
  EXPECT_NE(fed.r().error_message.find("Sorry about that"), std::string::npos);
  EXPECT_EQ(fed.r().text_events, 1);  // what came before the error is still counted
}

TEST(OpenAi, RateLimitBodyAndRetryAfter) {
  const auto fed = feed(codec(), 429, read_fixture("openai_error_429.json"), {},
                        {{"retry-after", "20"}, {"content-type", "application/json"}});
  EXPECT_EQ(fed.r().error, ErrorClass::rate_limited);
  EXPECT_EQ(fed.r().retry_after_ms, 20'000);
  EXPECT_NE(fed.r().error_message.find("HTTP 429"), std::string::npos);
  EXPECT_NE(fed.r().error_message.find("Rate limit reached"), std::string::npos);
  // retry-after-ms, when sent, is the more precise of the two.
  const auto precise =
      feed(codec(), 429, "{}", {}, {{"Retry-After-Ms", "1500"}, {"retry-after", "2"}});
  EXPECT_EQ(precise.r().retry_after_ms, 1500);
}

TEST(OpenAi, StatusClassesAndNonJsonBodies) {
  EXPECT_EQ(
      feed(codec(), 400, R"({"error":{"message":"bad","type":"invalid_request_error"}})").r().error,
      ErrorClass::http_4xx);
  const auto gateway = feed(codec(), 502, "<html>Bad gateway</html>");
  EXPECT_EQ(gateway.r().error, ErrorClass::http_5xx);
  EXPECT_NE(gateway.r().error_message.find("Bad gateway"), std::string::npos);
  EXPECT_EQ(feed(codec(), 503, "").r().error_message, "HTTP 503 with an empty body");
}

TEST(OpenAi, AKeyQuotedInAnErrorIsMasked) {
  const auto fed = feed(
      codec(), 401,
      R"({"error":{"message":"Incorrect API key provided: sk-proj-SECRET123. You can find your API key at https://platform.openai.com.","type":"invalid_request_error","code":"invalid_api_key"}})");
  EXPECT_EQ(fed.r().error, ErrorClass::http_4xx);
  EXPECT_EQ(fed.r().error_message.find("SECRET123"), std::string::npos) << fed.r().error_message;
  EXPECT_NE(fed.r().error_message.find("sk-***"), std::string::npos);
}

TEST(OpenAi, StreamWithoutItsTerminatorIsAProtocolError) {
  std::string body = read_fixture("openai_chat.sse");
  body.resize(body.find("data: [DONE]"));
  const auto fed = feed(codec(), 200, body);
  EXPECT_EQ(fed.r().error, ErrorClass::protocol);
  EXPECT_EQ(fed.r().error_message, "the stream ended without its terminator");
  EXPECT_EQ(fed.r().output_tokens, 3);  // what arrived is kept

  const auto cut = feed(codec(), 200, read_fixture("openai_chat.sse").substr(0, 300));
  EXPECT_EQ(cut.r().error, ErrorClass::protocol);
  EXPECT_EQ(cut.r().error_message, "the stream ended in the middle of an event");
}

TEST(OpenAi, MalformedJsonEventIsAProtocolError) {
  const auto fed = feed(codec(), 200,
                        "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
                        "data: {\"choices\":[{\"delta\n\ndata: [DONE]\n\n");
  EXPECT_EQ(fed.r().error, ErrorClass::protocol);
  EXPECT_NE(fed.r().error_message.find("malformed JSON"), std::string::npos);
  EXPECT_EQ(fed.r().text_events, 1);
}

TEST(OpenAi, WithoutUsageTokensAreEstimatedFromEvents) {
  const auto fed = feed(codec(), 200,
                        "data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}]}\n\n"
                        "data: {\"choices\":[{\"delta\":{\"content\":\"b\"},\"finish_reason\":"
                        "\"length\"}]}\n\ndata: [DONE]\n\n");
  EXPECT_TRUE(fed.r().ok());
  EXPECT_FALSE(fed.r().output_tokens);
  EXPECT_EQ(fed.r().token_source(), providers::TokenSource::estimated);
  EXPECT_EQ(fed.r().output_token_count(), 2);
  EXPECT_EQ(fed.r().finish_reason, "length");
}

TEST(OpenAi, NonStreamingResponse) {
  providers::ParserOptions options;
  options.stream = false;
  const auto fed = feed(codec(), 200, read_fixture("openai_nonstream.json"), {},
                        {{"content-type", "application/json"}}, options);
  const auto& r = fed.r();
  EXPECT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.text_events, 1);
  EXPECT_EQ(r.input_tokens, 1117);
  EXPECT_EQ(r.cached_input_tokens, 1024);
  EXPECT_EQ(r.output_tokens, 46);
  EXPECT_EQ(r.finish_reason, "stop");
  // The whole answer arrives at once: when its first token was ready was never seen, so no
  // first-token time is taken (docs/metrics.md), and there are no gaps between tokens.
  EXPECT_EQ(r.t_first_token_ns, -1);
  EXPECT_TRUE(r.content_times_ns.empty());
  EXPECT_FALSE(fed.parser->streamed());
}

TEST(OpenAi, AServerThatIgnoresStreamingIsReadAsJson) {
  const auto fed = feed(codec(), 200, read_fixture("openai_nonstream.json"), {},
                        {{"Content-Type", "application/json; charset=utf-8"}});
  EXPECT_TRUE(fed.r().ok()) << fed.r().error_message;
  EXPECT_EQ(fed.r().output_tokens, 46);
  // Asked to stream, answered whole: a non-streaming answer, with no TTFT.
  EXPECT_FALSE(fed.parser->streamed());
  EXPECT_EQ(fed.r().t_first_token_ns, -1);
}

TEST(OpenAi, BuildsTheRequest) {
  const std::vector<suite::Message> messages = {
      {"user", "Hi \"there\"", ""}, {"user", "look", R"([{"type":"text","text":"look"}])"}};
  providers::ChatRequest req;
  req.base_url = "http://127.0.0.1:8080/v1/";
  req.api_key = "sk-test";
  req.headers = {{"X-Title", "llmbench"}};
  req.messages = messages;
  req.params.model = "gpt-4.1-mini";
  req.params.max_tokens = 64;
  req.params.temperature = 0.5;
  req.params.stop = std::vector<std::string>{"\n\n"};
  req.params.system = "Be brief.";
  req.params.extra = {{"seed", "7"}, {"stream_options", R"({"include_usage":false})"}};
  const auto http = codec().build(req);
  EXPECT_EQ(http.url, "http://127.0.0.1:8080/v1/chat/completions");
  EXPECT_EQ(http.method, "POST");
  bool auth = false;
  bool title = false;
  for (const auto& [k, v] : http.headers) {
    auth |= k == "Authorization" && v == "Bearer sk-test";
    title |= k == "X-Title" && v == "llmbench";
  }
  EXPECT_TRUE(auth);
  EXPECT_TRUE(title);
  EXPECT_EQ(http.body,
            R"({"model":"gpt-4.1-mini","messages":[{"role":"system","content":"Be brief."},)"
            R"({"role":"user","content":"Hi \"there\""},)"
            R"({"role":"user","content":[{"type":"text","text":"look"}]}],)"
            R"("max_tokens":64,"temperature":0.5,"stop":["\n\n"],"stream":true,)"
            R"("seed":7,"stream_options":{"include_usage":false}})");
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(simdjson::padded_string(http.body)).error(), simdjson::SUCCESS);

  req.stream = false;
  req.api_key.clear();
  const auto plain = codec().build(req);
  EXPECT_NE(plain.body.find(R"("stream":false)"), std::string::npos);
  for (const auto& [k, v] : plain.headers) {
    EXPECT_NE(k, "Authorization");  // no key, no header (local servers)
  }
}

// Servers are outside input: a missing or wrong-typed field is a `protocol` row, never a
// crash (`data: {}` used to crash the run with SIGSEGV: issue 11).
TEST(OpenAi, AnEventWithoutChoicesIsAProtocolError) {
  for (const std::string event :
       {"{}", R"({"choices":{"0":{}}})", R"({"choices":null})", "[1]", R"("text")", "17"}) {
    const auto fed = feed(codec(), 200, "data: " + event + "\n\ndata: [DONE]\n\n");
    EXPECT_EQ(fed.r().error, ErrorClass::protocol) << event;
    EXPECT_FALSE(fed.r().error_message.empty()) << event;
  }
}

TEST(OpenAi, AWholeBodyWithoutChoicesIsAProtocolError) {
  for (const std::string body :
       {"{}", R"({"choices":{"message":{}}})", R"({"choices":"x"})", "[]", "null"}) {
    providers::ParserOptions options;
    options.stream = false;
    const auto fed = feed(codec(), 200, body, {}, {{"content-type", "application/json"}}, options);
    EXPECT_EQ(fed.r().error, ErrorClass::protocol) << body;
  }
}

TEST(OpenAi, FieldsOfTheWrongTypeAreProtocolErrorsAndNullsAreAbsent) {
  const auto wrong = [&](const std::string& chunk) {
    return feed(codec(), 200, "data: " + chunk + "\n\ndata: [DONE]\n\n").r();
  };
  EXPECT_EQ(wrong(R"({"choices":[7]})").error, ErrorClass::protocol);
  EXPECT_EQ(wrong(R"({"choices":[{"delta":"hi"}]})").error, ErrorClass::protocol);
  EXPECT_EQ(wrong(R"({"choices":[{"delta":{"content":5}}]})").error, ErrorClass::protocol);
  EXPECT_EQ(wrong(R"({"choices":[{"delta":{"tool_calls":{}}}]})").error, ErrorClass::protocol);
  EXPECT_EQ(wrong(R"({"choices":[],"usage":{"prompt_tokens":"19"}})").error, ErrorClass::protocol);
  EXPECT_EQ(wrong(R"({"choices":[],"usage":{"completion_tokens":-3}})").error,
            ErrorClass::protocol);
  EXPECT_NE(wrong(R"({"choices":[],"usage":{"completion_tokens":1.5}})")
                .error_message.find("completion_tokens"),
            std::string::npos);
  // null means "not sent", as the API's own chunks say ("usage": null).
  const auto& ok = wrong(
      R"({"choices":[{"delta":{"content":"hi","tool_calls":null},"finish_reason":null}],"usage":null})");
  EXPECT_TRUE(ok.ok()) << ok.error_message;
  EXPECT_EQ(ok.text, "hi");
  EXPECT_FALSE(ok.output_tokens.has_value());
  // The final usage chunk has an empty `choices` array, or none at all on some servers.
  EXPECT_TRUE(wrong(R"({"usage":{"prompt_tokens":3,"completion_tokens":1}})").ok());
}
