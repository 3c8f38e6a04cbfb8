#include "llmbench/server/mock_server.hpp"

// GCC 12 misreads Asio's coroutine frame allocator (operator new/delete pairs inside
// awaitable_frame_base) as mismatched; the pairing is Asio's and correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <fmt/format.h>
#include <simdjson.h>

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "http_writes.hpp"
#include "llmbench/net/connection.hpp"
#include "llmbench/net/listener.hpp"
#include "llmbench/util/duration.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/json_writer.hpp"
#include "mock_events.hpp"

namespace llmbench::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
using mock::ChatInput;
using mock::error_body;
using mock::EventWriter;
using mock::Protocol;

namespace {

constexpr std::size_t k_max_reported_gaps = 4096;
constexpr std::chrono::minutes k_max_hold{10};

Result<MockOverrides> read_overrides(const http::request<http::string_body>& req) {
  MockOverrides o;
  const auto header = [&](std::string_view name) -> std::optional<std::string_view> {
    const auto it = req.find(beast::string_view(name.data(), name.size()));
    if (it == req.end()) {
      return std::nullopt;
    }
    return std::string_view(it->value().data(), it->value().size());
  };
  const auto fail = [](std::string_view name, const std::string& why) {
    return Result<MockOverrides>::failure(fmt::format("header {}: {}", name, why));
  };
  if (auto v = header("x-mock-ttft")) {
    auto d = Distribution::parse(*v, true);
    if (!d) {
      return fail("x-mock-ttft", d.error());
    }
    o.ttft = *d;
  }
  if (auto v = header("x-mock-itl")) {
    auto d = Distribution::parse(*v, true);
    if (!d) {
      return fail("x-mock-itl", d.error());
    }
    o.itl = *d;
  }
  if (auto v = header("x-mock-output-tokens")) {
    if (*v == "max_tokens") {
      o.output_from_max_tokens = true;
      o.output_tokens = Distribution::fixed(64);
    } else {
      auto d = Distribution::parse(*v, false);
      if (!d) {
        return fail("x-mock-output-tokens", d.error());
      }
      o.output_tokens = *d;
    }
  }
  const auto integer = [](std::string_view v) -> std::optional<std::int64_t> {
    std::int64_t n = 0;
    const auto [ptr, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || ptr != v.data() + v.size()) {
      return std::nullopt;
    }
    return n;
  };
  if (auto v = header("x-mock-tokens-per-chunk")) {
    const auto n = integer(*v);
    if (!n || *n < 1) {
      return fail("x-mock-tokens-per-chunk", "must be an integer >= 1");
    }
    o.tokens_per_chunk = *n;
  }
  if (auto v = header("x-mock-seed")) {
    const auto n = integer(*v);
    if (!n || *n < 0) {
      return fail("x-mock-seed", "must be a non-negative integer");
    }
    o.seed = static_cast<std::uint64_t>(*n);
  }
  if (auto v = header("x-mock-index")) {
    const auto n = integer(*v);
    if (!n || *n < 0) {
      return fail("x-mock-index", "must be a non-negative integer");
    }
    o.index = static_cast<std::uint64_t>(*n);
  }
  if (auto v = header("x-mock-faults")) {
    auto rates = FaultRates::parse(*v);
    if (!rates) {
      return fail("x-mock-faults", rates.error());
    }
    o.faults = *rates;
  }
  if (auto v = header("x-mock-timings")) {
    if (*v != "llama.cpp" && *v != "none") {
      return fail("x-mock-timings", "must be llama.cpp or none");
    }
    o.llamacpp_timings = *v == "llama.cpp";
  }
  if (auto v = header("x-mock-timings-skew")) {
    auto d = util::parse_duration(*v);
    if (!d) {
      return fail("x-mock-timings-skew", d.error());
    }
    o.timings_skew = *d;
  }
  if (auto v = header("x-mock-fault")) {
    const auto f = fault_from_string(*v);
    if (!f) {
      return fail("x-mock-fault", fmt::format("unknown fault \"{}\"", *v));
    }
    o.fault = *f;
  }
  return o;
}

std::int64_t steady_ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// The instants this mock handed each content event of a stream to the socket (asked for with
// x-mock-write-times), in steady-clock nanoseconds: the mock's half of the ground truth.
struct WriteLog {
  std::vector<std::int64_t> at;  // one per content event, in order
  std::size_t unstamped = 0;     // content events appended since the last write
  void stamp(Clock::time_point now) {
    at.insert(at.end(), unstamped, steady_ns(now));
    unstamped = 0;
  }
  // The trailing SSE comment that reports them.
  std::string comment() const {
    std::string out = ": mock-write-ns ";
    for (std::size_t i = 0; i < at.size() && i <= k_max_reported_gaps; ++i) {
      if (i > 0) {
        out += ',';
      }
      out += std::to_string(at[i]);
    }
    out += "\n\n";
    return out;
  }
};

}  // namespace

