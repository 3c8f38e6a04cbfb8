#pragma once
// `llmbench serve`: the benchmark service over the run history (docs/serve.md). A real HTTP/1.1
// server (Boost.Beast on the shared net::Listener) answering JSON:
//
//   GET /health                                   {"status","version","db"}; never needs a token
//   GET /metrics                                  Prometheus text: runs by status, HTTP requests
//   GET /openapi.json                             the OpenAPI 3.1 document of every endpoint
//   GET /api/v1/runs?limit=&cursor=&status=&suite=&tag=K=V   newest first, cursor pagination
//   GET /api/v1/runs/{id}                         a run: status, timing, its report.json
//   GET /api/v1/runs/{id}/requests?limit=&cursor= its request rows, in order
//   GET /api/v1/runs/{id}/report.{md,html,csv,json}
//   GET /api/v1/diff?base=&cand=&fail_on=         `report diff` as JSON, with gate verdicts
//   GET /api/v1/baselines                         the named baselines
//
// Errors are RFC 9457 problem documents (application/problem+json): 400 for a bad query, 401
// without the token, 404 for an unknown run or path, 405 for another method (with Allow).
// With a token every endpoint but /health wants `Authorization: Bearer TOKEN`, compared in
// constant time. Run ids may be unique prefixes, `latest` or baseline names, as on the CLI.
//
// Not built yet (docs/serve.md says so): submitting, cancelling and deleting runs, the web UI.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "llmbench/net/connection.hpp"

namespace llmbench::server {

struct ServeOptions {
  std::string db_path;
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;  // 0: the system picks (see port())
  int threads = 0;            // 0: one per core
  std::string token;          // empty: no token asked (loopback only; the CLI enforces it)
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

  void start();
  void stop();
  std::uint16_t port() const;
  std::string base_url() const;  // http://HOST:PORT

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// The OpenAPI 3.1 document served at /openapi.json (src/server/serve_openapi.cpp).
const std::string& serve_openapi_json();

}  // namespace llmbench::server
