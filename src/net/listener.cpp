#include "llmbench/net/listener.hpp"

// GCC 12 misreads Asio's coroutine frame allocator (operator new/delete pairs inside
// awaitable_frame_base) as mismatched; the pairing is Asio's and correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <fmt/format.h>

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

Listener::Listener(std::string what, std::string host, std::uint16_t port, int threads)
    : m_what(std::move(what)),
      m_host(std::move(host)),
      m_requested_port(port),
      m_threads(threads) {}

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

asio::awaitable<void> Listener::accept_loop() {
  for (;;) {
    error_code ec;
    tcp::socket socket =
        co_await m_acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (!m_acceptor.is_open() || ec == asio::error::operation_aborted) {
        co_return;
      }
      // Out of descriptors, most likely: back off instead of spinning.
      asio::steady_timer pause(m_io, std::chrono::milliseconds(10));
      co_await pause.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    asio::co_spawn(m_io, m_session(std::move(socket)), asio::detached);
  }
}

}  // namespace llmbench::net
