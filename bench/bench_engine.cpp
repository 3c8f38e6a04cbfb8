// Whole-process engine benchmark against a running `llmbench mock` (bench/engine.sh starts
// one in its own process, so this process's CPU time is the client's alone).
//
//   capacity: a closed loop of --concurrency streams, each --tokens tokens with no scripted
//             delay (--ttft/--itl script delays; --max-rate caps requests/s, to see the
//             client's cost at a given load rather than at saturation); prints requests/s, streamed
//             tokens/s, client CPU (cores) and resident memory at checkpoints as the request count
//             grows. Goals (issue 3): >= 3,000 requests/s, >= 200,000 tokens/s, < 1 core, flat RSS.
//   accuracy: TTFT 50 ms and 10 ms between tokens scripted by the mock; prints how far the
//             measured TTFT and gaps stray from the mock's ground-truth headers.
//             Goals: median under 0.2 ms, p99 under 2 ms, at 100 concurrent streams.
#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>

#include "llmbench/metrics/sample_stats.hpp"
#include "llmbench/providers/anthropic.hpp"
#include "llmbench/providers/mock.hpp"
#include "llmbench/providers/openai.hpp"
#include "support/engine_runner.hpp"

using namespace llmbench;
namespace lt = llmbench::testing;
using Clock = std::chrono::steady_clock;

namespace {

struct Args {
  std::string mode = "capacity";
  std::string base_url;
  std::string protocol = "openai";
  std::size_t concurrency = 256;
  std::size_t requests = 100'000;
  std::int64_t tokens = 64;
  std::string ttft = "0ms";  // capacity mode: what the mock scripts
  std::string itl = "0ms";
  double max_rate = 0;  // capacity mode: cap requests/s (0: as fast as it goes)
};

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const std::string v = argv[i + 1];
    if (k == "--mode") {
      a.mode = v;
    } else if (k == "--base-url") {
      a.base_url = v;
    } else if (k == "--protocol") {
      a.protocol = v;
    } else if (k == "--concurrency") {
      a.concurrency = std::stoul(v);
    } else if (k == "--requests") {
      a.requests = std::stoul(v);
    } else if (k == "--ttft") {
      a.ttft = v;
    } else if (k == "--max-rate") {
      a.max_rate = std::stod(v);
    } else if (k == "--itl") {
      a.itl = v;
    } else if (k == "--tokens") {
      a.tokens = std::stoll(v);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      std::exit(2);
    }
  }
  if (a.base_url.empty()) {
    std::fprintf(stderr, "--base-url is required (bench/engine.sh starts a mock)\n");
    std::exit(2);
  }
  return a;
}

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

long rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      return std::stol(line.substr(6));
    }
  }
  return -1;
}

const providers::Codec& codec_of(const Args& a) {
  return a.protocol == "anthropic" ? providers::anthropic_codec() : providers::openai_codec();
}

providers::ChatRequest base_request(const Args& a, const std::vector<suite::Message>& messages) {
  providers::ChatRequest r;
  r.base_url = a.base_url;
  r.messages = messages;
  r.params.model = "bench";
  r.params.max_tokens = a.tokens;
  r.total_timeout = std::chrono::seconds(60);
  return r;
}

