// Honest figures for non-streaming answers, and the server's own timings beside the client's:
// `llmbench run` as a user runs it, against the in-process mock playing llama-server.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include <regex>
#include <string>

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

Outcome run_suite(const TempDir& dir, const std::string& suite_text) {
  const auto suite = dir.write("suite.toml", suite_text + R"(
[[prompts]]
id = "a"
messages = [{ role = "user", content = "Say hello." }]
)");
  Outcome r;
  r.db = dir.file("runs.db");
  r.out = dir.file("report");
  r.result = run_llmbench({"--db", r.db, "run", suite, "--out", r.out, "--format",
                           "md,json,csv,html", "--junit", dir.file("junit.xml")});
  return r;
}

std::int64_t scalar(Database& db, const std::string& sql) {
  auto st = db.prepare(sql);
  st.step();
  return st.is_null(0) ? -1 : st.int64(0);
}

double hist(Database& db, const std::string& target, const std::string& metric,
            const std::string& column) {
  auto st = db.prepare("SELECT " + column + " FROM histograms WHERE target = ? AND metric = ?");
  st.bind(1, target).bind(2, metric);
  return st.step() ? st.real(0) : -1;
}

const std::string k_load = R"(
[suite]
name = "timings"
[defaults]
max_tokens = 64
[load]
mode = "concurrency"
concurrency = 2
requests = 20
warmup = 2
)";

}  // namespace

TEST(NonStreaming, StoresNoTtftReportsItAsNotMeasuredAndItsSlosDoNotJudge) {
  TempDir dir;
  // The TTFT limit is below the E2E: judged on the whole answer (as before) it would fail,
  // and the SLOs are enforced, so a wrong verdict would fail the run.
  const std::string suite = k_load + R"(
[[targets]]
name = "whole"
provider = "mock"
stream = false
mock = { ttft = "20ms", itl = "2ms", output_tokens = 12 }
[slo]
ttft_p95_ms = 10
tpot_p95_ms = 0.001
e2e_p95_ms = 5000
enforce = true
)";
  const auto validated = run_llmbench({"validate", dir.write("v.toml", suite + R"(
[[prompts]]
id = "a"
messages = [{ role = "user", content = "Say hello." }]
)")});
  EXPECT_EQ(validated.exit_code, 0) << validated.err;
  EXPECT_NE(validated.err.find("v.toml:18:15: warning: [slo] ttft_p95_ms needs ttft, which is not "
                               "measured for non-streaming requests (stream = false) of \"whole\""),
            std::string::npos)
      << validated.err;
  EXPECT_NE(validated.err.find("warning: [slo] tpot_p95_ms needs tpot"), std::string::npos);
  EXPECT_EQ(validated.err.find("e2e_p95_ms needs"), std::string::npos) << validated.err;

  const Outcome r = run_suite(dir, suite);
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err << r.result.out;
  auto db = Database::open(r.db);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests WHERE error_class IS NULL"), 22);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests WHERE streamed = 0"), 22);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests WHERE t_first_token_ns IS NOT NULL"), 0);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM requests WHERE t_first_byte_ns IS NULL"), 0);
  EXPECT_EQ(scalar(db, "SELECT MIN(output_tokens) FROM requests"), 12);
  for (const char* metric : {"ttft", "itl", "tpot", "tps", "ttft_from_schedule"}) {
    EXPECT_EQ(
        scalar(db, fmt::format("SELECT COUNT(*) FROM histograms WHERE metric = '{}'", metric)), 0)
        << metric;
  }
  EXPECT_EQ(hist(db, "whole", "e2e", "count"), 20);
  EXPECT_EQ(hist(db, "whole", "ttfb", "count"), 20);
  EXPECT_GE(hist(db, "whole", "ttfb", "min"), 20e6 + 11 * 2e6);  // the whole answer's wait

  const std::string md = slurp(r.out + "/report.md");
  EXPECT_NE(md.find("| whole | 20 | 0 | not measured (non-streaming) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| TTFT | not measured (non-streaming) |"), std::string::npos);
  EXPECT_NE(md.find("| time to first byte (non-streaming) |"), std::string::npos);
  EXPECT_NE(md.find("| ttft_p95_ms | ttft | p95 | not measured (non-streaming) | 10.0 ms | not "
                    "judged |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| tpot_p95_ms | tpot | p95 | not measured (non-streaming) |"),
            std::string::npos);
  EXPECT_NE(md.find("20 of 20; 20 non-streaming judged on E2E only"), std::string::npos);
  EXPECT_NE(md.find("| mean tokens/s per request | not measured (non-streaming) |"),
            std::string::npos);

  const std::string json = slurp(r.out + "/report.json");
  simdjson::dom::parser parser;
  const auto doc = parser.parse(json);
  const auto target = doc["targets"].at(0);
  EXPECT_EQ(std::string_view(target["not_measured"]["ttft"]), "non-streaming");
  EXPECT_EQ(std::string_view(target["not_measured"]["tpot"]), "non-streaming");
  EXPECT_EQ(int64_t(target["non_streaming_requests"]), 20);
  EXPECT_EQ(target["metrics"]["ttft"].error(), simdjson::NO_SUCH_FIELD);
  for (const auto slo : target["slo"]) {
    const std::string_view key = slo["key"];
    if (key == "e2e_p95_ms") {
      EXPECT_TRUE(bool(slo["pass"]));
    } else {
      EXPECT_TRUE(slo["pass"].is_null()) << key;
      EXPECT_FALSE(bool(slo["judged"])) << key;
    }
  }
  const std::string junit = slurp(dir.file("junit.xml"));
  EXPECT_NE(junit.find("skipped=\"2\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("failures=\"0\""), std::string::npos) << junit;
  EXPECT_NE(junit.find("<skipped message=\"whole: ttft p95 not measured (non-streaming): not "
                       "judged, limit 10.0 ms (ttft_p95_ms)\"/>"),
            std::string::npos)
      << junit;
  const std::string csv = slurp(r.out + "/requests.csv");
  EXPECT_NE(csv.find(",streamed,server_source,"), std::string::npos);

  // A diff of two such runs says what it could not compare.
  const Outcome again = run_suite(dir, suite);
  ASSERT_EQ(again.result.exit_code, 0) << again.result.err;
  std::vector<std::string> ids;
  for (const auto* out : {&r.result.out, &again.result.out}) {
    std::smatch m;
    ASSERT_TRUE(std::regex_search(*out, m, std::regex("run ([0-9a-f-]{36})"))) << *out;
    ids.push_back(m[1].str());
  }
  const auto diff = run_llmbench({"--db", r.db, "report", "diff", ids[0], ids[1]});
  EXPECT_NE(diff.out.find("warning: whole: TTFT, ITL, TPOT and tokens/s were not measured "
                          "(non-streaming answers); no cell or gate judges them"),
            std::string::npos)
      << diff.out << diff.err;
  EXPECT_EQ(diff.out.find("  ttft "), std::string::npos) << diff.out;
}

