// `llmbench collect`'s HTTP request handling: arbitrary bytes sent to a running collector
// (one per fuzzing process, its database in a scratch directory) over loopback. It must not
// crash, and keeps answering a real client (checked every 64 inputs).

#include <cstdint>

#include "fuzz.hpp"
#include "http_client.hpp"
#include "llmbench/beacon/collector.hpp"

using namespace llmbench;
using namespace std::chrono_literals;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static beacon::Collector* collector = [] {
    beacon::CollectorOptions options;
    options.db_path = (fuzz::scratch_dir() / "collector.db").string();
    options.threads = 2;
    options.rate_limit = 1'000'000;
    options.limits.request_timeout = 200ms;
    options.limits.idle_timeout = 200ms;
    options.limits.write_timeout = 200ms;
    auto* c = new beacon::Collector(options);  // lives as long as the process
    c->start();
    return c;
  }();
  static std::uint64_t n = 0;
  fuzz::exchange(collector->port(), fuzz::text(data, size), 300ms);
  if (++n % 64 == 0 && !fuzz::healthy(collector->port(), "/v1/health")) {
    fuzz::broken("the collector stopped answering");
  }
  return 0;
}
