#include "llmbench/server/upstream.hpp"

#include <algorithm>

#include "llmbench/util/strings.hpp"

namespace llmbench::server {

namespace {

// Headers that describe the upstream connection rather than the answer: the proxy's own
// connection to the client has its own (it sends chunked).
bool hop_by_hop(std::string_view name) {
  static constexpr std::string_view k_names[] = {
      "connection", "keep-alive", "transfer-encoding", "content-length",
      "te",         "trailer",    "upgrade",           "proxy-connection",
      "date",       "server",     "content-encoding",  "alt-svc"};
  for (const auto n : k_names) {
    if (util::equals_ci(name, n)) {
      return true;
    }
  }
  return false;
}

}  // namespace

Forward::Forward(net::HttpRequest request, std::unique_ptr<providers::ResponseParser> parser,
                 std::function<void()> notify)
    : m_request(std::move(request)), m_parser(std::move(parser)), m_notify(std::move(notify)) {}

Forward::Taken Forward::take() {
  Taken t;
  std::lock_guard lock(m_mu);
  if (m_status != 0 && !m_status_taken) {
    t.status = m_status;
    t.headers = std::move(m_headers);
    m_status_taken = true;
  }
  if (m_status_taken) {
    t.bytes.swap(m_pending);
    t.has_first_token = m_first_token_pending;
    m_first_token_pending = false;
  }
  t.complete = m_complete;
  return t;
}

Forward::Peek Forward::peek() {
  std::lock_guard lock(m_mu);
  return {m_first_token, m_complete};
}

void Forward::on_status(long status, std::int64_t t_ns) {
  m_parser->on_status(status, t_ns);
  if (status < 200) {
    return;  // 1xx: the final status follows
  }
  std::lock_guard lock(m_mu);
  if (!m_status_taken) {
    m_status = status;
    m_headers.clear();
  }
}

void Forward::on_header(std::string_view name, std::string_view value) {
  m_parser->on_header(name, value);
  if (hop_by_hop(name)) {
    return;
  }
  std::lock_guard lock(m_mu);
  if (!m_status_taken) {
    m_headers.emplace_back(std::string(name), std::string(value));
  }
}

bool Forward::on_body(std::string_view bytes, std::int64_t t_ns) {
  if (m_abandoned.load(std::memory_order_relaxed)) {
    return false;
  }
  const bool before = m_parser->first_token_seen();
  if (!m_parser_stopped) {
    // A parser that stops (a protocol error it has recorded) stops measuring, never the
    // stream: the client gets every byte the upstream sends.
    m_parser_stopped = !m_parser->on_body(bytes, t_ns);
  }
  const bool first = !before && m_parser->first_token_seen();
  {
    std::lock_guard lock(m_mu);
    m_pending.append(bytes);
    m_first_token_pending = m_first_token_pending || first;
    m_first_token = m_first_token || first;
  }
  m_notify();
  return true;
}

void Forward::on_complete(const net::TransferResult& result) {
  m_result = result;
  m_parser->on_complete(result);
  {
    std::lock_guard lock(m_mu);
    m_complete = true;
  }
  m_notify();
  if (done_side() && on_finished) {
    // Moved out before the call, so what it holds (a route's call holds its attempts, which
    // hold this callback) is released when it returns rather than kept in a cycle.
    const auto finished = std::move(on_finished);
    on_finished = nullptr;
    finished();
  }
  m_engine_done.store(true);
}

bool Forward::done_client() {
  if (done_side()) {
    // The engine's side is done and did not call it: the caller finishes, and the callback
    // (and what it holds) goes now.
    on_finished = nullptr;
    return true;
  }
  return false;
}

bool Forward::done_side() {
  return m_sides_done.fetch_add(1) == 1;
}

Upstream::Upstream(net::EngineOptions options) : m_engine(options) {
  m_thread = std::thread([this] { loop(); });
}

Upstream::~Upstream() {
  m_stop.store(true);
  m_engine.wake();
  m_thread.join();
}

void Upstream::submit(std::shared_ptr<Forward> forward) {
  {
    std::lock_guard lock(m_mu);
    m_submitted.push_back(std::move(forward));
  }
  m_engine.wake();
}

void Upstream::cancel(std::shared_ptr<Forward> forward) {
  forward->abandon();
  {
    std::lock_guard lock(m_mu);
    m_cancels.push_back(std::move(forward));
  }
  m_engine.wake();
}

std::int64_t Upstream::now_ns() const {
  return m_engine.now_ns();
}

std::int64_t Upstream::epoch_ns() const {
  return m_engine.epoch_ns();
}

void Upstream::loop() {
  std::vector<std::shared_ptr<Forward>> submitted;
  std::vector<std::shared_ptr<Forward>> cancels;
  while (!m_stop.load()) {
    {
      std::lock_guard lock(m_mu);
      submitted.swap(m_submitted);
      cancels.swap(m_cancels);
    }
    for (auto& f : submitted) {
      if (f->abandoned()) {
        // Never sent: it ends here, as a cancelled transfer.
        net::TransferResult r;
        r.error = net::ErrorClass::cancelled;
        r.message = "the client disconnected before the request was sent upstream";
        r.t_send_ns = m_engine.now_ns();
        r.t_done_ns = r.t_send_ns;
        f->on_complete(r);
        continue;
      }
      f->started = true;
      m_live.push_back(f);
      f->id = m_engine.start(f->request(), *f);
    }
    submitted.clear();
    for (auto& f : cancels) {
      if (f->started) {
        m_engine.cancel(f->id);
      }
    }
    cancels.clear();
    m_engine.poll(std::chrono::milliseconds(200));
    m_live.erase(std::remove_if(m_live.begin(), m_live.end(),
                                [](const std::shared_ptr<Forward>& f) { return f->engine_done(); }),
                 m_live.end());
  }
  m_engine.cancel_all();
  for (int i = 0; i < 50 && !m_live.empty(); ++i) {
    m_engine.poll(std::chrono::milliseconds(20));
    m_live.erase(std::remove_if(m_live.begin(), m_live.end(),
                                [](const std::shared_ptr<Forward>& f) { return f->engine_done(); }),
                 m_live.end());
  }
}

}  // namespace llmbench::server
