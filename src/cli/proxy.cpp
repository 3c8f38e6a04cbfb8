// `llmbench proxy`: the measuring pass-through for agent harnesses, until interrupted.

#include <fmt/format.h>

#include <boost/asio/ip/address.hpp>
#include <iostream>

#include "commands.hpp"
#include "llmbench/server/proxy_server.hpp"
#include "llmbench/session/config.hpp"
#include "server_flags.hpp"

namespace llmbench::cli {

namespace {

struct ProxyFlags {
  std::string config = "proxy.toml";
  std::string host;
  int port = -1;
  int threads = 0;
  bool allow_anonymous = false;
};

bool loopback(const std::string& host) {
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  return !ec && address.is_loopback();
}

}  // namespace

void register_proxy(CLI::App& app, Globals& globals) {
  auto* cmd = app.add_subcommand(
      "proxy",
      "A measuring pass-through for interactive agent harnesses (Claude Code, Codex, "
      "OpenCode): sessions, metrics (docs/proxy.md)");
  static ProxyFlags f;
  cmd->add_option("--config", f.config, "The proxy and session config (TOML)")
      ->capture_default_str();
  cmd->add_option("--host", f.host, "Address to listen on (default: the config's, 127.0.0.1)");
  cmd->add_option("--port", f.port, "Port to listen on (default: the config's, 4000); 0 picks one")
      ->check(CLI::Range(0, 65535));
  cmd->add_option("--threads", f.threads, "Server threads (default: one per core)")
      ->check(CLI::Range(0, 1024));
  cmd->add_flag("--allow-anonymous", f.allow_anonymous,
                "Forward requests without a session key too (stored in a run of their own); "
                "loopback addresses only");
  cmd->callback([&globals] {
    session::Config config = session::load_config_or_throw(f.config);
    server::ProxyServerOptions options;
    options.host = f.host.empty() ? config.proxy.host : f.host;
    options.port = static_cast<std::uint16_t>(f.port >= 0 ? f.port : config.proxy.port);
    options.allow_anonymous = f.allow_anonymous || config.proxy.allow_anonymous;
    if (options.allow_anonymous && !loopback(options.host)) {
      throw InputError(fmt::format(
          "anonymous requests are allowed only on a loopback address, not {}: on a shared "
          "address every request must carry a session key (drop --allow-anonymous, or "
          "allow_anonymous in [proxy])",
          options.host));
    }
    options.threads = f.threads;
    options.db_path = globals.db_path;
    options.log = log_to_stderr;
    options.config = std::move(config);
    { open_history(globals, History::create); }  // migrated, stale runs recovered
    StopSignals stop_signals;                    // before any server thread exists
    server::ProxyServer proxy(options);
    proxy.start();
    std::cout << fmt::format("llmbench proxy listening on {}:{} (base URL {})\n", options.host,
                             proxy.port(), proxy.base_url());
    if (!globals.quiet) {
      std::cout << fmt::format(
          "  OpenAI:    {0}/v1/chat/completions, {0}/v1/responses\n"
          "  Anthropic: {0}/v1/messages\n  metrics:   {0}/metrics\n"
          "  models:    {1}\n  stop with Ctrl-C\n",
          proxy.base_url(), [&] {
            std::string names;
            for (const auto& m : options.config.models) {
              names += (names.empty() ? "" : ", ") + m.alias + " -> " + m.base_url;
            }
            return names;
          }());
    }
    std::cout.flush();
    stop_signals.wait();
    proxy.stop();
    if (!globals.quiet) {
      std::cout << fmt::format("llmbench proxy stopped; {} requests stored\n", proxy.recorded());
    }
  });
}

}  // namespace llmbench::cli
