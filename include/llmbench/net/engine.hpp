#pragma once
// The request engine: one event loop over the libcurl multi interface (socket-action API on
// epoll), driving any number of concurrent HTTP requests from a single thread.
//
// The engine owns transport only: connections (reused per host, HTTP/2 multiplexed where TLS
// ALPN offers it, HTTP/1.1 otherwise), timeouts, cancellation and timestamps. What the bytes
// mean is the ResponseHandler's business (providers/ parses SSE and JSON there). Timestamps
// are steady-clock nanoseconds since the engine's epoch, taken in the curl callback that
// sees the bytes, before any other work.
//
// Threading: start(), cancel() and poll() belong to one thread (the owner's); wake() may be
// called from any thread. With `threads` = 1 the loop is the owner's own and every handler
// call happens inside poll(). With more, each of that many worker threads runs a loop of its
// own (a curl multi handle and its connections) and a new request goes to the least busy
// one: a handler's on_status/on_header/on_body/first_token_seen then run on that worker's
// thread (one transfer stays on one thread, so a handler needs no lock), and on_complete
// runs on the owner's thread inside poll(), handed over through a queue. Every loop reads
// the one steady clock from the same epoch; nothing on the byte path takes a lock. With
// workers, a transfer may begin before start() has returned its id (a handler that needs
// its own id must be handed it safely), and cancel() takes effect on the worker soon after
// (the handler then sees `cancelled` in a later poll()); cancel() may then be called from a
// handler on its worker too.
// Handlers must not block.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "llmbench/net/error_class.hpp"

namespace llmbench::net {

using Nanos = std::chrono::nanoseconds;

struct HttpRequest {
  std::string method = "POST";  // POST sends `body`; GET sends nothing
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  Nanos connect_timeout{std::chrono::seconds(10)};
  Nanos first_token_timeout{0};  // zero: none; counts from the send until the first token
  Nanos total_timeout{std::chrono::seconds(60)};
};

// What the transport saw, handed to ResponseHandler::on_complete.
struct TransferResult {
  ErrorClass error = ErrorClass::none;  // transport-level class; none if the exchange finished
  std::string message;                  // why, for a failure (curl's words plus ours)
  long status_code = 0;                 // the final HTTP status, 0 if none arrived
  std::int64_t t_send_ns = 0;           // handed to the transport
  std::int64_t t_first_byte_ns = -1;    // the status line arrived
  std::int64_t t_done_ns = 0;           // finished, failed or cancelled
  long http_version = 0;                // 11 or 20 (0 if no response)
  bool reused_connection = false;
};

// Receives one response as it arrives, on the loop thread. Must outlive its transfer (that
// is, stay alive until on_complete has returned).
class ResponseHandler {
 public:
  virtual ~ResponseHandler() = default;
  // The status line arrived (again, after a 1xx or a redirect).
  virtual void on_status(long /*status*/, std::int64_t /*t_ns*/) {}
  virtual void on_header(std::string_view /*name*/, std::string_view /*value*/) {}
  // Body bytes; return false to abort the transfer (the handler then knows why, and says so
  // in on_complete).
  virtual bool on_body(std::string_view bytes, std::int64_t t_ns) = 0;
  // The engine asks this when the first-token timeout falls due: has output arrived?
  virtual bool first_token_seen() const = 0;
  virtual void on_complete(const TransferResult& result) = 0;
};

struct EngineOptions {
  std::chrono::steady_clock::time_point epoch = std::chrono::steady_clock::now();
  // 0: unlimited. Each loop has connections of its own, so the limits are per loop.
  long max_connections_per_host = 0;
  long max_total_connections = 0;
  bool http2 = true;  // offer h2 over TLS (ALPN); cleartext stays HTTP/1.1
  bool verify_tls = true;
  std::string user_agent = "llmbench";
  int threads = 1;  // event-loop threads (see Threading above)
};

// The default number of engine threads for this machine: one per four cores (at least one),
// so the run loop, the store's writer and an in-process mock keep cores of their own.
int default_engine_threads();

class Engine {
 public:
  // Identifies one transfer until it completes (slot and generation, never reused at once).
  using RequestId = std::uint64_t;

  explicit Engine(EngineOptions options = {});
  ~Engine();  // cancels what is still in flight (handlers see `cancelled`)
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts a request now; t_send is this instant. The handler must outlive the transfer.
  RequestId start(HttpRequest request, ResponseHandler& handler);
  // Cancels a transfer still in flight (the handler sees ErrorClass::cancelled); a finished
  // or unknown id is ignored. Safe to call from inside a handler.
  void cancel(RequestId id);
  void cancel_all();

  // Runs the loop for at most `max_wait`, returning early after any transfer completes or
  // wake() is called. Completed transfers' handlers are called from here.
  void poll(Nanos max_wait);
  // Makes a poll() in progress (or the next one) return promptly. Any thread.
  void wake();

  std::size_t in_flight() const;
  std::int64_t now_ns() const;
  // The epoch the engine's times count from, in steady-clock nanoseconds.
  std::int64_t epoch_ns() const;

  class Impl;

 private:
  std::unique_ptr<Impl> m_impl;
};

}  // namespace llmbench::net
