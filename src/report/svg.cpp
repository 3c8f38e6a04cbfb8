#include "llmbench/report/svg.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>

#include "llmbench/util/xml.hpp"

namespace llmbench::report::svg {

namespace {

const auto esc = [](std::string_view s) { return util::xml_escape(s); };

constexpr double k_w = 720;
constexpr double k_h = 320;  // the plot and its axes; the legend rows go below
constexpr double k_left = 70;
constexpr double k_right = 24;
constexpr double k_top = 36;
constexpr double k_bottom = 52;
constexpr double k_legend_row = 18;
constexpr double k_char_w = 6.6;  // an 11px sans-serif character, generously

// Colour-blind-safe palette (Okabe-Ito) plus dash patterns and markers per series.
constexpr std::array<std::string_view, 6> k_colors = {"#0072B2", "#D55E00", "#009E73",
                                                      "#CC79A7", "#E69F00", "#56B4E9"};
constexpr std::array<std::string_view, 6> k_dashes = {"", "6 3", "2 3", "8 3 2 3", "1 2", "10 4"};

std::string num(double v) {
  const double a = std::abs(v);
  if (a >= 1000) {
    return fmt::format("{:.0f}", v);
  }
  if (a < 1e-12) {
    return "0";
  }
  return fmt::format("{:.3g}", v);
}

}  // namespace

std::vector<double> nice_ticks(double lo, double hi, int target) {
  if (!(hi > lo)) {
    hi = lo + 1;
  }
  const double raw = (hi - lo) / std::max(1, target);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  double step = magnitude * 10;
  for (const double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * magnitude >= raw) {
      step = m * magnitude;
      break;
    }
  }
  std::vector<double> ticks;
  const double first = std::floor(lo / step + 1e-9) * step;
  for (double v = first; v < hi + step - 1e-9 * step; v += step) {
    ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
    if (ticks.size() > 40) {
      break;
    }
  }
  return ticks;
}

