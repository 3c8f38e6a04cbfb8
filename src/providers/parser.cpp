#include "llmbench/providers/parser.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "json.hpp"
#include "llmbench/util/strings.hpp"
#include "server_timings.hpp"

namespace llmbench::providers {

namespace {

std::optional<std::int64_t> parse_seconds_ms(std::string_view v) {
  double seconds = 0;
  const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), seconds);
  if (ec != std::errc() || ptr != v.data() + v.size() || seconds < 0) {
    return std::nullopt;  // an HTTP-date Retry-After: rare from these APIs; not honoured
  }
  return static_cast<std::int64_t>(std::llround(seconds * 1000.0));
}

}  // namespace

std::string_view to_string(TokenSource s) {
  return s == TokenSource::usage ? "usage" : "estimated";
}

std::optional<std::string_view> Response::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (util::equals_ci(k, name)) {
      return v;
    }
  }
  return std::nullopt;
}

ResponseParser::ResponseParser(ParserOptions options)
    : m_options(options), m_sse(options.max_line) {
  m_response.content_times_ns.reserve(options.expected_events);
  if (options.keep_headers) {
    m_sse.keep_comments(256u << 10);
  }
}

ResponseParser::~ResponseParser() = default;

void ResponseParser::on_status(long status, std::int64_t t_ns) {
  m_response.status_code = status;
  if (m_response.t_first_byte_ns < 0) {
    m_response.t_first_byte_ns = t_ns;
  }
  m_is_sse = m_options.stream && status >= 200 && status < 300;
}

void ResponseParser::on_header(std::string_view name, std::string_view value) {
  if (util::equals_ci(name, "retry-after-ms")) {
    std::int64_t ms = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
    if (ec == std::errc()) {
      m_response.retry_after_ms = ms;
    }
  } else if (util::equals_ci(name, "retry-after") && !m_response.retry_after_ms) {
    m_response.retry_after_ms = parse_seconds_ms(value);
  } else if (util::equals_ci(name, "content-type") && m_is_sse &&
             value.starts_with("application/json")) {
    m_is_sse = false;  // the server ignored `stream: true` and sent one JSON body
  }
  detail::read_server_timing_header(name, value, m_response.server);
  if (m_options.keep_headers) {
    m_response.headers.emplace_back(name, value);
  }
}

bool ResponseParser::on_body(std::string_view bytes, std::int64_t t_ns) {
  if (m_is_sse) {
    const bool fed = m_sse.feed(bytes, [&](const net::SseEvent& event) {
      if (m_on_sse_event) {
        m_on_sse_event(event, t_ns);
      }
      if (!m_stop && !on_event(event, t_ns)) {
        m_stop = true;
      }
    });
    if (!fed) {
      fail(net::ErrorClass::protocol, *m_sse.error());
      return false;
    }
    return !m_stop;
  }
  const std::size_t room = m_options.max_body - std::min(m_options.max_body, m_body.size());
  if (bytes.size() > room) {
    m_body_cut = true;
  }
  m_body.append(bytes.substr(0, room));
  return true;
}

bool ResponseParser::streamed() const {
  const bool success = m_response.status_code >= 200 && m_response.status_code < 300;
  return m_options.stream && (m_is_sse || !success);
}

void ResponseParser::content(ContentKind kind, std::string_view text, std::int64_t t_ns) {
  // A whole body arrives at once: when its first token was ready, and the gaps between
  // tokens, were never seen, so no time is taken for them (docs/metrics.md).
  if (m_is_sse) {
    if (m_response.t_first_token_ns < 0) {
      m_response.t_first_token_ns = t_ns;
      if (m_on_first_token) {
        m_on_first_token();
      }
    }
    m_response.content_times_ns.push_back(t_ns);
  }
  switch (kind) {
    case ContentKind::text:
      ++m_response.text_events;
      break;
    case ContentKind::reasoning:
      ++m_response.reasoning_events;
      break;
    case ContentKind::tool_args:
      ++m_response.tool_events;
      break;
  }
  if (m_options.keep_text && kind == ContentKind::text) {
    m_response.text.append(text);
  }
}

