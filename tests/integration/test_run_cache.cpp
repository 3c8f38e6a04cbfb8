// `llmbench run --cache-mode ...` against a real mock server: record, then replay without a
// single request reaching the server, with the recorded text, usage and timing.

#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <regex>

#include "llmbench/cache/store.hpp"
#include "llmbench/server/mock_profile.hpp"
#include "llmbench/server/mock_server.hpp"
#include "llmbench/store/database.hpp"
#include "support/background_process.hpp"
#include "support/http_client.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using llmbench::store::Database;
using llmbench::testing::run_llmbench;
using llmbench::testing::TempDir;

namespace {

llmbench::server::MockProfile profile(double ttft_ms, double itl_ms) {
  llmbench::server::MockProfile p;
  p.ttft = llmbench::server::Distribution::fixed(ttft_ms * 1e6);
  p.itl = llmbench::server::Distribution::fixed(itl_ms * 1e6);
  p.output_tokens = llmbench::server::Distribution::fixed(12);
  return p;
}

// Two targets on one server, one per protocol; two prompts; content stored.
std::string suite_text(const std::string& base_url, int requests, const std::string& extra = "") {
  return R"(
[suite]
name = "cache"
store_content = true
[defaults]
max_tokens = 12
[load]
mode = "concurrency"
concurrency = 1
requests = )" +
         std::to_string(requests) +
         R"(
[[targets]]
name = "oa"
provider = "openai"
model = "gpt-test"
base_url = ")" +
         base_url +
         R"("
[[targets]]
name = "an"
provider = "anthropic"
model = "claude-test"
base_url = ")" +
         base_url +
         R"("
[[prompts]]
id = "a"
messages = [{ role = "user", content = "Say hello." }]
[[prompts]]
id = "b"
messages = [{ role = "user", content = "Say goodbye." }]
)" + extra;
}

std::string run_id_of(const std::string& out) {
  std::smatch m;
  return std::regex_search(out, m, std::regex("run ([0-9a-f-]{36}) ")) ? m[1].str() : "";
}

struct Row {
  std::string text;
  std::int64_t input_tokens = -1;
  std::int64_t output_tokens = -1;
  std::int64_t ttft_ns = -1;
  std::int64_t e2e_ns = -1;
  bool replayed = false;
  std::string error;
};

// (target, prompt) -> the row of one run (each prompt is sent once per target).
std::map<std::pair<std::string, std::string>, Row> rows(const std::string& db_path,
                                                        const std::string& run_id) {
  auto db = Database::open(db_path);
  auto st = db.prepare(
      "SELECT target, prompt_id, COALESCE(response_text, ''), COALESCE(input_tokens, -1), "
      "COALESCE(output_tokens, -1), COALESCE(t_first_token_ns - t_send_ns, -1), "
      "t_done_ns - t_send_ns, replayed, COALESCE(error_class, '') FROM requests "
      "WHERE run_id = ?");
  st.bind(1, run_id);
  std::map<std::pair<std::string, std::string>, Row> out;
  while (st.step()) {
    out[{st.text(0), st.text(1)}] = Row{st.text(2),  st.int64(3),      st.int64(4), st.int64(5),
                                        st.int64(6), st.int64(7) != 0, st.text(8)};
  }
  return out;
}

}  // namespace

