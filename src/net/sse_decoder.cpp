#include "llmbench/net/sse_decoder.hpp"

#include <charconv>

namespace llmbench::net {

SseDecoder::SseDecoder(std::size_t max_line) : m_max_line(max_line) {}

void SseDecoder::reset_event() {
  m_event.clear();
  m_data.clear();
  m_has_data = false;
}

void SseDecoder::fail_oversized() {
  m_error = "an SSE line exceeded " + std::to_string(m_max_line) + " bytes";
}

bool SseDecoder::process_line(std::string_view line) {
  if (line.empty()) {
    if (!m_has_data) {
      m_event.clear();  // an event with no data is dropped, per the spec
      return false;
    }
    return true;
  }
  if (line.front() == ':') {
    ++m_comments;
    if (m_keep_comments > 0) {
      const std::string_view text = line.substr(1);
      if (m_comment_text.size() + text.size() + 1 <= m_keep_comments) {
        m_comment_text.append(text);
        m_comment_text.push_back('\n');
      }
    }
    return false;
  }
  std::string_view field = line;
  std::string_view value;
  if (const auto colon = line.find(':'); colon != std::string_view::npos) {
    field = line.substr(0, colon);
    value = line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') {
      value.remove_prefix(1);
    }
  }
  if (field == "data") {
    if (m_has_data) {
      m_data.push_back('\n');
    }
    m_data.append(value);
    m_has_data = true;
  } else if (field == "event") {
    m_event.assign(value);
  } else if (field == "id") {
    if (value.find('\0') == std::string_view::npos) {
      m_id.assign(value);
    }
  } else if (field == "retry") {
    std::int64_t ms = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (ec == std::errc() && ptr == value.data() + value.size() && !value.empty()) {
      m_retry_ms = ms;
    }
  }
  // Any other field is ignored, as the spec requires.
  return false;
}

}  // namespace llmbench::net
