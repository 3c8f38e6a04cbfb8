#include "llmbench/server/serve_server.hpp"

// GCC 12 misreads Asio's coroutine frame allocator (operator new/delete pairs inside
// awaitable_frame_base) as mismatched; the pairing is Asio's and correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <boost/beast/http.hpp>
#include <charconv>
#include <map>
#include <mutex>

#include "http_writes.hpp"
#include "llmbench/metrics/prometheus.hpp"
#include "llmbench/net/listener.hpp"
#include "llmbench/report/diff.hpp"
#include "llmbench/report/model.hpp"
#include "llmbench/report/writers.hpp"
#include "llmbench/store/database.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/util/build_info.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/time.hpp"

namespace llmbench::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

using Query = std::multimap<std::string, std::string>;

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded: '+' is a space, %XX a byte (a malformed escape is kept).
std::string url_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

Query parse_query(std::string_view q) {
  Query out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const std::string_view part = q.substr(0, amp);
    if (!part.empty()) {
      const auto eq = part.find('=');
      out.emplace(url_decode(part.substr(0, eq)),
                  eq == std::string_view::npos ? "" : url_decode(part.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    q.remove_prefix(amp + 1);
  }
  return out;
}

std::string one(const Query& q, const std::string& key) {
  const auto it = q.find(key);
  return it == q.end() ? "" : it->second;
}

// A client mistake, answered as a problem document with `status`.
struct Problem {
  http::status status;
  std::string detail;
};

std::size_t parse_limit(const Query& q, std::size_t fallback, std::size_t max) {
  const std::string text = one(q, "limit");
  if (text.empty()) {
    return fallback;
  }
  std::size_t n = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size() || n < 1 || n > max) {
    throw Problem{http::status::bad_request,
                  fmt::format("limit must be an integer from 1 to {}, not \"{}\"", max, text)};
  }
  return n;
}

std::optional<std::string> iso(const std::optional<std::int64_t>& unix_ms) {
  return unix_ms ? std::optional<std::string>(util::iso8601_utc_ms(*unix_ms)) : std::nullopt;
}

// A run's own fields, into an object the caller goes on with and closes.
void run_fields(util::JsonObject& o, const store::RunRow& r) {
  o.str("id", r.id);
  o.str("suite", r.suite_name);
  o.str("status", r.status);
  o.str("started_at", util::iso8601_utc_ms(r.started_at_ms));
  o.opt_str("ended_at", iso(r.ended_at_ms));
  o.str("host", r.host);
  o.str("llmbench_version", r.llmbench_version);
  o.opt_str("git_commit", r.git_commit);
  o.raw("tags", r.tags_json.empty() ? "{}" : r.tags_json);
}

void request_json(std::string& out, const store::RequestRow& r) {
  const auto since_send = [&](const std::optional<std::int64_t>& t) -> std::optional<std::int64_t> {
    if (!t || !r.t_send_ns) {
      return std::nullopt;
    }
    return *t - *r.t_send_ns;
  };
  util::JsonObject o(out);
  o.integer("seq", r.seq);
  o.integer("attempt", std::int64_t{r.attempt});
  o.str("target", r.target);
  o.str("prompt_id", r.prompt_id);
  o.str("phase", r.phase);
  o.boolean("warmup", r.warmup);
  o.opt_integer("t_send_ns", r.t_send_ns);
  o.opt_integer("ttfb_ns", since_send(r.t_first_byte_ns));
  o.opt_integer("ttft_ns", r.streamed ? since_send(r.t_first_token_ns) : std::nullopt);
  o.opt_integer("e2e_ns", since_send(r.t_done_ns));
  o.opt_integer("status_code", r.status_code);
  o.opt_integer("input_tokens", r.input_tokens);
  o.opt_integer("cached_input_tokens", r.cached_input_tokens);
  o.opt_integer("output_tokens", r.output_tokens);
  o.opt_integer("reasoning_tokens", r.reasoning_tokens);
  o.opt_str("error_class", r.error_class);
  o.opt_str("error_message", r.error_message);
  o.opt_str("token_source", r.token_source);
  o.opt_str("finish_reason", r.finish_reason);
  o.opt_num("cost_usd", r.cost_usd);
  o.boolean("streamed", r.streamed);
  o.boolean("replayed", r.replayed);
  o.close();
}

}  // namespace

