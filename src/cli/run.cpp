// `llmbench run SUITE.toml`: validate, check that results can be kept, run, store, report.

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "beacon_setup.hpp"
#include "commands.hpp"
#include "diff.hpp"
#include "llmbench/load/aggregator.hpp"
#include "llmbench/load/runner.hpp"
#include "llmbench/net/engine.hpp"
#include "llmbench/pricing/pricing.hpp"
#include "llmbench/providers/codec.hpp"
#include "llmbench/providers/mock.hpp"
#include "llmbench/report/diff.hpp"
#include "llmbench/report/model.hpp"
#include "llmbench/report/verdicts.hpp"
#include "llmbench/report/writers.hpp"
#include "llmbench/server/mock_server.hpp"
#include "llmbench/store/batch_writer.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/suite/loader.hpp"
#include "llmbench/suite/overrides.hpp"
#include "llmbench/suite/plan.hpp"
#include "llmbench/util/build_info.hpp"
#include "llmbench/util/duration.hpp"
#include "llmbench/util/env.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/process.hpp"
#include "llmbench/util/sha256.hpp"
#include "llmbench/util/strings.hpp"
#include "llmbench/util/time.hpp"
#include "llmbench/util/uuid.hpp"
#include "progress.hpp"
#include "run_cache.hpp"

