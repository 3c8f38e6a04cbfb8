#include "llmbench/server/proxy_server.hpp"

// GCC 12 misreads Asio's coroutine frame allocator (operator new/delete pairs inside
// awaitable_frame_base) as mismatched; the pairing is Asio's and correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <fmt/format.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cmath>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "http_writes.hpp"
#include "llmbench/load/recover.hpp"
#include "llmbench/metrics/prometheus.hpp"
#include "llmbench/net/listener.hpp"
#include "llmbench/pricing/pricing.hpp"
#include "llmbench/providers/anthropic.hpp"
#include "llmbench/providers/openai.hpp"
#include "llmbench/providers/responses.hpp"
#include "llmbench/route/fate.hpp"
#include "llmbench/route/records.hpp"
#include "llmbench/route/router.hpp"
#include "llmbench/server/proxy_body.hpp"
#include "llmbench/server/upstream.hpp"
#include "llmbench/session/session.hpp"
#include "llmbench/store/batch_writer.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/store/sessions.hpp"
#include "llmbench/util/build_info.hpp"
#include "llmbench/util/env.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/redact.hpp"
#include "llmbench/util/strings.hpp"
#include "llmbench/util/time.hpp"
#include "llmbench/util/uuid.hpp"
#include "mock_events.hpp"

namespace llmbench::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;

namespace {

enum class Endpoint { chat, responses, messages, count_tokens };

std::string_view endpoint_name(Endpoint e) {
  switch (e) {
    case Endpoint::chat:
      return "chat";
    case Endpoint::responses:
      return "responses";
    case Endpoint::messages:
      return "messages";
    case Endpoint::count_tokens:
      return "count_tokens";
  }
  return "?";
}

mock::Protocol protocol_of(Endpoint e) {
  return e == Endpoint::messages || e == Endpoint::count_tokens ? mock::Protocol::anthropic
                                                                : mock::Protocol::openai;
}

// Client headers that are not forwarded: hop-by-hop ones, the client's credentials (a session
// key), and what the proxy sets itself.
bool kept_from_client(std::string_view name) {
  static constexpr std::string_view k_dropped[] = {"host",
                                                   "connection",
                                                   "keep-alive",
                                                   "proxy-connection",
                                                   "te",
                                                   "trailer",
                                                   "upgrade",
                                                   "content-length",
                                                   "transfer-encoding",
                                                   "expect",
                                                   "authorization",
                                                   "x-api-key",
                                                   "api-key",
                                                   "accept-encoding",
                                                   "cookie",
                                                   "content-type",
                                                   "proxy-authorization"};
  for (const auto d : k_dropped) {
    if (util::equals_ci(name, d)) {
      return false;
    }
  }
  return true;
}

// Who sent a request: the session its key names (or an anonymous request).
struct Caller {
  std::string run_id;
  std::optional<std::string> session_id;
  std::string alias_label = "anonymous";  // api_key_alias: the session id
  std::string hashed_key;
  std::string variant;
  std::string harness;
};

// One proxied request, as both sides fill it in (the connection and the engine); read by
// whichever side finishes second.
struct Call {
  Caller caller;
  Endpoint endpoint = Endpoint::chat;
  const session::ModelAlias* alias = nullptr;  // the upstream (a route's: its winner's)
  std::string requested;                       // the model the client asked for
  std::int64_t t_recv = 0;
  std::optional<std::int64_t> t_client_first;
  std::optional<std::int64_t> t_client_done;
  bool client_disconnected = false;
  std::optional<std::string> request_body;  // only with store_content
};

// A request for a route: its attempts (one Forward each) and the route's state machine.
struct RouteCall {
  RouteCall(route::RouteRequest s, const session::ProxyRoute& r) : state(std::move(s)), route(r) {}
  route::RouteRequest state;
  const session::ProxyRoute& route;
  Call call;
  std::vector<std::shared_ptr<Forward>> attempts;
  std::vector<const session::ModelAlias*> aliases;
  std::vector<std::int64_t> cancel_ns;      // when the route cancelled each, or -1
  std::optional<std::size_t> chosen;        // the attempt whose answer the client got
  std::vector<bool> told_first, told_done;  // what the state machine has been told
  std::atomic<int> pending{0};              // sides not yet done (each attempt's two, ours)
};

// What a route's request row has beyond a single upstream's.
struct RouteExtras {
  const session::ProxyRoute* route = nullptr;
  std::int64_t send_ns = 0;  // the route's own send (engine ns)
  std::optional<double> cost_usd;
  std::vector<store::RouteAttemptRow> attempts;  // engine ns
};

struct RunState {
  std::int64_t next_seq = 1;
  std::int64_t offset_ns = 0;  // engine ns -> the run's ns
  std::set<std::string> targets;
};

double seconds(std::int64_t ns) {
  return static_cast<double>(ns) / 1e9;
}

}  // namespace

struct ProxyServer::Impl {
  ProxyServerOptions options;
  std::map<std::string, std::string> keys;  // alias -> upstream key
  util::Redactor redactor;
  std::mutex db_mu;
  store::Database db;
  store::BatchWriter writer;
  metrics::Prometheus prom;
  std::mutex runs_mu;
  std::map<std::string, RunState> runs;
  std::optional<std::string> anonymous_run;
  std::int64_t wall_at_epoch_ns = 0;
  std::atomic<std::uint64_t> recorded{0};
  std::atomic<std::int64_t> in_flight{0};
  // After what its requests' records touch (they may run while it is destroyed: cancelled
  // transfers complete then), before the listener (whose connections use it).
  Upstream upstream;
  net::Listener listener;

