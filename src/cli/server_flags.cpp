#include "server_flags.hpp"

#include <fmt/format.h>

#include <iostream>

#include "llmbench/util/duration.hpp"
#include "llmbench/util/error.hpp"

namespace llmbench::cli {

void add_server_limit_flags(CLI::App& cmd, ServerLimitFlags& f) {
  cmd.add_option("--max-connections", f.max_connections,
                 "Connections open at once; when full, the longest idle is closed, and with "
                 "none idle new ones are refused (default: half the descriptor limit)")
      ->check(CLI::NonNegativeNumber);
  cmd.add_option("--idle-timeout", f.idle_timeout,
                 "Close a connection that sends no request for this long")
      ->capture_default_str();
  cmd.add_option("--request-timeout", f.request_timeout,
                 "Answer 408 and close when a request takes longer than this to arrive")
      ->capture_default_str();
  cmd.add_option("--write-timeout", f.write_timeout,
                 "Close a connection whose client reads nothing for this long")
      ->capture_default_str();
}

net::HttpLimits server_limits(const ServerLimitFlags& f, net::HttpLimits base) {
  const auto ms = [](const std::string& flag, const std::string& text) {
    const auto d = util::parse_duration(text);
    if (!d || d->count() <= 0) {
      throw InputError(
          fmt::format("{} \"{}\": write a positive duration such as 30s or 500ms", flag, text));
    }
    return std::max(std::chrono::milliseconds(1),
                    std::chrono::duration_cast<std::chrono::milliseconds>(*d));
  };
  base.max_connections = f.max_connections;
  base.idle_timeout = ms("--idle-timeout", f.idle_timeout);
  base.request_timeout = ms("--request-timeout", f.request_timeout);
  base.write_timeout = ms("--write-timeout", f.write_timeout);
  return base;
}

void log_to_stderr(const std::string& line) {
  std::cerr << fmt::format("llmbench: {}\n", line) << std::flush;
}

StopSignals::StopSignals() {
  sigemptyset(&m_set);
  sigaddset(&m_set, SIGINT);
  sigaddset(&m_set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &m_set, nullptr);
}

int StopSignals::wait() {
  int signal = 0;
  sigwait(&m_set, &signal);
  return signal;
}

}  // namespace llmbench::cli
