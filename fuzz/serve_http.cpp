// `llmbench serve`'s HTTP handling: arbitrary bytes sent over loopback to a running service
// (one per fuzzing process) over a history with one run, so run ids, query strings, cursors,
// report formats, gates, submitted suites, deletes and the UI's pages all reach their readers
// (submissions are mock-only, so what gets queued runs against the in-process mock). It must not
// crash, and keeps answering a real client (checked every 64 inputs).

#include <unistd.h>

#include <cstdint>
#include <string>

#include "fuzz.hpp"
#include "http_client.hpp"
#include "llmbench/server/serve_server.hpp"
#include "llmbench/store/database.hpp"
#include "llmbench/store/runs.hpp"

using namespace llmbench;
using namespace std::chrono_literals;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static server::ServeServer* serve = [] {
    const std::string db = "/tmp/llmbench-fuzz-serve-" + std::to_string(getpid()) + ".db";
    {
      auto d = store::Database::open(db);
      store::RunRow run;
      run.id = "01930000-0000-7000-8000-000000000001";
      run.suite_name = "fuzz";
      run.status = "completed";
      run.tags_json = R"({"k":"v"})";
      store::insert_run(d, run);
      store::save_baseline(d, "main", run.id, 1);
    }
    server::ServeOptions o;
    o.db_path = db;
    o.port = 0;
    o.threads = 2;
    o.max_concurrent_runs = 1;
    o.rules.mock_only = true;
    o.run_grace = 0ms;
    o.limits.request_timeout = 200ms;
    o.limits.idle_timeout = 200ms;
    o.limits.write_timeout = 200ms;
    auto* s = new server::ServeServer(o);  // lives as long as the process
    s->start();
    return s;
  }();
  static std::uint64_t n = 0;
  fuzz::exchange(serve->port(), fuzz::text(data, size), 300ms);
  if (++n % 64 == 0 && !fuzz::healthy(serve->port(), "/health")) {
    fuzz::broken("the service stopped answering");
  }
  return 0;
}
