#pragma once
// `llmbench collect`: a self-hostable beacon collector speaking the f3dx-bench ingest API,
// with the same validation, status codes and limits (docs/privacy.md):
//
//   POST /v1/beacon    one beacon (JSON) or NDJSON (application/x-ndjson, at most 100 lines)
//                      -> 202 {"ok":true,"count":N}; 400 {"ok":false,"error"} if any beacon
//                      is malformed or invalid (the whole batch is refused); 401 when the
//                      install's attestation fails; 413 over 100 lines; 429 past the limit
//                      per install per minute, counted beacon by beacon (the part of the
//                      batch before the limit is stored; the answer says how much: "stored")
//   POST /v1/forget    {"install_id","install_hmac"} -> 202 {"ok":true,"queued":false,
//                      "deleted":N} | 401; the install's beacons and pin are deleted at once
//   GET  /v1/health    {"ok":true,...,"partial_counts":true}: a 429 says what was stored
//   POST /v1/register  {"install_id","secret"}: message mode only, trust on first contact
//
// Attestation: "token" pins the first install_hmac seen for an install_id and requires it
// afterwards; "message" verifies HMAC-SHA256(secret, RFC 8785 canonical beacon without
// install_hmac) with the secret the install registered.
//
// Beacons are stored in SQLite; `collect report` turns them into the dashboard (below).
//
// `compat = f3dx_worker` (`collect --compat f3dx-worker`) answers as the public ingest's
// worker does instead (smigolsmigol/f3dx-bench, worker/src/worker.ts), so tests can hold the
// sender to it: beacons are checked one by one (a fixed per-install window, then the pinned
// token) and each is stored before the next is looked at; a 429 carries no count of what was
// stored; there is no /v1/register (404), so message attestation cannot work; the first
// install_hmac seen is pinned and any other is 401; a forget is only recorded (202
// {"queued":true}): nothing is deleted and later beacons are still accepted; /v1/health does
// not offer partial counts. docs/privacy.md lists the differences.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "llmbench/beacon/identity.hpp"
#include "llmbench/net/connection.hpp"

namespace llmbench::beacon {

enum class Compat { llmbench, f3dx_worker };

struct CollectorOptions {
  Compat compat = Compat::llmbench;
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: a free port (see Collector::port())
  int threads = 1;
  std::string db_path = "collector.db";
  Attestation attestation = Attestation::token;
  std::int64_t rate_limit = 60;  // beacons per install per window
  std::chrono::milliseconds window{60'000};
  std::int64_t max_batch = 100;
  // Request limits, timeouts for slow clients and the connection cap (the body limit is the
  // ingest's 4 MiB).
  net::HttpLimits limits = [] {
    net::HttpLimits l;
    l.body_limit = 4u << 20;
    return l;
  }();
  std::function<void(const std::string&)> log;  // notable events (the connection cap), or none
  // Tests: an HTTP status to answer the n-th POST /v1/beacon with instead of handling it
  // (nothing is stored then), e.g. to script 503s and 429s.
  std::function<std::optional<int>(std::uint64_t n)> inject;
};

class Collector {
 public:
  explicit Collector(CollectorOptions options);
  ~Collector();
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  void start();  // binds (RunError if it cannot) and serves on background threads
  void stop();
  std::uint16_t port() const;
  std::string base_url() const;        // http://HOST:PORT
  std::uint64_t beacon_posts() const;  // POST /v1/beacon requests received
  std::uint64_t requests() const;      // every HTTP request received

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

// -- the dashboard -------------------------------------------------------------------------

struct LatencyRow {
  std::string model, region, hour;  // hour: "2026-11-27T03"
  std::int64_t n = 0;
  double p50 = 0, p95 = 0, p99 = 0;  // total latency, ms
  std::int64_t ttft_n = 0;
  double ttft_p50 = 0, ttft_p95 = 0, ttft_p99 = 0;
};
struct ErrorRow {
  std::string provider, hour;
  std::int64_t n = 0;
  std::int64_t errors = 0;  // status >= 400
};
struct CostRow {
  std::string model;
  std::int64_t n = 0;
  std::int64_t tokens = 0;
  double usd = 0;
};
struct Dashboard {
  std::int64_t k = 50;
  std::int64_t beacons = 0;  // stored
  std::int64_t buckets = 0;  // (model, provider, region, hour)
  std::int64_t suppressed_buckets = 0;
  std::int64_t suppressed_beacons = 0;
  std::vector<LatencyRow> latency;
  std::vector<ErrorRow> errors;
  std::vector<CostRow> cost;
};

// Reads a collector database. Every (model, provider, region, hour) bucket with fewer than
// `k` beacons is left out of every table (k-anonymity).
Dashboard build_dashboard(const std::string& db_path, std::int64_t k);
std::string dashboard_markdown(const Dashboard& d);
// Three CSV tables, keyed by file name: latency.csv, errors.csv, cost.csv.
std::vector<std::pair<std::string, std::string>> dashboard_csv(const Dashboard& d);

}  // namespace llmbench::beacon
