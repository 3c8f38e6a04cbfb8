#pragma once
// `llmbench report diff BASE CAND`: metric-by-metric comparison of two runs, with verdicts
// that hold on noisy machines, and CI gates.
//
// A cell (metric x statistic) is `regressed` or `improved` only when the change is both
// larger than a practical threshold (default +10% at p50/p95/mean, +20% at p99) and
// statistically credible: the Mann-Whitney U test on the per-request samples is significant
// (alpha 0.01) and the seeded bootstrap confidence interval of the percentile difference
// excludes zero in the same direction. Error rates use a two-proportion z-test and a
// threshold in percentage points. Too few samples give `insufficient data`, never a guess.
// Everything is deterministic: the same two runs give the same output byte for byte.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "llmbench/metrics/sample_stats.hpp"
#include "llmbench/store/database.hpp"
#include "llmbench/store/records.hpp"
#include "llmbench/suite/gate.hpp"

namespace llmbench::report {

enum class Verdict { regressed, improved, no_change, insufficient };
std::string_view to_string(Verdict v);

// Per-request samples of one run, by target and phase.
struct TargetSamples {
  std::map<std::string, std::vector<double>> metrics;  // ttft, e2e, tpot, itl (ms); tps; cost
  // The run's stored HDR figures (metric -> p50/p95/p99/mean, in the cell's unit): the values
  // a diff shows, so they are the very numbers report.md shows for the same run. The raw
  // samples above feed only the statistical tests.
  std::map<std::string, std::map<std::string, double>> reported;
  std::int64_t requests = 0;  // measured, final attempts
  std::int64_t errors = 0;
  std::int64_t unstreamed = 0;  // successes answered as one JSON body: no TTFT/ITL/TPOT/tps
  // A route's extra attempts per request, in percent (docs/routes.md); nothing for a target.
  std::optional<double> extra_load;
  double throughput = 0;  // output tokens/s over the measured window
};
struct RunSamples {
  store::RunRow run;
  std::map<std::pair<std::string, std::string>, TargetSamples> targets;  // (target, phase)
  std::string requests_hash;  // what was sent (prompts and request fields), from load_json
  std::int64_t replayed = 0;  // measured requests answered from the response cache
  std::int64_t measured = 0;  // measured requests (final attempts)
};
RunSamples load_samples(store::Database& db, const std::string& run_id);

struct DiffOptions {
  double threshold_p50 = 0.10;
  double threshold_p95 = 0.10;
  double threshold_p99 = 0.20;
  double threshold_mean = 0.10;
  double error_rate_pp = 1.0;  // percentage points
  double alpha = 0.01;
  std::size_t min_samples = 20;
  int resamples = 1000;
  std::size_t max_bootstrap_samples = 4000;  // larger sets are thinned, deterministically
  std::uint64_t seed = 1;
  std::vector<std::pair<std::string, std::string>> map;  // base target -> candidate target
  // A run answered from the response cache measured nothing: such a run is refused as either
  // side unless this is set, and then every output carries a warning.
  bool allow_replayed = false;
};

struct Cell {
  std::string metric;  // ttft, e2e, itl, tpot, tps, throughput, errors, cost
  std::string stat;    // p50, p95, p99, mean, rate, value
  std::string unit;    // ms, tokens/s, %, USD
  double base = 0;
  double cand = 0;
  double abs_change = 0;
  std::optional<double> rel_change;  // nothing when base is 0
  std::optional<double> p_value;
  std::optional<metrics::Interval> ci;  // of cand - base
  std::size_t base_n = 0;
  std::size_t cand_n = 0;
  Verdict verdict = Verdict::no_change;
};

struct TargetDiff {
  std::string base_target;
  std::string cand_target;
  std::string phase;
  std::vector<Cell> cells;
};

// A gate (syntax in suite/gate.hpp) and its verdict. A relative or change gate fails only
// when the cell's change is also credible (its verdict is `regressed`), so noise alone never
// fails CI; a value gate fails whenever the candidate is over.
// One gate judged on one target (and phase): what it compared, against which limit, and the
// verdict in words that name all of it:
//   "fast: ttft p95 384 ms > limit 300 ms (base 312 ms)"                      value gate
//   "fast: ttft p95 +23.1% > limit +10% (312 -> 384 ms, p<0.0001, credible)"  relative gate
struct GateCheck {
  std::string target;  // the candidate's target
  std::string phase;
  std::string metric;
  std::string stat;
  std::string unit;      // of the cell: ms, tok/s, %, USD
  double value = 0;      // what the gate compares: the relative change, the change or the value
  double limit = 0;      // in the same terms
  bool over = false;     // the value is past the limit
  bool credible = true;  // for relative and change gates: the cell's verdict is `regressed`
  bool failed = false;   // over and credible
  std::string message;
};
struct Gate : suite::GateSpec {
  bool failed = false;
  std::vector<GateCheck> checks;      // one per target (and phase) the gate applies to
  std::vector<std::string> failures;  // the messages of the failed checks
};
Gate parse_gate(const std::string& text);  // throws InputError naming the fix

struct DiffResult {
  store::RunRow base;
  store::RunRow cand;
  // The ids as printed: the first 8 characters unless the caller knows the database and
  // sets the shortest unique prefixes (store::short_id).
  std::string base_short;
  std::string cand_short;
  std::vector<TargetDiff> targets;
  std::vector<std::string> unpaired;  // targets present in one run only
  std::vector<std::string> warnings;  // load, host or version differ
  std::vector<Gate> gates;
  bool fail_on_regression = false;  // a regressed cell fails the diff, gates or not
  bool any_regression() const;
  bool any_gate_failed() const;
};

// Throws InputError when the suites sent different requests and `allow_suite_change` is off.
DiffResult diff_runs(const RunSamples& base, const RunSamples& cand, const DiffOptions& options,
                     std::vector<Gate> gates, bool allow_suite_change);

// One cell's verdict from raw samples (exposed for the statistics tests). `shown` are the two
// values to report (the runs' HDR figures); without them the samples' own statistic is used.
struct ShownValues {
  double base = 0;
  double cand = 0;
};
Cell compare_samples(const std::string& metric, const std::string& stat, const std::string& unit,
                     const std::vector<double>& base, const std::vector<double>& cand,
                     bool higher_is_better, const DiffOptions& options,
                     std::optional<ShownValues> shown = std::nullopt);

// A cell's figures as every diff output prints them: "312" (in the cell's unit), "+72.0 ms",
// "+23.1%", "<0.0001".
std::string cell_value(double v, std::string_view unit);
std::string cell_change(const Cell& c);
std::string cell_relative(const Cell& c);
std::string cell_p(const Cell& c);

// "fast: ttft p95 +23.1% (312 -> 384 ms, p<0.0001)" for every regressed cell.
std::vector<std::string> regression_messages(const DiffResult& d);

std::string render_diff_text(const DiffResult& d, bool color);
std::string render_diff_markdown(const DiffResult& d);
std::string render_diff_json(const DiffResult& d);
struct RunReport;
// One self-contained page: both runs' percentile curves overlaid per target, and the diff
// table with regressed cells marked (in words and weight, not only colour).
std::string render_diff_html(const DiffResult& d, const RunReport& base, const RunReport& cand);

}  // namespace llmbench::report
