#include "llmbench/util/json_writer.hpp"

#include <fmt/format.h>

#include <cmath>

namespace llmbench::util {

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  std::size_t clean = 0;  // the start of a run that needs no escaping
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char ch = text[i];
    const auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && ch != '"' && ch != '\\') {
      continue;
    }
    out.append(text.substr(clean, i - clean));
    clean = i + 1;
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        out += fmt::format("\\u{:04x}", c);
    }
  }
  out.append(text.substr(clean));
  out += '"';
}

std::string json_string(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

void append_json_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  if (value == std::floor(value) && std::fabs(value) < 1e15) {
    fmt::format_to(std::back_inserter(out), "{}", static_cast<long long>(value));
    return;
  }
  fmt::format_to(std::back_inserter(out), "{}", value);  // fmt: shortest round trip
}

}  // namespace llmbench::util
