// BLAKE3 and canonical JSON throughput, and the cost of fingerprinting a 2 KB chat request
// (canonicalize + hash). Compare BLAKE3 with `b3sum --num-threads 1` on the same sizes:
//   bench/cache.sh
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdio>
#include <string>

#include "llmbench/cache/blake3.hpp"
#include "llmbench/cache/fingerprint.hpp"
#include "llmbench/cache/jcs.hpp"
#include "llmbench/cache/store.hpp"

namespace {

std::string bytes(std::size_t n) {
  std::string s(n, '\0');
  std::uint64_t x = 0x9E3779B97F4A7C15ull;
  for (auto& c : s) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>(x);
  }
  return s;
}

// A realistic ~2 KB chat request body.
std::string chat_body() {
  std::string body =
      R"({"model":"gpt-4.1-mini","stream":true,"stream_options":{"include_usage":true},)"
      R"("max_tokens":256,"temperature":0.2,"messages":[)";
  body += R"({"role":"system","content":"You are a concise support assistant for an online store. )"
          R"(Answer in two sentences at most, cite the policy section when you can."},)";
  for (int i = 0; i < 6; ++i) {
    body += R"({"role":"user","content":"My order #10)" + std::to_string(i) +
            R"( arrived damaged and the box was open; can I get a replacement or a refund, and )"
            R"(do I need to send the item back first? The courier left it outside."},)";
    body += R"({"role":"assistant","content":"Yes: you can choose a replacement or a refund. )"
            R"(Keep the item until we email a prepaid label (policy 4.2)."},)";
  }
  body.pop_back();
  body += "]}";
  return body;
}

void BM_Blake3(benchmark::State& state) {
  const std::string data = bytes(static_cast<std::size_t>(state.range(0)));
  for (auto _ : state) {
    benchmark::DoNotOptimize(llmbench::cache::Blake3().update(data).digest());
  }
  state.SetBytesProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_Blake3)->Arg(1024)->Arg(1 << 20);

void BM_Canonicalize(benchmark::State& state) {
  const std::string body = chat_body();
  for (auto _ : state) {
    benchmark::DoNotOptimize(llmbench::cache::canonicalize(body));
  }
  state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_Canonicalize);

void BM_Fingerprint2KB(benchmark::State& state) {
  const std::string body = chat_body();
  state.counters["body_bytes"] = static_cast<double>(body.size());
  for (auto _ : state) {
    benchmark::DoNotOptimize(llmbench::cache::fingerprint("openai", body));
  }
}
BENCHMARK(BM_Fingerprint2KB);

// A warm hit: fingerprint the request (canonicalize + hash), then read the stored response
// (a recorded 64-event stream) from the cache file.
void BM_WarmHit2KB(benchmark::State& state) {
  const std::string body = chat_body();
  const std::string path = "/tmp/llmbench-bench-cache-" + std::to_string(::getpid()) + ".db";
  {
    auto store = llmbench::cache::CacheStore::open(path);
    llmbench::cache::CachedResponse r;
    r.provider = "openai";
    r.fingerprint = *llmbench::cache::fingerprint("openai", body);
    r.canonical_request = *llmbench::cache::fingerprint_input("openai", body);
    r.body = R"({"choices":[{"message":{"content":"Yes, a replacement or a refund."}}]})";
    for (int i = 0; i < 64; ++i) {
      r.events.push_back({1000 * i, R"(data: {"choices":[{"delta":{"content":" token"}}]})"});
    }
    store.put(r);
  }
  auto store = llmbench::cache::CacheStore::open(path);
  const bool with_events = state.range(0) != 0;
  for (auto _ : state) {
    const auto fp = llmbench::cache::fingerprint("openai", body);
    benchmark::DoNotOptimize(store.get(*fp, with_events));
  }
  std::remove(path.c_str());
}
// Arg 0: the body only (an instant replay); 1: with the 64-event recorded stream.
BENCHMARK(BM_WarmHit2KB)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();