  static net::EngineOptions engine_options(const ProxyServerOptions& o) {
    net::EngineOptions e;
    e.threads = o.engine_threads > 0 ? o.engine_threads : net::default_engine_threads();
    e.user_agent = "llmbench-proxy";
    return e;
  }

  static net::HttpLimits limits(const ProxyServerOptions& o) {
    net::HttpLimits l;
    l.body_limit = o.config.proxy.max_body;
    l.write_timeout = std::chrono::milliseconds(60'000);
    l.idle_timeout = std::chrono::milliseconds(120'000);
    l.request_timeout = std::chrono::milliseconds(60'000);
    return l;
  }

  explicit Impl(ProxyServerOptions o)
      : options(std::move(o)),
        db(store::Database::open(options.db_path)),
        writer(options.db_path),
        upstream(engine_options(options)),
        listener("proxy", options.host, options.port, options.threads, limits(options),
                 options.log) {
    std::vector<std::string> secrets;
    for (const auto& m : options.config.models) {
      if (m.api_key_env.empty()) {
        continue;
      }
      const char* value = std::getenv(m.api_key_env.c_str());
      if (value == nullptr || *value == '\0') {
        throw InputError(fmt::format(
            "{}:{}:{}: model alias \"{}\" reads its key from ${}, which is not set (export it "
            "in the proxy's environment)",
            m.pos.file, m.pos.line, m.pos.column, m.alias, m.api_key_env));
      }
      keys[m.alias] = value;
      secrets.emplace_back(value);
    }
    redactor = util::Redactor(secrets);
    const std::int64_t wall_ns = util::unix_ms_now() * 1'000'000;
    wall_at_epoch_ns = wall_ns - upstream.now_ns();
    declare_metrics();
    if (options.allow_anonymous) {
      anonymous_run = create_anonymous_run();
    }
  }

  void declare_metrics() {
    using T = metrics::Prometheus::Type;
    const std::vector<std::string> latency_labels = {
        "model", "requested_model", "api_key_alias", "hashed_api_key", "end_user",
        "team",  "team_alias",      "user"};
    const auto& lb = metrics::Prometheus::latency_buckets();
    prom.declare("litellm_request_total_latency_metric", T::histogram,
                 "Total latency (seconds) for a request to the proxy, as the client saw it",
                 latency_labels, lb);
    prom.declare("litellm_llm_api_latency_metric", T::histogram,
                 "Total latency (seconds) of the upstream LLM API call", latency_labels, lb);
    prom.declare("litellm_llm_api_time_to_first_token_metric", T::histogram,
                 "Time to first token (seconds) of the upstream LLM API call (streamed only)",
                 {"model", "hashed_api_key", "api_key_alias", "team", "team_alias"}, lb);
    prom.declare("litellm_overhead_latency_metric", T::histogram,
                 "Latency (seconds) the proxy added: the client's total less the upstream call",
                 {"model_group", "api_provider", "api_base", "litellm_model_name", "hashed_api_key",
                  "api_key_alias"},
                 lb);
    prom.declare("litellm_input_tokens_metric", T::counter, "Input tokens", latency_labels);
    prom.declare("litellm_output_tokens_metric", T::counter, "Output tokens", latency_labels);
    prom.declare(
        "litellm_spend_metric", T::counter, "Spend (USD, list prices)",
        {"end_user", "hashed_api_key", "api_key_alias", "model", "team", "team_alias", "user"});
    prom.declare("litellm_proxy_total_requests_metric", T::counter, "Requests made to the proxy",
                 {"end_user", "hashed_api_key", "api_key_alias", "requested_model", "team",
                  "team_alias", "user", "status_code"});
    prom.declare("litellm_proxy_failed_requests_metric", T::counter,
                 "Requests that failed (refused by the proxy or failed upstream)",
                 {"end_user", "hashed_api_key", "api_key_alias", "requested_model", "team",
                  "team_alias", "user", "exception_status", "exception_class"});
    prom.declare("llmbench_session_requests", T::counter, "Measured requests stored, per session",
                 {"session", "variant", "harness", "model"});
    prom.declare("llmbench_session_errors", T::counter,
                 "Measured requests that failed, per session and error class",
                 {"session", "variant", "error_class"});
    prom.declare("llmbench_session_ttft_seconds", T::histogram,
                 "Upstream time to first token (seconds), per session", {"session", "variant"}, lb);
    prom.declare("llmbench_session_output_tokens", T::counter, "Output tokens, per session",
                 {"session", "variant"});
    prom.declare("llmbench_session_cost_usd", T::counter, "Cost (USD), per session",
                 {"session", "variant"});
    prom.declare("llmbench_proxy_in_flight", T::gauge, "Requests the proxy is forwarding now", {});
  }

  std::string create_anonymous_run() {
    store::RunRow run;
    run.id = util::uuid_v7();
    run.suite_name = "proxy (anonymous)";
    run.suite_path = options.config.path;
    run.suite_hash = options.config.hash;
    run.llmbench_version = build_info::k_version;
    run.host = util::hostname();
    run.started_at_ms = util::unix_ms_now();
    run.tags_json = R"({"proxy":"anonymous"})";
    std::lock_guard lock(db_mu);
    store::insert_run(db, run);
    return run.id;
  }

  // --- answering ---------------------------------------------------------------------------

  static asio::awaitable<bool> send(net::Connection& conn,
                                    const http::request<http::string_body>& req,
                                    http::status status, std::string body,
                                    std::string_view content_type = "application/json") {
    const bool sent = co_await http_writes::send(conn, req.version(), req.keep_alive(), status,
                                                 std::move(body), content_type, "llmbench-proxy");
    co_return sent&& req.keep_alive();
  }

  // A refusal in the provider's shape, counted as a failed request.
  asio::awaitable<bool> refuse(net::Connection& conn, const http::request<http::string_body>& req,
                               Endpoint endpoint, http::status status, std::string_view type,
                               std::string_view message, const Caller* caller = nullptr,
                               std::string_view requested_model = {}) {
    const std::string code = std::to_string(static_cast<int>(status));
    const std::string alias = caller != nullptr ? caller->alias_label : "";
    const std::string hashed = caller != nullptr ? caller->hashed_key : "";
    const std::string model(requested_model);
    prom.add("litellm_proxy_total_requests_metric", {"", hashed, alias, model, "", "", "", code});
    prom.add("litellm_proxy_failed_requests_metric",
             {"", hashed, alias, model, "", "", "", code, std::string(type)});
    co_return co_await send(conn, req, status,
                            mock::error_body(protocol_of(endpoint), type, message));
  }

  // The session a request's key names, or why it is refused (status and message).
  struct Auth {
    std::optional<Caller> caller;
    http::status status = http::status::unauthorized;
    std::string message;
  };
  Auth authenticate(const http::request<http::string_body>& req) {
    std::string key;
    if (const auto it = req.find(http::field::authorization); it != req.end()) {
      std::string_view v(it->value().data(), it->value().size());
      if (util::starts_with_ci(v, "bearer ")) {
        key = std::string(util::trim(v.substr(7)));
      }
    }
    if (key.empty()) {
      if (const auto it = req.find("x-api-key"); it != req.end()) {
        key = std::string(util::trim(std::string_view(it->value().data(), it->value().size())));
      }
    }
    Auth auth;
    const auto anonymous = [&] {
      Caller c;
      c.run_id = *anonymous_run;
      auth.caller = c;
      return auth;
    };
    if (key.empty()) {
      if (anonymous_run) {
        return anonymous();
      }
      auth.message =
          "no session key: create a session with `llmbench session create` and point the "
          "harness at this proxy with `llmbench session env` (or start the proxy with "
          "--allow-anonymous)";
      return auth;
    }
    const std::string hash = session::key_hash(key);
    std::optional<store::SessionRow> s;
    if (session::is_session_key(key)) {
      std::lock_guard lock(db_mu);
      s = store::session_by_key_hash(db, hash);
    }
    if (!s) {
      if (anonymous_run) {
        return anonymous();
      }
      auth.message =
          "unknown key: this proxy accepts llmbench session keys only (see "
          "`llmbench session create`)";
      return auth;
    }
    if (!s->open_at(util::unix_ms_now())) {
      auth.message =
          s->status == "active"
              ? fmt::format("session {} has passed its timebox; create a new session", s->id)
              : fmt::format("session {} is finalized ({}); create a new session", s->id, s->status);
      return auth;
    }
    Caller c;
    c.run_id = s->run_id;
    c.session_id = s->id;
    c.alias_label = s->id;
    c.hashed_key = hash;
    c.variant = s->variant;
    c.harness = s->harness;
    auth.caller = std::move(c);
    return auth;
  }

  asio::awaitable<void> session(net::Connection& conn) {
    for (;;) {
      auto req = co_await conn.read_request();
      if (!req) {
        break;
      }
      const std::int64_t t_recv = upstream.now_ns();
      const bool keep = co_await handle(conn, *req, t_recv);
      if (!keep) {
        break;
      }
    }
  }

  asio::awaitable<bool> handle(net::Connection& conn, http::request<http::string_body>& req,
                               std::int64_t t_recv) {
    std::string_view path(req.target().data(), req.target().size());
    path = path.substr(0, path.find('?'));
    if (path.rfind("/v1/", 0) == 0) {
      path.remove_prefix(3);
    }
    const bool get = req.method() == http::verb::get;
    const bool post = req.method() == http::verb::post;
    if (path == "/health" && get) {
      co_return co_await send(conn, req, http::status::ok, R"({"status":"ok"})");
    }
    if (path == "/metrics" && get) {
      prom.set("llmbench_proxy_in_flight", {}, static_cast<double>(in_flight.load()));
      co_return co_await send(conn, req, http::status::ok, prom.render(),
                              "text/plain; version=0.0.4; charset=utf-8");
    }
    if (path == "/models" && get) {
      std::string body = R"({"object":"list","data":[)";
      for (std::size_t i = 0; i < options.config.models.size(); ++i) {
        body += i > 0 ? ",{\"id\":" : "{\"id\":";
        util::append_json_string(body, options.config.models[i].alias);
        body += R"(,"object":"model","created":0,"owned_by":"llmbench-proxy"})";
      }
      body += "]}";
      co_return co_await send(conn, req, http::status::ok, std::move(body));
    }
    Endpoint endpoint;
    if (path == "/chat/completions") {
      endpoint = Endpoint::chat;
    } else if (path == "/responses") {
      endpoint = Endpoint::responses;
    } else if (path == "/messages") {
      endpoint = Endpoint::messages;
    } else if (path == "/messages/count_tokens") {
      endpoint = Endpoint::count_tokens;
    } else {
      co_return co_await refuse(
          conn, req, Endpoint::chat, http::status::not_found, "not_found_error",
          fmt::format("the llmbench proxy serves POST /v1/chat/completions, /v1/responses, "
                      "/v1/messages, /v1/messages/count_tokens and GET /v1/models, /metrics, "
                      "/health; not {}",
                      path));
    }
    if (!post) {
      co_return co_await refuse(conn, req, endpoint, http::status::method_not_allowed,
                                "invalid_request_error", "use POST");
    }
    Auth auth = authenticate(req);
    if (!auth.caller) {
      co_return co_await refuse(conn, req, endpoint, auth.status, "authentication_error",
                                auth.message);
    }
    const Caller& caller = *auth.caller;
    auto body = read_client_body(req.body());
    if (!body) {
      co_return co_await refuse(conn, req, endpoint, http::status::bad_request,
                                "invalid_request_error", body.error(), &caller);
    }
    const session::ModelAlias* alias = options.config.model(body->model);
    if (const session::ProxyRoute* route = options.config.route(body->model)) {
      const auto* first = options.config.model(route->members.front());
      const bool anthropic_route = protocol_of(endpoint) == mock::Protocol::anthropic;
      for (const auto& m : route->members) {
        const auto p = options.config.model(m)->provider;
        if ((anthropic_route && p == suite::Provider::openai) ||
            (!anthropic_route && p == suite::Provider::anthropic)) {
          co_return co_await refuse(
              conn, req, endpoint, http::status::bad_request, "invalid_request_error",
              fmt::format("route \"{}\" has {} members; this endpoint speaks the {} protocol and "
                          "the proxy does not translate between them",
                          route->name, suite::to_string(p),
                          anthropic_route ? "Anthropic" : "OpenAI"),
              &caller, body->model);
        }
      }
      if (endpoint == Endpoint::count_tokens) {  // a utility call: the primary answers it
        co_return co_await forward(conn, req, endpoint, caller, *first, *body, t_recv);
      }
      co_return co_await forward_route(conn, req, endpoint, caller, *route, *body, t_recv);
    }
    if (alias == nullptr) {
      std::vector<std::string> names;
      for (const auto& m : options.config.models) {
        names.push_back(m.alias);
      }
      for (const auto& r : options.config.routes) {
        names.push_back(r.name);
      }
      co_return co_await refuse(
          conn, req, endpoint, http::status::not_found, "not_found_error",
          fmt::format("model \"{}\" is not served by this proxy (its aliases: {})", body->model,
                      fmt::join(names, ", ")),
          &caller, body->model);
    }
    const bool anthropic_path = protocol_of(endpoint) == mock::Protocol::anthropic;
    if ((anthropic_path && alias->provider == suite::Provider::openai) ||
        (!anthropic_path && alias->provider == suite::Provider::anthropic)) {
      co_return co_await refuse(
          conn, req, endpoint, http::status::bad_request, "invalid_request_error",
          fmt::format("model \"{}\" is an {} upstream; this endpoint speaks the {} protocol and "
                      "the proxy does not translate between them",
                      alias->alias, suite::to_string(alias->provider),
                      anthropic_path ? "Anthropic" : "OpenAI"),
          &caller, body->model);
    }
    co_return co_await forward(conn, req, endpoint, caller, *alias, *body, t_recv);
  }

  net::HttpRequest upstream_request(const http::request<http::string_body>& req, Endpoint endpoint,
                                    const session::ModelAlias& alias, const ClientBody& body) {
    net::HttpRequest h;
    h.method = "POST";
    std::string_view path(req.target().data(), req.target().size());
    if (path.rfind("/v1/", 0) == 0) {
      path.remove_prefix(3);
    }
    h.url = alias.base_url + std::string(path);
    h.headers.emplace_back("Content-Type", "application/json");
    for (const auto& field : req) {
      const std::string_view name(field.name_string().data(), field.name_string().size());
      if (kept_from_client(name)) {
        h.headers.emplace_back(std::string(name),
                               std::string(field.value().data(), field.value().size()));
      }
    }
    const auto key = keys.find(alias.alias);
    const bool anthropic = endpoint == Endpoint::messages || endpoint == Endpoint::count_tokens;
    if (anthropic) {
      if (key != keys.end()) {
        h.headers.emplace_back("x-api-key", key->second);
      }
      if (req.find("anthropic-version") == req.end()) {
        h.headers.emplace_back("anthropic-version", "2023-06-01");
      }
    } else if (key != keys.end()) {
      h.headers.emplace_back("Authorization", "Bearer " + key->second);
    }
    for (const auto& kv : alias.headers) {
      h.headers.push_back(kv);
    }
    h.body = with_model(req.body(), body, alias.model);
    h.connect_timeout = options.config.proxy.connect_timeout;
    h.total_timeout = options.config.proxy.timeout;
    return h;
  }

  std::unique_ptr<providers::ResponseParser> parser_for(Endpoint endpoint, bool stream) {
    providers::ParserOptions o;
    o.stream = stream;
    o.keep_text = options.config.proxy.store_content;
    o.redactor = &redactor;
    switch (endpoint) {
      case Endpoint::chat:
        return providers::openai_codec().parser(o);
      case Endpoint::responses:
        return providers::responses_codec().parser(o);
      case Endpoint::messages:
      case Endpoint::count_tokens:
        break;
    }
    return providers::anthropic_codec().parser(o);
  }

  // Starts one upstream request for `alias`; `finished` runs once both its sides are done.
  std::shared_ptr<Forward> start_forward(net::Connection& conn,
                                         const http::request<http::string_body>& req,
                                         Endpoint endpoint, const session::ModelAlias& alias,
                                         const ClientBody& body) {
    std::weak_ptr<net::Connection> weak = conn.shared_from_this();
    return std::make_shared<Forward>(upstream_request(req, endpoint, alias, body),
                                     parser_for(endpoint, body.stream), [weak] {
                                       if (auto c = weak.lock()) {
                                         c->wake();
                                       }
                                     });
  }

  std::shared_ptr<Call> new_call(const http::request<http::string_body>& req, Endpoint endpoint,
                                 const Caller& caller, const session::ModelAlias& alias,
                                 std::int64_t t_recv) {
    auto call = std::make_shared<Call>();
    call->caller = caller;
    call->endpoint = endpoint;
    call->alias = &alias;
    call->requested = alias.alias;
    call->t_recv = t_recv;
    if (options.config.proxy.store_content) {
      call->request_body = req.body();
    }
    return call;
  }

  asio::awaitable<bool> forward(net::Connection& conn, const http::request<http::string_body>& req,
                                Endpoint endpoint, const Caller& caller,
                                const session::ModelAlias& alias, const ClientBody& body,
                                std::int64_t t_recv) {
    auto call = new_call(req, endpoint, caller, alias, t_recv);
    auto fwd = start_forward(conn, req, endpoint, alias, body);
    Forward* raw = fwd.get();
    fwd->on_finished = [this, raw, call] { record(*raw, *call); };
    in_flight.fetch_add(1);
    upstream.submit(fwd);
    const bool ok = co_await stream_to_client(conn, req, *fwd, *call, endpoint, alias);
    if (!ok) {
      call->client_disconnected = true;
      upstream.cancel(fwd);
    }
    if (fwd->done_client()) {
      record(*fwd, *call);
    }
    co_return ok&& req.keep_alive();
  }

  // Streams `fwd`'s answer to the client as it arrives, until its end or the client's; the
  // client's times go into `call`. False when the client is gone.
  asio::awaitable<bool> stream_to_client(net::Connection& conn,
                                         const http::request<http::string_body>& req, Forward& fwd,
                                         Call& call, Endpoint endpoint,
                                         const session::ModelAlias& alias) {
    bool head_sent = false;
    bool ok = true;
    for (;;) {
      Forward::Taken t = fwd.take();
      if (t.status) {
        http::response<http::empty_body> res{static_cast<http::status>(*t.status), req.version()};
        for (const auto& [k, v] : t.headers) {
          res.set(k, v);
        }
        res.set(http::field::server, "llmbench-proxy");
        res.keep_alive(req.keep_alive());
        res.chunked(true);
        http::response_serializer<http::empty_body> serializer{res};
        error_code ec;
        {
          const auto deadline = conn.write_deadline();
          co_await http::async_write_header(conn.socket(), serializer,
                                            asio::redirect_error(asio::use_awaitable, ec));
        }
        if (ec) {
          ok = false;
          break;
        }
        head_sent = true;
      }
      if (!t.bytes.empty()) {
        if (!co_await http_writes::chunk(conn, t.bytes)) {
          ok = false;
          break;
        }
        if (t.has_first_token && !call.t_client_first) {
          call.t_client_first = upstream.now_ns();
        }
      }
      if (t.complete) {
        if (!head_sent) {
          // No answer at all: the upstream could not be reached, or timed out.
          const auto& r = fwd.parser().response();
          const bool timeout = r.error == net::ErrorClass::timeout_connect ||
                               r.error == net::ErrorClass::timeout_total ||
                               r.error == net::ErrorClass::timeout_ttft;
          const std::string message =
              fmt::format("upstream {} ({}) failed: {} ({})", alias.alias, alias.base_url,
                          redactor.redact(r.error_message), net::to_string(r.error));
          ok = co_await http_writes::send(
              conn, req.version(), req.keep_alive(),
              timeout ? http::status::gateway_timeout : http::status::bad_gateway,
              mock::error_body(protocol_of(endpoint), "api_error", message), "application/json",
              "llmbench-proxy");
        } else {
          ok = co_await http_writes::last_chunk(conn);
        }
        call.t_client_done = upstream.now_ns();
        break;
      }
      if (t.status || !t.bytes.empty()) {
        // A write yielded: a wake() meanwhile found no wait to end, so look again before
        // waiting (the wait below must follow an empty take() with no yield between).
        continue;
      }
      // Until the engine has more (wake()), or the client hangs up.
      if (!co_await conn.wait_until(Clock::now() + std::chrono::hours(1))) {
        ok = false;
        break;
      }
    }
    co_return ok;
  }

  // A request for a route's name: its members under the route's policy (route::RouteRequest,
  // the state machine `llmbench run` drives for a suite's routes). Nothing reaches the client
  // until an attempt commits (its first token, or its whole answer) or the route has failed;
  // then that attempt's answer is streamed and the others are cancelled.
  asio::awaitable<bool> forward_route(net::Connection& conn,
                                      const http::request<http::string_body>& req,
                                      Endpoint endpoint, const Caller& caller,
                                      const session::ProxyRoute& route, const ClientBody& body,
                                      std::int64_t t_recv) {
    route::RouteOptions ro;
    ro.policy = route.policy;
    ro.members = route.members.size();
    ro.hedge_k = route.hedge_k;
    ro.commit = route.commit;
    const auto first_alias = options.config.model(route.members.front());
    auto rc = std::make_shared<RouteCall>(
        route::RouteRequest(ro, route.hedge_delay.count(), nullptr), route);
    rc->call = *new_call(req, endpoint, caller, *first_alias, t_recv);
    rc->call.requested = route.name;
    rc->pending = 1;  // this coroutine's own share
    in_flight.fetch_add(1);
    const auto apply = [&](const std::vector<route::RouteRequest::Action>& actions) {
      for (const auto& action : actions) {
        if (action.kind == route::RouteRequest::Action::Kind::cancel) {
          rc->cancel_ns.resize(rc->state.attempts().size(), -1);
          rc->cancel_ns[action.attempt] = upstream.now_ns();
          upstream.cancel(rc->attempts[action.attempt]);
          continue;
        }
        const std::size_t member = rc->state.attempts()[action.attempt].member;
        const session::ModelAlias* alias = options.config.model(route.members[member]);
        auto fwd = start_forward(conn, req, endpoint, *alias, body);
        fwd->on_finished = [this, rc] { route_side_done(rc); };
        rc->attempts.resize(rc->state.attempts().size());
        rc->aliases.resize(rc->state.attempts().size());
        rc->cancel_ns.resize(rc->state.attempts().size(), -1);
        rc->attempts[action.attempt] = fwd;
        rc->aliases[action.attempt] = alias;
        rc->pending.fetch_add(1);
        upstream.submit(fwd);
      }
    };
    apply(rc->state.begin(upstream.now_ns()));
    std::vector<bool>& told_first = rc->told_first;
    std::vector<bool>& told_done = rc->told_done;
    std::optional<std::size_t> chosen;
    bool ok = true;
    while (!chosen) {
      const std::int64_t now = upstream.now_ns();
      for (std::size_t k = 0; k < rc->attempts.size(); ++k) {
        told_first.resize(rc->attempts.size(), false);
        told_done.resize(rc->attempts.size(), false);
        const Forward::Peek p = rc->attempts[k]->peek();
        if (p.first_token && !told_first[k]) {
          told_first[k] = true;
          apply(rc->state.on_first_token(k, now));
        }
        if (p.complete && !told_done[k]) {
          told_done[k] = true;
          apply(rc->state.on_done(k, route::classify(rc->attempts[k]->parser().response()), now));
        }
      }
      if (const auto due = rc->state.next_timer(); due && *due <= now) {
        apply(rc->state.on_timer(now));
      }
      if (rc->state.winner()) {
        chosen = rc->state.winner();
      } else if (rc->state.finished()) {
        chosen = rc->state.result().value_or(0);
      }
      if (chosen) {
        break;
      }
      const auto due = rc->state.next_timer();
      const auto until = due ? Clock::now() + std::chrono::nanoseconds(*due - now)
                             : Clock::now() + std::chrono::hours(1);
      if (!co_await conn.wait_until(until)) {
        ok = false;
        break;
      }
    }
    if (chosen) {
      rc->chosen = *chosen;
      rc->call.alias = rc->aliases[*chosen];
      ok = co_await stream_to_client(conn, req, *rc->attempts[*chosen], rc->call, endpoint,
                                     *rc->aliases[*chosen]);
    }
    if (!ok) {
      rc->call.client_disconnected = true;
    }
    // Every attempt still running ends now (the winner has; a loser may still stream).
    for (std::size_t k = 0; k < rc->attempts.size(); ++k) {
      if (!ok || (chosen && k != *chosen)) {
        upstream.cancel(rc->attempts[k]);
      }
      if (rc->attempts[k]->done_client()) {
        route_side_done(rc);
      }
    }
    route_side_done(rc);  // this coroutine's share
    co_return ok&& req.keep_alive();
  }

  // One side of one attempt of a route's request is done; the last records the request.
  void route_side_done(const std::shared_ptr<RouteCall>& rc) {
    if (rc->pending.fetch_sub(1) == 1) {
      record_route(*rc);
      in_flight.fetch_sub(1);
    }
  }

  // --- recording ---------------------------------------------------------------------------

  // The run's state, read from the store the first time it is seen.
  RunState& run_state(const std::string& run_id) {
    auto it = runs.find(run_id);
    if (it != runs.end()) {
      return it->second;
    }
    RunState s;
    std::lock_guard lock(db_mu);
    const auto run = store::get_run(db, run_id);
    const std::int64_t started_ms = run ? run->started_at_ms : util::unix_ms_now();
    s.offset_ns = wall_at_epoch_ns - started_ms * 1'000'000;
    auto st = db.prepare("SELECT COALESCE(MAX(seq), 0) FROM requests WHERE run_id = ?1");
    st.bind(1, run_id);
    if (st.step()) {
      s.next_seq = st.int64(0) + 1;
    }
    auto targets = db.prepare("SELECT target FROM run_targets WHERE run_id = ?1");
    targets.bind(1, run_id);
    while (targets.step()) {
      s.targets.insert(targets.text(0));
    }
    return runs.emplace(run_id, std::move(s)).first->second;
  }

  void record(const Forward& fwd, const Call& call) {
    if (call.endpoint != Endpoint::count_tokens) {  // a utility call: forwarded, not measured
      store(fwd, call);
    }
    in_flight.fetch_sub(1);  // after the push: flush() waits for it
  }

  // USD for an upstream answer: the alias's price, else the built-in table's; a mock is free.
  static std::optional<double> billed(const session::ModelAlias& alias,
                                      const providers::Response& r) {
    if (alias.provider == suite::Provider::mock) {
      return 0.0;
    }
    std::optional<pricing::Price> price = alias.price;
    if (!price) {
      if (auto p =
              pricing::PriceBook::builtin().find(suite::to_string(alias.provider), alias.model)) {
        price = p->price;
      }
    }
    if (!price) {
      return std::nullopt;
    }
    pricing::Usage usage;
    usage.input_tokens = r.input_tokens.value_or(0);
    usage.cached_input_tokens = r.cached_input_tokens.value_or(0);
    usage.output_tokens = r.output_token_count();
    return pricing::cost_usd(*price, usage);
  }

  void record_route(RouteCall& rc) {
    // Every attempt has ended now: the state machine hears of the ends it has not seen (the
    // winner's, the cancelled losers'), and starts nothing more.
    rc.told_first.resize(rc.attempts.size(), false);
    rc.told_done.resize(rc.attempts.size(), false);
    for (std::size_t k = 0; k < rc.attempts.size(); ++k) {
      const providers::Response& r = rc.attempts[k]->parser().response();
      if (!rc.told_first[k] && r.t_first_token_ns >= 0) {
        rc.state.on_first_token(k, r.t_first_token_ns);
      }
      if (!rc.told_done[k]) {
        rc.state.on_done(k, route::classify(r), r.t_done_ns >= 0 ? r.t_done_ns : upstream.now_ns());
      }
    }
    const std::size_t chosen = rc.chosen.value_or(rc.state.result().value_or(0));
    std::vector<route::MemberResult> results(rc.attempts.size());
    for (std::size_t k = 0; k < rc.attempts.size(); ++k) {
      const providers::ResponseParser& parser = rc.attempts[k]->parser();
      results[k].response = parser.response();
      results[k].streamed = parser.streamed();
      results[k].cost_usd = billed(*rc.aliases[k], parser.response());
      results[k].cancel_ns = k < rc.cancel_ns.size() ? rc.cancel_ns[k] : -1;
    }
    route::RequestRecords records = route::request_records(rc.state, rc.route.members, results);
    RouteExtras extras;
    extras.route = &rc.route;
    extras.send_ns = rc.state.send_ns();
    extras.cost_usd = records.cost_usd;
    extras.attempts = std::move(records.attempts);
    rc.call.alias = rc.aliases[chosen];
    store(*rc.attempts[chosen], rc.call, &extras);
  }

  void store(const Forward& fwd, const Call& call, const RouteExtras* extras = nullptr) {
    const providers::ResponseParser& parser = fwd.parser();
    const providers::Response& r = parser.response();
    const session::ModelAlias& alias = *call.alias;
    const std::string& target = extras != nullptr ? extras->route->name : alias.alias;
    store::RequestRow row;
    std::int64_t offset = 0;
    {
      std::lock_guard lock(runs_mu);
      RunState& state = run_state(call.caller.run_id);
      row.seq = state.next_seq++;
      offset = state.offset_ns;
      if (state.targets.insert(target).second) {
        store::RunTargetRow t;
        t.run_id = call.caller.run_id;
        t.target = target;
        if (extras != nullptr) {
          t.provider = "route";
          t.model = fmt::format("{}", fmt::join(extras->route->members, ","));
        } else {
          t.provider = std::string(suite::to_string(alias.provider));
          t.model = alias.model;
          t.base_url = alias.base_url;
        }
        std::lock_guard db_lock(db_mu);
        store::insert_run_target(db, t);
      }
    }
    const auto at = [offset](std::int64_t t) { return t + offset; };
    row.run_id = call.caller.run_id;
    row.target = target;
    row.prompt_id = std::string(endpoint_name(call.endpoint));
    row.t_sched_ns = at(call.t_recv);
    const net::TransferResult& tr = fwd.result();
    row.t_send_ns = at(extras != nullptr ? extras->send_ns : tr.t_send_ns);
    route::fill_answer(row, r, offset, extras == nullptr);
    if (r.t_done_ns < 0) {
      row.t_done_ns = at(tr.t_done_ns);
    }
    if (!r.ok()) {
      row.error_class = std::string(net::to_string(r.error));
      row.error_message = r.error_message;
    }
    row.streamed = parser.streamed();
    if (extras != nullptr) {
      row.cost_usd = extras->cost_usd;  // every attempt's, the losers' too
      row.route_attempts = extras->attempts;
      for (auto& a : row.route_attempts) {
        for (auto* t : {&a.t_send_ns, &a.t_first_token_ns, &a.t_done_ns}) {
          if (*t) {
            **t = at(**t);
          }
        }
      }
    } else if (r.ok() || alias.provider == suite::Provider::mock) {
      row.cost_usd = billed(alias, r);
    }
    if (options.config.proxy.store_content) {
      row.request_body = call.request_body;
      row.response_text = r.text;
    }
    store::ProxyRow p;
    p.session_id = call.caller.session_id;
    p.endpoint = std::string(endpoint_name(call.endpoint));
    p.requested_model = call.requested;
    p.upstream_model = alias.model;
    p.t_recv_ns = at(call.t_recv);
    if (call.t_client_first) {
      p.t_client_first_ns = at(*call.t_client_first);
    }
    if (call.t_client_done) {
      p.t_client_done_ns = at(*call.t_client_done);
    }
    p.client_disconnected = call.client_disconnected;
    p.content_gaps = store::encode_gaps(r.content_times_ns);
    row.proxy = std::move(p);
    observe(row, call, r);
    writer.push(std::move(row));
    recorded.fetch_add(1);
  }

  void observe(const store::RequestRow& row, const Call& call, const providers::Response& r) {
    const Caller& c = call.caller;
    const session::ModelAlias& alias = *call.alias;
    const std::string status = row.status_code ? std::to_string(*row.status_code) : "0";
    const std::string& requested = call.requested;
    prom.add("litellm_proxy_total_requests_metric",
             {"", c.hashed_key, c.alias_label, requested, "", "", "", status});
    const std::string session_label = c.session_id.value_or("anonymous");
    prom.add("llmbench_session_requests", {session_label, c.variant, c.harness, requested});
    if (row.error_class) {
      prom.add("litellm_proxy_failed_requests_metric",
               {"", c.hashed_key, c.alias_label, requested, "", "", "", status, *row.error_class});
      prom.add("llmbench_session_errors", {session_label, c.variant, *row.error_class});
      return;
    }
    const std::vector<std::string> labels = {
        alias.model, requested, c.alias_label, c.hashed_key, "", "", "", ""};
    const std::int64_t api = *row.t_done_ns - *row.t_send_ns;
    prom.observe("litellm_llm_api_latency_metric", labels, seconds(api));
    if (row.proxy->t_client_done_ns) {
      const std::int64_t total = *row.proxy->t_client_done_ns - row.proxy->t_recv_ns;
      prom.observe("litellm_request_total_latency_metric", labels, seconds(total));
      prom.observe("litellm_overhead_latency_metric",
                   {alias.alias, std::string(suite::to_string(alias.provider)), alias.base_url,
                    alias.model, c.hashed_key, c.alias_label},
                   seconds(std::max<std::int64_t>(0, total - api)));
    }
    if (row.streamed && row.t_first_token_ns) {
      const double ttft = seconds(*row.t_first_token_ns - *row.t_send_ns);
      prom.observe("litellm_llm_api_time_to_first_token_metric",
                   {alias.model, c.hashed_key, c.alias_label, "", ""}, ttft);
      prom.observe("llmbench_session_ttft_seconds", {session_label, c.variant}, ttft);
    }
    prom.add("litellm_input_tokens_metric", labels,
             static_cast<double>(row.input_tokens.value_or(0)));
    prom.add("litellm_output_tokens_metric", labels, static_cast<double>(r.output_token_count()));
    prom.add("llmbench_session_output_tokens", {session_label, c.variant},
             static_cast<double>(r.output_token_count()));
    if (row.cost_usd) {
      prom.add("litellm_spend_metric", {"", c.hashed_key, c.alias_label, alias.model, "", "", ""},
               *row.cost_usd);
      prom.add("llmbench_session_cost_usd", {session_label, c.variant}, *row.cost_usd);
    }
  }
};

ProxyServer::ProxyServer(ProxyServerOptions options)
    : m_impl(std::make_unique<Impl>(std::move(options))) {}

ProxyServer::~ProxyServer() {
  try {
    stop();
  } catch (...) {
    // Destructors must not throw; stop() explicitly to see the error.
  }
}

void ProxyServer::start() {
  m_impl->listener.start(
      [impl = m_impl.get()](net::Connection& conn) { return impl->session(conn); });
}

void ProxyServer::stop() {
  if (!m_impl->listener.running()) {
    return;
  }
  m_impl->listener.stop();
  // Requests cut off by the stop mid-stream are not stored (their connections are gone).
  m_impl->writer.flush();
  if (m_impl->anonymous_run) {
    std::lock_guard lock(m_impl->db_mu);
    load::rebuild_histograms(m_impl->db, *m_impl->anonymous_run);
    store::finish_run(m_impl->db, *m_impl->anonymous_run, "completed", util::unix_ms_now());
  }
}

std::uint16_t ProxyServer::port() const {
  return m_impl->listener.port();
}

std::string ProxyServer::base_url() const {
  return fmt::format("http://{}:{}", m_impl->options.host, m_impl->listener.port());
}

std::uint64_t ProxyServer::recorded() const {
  return m_impl->recorded.load();
}

void ProxyServer::flush() {
  // Requests whose client has its last byte may still be on their way to the store (the side
  // that finishes second records them): wait for those first.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (m_impl->in_flight.load() > 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  m_impl->writer.flush();
}

std::string ProxyServer::metrics_text() const {
  return m_impl->prom.render();
}

}  // namespace llmbench::server
