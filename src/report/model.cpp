#include "llmbench/report/model.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "llmbench/metrics/hdr_codec.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/util/error.hpp"
#include "sql.hpp"

namespace llmbench::report {

namespace {

struct LatencySlo {
  std::string key;
  std::string metric;
  double percentile = 0;
  double limit_ms = 0;
};

struct SloSpec {
  std::vector<LatencySlo> latency;
  std::optional<double> error_rate_max;
  bool enforce = false;
};

// The run's load_json carries the suite's [slo] (see cli/run.cpp).
SloSpec read_slo(const std::string& load_json) {
  SloSpec spec;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  const simdjson::padded_string padded(load_json);
  if (parser.parse(padded).get(doc) != simdjson::SUCCESS) {
    return spec;
  }
  simdjson::dom::element slo;
  if (doc["slo"].get(slo) != simdjson::SUCCESS) {
    return spec;
  }
  bool enforce = false;
  if (slo["enforce"].get_bool().get(enforce) == simdjson::SUCCESS) {
    spec.enforce = enforce;
  }
  double rate = 0;
  if (slo["error_rate_max"].get_double().get(rate) == simdjson::SUCCESS) {
    spec.error_rate_max = rate;
  }
  simdjson::dom::array latency;
  if (slo["latency"].get_array().get(latency) == simdjson::SUCCESS) {
    for (simdjson::dom::element e : latency) {
      LatencySlo s;
      std::string_view text;
      if (e["key"].get_string().get(text) == simdjson::SUCCESS) {
        s.key = std::string(text);
      }
      if (e["metric"].get_string().get(text) == simdjson::SUCCESS) {
        s.metric = std::string(text);
      }
      if (e["percentile"].get_double().get(s.percentile) != simdjson::SUCCESS ||
          e["limit_ms"].get_double().get(s.limit_ms) != simdjson::SUCCESS) {
        continue;
      }
      spec.latency.push_back(std::move(s));
    }
  }
  return spec;
}

double percentile_of(const MetricSummary& m, double p) {
  if (p >= 100) {
    return m.max;
  }
  if (p >= 99) {
    return m.p99;
  }
  if (p >= 95) {
    return m.p95;
  }
  if (p >= 90) {
    return m.p90;
  }
  return m.p50;
}

std::string stat_name(double p) {
  return p >= 100 ? "max" : p >= 99 ? "p99" : p >= 95 ? "p95" : p >= 90 ? "p90" : "p50";
}

// Per route (and phase): its measured requests' member attempts, summed.
std::vector<RouteReport> route_reports(store::Database& db, const std::string& run_id) {
  std::vector<RouteReport> out;
  auto st = db.prepare(fmt::format(
      "SELECT r.target, r.phase, r.seq, a.member, a.role, a.outcome, a.error_class, "
      "a.input_tokens, a.output_tokens, a.cost_usd FROM route_attempts a JOIN requests r "
      "ON r.run_id = a.run_id AND r.seq = a.seq AND r.attempt = a.attempt "
      "WHERE a.run_id = ?1 AND r.warmup = 0 AND {} ORDER BY r.rowid, a.idx",
      k_final_attempt));
  st.bind(1, run_id);
  RouteReport* g = nullptr;
  std::int64_t last_seq = -1;
  bool hedged = false;
  while (st.step()) {
    const std::string target = st.text(0);
    const std::string phase = st.text(1);
    if (g == nullptr || g->route != target || g->phase != phase) {
      g = nullptr;
      for (auto& r : out) {
        if (r.route == target && r.phase == phase) {
          g = &r;
        }
      }
      if (g == nullptr) {
        out.push_back(RouteReport{});
        g = &out.back();
        g->route = target;
        g->phase = phase;
      }
      last_seq = -1;
    }
    const std::int64_t seq = st.int64(2);
    if (seq != last_seq) {
      ++g->requests;
      last_seq = seq;
      hedged = false;
    }
    ++g->attempts;
    const std::string member = st.text(3);
    if (std::find(g->members.begin(), g->members.end(), member) == g->members.end()) {
      g->members.push_back(member);
    }
    const std::string_view role = st.text_view(4);
    if (role == "hedge") {
      ++g->hedges;
      if (!hedged) {
        ++g->hedged_requests;
        hedged = true;
      }
    } else if (role == "fallback") {
      ++g->fallbacks;
    }
    const std::string_view outcome = st.text_view(5);
    if (outcome == "won") {
      ++g->wins[member];
    } else {
      if (outcome == "failed" && !st.is_null(6)) {
        ++g->failures[std::string(st.text_view(6))];
      }
      g->wasted_tokens += (st.is_null(7) ? 0 : st.int64(7)) + (st.is_null(8) ? 0 : st.int64(8));
      if (!st.is_null(9)) {
        g->wasted_usd += st.real(9);
      }
    }
    g->cost_known = g->cost_known || !st.is_null(9);
  }
  return out;
}

}  // namespace

const MetricSummary* TargetReport::metric(std::string_view name) const {
  for (const auto& m : metrics) {
    if (m.metric == name) {
      return &m;
    }
  }
  return nullptr;
}

std::optional<double> TargetReport::percentile(std::string_view name, double p) const {
  const MetricSummary* m = metric(name);
  if (m == nullptr || m->count == 0) {
    return std::nullopt;
  }
  const auto hist = metrics::decode_base64(m->encoded);
  if (!hist) {
    return std::nullopt;
  }
  return static_cast<double>(hist->value_at_percentile(p));
}

const RouteReport* RunReport::route(const std::string& name, const std::string& phase) const {
  for (const auto& r : routes) {
    if (r.route == name && r.phase == phase) {
      return &r;
    }
  }
  return nullptr;
}

const TargetReport* RunReport::target(const std::string& name, const std::string& phase) const {
  for (const auto& t : targets) {
    if (t.target == name && t.phase == phase) {
      return &t;
    }
  }
  return nullptr;
}

std::string RunReport::replay_note() const {
  std::int64_t replayed = 0;
  std::int64_t measured = 0;
  for (const auto& t : targets) {
    replayed += t.replayed;
    measured += t.requests;
  }
  if (replayed == 0) {
    return "";
  }
  return fmt::format(
      "{} of {} measured requests were replayed from the response cache (nothing was sent; "
      "their cost is zero)",
      replayed, measured);
}

bool RunReport::slo_failed() const {
  for (const auto& t : targets) {
    for (const auto& s : t.slo) {
      if (s.judged && !s.pass) {
        return true;
      }
    }
  }
  return false;
}

double to_ms(double ns) {
  return ns / 1e6;
}

std::string format_ms(double ns) {
  const double ms = to_ms(ns);
  if (ms >= 100) {
    return fmt::format("{:.0f}", ms);
  }
  if (ms >= 10) {
    return fmt::format("{:.1f}", ms);
  }
  return fmt::format("{:.2f}", ms);
}

std::string ms_cell(const TargetReport& t, std::string_view metric, double MetricSummary::*field) {
  const MetricSummary* m = t.metric(metric);
  return m == nullptr ? "-" : format_ms(m->*field);
}

void Completions::add(const std::string& label, std::int64_t t_done_ns, bool failed,
                      double tokens) {
  first_ns = std::min(first_ns, t_done_ns);
  last_ns = std::max(last_ns, t_done_ns);
  Series& s = series[label];
  const auto [at, added] = s.bins.try_emplace(t_done_ns / width_ns);
  Bin& b = at->second;
  m_bins += added ? 1 : 0;
  if (failed) {
    b.failed += 1;
    failed_first_ns = std::min(failed_first_ns, t_done_ns);
    failed_last_ns = std::max(failed_last_ns, t_done_ns);
  } else {
    b.ok += 1;
    b.tokens += tokens;
    s.first_ns = std::min(s.first_ns, t_done_ns);
    s.last_ns = std::max(s.last_ns, t_done_ns);
  }
  if (m_bins <= k_max_bins) {
    return;
  }
  // Too many: merge neighbours into bins twice as wide.
  width_ns *= 2;
  m_bins = 0;
  for (auto& [name, each] : series) {
    std::map<std::int64_t, Bin> merged;
    for (const auto& [key, bin] : each.bins) {
      Bin& m = merged[key >= 0 ? key / 2 : (key - 1) / 2];
      m.ok += bin.ok;
      m.failed += bin.failed;
      m.tokens += bin.tokens;
    }
    each.bins = std::move(merged);
    m_bins += each.bins.size();
  }
}

RunReport build_report(store::Database& db, const std::string& run_id) {
  RunReport report;
  const auto run = store::get_run(db, run_id);
  if (!run) {
    throw InputError(fmt::format("run {} is not in the database", run_id));
  }
  report.run = *run;
  const SloSpec slo = read_slo(run->load_json);
  report.slo_enforced = slo.enforce;

  std::map<std::string, store::RunTargetRow> meta;
  {
    auto st = db.prepare(
        "SELECT target, provider, model, base_url, region FROM run_targets WHERE run_id = ?");
    st.bind(1, run_id);
    while (st.step()) {
      store::RunTargetRow t;
      t.target = st.text(0);
      t.provider = st.text(1);
      t.model = st.text(2);
      meta[t.target] = t;
    }
  }
  std::map<std::pair<std::string, std::string>, TargetReport> by_key;
  std::vector<std::pair<std::string, std::string>> order;
  {
    // Per target and phase, measured final attempts only. Goodput needs the latency SLOs
    // that apply per request: ttft, e2e and tpot (itl is judged through tpot).
    std::string goodput = "0";
    std::vector<std::string> conditions;
    for (const auto& s : slo.latency) {
      const auto limit_ns = fmt::format("{}", static_cast<std::int64_t>(s.limit_ms * 1e6));
      // A non-streaming answer is judged only on what was measured of it (its E2E).
      if (s.metric == "ttft") {
        conditions.push_back("(streamed = 0 OR (t_first_token_ns - t_send_ns) <= " + limit_ns +
                             ")");
      } else if (s.metric == "e2e") {
        conditions.push_back("(t_done_ns - t_send_ns) <= " + limit_ns);
      } else if (s.metric == "tpot" || s.metric == "itl") {
        conditions.push_back(
            "(streamed = 0 OR output_tokens < 2 OR (t_done_ns - t_first_token_ns) / "
            "(output_tokens - 1) <= " +
            limit_ns + ")");
      }
    }
    if (!conditions.empty()) {
      goodput = "(error_class IS NULL AND (streamed = 0 OR t_first_token_ns IS NOT NULL)";
      for (const auto& c : conditions) {
        goodput += " AND " + c;
      }
      goodput += ")";
    }
    // One pass over the run's rows, summed here: a GROUP BY would sort every row first (0.7 s
    // a query at a million rows), and nothing but the sums is kept (memory stays flat).
    struct Detail {
      std::int64_t count = 0;
      std::int64_t first_rowid = INT64_MAX;
      std::string first_message;
    };
    struct Sums {
      TargetReport t;
      std::int64_t first_rowid = INT64_MAX;
      std::int64_t first_send = INT64_MAX;
      std::int64_t last_done = INT64_MIN;
      double cost = 0;
      bool any_cost = false;
      std::int64_t good = 0;
      std::map<std::string, std::int64_t> classes;                     // measured final failures
      std::map<std::pair<std::string, std::int64_t>, Detail> details;  // status -1: none
    };
    std::map<std::pair<std::string, std::string>, Sums> sums;
    auto st = db.prepare(fmt::format(
        "SELECT target, phase, warmup, error_class, status_code, t_send_ns, t_done_ns, "
        "input_tokens, output_tokens, cost_usd, token_source, replayed, rowid, {} AS final, "
        "{} AS good, CASE WHEN error_class IS NOT NULL THEN error_message END, streamed, "
        "server_source, clock_error FROM requests r WHERE run_id = ?1",
        k_final_attempt, goodput));
    st.bind(1, run_id);
    std::pair<std::string, std::string> key;
    std::string label;
    Sums* g = nullptr;
    while (st.step()) {
      const std::string_view target = st.text_view(0);
      const std::string_view phase = st.text_view(1);
      if (g == nullptr || key.first != target || key.second != phase) {
        key = {std::string(target), std::string(phase)};
        label = phase.empty() ? key.first : key.first + " " + key.second;
        g = &sums[key];
      }
      const std::int64_t rowid = st.int64(12);
      g->first_rowid = std::min(g->first_rowid, rowid);
      ++g->t.attempts;
      if (st.int64(2) == 0 && !st.is_null(6)) {
        report.completions.add(label, st.int64(6), !st.is_null(3),
                               st.is_null(8) ? 0.0 : static_cast<double>(st.int64(8)));
      }
      if (st.int64(13) == 0) {
        continue;  // a retried attempt: its request counts by its last try
      }
      const bool warmup = st.int64(2) != 0;
      const bool failed = !st.is_null(3);
      if (failed) {
        const std::string_view cls = st.text_view(3);
        Detail& d = g->details[{std::string(cls), st.is_null(4) ? -1 : st.int64(4)}];
        ++d.count;
        if (rowid < d.first_rowid) {
          d.first_rowid = rowid;
          d.first_message = std::string(st.text_view(15));
        }
      }
      if (warmup) {
        ++g->t.warmup;
        continue;
      }
      TargetReport& t = g->t;
      ++t.requests;
      if (!st.is_null(5)) {
        g->first_send = std::min(g->first_send, st.int64(5));
      }
      if (!st.is_null(6)) {
        g->last_done = std::max(g->last_done, st.int64(6));
      }
      if (!st.is_null(9)) {
        g->cost += st.real(9);
        g->any_cost = true;
      }
      g->good += st.int64(14) != 0 ? 1 : 0;
      t.replayed += st.int64(11) != 0 ? 1 : 0;
      if (failed) {
        ++g->classes[std::string(st.text_view(3))];
        continue;
      }
      ++t.ok;
      t.input_tokens += st.is_null(7) ? 0 : st.int64(7);
      t.output_tokens += st.is_null(8) ? 0 : st.int64(8);
      t.cost_partial = t.cost_partial || st.is_null(9);
      const std::string_view source = st.text_view(10);
      t.tokens_from_usage += source == "usage" ? 1 : 0;
      t.tokens_estimated += source == "estimated" ? 1 : 0;
      t.unstreamed += st.int64(16) == 0 ? 1 : 0;
      if (!st.is_null(17)) {
        ++t.server_timed;
        const std::string_view from = st.text_view(17);
        if (t.server_sources.find(from) == std::string::npos) {
          t.server_sources += t.server_sources.empty() ? "" : ", ";
          t.server_sources += from;
        }
      }
      if (!st.is_null(18)) {
        if (t.clock_errors++ == 0) {
          t.first_clock_error = std::string(st.text_view(18));
        }
      }
    }
    std::vector<std::pair<std::int64_t, std::pair<std::string, std::string>>> by_first_row;
    for (auto& [k, sum] : sums) {
      TargetReport& t = sum.t;
      if (t.requests == 0 && t.warmup == 0 && sum.details.empty()) {
        continue;  // only retried attempts: not a group of final attempts
      }
      t.target = k.first;
      t.phase = k.second;
      t.errors = t.requests - t.ok;
      if (sum.first_send != INT64_MAX && sum.last_done != INT64_MIN) {
        t.wall_s = static_cast<double>(sum.last_done - sum.first_send) / 1e9;
      }
      if (sum.any_cost) {
        t.cost_usd = sum.cost;
      }
      if (!slo.latency.empty()) {
        t.goodput_requests = sum.good;
      }
      for (const auto& [cls, n] : sum.classes) {
        t.errors_by_class.emplace_back(cls, n);
      }
      std::stable_sort(t.errors_by_class.begin(), t.errors_by_class.end(),
                       [](const auto& a, const auto& b) { return a.second > b.second; });
      for (auto& [dk, d] : sum.details) {
        ErrorDetail e;
        e.error_class = dk.first;
        if (dk.second >= 0) {
          e.status = dk.second;
        }
        e.count = d.count;
        e.first_message = std::move(d.first_message);
        t.error_details.push_back(std::move(e));
      }
      std::stable_sort(
          t.error_details.begin(), t.error_details.end(),
          [](const ErrorDetail& a, const ErrorDetail& b) { return a.count > b.count; });
      if (const auto m = meta.find(t.target); m != meta.end()) {
        t.provider = m->second.provider;
        t.model = m->second.model;
      }
      if (t.wall_s > 0) {
        t.requests_per_s = static_cast<double>(t.ok) / t.wall_s;
        t.output_tokens_per_s = static_cast<double>(t.output_tokens) / t.wall_s;
        if (t.goodput_requests) {
          t.goodput_per_s = static_cast<double>(*t.goodput_requests) / t.wall_s;
        }
      }
      by_first_row.emplace_back(sum.first_rowid, k);
      by_key[k] = std::move(t);
    }
    std::sort(by_first_row.begin(), by_first_row.end());
    for (auto& [rowid, k] : by_first_row) {
      order.push_back(std::move(k));
    }
  }
  for (const auto& h : store::histograms(db, run_id)) {
    if (auto it = by_key.find({h.target, h.phase}); it != by_key.end()) {
      it->second.metrics.push_back(MetricSummary{h.metric, h.unit, h.count, h.min, h.mean, h.p50,
                                                 h.p90, h.p95, h.p99, h.max, h.encoded});
    }
  }
  for (const auto& key : order) {
    TargetReport t = std::move(by_key[key]);
    for (const auto& s : slo.latency) {
      SloCheck check{s.key, s.metric, stat_name(s.percentile), s.limit_ms, std::nullopt, false,
                     true,  ""};
      const bool needs_stream = s.metric == "ttft" || s.metric == "tpot" || s.metric == "itl";
      if (const MetricSummary* m = t.metric(s.metric); m != nullptr && m->count > 0) {
        check.actual = to_ms(percentile_of(*m, s.percentile));
        check.pass = *check.actual <= s.limit_ms;
        if (needs_stream && t.unstreamed > 0) {
          check.note =
              fmt::format("judged on the {} streamed requests; {} non-streaming not measured",
                          t.ok - t.unstreamed, t.unstreamed);
        }
      } else if (needs_stream && t.none_streamed()) {
        check.judged = false;
        check.note = "not measured (non-streaming)";
      }
      t.slo.push_back(check);
    }
    if (slo.error_rate_max) {
      SloCheck check{"error_rate_max", "errors", "rate", *slo.error_rate_max,
                     t.error_rate(),   false,    true,   ""};
      check.pass = t.error_rate() <= *slo.error_rate_max;
      t.slo.push_back(check);
    }
    report.targets.push_back(std::move(t));
  }
  report.routes = route_reports(db, run_id);
  // Every target of the run, in the order the run listed them, including one that never
  // stored a row.
  {
    std::map<std::string, bool> measured;
    for (const auto& t : report.targets) {
      measured[t.target] = measured[t.target] || t.ok > 0;
    }
    auto st = db.prepare("SELECT target FROM run_targets WHERE run_id = ? ORDER BY rowid");
    st.bind(1, run_id);
    while (st.step()) {
      if (!measured[st.text(0)]) {
        report.dead_targets.push_back(st.text(0));
      }
    }
  }
  return report;
}

std::string error_hint(std::string_view error_class, std::optional<std::int64_t> status,
                       std::string_view message, std::string_view key_env) {
  const auto contains = [&](std::string_view needle) {
    return message.find(needle) != std::string_view::npos;
  };
  if (error_class == "connection") {
    if (contains("resolve")) {
      return "the host name did not resolve: check the host in base_url (and DNS or a proxy)";
    }
    if (contains("refused") || contains("Couldn't connect") || contains("Failed to connect")) {
      return "is the server up on that port? check the host and port in base_url";
    }
    if (contains("SSL") || contains("TLS") || contains("certificate")) {
      return "TLS failed: does base_url use https:// for a TLS server (and http:// otherwise)?";
    }
    return "the connection failed: is the server up, and is base_url right?";
  }
  if (error_class == "timeout_connect") {
    return "no connection at all: is the host reachable from here (firewall, VPN, proxy)?";
  }
  if (error_class == "http_4xx" && status) {
    if (*status == 404) {
      return "does base_url end in /v1? is the model name right?";
    }
    if (*status == 401 || *status == 403) {
      return key_env.empty() ? std::string("is the target's api_key_env the right key?")
                             : fmt::format("is ${} the right key?", key_env);
    }
    if (*status == 400 || *status == 422) {
      return "the server refused the request: is provider right, and does the model accept "
             "these parameters?";
    }
  }
  if (error_class == "rate_limited") {
    return "the server is rate limiting: lower concurrency or rate, or set [load] retry = true";
  }
  if (error_class == "http_5xx") {
    return "the server failed or is overloaded: try again later, or lower the load";
  }
  if (error_class == "timeout_ttft" || error_class == "timeout_total") {
    return "too slow for the timeouts: raise [load] timeout or ttft_timeout, or lower the load";
  }
  if (error_class == "protocol") {
    return "the answer was not the expected protocol: is provider right for this server?";
  }
  return "";
}

std::string explain_errors(const TargetReport& t, std::string_view key_env, std::size_t width) {
  std::string out;
  for (const auto& d : t.error_details) {
    std::string what = d.error_class;
    if (d.status) {
      what += fmt::format(" (HTTP {})", *d.status);
    }
    std::string message = d.first_message;
    std::replace(message.begin(), message.end(), '\n', ' ');
    std::replace(message.begin(), message.end(), '\r', ' ');
    if (message.size() > width) {
      message = message.substr(0, width) + "...";
    }
    out += fmt::format("  {} x{}: {}\n", what, d.count, message.empty() ? "-" : message);
    const std::string hint = error_hint(d.error_class, d.status, d.first_message, key_env);
    if (!hint.empty()) {
      out += fmt::format("    hint: {}\n", hint);
    }
  }
  return out;
}

}  // namespace llmbench::report
