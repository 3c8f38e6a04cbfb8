#include "llmbench/load/aggregator.hpp"

#include <cmath>

#include "llmbench/metrics/hdr_codec.hpp"

namespace llmbench::load {

const std::vector<MetricInfo>& metric_infos() {
  static const std::vector<MetricInfo> all = {
      {"ttft", "ns"},
      {"e2e", "ns"},
      {"itl", "ns"},
      {"tpot", "ns"},
      {"tps", "tps_milli"},
      {"queue_delay", "ns"},
      {"ttft_from_schedule", "ns"},
      {"e2e_from_schedule", "ns"},
      {"input_tokens", "tokens"},
      {"output_tokens", "tokens"},
      {"cost", "usd_nano"},
      // Only non-streaming answers: all they have in place of a TTFT (docs/metrics.md).
      {"ttfb", "ns"},
      // The server's own figures and what is left of the client's once they are taken out.
      {"server_queue", "ns"},
      {"server_prompt", "ns"},
      {"server_tpot", "ns"},
      {"server_processing", "ns"},
      {"overhead_ttft", "ns"},
      {"overhead_e2e", "ns"},
  };
  return all;
}

metrics::HdrHistogram& Aggregator::hist(Cell& cell, std::string_view metric) {
  auto it = cell.histograms.find(metric);
  if (it == cell.histograms.end()) {
    const bool latency = metric != "input_tokens" && metric != "output_tokens" &&
                         metric != "cost" && metric != "tps";
    it = cell.histograms
             .emplace(std::string(metric), latency ? metrics::HdrHistogram::for_latency_ns()
                                                   : metrics::HdrHistogram::for_counts())
             .first;
  }
  return it->second;
}

void Aggregator::record(const store::RequestRow& row,
                        std::span<const std::int64_t> content_times_ns) {
  if (row.warmup) {
    return;
  }
  Cell& cell = m_cells[Key{row.target, row.phase}];
  if (row.error_class) {
    ++cell.failed;
    return;
  }
  ++cell.ok;
  const std::int64_t send = row.t_send_ns.value_or(0);
  const std::int64_t done = row.t_done_ns.value_or(send);
  hist(cell, "e2e").record(done - send);
  if (row.t_first_token_ns) {
    const std::int64_t ttft = *row.t_first_token_ns - send;
    hist(cell, "ttft").record(ttft);
    const std::int64_t out = row.output_tokens.value_or(row.content_events);
    if (out >= 2) {
      hist(cell, "tpot").record((done - *row.t_first_token_ns) / (out - 1));
    }
    if (out >= 1 && done > *row.t_first_token_ns) {
      const double tps =
          static_cast<double>(out) / (static_cast<double>(done - *row.t_first_token_ns) / 1e9);
      hist(cell, "tps").record(std::llround(tps * 1000.0));
    }
    if (row.t_sched_ns) {
      hist(cell, "ttft_from_schedule").record(*row.t_first_token_ns - *row.t_sched_ns);
    }
  }
  if (!row.streamed && row.t_first_byte_ns) {
    hist(cell, "ttfb").record(*row.t_first_byte_ns - send);
  }
  record_server(cell, row, done - send);
  for (std::size_t i = 1; i < content_times_ns.size(); ++i) {
    hist(cell, "itl").record(content_times_ns[i] - content_times_ns[i - 1]);
  }
  if (row.t_sched_ns) {
    hist(cell, "queue_delay").record(send - *row.t_sched_ns);
    hist(cell, "e2e_from_schedule").record(done - *row.t_sched_ns);
  }
  if (row.input_tokens) {
    hist(cell, "input_tokens").record(*row.input_tokens);
  }
  hist(cell, "output_tokens").record(row.output_tokens.value_or(row.content_events));
  if (row.cost_usd) {
    hist(cell, "cost").record(std::llround(*row.cost_usd * 1e9));
  }
}

void Aggregator::record_server(Cell& cell, const store::RequestRow& row, std::int64_t e2e) {
  if (!row.server_source) {
    return;
  }
  if (row.server_queue_ns) {
    hist(cell, "server_queue").record(*row.server_queue_ns);
  }
  if (row.server_prompt_ns) {
    hist(cell, "server_prompt").record(*row.server_prompt_ns);
  }
  if (row.server_decode_ns && row.server_decode_tokens && *row.server_decode_tokens >= 2) {
    hist(cell, "server_tpot").record(*row.server_decode_ns / (*row.server_decode_tokens - 1));
  }
  if (row.server_processing_ns) {
    hist(cell, "server_processing").record(*row.server_processing_ns);
  }
  if (row.clock_error) {
    return;  // a figure the two clocks disagree on is counted as such, not as an overhead
  }
  if (row.server_prompt_ns && row.t_first_token_ns && row.t_send_ns) {
    hist(cell, "overhead_ttft")
        .record(*row.t_first_token_ns - *row.t_send_ns - *row.server_prompt_ns);
  }
  if (row.server_prompt_ns && row.server_decode_ns) {
    hist(cell, "overhead_e2e").record(e2e - *row.server_prompt_ns - *row.server_decode_ns);
  }
}

const metrics::HdrHistogram* Aggregator::histogram(const std::string& target,
                                                   const std::string& phase,
                                                   std::string_view metric) const {
  const auto cell = m_cells.find(Key{target, phase});
  if (cell == m_cells.end()) {
    return nullptr;
  }
  const auto h = cell->second.histograms.find(metric);
  return h == cell->second.histograms.end() ? nullptr : &h->second;
}

std::vector<store::HistogramRow> Aggregator::rows(const std::string& run_id) const {
  std::vector<store::HistogramRow> out;
  for (const auto& [key, cell] : m_cells) {
    for (const auto& info : metric_infos()) {
      const auto it = cell.histograms.find(info.name);
      if (it == cell.histograms.end() || it->second.count() == 0) {
        continue;
      }
      const metrics::HdrHistogram& h = it->second;
      store::HistogramRow row;
      row.run_id = run_id;
      row.target = key.target;
      row.phase = key.phase;
      row.metric = std::string(info.name);
      row.unit = std::string(info.unit);
      row.encoded = metrics::encode_base64(h);
      row.count = h.count();
      row.min = static_cast<double>(h.min());
      row.mean = h.mean();
      row.p50 = static_cast<double>(h.value_at_percentile(50));
      row.p90 = static_cast<double>(h.value_at_percentile(90));
      row.p95 = static_cast<double>(h.value_at_percentile(95));
      row.p99 = static_cast<double>(h.value_at_percentile(99));
      row.max = static_cast<double>(h.max());
      out.push_back(std::move(row));
    }
  }
  return out;
}

}  // namespace llmbench::load
