// The server's own timings (llama.cpp `timings`, Groq and Cerebras times, OpenAI's
// processing-time header) and the check of the client's clock against them.

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "llmbench/providers/codec.hpp"
#include "support/stream_fixtures.hpp"

using namespace llmbench;
using llmbench::testing::feed;
using llmbench::testing::read_fixture;

namespace {

const providers::Codec& codec() {
  return providers::openai_codec();
}

std::string chunk(std::string_view extra) {
  return fmt::format(
      "data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"hi\"}},\"finish_reason\":"
      "\"stop\"}}]{}}}\n\ndata: [DONE]\n\n",
      extra);
}

}  // namespace

TEST(ServerTimings, ALlamaCppStreamCarriesItsTimingsInTheFinishChunk) {
  const auto fed = feed(codec(), 200, read_fixture("llamacpp_chat.sse"));
  const auto& r = fed.r();
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.text_events, 7);
  EXPECT_EQ(r.output_tokens, 7);
  EXPECT_EQ(r.input_tokens, 18);
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_EQ(r.server.source, "llama.cpp timings");
  EXPECT_EQ(r.server.prompt_ns, 41'236'000);
  EXPECT_EQ(r.server.decode_ns, 88'507'000);
  EXPECT_EQ(r.server.prompt_tokens, 18);
  EXPECT_EQ(r.server.decode_tokens, 7);
  EXPECT_FALSE(r.server.cached_tokens);
  EXPECT_FALSE(r.server.queue_ns);
  EXPECT_TRUE(fed.parser->streamed());
}

TEST(ServerTimings, EverySplitOfALlamaCppStreamReadsTheSameTimings) {
  const std::string body = read_fixture("llamacpp_chat.sse");
  for (std::size_t cut = 1; cut < body.size(); cut += 97) {
    const auto fed = feed(codec(), 200, body, {cut});
    ASSERT_TRUE(fed.r().ok()) << cut;
    EXPECT_EQ(fed.r().server.prompt_ns, 41'236'000) << cut;
    EXPECT_EQ(fed.r().server.decode_ns, 88'507'000) << cut;
  }
}

TEST(ServerTimings, TimingsOnEveryChunkEndWithTheFinalFigures) {
  // llama-server with timings_per_token: cumulative timings on each chunk, the last ones in
  // the usage chunk (choices: []), with the prompt cache count.
  const auto fed = feed(codec(), 200, read_fixture("llamacpp_timings_per_token.sse"));
  const auto& r = fed.r();
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.text_events, 6);
  EXPECT_EQ(r.server.prompt_ns, 12'804'000);
  EXPECT_EQ(r.server.decode_ns, 72'319'000);
  EXPECT_EQ(r.server.decode_tokens, 6);
  EXPECT_EQ(r.server.prompt_tokens, 5);
  EXPECT_EQ(r.server.cached_tokens, 13);
  EXPECT_EQ(r.cached_input_tokens, 13);
}

TEST(ServerTimings, ALlamaCppWholeBodyCarriesThemAtTheTop) {
  providers::ParserOptions options;
  options.stream = false;
  const auto fed = feed(codec(), 200, read_fixture("llamacpp_nonstream.json"), {},
                        {{"content-type", "application/json"}}, options);
  const auto& r = fed.r();
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.server.source, "llama.cpp timings");
  EXPECT_EQ(r.server.prompt_ns, 41'236'000);
  EXPECT_EQ(r.server.decode_ns, 88'507'000);
  EXPECT_EQ(r.t_first_token_ns, -1);  // one body: no first-token time
  EXPECT_FALSE(fed.parser->streamed());
}

