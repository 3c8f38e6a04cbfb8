#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <optional>

#include "llmbench/metrics/hdr_codec.hpp"
#include "llmbench/report/diff.hpp"
#include "llmbench/report/svg.hpp"
#include "llmbench/report/verdicts.hpp"
#include "llmbench/report/writers.hpp"
#include "llmbench/util/time.hpp"
#include "llmbench/util/xml.hpp"
#include "sections.hpp"

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
th, td { text-align: left; } th.num, td.num { text-align: right; }
caption { caption-side: bottom; text-align: left; padding-top: .25rem; }
tr.fail td, tr.fail th { font-weight: bold; background: #fde0dc; }
thead th { background: #f0f0f0; }
.fail { font-weight: bold; }
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

// Rates over the run, from the completion bins build_report gathered (the rows are not read
// again: a run of a million requests is a few thousand numbers here).
std::string over_time_chart(const RunReport& r) {
  const Completions& c = r.completions;
  if (c.series.empty() || c.first_ns > c.last_ns) {
    return "";
  }
  const std::int64_t first = c.first_ns;
  const std::int64_t last = c.last_ns;
  // Rates over a trailing window: completions in (t - W, t] / W, every W/5. Short bins make
  // a steady load zig-zag (a bin holds a few completions, so one more or less is +-30%); a
  // window of a second or a twelfth of the run holds enough to be steady.
  const double span_s = static_cast<double>(last - first) / 1e9;
  double window_s = std::max(1.0, span_s / 12.0);
  if (span_s < 2 * window_s) {
    window_s = std::max(span_s / 2.0, 1e-3);
  }
  const double step_s = window_s / 5.0;
  // Chart bin k holds the completions in ((k - 1) step, k step] since the first (a stored
  // bin goes by its middle, within half its width, at most a few thousandths of the run);
  // a window ending at e sums the bins whose upper edge lies in (e - W, e].
  struct Bins {
    std::vector<double> count;
    std::vector<double> tokens;
    double own_first = 0;  // seconds since the first completion
    double own_last = 0;
  };
  const auto bins_total = static_cast<std::size_t>(std::ceil(span_s / step_s)) + 2;
  const auto chart_bin = [&](std::int64_t key) {
    const double middle =
        std::clamp((static_cast<double>(key) + 0.5) * static_cast<double>(c.width_ns),
                   static_cast<double>(first), static_cast<double>(last));
    const double at = (middle - static_cast<double>(first)) / 1e9;
    return std::min(bins_total - 1, static_cast<std::size_t>(std::ceil(at / step_s - 1e-9)));
  };
  const auto seconds = [&](std::int64_t t) { return static_cast<double>(t - first) / 1e9; };
  std::map<std::string, Bins> done;  // label -> its bins
  Bins failures;
  failures.own_first = seconds(std::min(c.failed_first_ns, last));
  failures.own_last = seconds(std::max(c.failed_last_ns, first));
  for (const auto& [label, series] : c.series) {
    Bins b;
    b.count.assign(bins_total, 0);
    b.tokens.assign(bins_total, 0);
    for (const auto& [key, bin] : series.bins) {
      const std::size_t k = chart_bin(key);
      b.count[k] += bin.ok;
      b.tokens[k] += bin.tokens;
      if (bin.failed > 0) {
        if (failures.count.empty()) {
          failures.count.assign(bins_total, 0);
          failures.tokens.assign(bins_total, 0);
        }
        failures.count[k] += bin.failed;
      }
    }
    if (series.first_ns <= series.last_ns) {
      b.own_first = seconds(series.first_ns);
      b.own_last = seconds(series.last_ns);
      done.emplace(label, std::move(b));
    }
  }
  if (done.empty()) {
    return "";  // nothing succeeded: the errors table says it all
  }
  // Windows end at W, W + step, ... up to the last completion.
  const auto window_ends = [&] {
    std::vector<double> ends;
    for (double end = window_s; end <= span_s + 1e-9; end += step_s) {
      ends.push_back(end);
    }
    if (ends.empty()) {
      ends.push_back(span_s);
    }
    return ends;
  }();
  // Sums each trailing window's bins, over the windows that lie within the series' own span
  // (targets run one after another draw no line where they idle).
  const auto windowed = [&](const Bins& b, bool weight) {
    std::vector<svg::Point> points;
    for (const double end : window_ends) {
      if (window_ends.size() > 1 &&
          (end < b.own_first + window_s - 1e-9 || end > b.own_last + step_s + 1e-9)) {
        continue;
      }
      const double hi = end / step_s;
      const double lo = (end - window_s) / step_s;
      double sum = 0;
      for (std::size_t k = 0; k < b.count.size(); ++k) {
        const auto edge = static_cast<double>(k);
        if (edge > lo + 1e-6 && edge <= hi + 1e-6) {
          sum += weight ? b.tokens[k] : b.count[k];
        }
      }
      points.push_back({end, sum / window_s});
    }
    return points;
  };
  std::vector<svg::Series> series;
  std::vector<svg::Series> tokens;
  for (const auto& [name, bins] : done) {
    series.push_back({name + " (req/s)", windowed(bins, false), false});
    tokens.push_back({name + " (tokens/s)", windowed(bins, true), false});
  }
  if (!failures.count.empty()) {
    svg::Series errors{"errors (req/s)", {}, true};
    for (const auto& p : windowed(failures, false)) {
      if (p.y > 0) {
        errors.points.push_back(p);
      }
    }
    series.push_back(std::move(errors));
  }
  const std::string x_label = fmt::format(
      "seconds since the first completion (rates over a trailing {:.3g} s window)", window_s);
  std::string out = svg::line_chart("over-time", "Completed requests per second over the run",
                                    {x_label, false, false}, {"requests/s", false, false}, series);
  if (!tokens.empty()) {
    out += svg::line_chart("tokens-over-time", "Output tokens per second over the run",
                           {x_label, false, false}, {"output tokens/s", false, false}, tokens);
  }
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

std::string slug(std::string_view text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) != 0) {
      out += static_cast<char>(std::tolower(u));
    } else if (!out.empty() && out.back() != '-') {
      out += '-';
    }
  }
  while (!out.empty() && out.back() == '-') {
    out.pop_back();
  }
  return out.empty() ? "section" : out;
}

