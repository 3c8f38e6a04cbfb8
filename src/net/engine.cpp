#include "llmbench/net/engine.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <poll.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <functional>
#include <mutex>
#include <queue>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "llmbench/util/error.hpp"
#include "llmbench/util/strings.hpp"

namespace llmbench::net {

namespace {

void global_init_once() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_ALL) != CURLE_OK) {
      throw RunError("libcurl could not be initialised");
    }
    // Thousands of concurrent streams need thousands of descriptors: take what we may.
    rlimit lim{};
    if (getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur < lim.rlim_max) {
      lim.rlim_cur = lim.rlim_max;
      setrlimit(RLIMIT_NOFILE, &lim);
    }
  });
}

long to_ms_ceil(Nanos d) {
  return static_cast<long>((d.count() + 999'999) / 1'000'000);
}

// The error class of a transfer curl ended with `code` (CURLE_OK is not an error).
ErrorClass classify(CURLcode code, bool connected) {
  switch (code) {
    case CURLE_OK:
      return ErrorClass::none;
    case CURLE_OPERATION_TIMEDOUT:
      return connected ? ErrorClass::timeout_total : ErrorClass::timeout_connect;
    case CURLE_ABORTED_BY_CALLBACK:
      return ErrorClass::cancelled;
    case CURLE_WRITE_ERROR:
      return ErrorClass::protocol;  // the handler refused the bytes
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return ErrorClass::protocol;
    default:
      // Refused, reset, closed mid-body (PARTIAL_FILE), GOT_NOTHING, TLS, DNS, HTTP/2 stream
      // errors: the connection failed us.
      return ErrorClass::connection;
  }
}

}  // namespace

class Loop;

struct Transfer {
  Loop* owner = nullptr;
  std::uint32_t slot = 0;
  Engine::RequestId id = 0;
  bool active = false;
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  HttpRequest request;
  ResponseHandler* handler = nullptr;
  std::int64_t t_send = 0;
  std::int64_t t_first_byte = -1;
  int sends = 0;  // times curl was about to send the request (see on_prereq)
  bool refused_resend = false;
  char errbuf[CURL_ERROR_SIZE] = {};
};

// Where a loop hands a finished transfer: straight to its handler (one thread), or to the
// engine's queue for the owner's thread (a worker loop).
using Deliver = std::function<void(ResponseHandler*, TransferResult)>;

// One event loop: a curl multi handle on its own epoll set, driven by one thread.
class Loop {
 public:
  Loop(const EngineOptions& options, Deliver deliver)
      : m_options(options), m_deliver(std::move(deliver)) {
    global_init_once();
    m_epoll = epoll_create1(EPOLL_CLOEXEC);
    m_wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_epoll < 0 || m_wakefd < 0) {
      throw RunError(fmt::format("the request engine could not start: {}", std::strerror(errno)));
    }
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.fd = m_wakefd;
    epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakefd, &ev);
    m_multi = curl_multi_init();
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETFUNCTION, &Loop::on_socket);
    curl_multi_setopt(m_multi, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERFUNCTION, &Loop::on_timer);
    curl_multi_setopt(m_multi, CURLMOPT_TIMERDATA, this);
    curl_multi_setopt(m_multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(m_multi, CURLMOPT_MAX_HOST_CONNECTIONS, m_options.max_connections_per_host);
    curl_multi_setopt(m_multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, m_options.max_total_connections);
  }

  ~Loop() {
    cancel_all();
    for (auto& t : m_slots) {
      if (t->easy != nullptr) {
        curl_easy_cleanup(t->easy);
      }
    }
    curl_multi_cleanup(m_multi);
    close(m_wakefd);
    close(m_epoll);
  }

  std::int64_t now_ns() const {
    return std::chrono::duration_cast<Nanos>(std::chrono::steady_clock::now() - m_options.epoch)
        .count();
  }

  // Starts a request (t_send: when the caller asked for it). A request curl refuses ends at
  // once as a `connection` error when `report_refusal` (a worker loop), else throws.
  void start(HttpRequest request, ResponseHandler& handler, Engine::RequestId id,
             std::int64_t t_send, bool report_refusal) {
    Transfer& t = acquire();
    t.request = std::move(request);
    t.handler = &handler;
    t.id = id;
    t.t_first_byte = -1;
    t.sends = 0;
    t.refused_resend = false;
    t.errbuf[0] = '\0';
    configure(t);
    t.active = true;
    ++m_active;
    t.t_send = t_send;
    const CURLMcode rc = curl_multi_add_handle(m_multi, t.easy);
    if (rc != CURLM_OK) {
      --m_active;
      t.active = false;
      release(t);
      const std::string message =
          fmt::format("the request engine refused a request: {}", curl_multi_strerror(rc));
      if (!report_refusal) {
        throw RunError(message);
      }
      TransferResult result;
      result.error = ErrorClass::connection;
      result.message = message;
      result.t_send_ns = t_send;
      result.t_done_ns = now_ns();
      m_deliver(&handler, std::move(result));
      return;
    }
    m_by_id.emplace(id, t.slot);
    if (t.request.first_token_timeout.count() > 0) {
      m_ttft_deadlines.push({t.t_send + t.request.first_token_timeout.count(), t.id});
    }
  }

  void cancel(Engine::RequestId id) {
    Transfer* t = lookup(id);
    if (t == nullptr) {
      return;
    }
    if (m_in_curl) {
      m_pending_cancels.push_back(id);
      return;
    }
    finish(*t, ErrorClass::cancelled, "cancelled by the caller");
  }

  void cancel_all() {
    for (auto& t : m_slots) {
      if (t->active) {
        cancel(t->id);
      }
    }
  }

  void poll(Nanos max_wait) {
    run_pending_cancels();
    const std::int64_t until = now_ns() + std::max<std::int64_t>(0, max_wait.count());
    m_completed = false;
    m_woken = false;
    for (;;) {
      std::int64_t now = now_ns();
      std::int64_t wake_at = until;
      if (m_curl_deadline >= 0) {
        wake_at = std::min(wake_at, m_curl_deadline);
      }
      if (!m_ttft_deadlines.empty()) {
        wake_at = std::min(wake_at, m_ttft_deadlines.top().first);
      }
      wait_and_dispatch(std::max<std::int64_t>(0, wake_at - now));
      now = now_ns();
      if (m_curl_deadline >= 0 && m_curl_deadline <= now) {
        m_curl_deadline = -1;
        socket_action(CURL_SOCKET_TIMEOUT, 0);
      }
      collect_done();
      expire_ttft(now);
      run_pending_cancels();
      if (m_completed || m_woken || now_ns() >= until) {
        return;
      }
    }
  }

  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = write(m_wakefd, &one, sizeof one);
  }

  std::size_t in_flight() const { return m_active; }
  bool completed() const { return m_completed; }

 private:
  static int on_socket(CURL* /*easy*/, curl_socket_t s, int what, void* userp, void* socketp) {
    auto* self = static_cast<Loop*>(userp);
    if (what == CURL_POLL_REMOVE) {
      epoll_ctl(self->m_epoll, EPOLL_CTL_DEL, s, nullptr);
      curl_multi_assign(self->m_multi, s, nullptr);
      return 0;
    }
    epoll_event ev{};
    ev.events =
        ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
    ev.data.fd = s;
    if (socketp == nullptr) {
      if (epoll_ctl(self->m_epoll, EPOLL_CTL_ADD, s, &ev) != 0 && errno == EEXIST) {
        epoll_ctl(self->m_epoll, EPOLL_CTL_MOD, s, &ev);
      }
      curl_multi_assign(self->m_multi, s, self);  // any non-null marks "registered"
    } else {
      epoll_ctl(self->m_epoll, EPOLL_CTL_MOD, s, &ev);
    }
    return 0;
  }

  static int on_timer(CURLM* /*multi*/, long timeout_ms, void* userp) {
    auto* self = static_cast<Loop*>(userp);
    self->m_curl_deadline = timeout_ms < 0 ? -1 : self->now_ns() + timeout_ms * 1'000'000;
    return 0;
  }

  static std::size_t on_write(char* data, std::size_t /*size*/, std::size_t n, void* ud) {
    auto* t = static_cast<Transfer*>(ud);
    const std::int64_t now = t->owner->now_ns();  // first, before any other work
    if (t->t_first_byte < 0) {
      t->t_first_byte = now;
    }
    return t->handler->on_body(std::string_view(data, n), now) ? n : 0;
  }

  static std::size_t on_header(char* data, std::size_t /*size*/, std::size_t n, void* ud) {
    auto* t = static_cast<Transfer*>(ud);
    const std::int64_t now = t->owner->now_ns();
    const std::string_view line = util::trim(std::string_view(data, n));
    if (line.starts_with("HTTP/")) {
      if (t->t_first_byte < 0) {
        t->t_first_byte = now;
      }
      long status = 0;
      if (const auto sp = line.find(' '); sp != std::string_view::npos) {
        const std::string_view rest = line.substr(sp + 1);
        std::from_chars(rest.data(), rest.data() + rest.size(), status);
      }
      t->handler->on_status(status, now);
    } else if (const auto colon = line.find(':'); colon != std::string_view::npos) {
      t->handler->on_header(util::trim(line.substr(0, colon)), util::trim(line.substr(colon + 1)));
    }
    return n;
  }

  // Called by curl right before it sends the request on a (new or reused) connection. When a
  // reused connection dies before the first response byte, curl would silently send the
  // same request again on a new one: the provider may bill twice and we would time the
  // second try as if it were the first. A benchmark sends each request once, so the second
  // send is refused and the transfer ends as a `connection` error.
  static int on_prereq(void* ud, char* /*conn_primary_ip*/, char* /*conn_local_ip*/,
                       int /*conn_primary_port*/, int /*conn_local_port*/) {
    auto* t = static_cast<Transfer*>(ud);
    if (++t->sends > 1) {
      t->refused_resend = true;
      return CURL_PREREQFUNC_ABORT;
    }
    return CURL_PREREQFUNC_OK;
  }

  Transfer& acquire() {
    if (m_free.empty()) {
      auto t = std::make_unique<Transfer>();
      t->owner = this;
      t->slot = static_cast<std::uint32_t>(m_slots.size());
      t->easy = curl_easy_init();
      if (t->easy == nullptr) {
        throw RunError("libcurl could not create a request handle (out of memory?)");
      }
      m_slots.push_back(std::move(t));
      return *m_slots.back();
    }
    Transfer& t = *m_slots[m_free.back()];
    m_free.pop_back();
    curl_easy_reset(t.easy);
    return t;
  }

  void release(Transfer& t) {
    curl_slist_free_all(t.headers);
    t.headers = nullptr;
    t.handler = nullptr;
    t.request.body.clear();
    m_by_id.erase(t.id);
    t.id = 0;
    m_free.push_back(t.slot);
  }

  Transfer* lookup(Engine::RequestId id) {
    const auto it = m_by_id.find(id);
    if (it == m_by_id.end()) {
      return nullptr;
    }
    Transfer* t = m_slots[it->second].get();
    return t->active ? t : nullptr;
  }

  void configure(Transfer& t) {
    CURL* e = t.easy;
    const HttpRequest& r = t.request;
    curl_easy_setopt(e, CURLOPT_URL, r.url.c_str());
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &Loop::on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &Loop::on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
    curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, &Loop::on_prereq);
    curl_easy_setopt(e, CURLOPT_PREREQDATA, &t);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, std::max(1L, to_ms_ceil(r.connect_timeout)));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, to_ms_ceil(r.total_timeout));
    curl_easy_setopt(e, CURLOPT_USERAGENT, m_options.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, m_options.verify_tls ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, m_options.verify_tls ? 2L : 0L);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    if (m_options.http2) {
      curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
      // Over TLS, wait for a connection that may multiplex rather than open one per stream.
      curl_easy_setopt(e, CURLOPT_PIPEWAIT, r.url.starts_with("https:") ? 1L : 0L);
    } else {
      curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
    }
    for (const auto& [name, value] : r.headers) {
      const std::string line = name + ": " + value;
      t.headers = curl_slist_append(t.headers, line.c_str());
    }
    t.headers = curl_slist_append(t.headers, "Expect:");  // no 100-continue round trip
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
    if (r.method == "GET") {
      curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else {
      curl_easy_setopt(e, CURLOPT_POSTFIELDS, r.body.data());
      curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      if (r.method != "POST") {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, r.method.c_str());
      }
    }
  }

  void wait_and_dispatch(std::int64_t wait_ns) {
    constexpr int k_batch = 256;
    epoll_event events[k_batch];
    int n;
    if (m_have_pwait2) {
      timespec ts{static_cast<time_t>(wait_ns / 1'000'000'000),
                  static_cast<long>(wait_ns % 1'000'000'000)};
      n = epoll_pwait2(m_epoll, events, k_batch, &ts, nullptr);
      if (n < 0 && errno == ENOSYS) {
        m_have_pwait2 = false;
        n = epoll_wait(m_epoll, events, k_batch, static_cast<int>((wait_ns + 999'999) / 1'000'000));
      }
    } else {
      n = epoll_wait(m_epoll, events, k_batch, static_cast<int>((wait_ns + 999'999) / 1'000'000));
    }
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == m_wakefd) {
        std::uint64_t count = 0;
        [[maybe_unused]] const auto r = read(m_wakefd, &count, sizeof count);
        m_woken = true;
        continue;
      }
      int flags = 0;
      if ((events[i].events & EPOLLIN) != 0) {
        flags |= CURL_CSELECT_IN;
      }
      if ((events[i].events & EPOLLOUT) != 0) {
        flags |= CURL_CSELECT_OUT;
      }
      if ((events[i].events & (EPOLLERR | EPOLLHUP)) != 0) {
        flags |= CURL_CSELECT_ERR;
      }
      socket_action(fd, flags);
    }
  }

  void socket_action(curl_socket_t fd, int flags) {
    int running = 0;
    m_in_curl = true;
    curl_multi_socket_action(m_multi, fd, flags, &running);
    m_in_curl = false;
  }

  void collect_done() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(m_multi, &left)) {
      if (msg->msg != CURLMSG_DONE) {
        continue;
      }
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
      const CURLcode code = msg->data.result;
      // Past "pretransfer" the request was on its way: connected (new or reused connection).
      curl_off_t pretransfer_us = 0;
      curl_easy_getinfo(t->easy, CURLINFO_PRETRANSFER_TIME_T, &pretransfer_us);
      const bool connected = pretransfer_us > 0;
      std::string message;
      if (code != CURLE_OK) {
        message = t->errbuf[0] != '\0' ? std::string(t->errbuf) : curl_easy_strerror(code);
        if (code == CURLE_OPERATION_TIMEDOUT) {
          message = connected ? fmt::format("no complete response within {} ms ({})",
                                            to_ms_ceil(t->request.total_timeout), message)
                              : fmt::format("no connection within {} ms ({})",
                                            to_ms_ceil(t->request.connect_timeout), message);
        }
      }
      if (t->refused_resend) {
        finish(*t, ErrorClass::connection,
               "the reused connection closed before any response byte; the request is not "
               "re-sent (it may have reached the server)");
        continue;
      }
      finish(*t, classify(code, connected), std::move(message));
    }
  }

  void expire_ttft(std::int64_t now) {
    while (!m_ttft_deadlines.empty() && m_ttft_deadlines.top().first <= now) {
      const Engine::RequestId id = m_ttft_deadlines.top().second;
      m_ttft_deadlines.pop();
      Transfer* t = lookup(id);
      if (t != nullptr && !t->handler->first_token_seen()) {
        finish(*t, ErrorClass::timeout_ttft,
               fmt::format("no output within the first-token timeout of {} ms",
                           to_ms_ceil(t->request.first_token_timeout)));
      }
    }
  }

  void run_pending_cancels() {
    while (!m_pending_cancels.empty()) {
      const Engine::RequestId id = m_pending_cancels.back();
      m_pending_cancels.pop_back();
      cancel(id);
    }
  }

  // Detaches the transfer from curl, frees its slot, then tells the handler.
  void finish(Transfer& t, ErrorClass error, std::string message) {
    TransferResult result;
    result.error = error;
    result.message = std::move(message);
    result.t_send_ns = t.t_send;
    result.t_first_byte_ns = t.t_first_byte;
    result.t_done_ns = now_ns();
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &result.status_code);
    long version = 0;
    curl_easy_getinfo(t.easy, CURLINFO_HTTP_VERSION, &version);
    result.http_version = version == CURL_HTTP_VERSION_2_0   ? 20
                          : version == CURL_HTTP_VERSION_1_1 ? 11
                          : version == CURL_HTTP_VERSION_1_0 ? 10
                                                             : 0;
    long connects = 0;
    curl_easy_getinfo(t.easy, CURLINFO_NUM_CONNECTS, &connects);
    result.reused_connection = result.status_code != 0 && connects == 0;
    curl_multi_remove_handle(m_multi, t.easy);
    ResponseHandler* handler = t.handler;
    t.active = false;
    --m_active;
    release(t);
    m_completed = true;
    m_deliver(handler, std::move(result));
  }

  EngineOptions m_options;
  Deliver m_deliver;
  CURLM* m_multi = nullptr;
  int m_epoll = -1;
  int m_wakefd = -1;
  bool m_have_pwait2 = true;
  std::int64_t m_curl_deadline = -1;
  std::vector<std::unique_ptr<Transfer>> m_slots;
  std::vector<std::uint32_t> m_free;
  std::unordered_map<Engine::RequestId, std::uint32_t> m_by_id;  // active transfers' slots
  std::size_t m_active = 0;
  using Deadline = std::pair<std::int64_t, Engine::RequestId>;
  std::priority_queue<Deadline, std::vector<Deadline>, std::greater<>> m_ttft_deadlines;
  std::vector<Engine::RequestId> m_pending_cancels;
  bool m_in_curl = false;
  bool m_completed = false;
  bool m_woken = false;
};

// The engine's front: one loop on the caller's thread, or worker loops on threads of their
// own whose finished transfers come back through a queue to the caller's poll().
class Engine::Impl {
 public:
  explicit Impl(EngineOptions options) : m_options(std::move(options)) {
    global_init_once();
    const int threads = std::max(1, m_options.threads);
    if (threads == 1) {
      m_inline = std::make_unique<Loop>(
          m_options, [](ResponseHandler* h, TransferResult r) { h->on_complete(r); });
      return;
    }
    m_wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (m_wakefd < 0) {
      throw RunError(fmt::format("the request engine could not start: {}", std::strerror(errno)));
    }
    for (std::size_t i = 0; i < static_cast<std::size_t>(threads); ++i) {
      auto w = std::make_unique<Worker>();
      w->loop = std::make_unique<Loop>(m_options, [this, i](ResponseHandler* h, TransferResult r) {
        post_completion(h, std::move(r), i);
      });
      m_workers.push_back(std::move(w));
    }
    for (auto& w : m_workers) {
      w->thread = std::thread([this, raw = w.get()] { run_worker(*raw); });
    }
  }

  ~Impl() {
    if (m_inline) {
      return;  // the loop's destructor cancels what is in flight
    }
    for (auto& w : m_workers) {
      {
        const std::lock_guard lock(w->mutex);
        w->stop = true;
      }
      w->loop->wake();
    }
    for (auto& w : m_workers) {
      w->thread.join();
    }
    deliver_completions();  // the handlers of what was cancelled hear of it
    close(m_wakefd);
  }

  std::int64_t now_ns() const {
    return std::chrono::duration_cast<Nanos>(std::chrono::steady_clock::now() - m_options.epoch)
        .count();
  }
  std::int64_t epoch_ns() const {
    return std::chrono::duration_cast<Nanos>(m_options.epoch.time_since_epoch()).count();
  }

  RequestId start(HttpRequest request, ResponseHandler& handler) {
    const std::int64_t t_send = now_ns();
    if (m_inline) {
      const RequestId id = ++m_next_id;
      m_inline->start(std::move(request), handler, id, t_send, false);
      return id;
    }
    // The least busy loop takes it; the id names the loop in its low byte.
    std::size_t pick = 0;
    for (std::size_t i = 1; i < m_workers.size(); ++i) {
      if (m_workers[i]->assigned < m_workers[pick]->assigned) {
        pick = i;
      }
    }
    Worker& w = *m_workers[pick];
    const RequestId id = (++m_next_id << 8) | pick;
    ++w.assigned;
    ++m_active;
    {
      const std::lock_guard lock(w.mutex);
      w.starts.push_back({std::move(request), &handler, id, t_send});
    }
    w.loop->wake();
    return id;
  }

  void cancel(RequestId id) {
    if (m_inline) {
      m_inline->cancel(id);
      return;
    }
    const std::size_t index = id & 0xff;
    if (index >= m_workers.size()) {
      return;
    }
    Worker& w = *m_workers[index];
    {
      const std::lock_guard lock(w.mutex);
      w.cancels.push_back(id);
    }
    w.loop->wake();
  }

  void cancel_all() {
    if (m_inline) {
      m_inline->cancel_all();
      return;
    }
    for (auto& w : m_workers) {
      {
        const std::lock_guard lock(w->mutex);
        w->cancel_all = true;
      }
      w->loop->wake();
    }
  }

  void poll(Nanos max_wait) {
    if (m_inline) {
      m_inline->poll(max_wait);
      return;
    }
    const std::int64_t until = now_ns() + std::max<std::int64_t>(0, max_wait.count());
    for (;;) {
      if (deliver_completions() > 0 || m_woken.exchange(false)) {
        return;
      }
      const std::int64_t left = until - now_ns();
      if (left <= 0) {
        return;
      }
      pollfd p{m_wakefd, POLLIN, 0};
      const timespec ts{static_cast<time_t>(left / 1'000'000'000),
                        static_cast<long>(left % 1'000'000'000)};
      if (ppoll(&p, 1, &ts, nullptr) > 0) {
        std::uint64_t count = 0;
        [[maybe_unused]] const auto n = read(m_wakefd, &count, sizeof count);
      }
    }
  }

  void wake() {
    if (m_inline) {
      m_inline->wake();
      return;
    }
    m_woken.store(true);
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = write(m_wakefd, &one, sizeof one);
  }

  std::size_t in_flight() const { return m_inline ? m_inline->in_flight() : m_active; }

 private:
  struct Start {
    HttpRequest request;
    ResponseHandler* handler;
    RequestId id;
    std::int64_t t_send;
  };
  struct Worker {
    std::unique_ptr<Loop> loop;
    std::thread thread;
    std::mutex mutex;  // guards what the owner hands over: starts, cancels, stop
    std::vector<Start> starts;
    std::vector<RequestId> cancels;
    bool cancel_all = false;
    bool stop = false;
    std::size_t assigned = 0;  // the owner's count of its transfers in flight
  };
  struct Completion {
    ResponseHandler* handler;
    TransferResult result;
    std::size_t worker;
  };

  // A worker's thread: takes what the owner handed over, then runs its loop.
  void run_worker(Worker& w) {
    std::vector<Start> starts;
    std::vector<RequestId> cancels;
    for (;;) {
      bool stop = false;
      bool all = false;
      {
        const std::lock_guard lock(w.mutex);
        starts.swap(w.starts);
        cancels.swap(w.cancels);
        stop = w.stop;
        all = std::exchange(w.cancel_all, false);
      }
      for (auto& s : starts) {
        w.loop->start(std::move(s.request), *s.handler, s.id, s.t_send, true);
      }
      starts.clear();
      for (const RequestId id : cancels) {
        w.loop->cancel(id);
      }
      cancels.clear();
      if (all || stop) {
        w.loop->cancel_all();
      }
      if (stop) {
        return;
      }
      w.loop->poll(std::chrono::milliseconds(100));
    }
  }

  // On a worker's thread, from inside its loop: a finished transfer, for the owner's poll().
  void post_completion(ResponseHandler* handler, TransferResult result, std::size_t worker) {
    {
      const std::lock_guard lock(m_done_mutex);
      m_done.push_back({handler, std::move(result), worker});
    }
    const std::uint64_t one = 1;
    [[maybe_unused]] const auto n = write(m_wakefd, &one, sizeof one);
  }

  std::size_t deliver_completions() {
    {
      const std::lock_guard lock(m_done_mutex);
      m_delivering.swap(m_done);
    }
    const std::size_t n = m_delivering.size();
    for (auto& c : m_delivering) {
      --m_active;
      --m_workers[c.worker]->assigned;
      c.handler->on_complete(c.result);
    }
    m_delivering.clear();
    return n;
  }

  EngineOptions m_options;
  std::unique_ptr<Loop> m_inline;
  std::vector<std::unique_ptr<Worker>> m_workers;
  int m_wakefd = -1;
  std::atomic<bool> m_woken{false};
  std::mutex m_done_mutex;
  std::vector<Completion> m_done;
  std::vector<Completion> m_delivering;
  std::size_t m_active = 0;
  RequestId m_next_id = 0;
};

Engine::Engine(EngineOptions options) : m_impl(std::make_unique<Impl>(std::move(options))) {}
Engine::~Engine() = default;
Engine::RequestId Engine::start(HttpRequest request, ResponseHandler& handler) {
  return m_impl->start(std::move(request), handler);
}
void Engine::cancel(RequestId id) {
  m_impl->cancel(id);
}
void Engine::cancel_all() {
  m_impl->cancel_all();
}
void Engine::poll(Nanos max_wait) {
  m_impl->poll(max_wait);
}
void Engine::wake() {
  m_impl->wake();
}
std::size_t Engine::in_flight() const {
  return m_impl->in_flight();
}
std::int64_t Engine::now_ns() const {
  return m_impl->now_ns();
}
std::int64_t Engine::epoch_ns() const {
  return m_impl->epoch_ns();
}

}  // namespace llmbench::net

namespace llmbench::net {

int default_engine_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  return std::max(1, static_cast<int>(cores / 4));
}

}  // namespace llmbench::net