void ResponseParser::fail(net::ErrorClass error, std::string message) {
  if (m_response.error == net::ErrorClass::none) {
    m_response.error = error;
    m_response.error_message = util::mask_key_shaped(redacted(message));
  }
}

void ResponseParser::fail_from_error_json(std::string_view json, long status) {
  const std::string prefix = status != 0 ? fmt::format("HTTP {}", status) : "error event";
  simdjson::dom::element doc;
  if (detail::parse_json(json).get(doc) != simdjson::SUCCESS || !doc.is_object()) {
    // Masked before it is cut, so a key across the cut is still found whole.
    const std::string whole = redacted(json);
    std::string_view shown =
        std::string_view(whole).substr(0, std::min<std::size_t>(whole.size(), 300));
    while (!shown.empty() && (shown.back() == '\n' || shown.back() == '\r')) {
      shown.remove_suffix(1);
    }
    fail(status != 0 ? net::error_class_for_status(status) : net::ErrorClass::protocol,
         shown.empty() ? prefix + " with an empty body" : fmt::format("{}: {}", prefix, shown));
    return;
  }
  simdjson::dom::element error = doc;
  if (auto inner = detail::member(doc, "error"); inner && inner->is_object()) {
    error = *inner;
  }
  const std::string_view message = detail::str(error, "message").value_or("(no message)");
  std::string type(detail::str(error, "type").value_or(""));
  if (type.empty()) {
    if (auto code = detail::str(error, "code")) {
      type = *code;
    } else if (auto num = detail::int64(error, "code")) {
      type = std::to_string(*num);
    }
  }
  const auto cls = error_class_for_type(type, status);
  fail(cls, type.empty() ? fmt::format("{}: {}", prefix, message)
                         : fmt::format("{} ({}): {}", prefix, type, message));
}

std::string ResponseParser::redacted(std::string_view text) const {
  return m_options.redactor != nullptr ? m_options.redactor->redact(text) : std::string(text);
}

void ResponseParser::finish_stream() {
  if (m_response.terminated || m_response.error != net::ErrorClass::none) {
    return;
  }
  fail(net::ErrorClass::protocol, m_sse.mid_event() ? "the stream ended in the middle of an event"
                                                    : "the stream ended without its terminator");
}

void ResponseParser::on_complete(const net::TransferResult& result) {
  Response& r = m_response;
  if (result.status_code != 0) {
    r.status_code = result.status_code;
  }
  r.http_version = result.http_version;
  r.reused_connection = result.reused_connection;
  r.t_send_ns = result.t_send_ns;
  if (r.t_first_byte_ns < 0) {
    r.t_first_byte_ns = result.t_first_byte_ns;
  }
  r.t_done_ns = result.t_done_ns;
  if (m_options.keep_headers) {
    r.sse_comments = m_sse.kept_comments();
  }
  const bool success_status = r.status_code >= 200 && r.status_code < 300;
  if (r.error != net::ErrorClass::none) {
    // The parser already knows what went wrong (an error event, malformed data).
  } else if (result.error != net::ErrorClass::none) {
    fail(result.error, result.message);
  } else if (!success_status) {
    fail_from_error_json(m_body, r.status_code);
  } else if (m_is_sse) {
    finish_stream();
  } else if (m_body_cut) {
    fail(net::ErrorClass::protocol,
         fmt::format("the response body passed {} bytes and was cut", m_options.max_body));
  } else {
    on_json_body(m_body, r.t_done_ns);
  }
  if (m_options.redactor != nullptr) {
    m_options.redactor->redact_in_place(r.text);
    for (auto& header : r.headers) {
      m_options.redactor->redact_in_place(header.second);
    }
  }
  if (m_on_done) {
    m_on_done(*this);
  }
}

}  // namespace llmbench::providers
