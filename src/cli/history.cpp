#include <fmt/format.h>

#include <iostream>

#include "commands.hpp"
#include "llmbench/load/recover.hpp"

namespace llmbench::cli {

store::Database open_history(const Globals& g) {
  auto db = store::Database::open(g.db_path);
  for (const auto& r : load::recover_interrupted_runs(db)) {
    if (!g.quiet) {
      std::cerr << fmt::format(
          "llmbench: run {} was left running by process {}, which is gone: marked interrupted, "
          "its histograms rebuilt from its {} stored requests (without inter-token latency)\n",
          r.id, r.pid, r.requests);
    }
  }
  return db;
}

}  // namespace llmbench::cli
