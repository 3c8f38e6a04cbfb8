#pragma once
// The outcome classes of one request (DESIGN.md, "Error classes"). A failed request is a row
// with one of these; it never enters a latency histogram.

#include <string_view>

namespace llmbench::net {

enum class ErrorClass {
  none,             // success
  http_4xx,         // a hard client error (bad key, bad request, unknown model)
  rate_limited,     // 429
  http_5xx,         // 500, 502, 503, 529 (Anthropic "overloaded") ...
  timeout_connect,  // no connection within the connect timeout
  timeout_ttft,     // connected, but no output within the first-token timeout
  timeout_total,    // the whole request outlasted its timeout
  connection,       // refused, reset, TLS failure, name resolution
  protocol,         // malformed SSE or JSON, a stream that ended without its terminator
  cancelled,        // the caller cancelled it (interrupt, stop condition)
  cache_miss,       // replay mode: no cached response (nothing was sent)
};

std::string_view to_string(ErrorClass e);
// The class an HTTP status maps to when the body says nothing more specific.
ErrorClass error_class_for_status(long status);

}  // namespace llmbench::net
