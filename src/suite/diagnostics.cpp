#include "llmbench/suite/diagnostics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <tuple>

namespace llmbench::suite {

std::string Diagnostic::to_string() const {
  return fmt::format("{}:{}:{}: {}{}", pos.file, pos.line, pos.column,
                     severity == Severity::warning ? "warning: " : "", message);
}

void Diagnostics::error(const SourcePos& pos, std::string message) {
  m_items.push_back({Severity::error, pos, std::move(message)});
}

void Diagnostics::warning(const SourcePos& pos, std::string message) {
  m_items.push_back({Severity::warning, pos, std::move(message)});
}

bool Diagnostics::has_errors() const {
  return error_count() > 0;
}

std::size_t Diagnostics::error_count() const {
  return static_cast<std::size_t>(std::count_if(
      m_items.begin(), m_items.end(), [](const auto& d) { return d.severity == Severity::error; }));
}

void Diagnostics::sort() {
  std::stable_sort(m_items.begin(), m_items.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return std::tie(a.pos.file, a.pos.line, a.pos.column) <
           std::tie(b.pos.file, b.pos.line, b.pos.column);
  });
}

}  // namespace llmbench::suite
