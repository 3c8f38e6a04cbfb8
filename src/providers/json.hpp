#pragma once
// JSON reading shared by the codecs: one simdjson DOM parser and padded scratch buffer per
// thread, reused for every event, so parsing an event allocates nothing once warmed up.
//
// Servers are outside input: any field may be missing, null, or of another type. `Fields`
// reads them so that missing and null mean "not sent", and a wrong type is remembered (the
// first one) for the parser to turn into a `protocol` error row; nothing here throws.

#include <fmt/format.h>
#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace llmbench::providers::detail {

// The parsed document lives until the next call on this thread.
inline simdjson::simdjson_result<simdjson::dom::element> parse_json(std::string_view text) {
  thread_local simdjson::dom::parser parser;
  thread_local std::string scratch;
  if (scratch.capacity() < text.size() + simdjson::SIMDJSON_PADDING) {
    scratch.reserve(text.size() + simdjson::SIMDJSON_PADDING);
  }
  scratch.assign(text);
  return parser.parse(scratch.data(), scratch.size(), false);
}

// Parses `text` that must be a JSON object into `doc`; on failure, the message for a protocol
// error ("malformed JSON in WHAT (...)", "WHAT is not a JSON object"). `what` names the text:
// "a stream event", "the response body".
inline std::optional<std::string> parse_object(std::string_view text, std::string_view what,
                                               simdjson::dom::element& doc) {
  if (const auto err = parse_json(text).get(doc); err != simdjson::SUCCESS) {
    return fmt::format("malformed JSON in {} ({})", what, simdjson::error_message(err));
  }
  if (!doc.is_object()) {
    return fmt::format("{} is not a JSON object", what);
  }
  return std::nullopt;
}

// Lenient readers: a missing, null or wrong-typed field is simply absent.
inline std::optional<std::string_view> str(simdjson::dom::element e, std::string_view key) {
  std::string_view v;
  if (e[key].get_string().get(v) == simdjson::SUCCESS) {
    return v;
  }
  return std::nullopt;
}

inline std::optional<std::int64_t> int64(simdjson::dom::element e, std::string_view key) {
  std::int64_t v = 0;
  if (e[key].get_int64().get(v) == simdjson::SUCCESS) {
    return v;
  }
  return std::nullopt;
}

inline std::optional<simdjson::dom::element> member(simdjson::dom::element e,
                                                    std::string_view key) {
  simdjson::dom::element v;
  if (e[key].get(v) == simdjson::SUCCESS && !v.is_null()) {
    return v;
  }
  return std::nullopt;
}

// Strict readers for the fields a parser turns into figures: a field of the wrong type is a
// malformed response, and `error()` says which one.
class Fields {
 public:
  std::optional<std::string_view> str(simdjson::dom::element e, std::string_view key) {
    const auto v = present(e, key);
    if (!v) {
      return std::nullopt;
    }
    std::string_view s;
    if (v->get_string().get(s) != simdjson::SUCCESS) {
      return wrong(key, "a string");
    }
    return s;
  }
  // Token counts and the like: a non-negative integer.
  std::optional<std::int64_t> count(simdjson::dom::element e, std::string_view key) {
    const auto v = present(e, key);
    if (!v) {
      return std::nullopt;
    }
    std::int64_t n = 0;
    if (v->get_int64().get(n) != simdjson::SUCCESS || n < 0) {
      return wrong(key, "a non-negative integer");
    }
    return n;
  }
  // An object member (as an element, to read further members from).
  std::optional<simdjson::dom::element> object(simdjson::dom::element e, std::string_view key) {
    const auto v = present(e, key);
    if (!v) {
      return std::nullopt;
    }
    if (!v->is_object()) {
      return wrong(key, "an object");
    }
    return v;
  }
  std::optional<simdjson::dom::array> array(simdjson::dom::element e, std::string_view key) {
    const auto v = present(e, key);
    if (!v) {
      return std::nullopt;
    }
    simdjson::dom::array a;
    if (v->get_array().get(a) != simdjson::SUCCESS) {
      return wrong(key, "an array");
    }
    return a;
  }
  // Any value but null.
  std::optional<simdjson::dom::element> any(simdjson::dom::element e, std::string_view key) {
    return present(e, key);
  }
  // An element that must be an object (an array entry).
  bool is_object(simdjson::dom::element e, std::string_view what) {
    if (e.is_object()) {
      return true;
    }
    wrong(what, "an object");
    return false;
  }

  // The first field of the wrong type ("`usage.prompt_tokens` is not ..."), if any.
  const std::optional<std::string>& error() const { return m_error; }

 private:
  static std::optional<simdjson::dom::element> present(simdjson::dom::element e,
                                                       std::string_view key) {
    simdjson::dom::element v;
    if (!e.is_object() || e[key].get(v) != simdjson::SUCCESS || v.is_null()) {
      return std::nullopt;
    }
    return v;
  }
  std::nullopt_t wrong(std::string_view key, std::string_view expected) {
    if (!m_error) {
      m_error = fmt::format("`{}` is not {}", key, expected);
    }
    return std::nullopt;
  }

  std::optional<std::string> m_error;
};

}  // namespace llmbench::providers::detail
