#include "llmbench/report/diff.hpp"
#include "llmbench/report/verdicts.hpp"

#include <fmt/format.h>
#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "llmbench/metrics/hdr_codec.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/xml.hpp"
#include "sql.hpp"

namespace llmbench::report {

namespace {

constexpr std::size_t k_max_itl_samples = 20'000;

std::optional<std::int64_t> json_int(const std::string& json, const char* key) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::int64_t value = 0;
  if (parser.parse(simdjson::padded_string(json)).get(doc) == simdjson::SUCCESS &&
      doc[key].get_int64().get(value) == simdjson::SUCCESS) {
    return value;
  }
  return std::nullopt;
}

std::string json_field(const std::string& json, const char* key) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  std::string_view value;
  if (parser.parse(simdjson::padded_string(json)).get(doc) == simdjson::SUCCESS &&
      doc[key].get_string().get(value) == simdjson::SUCCESS) {
    return std::string(value);
  }
  return "";
}

bool higher_is_better(std::string_view metric) {
  return metric == "tps" || metric == "throughput";
}

std::vector<double> thin(const std::vector<double>& xs, std::size_t max) {
  if (xs.size() <= max) {
    return xs;
  }
  std::vector<double> out;
  out.reserve(max);
  const double step = static_cast<double>(xs.size()) / static_cast<double>(max);
  for (std::size_t i = 0; i < max; ++i) {
    out.push_back(xs[static_cast<std::size_t>(static_cast<double>(i) * step)]);
  }
  return out;
}

double stat_value(const std::vector<double>& xs, std::string_view stat) {
  if (xs.empty()) {
    return 0;
  }
  if (stat == "mean") {
    return metrics::mean(xs);
  }
  const double p = stat == "p50" ? 50 : stat == "p95" ? 95 : stat == "p99" ? 99 : 50;
  return metrics::percentile(xs, p);
}

double threshold_for(std::string_view stat, const DiffOptions& o) {
  if (stat == "p99") {
    return o.threshold_p99;
  }
  if (stat == "p95") {
    return o.threshold_p95;
  }
  if (stat == "mean") {
    return o.threshold_mean;
  }
  return o.threshold_p50;
}

std::string fmt_value(double v, std::string_view unit) {
  if (unit == "USD") {
    return fmt::format("{:.6f}", v);
  }
  if (unit == "%") {
    return fmt::format("{:.2f}", v);
  }
  const double a = std::abs(v);
  return a >= 100  ? fmt::format("{:.0f}", v)
         : a >= 10 ? fmt::format("{:.1f}", v)
                   : fmt::format("{:.3f}", v);
}

std::string fmt_change(const Cell& c) {
  std::string out =
      fmt::format("{}{}", c.abs_change >= 0 ? "+" : "", fmt_value(c.abs_change, c.unit));
  out += c.unit == "%" ? " pp" : " " + c.unit;
  return out;
}

std::string fmt_rel(const Cell& c) {
  return c.rel_change ? fmt::format("{:+.1f}%", *c.rel_change * 100.0) : "-";
}

std::string fmt_p(const Cell& c) {
  if (!c.p_value) {
    return "-";
  }
  return *c.p_value < 0.0001 ? "<0.0001" : fmt::format("{:.4f}", *c.p_value);
}

std::string where(const std::string& target, const std::string& phase) {
  return phase.empty() ? target : target + " [" + phase + "]";
}

// A limit or value in the gate's own terms: "+10%", "+1 pp", "300 ms", "5.00%".
std::string gate_quantity(const Gate& g, const Cell& c, double v) {
  switch (g.kind) {
    case Gate::Kind::relative:
      return fmt::format("{:+.1f}%", v * 100.0);
    case Gate::Kind::change:
      return fmt::format("{}{} {}", v >= 0 ? "+" : "", fmt_value(v, c.unit),
                         c.unit == "%" ? "pp" : c.unit);
    case Gate::Kind::value:
      break;
  }
  return c.unit == "%" ? fmt_value(v, c.unit) + "%" : fmt_value(v, c.unit) + " " + c.unit;
}

