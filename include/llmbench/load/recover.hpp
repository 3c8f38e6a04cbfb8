#pragma once
// Runs left `running` by a process that is gone (killed, crashed, machine lost power): found
// when the history is opened, marked `interrupted`, and given histograms rebuilt from their
// stored rows, so their reports agree with their rows instead of showing empty tables.

#include <cstdint>
#include <string>
#include <vector>

#include "llmbench/store/database.hpp"

namespace llmbench::load {

struct RecoveredRun {
  std::string id;
  std::int64_t pid = 0;
  std::int64_t requests = 0;  // final attempts found and aggregated
};

// Only runs started on this host are judged (another host's process cannot be seen). The
// rebuilt histograms lack inter-token latency: per-token times are not stored.
std::vector<RecoveredRun> recover_interrupted_runs(store::Database& db);

// Replaces a run's histograms with ones rebuilt from its stored rows (a harness session's
// run, whose rows the proxy wrote; or a pool of sessions). Rows through the proxy carry the
// gaps between their content events, so their ITL is rebuilt too. Returns the rows read.
std::int64_t rebuild_histograms(store::Database& db, const std::string& run_id);

}  // namespace llmbench::load
