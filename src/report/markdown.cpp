#include <fmt/format.h>

#include <algorithm>

#include "llmbench/report/verdicts.hpp"
#include "llmbench/report/writers.hpp"
#include "llmbench/util/strings.hpp"
#include "llmbench/util/time.hpp"

namespace llmbench::report {

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

std::string money(double usd) {
  return usd >= 1 ? fmt::format("${:.2f}", usd) : fmt::format("${:.6f}", usd);
}

// A table cell's text: no pipes or line breaks.
std::string cell(std::string text, std::size_t width = 160) {
  std::string out;
  for (const char c : text) {
    if (c == '|') {
      out += "\\|";
    } else {
      out += (c == '\n' || c == '\r') ? ' ' : c;
    }
  }
  if (out.size() > width) {
    out = out.substr(0, width) + "...";
  }
  return out;
}

std::string slo_value(const SloCheck& s, std::optional<double> v) {
  if (!v) {
    return "not measured";
  }
  return s.metric == "errors" ? fmt::format("{:.2f}%", *v * 100.0) : fmt::format("{:.1f} ms", *v);
}

std::string error_table(const TargetReport& t) {
  if (t.error_details.empty()) {
    return "";
  }
  std::string out =
      "\n| error class | HTTP | requests | first message | check |\n"
      "| --- | ---: | ---: | --- | --- |\n";
  for (const auto& d : t.error_details) {
    out += fmt::format("| {} | {} | {} | {} | {} |\n", d.error_class,
                       d.status ? std::to_string(*d.status) : "-", d.count, cell(d.first_message),
                       cell(error_hint(d.error_class, d.status, d.first_message)));
  }
  return out + "\nFailed requests by class, warmup included; the first message of each.\n";
}

// Leads the report when the run failed: which targets measured nothing, and why.
std::string failure_section(const RunReport& r) {
  if (r.dead_targets.empty()) {
    return "";
  }
  std::string out = "\n## Failures\n\n";
  out += fmt::format("**No successful request** from {}: {} nothing there.\n",
                     util::join(r.dead_targets, ", "),
                     r.run.status == "failed" ? "the run failed, it measured" : "it measured");
  for (const auto& t : r.targets) {
    if (std::find(r.dead_targets.begin(), r.dead_targets.end(), t.target) == r.dead_targets.end()) {
      continue;
    }
    out += fmt::format("\n### {} failures\n", t.label());
    out += error_table(t);
  }
  return out;
}

}  // namespace

std::string render_step_summary(const RunReport& r) {
  std::string out =
      fmt::format("### llmbench run `{}` {} ({})\n\n", r.run.id, r.run.status, r.run.suite_name);
  out +=
      "| target | requests | errors | ttft p50 | ttft p95 | ttft p99 | e2e p50 | e2e p95 | "
      "tok/s | req/s | cost |\n";
  out += "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& t : r.targets) {
    out += fmt::format(
        "| {} | {} | {} | {} | {} | {} | {} | {} | {:.0f} | {:.1f} | {} |\n", cell(t.label()),
        t.requests, t.errors, ms_cell(t, "ttft", &MetricSummary::p50),
        ms_cell(t, "ttft", &MetricSummary::p95), ms_cell(t, "ttft", &MetricSummary::p99),
        ms_cell(t, "e2e", &MetricSummary::p50), ms_cell(t, "e2e", &MetricSummary::p95),
        t.output_tokens_per_s, t.requests_per_s, t.cost_usd ? money(*t.cost_usd) : "unknown");
  }
  out += "\nLatencies in ms.\n";
  if (const auto note = r.replay_note(); !note.empty()) {
    out += fmt::format("\n> {}.\n", note);
  }
  out += failure_section(r);
  if (const auto slo = slo_verdicts(r); !slo.empty()) {
    out += "\n" + render_verdicts_markdown(slo);
  }
  return out + "\n";
}

