// Routes ([[routes]], docs/routes.md) as a user runs them: the real binary, real sockets,
// mock members scripted to fail, stall or be slow, and the stored attempts checked against
// the policy.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <regex>
#include <string>
#include <vector>

#include "llmbench/server/mock_profile.hpp"
#include "llmbench/server/mock_server.hpp"
#include "llmbench/store/database.hpp"
#include "support/files.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using llmbench::store::Database;
using llmbench::testing::run_llmbench;
using llmbench::testing::slurp;
using llmbench::testing::TempDir;

namespace {

struct Outcome {
  llmbench::testing::ProcessResult result;
  std::string db;
  std::string out;
};

Outcome run_suite(const TempDir& dir, const std::string& body, int requests = 20) {
  const auto suite = dir.write("suite.toml", fmt::format(R"([suite]
name = "routes"
[defaults]
max_tokens = 8
[load]
mode = "concurrency"
concurrency = 2
requests = {}
{}
[[prompts]]
id = "a"
messages = [{{ role = "user", content = "Say hello." }}]
)",
                                                         requests, body));
  Outcome r;
  r.db = dir.file("runs.db");
  r.out = dir.file("report");
  r.result = run_llmbench({"--db", r.db, "run", suite, "--out", r.out});
  return r;
}

std::int64_t scalar(Database& db, const std::string& sql) {
  auto st = db.prepare(sql);
  st.step();
  return st.is_null(0) ? -1 : st.int64(0);
}

// A mock of our own, so the test can count what each member was sent.
std::unique_ptr<llmbench::server::MockServer> member_mock(double ttft_ms = 2) {
  llmbench::server::MockProfile p;
  p.ttft = llmbench::server::Distribution::fixed(ttft_ms * 1e6);
  p.itl = llmbench::server::Distribution::fixed(0.2e6);
  p.output_tokens = llmbench::server::Distribution::fixed(8);
  auto mock =
      std::make_unique<llmbench::server::MockServer>(p, llmbench::server::MockServerOptions{});
  mock->start();
  return mock;
}

}  // namespace

// The mock resets and stalls halfway through a stream, after its first tokens: with
// commit = "complete" those fall through too (under "first_token" the answer had begun and
// the request fails with it, Routes.ABrokenStreamFailsUnderFirstTokenCommit).
TEST(Routes, SequentialFallsThroughEverySoftFailureInOrder) {
  TempDir dir;
  const auto r = run_suite(dir, R"(
[[targets]]
name = "limited"
provider = "mock"
headers = { "x-mock-fault" = "rate_limited" }
[[targets]]
name = "failing"
provider = "mock"
headers = { "x-mock-fault" = "server_error" }
[[targets]]
name = "resetting"
provider = "mock"
headers = { "x-mock-fault" = "reset" }
[[targets]]
name = "stalling"
provider = "mock"
headers = { "x-mock-fault" = "stall" }
[[targets]]
name = "good"
provider = "mock"
mock = { ttft = "2ms", itl = "0.2ms", output_tokens = 8 }
[[routes]]
name = "chain"
policy = "sequential"
members = ["limited", "failing", "resetting", "stalling", "good"]
timeout = "300ms"
commit = "complete"
)");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err << r.result.out;
  auto db = Database::open(r.db);
  // Only the route is measured (its members are not measured alone unless asked).
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests"), 20);
  EXPECT_EQ(scalar(db,
                   "SELECT COUNT(*) FROM requests WHERE target = 'chain' AND error_class IS "
                   "NULL"),
            20);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM route_attempts"), 100);
  for (const auto& [member, cls] :
       std::vector<std::pair<std::string, std::string>>{{"limited", "rate_limited"},
                                                        {"failing", "http_5xx"},
                                                        {"resetting", "connection"},
                                                        {"stalling", "timeout_total"}}) {
    EXPECT_EQ(scalar(db, fmt::format("SELECT COUNT(*) FROM route_attempts WHERE member = '{}' "
                                     "AND outcome = 'failed' AND error_class = '{}'",
                                     member, cls)),
              20)
        << member;
  }
  EXPECT_EQ(scalar(db,
                   "SELECT COUNT(*) FROM route_attempts WHERE member = 'good' AND outcome = "
                   "'won' AND role = 'fallback' AND idx = 4"),
            20);
  // The route's latency runs from its own send: it holds the 300 ms the stall cost.
  EXPECT_GE(scalar(db, "SELECT MIN(t_first_token_ns - t_send_ns) FROM requests"), 300'000'000);
  const std::string md = slurp(r.out + "/report.md");
  EXPECT_NE(md.find("| fell through: timeout_total | 20 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| wins: good | 100.0% (20 of 20) |"), std::string::npos) << md;
  EXPECT_NE(md.find("attempts per request | 5.000 (extra load 400.0%: 0 hedges, 80 fallbacks)"),
            std::string::npos)
      << md;
}

