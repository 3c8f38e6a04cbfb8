#pragma once
// The run's progress on stderr (`run --progress auto|tty|plain|json|none`):
//   tty    one line rewritten in place, cut to the terminal's width (never wraps)
//   plain  a line every 10 s and at the end of each stage (CI logs)
//   json   one object per line, every second and at the end of each stage (machines)
//   auto   tty on a terminal, plain otherwise; none with --quiet
// Each line shows the current stage's own figures (one target, or all targets when they run
// interleaved), never a mix labelled as one.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "llmbench/load/runner.hpp"

namespace llmbench::cli {

enum class ProgressMode { automatic, tty, plain, json, none };
std::optional<ProgressMode> progress_mode_from_string(std::string_view s);

// One progress line, at most `width` - 1 columns (a line that fills the last column wraps on
// some terminals), no newline.
std::string format_progress_line(const load::Progress& p, std::size_t width);
// One JSON object (no newline).
std::string format_progress_json(const load::Progress& p);

class ProgressPrinter {
 public:
  // `mode` resolved: automatic becomes tty or plain by whether stderr is a terminal.
  ProgressPrinter(ProgressMode mode, bool quiet);
  ProgressMode mode() const { return m_mode; }
  // How often the runner should call print().
  std::chrono::milliseconds interval() const;
  void print(const load::Progress& p);
  // Clears a tty line before the run's own output.
  void finish();

 private:
  ProgressMode m_mode;
  std::chrono::steady_clock::time_point m_last_plain{};
  bool m_drawn = false;
};

}  // namespace llmbench::cli