GateCheck judge_gate(const Gate& g, const TargetDiff& t, const Cell& c) {
  GateCheck k;
  k.target = t.cand_target;
  k.phase = t.phase;
  k.metric = c.metric;
  k.stat = c.stat;
  k.unit = c.unit;
  k.limit = g.limit;
  switch (g.kind) {
    case Gate::Kind::relative:
      k.value = c.rel_change.value_or(0);
      k.credible = c.verdict == Verdict::regressed;
      break;
    case Gate::Kind::change:
      k.value = c.abs_change;
      k.credible = c.verdict == Verdict::regressed;
      break;
    case Gate::Kind::value:
      k.value = c.cand;
      break;
  }
  k.over = g.below ? k.value < k.limit : k.value > k.limit;
  k.failed = k.over && k.credible;
  const std::string cmp = k.over ? (g.below ? "<" : ">") : (g.below ? ">=" : "<=");
  std::string detail;
  if (g.kind == Gate::Kind::value) {
    detail = fmt::format("base {}", gate_quantity(g, c, c.base));
  } else {
    detail = fmt::format("{} -> {} {}, p {}", fmt_value(c.base, c.unit), fmt_value(c.cand, c.unit),
                         c.unit, fmt_p(c));
    if (k.over && !k.credible) {
      detail += ", within noise: not a credible change";
    }
  }
  k.message =
      fmt::format("{}: {} {} {} {} limit {} ({})", where(t.cand_target, t.phase), c.metric, c.stat,
                  gate_quantity(g, c, k.value), cmp, gate_quantity(g, c, k.limit), detail);
  return k;
}

// Both runs' stored figures for a cell, when both have them.
std::optional<ShownValues> shown_values(const TargetSamples& base, const TargetSamples& cand,
                                        const std::string& metric, const std::string& stat) {
  const auto figure = [&](const TargetSamples& t) -> std::optional<double> {
    const auto m = t.reported.find(metric);
    if (m == t.reported.end()) {
      return std::nullopt;
    }
    const auto v = m->second.find(stat);
    return v == m->second.end() ? std::nullopt : std::optional<double>(v->second);
  };
  const auto b = figure(base);
  const auto c = figure(cand);
  if (!b || !c) {
    return std::nullopt;
  }
  return ShownValues{*b, *c};
}

}  // namespace

std::string cell_value(double v, std::string_view unit) {
  return fmt_value(v, unit);
}
std::string cell_change(const Cell& c) {
  return fmt_change(c);
}
std::string cell_relative(const Cell& c) {
  return fmt_rel(c);
}
std::string cell_p(const Cell& c) {
  return fmt_p(c);
}

std::vector<std::string> regression_messages(const DiffResult& d) {
  std::vector<std::string> out;
  for (const auto& t : d.targets) {
    for (const auto& c : t.cells) {
      if (c.verdict == Verdict::regressed) {
        out.push_back(
            fmt::format("{}: {} {} regressed {} ({} -> {} {}, p {})", where(t.cand_target, t.phase),
                        c.metric, c.stat, c.rel_change ? fmt_rel(c) : fmt_change(c),
                        fmt_value(c.base, c.unit), fmt_value(c.cand, c.unit), c.unit, fmt_p(c)));
      }
    }
  }
  return out;
}

std::string_view to_string(Verdict v) {
  switch (v) {
    case Verdict::regressed:
      return "regressed";
    case Verdict::improved:
      return "improved";
    case Verdict::no_change:
      return "no significant change";
    case Verdict::insufficient:
      return "insufficient data";
  }
  return "?";
}

