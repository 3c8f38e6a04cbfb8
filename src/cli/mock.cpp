// `llmbench mock`: run the scripted OpenAI/Anthropic server until interrupted.

#include <fmt/format.h>

#include <iostream>
#include <mutex>

#include "commands.hpp"
#include "llmbench/server/mock_server.hpp"
#include "llmbench/util/duration.hpp"
#include "run_cache.hpp"
#include "server_flags.hpp"

namespace llmbench::cli {

namespace {

struct MockFlags {
  std::string profile_path;
  std::string host = "127.0.0.1";
  int port = 8787;
  int threads = 0;
  std::string ttft;
  std::string itl;
  std::string output_tokens;
  std::int64_t tokens_per_chunk = 0;
  std::vector<std::string> faults;
  std::string retry_after;
  std::int64_t seed = -1;
  std::string model;
  std::string timings;
  std::string from_cache;
  std::string cache_key = "semantic";
  ServerLimitFlags limits;
};

server::Distribution parse_flag(const std::string& flag, const std::string& spec, bool duration) {
  auto d = server::Distribution::parse(spec, duration);
  if (!d) {
    throw InputError(fmt::format("{} {}", flag, d.error()));
  }
  return *d;
}

server::MockProfile build_profile(const MockFlags& f) {
  server::MockProfile p =
      f.profile_path.empty() ? server::MockProfile{} : server::MockProfile::load(f.profile_path);
  if (!f.ttft.empty()) {
    p.ttft = parse_flag("--ttft", f.ttft, true);
  }
  if (!f.itl.empty()) {
    p.itl = parse_flag("--itl", f.itl, true);
  }
  if (f.output_tokens == "max_tokens") {
    p.output_from_max_tokens = true;
  } else if (!f.output_tokens.empty()) {
    p.output_from_max_tokens = false;
    p.output_tokens = parse_flag("--output-tokens", f.output_tokens, false);
  }
  if (f.tokens_per_chunk != 0) {
    if (f.tokens_per_chunk < 1) {
      throw InputError("--tokens-per-chunk must be 1 or more");
    }
    p.tokens_per_chunk = f.tokens_per_chunk;
  }
  if (!f.faults.empty()) {
    p.faults.rates.clear();
  }
  for (const auto& spec : f.faults) {
    // The same reader as x-mock-faults and profile files (NaN and infinities refused).
    const auto rates = server::FaultRates::parse(spec);
    if (!rates) {
      throw InputError(fmt::format("--fault {} (e.g. --fault rate_limited=0.05)", rates.error()));
    }
    p.faults.rates.insert(p.faults.rates.end(), rates->rates.begin(), rates->rates.end());
  }
  if (p.faults.total() > 1.0 + 1e-9) {
    throw InputError(
        fmt::format("--fault probabilities add up to {}, more than 1", p.faults.total()));
  }
  if (!f.retry_after.empty()) {
    auto d = util::parse_duration(f.retry_after);
    if (!d) {
      throw InputError(fmt::format("--retry-after {}", d.error()));
    }
    p.retry_after = *d;
  }
  if (f.seed >= 0) {
    p.seed = static_cast<std::uint64_t>(f.seed);
  }
  if (!f.model.empty()) {
    p.model = f.model;
  }
  if (!f.timings.empty()) {
    p.llamacpp_timings = f.timings == "llama.cpp";
  }
  return p;
}

std::string describe(const server::MockProfile& p) {
  std::string faults;
  for (const auto& [fault, prob] : p.faults.rates) {
    faults += fmt::format("{}{}={}", faults.empty() ? "" : ", ", server::to_string(fault), prob);
  }
  return fmt::format("ttft {}, itl {}, output {} tokens, {} per chunk, faults: {}, seed {}{}",
                     p.ttft.describe(true), p.itl.describe(true),
                     p.output_from_max_tokens ? "max_tokens" : p.output_tokens.describe(false),
                     p.tokens_per_chunk, faults.empty() ? "none" : faults, p.seed,
                     p.llamacpp_timings ? ", llama.cpp timings" : "");
}

}  // namespace

void register_mock(CLI::App& app, Globals& globals) {
  auto* cmd = app.add_subcommand(
      "mock",
      "A local OpenAI- and Anthropic-compatible streaming server with scripted latency and "
      "faults (docs/mock.md)");
  static MockFlags f;
  cmd->add_option("--profile", f.profile_path, "A TOML profile with a [mock] table")
      ->check(CLI::ExistingFile);
  cmd->add_option("--host", f.host, "Address to listen on")->capture_default_str();
  cmd->add_option("--port", f.port, "Port to listen on; 0 picks a free one and prints it")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--threads", f.threads, "Server threads (default: one per core)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--ttft", f.ttft,
                  "Time to first token: 50ms, uniform:20ms..80ms, normal:50ms,5ms, "
                  "lognormal:50ms,0.3");
  cmd->add_option("--itl", f.itl, "Delay between content events (same forms as --ttft)");
  cmd->add_option("--output-tokens", f.output_tokens,
                  "Tokens per response: 64, uniform:16..256, ..., or max_tokens");
  cmd->add_option("--tokens-per-chunk", f.tokens_per_chunk, "Tokens in each content event");
  cmd->add_option("--fault", f.faults,
                  "NAME=PROBABILITY, repeatable: rate_limited, server_error, unavailable, "
                  "reset, malformed, stall, no_terminator, unauthorized");
  cmd->add_option("--retry-after", f.retry_after, "Retry-After sent with injected 429s");
  cmd->add_option("--seed", f.seed, "Seed of the scripted distributions");
  cmd->add_option("--model", f.model, "Model id reported by GET /v1/models");
  cmd->add_option("--timings", f.timings,
                  "llama.cpp: answers carry llama-server's `timings` object with the scripted "
                  "times (docs/mock.md); none: they do not")
      ->check(CLI::IsMember({"llama.cpp", "none"}));
  cmd->add_option("--from-cache", f.from_cache,
                  "Serve the responses recorded in this cache file, at their recorded timing, "
                  "instead of scripted ones (docs/cache.md)");
  cmd->add_option("--cache-key", f.cache_key, "With --from-cache: semantic or full")
      ->check(CLI::IsMember({"semantic", "full"}))
      ->capture_default_str();
  add_server_limit_flags(*cmd, f.limits);
  cmd->callback([&globals] {
    const server::MockProfile profile = build_profile(f);
    // Block the stop signals before any server thread exists, then wait for one here.
    StopSignals stop_signals;
    server::MockServerOptions options;
    options.limits = server_limits(f.limits, options.limits);
    options.log = log_to_stderr;
    // The cache is opened before the server threads exist; lookups share one connection.
    std::optional<RunCache> recorded;
    std::mutex recorded_mutex;
    if (!f.from_cache.empty()) {
      recorded.emplace(f.from_cache, suite::CacheMode::replay,
                       f.cache_key == "full" ? cache::KeyMode::full : cache::KeyMode::semantic);
      options.recorded = [&](std::string_view protocol, std::string_view body) {
        std::lock_guard lock(recorded_mutex);
        const auto hit = recorded->lookup(protocol, body);
        return hit ? std::optional<providers::Recording>(*hit) : std::nullopt;
      };
    }
    options.host = f.host;
    options.port = static_cast<std::uint16_t>(f.port);
    options.threads = f.threads;
    server::MockServer mock(profile, options);
    mock.start();
    std::cout << fmt::format("llmbench mock listening on {}:{} (base URL {})\n", f.host,
                             mock.port(), mock.base_url());
    if (!globals.quiet) {
      std::cout << fmt::format(
          "  OpenAI:    POST {0}/chat/completions\n  Anthropic: POST {0}/messages\n"
          "  script:    {1}\n  stop with Ctrl-C\n",
          mock.base_url(),
          f.from_cache.empty()
              ? describe(profile)
              : fmt::format("responses recorded in {}, at their recorded timing", f.from_cache));
    }
    std::cout.flush();
    stop_signals.wait();
    mock.stop();
    if (recorded) {
      recorded->close();
    }
    if (!globals.quiet) {
      std::cout << fmt::format("llmbench mock stopped after {} requests\n", mock.requests_served());
    }
  });
}

}  // namespace llmbench::cli