TEST(NonStreaming, AStreamedTargetBesideItKeepsItsTtftSlo) {
  TempDir dir;
  const Outcome r = run_suite(dir, k_load + R"(
[[targets]]
name = "whole"
provider = "mock"
stream = false
mock = { ttft = "20ms", itl = "2ms", output_tokens = 12 }
[[targets]]
name = "streamed"
provider = "mock"
mock = { ttft = "20ms", itl = "2ms", output_tokens = 12 }
[slo]
ttft_p95_ms = 10
enforce = true
)");
  // The streamed target's TTFT (20 ms and more) misses the 10 ms limit: the run fails on it,
  // and only on it.
  EXPECT_EQ(r.result.exit_code, 1) << r.result.err << r.result.out;
  const std::string md = slurp(r.out + "/report.md");
  EXPECT_NE(md.find("| ttft_p95_ms | ttft | p95 | not measured (non-streaming) | 10.0 ms | not "
                    "judged |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| ttft_p95_ms | ttft | p95 | 2"), std::string::npos) << md;
  EXPECT_NE(md.find("| **FAIL** |"), std::string::npos) << md;
}

TEST(ServerTimings, LlamaCppTimingsAreStoredAndSplitIntoServerAndOverhead) {
  TempDir dir;
  const Outcome r = run_suite(dir, k_load + R"(
[[targets]]
name = "llama"
provider = "mock"
mock = { ttft = "30ms", itl = "3ms", output_tokens = 12, timings = "llama.cpp" }
[[targets]]
name = "whole"
provider = "mock"
stream = false
mock = { ttft = "30ms", itl = "3ms", output_tokens = 12, timings = "llama.cpp" }
)");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err << r.result.out;
  auto db = Database::open(r.db);
  for (const char* target : {"llama", "whole"}) {
    const std::string where = fmt::format(" FROM requests WHERE target = '{}'", target);
    EXPECT_EQ(scalar(db, "SELECT COUNT(*)" + where + " AND server_source = 'llama.cpp timings'"),
              22)
        << target;
    // The mock reports its script: prompt = the TTFT, decode = the 11 gaps after the first.
    EXPECT_EQ(scalar(db, "SELECT MIN(server_prompt_ns)" + where), 30'000'000) << target;
    EXPECT_EQ(scalar(db, "SELECT MAX(server_decode_ns)" + where), 33'000'000) << target;
    EXPECT_EQ(scalar(db, "SELECT MIN(server_decode_tokens)" + where), 12) << target;
    EXPECT_EQ(scalar(db, "SELECT MIN(server_prompt_tokens)" + where), 3) << target;
    EXPECT_EQ(scalar(db, "SELECT COUNT(*)" + where + " AND clock_error IS NOT NULL"), 0) << target;
    EXPECT_EQ(hist(db, target, "server_prompt", "count"), 20) << target;
    EXPECT_NEAR(hist(db, target, "server_tpot", "p50"), 3e6, 3e6 * 0.001) << target;
    // What the client saw beyond the server's work: never negative, never the whole TTFT.
    EXPECT_GE(hist(db, target, "overhead_e2e", "min"), 0) << target;
    EXPECT_LT(hist(db, target, "overhead_e2e", "p50"), 30e6) << target;
  }
  EXPECT_GE(hist(db, "llama", "overhead_ttft", "min"), 0);
  EXPECT_LT(hist(db, "llama", "overhead_ttft", "p50"), 30e6);
  EXPECT_EQ(hist(db, "whole", "overhead_ttft", "count"), -1);  // no TTFT to split

  const std::string md = slurp(r.out + "/report.md");
  EXPECT_NE(md.find("| server's own time (ms) | p50 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| server prompt time | 30.0 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| server decode per token | 3.00 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| overhead: TTFT - server prompt |"), std::string::npos) << md;
  EXPECT_NE(md.find("20 of 20 successful requests carried the server's own timings (llama.cpp "
                    "timings)"),
            std::string::npos);
  EXPECT_EQ(md.find("Measurement error"), std::string::npos);
  const std::string json = slurp(r.out + "/report.json");
  simdjson::dom::parser parser;
  const auto doc = parser.parse(json);
  const auto target = doc["targets"].at(0);
  EXPECT_EQ(int64_t(target["server_timings"]["requests"]), 20);
  EXPECT_EQ(int64_t(target["server_timings"]["clock_errors"]), 0);
  EXPECT_EQ(int64_t(target["metrics"]["server_prompt"]["count"]), 20);
  const std::string csv = slurp(r.out + "/requests.csv");
  EXPECT_NE(csv.find(",llama.cpp timings,,30000000,3,0,33000000,12,,"), std::string::npos) << csv;
}

