#pragma once
// The half of a codec that reads: a net::ResponseHandler that decodes one response (an SSE
// stream, a JSON body, or an error body) into a Response as the bytes arrive.
//
// This base class owns what both protocols share: status and headers (Retry-After), SSE
// framing, buffering a JSON body (bounded), error bodies ({"error": {...}} in both APIs), the
// final classification, and the content-event bookkeeping. Subclasses read their events.

#include <functional>
#include <string>
#include <string_view>

#include "llmbench/net/engine.hpp"
#include "llmbench/net/sse_decoder.hpp"
#include "llmbench/providers/response.hpp"
#include "llmbench/util/redact.hpp"

namespace llmbench::providers {

struct ParserOptions {
  bool stream = true;               // expect SSE; false: one JSON body
  bool keep_text = false;           // keep the output text (only when the suite stores content)
  bool keep_headers = false;        // keep response headers (the mock's ground truth lives there)
  std::size_t expected_events = 0;  // reserve room for this many content events
  std::size_t max_line = net::SseDecoder::k_default_max_line;
  std::size_t max_body = 8u << 20;  // a non-streaming or error body larger than this is cut
  // Masks the request's key in what the server sends back (error messages, kept text and
  // headers); the owner keeps it alive while the parser runs.
  const util::Redactor* redactor = nullptr;
};

class ResponseParser : public net::ResponseHandler {
 public:
  using OnDone = std::function<void(ResponseParser&)>;
  // Sees each SSE event of a 2xx stream as it is decoded, with its arrival time (the
  // response cache's Recorder keeps them); the parser decodes the stream once for both.
  using OnSseEvent = std::function<void(const net::SseEvent&, std::int64_t t_ns)>;

  explicit ResponseParser(ParserOptions options);
  ~ResponseParser() override;

  // Called once the response is complete and classified (success or not).
  void set_on_done(OnDone on_done) { m_on_done = std::move(on_done); }
  void set_on_sse_event(OnSseEvent on_event) { m_on_sse_event = std::move(on_event); }
  // Called once, when the first content token of a stream arrives (on the thread that reads
  // the bytes): a route commits on it.
  void set_on_first_token(std::function<void()> on_first) {
    m_on_first_token = std::move(on_first);
  }
  // Whether the body is (still) read as an SSE stream, and the body buffered when it is not
  // (a non-streaming answer or an error), as received.
  bool is_sse() const { return m_is_sse; }
  // Whether this was a streaming request answered as one: false when the request asked for
  // one JSON body, or the server sent one in answer to `stream: true`. A non-streaming
  // answer has no TTFT, ITL or TPOT (its first token's time was never seen).
  bool streamed() const;
  const std::string& body() const { return m_body; }
  const Response& response() const { return m_response; }
  Response& response() { return m_response; }
  const ParserOptions& options() const { return m_options; }

  // net::ResponseHandler
  void on_status(long status, std::int64_t t_ns) override;
  void on_header(std::string_view name, std::string_view value) override;
  bool on_body(std::string_view bytes, std::int64_t t_ns) override;
  bool first_token_seen() const override { return m_response.t_first_token_ns >= 0; }
  void on_complete(const net::TransferResult& result) override;

 protected:
  // One SSE event of a 2xx stream. Return false to stop reading (a protocol error set with
  // fail(), or an error event).
  virtual bool on_event(const net::SseEvent& event, std::int64_t t_ns) = 0;
  // The whole body of a 2xx non-streaming response.
  virtual void on_json_body(std::string_view body, std::int64_t t_ns) = 0;
  // The error class for an error object's `type` / `code` (mid-stream or in an error body).
  virtual net::ErrorClass error_class_for_type(std::string_view type, long status) const = 0;

  void content(ContentKind kind, std::string_view text, std::int64_t t_ns);
  void fail(net::ErrorClass error, std::string message);
  // Reads {"error": {"type", "message", "code"}} (or the object itself) and fails with it.
  void fail_from_error_json(std::string_view json, long status);

 private:
  void finish_stream();
  std::string redacted(std::string_view text) const;

  ParserOptions m_options;
  Response m_response;
  net::SseDecoder m_sse;
  std::string m_body;  // a non-streaming body, or an error body
  bool m_is_sse = false;
  bool m_body_cut = false;
  bool m_stop = false;
  OnDone m_on_done;
  OnSseEvent m_on_sse_event;
  std::function<void()> m_on_first_token;
};

}  // namespace llmbench::providers
