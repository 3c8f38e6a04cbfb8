#include "progress.hpp"

#include <fmt/format.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "llmbench/util/json_writer.hpp"

namespace llmbench::cli {

namespace {

std::size_t terminal_width() {
  winsize ws{};
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    return ws.ws_col;
  }
  if (const char* columns = std::getenv("COLUMNS")) {
    const long n = std::strtol(columns, nullptr, 10);
    if (n > 0 && n < 10'000) {
      return static_cast<std::size_t>(n);
    }
  }
  return 80;
}

// Cuts `s` to at most `n` bytes at a UTF-8 character boundary.
std::string cut(std::string s, std::size_t n) {
  if (s.size() <= n) {
    return s;
  }
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) {
    --n;
  }
  s.resize(n);
  return s;
}

std::string stage_of(const load::Progress& p) {
  return p.stage.empty() ? "run" : p.stage;
}

}  // namespace

std::optional<ProgressMode> progress_mode_from_string(std::string_view s) {
  if (s == "auto") {
    return ProgressMode::automatic;
  }
  if (s == "tty") {
    return ProgressMode::tty;
  }
  if (s == "plain") {
    return ProgressMode::plain;
  }
  if (s == "json") {
    return ProgressMode::json;
  }
  if (s == "none") {
    return ProgressMode::none;
  }
  return std::nullopt;
}

std::string format_progress_line(const load::Progress& p, std::size_t width) {
  // Most important first, so what a narrow terminal cuts is the least useful.
  std::string line = fmt::format("[{}] {}{} done", stage_of(p), p.done,
                                 p.total > 0 ? fmt::format("/{}", p.total) : "");
  line += fmt::format(" | {:.1f} req/s | {} err", p.stage_requests_per_s, p.stage_errors);
  if (p.stage_ok > 0) {
    line += fmt::format(" | ttft p50 {:.1f} p95 {:.1f} ms", p.ttft_p50_ms, p.ttft_p95_ms);
  }
  line += fmt::format(" | {} in flight", p.in_flight);
  if (p.eta_s >= 0 && !p.stage_end) {
    line += fmt::format(" | eta {:.0f}s", p.eta_s);
  }
  return cut(std::move(line), width > 1 ? width - 1 : 0);
}

std::string format_progress_json(const load::Progress& p) {
  std::string out;
  util::JsonObject o(out);
  o.str("stage", stage_of(p));
  o.boolean("stage_end", p.stage_end);
  o.integer("done", p.done);
  if (p.total > 0) {
    o.integer("total", p.total);
  } else {
    o.null("total");
  }
  o.integer("errors", p.errors);
  o.integer("in_flight", p.in_flight);
  o.integer("stage_done", p.stage_done);
  o.integer("stage_ok", p.stage_ok);
  o.integer("stage_errors", p.stage_errors);
  o.num("stage_requests_per_s", p.stage_requests_per_s);
  if (p.stage_ok > 0) {
    o.num("ttft_p50_ms", p.ttft_p50_ms);
    o.num("ttft_p95_ms", p.ttft_p95_ms);
  } else {
    o.null("ttft_p50_ms");
    o.null("ttft_p95_ms");
  }
  if (p.eta_s >= 0) {
    o.num("eta_s", p.eta_s);
  } else {
    o.null("eta_s");
  }
  o.close();
  return out;
}

ProgressPrinter::ProgressPrinter(ProgressMode mode, bool quiet) : m_mode(mode) {
  if (m_mode == ProgressMode::automatic) {
    m_mode = quiet                        ? ProgressMode::none
             : isatty(STDERR_FILENO) == 1 ? ProgressMode::tty
                                          : ProgressMode::plain;
  }
}

std::chrono::milliseconds ProgressPrinter::interval() const {
  switch (m_mode) {
    case ProgressMode::tty:
      return std::chrono::milliseconds(250);
    case ProgressMode::json:
      return std::chrono::seconds(1);
    default:
      return std::chrono::seconds(10);
  }
}

void ProgressPrinter::print(const load::Progress& p) {
  switch (m_mode) {
    case ProgressMode::tty:
      // Back to the start of the line, clear it, draw: the cursor never moves down.
      std::cerr << "\r\x1b[2K" << format_progress_line(p, terminal_width()) << std::flush;
      m_drawn = true;
      break;
    case ProgressMode::plain: {
      // The runner calls every interval() and at each stage's end; only those lines, so a
      // CI log gets a line per 10 s, not per call.
      std::cerr << format_progress_line(p, 400) << "\n" << std::flush;
      break;
    }
    case ProgressMode::json:
      std::cerr << format_progress_json(p) << "\n" << std::flush;
      break;
    default:
      break;
  }
}

void ProgressPrinter::finish() {
  if (m_drawn) {
    std::cerr << "\r\x1b[2K" << std::flush;
    m_drawn = false;
  }
}

}  // namespace llmbench::cli
