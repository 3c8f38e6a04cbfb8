#include "llmbench/load/recover.hpp"

#include <algorithm>

#include "llmbench/load/aggregator.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/store/sessions.hpp"
#include "llmbench/util/env.hpp"
#include "llmbench/util/process.hpp"

namespace llmbench::load {

std::vector<RecoveredRun> recover_interrupted_runs(store::Database& db) {
  std::vector<RecoveredRun> out;
  const std::string host = util::hostname();
  for (const auto& run : store::running_runs(db)) {
    if (run.host != host || !run.pid ||
        util::process_alive(*run.pid, run.process_start.value_or(""))) {
      continue;
    }
    RecoveredRun r;
    r.id = run.id;
    r.pid = *run.pid;
    Aggregator aggregator;
    std::int64_t last_done_ns = 0;
    const auto rows = store::final_attempts(db, run.id);
    for (const auto& row : rows) {
      aggregator.record(row, {});
      last_done_ns = std::max(last_done_ns, row.t_done_ns.value_or(0));
    }
    r.requests = static_cast<std::int64_t>(rows.size());
    db.transaction([&] {
      for (const auto& h : aggregator.rows(run.id)) {
        store::insert_histogram(db, h);
      }
      store::finish_run(db, run.id, "interrupted", run.started_at_ms + last_done_ns / 1'000'000);
    });
    out.push_back(std::move(r));
  }
  return out;
}

std::int64_t rebuild_histograms(store::Database& db, const std::string& run_id) {
  Aggregator aggregator;
  const auto rows = store::proxied_requests(db, run_id);
  for (const auto& row : rows) {
    if (row.proxy && row.t_first_token_ns && !row.proxy->content_gaps.empty()) {
      aggregator.record(row, store::decode_gaps(*row.t_first_token_ns, row.proxy->content_gaps));
    } else {
      aggregator.record(row, {});
    }
  }
  db.transaction([&] {
    auto del = db.prepare("DELETE FROM histograms WHERE run_id = ?1");
    del.bind(1, run_id);
    del.step();
    for (const auto& h : aggregator.rows(run_id)) {
      store::insert_histogram(db, h);
    }
  });
  return static_cast<std::int64_t>(rows.size());
}

}  // namespace llmbench::load
