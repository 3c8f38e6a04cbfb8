// `llmbench run` as a user runs it: the real binary, suites with in-process mock targets,
// then the stored rows and the reports checked against what the mock scripted.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <thread>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "llmbench/providers/mock.hpp"
#include "llmbench/server/mock_profile.hpp"
#include "llmbench/server/mock_server.hpp"
#include "llmbench/store/database.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/suite/loader.hpp"
#include "support/background_process.hpp"
#include "support/files.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using llmbench::store::Database;
using llmbench::testing::run_llmbench;
using llmbench::testing::slurp;
using llmbench::testing::TempDir;

namespace {

const std::string k_prompts = R"(
[[prompts]]
id = "a"
messages = [{ role = "user", content = "Say hello." }]

[[prompts]]
id = "b"
messages = [{ role = "user", content = "Say goodbye, at some length." }]
)";

struct Run {
  llmbench::testing::ProcessResult result;
  std::string db;
  std::string out;
  std::string run_id;
};

Run run_suite(const TempDir& dir, const std::string& suite_text,
              std::vector<std::string> extra = {}) {
  const auto suite = dir.write("suite.toml", suite_text + k_prompts);
  Run r;
  r.db = dir.file("runs.db");
  r.out = dir.file("report");
  std::vector<std::string> args = {"--db", r.db, "run", suite, "--out", r.out};
  args.insert(args.end(), extra.begin(), extra.end());
  r.result = run_llmbench(args);
  std::smatch m;
  if (std::regex_search(r.result.out, m, std::regex("run ([0-9a-f-]{36}) "))) {
    r.run_id = m[1].str();
  }
  return r;
}

std::int64_t scalar(Database& db, const std::string& sql) {
  auto st = db.prepare(sql);
  st.step();
  return st.is_null(0) ? -1 : st.int64(0);
}

double hist_value(Database& db, const std::string& target, const std::string& metric,
                  const std::string& column, const std::string& phase = "") {
  auto st = db.prepare("SELECT " + column +
                       " FROM histograms WHERE target = ? AND metric = ? AND phase = ?");
  st.bind(1, target).bind(2, metric).bind(3, phase);
  return st.step() ? st.real(0) : -1;
}

}  // namespace

TEST(Run, ClosedLoopMeasuresWhatTheMockScripted) {
  TempDir dir;
  const auto r = run_suite(dir, R"(
[suite]
name = "closed"
[defaults]
max_tokens = 64
[load]
mode = "concurrency"
concurrency = 4
requests = 40
warmup = 4
[[targets]]
name = "m"
provider = "mock"
mock = { ttft = "20ms", itl = "2ms", output_tokens = 10 }
[slo]
ttft_p95_ms = 500
)",
                           {"--tag", "branch=main", "--tag", "note=a b"});
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err << r.result.out;
  ASSERT_FALSE(r.run_id.empty()) << r.result.out;
  auto db = Database::open(r.db);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests"), 44);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests WHERE warmup = 1"), 4);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests WHERE error_class IS NOT NULL"), 0);
  EXPECT_EQ(scalar(db, "SELECT MIN(output_tokens) FROM requests"), 10);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests WHERE token_source = 'usage'"), 44);
  EXPECT_EQ(scalar(db, "SELECT COUNT(DISTINCT prompt_id) FROM requests"), 2);
  // Scripted TTFT 20 ms: the measurement may only add the client's and loopback's overhead.
  const double ttft_p50 = hist_value(db, "m", "ttft", "p50");
  EXPECT_GE(ttft_p50, 20e6);
  EXPECT_LT(ttft_p50, 20e6 + 8e6);
  const double itl_p50 = hist_value(db, "m", "itl", "p50");
  EXPECT_GE(itl_p50, 1.9e6);
  EXPECT_LT(itl_p50, 3e6);
  EXPECT_EQ(hist_value(db, "m", "ttft", "count"), 40);  // warmup is not measured
  EXPECT_EQ(hist_value(db, "m", "itl", "count"), 40 * 9);
  const auto run = llmbench::store::get_run(db, r.run_id);
  ASSERT_TRUE(run);
  EXPECT_EQ(run->status, "completed");
  EXPECT_TRUE(run->ended_at_ms);
  EXPECT_EQ(run->tags_json, R"({"branch":"main","note":"a b"})");
  EXPECT_EQ(run->suite_name, "closed");
  EXPECT_FALSE(run->suite_text.empty());
  EXPECT_FALSE(run->host.empty());
  for (const char* f : {"report.md", "summary.csv", "requests.csv", "report.json", "m.ttft.hlog"}) {
    EXPECT_TRUE(std::filesystem::exists(r.out + "/" + f)) << f;
  }
  EXPECT_NE(slurp(r.out + "/report.md").find("| ttft_p95_ms | ttft | p95 | "), std::string::npos);
  EXPECT_NE(slurp(r.out + "/report.md").find(" | 500.0 ms | pass |"), std::string::npos);
  EXPECT_NE(r.result.out.find("m  "), std::string::npos) << r.result.out;
  // requests.csv: a header and one line per attempt.
  const std::string csv = slurp(r.out + "/requests.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 45);
  // report.json parses and carries the context block.
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.load(r.out + "/report.json").get(doc), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["schema"]), "llmbench.report/1");
  EXPECT_EQ(std::string_view(doc["context"]["run_id"]), r.run_id);
  EXPECT_EQ(std::int64_t(doc["targets"].at(0)["requests"]), 40);
}

