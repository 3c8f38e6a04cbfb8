#pragma once
// `llmbench mock`: a real HTTP/1.1 server (Boost.Beast on Asio, C++20 coroutines) that speaks
// the OpenAI Chat Completions and Anthropic Messages protocols with byte-faithful stream
// shapes, scripted latency and injected faults.
//
//   POST /v1/chat/completions   OpenAI protocol (stream or not, include_usage honoured)
//   POST /v1/messages           Anthropic protocol (stream or not)
//   GET  /v1/models             the one model it serves
//   GET  /health                {"status":"ok"}
//
// Every response reports its script in headers, so a client's measurements can be checked
// against ground truth: x-mock-ttft-ns, x-mock-itl-ns (each gap between content events,
// comma-separated, at most 4096), x-mock-output-tokens, x-mock-tokens-per-chunk,
// x-mock-fault, x-mock-request. A request may override the profile with x-mock-ttft,
// x-mock-itl, x-mock-output-tokens, x-mock-tokens-per-chunk, x-mock-seed and x-mock-fault
// headers (same specs as the flags); that is how one in-process mock serves several suite
// targets with different scripts.
//
// Delays are kept as absolute deadlines from the moment the request was read, so they do
// not drift; events that fall due together go out in one write.
//
// A request with an x-mock-write-times header also gets the mock's own instants, so a
// client's error and the mock's lateness can be told apart (docs/mock.md, "Ground truth"):
// x-mock-read-ns (when the request was read) and, after the stream's last event, the SSE
// comment `: mock-write-ns T0,T1,...` (when each content event was handed to the socket),
// all steady-clock (CLOCK_MONOTONIC) nanoseconds, the clock the client's engine reads.
//
// With a `recorded` source (`llmbench mock --from-cache`), chat requests are answered with
// the recorded response instead of a script: each SSE event at its recorded offset (a
// non-streaming request gets the assembled body after the recorded duration). A request with
// no recording gets 404 and a note; faults and script headers do not apply.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "llmbench/net/connection.hpp"
#include "llmbench/providers/recording.hpp"
#include "llmbench/server/mock_profile.hpp"

namespace llmbench::server {

struct MockServerOptions {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;  // 0: the system picks a free port (see port())
  int threads = 0;         // 0: one per core
  // Request size limits, timeouts for slow clients and the connection cap; request bodies
  // (prompts) may be large.
  net::HttpLimits limits = [] {
    net::HttpLimits l;
    l.body_limit = 64u << 20;
    return l;
  }();
  std::function<void(const std::string&)> log;  // notable events (the connection cap), or none
  // The recorded response for (protocol "openai" | "anthropic", request body), if any.
  // Called from the server's threads.
  std::function<std::optional<providers::Recording>(std::string_view, std::string_view)> recorded;
};

class MockServer {
 public:
  explicit MockServer(MockProfile profile, MockServerOptions options = {});
  ~MockServer();
  MockServer(const MockServer&) = delete;
  MockServer& operator=(const MockServer&) = delete;

  // Binds and starts serving on background threads. Throws RunError if it cannot bind.
  void start();
  void stop();

  std::uint16_t port() const;
  std::string base_url() const;           // http://HOST:PORT/v1
  std::uint64_t requests_served() const;  // requests read (each is answered or cut off)
  // Connections open now, and how many of those wait for a request.
  std::size_t open_connections() const;
  std::size_t idle_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace llmbench::server
