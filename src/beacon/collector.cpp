#include "llmbench/beacon/collector.hpp"

// GCC 12 misreads Asio's coroutine frame allocator as mismatched new/delete (see
// server/mock_server.cpp).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cmath>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

#include "llmbench/beacon/outbox.hpp"
#include "llmbench/cache/jcs.hpp"
#include "llmbench/net/listener.hpp"
#include "llmbench/store/database.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/hex.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/strings.hpp"
#include "llmbench/util/time.hpp"

namespace llmbench::beacon {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr std::string_view k_schema = R"sql(
CREATE TABLE IF NOT EXISTS beacons (
  id             INTEGER PRIMARY KEY,
  received_at_ms INTEGER NOT NULL,
  install_id     TEXT NOT NULL,
  ts             TEXT NOT NULL,
  hour           TEXT NOT NULL,
  model          TEXT NOT NULL,
  provider       TEXT NOT NULL,
  region         TEXT NOT NULL DEFAULT '',
  status_code    INTEGER NOT NULL,
  ttft_ms        INTEGER,
  total_ms       INTEGER NOT NULL,
  input_tokens   INTEGER NOT NULL,
  output_tokens  INTEGER NOT NULL,
  cost_usd       REAL,
  body           TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS beacons_install ON beacons (install_id);
CREATE TABLE IF NOT EXISTS installs (
  install_id    TEXT PRIMARY KEY,
  token         TEXT,
  secret        TEXT,
  first_seen_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS forget_requests (
  install_id      TEXT NOT NULL,
  requested_at_ms INTEGER NOT NULL
);
)sql";

store::Database open_db(const std::string& path) {
  store::OpenOptions options;
  options.run_schema = false;
  auto db = store::Database::open(path, options);
  db.exec(k_schema);
  return db;
}

std::string reply_json(bool ok, std::string_view key, std::string_view value,
                       std::optional<std::int64_t> extra = std::nullopt,
                       std::string_view extra_key = "") {
  std::string out;
  util::JsonObject o(out);
  o.boolean("ok", ok);
  if (!key.empty()) {
    o.str(key, value);
  }
  if (extra) {
    o.integer(extra_key, *extra);
  }
  o.close();
  return out;
}

std::string count_json(std::int64_t n) {
  return fmt::format(R"({{"ok":true,"count":{}}})", n);
}

}  // namespace

struct Collector::Impl {
  CollectorOptions options;
  net::Listener listener;
  std::mutex mutex;  // the database and the rate windows
  std::optional<store::Database> db;
  std::map<std::string, std::deque<std::int64_t>> windows;  // install -> accepted at (ms)
  struct FixedWindow {
    std::int64_t count = 0;
    std::int64_t reset_at_ms = 0;
  };
  std::map<std::string, FixedWindow> fixed_windows;  // the f3dx worker's per-install counter
  std::atomic<std::uint64_t> posts{0};
  std::atomic<std::uint64_t> all_requests{0};

  explicit Impl(CollectorOptions o)
      : options(std::move(o)),
        listener("collect", options.host, options.port, options.threads, options.limits,
                 options.log) {}

  struct Answer {
    http::status status = http::status::ok;
    std::string body;
    std::optional<std::int64_t> retry_after_s;
  };

  static Answer error(http::status status, std::string message) {
    return {status, reply_json(false, "error", message), std::nullopt};
  }

  // -- the endpoints (called under the mutex) ----------------------------------------------

  std::optional<std::string> pinned(std::string_view column, const std::string& install_id) {
    auto st = db->prepare(fmt::format("SELECT {} FROM installs WHERE install_id = ?", column));
    st.bind(1, install_id);
    if (st.step() && !st.is_null(0)) {
      return st.text(0);
    }
    return std::nullopt;
  }

