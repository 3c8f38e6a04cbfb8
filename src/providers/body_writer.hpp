#pragma once
// Writes a JSON request object field by field; shared by the codecs' body builders. Extra
// fields from the suite come last and replace any built field of the same name.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "llmbench/net/engine.hpp"
#include "llmbench/providers/codec.hpp"
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
  void string_array_field(std::string_view name, const std::vector<std::string>& values) {
    if (key(name)) {
      m_out += '[';
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) {
          m_out += ',';
        }
        util::append_json_string(m_out, values[i]);
      }
      m_out += ']';
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

// The HTTP request both protocols share: POST base_url + path with a JSON body, the
// caller's timeouts, `auth` headers, then the suite's extra headers (last, so they win).
inline net::HttpRequest json_post(const ChatRequest& request, std::string_view path,
                                  std::string body,
                                  std::vector<std::pair<std::string, std::string>> auth) {
  net::HttpRequest http;
  http.url = join_url(request.base_url, path);
  http.headers.emplace_back("Content-Type", "application/json");
  http.headers.emplace_back("Accept", request.stream ? "text/event-stream" : "application/json");
  for (auto& h : auth) {
    http.headers.push_back(std::move(h));
  }
  for (const auto& h : request.headers) {
    http.headers.push_back(h);
  }
  http.body = std::move(body);
  http.connect_timeout = request.connect_timeout;
  http.first_token_timeout = request.first_token_timeout;
  http.total_timeout = request.total_timeout;
  return http;
}

}  // namespace llmbench::providers::detail