namespace llmbench::cli {

namespace {

struct RunFlags {
  std::string suite_path;
  std::vector<std::string> tags;
  std::string out_dir;
  std::string formats;  // empty: every format (md only with --out -)
  std::string grace = "5s";
  std::string progress = "auto";
  bool no_report = false;
  std::string save_baseline;
  std::string baseline;
  std::string cache_mode;
  std::string cache_path;
  std::string replay_timing;
  std::string cache_key;
  BeaconFlags beacon;
  DiffFlags diff;
  // Load overrides; each is set only when its flag was given (see register_run).
  std::int64_t concurrency = 0;
  int engine_threads = 0;  // --engine-threads (0: the suite's, else from the core count)
  double rate = 0;
  std::int64_t requests = 0;
  std::string duration;
  std::int64_t warmup = 0;
  std::vector<std::string> targets;
  std::vector<std::string> prompts;
  suite::LoadOverrides overrides;
};

// [cache] in the suite, then the flags over it.
suite::CacheConfig cache_config(const suite::Suite& s, const RunFlags& f) {
  suite::CacheConfig c = s.cache;
  if (!f.cache_mode.empty()) {
    c.mode = *suite::cache_mode_from_string(f.cache_mode);  // checked by the flag
  }
  if (!f.cache_path.empty()) {
    c.path = f.cache_path;
  }
  if (!f.replay_timing.empty()) {
    const auto timing = suite::replay_timing_from_string(f.replay_timing);
    if (!timing) {
      throw InputError(fmt::format(
          "--replay-timing {}: use none, recorded or scale:F (e.g. scale:0.5)", f.replay_timing));
    }
    c.timing = *timing;
  }
  if (!f.cache_key.empty()) {
    c.full_key = f.cache_key == "full";  // checked by the flag
  }
  return c;
}

std::atomic<load::Runner*> g_runner{nullptr};

extern "C" void on_stop_signal(int /*sig*/) {
  if (load::Runner* runner = g_runner.load()) {
    runner->request_stop();  // async-signal-safe: an atomic and an eventfd write
  }
}

std::string tags_json(const std::vector<std::string>& tags) {
  std::string out = "{";
  for (const auto& tag : tags) {
    const auto eq = tag.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw InputError(fmt::format("--tag {}: write KEY=VALUE, e.g. --tag branch=main", tag));
    }
    if (out.size() > 1) {
      out += ',';
    }
    util::append_json_string(out, tag.substr(0, eq));
    out += ':';
    util::append_json_string(out, tag.substr(eq + 1));
  }
  return out + "}";
}

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

// Drains the outbox for up to --beacon-wait; what is left goes with the next run or
// `llmbench beacon send`.
void send_beacons(const Globals& g, const RunFlags& f, store::Database& db) {
  const auto install = beacon::load_install(install_path(f.beacon));
  auto options = sender_options(
      f.beacon, *install,
      beacon::attestation_from_string([&] {
        auto st = db.prepare("SELECT value FROM beacon_state WHERE key = 'attestation'");
        return st.step() ? st.text(0) : std::string("token");
      }())
          .value_or(beacon::Attestation::token));
  options.wait =
      std::chrono::duration_cast<std::chrono::milliseconds>(*util::parse_duration(f.beacon.wait));
  const auto r = beacon::send_outbox(g.db_path, options);
  if (!g.quiet) {
    std::cerr << fmt::format("beacons: {} sent to {}, {} queued for later{}\n", r.sent, options.url,
                             r.left, r.last_error ? " (last error: " + *r.last_error + ")" : "");
  }
  print_send_notes(r);
  if (r.unauthorized) {
    std::cerr << "llmbench: the beacon collector refused this install (401); beacons stay "
                 "queued. `llmbench beacon status` says more\n";
  }
}

// In a GitHub Actions job, the run's summary table and SLO verdicts go to the job's page.
void append_step_summary(const report::RunReport& report) {
  const char* path = std::getenv("GITHUB_STEP_SUMMARY");
  if (path == nullptr || *path == '\0') {
    return;
  }
  std::ofstream out(path, std::ios::app);
  out << report::render_step_summary(report);
  if (!out) {
    std::cerr << fmt::format("llmbench: warning: cannot append to $GITHUB_STEP_SUMMARY ({})\n",
                             path);
  }
}

std::string key_env_of(const suite::Suite& s, const std::string& target) {
  for (const auto& t : s.targets) {
    if (t.name == target) {
      return t.api_key_env;
    }
  }
  return "";
}

// Why requests failed, on stderr: every target that measured nothing (always), and a short
// account of the others' errors (unless --quiet).
void explain_failures(const suite::Suite& s, const report::RunReport& r,
                      const std::vector<load::TargetStop>& stopped, bool quiet) {
  for (const auto& stop : stopped) {
    std::cerr << fmt::format(
        "llmbench: target \"{}\" stopped sending after its first {} requests all failed with "
        "{} ([load] abort_after_errors = 0 never stops)\n",
        stop.target, stop.failures, stop.failure);
  }
  for (const auto& t : r.targets) {
    const bool dead =
        std::find(r.dead_targets.begin(), r.dead_targets.end(), t.target) != r.dead_targets.end();
    if (t.error_details.empty() || (quiet && !dead)) {
      continue;
    }
    std::int64_t failed = 0;
    for (const auto& d : t.error_details) {
      failed += d.count;
    }
    std::cerr << fmt::format("llmbench: target \"{}\"{}: {} of {} requests failed{}\n", t.target,
                             t.phase.empty() ? "" : " " + t.phase, failed, t.requests + t.warmup,
                             dead ? ", none succeeded" : "");
    std::cerr << report::explain_errors(t, key_env_of(s, t.target));
  }
  for (const auto& name : r.dead_targets) {
    bool has_rows = false;
    for (const auto& t : r.targets) {
      has_rows |= t.target == name;
    }
    if (!has_rows) {
      std::cerr << fmt::format("llmbench: target \"{}\" stored no request at all\n", name);
    }
  }
  if (!r.dead_targets.empty()) {
    std::cerr << fmt::format(
        "llmbench: run failed: {} measured nothing; every row is stored and the reports are "
        "written\n",
        r.dead_targets.size() == 1 ? fmt::format("target \"{}\"", r.dead_targets.front())
                                   : fmt::format("{} targets ({})", r.dead_targets.size(),
                                                 util::join(r.dead_targets, ", ")));
  }
}

// What a run is, checked before anything is opened or sent: the suite with its overrides,
// the gates, the report formats and folder, the cache settings, and the run's id and clocks.
struct RunSetup {
  suite::Suite suite;
  std::vector<std::string> formats;
  DiffFlags diff;  // --fail-on and the suite's [gate]
  std::string tags;
  suite::CacheConfig cache;
  util::Nanos grace{0};
  // One instant for the wall clock and the run's steady clock (beacons stamp requests from
  // it).
  std::int64_t started_at_ms = 0;
  std::chrono::steady_clock::time_point epoch;
  std::string run_id;
  bool to_stdout = false;
  std::string out_dir;
};

RunSetup prepare(const RunFlags& f) {
  suite::LoadOptions load_options;
  // With --target, only the chosen targets need their keys (the runner checks those).
  load_options.require_api_keys = f.overrides.targets.empty();
  const auto loaded = suite::load_suite(f.suite_path, load_options);
  for (const auto& d : loaded.diagnostics.items()) {
    std::cerr << d.to_string() << "\n";
  }
  if (!loaded.suite) {
    throw InputError(fmt::format("{} has {} error{}; nothing was sent", f.suite_path,
                                 loaded.diagnostics.error_count(),
                                 loaded.diagnostics.error_count() == 1 ? "" : "s"));
  }
  RunSetup setup;
  setup.suite = *loaded.suite;
  suite::Suite& s = setup.suite;
  suite::apply_overrides(s, f.overrides);
  if (f.engine_threads > 0) {
    s.load.engine_threads = f.engine_threads;
  }
  setup.formats = report::parse_formats(f.formats);
  // Gates from the suite's [gate] and from --fail-on are checked before anything is sent.
  setup.diff = f.diff;
  // (The loader has checked the suite's gates.)
  setup.diff.fail_on.insert(setup.diff.fail_on.end(), s.gates.fail_on.begin(),
                            s.gates.fail_on.end());
  setup.diff.fail_on_regression |= s.gates.fail_on_regression;
  for (const auto& text : f.diff.fail_on) {
    report::parse_gate(text);
  }
  setup.tags = tags_json(f.tags);
  setup.cache = cache_config(s, f);
  auto grace = util::parse_duration(f.grace);
  if (!grace) {
    throw InputError(fmt::format("--grace {}", grace.error()));
  }
  setup.grace = *grace;
  const auto beacon_wait = util::parse_duration(f.beacon.wait);
  if (!beacon_wait) {
    throw InputError(fmt::format("--beacon-wait {}", beacon_wait.error()));
  }
  setup.started_at_ms = util::unix_ms_now();
  setup.epoch = std::chrono::steady_clock::now();
  setup.run_id = util::uuid_v7();
  setup.to_stdout = f.out_dir == "-";
  setup.out_dir =
      f.out_dir.empty() ? (std::filesystem::path("reports") / setup.run_id).string() : f.out_dir;
  return setup;
}

// One run, as the passes run_suite lists: each pass keeps what the next one needs.
class RunPipeline {
 public:
  RunPipeline(Globals& g, const RunFlags& f, RunSetup setup)
      : m_g(g), m_f(f), m_setup(std::move(setup)), m_s(m_setup.suite) {}

