#include "llmbench/server/serve_server.hpp"

// GCC 12 misreads Asio's coroutine frame allocator (operator new/delete pairs inside
// awaitable_frame_base) as mismatched; the pairing is Asio's and correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <fmt/format.h>
#include <openssl/crypto.h>

#include <boost/beast/http.hpp>
#include <mutex>

#include "http_writes.hpp"
#include "llmbench/metrics/prometheus.hpp"
#include "llmbench/net/listener.hpp"
#include "llmbench/report/diff.hpp"
#include "llmbench/server/run_queue.hpp"
#include "llmbench/store/database.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/util/build_info.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/json_writer.hpp"
#include "serve_api.hpp"
#include "serve_ui.hpp"

namespace llmbench::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using serve::ok;
using serve::one;
using serve::Problem;
using serve::problem;
using serve::Query;
using serve::Reply;

namespace {

using Request = http::request<http::string_body>;

constexpr std::string_view k_cookie = "llmbench_token";
// The UI's pages: this origin's script and styles only, framed only by this origin.
constexpr std::string_view k_ui_csp =
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "frame-ancestors 'self'; form-action 'self'; base-uri 'none'";

std::string_view header(const Request& req, http::field f) {
  const auto it = req.find(f);
  return it == req.end() ? std::string_view()
                         : std::string_view(it->value().data(), it->value().size());
}

// The value of cookie `name` in a Cookie header ("a=1; b=2"), empty if absent.
std::string_view cookie_value(std::string_view cookies, std::string_view name) {
  while (!cookies.empty()) {
    const auto semi = cookies.find(';');
    std::string_view part = cookies.substr(0, semi);
    while (!part.empty() && part.front() == ' ') {
      part.remove_prefix(1);
    }
    if (part.size() > name.size() && part.substr(0, name.size()) == name &&
        part[name.size()] == '=') {
      return part.substr(name.size() + 1);
    }
    if (semi == std::string_view::npos) {
      break;
    }
    cookies.remove_prefix(semi + 1);
  }
  return {};
}

Reply html(std::string body, http::status status = http::status::ok) {
  Reply r = ok(std::move(body), "text/html; charset=utf-8");
  r.status = status;
  r.headers.set("Content-Security-Policy", std::string(k_ui_csp));
  return r;
}

Reply redirect(const std::string& to) {
  Reply r;
  r.status = http::status::see_other;
  r.content_type = "text/plain; charset=utf-8";
  r.body = "see " + to + "\n";
  r.headers.set(http::field::location, to);
  return r;
}

Reply not_allowed(std::string_view allow) {
  Reply r = problem(http::status::method_not_allowed,
                    fmt::format("this endpoint answers {} only", allow));
  r.headers.set(http::field::allow, std::string(allow));
  return r;
}

}  // namespace

struct ServeServer::Impl {
  ServeOptions options;
  std::mutex db_mu;
  store::Database db;
  metrics::Prometheus prom;
  RunQueue queue;
  serve::Api api;
  net::Listener listener;
  std::once_flag drained;

  explicit Impl(ServeOptions o)
      : options(std::move(o)),
        db(store::Database::open(options.db_path)),
        queue([&] {
          RunQueueOptions q;
          q.db_path = options.db_path;
          q.workers = options.max_concurrent_runs;
          q.rules = options.rules;
          q.grace = options.run_grace;
          q.log = options.log;
          return q;
        }()),
        api(db, db_mu, queue, options.rules),
        listener("serve", options.host, options.port, options.threads, options.limits,
                 options.log) {
    using T = metrics::Prometheus::Type;
    prom.declare("llmbench_serve_http_requests", T::counter, "HTTP requests answered",
                 {"route", "status"});
    prom.declare("llmbench_serve_runs", T::gauge, "Runs in the history, by status", {"status"});
    prom.declare("llmbench_serve_queue_depth", T::gauge, "Runs queued, waiting for a worker", {});
    prom.declare("llmbench_serve_runs_in_progress", T::gauge, "Runs the workers are running", {});
  }

  // Whether `given` is the token: constant time over the token's length, whatever was sent.
  bool is_token(std::string_view given) const {
    std::string padded(given.substr(0, options.token.size()));
    padded.resize(options.token.size(), '\0');
    const bool equal =
        CRYPTO_memcmp(padded.data(), options.token.data(), options.token.size()) == 0;
    return equal && given.size() == options.token.size();
  }