  Answer post_beacon(const std::string& body, bool ndjson) {
    std::vector<std::string> lines;
    if (ndjson) {
      for (auto& line : util::split(body, '\n')) {
        if (!util::trim(line).empty()) {
          lines.push_back(std::move(line));
        }
      }
    } else {
      lines.push_back(body);
    }
    if (static_cast<std::int64_t>(lines.size()) > options.max_batch) {
      return error(http::status::payload_too_large,
                   fmt::format("at most {} beacons per request", options.max_batch));
    }
    if (lines.empty()) {
      return error(http::status::bad_request, "no beacon in the request");
    }
    std::vector<Beacon> beacons;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      auto b = parse(lines[i]);
      if (!b) {
        return error(http::status::bad_request,
                     lines.size() > 1 ? fmt::format("line {}: {}", i + 1, b.error()) : b.error());
      }
      beacons.push_back(std::move(*b));
    }
    if (options.compat == Compat::f3dx_worker) {
      return post_beacon_as_worker(beacons, lines);
    }
    // Attestation, for every beacon, before anything is stored.
    std::map<std::string, std::string> new_pins;
    for (const auto& b : beacons) {
      if (options.attestation == Attestation::token) {
        auto pin = pinned("token", b.install_id);
        if (!pin) {
          if (auto it = new_pins.find(b.install_id); it != new_pins.end()) {
            pin = it->second;
          }
        }
        if (!pin) {
          new_pins[b.install_id] = b.install_hmac;  // trust on first use
        } else if (*pin != b.install_hmac) {
          return error(http::status::unauthorized,
                       "install_hmac does not match this install's token");
        }
      } else {
        const auto secret = pinned("secret", b.install_id);
        if (!secret) {
          return error(http::status::unauthorized,
                       "unknown install: POST /v1/register its secret first");
        }
        if (!verify_message_hmac(b, *secret)) {
          return error(http::status::unauthorized, "install_hmac does not sign this beacon");
        }
      }
    }
    const std::int64_t now = util::unix_ms_now();
    std::int64_t stored = 0;
    std::optional<std::int64_t> limited_for_s;
    db->transaction([&] {
      for (const auto& [id, token] : new_pins) {
        auto st =
            db->prepare("INSERT INTO installs (install_id, token, first_seen_ms) VALUES (?, ?, ?)");
        st.bind(1, id).bind(2, token).bind(3, now);
        st.step();
      }
      auto insert = db->prepare(
          "INSERT INTO beacons (received_at_ms, install_id, ts, hour, model, provider, region, "
          "status_code, ttft_ms, total_ms, input_tokens, output_tokens, cost_usd, body) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
      for (std::size_t i = 0; i < beacons.size(); ++i) {
        const Beacon& b = beacons[i];
        auto& window = windows[b.install_id];
        while (!window.empty() && window.front() <= now - options.window.count()) {
          window.pop_front();
        }
        if (static_cast<std::int64_t>(window.size()) >= options.rate_limit) {
          limited_for_s = std::max<std::int64_t>(
              1, (window.front() + options.window.count() - now + 999) / 1000);
          break;
        }
        window.push_back(now);
        insert.reset();
        insert.bind(1, now).bind(2, b.install_id).bind(3, b.ts).bind(4, b.ts.substr(0, 13));
        insert.bind(5, b.model).bind(6, b.provider).bind(7, b.region.value_or(""));
        insert.bind(8, b.status_code).bind(9, b.latency_ms_to_first_token);
        insert.bind(10, b.latency_ms_total).bind(11, b.input_tokens).bind(12, b.output_tokens);
        insert.bind(13, b.cost_usd_estimate).bind(14, lines[i]);
        insert.step();
        ++stored;
      }
    });
    if (limited_for_s) {
      return {http::status::too_many_requests,
              reply_json(false, "error",
                         fmt::format("more than {} beacons per minute from this install",
                                     options.rate_limit),
                         stored, "stored"),
              limited_for_s};
    }
    return {http::status::accepted, count_json(stored), std::nullopt};
  }

