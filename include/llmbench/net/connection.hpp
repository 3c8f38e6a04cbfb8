#pragma once
// One accepted HTTP connection of our servers (mock, collect, and the servers to come), with
// the limits that keep a hostile or broken client from holding it: a header size limit, a
// body size limit, a deadline for each request's arrival, an idle timeout between requests
// and a stall timeout for each write. A watchdog timer on the connection's strand cancels
// whatever the connection is waiting on when its deadline passes.
//
// Requests that cannot be read are answered before the connection closes: 400 (not HTTP),
// 408 (too slow), 413 (body too large), 431 (headers too large).

// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

namespace llmbench::net {

struct HttpLimits {
  std::size_t header_limit = 16 * 1024;
  std::uint64_t body_limit = 8u << 20;
  std::chrono::milliseconds idle_timeout{30'000};     // waiting for the next request
  std::chrono::milliseconds request_timeout{10'000};  // a request's first byte to its last
  std::chrono::milliseconds write_timeout{30'000};    // one write may stall this long
  int max_connections = 0;  // open at once; 0: as many as descriptors allow (less a margin)
};

class Listener;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  using Socket = boost::asio::ip::tcp::socket;
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Clock = std::chrono::steady_clock;

  Connection(Socket socket, const HttpLimits& limits, Listener* owner);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  Socket& socket() { return m_socket; }
  const HttpLimits& limits() const { return m_limits; }

  // The next request, within the limits. nullopt when the connection is done: the peer
  // closed it, it stayed idle past the idle timeout, or a bad request was answered (4xx).
  boost::asio::awaitable<std::optional<Request>> read_request();

  // While a Deadline lives, the connection's current wait must end by `after` from now (a
  // write that stalls, a held stream); otherwise the watchdog cancels it.
  class Deadline {
   public:
    Deadline(Connection& c, std::chrono::milliseconds after);
    ~Deadline();
    Deadline(const Deadline&) = delete;
    Deadline& operator=(const Deadline&) = delete;

   private:
    Connection& m_c;
  };
  // Waits until `due` while the server prepares what comes next (a scripted delay). Returns
  // false, early, when the client hangs up meanwhile (or the connection is closed): a client
  // that leaves does not keep its connection held until the wait is over.
  boost::asio::awaitable<bool> wait_until(Clock::time_point due);

  // Ends a wait_until in progress early (it returns true: the connection is still open), so a
  // server waiting on work done elsewhere (the proxy's upstream) can be woken. Any thread.
  void wake();

  // A deadline for one write.
  Deadline write_deadline() { return Deadline(*this, m_limits.write_timeout); }
  bool timed_out() const { return m_timed_out; }

  // Closes the connection if it is waiting for a request (the listener makes room this way
  // when it is full). Runs on the connection's strand.
  void close_if_idle();
  // Milliseconds since the epoch of steady_clock when it became idle, or -1 when busy.
  std::int64_t idle_since() const { return m_idle_since.load(std::memory_order_relaxed); }
  // Chosen to make room (closing soon): true the first time only.
  bool mark_leaving() { return !m_leaving.exchange(true); }
  bool leaving() const { return m_leaving.load(); }

  // Started by the listener: the watchdog, until the connection closes.
  boost::asio::awaitable<void> watchdog();
  void close();

 private:
  void set_deadline(Clock::time_point at);
  // Closes the connection when the peer hangs up; stops at the first byte it could read.
  boost::asio::awaitable<void> watch_for_hangup();
  boost::asio::awaitable<void> answer_and_close(unsigned status, std::string_view why);

  Socket m_socket;
  HttpLimits m_limits;
  Listener* m_owner;
  boost::beast::flat_buffer m_buffer;
  boost::asio::steady_timer m_timer;
  boost::asio::steady_timer m_wait;  // wait_until's
  bool m_watching = false;
  Clock::time_point m_deadline = Clock::time_point::max();
  std::atomic<std::int64_t> m_idle_since{-1};
  std::atomic<bool> m_leaving{false};
  bool m_timed_out = false;
  bool m_closed = false;
};

}  // namespace llmbench::net
