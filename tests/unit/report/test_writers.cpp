// Golden-file tests of the Markdown, CSV and JSON writers on a fixed report. Set
// LLMBENCH_UPDATE_GOLDEN=1 to rewrite tests/data/golden/ after an intended change (and read
// the diff before committing it).

#include "llmbench/report/writers.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include "support/golden.hpp"

using namespace llmbench;

namespace {

report::MetricSummary ns_metric(const std::string& name, double p50_ms, std::int64_t n) {
  report::MetricSummary m;
  m.metric = name;
  m.unit = "ns";
  m.count = n;
  m.min = p50_ms * 0.5e6;
  m.mean = p50_ms * 1.1e6;
  m.p50 = p50_ms * 1e6;
  m.p90 = p50_ms * 1.5e6;
  m.p95 = p50_ms * 2e6;
  m.p99 = p50_ms * 3e6;
  m.max = p50_ms * 4e6;
  m.encoded = "HISTFAAAAB14nJNpmSzMwMDAxAABzFCaEUTKzG4AM94BAyE=";
  return m;
}

report::RunReport fixed_report() {
  report::RunReport r;
  r.run.id = "01900000-0000-7000-8000-000000000000";
  r.run.suite_name = "golden";
  r.run.suite_path = "suites/golden.toml";
  r.run.suite_hash = "abcdef0123456789abcdef";
  r.run.llmbench_version = "0.0.0-test";
  r.run.host = "HOST";
  r.run.git_commit = "0123abc";
  r.run.tags_json = R"({"branch":"main"})";
  r.run.load_json = R"({"mode":"concurrency","concurrency":4,"summary":"concurrency 4"})";
  r.run.started_at_ms = 1'700'000'000'000;
  r.run.ended_at_ms = 1'700'000'012'345;
  r.run.status = "completed";

  report::TargetReport a;
  a.target = "fast";
  a.provider = "openai";
  a.model = "gpt-4.1-mini";
  a.requests = 100;
  a.ok = 97;
  a.errors = 3;
  a.warmup = 5;
  a.attempts = 106;
  a.errors_by_class = {{"rate_limited", 2}, {"http_5xx", 1}};
  a.error_details = {{"rate_limited", 429, 2, "Rate limit reached | retry later"},
                     {"http_5xx", 500, 1, "upstream\nfailed"}};
  a.metrics = {ns_metric("ttft", 250, 97), ns_metric("e2e", 1200, 97), ns_metric("itl", 12, 9600),
               ns_metric("tpot", 11, 97)};
  report::MetricSummary tps;
  tps.metric = "tps";
  tps.unit = "tps_milli";
  tps.count = 97;
  tps.mean = 88'500;
  tps.p50 = 90'000;
  a.metrics.push_back(tps);
  a.wall_s = 10;
  a.input_tokens = 4'000;
  a.output_tokens = 9'700;
  a.requests_per_s = 9.7;
  a.output_tokens_per_s = 970;
  a.cost_usd = 0.0171;
  a.tokens_from_usage = 97;
  a.goodput_requests = 90;
  a.goodput_per_s = 9;
  a.slo = {{"ttft_p95_ms", "ttft", "p95", 400, 500, false, true, ""},
           {"error_rate_max", "errors", "rate", 0.05, 0.03, true, true, ""}};

  report::TargetReport b;
  b.target = "local, \"quoted\"";
  b.phase = "rate=20";
  b.provider = "openai";
  b.model = "llama-3-8b";
  b.requests = 50;
  b.ok = 50;
  b.metrics = {ns_metric("ttft", 40, 50), ns_metric("queue_delay", 0.2, 50)};
  b.wall_s = 2.5;
  b.requests_per_s = 20;
  b.output_tokens_per_s = 1000;
  b.output_tokens = 2500;
  b.tokens_estimated = 50;
  r.targets = {a, b};
  return r;
}

}  // namespace

TEST(ReportWriters, MarkdownGolden) {
  llmbench::testing::check_golden("report.md", report::render_markdown(fixed_report()));
}

TEST(ReportWriters, SummaryCsvGolden) {
  llmbench::testing::check_golden("summary.csv", report::render_summary_csv(fixed_report()));
}

TEST(ReportWriters, JsonGoldenAndValid) {
  const std::string json = report::render_json(fixed_report());
  llmbench::testing::check_golden("report.json", json);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(simdjson::padded_string(json)).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["schema"]), report::k_json_schema);
  EXPECT_EQ(std::string_view(doc["context"]["tags"]["branch"]), "main");
  EXPECT_EQ(std::int64_t(doc["targets"].at(0)["errors_by_class"]["rate_limited"]), 2);
  EXPECT_TRUE(doc["targets"].at(1)["cost_usd"].is_null());
}

TEST(ReportWriters, HlogHasTheLogFormatHeader) {
  const auto r = fixed_report();
  const std::string hlog = report::render_hlog(r, r.targets[0], r.targets[0].metrics[0]);
  EXPECT_EQ(hlog.rfind("#[Histogram log format version 1.3]\n", 0), 0u);
  EXPECT_NE(hlog.find("#[StartTime: 1700000000.000 (seconds since epoch), "
                      "2023-11-14T22:13:20.000Z]\n"),
            std::string::npos)
      << hlog;
  EXPECT_NE(hlog.find("\n0.000,10.000,1000.000,HISTF"), std::string::npos) << hlog;
}

TEST(ReportWriters, SummaryTableShowsEveryTarget) {
  const std::string table = report::render_summary_table(fixed_report());
  EXPECT_NE(table.find("fast"), std::string::npos);
  EXPECT_NE(table.find("local, \"quoted\" rate=20"), std::string::npos);
  EXPECT_NE(table.find("unknown"), std::string::npos);  // b has no price
  EXPECT_NE(table.find("250"), std::string::npos);      // fast's TTFT p50 in ms
}

TEST(ReportWriters, SloFailureIsVisible) {
  const auto r = fixed_report();
  EXPECT_TRUE(r.slo_failed());
  EXPECT_NE(report::render_markdown(r).find(
                "| ttft_p95_ms | ttft | p95 | 500.0 ms | 400.0 ms | **miss (not enforced)** |"),
            std::string::npos);
  auto enforced = r;
  enforced.slo_enforced = true;
  EXPECT_NE(report::render_markdown(enforced).find(
                "| ttft_p95_ms | ttft | p95 | 500.0 ms | 400.0 ms | **FAIL** |"),
            std::string::npos);
  // The error table escapes what the server wrote.
  EXPECT_NE(report::render_markdown(r).find(
                "| rate_limited | 429 | 2 | Rate limit reached \\| retry later | "),
            std::string::npos)
      << report::render_markdown(r);
}
