#include "llmbench/server/mock_server.hpp"

#include <gtest/gtest.h>

#include <set>

#include "llmbench/net/engine.hpp"
#include "llmbench/providers/anthropic.hpp"
#include "llmbench/providers/mock.hpp"
#include "llmbench/providers/openai.hpp"
#include "llmbench/providers/responses.hpp"
#include "support/engine_runner.hpp"
#include "support/http_client.hpp"
#include "support/stream_fixtures.hpp"

using namespace llmbench;
using llmbench::testing::http_exchange;
namespace lt = llmbench::testing;

namespace {

class MockServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::MockProfile profile;
    profile.ttft = server::Distribution::fixed(1e6);
    profile.itl = server::Distribution::fixed(0.1e6);
    profile.output_tokens = server::Distribution::fixed(6);
    profile.model = "mock-1";
    server::MockServerOptions options;
    options.threads = 2;
    m_mock = std::make_unique<server::MockServer>(profile, options);
    m_mock->start();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(m_mock->port()) + path;
  }
  std::unique_ptr<server::MockServer> m_mock;
};

// Keys whose values differ between any two responses (ids, text, model names).
const std::set<std::string> k_variable_keys = {
    "id", "model", "text", "content", "system_fingerprint", "partial_json", "item_id", "delta"};