RunSamples load_samples(store::Database& db, const std::string& run_id) {
  RunSamples out;
  const auto run = store::get_run(db, run_id);
  if (!run) {
    throw InputError(fmt::format("run {} is not in the database", run_id));
  }
  out.run = *run;
  out.requests_hash = json_field(run->load_json, "requests_hash");
  struct Window {
    std::int64_t first = INT64_MAX;
    std::int64_t last = 0;
    double tokens = 0;
  };
  std::map<std::pair<std::string, std::string>, Window> windows;
  auto st = db.prepare(fmt::format(
      "SELECT target, phase, error_class, t_send_ns, t_first_token_ns, t_done_ns, "
      "output_tokens, cost_usd, replayed, streamed FROM requests r WHERE run_id = ? AND "
      "warmup = 0 AND {} ORDER BY seq",
      k_final_attempt));
  st.bind(1, run_id);
  while (st.step()) {
    const auto key = std::make_pair(st.text(0), st.text(1));
    TargetSamples& t = out.targets[key];
    ++t.requests;
    ++out.measured;
    out.replayed += st.int64(8) != 0 ? 1 : 0;
    if (!st.is_null(2)) {
      ++t.errors;
      continue;
    }
    t.unstreamed += st.int64(9) == 0 ? 1 : 0;
    const std::int64_t send = st.int64(3);
    const std::int64_t done = st.int64(5);
    const std::int64_t tokens = st.is_null(6) ? 0 : st.int64(6);
    t.metrics["e2e"].push_back(static_cast<double>(done - send) / 1e6);
    if (!st.is_null(4)) {
      const std::int64_t first = st.int64(4);
      t.metrics["ttft"].push_back(static_cast<double>(first - send) / 1e6);
      if (tokens >= 2) {
        t.metrics["tpot"].push_back(static_cast<double>(done - first) / 1e6 /
                                    static_cast<double>(tokens - 1));
      }
      if (tokens >= 1 && done > first) {
        t.metrics["tps"].push_back(static_cast<double>(tokens) /
                                   (static_cast<double>(done - first) / 1e9));
      }
    }
    if (!st.is_null(7)) {
      t.metrics["cost"].push_back(st.real(7));
    }
    Window& w = windows[key];
    w.first = std::min(w.first, send);
    w.last = std::max(w.last, done);
    w.tokens += static_cast<double>(tokens);
  }
  for (auto& [key, w] : windows) {
    if (w.last > w.first) {
      out.targets[key].throughput = w.tokens / (static_cast<double>(w.last - w.first) / 1e9);
    }
  }
  {
    // A route's extra load: its member attempts per measured request, less one.
    auto ra = db.prepare(fmt::format(
        "SELECT r.target, r.phase, COUNT(DISTINCT r.seq), COUNT(*) FROM route_attempts a JOIN "
        "requests r ON r.run_id = a.run_id AND r.seq = a.seq AND r.attempt = a.attempt WHERE "
        "a.run_id = ?1 AND r.warmup = 0 AND {} GROUP BY r.target, r.phase",
        k_final_attempt));
    ra.bind(1, run_id);
    while (ra.step()) {
      const auto it = out.targets.find({ra.text(0), ra.text(1)});
      if (it != out.targets.end() && ra.int64(2) > 0) {
        it->second.extra_load = 100.0 * static_cast<double>(ra.int64(3) - ra.int64(2)) /
                                static_cast<double>(ra.int64(2));
      }
    }
  }
  // The figures report.md shows, from the same stored histograms, in the cells' units.
  for (const auto& h : store::histograms(db, run_id)) {
    auto it = out.targets.find({h.target, h.phase});
    if (it == out.targets.end() || h.count == 0) {
      continue;
    }
    const double scale = h.unit == "ns"          ? 1e-6
                         : h.unit == "tps_milli" ? 1e-3
                         : h.unit == "usd_nano"  ? 1e-9
                                                 : 1.0;
    auto& figures = it->second.reported[h.metric];
    figures["p50"] = h.p50 * scale;
    figures["p95"] = h.p95 * scale;
    figures["p99"] = h.p99 * scale;
    figures["mean"] = h.mean * scale;
  }
  // ITL gaps are kept only as histograms: expand them (thinned to a fixed size).
  for (const auto& h : store::histograms(db, run_id)) {
    if (h.metric != "itl") {
      continue;
    }
    auto hist = metrics::decode_base64(h.encoded);
    auto it = out.targets.find({h.target, h.phase});
    if (!hist || it == out.targets.end()) {
      continue;
    }
    const std::int64_t total = hist->count();
    const double keep = total > static_cast<std::int64_t>(k_max_itl_samples)
                            ? static_cast<double>(k_max_itl_samples) / static_cast<double>(total)
                            : 1.0;
    auto& samples = it->second.metrics["itl"];
    double carry = 0;
    hist->for_each_recorded([&](const metrics::HdrHistogram::Bucket& b) {
      const double mid =
          (static_cast<double>(b.value_from) + static_cast<double>(b.value_to)) / 2.0 / 1e6;
      carry += static_cast<double>(b.count) * keep;
      while (carry >= 1.0) {
        samples.push_back(mid);
        carry -= 1.0;
      }
    });
  }
  return out;
}