struct ServeServer::Impl {
  ServeOptions options;
  std::mutex db_mu;
  store::Database db;
  metrics::Prometheus prom;
  net::Listener listener;

  explicit Impl(ServeOptions o)
      : options(std::move(o)),
        db(store::Database::open(options.db_path)),
        listener("serve", options.host, options.port, options.threads, options.limits,
                 options.log) {
    using T = metrics::Prometheus::Type;
    prom.declare("llmbench_serve_http_requests", T::counter, "HTTP requests answered",
                 {"route", "status"});
    prom.declare("llmbench_serve_runs", T::gauge, "Runs in the history, by status", {"status"});
  }

  struct Reply {
    http::status status = http::status::ok;
    std::string body;
    std::string content_type = "application/json";
    std::string allow;  // for a 405
  };

  static Reply ok(std::string body, std::string content_type = "application/json") {
    Reply r;
    r.body = std::move(body);
    r.content_type = std::move(content_type);
    return r;
  }

  static Reply problem(http::status status, const std::string& detail) {
    Reply r;
    r.status = status;
    r.content_type = "application/problem+json";
    const auto reason = http::obsolete_reason(status);
    util::JsonObject o(r.body);
    o.str("type", "about:blank");
    o.str("title", std::string_view(reason.data(), reason.size()));
    o.integer("status", static_cast<std::int64_t>(status));
    o.str("detail", detail);
    o.close();
    return r;
  }

  bool authorized(const http::request<http::string_body>& req) const {
    if (options.token.empty()) {
      return true;
    }
    const auto it = req.find(http::field::authorization);
    const std::string_view value = it == req.end()
                                       ? std::string_view()
                                       : std::string_view(it->value().data(), it->value().size());
    const std::string expected = "Bearer " + options.token;
    // Constant time over the expected length, whatever the client sent.
    std::string given(value.substr(0, expected.size()));
    given.resize(expected.size(), '\0');
    const bool same = CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
    return same && value.size() == expected.size();
  }

  asio::awaitable<void> session(net::Connection& conn) {
    for (;;) {
      auto req = co_await conn.read_request();
      if (!req) {
        break;
      }
      std::string route;
      Reply reply = answer(*req, route);
      prom.add("llmbench_serve_http_requests",
               {route, std::to_string(static_cast<int>(reply.status))});
      http::fields extra;
      if (!reply.allow.empty()) {
        extra.set(http::field::allow, reply.allow);
      }
      if (reply.status == http::status::unauthorized) {
        extra.set(http::field::www_authenticate, "Bearer");
      }
      const bool sent = co_await http_writes::send(conn, req->version(), req->keep_alive(),
                                                   reply.status, std::move(reply.body),
                                                   reply.content_type, "llmbench-serve", extra);
      if (!sent || !req->keep_alive()) {
        break;
      }
    }
  }

  Reply answer(const http::request<http::string_body>& req, std::string& route) {
    std::string_view target(req.target().data(), req.target().size());
    const auto qmark = target.find('?');
    const std::string_view path = target.substr(0, qmark);
    const Query query = parse_query(qmark == std::string_view::npos ? std::string_view()
                                                                    : target.substr(qmark + 1));
    route = "other";
    try {
      if (path == "/health") {
        route = "/health";
        return method_get(req) ? health() : not_allowed();
      }
      if (!authorized(req)) {
        route = "unauthorized";
        return problem(http::status::unauthorized,
                       "this service wants `Authorization: Bearer TOKEN` (the token of "
                       "--token-env)");
      }
      if (!method_get(req)) {
        return not_allowed();
      }
      std::lock_guard lock(db_mu);
      if (path == "/metrics") {
        route = "/metrics";
        return metrics_text();
      }
      if (path == "/openapi.json") {
        route = "/openapi.json";
        return ok(serve_openapi_json());
      }
      if (path == "/api/v1/runs") {
        route = "/api/v1/runs";
        return runs(query);
      }
      if (path == "/api/v1/baselines") {
        route = "/api/v1/baselines";
        return baselines();
      }
      if (path == "/api/v1/diff") {
        route = "/api/v1/diff";
        return diff(query);
      }
      constexpr std::string_view k_runs = "/api/v1/runs/";
      if (path.substr(0, k_runs.size()) == k_runs) {
        std::string_view rest = path.substr(k_runs.size());
        const auto slash = rest.find('/');
        const std::string ref = url_decode(rest.substr(0, slash));
        const std::string_view sub =
            slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        const std::string id = resolve(ref);
        if (sub.empty()) {
          route = "/api/v1/runs/{id}";
          return run(id);
        }
        if (sub == "requests") {
          route = "/api/v1/runs/{id}/requests";
          return requests(id, query);
        }
        if (sub.substr(0, 7) == "report.") {
          route = "/api/v1/runs/{id}/report";
          return report(id, sub.substr(7));
        }
      }
      return problem(http::status::not_found,
                     fmt::format("no such endpoint: {} (GET /openapi.json lists them)", path));
    } catch (const Problem& p) {
      return problem(p.status, p.detail);
    } catch (const InputError& e) {
      return problem(http::status::bad_request, e.what());
    } catch (const std::exception& e) {
      return problem(http::status::internal_server_error, e.what());
    }
  }

