#include "sections.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

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

constexpr std::string_view k_not_streamed = "not measured (non-streaming)";

// The server's own figures and the client's overhead beyond them (docs/metrics.md).
constexpr LatencyRow k_server_rows[] = {
    {"server_queue", "server queue"},
    {"server_prompt", "server prompt time"},
    {"server_tpot", "server decode per token"},
    {"server_processing", "server processing"},
    {"overhead_ttft", "overhead: TTFT - server prompt"},
    {"overhead_e2e", "overhead: E2E - server prompt - decode"},
};

std::vector<std::string> latency_cells(std::string label, const MetricSummary& m) {
  return {std::move(label), format_ms(m.p50), format_ms(m.p90),  format_ms(m.p95),
          format_ms(m.p99), format_ms(m.max), format_ms(m.mean), std::to_string(m.count)};
}

// A TTFT, ITL or TPOT with no figure because every answer was one JSON body.
bool needs_stream(std::string_view metric) {
  return metric == "ttft" || metric == "itl" || metric == "tpot" || metric == "ttft_from_schedule";
}

std::string slo_value(const SloCheck& s, std::optional<double> v) {
  if (!v) {
    return s.judged ? "not measured" : s.note;
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

std::string ms_or_dash(std::optional<double> ns) {
  return ns ? format_ms(*ns) : "-";
}

std::optional<double> cost_per_1k(const TargetReport& t) {
  if (!t.cost_usd || t.requests == 0) {
    return std::nullopt;
  }
  return *t.cost_usd * 1000.0 / static_cast<double>(t.requests);
}

// A route's section: its tails beside each member's own, what its hedges and fallbacks cost,
// and the headline: how much of the primary's p99 it cut per extra dollar.
void route_tables(const RunReport& r, const TargetReport& t, const RouteReport& route, Section& s) {
  Table tails;
  tails.header = {
      "route vs members (ms)", "TTFT p50", "p95", "p99", "p99.9", "E2E p50", "p95", "p99", "p99.9",
      "cost / 1,000 req"};
  tails.numeric = {false, true, true, true, true, true, true, true, true, true};
  const auto row = [&](const std::string& label, const TargetReport* x) {
    if (x == nullptr) {
      tails.rows.push_back(
          {label + " (not measured alone)", "-", "-", "-", "-", "-", "-", "-", "-", "-"});
    } else {
      const auto cost = cost_per_1k(*x);
      tails.rows.push_back(
          {label, ms_or_dash(x->percentile("ttft", 50)), ms_or_dash(x->percentile("ttft", 95)),
           ms_or_dash(x->percentile("ttft", 99)), ms_or_dash(x->percentile("ttft", 99.9)),
           ms_or_dash(x->percentile("e2e", 50)), ms_or_dash(x->percentile("e2e", 95)),
           ms_or_dash(x->percentile("e2e", 99)), ms_or_dash(x->percentile("e2e", 99.9)),
           cost ? money(*cost) : "unknown"});
    }
    tails.emphasis.push_back(false);
  };
  row(t.target + " (route)", &t);
  for (const auto& m : route.members) {
    row(m, r.target(m, t.phase));
  }
  tails.note =
      "Members measured alone in the same run (measure_members = true) on the same prompts; a "
      "route's latency runs from its own send to its winner's first token and last byte.";
  s.tables.push_back(std::move(tails));

  Table figures;
  figures.header = {"route", ""};
  figures.numeric = {false, true};
  const auto add = [&](std::string k, std::string v) {
    figures.rows.push_back({std::move(k), std::move(v)});
    figures.emphasis.push_back(false);
  };
  const auto share = [&](std::int64_t n) {
    return route.requests > 0
               ? fmt::format("{:.1f}% ({} of {})",
                             100.0 * static_cast<double>(n) / static_cast<double>(route.requests),
                             n, route.requests)
               : std::string("-");
  };
  add("hedge rate", share(route.hedged_requests));
  add("attempts per request",
      fmt::format("{:.3f} (extra load {:.1f}%: {} hedges, {} fallbacks)", 1.0 + route.extra_load(),
                  100.0 * route.extra_load(), route.hedges, route.fallbacks));
  for (const auto& m : route.members) {
    const auto w = route.wins.find(m);
    add("wins: " + m, share(w == route.wins.end() ? 0 : w->second));
  }
  for (const auto& [cls, n] : route.failures) {
    add("fell through: " + cls, std::to_string(n));
  }
  add("wasted tokens (losers' prompt + output received)", std::to_string(route.wasted_tokens));
  add("wasted cost", route.cost_known ? money(route.wasted_usd) : "unknown");
  s.tables.push_back(std::move(figures));

  // The headline: the primary's p99 TTFT against the route's, per extra dollar.
  const TargetReport* primary =
      route.members.empty() ? nullptr : r.target(route.members.front(), t.phase);
  const auto route_p99 = t.percentile("ttft", 99);
  if (primary != nullptr && route_p99) {
    const auto primary_p99 = primary->percentile("ttft", 99);
    const auto route_cost = cost_per_1k(t);
    const auto primary_cost = cost_per_1k(*primary);
    if (primary_p99) {
      const double cut_ms = to_ms(*primary_p99 - *route_p99);
      std::string headline =
          fmt::format("p99 TTFT {} ms against {} ms for {} alone: {} ms {}", format_ms(*route_p99),
                      format_ms(*primary_p99), primary->target,
                      fmt::format("{:.1f}", std::abs(cut_ms)), cut_ms >= 0 ? "cut" : "added");
      if (route_cost && primary_cost) {
        const double extra = *route_cost - *primary_cost;
        headline +=
            extra > 0
                ? fmt::format(
                      " for {} more per 1,000 requests: {:.1f} ms of p99 per extra dollar "
                      "per 1,000 requests",
                      money(extra), cut_ms / extra)
                : fmt::format(" at no extra cost ({} per 1,000 requests)", money(*route_cost));
      } else {
        headline += " (cost unknown: no price for a member)";
      }
      s.paragraphs.push_back(headline + ".");
    }
  } else if (!route.members.empty()) {
    s.paragraphs.push_back(fmt::format(
        "Set measure_members = true to measure {} alone in the same run and see what the route "
        "cuts from its tail.",
        route.members.front()));
  }
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
  if (t.unstreamed > 0) {
    s.paragraphs.push_back(
        t.none_streamed()
            ? "Non-streaming: every answer came as one JSON body, so TTFT, ITL, TPOT and tokens/s "
              "per request were not measured (a first token's time is never seen). E2E, tokens "
              "and cost are; time to first byte is shown for what it is."
            : fmt::format("{} of {} successful requests were answered as one JSON body "
                          "(non-streaming): TTFT, ITL, TPOT and tokens/s are of the other {}; "
                          "time to first byte is of those {}.",
                          t.unstreamed, t.ok, t.ok - t.unstreamed, t.unstreamed));
  }

  Table latency;
  latency.header = {"metric (ms)", "p50", "p90", "p95", "p99", "max", "mean", "n"};
  latency.numeric = {false, true, true, true, true, true, true, true};
  for (const auto& row : k_latency_rows) {
    const MetricSummary* m = t.metric(row.metric);
    if (m == nullptr) {
      const bool shown = row.metric != "ttft_from_schedule" || t.metric("e2e_from_schedule");
      if (t.none_streamed() && needs_stream(row.metric) && shown) {
        latency.rows.push_back(
            {std::string(row.label), std::string(k_not_streamed), "", "", "", "", "", "0"});
        latency.emphasis.push_back(false);
      }
      continue;
    }
    latency.rows.push_back(latency_cells(std::string(row.label), *m));
    latency.emphasis.push_back(false);
    if (row.metric == "ttft" || (row.metric == "e2e" && t.metric("ttft") == nullptr)) {
      if (const MetricSummary* ttfb = t.metric("ttfb")) {
        latency.rows.push_back(latency_cells("time to first byte (non-streaming)", *ttfb));
        latency.emphasis.push_back(false);
      }
    }
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
  } else if (t.none_streamed()) {
    add("mean tokens/s per request", std::string(k_not_streamed));
  }
  if (t.goodput_requests) {
    add("goodput (requests/s meeting every latency SLO)",
        fmt::format("{:.2f} ({} of {}{})", t.goodput_per_s, *t.goodput_requests, t.requests,
                    t.unstreamed > 0
                        ? fmt::format("; {} non-streaming judged on E2E only", t.unstreamed)
                        : ""));
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

  if (t.server_timed > 0) {
    Table server;
    server.header = {"server's own time (ms)", "p50", "p90", "p95", "p99", "max", "mean", "n"};
    server.numeric = {false, true, true, true, true, true, true, true};
    for (const auto& row : k_server_rows) {
      if (const MetricSummary* m = t.metric(row.metric)) {
        server.rows.push_back(latency_cells(std::string(row.label), *m));
        server.emphasis.push_back(false);
      }
    }
    server.note = fmt::format(
        "{} of {} successful requests carried the server's own timings ({}). The overhead rows "
        "are the client's figure minus the server's: queueing, network and proxies between "
        "them.",
        t.server_timed, t.ok, t.server_sources);
    s.tables.push_back(std::move(server));
  }
  if (const RouteReport* route = r.route(t.target, t.phase)) {
    route_tables(r, t, *route, s);
  }
  if (t.clock_errors > 0) {
    s.paragraphs.push_back(
        fmt::format("Measurement error: {} request{} reported server times that the client's clock "
                    "contradicts (first: {}). They are left out of the overhead figures; see "
                    "docs/metrics.md.",
                    t.clock_errors, t.clock_errors == 1 ? "" : "s", t.first_clock_error));
  }

  if (!t.error_details.empty() && !is_dead(r, t) && !errors_dominate(r)) {
    s.tables.push_back(error_table(t));  // otherwise the Failures or Errors section has it
  }
  if (!t.slo.empty()) {
    Table slo;
    slo.header = {"SLO", "metric", "statistic", "value", "limit", "result"};
    slo.numeric = {false, false, false, true, true, false};
    for (const auto& c : t.slo) {
      const std::string result = !c.judged        ? "not judged"
                                 : c.pass         ? "pass"
                                 : r.slo_enforced ? "FAIL"
                                                  : "miss (not enforced)";
      slo.rows.push_back(
          {c.key, c.metric, c.stat, slo_value(c, c.actual), slo_value(c, c.limit), result});
      slo.emphasis.push_back(c.judged && !c.pass);
      if (!c.note.empty() && c.judged) {
        slo.note += (slo.note.empty() ? "" : " ") + c.key + ": " + c.note + ".";
      }
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
  std::int64_t unstreamed = 0;
  std::int64_t clock_errors = 0;
  for (const auto& t : r.targets) {
    // A non-streaming target's TTFT and ITL were not measured: the cells say so.
    const auto cell = [&](std::string_view metric, double MetricSummary::*field) {
      if (t.none_streamed() && t.metric(metric) == nullptr) {
        return field == &MetricSummary::p50 ? std::string(k_not_streamed) : std::string("-");
      }
      return ms_cell(t, metric, field);
    };
    table.rows.push_back({t.label(), std::to_string(t.requests), std::to_string(t.errors),
                          cell("ttft", &MetricSummary::p50), cell("ttft", &MetricSummary::p95),
                          cell("ttft", &MetricSummary::p99), ms_cell(t, "e2e", &MetricSummary::p50),
                          ms_cell(t, "e2e", &MetricSummary::p95), cell("itl", &MetricSummary::p50),
                          cell("itl", &MetricSummary::p99),
                          fmt::format("{:.0f}", t.output_tokens_per_s),
                          fmt::format("{:.1f}", t.requests_per_s),
                          t.cost_usd ? fmt::format("${:.4f}", *t.cost_usd) : "unknown"});
    table.emphasis.push_back(is_dead(r, t));
    unstreamed += t.unstreamed;
    clock_errors += t.clock_errors;
  }
  table.note = "Latencies in milliseconds; tok/s: output tokens per second.";
  if (unstreamed > 0) {
    table.note += fmt::format(
        " {} successful request{} answered as one JSON body (non-streaming): no TTFT or ITL was "
        "measured for {}.",
        unstreamed, unstreamed == 1 ? " was" : "s were", unstreamed == 1 ? "it" : "them");
  }
  if (clock_errors > 0) {
    table.note += fmt::format(
        " Measurement error: {} request{} reported server times the client's clock "
        "contradicts (see the target's section).",
        clock_errors, clock_errors == 1 ? "" : "s");
  }
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
      "(flagged as estimated). A non-streaming answer (one JSON body) has no TTFT, ITL or TPOT: "
      "its first token's time is never seen, so none is reported and SLOs on them do not judge "
      "it. Where the server reports its own time (llama.cpp `timings` and others), the report "
      "shows it beside the client's figures, and the difference as overhead. "
      "Percentiles come from HDR histograms (3 significant digits). "
      "Definitions: docs/metrics.md in the llmbench sources.");
  out.push_back(std::move(how));
  return out;
}

}  // namespace llmbench::report::sections
