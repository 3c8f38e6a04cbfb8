#include "llmbench/net/listener.hpp"

// GCC 12 misreads Asio's coroutine frame allocator (operator new/delete pairs inside
// awaitable_frame_base) as mismatched; the pairing is Asio's and correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <boost/asio.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "llmbench/util/error.hpp"

namespace llmbench::net {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// Descriptors this process may open, raised to the hard limit first.
rlim_t descriptor_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return 1024;
  }
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur;
}

}  // namespace

Listener::Listener(std::string what, std::string host, std::uint16_t port, int threads,
                   HttpLimits limits, Log log)
    : m_what(std::move(what)),
      m_host(std::move(host)),
      m_requested_port(port),
      m_threads(threads),
      m_limits(limits),
      m_log(std::move(log)) {}

Listener::~Listener() {
  stop();
}

void Listener::start(Session session) {
  if (m_running) {
    return;
  }
  m_session = std::move(session);
  error_code ec;
  const auto address = asio::ip::make_address(m_host, ec);
  if (ec) {
    throw InputError(
        fmt::format("{}: \"{}\" is not an IP address (try 127.0.0.1)", m_what, m_host));
  }
  // Half the descriptors at most (a client in the same process needs its own), and a margin
  // for files and the listening socket.
  const auto fds = static_cast<long long>(descriptor_limit());
  const int by_fds = static_cast<int>(std::clamp<long long>(fds / 2 - 32, 8, 100'000));
  m_max_connections =
      m_limits.max_connections > 0 ? std::min(m_limits.max_connections, by_fds) : by_fds;
  const tcp::endpoint endpoint(address, m_requested_port);
  m_acceptor.open(endpoint.protocol(), ec);
  if (!ec) {
    m_acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    m_acceptor.bind(endpoint, ec);
  }
  if (!ec) {
    m_acceptor.listen(asio::socket_base::max_listen_connections, ec);
  }
  if (ec) {
    throw RunError(fmt::format("{}: cannot listen on {}:{} ({}); choose another --port", m_what,
                               m_host, m_requested_port, ec.message()));
  }
  m_port = m_acceptor.local_endpoint().port();
  asio::co_spawn(m_io, accept_loop(), asio::detached);
  const int n = m_threads > 0 ? m_threads
                              : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) {
    m_pool.emplace_back([this] { m_io.run(); });
  }
  m_running = true;
}

void Listener::stop() {
  if (!m_running) {
    return;
  }
  asio::post(m_io, [this] {
    error_code ec;
    m_acceptor.close(ec);
  });
  m_io.stop();
  for (auto& t : m_pool) {
    t.join();
  }
  m_pool.clear();
  m_running = false;
}

std::size_t Listener::open_connections() {
  std::lock_guard lock(m_mu);
  return m_open.size();
}

std::size_t Listener::idle_connections() {
  std::lock_guard lock(m_mu);
  return static_cast<std::size_t>(std::count_if(
      m_open.begin(), m_open.end(), [](const auto& c) { return c.first->idle_since() >= 0; }));
}

bool Listener::make_room() {
  std::shared_ptr<Connection> oldest;
  {
    std::lock_guard lock(m_mu);
    // Connections already chosen to make room are on their way out: they do not count.
    const auto staying = std::count_if(m_open.begin(), m_open.end(),
                                       [](const auto& c) { return !c.first->leaving(); });
    if (staying < m_max_connections) {
      return true;
    }
    std::int64_t oldest_since = -1;
    for (const auto& [raw, weak] : m_open) {
      const std::int64_t since = raw->idle_since();
      if (since >= 0 && !raw->leaving() && (oldest_since < 0 || since < oldest_since)) {
        if (auto strong = weak.lock()) {
          oldest = std::move(strong);
          oldest_since = since;
        }
      }
    }
    if (!oldest || !oldest->mark_leaving()) {
      return false;
    }
  }
  auto& c = *oldest;
  asio::post(c.socket().get_executor(), [keep = std::move(oldest)] { keep->close_if_idle(); });
  return true;
}

void Listener::forget(Connection* connection) {
  std::lock_guard lock(m_mu);
  m_open.erase(connection);
}

asio::awaitable<void> Listener::serve(std::shared_ptr<Connection> connection) {
  asio::co_spawn(connection->socket().get_executor(), connection->watchdog(), asio::detached);
  try {
    co_await m_session(*connection);
  } catch (const std::exception&) {
    // A server's handler failed on this request (out of memory, a bug): this connection
    // ends, the server goes on.
  }
  connection->close();
}

asio::awaitable<void> Listener::accept_loop() {
  for (;;) {
    error_code ec;
    auto strand = asio::make_strand(m_io);
    tcp::socket socket =
        co_await m_acceptor.async_accept(strand, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!m_acceptor.is_open() || ec == asio::error::operation_aborted) {
        co_return;
      }
      // Out of descriptors, most likely: back off instead of spinning.
      asio::steady_timer pause(m_io, std::chrono::milliseconds(10));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    if (!make_room()) {
      const auto now = std::chrono::steady_clock::now();
      if (m_log && now - m_last_full_log > std::chrono::seconds(10)) {
        m_last_full_log = now;
        m_log(
            fmt::format("{}: {} connections are open and busy (the cap); new ones are refused "
                        "until some finish (raise --max-connections or `ulimit -n`)",
                        m_what, m_max_connections));
      }
      static constexpr std::string_view k_busy =
          "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
      socket.non_blocking(true, ec);
      socket.write_some(asio::buffer(k_busy.data(), k_busy.size()), ec);
      socket.close(ec);
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    auto connection = std::make_shared<Connection>(std::move(socket), m_limits, this);
    {
      std::lock_guard lock(m_mu);
      m_open.emplace(connection.get(), connection);
    }
    asio::co_spawn(strand, serve(std::move(connection)), asio::detached);
  }
}

}  // namespace llmbench::net