struct MockServer::Impl {
  MockProfile profile;
  MockServerOptions options;
  std::atomic<std::uint64_t> counter{0};
  std::atomic<std::uint64_t> served{0};
  net::Listener listener;

  Impl(MockProfile p, MockServerOptions o)
      : profile(std::move(p)),
        options(std::move(o)),
        listener("mock", options.host, options.port, options.threads, options.limits, options.log) {
  }

  asio::awaitable<void> session(net::Connection& conn) {
    for (;;) {
      auto req = co_await conn.read_request();
      if (!req) {
        break;  // closed, idle, or not HTTP (answered)
      }
      const Clock::time_point t_recv = Clock::now();
      served.fetch_add(1, std::memory_order_relaxed);  // counted before the answer is seen
      const bool keep = co_await handle(conn, *req, t_recv);
      if (!keep) {
        break;
      }
    }
  }

  asio::awaitable<bool> send(net::Connection& conn, const http::request<http::string_body>& req,
                             http::status status, std::string body,
                             std::string_view content_type = "application/json",
                             http::fields extra = {}) {
    const bool sent =
        co_await http_writes::send(conn, req.version(), req.keep_alive(), status, std::move(body),
                                   content_type, "llmbench-mock", extra);
    co_return sent&& req.keep_alive();
  }

