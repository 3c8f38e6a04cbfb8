#pragma once
// The proxy's client half: requests forwarded upstream through the engine (libcurl), with the
// bytes handed back to the proxy's connection as they arrive, and measured on the way by the
// protocol's parser exactly as `llmbench run` measures (one clock, stamps in the callback that
// sees the bytes).
//
// The engine belongs to one thread (net/engine.hpp); the proxy's connections live on Asio
// threads. Upstream runs the engine's loop on a thread of its own and takes submissions and
// cancels through a queue (wake() makes its poll return). A Forward is shared between the
// engine (until on_complete) and the connection (until the client has its last byte); each
// side says when it is done, and the second to finish gets true from its done_*() call (the
// proxy records the request then, with both sides' times).
//
// Departure from DESIGN.md, on purpose: the proxy drives route/'s RouteRequest (the state
// machine of a request's fate) itself and sends through this bridge, not through route/'s
// AttemptDriver, which is written for the runner's own engine loop and the response cache
// (the proxy does not record or replay); the engine and the parsers are the runner's.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "llmbench/net/engine.hpp"
#include "llmbench/providers/parser.hpp"

namespace llmbench::server {

class Forward final : public net::ResponseHandler {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;
  // `notify` is called (from the engine's threads) whenever there is something to take().
  Forward(net::HttpRequest request, std::unique_ptr<providers::ResponseParser> parser,
          std::function<void()> notify);

  const net::HttpRequest& request() const { return m_request; }
  // Read only once the engine side is done (done_engine() returned, or complete() was seen).
  const providers::ResponseParser& parser() const { return *m_parser; }
  const net::TransferResult& result() const { return m_result; }

  // What arrived since the last take (the connection's side).
  struct Taken {
    std::optional<long> status;  // the final status, the first time it is taken
    Headers headers;             // with the status
    std::string bytes;
    bool has_first_token = false;  // `bytes` holds the stream's first content token
    bool complete = false;         // the upstream exchange is over (nothing more will come)
  };
  Taken take();

  // What has happened so far, without taking anything (a route deciding which attempt wins).
  struct Peek {
    bool first_token = false;  // the parser has seen the first content token
    bool complete = false;     // on_complete has run: parser() may be read
  };
  Peek peek();

  // Each side once; true for the side that finishes second.
  bool done_client();
  // The connection asks for the transfer to stop (the client left).
  void abandon() { m_abandoned.store(true); }
  bool abandoned() const { return m_abandoned.load(); }

  // net::ResponseHandler (the engine's threads)
  void on_status(long status, std::int64_t t_ns) override;
  void on_header(std::string_view name, std::string_view value) override;
  bool on_body(std::string_view bytes, std::int64_t t_ns) override;
  bool first_token_seen() const override { return m_parser->first_token_seen(); }
  void on_complete(const net::TransferResult& result) override;

  // on_complete has run (the engine holds no more references to it).
  bool engine_done() const { return m_engine_done.load(); }

  // Upstream's bookkeeping.
  net::Engine::RequestId id = 0;
  bool started = false;
  std::function<void()> on_finished;  // called by the side that finishes second

 private:
  bool done_side();

  net::HttpRequest m_request;
  std::unique_ptr<providers::ResponseParser> m_parser;
  std::function<void()> m_notify;
  bool m_parser_stopped = false;
  net::TransferResult m_result;

  std::mutex m_mu;
  long m_status = 0;
  bool m_status_taken = false;
  Headers m_headers;
  std::string m_pending;
  bool m_first_token_pending = false;
  bool m_first_token = false;
  bool m_complete = false;
  std::atomic<bool> m_abandoned{false};
  std::atomic<int> m_sides_done{0};
  std::atomic<bool> m_engine_done{false};
};

class Upstream {
 public:
  explicit Upstream(net::EngineOptions options);
  ~Upstream();  // cancels what is in flight and joins the loop
  Upstream(const Upstream&) = delete;
  Upstream& operator=(const Upstream&) = delete;

  // Any thread.
  void submit(std::shared_ptr<Forward> forward);
  void cancel(std::shared_ptr<Forward> forward);
  std::int64_t now_ns() const;
  std::int64_t epoch_ns() const;  // steady-clock ns of the engine's epoch

 private:
  void loop();

  net::Engine m_engine;
  mutable std::mutex m_mu;
  std::vector<std::shared_ptr<Forward>> m_submitted;
  std::vector<std::shared_ptr<Forward>> m_cancels;
  std::vector<std::shared_ptr<Forward>> m_live;  // started, until on_complete
  std::atomic<bool> m_stop{false};
  std::thread m_thread;
};

}  // namespace llmbench::server
