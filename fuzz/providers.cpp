// The codecs' response parsers on arbitrary bytes, the way the engine feeds them: a status,
// a content type, the body in chunks. Byte 0 picks the protocol (bit 0 Anthropic, bit 5 the
// OpenAI Responses API), streaming or not, and the status; byte 1 the chunk size. A complete
// success is also recorded (providers/recording), replayed into a fresh parser, and its assembled
// body read by the non-streaming parser: both must agree with the original on the output text. The
// mock's ground truth is read from what arrived too (its headers, when byte 0 asks, and its SSE
// comments): measurement_error and attributed_error must take any of it without crashing. The
// server's own timings (llama.cpp `timings`, Groq and Cerebras times, the openai-processing-ms
// header) are read from the same bytes: never negative, and the clock check takes any of them.

#include <cstdint>

#include "fuzz.hpp"
#include "llmbench/providers/anthropic.hpp"
#include "llmbench/providers/mock.hpp"
#include "llmbench/providers/openai.hpp"
#include "llmbench/providers/recording.hpp"
#include "llmbench/providers/responses.hpp"

using namespace llmbench;

namespace {

providers::ParserOptions options(bool stream) {
  providers::ParserOptions o;
  o.stream = stream;
  o.keep_text = true;
  o.keep_headers = true;
  o.max_line = 1 << 16;
  o.max_body = 1 << 20;
  return o;
}

net::TransferResult completed(long status) {
  net::TransferResult r;
  r.status_code = status;
  r.t_send_ns = 0;
  r.t_first_byte_ns = 1;
  r.t_done_ns = 1'000'000;
  r.http_version = 11;
  return r;
}

void check_replay(const providers::Codec& codec, const providers::Recording& rec,
                  const providers::Response& original) {
  auto again = codec.parser(options(rec.stream));
  providers::replay_start(*again, rec, 1);
  if (rec.stream) {
    for (const auto& e : rec.events) {
      if (!providers::replay_event(*again, e, 2 + e.offset_us)) {
        break;
      }
    }
  } else {
    providers::replay_body(*again, rec, 2);
  }
  providers::replay_complete(*again, rec, 0, 1, 1'000'000);
  if (!again->response().ok() || again->response().text != original.text) {
    fuzz::broken("a replayed recording does not read as the original");
  }
  if (rec.stream) {
    auto whole = codec.parser(options(false));
    whole->on_status(200, 1);
    whole->on_header("content-type", "application/json");
    whole->on_body(rec.body, 2);
    whole->on_complete(completed(200));
    if (!whole->response().ok() || whole->response().text != original.text) {
      fuzz::broken("an assembled body does not read as the stream it came from");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) {
    return 0;
  }
  const std::uint8_t mode = data[0];
  const std::size_t chunk = std::size_t{data[1]} + 1;
  const std::string_view body = fuzz::text(data + 2, size - 2);
  const providers::Codec& codec = (mode & 1) != 0    ? providers::anthropic_codec()
                                  : (mode & 32) != 0 ? providers::responses_codec()
                                                     : providers::openai_codec();
  const bool stream = (mode & 2) == 0;
  static constexpr long k_statuses[] = {200, 200, 400, 429};
  const long status = k_statuses[(mode >> 2) & 3];

  auto parser = codec.parser(options(stream));
  providers::Recorder recorder(*parser, std::string(codec.name()), "fuzz-model");
  parser->on_status(status, 1);
  parser->on_header("content-type", stream ? "text/event-stream" : "application/json");
  if ((mode & 16) != 0) {
    parser->on_header("x-mock-ttft-ns", "3");
    parser->on_header("x-mock-itl-ns", "1,2,-5");
    parser->on_header("x-mock-read-ns", "7");
    parser->on_header("openai-processing-ms", "12.5");
  }
  std::int64_t t = 2;
  for (std::size_t at = 0; at < body.size(); at += chunk) {
    if (!parser->on_body(body.substr(at, chunk), t++)) {
      break;
    }
  }
  parser->on_complete(completed(status));
  if (const auto e = providers::attributed_error(parser->response(), 11);
      e && e->client_ns.size() != e->mock_late_ns.size()) {
    fuzz::broken("attributed_error split a different number of events two ways");
  }
  providers::measurement_error(parser->response());
  const providers::ServerTimings& server = parser->response().server;
  for (const auto& v :
       {server.queue_ns, server.prompt_ns, server.prompt_tokens, server.cached_tokens,
        server.decode_ns, server.decode_tokens, server.processing_ns}) {
    if (v && *v < 0) {
      fuzz::broken("a server timing read as negative");
    }
  }
  providers::server_clock_disagreement(parser->response());
  if (auto rec = recorder.take()) {
    check_replay(codec, *rec, parser->response());
  }
  return 0;
}
