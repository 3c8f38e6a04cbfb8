#pragma once
// An incremental Server-Sent Events decoder (WHATWG HTML, "Parsing an event stream").
//
// Bytes arrive in arbitrary chunks: a frame, a field name or even a "\r\n" pair may be split
// anywhere. The decoder keeps only the unfinished line and the event being built, in buffers
// it reuses, so decoding allocates nothing per byte once those buffers have grown to the
// size of the largest event. A line longer than the configured bound stops decoding with an
// error instead of growing memory without limit.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

namespace llmbench::net {

// One dispatched event. The views stay valid only during the callback.
struct SseEvent {
  std::string_view event;  // the `event:` field; empty means "message"
  std::string_view data;   // `data:` lines joined with '\n'
  std::string_view id;     // the last `id:` seen on this stream (it persists across events)
};

class SseDecoder {
 public:
  static constexpr std::size_t k_default_max_line = 4u << 20;  // 4 MiB

  explicit SseDecoder(std::size_t max_line = k_default_max_line);

  // Decodes `chunk`, calling `on_event(const SseEvent&)` for each complete event. Returns
  // false (and ignores all later input) once a line exceeds the bound; error() says why.
  template <typename OnEvent>
  bool feed(std::string_view chunk, OnEvent&& on_event);

  // True while an unterminated line or an undispatched event is pending: a stream that ends
  // here ended mid-event.
  bool mid_event() const { return !m_line.empty() || m_has_data || m_saw_cr_at_end; }
  bool failed() const { return m_error.has_value(); }
  const std::optional<std::string>& error() const { return m_error; }
  std::optional<std::int64_t> retry_ms() const { return m_retry_ms; }
  std::uint64_t comments() const { return m_comments; }  // keep-alive lines seen
  // Keeps the text of comment lines (after the ':'), newline-separated, up to `max_bytes`
  // in all; off by default (a comment costs nothing then). Only for the mock's ground truth.
  void keep_comments(std::size_t max_bytes) { m_keep_comments = max_bytes; }
  const std::string& kept_comments() const { return m_comment_text; }

 private:
  // Returns true when the line completed an event (a blank line with data pending).
  bool process_line(std::string_view line);
  void reset_event();
  void fail_oversized();
  // The offset of the first '\n' or '\r' in `s`, or s.size().
  static std::size_t find_eol(std::string_view s) {
    const char* begin = s.data();
    const void* lf = std::memchr(begin, '\n', s.size());
    const std::size_t limit =
        lf ? static_cast<std::size_t>(static_cast<const char*>(lf) - begin) : s.size();
    const void* cr = std::memchr(begin, '\r', limit);
    return cr ? static_cast<std::size_t>(static_cast<const char*>(cr) - begin) : limit;
  }

  std::size_t m_max_line;
  std::string m_line;  // the unfinished line carried over from the previous chunk
  std::string m_event;
  std::string m_data;
  std::string m_id;
  bool m_has_data = false;
  bool m_saw_cr_at_end = false;  // the previous chunk ended in '\r': skip a leading '\n'
  bool m_checked_bom = false;
  std::uint64_t m_comments = 0;
  std::size_t m_keep_comments = 0;
  std::string m_comment_text;
  std::optional<std::int64_t> m_retry_ms;
  std::optional<std::string> m_error;
};

template <typename OnEvent>
bool SseDecoder::feed(std::string_view chunk, OnEvent&& on_event) {
  if (m_error) {
    return false;
  }
  if (!m_checked_bom) {
    // A UTF-8 BOM may open the stream; it can itself be split across chunks.
    static constexpr std::string_view k_bom = "\xEF\xBB\xBF";
    const std::size_t have = m_line.size();
    const std::size_t take = std::min(chunk.size(), k_bom.size() - have);
    const std::string_view probe = chunk.substr(0, take);
    if (k_bom.substr(have, take) != probe) {
      // Not a BOM after all: what was held back is ordinary line content.
      m_checked_bom = true;
    } else if (have + take < k_bom.size()) {
      m_line.append(probe);
      return true;
    } else {
      m_line.clear();
      m_checked_bom = true;
      chunk.remove_prefix(take);
    }
  }
  if (m_saw_cr_at_end && !chunk.empty()) {
    m_saw_cr_at_end = false;
    if (chunk.front() == '\n') {
      chunk.remove_prefix(1);
    }
  }
  const auto dispatch = [&] {
    on_event(SseEvent{m_event, m_data, m_id});
    reset_event();
  };
  while (!chunk.empty()) {
    const std::size_t n = chunk.size();
    const std::size_t end = find_eol(chunk);
    if (m_line.size() + std::min(end, n) > m_max_line) {
      fail_oversized();
      return false;
    }
    if (end == n) {
      m_line.append(chunk);
      return true;
    }
    bool completes;
    if (m_line.empty()) {
      completes = process_line(chunk.substr(0, end));
    } else {
      m_line.append(chunk.substr(0, end));
      completes = process_line(m_line);
      m_line.clear();
    }
    if (chunk[end] == '\r') {
      if (end + 1 == n) {
        m_saw_cr_at_end = true;
        chunk = {};
      } else {
        chunk.remove_prefix(chunk[end + 1] == '\n' ? end + 2 : end + 1);
      }
    } else {
      chunk.remove_prefix(end + 1);
    }
    if (completes) {
      dispatch();
    }
  }
  return true;
}

}  // namespace llmbench::net
