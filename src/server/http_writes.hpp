#pragma once
// The writes our HTTP servers (mock, proxy) make on a connection, each under the connection's
// write deadline: a whole response, and the pieces of a chunked one. Each returns whether the
// write went through.

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <fmt/format.h>

#include <array>
#include <boost/asio.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <string>
#include <string_view>

#include "llmbench/net/connection.hpp"

namespace llmbench::server::http_writes {

namespace asio = boost::asio;
namespace http = boost::beast::http;

// A response with a body (Content-Length), `extra` headers added; true when written (the
// caller keeps the connection only if the request asked for keep-alive too).
inline asio::awaitable<bool> send(net::Connection& conn, unsigned version, bool keep_alive,
                                  http::status status, std::string body,
                                  std::string_view content_type, std::string_view server,
                                  const http::fields& extra = {}) {
  http::response<http::string_body> res{status, version};
  res.set(http::field::server, boost::beast::string_view(server.data(), server.size()));
  res.set(http::field::content_type,
          boost::beast::string_view(content_type.data(), content_type.size()));
  for (const auto& field : extra) {
    res.set(field.name_string(), field.value());
  }
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  boost::system::error_code ec;
  const auto deadline = conn.write_deadline();
  co_await http::async_write(conn.socket(), res, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

// One chunk of a chunked body.
inline asio::awaitable<bool> chunk(net::Connection& conn, std::string_view data) {
  const std::string size_line = fmt::format("{:x}\r\n", data.size());
  static constexpr std::string_view k_crlf = "\r\n";
  const std::array<asio::const_buffer, 3> buffers = {asio::buffer(size_line),
                                                     asio::buffer(data.data(), data.size()),
                                                     asio::buffer(k_crlf.data(), k_crlf.size())};
  boost::system::error_code ec;
  const auto deadline = conn.write_deadline();
  co_await asio::async_write(conn.socket(), buffers, asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

// The empty chunk that ends a chunked body.
inline asio::awaitable<bool> last_chunk(net::Connection& conn) {
  static constexpr std::string_view k_last = "0\r\n\r\n";
  boost::system::error_code ec;
  const auto deadline = conn.write_deadline();
  co_await asio::async_write(conn.socket(), asio::buffer(k_last.data(), k_last.size()),
                             asio::redirect_error(asio::use_awaitable, ec));
  co_return !ec;
}

}  // namespace llmbench::server::http_writes