Cell compare_samples(const std::string& metric, const std::string& stat, const std::string& unit,
                     const std::vector<double>& base, const std::vector<double>& cand,
                     bool higher_better, const DiffOptions& o, std::optional<ShownValues> shown) {
  Cell c;
  c.metric = metric;
  c.stat = stat;
  c.unit = unit;
  c.base_n = base.size();
  c.cand_n = cand.size();
  c.base = shown ? shown->base : stat_value(base, stat);
  c.cand = shown ? shown->cand : stat_value(cand, stat);
  c.abs_change = c.cand - c.base;
  if (c.base != 0) {
    c.rel_change = c.abs_change / std::abs(c.base);
  }
  if (base.size() < o.min_samples || cand.size() < o.min_samples) {
    c.verdict = Verdict::insufficient;
    return c;
  }
  c.p_value = metrics::mann_whitney_u(base, cand).p_value;
  if (stat != "mean") {
    const double p = stat == "p95" ? 95 : stat == "p99" ? 99 : 50;
    c.ci = metrics::bootstrap_percentile_diff(thin(base, o.max_bootstrap_samples),
                                              thin(cand, o.max_bootstrap_samples), p, 1.0 - o.alpha,
                                              o.resamples, o.seed);
  }
  const double thr = threshold_for(stat, o);
  const double rel = c.rel_change.value_or(c.abs_change > 0 ? 1e9 : c.abs_change < 0 ? -1e9 : 0);
  const bool up = rel > thr;
  const bool down = rel < -thr;
  const bool significant = *c.p_value < o.alpha;
  const bool ci_up = !c.ci || c.ci->low > 0;
  const bool ci_down = !c.ci || c.ci->high < 0;
  if (up && significant && ci_up) {
    c.verdict = higher_better ? Verdict::improved : Verdict::regressed;
  } else if (down && significant && ci_down) {
    c.verdict = higher_better ? Verdict::regressed : Verdict::improved;
  }
  return c;
}

Gate parse_gate(const std::string& text) {
  auto spec = suite::parse_gate(text);
  if (!spec) {
    throw InputError("--fail-on " + spec.error());
  }
  Gate g;
  static_cast<suite::GateSpec&>(g) = std::move(*spec);
  return g;
}

bool DiffResult::any_regression() const {
  for (const auto& t : targets) {
    for (const auto& c : t.cells) {
      if (c.verdict == Verdict::regressed) {
        return true;
      }
    }
  }
  return false;
}

bool DiffResult::any_gate_failed() const {
  return std::any_of(gates.begin(), gates.end(), [](const Gate& g) { return g.failed; });
}

