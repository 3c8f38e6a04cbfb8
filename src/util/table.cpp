#include "llmbench/util/table.hpp"

#include <algorithm>

namespace llmbench::util {

std::size_t display_width(const std::string& text) {
  std::size_t n = 0;
  for (const char c : text) {
    if ((static_cast<unsigned char>(c) & 0xc0) != 0x80) {
      ++n;
    }
  }
  return n;
}

TextTable::TextTable(std::vector<std::string> headers, std::vector<Align> align)
    : m_headers(std::move(headers)), m_align(std::move(align)) {
  m_align.resize(m_headers.size(), Align::left);
}

void TextTable::add_row(std::vector<std::string> cells) {
  cells.resize(m_headers.size());
  m_rows.push_back(std::move(cells));
}

std::string TextTable::render() const {
  std::vector<std::size_t> widths(m_headers.size());
  for (std::size_t c = 0; c < m_headers.size(); ++c) {
    widths[c] = display_width(m_headers[c]);
    for (const auto& row : m_rows) {
      widths[c] = std::max(widths[c], display_width(row[c]));
    }
  }
  std::string out;
  const auto emit = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t c = 0; c < cells.size(); ++c) {
      const std::size_t pad = widths[c] - display_width(cells[c]);
      if (c > 0) {
        line += "  ";
      }
      if (m_align[c] == Align::right) {
        line.append(pad, ' ');
        line += cells[c];
      } else {
        line += cells[c];
        if (c + 1 < cells.size()) {
          line.append(pad, ' ');
        }
      }
    }
    while (!line.empty() && line.back() == ' ') {
      line.pop_back();
    }
    out += line;
    out += '\n';
  };
  emit(m_headers);
  std::vector<std::string> rule;
  for (const auto w : widths) {
    rule.emplace_back(w, '-');
  }
  emit(rule);
  for (const auto& row : m_rows) {
    emit(row);
  }
  return out;
}

}  // namespace llmbench::util
