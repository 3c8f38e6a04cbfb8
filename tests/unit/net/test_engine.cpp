// The engine against the real mock server on 127.0.0.1 (port 0): both protocols, every fault
// class, timeouts, cancellation, connection reuse.

#include "llmbench/net/engine.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>

#include "llmbench/providers/anthropic.hpp"
#include "llmbench/providers/openai.hpp"
#include "llmbench/server/mock_server.hpp"
#include "support/engine_runner.hpp"

using namespace llmbench;
using namespace std::chrono_literals;
using llmbench::net::ErrorClass;
using llmbench::testing::run_one;
namespace lt = llmbench::testing;

namespace {

// Every test runs with the loop on the test's thread (1) and on two worker threads (2).
class EngineTest : public ::testing::TestWithParam<int> {
 protected:
  void SetUp() override {
    server::MockProfile profile;
    profile.ttft = server::Distribution::fixed(2e6);  // 2 ms
    profile.itl = server::Distribution::fixed(0.2e6);
    profile.output_tokens = server::Distribution::fixed(16);
    server::MockServerOptions options;
    options.threads = 2;
    m_mock = std::make_unique<server::MockServer>(profile, options);
    m_mock->start();
  }

  providers::ChatRequest request(bool stream = true) const {
    providers::ChatRequest r;
    r.base_url = m_mock->base_url();
    r.messages = m_messages;
    r.params.model = "mock-model";
    r.params.max_tokens = 100;
    r.stream = stream;
    r.total_timeout = 20s;
    return r;
  }

  std::vector<suite::Message> m_messages = {{"user", "Tell me a story about a fox", ""}};
  std::unique_ptr<server::MockServer> m_mock;
  net::Engine m_engine{[] {
    net::EngineOptions o;
    o.threads = GetParam();
    return o;
  }()};
};

providers::ChatRequest with_header(providers::ChatRequest r, std::string name, std::string value) {
  r.headers.emplace_back(std::move(name), std::move(value));
  return r;
}

}  // namespace

INSTANTIATE_TEST_SUITE_P(Threads, EngineTest, ::testing::Values(1, 2),
                         [](const ::testing::TestParamInfo<int>& param) {
                           return param.param == 1 ? std::string("OneThread")
                                                   : std::string("TwoThreads");
                         });

TEST_P(EngineTest, OpenAiStreamEndToEnd) {
  const auto ex = run_one(m_engine, providers::openai_codec(), request());
  const auto& r = ex->r();
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.status_code, 200);
  EXPECT_EQ(r.http_version, 11);  // cleartext: HTTP/1.1, no HTTP/2 needed
  EXPECT_EQ(r.text_events, 16);
  EXPECT_EQ(r.output_tokens, 16);
  EXPECT_EQ(r.input_tokens, 7);  // 27 characters / 4, rounded up
  EXPECT_EQ(r.finish_reason, "stop");
  EXPECT_TRUE(r.terminated);
  EXPECT_LE(r.t_send_ns, r.t_first_byte_ns);
  EXPECT_LE(r.t_first_byte_ns, r.t_first_token_ns);
  EXPECT_LE(r.t_first_token_ns, r.t_done_ns);
  EXPECT_GE(r.t_first_token_ns - r.t_send_ns, 2'000'000);  // never before the scripted TTFT
  EXPECT_EQ(r.content_times_ns.size(), 16u);
  EXPECT_EQ(r.header("x-mock-output-tokens"), "16");
}

TEST_P(EngineTest, AnthropicStreamEndToEnd) {
  const auto ex = run_one(m_engine, providers::anthropic_codec(), request());
  const auto& r = ex->r();
  ASSERT_TRUE(r.ok()) << r.error_message;
  EXPECT_EQ(r.text_events, 16);
  EXPECT_EQ(r.output_tokens, 16);
  EXPECT_EQ(r.input_tokens, 7);
  EXPECT_EQ(r.finish_reason, "end_turn");
}

