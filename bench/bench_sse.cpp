// The SSE decoder alone, and the decoder plus each codec's event parsing, over realistic
// streams cut into network-sized chunks. Goal (issue 3): the decoder at 500 MB/s or more.
//   build/bench/bench_sse --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <string>

#include "llmbench/net/sse_decoder.hpp"
#include "llmbench/providers/anthropic.hpp"
#include "llmbench/providers/openai.hpp"

namespace {

// `events` OpenAI chunks (one token each) with usage and [DONE], as the API sends them.
std::string openai_stream(int events) {
  std::string s;
  for (int i = 0; i < events; ++i) {
    s +=
        R"(data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}],"usage":null})";
    s += "\n\n";
  }
  s +=
      R"(data: {"id":"chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG","object":"chat.completion.chunk","created":1741570283,"model":"gpt-4o-mini-2024-07-18","system_fingerprint":"fp_44709d6fcb","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":64,"total_tokens":83}})";
  s += "\n\ndata: [DONE]\n\n";
  return s;
}

std::string anthropic_stream(int events) {
  std::string s =
      "event: message_start\ndata: {\"type\": \"message_start\", \"message\": {\"id\": "
      "\"msg_01\", \"type\": \"message\", \"role\": \"assistant\", \"content\": [], \"model\": "
      "\"claude-haiku-4-5\", \"stop_reason\": null, \"stop_sequence\": null, \"usage\": "
      "{\"input_tokens\": 25, \"output_tokens\": 1}}}\n\n";
  for (int i = 0; i < events; ++i) {
    s += "event: content_block_delta\ndata: {\"type\": \"content_block_delta\", \"index\": 0, "
         "\"delta\": {\"type\": \"text_delta\", \"text\": \" token\"}}\n\n";
  }
  s += "event: message_delta\ndata: {\"type\": \"message_delta\", \"delta\": {\"stop_reason\": "
       "\"end_turn\", \"stop_sequence\":null}, \"usage\": {\"output_tokens\": 64}}\n\n"
       "event: message_stop\ndata: {\"type\": \"message_stop\"}\n\n";
  return s;
}

void BM_SseDecode(benchmark::State& state) {
  const std::string stream = openai_stream(4096);
  const auto chunk = static_cast<std::size_t>(state.range(0));
  std::size_t events = 0;
  llmbench::net::SseDecoder decoder;
  for (auto _ : state) {
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
      decoder.feed(std::string_view(stream).substr(at, chunk),
                   [&](const llmbench::net::SseEvent& e) { events += e.data.size() > 0; });
    }
  }
  benchmark::DoNotOptimize(events);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}
BENCHMARK(BM_SseDecode)->Arg(256)->Arg(4096)->Arg(16384);

void parse_stream(benchmark::State& state, const llmbench::providers::Codec& codec,
                  const std::string& stream) {
  for (auto _ : state) {
    llmbench::providers::ParserOptions options;
    options.expected_events = 64;
    auto parser = codec.parser(options);
    parser->on_status(200, 0);
    for (std::size_t at = 0; at < stream.size(); at += 4096) {
      parser->on_body(std::string_view(stream).substr(at, 4096), 1);
    }
    llmbench::net::TransferResult result;
    result.status_code = 200;
    parser->on_complete(result);
    benchmark::DoNotOptimize(parser->response().output_tokens);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
  state.SetItemsProcessed(state.iterations() * 64);  // content events
}

void BM_OpenAiResponse64Tokens(benchmark::State& state) {
  parse_stream(state, llmbench::providers::openai_codec(), openai_stream(64));
}
BENCHMARK(BM_OpenAiResponse64Tokens);

void BM_AnthropicResponse64Tokens(benchmark::State& state) {
  parse_stream(state, llmbench::providers::anthropic_codec(), anthropic_stream(64));
}
BENCHMARK(BM_AnthropicResponse64Tokens);

}  // namespace

BENCHMARK_MAIN();
