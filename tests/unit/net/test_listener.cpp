// Our servers against hostile clients (issue 11): slow and idle connections, garbage, huge
// headers and bodies, clients that never read. Every case is answered or closed within its
// limit, and the server keeps serving real clients. Run against the mock server, the
// listener's first user; the collector shares the same Listener and Connection.

#include "llmbench/net/listener.hpp"

#include <gtest/gtest.h>

#include <mutex>
#include <thread>

#include "llmbench/server/mock_server.hpp"
#include "support/http_client.hpp"
#include "support/raw_socket.hpp"

using namespace llmbench;
using namespace std::chrono_literals;
using llmbench::testing::http_exchange;
using llmbench::testing::RawSocket;

namespace {

class ListenerTest : public ::testing::Test {
 protected:
  void start(int max_connections = 0, std::uint64_t body_limit = 1u << 20,
             std::chrono::milliseconds idle_timeout = 400ms) {
    server::MockProfile profile;
    profile.ttft = server::Distribution::fixed(0);
    profile.itl = server::Distribution::fixed(0);
    profile.output_tokens = server::Distribution::fixed(4);
    server::MockServerOptions options;
    options.threads = 2;
    options.limits.idle_timeout = idle_timeout;
    options.limits.request_timeout = 400ms;
    options.limits.write_timeout = 400ms;
    options.limits.header_limit = 4096;
    options.limits.body_limit = body_limit;
    options.limits.max_connections = max_connections;
    options.log = [this](const std::string& line) {
      std::lock_guard lock(m_mu);
      m_log.push_back(line);
    };
    m_mock = std::make_unique<server::MockServer>(profile, options);
    m_mock->start();
  }
  std::uint16_t port() const { return m_mock->port(); }
  // A real client still gets an answer.
  long health() const {
    return http_exchange("GET", "http://127.0.0.1:" + std::to_string(port()) + "/health").status;
  }
  std::vector<std::string> log() {
    std::lock_guard lock(m_mu);
    return m_log;
  }

  std::unique_ptr<server::MockServer> m_mock;
  std::mutex m_mu;
  std::vector<std::string> m_log;
};

}  // namespace

TEST_F(ListenerTest, ASlowRequestGets408AndTheConnectionCloses) {
  start();
  RawSocket slow(port());
  ASSERT_TRUE(slow.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Le"));
  const std::string answer = slow.read_all(10s);
  EXPECT_TRUE(answer.starts_with("HTTP/1.1 408")) << answer;
  EXPECT_TRUE(slow.peer_closed());
  EXPECT_EQ(health(), 200);
}

TEST_F(ListenerTest, GarbageIsAnswered400AndTheServerGoesOn) {
  start();
  for (const std::string& garbage :
       {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 15),
        std::string("GET / HTTP/9.9\r\n\r\n"), std::string("NOT-A-METHOD\r\n\r\n"),
        std::string("POST /v1/chat/completions HTTP/1.1\r\nContent-Length: -5\r\n\r\n")}) {
    RawSocket c(port());
    ASSERT_TRUE(c.send(garbage));
    const std::string answer = c.read_all(10s);
    EXPECT_TRUE(answer.starts_with("HTTP/1.1 400")) << answer;
    EXPECT_TRUE(c.peer_closed());
  }
  EXPECT_EQ(health(), 200);
}

TEST_F(ListenerTest, HugeHeadersGet431AndHugeBodies413) {
  start(0, 1024);
  RawSocket headers(port());
  headers.send("GET /health HTTP/1.1\r\nX-Big: " + std::string(8000, 'a') + "\r\n\r\n");
  EXPECT_TRUE(headers.read_all(10s).starts_with("HTTP/1.1 431"));
  RawSocket body(port());
  body.send("POST /v1/chat/completions HTTP/1.1\r\nContent-Length: 5000\r\n\r\n" +
            std::string(5000, 'x'));
  EXPECT_TRUE(body.read_all(10s).starts_with("HTTP/1.1 413"));
  EXPECT_EQ(health(), 200);
}

