// `llmbench replay SOURCE` as a user runs it: every kind of source, against a real mock
// server, with the per-row verdicts, the summary and the exit code checked.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <regex>

#include "llmbench/server/mock_profile.hpp"
#include "llmbench/server/mock_server.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using llmbench::testing::run_llmbench;
using llmbench::testing::TempDir;

namespace {

// The mock's output for 6 tokens: deterministic, the same for every request.
constexpr std::string_view k_six = " the quick brown fox jumps over";

llmbench::server::MockProfile six_tokens() {
  llmbench::server::MockProfile p;
  p.ttft = llmbench::server::Distribution::fixed(2e6);
  p.itl = llmbench::server::Distribution::fixed(0.5e6);
  p.output_tokens = llmbench::server::Distribution::fixed(6);
  return p;
}

std::string suite_for(const std::string& base_url, const std::string& provider,
                      bool store_content) {
  return std::string(R"(
[suite]
name = "replay"
store_content = )") +
         (store_content ? "true" : "false") + R"(
[load]
mode = "concurrency"
concurrency = 2
requests = 3
[[targets]]
name = "origin"
provider = ")" +
         provider +
         R"("
model = "m1"
base_url = ")" +
         base_url +
         R"("
[[prompts]]
id = "p1"
messages = [{ role = "user", content = "One?" }]
[[prompts]]
id = "p2"
messages = [{ role = "user", content = "Two?" }]
[[prompts]]
id = "p3"
messages = [{ role = "user", content = "Three?" }]
)";
}

}  // namespace