  asio::awaitable<bool> handle(net::Connection& conn, http::request<http::string_body>& req,
                               Clock::time_point t_recv) {
    std::string_view target(req.target().data(), req.target().size());
    target = target.substr(0, target.find('?'));
    const bool post = req.method() == http::verb::post;
    const bool get = req.method() == http::verb::get;
    if (target == "/health" && get) {
      co_return co_await send(conn, req, http::status::ok, R"({"status":"ok"})");
    }
    if (target == "/v1/models" && get) {
      std::string body = R"({"object":"list","data":[{"id":)";
      util::append_json_string(body, profile.model);
      body += R"(,"object":"model","created":0,"owned_by":"llmbench-mock"}]})";
      co_return co_await send(conn, req, http::status::ok, std::move(body));
    }
    Protocol protocol;
    if (target == "/v1/chat/completions") {
      protocol = Protocol::openai;
    } else if (target == "/v1/messages") {
      protocol = Protocol::anthropic;
    } else if (target == "/v1/responses") {
      protocol = Protocol::responses;
    } else if (target == "/v1/messages/count_tokens" && post) {
      auto in = mock::read_chat(req.body(), Protocol::anthropic, true);
      if (!in) {
        co_return co_await send(
            conn, req, http::status::bad_request,
            error_body(Protocol::anthropic, "invalid_request_error", in.error()));
      }
      co_return co_await send(conn, req, http::status::ok,
                              fmt::format(R"({{"input_tokens":{}}})", in->input_tokens));
    } else {
      co_return co_await send(
          conn, req, http::status::not_found,
          error_body(Protocol::openai, "not_found_error",
                     fmt::format("the mock serves POST /v1/chat/completions, POST /v1/responses, "
                                 "POST /v1/messages, POST /v1/messages/count_tokens, "
                                 "GET /v1/models and GET /health, not {}",
                                 target)));
    }
    if (!post) {
      co_return co_await send(conn, req, http::status::method_not_allowed,
                              error_body(protocol, "invalid_request_error", "use POST"));
    }
    auto in = mock::read_chat(req.body(), protocol);
    if (!in) {
      co_return co_await send(conn, req, http::status::bad_request,
                              error_body(protocol, "invalid_request_error", in.error()));
    }
    if (options.recorded) {
      const std::string_view name = protocol == Protocol::openai      ? "openai"
                                    : protocol == Protocol::anthropic ? "anthropic"
                                                                      : "openai-responses";
      auto recording = options.recorded(name, req.body());
      if (!recording) {
        co_return co_await send(
            conn, req, http::status::not_found,
            error_body(protocol, "not_found_error",
                       "no recorded response for this request in the cache (record it with "
                       "`llmbench run --cache-mode record`)"));
      }
      co_return co_await respond_recorded(conn, req, *recording, in->stream, t_recv);
    }
    auto overrides = read_overrides(req);
    if (!overrides) {
      co_return co_await send(conn, req, http::status::bad_request,
                              error_body(protocol, "invalid_request_error", overrides.error()));
    }
    const std::uint64_t index = counter.fetch_add(1, std::memory_order_relaxed);
    const MockScript script = make_script(profile, *overrides, index, in->max_tokens);
    if (script.output_tokens > k_max_mock_output_tokens) {
      co_return co_await send(
          conn, req, http::status::bad_request,
          error_body(protocol, "invalid_request_error",
                     fmt::format("the mock answers at most {} output tokens, not {} (lower "
                                 "max_tokens or x-mock-output-tokens)",
                                 k_max_mock_output_tokens, script.output_tokens)));
    }

    http::fields script_headers;
    script_headers.set("x-mock-request", std::to_string(index));
    script_headers.set("x-mock-ttft-ns", std::to_string(script.ttft.count()));
    std::string gaps;
    for (std::size_t i = 0; i < script.gaps.size() && i < k_max_reported_gaps; ++i) {
      if (i > 0) {
        gaps += ',';
      }
      gaps += std::to_string(script.gaps[i].count());
    }
    script_headers.set("x-mock-itl-ns", gaps);
    script_headers.set("x-mock-output-tokens", std::to_string(script.output_tokens));
    script_headers.set("x-mock-tokens-per-chunk", std::to_string(script.tokens_per_chunk));
    script_headers.set("x-mock-fault", std::string(to_string(script.fault)));
    const bool log_writes = req.find("x-mock-write-times") != req.end();
    if (log_writes) {
      script_headers.set("x-mock-read-ns", std::to_string(steady_ns(t_recv)));
    }

    // Faults answered with an error status instead of a stream.
    struct ErrorFault {
      Fault fault;
      http::status status;
      std::string_view openai_type;
      std::string_view anthropic_type;
      std::string_view message;
    };
    static constexpr ErrorFault k_error_faults[] = {
        {Fault::rate_limited, http::status::too_many_requests, "requests", "rate_limit_error",
         "Rate limit reached (injected by llmbench mock)"},
        {Fault::server_error, http::status::internal_server_error, "server_error", "api_error",
         "Internal server error (injected by llmbench mock)"},
        {Fault::unavailable, http::status::service_unavailable, "server_error", "overloaded_error",
         "Service unavailable (injected by llmbench mock)"},
        {Fault::unauthorized, http::status::unauthorized, "invalid_request_error",
         "authentication_error", "Incorrect API key provided (injected by llmbench mock)"},
    };
    for (const auto& f : k_error_faults) {
      if (f.fault != script.fault) {
        continue;
      }
      if (f.fault == Fault::rate_limited) {
        const auto seconds =
            std::max<std::int64_t>(1, (profile.retry_after.count() + 999'999'999) / 1'000'000'000);
        script_headers.set(http::field::retry_after, std::to_string(seconds));
      }
      co_return co_await send(
          conn, req, f.status,
          error_body(protocol, protocol != Protocol::anthropic ? f.openai_type : f.anthropic_type,
                     f.message),
          "application/json", std::move(script_headers));
    }
    const bool timings = protocol == Protocol::openai &&
                         overrides->llamacpp_timings.value_or(profile.llamacpp_timings);
    EventWriter writer(
        protocol, *in, script, index,
        timings ? mock::llamacpp_timings(script, in->input_tokens, overrides->timings_skew)
                : std::string());
    if (!in->stream) {
      co_return co_await respond_whole(conn, req, writer, script, t_recv,
                                       std::move(script_headers));
    }
    std::optional<WriteLog> log;
    if (log_writes) {
      log.emplace();
      log->at.reserve(static_cast<std::size_t>(script.events()));
    }
    co_return co_await respond_stream(conn, req, writer, script, t_recv, std::move(script_headers),
                                      log ? &*log : nullptr);
  }

  asio::awaitable<bool> respond_whole(net::Connection& conn,
                                      const http::request<http::string_body>& req,
                                      const EventWriter& writer, const MockScript& script,
                                      Clock::time_point t_recv, http::fields headers) {
    Clock::time_point due = t_recv + script.ttft;
    for (const auto gap : script.gaps) {
      due += gap;
    }
    if (!co_await conn.wait_until(due)) {
      co_return false;  // the client left while the answer was being "computed"
    }
    std::string text;
    for (std::int64_t e = 0; e < script.events(); ++e) {
      text += mock::event_text(e, script.tokens_per_chunk, script.output_tokens);
    }
    if (script.fault == Fault::reset) {
      reset(conn);
      co_return false;
    }
    if (script.fault == Fault::stall) {
      co_await wait_for_close(conn);
      co_return false;
    }
    std::string body = writer.whole_body(text);
    if (script.fault == Fault::malformed) {
      body.resize(body.size() / 2);
    } else if (script.fault == Fault::no_terminator && !body.empty()) {
      body.pop_back();  // every byte but the closing brace: the whole-body analogue
    }
    co_return co_await send(conn, req, http::status::ok, std::move(body), "application/json",
                            std::move(headers));
  }

  asio::awaitable<bool> respond_stream(net::Connection& conn,
                                       const http::request<http::string_body>& req,
                                       const EventWriter& writer, const MockScript& script,
                                       Clock::time_point t_recv, http::fields headers,
                                       WriteLog* log) {
    if (!co_await start_stream(conn, req, http::status::ok, headers)) {
      co_return false;
    }
    std::string pending;
    writer.preamble(pending);
    if (!co_await write_chunk(conn, pending)) {
      co_return false;
    }
    const std::int64_t events = script.events();
    const std::int64_t half = events / 2;
    Clock::time_point due = t_recv + script.ttft;
    for (std::int64_t e = 0; e < events; ++e) {
      if (e > 0) {
        due += script.gaps[static_cast<std::size_t>(e - 1)];
      }
      // (Checked here too: a coroutine frame per event is not free when nothing waits.)
      if (due > Clock::now() && !co_await send_then_wait(conn, pending, due, log)) {
        co_return false;
      }
      if (e == half && script.fault != Fault::none && script.fault != Fault::no_terminator) {
        if (script.fault == Fault::malformed) {
          writer.malformed(pending);
        } else {
          if (!pending.empty() && !co_await write_chunk(conn, pending)) {
            co_return false;
          }
          if (script.fault == Fault::reset) {
            reset(conn);
          } else {
            co_await wait_for_close(conn);
          }
          co_return false;
        }
      }
      writer.content(pending, mock::event_text(e, script.tokens_per_chunk, script.output_tokens));
      if (log != nullptr) {
        ++log->unstamped;
      }
    }
    writer.finish(pending, script.fault != Fault::no_terminator);
    co_return co_await end_stream(conn, req, pending, log);
  }

  // A recorded response, at its recorded pace from the moment the request was read.
  asio::awaitable<bool> respond_recorded(net::Connection& conn,
                                         const http::request<http::string_body>& req,
                                         const providers::Recording& rec, bool stream,
                                         Clock::time_point t_recv) {
    const auto at = [&](std::int64_t offset_us) {
      return t_recv + std::chrono::microseconds(std::max<std::int64_t>(0, offset_us));
    };
    http::fields headers;
    headers.set("x-llmbench-recorded", "1");
    if (!stream || !rec.stream) {
      if (!co_await conn.wait_until(at(rec.duration_us))) {
        co_return false;
      }
      co_return co_await send(conn, req, static_cast<http::status>(rec.status), rec.body,
                              "application/json", std::move(headers));
    }
    if (!co_await start_stream(conn, req, static_cast<http::status>(rec.status), headers)) {
      co_return false;
    }
    std::string pending;
    for (const auto& event : rec.events) {
      const auto due = at(event.offset_us);
      if (due > Clock::now() && !co_await send_then_wait(conn, pending, due)) {
        co_return false;
      }
      pending += providers::sse_frame(event.text);
    }
    co_return co_await end_stream(conn, req, pending);
  }

  // The headers of a chunked event stream (`extra` added to ours).
  static asio::awaitable<bool> start_stream(net::Connection& conn,
                                            const http::request<http::string_body>& req,
                                            http::status status, const http::fields& extra) {
    http::response<http::empty_body> res{status, req.version()};
    res.set(http::field::server, "llmbench-mock");
    res.set(http::field::content_type, "text/event-stream; charset=utf-8");
    res.set(http::field::cache_control, "no-cache");
    for (const auto& field : extra) {
      res.set(field.name_string(), field.value());
    }
    res.keep_alive(req.keep_alive());
    res.chunked(true);
    http::response_serializer<http::empty_body> serializer{res};
    error_code ec;
    const auto deadline = conn.write_deadline();
    co_await http::async_write_header(conn.socket(), serializer,
                                      asio::redirect_error(asio::use_awaitable, ec));
    co_return !ec;
  }

  // Before sleeping until `due`, sends what is ready (events due together go in one write).
  static asio::awaitable<bool> send_then_wait(net::Connection& conn, std::string& pending,
                                              Clock::time_point due, WriteLog* log = nullptr) {
    if (due <= Clock::now()) {
      co_return true;
    }
    if (!pending.empty() && !co_await write_chunk(conn, pending, log)) {
      co_return false;
    }
    // (Not `co_return co_await`: GCC 12 destroys that awaitable twice here.)
    const bool waited = co_await conn.wait_until(due);
    co_return waited;
  }

  // The last of the stream, then the empty chunk that ends the body. With a write log, its
  // comment follows the stream's last event in a write of its own (so composing it does not
  // delay the events it reports).
  static asio::awaitable<bool> end_stream(net::Connection& conn,
                                          const http::request<http::string_body>& req,
                                          std::string& pending, WriteLog* log = nullptr) {
    if (!pending.empty() && !co_await write_chunk(conn, pending, log)) {
      co_return false;
    }
    if (log != nullptr) {
      pending = log->comment();
      if (!co_await write_chunk(conn, pending)) {
        co_return false;
      }
    }
    const bool sent = co_await http_writes::last_chunk(conn);
    co_return sent&& req.keep_alive();
  }

  // Writes `pending` as one HTTP chunk and clears it; the events in it are stamped in `log`
  // with the instant the write is handed to the socket.
  static asio::awaitable<bool> write_chunk(net::Connection& conn, std::string& pending,
                                           WriteLog* log = nullptr) {
    if (log != nullptr) {
      log->stamp(Clock::now());
    }
    const bool sent = co_await http_writes::chunk(conn, pending);
    pending.clear();
    co_return sent;
  }

  static void reset(net::Connection& conn) {
    error_code ec;
    conn.socket().set_option(asio::socket_base::linger(true, 0), ec);
    conn.socket().close(ec);  // with linger 0: an RST, not a FIN
  }

  // A stalled stream: hold the connection, send nothing, until the client gives up (or
  // k_max_hold passes: a client that never does is not held forever).
  static asio::awaitable<void> wait_for_close(net::Connection& conn) {
    const net::Connection::Deadline hold(conn, k_max_hold);
    std::array<char, 256> sink{};
    for (;;) {
      error_code ec;
      co_await conn.socket().async_read_some(asio::buffer(sink),
                                             asio::redirect_error(asio::use_awaitable, ec));
      if (ec) {
        co_return;
      }
    }
  }
};

MockServer::MockServer(MockProfile profile, MockServerOptions options)
    : m_impl(std::make_unique<Impl>(std::move(profile), std::move(options))) {}

MockServer::~MockServer() {
  stop();
}

void MockServer::start() {
  m_impl->listener.start(
      [impl = m_impl.get()](net::Connection& conn) { return impl->session(conn); });
}

void MockServer::stop() {
  m_impl->listener.stop();
}

std::size_t MockServer::open_connections() const {
  return m_impl->listener.open_connections();
}

std::size_t MockServer::idle_connections() const {
  return m_impl->listener.idle_connections();
}

std::uint16_t MockServer::port() const {
  return m_impl->listener.port();
}

std::string MockServer::base_url() const {
  return fmt::format("http://{}:{}/v1", m_impl->options.host, m_impl->listener.port());
}

std::uint64_t MockServer::requests_served() const {
  return m_impl->served.load(std::memory_order_relaxed);
}

}  // namespace llmbench::server