namespace {

// Legend entries in rows under the plot, wrapped at the chart's width: every name is shown
// whole, inside the picture.
struct LegendLayout {
  std::vector<std::pair<double, double>> at;  // x, y of each entry's swatch
  double height = 0;
};
LegendLayout layout_legend(const std::vector<std::string>& names) {
  LegendLayout l;
  double x = k_left;
  double y = k_h + 4;
  for (const auto& name : names) {
    const double w = 30 + static_cast<double>(name.size()) * k_char_w + 18;
    if (x > k_left && x + w > k_w - 4) {
      x = k_left;
      y += k_legend_row;
    }
    l.at.emplace_back(x, y);
    x += w;
  }
  l.height = names.empty() ? 0 : y - k_h + k_legend_row;
  return l;
}

double tail_x(double p) {  // percentile -> log10(1 / (1 - p/100)), p < 100
  return std::log10(1.0 / std::max(1e-6, 1.0 - std::min(p, 99.9999) / 100.0));
}

struct Frame {
  double x0, x1, y0, y1;
  bool ylog;
  double px(double x) const {
    return k_left + (x1 > x0 ? (x - x0) / (x1 - x0) : 0.5) * (k_w - k_left - k_right);
  }
  double py(double y) const {
    const double v = ylog ? std::log10(std::max(y, 1e-9)) : y;
    const double lo = ylog ? std::log10(std::max(y0, 1e-9)) : y0;
    const double hi = ylog ? std::log10(std::max(y1, 1e-9)) : y1;
    return k_h - k_bottom - (hi > lo ? (v - lo) / (hi - lo) : 0.5) * (k_h - k_top - k_bottom);
  }
};

std::string open_svg(const std::string& id, const std::string& title, double extra_height = 0) {
  return fmt::format(
      "<svg id=\"{0}\" class=\"chart\" viewBox=\"0 0 {1} {2}\" "
      "role=\"img\" aria-labelledby=\"{0}-title\">\n<title id=\"{0}-title\">{3}</title>\n"
      "<text x=\"{4}\" y=\"20\" class=\"chart-title\">{3}</text>\n",
      id, k_w, k_h + extra_height, esc(title), k_left);
}

std::string axes(const Frame& f, const Axis& x, const Axis& y, bool x_tail) {
  std::string out;
  const double bx = k_h - k_bottom;
  out += fmt::format("<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", k_left, bx,
                     k_w - k_right, bx);
  out += fmt::format("<line class=\"axis\" x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\"/>\n", k_left,
                     k_top, k_left, bx);
  // x ticks
  if (x_tail) {
    for (const double p : {0.0, 50.0, 90.0, 99.0, 99.9}) {
      const double px = f.px(tail_x(p));
      out += fmt::format(
          "<line class=\"tick\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/><text "
          "class=\"tick-label\" "
          "x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">p{4}</text>\n",
          px, bx, bx + 5, bx + 18, num(p));
    }
  } else {
    for (const double v : nice_ticks(f.x0, f.x1, 5)) {
      if (v < f.x0 - 1e-9 || v > f.x1 + 1e-9) {
        continue;
      }
      const double px = f.px(v);
      out += fmt::format(
          "<line class=\"tick\" x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\"/><text "
          "class=\"tick-label\" "
          "x=\"{0}\" y=\"{3}\" text-anchor=\"middle\">{4}</text>\n",
          px, bx, bx + 5, bx + 18, num(v));
    }
  }
  // y ticks
  std::vector<double> yticks;
  if (f.ylog) {
    for (double v = std::pow(10.0, std::floor(std::log10(std::max(f.y0, 1e-9))));
         v <= f.y1 * 1.0001; v *= 10) {
      for (const double m : {1.0, 2.0, 5.0}) {
        if (m * v >= f.y0 * 0.9999 && m * v <= f.y1 * 1.0001) {
          yticks.push_back(m * v);
        }
      }
    }
  } else {
    yticks = nice_ticks(f.y0, f.y1, 5);
  }
  for (const double v : yticks) {
    if (v < f.y0 - 1e-9 || v > f.y1 + 1e-9 * std::max(1.0, std::abs(f.y1))) {
      continue;
    }
    const double py = f.py(v);
    out += fmt::format(
        "<line class=\"grid\" x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\"/><text "
        "class=\"tick-label\" "
        "x=\"{3}\" y=\"{4}\" text-anchor=\"end\">{5}</text>\n",
        k_left, py, k_w - k_right, k_left - 6, py + 4, num(v));
  }
  out +=
      fmt::format("<text class=\"axis-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\n",
                  (k_left + k_w - k_right) / 2, k_h - 10, esc(x.label));
  out += fmt::format(
      "<text class=\"axis-label\" transform=\"translate(16 {}) rotate(-90)\" "
      "text-anchor=\"middle\">{}</text>\n",
      (k_top + k_h - k_bottom) / 2, esc(y.label));
  return out;
}

}  // namespace

