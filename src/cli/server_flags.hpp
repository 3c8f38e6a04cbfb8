#pragma once
// Flags every server command shares (`mock`, `collect`): the connection cap and the timeouts
// for slow or idle clients, turned into net::HttpLimits.

#include <signal.h>
#include <CLI/CLI.hpp>

#include <string>

#include "llmbench/net/connection.hpp"

namespace llmbench::cli {

struct ServerLimitFlags {
  int max_connections = 0;
  std::string idle_timeout = "30s";
  std::string request_timeout = "10s";
  std::string write_timeout = "30s";
};

void add_server_limit_flags(CLI::App& cmd, ServerLimitFlags& f);
// `base` with the flags applied; throws InputError naming a bad flag.
net::HttpLimits server_limits(const ServerLimitFlags& f, net::HttpLimits base);
// Writes a server's log line to stderr.
void log_to_stderr(const std::string& line);

// SIGINT and SIGTERM, blocked in this thread before any server thread exists (threads inherit
// the mask), so that wait() below is the only place they are seen.
class StopSignals {
 public:
  StopSignals();
  int wait();  // until one arrives; returns it

 private:
  sigset_t m_set;
};

}  // namespace llmbench::cli