TEST_P(EngineTest, MaxTokensCapsTheOutputWithTheLengthReason) {
  auto req = request();
  req.params.max_tokens = 5;
  const auto openai = run_one(m_engine, providers::openai_codec(), req);
  EXPECT_EQ(openai->r().output_tokens, 5);
  EXPECT_EQ(openai->r().finish_reason, "length");
  const auto anthropic = run_one(m_engine, providers::anthropic_codec(), req);
  EXPECT_EQ(anthropic->r().output_tokens, 5);
  EXPECT_EQ(anthropic->r().finish_reason, "max_tokens");
}

TEST_P(EngineTest, NonStreamingBothProtocols) {
  for (const providers::Codec* codec :
       {&providers::openai_codec(), &providers::anthropic_codec()}) {
    const auto ex = run_one(m_engine, *codec, request(false));
    const auto& r = ex->r();
    ASSERT_TRUE(r.ok()) << codec->name() << ": " << r.error_message;
    EXPECT_EQ(r.output_tokens, 16) << codec->name();
    EXPECT_EQ(r.text_events, 1) << codec->name();
    // The whole answer waits for every scripted delay: 2 ms + 15 x 0.2 ms.
    EXPECT_GE(r.t_done_ns - r.t_send_ns, 5'000'000) << codec->name();
  }
}

TEST_P(EngineTest, TokensPerChunkGroupsTokensIntoEvents) {
  const auto ex = run_one(m_engine, providers::openai_codec(),
                          with_header(request(), "x-mock-tokens-per-chunk", "4"));
  EXPECT_EQ(ex->r().text_events, 4);
  EXPECT_EQ(ex->r().output_tokens, 16);
  EXPECT_EQ(ex->r().text,
            " the quick brown fox jumps over a lazy dog while seven models stream "
            "their words back");
}

TEST_P(EngineTest, EachFaultMapsToItsErrorClass) {
  struct Case {
    const char* fault;
    ErrorClass expected;
  };
  const Case cases[] = {
      {"rate_limited", ErrorClass::rate_limited}, {"server_error", ErrorClass::http_5xx},
      {"unavailable", ErrorClass::http_5xx},      {"reset", ErrorClass::connection},
      {"malformed", ErrorClass::protocol},        {"no_terminator", ErrorClass::protocol},
  };
  // Streaming and whole bodies alike (no_terminator used to do nothing for stream = false).
  for (const bool stream : {true, false}) {
    for (const providers::Codec* codec :
         {&providers::openai_codec(), &providers::anthropic_codec()}) {
      for (const auto& c : cases) {
        const auto ex =
            run_one(m_engine, *codec, with_header(request(stream), "x-mock-fault", c.fault));
        EXPECT_EQ(ex->r().error, c.expected)
            << codec->name() << " " << c.fault << " stream " << stream << ": "
            << net::to_string(ex->r().error) << " " << ex->r().error_message;
        EXPECT_FALSE(ex->r().error_message.empty());
      }
    }
  }
  const auto limited = run_one(m_engine, providers::openai_codec(),
                               with_header(request(), "x-mock-fault", "rate_limited"));
  EXPECT_EQ(limited->r().status_code, 429);
  EXPECT_EQ(limited->r().retry_after_ms, 1000);
}

