#include <fmt/format.h>

#include "llmbench/report/writers.hpp"
#include "llmbench/util/time.hpp"

namespace llmbench::report {

// The HdrHistogram log format (v1.3), one interval covering the whole measured window.
// Interval_Max is in the conventional units of the log readers: value / 1e6 (ms for ns).
std::string render_hlog(const RunReport& report, const TargetReport& target,
                        const MetricSummary& metric) {
  const double start_s = static_cast<double>(report.run.started_at_ms) / 1000.0;
  std::string out = "#[Histogram log format version 1.3]\n";
  out += fmt::format("#[StartTime: {:.3f} (seconds since epoch), {}]\n", start_s,
                     util::iso8601_utc_ms(report.run.started_at_ms));
  out += fmt::format("#[llmbench run {} target {}{} metric {} unit {}]\n", report.run.id,
                     target.target, target.phase.empty() ? "" : " phase " + target.phase,
                     metric.metric, metric.unit);
  out +=
      "\"StartTimestamp\",\"Interval_Length\",\"Interval_Max\",\"Interval_Compressed_Histogram\"\n";
  out += fmt::format("0.000,{:.3f},{:.3f},{}\n", target.wall_s, metric.max / 1e6, metric.encoded);
  return out;
}

}  // namespace llmbench::report
