#pragma once
// Metrics in the Prometheus text exposition format (version 0.0.4): counters, gauges and
// histograms with labels, kept in memory and rendered on each scrape. Thread-safe. Families
// appear in the order they were declared; series of a family in the order of their labels.
//
// Counter names carry their `_total` suffix in every line, as Python's prometheus_client
// writes them (so `litellm_proxy_total_requests_metric` is scraped as
// `litellm_proxy_total_requests_metric_total`, the name dashboards built for LiteLLM query).

#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace llmbench::metrics {

class Prometheus {
 public:
  using Labels = std::vector<std::pair<std::string, std::string>>;
  enum class Type { counter, gauge, histogram };

  // Declares a family (before any sample of it). `buckets` (upper bounds, ascending) for a
  // histogram only. Throws std::logic_error for a name or label name Prometheus refuses.
  void declare(std::string name, Type type, std::string help, std::vector<std::string> label_names,
               std::vector<double> buckets = {});

  // `values` in the order of the family's label names.
  void add(std::string_view name, const std::vector<std::string>& values, double amount = 1);
  void set(std::string_view name, const std::vector<std::string>& values, double value);
  void observe(std::string_view name, const std::vector<std::string>& values, double value);

  std::string render() const;

  // LiteLLM's latency buckets (seconds), for the histograms that share its names.
  static const std::vector<double>& latency_buckets();
  static const std::vector<double>& token_buckets();

 private:
  struct Series {
    double value = 0;            // counter or gauge
    std::vector<double> counts;  // histogram: per bucket (not cumulative)
    double sum = 0;
    double count = 0;
  };
  struct Family {
    std::string name;
    Type type;
    std::string help;
    std::vector<std::string> label_names;
    std::vector<double> buckets;
    std::map<std::vector<std::string>, Series> series;
  };
  Family& family(std::string_view name, std::size_t values);

  mutable std::mutex m_mu;
  std::vector<Family> m_families;
};

// A label value or HELP text escaped for the text format.
std::string prometheus_escape(std::string_view text, bool label_value);

}  // namespace llmbench::metrics
