#pragma once
// Writes a JSON request object field by field; shared by the codecs' body builders. Extra
// fields from the suite come last and replace any built field of the same name.

#include <string>
#include <string_view>

#include "llmbench/suite/suite.hpp"
#include "llmbench/util/json_writer.hpp"

namespace llmbench::providers::detail {

class BodyWriter {
 public:
  explicit BodyWriter(const suite::RequestParams& params) : m_params(params) { m_out = "{"; }

  // Starts `"key":` and returns true, unless an extra field will supply `key` instead.
  bool key(std::string_view name) {
    for (const auto& [k, v] : m_params.extra) {
      if (k == name) {
        return false;
      }
    }
    raw_key(name);
    return true;
  }
  void string_field(std::string_view name, std::string_view value) {
    if (key(name)) {
      util::append_json_string(m_out, value);
    }
  }
  void number_field(std::string_view name, double value) {
    if (key(name)) {
      util::append_json_number(m_out, value);
    }
  }
  void raw_field(std::string_view name, std::string_view json) {
    if (key(name)) {
      m_out += json;
    }
  }
  std::string& out() { return m_out; }

  std::string finish() {
    for (const auto& [k, v] : m_params.extra) {
      raw_key(k);
      m_out += v;
    }
    m_out += '}';
    return std::move(m_out);
  }

 private:
  void raw_key(std::string_view name) {
    if (m_out.size() > 1) {
      m_out += ',';
    }
    util::append_json_string(m_out, name);
    m_out += ':';
  }

  const suite::RequestParams& m_params;
  std::string m_out;
};

// A message's content: its structured parts as given, else its text as a JSON string.
inline void append_content(std::string& out, const suite::Message& m) {
  if (!m.content_json.empty()) {
    out += m.content_json;
  } else {
    util::append_json_string(out, m.text);
  }
}

inline std::string join_url(std::string_view base, std::string_view path) {
  std::string url(base);
  while (!url.empty() && url.back() == '/') {
    url.pop_back();
  }
  url += path;
  return url;
}

}  // namespace llmbench::providers::detail
