#include "llmbench/report/diff.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>

#include "llmbench/report/verdicts.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/xml.hpp"
#include "support/golden.hpp"

using namespace llmbench;
using report::Verdict;

namespace {

// Latencies as a server under load produces them: lognormal around `median_ms`.
std::vector<double> latencies(double median_ms, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::lognormal_distribution<double> dist(std::log(median_ms), 0.25);
  std::vector<double> xs(n);
  for (auto& x : xs) {
    x = dist(rng);
  }
  return xs;
}

report::RunSamples samples(const std::string& id, double ttft_ms, std::int64_t errors,
                           std::uint64_t seed) {
  report::RunSamples s;
  s.run.id = id;
  s.run.suite_name = "golden";
  s.run.host = "HOST";
  s.run.llmbench_version = "0.0.0-test";
  s.run.load_json = R"({"summary":"concurrency 8"})";
  s.requests_hash = "h";
  auto& t = s.targets[{"fast", ""}];
  t.metrics["ttft"] = latencies(ttft_ms, 300, seed);
  t.metrics["e2e"] = latencies(10 * ttft_ms, 300, seed + 1);
  t.requests = 300;
  t.errors = errors;
  t.throughput = 1000;
  return s;
}

}  // namespace

TEST(Diff, AaPairsRarelyRegress) {
  // 200 pairs drawn from one distribution: at the default thresholds and alpha, a
  // `regressed` verdict on any TTFT cell must be rare (the issue asks for under 1%).
  report::DiffOptions o;
  o.resamples = 300;
  int flagged = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    const auto a = latencies(200, 200, seed * 2);
    const auto b = latencies(200, 200, seed * 2 + 1);
    bool any = false;
    for (const char* stat : {"p50", "p95", "p99", "mean"}) {
      any |=
          report::compare_samples("ttft", stat, "ms", a, b, false, o).verdict == Verdict::regressed;
    }
    flagged += any ? 1 : 0;
  }
  EXPECT_LT(flagged, 2) << flagged << " of 200 A/A pairs were called regressed";
}

TEST(Diff, AbTwentyFivePercentSlowerIsCaughtThreePercentIsNot) {
  report::DiffOptions o;
  o.resamples = 300;
  int caught = 0;
  int small_flagged = 0;
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const auto base = latencies(200, 200, seed * 3);
    caught += report::compare_samples("ttft", "p50", "ms", base, latencies(250, 200, seed * 3 + 1),
                                      false, o)
                  .verdict == Verdict::regressed;
    small_flagged += report::compare_samples("ttft", "p50", "ms", base,
                                             latencies(206, 200, seed * 3 + 2), false, o)
                         .verdict != Verdict::no_change;
  }
  EXPECT_EQ(caught, 20);
  EXPECT_EQ(small_flagged, 0);
  // Faster is an improvement, and for throughput-like metrics higher is better.
  EXPECT_EQ(report::compare_samples("ttft", "p50", "ms", latencies(250, 200, 1),
                                    latencies(200, 200, 2), false, o)
                .verdict,
            Verdict::improved);
  EXPECT_EQ(report::compare_samples("tps", "p50", "tok/s", latencies(250, 200, 1),
                                    latencies(200, 200, 2), true, o)
                .verdict,
            Verdict::regressed);
}

TEST(Diff, TooFewSamplesSayInsufficientData) {
  report::DiffOptions o;
  const auto c = report::compare_samples("ttft", "p95", "ms", latencies(100, 10, 1),
                                         latencies(500, 10, 2), false, o);
  EXPECT_EQ(c.verdict, Verdict::insufficient);
  EXPECT_EQ(report::to_string(c.verdict), "insufficient data");
}

TEST(Diff, ErrorRatesUseATwoProportionTest) {
  const auto base = samples("base", 200, 3, 1);
  const auto worse = samples("cand", 200, 30, 1);
  const auto d = report::diff_runs(base, worse, {}, {report::parse_gate("errors>+1pp")}, false);
  const auto& cells = d.targets.at(0).cells;
  const auto it = std::find_if(cells.begin(), cells.end(),
                               [](const report::Cell& c) { return c.metric == "errors"; });
  ASSERT_NE(it, cells.end());
  EXPECT_NEAR(it->abs_change, 9.0, 1e-9);  // 1% -> 10%: +9 pp
  EXPECT_EQ(it->verdict, Verdict::regressed);
  EXPECT_TRUE(d.any_gate_failed());
  // 3 -> 4 errors of 300 is noise.
  const auto d2 = report::diff_runs(base, samples("cand", 200, 4, 1), {},
                                    {report::parse_gate("errors>+1pp")}, false);
  EXPECT_FALSE(d2.any_gate_failed());
}

