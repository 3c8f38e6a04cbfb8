#pragma once
// Problems found in user input, each with the place it was found, reported all at once.

#include <cstdint>
#include <string>
#include <vector>

namespace llmbench::suite {

struct SourcePos {
  std::string file;
  std::uint32_t line = 1;
  std::uint32_t column = 1;
};

enum class Severity { error, warning };

struct Diagnostic {
  Severity severity = Severity::error;
  SourcePos pos;
  std::string message;
  // "suite.toml:12:5: unknown key ..." (errors) or "suite.toml:3:1: warning: ..." (warnings)
  std::string to_string() const;
};

class Diagnostics {
 public:
  void error(const SourcePos& pos, std::string message);
  void warning(const SourcePos& pos, std::string message);
  bool has_errors() const;
  std::size_t error_count() const;
  const std::vector<Diagnostic>& items() const { return m_items; }
  // Stable order for people: by file, then line, then column.
  void sort();

 private:
  std::vector<Diagnostic> m_items;
};

}  // namespace llmbench::suite
