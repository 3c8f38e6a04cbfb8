#pragma once
// One run of a suite, from its row in the history to its status: the one code path that
// `llmbench run` and the service's workers (`llmbench serve`) share. There is no second runner.
//
// It lives in server/ rather than load/ because a run may need the in-process mock server
// (`provider = "mock"` targets) and builds the run's report to decide its status, and server/
// is the lowest area allowed to use both (DESIGN.md's order: server -> report, load -> ...).
// It prints nothing: what a user should read goes to `note`, progress to `on_progress`.
//
// The passes, in order (each may throw; a throw from measure() marks the run failed and keeps
// every stored row):
//   open()          the batch writer and the history; fails before anything is sent
//   record_start()  the mock (if a target needs it), the run's row (inserted, or a queued row
//                   taken over) and its targets
//   measure()       the load, until done or stopped
//   store_results() rows flushed, histograms stored, the report built, the status set
//                   (a target that measured nothing fails the run), a baseline saved

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "llmbench/load/aggregator.hpp"
#include "llmbench/load/runner.hpp"
#include "llmbench/report/model.hpp"
#include "llmbench/store/batch_writer.hpp"
#include "llmbench/store/database.hpp"
#include "llmbench/store/records.hpp"
#include "llmbench/suite/overrides.hpp"
#include "llmbench/suite/suite.hpp"

namespace llmbench::server {

class MockServer;

struct RunJobOptions {
  std::string db_path;
  suite::Suite suite;              // with its overrides applied
  suite::LoadOverrides overrides;  // recorded with the run (load_json)
  std::string run_id;
  // One instant for the wall clock and the run's steady clock (beacons stamp requests from it).
  std::int64_t started_at_ms = 0;
  std::chrono::steady_clock::time_point epoch;
  std::string tags_json = "{}";
  std::chrono::nanoseconds grace{std::chrono::seconds(5)};
  // The row exists with status `queued` (the service inserted it when the suite was
  // submitted): record_start() takes it over instead of inserting one.
  bool queued = false;
  std::string save_baseline;  // named after a completed run
  // Record the git commit of the working folder (the CLI's; a service's folder says nothing
  // about what it runs).
  bool record_git_commit = true;
  // Passed through to the runner.
  load::ResponseCache* cache = nullptr;
  suite::CacheMode cache_mode = suite::CacheMode::off;
  suite::ReplayTiming replay_timing;
  std::function<void(const load::Progress&)> on_progress;
  std::chrono::milliseconds progress_every{250};
  store::BatchWriterOptions writer;
  // A line for the user ("run ID: suite ...", "baseline ... now names ..."); may be empty.
  std::function<void(const std::string&)> note;
};

// Why a run was stopped before its load was done: its status.
enum class StopReason { interrupted, cancelled };

class RunJob {
 public:
  explicit RunJob(RunJobOptions options);
  ~RunJob();
  RunJob(const RunJob&) = delete;
  RunJob& operator=(const RunJob&) = delete;

  void open();
  void record_start();
  void measure();
  void store_results();

  // Async-signal-safe and callable from any thread, before or during measure(). The first
  // call stops scheduling and lets in-flight requests finish within the grace period; the
  // second cancels them at once. The run ends `interrupted` or `cancelled` as `reason` says.
  void request_stop(StopReason reason = StopReason::interrupted);

  const RunJobOptions& options() const { return m_o; }
  const suite::Suite& suite() const { return m_o.suite; }
  store::Database& db() { return *m_db; }
  // Set by record_start(): where `provider = "mock"` targets are sent.
  const std::string& mock_base_url() const { return m_mock_base_url; }
  load::RunOutcome outcome() const { return m_outcome; }
  const std::string& status() const { return m_status; }
  const std::vector<load::TargetStop>& stopped_targets() const { return m_stopped; }
  const report::RunReport& report() const { return m_report; }
  std::chrono::steady_clock::time_point last_request() const { return m_last_request; }

 private:
  void say(const std::string& line) const;

  RunJobOptions m_o;
  std::optional<store::BatchWriter> m_writer;
  std::optional<store::Database> m_db;
  std::unique_ptr<MockServer> m_mock;
  std::string m_mock_base_url;
  load::Aggregator m_aggregator;
  std::atomic<load::Runner*> m_runner{nullptr};
  std::atomic<int> m_stop_calls{0};
  std::atomic<int> m_stop_reason{0};
  load::RunOutcome m_outcome = load::RunOutcome::completed;
  std::string m_status = "completed";
  std::vector<load::TargetStop> m_stopped;
  std::chrono::steady_clock::time_point m_last_request;
  report::RunReport m_report;
};

// A run's row as this process starts it: the suite's name, path, hash and text, this
// llmbench, host and process.
store::RunRow run_row_of(const suite::Suite& s, const std::string& run_id);

// What a run sends, independent of load, as one hash (see run_job.cpp).
std::string requests_hash(const suite::Suite& s);

}  // namespace llmbench::server