TEST(ServerTimings, GroqAndCerebrasSecondsAndOpenAisHeader) {
  {
    // Groq: in a stream, under x_groq.usage; seconds.
    const auto fed =
        feed(codec(), 200,
             chunk(R"(,"x_groq":{"id":"req_1","usage":{"queue_time":0.012,"prompt_tokens":9,)"
                   R"("prompt_time":0.0021,"completion_tokens":40,"completion_time":0.08,)"
                   R"("total_tokens":49,"total_time":0.0821}})"));
    const auto& s = fed.r().server;
    EXPECT_EQ(s.source, "groq usage");
    EXPECT_EQ(s.queue_ns, 12'000'000);
    EXPECT_EQ(s.prompt_ns, 2'100'000);
    EXPECT_EQ(s.decode_ns, 80'000'000);
    EXPECT_EQ(s.decode_tokens, 40);
  }
  {
    const auto fed = feed(codec(), 200,
                          chunk(R"(,"time_info":{"queue_time":0.0003,"prompt_time":0.0015,)"
                                R"("completion_time":0.25,"total_time":0.2521,"created":1})"));
    ASSERT_TRUE(fed.r().ok()) << fed.r().error_message;
    const auto& s = fed.r().server;
    EXPECT_EQ(s.source, "cerebras time_info");
    EXPECT_EQ(s.queue_ns, 300'000);
    EXPECT_EQ(s.prompt_ns, 1'500'000);
    EXPECT_EQ(s.decode_ns, 250'000'000);
  }
  {
    const auto fed = feed(codec(), 200, chunk(""), {}, {{"OpenAI-Processing-Ms", "187"}});
    const auto& s = fed.r().server;
    EXPECT_EQ(s.source, "openai-processing-ms");
    EXPECT_EQ(s.processing_ns, 187'000'000);
    EXPECT_FALSE(s.prompt_ns);
  }
}

TEST(ServerTimings, OddFiguresAreSkippedNeverFailTheResponse) {
  for (const std::string_view extra :
       {R"(,"timings":"fast")", R"(,"timings":{"prompt_ms":-4,"predicted_ms":"x"})",
        R"(,"timings":{"prompt_ms":1e300})", R"(,"timings":null)", R"(,"time_info":[1,2])"}) {
    const auto fed = feed(codec(), 200, chunk(extra));
    EXPECT_TRUE(fed.r().ok()) << extra << ": " << fed.r().error_message;
    EXPECT_TRUE(fed.r().server.empty()) << extra;
  }
  for (const std::string_view header : {"-1", "12ms", "", "nan"}) {
    const auto fed =
        feed(codec(), 200, chunk(""), {}, {{"openai-processing-ms", std::string(header)}});
    EXPECT_TRUE(fed.r().server.empty()) << header;
  }
  // Plain OpenAI usage (no times in it) is not a timing source.
  const auto fed = feed(codec(), 200, read_fixture("openai_chat.sse"));
  EXPECT_TRUE(fed.r().server.empty());
}

TEST(ServerTimings, AClientClockThatContradictsTheServerIsNamed) {
  providers::Response r;
  r.t_send_ns = 1'000'000;
  r.t_first_token_ns = 31'000'000;                        // TTFT 30 ms
  r.t_done_ns = 101'000'000;                              // E2E 100 ms
  EXPECT_FALSE(providers::server_clock_disagreement(r));  // nothing to compare
  r.server.add_source("llama.cpp timings");
  r.server.prompt_ns = 25'000'000;
  r.server.decode_ns = 70'000'000;
  EXPECT_FALSE(providers::server_clock_disagreement(r));  // 30 >= 25, 100 >= 95
  r.server.prompt_ns = 35'000'000;
  auto why = providers::server_clock_disagreement(r);
  ASSERT_TRUE(why);
  EXPECT_EQ(*why, "TTFT 30.00 ms is below the server's prompt time 35.00 ms (llama.cpp timings)");
  r.server.prompt_ns = 25'000'000;
  r.server.decode_ns = 80'000'000;
  why = providers::server_clock_disagreement(r);
  ASSERT_TRUE(why);
  EXPECT_NE(why->find("E2E 100.00 ms is below the server's prompt and decode time 105.00 ms"),
            std::string::npos)
      << *why;
  // A failed request is not checked.
  r.error = net::ErrorClass::protocol;
  EXPECT_FALSE(providers::server_clock_disagreement(r));
}
