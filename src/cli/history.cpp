#include <fmt/format.h>

#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "llmbench/load/recover.hpp"

namespace llmbench::cli {

bool history_exists(const Globals& g) {
  return std::filesystem::exists(g.db_path);
}

store::Database open_history(const Globals& g, History mode) {
  if (mode == History::existing && !history_exists(g)) {
    throw InputError(fmt::format(
        "no run history at {}: run a suite first (llmbench run SUITE.toml), or point --db or "
        "$LLMBENCH_DB at the database that has the runs",
        g.db_path));
  }
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
