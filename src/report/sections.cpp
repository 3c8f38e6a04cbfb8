#include "sections.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "llmbench/util/time.hpp"

namespace llmbench::report::sections {

namespace {

struct LatencyRow {
  std::string_view metric;
  std::string_view label;
};
constexpr LatencyRow k_latency_rows[] = {
    {"ttft", "TTFT"},
    {"e2e", "E2E latency"},
    {"itl", "ITL"},
    {"tpot", "TPOT"},
    {"queue_delay", "queue delay"},
    {"ttft_from_schedule", "TTFT from schedule"},
    {"e2e_from_schedule", "E2E from schedule"},
};

std::string slo_value(const SloCheck& s, std::optional<double> v) {
  if (!v) {
    return "not measured";
  }
  return s.metric == "errors" ? fmt::format("{:.2f}%", *v * 100.0) : fmt::format("{:.1f} ms", *v);
}

Table error_table(const TargetReport& t) {
  Table table;
  table.header = {"error class", "HTTP", "requests", "first message", "check"};
  table.numeric = {false, true, true, false, false};
  for (const auto& d : t.error_details) {
    table.rows.push_back({d.error_class, d.status ? std::to_string(*d.status) : "-",
                          std::to_string(d.count), d.first_message,
                          error_hint(d.error_class, d.status, d.first_message)});
    table.emphasis.push_back(false);
  }
  table.note = "Failed requests by class, warmup included; the first message of each.";
  return table;
}

bool is_dead(const RunReport& r, const TargetReport& t) {
  return std::find(r.dead_targets.begin(), r.dead_targets.end(), t.target) != r.dead_targets.end();
}

Section target_section(const RunReport& r, const TargetReport& t) {
  Section s;
  s.heading = t.phase.empty() ? t.target : t.target + " · " + t.phase;
  std::string sentence =
      fmt::format("{} / {}. {} requests measured, {} errors ({:.2f}%)", t.provider, t.model,
                  t.requests, t.errors, 100.0 * t.error_rate());
  if (t.warmup > 0) {
    sentence += fmt::format("; {} warmup requests sent but not measured", t.warmup);
  }
  if (t.replayed > 0) {
    sentence += fmt::format("; {} replayed from the response cache", t.replayed);
  }
  s.paragraphs.push_back(sentence + ".");

  Table latency;
  latency.header = {"metric (ms)", "p50", "p90", "p95", "p99", "max", "mean", "n"};
  latency.numeric = {false, true, true, true, true, true, true, true};
  for (const auto& row : k_latency_rows) {
    const MetricSummary* m = t.metric(row.metric);
    if (m == nullptr) {
      continue;
    }
    latency.rows.push_back({std::string(row.label), format_ms(m->p50), format_ms(m->p90),
                            format_ms(m->p95), format_ms(m->p99), format_ms(m->max),
                            format_ms(m->mean), std::to_string(m->count)});
    latency.emphasis.push_back(false);
  }
  if (latency.rows.empty()) {
    s.paragraphs.push_back(
        "No latency figures: no request of this target succeeded (failed requests never enter "
        "a latency figure).");
  } else {
    s.tables.push_back(std::move(latency));
  }

  Table money_table;
  money_table.header = {"throughput and cost", ""};
  money_table.numeric = {false, true};
  const auto add = [&](std::string k, std::string v) {
    money_table.rows.push_back({std::move(k), std::move(v)});
    money_table.emphasis.push_back(false);
  };
  add("requests/s", fmt::format("{:.2f}", t.requests_per_s));
  add("output tokens/s", fmt::format("{:.1f}", t.output_tokens_per_s));
  if (const MetricSummary* tps = t.metric("tps")) {
    add("mean tokens/s per request", fmt::format("{:.1f}", tps->mean / 1000.0));
  }
  if (t.goodput_requests) {
    add("goodput (requests/s meeting every latency SLO)",
        fmt::format("{:.2f} ({} of {})", t.goodput_per_s, *t.goodput_requests, t.requests));
  }
  if (t.cost_usd) {
    const double per_1k =
        t.requests > 0 ? *t.cost_usd * 1000.0 / static_cast<double>(t.requests) : 0.0;
    add("cost", fmt::format("{} total, {} per 1,000 requests{}", money(*t.cost_usd), money(per_1k),
                            t.cost_partial ? " (partial: some prices unknown)" : ""));
  } else {
    add("cost", "unknown (no price for this model)");
  }
  add("tokens in / out", fmt::format("{} / {}", t.input_tokens, t.output_tokens));
  add("token counts", fmt::format("{} from server usage, {} estimated from events",
                                  t.tokens_from_usage, t.tokens_estimated));
  s.tables.push_back(std::move(money_table));

  if (!t.error_details.empty() && !is_dead(r, t) && !errors_dominate(r)) {
    s.tables.push_back(error_table(t));  // otherwise the Failures or Errors section has it
  }
  if (!t.slo.empty()) {
    Table slo;
    slo.header = {"SLO", "metric", "statistic", "value", "limit", "result"};
    slo.numeric = {false, false, false, true, true, false};
    for (const auto& c : t.slo) {
      slo.rows.push_back({c.key, c.metric, c.stat, slo_value(c, c.actual), slo_value(c, c.limit),
                          c.pass ? "pass" : (r.slo_enforced ? "FAIL" : "miss (not enforced)")});
      slo.emphasis.push_back(!c.pass);
    }
    s.tables.push_back(std::move(slo));
  }
  return s;
}

}  // namespace

std::string money(double usd) {
  return usd >= 1 ? fmt::format("${:.2f}", usd) : fmt::format("${:.6f}", usd);
}

bool errors_dominate(const RunReport& r) {
  std::int64_t ok = 0;
  std::int64_t failed = 0;
  for (const auto& t : r.targets) {
    ok += t.ok;
    failed += t.errors;
  }
  return failed > 0 && failed >= ok;
}

Table context(const RunReport& r) {
  const auto& run = r.run;
  Table t;
  t.header = {"", ""};
  t.numeric = {false, false};
  const auto add = [&](std::string k, std::string v) {
    t.rows.push_back({std::move(k), std::move(v)});
    t.emphasis.push_back(false);
  };
  add("run", run.id);
  add("suite", fmt::format("{} ({}, sha256 {})", run.suite_name, run.suite_path,
                           run.suite_hash.substr(0, 12)));
  add("status", run.status);
  t.emphasis.back() = run.status == "failed";
  add("started", util::iso8601_utc_ms(run.started_at_ms));
  if (run.ended_at_ms) {
    add("duration",
        fmt::format("{:.1f} s",
                    static_cast<double>(*run.ended_at_ms - run.started_at_ms) / 1000.0));
  }
  add("host", run.host);
  add("llmbench", run.llmbench_version);
  if (run.git_commit) {
    add("commit", *run.git_commit);
  }
  add("tags", run.tags_json);
  return t;
}

Table summary(const RunReport& r) {
  Table table;
  table.header = {"target", "requests", "errors", "TTFT p50", "p95",   "p99", "E2E p50",
                  "p95",    "ITL p50",  "p99",    "tok/s",    "req/s", "cost"};
  table.numeric = {false, true, true, true, true, true, true, true, true, true, true, true, true};
  for (const auto& t : r.targets) {
    table.rows.push_back(
        {t.label(), std::to_string(t.requests), std::to_string(t.errors),
         ms_cell(t, "ttft", &MetricSummary::p50), ms_cell(t, "ttft", &MetricSummary::p95),
         ms_cell(t, "ttft", &MetricSummary::p99), ms_cell(t, "e2e", &MetricSummary::p50),
         ms_cell(t, "e2e", &MetricSummary::p95), ms_cell(t, "itl", &MetricSummary::p50),
         ms_cell(t, "itl", &MetricSummary::p99), fmt::format("{:.0f}", t.output_tokens_per_s),
         fmt::format("{:.1f}", t.requests_per_s),
         t.cost_usd ? fmt::format("${:.4f}", *t.cost_usd) : "unknown"});
    table.emphasis.push_back(is_dead(r, t));
  }
  table.note = "Latencies in milliseconds; tok/s: output tokens per second.";
  return table;
}

std::vector<Section> all(const RunReport& r) {
  std::vector<Section> out;
  if (!r.dead_targets.empty()) {
    Section f;
    f.heading = "Failures";
    std::string names;
    for (const auto& n : r.dead_targets) {
      names += (names.empty() ? "" : ", ") + n;
    }
    f.paragraphs.push_back(
        fmt::format("No successful request from {}: {} nothing there.", names,
                    r.run.status == "failed" ? "the run failed, it measured" : "it measured"));
    out.push_back(std::move(f));
    for (const auto& t : r.targets) {
      if (is_dead(r, t) && !t.error_details.empty()) {
        Section d;
        d.heading = t.label() + " failures";
        d.level = 3;
        d.tables.push_back(error_table(t));
        out.push_back(std::move(d));
      }
    }
  }
  if (errors_dominate(r)) {
    bool any = false;
    Section e;
    e.heading = "Errors";
    e.paragraphs.push_back("Most requests of this run failed; the errors come first.");
    out.push_back(std::move(e));
    for (const auto& t : r.targets) {
      if (!is_dead(r, t) && !t.error_details.empty()) {
        Section d;
        d.heading = t.label() + " errors";
        d.level = 3;
        d.tables.push_back(error_table(t));
        out.push_back(std::move(d));
        any = true;
      }
    }
    if (!any) {
      out.pop_back();  // every failing target is in Failures already
    }
  }
  for (const auto& t : r.targets) {
    out.push_back(target_section(r, t));
  }
  Section how;
  how.heading = "How measured";
  how.paragraphs.push_back(
      "Times are taken by one steady clock in the callback that receives the bytes. TTFT runs "
      "from the send to the first event carrying output (text, reasoning or tool arguments); "
      "ITL is each gap between content events after the first; TPOT is (E2E - TTFT) / "
      "(output tokens - 1). Open-loop loads also report latency from the *scheduled* send, so "
      "queueing in the client is visible. Failed requests are counted as errors and never "
      "enter a latency figure; warmup requests are stored but not measured. Token counts come "
      "from the server's usage numbers where it sends them, otherwise from content events "
      "(flagged as estimated). Percentiles come from HDR histograms (3 significant digits). "
      "Definitions: docs/metrics.md in the llmbench sources.");
  out.push_back(std::move(how));
  return out;
}

}  // namespace llmbench::report::sections
