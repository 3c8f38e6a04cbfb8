// `llmbench mock`'s HTTP request handling: arbitrary bytes sent to a running mock server
// (one per fuzzing process) over loopback. The server must not crash, and keeps answering a
// real client (checked every 64 inputs).

#include <cstdint>

#include "fuzz.hpp"
#include "http_client.hpp"
#include "llmbench/server/mock_server.hpp"

using namespace llmbench;
using namespace std::chrono_literals;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static server::MockServer* mock = [] {
    server::MockProfile profile;
    profile.ttft = server::Distribution::fixed(0);
    profile.itl = server::Distribution::fixed(0);
    profile.output_tokens = server::Distribution::fixed(8);
    server::MockServerOptions options;
    options.threads = 2;
    options.limits.request_timeout = 200ms;
    options.limits.idle_timeout = 200ms;
    options.limits.write_timeout = 200ms;
    auto* m = new server::MockServer(profile, options);  // lives as long as the process
    m->start();
    return m;
  }();
  static std::uint64_t n = 0;
  fuzz::exchange(mock->port(), fuzz::text(data, size), 300ms);
  if (++n % 64 == 0 && !fuzz::healthy(mock->port(), "/health")) {
    fuzz::broken("the mock stopped answering");
  }
  return 0;
}