  // Everything that could lose results fails here, before a request is sent: beacons (only
  // when the user said yes, docs/privacy.md), the batch writer, the history, the baseline to
  // compare with, the report folder.
  void open_sinks() {
    const auto attestation = beacon::attestation_from_string(m_s.beacon.attestation);
    if (opted_in(m_f.beacon, &m_s)) {
      m_beacons =
          std::make_shared<beacon::Builder>(m_s, m_setup.run_id, m_setup.started_at_ms,
                                            ensure_install(m_f.beacon, m_g.quiet), *attestation);
      if (!m_g.quiet) {
        for (const auto& [name, plan] : m_beacons->targets()) {
          if (!plan.eligible) {
            std::cerr << fmt::format("beacons: target \"{}\" is not beaconed: {}\n", name,
                                     plan.why_not);
          }
        }
      }
    }
    store::BatchWriterOptions writer_options;
    if (m_beacons) {
      writer_options.outbox = [beacons = m_beacons](const store::RequestRow& row) {
        return beacons->outbox_entry(row);
      };
    }
    m_writer.emplace(m_g.db_path, writer_options);
    m_db.emplace(open_history(m_g, History::create));
    if (m_beacons) {
      auto st = m_db->prepare(
          "INSERT INTO beacon_state (key, value) VALUES ('attestation', ?) "
          "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
      st.bind(1, m_s.beacon.attestation);
      st.step();
    }
    // Resolved now, so --save-baseline with the same name cannot make the run its own
    // baseline.
    m_baseline_id = m_f.baseline.empty() ? "" : store::resolve_run(*m_db, m_f.baseline);
    if (!m_f.no_report && !m_setup.to_stdout) {
      report::check_writable_dir(m_setup.out_dir);
    }
  }

  // The response cache, the in-process mock (for `provider = "mock"` targets) and the
  // progress printer.
  void start_services() {
    const suite::CacheConfig& cache = m_setup.cache;
    if (cache.mode != suite::CacheMode::off) {
      m_cache.emplace(cache.path, cache.mode,
                      cache.full_key ? cache::KeyMode::full : cache::KeyMode::semantic);
      m_options.cache = &*m_cache;
      m_options.cache_mode = cache.mode;
      m_options.replay_timing = cache.timing;
    }
    m_options.run_id = m_setup.run_id;
    m_options.epoch = m_setup.epoch;
    m_options.grace = m_setup.grace;
    for (const auto& t : m_s.targets) {
      if (t.provider == suite::Provider::mock && !m_mock) {
        server::MockServerOptions mock_options;
        mock_options.threads = 1;
        m_mock.emplace(server::MockProfile{}, mock_options);
        m_mock->start();
        m_options.mock_base_url = m_mock->base_url();
      }
    }
    const auto progress_mode = progress_mode_from_string(m_f.progress);
    if (!progress_mode) {
      throw InputError(
          fmt::format("--progress {}: use auto, tty, plain, json or none", m_f.progress));
    }
    m_progress.emplace(*progress_mode, m_g.quiet);
    if (m_progress->mode() != ProgressMode::none) {
      m_options.on_progress = [this](const load::Progress& p) { m_progress->print(p); };
      m_options.progress_every = m_progress->interval();
    }
  }

  // The run's row and its targets, then requests.csv's follower.
  void record_start() {
    const auto plan = suite::make_plan(m_s, pricing::PriceBook::builtin());
    store::RunRow run;
    run.id = m_setup.run_id;
    run.suite_name = m_s.name;
    run.suite_path = m_s.path;
    run.suite_hash = m_s.hash;
    run.suite_text = m_s.text;
    run.llmbench_version = build_info::k_version;
    run.host = util::hostname();
    const util::ProcessId self = util::this_process();
    run.pid = self.pid;
    run.process_start = self.start;
    run.git_commit = util::git_commit_of(std::filesystem::current_path().string());
    run.tags_json = m_setup.tags;
    run.load_json = load_json(m_s, plan.load_summary, m_f.overrides);
    run.started_at_ms = m_setup.started_at_ms;
    m_db->transaction([&] {
      store::insert_run(*m_db, run);
      // What the run measures: the targets measured on their own, then the routes.
      for (std::size_t i = 0; i < m_s.targets.size(); ++i) {
        const suite::Target& t = m_s.targets[i];
        if (!m_s.measured_alone(i)) {
          continue;
        }
        store::RunTargetRow row;
        row.run_id = m_setup.run_id;
        row.target = t.name;
        row.provider = std::string(suite::to_string(t.provider));
        row.model = t.model();
        row.base_url = t.provider == suite::Provider::mock ? m_options.mock_base_url : t.base_url;
        row.region = t.region;
        store::insert_run_target(*m_db, row);
      }
      for (const auto& r : m_s.routes) {
        store::RunTargetRow row;
        row.run_id = m_setup.run_id;
        row.target = r.name;
        row.provider = "route";
        row.model = fmt::format("{}: {}", suite::to_string(r.policy), util::join(r.members, ", "));
        store::insert_run_target(*m_db, row);
      }
    });
    if (!m_g.quiet) {
      std::cerr << fmt::format("run {}: suite \"{}\", {}{}\n", m_setup.run_id, m_s.name,
                               plan.load_summary,
                               m_f.overrides.empty() ? "" : " (" + m_f.overrides.describe() + ")");
    }
    // requests.csv follows the run on a thread of its own, so a big run's largest report is
    // written while it is measured rather than after.
    const auto& formats = m_setup.formats;
    if (!m_f.no_report && !m_setup.to_stdout &&
        std::find(formats.begin(), formats.end(), "csv") != formats.end()) {
      m_csv.emplace(m_db->path(), m_setup.run_id, m_setup.out_dir);
    }
  }

  // The runner, with SIGINT and SIGTERM asking it to stop. A run that throws is marked
  // failed, with what it stored kept.
  void measure() {
    load::Runner runner(m_s, m_options, *m_writer, m_aggregator);
    g_runner.store(&runner);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    try {
      m_outcome = runner.run();
    } catch (...) {
      g_runner.store(nullptr);
      m_writer->close();
      if (m_cache) {
        m_cache->close();
      }
      store::finish_run(*m_db, m_setup.run_id, "failed", util::unix_ms_now());
      throw;
    }
    g_runner.store(nullptr);
    m_stopped = runner.stopped_targets();
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    m_progress->finish();
    m_last_request = std::chrono::steady_clock::now();
  }

  // Rows flushed, the cache closed, histograms stored, the report built, the run's status
  // set (a target that measured nothing fails it), and a baseline saved.
  void store_results() {
    if (m_outcome == load::RunOutcome::interrupted) {
      m_status = "interrupted";
    }
    m_writer->close();
    if (m_cache) {
      std::int64_t recorded = 0;
      try {
        recorded = m_cache->close();
      } catch (const Error& e) {
        // The run's own results are stored; only the cache copy failed. Say so and go on.
        std::cerr << fmt::format("llmbench: warning: {}\n", e.what());
      }
      if (!m_g.quiet) {
        std::cerr << fmt::format("cache {} ({}): {} replayed, {} missed, {} recorded\n",
                                 m_setup.cache.path, suite::to_string(m_setup.cache.mode),
                                 m_cache->hits(), m_cache->misses(), recorded);
      }
    }
    m_db->transaction([&] {
      for (const auto& row : m_aggregator.rows(m_setup.run_id)) {
        store::insert_histogram(*m_db, row);
      }
    });
    m_report = report::build_report(*m_db, m_setup.run_id);
    // A target that measured nothing makes the run fail, whatever the others measured: a CI
    // job must never pass on a benchmark that did not happen.
    if (m_outcome == load::RunOutcome::completed && !m_report.dead_targets.empty()) {
      m_status = "failed";
    }
    const std::int64_t ended_at_ms = util::unix_ms_now();
    store::finish_run(*m_db, m_setup.run_id, m_status, ended_at_ms);
    m_report.run.status = m_status;
    m_report.run.ended_at_ms = ended_at_ms;
    if (!m_f.save_baseline.empty() && m_status == "completed") {
      store::save_baseline(*m_db, m_f.save_baseline, m_setup.run_id, util::unix_ms_now());
      if (!m_g.quiet) {
        std::cerr << fmt::format("baseline \"{}\" now names run {}\n", m_f.save_baseline,
                                 m_setup.run_id);
      }
    }
  }

  // The mock stopped; beacons sent (a completed run) or left queued.
  void after_run() {
    if (m_mock) {
      m_mock->stop();
    }
    if (m_beacons && m_status == "completed") {
      try {
        send_beacons(m_g, m_f, *m_db);
      } catch (const Error& e) {
        std::cerr << fmt::format(
            "llmbench: warning: beacons not sent ({}); they stay queued for `llmbench beacon "
            "send`\n",
            e.what());
      }
    } else if (m_beacons && !m_g.quiet) {
      // Interrupted: do not keep the user waiting on the network; nothing queued is lost.
      std::cerr << fmt::format(
          "beacons: {} queued, sent with the next run or `llmbench beacon "
          "send`\n",
          beacon::outbox_counts(*m_db).queued);
    }
  }

  // The summary table and SLO verdicts, the step summary, the report files.
  void print_results() {
    std::cout << fmt::format("run {} {} ({})\n", m_setup.run_id, m_status, m_s.name);
    std::cout << report::render_summary_table(m_report);
    if (const auto slo_cases = report::slo_verdicts(m_report); !slo_cases.empty()) {
      std::cout << report::render_verdicts_text(slo_cases);
      if (!m_report.slo_enforced && m_report.slo_failed()) {
        std::cout << "(SLO misses are not enforced: [slo] enforce = true makes them exit 1)\n";
      }
    }
    append_step_summary(m_report);
    if (!m_f.no_report && m_setup.to_stdout) {
      std::cout << "\n";
      report::print_reports(m_report, m_f.formats, std::cout);
    } else if (!m_f.no_report) {
      const auto files = report::write_reports(*m_db, m_report, m_setup.out_dir, m_setup.formats,
                                               m_csv ? &*m_csv : nullptr);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - m_last_request).count();
      std::cout << fmt::format("reports: {}/ ({} files, {:.2f} s after the last request)\n",
                               m_setup.out_dir, files.size(), seconds);
    }
  }