TEST(Diff, GatesParseAndFail) {
  const auto rel = report::parse_gate("ttft.p95>+10%");
  EXPECT_EQ(rel.metric, "ttft");
  EXPECT_EQ(rel.stat, "p95");
  EXPECT_EQ(rel.kind, report::Gate::Kind::relative);
  EXPECT_DOUBLE_EQ(rel.limit, 0.10);
  const auto abs = report::parse_gate("e2e.p99>2500ms");
  EXPECT_EQ(abs.kind, report::Gate::Kind::value);
  EXPECT_DOUBLE_EQ(abs.limit, 2500);
  EXPECT_EQ(report::parse_gate("e2e.p50>+2s").limit, 2000);
  EXPECT_EQ(report::parse_gate("errors>+1pp").stat, "rate");
  EXPECT_TRUE(report::parse_gate("tps.p50<-10%").below);
  for (const char* bad : {"ttft>10%", "speed.p50>+1%", "ttft.p42>+1%", "ttft.p95=1"}) {
    EXPECT_THROW(report::parse_gate(bad), InputError) << bad;
  }
  const auto base = samples("base", 200, 0, 1);
  const auto slow = samples("cand", 260, 0, 2);
  const auto d =
      report::diff_runs(base, slow, {},
                        {report::parse_gate("ttft.p95>+10%"), report::parse_gate("ttft.p95>+50%"),
                         report::parse_gate("e2e.p50>100000ms")},
                        false);
  EXPECT_TRUE(d.gates[0].failed);
  EXPECT_FALSE(d.gates[1].failed);
  EXPECT_FALSE(d.gates[2].failed);
  EXPECT_NE(d.gates[0].failures.at(0).find("fast: ttft p95 +"), std::string::npos);
  // A failing gate's lines come first in the text output.
  EXPECT_EQ(report::render_diff_text(d, false).rfind("FAIL gate ttft.p95>+10%: fast: ttft p95", 0),
            0u)
      << report::render_diff_text(d, false);
}

// Every gate verdict names the target, metric, statistic, value and limit, in every output.
TEST(Diff, GateVerdictsSayValueAndLimitInEveryFormat) {
  const auto base = samples("base", 200, 0, 1);
  const auto slow = samples("cand", 300, 30, 2);
  const auto d =
      report::diff_runs(base, slow, {},
                        {report::parse_gate("ttft.p95>+10%"), report::parse_gate("ttft.p95>100ms"),
                         report::parse_gate("errors>+1pp"), report::parse_gate("e2e.p50>100000ms")},
                        false);
  ASSERT_EQ(d.gates.size(), 4u);
  ASSERT_EQ(d.gates[1].checks.size(), 1u);
  const auto& value = d.gates[1].checks[0];
  EXPECT_TRUE(value.failed);
  EXPECT_EQ(value.target, "fast");
  // Value vs limit, not a relative change.
  EXPECT_EQ(value.message.rfind("fast: ttft p95 ", 0), 0u) << value.message;
  EXPECT_NE(value.message.find(" ms > limit 100 ms (base "), std::string::npos) << value.message;
  const auto& rel = d.gates[0].checks[0];
  EXPECT_NE(rel.message.find("> limit +10.0% ("), std::string::npos) << rel.message;
  EXPECT_NE(d.gates[2].checks[0].message.find("fast: errors rate +10.00 pp > limit +1.00 pp"),
            std::string::npos)
      << d.gates[2].checks[0].message;
  const auto& passed = d.gates[3].checks[0];
  EXPECT_FALSE(passed.failed);
  EXPECT_NE(passed.message.find(" <= limit 100000 ms"), std::string::npos) << passed.message;

  const std::string text = report::render_diff_text(d, false);
  const std::string md = report::render_diff_markdown(d);
  const std::string json = report::render_diff_json(d);
  const std::string xml = report::render_junit(report::diff_verdicts(d, false), d.cand);
  for (const auto* out : {&text, &md, &json}) {
    EXPECT_NE(out->find(value.message), std::string::npos) << *out;
    EXPECT_NE(out->find(passed.message), std::string::npos) << *out;
  }
  EXPECT_NE(xml.find(llmbench::util::xml_escape(value.message)), std::string::npos) << xml;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(simdjson::padded_string(json)).get(doc), simdjson::SUCCESS);
  simdjson::dom::element check = doc["gates"].at(1)["checks"].at(0);
  EXPECT_EQ(std::string_view(check["metric"]), "ttft");
  EXPECT_EQ(std::string_view(check["stat"]), "p95");
  EXPECT_DOUBLE_EQ(double(check["limit"]), 100.0);
  EXPECT_GT(double(check["value"]), 100.0);
  EXPECT_TRUE(bool(check["failed"]));
}

