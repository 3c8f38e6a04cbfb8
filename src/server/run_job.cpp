#include "llmbench/server/run_job.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "llmbench/net/engine.hpp"
#include "llmbench/pricing/pricing.hpp"
#include "llmbench/providers/codec.hpp"
#include "llmbench/server/mock_server.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/suite/plan.hpp"
#include "llmbench/util/build_info.hpp"
#include "llmbench/util/env.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/process.hpp"
#include "llmbench/util/sha256.hpp"
#include "llmbench/util/strings.hpp"
#include "llmbench/util/time.hpp"

namespace llmbench::server {

// What the run sends, independent of load: every target's request body for every prompt. (A
// mock's script is how the server behaves, not what was asked, so it is left out: an A/B of
// two mock scripts compares like with like.) Two runs with the same hash sent the same
// requests; `report diff` refuses to compare runs whose hashes differ unless told to.
std::string requests_hash(const suite::Suite& s) {
  std::vector<std::string> parts;
  for (const auto& t : s.targets) {
    parts.push_back(t.name + "\n" + std::string(suite::to_string(t.provider)) + "\n" + t.model());
    for (const auto& p : s.prompts) {
      providers::ChatRequest req;
      req.messages = p.messages;
      req.params = s.effective_params(t, p);
      req.stream = req.params.stream.value_or(true);
      parts.push_back(providers::codec_for(t.provider).body(req));
    }
  }
  return util::sha256_hex(parts);
}

store::RunRow run_row_of(const suite::Suite& s, const std::string& run_id) {
  store::RunRow run;
  run.id = run_id;
  run.suite_name = s.name;
  run.suite_path = s.path;
  run.suite_hash = s.hash;
  run.suite_text = s.text;
  run.llmbench_version = build_info::k_version;
  run.host = util::hostname();
  const util::ProcessId self = util::this_process();
  run.pid = self.pid;
  run.process_start = self.start;
  return run;
}

namespace {

std::string load_json(const suite::Suite& s, const std::string& summary,
                      const suite::LoadOverrides& overrides) {
  const auto& l = s.load;
  std::string out = "{\"mode\":";
  util::append_json_string(out, suite::to_string(l.mode));
  out += fmt::format(",\"concurrency\":{}", l.concurrency);
  if (l.max_in_flight) {
    out += fmt::format(",\"max_in_flight\":{}", *l.max_in_flight);
  }
  if (l.mode == suite::LoadMode::rate || l.mode == suite::LoadMode::poisson) {
    out += ",\"rate\":";
    util::append_json_number(out, l.rate);
  }
  if (l.mode == suite::LoadMode::sweep) {
    out += ",\"rates\":[";
    for (std::size_t i = 0; i < l.rates.size(); ++i) {
      if (i > 0) {
        out += ',';
      }
      util::append_json_number(out, l.rates[i]);
    }
    out += fmt::format("],\"steps\":{}", l.steps);
  }
  if (l.requests) {
    out += fmt::format(",\"requests\":{}", *l.requests);
  }
  if (l.duration) {
    out += fmt::format(",\"duration_ms\":{}", l.duration->count() / 1'000'000);
  }
  out += fmt::format(",\"warmup\":{},\"timeout_ms\":{},\"order\":\"{}\",\"seed\":{},\"retry\":{}",
                     l.warmup, l.timeout.count() / 1'000'000,
                     l.order == suite::TargetOrder::interleaved ? "interleaved" : "sequential",
                     l.seed, l.retry ? "true" : "false");
  out += fmt::format(",\"engine_threads\":{}",
                     l.engine_threads > 0 ? l.engine_threads : net::default_engine_threads());
  out += ",\"summary\":";
  util::append_json_string(out, summary);
  out += ",\"requests_hash\":";
  util::append_json_string(out, requests_hash(s));
  out += ",\"slo\":{\"latency\":[";
  for (std::size_t i = 0; i < s.slo.latency.size(); ++i) {
    const auto& t = s.slo.latency[i];
    if (i > 0) {
      out += ',';
    }
    out += "{\"key\":";
    util::append_json_string(out, t.key);
    out += ",\"metric\":";
    util::append_json_string(out, t.metric);
    out += ",\"percentile\":";
    util::append_json_number(out, t.percentile);
    out += ",\"limit_ms\":";
    util::append_json_number(out, t.limit_ms);
    out += '}';
  }
  out += "]";
  if (s.slo.error_rate_max) {
    out += ",\"error_rate_max\":";
    util::append_json_number(out, *s.slo.error_rate_max);
  }
  out += fmt::format(",\"enforce\":{}}}", s.slo.enforce ? "true" : "false");
  out += ",\"overrides\":" + overrides.to_json();
  out += ",\"overrides_text\":";
  util::append_json_string(out, overrides.describe());
  return out + "}";
}

}  // namespace

RunJob::RunJob(RunJobOptions options) : m_o(std::move(options)) {}

RunJob::~RunJob() {
  if (m_mock) {
    m_mock->stop();
  }
}

void RunJob::say(const std::string& line) const {
  if (m_o.note) {
    m_o.note(line);
  }
}

void RunJob::open() {
  m_writer.emplace(m_o.db_path, m_o.writer);
  m_db.emplace(store::Database::open(m_o.db_path));
}

void RunJob::record_start() {
  for (const auto& t : m_o.suite.targets) {
    if (t.provider == suite::Provider::mock && !m_mock) {
      MockServerOptions mock_options;
      mock_options.threads = 1;
      m_mock = std::make_unique<MockServer>(MockProfile{}, mock_options);
      m_mock->start();
      m_mock_base_url = m_mock->base_url();
    }
  }
  const suite::Suite& s = m_o.suite;
  const auto plan = suite::make_plan(s, pricing::PriceBook::builtin());
  store::RunRow run = run_row_of(s, m_o.run_id);
  if (m_o.record_git_commit) {
    run.git_commit = util::git_commit_of(std::filesystem::current_path().string());
  }
  run.tags_json = m_o.tags_json;
  run.load_json = load_json(s, plan.load_summary, m_o.overrides);
  run.started_at_ms = m_o.started_at_ms;
  m_db->transaction([&] {
    if (!m_o.queued) {
      store::insert_run(*m_db, run);
    } else if (!store::start_queued_run(*m_db, run)) {
      throw RunError(fmt::format("run {} is no longer queued (cancelled?)", run.id));
    }
    // What the run measures: the targets measured on their own, then the routes.
    for (std::size_t i = 0; i < s.targets.size(); ++i) {
      const suite::Target& t = s.targets[i];
      if (!s.measured_alone(i)) {
        continue;
      }
      store::RunTargetRow row;
      row.run_id = m_o.run_id;
      row.target = t.name;
      row.provider = std::string(suite::to_string(t.provider));
      row.model = t.model();
      row.base_url = t.provider == suite::Provider::mock ? m_mock_base_url : t.base_url;
      row.region = t.region;
      store::insert_run_target(*m_db, row);
    }
    for (const auto& r : s.routes) {
      store::RunTargetRow row;
      row.run_id = m_o.run_id;
      row.target = r.name;
      row.provider = "route";
      row.model = fmt::format("{}: {}", suite::to_string(r.policy), util::join(r.members, ", "));
      store::insert_run_target(*m_db, row);
    }
  });
  say(fmt::format("run {}: suite \"{}\", {}{}", m_o.run_id, s.name, plan.load_summary,
                  m_o.overrides.empty() ? "" : " (" + m_o.overrides.describe() + ")"));
}

void RunJob::request_stop(StopReason reason) {
  m_stop_reason.store(static_cast<int>(reason));
  m_stop_calls.fetch_add(1);
  if (load::Runner* runner = m_runner.load()) {
    runner->request_stop();  // async-signal-safe: an atomic and an eventfd write
  }
}

void RunJob::measure() {
  load::RunnerOptions options;
  options.run_id = m_o.run_id;
  options.epoch = m_o.epoch;
  options.grace = m_o.grace;
  options.mock_base_url = m_mock_base_url;
  options.on_progress = m_o.on_progress;
  options.progress_every = m_o.progress_every;
  options.cache = m_o.cache;
  options.cache_mode = m_o.cache_mode;
  options.replay_timing = m_o.replay_timing;
  load::Runner runner(m_o.suite, std::move(options), *m_writer, m_aggregator);
  m_runner.store(&runner);
  // Stops asked for before the runner existed (at most the two that mean something).
  for (int i = 0, n = std::min(m_stop_calls.load(), 2); i < n; ++i) {
    runner.request_stop();
  }
  try {
    m_outcome = runner.run();
  } catch (...) {
    m_runner.store(nullptr);
    m_writer->close();
    store::finish_run(*m_db, m_o.run_id, "failed", util::unix_ms_now());
    throw;
  }
  m_runner.store(nullptr);
  m_stopped = runner.stopped_targets();
  m_last_request = std::chrono::steady_clock::now();
}

void RunJob::store_results() {
  if (m_outcome == load::RunOutcome::interrupted) {
    m_status = m_stop_reason.load() == static_cast<int>(StopReason::cancelled) ? "cancelled"
                                                                               : "interrupted";
  }
  m_writer->close();
  if (m_mock) {
    m_mock->stop();
    m_mock.reset();
  }
  m_db->transaction([&] {
    for (const auto& row : m_aggregator.rows(m_o.run_id)) {
      store::insert_histogram(*m_db, row);
    }
  });
  m_report = report::build_report(*m_db, m_o.run_id);
  // A target that measured nothing makes the run fail, whatever the others measured: a CI
  // job must never pass on a benchmark that did not happen.
  if (m_outcome == load::RunOutcome::completed && !m_report.dead_targets.empty()) {
    m_status = "failed";
  }
  const std::int64_t ended_at_ms = util::unix_ms_now();
  store::finish_run(*m_db, m_o.run_id, m_status, ended_at_ms);
  m_report.run.status = m_status;
  m_report.run.ended_at_ms = ended_at_ms;
  if (!m_o.save_baseline.empty() && m_status == "completed") {
    store::save_baseline(*m_db, m_o.save_baseline, m_o.run_id, util::unix_ms_now());
    say(fmt::format("baseline \"{}\" now names run {}", m_o.save_baseline, m_o.run_id));
  }
}

}  // namespace llmbench::server
