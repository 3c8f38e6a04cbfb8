#pragma once
// The listening half of our HTTP servers (`llmbench mock`, `llmbench collect`): binds a TCP
// port, accepts on an Asio io_context run by N threads, and hands each connection (on a
// strand of its own, with its limits and watchdog: net/connection.hpp) to the server's
// session coroutine. What is said on a connection is the server's business.
//
// It also caps the connections open at once: when full, the connection idle the longest is
// closed to make room, and when none is idle a new one is refused (a log line says so).

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "llmbench/net/connection.hpp"

namespace llmbench::net {

class Listener {
 public:
  using Session = std::function<boost::asio::awaitable<void>(Connection&)>;
  using Log = std::function<void(const std::string&)>;

  // `what` names the server in messages ("mock", "collect"). `log` gets one line per notable
  // event (the connection cap reached); none: silent.
  Listener(std::string what, std::string host, std::uint16_t port, int threads,
           HttpLimits limits = {}, Log log = {});
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
  const HttpLimits& limits() const { return m_limits; }
  int max_connections() const { return m_max_connections; }
  std::size_t open_connections();
  std::size_t idle_connections();  // open and waiting for a request

 private:
  friend class Connection;
  boost::asio::awaitable<void> accept_loop();
  boost::asio::awaitable<void> serve(std::shared_ptr<Connection> connection);
  // Makes room for one more connection; false when every open one is busy.
  bool make_room();
  void forget(Connection* connection);

  std::string m_what;
  std::string m_host;
  std::uint16_t m_requested_port;
  int m_threads;
  HttpLimits m_limits;
  Log m_log;
  int m_max_connections = 0;
  // Before m_io: the connections its handlers still hold forget themselves here when the
  // io_context is destroyed.
  std::mutex m_mu;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> m_open;
  std::chrono::steady_clock::time_point m_last_full_log{};
  boost::asio::io_context m_io;
  boost::asio::ip::tcp::acceptor m_acceptor{m_io};
  std::vector<std::thread> m_pool;
  Session m_session;
  std::uint16_t m_port = 0;
  bool m_running = false;
};

}  // namespace llmbench::net