std::string line_chart(const std::string& id, const std::string& title, const Axis& x,
                       const Axis& y, const std::vector<Series>& series) {
  Frame f{0, 1, 0, 1, y.log};
  bool any = false;
  for (const auto& s : series) {
    for (const auto& p : s.points) {
      const double px = x.log_tail ? tail_x(p.x) : p.x;
      if (!any) {
        f = {px, px, p.y, p.y, y.log};
        any = true;
      }
      f.x0 = std::min(f.x0, px);
      f.x1 = std::max(f.x1, px);
      f.y0 = std::min(f.y0, p.y);
      f.y1 = std::max(f.y1, p.y);
    }
  }
  if (!y.log) {
    f.y0 = std::min(0.0, f.y0);
  }
  if (f.y1 <= f.y0) {
    f.y1 = f.y0 + 1;
  }
  if (!y.log) {  // the axis ends on round values
    const auto ticks = nice_ticks(f.y0, f.y1, 5);
    f.y0 = ticks.front();
    f.y1 = ticks.back();
  }
  if (x.log_tail) {
    f.x0 = 0;
    f.x1 = std::max(f.x1, tail_x(99.9));
  } else if (f.x1 > f.x0) {
    const auto ticks = nice_ticks(f.x0, f.x1, 5);
    f.x0 = ticks.front();
    f.x1 = ticks.back();
  }
  std::vector<std::string> names;
  for (const auto& s : series) {
    names.push_back(s.name);
  }
  const LegendLayout legend = layout_legend(names);
  std::string out = open_svg(id, title, legend.height);
  out += fmt::format("<desc>{} against {}; {} series</desc>\n", esc(y.label), esc(x.label),
                     series.size());
  out += axes(f, x, y, x.log_tail);
  for (std::size_t i = 0; i < series.size(); ++i) {
    const auto& s = series[i];
    const std::string_view color = k_colors[i % k_colors.size()];
    const std::string_view dash = k_dashes[i % k_dashes.size()];
    out += fmt::format("<g class=\"series\" data-series=\"{}\"><title>{}</title>\n", esc(s.name),
                       esc(s.name));
    if (s.markers_only) {
      for (const auto& p : s.points) {
        out += fmt::format(
            "<path class=\"marker\" d=\"M{} {}l5 -8l5 8z\" fill=\"{}\" stroke=\"#000\"/>\n",
            f.px(p.x) - 5, f.py(p.y) + 3, color);
      }
    } else {
      std::string pts;
      for (const auto& p : s.points) {
        pts += fmt::format("{:.1f},{:.1f} ", f.px(x.log_tail ? tail_x(p.x) : p.x), f.py(p.y));
      }
      out += fmt::format(
          "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" stroke-dasharray=\"{}\" "
          "points=\"{}\"/>\n",
          color, dash, pts);
    }
    out += "</g>\n";
    const auto [lx, ly] = legend.at[i];
    if (s.markers_only) {
      out += fmt::format(
          "<path d=\"M{} {}l5 -8l5 8z\" fill=\"{}\" stroke=\"#000\"/><text class=\"legend\" "
          "x=\"{}\" y=\"{}\">{}</text>\n",
          lx + 7, ly + 4, color, lx + 30, ly + 4, esc(s.name));
    } else {
      out += fmt::format(
          "<line x1=\"{0}\" y1=\"{1}\" x2=\"{2}\" y2=\"{1}\" stroke=\"{3}\" stroke-width=\"2\" "
          "stroke-dasharray=\"{4}\"/><text class=\"legend\" x=\"{5}\" y=\"{6}\">{7}</text>\n",
          lx, ly, lx + 24, color, dash, lx + 30, ly + 4, esc(s.name));
    }
  }
  out += "</svg>\n";
  return out;
}

std::string bar_chart(const std::string& id, const std::string& title, const Axis& x, const Axis& y,
                      const std::vector<Bar>& bars) {
  Frame f{0, 1, 0, 1, false};
  if (!bars.empty()) {
    f.x0 = bars.front().from;
    f.x1 = bars.back().to;
    for (const auto& b : bars) {
      f.y1 = std::max(f.y1, b.count);
    }
    f.y1 = nice_ticks(0, f.y1, 5).back();
  }
  std::string out = open_svg(id, title);
  out += fmt::format("<desc>{} by {}; {} bars</desc>\n", esc(y.label), esc(x.label), bars.size());
  out += axes(f, x, y, false);
  out += "<g class=\"series\" data-series=\"bars\">\n";
  for (const auto& b : bars) {
    const double x0 = f.px(b.from);
    const double x1 = std::max(x0 + 1, f.px(b.to) - 1);
    out += fmt::format(
        "<rect class=\"bar\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\"><title>{}"
        "..{}: {}</title></rect>\n",
        x0, f.py(b.count), x1 - x0, f.py(0) - f.py(b.count), num(b.from), num(b.to), num(b.count));
  }
  out += "</g>\n</svg>\n";
  return out;
}

}  // namespace llmbench::report::svg