  // Bearer token from the header; for GET (the UI), the /login cookie too.
  bool authorized(const Request& req) const {
    if (options.token.empty()) {
      return true;
    }
    const std::string_view auth = header(req, http::field::authorization);
    if (auth.size() > 7 && auth.substr(0, 7) == "Bearer " && is_token(auth.substr(7))) {
      return true;
    }
    if (req.method() == http::verb::get || req.method() == http::verb::head) {
      const std::string_view c = cookie_value(header(req, http::field::cookie), k_cookie);
      return !c.empty() && is_token(c);
    }
    return false;
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
      if (reply.status == http::status::unauthorized) {
        reply.headers.set(http::field::www_authenticate, "Bearer");
      }
      add_cors(*req, reply);
      reply.headers.set("X-Content-Type-Options", "nosniff");
      reply.headers.set("Referrer-Policy", "no-referrer");
      const bool sent = co_await http_writes::send(
          conn, req->version(), req->keep_alive(), reply.status, std::move(reply.body),
          reply.content_type, "llmbench-serve", reply.headers);
      if (!sent || !req->keep_alive()) {
        break;
      }
    }
  }

  // With --cors-origin, that origin (only) may call the API from a browser.
  void add_cors(const Request& req, Reply& reply) const {
    if (options.cors_origin.empty()) {
      return;
    }
    const std::string_view origin = header(req, http::field::origin);
    if (options.cors_origin == "*" || origin == options.cors_origin) {
      reply.headers.set(http::field::access_control_allow_origin,
                        options.cors_origin == "*" ? "*" : std::string(origin));
      reply.headers.set(http::field::vary, "Origin");
      reply.headers.set(http::field::access_control_expose_headers, "Location");
    }
  }

  Reply preflight(const Request& req) const {
    const std::string_view origin = header(req, http::field::origin);
    if (options.cors_origin.empty() ||
        (options.cors_origin != "*" && origin != options.cors_origin)) {
      return not_allowed("GET, POST, DELETE");
    }
    Reply r;
    r.status = http::status::no_content;
    r.content_type.clear();
    r.headers.set(http::field::access_control_allow_methods, "GET, POST, DELETE");
    r.headers.set(http::field::access_control_allow_headers, "Authorization, Content-Type");
    r.headers.set(http::field::access_control_max_age, "600");
    return r;
  }

  Reply answer(const Request& req, std::string& route) {
    std::string_view target(req.target().data(), req.target().size());
    const auto qmark = target.find('?');
    const std::string_view path = target.substr(0, qmark);
    const Query query = serve::parse_query(
        qmark == std::string_view::npos ? std::string_view() : target.substr(qmark + 1));
    const http::verb method = req.method();
    const bool get = method == http::verb::get;
    route = "other";
    const bool ui_page = path == "/" || path == "/compare" || path == "/compare/diff.html" ||
                         path.substr(0, 6) == "/runs/";
    try {
      if (method == http::verb::options) {
        route = "preflight";
        return preflight(req);
      }
      if (path == "/health") {
        route = "/health";
        return get ? health() : not_allowed("GET");
      }
      if (path == "/ui.js") {
        route = "/ui.js";
        return get ? ok(ui::script(), "text/javascript; charset=utf-8") : not_allowed("GET");
      }
      if (path == "/login") {
        route = "/login";
        return login(req);
      }
      if (!authorized(req)) {
        if (ui_page && get) {
          route = "unauthorized";
          return redirect("/login");
        }
        route = "unauthorized";
        return problem(http::status::unauthorized,
                       "this service wants `Authorization: Bearer TOKEN` (the token of "
                       "--token-env)");
      }
      if (ui_page) {
        route = path.substr(0, 6) == "/runs/" ? "/runs/{id}" : std::string(path);
        return get ? ui(path, query) : not_allowed("GET");
      }
      if (path == "/api/v1/runs") {
        route = "/api/v1/runs";
        if (method == http::verb::post) {
          return api.submit(std::string_view(req.body()), header(req, http::field::content_type),
                            query);
        }
        return get ? api.runs(query) : not_allowed("GET, POST");
      }
      if (!get) {
        return api_other_method(path, method);
      }
      if (path == "/metrics") {
        route = "/metrics";
        return api.metrics_text(prom);
      }
      if (path == "/openapi.json") {
        route = "/openapi.json";
        return ok(serve_openapi_json());
      }
      if (path == "/api/v1/baselines") {
        route = "/api/v1/baselines";
        return api.baselines();
      }
      if (path == "/api/v1/diff") {
        route = "/api/v1/diff";
        return api.diff(query);
      }
      constexpr std::string_view k_runs = "/api/v1/runs/";
      if (path.substr(0, k_runs.size()) == k_runs) {
        std::string_view rest = path.substr(k_runs.size());
        const auto slash = rest.find('/');
        const std::string ref = serve::url_decode(rest.substr(0, slash));
        const std::string_view sub =
            slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
        const std::string id = api.resolve(ref);
        if (sub.empty()) {
          route = "/api/v1/runs/{id}";
          return api.run(id);
        }
        if (sub == "progress") {
          route = "/api/v1/runs/{id}/progress";
          return api.progress(id);
        }
        if (sub == "requests") {
          route = "/api/v1/runs/{id}/requests";
          return api.requests(id, query);
        }
        if (sub.substr(0, 7) == "report.") {
          route = "/api/v1/runs/{id}/report";
          return api.report(id, sub.substr(7));
        }
      }
      return problem(http::status::not_found,
                     fmt::format("no such endpoint: {} (GET /openapi.json lists them)", path));
    } catch (const Problem& p) {
      if (ui_page && get && p.status == http::status::not_found) {
        return html(ui::not_found_page(p.detail), http::status::not_found);
      }
      return problem(p.status, p.detail, p.members);
    } catch (const InputError& e) {
      return problem(http::status::bad_request, e.what());
    } catch (const std::exception& e) {
      return problem(http::status::internal_server_error, e.what());
    }
  }

  // A method other than GET on an API path: DELETE on a run, else 405 naming what is allowed.
  Reply api_other_method(std::string_view path, http::verb method) {
    constexpr std::string_view k_runs = "/api/v1/runs/";
    if (path.substr(0, k_runs.size()) == k_runs &&
        path.find('/', k_runs.size()) == std::string_view::npos) {
      if (method != http::verb::delete_) {
        return not_allowed("GET, DELETE");
      }
      return api.remove(api.resolve(serve::url_decode(path.substr(k_runs.size()))));
    }
    return not_allowed("GET");
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

  Reply login(const Request& req) {
    if (req.method() == http::verb::get) {
      return html(ui::login_page(""));
    }
    if (req.method() != http::verb::post) {
      return not_allowed("GET, POST");
    }
    const Query form = serve::parse_query(req.body());
    const std::string given = one(form, "token");
    if (options.token.empty() || !is_token(given)) {
      return html(ui::login_page(options.token.empty() ? "This service asks for no token."
                                                       : "That is not the token of this service."),
                  options.token.empty() ? http::status::ok : http::status::unauthorized);
    }
    Reply r = redirect("/");
    r.headers.set(http::field::set_cookie,
                  fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict", k_cookie, given));
    return r;
  }

  Reply ui(std::string_view path, const Query& q) {
    if (path == "/") {
      ui::RunsView v;
      v.status = one(q, "status");
      v.suite = one(q, "suite");
      v.tag = one(q, "tag");
      v.cursor = one(q, "cursor");
      store::RunQuery rq;
      rq.limit = 51;
      rq.after = v.cursor;
      rq.status = v.status;
      rq.suite = v.suite;
      if (const auto eq = v.tag.find('='); eq != std::string::npos && eq > 0) {
        rq.tag_key = v.tag.substr(0, eq);
        rq.tag_value = v.tag.substr(eq + 1);
      }
      {
        std::lock_guard lock(db_mu);
        if (!rq.after.empty() && !store::get_run(db, rq.after)) {
          rq.after.clear();  // a stale link: start from the newest
        }
        v.runs = store::list_runs(db, rq);
      }
      if (v.runs.size() > 50) {
        v.runs.resize(50);
        v.next_cursor = v.runs.back().run.id;
      }
      return html(ui::runs_page(v));
    }
    if (path.substr(0, 6) == "/runs/") {
      const std::string id = api.resolve(serve::url_decode(path.substr(6)));
      ui::RunView v;
      {
        std::lock_guard lock(db_mu);
        v.run = *store::get_run(db, id);
        v.short_id = store::short_id(db, id);
        for (const auto& t : store::target_summaries(db, id)) {
          v.requests += t.requests;
          v.errors += t.errors;
        }
      }
      v.progress = queue.progress(id);
      return html(ui::run_page(v));
    }
    if (path == "/compare/diff.html") {
      Query diff_query = q;
      diff_query.emplace("format", "html");
      Reply r = api.diff(diff_query);
      r.headers.set("Content-Security-Policy", std::string(k_ui_csp));
      return r;
    }
    ui::CompareView v;
    v.base = one(q, "base");
    v.cand = one(q, "cand");
    {
      std::lock_guard lock(db_mu);
      store::RunQuery rq;
      rq.limit = 200;
      v.choices = store::list_runs(db, rq);
    }
    if (!v.base.empty() && !v.cand.empty()) {
      try {
        const report::DiffResult d = api.compare(q);
        v.base_id = d.base.id;
        v.cand_id = d.cand.id;
        v.gates_failed = d.any_gate_failed();
        v.regressed = d.any_regression();
      } catch (const Problem& p) {
        v.error = p.detail;
      } catch (const Error& e) {
        v.error = e.what();
      }
    }
    return html(ui::compare_page(v));
  }
};

ServeServer::ServeServer(ServeOptions options)
    : m_impl(std::make_unique<Impl>(std::move(options))) {}

ServeServer::~ServeServer() {
  stop();
}

void ServeServer::start() {
  m_impl->queue.start();
  m_impl->listener.start(
      [impl = m_impl.get()](net::Connection& conn) { return impl->session(conn); });
}

void ServeServer::drain(std::chrono::nanoseconds grace) {
  std::call_once(m_impl->drained, [&] {
    m_impl->listener.stop();
    m_impl->queue.drain(grace);
  });
}

void ServeServer::stop() {
  drain(std::chrono::nanoseconds(0));
}

std::uint16_t ServeServer::port() const {
  return m_impl->listener.port();
}

std::string ServeServer::base_url() const {
  return fmt::format("http://{}:{}", m_impl->options.host, m_impl->listener.port());
}

}  // namespace llmbench::server
