#pragma once
// Which process is this, and is another one still alive: a pid alone can be reused, so a
// process is named by its pid and its start time (field 22 of /proc/PID/stat, clock ticks
// since boot; boot time is part of it so a reboot never matches).

#include <cstdint>
#include <optional>
#include <string>

namespace llmbench::util {

struct ProcessId {
  std::int64_t pid = 0;
  std::string start;  // "BOOT_ID:TICKS"; empty where /proc is not readable
};

ProcessId this_process();
// The start stamp of process `pid` now, or nullopt if there is no such process.
std::optional<std::string> process_start(std::int64_t pid);
// False only when `pid` is known to be gone, or is another process than the one that had
// `start` (pid reuse). Where /proc cannot tell, assume alive.
bool process_alive(std::int64_t pid, const std::string& start);

}  // namespace llmbench::util
