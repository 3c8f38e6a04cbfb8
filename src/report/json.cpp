#include <fmt/format.h>

#include "llmbench/report/verdicts.hpp"
#include "llmbench/report/writers.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/time.hpp"

namespace llmbench::report {

namespace {

using Obj = util::JsonObject;

}  // namespace

std::string render_json(const RunReport& r) {
  std::string out;
  Obj root(out);
  root.str("schema", k_json_schema);
  root.key("context");
  {
    Obj c(out);
    c.str("run_id", r.run.id);
    c.str("suite", r.run.suite_name);
    c.str("suite_path", r.run.suite_path);
    c.str("suite_hash", r.run.suite_hash);
    c.str("llmbench_version", r.run.llmbench_version);
    if (r.run.git_commit) {
      c.str("git_commit", *r.run.git_commit);
    } else {
      c.null("git_commit");
    }
    c.str("host", r.run.host);
    c.str("started_at", util::iso8601_utc_ms(r.run.started_at_ms));
    if (r.run.ended_at_ms) {
      c.str("ended_at", util::iso8601_utc_ms(*r.run.ended_at_ms));
    } else {
      c.null("ended_at");
    }
    c.str("status", r.run.status);
    c.raw("tags", r.run.tags_json);
    c.raw("load", r.run.load_json);
    c.close();
  }
  root.key("dead_targets");
  out += '[';
  for (std::size_t i = 0; i < r.dead_targets.size(); ++i) {
    out += i > 0 ? "," : "";
    util::append_json_string(out, r.dead_targets[i]);
  }
  out += ']';
  root.key("targets");
  out += '[';
  for (std::size_t i = 0; i < r.targets.size(); ++i) {
    const auto& t = r.targets[i];
    if (i > 0) {
      out += ',';
    }
    Obj o(out);
    o.str("target", t.target);
    o.str("phase", t.phase);
    o.str("provider", t.provider);
    o.str("model", t.model);
    o.integer("requests", t.requests);
    o.integer("ok", t.ok);
    o.integer("errors", t.errors);
    o.num("error_rate", t.error_rate());
    o.integer("warmup", t.warmup);
    o.integer("replayed", t.replayed);
    o.integer("attempts", t.attempts);
    o.key("errors_by_class");
    {
      Obj e(out);
      for (const auto& [cls, n] : t.errors_by_class) {
        e.integer(cls, n);
      }
      e.close();
    }
    // Failed requests by class and status, warmup included, with the first message and what
    // to check: the same rows report.md's error table has.
    o.key("errors_detail");
    out += '[';
    for (std::size_t k = 0; k < t.error_details.size(); ++k) {
      const auto& d = t.error_details[k];
      out += k > 0 ? "," : "";
      Obj e(out);
      e.str("error_class", d.error_class);
      if (d.status) {
        e.integer("status", *d.status);
      } else {
        e.null("status");
      }
      e.integer("requests", d.count);
      e.str("first_message", d.first_message);
      e.str("hint", error_hint(d.error_class, d.status, d.first_message));
      e.close();
    }
    out += ']';
    o.num("wall_s", t.wall_s);
    o.num("requests_per_s", t.requests_per_s);
    o.num("output_tokens_per_s", t.output_tokens_per_s);
    o.integer("input_tokens", t.input_tokens);
    o.integer("output_tokens", t.output_tokens);
    if (t.cost_usd) {
      o.num("cost_usd", *t.cost_usd);
    } else {
      o.null("cost_usd");
    }
    o.boolean("cost_partial", t.cost_partial);
    o.key("token_source");
    {
      Obj s(out);
      s.integer("usage", t.tokens_from_usage);
      s.integer("estimated", t.tokens_estimated);
      s.close();
    }
    o.key("goodput");
    if (t.goodput_requests) {
      Obj g(out);
      g.integer("requests", *t.goodput_requests);
      g.num("per_s", t.goodput_per_s);
      g.close();
    } else {
      out += "null";
    }
    o.integer("non_streaming_requests", t.unstreamed);
    // What was not measured, and why: null where a figure would be, so a reader never takes
    // a missing TTFT for a fast one.
    o.key("not_measured");
    {
      Obj nm(out);
      if (t.none_streamed()) {
        for (const std::string_view metric : {"ttft", "itl", "tpot", "tps"}) {
          nm.str(metric, "non-streaming");
        }
      }
      nm.close();
    }
    o.key("server_timings");
    if (t.server_timed > 0 || t.clock_errors > 0) {
      Obj st(out);
      st.integer("requests", t.server_timed);
      st.str("sources", t.server_sources);
      st.integer("clock_errors", t.clock_errors);
      if (t.clock_errors > 0) {
        st.str("first_clock_error", t.first_clock_error);
      } else {
        st.null("first_clock_error");
      }
      st.close();
    } else {
      out += "null";
    }
    o.key("route");
    if (const RouteReport* route = r.route(t.target, t.phase)) {
      Obj ro(out);
      ro.integer("requests", route->requests);
      ro.integer("attempts", route->attempts);
      ro.num("extra_load", route->extra_load());
      ro.integer("hedged_requests", route->hedged_requests);
      ro.integer("hedges", route->hedges);
      ro.integer("fallbacks", route->fallbacks);
      ro.key("members");
      out += '[';
      for (std::size_t k = 0; k < route->members.size(); ++k) {
        out += k > 0 ? "," : "";
        util::append_json_string(out, route->members[k]);
      }
      out += ']';
      ro.key("wins");
      {
        Obj w(out);
        for (const auto& m : route->members) {
          const auto it = route->wins.find(m);
          w.integer(m, it == route->wins.end() ? 0 : it->second);
        }
        w.close();
      }
      ro.key("fell_through");
      {
        Obj f(out);
        for (const auto& [cls, n] : route->failures) {
          f.integer(cls, n);
        }
        f.close();
      }
      ro.integer("wasted_tokens", route->wasted_tokens);
      if (route->cost_known) {
        ro.num("wasted_usd", route->wasted_usd);
      } else {
        ro.null("wasted_usd");
      }
      for (const std::string_view metric : {"ttft", "e2e"}) {
        if (const auto v = t.percentile(metric, 99.9)) {
          ro.num(std::string(metric) + "_p999", *v);
        } else {
          ro.null(std::string(metric) + "_p999");
        }
      }
      ro.close();
    } else {
      out += "null";
    }
    o.key("metrics");
    {
      Obj ms(out);
      for (const auto& m : t.metrics) {
        ms.key(m.metric);
        Obj x(out);
        x.str("unit", m.unit);
        x.integer("count", m.count);
        x.num("min", m.min);
        x.num("mean", m.mean);
        x.num("p50", m.p50);
        x.num("p90", m.p90);
        x.num("p95", m.p95);
        x.num("p99", m.p99);
        x.num("max", m.max);
        x.close();
      }
      ms.close();
    }
    o.key("slo");
    out += '[';
    for (std::size_t k = 0; k < t.slo.size(); ++k) {
      if (k > 0) {
        out += ',';
      }
      Obj s(out);
      s.str("key", t.slo[k].key);
      s.str("metric", t.slo[k].metric);
      s.str("stat", t.slo[k].stat);
      s.num("limit", t.slo[k].limit);
      if (t.slo[k].actual) {
        s.num("actual", *t.slo[k].actual);
      } else {
        s.null("actual");
      }
      if (t.slo[k].judged) {
        s.boolean("pass", t.slo[k].pass);
      } else {
        s.null("pass");  // not judged: the figure was not measured (non-streaming)
      }
      s.boolean("judged", t.slo[k].judged);
      s.str("note", t.slo[k].note);
      s.str("message", slo_message(t, t.slo[k]));
      s.close();
    }
    out += ']';
    o.close();
  }
  out += ']';
  root.close();
  out += '\n';
  return out;
}

}  // namespace llmbench::report