DiffResult diff_runs(const RunSamples& base, const RunSamples& cand, const DiffOptions& o,
                     std::vector<Gate> gates, bool allow_suite_change) {
  DiffResult d;
  d.base = base.run;
  d.cand = cand.run;
  d.base_short = base.run.id.substr(0, 8);
  d.cand_short = cand.run.id.substr(0, 8);
  if (!base.requests_hash.empty() && !cand.requests_hash.empty() &&
      base.requests_hash != cand.requests_hash) {
    const std::string what =
        "the two runs sent different requests (prompts, models or request fields differ)";
    if (!allow_suite_change) {
      throw InputError(what + "; compare them anyway with --allow-suite-change");
    }
    d.warnings.push_back(what);
  }
  for (const auto* side : {&base, &cand}) {
    if (side->replayed == 0) {
      continue;
    }
    const std::string what = fmt::format(
        "the {} run {} answered {} of its {} measured requests from the response cache: those "
        "latencies are the recording's, not measurements",
        side == &base ? "base" : "candidate", side->run.id.substr(0, 8), side->replayed,
        side->measured);
    if (!o.allow_replayed) {
      throw InputError(what + "; compare it anyway with --allow-replayed");
    }
    d.warnings.push_back("REPLAYED: " + what);
  }
  if (json_field(base.run.load_json, "summary") != json_field(cand.run.load_json, "summary")) {
    d.warnings.push_back(fmt::format("load profiles differ: \"{}\" vs \"{}\"",
                                     json_field(base.run.load_json, "summary"),
                                     json_field(cand.run.load_json, "summary")));
  }
  {
    const auto b = json_int(base.run.load_json, "engine_threads");
    const auto c = json_int(cand.run.load_json, "engine_threads");
    if (b && c && *b != *c) {
      d.warnings.push_back(
          fmt::format("the client ran {} engine thread{} for the base and {} for the candidate", *b,
                      *b == 1 ? "" : "s", *c));
    }
  }
  {
    const std::string b = json_field(base.run.load_json, "overrides_text");
    const std::string c = json_field(cand.run.load_json, "overrides_text");
    if (b != c) {
      d.warnings.push_back(fmt::format("load overrides differ: base {}, candidate {}",
                                       b.empty() ? "none" : "`" + b + "`",
                                       c.empty() ? "none" : "`" + c + "`"));
    }
  }
  if (base.run.host != cand.run.host) {
    d.warnings.push_back(fmt::format("hosts differ: {} vs {}", base.run.host, cand.run.host));
  }
  if (base.run.llmbench_version != cand.run.llmbench_version) {
    d.warnings.push_back(fmt::format("llmbench versions differ: {} vs {}",
                                     base.run.llmbench_version, cand.run.llmbench_version));
  }
  const auto mapped = [&](const std::string& name) {
    for (const auto& [a, b] : o.map) {
      if (a == name) {
        return b;
      }
    }
    return name;
  };
  for (const auto& [key, bt] : base.targets) {
    const auto ck = std::make_pair(mapped(key.first), key.second);
    const auto it = cand.targets.find(ck);
    if (it == cand.targets.end()) {
      d.unpaired.push_back(fmt::format("{} (base only)", key.first));
      continue;
    }
    const TargetSamples& ct = it->second;
    TargetDiff td;
    td.base_target = key.first;
    td.cand_target = ck.first;
    td.phase = key.second;
    static const std::vector<std::pair<std::string, std::vector<std::string>>> k_layout = {
        {"ttft", {"p50", "p95", "p99", "mean"}},
        {"e2e", {"p50", "p95", "p99", "mean"}},
        {"itl", {"p50", "p95", "p99"}},
        {"tpot", {"p50", "p95", "p99"}},
        {"tps", {"p50", "mean"}},
        {"cost", {"mean"}}};
    static const std::vector<double> k_empty;
    if ((bt.unstreamed > 0 || ct.unstreamed > 0) && !bt.metrics.contains("ttft") &&
        !ct.metrics.contains("ttft")) {
      d.warnings.push_back(fmt::format(
          "{}: TTFT, ITL, TPOT and tokens/s were not measured (non-streaming answers); no cell "
          "or gate judges them",
          key.first));
    }
    for (const auto& [metric, stats] : k_layout) {
      const auto b = bt.metrics.find(metric);
      const auto c = ct.metrics.find(metric);
      const auto& bs = b == bt.metrics.end() ? k_empty : b->second;
      const auto& cs = c == ct.metrics.end() ? k_empty : c->second;
      if (bs.empty() && cs.empty()) {
        continue;
      }
      const std::string unit = metric == "tps" ? "tok/s" : metric == "cost" ? "USD" : "ms";
      for (const auto& stat : stats) {
        td.cells.push_back(compare_samples(metric, stat, unit, bs, cs, higher_is_better(metric), o,
                                           shown_values(bt, ct, metric, stat)));
      }
    }
    {
      Cell c;
      c.metric = "throughput";
      c.stat = "value";
      c.unit = "tok/s";
      c.base = bt.throughput;
      c.cand = ct.throughput;
      c.abs_change = c.cand - c.base;
      c.base_n = 1;
      c.cand_n = 1;
      if (c.base != 0) {
        c.rel_change = c.abs_change / c.base;
      }
      // One figure per run: no test is possible, so only a large change counts.
      if (c.rel_change && *c.rel_change < -o.threshold_p99) {
        c.verdict = Verdict::regressed;
      } else if (c.rel_change && *c.rel_change > o.threshold_p99) {
        c.verdict = Verdict::improved;
      }
      td.cells.push_back(c);
    }
    if (bt.extra_load || ct.extra_load) {
      // One figure per run, as throughput: only a large change counts.
      Cell c;
      c.metric = "extra_load";
      c.stat = "value";
      c.unit = "%";
      c.base = bt.extra_load.value_or(0);
      c.cand = ct.extra_load.value_or(0);
      c.abs_change = c.cand - c.base;
      c.base_n = 1;
      c.cand_n = 1;
      if (c.base != 0) {
        c.rel_change = c.abs_change / c.base;
      }
      if (c.abs_change > o.error_rate_pp && (!c.rel_change || *c.rel_change > o.threshold_p99)) {
        c.verdict = Verdict::regressed;
      } else if (c.abs_change < -o.error_rate_pp && c.rel_change &&
                 *c.rel_change < -o.threshold_p99) {
        c.verdict = Verdict::improved;
      }
      td.cells.push_back(c);
    }
    {
      Cell c;
      c.metric = "errors";
      c.stat = "rate";
      c.unit = "%";
      c.base_n = static_cast<std::size_t>(bt.requests);
      c.cand_n = static_cast<std::size_t>(ct.requests);
      c.base = bt.requests > 0
                   ? 100.0 * static_cast<double>(bt.errors) / static_cast<double>(bt.requests)
                   : 0;
      c.cand = ct.requests > 0
                   ? 100.0 * static_cast<double>(ct.errors) / static_cast<double>(ct.requests)
                   : 0;
      c.abs_change = c.cand - c.base;
      if (c.base != 0) {
        c.rel_change = c.abs_change / c.base;
      }
      if (c.base_n < o.min_samples || c.cand_n < o.min_samples) {
        c.verdict = Verdict::insufficient;
      } else {
        c.p_value = metrics::two_proportion_p_value(bt.errors, bt.requests, ct.errors, ct.requests);
        if (*c.p_value < o.alpha && c.abs_change > o.error_rate_pp) {
          c.verdict = Verdict::regressed;
        } else if (*c.p_value < o.alpha && c.abs_change < -o.error_rate_pp) {
          c.verdict = Verdict::improved;
        }
      }
      td.cells.push_back(c);
    }
    d.targets.push_back(std::move(td));
  }
  for (const auto& [key, ct] : cand.targets) {
    bool paired = false;
    for (const auto& t : d.targets) {
      paired |= t.cand_target == key.first && t.phase == key.second;
    }
    if (!paired) {
      d.unpaired.push_back(fmt::format("{} (candidate only)", key.first));
    }
  }
  for (Gate& g : gates) {
    for (const auto& t : d.targets) {
      for (const auto& c : t.cells) {
        if (c.metric == g.metric && c.stat == g.stat) {
          g.checks.push_back(judge_gate(g, t, c));
          if (g.checks.back().failed) {
            g.failed = true;
            g.failures.push_back(g.checks.back().message);
          }
        }
      }
    }
  }
  d.gates = std::move(gates);
  return d;
}

