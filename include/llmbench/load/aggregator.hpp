#pragma once
// The run's in-memory sink: one HDR histogram per target x phase x metric (constant memory
// however many requests), fed with each finished request, turned into stored histogram rows
// at the end. Warmup requests and failed requests never enter a latency histogram.
//
// Metrics and units (docs/metrics.md has the definitions):
//   ttft, e2e, itl, tpot, queue_delay, ttft_from_schedule, e2e_from_schedule   ns
//   ttfb (non-streaming answers only)                          ns
//   server_queue, server_prompt, server_tpot, server_processing,
//   overhead_ttft, overhead_e2e (where the server reports its time)  ns
//   tps                                                        tokens/s x 1000 (milli)
//   input_tokens, output_tokens                                tokens
//   cost                                                       USD x 1e9 (nano-dollars)

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "llmbench/metrics/hdr_histogram.hpp"
#include "llmbench/store/records.hpp"

namespace llmbench::load {

struct MetricInfo {
  std::string_view name;
  std::string_view unit;  // ns | tps_milli | tokens | usd_nano
};
// Every metric the aggregator keeps, in report order.
const std::vector<MetricInfo>& metric_infos();

class Aggregator {
 public:
  // Records one finished attempt. `content_times_ns` are its content events' arrivals.
  void record(const store::RequestRow& row, std::span<const std::int64_t> content_times_ns);

  struct Key {
    std::string target;
    std::string phase;
    auto operator<=>(const Key&) const = default;
  };
  struct Cell {
    std::map<std::string, metrics::HdrHistogram, std::less<>> histograms;
    std::int64_t ok = 0;
    std::int64_t failed = 0;
  };
  const std::map<Key, Cell>& cells() const { return m_cells; }
  const metrics::HdrHistogram* histogram(const std::string& target, const std::string& phase,
                                         std::string_view metric) const;

  // One stored row per non-empty histogram.
  std::vector<store::HistogramRow> rows(const std::string& run_id) const;

 private:
  metrics::HdrHistogram& hist(Cell& cell, std::string_view metric);
  // The server's own figures of a successful row, and the client's overhead beyond them.
  void record_server(Cell& cell, const store::RequestRow& row, std::int64_t e2e);
  std::map<Key, Cell> m_cells;
};

}  // namespace llmbench::load