  void store_beacon(const Beacon& b, const std::string& line, std::int64_t now) {
    auto insert = db->prepare(
        "INSERT INTO beacons (received_at_ms, install_id, ts, hour, model, provider, region, "
        "status_code, ttft_ms, total_ms, input_tokens, output_tokens, cost_usd, body) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    insert.bind(1, now).bind(2, b.install_id).bind(3, b.ts).bind(4, b.ts.substr(0, 13));
    insert.bind(5, b.model).bind(6, b.provider).bind(7, b.region.value_or(""));
    insert.bind(8, b.status_code).bind(9, b.latency_ms_to_first_token);
    insert.bind(10, b.latency_ms_total).bind(11, b.input_tokens).bind(12, b.output_tokens);
    insert.bind(13, b.cost_usd_estimate).bind(14, line);
    insert.step();
  }

  // The public ingest's order, beacon by beacon: the limit (a fixed window per install that
  // starts with its first beacon), then the pinned token (the first install_hmac seen is
  // trusted and pinned; any other is refused), then the beacon is stored, before the next
  // is looked at. A 429 or 401 mid-batch leaves what came before it stored and says
  // nothing of it.
  Answer post_beacon_as_worker(const std::vector<Beacon>& beacons,
                               const std::vector<std::string>& lines) {
    for (std::size_t i = 0; i < beacons.size(); ++i) {
      const Beacon& b = beacons[i];
      const std::int64_t now = util::unix_ms_now();
      auto& w = fixed_windows[b.install_id];
      if (w.count == 0 || w.reset_at_ms < now) {
        w = {1, now + options.window.count()};
      } else if (w.count >= options.rate_limit) {
        return error(http::status::too_many_requests, "rate limit exceeded for install_id");
      } else {
        ++w.count;
      }
      const auto pin = pinned("token", b.install_id);
      if (!pin) {
        auto st =
            db->prepare("INSERT INTO installs (install_id, token, first_seen_ms) VALUES (?, ?, ?)");
        st.bind(1, b.install_id).bind(2, b.install_hmac).bind(3, now);
        st.step();
      } else if (*pin != b.install_hmac) {
        return error(http::status::unauthorized, "invalid HMAC for install_id");
      }
      store_beacon(b, lines[i], now);
    }
    return {http::status::accepted, count_json(static_cast<std::int64_t>(beacons.size())),
            std::nullopt};
  }

  Answer post_register(const std::string& body) {
    if (options.attestation != Attestation::message) {
      return error(http::status::bad_request,
                   "this collector uses token attestation: no registration needed");
    }
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string_view id, secret;
    if (parser.parse(simdjson::padded_string(body)).get(doc) != simdjson::SUCCESS ||
        doc["install_id"].get_string().get(id) != simdjson::SUCCESS ||
        doc["secret"].get_string().get(secret) != simdjson::SUCCESS ||
        !util::is_lower_hex(secret, 64)) {
      return error(http::status::bad_request,
                   "register with {\"install_id\": UUID, \"secret\": 64 lowercase hex}");
    }
    const auto known = pinned("secret", std::string(id));
    if (known && *known != secret) {
      return error(http::status::unauthorized, "this install registered another secret");
    }
    if (!known) {
      auto st = db->prepare(
          "INSERT INTO installs (install_id, secret, first_seen_ms) VALUES (?, ?, ?) "
          "ON CONFLICT (install_id) DO UPDATE SET secret = excluded.secret");
      st.bind(1, std::string(id)).bind(2, std::string(secret)).bind(3, util::unix_ms_now());
      st.step();
    }
    return {http::status::ok, reply_json(true, "", ""), std::nullopt};
  }

  Answer post_forget(const std::string& body) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    std::string_view id, proof;
    if (parser.parse(simdjson::padded_string(body)).get(doc) != simdjson::SUCCESS ||
        doc["install_id"].get_string().get(id) != simdjson::SUCCESS ||
        doc["install_hmac"].get_string().get(proof) != simdjson::SUCCESS) {
      return error(http::status::bad_request, "forget with {\"install_id\", \"install_hmac\"}");
    }
    if (options.compat == Compat::f3dx_worker) {
      // Recorded, not done: the worker keeps a forget marker (30 days) for a scheduled job;
      // rows stay, and beacons under the id are still accepted.
      const auto pin = pinned("token", std::string(id));
      if (!pin || *pin != proof) {
        return error(http::status::unauthorized, "install_id not registered or hmac mismatch");
      }
      auto st =
          db->prepare("INSERT INTO forget_requests (install_id, requested_at_ms) VALUES (?, ?)");
      st.bind(1, std::string(id)).bind(2, util::unix_ms_now());
      st.step();
      return {http::status::accepted, R"({"ok":true,"queued":true})", std::nullopt};
    }
    bool ok = false;
    if (options.attestation == Attestation::token) {
      const auto pin = pinned("token", std::string(id));
      ok = pin && *pin == proof;
    } else if (const auto secret = pinned("secret", std::string(id))) {
      Install install{std::string(id), "", *secret};
      ok = forget_proof(install, Attestation::message) == proof;
    }
    if (!ok) {
      return error(http::status::unauthorized, "install_hmac does not prove this install");
    }
    std::int64_t deleted = 0;
    db->transaction([&] {
      for (const char* sql : {"DELETE FROM beacons WHERE install_id = ?",
                              "DELETE FROM installs WHERE install_id = ?"}) {
        auto st = db->prepare(sql);
        st.bind(1, std::string(id));
        st.step();
        if (deleted == 0) {
          deleted = db->changes();
        }
      }
    });
    windows.erase(std::string(id));
    // Done at once, and said so: "deleted" (the public ingest only queues: "queued").
    return {http::status::accepted,
            fmt::format(R"({{"ok":true,"queued":false,"deleted":{}}})", deleted), std::nullopt};
  }

