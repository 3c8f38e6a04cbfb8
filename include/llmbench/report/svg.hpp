#pragma once
// A small SVG writer for the HTML report's charts: line charts (optionally with a log-scaled
// "percentile tail" x axis) and bar charts. Output is plain SVG text: no scripts, no external
// references, titles and axis labels for screen readers, and series told apart by dash
// pattern and marker as well as colour, so charts read without colour and print well.

#include <string>
#include <vector>

namespace llmbench::report::svg {

struct Point {
  double x = 0;
  double y = 0;
};

struct Series {
  std::string name;
  std::vector<Point> points;
  bool markers_only = false;  // a scatter (e.g. errors over time) instead of a line
};

struct Axis {
  std::string label;      // with its unit, e.g. "TTFT (ms)"
  bool log_tail = false;  // x: percentiles on a 1/(1-p) log scale (p in 0..100)
  bool log = false;       // y: log10 scale
};

// Round tick values ("nice numbers": 1, 2, 2.5 or 5 times a power of ten) covering [lo, hi],
// about `target` steps; the first is <= lo and the last >= hi.
std::vector<double> nice_ticks(double lo, double hi, int target);

// Legends go in rows under the plot, inside the picture, whatever the names' length.
std::string line_chart(const std::string& id, const std::string& title, const Axis& x,
                       const Axis& y, const std::vector<Series>& series);

struct Bar {
  double from = 0;
  double to = 0;
  double count = 0;
};
std::string bar_chart(const std::string& id, const std::string& title, const Axis& x, const Axis& y,
                      const std::vector<Bar>& bars);

}  // namespace llmbench::report::svg
