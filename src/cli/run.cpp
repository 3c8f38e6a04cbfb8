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
#include "llmbench/server/run_job.hpp"
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

std::atomic<server::RunJob*> g_job{nullptr};

extern "C" void on_stop_signal(int /*sig*/) {
  if (server::RunJob* job = g_job.load()) {
    job->request_stop();  // async-signal-safe: atomics and an eventfd write
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

// One run, as the passes run_suite lists: the flags' side (beacons, the response cache,
// progress, requests.csv, the terminal) around the RunJob the service's workers use too.
class RunPipeline {
 public:
  RunPipeline(Globals& g, const RunFlags& f, RunSetup setup)
      : m_g(g), m_f(f), m_setup(std::move(setup)) {}

  // Everything that could lose results fails here, before a request is sent: beacons (only
  // when the user said yes, docs/privacy.md), the batch writer, the history, the baseline to
  // compare with, the report folder.
  void open_sinks() {
    const suite::Suite& s = m_setup.suite;
    const auto attestation = beacon::attestation_from_string(s.beacon.attestation);
    if (opted_in(m_f.beacon, &s)) {
      m_beacons =
          std::make_shared<beacon::Builder>(s, m_setup.run_id, m_setup.started_at_ms,
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
    m_db.emplace(open_history(m_g, History::create));
    if (m_beacons) {
      auto st = m_db->prepare(
          "INSERT INTO beacon_state (key, value) VALUES ('attestation', ?) "
          "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
      st.bind(1, s.beacon.attestation);
      st.step();
    }
    // Resolved now, so --save-baseline with the same name cannot make the run its own
    // baseline.
    m_baseline_id = m_f.baseline.empty() ? "" : store::resolve_run(*m_db, m_f.baseline);
    if (!m_f.no_report && !m_setup.to_stdout) {
      report::check_writable_dir(m_setup.out_dir);
    }
  }

  // The response cache, the progress printer, and the job with its batch writer.
  void start_services() {
    server::RunJobOptions o;
    o.db_path = m_g.db_path;
    o.suite = m_setup.suite;
    o.overrides = m_f.overrides;
    o.run_id = m_setup.run_id;
    o.started_at_ms = m_setup.started_at_ms;
    o.epoch = m_setup.epoch;
    o.tags_json = m_setup.tags;
    o.grace = m_setup.grace;
    o.save_baseline = m_f.save_baseline;
    if (m_beacons) {
      o.writer.outbox = [beacons = m_beacons](const store::RequestRow& row) {
        return beacons->outbox_entry(row);
      };
    }
    if (!m_g.quiet) {
      o.note = [](const std::string& line) { std::cerr << line << "\n"; };
    }
    const suite::CacheConfig& cache = m_setup.cache;
    if (cache.mode != suite::CacheMode::off) {
      m_cache.emplace(cache.path, cache.mode,
                      cache.full_key ? cache::KeyMode::full : cache::KeyMode::semantic);
      o.cache = &*m_cache;
      o.cache_mode = cache.mode;
      o.replay_timing = cache.timing;
    }
    const auto progress_mode = progress_mode_from_string(m_f.progress);
    if (!progress_mode) {
      throw InputError(
          fmt::format("--progress {}: use auto, tty, plain, json or none", m_f.progress));
    }
    m_progress.emplace(*progress_mode, m_g.quiet);
    if (m_progress->mode() != ProgressMode::none) {
      o.on_progress = [this](const load::Progress& p) { m_progress->print(p); };
      o.progress_every = m_progress->interval();
    }
    m_job.emplace(std::move(o));
    m_job->open();
  }

  // The run's row and its targets (the mock started first), then requests.csv's follower.
  void record_start() {
    m_job->record_start();
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
    g_job.store(&*m_job);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    try {
      m_job->measure();
    } catch (...) {
      g_job.store(nullptr);
      if (m_cache) {
        m_cache->close();
      }
      throw;
    }
    g_job.store(nullptr);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    m_progress->finish();
  }

  // Rows flushed, histograms stored, the report built, the status set, a baseline saved (the
  // job); the cache closed.
  void store_results() {
    m_job->store_results();
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
  }

  // Beacons sent (a completed run) or left queued.
  void after_run() {
    if (m_beacons && m_job->status() == "completed") {
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
    const report::RunReport& r = m_job->report();
    std::cout << fmt::format("run {} {} ({})\n", m_setup.run_id, m_job->status(),
                             m_setup.suite.name);
    std::cout << report::render_summary_table(r);
    if (const auto slo_cases = report::slo_verdicts(r); !slo_cases.empty()) {
      std::cout << report::render_verdicts_text(slo_cases);
      if (!r.slo_enforced && r.slo_failed()) {
        std::cout << "(SLO misses are not enforced: [slo] enforce = true makes them exit 1)\n";
      }
    }
    append_step_summary(r);
    if (!m_f.no_report && m_setup.to_stdout) {
      std::cout << "\n";
      report::print_reports(r, m_f.formats, std::cout);
    } else if (!m_f.no_report) {
      const auto files = report::write_reports(*m_db, r, m_setup.out_dir, m_setup.formats,
                                               m_csv ? &*m_csv : nullptr);
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - m_job->last_request())
              .count();
      std::cout << fmt::format("reports: {}/ ({} files, {:.2f} s after the last request)\n",
                               m_setup.out_dir, files.size(), seconds);
    }
  }

  // Interrupted (130), a target that measured nothing (3), an enforced SLO or a baseline
  // gate that failed (1), else 0; failures explained on stderr.
  int exit_code() {
    const report::RunReport& r = m_job->report();
    if (m_job->outcome() == load::RunOutcome::interrupted) {
      std::cerr << "llmbench: interrupted; what finished is stored and reported\n";
      return static_cast<int>(ExitCode::interrupted);
    }
    explain_failures(m_setup.suite, r, m_job->stopped_targets(), m_g.quiet);
    if (m_job->status() == "failed") {
      return static_cast<int>(ExitCode::run_failed);
    }
    int code = 0;
    const auto slo_cases = report::slo_verdicts(r);
    if (r.slo_enforced && r.slo_failed()) {
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
      write_junit(m_f.diff.junit, slo_cases, r.run);
    }
    return code;
  }

 private:
  Globals& m_g;
  const RunFlags& m_f;
  RunSetup m_setup;
  std::shared_ptr<beacon::Builder> m_beacons;
  std::optional<store::Database> m_db;
  std::optional<server::RunJob> m_job;
  std::string m_baseline_id;
  std::optional<RunCache> m_cache;
  std::optional<ProgressPrinter> m_progress;
  std::optional<report::RequestsCsvWriter> m_csv;
};

int run_suite(Globals& g, const RunFlags& f) {
  RunPipeline run(g, f, prepare(f));
  run.open_sinks();      // fail before sending if results could not be kept
  run.start_services();  // response cache, progress, the job and its batch writer
  run.record_start();    // in-process mock, the run's row and targets; requests.csv follows
  run.measure();         // the load, until done or stopped
  run.store_results();   // rows, histograms, report, status, baseline, cache closed
  run.after_run();       // beacons sent
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
