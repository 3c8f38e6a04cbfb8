#include "llmbench/util/process.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>

namespace llmbench::util {

namespace {

std::string boot_id() {
  std::ifstream in("/proc/sys/kernel/random/boot_id");
  std::string id;
  std::getline(in, id);
  return id;
}

// Field 22 (starttime) of /proc/PID/stat. The command name (field 2) is in parentheses and
// may hold spaces, so fields are counted from the last ')'.
std::optional<std::string> start_ticks(std::int64_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  if (!in || !std::getline(in, stat)) {
    return std::nullopt;
  }
  const auto close = stat.rfind(')');
  if (close == std::string::npos) {
    return std::nullopt;
  }
  std::istringstream fields(stat.substr(close + 1));
  std::string field;
  for (int i = 3; i <= 22; ++i) {
    if (!(fields >> field)) {
      return std::nullopt;
    }
  }
  return field;
}

}  // namespace

ProcessId this_process() {
  ProcessId id;
  id.pid = getpid();
  if (const auto ticks = start_ticks(id.pid)) {
    id.start = boot_id() + ":" + *ticks;
  }
  return id;
}

std::optional<std::string> process_start(std::int64_t pid) {
  const auto ticks = start_ticks(pid);
  if (!ticks) {
    return std::nullopt;
  }
  return boot_id() + ":" + *ticks;
}

bool process_alive(std::int64_t pid, const std::string& start) {
  if (pid <= 0) {
    return true;  // unknown: never declare a run dead on no evidence
  }
  if (!start.empty()) {
    const auto now = process_start(pid);
    if (now) {
      return *now == start;
    }
    // No /proc entry: gone if the kernel agrees.
  }
  return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

}  // namespace llmbench::util