TEST_F(ListenerTest, IdleConnectionsAreClosedAfterTheIdleTimeout) {
  start();
  RawSocket idle(port());
  EXPECT_EQ(idle.read_all(10s), "");  // nothing to say, then closed
  EXPECT_TRUE(idle.peer_closed());
}

// 1,100 idle connections used to lock every real client out (issue 11). At the cap the
// longest-idle connection makes room.
TEST_F(ListenerTest, IdleConnectionsAtTheCapMakeRoomForRealClients) {
  start(4, 1u << 20, 60s);  // idle connections would stay for a minute
  std::vector<RawSocket> idle;
  for (int i = 0; i < 12; ++i) {
    idle.emplace_back(port());
  }
  EXPECT_EQ(health(), 200);
  // Each newcomer closed the longest-idle one: at most 4 of the 12 are still open.
  int closed = 0;
  for (auto& c : idle) {
    c.read_all(closed < 8 ? 5s : 50ms);
    closed += c.peer_closed() ? 1 : 0;
  }
  EXPECT_GE(closed, 8);
}

TEST_F(ListenerTest, BusyConnectionsAtTheCapRefuseNewOnesWithALogLine) {
  start(2);
  std::vector<RawSocket> busy;
  for (int i = 0; i < 2; ++i) {
    busy.emplace_back(port());
    busy.back().send("GET /health HTTP/1.1\r\n");  // a request begun, never finished
  }
  // Wait until both are being read (busy), then a third is refused at once.
  for (int i = 0; i < 400 && (m_mock->open_connections() < 2 || m_mock->idle_connections() > 0);
       ++i) {
    std::this_thread::sleep_for(5ms);
  }
  RawSocket third(port());
  EXPECT_TRUE(third.read_all(10s).starts_with("HTTP/1.1 503"));
  const auto lines = log();
  ASSERT_EQ(lines.size(), 1U);
  EXPECT_NE(lines[0].find("2 connections are open and busy"), std::string::npos) << lines[0];
  // The slow ones time out (408), and then there is room again.
  for (auto& b : busy) {
    EXPECT_TRUE(b.read_all(10s).starts_with("HTTP/1.1 408"));
  }
  EXPECT_EQ(health(), 200);
}

TEST_F(ListenerTest, AClientThatNeverReadsIsClosedAfterTheWriteTimeout) {
  start();
  RawSocket reader(port());
  // Far more output than the socket buffers hold, as fast as the mock can write it.
  const std::string body =
      R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})";
  reader.send(
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nx-mock-output-tokens: 1000000\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  // Read nothing until the server has taken the request and then given up, then drain what
  // it had sent.
  for (int i = 0; i < 400 && m_mock->requests_served() == 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  for (int i = 0; i < 400 && m_mock->open_connections() > 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(m_mock->open_connections(), 0U);
  const std::string got = reader.read_all(30s);
  EXPECT_TRUE(reader.peer_closed());
  EXPECT_EQ(got.find("[DONE]"), std::string::npos);  // cut off, not finished
  EXPECT_EQ(health(), 200);
}

// Found by fuzz/mock_http.cpp: a client that asked for an hour-long answer and left kept its
// connection (and a slot under the cap) for the hour; thousands of them locked the mock.
TEST_F(ListenerTest, AClientThatLeavesDuringADelayFreesItsConnection) {
  start();
  const std::string body =
      R"({"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]})";
  for (const char* header : {"x-mock-ttft: 1h", "x-mock-itl: 1h"}) {
    {
      RawSocket leaving(port());
      leaving.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n" + std::string(header) +
                   "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
      for (int i = 0; i < 400 && m_mock->open_connections() == 0; ++i) {
        std::this_thread::sleep_for(5ms);
      }
      EXPECT_EQ(m_mock->open_connections(), 1U);
    }  // closed here
    for (int i = 0; i < 400 && m_mock->open_connections() > 0; ++i) {
      std::this_thread::sleep_for(5ms);
    }
    EXPECT_EQ(m_mock->open_connections(), 0U) << header;
  }
}