// One SSE event block with the variable parts replaced: numbers by N, the string values of
// k_variable_keys by "S". Everything else (field order, spacing, punctuation, enum values,
// event names) is kept byte for byte.
std::string skeleton(const std::string& block) {
  std::string out;
  std::string last_string;
  bool after_colon_of_key = false;
  std::string key;
  for (std::size_t i = 0; i < block.size();) {
    const char c = block[i];
    if (c == '"') {
      std::size_t j = i + 1;
      while (j < block.size() && block[j] != '"') {
        j += block[j] == '\\' ? 2 : 1;
      }
      const std::string literal = block.substr(i, j + 1 - i);
      if (after_colon_of_key && k_variable_keys.count(key) != 0) {
        out += "\"S\"";
      } else {
        out += literal;
      }
      last_string = literal.size() >= 2 ? literal.substr(1, literal.size() - 2) : "";
      after_colon_of_key = false;
      i = j + 1;
      continue;
    }
    if (c == ':' && !last_string.empty()) {
      key = last_string;
      last_string.clear();
      after_colon_of_key = true;
      out += c;
      ++i;
      continue;
    }
    if ((c >= '0' && c <= '9') ||
        (c == '-' && i + 1 < block.size() && std::isdigit(block[i + 1]))) {
      while (i < block.size() &&
             (std::isdigit(static_cast<unsigned char>(block[i])) || block[i] == '.' ||
              block[i] == '-' || block[i] == 'e' || block[i] == 'E' || block[i] == '+')) {
        ++i;
      }
      out += 'N';
      after_colon_of_key = false;
      continue;
    }
    if (c != ' ') {
      if (c != '{' && c != '[') {
        last_string.clear();
      }
      if (c == ',' || c == '{' || c == '[' || c == '}' || c == ']') {
        after_colon_of_key = false;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

// The stream as a list of event skeletons, runs of identical events collapsed to one.
std::vector<std::string> shape(const std::string& stream) {
  std::vector<std::string> blocks;
  std::size_t at = 0;
  while (at < stream.size()) {
    std::size_t end = stream.find("\n\n", at);
    if (end == std::string::npos) {
      end = stream.size();
    }
    const std::string block = skeleton(stream.substr(at, end - at));
    if (blocks.empty() || blocks.back() != block) {
      blocks.push_back(block);
    }
    at = end + 2;
  }
  return blocks;
}

}  // namespace

TEST(MockSkeleton, ReplacesOnlyTheVariableParts) {
  EXPECT_EQ(
      skeleton(
          R"(data: {"id":"x1","created":17,"choices":[{"delta":{"content":"Hi"},"finish_reason":null}]})"),
      R"(data: {"id":"S","created":N,"choices":[{"delta":{"content":"S"},"finish_reason":null}]})");
  EXPECT_EQ(skeleton(R"(event: ping
data: {"type": "ping"})"),
            "event: ping\ndata: {\"type\": \"ping\"}");
}

TEST_F(MockServerTest, OpenAiStreamHasTheDocumentedShape) {
  const auto r = http_exchange(
      "POST", url("/v1/chat/completions"),
      R"({"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.headers.find("Content-Type: text/event-stream"), std::string::npos);
  EXPECT_NE(r.headers.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_EQ(shape(r.body), shape(lt::read_fixture("openai_chat.sse")));
}

TEST_F(MockServerTest, AnthropicStreamHasTheDocumentedShape) {
  const auto r = http_exchange(
      "POST", url("/v1/messages"),
      R"({"model":"claude-opus-4-20250514","max_tokens":100,"messages":[{"role":"user","content":"hi"}],"stream":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(shape(r.body), shape(lt::read_fixture("anthropic_messages.sse")));
}

// The `event:` names of a stream, in order.
std::vector<std::string> event_names(const std::string& stream) {
  std::vector<std::string> names;
  for (std::size_t at = stream.find("event: "); at != std::string::npos;
       at = stream.find("event: ", at + 1)) {
    names.push_back(stream.substr(at + 7, stream.find('\n', at) - at - 7));
  }
  return names;
}

TEST_F(MockServerTest, ResponsesStreamHasTheDocumentedShape) {
  const auto r = http_exchange(
      "POST", url("/v1/responses"),
      R"({"model":"gpt-5-codex","instructions":"be brief","input":[{"role":"user","content":[{"type":"input_text","text":"hi"}]}],"stream":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  const std::vector<std::string> expected = {
      "response.created",           "response.in_progress",
      "response.output_item.added", "response.content_part.added",
      "response.output_text.delta", "response.output_text.delta",
      "response.output_text.delta", "response.output_text.delta",
      "response.output_text.delta", "response.output_text.delta",
      "response.output_text.done",  "response.content_part.done",
      "response.output_item.done",  "response.completed"};
  EXPECT_EQ(event_names(r.body), expected);
  // Each event's fields, in the published order, as in the fixture.
  const auto fixture = shape(lt::read_fixture("openai_responses.sse"));
  for (const auto& block : shape(r.body)) {
    if (block.find("response.output_text.delta") != std::string::npos) {
      EXPECT_NE(std::find(fixture.begin(), fixture.end(), block), fixture.end()) << block;
    }
  }
  const auto fed = lt::feed(providers::responses_codec(), r.status, r.body);
  EXPECT_TRUE(fed.r().ok()) << fed.r().error_message;
  EXPECT_EQ(fed.r().text, " the quick brown fox jumps over");
  EXPECT_EQ(fed.r().output_tokens, 6);
  EXPECT_EQ(fed.r().input_tokens, 3);  // "be brief" + "hi": 10 characters
  EXPECT_EQ(fed.r().finish_reason, "completed");
}

TEST_F(MockServerTest, ResponsesCappedByMaxOutputTokensIsIncompleteAndWholeBodiesParse) {
  auto r = http_exchange("POST", url("/v1/responses"),
                         R"({"model":"m","input":"hi","max_output_tokens":6,"stream":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("event: response.incomplete"), std::string::npos);
  auto fed = lt::feed(providers::responses_codec(), r.status, r.body);
  EXPECT_EQ(fed.r().finish_reason, "max_output_tokens");
  r = http_exchange("POST", url("/v1/responses"), R"({"model":"m","input":"hi"})");
  ASSERT_EQ(r.status, 200) << r.body;
  providers::ParserOptions options;
  options.stream = false;
  fed = lt::feed(providers::responses_codec(), r.status, r.body, {}, {}, options);
  EXPECT_TRUE(fed.r().ok()) << fed.r().error_message;
  EXPECT_EQ(fed.r().text, " the quick brown fox jumps over");
  EXPECT_EQ(fed.r().output_tokens, 6);
  r = http_exchange("POST", url("/v1/responses"), R"({"model":"m","input":7})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("`input` must be a string or an array"), std::string::npos);
}

TEST_F(MockServerTest, CountsTokensTheAnthropicWay) {
  const auto r = http_exchange(
      "POST", url("/v1/messages/count_tokens"),
      R"({"model":"m","system":[{"type":"text","text":"12345678"}],"messages":[{"role":"user","content":"hi"}]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, R"({"input_tokens":3})");
}

TEST_F(MockServerTest, WithoutIncludeUsageThereIsNoUsageChunk) {
  const auto r = http_exchange("POST", url("/v1/chat/completions"),
                               R"({"model":"m","messages":[],"stream":true})");
  EXPECT_EQ(r.body.find("usage"), std::string::npos);
  EXPECT_NE(r.body.find("data: [DONE]"), std::string::npos);
}

TEST_F(MockServerTest, ItsStreamsParseWithTheCodecs) {
  for (const auto* codec : {&providers::openai_codec(), &providers::anthropic_codec()}) {
    const std::string path = codec->name() == "openai" ? "/v1/chat/completions" : "/v1/messages";
    const auto r = http_exchange(
        "POST", url(path),
        R"({"model":"m","max_tokens":50,"messages":[{"role":"user","content":"hello"}],"stream":true,"stream_options":{"include_usage":true}})");
    const auto fed = lt::feed(*codec, r.status, r.body);
    EXPECT_TRUE(fed.r().ok()) << fed.r().error_message;
    EXPECT_EQ(fed.r().text_events, 6);
    EXPECT_EQ(fed.r().output_tokens, 6);
    EXPECT_EQ(fed.r().input_tokens, 2);
    EXPECT_EQ(fed.r().text, " the quick brown fox jumps over");
  }
}

TEST_F(MockServerTest, HeadersReportTheScript) {
  const auto r = http_exchange("POST", url("/v1/chat/completions"),
                               R"({"model":"m","messages":[],"stream":true})",
                               {"x-mock-ttft: 3ms", "x-mock-itl: uniform:1ms..2ms",
                                "x-mock-output-tokens: 4", "x-mock-seed: 5"});
  EXPECT_NE(r.headers.find("x-mock-ttft-ns: 3000000\r\n"), std::string::npos) << r.headers;
  EXPECT_NE(r.headers.find("x-mock-output-tokens: 4\r\n"), std::string::npos);
  EXPECT_NE(r.headers.find("x-mock-fault: none\r\n"), std::string::npos);
  const auto gaps_at = r.headers.find("x-mock-itl-ns: ");
  ASSERT_NE(gaps_at, std::string::npos);
  const std::string gaps =
      r.headers.substr(gaps_at + 15, r.headers.find('\r', gaps_at) - gaps_at - 15);
  EXPECT_EQ(std::count(gaps.begin(), gaps.end(), ','), 2);  // 4 events, 3 gaps
  // The same seed scripts the same gaps.
  const auto again = http_exchange("POST", url("/v1/chat/completions"),
                                   R"({"model":"m","messages":[],"stream":true})",
                                   {"x-mock-ttft: 3ms", "x-mock-itl: uniform:1ms..2ms",
                                    "x-mock-output-tokens: 4", "x-mock-seed: 5"});
  EXPECT_NE(again.headers.find(gaps), std::string::npos);
}

TEST_F(MockServerTest, SuiteMockTargetsTravelAsHeaders) {
  suite::MockScript script;
  script.ttft = std::chrono::milliseconds(4);
  script.itl = std::chrono::microseconds(250);
  script.output_tokens = 3;
  script.seed = 11;
  std::vector<std::string> headers;
  for (const auto& [k, v] : providers::mock_script_headers(script)) {
    headers.push_back(k + ": " + v);
  }
  const auto r = http_exchange("POST", url("/v1/chat/completions"),
                               R"({"model":"m","messages":[],"stream":true})", headers);
  EXPECT_NE(r.headers.find("x-mock-ttft-ns: 4000000\r\n"), std::string::npos) << r.headers;
  EXPECT_NE(r.headers.find("x-mock-itl-ns: 250000,250000\r\n"), std::string::npos);
  EXPECT_NE(r.headers.find("x-mock-output-tokens: 3\r\n"), std::string::npos);
}

TEST_F(MockServerTest, HealthModelsAndWrongPaths) {
  const auto health = http_exchange("GET", url("/health"));
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body, R"({"status":"ok"})");
  const auto models = http_exchange("GET", url("/v1/models"));
  EXPECT_EQ(models.status, 200);
  EXPECT_NE(models.body.find(R"("id":"mock-1")"), std::string::npos);
  const auto missing = http_exchange("POST", url("/v1/completions"), "{}");
  EXPECT_EQ(missing.status, 404);
  EXPECT_NE(missing.body.find("/v1/chat/completions"), std::string::npos);
  EXPECT_EQ(http_exchange("GET", url("/v1/messages")).status, 405);
}

TEST_F(MockServerTest, BadRequestsGetProviderShapedErrors) {
  const auto not_json = http_exchange("POST", url("/v1/chat/completions"), "{nope");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_NE(not_json.body.find(R"({"error":{"message":)"), std::string::npos);
  const auto no_max = http_exchange("POST", url("/v1/messages"), R"({"model":"m","messages":[]})");
  EXPECT_EQ(no_max.status, 400);
  EXPECT_NE(no_max.body.find(R"({"type":"error","error":{"type":"invalid_request_error")"),
            std::string::npos);
  const auto bad_fault = http_exchange("POST", url("/v1/chat/completions"),
                                       R"({"model":"m","messages":[]})", {"x-mock-fault: boom"});
  EXPECT_EQ(bad_fault.status, 400);
  // Output past the mock's cap is refused before anything is allocated for it (20M tokens
  // used to take 196 MB; 1e15 dropped the connection).
  for (const std::string tokens : {"20000000", "1e15"}) {
    const auto huge = http_exchange("POST", url("/v1/chat/completions"),
                                    R"({"model":"m","messages":[],"stream":true})",
                                    {"x-mock-output-tokens: " + tokens});
    EXPECT_EQ(huge.status, 400) << tokens;
    EXPECT_NE(huge.body.find("at most 1000000 output tokens"), std::string::npos) << huge.body;
  }
  const auto big_max = http_exchange("POST", url("/v1/chat/completions"),
                                     R"({"model":"m","max_tokens":20000000,"messages":[]})",
                                     {"x-mock-output-tokens: max_tokens"});
  EXPECT_EQ(big_max.status, 400);
  EXPECT_EQ(http_exchange("GET", url("/health")).status, 200);
}

TEST_F(MockServerTest, FaultsInjectedByProbability) {
  server::MockProfile profile;
  profile.ttft = server::Distribution::fixed(0);
  profile.itl = server::Distribution::fixed(0);
  profile.output_tokens = server::Distribution::fixed(4);
  profile.faults.rates = {{server::Fault::rate_limited, 0.3}, {server::Fault::server_error, 0.2}};
  server::MockServer mock(profile, {});
  mock.start();
  net::Engine engine;
  const std::vector<suite::Message> messages = {{"user", "x", ""}};
  providers::ChatRequest req;
  req.base_url = mock.base_url();
  req.messages = messages;
  req.params.model = "m";
  std::vector<std::unique_ptr<lt::Exchange>> all;
  for (int i = 0; i < 400; ++i) {
    all.push_back(lt::start(engine, providers::openai_codec(), req));
  }
  lt::wait_all(engine, all);
  int limited = 0;
  int failed = 0;
  int ok = 0;
  for (const auto& ex : all) {
    limited += ex->r().error == net::ErrorClass::rate_limited;
    failed += ex->r().error == net::ErrorClass::http_5xx;
    ok += ex->r().ok();
  }
  EXPECT_EQ(limited + failed + ok, 400);
  EXPECT_NEAR(limited, 120, 40);
  EXPECT_NEAR(failed, 80, 35);
  EXPECT_EQ(mock.requests_served(), 400u);
}

// With llama.cpp timings on (a profile, `--timings llama.cpp`), answers carry llama-server's
// `timings` with the scripted times; the header turns them off per request, or skews them.
TEST(MockTimings, AProfileWithLlamaCppTimingsReportsItsScript) {
  server::MockProfile profile;
  profile.ttft = server::Distribution::fixed(2e6);
  profile.itl = server::Distribution::fixed(0.5e6);
  profile.output_tokens = server::Distribution::fixed(5);
  profile.llamacpp_timings = true;
  server::MockServer mock(profile, {});
  mock.start();
  const std::string url = mock.base_url() + "/chat/completions";
  const auto whole = http_exchange("POST", url, R"({"model":"m","messages":[]})");
  EXPECT_NE(whole.body.find(R"("timings":{"cache_n":0,"prompt_n":1,"prompt_ms":2,)"),
            std::string::npos)
      << whole.body;
  EXPECT_NE(whole.body.find(R"("predicted_n":5,"predicted_ms":2,)"), std::string::npos);
  // The stream's last chunk carries them, and the OpenAI codec reads them back.
  const auto stream = http_exchange("POST", url, R"({"model":"m","messages":[],"stream":true})");
  auto parsed = llmbench::testing::feed(providers::openai_codec(), 200, stream.body);
  EXPECT_TRUE(parsed.r().ok()) << parsed.r().error_message;
  EXPECT_EQ(parsed.r().server.prompt_ns, 2'000'000);
  EXPECT_EQ(parsed.r().server.decode_ns, 2'000'000);
  EXPECT_EQ(parsed.r().server.decode_tokens, 5);
  const auto off =
      http_exchange("POST", url, R"({"model":"m","messages":[]})", {"x-mock-timings: none"});
  EXPECT_EQ(off.body.find("timings"), std::string::npos) << off.body;
  const auto skewed =
      http_exchange("POST", url, R"({"model":"m","messages":[]})", {"x-mock-timings-skew: 40ms"});
  EXPECT_NE(skewed.body.find(R"("prompt_ms":42,)"), std::string::npos) << skewed.body;
  const auto bad =
      http_exchange("POST", url, R"({"model":"m","messages":[]})", {"x-mock-timings-skew: soon"});
  EXPECT_EQ(bad.status, 400);
  // Anthropic answers are unchanged: llama-server's timings are an OpenAI-route field.
  const auto anthropic = http_exchange("POST", mock.base_url() + "/messages",
                                       R"({"model":"m","max_tokens":5,"messages":[]})");
  EXPECT_EQ(anthropic.body.find("timings"), std::string::npos) << anthropic.body;
}