std::string heading(int level, const std::string& text) {
  return fmt::format("<h{0} id=\"{1}\">{2}</h{0}>\n", level, esc(slug(text)), esc(text));
}

// A table with its header row (or, for key/value tables, header cells down the first column).
std::string html_table(const sections::Table& t, std::string_view cls, bool key_value) {
  std::string out = fmt::format("<table class=\"{}\">", cls);
  if (!t.note.empty()) {
    out += fmt::format("<caption class=\"note\">{}</caption>", esc(t.note));
  }
  const bool has_header = std::any_of(t.header.begin(), t.header.end(),
                                      [](const std::string& h) { return !h.empty(); });
  if (has_header && key_value) {
    out += fmt::format("\n<thead><tr><th scope=\"col\" colspan=\"{}\">{}</th></tr></thead>",
                       t.header.size(), esc(t.header.front()));
  } else if (has_header) {
    out += "\n<thead><tr>";
    for (std::size_t i = 0; i < t.header.size(); ++i) {
      const bool num = i < t.numeric.size() && t.numeric[i];
      out +=
          fmt::format("<th scope=\"col\"{}>{}</th>", num ? " class=\"num\"" : "", esc(t.header[i]));
    }
    out += "</tr></thead>";
  }
  out += "\n<tbody>\n";
  for (std::size_t r = 0; r < t.rows.size(); ++r) {
    const bool strong = r < t.emphasis.size() && t.emphasis[r];
    out += strong ? "<tr class=\"fail\">" : "<tr>";
    for (std::size_t i = 0; i < t.rows[r].size(); ++i) {
      const bool num = i < t.numeric.size() && t.numeric[i];
      if (i == 0 && key_value) {
        out += fmt::format("<th scope=\"row\">{}</th>", esc(t.rows[r][i]));
      } else {
        out += fmt::format("<td{}>{}</td>", num ? " class=\"num\"" : "", esc(t.rows[r][i]));
      }
    }
    out += "</tr>\n";
  }
  return out + "</tbody></table>\n";
}

std::string html_section(const sections::Section& s) {
  std::string out = heading(s.level, s.heading);
  for (const auto& p : s.paragraphs) {
    out += fmt::format("<p>{}</p>\n", esc(p));
  }
  for (const auto& t : s.tables) {
    const bool key_value = t.header.size() == 2 && t.header[1].empty();
    out += html_table(t, key_value ? "figures" : "data", key_value);
  }
  return out;
}