int capacity(const Args& a) {
  const std::vector<suite::Message> messages = {{"user", "Write sixty-four tokens.", ""}};
  providers::ChatRequest req = base_request(a, messages);
  req.headers = {{"x-mock-ttft", a.ttft},
                 {"x-mock-itl", a.itl},
                 {"x-mock-output-tokens", std::to_string(a.tokens)}};
  net::Engine engine;
  std::size_t done = 0;
  std::size_t errors = 0;
  std::int64_t tokens = 0;
  std::size_t next_checkpoint = 1000;
  const double cpu0 = cpu_seconds();
  const auto t0 = Clock::now();
  double last_cpu = cpu0;
  auto last_t = t0;
  std::size_t last_done = 0;
  std::int64_t last_tokens = 0;
  std::printf("%10s %10s %12s %10s %10s\n", "requests", "req/s", "tokens/s", "cpu cores",
              "rss MiB");
  providers::ParserOptions options;
  options.expected_events = static_cast<std::size_t>(a.tokens);
  lt::closed_loop(
      engine, codec_of(a), a.concurrency, a.requests, std::chrono::nanoseconds(0),
      [&](std::size_t) { return req; },
      [&](lt::Exchange& ex, std::size_t) {
        ++done;
        if (!ex.r().ok()) {
          if (++errors <= 5) {
            std::fprintf(stderr, "error: %s %s\n", net::to_string(ex.r().error).data(),
                         ex.r().error_message.c_str());
          }
        } else {
          tokens += ex.r().output_token_count();
        }
        if (done == next_checkpoint || done == a.requests) {
          const auto now = Clock::now();
          const double wall = std::chrono::duration<double>(now - last_t).count();
          const double cpu = cpu_seconds();
          std::printf("%10zu %10.0f %12.0f %10.2f %10.1f\n", done,
                      static_cast<double>(done - last_done) / wall,
                      static_cast<double>(tokens - last_tokens) / wall, (cpu - last_cpu) / wall,
                      static_cast<double>(rss_kib()) / 1024.0);
          std::fflush(stdout);
          last_t = now;
          last_cpu = cpu;
          last_done = done;
          last_tokens = tokens;
          next_checkpoint *= 10;
          if (next_checkpoint > a.requests) {
            next_checkpoint = a.requests;
          }
        }
      },
      options, a.max_rate);
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  std::printf(
      "total: %zu requests (%zu errors) in %.1f s: %.0f requests/s, %.0f tokens/s, client CPU "
      "%.2f cores, RSS %.1f MiB\n",
      done, errors, wall, static_cast<double>(done) / wall, static_cast<double>(tokens) / wall,
      (cpu_seconds() - cpu0) / wall, static_cast<double>(rss_kib()) / 1024.0);
  return errors == 0 ? 0 : 1;
}

int accuracy(const Args& a) {
  const std::vector<suite::Message> messages = {{"user", "Count to twenty.", ""}};
  providers::ChatRequest req = base_request(a, messages);
  req.headers = {{"x-mock-ttft", "50ms"}, {"x-mock-itl", "10ms"}, {"x-mock-output-tokens", "20"}};
  providers::ParserOptions options;
  options.keep_headers = true;
  options.expected_events = 20;
  for (const std::size_t concurrency : {std::size_t{1}, a.concurrency}) {
    net::Engine engine;
    std::vector<double> ttft;
    std::vector<double> gaps;
    std::size_t errors = 0;
    const std::size_t total = concurrency == 1 ? 100 : a.requests;
    // One request's length (~240 ms) spread over the ramp: a staggered steady state.
    const auto ramp = std::chrono::microseconds(240'000 / static_cast<std::int64_t>(concurrency));
    lt::closed_loop(
        engine, codec_of(a), concurrency, total, ramp, [&](std::size_t) { return req; },
        [&](lt::Exchange& ex, std::size_t index) {
          const auto e = providers::measurement_error(ex.r());
          if (!ex.r().ok() || !e) {
            ++errors;
            return;
          }
          if (index < concurrency) {
            return;  // these opened the connections
          }
          ttft.push_back(std::abs(static_cast<double>(e->ttft_ns)) / 1e6);
          for (const auto g : e->gap_ns) {
            gaps.push_back(std::abs(static_cast<double>(g)) / 1e6);
          }
        },
        options);
    std::printf(
        "%s, %zu concurrent, %zu requests measured: |ttft error| median %.3f ms p99 %.3f ms; "
        "|gap error| median %.3f ms p99 %.3f ms; errors %zu\n",
        a.protocol.c_str(), concurrency, ttft.size(), metrics::percentile(ttft, 50),
        metrics::percentile(ttft, 99), metrics::percentile(gaps, 50), metrics::percentile(gaps, 99),
        errors);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  return a.mode == "accuracy" ? accuracy(a) : capacity(a);
}
