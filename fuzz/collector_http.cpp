// `llmbench collect`'s HTTP request handling: arbitrary bytes sent to a running collector
// (two per fuzzing process: the default one and `--compat f3dx-worker`, chosen by the first
// byte's lowest bit; databases in a scratch directory) over loopback. Neither may crash, and
// both keep answering a real client (checked every 64 inputs).

#include <cstdint>

#include "fuzz.hpp"
#include "http_client.hpp"
#include "llmbench/beacon/collector.hpp"

using namespace llmbench;
using namespace std::chrono_literals;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto start = [](beacon::Compat compat, const char* file) {
    beacon::CollectorOptions options;
    options.compat = compat;
    options.db_path = (fuzz::scratch_dir() / file).string();
    options.threads = 2;
    options.rate_limit = 1'000'000;
    options.limits.request_timeout = 200ms;
    options.limits.idle_timeout = 200ms;
    options.limits.write_timeout = 200ms;
    auto* c = new beacon::Collector(options);  // lives as long as the process
    c->start();
    return c;
  };
  static beacon::Collector* own = start(beacon::Compat::llmbench, "collector.db");
  static beacon::Collector* worker = start(beacon::Compat::f3dx_worker, "worker.db");
  static std::uint64_t n = 0;
  beacon::Collector* target = size > 0 && (data[0] & 1) != 0 ? worker : own;
  fuzz::exchange(target->port(), fuzz::text(data, size), 300ms);
  if (++n % 64 == 0 &&
      (!fuzz::healthy(own->port(), "/v1/health") || !fuzz::healthy(worker->port(), "/v1/health"))) {
    fuzz::broken("a collector stopped answering");
  }
  return 0;
}
