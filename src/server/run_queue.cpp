#include "llmbench/server/run_queue.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "llmbench/server/run_job.hpp"
#include "llmbench/store/database.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/time.hpp"
#include "llmbench/util/uuid.hpp"

namespace llmbench::server {

struct RunQueue::Impl {
  RunQueueOptions o;
  std::mutex db_mu;  // the queue's own connection, for its rows
  store::Database db;
  mutable std::mutex mu;  // everything below
  std::condition_variable wake;
  std::condition_variable done;
  std::deque<std::string> queued;
  std::map<std::string, RunJob*> active;
  std::map<std::string, load::Progress> progress;
  bool draining = false;
  std::vector<std::thread> threads;

  explicit Impl(RunQueueOptions options)
      : o(std::move(options)), db(store::Database::open(o.db_path)) {}

  void log(const std::string& line) const {
    if (o.log) {
      o.log(line);
    }
  }

  void worker() {
    for (;;) {
      std::string id;
      {
        std::unique_lock lock(mu);
        wake.wait(lock, [&] { return draining || !queued.empty(); });
        if (draining) {
          return;
        }
        id = queued.front();
        queued.pop_front();
      }
      run_one(id);
    }
  }

  // Marks a run that could not start failed (if it is still queued); either way the log says
  // what happened to it.
  void fail_unstarted(const std::string& id, const std::string& why) {
    bool was_queued = false;
    {
      std::lock_guard lock(db_mu);
      auto st = db.prepare(
          "UPDATE runs SET status = 'failed', ended_at_ms = ?2 WHERE id = ?1 AND status = "
          "'queued'");
      st.bind(1, id).bind(2, util::unix_ms_now());
      st.step();
      was_queued = db.changes() == 1;
    }
    log(fmt::format("run {} {}: {}", id, was_queued ? "failed before it started" : "stopped", why));
  }

  void run_one(const std::string& id) {
    std::optional<store::RunRow> row;
    {
      std::lock_guard lock(db_mu);
      row = store::get_run(db, id);
    }
    if (!row || row->status != "queued") {
      return;  // cancelled (or removed) while it waited
    }
    // Checked again: the rules or the environment may have changed since it was queued.
    suite::LoadOptions load_options;
    load_options.require_api_keys = true;
    load_options.untrusted = o.rules;
    const auto loaded = suite::load_suite_text(row->suite_text, "submitted.toml", load_options);
    if (!loaded.suite) {
      std::string why;
      for (const auto& d : loaded.diagnostics.items()) {
        why += (why.empty() ? "" : "; ") + d.to_string();
      }
      fail_unstarted(id, why);
      return;
    }
    RunJobOptions jo;
    jo.db_path = o.db_path;
    jo.suite = *loaded.suite;
    jo.run_id = id;
    jo.started_at_ms = util::unix_ms_now();
    jo.epoch = std::chrono::steady_clock::now();
    jo.tags_json = row->tags_json;
    jo.grace = o.grace;
    jo.queued = true;
    jo.record_git_commit = false;
    jo.progress_every = std::chrono::milliseconds(500);
    jo.on_progress = [this, id](const load::Progress& p) {
      std::lock_guard lock(mu);
      progress[id] = p;
    };
    jo.note = [this](const std::string& line) { log(line); };
    RunJob job(std::move(jo));
    {
      std::lock_guard lock(mu);
      if (draining) {
        return;  // stays queued for the next start
      }
      active[id] = &job;
    }
    try {
      job.open();
      job.record_start();
      job.measure();
      job.store_results();
      log(fmt::format("run {} {}", id, job.status()));
    } catch (const std::exception& e) {
      fail_unstarted(id, e.what());  // measure() has marked a started run failed itself
    }
    {
      std::lock_guard lock(mu);
      active.erase(id);
      progress.erase(id);
    }
    done.notify_all();
  }
};

RunQueue::RunQueue(RunQueueOptions options) : m_impl(std::make_unique<Impl>(std::move(options))) {}

RunQueue::~RunQueue() {
  drain(std::chrono::nanoseconds(0));
}

void RunQueue::start() {
  std::vector<store::RunRow> rows;
  {
    std::lock_guard lock(m_impl->db_mu);
    rows = store::queued_runs(m_impl->db);
  }
  std::lock_guard lock(m_impl->mu);
  for (const auto& r : rows) {
    m_impl->queued.push_back(r.id);
  }
  if (!rows.empty()) {
    m_impl->log(fmt::format("{} queued run{} from before the last stop", rows.size(),
                            rows.size() == 1 ? "" : "s"));
  }
  for (int i = 0; i < std::max(1, m_impl->o.workers); ++i) {
    m_impl->threads.emplace_back([impl = m_impl.get()] { impl->worker(); });
  }
}

std::string RunQueue::submit(const suite::Suite& s, const std::string& tags_json) {
  store::RunRow run = run_row_of(s, util::uuid_v7());
  run.tags_json = tags_json;
  run.started_at_ms = util::unix_ms_now();  // when it was submitted, until it starts
  run.status = "queued";
  {
    std::lock_guard lock(m_impl->db_mu);
    store::insert_run(m_impl->db, run);
  }
  {
    std::lock_guard lock(m_impl->mu);
    m_impl->queued.push_back(run.id);
  }
  m_impl->wake.notify_one();
  return run.id;
}

RunQueue::Cancel RunQueue::cancel(const std::string& run_id) {
  {
    std::lock_guard lock(m_impl->mu);
    if (const auto it = m_impl->active.find(run_id); it != m_impl->active.end()) {
      // Stop scheduling, then cancel what is in flight: finished rows stay.
      it->second->request_stop(StopReason::cancelled);
      it->second->request_stop(StopReason::cancelled);
      return Cancel::stopping;
    }
    auto& q = m_impl->queued;
    q.erase(std::remove(q.begin(), q.end(), run_id), q.end());
  }
  // Queued here, taken by a worker that has not started it yet, or queued by an earlier
  // process: the row decides.
  std::lock_guard lock(m_impl->db_mu);
  return store::cancel_queued_run(m_impl->db, run_id, util::unix_ms_now()) ? Cancel::was_queued
                                                                           : Cancel::not_here;
}

void RunQueue::drain(std::chrono::nanoseconds grace) {
  std::unique_lock lock(m_impl->mu);
  m_impl->draining = true;
  m_impl->wake.notify_all();
  if (!m_impl->done.wait_for(lock, grace, [&] { return m_impl->active.empty(); })) {
    m_impl->log(fmt::format("{} run{} still running after the grace period: stopping them",
                            m_impl->active.size(), m_impl->active.size() == 1 ? "" : "s"));
    for (auto& [id, job] : m_impl->active) {
      job->request_stop(StopReason::interrupted);
      job->request_stop(StopReason::interrupted);
    }
  }
  lock.unlock();
  for (auto& t : m_impl->threads) {
    if (t.joinable()) {
      t.join();
    }
  }
  m_impl->threads.clear();
}

std::size_t RunQueue::depth() const {
  std::lock_guard lock(m_impl->mu);
  return m_impl->queued.size();
}

std::size_t RunQueue::running() const {
  std::lock_guard lock(m_impl->mu);
  return m_impl->active.size();
}

std::optional<load::Progress> RunQueue::progress(const std::string& run_id) const {
  std::lock_guard lock(m_impl->mu);
  const auto it = m_impl->progress.find(run_id);
  if (it == m_impl->progress.end()) {
    return std::nullopt;
  }
  return it->second;
}

}  // namespace llmbench::server