TEST(Routes, AHardFailureStopsTheRequestAndIsNeverSentToTheNextMember) {
  TempDir dir;
  auto bad_key = member_mock();
  auto next = member_mock();
  const auto r = run_suite(dir,
                           fmt::format(R"(
[[targets]]
name = "bad-key"
provider = "openai"
model = "m"
base_url = "{}"
headers = {{ "x-mock-fault" = "unauthorized" }}
[[targets]]
name = "next"
provider = "openai"
model = "m"
base_url = "{}"
[[routes]]
name = "chain"
policy = "sequential"
members = ["bad-key", "next"]
)",
                                       bad_key->base_url(), next->base_url()),
                           10);
  // Every request failed: the route measured nothing, and the run says so.
  EXPECT_EQ(r.result.exit_code, 3) << r.result.err << r.result.out;
  EXPECT_EQ(bad_key->requests_served(), 10U);
  EXPECT_EQ(next->requests_served(), 0U);  // the key never went to a second vendor
  auto db = Database::open(r.db);
  EXPECT_EQ(scalar(db,
                   "SELECT COUNT(*) FROM requests WHERE error_class = 'http_4xx' AND "
                   "status_code = 401"),
            10);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM route_attempts"), 10);
}

TEST(Routes, HedgingWithoutDelayIsTheRaceAndLosersAreCancelled) {
  TempDir dir;
  const auto r = run_suite(dir, R"(
[[targets]]
name = "a"
provider = "mock"
mock = { ttft = "20ms", itl = "1ms", output_tokens = 8 }
[[targets]]
name = "b"
provider = "mock"
mock = { ttft = "5ms", itl = "1ms", output_tokens = 8 }
[[routes]]
name = "race"
policy = "hedged"
members = ["a", "b"]
hedge_delay = "0ms"
)");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err << r.result.out;
  auto db = Database::open(r.db);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM route_attempts WHERE start_delay_ns = 0"), 40);
  EXPECT_EQ(scalar(db,
                   "SELECT COUNT(*) FROM route_attempts WHERE member = 'b' AND role = "
                   "'hedge' AND outcome = 'won'"),
            20);
  EXPECT_EQ(scalar(db,
                   "SELECT COUNT(*) FROM route_attempts WHERE member = 'a' AND outcome = "
                   "'cancelled' AND cancel_latency_ns IS NOT NULL"),
            20);
  // The route answers at the hedge's pace, measured from its own send.
  EXPECT_LT(scalar(db, "SELECT MAX(t_first_token_ns - t_send_ns) FROM requests"), 15'000'000);
  // A run travels with its attempts.
  const auto exported =
      run_llmbench({"--db", r.db, "runs", "export", "latest", "-o", dir.file("run.json.gz")});
  ASSERT_EQ(exported.exit_code, 0) << exported.err;
  const auto imported =
      run_llmbench({"--db", dir.file("other.db"), "runs", "import", dir.file("run.json.gz")});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  auto other = Database::open(dir.file("other.db"));
  EXPECT_EQ(scalar(other, "SELECT COUNT(*) FROM route_attempts"), 40);
}

