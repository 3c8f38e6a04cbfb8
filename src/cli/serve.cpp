// `llmbench serve`: the run history over HTTP (docs/serve.md), until interrupted.

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "llmbench/server/serve_server.hpp"
#include "llmbench/util/duration.hpp"
#include "server_flags.hpp"

namespace llmbench::cli {

namespace {

struct ServeFlags {
  std::string bind = "127.0.0.1";
  int port = 8080;
  int threads = 0;
  std::string token_env;
  int max_concurrent_runs = 1;
  std::vector<std::string> allow_key_env;
  std::string data_dir;
  bool mock_only = false;
  std::string cors_origin;
  std::string grace = "30s";
  std::uint64_t max_body = 1u << 20;
  ServerLimitFlags limits;
};

}  // namespace

void register_serve(CLI::App& app, Globals& globals) {
  auto* cmd = app.add_subcommand("serve",
                                 "The benchmark service: runs suites and serves the run history "
                                 "over a REST API and a web UI (docs/serve.md)");
  static ServeFlags f;
  cmd->add_option("--bind", f.bind, "Address to listen on; any but loopback needs --token-env")
      ->capture_default_str();
  cmd->add_option("--port", f.port, "Port to listen on; 0 picks a free one and prints it")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--threads", f.threads, "Server threads (default: one per core)")
      ->check(CLI::Range(0, 1024));
  cmd->add_option("--token-env", f.token_env,
                  "The environment variable holding the bearer token every endpoint but /health "
                  "asks for");
  cmd->add_option("--max-concurrent-runs", f.max_concurrent_runs,
                  "Runs executed at once; the others wait in the queue")
      ->capture_default_str()
      ->check(CLI::Range(1, 64));
  cmd->add_option("--allow-key-env", f.allow_key_env,
                  "An environment variable a submitted suite may name in api_key_env or ${...} "
                  "(repeatable; default: none)")
      ->delimiter(',');
  cmd->add_option("--data-dir", f.data_dir,
                  "The folder submitted suites' prompt `file =` paths resolve in (default: no "
                  "files)");
  cmd->add_flag("--mock-only", f.mock_only,
                "Accept only suites whose targets are all `provider = \"mock\"` (demos)");
  cmd->add_option("--cors-origin", f.cors_origin,
                  "The one browser origin allowed to call the API (e.g. https://dash.example); "
                  "default: no CORS");
  cmd->add_option("--grace", f.grace,
                  "On SIGTERM or Ctrl-C: how long running runs may go on before they are stopped")
      ->capture_default_str();
  cmd->add_option("--max-body", f.max_body,
                  "Largest request body (a submitted suite) in bytes; larger ones get 413")
      ->capture_default_str()
      ->check(CLI::Range(std::uint64_t{1024}, std::uint64_t{64} << 20));
  add_server_limit_flags(*cmd, f.limits);
  cmd->callback([&globals] {
    server::ServeOptions options;
    options.host = f.bind;
    options.port = static_cast<std::uint16_t>(f.port);
    options.threads = f.threads;
    options.db_path = globals.db_path;
    options.limits = server_limits(f.limits, options.limits);
    options.limits.body_limit = f.max_body;
    options.log = log_to_stderr;
    options.max_concurrent_runs = f.max_concurrent_runs;
    options.rules.allowed_env = f.allow_key_env;
    options.rules.mock_only = f.mock_only;
    options.cors_origin = f.cors_origin;
    if (!f.data_dir.empty()) {
      std::error_code ec;
      if (!std::filesystem::is_directory(f.data_dir, ec)) {
        throw InputError(fmt::format(
            "--data-dir {}: not a folder (give the folder prompt files are in)", f.data_dir));
      }
      options.rules.data_dir = std::filesystem::absolute(f.data_dir).string();
    }
    for (const auto& name : f.allow_key_env) {
      if (name.empty() ||
          name.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                 "abcdefghijklmnopqrstuvwxyz0123456789_") != std::string::npos) {
        throw InputError(fmt::format(
            "--allow-key-env {}: give an environment variable's name (e.g. OPENAI_API_KEY)", name));
      }
    }
    const auto grace = util::parse_duration(f.grace);
    if (!grace) {
      throw InputError(fmt::format("--grace {}", grace.error()));
    }
    if (!f.token_env.empty()) {
      const char* token = std::getenv(f.token_env.c_str());
      if (token == nullptr || std::string_view(token).size() < 16) {
        throw InputError(fmt::format(
            "--token-env {}: the variable is unset or shorter than 16 characters; put a long "
            "random token in it (e.g. `export {}=$(openssl rand -hex 32)`)",
            f.token_env, f.token_env));
      }
      options.token = token;
    }
    boost::system::error_code ec;
    const auto address = boost::asio::ip::make_address(f.bind, ec);
    if (ec) {
      throw InputError(fmt::format("--bind {}: not an IP address", f.bind));
    }
    if (!address.is_loopback() && options.token.empty()) {
      throw InputError(fmt::format(
          "--bind {} is reachable from other machines: give a token with --token-env NAME "
          "(or bind 127.0.0.1)",
          f.bind));
    }
    { open_history(globals, History::create); }  // migrated, stale runs recovered
    StopSignals stop_signals;                    // before any server thread exists
    server::ServeServer serve(options);
    serve.start();
    std::cout << fmt::format("llmbench serve listening on {}:{} (base URL {})\n", f.bind,
                             serve.port(), serve.base_url());
    if (!globals.quiet) {
      std::cout << fmt::format(
          "  web UI:  {0}/\n  runs:    {0}/api/v1/runs\n  OpenAPI: {0}/openapi.json\n"
          "  token:   {1}\n  workers: {2}{3}\n  stop with Ctrl-C (running runs get --grace {4})\n",
          serve.base_url(), options.token.empty() ? "none (loopback only)" : "required",
          f.max_concurrent_runs, f.mock_only ? " (mock targets only)" : "", f.grace);
    }
    std::cout.flush();
    const int sig = stop_signals.wait();
    if (!globals.quiet) {
      std::cerr << fmt::format(
          "llmbench serve: {}: no new connections; running runs get {} to finish\n",
          sig == SIGTERM ? "SIGTERM" : "interrupted", f.grace);
    }
    serve.drain(*grace);
  });
}

}  // namespace llmbench::cli
