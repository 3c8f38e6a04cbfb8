#pragma once
// JSON reading shared by the codecs: one simdjson DOM parser and padded scratch buffer per
// thread, reused for every event, so parsing an event allocates nothing once warmed up.

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

}  // namespace llmbench::providers::detail