TEST(Routes, NoHedgeWhenThePrimaryBeatsTheDelayAndOneAfterItWhenNot) {
  TempDir dir;
  const auto r = run_suite(dir, R"(
[[targets]]
name = "quick"
provider = "mock"
mock = { ttft = "3ms", itl = "1ms", output_tokens = 8 }
[[targets]]
name = "slow"
provider = "mock"
mock = { ttft = "150ms", itl = "1ms", output_tokens = 8 }
[[targets]]
name = "other"
provider = "mock"
mock = { ttft = "3ms", itl = "1ms", output_tokens = 8 }
[[routes]]
name = "patient"
policy = "hedged"
members = ["quick", "other"]
hedge_delay = "100ms"
[[routes]]
name = "rescued"
policy = "hedged"
members = ["slow", "other"]
hedge_delay = "30ms"
)");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err << r.result.out;
  auto db = Database::open(r.db);
  EXPECT_EQ(scalar(db,
                   "SELECT COUNT(*) FROM route_attempts a JOIN requests r USING (run_id, "
                   "seq, attempt) WHERE r.target = 'patient' AND a.role = 'hedge'"),
            0);
  EXPECT_EQ(scalar(db,
                   "SELECT COUNT(*) FROM route_attempts a JOIN requests r USING (run_id, "
                   "seq, attempt) WHERE r.target = 'rescued' AND a.role = 'hedge' AND "
                   "a.outcome = 'won' AND a.start_delay_ns >= 30000000"),
            20);
  const std::string json = slurp(r.out + "/report.json");
  simdjson::dom::parser parser;
  const auto doc = parser.parse(json);
  for (const auto t : doc["targets"]) {
    const std::string_view name = t["target"];
    EXPECT_DOUBLE_EQ(double(t["route"]["extra_load"]), name == "patient" ? 0.0 : 1.0) << name;
  }
}

TEST(Routes, TheBudgetHoldsExtraLoadOverTheRun) {
  TempDir dir;
  const auto r = run_suite(dir, R"(
[[targets]]
name = "a"
provider = "mock"
mock = { ttft = "3ms", itl = "0.5ms", output_tokens = 4 }
[[targets]]
name = "b"
provider = "mock"
mock = { ttft = "3ms", itl = "0.5ms", output_tokens = 4 }
[[routes]]
name = "budgeted"
policy = "hedged"
members = ["a", "b"]
hedge_delay = "0ms"
max_extra_load = 0.1
)",
                           100);
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err << r.result.out;
  auto db = Database::open(r.db);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM route_attempts WHERE role = 'hedge'"), 10);
  EXPECT_NE(slurp(r.out + "/report.md").find("extra load 10.0%"), std::string::npos);
}

TEST(Routes, CancelledLosersKeepTheirTokensAndTheRoutePaysForThem) {
  TempDir dir;
  auto slow = member_mock();
  auto fast = member_mock();
  // Both stream; commit on completion: the quick one wins, the slow one is cancelled midway
  // with some tokens received, and the route pays both.
  const auto r = run_suite(dir,
                           fmt::format(R"(
[[targets]]
name = "slow"
provider = "openai"
model = "m"
base_url = "{}"
headers = {{ "x-mock-ttft" = "2ms", "x-mock-itl" = "20ms" }}
price = {{ input = 1000, output = 2000 }}
[[targets]]
name = "fast"
provider = "openai"
model = "m"
base_url = "{}"
headers = {{ "x-mock-ttft" = "2ms", "x-mock-itl" = "1ms" }}
price = {{ input = 1000, output = 2000 }}
[[routes]]
name = "both"
policy = "hedged"
members = ["slow", "fast"]
hedge_delay = "0ms"
commit = "complete"
)",
                                       slow->base_url(), fast->base_url()),
                           10);
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err << r.result.out;
  auto db = Database::open(r.db);
  EXPECT_EQ(scalar(db,
                   "SELECT COUNT(*) FROM route_attempts WHERE member = 'slow' AND outcome = "
                   "'cancelled' AND output_tokens >= 1 AND output_tokens < 8 AND "
                   "input_tokens > 0"),
            10);
  // The route's cost is the winner's and the loser's, to the micro-dollar.
  auto st = db.prepare(
      "SELECT r.cost_usd, SUM(a.cost_usd), MAX(CASE WHEN a.outcome = 'won' THEN a.cost_usd END) "
      "FROM requests r JOIN route_attempts a USING (run_id, seq, attempt) GROUP BY r.seq");
  int rows = 0;
  while (st.step()) {
    ++rows;
    EXPECT_NEAR(st.real(0), st.real(1), 1e-12);
    EXPECT_GT(st.real(0), st.real(2));
  }
  EXPECT_EQ(rows, 10);
  EXPECT_NE(slurp(r.out + "/report.md").find("| wasted cost | $0.0"), std::string::npos);
}