TEST(RunCache, RecordThenReplayGivesTheSameTextUsageAndTiming) {
  llmbench::server::MockServer mock(profile(30, 4), {});
  mock.start();
  TempDir dir;
  const auto suite = dir.write("suite.toml", suite_text(mock.base_url(), 2));
  const std::string db = dir.file("runs.db");
  const std::string cache = dir.file("cache.db");
  const auto rec = run_llmbench(
      {"--db", db, "run", suite, "--no-report", "--cache-mode", "record", "--cache", cache});
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  EXPECT_NE(rec.err.find("0 replayed, 0 missed, 4 recorded"), std::string::npos) << rec.err;
  const auto served = mock.requests_served();
  EXPECT_EQ(served, 4u);
  const auto recorded = rows(db, run_id_of(rec.out));
  ASSERT_EQ(recorded.size(), 4u);

  // Replay at the recorded pace: not one request reaches the server.
  const auto rep =
      run_llmbench({"--db", db, "run", suite, "--out", dir.file("report"), "--cache-mode", "replay",
                    "--cache", cache, "--replay-timing", "recorded"});
  ASSERT_EQ(rep.exit_code, 0) << rep.err;
  EXPECT_EQ(mock.requests_served(), served);
  const auto replayed = rows(db, run_id_of(rep.out));
  ASSERT_EQ(replayed.size(), 4u);
  for (const auto& [key, want] : recorded) {
    SCOPED_TRACE(key.first + "/" + key.second);
    const Row& got = replayed.at(key);
    EXPECT_TRUE(got.replayed);
    EXPECT_FALSE(want.replayed);
    EXPECT_EQ(got.error, "");
    EXPECT_FALSE(want.text.empty());
    EXPECT_EQ(got.text, want.text);
    EXPECT_EQ(got.input_tokens, want.input_tokens);
    EXPECT_EQ(got.output_tokens, want.output_tokens);
    // TTFT and the stream's length reproduce within 1 ms.
    EXPECT_GE(want.ttft_ns, 30'000'000);
    EXPECT_NEAR(static_cast<double>(got.ttft_ns), static_cast<double>(want.ttft_ns), 1e6);
    EXPECT_NEAR(static_cast<double>(got.e2e_ns - got.ttft_ns),
                static_cast<double>(want.e2e_ns - want.ttft_ns), 1e6);
  }
  // Every report says so.
  EXPECT_NE(rep.out.find("4 of 4 measured requests were replayed"), std::string::npos) << rep.out;
  std::ifstream md(dir.file("report") + "/report.md");
  std::stringstream text;
  text << md.rdbuf();
  EXPECT_NE(text.str().find("2 replayed from the response cache"), std::string::npos);

  // Instant replay: the same answers, no waiting.
  const auto fast = run_llmbench(
      {"--db", db, "run", suite, "--no-report", "--cache-mode", "replay", "--cache", cache});
  ASSERT_EQ(fast.exit_code, 0) << fast.err;
  EXPECT_EQ(mock.requests_served(), served);
  for (const auto& [key, row] : rows(db, run_id_of(fast.out))) {
    EXPECT_EQ(row.text, recorded.at(key).text);
    EXPECT_LT(row.ttft_ns, 5'000'000);
  }
  // scale:0.5 halves the recorded offsets.
  const auto half = run_llmbench({"--db", db, "run", suite, "--no-report", "--cache-mode", "replay",
                                  "--cache", cache, "--replay-timing", "scale:0.5"});
  ASSERT_EQ(half.exit_code, 0) << half.err;
  for (const auto& [key, row] : rows(db, run_id_of(half.out))) {
    EXPECT_NEAR(static_cast<double>(row.ttft_ns), static_cast<double>(recorded.at(key).ttft_ns) / 2,
                1e6);
  }
  // Every replay counted a hit: three runs of four requests.
  EXPECT_EQ(llmbench::cache::CacheStore::open(cache).stats().hits, 12);
}

TEST(RunCache, ReplayMissIsAnErrorAndNeverOpensAConnection) {
  llmbench::server::MockServer mock(profile(5, 1), {});
  mock.start();
  TempDir dir;
  const std::string cache = dir.file("cache.db");
  llmbench::cache::CacheStore::open(cache);  // an empty cache
  const auto suite = dir.write("suite.toml", suite_text(mock.base_url(), 3));
  const std::string db = dir.file("runs.db");
  const auto r = run_llmbench(
      {"--db", db, "run", suite, "--no-report", "--cache-mode", "replay", "--cache", cache});
  // Nothing was measured: the run is failed (exit 3), with every miss stored.
  EXPECT_EQ(r.exit_code, 3) << r.err;
  EXPECT_NE(r.err.find("cache_miss x3"), std::string::npos) << r.err;
  EXPECT_EQ(mock.requests_served(), 0u);
  auto d = Database::open(db);
  auto st =
      d.prepare("SELECT COUNT(*), SUM(error_class = 'cache_miss'), SUM(replayed) FROM requests");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.int64(0), 6);
  EXPECT_EQ(st.int64(1), 6);
  EXPECT_EQ(st.int64(2), 0);
  // Replay from a cache that does not exist is bad input, before anything is stored.
  const auto none = run_llmbench(
      {"--db", db, "run", suite, "--cache-mode", "replay", "--cache", dir.file("missing.db")});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("no cache at"), std::string::npos) << none.err;
}

