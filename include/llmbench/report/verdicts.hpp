#pragma once
// Every pass/fail verdict llmbench gives, in one list that the terminal, Markdown, JSON, JUnit
// and the GitHub step summary all print alike. Each verdict names the target, the metric, the
// statistic, the value and the limit:
//   slo         "fast: ttft p95 384 ms > limit 300 ms (ttft_p95_ms)"
//   gate        "fast: ttft p95 +23.1% > limit +10.0% (312 -> 384 ms, p <0.0001)"
//   regression  "fast: ttft p95 regressed +23.1% (312 -> 384 ms, p <0.0001)"

#include <string>
#include <vector>

#include "llmbench/report/diff.hpp"
#include "llmbench/report/model.hpp"

namespace llmbench::report {

struct VerdictCase {
  std::string kind;      // slo | gate | regression
  std::string name;      // the SLO key, the gate text, or "check" (the regression check)
  std::string target;    // "" for the regression check (it spans targets)
  bool failed = false;   // the verdict is a miss
  bool skipped = false;  // nothing to judge (a TTFT SLO of a non-streaming target): no verdict
  bool binding = true;   // a miss fails the command (an SLO only with [slo] enforce = true)
  std::vector<std::string> messages;  // one line per target (gates, SLOs) or regressed cell
};

// One case per target x SLO.
std::vector<VerdictCase> slo_verdicts(const RunReport& report);
std::string slo_message(const TargetReport& t, const SloCheck& s);
// One case per gate x target, and with `fail_on_regression` (or without gates) one case for
// the regression check.
std::vector<VerdictCase> diff_verdicts(const DiffResult& d, bool fail_on_regression);

// "FAIL slo fast: ttft p95 384 ms > limit 300 ms (ttft_p95_ms)" lines.
std::string render_verdicts_text(const std::vector<VerdictCase>& cases);
// A Markdown list with the same lines.
std::string render_verdicts_markdown(const std::vector<VerdictCase>& cases);

// JUnit XML: one <testcase> per verdict, classname llmbench.<kind>. The suite carries the
// run's start as `timestamp` and its length as `time` (seconds).
std::string render_junit(const std::vector<VerdictCase>& cases, const store::RunRow& run);

}  // namespace llmbench::report