TEST(Run, InjectedFaultsAreCountedExactly) {
  TempDir dir;
  const std::string suite = R"(
[suite]
name = "faults"
[defaults]
max_tokens = 8
[load]
mode = "concurrency"
concurrency = 8
requests = 120
[[targets]]
name = "flaky"
provider = "mock"
mock = { ttft = "1ms", itl = "0ms", output_tokens = 4, seed = 7, faults = { server_error = 0.2, rate_limited = 0.1, malformed = 0.05 } }
)";
  const auto r = run_suite(dir, suite);
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  // What the mock decided for each request, from (seed, index): the run sends the target's
  // script as headers and its sequence number as the index.
  const auto loaded = llmbench::suite::load_suite(dir.file("suite.toml"));
  ASSERT_TRUE(loaded.suite);
  llmbench::server::MockOverrides o;
  o.seed = 7;
  for (const auto& [k, v] :
       llmbench::providers::mock_script_headers(loaded.suite->targets[0].mock)) {
    if (k == "x-mock-faults") {
      o.faults = *llmbench::server::FaultRates::parse(v);
    }
  }
  ASSERT_TRUE(o.faults);
  std::map<std::string, std::int64_t> expected;
  auto db = Database::open(r.db);
  auto st = db.prepare("SELECT seq FROM requests");
  while (st.step()) {
    o.index = static_cast<std::uint64_t>(st.int64(0));
    const auto fault = llmbench::server::make_script({}, o, 0, 8).fault;
    expected[fault == llmbench::server::Fault::server_error   ? "http_5xx"
             : fault == llmbench::server::Fault::rate_limited ? "rate_limited"
             : fault == llmbench::server::Fault::malformed    ? "protocol"
                                                              : "ok"]++;
  }
  for (const auto& [cls, n] : expected) {
    const std::string where = cls == "ok" ? "error_class IS NULL" : "error_class = '" + cls + "'";
    EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests WHERE " + where), n) << cls;
  }
  EXPECT_GT(expected["http_5xx"], 10);
  EXPECT_GT(expected["rate_limited"], 5);
  // The report counts them by class too.
  const std::string md = slurp(r.out + "/report.md");
  EXPECT_NE(md.find(fmt::format("| http_5xx | 500 | {} |", expected["http_5xx"])),
            std::string::npos)
      << md;
  // And a second run of the same suite injects the same faults.
  TempDir again;
  const auto r2 = run_suite(again, suite);
  auto db2 = Database::open(r2.db);
  EXPECT_EQ(scalar(db2, "SELECT COUNT(*) FROM requests WHERE error_class = 'http_5xx'"),
            expected["http_5xx"]);
}