TEST_P(EngineTest, AStalledStreamHitsTheTotalTimeout) {
  auto req = with_header(request(), "x-mock-fault", "stall");
  req.total_timeout = 300ms;
  const auto ex = run_one(m_engine, providers::openai_codec(), req);
  EXPECT_EQ(ex->r().error, ErrorClass::timeout_total) << ex->r().error_message;
  const auto elapsed = ex->r().t_done_ns - ex->r().t_send_ns;
  EXPECT_GE(elapsed, 290'000'000);
  EXPECT_LT(elapsed, 2'000'000'000);
  EXPECT_EQ(ex->r().text_events, 8);  // half the stream came before the stall
}

TEST_P(EngineTest, FirstTokenTimeoutFiresOnTime) {
  auto req = with_header(request(), "x-mock-ttft", "3s");
  req.first_token_timeout = 200ms;
  const auto ex = run_one(m_engine, providers::openai_codec(), req);
  EXPECT_EQ(ex->r().error, ErrorClass::timeout_ttft) << ex->r().error_message;
  const auto elapsed = ex->r().t_done_ns - ex->r().t_send_ns;
  EXPECT_GE(elapsed, 200'000'000);
  EXPECT_LT(elapsed, 1'000'000'000);
  // Output that arrives in time disarms it.
  auto fast = request();
  fast.first_token_timeout = 2s;
  EXPECT_TRUE(run_one(m_engine, providers::openai_codec(), fast)->r().ok());
}

TEST_P(EngineTest, TotalTimeoutCutsALongStream) {
  auto req =
      with_header(with_header(request(), "x-mock-itl", "50ms"), "x-mock-output-tokens", "100");
  req.total_timeout = 300ms;
  const auto ex = run_one(m_engine, providers::anthropic_codec(), req);
  EXPECT_EQ(ex->r().error, ErrorClass::timeout_total);
  EXPECT_GT(ex->r().text_events, 3);
  EXPECT_LT(ex->r().text_events, 9);
}

TEST_P(EngineTest, ConnectTimeoutWhenNobodyAccepts) {
  // A listener with a full backlog that never accepts: SYNs go unanswered.
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(listen(listener, 0), 0);
  socklen_t len = sizeof addr;
  getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
  std::vector<int> fillers;
  for (int i = 0; i < 8; ++i) {
    const int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    fillers.push_back(s);
  }
  auto req = request();
  req.base_url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/v1";
  req.connect_timeout = 200ms;
  const auto ex = run_one(m_engine, providers::openai_codec(), req);
  EXPECT_EQ(ex->r().error, ErrorClass::timeout_connect) << ex->r().error_message;
  EXPECT_NE(ex->r().error_message.find("no connection within 200 ms"), std::string::npos)
      << ex->r().error_message;
  for (int s : fillers) {
    close(s);
  }
  close(listener);
}

TEST_P(EngineTest, RefusedConnectionIsAConnectionError) {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(s, reinterpret_cast<sockaddr*>(&addr), &len);
  close(s);  // bound, never listened: the port refuses
  auto req = request();
  req.base_url = "http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/v1";
  const auto ex = run_one(m_engine, providers::openai_codec(), req);
  EXPECT_EQ(ex->r().error, ErrorClass::connection) << ex->r().error_message;
  EXPECT_EQ(ex->r().status_code, 0);
}

TEST_P(EngineTest, CancelStopsARequestInFlight) {
  std::vector<std::unique_ptr<lt::Exchange>> all;
  all.push_back(
      lt::start(m_engine, providers::openai_codec(), with_header(request(), "x-mock-ttft", "5s")));
  all.push_back(lt::start(m_engine, providers::openai_codec(), request()));
  const auto t0 = std::chrono::steady_clock::now();
  while (!all[1]->done) {
    m_engine.poll(50ms);
  }
  EXPECT_EQ(m_engine.in_flight(), 1u);
  m_engine.cancel(all[0]->id);
  // At once with one thread; with workers, the worker cancels it and the next poll says so.
  if (GetParam() > 1) {
    lt::wait_all(m_engine, all, 2s);
  }
  EXPECT_TRUE(all[0]->done);
  EXPECT_EQ(all[0]->r().error, ErrorClass::cancelled);
  EXPECT_EQ(m_engine.in_flight(), 0u);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 4s);
  m_engine.cancel(all[0]->id);  // a finished id is ignored
  EXPECT_TRUE(all[1]->r().ok());
}

TEST_P(EngineTest, CancelFromInsideAHandlerIsDeferredSafely) {
  // A handler that cancels its own transfer from inside curl's write callback. With worker
  // threads the callbacks run on a worker, possibly before start() has returned the id to
  // this thread: the id is handed over atomically, and only bodies seen once it is known
  // count.
  struct Cancelling : net::ResponseHandler {
    net::Engine* engine = nullptr;
    std::atomic<net::Engine::RequestId> id{0};
    int bodies = 0;
    bool done = false;
    net::TransferResult result;
    bool on_body(std::string_view, std::int64_t) override {
      if (const auto known = id.load(); known != 0) {
        ++bodies;
        engine->cancel(known);
      }
      return true;
    }
    bool first_token_seen() const override { return true; }
    void on_complete(const net::TransferResult& r) override {
      result = r;
      done = true;
    }
  } handler;
  handler.engine = &m_engine;
  auto req = with_header(request(), "x-mock-itl", "20ms");
  handler.id = m_engine.start(providers::openai_codec().build(req), handler);
  while (!handler.done) {
    m_engine.poll(50ms);
  }
  EXPECT_EQ(handler.result.error, ErrorClass::cancelled);
  EXPECT_GE(handler.bodies, 1);
  EXPECT_LE(handler.bodies, 2);  // stopped at once, not after the whole stream
  EXPECT_EQ(m_engine.in_flight(), 0u);
}

TEST_P(EngineTest, ManyConcurrentStreamsReuseConnections) {
  std::vector<std::unique_ptr<lt::Exchange>> all;
  for (int round = 0; round < 2; ++round) {
    all.clear();
    for (int i = 0; i < 200; ++i) {
      all.push_back(lt::start(m_engine, providers::openai_codec(), request()));
    }
    EXPECT_EQ(m_engine.in_flight(), 200u);
    lt::wait_all(m_engine, all);
  }
  int reused = 0;
  for (const auto& ex : all) {
    ASSERT_TRUE(ex->r().ok()) << ex->r().error_message;
    EXPECT_EQ(ex->r().output_tokens, 16);
    reused += ex->r().reused_connection ? 1 : 0;
  }
  EXPECT_GE(reused, 150) << "the second round should ride the first round's connections";
  EXPECT_EQ(m_engine.in_flight(), 0u);
}

TEST_P(EngineTest, WakeReturnsFromPollAtOnce) {
  std::thread waker([&] {
    std::this_thread::sleep_for(50ms);
    m_engine.wake();
  });
  const auto t0 = std::chrono::steady_clock::now();
  m_engine.poll(10s);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 5s);
  waker.join();
}

