// report.md and the step summary, rendered from the report's sections (sections.hpp), the
// same content report.html shows.

#include <fmt/format.h>

#include "llmbench/report/verdicts.hpp"
#include "llmbench/report/writers.hpp"
#include "sections.hpp"

namespace llmbench::report {

namespace {

// A table cell's text: no pipes or line breaks, long server messages cut.
std::string cell(const std::string& text, std::size_t width = 160) {
  std::string out;
  for (const char c : text) {
    if (c == '|') {
      out += "\\|";
    } else {
      out += (c == '\n' || c == '\r') ? ' ' : c;
    }
  }
  if (out.size() > width) {
    out = out.substr(0, width) + "...";
  }
  return out;
}

std::string table(const sections::Table& t) {
  std::string out = "|";
  for (const auto& h : t.header) {
    out += h.empty() ? " |" : " " + cell(h) + " |";
  }
  out += "\n|";
  for (std::size_t i = 0; i < t.header.size(); ++i) {
    out += i < t.numeric.size() && t.numeric[i] ? " ---: |" : " --- |";
  }
  out += "\n";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const bool strong = r < t.emphasis.size() && t.emphasis[r];
    out += "|";
    for (std::size_t i = 0; i < t.rows[r].size(); ++i) {
      // A failed row's verdict (its last cell) is bold, so it reads without colour.
      const bool bold = strong && i + 1 == t.rows[r].size();
      out += " " + (bold ? "**" + cell(t.rows[r][i]) + "**" : cell(t.rows[r][i])) + " |";
    }
    out += "\n";
  }
  if (!t.note.empty()) {
    out += "\n" + t.note + "\n";
  }
  return out;
}

std::string section(const sections::Section& s) {
  std::string out = fmt::format("\n{} {}\n", s.level == 3 ? "###" : "##", s.heading);
  for (const auto& p : s.paragraphs) {
    out += "\n" + p + "\n";
  }
  for (const auto& t : s.tables) {
    out += "\n" + table(t);
  }
  return out;
}

}  // namespace

std::string render_step_summary(const RunReport& r) {
  std::string out =
      fmt::format("### llmbench run `{}` {} ({})\n\n", r.run.id, r.run.status, r.run.suite_name);
  out += table(sections::summary(r));
  if (const auto note = r.replay_note(); !note.empty()) {
    out += fmt::format("\n> {}.\n", note);
  }
  for (const auto& s : sections::all(r)) {
    if (s.heading == "Failures" || s.heading == "Errors" || s.heading.ends_with(" failures") ||
        s.heading.ends_with(" errors")) {
      out += section(s);
    }
  }
  if (const auto slo = slo_verdicts(r); !slo.empty()) {
    out += "\n" + render_verdicts_markdown(slo);
  }
  return out + "\n";
}

std::string render_markdown(const RunReport& r) {
  std::string out = fmt::format("# llmbench report: {}\n\n", r.run.suite_name);
  out += table(sections::context(r));
  if (const auto note = r.replay_note(); !note.empty()) {
    out += fmt::format("\n> {}.\n", note);
  }
  out += "\n## Summary\n\n" + table(sections::summary(r));
  for (const auto& s : sections::all(r)) {
    out += section(s);
  }
  return out;
}

}  // namespace llmbench::report
