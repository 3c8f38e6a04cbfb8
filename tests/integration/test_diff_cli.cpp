// Regression gating end to end: runs against the in-process mock, a baseline, and a
// candidate whose mock is scripted 25% slower.

#include <gtest/gtest.h>
#include <simdjson.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/files.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using llmbench::testing::run_llmbench;
using llmbench::testing::slurp;
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
  EXPECT_NE(same.out.find("pass gate ttft.p50>+10%: m: ttft p50 "), std::string::npos) << same.out;

  // 25% slower: the gate fails, exit 1, failing lines first, a JUnit file.
  const std::string junit = dir.file("junit.xml");
  const auto slow =
      run_llmbench({"--db", db, "run", dir.write("slow.toml", suite("25ms")), "--no-report",
                    "--baseline", "main", "--fail-on", "ttft.p50>+10%", "--junit", junit},
                   {"GITHUB_STEP_SUMMARY=" + dir.file("summary.md")});
  EXPECT_EQ(slow.exit_code, 1) << slow.out << slow.err;
  EXPECT_NE(slow.out.find("FAIL gate ttft.p50>+10%: m: ttft p50 +"), std::string::npos) << slow.out;
  EXPECT_NE(slow.out.find("regressed"), std::string::npos);
  EXPECT_NE(slow.err.find("llmbench: gate ttft.p50>+10% failed: m: ttft p50 +"), std::string::npos)
      << slow.err;
  EXPECT_NE(slow.err.find("> limit +10.0% ("), std::string::npos) << slow.err;
  const std::string xml = slurp(junit);
  EXPECT_NE(xml.find("<failure message=\"m: ttft p50 +"), std::string::npos) << xml;
  EXPECT_NE(xml.find(" timestamp=\"20"), std::string::npos) << xml;
  const std::string summary = slurp(dir.file("summary.md"));
  EXPECT_NE(summary.find("### llmbench run `"), std::string::npos) << summary;
  EXPECT_NE(summary.find(":x: FAIL gate `ttft.p50>+10%`: m: ttft p50 +"), std::string::npos)
      << summary;

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
  EXPECT_NE(slow.out.find("FAIL gate ttft.p50>+10%: m: ttft p50 +"), std::string::npos) << slow.out;
  // A malformed gate in the suite fails before anything is sent, naming its place.
  const auto bad = run_llmbench(
      {"--db", db, "run",
       dir.write("bad.toml", suite("5ms") + "\n[gate]\nfail_on = [\"ttft>>1\"]\n"), "--no-report"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("bad.toml:"), std::string::npos) << bad.err;
  EXPECT_NE(bad.err.find("[gate]"), std::string::npos) << bad.err;
}

// A missed SLO says which target, metric, statistic, value and limit in the terminal, the
// Markdown and JSON reports, JUnit and the step summary; enforced, it exits 1.
TEST(DiffCli, SloVerdictsInEveryOutput) {
  TempDir dir;
  const std::string db = dir.file("runs.db");
  const auto slo = [&](bool enforce) {
    return suite("20ms") + "[slo]\nttft_p95_ms = 1\nerror_rate_max = 0.5\nenforce = " +
           (enforce ? "true" : "false") + "\n";
  };
  const auto missed = run_llmbench({"--db", db, "run", dir.write("a.toml", slo(false)), "--out",
                                    dir.file("a"), "--junit", dir.file("a.xml")},
                                   {"GITHUB_STEP_SUMMARY=" + dir.file("summary.md")});
  EXPECT_EQ(missed.exit_code, 0) << missed.err;
  EXPECT_NE(missed.out.find("miss slo: m: ttft p95 "), std::string::npos) << missed.out;
  EXPECT_NE(missed.out.find(" ms > limit 1.0 ms (ttft_p95_ms)"), std::string::npos) << missed.out;
  EXPECT_NE(missed.out.find("pass slo: m: error rate 0.00% <= limit 50.00% (error_rate_max)"),
            std::string::npos)
      << missed.out;
  EXPECT_NE(missed.out.find("not enforced"), std::string::npos);
  const std::string md = slurp(dir.file("a/report.md"));
  EXPECT_NE(md.find("| ttft_p95_ms | ttft | p95 | "), std::string::npos) << md;
  EXPECT_NE(md.find(" | 1.0 ms | **miss (not enforced)** |"), std::string::npos) << md;
  const std::string json = slurp(dir.file("a/report.json"));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(simdjson::padded_string(json)).get(doc), simdjson::SUCCESS);
  simdjson::dom::element check = doc["targets"].at(0)["slo"].at(0);
  EXPECT_EQ(std::string_view(check["metric"]), "ttft");
  EXPECT_EQ(std::string_view(check["stat"]), "p95");
  EXPECT_DOUBLE_EQ(double(check["limit"]), 1.0);
  EXPECT_FALSE(bool(check["pass"]));
  EXPECT_NE(std::string(std::string_view(check["message"])).find("m: ttft p95 "),
            std::string::npos);
  // Not enforced: visible in JUnit, but not a failure.
  const std::string xml = slurp(dir.file("a.xml"));
  EXPECT_NE(xml.find("failures=\"0\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("missed (not enforced): m: ttft p95 "), std::string::npos) << xml;
  const std::string summary = slurp(dir.file("summary.md"));
  EXPECT_NE(summary.find("| m | 80 | 0 |"), std::string::npos) << summary;
  EXPECT_NE(summary.find(":warning: miss slo: m: ttft p95 "), std::string::npos) << summary;

  const auto enforced = run_llmbench({"--db", db, "run", dir.write("b.toml", slo(true)),
                                      "--no-report", "--junit", dir.file("b.xml")});
  EXPECT_EQ(enforced.exit_code, 1) << enforced.err;
  EXPECT_NE(enforced.err.find("SLO failed ([slo] enforce = true): m: ttft p95 "), std::string::npos)
      << enforced.err;
  EXPECT_NE(enforced.out.find("FAIL slo: m: ttft p95 "), std::string::npos) << enforced.out;
  const std::string failed_xml = slurp(dir.file("b.xml"));
  EXPECT_NE(failed_xml.find("failures=\"1\""), std::string::npos) << failed_xml;
  EXPECT_NE(failed_xml.find("<failure message=\"m: ttft p95 "), std::string::npos) << failed_xml;
}
