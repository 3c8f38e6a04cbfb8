#pragma once
// The service's REST handlers (docs/serve.md), one per operation of /openapi.json. Each returns
// the whole reply; a client mistake is thrown as a Problem and answered as an RFC 9457 problem
// document by the server (src/server/serve_server.cpp), which routes, authenticates and writes.

#include <boost/beast/http.hpp>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "llmbench/metrics/prometheus.hpp"
#include "llmbench/report/diff.hpp"
#include "llmbench/server/run_queue.hpp"
#include "llmbench/store/database.hpp"
#include "llmbench/suite/loader.hpp"

namespace llmbench::server::serve {

namespace http = boost::beast::http;

using Query = std::multimap<std::string, std::string>;

struct Reply {
  http::status status = http::status::ok;
  std::string body;
  std::string content_type = "application/json";
  http::fields headers;
};

// A client mistake: answered as a problem document with `status`; `members` is more of it
// (JSON members, without braces: "\"errors\":[...]").
struct Problem {
  http::status status;
  std::string detail;
  std::string members;
};

Reply ok(std::string body, std::string content_type = "application/json");
Reply problem(http::status status, const std::string& detail, const std::string& members = "");

std::string url_decode(std::string_view text);
Query parse_query(std::string_view q);
std::string one(const Query& q, const std::string& key);

class Api {
 public:
  Api(store::Database& db, std::mutex& db_mu, RunQueue& queue, suite::UntrustedRules rules);

  std::string resolve(const std::string& ref);  // a run reference; 404 when unknown

  Reply runs(const Query& q);
  Reply run(const std::string& id);
  Reply progress(const std::string& id);
  Reply requests(const std::string& id, const Query& q);
  Reply report(const std::string& id, std::string_view format);
  Reply diff(const Query& q);
  // The comparison `diff` renders: base=, cand= (resolved), fail_on= gates.
  report::DiffResult compare(const Query& q);
  Reply baselines();
  Reply metrics_text(metrics::Prometheus& prom);
  Reply submit(std::string_view body, std::string_view content_type, const Query& q);
  Reply remove(const std::string& id);

  store::Database& db() { return m_db; }
  std::mutex& db_mu() { return m_db_mu; }
  RunQueue& queue() { return m_queue; }

 private:
  store::Database& m_db;
  std::mutex& m_db_mu;
  RunQueue& m_queue;
  suite::UntrustedRules m_rules;
};

}  // namespace llmbench::server::serve
