#pragma once
// Minimal JSON text building for bodies and reports: escaping and numbers, nothing more.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmbench::util {

// Appends `text` as a JSON string literal (quotes included). Invalid UTF-8 is passed through.
void append_json_string(std::string& out, std::string_view text);
std::string json_string(std::string_view text);
// Shortest round-trip spelling of a double; non-finite values become null.
void append_json_number(std::string& out, double value);

// Writes one JSON object member by member into `out` (opened here, closed by close()).
class JsonObject {
 public:
  explicit JsonObject(std::string& out) : m_out(out) { m_out += '{'; }
  void key(std::string_view k) {
    if (!m_first) {
      m_out += ',';
    }
    m_first = false;
    util::append_json_string(m_out, k);
    m_out += ':';
  }
  void str(std::string_view k, std::string_view v) {
    key(k);
    util::append_json_string(m_out, v);
  }
  void num(std::string_view k, double v) {
    key(k);
    util::append_json_number(m_out, v);
  }
  void integer(std::string_view k, std::int64_t v) {
    key(k);
    m_out += std::to_string(v);
  }
  void boolean(std::string_view k, bool v) {
    key(k);
    m_out += v ? "true" : "false";
  }
  void raw(std::string_view k, std::string_view json) {
    key(k);
    m_out += json;
  }
  void null(std::string_view k) { raw(k, "null"); }
  // A member that may be absent: null when it is.
  void opt_str(std::string_view k, const std::optional<std::string>& v) {
    v ? str(k, *v) : null(k);
  }
  void opt_integer(std::string_view k, const std::optional<std::int64_t>& v) {
    v ? integer(k, *v) : null(k);
  }
  void opt_num(std::string_view k, const std::optional<double>& v) { v ? num(k, *v) : null(k); }
  void close() { m_out += '}'; }

 private:
  std::string& m_out;
  bool m_first = true;
};

}  // namespace llmbench::util
