#pragma once
// The service's runs (docs/serve.md): submitted suites wait in the history as `queued` rows and
// are run, oldest first, by a pool of worker threads bounded by --max-concurrent-runs. Every
// run goes through RunJob, the path `llmbench run` takes. Queued rows outlive the process: a
// new queue picks them up at start(). A run still `running` when its service died is marked
// `interrupted` by the history's recovery when the service next opens it.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "llmbench/load/runner.hpp"
#include "llmbench/suite/loader.hpp"

namespace llmbench::server {

struct RunQueueOptions {
  std::string db_path;
  int workers = 1;
  suite::UntrustedRules rules;  // checked again when a queued suite is started
  std::chrono::nanoseconds grace{std::chrono::seconds(5)};  // a cancelled run's in-flight time
  std::function<void(const std::string&)> log;
};

class RunQueue {
 public:
  explicit RunQueue(RunQueueOptions options);
  ~RunQueue();  // drains with no grace
  RunQueue(const RunQueue&) = delete;
  RunQueue& operator=(const RunQueue&) = delete;

  // Queues what the history holds as `queued` and starts the workers.
  void start();
  // Validated suite TOML in, run id out: a `queued` row (id, suite, tags) a worker will take.
  std::string submit(const suite::Suite& suite, const std::string& tags_json);

  enum class Cancel { was_queued, stopping, not_here };
  // A queued run is marked `cancelled` at once; a running one is stopped (in-flight requests
  // cancelled, what finished kept) and ends `cancelled`. not_here: neither (finished, unknown,
  // or run by another process).
  Cancel cancel(const std::string& run_id);

  // SIGTERM: take no more runs; let running ones finish within `grace`, then stop them (they
  // end `interrupted`, what finished kept); join the workers. Queued runs stay queued.
  void drain(std::chrono::nanoseconds grace);

  std::size_t depth() const;    // queued here
  std::size_t running() const;  // runs the workers are running now
  // The latest progress of a run a worker is running.
  std::optional<load::Progress> progress(const std::string& run_id) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> m_impl;
};

}  // namespace llmbench::server