// The charts, each under a heading only when it has something to draw: a run where every
// request failed shows no empty chart headings.
std::string charts(const RunReport& r) {
  std::string out;
  const std::string percentiles = percentile_chart(r, "ttft", "TTFT", "ttft-percentiles") +
                                  percentile_chart(r, "e2e", "E2E latency", "e2e-percentiles");
  if (!percentiles.empty()) {
    out += heading(2, "Latency percentiles") + percentiles;
  }
  std::string distributions;
  for (std::size_t i = 0; i < r.targets.size(); ++i) {
    distributions += histogram_chart(r.targets[i], "ttft", "TTFT", chart_id("ttft-histogram", i));
    distributions += histogram_chart(r.targets[i], "itl", "ITL", chart_id("itl-histogram", i));
  }
  if (!distributions.empty()) {
    out += heading(2, "Distributions") + distributions;
  }
  if (const std::string over_time = over_time_chart(r); !over_time.empty()) {
    out += heading(2, "Over time") + over_time;
  }
  return out + sweep_charts(r);
}

}  // namespace

std::string render_html(const RunReport& r) {
  std::string out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += fmt::format("<title>llmbench report: {}</title>\n", esc(r.run.suite_name));
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<style>";
  out += k_css;
  out += "</style>\n</head>\n<body>\n";
  out += fmt::format("<h1>llmbench report: {}</h1>\n", esc(r.run.suite_name));
  out += html_table(sections::context(r), "context", true);
  if (const auto note = r.replay_note(); !note.empty()) {
    out += fmt::format("<p class=\"note replayed\">{}.</p>\n", esc(note));
  }
  out += heading(2, "Summary") + html_table(sections::summary(r), "summary", false);
  const auto all = sections::all(r);
  // Failures and errors lead; then the charts; then each target's figures.
  std::size_t i = 0;
  for (; i < all.size(); ++i) {
    const auto& s = all[i];
    const bool leading =
        s.heading == "Failures" || s.heading == "Errors" ||
        (s.level == 3 && (s.heading.ends_with(" failures") || s.heading.ends_with(" errors")));
    if (!leading) {
      break;
    }
    out += html_section(s);
  }
  out += charts(r);
  for (; i < all.size(); ++i) {
    out += html_section(all[i]);
  }
  out += "</body>\n</html>\n";
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
  if (const auto verdicts = diff_verdicts(d, d.fail_on_regression); !verdicts.empty()) {
    out += "<h2 id=\"verdicts\">Verdicts</h2>\n<ul>\n";
    for (const auto& v : verdicts) {
      const bool red = v.failed && v.binding;
      for (const auto& m : v.messages) {
        out += fmt::format("<li{}><strong>{}</strong> {}{}: {}</li>\n",
                           red ? " class=\"regressed\"" : "",
                           !v.failed ? "pass" : (v.binding ? "FAIL" : "miss"), esc(v.kind),
                           v.kind == "gate" ? " <code>" + esc(v.name) + "</code>" : "", esc(m));
      }
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
        "</th><th scope=\"col\" class=\"num\">base</th><th scope=\"col\" class=\"num\">"
        "candidate</th><th scope=\"col\" class=\"num\">change</th><th scope=\"col\" "
        "class=\"num\">relative</th><th scope=\"col\" class=\"num\">p</th><th scope=\"col\">"
        "verdict</th></tr></thead><tbody>\n";
    for (const auto& cell : t.cells) {
      const char* cls = cell.verdict == Verdict::regressed  ? " class=\"regressed\""
                        : cell.verdict == Verdict::improved ? " class=\"improved\""
                                                            : "";
      out += fmt::format(
          "<tr{}><td>{}</td><td>{}</td><td class=\"num\">{} {}</td><td class=\"num\">{} {}</td>"
          "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
          "<td>{}</td></tr>\n",
          cls, cell.metric, cell.stat, cell_value(cell.base, cell.unit), esc(cell.unit),
          cell_value(cell.cand, cell.unit), esc(cell.unit), esc(cell_change(cell)),
          cell_relative(cell), esc(cell_p(cell)), to_string(cell.verdict));
    }
    out += "</tbody></table>\n";
  }
  out += "</body>\n</html>\n";
  return out;
}

}  // namespace llmbench::report