TEST(Run, RateModeSchedulesAgainstAbsoluteInstants) {
  TempDir dir;
  const auto r = run_suite(dir, R"(
[suite]
name = "rate"
[load]
mode = "rate"
rate = 50
requests = 30
[[targets]]
name = "m"
provider = "mock"
mock = { ttft = "2ms", itl = "0ms", output_tokens = 2 }
)");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  auto db = Database::open(r.db);
  auto st = db.prepare("SELECT t_sched_ns, t_send_ns FROM requests ORDER BY t_sched_ns");
  std::vector<std::int64_t> sched;
  while (st.step()) {
    sched.push_back(st.int64(0));
    EXPECT_GE(st.int64(1), st.int64(0));  // never sent before its instant
  }
  ASSERT_EQ(sched.size(), 30u);
  for (std::size_t i = 1; i < sched.size(); ++i) {
    EXPECT_NEAR(static_cast<double>(sched[i] - sched[i - 1]), 20e6, 1.0) << i;  // no drift
  }
  EXPECT_LT(hist_value(db, "m", "queue_delay", "p50"), 5e6);
  EXPECT_GT(hist_value(db, "m", "e2e_from_schedule", "count"), 0);
}

TEST(Run, PoissonArrivalsAreSeededAndExponential) {
  const std::string suite = R"(
[suite]
name = "poisson"
[load]
mode = "poisson"
rate = 200
requests = 200
seed = 3
[[targets]]
name = "m"
provider = "mock"
mock = { ttft = "1ms", itl = "0ms", output_tokens = 2 }
)";
  std::vector<std::vector<std::int64_t>> gaps(2);
  for (int k = 0; k < 2; ++k) {
    TempDir dir;
    const auto r = run_suite(dir, suite);
    ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
    auto db = Database::open(r.db);
    auto st = db.prepare("SELECT t_sched_ns FROM requests ORDER BY t_sched_ns");
    std::int64_t prev = -1;
    while (st.step()) {
      if (prev >= 0) {
        gaps[k].push_back(st.int64(0) - prev);
      }
      prev = st.int64(0);
    }
  }
  ASSERT_EQ(gaps[0].size(), 199u);
  EXPECT_EQ(gaps[0], gaps[1]);  // the same seed, the same arrivals
  double mean = 0;
  std::int64_t lo = INT64_MAX;
  std::int64_t hi = 0;
  for (const auto g : gaps[0]) {
    mean += static_cast<double>(g) / 199.0;
    lo = std::min(lo, g);
    hi = std::max(hi, g);
  }
  EXPECT_NEAR(mean, 5e6, 1.5e6);  // 200/s: 5 ms on average
  EXPECT_GT(hi, 4 * lo);          // exponential, not constant
}

TEST(Run, ASlowTargetShowsQueueingInsteadOfHidingIt) {
  TempDir dir;
  // 100 arrivals/s, but at most 2 in flight of 50 ms each: 40/s can be served. The client
  // falls behind, and latency from schedule must show it.
  const auto r = run_suite(dir, R"(
[suite]
name = "slow"
[load]
mode = "rate"
rate = 100
requests = 40
max_in_flight = 2
[[targets]]
name = "slow"
provider = "mock"
mock = { ttft = "50ms", itl = "0ms", output_tokens = 1 }
)");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  auto db = Database::open(r.db);
  const double e2e_p99 = hist_value(db, "slow", "e2e", "p99");
  const double from_schedule_p99 = hist_value(db, "slow", "e2e_from_schedule", "p99");
  const double queue_max = hist_value(db, "slow", "queue_delay", "max");
  EXPECT_LT(e2e_p99, 120e6);            // each request alone looks fine...
  EXPECT_GT(queue_max, 400e6);          // ...but the last waited ~0.6 s to be sent
  EXPECT_GT(from_schedule_p99, 400e6);  // and latency from schedule says so
  // Queue delay grows along the run.
  EXPECT_GT(scalar(db, "SELECT MAX(t_send_ns - t_sched_ns) FROM requests WHERE seq > 30"),
            scalar(db, "SELECT MAX(t_send_ns - t_sched_ns) FROM requests WHERE seq <= 10"));
}