std::string render_diff_text(const DiffResult& d, bool color) {
  const auto paint = [&](Verdict v, const std::string& s) {
    if (!color) {
      return s;
    }
    if (v == Verdict::regressed) {
      return "\x1b[31m" + s + "\x1b[0m";
    }
    if (v == Verdict::improved) {
      return "\x1b[32m" + s + "\x1b[0m";
    }
    return s;
  };
  std::string out;
  const auto verdicts = diff_verdicts(d, d.fail_on_regression);
  for (const auto& v : verdicts) {
    if (v.failed && v.binding) {
      out += render_verdicts_text({v});
    }
  }
  out += fmt::format("base {} ({}), candidate {} ({})\n", d.base_short, d.base.suite_name,
                     d.cand_short, d.cand.suite_name);
  for (const auto& w : d.warnings) {
    out += "warning: " + w + "\n";
  }
  for (const auto& u : d.unpaired) {
    out += "unpaired: " + u + "\n";
  }
  for (const auto& t : d.targets) {
    out += fmt::format("\n{}{}{}\n", t.base_target,
                       t.cand_target != t.base_target ? " -> " + t.cand_target : "",
                       t.phase.empty() ? "" : " [" + t.phase + "]");
    out += fmt::format("  {:<11} {:<5} {:>12} {:>12} {:>14} {:>8} {:>8}  {}\n", "metric", "stat",
                       "base", "candidate", "change", "rel", "p", "verdict");
    for (const auto& c : t.cells) {
      out += fmt::format("  {:<11} {:<5} {:>12} {:>12} {:>14} {:>8} {:>8}  {}\n", c.metric, c.stat,
                         fmt_value(c.base, c.unit), fmt_value(c.cand, c.unit), fmt_change(c),
                         fmt_rel(c), fmt_p(c), paint(c.verdict, std::string(to_string(c.verdict))));
    }
  }
  out += "\n";
  for (const auto& v : verdicts) {
    if (!v.failed || !v.binding) {
      out += render_verdicts_text({v});
    }
  }
  return out;
}

