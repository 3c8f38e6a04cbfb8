#pragma once
// The content of a run's report, once, as headings, sentences and tables: report.md and
// report.html both render these, so the two can never say different things (the HTML adds
// charts). Cells are plain text; each writer escapes for its format.

#include <optional>
#include <string>
#include <vector>

#include "llmbench/report/model.hpp"

namespace llmbench::report::sections {

struct Table {
  std::vector<std::string> header;
  std::vector<bool> numeric;  // per column: right-aligned
  std::vector<std::vector<std::string>> rows;
  std::vector<bool> emphasis;  // per row: a failure, shown strongly (not only by colour)
  std::string note;            // a sentence under the table, or ""
};

struct Section {
  std::string heading;  // "fast · rate=20", "Failures", "How measured"
  int level = 2;        // 2 or 3
  std::vector<std::string> paragraphs;
  std::vector<Table> tables;
};

// The run's context: run id, suite, status, started, duration, host, llmbench, commit, tags.
Table context(const RunReport& r);
// One line per target: requests, errors, TTFT/E2E/ITL percentiles, throughput, cost.
Table summary(const RunReport& r);
// Every section in order: Failures (when a target measured nothing), Errors (leading when
// errors outnumber successes), one per target (and phase), How measured.
std::vector<Section> all(const RunReport& r);
// True when the run's failed requests outnumber its successful ones.
bool errors_dominate(const RunReport& r);

std::string money(double usd);

}  // namespace llmbench::report::sections
