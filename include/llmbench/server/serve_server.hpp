#pragma once
// `llmbench serve`: the benchmark service over the run history (docs/serve.md). A real HTTP/1.1
// server (Boost.Beast on the shared net::Listener):
//
//   GET    /health                                 {"status","version","db"}; never needs a token
//   GET    /metrics                                Prometheus text: runs by status, queue depth,
//                                                  HTTP requests by route and status
//   GET    /openapi.json                           the OpenAPI 3.1 document of every endpoint
//   GET    /api/v1/runs?limit=&cursor=&status=&suite=&tag=K=V   newest first, cursor pages
//   POST   /api/v1/runs?tag=K=V                    a suite (TOML or JSON, or the short form):
//                                                  422 with located errors, or 202 + Location
//   GET    /api/v1/runs/{id}                       a run: status, timing, progress, report.json
//   DELETE /api/v1/runs/{id}                       cancels a queued or running run (keeping what
//                                                  finished), deletes a finished one
//   GET    /api/v1/runs/{id}/progress              status and live progress (cheap, for polling)
//   GET    /api/v1/runs/{id}/requests?limit=&cursor= its request rows, in order
//   GET    /api/v1/runs/{id}/report.{md,html,csv,json}
//   GET    /api/v1/diff?base=&cand=&fail_on=&format=  `report diff` as JSON (or html)
//   GET    /api/v1/baselines                       the named baselines
//   GET    /, /runs/{id}, /compare, /login, /ui.js the web UI (src/server/serve_ui.hpp)
//
// Errors are RFC 9457 problem documents (application/problem+json). With a token every endpoint
// but /health, /login and /ui.js wants `Authorization: Bearer TOKEN` (compared in constant
// time); a browser may instead give it once at /login (an HttpOnly, SameSite=Strict cookie
// that is honoured for GET only, so it cannot be used to submit or delete). Run ids may be
// unique prefixes, `latest` or baseline names, as on the CLI. CORS is off unless
// `cors_origin` names the one origin allowed.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "llmbench/net/connection.hpp"
#include "llmbench/suite/loader.hpp"

namespace llmbench::server {

struct ServeOptions {
  std::string db_path;
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: the system picks (see port())
  int threads = 0;            // 0: one per core
  std::string token;          // empty: no token asked (loopback only; the CLI enforces it)
  int max_concurrent_runs = 1;
  suite::UntrustedRules rules;                                  // what a submitted suite may reach
  std::chrono::nanoseconds run_grace{std::chrono::seconds(5)};  // in-flight time when cancelled
  std::string cors_origin;                                      // empty: no CORS headers at all
  net::HttpLimits limits = [] {
    net::HttpLimits l;
    l.body_limit = 1u << 20;
    return l;
  }();
  std::function<void(const std::string&)> log;
};

class ServeServer {
 public:
  // Opens the history (creating and migrating it if needed). Throws InputError for a
  // database that cannot be used, RunError when the port cannot be bound (at start()).
  explicit ServeServer(ServeOptions options);
  ~ServeServer();
  ServeServer(const ServeServer&) = delete;
  ServeServer& operator=(const ServeServer&) = delete;

  // Starts the workers (queued runs from the history first) and the listener.
  void start();
  // Stops accepting, lets running runs finish within `grace`, then stops them (they end
  // `interrupted`, what finished kept); queued runs stay queued for the next start.
  void drain(std::chrono::nanoseconds grace);
  void stop();  // drain(0)
  std::uint16_t port() const;
  std::string base_url() const;  // http://HOST:PORT

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// The OpenAPI 3.1 document served at /openapi.json (src/server/serve_openapi.cpp).
const std::string& serve_openapi_json();

}  // namespace llmbench::server