std::string render_diff_markdown(const DiffResult& d) {
  std::string out =
      fmt::format("## llmbench diff: {} vs {}\n\n", d.base.suite_name, d.cand.suite_name);
  out += fmt::format("Base `{}`, candidate `{}`.\n\n", d.base.id, d.cand.id);
  {
    std::vector<VerdictCase> failed;
    std::vector<VerdictCase> rest;
    for (auto& v : diff_verdicts(d, d.fail_on_regression)) {
      (v.failed && v.binding ? failed : rest).push_back(std::move(v));
    }
    out += render_verdicts_markdown(failed) + render_verdicts_markdown(rest) + "\n";
  }
  for (const auto& w : d.warnings) {
    out += fmt::format("> warning: {}\n", w);
  }
  for (const auto& u : d.unpaired) {
    out += fmt::format("> unpaired target: {}\n", u);
  }
  for (const auto& t : d.targets) {
    out += fmt::format("\n### {}{}{}\n\n", t.base_target,
                       t.cand_target != t.base_target ? " → " + t.cand_target : "",
                       t.phase.empty() ? "" : " · " + t.phase);
    out += "| metric | stat | base | candidate | change | rel | p | verdict |\n";
    out += "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |\n";
    for (const auto& c : t.cells) {
      const std::string verdict = std::string(to_string(c.verdict));
      out +=
          fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", c.metric, c.stat,
                      fmt_value(c.base, c.unit) + " " + c.unit,
                      fmt_value(c.cand, c.unit) + " " + c.unit, fmt_change(c), fmt_rel(c), fmt_p(c),
                      c.verdict == Verdict::regressed ? "**" + verdict + "**" : verdict);
    }
  }
  out +=
      "\nA change counts only when it passes the practical threshold and is statistically "
      "credible (Mann-Whitney U and a bootstrap interval; errors: two-proportion test).\n";
  return out;
}