  // Interrupted (130), a target that measured nothing (3), an enforced SLO or a baseline
  // gate that failed (1), else 0; failures explained on stderr.
  int exit_code() {
    if (m_outcome == load::RunOutcome::interrupted) {
      std::cerr << "llmbench: interrupted; what finished is stored and reported\n";
      return static_cast<int>(ExitCode::interrupted);
    }
    explain_failures(m_s, m_report, m_stopped, m_g.quiet);
    if (m_status == "failed") {
      return static_cast<int>(ExitCode::run_failed);
    }
    int code = 0;
    const auto slo_cases = report::slo_verdicts(m_report);
    if (m_report.slo_enforced && m_report.slo_failed()) {
      std::vector<std::string> missed;
      for (const auto& c : slo_cases) {
        if (c.failed) {
          missed.push_back(c.messages.front());
        }
      }
      std::cerr << fmt::format("llmbench: SLO failed ([slo] enforce = true): {}\n",
                               util::join(missed, "; "));
      code = static_cast<int>(ExitCode::gate_failed);
    }
    if (!m_f.baseline.empty()) {
      std::cout << "\n";
      code = std::max(code,
                      run_diff(m_g, m_baseline_id, m_setup.run_id, m_setup.diff, "text", slo_cases,
                               m_f.no_report || m_setup.to_stdout ? "" : m_setup.out_dir));
    } else if (!m_f.diff.junit.empty()) {
      write_junit(m_f.diff.junit, slo_cases, m_report.run);
    }
    return code;
  }

