#include "llmbench/server/proxy_body.hpp"

#include <simdjson.h>

#include "llmbench/util/json_writer.hpp"

namespace llmbench::server {

namespace {

// A minimal walk over a JSON document already known to be valid (simdjson checked it):
// enough to find where each top-level member's value starts and ends.
class Walker {
 public:
  explicit Walker(std::string_view text) : m_text(text) {}

  void ws() {
    while (m_at < m_text.size() && (m_text[m_at] == ' ' || m_text[m_at] == '\t' ||
                                    m_text[m_at] == '\n' || m_text[m_at] == '\r')) {
      ++m_at;
    }
  }
  bool eat(char c) {
    ws();
    if (m_at < m_text.size() && m_text[m_at] == c) {
      ++m_at;
      return true;
    }
    return false;
  }
  // A string literal starting here; returns its raw text (quotes included).
  std::string_view string() {
    const std::size_t start = m_at;
    ++m_at;  // the opening quote
    while (m_at < m_text.size() && m_text[m_at] != '"') {
      m_at += m_text[m_at] == '\\' ? 2 : 1;
    }
    ++m_at;  // the closing quote
    return m_text.substr(start, std::min(m_at, m_text.size()) - start);
  }
  // Skips one value of any kind.
  void value() {
    ws();
    if (m_at >= m_text.size()) {
      return;
    }
    const char c = m_text[m_at];
    if (c == '"') {
      string();
      return;
    }
    if (c == '{' || c == '[') {
      int depth = 0;
      while (m_at < m_text.size()) {
        const char d = m_text[m_at];
        if (d == '"') {
          string();
          continue;
        }
        if (d == '{' || d == '[') {
          ++depth;
        } else if (d == '}' || d == ']') {
          if (--depth == 0) {
            ++m_at;
            return;
          }
        }
        ++m_at;
      }
      return;
    }
    while (m_at < m_text.size() && m_text[m_at] != ',' && m_text[m_at] != '}' &&
           m_text[m_at] != ']') {
      ++m_at;
    }
  }
  std::size_t at() const { return m_at; }
  bool more() const { return m_at < m_text.size(); }
  char peek() const { return m_text[m_at]; }

 private:
  std::string_view m_text;
  std::size_t m_at = 0;
};

}  // namespace

Result<ClientBody> read_client_body(std::string_view body) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const simdjson::padded_string padded(body);
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) {
    return Result<ClientBody>::failure("the request body is not valid JSON");
  }
  if (!doc.is_object()) {
    return Result<ClientBody>::failure("the request body is not a JSON object");
  }
  ClientBody out;
  std::string_view model;
  if (doc["model"].get_string().get(model) != simdjson::SUCCESS) {
    return Result<ClientBody>::failure("`model` is required (a string naming a model alias)");
  }
  out.model = std::string(model);
  bool stream = false;
  if (doc["stream"].get_bool().get(stream) == simdjson::SUCCESS) {
    out.stream = stream;
  }
  // Where is the (last, as simdjson reads duplicates) top-level "model" member's value?
  Walker w(body);
  if (!w.eat('{')) {
    return Result<ClientBody>::failure("the request body is not a JSON object");
  }
  bool found = false;
  while (true) {
    w.ws();
    if (!w.more() || w.peek() != '"') {
      break;
    }
    const std::string_view key = w.string();
    if (!w.eat(':')) {
      break;
    }
    w.ws();
    const std::size_t start = w.at();
    w.value();
    if (key == "\"model\"" && w.at() > start && body[start] == '"') {
      out.model_at = start;
      out.model_len = w.at() - start;
      found = true;
    }
    if (!w.eat(',')) {
      break;
    }
  }
  if (!found) {
    // An escaped key ("mod\u0065l") reads as `model` to simdjson but not to the walk.
    return Result<ClientBody>::failure("`model` must be written as a plain \"model\" key");
  }
  return out;
}

std::string with_model(std::string_view body, const ClientBody& info, std::string_view model) {
  std::string out;
  out.reserve(body.size() + model.size() + 8);
  out.append(body.substr(0, info.model_at));
  util::append_json_string(out, model);
  out.append(body.substr(info.model_at + info.model_len));
  return out;
}

}  // namespace llmbench::server