TEST(Run, SweepStoresEachStepAsAPhase) {
  TempDir dir;
  const auto r = run_suite(dir, R"(
[suite]
name = "sweep"
[load]
mode = "sweep"
rates = [40, 80]
requests = 16
[[targets]]
name = "m"
provider = "mock"
mock = { ttft = "1ms", itl = "0ms", output_tokens = 2 }
)");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  auto db = Database::open(r.db);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests WHERE phase = 'rate=40'"), 16);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests WHERE phase = 'rate=80'"), 16);
  EXPECT_GT(hist_value(db, "m", "ttft", "count", "rate=80"), 0);
  EXPECT_NE(r.result.out.find("m rate=40"), std::string::npos) << r.result.out;
}

TEST(Run, SweepStepsFindSaturationFirst) {
  TempDir dir;
  const auto r = run_suite(dir, R"(
[suite]
name = "sweep-steps"
[load]
mode = "sweep"
steps = 2
concurrency = 4
requests = 12
[[targets]]
name = "m"
provider = "mock"
mock = { ttft = "5ms", itl = "0ms", output_tokens = 2 }
)");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  auto db = Database::open(r.db);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests WHERE phase = 'max'"), 12);
  EXPECT_EQ(scalar(db, "SELECT COUNT(DISTINCT phase) FROM requests"), 3);
}

TEST(Run, InterleavedTargetsRunTogether) {
  TempDir dir;
  const auto r = run_suite(dir, R"(
[suite]
name = "interleaved"
[load]
mode = "concurrency"
concurrency = 2
requests = 10
order = "interleaved"
[[targets]]
name = "a"
provider = "mock"
mock = { ttft = "10ms", itl = "0ms", output_tokens = 2 }
[[targets]]
name = "b"
provider = "mock"
mock = { ttft = "10ms", itl = "0ms", output_tokens = 2 }
)");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  auto db = Database::open(r.db);
  EXPECT_LT(scalar(db, "SELECT MIN(t_send_ns) FROM requests WHERE target = 'b'"),
            scalar(db, "SELECT MAX(t_done_ns) FROM requests WHERE target = 'a'"));
  TempDir seq_dir;
  const auto s = run_suite(seq_dir, R"(
[suite]
name = "sequential"
[load]
mode = "concurrency"
concurrency = 2
requests = 10
[[targets]]
name = "a"
provider = "mock"
mock = { ttft = "10ms", itl = "0ms", output_tokens = 2 }
[[targets]]
name = "b"
provider = "mock"
mock = { ttft = "10ms", itl = "0ms", output_tokens = 2 }
)");
  auto db2 = Database::open(s.db);
  EXPECT_GE(scalar(db2, "SELECT MIN(t_send_ns) FROM requests WHERE target = 'b'"),
            scalar(db2, "SELECT MAX(t_done_ns) FROM requests WHERE target = 'a'"));
}

TEST(Run, RetriesHonourRetryAfterAsAttemptsOfOneRequest) {
  TempDir dir;
  const auto r = run_suite(dir, R"(
[suite]
name = "retry"
[load]
mode = "concurrency"
concurrency = 10
requests = 20
retry = true
max_retries = 5
[[targets]]
name = "m"
provider = "mock"
mock = { ttft = "1ms", itl = "0ms", output_tokens = 2, seed = 5, faults = { rate_limited = 0.3 } }
)");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  auto db = Database::open(r.db);
  EXPECT_GT(scalar(db, "SELECT COUNT(*) FROM requests WHERE attempt > 1"), 0);
  EXPECT_EQ(scalar(db, "SELECT COUNT(DISTINCT seq) FROM requests"), 20);
  // A retry waits for Retry-After (1 s from the mock).
  EXPECT_GE(scalar(db,
                   "SELECT MIN(b.t_send_ns - a.t_done_ns) FROM requests a JOIN requests b ON "
                   "a.seq = b.seq AND b.attempt = a.attempt + 1"),
            999'000'000);
}