  static bool method_get(const http::request<http::string_body>& req) {
    return req.method() == http::verb::get;
  }

  static Reply not_allowed() {
    Reply r = problem(http::status::method_not_allowed,
                      "this endpoint answers GET only (submitting runs is not built yet)");
    r.allow = "GET";
    return r;
  }

  std::string resolve(const std::string& ref) {
    try {
      return store::resolve_run(db, ref);
    } catch (const InputError& e) {
      throw Problem{http::status::not_found, e.what()};
    }
  }

  Reply health() {
    std::string db_state = "ok";
    try {
      std::lock_guard lock(db_mu);
      auto st = db.prepare("SELECT COUNT(*) FROM runs");
      st.step();
    } catch (const std::exception& e) {
      db_state = e.what();
    }
    std::string body;
    util::JsonObject o(body);
    o.str("status", db_state == "ok" ? "ok" : "degraded");
    o.str("version", build_info::k_version);
    o.str("db", db_state);
    o.close();
    Reply r = ok(body);
    r.status = db_state == "ok" ? http::status::ok : http::status::service_unavailable;
    return r;
  }

  Reply metrics_text() {
    auto st = db.prepare("SELECT status, COUNT(*) FROM runs GROUP BY status");
    for (const char* s : {"running", "completed", "failed", "interrupted"}) {
      prom.set("llmbench_serve_runs", {s}, 0);
    }
    while (st.step()) {
      prom.set("llmbench_serve_runs", {st.text(0)}, static_cast<double>(st.int64(1)));
    }
    return ok(prom.render(), "text/plain; version=0.0.4; charset=utf-8");
  }

  Reply runs(const Query& q) {
    store::RunQuery rq;
    const std::size_t limit = parse_limit(q, 50, 500);
    rq.limit = limit + 1;  // one more: is there a next page?
    rq.after = one(q, "cursor");
    rq.status = one(q, "status");
    rq.suite = one(q, "suite");
    if (const std::string tag = one(q, "tag"); !tag.empty()) {
      const auto eq = tag.find('=');
      if (eq == std::string::npos || eq == 0) {
        throw Problem{http::status::bad_request, "tag must be KEY=VALUE"};
      }
      rq.tag_key = tag.substr(0, eq);
      rq.tag_value = tag.substr(eq + 1);
    }
    if (!rq.after.empty() && !store::get_run(db, rq.after)) {
      throw Problem{http::status::bad_request,
                    fmt::format("cursor \"{}\" is not a run of this history (use next_cursor of "
                                "the previous page)",
                                rq.after)};
    }
    auto page = store::list_runs(db, rq);
    const bool more = page.size() > limit;
    page.resize(std::min(page.size(), limit));
    std::string body;
    util::JsonObject o(body);
    o.key("runs");
    body += '[';
    for (std::size_t i = 0; i < page.size(); ++i) {
      body += i > 0 ? "," : "";
      util::JsonObject run(body);
      run_fields(run, page[i].run);
      run.integer("requests", page[i].requests);
      run.integer("errors", page[i].errors);
      run.integer("warmup", page[i].warmup);
      run.close();
    }
    body += ']';
    o.opt_str("next_cursor", more ? std::optional<std::string>(page.back().run.id) : std::nullopt);
    o.close();
    return ok(body);
  }