TEST_P(EngineTest, ErrorBodiesFromTheServerAreRead) {
  const auto bad = run_one(m_engine, providers::anthropic_codec(),
                           with_header(request(), "x-mock-ttft", "not-a-duration"));
  EXPECT_EQ(bad->r().error, ErrorClass::http_4xx);
  EXPECT_EQ(bad->r().status_code, 400);
  EXPECT_NE(bad->r().error_message.find("x-mock-ttft"), std::string::npos)
      << bad->r().error_message;
}

// libcurl re-sends a request whose reused connection dies before the first response byte;
// a provider would bill it twice and we would time the second try. It is sent once and
// recorded as a `connection` error instead (issue 11: 400 requests with reset=0.1 made the
// mock serve 439).
TEST_P(EngineTest, ARequestIsNeverSentTwice) {
  for (const bool stream : {false, true}) {
    const auto served_before = m_mock->requests_served();
    const auto first = run_one(m_engine, providers::openai_codec(), request(stream));
    ASSERT_TRUE(first->r().ok()) << first->r().error_message;
    // On the same (reused) connection, a request the server resets before answering.
    const auto reset = run_one(m_engine, providers::openai_codec(),
                               with_header(request(false), "x-mock-fault", "reset"));
    EXPECT_EQ(reset->r().error, ErrorClass::connection) << reset->r().error_message;
    EXPECT_EQ(m_mock->requests_served() - served_before, 2u) << "stream " << stream;
  }
}