 private:
  Globals& m_g;
  const RunFlags& m_f;
  RunSetup m_setup;
  const suite::Suite& m_s;
  std::shared_ptr<beacon::Builder> m_beacons;
  std::optional<store::BatchWriter> m_writer;
  std::optional<store::Database> m_db;
  std::string m_baseline_id;
  std::optional<RunCache> m_cache;
  load::RunnerOptions m_options;
  std::optional<server::MockServer> m_mock;
  std::optional<ProgressPrinter> m_progress;
  std::optional<report::RequestsCsvWriter> m_csv;
  load::Aggregator m_aggregator;
  load::RunOutcome m_outcome = load::RunOutcome::completed;
  std::string m_status = "completed";
  std::vector<load::TargetStop> m_stopped;
  std::chrono::steady_clock::time_point m_last_request;
  report::RunReport m_report;
};

int run_suite(Globals& g, const RunFlags& f) {
  RunPipeline run(g, f, prepare(f));
  run.open_sinks();      // fail before sending if results could not be kept
  run.start_services();  // response cache, in-process mock, progress
  run.record_start();    // the run's row and targets; requests.csv follows from here
  run.measure();         // the load, until done or stopped
  run.store_results();   // rows, histograms, report, status, baseline
  run.after_run();       // mock stopped, beacons sent
  run.print_results();   // table, verdicts, report files
  return run.exit_code();
}

}  // namespace