std::string render_markdown(const RunReport& r) {
  const auto& run = r.run;
  std::string out = fmt::format("# llmbench report: {}\n\n", run.suite_name);
  out += "| | |\n| --- | --- |\n";
  out += fmt::format("| run | `{}` |\n", run.id);
  out += fmt::format("| suite | {} (`{}`, sha256 `{}`) |\n", run.suite_name, run.suite_path,
                     run.suite_hash.substr(0, 12));
  out += fmt::format("| status | {} |\n", run.status);
  out += fmt::format("| started | {} |\n", util::iso8601_utc_ms(run.started_at_ms));
  if (run.ended_at_ms) {
    out += fmt::format("| duration | {:.1f} s |\n",
                       static_cast<double>(*run.ended_at_ms - run.started_at_ms) / 1000.0);
  }
  out += fmt::format("| host | {} |\n", run.host);
  out += fmt::format("| llmbench | {} |\n", run.llmbench_version);
  if (run.git_commit) {
    out += fmt::format("| commit | `{}` |\n", *run.git_commit);
  }
  out += fmt::format("| tags | `{}` |\n", run.tags_json);
  if (const auto note = r.replay_note(); !note.empty()) {
    out += fmt::format("\n> {}.\n", note);
  }
  out += failure_section(r);
  for (const auto& t : r.targets) {
    out += fmt::format("\n## {}\n\n", t.phase.empty() ? t.target : t.target + " · " + t.phase);
    out += fmt::format("{} / {}. {} requests measured, {} errors ({:.2f}%)", t.provider, t.model,
                       t.requests, t.errors, 100.0 * t.error_rate());
    if (t.warmup > 0) {
      out += fmt::format("; {} warmup requests sent but not measured", t.warmup);
    }
    if (t.replayed > 0) {
      out += fmt::format("; {} replayed from the response cache", t.replayed);
    }
    out += ".\n\n";
    out += "| metric (ms) | p50 | p90 | p95 | p99 | max | mean | n |\n";
    out += "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n";
    for (const auto& row : k_latency_rows) {
      const MetricSummary* m = t.metric(row.metric);
      if (m == nullptr) {
        continue;
      }
      out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} |\n", row.label,
                         format_ms(m->p50), format_ms(m->p90), format_ms(m->p95), format_ms(m->p99),
                         format_ms(m->max), format_ms(m->mean), m->count);
    }
    out += "\n| throughput and cost | |\n| --- | ---: |\n";
    out += fmt::format("| requests/s | {:.2f} |\n", t.requests_per_s);
    out += fmt::format("| output tokens/s | {:.1f} |\n", t.output_tokens_per_s);
    if (const MetricSummary* tps = t.metric("tps")) {
      out += fmt::format("| mean tokens/s per request | {:.1f} |\n", tps->mean / 1000.0);
    }
    if (t.goodput_requests) {
      out += fmt::format("| goodput (requests/s meeting every latency SLO) | {:.2f} ({} of {}) |\n",
                         t.goodput_per_s, *t.goodput_requests, t.requests);
    }
    if (t.cost_usd) {
      const double per_1k =
          t.requests > 0 ? *t.cost_usd * 1000.0 / static_cast<double>(t.requests) : 0.0;
      out += fmt::format("| cost | {} total, {} per 1,000 requests{} |\n", money(*t.cost_usd),
                         money(per_1k), t.cost_partial ? " (partial: some prices unknown)" : "");
    } else {
      out += "| cost | unknown (no price for this model) |\n";
    }
    out += fmt::format("| tokens in / out | {} / {} |\n", t.input_tokens, t.output_tokens);
    out += fmt::format("| token counts | {} from server usage, {} estimated from events |\n",
                       t.tokens_from_usage, t.tokens_estimated);
    out += error_table(t);
    if (!t.slo.empty()) {
      out +=
          "\n| SLO | metric | statistic | value | limit | result |\n"
          "| --- | --- | --- | ---: | ---: | --- |\n";
      for (const auto& s : t.slo) {
        out += fmt::format(
            "| {} | {} | {} | {} | {} | {} |\n", s.key, s.metric, s.stat, slo_value(s, s.actual),
            slo_value(s, s.limit),
            s.pass ? "pass" : (r.slo_enforced ? "**FAIL**" : "**miss** (not enforced)"));
      }
    }
  }
  out +=
      "\n## How measured\n\n"
      "Times are taken by one steady clock in the callback that receives the bytes. TTFT runs "
      "from the send to the first event carrying output (text, reasoning or tool arguments); "
      "ITL is each gap between content events after the first; TPOT is (E2E - TTFT) / "
      "(output tokens - 1). Open-loop loads also report latency from the *scheduled* send, so "
      "queueing in the client is visible. Failed requests are counted as errors and never "
      "enter a latency figure; warmup requests are stored but not measured. Token counts come "
      "from the server's usage numbers where it sends them, otherwise from content events "
      "(flagged as estimated). Percentiles come from HDR histograms (3 significant digits). "
      "Definitions: docs/metrics.md in the llmbench sources.\n";
  return out;
}

}  // namespace llmbench::report
