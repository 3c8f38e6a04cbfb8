// `llmbench serve`: the run history over HTTP (docs/serve.md), until interrupted.

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>
#include <cstdlib>
#include <iostream>

#include "commands.hpp"
#include "llmbench/server/serve_server.hpp"
#include "server_flags.hpp"

namespace llmbench::cli {

namespace {

struct ServeFlags {
  std::string bind = "127.0.0.1";
  int port = 8080;
  int threads = 0;
  std::string token_env;
  ServerLimitFlags limits;
};

}  // namespace

void register_serve(CLI::App& app, Globals& globals) {
  auto* cmd = app.add_subcommand(
      "serve", "The benchmark service: the run history over a REST API (docs/serve.md)");
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
  add_server_limit_flags(*cmd, f.limits);
  cmd->callback([&globals] {
    server::ServeOptions options;
    options.host = f.bind;
    options.port = static_cast<std::uint16_t>(f.port);
    options.threads = f.threads;
    options.db_path = globals.db_path;
    options.limits = server_limits(f.limits, options.limits);
    options.log = log_to_stderr;
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
          "  runs:    {0}/api/v1/runs\n  OpenAPI: {0}/openapi.json\n  token:   {1}\n"
          "  stop with Ctrl-C\n",
          serve.base_url(), options.token.empty() ? "none (loopback only)" : "required");
    }
    std::cout.flush();
    stop_signals.wait();
    serve.stop();
  });
}

}  // namespace llmbench::cli
