#pragma once
// What a report says about one run, read back from the store (so `llmbench report RUN`
// renders exactly what `llmbench run` wrote). Writers (markdown.cpp, csv.cpp, json.cpp,
// hlog.cpp) only format it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "llmbench/store/database.hpp"
#include "llmbench/store/records.hpp"

namespace llmbench::report {

inline constexpr std::string_view k_json_schema = "llmbench.report/1";

struct MetricSummary {
  std::string metric;
  std::string unit;  // ns | tps_milli | tokens | usd_nano
  std::int64_t count = 0;
  double min = 0, mean = 0, p50 = 0, p90 = 0, p95 = 0, p99 = 0, max = 0;
  std::string encoded;  // the HDR histogram (V2 compressed, base64)
};

struct SloCheck {
  std::string key;     // ttft_p95_ms, error_rate_max ...
  std::string metric;  // ttft, e2e, itl, tpot, errors
  std::string stat;    // p50, p90, p95, p99, max; "rate" for errors
  double limit = 0;
  std::optional<double> actual;  // nothing when there was no data
  bool pass = false;
  // False when the figure was not measured for a reason other than failure: a TTFT, ITL or
  // TPOT of a target whose answers all came as one JSON body (non-streaming). Such a check
  // neither passes nor fails; `note` says why. With some streamed answers it is judged on
  // those, and `note` says how many were left out.
  bool judged = true;
  std::string note;
};

// Failed requests of one target (and phase) with one error class and status, warmup
// included: a run that failed during warmup still says why.
struct ErrorDetail {
  std::string error_class;
  std::optional<std::int64_t> status;
  std::int64_t count = 0;
  std::string first_message;
};

struct TargetReport {
  std::string target;
  std::string phase;  // "" unless the load profile has phases (sweep)
  std::string provider;
  std::string model;
  std::int64_t requests = 0;  // measured requests (final attempts)
  std::int64_t ok = 0;
  std::int64_t errors = 0;
  std::int64_t warmup = 0;
  std::int64_t replayed = 0;  // measured requests answered from the response cache
  std::int64_t attempts = 0;  // every stored attempt, retries and warmup included
  std::vector<std::pair<std::string, std::int64_t>> errors_by_class;
  std::vector<ErrorDetail> error_details;  // most frequent first
  std::vector<MetricSummary> metrics;
  double wall_s = 0;  // first measured send to last measured completion
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  double requests_per_s = 0;
  double output_tokens_per_s = 0;
  std::optional<double> cost_usd;  // nothing when no price is known
  bool cost_partial = false;       // some successful requests had no price
  std::int64_t tokens_from_usage = 0;
  std::int64_t tokens_estimated = 0;
  std::optional<std::int64_t> goodput_requests;  // meeting every latency SLO; none if no SLO
  double goodput_per_s = 0;
  std::vector<SloCheck> slo;
  // Measured successes answered as one JSON body: they have E2E, tokens and cost, but no
  // TTFT, ITL, TPOT or tokens/s (their first token's time was never seen).
  std::int64_t unstreamed = 0;
  // Measured successes for which the server reported its own time, from where ("llama.cpp
  // timings"), and those whose report contradicts the client's clock (a measurement error).
  std::int64_t server_timed = 0;
  std::string server_sources;
  std::int64_t clock_errors = 0;
  std::string first_clock_error;