  Answer handle(const http::request<http::string_body>& req) {
    std::string_view target(req.target().data(), req.target().size());
    target = target.substr(0, target.find('?'));
    const bool post = req.method() == http::verb::post;
    const bool worker = options.compat == Compat::f3dx_worker;
    if (target == "/v1/health") {
      // partial_counts: a 429 here says how much of the batch was stored ("stored"), so a
      // sender may batch; the worker's does not.
      return {
          http::status::ok,
          worker
              ? R"({"ok":true,"service":"f3dx-bench","schema":"v1"})"
              : R"({"ok":true,"service":"llmbench-collect","schema":"v1","partial_counts":true})",
          std::nullopt};
    }
    if (worker && (!post || (target != "/v1/beacon" && target != "/v1/forget"))) {
      return error(http::status::not_found, "not found");  // no /v1/register there
    }
    if (!post || (target != "/v1/beacon" && target != "/v1/forget" && target != "/v1/register")) {
      return error(http::status::not_found,
                   "the collector serves POST /v1/beacon, /v1/forget, /v1/register and GET "
                   "/v1/health");
    }
    if (target == "/v1/beacon") {
      const std::uint64_t n = posts.fetch_add(1);
      if (options.inject) {
        if (const auto status = options.inject(n)) {
          // Nothing was stored, and this collector always says how much it stored on a 429.
          return {static_cast<http::status>(*status),
                  *status == 429 ? reply_json(false, "error", "injected by the test", 0, "stored")
                                 : reply_json(false, "error", "injected by the test"),
                  std::nullopt};
        }
      }
    }
    std::lock_guard lock(mutex);
    try {
      if (target == "/v1/beacon") {
        const auto type = req[http::field::content_type];
        const bool ndjson = util::starts_with_ci(std::string_view(type.data(), type.size()),
                                                 "application/x-ndjson");
        return post_beacon(req.body(), ndjson);
      }
      if (target == "/v1/register") {
        return post_register(req.body());
      }
      return post_forget(req.body());
    } catch (const Error& e) {
      return error(http::status::service_unavailable, e.what());
    }
  }

  // -- the server ---------------------------------------------------------------------------