std::string render_diff_json(const DiffResult& d) {
  std::string out = "{\"schema\":\"llmbench.diff/1\",\"base\":";
  util::append_json_string(out, d.base.id);
  out += ",\"candidate\":";
  util::append_json_string(out, d.cand.id);
  out += ",\"warnings\":[";
  for (std::size_t i = 0; i < d.warnings.size(); ++i) {
    out += i > 0 ? "," : "";
    util::append_json_string(out, d.warnings[i]);
  }
  out += "],\"unpaired\":[";
  for (std::size_t i = 0; i < d.unpaired.size(); ++i) {
    out += i > 0 ? "," : "";
    util::append_json_string(out, d.unpaired[i]);
  }
  out += "],\"gates\":[";
  for (std::size_t i = 0; i < d.gates.size(); ++i) {
    out += i > 0 ? "," : "";
    out += "{\"gate\":";
    util::append_json_string(out, d.gates[i].text);
    out += fmt::format(",\"failed\":{},\"failures\":[", d.gates[i].failed ? "true" : "false");
    for (std::size_t k = 0; k < d.gates[i].failures.size(); ++k) {
      out += k > 0 ? "," : "";
      util::append_json_string(out, d.gates[i].failures[k]);
    }
    out += "],\"checks\":[";
    for (std::size_t k = 0; k < d.gates[i].checks.size(); ++k) {
      const GateCheck& c = d.gates[i].checks[k];
      out += k > 0 ? "," : "";
      out += "{\"target\":";
      util::append_json_string(out, c.target);
      out += ",\"phase\":";
      util::append_json_string(out, c.phase);
      out += fmt::format(",\"metric\":\"{}\",\"stat\":\"{}\",\"unit\":\"{}\",\"value\":", c.metric,
                         c.stat, c.unit);
      util::append_json_number(out, c.value);
      out += ",\"limit\":";
      util::append_json_number(out, c.limit);
      out += fmt::format(
          ",\"over\":{},\"credible\":{},\"failed\":{},\"message\":", c.over ? "true" : "false",
          c.credible ? "true" : "false", c.failed ? "true" : "false");
      util::append_json_string(out, c.message);
      out += "}";
    }
    out += "]}";
  }
  {
    const auto regressions = regression_messages(d);
    out += fmt::format("],\"regression\":{{\"binding\":{},\"failed\":{},\"messages\":[",
                       d.fail_on_regression ? "true" : "false",
                       regressions.empty() ? "false" : "true");
    for (std::size_t k = 0; k < regressions.size(); ++k) {
      out += k > 0 ? "," : "";
      util::append_json_string(out, regressions[k]);
    }
    out += "]}";
  }
  out += ",\"targets\":[";
  for (std::size_t i = 0; i < d.targets.size(); ++i) {
    const auto& t = d.targets[i];
    out += i > 0 ? "," : "";
    out += "{\"base_target\":";
    util::append_json_string(out, t.base_target);
    out += ",\"candidate_target\":";
    util::append_json_string(out, t.cand_target);
    out += ",\"phase\":";
    util::append_json_string(out, t.phase);
    out += ",\"cells\":[";
    for (std::size_t k = 0; k < t.cells.size(); ++k) {
      const auto& c = t.cells[k];
      out += k > 0 ? "," : "";
      out += fmt::format("{{\"metric\":\"{}\",\"stat\":\"{}\",\"unit\":\"{}\",\"base\":", c.metric,
                         c.stat, c.unit);
      util::append_json_number(out, c.base);
      out += ",\"candidate\":";
      util::append_json_number(out, c.cand);
      out += ",\"change\":";
      util::append_json_number(out, c.abs_change);
      out += ",\"relative\":";
      if (c.rel_change) {
        util::append_json_number(out, *c.rel_change);
      } else {
        out += "null";
      }
      out += ",\"p_value\":";
      if (c.p_value) {
        util::append_json_number(out, *c.p_value);
      } else {
        out += "null";
      }
      out += ",\"ci\":";
      if (c.ci) {
        out += "[";
        util::append_json_number(out, c.ci->low);
        out += ",";
        util::append_json_number(out, c.ci->high);
        out += "]";
      } else {
        out += "null";
      }
      out += fmt::format(",\"base_n\":{},\"candidate_n\":{},\"verdict\":\"{}\"}}", c.base_n,
                         c.cand_n, to_string(c.verdict));
    }
    out += "]}";
  }
  out += "]}\n";
  return out;
}

}  // namespace llmbench::report