TEST(Run, InterruptKeepsWhatFinishedAndExits130) {
  TempDir dir;
  const auto suite = dir.write("suite.toml", R"(
[suite]
name = "long"
[load]
mode = "concurrency"
concurrency = 4
requests = 100000
[[targets]]
name = "m"
provider = "mock"
mock = { ttft = "20ms", itl = "1ms", output_tokens = 5 }
)" + k_prompts);
  const std::string db_path = dir.file("runs.db");
  const std::string out = dir.file("report");
  llmbench::testing::BackgroundProcess run(
      {"--db", db_path, "run", suite, "--out", out, "--grace", "2s"});
  ASSERT_NE(run.first_line().find("run "), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  const auto [code, output] = run.stop(SIGINT);
  EXPECT_EQ(code, 130) << output;
  EXPECT_NE(output.find("interrupted"), std::string::npos) << output;
  auto db = Database::open(db_path);
  const auto runs = llmbench::store::list_runs(db);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].run.status, "interrupted");
  const auto done = scalar(db, "SELECT COUNT(*) FROM requests");
  EXPECT_GT(done, 20);
  EXPECT_LT(done, 1000);
  // In-flight requests finished within the grace period: nothing was cut off.
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests WHERE error_class IS NOT NULL"), 0);
  EXPECT_EQ(hist_value(db, "m", "ttft", "count"), static_cast<double>(done));
  EXPECT_TRUE(std::filesystem::exists(out + "/report.md"));
}

TEST(Run, ResultsThatCannotBeKeptFailBeforeAnythingIsSent) {
  TempDir dir;
  const std::string suite_text = R"(
[suite]
name = "nowhere"
[load]
mode = "concurrency"
requests = 5
[[targets]]
name = "m"
provider = "mock"
)" + k_prompts;
  const auto suite = dir.write("suite.toml", suite_text);
  const auto no_db = run_llmbench({"--db", dir.file("missing/x.db"), "run", suite});
  EXPECT_EQ(no_db.exit_code, 2);
  EXPECT_NE(no_db.err.find("does not exist"), std::string::npos) << no_db.err;
  const auto blocker = dir.write("afile", "x");
  const auto no_out =
      run_llmbench({"--db", dir.file("ok.db"), "run", suite, "--out", blocker + "/report"});
  EXPECT_EQ(no_out.exit_code, 2);
  EXPECT_NE(no_out.err.find("cannot write reports into"), std::string::npos) << no_out.err;
  auto db = Database::open(dir.file("ok.db"));
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM runs"), 0);  // nothing was run
}

TEST(Run, ReportReRendersAStoredRun) {
  TempDir dir;
  const auto r = run_suite(dir, R"(
[suite]
name = "again"
[load]
mode = "concurrency"
requests = 6
[[targets]]
name = "m"
provider = "mock"
mock = { ttft = "1ms", itl = "0ms", output_tokens = 2 }
)");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  const auto md = run_llmbench({"--db", r.db, "report", "latest", "--format", "md", "--out", "-"});
  EXPECT_EQ(md.exit_code, 0) << md.err;
  EXPECT_EQ(md.out, slurp(r.out + "/report.md"));
  const auto files =
      run_llmbench({"--db", r.db, "report", r.run_id.substr(0, 8), "--out", dir.file("again")});
  EXPECT_EQ(files.exit_code, 0) << files.err;
  EXPECT_EQ(slurp(dir.file("again") + "/report.json"), slurp(r.out + "/report.json"));
  EXPECT_EQ(run_llmbench({"--db", r.db, "report", "nope"}).exit_code, 2);
  EXPECT_EQ(run_llmbench({"--db", r.db, "report", "latest", "--format", "pdf"}).exit_code, 2);
}