  const MetricSummary* metric(std::string_view name) const;
  // The value at percentile `p` of a metric, from its stored histogram (p99.9 and the like,
  // which the summary does not keep), or nothing.
  std::optional<double> percentile(std::string_view name, double p) const;
  // Every measured success was non-streaming: TTFT, ITL, TPOT and tokens/s were not measured.
  bool none_streamed() const { return ok > 0 && unstreamed == ok; }
  // "target", or "target phase" in a sweep.
  std::string label() const { return phase.empty() ? target : target + " " + phase; }
  double error_rate() const {
    return requests > 0 ? static_cast<double>(errors) / static_cast<double>(requests) : 0;
  }
};

// When the run's measured attempts completed (warmup left out, retried attempts counted),
// for the over-time charts: counts in time bins of a common width, gathered in the same pass
// over the rows as everything else. The width starts at 1 ms and doubles whenever the bins
// pass k_max_bins, so a run of any length holds a few thousand numbers.
struct Completions {
  static constexpr std::size_t k_max_bins = 8192;
  struct Bin {
    double ok = 0;
    double failed = 0;
    double tokens = 0;  // output tokens of the successes
  };
  struct Series {
    std::map<std::int64_t, Bin> bins;   // t_done_ns / width -> counts
    std::int64_t first_ns = INT64_MAX;  // exact, of its successes
    std::int64_t last_ns = INT64_MIN;
  };
  std::int64_t width_ns = 100'000;
  std::int64_t first_ns = INT64_MAX;  // exact, of every completion
  std::int64_t last_ns = INT64_MIN;
  std::int64_t failed_first_ns = INT64_MAX;
  std::int64_t failed_last_ns = INT64_MIN;
  std::map<std::string, Series> series;  // by label: "target" or "target phase"

  void add(const std::string& label, std::int64_t t_done_ns, bool failed, double tokens);
  std::size_t bins() const { return m_bins; }  // over every series

 private:
  std::size_t m_bins = 0;
};

// What a route's requests cost and bought (docs/routes.md): from its member attempts.
struct RouteReport {
  std::string route;
  std::string phase;
  std::int64_t requests = 0;  // measured requests of the route
  std::int64_t attempts = 0;  // member attempts they made
  std::int64_t hedged_requests = 0;
  std::int64_t hedges = 0;
  std::int64_t fallbacks = 0;
  std::vector<std::string> members;              // in the route's order (primary first)
  std::map<std::string, std::int64_t> wins;      // by member
  std::map<std::string, std::int64_t> failures;  // failed attempts by error class
  std::int64_t wasted_tokens = 0;  // billed to attempts that did not win: prompt + output
  double wasted_usd = 0;
  bool cost_known = false;
  double extra_load() const {  // extra attempts per request
    return requests > 0 ? static_cast<double>(attempts - requests) / static_cast<double>(requests)
                        : 0;
  }
};

struct RunReport {
  store::RunRow run;
  std::vector<RouteReport> routes;
  Completions completions;
  std::vector<TargetReport> targets;
  bool slo_enforced = false;
  bool slo_failed() const;
  // Targets without one successful measured request (in any phase): a run with one of these
  // measured nothing there and is `failed` (exit 3), whatever else it measured.
  std::vector<std::string> dead_targets;
  // "N of M measured requests were replayed from the response cache ...", or "" if none.
  std::string replay_note() const;
  const RouteReport* route(const std::string& name, const std::string& phase) const;
  const TargetReport* target(const std::string& name, const std::string& phase) const;
};

// What to check first when requests fail this way ("" when there is nothing useful to say).
// `key_env` names the target's API key variable when known.
std::string error_hint(std::string_view error_class, std::optional<std::int64_t> status,
                       std::string_view message, std::string_view key_env = {});
// "  connection 40: Failed to connect to ... (hint: is the server up on that port?)" lines for
// every error detail of a target, each first message cut to `width` characters.
std::string explain_errors(const TargetReport& t, std::string_view key_env = {},
                           std::size_t width = 200);

// Reads run `run_id` (resolved already) from the store.
RunReport build_report(store::Database& db, const std::string& run_id);

// Display helpers shared by the writers.
double to_ms(double ns);
std::string format_ms(double ns);  // "12.3" (ms, 3 significant digits below 100)
// A latency statistic of one metric in ms for a table cell ("-" when the metric is absent).
std::string ms_cell(const TargetReport& t, std::string_view metric, double MetricSummary::*field);

}  // namespace llmbench::report
