// Whole-process engine benchmark against a running `llmbench mock` (bench/engine.sh starts
// one in its own process, so this process's CPU time is the client's alone).
//
//   capacity: a closed loop of --concurrency streams, each --tokens tokens with no scripted
//             delay (--ttft/--itl script delays; --max-rate caps requests/s, to see the
//             client's cost at a given load rather than at saturation); prints requests/s, streamed
//             tokens/s, client CPU (cores) and resident memory at checkpoints as the request count
//             grows. Goals (issue 3): >= 3,000 requests/s, >= 200,000 tokens/s, < 1 core, flat RSS.
//   accuracy: TTFT 50 ms and 10 ms between 20 tokens scripted by the mock, at each of
//             --streams (default 1,100,1000) concurrent streams, --requests-per-stream x streams
//             requests; prints the client's error (receive - the mock's write), the mock's
//             lateness (write - scripted), their sum and the totals, each median / p99 / max,
//             and both processes' CPU (saying so when the machine is saturated).
//             Goals (issue 14): client error median under 0.2 ms, p99 under 2 ms, at 1,000.
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "llmbench/metrics/sample_stats.hpp"
#include "llmbench/providers/anthropic.hpp"
#include "llmbench/providers/mock.hpp"
#include "llmbench/providers/openai.hpp"
#include "support/accuracy.hpp"
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
  std::vector<std::size_t> streams = {1, 100, 1000};  // accuracy mode
  std::size_t requests_per_stream = 4;                // accuracy mode
  long mock_pid = 0;                                  // the mock's process, for its CPU time
  int mock_threads = 0;                               // the mock's threads, if known
  int engine_threads = 1;
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
    } else if (k == "--streams") {
      a.streams.clear();
      std::istringstream list(v);
      std::string n;
      while (std::getline(list, n, ',')) {
        a.streams.push_back(std::stoul(n));
      }
    } else if (k == "--requests-per-stream") {
      a.requests_per_stream = std::stoul(v);
    } else if (k == "--engine-threads") {
      a.engine_threads = std::stoi(v);
    } else if (k == "--mock-threads") {
      a.mock_threads = std::stoi(v);
    } else if (k == "--mock-pid") {
      a.mock_pid = std::stol(v);
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

// CPU seconds (user + system) another process has used so far, from /proc/PID/stat; -1 when
// it cannot be read.
double process_cpu_seconds(long pid) {
  if (pid <= 0) {
    return -1;
  }
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  std::getline(stat, text);
  const auto close = text.rfind(')');
  if (close == std::string::npos) {
    return -1;
  }
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14 || i == 15) {  // utime, stime
      ticks += std::stod(field);
    }
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

net::EngineOptions engine_options(const Args& a) {
  net::EngineOptions o;
  o.threads = a.engine_threads;
  return o;
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
  net::Engine engine(engine_options(a));
  std::size_t done = 0;
  std::size_t errors = 0;
  std::int64_t tokens = 0;
  std::size_t next_checkpoint = 1000;
  const double cpu0 = cpu_seconds();
  const double mock0 = process_cpu_seconds(a.mock_pid);
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
      "total: %zu requests (%zu errors) in %.1f s with %d engine thread%s: %.0f requests/s, %.0f "
      "tokens/s, client CPU %.2f cores, RSS %.1f MiB\n",
      done, errors, wall, a.engine_threads, a.engine_threads == 1 ? "" : "s",
      static_cast<double>(done) / wall, static_cast<double>(tokens) / wall,
      (cpu_seconds() - cpu0) / wall, static_cast<double>(rss_kib()) / 1024.0);
  const double cpu_us = (cpu_seconds() - cpu0) * 1e6 / static_cast<double>(done);
  std::printf(
      "client CPU per request: %.1f us (%d-token responses); requests/s per client core: %.0f\n",
      cpu_us, static_cast<int>(a.tokens), 1e6 / cpu_us);
  if (a.mock_pid > 0) {
    const double mock_s = process_cpu_seconds(a.mock_pid) - mock0;
    const double both = (cpu_seconds() - cpu0 + mock_s) / wall;
    std::printf("mock CPU %.2f cores; both processes %.2f of %u cores%s\n", mock_s / wall, both,
                std::thread::hardware_concurrency(),
                both > 0.9 * std::thread::hardware_concurrency()
                    ? " -- the machine is saturated: the client waits for a core too"
                    : "");
  }
  return errors == 0 ? 0 : 1;
}

void print_row(const char* what, const lt::Spread& s, const char* note) {
  std::printf("  %-15s median %8.3f ms   p99 %8.3f ms   max %8.3f ms   %s\n", what, s.median_ms,
              s.p99_ms, s.max_ms, note);
}

// One stream count: the split figures, and how busy the machine was while they were taken.
void accuracy_at(const Args& a, std::size_t streams) {
  net::Engine engine(engine_options(a));
  lt::AccuracyPlan plan;
  plan.streams = streams;
  plan.requests = std::max<std::size_t>(streams == 1 ? 50 : 0, streams * a.requests_per_stream);
  const double cpu0 = cpu_seconds();
  const double mock0 = process_cpu_seconds(a.mock_pid);
  const auto t0 = Clock::now();
  const lt::AccuracyFigures f = lt::measure_accuracy(engine, codec_of(a), a.base_url, plan);
  const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
  const double client_cores = (cpu_seconds() - cpu0) / wall;
  const double mock1 = process_cpu_seconds(a.mock_pid);
  const double mock_cores = mock0 >= 0 && mock1 >= 0 ? (mock1 - mock0) / wall : -1;
  const double cores = static_cast<double>(std::thread::hardware_concurrency());
  std::printf(
      "%s, %zu streams, %d engine thread%s: %zu requests compared, %zu failed or without "
      "ground truth\n",
      a.protocol.c_str(), streams, a.engine_threads, a.engine_threads == 1 ? "" : "s", f.measured,
      f.failures);
  print_row("client error", f.client, "client receive - mock write, each content event");
  print_row("mock lateness", f.mock_late, "mock write - scripted instant");
  print_row("sum", f.sum, "client error + mock lateness");
  print_row("send lag", f.send_lag, "mock read - client send, each request");
  print_row("ttft total", f.ttft_total, "|measured - scripted TTFT| (send lag + the sum)");
  print_row("gap total", f.gap_total, "|measured - scripted gap|");
  if (f.client_min_ms < 0 || f.mock_late_min_ms < 0) {
    std::printf("  CLOCK DISAGREEMENT: client error min %.3f ms, mock lateness min %.3f ms\n",
                f.client_min_ms, f.mock_late_min_ms);
  }
  if (mock_cores >= 0) {
    const bool saturated = client_cores + mock_cores > 0.9 * cores;
    const bool mock_busy = a.mock_threads > 0 && mock_cores > 0.85 * a.mock_threads;
    std::printf("  CPU: client %.2f cores, mock %.2f cores, of %.0f%s%s\n", client_cores,
                mock_cores, cores,
                saturated ? " -- the machine is saturated: figures include waiting for a core" : "",
                mock_busy ? " -- the mock's threads are saturated: it writes late, in bursts" : "");
  } else {
    std::printf("  CPU: client %.2f cores (mock's unknown: no --mock-pid)\n", client_cores);
  }
  std::fflush(stdout);
}

int accuracy(const Args& a) {
  for (const std::size_t streams : a.streams) {
    accuracy_at(a, streams);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  return a.mode == "accuracy" ? accuracy(a) : capacity(a);
}
