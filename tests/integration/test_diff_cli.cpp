// Regression gating end to end: runs against the in-process mock, a baseline, and a
// candidate whose mock is scripted 25% slower.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>

#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using llmbench::testing::run_llmbench;
using llmbench::testing::TempDir;

namespace {

std::string suite(const std::string& ttft, const std::string& prompt = "Say hello.") {
  return R"(
[suite]
name = "gate"
[load]
mode = "concurrency"
concurrency = 4
requests = 80
[[targets]]
name = "m"
provider = "mock"
mock = { ttft = ")" +
         ttft + R"(", itl = "0ms", output_tokens = 2 }
[[prompts]]
id = "a"
messages = [{ role = "user", content = ")" +
         prompt + R"(" }]
)";
}

}  // namespace

TEST(DiffCli, BaselineThenGateACandidate) {
  TempDir dir;
  const std::string db = dir.file("runs.db");
  const auto base = run_llmbench({"--db", db, "run", dir.write("base.toml", suite("20ms")),
                                  "--no-report", "--save-baseline", "main"});
  ASSERT_EQ(base.exit_code, 0) << base.err;
  const auto listed = run_llmbench({"--db", db, "runs", "list", "--baselines"});
  EXPECT_NE(listed.out.find("main"), std::string::npos) << listed.out;

  // The same script again: no gate fails.
  const auto same =
      run_llmbench({"--db", db, "run", dir.write("same.toml", suite("20ms")), "--no-report",
                    "--baseline", "main", "--fail-on", "ttft.p50>+10%"});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  EXPECT_NE(same.out.find("passed gate ttft.p50>+10%"), std::string::npos) << same.out;

  // 25% slower: the gate fails, exit 1, failing lines first, a JUnit file.
  const std::string junit = dir.file("junit.xml");
  const auto slow =
      run_llmbench({"--db", db, "run", dir.write("slow.toml", suite("25ms")), "--no-report",
                    "--baseline", "main", "--fail-on", "ttft.p50>+10%", "--junit", junit},
                   {"GITHUB_STEP_SUMMARY=" + dir.file("summary.md")});
  EXPECT_EQ(slow.exit_code, 1) << slow.out << slow.err;
  EXPECT_NE(slow.out.find("FAILED gate ttft.p50>+10%"), std::string::npos) << slow.out;
  EXPECT_NE(slow.out.find("regressed"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(junit));
  EXPECT_TRUE(std::filesystem::exists(dir.file("summary.md")));

  // report diff on stored runs: JSON for machines, the same verdicts.
  const auto json =
      run_llmbench({"--db", db, "report", "diff", "main", "latest", "--format", "json"});
  EXPECT_EQ(json.exit_code, 0) << json.err;  // no gates: regressions reported, exit 0
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(simdjson::padded_string(json.out)).get(doc), simdjson::SUCCESS)
      << json.out;
  EXPECT_EQ(std::string_view(doc["targets"].at(0)["cells"].at(0)["verdict"]), "regressed");
  EXPECT_EQ(run_llmbench({"--db", db, "report", "diff", "main", "latest", "--fail-on-regression"})
                .exit_code,
            1);
}

TEST(DiffCli, DifferentRequestsAreRefusedUnlessAllowed) {
  TempDir dir;
  const std::string db = dir.file("runs.db");
  ASSERT_EQ(run_llmbench({"--db", db, "run", dir.write("a.toml", suite("5ms")), "--no-report",
                          "--save-baseline", "a"})
                .exit_code,
            0);
  ASSERT_EQ(run_llmbench({"--db", db, "run", dir.write("b.toml", suite("5ms", "Other prompt.")),
                          "--no-report"})
                .exit_code,
            0);
  const auto refused = run_llmbench({"--db", db, "report", "diff", "a", "latest"});
  EXPECT_EQ(refused.exit_code, 2);
  EXPECT_NE(refused.err.find("--allow-suite-change"), std::string::npos) << refused.err;
  EXPECT_EQ(
      run_llmbench({"--db", db, "report", "diff", "a", "latest", "--allow-suite-change"}).exit_code,
      0);
  const auto bad_gate =
      run_llmbench({"--db", db, "report", "diff", "a", "latest", "--fail-on", "ttft>10%"});
  EXPECT_EQ(bad_gate.exit_code, 2);
  EXPECT_NE(bad_gate.err.find("needs a sign"), std::string::npos) << bad_gate.err;
  EXPECT_EQ(run_llmbench({"--db", db, "run", dir.file("a.toml"), "--baseline", "nope"}).exit_code,
            2);
}

TEST(DiffCli, SuiteGateTable) {
  TempDir dir;
  const std::string db = dir.file("runs.db");
  ASSERT_EQ(run_llmbench({"--db", db, "run", dir.write("base.toml", suite("20ms")), "--no-report",
                          "--save-baseline", "main"})
                .exit_code,
            0);
  const std::string gated = suite("25ms") + "\n[gate]\nfail_on = [\"ttft.p50>+10%\"]\n";
  const auto slow = run_llmbench(
      {"--db", db, "run", dir.write("gated.toml", gated), "--no-report", "--baseline", "main"});
  EXPECT_EQ(slow.exit_code, 1) << slow.out << slow.err;
  EXPECT_NE(slow.out.find("FAILED gate ttft.p50>+10%"), std::string::npos) << slow.out;
  // A malformed gate in the suite fails before anything is sent, naming its place.
  const auto bad = run_llmbench(
      {"--db", db, "run",
       dir.write("bad.toml", suite("5ms") + "\n[gate]\nfail_on = [\"ttft>>1\"]\n"), "--no-report"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.toml:"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("[gate]"), std::string::npos) << bad.err;
}
