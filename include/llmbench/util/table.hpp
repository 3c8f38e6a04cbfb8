#pragma once
// Plain-text tables for terminals: columns padded to their widest cell, numbers right-aligned.

#include <string>
#include <vector>

namespace llmbench::util {

class TextTable {
 public:
  enum class Align { left, right };
  explicit TextTable(std::vector<std::string> headers, std::vector<Align> align = {});
  void add_row(std::vector<std::string> cells);
  std::size_t rows() const { return m_rows.size(); }
  std::string render() const;

 private:
  std::vector<std::string> m_headers;
  std::vector<Align> m_align;
  std::vector<std::vector<std::string>> m_rows;
};

// Display width of UTF-8 text (code points; good enough for tables of names and numbers).
std::size_t display_width(const std::string& text);

}  // namespace llmbench::util