TEST(ServerTimings, AServerThatClaimsMoreThanTheClientSawIsFlagged) {
  TempDir dir;
  // The mock adds 50 ms to the prompt time it reports: a TTFT of about 20 ms cannot follow a
  // prompt that took 70, so one of the clocks is wrong.
  const Outcome r = run_suite(dir, k_load + R"(
[[targets]]
name = "skewed"
provider = "mock"
headers = { "x-mock-timings-skew" = "50ms" }
mock = { ttft = "20ms", itl = "2ms", output_tokens = 8, timings = "llama.cpp" }
)");
  ASSERT_EQ(r.result.exit_code, 0) << r.result.err << r.result.out;
  auto db = Database::open(r.db);
  EXPECT_EQ(scalar(db,
                   "SELECT COUNT(*) FROM requests WHERE clock_error LIKE 'TTFT % ms is below "
                   "the server''s prompt time 70.00 ms (llama.cpp timings)'"),
            22);
  EXPECT_EQ(scalar(db, "SELECT COUNT(*) FROM histograms WHERE metric LIKE 'overhead_%'"), 0);
  EXPECT_EQ(hist(db, "skewed", "server_prompt", "count"), 20);
  const std::string md = slurp(r.out + "/report.md");
  EXPECT_NE(md.find("Measurement error: 20 requests reported server times that the client's "
                    "clock contradicts (first: TTFT "),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("Measurement error: 20 requests reported server times the client's clock "
                    "contradicts"),
            std::string::npos);
  const std::string json = slurp(r.out + "/report.json");
  EXPECT_NE(json.find("\"clock_errors\":20"), std::string::npos) << json;
  EXPECT_NE(r.result.out.find("Measurement error"), std::string::npos) << r.result.out;
}

TEST(ServerTimings, ASuiteNamesOnlyTimingsTheMockSends) {
  TempDir dir;
  const auto suite = dir.write("bad.toml", k_load + R"(
[[targets]]
name = "m"
provider = "mock"
mock = { ttft = "20ms", timings = "vllm" }
[[prompts]]
id = "a"
messages = [{ role = "user", content = "Say hello." }]
)");
  const auto r = run_llmbench({"validate", suite});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bad.toml:15:35: unknown timings \"vllm\" in mock of [[targets]] #1 (one "
                       "of: llama.cpp, none)"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("timings"), std::string::npos) << r.err;
}