TEST(Replay, CacheFileAgainstASuiteTarget) {
  llmbench::server::MockServer mock(six_tokens(), {});
  mock.start();
  TempDir dir;
  const auto suite = dir.write("s.toml", suite_for(mock.base_url(), "anthropic", false));
  const std::string cache = dir.file("cache.db");
  ASSERT_EQ(run_llmbench({"--db", dir.file("runs.db"), "run", suite, "--no-report", "--cache-mode",
                          "record", "--cache", cache})
                .exit_code,
            0);
  const auto served = mock.requests_served();
  const auto r = run_llmbench({"replay", cache, "--suite", suite, "--target", "origin", "--diff",
                               "bytes", "--fail-on-diff"});
  ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
  EXPECT_EQ(mock.requests_served(), served + 3);  // each recorded request, sent again
  EXPECT_NE(r.out.find("3 rows: 3 passed, 0 failed, 0 errors"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("end to end: p50"), std::string::npos);
  EXPECT_NE(r.out.find("time to first token: p50"), std::string::npos);
}

TEST(Replay, StoredRunAgainstAnotherProtocolByFlags) {
  llmbench::server::MockServer mock(six_tokens(), {});
  mock.start();
  TempDir dir;
  const std::string db = dir.file("runs.db");
  const auto suite = dir.write("s.toml", suite_for(mock.base_url(), "openai", true));
  ASSERT_EQ(
      run_llmbench({"--db", db, "run", suite, "--no-report", "--save-baseline", "v1"}).exit_code,
      0);
  // Recorded over OpenAI's protocol, replayed over Anthropic's: the messages carry over.
  const auto r = run_llmbench({"--db", db, "replay", "v1", "--base-url", mock.base_url(),
                               "--provider", "anthropic", "--model", "m2", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(r.out).get(doc), simdjson::SUCCESS) << r.out;
  EXPECT_EQ(std::string_view(doc["schema"]), "llmbench.replay/1");
  EXPECT_EQ(int64_t(doc["summary"]["total"]), 3);
  EXPECT_EQ(int64_t(doc["summary"]["passed"]), 3);
  EXPECT_GT(double(doc["summary"]["e2e_ms"]["recorded_p50"]), 0);
  EXPECT_GT(double(doc["summary"]["e2e_ms"]["new_p95"]), 0);
  std::string_view id = doc["rows"].at(0)["id"];
  EXPECT_TRUE(std::regex_match(std::string(id), std::regex(R"(origin/p[123]#\d+)"))) << id;

  // A run that kept no content cannot be replayed, and says why.
  const auto bare = dir.write("bare.toml", suite_for(mock.base_url(), "openai", false));
  ASSERT_EQ(
      run_llmbench({"--db", db, "run", bare, "--no-report", "--save-baseline", "bare"}).exit_code,
      0);
  const auto none =
      run_llmbench({"--db", db, "replay", "bare", "--base-url", mock.base_url(), "--model", "m"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find("store_content = true"), std::string::npos) << none.err;
}

TEST(Replay, JsonlBundleDiffsAndFailsOnDiff) {
  llmbench::server::MockServer mock(six_tokens(), {});
  mock.start();
  TempDir dir;
  const auto bundle = dir.write(
      "traces.jsonl",
      std::string(R"({"trace_id":"same","prompt":"Q","output":")") + std::string(k_six) +
          R"(","latency_ms":50})" + "\n" +
          R"({"trace_id":"spacing","prompt":"Q","output":"the   quick brown fox\njumps over"})" +
          "\n" +
          R"({"request":{"model":"x","messages":[{"role":"user","content":"Q"}]},)"
          R"("response":{"choices":[{"message":{"content":"something else"}}]},"id":"changed"})" +
          "\n");
  const auto text =
      run_llmbench({"replay", bundle, "--base-url", mock.base_url(), "--model", "m", "--diff",
                    "text", "--format", "md", "--fail-on-diff", "--out", dir.file("replay.md")});
  EXPECT_EQ(text.exit_code, 1) << text.err;
  EXPECT_NE(text.out.find("| same | pass |"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("| spacing | pass |"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("| changed | FAIL |"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("3 rows: 2 passed, 1 failed, 0 errors"), std::string::npos);
  EXPECT_NE(text.err.find("1 of 3 rows did not match"), std::string::npos);
  std::ifstream written(dir.file("replay.md"));
  std::stringstream md;
  md << written.rdbuf();
  EXPECT_EQ(md.str(), text.out);
  // Byte-exact, the whitespace difference counts; without --fail-on-diff the exit is 0.
  const auto bytes = run_llmbench(
      {"replay", bundle, "--base-url", mock.base_url(), "--model", "m", "--diff", "bytes"});
  EXPECT_EQ(bytes.exit_code, 0) << bytes.err;
  EXPECT_NE(bytes.out.find("1 passed, 2 failed"), std::string::npos) << bytes.out;
}

TEST(Replay, BadInputIsNamed) {
  TempDir dir;
  const auto bundle = dir.write("t.jsonl", "{\"prompt\":\"Q\",\"output\":\"A\"}\nnot json\n");
  const auto where = run_llmbench({"replay", bundle});
  EXPECT_EQ(where.exit_code, 2);
  EXPECT_NE(where.err.find("say where to replay"), std::string::npos) << where.err;
  const auto line =
      run_llmbench({"replay", bundle, "--base-url", "http://127.0.0.1:9/v1", "--model", "m"});
  EXPECT_EQ(line.exit_code, 2);
  EXPECT_NE(line.err.find("t.jsonl:2: not a JSON object"), std::string::npos) << line.err;
  const auto mode = run_llmbench(
      {"replay", bundle, "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--diff", "fuzzy"});
  EXPECT_EQ(mode.exit_code, 2);
  // A target that refuses connections: every row is a recorded error, not a crash.
  const auto good = dir.write("g.jsonl", "{\"prompt\":\"Q\",\"output\":\"A\"}\n");
  const auto down = run_llmbench(
      {"replay", good, "--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--fail-on-diff"});
  EXPECT_EQ(down.exit_code, 1) << down.err;
  EXPECT_NE(down.out.find("0 passed, 0 failed, 1 errors"), std::string::npos) << down.out;
  EXPECT_NE(down.out.find("connection"), std::string::npos) << down.out;
}