  Reply run(const std::string& id) {
    const auto row = store::get_run(db, id);
    std::string body;
    util::JsonObject o(body);
    run_fields(o, *row);
    o.raw("report", report::render_json(report::build_report(db, id)));
    o.close();
    return ok(body);
  }

  Reply requests(const std::string& id, const Query& q) {
    const std::size_t limit = parse_limit(q, 100, 1000);
    std::int64_t seq = 0;
    int attempt = 0;
    if (const std::string cursor = one(q, "cursor"); !cursor.empty()) {
      const auto whole = [](std::string_view text, auto& value) {
        const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        return ec == std::errc() && ptr == text.data() + text.size();
      };
      const auto dot = cursor.find('.');
      const std::string_view text(cursor);
      if (dot == std::string::npos || !whole(text.substr(0, dot), seq) ||
          !whole(text.substr(dot + 1), attempt)) {
        throw Problem{http::status::bad_request,
                      "cursor must be SEQ.ATTEMPT (next_cursor of the previous page)"};
      }
    }
    auto page = store::request_page(db, id, seq, attempt, limit + 1);
    const bool more = page.size() > limit;
    page.resize(std::min(page.size(), limit));
    std::string body;
    util::JsonObject o(body);
    o.key("requests");
    body += '[';
    for (std::size_t i = 0; i < page.size(); ++i) {
      body += i > 0 ? "," : "";
      request_json(body, page[i]);
    }
    body += ']';
    o.opt_str("next_cursor", more ? std::optional<std::string>(
                                        fmt::format("{}.{}", page.back().seq, page.back().attempt))
                                  : std::nullopt);
    o.close();
    return ok(body);
  }

  Reply report(const std::string& id, std::string_view format) {
    const auto r = report::build_report(db, id);
    if (format == "md") {
      return ok(report::render_markdown(r), "text/markdown; charset=utf-8");
    }
    if (format == "html") {
      return ok(report::render_html(r), "text/html; charset=utf-8");
    }
    if (format == "csv") {
      return ok(report::render_summary_csv(r), "text/csv; charset=utf-8");
    }
    if (format == "json") {
      return ok(report::render_json(r));
    }
    throw Problem{http::status::not_found,
                  fmt::format("report.{} is not a report format (md, html, csv, json)", format)};
  }

  Reply diff(const Query& q) {
    const std::string base = one(q, "base");
    const std::string cand = one(q, "cand");
    if (base.empty() || cand.empty()) {
      throw Problem{http::status::bad_request, "diff wants base=RUN and cand=RUN"};
    }
    std::vector<report::Gate> gates;
    for (auto [it, end] = q.equal_range("fail_on"); it != end; ++it) {
      gates.push_back(report::parse_gate(it->second));
    }
    const auto b = report::load_samples(db, resolve(base));
    const auto c = report::load_samples(db, resolve(cand));
    auto d = report::diff_runs(b, c, {}, std::move(gates), false);
    d.base_short = store::short_id(db, d.base.id);
    d.cand_short = store::short_id(db, d.cand.id);
    std::string body;
    util::JsonObject o(body);
    o.boolean("gates_failed", d.any_gate_failed());
    o.boolean("regressed", d.any_regression());
    o.raw("diff", report::render_diff_json(d));
    o.close();
    return ok(body);
  }

  Reply baselines() {
    std::string body;
    util::JsonObject o(body);
    o.key("baselines");
    body += '[';
    bool first = true;
    for (const auto& b : store::list_baselines(db)) {
      body += first ? "" : ",";
      first = false;
      util::JsonObject item(body);
      item.str("name", b.name);
      item.str("run_id", b.run_id);
      item.str("saved_at", util::iso8601_utc_ms(b.saved_at_ms));
      item.close();
    }
    body += ']';
    o.close();
    return ok(body);
  }
};

ServeServer::ServeServer(ServeOptions options)
    : m_impl(std::make_unique<Impl>(std::move(options))) {}

ServeServer::~ServeServer() {
  stop();
}

void ServeServer::start() {
  m_impl->listener.start(
      [impl = m_impl.get()](net::Connection& conn) { return impl->session(conn); });
}

void ServeServer::stop() {
  m_impl->listener.stop();
}

std::uint16_t ServeServer::port() const {
  return m_impl->listener.port();
}

std::string ServeServer::base_url() const {
  return fmt::format("http://{}:{}", m_impl->options.host, m_impl->listener.port());
}

}  // namespace llmbench::server