TEST(Run, ASecondInterruptCancelsAtOnce) {
  TempDir dir;
  const auto suite = dir.write("suite.toml", R"(
[suite]
name = "abort"
[load]
mode = "concurrency"
concurrency = 4
requests = 1000
[[targets]]
name = "m"
provider = "mock"
mock = { ttft = "10s", itl = "0ms", output_tokens = 2 }
)" + k_prompts);
  const std::string db_path = dir.file("runs.db");
  llmbench::testing::BackgroundProcess run(
      {"--db", db_path, "run", suite, "--out", dir.file("report"), "--grace", "60s"});
  ASSERT_NE(run.first_line().find("run "), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  kill(run.pid(), SIGINT);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto t0 = std::chrono::steady_clock::now();
  const auto [code, output] = run.stop(SIGINT);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));  // not 60 s
  EXPECT_EQ(code, 130) << output;
  auto db = Database::open(db_path);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests WHERE error_class = 'cancelled'"), 4);
  EXPECT_EQ(llmbench::store::list_runs(db).at(0).run.status, "interrupted");
}

TEST(Run, KeysNeverReachTheDatabaseOrReports) {
  llmbench::server::MockServer mock(llmbench::server::MockProfile{}, {});
  mock.start();
  TempDir dir;
  const std::string key = "sk-llmbench-test-SECRET-4242";
  const auto suite = dir.write("suite.toml", R"(
[suite]
name = "secrets"
store_content = true
[load]
mode = "concurrency"
requests = 4
[[targets]]
name = "compatible"
provider = "openai"
model = "some-model"
base_url = ")" + mock.base_url() + R"("
api_key_env = "LLMBENCH_TEST_KEY"
)" + k_prompts);
  const auto r =
      run_llmbench({"--db", dir.file("runs.db"), "run", suite, "--out", dir.file("report")},
                   {"LLMBENCH_TEST_KEY=" + key});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto db = Database::open(dir.file("runs.db"));
  // Content was stored, as the suite asked...
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests WHERE request_body LIKE '%Say hello%'"), 2);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests WHERE response_text LIKE '%quick%'"), 4);
  // ...but the key appears nowhere: not in the database file, not in any report, not in
  // what was printed.
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir.path())) {
    if (entry.is_regular_file() && entry.path().filename() != "suite.toml") {
      EXPECT_EQ(slurp(entry.path().string()).find("SECRET-4242"), std::string::npos)
          << entry.path();
    }
  }
  EXPECT_EQ(r.out.find("SECRET"), std::string::npos);
  EXPECT_EQ(r.err.find("SECRET"), std::string::npos);
  // Without the variable, the run refuses before sending anything.
  const auto unset = run_llmbench({"--db", dir.file("runs2.db"), "run", suite});
  EXPECT_EQ(unset.exit_code, 2);
  EXPECT_NE(unset.err.find("LLMBENCH_TEST_KEY"), std::string::npos) << unset.err;
}

TEST(Run, RequestsCsvFollowsTheRunAndEqualsAReRender) {
  // A run of about a second: the CSV writer appends what was stored every ~250 ms while the
  // requests are measured, and the file must be the same as `llmbench report` writes later
  // from the store (every row once, in storage order).
  TempDir dir;
  const auto r = run_suite(dir, R"(
[suite]
name = "follow"
[load]
mode = "concurrency"
concurrency = 4
requests = 400
warmup = 2
[[targets]]
name = "m"
provider = "mock"
mock = { ttft = "8ms", itl = "0ms", output_tokens = 3, seed = 3, faults = { server_error = 0.05 } }
)");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err;
  const std::string during = slurp(r.out + "/requests.csv");
  EXPECT_EQ(std::count(during.begin(), during.end(), '\n'), 1 + 402);
  const auto again = run_llmbench(
      {"--db", r.db, "report", r.run_id, "--format", "csv", "--out", dir.file("again")});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(slurp(dir.file("again") + "/requests.csv"), during);
  // Storage order: each line's seq,attempt as the store's rowid order gives them.
  auto db = Database::open(r.db);
  auto st = db.prepare("SELECT seq || ',' || attempt || ',' FROM requests ORDER BY rowid");
  std::size_t at = during.find('\n') + 1;
  while (st.step()) {
    const std::string prefix = st.text(0);
    ASSERT_EQ(during.compare(at, prefix.size(), prefix), 0) << "at byte " << at;
    at = during.find('\n', at) + 1;
  }
  EXPECT_EQ(at, during.size());
}
