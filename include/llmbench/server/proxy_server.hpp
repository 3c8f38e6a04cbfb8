#pragma once
// `llmbench proxy`: a measuring pass-through for interactive agent harnesses (docs/proxy.md).
// A real HTTP/1.1 server (Boost.Beast on the shared net::Listener) that forwards
//
//   POST /v1/chat/completions      OpenAI Chat Completions   (upstream provider openai | mock)
//   POST /v1/responses             OpenAI Responses (Codex)  (openai | mock)
//   POST /v1/messages              Anthropic Messages        (anthropic | mock)
//   POST /v1/messages/count_tokens Anthropic token counting  (forwarded, not measured)
//
// by the body's `model` (an alias of the config's [[models]]) to that alias's upstream, or
// over a [[routes]] entry's members (sequential or hedged, route::RouteRequest), and
// answers GET /v1/models (the aliases), GET /metrics (Prometheus text, LiteLLM's metric names)
// and GET /health itself. The paths are also served without the /v1 prefix.
//
// Bodies pass through unchanged but for the model name; streams are forwarded chunk by chunk
// as they arrive, never buffered whole. The request's key (Authorization: Bearer or
// x-api-key) is a session key (session/session.hpp): it names the session the request is
// stored under, and never goes upstream; upstream keys come from the proxy's environment.
// Each request is measured as `llmbench run` measures (TTFT, ITL, tokens, cost, status,
// error class, from the proxy's send upstream) plus the client's side (from the request read
// to the first token's and the last byte's write) and stored as a row of the session's run.
// A client that disconnects cancels its upstream request (stored, error class `cancelled`).
//
// Refused, in the provider's own error shape, and the proxy keeps serving: no or an unknown
// key (401, unless anonymous requests are allowed), a finalized or timed-out session (401),
// an unknown alias (404), a protocol the alias's upstream does not speak (400), a body that is
// not JSON or has no model (400), a body over the limit (413); an upstream that cannot be
// reached is a 502 (stored with its error class).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "llmbench/net/connection.hpp"
#include "llmbench/session/config.hpp"

namespace llmbench::server {

struct ProxyServerOptions {
  session::Config config;
  std::string db_path;
  std::string host = "127.0.0.1";
  std::uint16_t port = 4000;  // 0: the system picks (see port())
  int threads = 0;            // 0: one per core
  int engine_threads = 0;     // 0: net::default_engine_threads()
  bool allow_anonymous = false;
  std::function<void(const std::string&)> log;  // one line per notable event, or none
};

class ProxyServer {
 public:
  // Reads the upstream keys from the environment and opens the history. Throws InputError
  // for an unusable database, RunError when the port cannot be bound (at start()).
  explicit ProxyServer(ProxyServerOptions options);
  ~ProxyServer();
  ProxyServer(const ProxyServer&) = delete;
  ProxyServer& operator=(const ProxyServer&) = delete;

  void start();
  // Stops accepting, cancels what is in flight, stores every row, and closes the anonymous
  // run (if any) with its histograms.
  void stop();

  std::uint16_t port() const;
  std::string base_url() const;  // http://HOST:PORT
  // Requests stored so far (rows handed to the store). flush() waits until every request in
  // flight now is stored and written (at most 10 s for ones still streaming).
  std::uint64_t recorded() const;
  void flush();
  std::string metrics_text() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace llmbench::server