TEST(Routes, MembersMeasuredAloneStandBesideTheRoute) {
  TempDir dir;
  const auto r = run_suite(dir, R"(
[[targets]]
name = "a"
provider = "mock"
mock = { ttft = "spike:3ms,20%,80ms", itl = "0.5ms", output_tokens = 4 }
[[targets]]
name = "b"
provider = "mock"
mock = { ttft = "spike:3ms,20%,80ms", itl = "0.5ms", output_tokens = 4 }
[[routes]]
name = "race"
policy = "hedged"
members = ["a", "b"]
measure_members = true
)",
                           50);
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err << r.result.out;
  auto db = Database::open(r.db);
  EXPECT_EQ(scalar(db, "SELECT COUNT(DISTINCT target) FROM requests"), 3);
  const std::string md = slurp(r.out + "/report.md");
  EXPECT_NE(md.find("| route vs members (ms) | TTFT p50 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| race (route) |"), std::string::npos);
  EXPECT_NE(md.find("\n| a |"), std::string::npos);
  EXPECT_NE(md.find("p99 TTFT "), std::string::npos);
  EXPECT_NE(md.find(" for a alone: "), std::string::npos) << md;
}

TEST(Routes, ValidationNamesEachMistakeAtItsPlace) {
  TempDir dir;
  const auto suite = dir.write("bad.toml", R"([suite]
name = "bad"
[load]
mode = "concurrency"
requests = 1
[[targets]]
name = "a"
provider = "mock"
[[routes]]
name = "r1"
policy = "hedged"
members = ["a", "b"]
[[routes]]
name = "r2"
policy = "hedged"
members = ["r2", "a"]
hedge_k = 3
[[routes]]
name = "a"
policy = "fastest"
members = ["a"]
hedge_delay = "p100"
[[prompts]]
id = "p"
prompt = "hi"
)");
  const auto r = run_llmbench({"validate", suite});
  EXPECT_EQ(r.exit_code, 2);
  for (const char* expected :
       {"bad.toml:12:11: unknown member \"b\": members are targets of this suite",
        "bad.toml:16:11: route \"r2\" names itself as a member",
        "bad.toml:17:11: hedge_k = 3 is more than the route's 1 member",
        "bad.toml:19:8: \"a\" is a target's name already",
        "bad.toml:20:10: unknown policy \"fastest\"",
        "bad.toml:22:15: hedge_delay \"p100\": a quantile is p50 .. p99.9"}) {
    EXPECT_NE(r.err.find(expected), std::string::npos) << expected << "\n" << r.err;
  }
}

