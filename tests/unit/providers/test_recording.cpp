// The Recorder keeps a stream as it arrives; replaying the recording into a fresh parser gives
// the same response, and the assembled body reads back as the non-streaming API's answer.

#include "llmbench/providers/recording.hpp"

#include <gtest/gtest.h>

#include "llmbench/providers/codec.hpp"
#include "support/stream_fixtures.hpp"

using namespace llmbench::providers;
namespace net = llmbench::net;
namespace lt = llmbench::testing;

namespace {

// Feeds `body` through a Recorder in 7-byte chunks, chunk i arriving at (i + 1) ms after a
// send at 10 ms.
struct Recorded {
  std::unique_ptr<ResponseParser> parser;
  std::optional<Recording> recording;
};

Recorded record(const Codec& codec, const std::string& body, long status = 200) {
  ParserOptions options;
  options.keep_text = true;
  Recorded out{codec.parser(options), std::nullopt};
  Recorder recorder(*out.parser, std::string(codec.name()), "fallback-model");
  auto& p = *out.parser;
  constexpr std::int64_t send = 10'000'000;
  p.on_status(status, send + 500'000);
  p.on_header("content-type", "text/event-stream");
  std::int64_t t = send;
  for (std::size_t at = 0; at < body.size(); at += 7) {
    t += 1'000'000;
    p.on_body(std::string_view(body).substr(at, 7), t);
  }
  net::TransferResult result;
  result.status_code = status;
  result.t_send_ns = send;
  result.t_first_byte_ns = send + 500'000;
  result.t_done_ns = t + 1'000;
  p.on_complete(result);
  out.recording = recorder.take();
  return out;
}

// Replays a recording into a fresh parser, event i at its recorded offset.
std::unique_ptr<ResponseParser> replay(const Codec& codec, const Recording& rec) {
  ParserOptions options;
  options.keep_text = true;
  options.stream = rec.stream;
  auto parser = codec.parser(options);
  replay_start(*parser, rec, 0);
  for (const auto& e : rec.events) {
    replay_event(*parser, e, e.offset_us * 1000);
  }
  if (!rec.stream) {
    replay_body(*parser, rec, rec.duration_us * 1000);
  }
  replay_complete(*parser, rec, 0, 0, rec.duration_us * 1000);
  return parser;
}

// `events`: also the same number of content events (a whole body has one).
void expect_same(const Response& a, const Response& b, bool events = true) {
  EXPECT_TRUE(b.ok()) << b.error_message;
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.input_tokens, b.input_tokens);
  EXPECT_EQ(a.output_tokens, b.output_tokens);
  EXPECT_EQ(a.finish_reason, b.finish_reason);
  if (events) {
    EXPECT_EQ(a.content_events(), b.content_events());
  }
}

}  // namespace

TEST(Recording, OpenAiStreamRoundTrips) {
  const auto& codec = openai_codec();
  const auto rec = record(codec, lt::read_fixture("openai_chat.sse"));
  ASSERT_TRUE(rec.recording);
  const Recording& r = *rec.recording;
  ASSERT_EQ(r.events.size(), 7u);  // six chunks and [DONE]
  EXPECT_EQ(r.events.back().text, "data: [DONE]");
  EXPECT_EQ(r.model, "gpt-4o-mini");
  EXPECT_EQ(r.system_fingerprint, "fp_44709d6fcb");
  for (std::size_t i = 1; i < r.events.size(); ++i) {
    EXPECT_GT(r.events[i].offset_us, r.events[i - 1].offset_us);
  }
  EXPECT_GT(r.ttft_us, 0);
  EXPECT_EQ(r.ttft_us, (rec.parser->response().t_first_token_ns - 10'000'000) / 1000);
  // Replayed at the recorded offsets, the parser sees what the original saw, including time.
  const auto again = replay(codec, r);
  expect_same(rec.parser->response(), again->response());
  EXPECT_EQ(again->response().t_first_token_ns / 1000, r.ttft_us);
  // The assembled body is a chat.completion the non-streaming parser reads the same way.
  const auto whole = lt::feed(codec, 200, r.body, {}, {}, ParserOptions{.stream = false});
  expect_same(rec.parser->response(), whole.r(), false);
  EXPECT_NE(r.body.find(R"("object":"chat.completion")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("id":"chatcmpl-123")"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(R"("total_tokens":22)"), std::string::npos) << r.body;
}

TEST(Recording, AnthropicStreamRoundTrips) {
  const auto& codec = anthropic_codec();
  const auto rec = record(codec, lt::read_fixture("anthropic_messages.sse"));
  ASSERT_TRUE(rec.recording);
  const Recording& r = *rec.recording;
  EXPECT_EQ(r.events.front().text.substr(0, 21), "event: message_start\n");
  EXPECT_EQ(r.model, "claude-opus-4-20250514");
  const auto again = replay(codec, r);
  expect_same(rec.parser->response(), again->response());
  const auto whole = lt::feed(codec, 200, r.body, {}, {}, ParserOptions{.stream = false});
  expect_same(rec.parser->response(), whole.r(), false);
  EXPECT_NE(r.body.find(R"("type":"message")"), std::string::npos) << r.body;
}

TEST(Recording, NonStreamingBodyIsKeptAsReceived) {
  const auto& codec = openai_codec();
  const std::string body = lt::read_fixture("openai_nonstream.json");
  ParserOptions options;
  options.stream = false;
  options.keep_text = true;
  auto parser = codec.parser(options);
  Recorder recorder(*parser, "openai", "m");
  parser->on_status(200, 1'000);
  parser->on_header("content-type", "application/json");
  parser->on_body(body, 2'000'000);
  net::TransferResult result;
  result.status_code = 200;
  result.t_done_ns = 3'000'000;
  parser->on_complete(result);
  const auto r = recorder.take();
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->stream);
  EXPECT_TRUE(r->events.empty());
  EXPECT_EQ(r->body, body);
  EXPECT_EQ(r->duration_us, 3'000);
  expect_same(parser->response(), replay(codec, *r)->response());
}

TEST(Recording, ErrorsAndIncompleteStreamsAreNeverRecorded) {
  const auto& codec = openai_codec();
  EXPECT_FALSE(record(codec, lt::read_fixture("openai_error_midstream.sse")).recording);
  EXPECT_FALSE(record(codec, lt::read_fixture("openai_error_429.json"), 429).recording);
  std::string cut = lt::read_fixture("openai_chat.sse");
  cut.resize(cut.find("data: [DONE]"));  // no terminator
  EXPECT_FALSE(record(codec, cut).recording);
}

TEST(Recording, MultiLineDataSurvives) {
  EXPECT_EQ(sse_frame("event: x\ndata: a\ndata: b"), "event: x\ndata: a\ndata: b\n\n");
  ParserOptions options;
  auto parser = openai_codec().parser(options);
  Recorder recorder(*parser, "openai", "m");
  parser->on_status(200, 0);
  parser->on_body("event: note\ndata: {\"choices\":\ndata: []}\n\ndata: [DONE]\n\n", 5'000);
  net::TransferResult result;
  result.status_code = 200;
  result.t_done_ns = 6'000;
  parser->on_complete(result);
  const auto r = recorder.take();
  ASSERT_TRUE(r);
  ASSERT_EQ(r->events.size(), 2u);
  EXPECT_EQ(r->events[0].text, "event: note\ndata: {\"choices\":\ndata: []}");
  EXPECT_EQ(r->events[0].offset_us, 5);
}