  asio::awaitable<void> session(net::Connection& conn) {
    for (;;) {
      auto req = co_await conn.read_request();
      if (!req) {
        break;  // closed, idle, or not HTTP (answered)
      }
      all_requests.fetch_add(1);
      const Answer answer = handle(*req);
      http::response<http::string_body> res{answer.status, req->version()};
      res.set(http::field::server, "llmbench-collect");
      res.set(http::field::content_type, "application/json");
      if (answer.retry_after_s) {
        res.set(http::field::retry_after, std::to_string(*answer.retry_after_s));
      }
      res.keep_alive(req->keep_alive());
      res.body() = answer.body;
      res.prepare_payload();
      error_code ec;
      {
        const auto deadline = conn.write_deadline();
        co_await http::async_write(conn.socket(), res,
                                   asio::redirect_error(asio::use_awaitable, ec));
      }
      if (ec || !req->keep_alive()) {
        break;
      }
    }
  }
};

Collector::Collector(CollectorOptions options)
    : m_impl(std::make_unique<Impl>(std::move(options))) {}

Collector::~Collector() {
  stop();
}

void Collector::start() {
  Impl& s = *m_impl;
  s.db.emplace(open_db(s.options.db_path));
  s.listener.start([&s](net::Connection& conn) { return s.session(conn); });
}

void Collector::stop() {
  m_impl->listener.stop();
}

std::uint16_t Collector::port() const {
  return m_impl->listener.port();
}

std::string Collector::base_url() const {
  return fmt::format("http://{}:{}", m_impl->options.host, m_impl->listener.port());
}

std::uint64_t Collector::beacon_posts() const {
  return m_impl->posts.load();
}

std::uint64_t Collector::requests() const {
  return m_impl->all_requests.load();
}

// -- the dashboard -------------------------------------------------------------------------

namespace {

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) {
    return 0;
  }
  std::sort(v.begin(), v.end());
  const auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(v.size())));
  return v[std::clamp<std::size_t>(rank, 1, v.size()) - 1];
}

}  // namespace

Dashboard build_dashboard(const std::string& db_path, std::int64_t k) {
  auto db = open_db(db_path);
  Dashboard d;
  d.k = k;
  // The buckets that may be shown: at least k beacons in (model, provider, region, hour).
  db.exec("DROP TABLE IF EXISTS temp.shown");
  auto make = db.prepare(
      "CREATE TEMP TABLE shown AS SELECT model, provider, region, hour FROM beacons "
      "GROUP BY model, provider, region, hour HAVING COUNT(*) >= ?");
  make.bind(1, k);
  make.step();
  {
    auto st = db.prepare(
        "SELECT COUNT(*), SUM(n < ?1), COALESCE(SUM(CASE WHEN n < ?1 THEN n END), 0), "
        "COALESCE(SUM(n), 0) FROM (SELECT COUNT(*) AS n FROM beacons GROUP BY model, provider, "
        "region, hour)");
    st.bind(1, k);
    st.step();
    d.buckets = st.int64(0);
    d.suppressed_buckets = st.is_null(1) ? 0 : st.int64(1);
    d.suppressed_beacons = st.int64(2);
    d.beacons = st.int64(3);
  }
  const std::string kept =
      "FROM beacons b JOIN shown s ON b.model = s.model AND b.provider = s.provider AND "
      "b.region = s.region AND b.hour = s.hour ";
  {
    auto st = db.prepare("SELECT b.model, b.region, b.hour, b.total_ms, b.ttft_ms " + kept +
                         "ORDER BY b.model, b.region, b.hour");
    LatencyRow row;
    std::vector<double> total, ttft;
    const auto flush = [&] {
      if (row.n == 0) {
        return;
      }
      row.p50 = percentile(total, 50);
      row.p95 = percentile(total, 95);
      row.p99 = percentile(total, 99);
      row.ttft_n = static_cast<std::int64_t>(ttft.size());
      row.ttft_p50 = percentile(ttft, 50);
      row.ttft_p95 = percentile(ttft, 95);
      row.ttft_p99 = percentile(ttft, 99);
      d.latency.push_back(row);
    };
    while (st.step()) {
      if (row.n == 0 || st.text(0) != row.model || st.text(1) != row.region ||
          st.text(2) != row.hour) {
        flush();
        row = LatencyRow{st.text(0), st.text(1), st.text(2)};
        total.clear();
        ttft.clear();
      }
      ++row.n;
      total.push_back(static_cast<double>(st.int64(3)));
      if (!st.is_null(4)) {
        ttft.push_back(static_cast<double>(st.int64(4)));
      }
    }
    flush();
  }
  {
    auto st = db.prepare("SELECT b.provider, b.hour, COUNT(*), SUM(b.status_code >= 400) " + kept +
                         "GROUP BY b.provider, b.hour ORDER BY b.provider, b.hour");
    while (st.step()) {
      d.errors.push_back({st.text(0), st.text(1), st.int64(2), st.int64(3)});
    }
  }
  {
    auto st = db.prepare(
        "SELECT b.model, COUNT(*), SUM(b.input_tokens + b.output_tokens), SUM(b.cost_usd) " + kept +
        "WHERE b.cost_usd IS NOT NULL GROUP BY b.model ORDER BY b.model");
    while (st.step()) {
      d.cost.push_back({st.text(0), st.int64(1), st.int64(2), st.real(3)});
    }
  }
  return d;
}