TEST(RunCache, AutoReplaysHitsAndRecordsMisses) {
  llmbench::server::MockServer mock(profile(5, 1), {});
  mock.start();
  TempDir dir;
  const std::string cache = dir.file("cache.db");
  // The mode comes from the suite's [cache] table this time.
  const auto suite = dir.write(
      "suite.toml",
      suite_text(mock.base_url(), 4, "[cache]\nmode = \"auto\"\npath = \"" + cache + "\"\n"));
  const std::string db = dir.file("runs.db");
  const auto first = run_llmbench({"--db", db, "run", suite, "--no-report"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  // Concurrency 1: the first send of each (target, prompt) misses, the repeat hits.
  EXPECT_NE(first.err.find("4 replayed, 4 missed, 4 recorded"), std::string::npos) << first.err;
  EXPECT_EQ(mock.requests_served(), 4u);
  const auto second = run_llmbench({"--db", db, "run", suite, "--no-report"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_NE(second.err.find("8 replayed, 0 missed, 0 recorded"), std::string::npos) << second.err;
  EXPECT_EQ(mock.requests_served(), 4u);
  // Flags override the suite; bad values are named.
  const auto bad = run_llmbench({"--db", db, "run", suite, "--replay-timing", "slow"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("--replay-timing slow"), std::string::npos) << bad.err;
  const auto mode = run_llmbench({"--db", db, "run", suite, "--cache-mode", "sometimes"});
  EXPECT_EQ(mode.exit_code, 2);
  EXPECT_NE(mode.err.find("--cache-mode"), std::string::npos) << mode.err;
}

TEST(RunCache, MockFromCacheServesRecordedStreamsOverHttp) {
  TempDir dir;
  const std::string cache = dir.file("cache.db");
  const std::string db = dir.file("runs.db");
  std::map<std::pair<std::string, std::string>, Row> recorded;
  {
    llmbench::server::MockServer origin(profile(25, 3), {});
    origin.start();
    const auto suite = dir.write("origin.toml", suite_text(origin.base_url(), 2));
    const auto rec = run_llmbench(
        {"--db", db, "run", suite, "--no-report", "--cache-mode", "record", "--cache", cache});
    ASSERT_EQ(rec.exit_code, 0) << rec.err;
    recorded = rows(db, run_id_of(rec.out));
  }  // the original server is gone

  llmbench::testing::BackgroundProcess mock(
      {"mock", "--port", "0", "--threads", "1", "--from-cache", cache});
  std::smatch m;
  const std::string line = mock.first_line();
  ASSERT_TRUE(std::regex_search(line, m, std::regex(R"(127\.0\.0\.1:(\d+) )"))) << line;
  const std::string base = "http://127.0.0.1:" + m[1].str() + "/v1";
  // Any client gets the recorded behaviour: here, llmbench itself with the cache off.
  const auto suite = dir.write("replica.toml", suite_text(base, 2));
  const auto r = run_llmbench({"--db", db, "run", suite, "--no-report"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const auto& [key, row] : rows(db, run_id_of(r.out))) {
    SCOPED_TRACE(key.first + "/" + key.second);
    EXPECT_EQ(row.error, "");
    EXPECT_FALSE(row.replayed);  // as far as this run knows, it went over the network
    EXPECT_EQ(row.text, recorded.at(key).text);
    EXPECT_EQ(row.output_tokens, recorded.at(key).output_tokens);
    EXPECT_GE(row.ttft_ns, recorded.at(key).ttft_ns - 1'000'000);
    EXPECT_LT(row.ttft_ns, recorded.at(key).ttft_ns + 15'000'000);
  }
  // A request nobody recorded is a 404 that says why.
  const auto miss = llmbench::testing::http_exchange(
      "POST", base + "/chat/completions",
      R"({"model":"gpt-test","messages":[{"role":"user","content":"never asked"}]})");
  EXPECT_EQ(miss.status, 404);
  EXPECT_NE(miss.body.find("no recorded response"), std::string::npos) << miss.body;
  EXPECT_EQ(mock.stop(SIGTERM).first, 0);
}
