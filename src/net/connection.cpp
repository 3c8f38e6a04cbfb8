#include "llmbench/net/connection.hpp"

#include <cerrno>

// GCC 12 misreads Asio's coroutine frame allocator (operator new/delete pairs inside
// awaitable_frame_base) as mismatched; the pairing is Asio's and correct.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <fmt/format.h>

#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>

#include "llmbench/net/listener.hpp"
#include "llmbench/util/json_writer.hpp"

namespace llmbench::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

namespace {

std::int64_t steady_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

Connection::Connection(Socket socket, const HttpLimits& limits, Listener* owner)
    : m_socket(std::move(socket)),
      m_limits(limits),
      m_owner(owner),
      m_timer(m_socket.get_executor(), Clock::time_point::max()),
      m_wait(m_socket.get_executor()) {}

Connection::~Connection() {
  if (m_owner != nullptr) {
    m_owner->forget(this);
  }
}

void Connection::set_deadline(Clock::time_point at) {
  m_deadline = at;
  if (at < m_timer.expiry()) {
    m_timer.expires_at(at);  // wakes the watchdog, which waits again for the new deadline
  }
}

Connection::Deadline::Deadline(Connection& c, std::chrono::milliseconds after) : m_c(c) {
  m_c.set_deadline(Clock::now() + after);
}

Connection::Deadline::~Deadline() {
  m_c.set_deadline(Clock::time_point::max());
}

asio::awaitable<void> Connection::watchdog() {
  const auto self = shared_from_this();
  while (!m_closed) {
    error_code ec;
    m_timer.expires_at(m_deadline);
    co_await m_timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (m_closed) {
      break;
    }
    if (Clock::now() >= m_deadline) {
      m_timed_out = true;
      m_deadline = Clock::time_point::max();
      m_socket.cancel(ec);
    }
  }
}

void Connection::close_if_idle() {
  if (m_idle_since.load(std::memory_order_relaxed) >= 0) {
    close();
  } else {
    m_leaving = false;  // a request came first: it stays, and counts again
  }
}

void Connection::wake() {
  asio::post(m_socket.get_executor(), [self = shared_from_this()] { self->m_wait.cancel(); });
}

void Connection::close() {
  if (m_closed) {
    return;
  }
  m_closed = true;
  m_idle_since.store(-1, std::memory_order_relaxed);
  error_code ec;
  m_timer.cancel();
  m_wait.cancel();
  m_socket.shutdown(Socket::shutdown_both, ec);
  m_socket.close(ec);
}

asio::awaitable<bool> Connection::wait_until(Clock::time_point due) {
  if (m_closed) {
    co_return false;
  }
  if (!m_watching && m_buffer.size() == 0) {
    m_watching = true;
    asio::co_spawn(m_socket.get_executor(), watch_for_hangup(), asio::detached);
  }
  error_code ec;
  m_wait.expires_at(due);
  co_await m_wait.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  co_return !m_closed;
}

asio::awaitable<void> Connection::watch_for_hangup() {
  const auto self = shared_from_this();
  error_code ec;
  co_await m_socket.async_wait(Socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
  m_watching = false;
  if (ec || m_closed) {
    co_return;
  }
  // Readable: the next request (pipelined; left for read_request), or the end of the client.
  char byte = 0;
  const auto n = ::recv(m_socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    close();
  }
}

asio::awaitable<std::optional<Connection::Request>> Connection::read_request() {
  error_code ec;
  if (m_closed) {
    co_return std::nullopt;
  }
  // Idle until the next request's first byte (unless it is already buffered).
  if (m_buffer.size() == 0) {
    m_idle_since.store(steady_ms(), std::memory_order_relaxed);
    set_deadline(Clock::now() + m_limits.idle_timeout);
    co_await m_socket.async_wait(Socket::wait_read, asio::redirect_error(asio::use_awaitable, ec));
    m_idle_since.store(-1, std::memory_order_relaxed);
    set_deadline(Clock::time_point::max());
    if (ec || m_closed) {
      close();  // idle past the timeout, made room for another, or gone
      co_return std::nullopt;
    }
  }
  http::request_parser<http::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(m_limits.header_limit));
  parser.body_limit(m_limits.body_limit);
  set_deadline(Clock::now() + m_limits.request_timeout);
  co_await http::async_read(m_socket, m_buffer, parser,
                            asio::redirect_error(asio::use_awaitable, ec));
  set_deadline(Clock::time_point::max());
  if (!ec) {
    co_return parser.release();
  }
  if (m_timed_out && !m_closed) {
    m_timed_out = false;
    co_await answer_and_close(408, fmt::format("the request did not arrive within {} ms",
                                               m_limits.request_timeout.count()));
  } else if (ec == http::error::header_limit) {
    co_await answer_and_close(
        431, fmt::format("the request's headers pass {} bytes", m_limits.header_limit));
  } else if (ec == http::error::body_limit) {
    co_await answer_and_close(413,
                              fmt::format("the request body passes {} bytes", m_limits.body_limit));
  } else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
             ec != http::error::end_of_stream && ec != http::error::partial_message) {
    co_await answer_and_close(400, fmt::format("not an HTTP/1.1 request ({})", ec.message()));
  }
  close();
  co_return std::nullopt;
}

asio::awaitable<void> Connection::answer_and_close(unsigned status, std::string_view why) {
  http::response<http::string_body> res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(false);
  std::string body = R"({"error":{"type":"invalid_request_error","message":)";
  util::append_json_string(body, why);
  body += "}}";
  res.body() = std::move(body);
  res.prepare_payload();
  error_code ec;
  {
    const Deadline deadline(*this, m_limits.write_timeout);
    co_await http::async_write(m_socket, res, asio::redirect_error(asio::use_awaitable, ec));
  }
  close();
}

}  // namespace llmbench::net