TEST(Diff, TheRegressionCheckNamesWhatRegressed) {
  auto d = report::diff_runs(samples("b", 200, 0, 1), samples("c", 300, 0, 2), {}, {}, false);
  d.fail_on_regression = true;
  const auto cases = report::diff_verdicts(d, true);
  ASSERT_EQ(cases.size(), 1u);
  EXPECT_TRUE(cases[0].failed);
  EXPECT_NE(cases[0].messages.at(0).find("fast: ttft p50 regressed +"), std::string::npos)
      << cases[0].messages.at(0);
  const std::string xml = report::render_junit(cases, d.cand);
  EXPECT_EQ(xml.find("no regression"), std::string::npos);
  EXPECT_NE(xml.find("name=\"regression check\""), std::string::npos) << xml;
  EXPECT_NE(xml.find("<failure message=\"fast: ttft p50 regressed +"), std::string::npos) << xml;
  EXPECT_NE(report::render_diff_text(d, false).find("FAIL regression: fast: ttft p50 regressed"),
            std::string::npos);
}

TEST(Diff, RefusesDifferentRequestsUnlessAllowedAndWarnsOnContext) {
  auto base = samples("base", 200, 0, 1);
  auto cand = samples("cand", 200, 0, 2);
  cand.requests_hash = "other";
  EXPECT_THROW(report::diff_runs(base, cand, {}, {}, false), InputError);
  cand.run.host = "elsewhere";
  const auto d = report::diff_runs(base, cand, {}, {}, true);
  ASSERT_EQ(d.warnings.size(), 2u);
  EXPECT_NE(d.warnings[1].find("hosts differ"), std::string::npos);
}

TEST(Diff, TargetsPairByNameOrMap) {
  const auto base = samples("base", 200, 0, 1);
  auto cand = samples("cand", 200, 0, 2);
  auto node = cand.targets.extract({"fast", ""});
  node.key() = {"renamed", ""};
  cand.targets.insert(std::move(node));
  const auto unmapped = report::diff_runs(base, cand, {}, {}, false);
  EXPECT_TRUE(unmapped.targets.empty());
  EXPECT_EQ(unmapped.unpaired.size(), 2u);
  report::DiffOptions o;
  o.map = {{"fast", "renamed"}};
  const auto mapped = report::diff_runs(base, cand, o, {}, false);
  ASSERT_EQ(mapped.targets.size(), 1u);
  EXPECT_EQ(mapped.targets[0].cand_target, "renamed");
}

TEST(Diff, SameInputsSameOutputByteForByte) {
  const auto base = samples("base-run", 200, 2, 11);
  const auto cand = samples("cand-run", 240, 9, 12);
  const std::vector<report::Gate> gates = {report::parse_gate("ttft.p95>+10%"),
                                           report::parse_gate("errors>+5pp")};
  const auto one = report::diff_runs(base, cand, {}, gates, false);
  const auto two = report::diff_runs(base, cand, {}, gates, false);
  EXPECT_EQ(report::render_diff_json(one), report::render_diff_json(two));
  EXPECT_EQ(report::render_diff_markdown(one), report::render_diff_markdown(two));
  // Golden files for the Markdown and JSON forms.
  llmbench::testing::check_golden("diff.md", report::render_diff_markdown(one));
  llmbench::testing::check_golden("diff.json", report::render_diff_json(one));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(simdjson::padded_string(report::render_diff_json(one))).get(doc),
            simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["schema"]), "llmbench.diff/1");
}

TEST(Diff, JunitHasTheShapeCiReads) {
  const auto d = report::diff_runs(
      samples("b", 200, 0, 1), samples("c", 300, 0, 2), {},
      {report::parse_gate("ttft.p95>+10%"), report::parse_gate("errors>+1pp")}, false);
  auto cand = d.cand;
  cand.started_at_ms = 1'767'225'600'000;  // 2026-01-01T00:00:00Z
  cand.ended_at_ms = cand.started_at_ms + 12'500;
  const std::string xml = report::render_junit(report::diff_verdicts(d, false), cand);
  EXPECT_EQ(xml.rfind("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites ", 0), 0u);
  EXPECT_NE(xml.find("<testsuites name=\"llmbench\" tests=\"2\" failures=\"1\" time=\"12.500\">"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("time=\"12.500\" timestamp=\"2026-01-01T00:00:00.000\""), std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<testcase classname=\"llmbench.gate\" name=\"gate ttft.p95&gt;+10% · "
                     "fast\" time=\"0\">"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<failure message=\"fast: ttft p95 +"), std::string::npos) << xml;
  EXPECT_NE(xml.find("name=\"gate errors&gt;+1pp · fast\" time=\"0\">\n      <system-out>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("</testsuite>\n</testsuites>\n"), std::string::npos);
  // Balanced: <testsuites>, <testsuite>, both <testcase>s, one <failure> and one
  // <system-out> open and close; plus the XML declaration.
  EXPECT_EQ(std::count(xml.begin(), xml.end(), '<'), 1 + 2 + 2 + 2 + 2 + 2 + 2);
}