void register_run(CLI::App& app, Globals& globals) {
  auto* cmd =
      app.add_subcommand("run", "Run a suite: send its requests, store every one, write reports");
  static RunFlags f;
  cmd->add_option("suite", f.suite_path, "The suite file (TOML)")->required();
  cmd->add_option("--tag", f.tags, "KEY=VALUE stored with the run; repeatable");
  cmd->add_option("--out", f.out_dir,
                  "Report folder (default reports/RUN-ID; with --baseline the diff goes there "
                  "too); - prints the reports instead (md unless --format says otherwise)");
  cmd->add_option("--format", f.formats, "Report formats: md,csv,json,hlog,html (default all)");
  cmd->add_option("--grace", f.grace,
                  "On Ctrl-C, how long in-flight requests may finish before they are cancelled")
      ->capture_default_str();
  cmd->add_flag("--no-report", f.no_report, "Store the run, write no report files");
  cmd->add_option("--progress", f.progress,
                  "auto (tty on a terminal, else plain), tty (one line, redrawn), plain (a line "
                  "every 10 s), json (an object per line, every second), none")
      ->capture_default_str();
  cmd->add_option("--save-baseline", f.save_baseline,
                  "Name this run as a baseline (the name moves to the newest run saved)");
  cmd->add_option("--baseline", f.baseline,
                  "After the run, diff it against this run or baseline name (and gate)");
  cmd->add_option("--cache-mode", f.cache_mode,
                  "Response cache: off, record, replay or auto (default: the suite's [cache], "
                  "else off)")
      ->check(CLI::IsMember({"off", "record", "replay", "auto"}));
  cmd->add_option("--cache", f.cache_path, "The cache file (default .llmbench/cache.db)");
  cmd->add_option("--replay-timing", f.replay_timing,
                  "How replayed streams are paced: none, recorded or scale:F");
  cmd->add_option("--cache-key", f.cache_key,
                  "semantic (default: ignores stream, stream_options, user) or full")
      ->check(CLI::IsMember({"semantic", "full"}));
  cmd->add_flag("--beacon", f.beacon.beacon,
                "Opt in: send anonymized latency beacons for this run (docs/privacy.md)");
  cmd->add_option("--beacon-url", f.beacon.url,
                  "The beacon collector (default: $LLMBENCH_BEACON_URL, else the public "
                  "f3dx-bench ingest)");
  cmd->add_option("--beacon-wait", f.beacon.wait,
                  "How long to wait for beacons to go out after the run")
      ->capture_default_str();
  cmd->add_option("--install-file", f.beacon.install_file,
                  "Beacon identity file (e.g. an f3dx-bench install.json)");
  auto* concurrency = cmd->add_option("--concurrency", f.concurrency,
                                      "Override the load: a closed loop with N in flight");
  auto* rate = cmd->add_option("--rate", f.rate, "Override the load: an open loop at R requests/s");
  auto* requests =
      cmd->add_option("--requests", f.requests, "Override: N measured requests per target");
  auto* duration =
      cmd->add_option("--duration", f.duration, "Override: send for this long per target (2m)");
  auto* warmup = cmd->add_option("--warmup", f.warmup, "Override: N warmup requests per target");
  cmd->add_option("--engine-threads", f.engine_threads,
                  "Event-loop threads of the client (default: the suite's [load] engine_threads, "
                  "else one per four cores)")
      ->check(CLI::Range(1, 64));
  cmd->add_option("--target", f.targets, "Run only this target (repeatable)");
  cmd->add_option("--prompt", f.prompts, "Send only this prompt id (repeatable)");
  add_diff_options(*cmd, f.diff);
  cmd->callback([&globals, concurrency, rate, requests, duration, warmup] {
    suite::LoadOverrides& o = f.overrides;
    o = {};
    if (concurrency->count() > 0) {
      o.concurrency = f.concurrency;
    }
    if (rate->count() > 0) {
      o.rate = f.rate;
    }
    if (requests->count() > 0) {
      o.requests = f.requests;
    }
    if (duration->count() > 0) {
      o.duration = f.duration;
    }
    if (warmup->count() > 0) {
      o.warmup = f.warmup;
    }
    o.targets = f.targets;
    o.prompts = f.prompts;
    globals.exit_code = static_cast<ExitCode>(run_suite(globals, f));
  });
}

}  // namespace llmbench::cli