std::string dashboard_markdown(const Dashboard& d) {
  std::string out = "# llmbench beacon dashboard\n\n";
  out += fmt::format(
      "{} beacons in {} (model, provider, region, hour) buckets; {} buckets with fewer than {} "
      "beacons are suppressed ({} beacons withheld, k-anonymity).\n\n",
      d.beacons, d.buckets, d.suppressed_buckets, d.k, d.suppressed_beacons);
  out += "## Latency by model, region and hour (ms)\n\n";
  out +=
      "| model | region | hour (UTC) | n | p50 | p95 | p99 | TTFT n | TTFT p50 | TTFT p95 | "
      "TTFT p99 |\n| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& r : d.latency) {
    out += fmt::format(
        "| {} | {} | {} | {} | {:.0f} | {:.0f} | {:.0f} | {} | {:.0f} | {:.0f} | "
        "{:.0f} |\n",
        r.model, r.region.empty() ? "-" : r.region, r.hour, r.n, r.p50, r.p95, r.p99, r.ttft_n,
        r.ttft_p50, r.ttft_p95, r.ttft_p99);
  }
  out +=
      "\n## Error rate by provider and hour\n\n| provider | hour (UTC) | n | errors | rate |\n"
      "| --- | --- | ---: | ---: | ---: |\n";
  for (const auto& r : d.errors) {
    out += fmt::format(
        "| {} | {} | {} | {} | {:.2f}% |\n", r.provider, r.hour, r.n, r.errors,
        r.n > 0 ? 100.0 * static_cast<double>(r.errors) / static_cast<double>(r.n) : 0.0);
  }
  out +=
      "\n## Cost per 1k tokens by model\n\n| model | n | tokens | USD per 1k tokens |\n"
      "| --- | ---: | ---: | ---: |\n";
  for (const auto& r : d.cost) {
    out += fmt::format("| {} | {} | {} | {:.6f} |\n", r.model, r.n, r.tokens,
                       r.tokens > 0 ? r.usd * 1000.0 / static_cast<double>(r.tokens) : 0.0);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> dashboard_csv(const Dashboard& d) {
  const auto field = [](const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) {
      return s;
    }
    std::string q = "\"";
    for (const char c : s) {
      q += c == '"' ? std::string("\"\"") : std::string(1, c);
    }
    return q + "\"";
  };
  std::string latency =
      "model,region,hour,n,p50_ms,p95_ms,p99_ms,ttft_n,ttft_p50_ms,ttft_p95_ms,ttft_p99_ms\n";
  for (const auto& r : d.latency) {
    latency +=
        fmt::format("{},{},{},{},{},{},{},{},{},{},{}\n", field(r.model), field(r.region), r.hour,
                    r.n, r.p50, r.p95, r.p99, r.ttft_n, r.ttft_p50, r.ttft_p95, r.ttft_p99);
  }
  std::string errors = "provider,hour,n,errors\n";
  for (const auto& r : d.errors) {
    errors += fmt::format("{},{},{},{}\n", r.provider, r.hour, r.n, r.errors);
  }
  std::string cost = "model,n,tokens,usd\n";
  for (const auto& r : d.cost) {
    cost += fmt::format("{},{},{},{}\n", field(r.model), r.n, r.tokens, r.usd);
  }
  return {{"latency.csv", latency}, {"errors.csv", errors}, {"cost.csv", cost}};
}

}  // namespace llmbench::beacon