TEST(Routes, ABrokenStreamFailsUnderFirstTokenCommit) {
  TempDir dir;
  const auto r = run_suite(dir, R"(
[[targets]]
name = "resetting"
provider = "mock"
headers = { "x-mock-fault" = "reset" }
[[targets]]
name = "good"
provider = "mock"
[[routes]]
name = "chain"
policy = "sequential"
members = ["resetting", "good"]
)",
                           6);
  EXPECT_EQ(r.result.exit_code, 3) << r.result.err << r.result.out;
  auto db = Database::open(r.db);
  EXPECT_EQ(scalar(db,
                   "SELECT COUNT(*) FROM requests WHERE error_class = 'connection' AND "
                   "t_first_token_ns IS NOT NULL"),
            6);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM route_attempts WHERE member = 'good'"), 0);
}

TEST(Routes, AGateCanHoldARoutesExtraLoad) {
  TempDir dir;
  const std::string members = R"(
[[targets]]
name = "a"
provider = "mock"
mock = { ttft = "3ms", itl = "0.5ms", output_tokens = 4 }
[[targets]]
name = "b"
provider = "mock"
mock = { ttft = "3ms", itl = "0.5ms", output_tokens = 4 }
)";
  const auto base = run_suite(dir, members + R"(
[[routes]]
name = "r"
policy = "sequential"
members = ["a", "b"]
)");
  ASSERT_EQ(base.result.exit_code, 0) << base.result.err;
  const auto cand = run_suite(dir, members + R"(
[[routes]]
name = "r"
policy = "hedged"
members = ["a", "b"]
)");
  ASSERT_EQ(cand.result.exit_code, 0) << cand.result.err;
  std::vector<std::string> ids;
  for (const auto* out : {&base.result.out, &cand.result.out}) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(*out, m, std::regex("run ([0-9a-f-]{36}) "))) << *out;
    ids.push_back(m[1].str());
  }
  const auto diff = run_llmbench({"--db", base.db, "report", "diff", ids[0], ids[1],
                                  "--allow-suite-change", "--fail-on", "extra_load>5%"});
  EXPECT_EQ(diff.exit_code, 1) << diff.out << diff.err;
  EXPECT_NE(diff.out.find(
                "FAIL gate extra_load>5%: r: extra_load value 100.00% > limit 5.00% (base 0.00%)"),
            std::string::npos)
      << diff.out;
  const auto bad = run_llmbench(
      {"--db", base.db, "report", "diff", ids[0], ids[1], "--fail-on", "extra_load>5ms"});
  EXPECT_EQ(bad.exit_code, 2) << bad.out << bad.err;
}

TEST(Routes, ARouteRecordsAndReplaysThroughTheResponseCache) {
  TempDir dir;
  auto a = member_mock();
  auto b = member_mock();
  const std::string body = fmt::format(R"(
[[targets]]
name = "a"
provider = "openai"
model = "m"
base_url = "{}"
[[targets]]
name = "b"
provider = "openai"
model = "m"
base_url = "{}"
[[routes]]
name = "r"
policy = "sequential"
members = ["a", "b"]
)",
                                       a->base_url(), b->base_url());
  const auto suite = dir.write("suite.toml", fmt::format(R"([suite]
name = "routes"
[defaults]
max_tokens = 8
[load]
mode = "concurrency"
concurrency = 1
requests = 5
{}
[[prompts]]
id = "a"
messages = [{{ role = "user", content = "Say hello." }}]
)",
                                                         body));
  const std::string db = dir.file("runs.db");
  const std::string cache = dir.file("cache.db");
  const auto rec = run_llmbench(
      {"--db", db, "run", suite, "--no-report", "--cache-mode", "record", "--cache", cache});
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  const auto served = a->requests_served();
  EXPECT_EQ(served, 5U);
  const auto rep = run_llmbench(
      {"--db", db, "run", suite, "--no-report", "--cache-mode", "replay", "--cache", cache});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  EXPECT_EQ(a->requests_served(), served);  // nothing was sent
  EXPECT_EQ(b->requests_served(), 0U);
  auto d = Database::open(db);
  EXPECT_EQ(scalar(d, "SELECT COUNT(*) FROM requests WHERE replayed = 1 AND error_class IS NULL"),
            5);
}
