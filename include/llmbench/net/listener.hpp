#pragma once
// The listening half of our HTTP servers (`llmbench mock`, `llmbench collect`): binds a TCP
// port, accepts on an Asio io_context run by N threads, and hands each connection to the
// server's session coroutine. What is said on a connection (Boost.Beast, there) is the
// server's business; this is only the part both would otherwise write out twice.

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace llmbench::net {

class Listener {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using Session = std::function<boost::asio::awaitable<void>(Socket)>;

  // `what` names the server in error messages ("mock", "collect").
  Listener(std::string what, std::string host, std::uint16_t port, int threads);
  ~Listener();  // stops
  Listener(const Listener&) = delete;
  Listener& operator=(const Listener&) = delete;

  // Binds and serves on background threads. Throws InputError when the host is not an IP
  // address, RunError when the port cannot be bound. Accepted sockets have TCP_NODELAY set.
  void start(Session session);
  void stop();

  bool running() const { return m_running; }
  std::uint16_t port() const { return m_port; }
  boost::asio::io_context& io() { return m_io; }

 private:
  boost::asio::awaitable<void> accept_loop();

  std::string m_what;
  std::string m_host;
  std::uint16_t m_requested_port;
  int m_threads;
  boost::asio::io_context m_io;
  boost::asio::ip::tcp::acceptor m_acceptor{m_io};
  std::vector<std::thread> m_pool;
  Session m_session;
  std::uint16_t m_port = 0;
  bool m_running = false;
};

}  // namespace llmbench::net
