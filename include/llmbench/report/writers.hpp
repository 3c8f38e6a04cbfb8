#pragma once
// Report writers, one per format, all from the same RunReport:
//   report.md      per target: requests, errors by class, latency percentiles, throughput,
//                  goodput, cost, token source, SLO checks, how it was measured
//   summary.csv    one row per target x phase x metric
//   requests.csv   one row per stored attempt (read from the store, streamed)
//   report.json    the versioned schema (k_json_schema) with a context block
//   *.hlog         one HdrHistogram log per target x phase x metric
//   report.html    one self-contained page: tables and inline SVG charts, no scripts, no
//                  network

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "llmbench/report/model.hpp"

namespace llmbench::report {

std::string render_markdown(const RunReport& report);
std::string render_summary_csv(const RunReport& report);
std::string render_json(const RunReport& report);
std::string render_hlog(const RunReport& report, const TargetReport& target,
                        const MetricSummary& metric);
std::string render_html(const RunReport& report);
// Markdown for $GITHUB_STEP_SUMMARY: the summary table, failures and SLO verdicts.
std::string render_step_summary(const RunReport& report);
// The table printed to the terminal after a run (and by `llmbench report`).
std::string render_summary_table(const RunReport& report);
// requests.csv: the header, then the run's rows stored after `after_rowid` in storage order;
// returns the last rowid written (`after_rowid` if none).
void write_requests_csv_header(std::ostream& out);
std::int64_t write_requests_csv(store::Database& db, const std::string& run_id, std::ostream& out,
                                std::int64_t after_rowid);

// The formats `--format` accepts: md, csv, json, hlog, html.
const std::vector<std::string>& all_formats();
// "md,json" -> {"md", "json"} (empty: all); throws InputError naming an unknown format.
std::vector<std::string> parse_formats(const std::string& text);
// DIR/requests.csv of a run, written on a thread of its own from its own connection to the
// history, in the order the rows were stored (completion order). Started with the run, it
// follows it: every ~250 ms it appends the rows committed since, so at a million requests
// the largest file is written while they are measured, not after. finish() (once every row
// is stored) appends the rest, waits and throws what the thread threw; the destructor stops
// it. `llmbench report RUN` starts one and finishes it at once.
class RequestsCsvWriter {
 public:
  RequestsCsvWriter(const std::string& db_path, const std::string& run_id, const std::string& dir);
  ~RequestsCsvWriter();
  RequestsCsvWriter(const RequestsCsvWriter&) = delete;
  RequestsCsvWriter& operator=(const RequestsCsvWriter&) = delete;
  // The file written.
  std::string finish();

 private:
  void follow(const std::string& db_path, const std::string& run_id);

  std::string m_path;
  std::mutex m_mutex;
  std::condition_variable m_cv;
  bool m_finishing = false;
  std::exception_ptr m_error;
  std::thread m_thread;
};

// Writes `formats` into `dir` (created if missing); returns the files written. Throws
// InputError when the folder cannot be written. requests.csv is `csv`'s (started on the same
// folder), or written here by a writer of its own.
std::vector<std::string> write_reports(store::Database& db, const RunReport& report,
                                       const std::string& dir,
                                       const std::vector<std::string>& formats,
                                       RequestsCsvWriter* csv = nullptr);
// `--out -`: the reports in `formats` one after another on `out` (hlog needs a folder and is
// left out; no format given means md).
void print_reports(const RunReport& report, const std::string& formats, std::ostream& out);
// Fails early, before a run sends anything, when `dir` cannot be created or written.
void check_writable_dir(const std::string& dir);

}  // namespace llmbench::report
