#include "llmbench/metrics/prometheus.hpp"

#include <gtest/gtest.h>

#include "support/prometheus_text.hpp"

using namespace llmbench;
namespace lt = llmbench::testing;
using metrics::Prometheus;

TEST(Prometheus, RendersCountersGaugesAndHistogramsTheStrictParserAccepts) {
  Prometheus p;
  p.declare("litellm_proxy_total_requests_metric", Prometheus::Type::counter, "Requests",
            {"requested_model", "status_code"});
  p.declare("inflight", Prometheus::Type::gauge, "Now", {});
  p.declare("ttft_seconds", Prometheus::Type::histogram, "TTFT", {"model"}, {0.1, 1.0});
  p.add("litellm_proxy_total_requests_metric", {"fast", "200"});
  p.add("litellm_proxy_total_requests_metric", {"fast", "200"}, 2);
  p.add("litellm_proxy_total_requests_metric", {"we\"ird\\\nname", "404"});
  p.set("inflight", {}, 3);
  for (const double v : {0.05, 0.1, 0.5, 7.0}) {
    p.observe("ttft_seconds", {"fast"}, v);
  }
  const std::string text = p.render();
  const auto families = lt::parse_prometheus(text);
  EXPECT_EQ(families.at("litellm_proxy_total_requests_metric_total").type, "counter");
  EXPECT_EQ(
      lt::prom_sum(families, "litellm_proxy_total_requests_metric_total",
                   "litellm_proxy_total_requests_metric_total", {{"requested_model", "fast"}}),
      3);
  EXPECT_EQ(lt::prom_sum(families, "litellm_proxy_total_requests_metric_total",
                         "litellm_proxy_total_requests_metric_total",
                         {{"requested_model", "we\"ird\\\nname"}}),
            1);
  EXPECT_EQ(lt::prom_sum(families, "inflight", "inflight"), 3);
  EXPECT_EQ(lt::prom_sum(families, "ttft_seconds", "ttft_seconds_bucket", {{"le", "0.1"}}), 2);
  EXPECT_EQ(lt::prom_sum(families, "ttft_seconds", "ttft_seconds_bucket", {{"le", "+Inf"}}), 4);
  EXPECT_DOUBLE_EQ(lt::prom_sum(families, "ttft_seconds", "ttft_seconds_sum"), 7.65);
}

TEST(Prometheus, TheStrictParserRefusesWhatPrometheusWould) {
  EXPECT_THROW(lt::parse_prometheus("x 1\n"), std::runtime_error);  // no TYPE
  EXPECT_THROW(lt::parse_prometheus("# TYPE x counter\nx{a=\"1} 1\n"), std::runtime_error);
  EXPECT_THROW(lt::parse_prometheus("# TYPE x counter\nx{1a=\"1\"} 1\n"), std::runtime_error);
  EXPECT_THROW(lt::parse_prometheus("# TYPE x counter\nx one\n"), std::runtime_error);
  EXPECT_THROW(lt::parse_prometheus("# TYPE x counter\ny 1\n"), std::runtime_error);
  EXPECT_THROW(lt::parse_prometheus("# TYPE h histogram\nh_bucket{le=\"1\"} 2\n"
                                    "h_bucket{le=\"+Inf\"} 1\nh_count 1\n"),
               std::runtime_error);
  EXPECT_THROW(lt::parse_prometheus("# TYPE x counter\nx 1"), std::runtime_error);
  EXPECT_NO_THROW(lt::parse_prometheus("# HELP x a\n# TYPE x counter\nx{a=\"q\\\"\"} 1e3\n"));
}

TEST(Prometheus, RefusesNamesPrometheusWouldNot) {
  Prometheus p;
  EXPECT_THROW(p.declare("1bad", Prometheus::Type::gauge, "", {}), std::logic_error);
  EXPECT_THROW(p.declare("ok", Prometheus::Type::gauge, "", {"__reserved"}), std::logic_error);
  EXPECT_THROW(p.declare("h", Prometheus::Type::histogram, "", {"le"}, {1}), std::logic_error);
}
