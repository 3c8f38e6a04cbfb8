#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <map>
#include <optional>

#include "llmbench/metrics/hdr_codec.hpp"
#include "llmbench/report/diff.hpp"
#include "llmbench/report/svg.hpp"
#include "llmbench/report/writers.hpp"
#include "llmbench/util/time.hpp"
#include "llmbench/util/xml.hpp"

namespace llmbench::report {

namespace {

using util::xml_escape;
const auto esc = [](std::string_view s) { return xml_escape(s); };

constexpr std::string_view k_css = R"(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 980px; color: #111; background: #fff; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { border: 1px solid #bbb; padding: .25rem .55rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f0f0f0; }
.fail { font-weight: bold; text-decoration: underline; }
.chart { width: 100%; max-width: 720px; height: auto; display: block; margin: .5rem 0 1.5rem; }
.chart .axis { stroke: #333; } .chart .tick { stroke: #333; } .chart .grid { stroke: #e3e3e3; }
.chart text { font-size: 11px; fill: #222; } .chart .chart-title { font-size: 13px; font-weight: 600; }
.chart .axis-label { font-size: 12px; } .chart .bar { fill: #0072B2; stroke: #fff; }
.note { color: #444; font-size: 13px; }
@media print { body { margin: 0; max-width: none; } h2 { break-before: auto; }
               .chart { break-inside: avoid; } }
)";

std::string chart_id(std::string prefix, std::size_t i) {
  return fmt::format("{}-{}", prefix, i);
}

std::optional<metrics::HdrHistogram> decode(const TargetReport& t, std::string_view metric) {
  const MetricSummary* m = t.metric(metric);
  if (m == nullptr || m->encoded.empty()) {
    return std::nullopt;
  }
  auto h = metrics::decode_base64(m->encoded);
  return h ? std::optional<metrics::HdrHistogram>(std::move(*h)) : std::nullopt;
}

std::string percentile_chart(const RunReport& r, std::string_view metric, const std::string& name,
                             const std::string& id) {
  std::vector<svg::Series> series;
  static constexpr double k_ps[] = {0,  10, 20, 30, 40, 50, 60,   70,
                                    80, 90, 95, 97, 98, 99, 99.5, 99.9};
  for (const auto& t : r.targets) {
    const auto h = decode(t, metric);
    if (!h || h->count() == 0) {
      continue;
    }
    svg::Series s{t.label(), {}, false};
    for (const double p : k_ps) {
      s.points.push_back({p, static_cast<double>(h->value_at_percentile(p)) / 1e6});
    }
    series.push_back(std::move(s));
  }
  if (series.empty()) {
    return "";
  }
  return svg::line_chart(id, name + " by percentile (log-scaled tail)", {"percentile", true, false},
                         {name + " (ms)", false, false}, series);
}

std::string histogram_chart(const TargetReport& t, std::string_view metric, const std::string& name,
                            const std::string& id) {
  const auto h = decode(t, metric);
  if (!h || h->count() == 0) {
    return "";
  }
  const double lo = static_cast<double>(h->min()) / 1e6;
  const double hi = std::max(lo + 1e-3, static_cast<double>(h->value_at_percentile(99.9)) / 1e6);
  constexpr int k_bins = 30;
  std::vector<svg::Bar> bars(k_bins);
  for (int i = 0; i < k_bins; ++i) {
    bars[i].from = lo + (hi - lo) * i / k_bins;
    bars[i].to = lo + (hi - lo) * (i + 1) / k_bins;
  }
  h->for_each_recorded([&](const metrics::HdrHistogram::Bucket& b) {
    const double v = static_cast<double>(b.value_from) / 1e6;
    const int i = std::clamp(static_cast<int>((v - lo) / (hi - lo) * k_bins), 0, k_bins - 1);
    bars[static_cast<std::size_t>(i)].count += static_cast<double>(b.count);
  });
  return svg::bar_chart(id, fmt::format("{} distribution, {} (to p99.9)", name, t.label()),
                        {name + " (ms)", false, false},
                        {metric == "itl" ? "gaps between tokens" : "requests", false, false}, bars);
}

std::string over_time_chart(store::Database& db, const RunReport& r) {
  auto st = db.prepare(
      "SELECT target, phase, t_done_ns, error_class IS NOT NULL, COALESCE(output_tokens, 0) "
      "FROM requests WHERE run_id = ? "
      "AND warmup = 0 AND t_done_ns IS NOT NULL ORDER BY t_done_ns");
  st.bind(1, r.run.id);
  struct Bin {
    double ok = 0;
    double errors = 0;
    double tokens = 0;
  };
  std::map<std::string, std::map<std::int64_t, Bin>> per_target;
  std::int64_t first = -1;
  std::int64_t last = 0;
  std::vector<std::tuple<std::string, std::int64_t, bool, double>> rows;
  while (st.step()) {
    const std::string name = st.text(1).empty() ? st.text(0) : st.text(0) + " " + st.text(1);
    const std::int64_t t = st.int64(2);
    rows.emplace_back(name, t, st.int64(3) != 0, static_cast<double>(st.int64(4)));
    first = first < 0 ? t : std::min(first, t);
    last = std::max(last, t);
  }
  if (rows.empty()) {
    return "";
  }
  // About 60 bins over the run, at least 100 ms each.
  const double width_s = std::max(0.1, static_cast<double>(last - first) / 1e9 / 60.0);
  for (const auto& [name, t, failed, tokens] : rows) {
    const auto bin = static_cast<std::int64_t>(static_cast<double>(t - first) / 1e9 / width_s);
    Bin& b = per_target[name][bin];
    (failed ? b.errors : b.ok) += 1;
    if (!failed) {
      b.tokens += tokens;
    }
  }
  std::vector<svg::Series> series;
  svg::Series errors{"errors", {}, true};
  for (const auto& [name, bins] : per_target) {
    svg::Series s{name + " (req/s)", {}, false};
    for (const auto& [bin, b] : bins) {
      const double x = static_cast<double>(bin) * width_s;
      s.points.push_back({x, b.ok / width_s});
      if (b.errors > 0) {
        errors.points.push_back({x, b.errors / width_s});
      }
    }
    series.push_back(std::move(s));
  }
  if (!errors.points.empty()) {
    series.push_back(std::move(errors));
  }
  std::string out = svg::line_chart("over-time", "Completed requests per second over the run",
                                    {"seconds since the first completion", false, false},
                                    {"requests/s", false, false}, series);
  std::vector<svg::Series> tokens;
  for (const auto& [name, bins] : per_target) {
    svg::Series s{name + " (tokens/s)", {}, false};
    for (const auto& [bin, b] : bins) {
      s.points.push_back({static_cast<double>(bin) * width_s, b.tokens / width_s});
    }
    tokens.push_back(std::move(s));
  }
  out += svg::line_chart("tokens-over-time", "Output tokens per second over the run",
                         {"seconds since the first completion", false, false},
                         {"output tokens/s", false, false}, tokens);
  return out;
}

// The offered rate of a sweep step's phase ("rate=2.5"), or nullopt for other phases.
std::optional<double> sweep_rate(std::string_view phase) {
  if (!phase.starts_with("rate=")) {
    return std::nullopt;
  }
  const std::string_view number = phase.substr(5);
  double rate = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), rate);
  if (number.empty() || ec != std::errc() || ptr != number.data() + number.size()) {
    return std::nullopt;
  }
  return rate;
}

std::string sweep_charts(const RunReport& r) {
  std::map<std::string, std::vector<const TargetReport*>> by_target;
  for (const auto& t : r.targets) {
    if (sweep_rate(t.phase)) {
      by_target[t.target].push_back(&t);
    }
  }
  if (by_target.empty()) {
    return "";
  }
  std::vector<svg::Series> latency;
  std::vector<svg::Series> goodput;
  for (const auto& [target, steps] : by_target) {
    svg::Series p50{target + " ttft p50", {}, false};
    svg::Series p95{target + " ttft p95", {}, false};
    svg::Series good{target + " goodput", {}, false};
    svg::Series achieved{target + " achieved", {}, false};
    for (const TargetReport* t : steps) {
      const double offered = *sweep_rate(t->phase);
      if (const MetricSummary* ttft = t->metric("ttft")) {
        p50.points.push_back({offered, ttft->p50 / 1e6});
        p95.points.push_back({offered, ttft->p95 / 1e6});
      }
      good.points.push_back({offered, t->goodput_requests ? t->goodput_per_s : t->requests_per_s});
      achieved.points.push_back({offered, t->requests_per_s});
    }
    latency.push_back(std::move(p50));
    latency.push_back(std::move(p95));
    goodput.push_back(std::move(good));
    goodput.push_back(std::move(achieved));
  }
  return "<h2>Sweep</h2>\n" +
         svg::line_chart("sweep-latency", "TTFT against offered load",
                         {"offered load (requests/s)", false, false}, {"TTFT (ms)", false, false},
                         latency) +
         svg::line_chart("sweep-goodput", "Goodput and achieved throughput against offered load",
                         {"offered load (requests/s)", false, false}, {"requests/s", false, false},
                         goodput);
}

}  // namespace

std::string render_html(store::Database& db, const RunReport& r) {
  std::string out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += fmt::format("<title>llmbench report: {}</title>\n", esc(r.run.suite_name));
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<style>";
  out += k_css;
  out += "</style>\n</head>\n<body>\n";
  out += fmt::format("<h1>llmbench report: {}</h1>\n", esc(r.run.suite_name));
  out += "<table class=\"context\"><tbody>\n";
  const auto row = [&](std::string_view k, const std::string& v) {
    out += fmt::format("<tr><th scope=\"row\">{}</th><td>{}</td></tr>\n", k, esc(v));
  };
  row("run", r.run.id);
  row("suite", fmt::format("{} ({})", r.run.suite_name, r.run.suite_path));
  row("status", r.run.status);
  row("started", util::iso8601_utc_ms(r.run.started_at_ms));
  row("host", r.run.host);
  row("llmbench", r.run.llmbench_version);
  row("tags", r.run.tags_json);
  out += "</tbody></table>\n<h2>Summary</h2>\n";
  out +=
      "<table class=\"summary\"><caption class=\"note\">latencies in milliseconds</caption>\n"
      "<thead><tr><th scope=\"col\">target</th><th scope=\"col\">requests</th>"
      "<th scope=\"col\">errors</th><th scope=\"col\">TTFT p50</th><th scope=\"col\">p95</th>"
      "<th scope=\"col\">p99</th><th scope=\"col\">E2E p50</th><th scope=\"col\">p95</th>"
      "<th scope=\"col\">ITL p50</th><th scope=\"col\">p99</th><th scope=\"col\">output tok/s</th>"
      "<th scope=\"col\">req/s</th><th scope=\"col\">cost</th></tr></thead>\n<tbody>\n";
  for (const auto& t : r.targets) {
    out += fmt::format(
        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</"
        "td>"
        "<td>{}</td><td>{}</td><td>{:.0f}</td><td>{:.1f}</td><td>{}</td></tr>\n",
        esc(t.label()), t.requests, t.errors, ms_cell(t, "ttft", &MetricSummary::p50),
        ms_cell(t, "ttft", &MetricSummary::p95), ms_cell(t, "ttft", &MetricSummary::p99),
        ms_cell(t, "e2e", &MetricSummary::p50), ms_cell(t, "e2e", &MetricSummary::p95),
        ms_cell(t, "itl", &MetricSummary::p50), ms_cell(t, "itl", &MetricSummary::p99),
        t.output_tokens_per_s, t.requests_per_s,
        t.cost_usd ? fmt::format("${:.4f}", *t.cost_usd) : "unknown");
  }
  out += "</tbody></table>\n";
  if (const auto note = r.replay_note(); !note.empty()) {
    out += fmt::format("<p class=\"note replayed\">{}.</p>\n", esc(note));
  }
  bool any_slo = false;
  for (const auto& t : r.targets) {
    any_slo |= !t.slo.empty();
  }
  if (any_slo) {
    out +=
        "<h2>SLOs</h2>\n<table class=\"slo\"><thead><tr><th scope=\"col\">target</th>"
        "<th scope=\"col\">SLO</th><th scope=\"col\">limit</th><th scope=\"col\">actual</th>"
        "<th scope=\"col\">result</th></tr></thead><tbody>\n";
    for (const auto& t : r.targets) {
      for (const auto& s : t.slo) {
        out += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td{}>{}</td></tr>\n",
                           esc(t.label()), s.key, s.limit,
                           s.actual ? fmt::format("{:.4g}", *s.actual) : "no data",
                           s.pass ? "" : " class=\"fail\"", s.pass ? "met" : "MISSED");
      }
    }
    out += "</tbody></table>\n";
  }
  out += "<h2>Latency percentiles</h2>\n";
  out += percentile_chart(r, "ttft", "TTFT", "ttft-percentiles");
  out += percentile_chart(r, "e2e", "E2E latency", "e2e-percentiles");
  out += "<h2>Distributions</h2>\n";
  for (std::size_t i = 0; i < r.targets.size(); ++i) {
    out += histogram_chart(r.targets[i], "ttft", "TTFT", chart_id("ttft-histogram", i));
    out += histogram_chart(r.targets[i], "itl", "ITL", chart_id("itl-histogram", i));
  }
  out += "<h2>Over time</h2>\n";
  out += over_time_chart(db, r);
  out += sweep_charts(r);
  out +=
      "<h2>How measured</h2>\n<p class=\"note\">TTFT runs from the send to the first event "
      "carrying output; ITL is each gap between content events; failed requests never enter "
      "a latency figure; warmup requests are not measured. Percentiles come from HDR "
      "histograms (3 significant digits). Definitions: docs/metrics.md in the llmbench "
      "sources.</p>\n</body>\n</html>\n";
  return out;
}

std::string render_diff_html(const DiffResult& d, const RunReport& base, const RunReport& cand) {
  std::string out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += fmt::format("<title>llmbench diff: {} vs {}</title>\n<style>", esc(d.base.suite_name),
                     esc(d.cand.suite_name));
  out += k_css;
  out +=
      ".regressed { font-weight: bold; background: #fde0dc; } .improved { background: #e3f4e8; }"
      "</style>\n</head>\n<body>\n";
  out += fmt::format(
      "<h1>llmbench diff: {} vs {}</h1>\n<p>Base <code>{}</code>, candidate "
      "<code>{}</code>.</p>\n",
      esc(d.base.suite_name), esc(d.cand.suite_name), esc(d.base.id), esc(d.cand.id));
  if (!d.gates.empty()) {
    out += "<h2>Gates</h2>\n<ul>\n";
    for (const auto& g : d.gates) {
      out += fmt::format("<li{}>{} <code>{}</code>", g.failed ? " class=\"regressed\"" : "",
                         g.failed ? "FAILED" : "passed", esc(g.text));
      for (const auto& f : g.failures) {
        out += "<br>" + esc(f);
      }
      out += "</li>\n";
    }
    out += "</ul>\n";
  }
  for (const auto& w : d.warnings) {
    out += fmt::format("<p class=\"note\">warning: {}</p>\n", esc(w));
  }
  const auto find = [](const RunReport& r, const std::string& target,
                       const std::string& phase) -> const TargetReport* {
    for (const auto& t : r.targets) {
      if (t.target == target && t.phase == phase) {
        return &t;
      }
    }
    return nullptr;
  };
  std::size_t chart = 0;
  for (const auto& t : d.targets) {
    const std::string name = t.base_target + (t.phase.empty() ? "" : " " + t.phase);
    out += fmt::format("<h2>{}</h2>\n", esc(name));
    const TargetReport* b = find(base, t.base_target, t.phase);
    const TargetReport* c = find(cand, t.cand_target, t.phase);
    if (b != nullptr && c != nullptr) {
      for (const auto& [metric, title] : std::vector<std::pair<std::string, std::string>>{
               {"ttft", "TTFT"}, {"e2e", "E2E latency"}}) {
        RunReport pair;
        TargetReport bt = *b;
        bt.target = "base";
        bt.phase.clear();
        TargetReport ct = *c;
        ct.target = "candidate";
        ct.phase.clear();
        pair.targets = {bt, ct};
        out += percentile_chart(pair, metric, title, fmt::format("diff-{}-{}", metric, chart));
      }
    }
    ++chart;
    out +=
        "<table class=\"diff\"><thead><tr><th scope=\"col\">metric</th><th scope=\"col\">stat"
        "</th><th scope=\"col\">base</th><th scope=\"col\">candidate</th><th scope=\"col\">"
        "relative</th><th scope=\"col\">verdict</th></tr></thead><tbody>\n";
    for (const auto& cell : t.cells) {
      const char* cls = cell.verdict == Verdict::regressed  ? " class=\"regressed\""
                        : cell.verdict == Verdict::improved ? " class=\"improved\""
                                                            : "";
      out += fmt::format(
          "<tr{}><td>{}</td><td>{}</td><td>{:.4g} {}</td><td>{:.4g} {}</td><td>{}</td><td>{}</td>"
          "</tr>\n",
          cls, cell.metric, cell.stat, cell.base, cell.unit, cell.cand, cell.unit,
          cell.rel_change ? fmt::format("{:+.1f}%", *cell.rel_change * 100) : "-",
          to_string(cell.verdict));
    }
    out += "</tbody></table>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace llmbench::report
