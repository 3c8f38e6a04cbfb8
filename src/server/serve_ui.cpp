#include "serve_ui.hpp"

#include <fmt/format.h>

#include "llmbench/util/build_info.hpp"
#include "llmbench/util/strings.hpp"
#include "llmbench/util/time.hpp"
#include "llmbench/util/xml.hpp"

namespace llmbench::server::ui {

namespace {

std::string esc(std::string_view s) {
  return util::xml_escape(s);
}

constexpr std::string_view k_css = R"css(
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --line: #d0d7de;
  --bg: #ffffff; --accent: #0969da; --bad: #a40e26; --ok: #116329; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9198a1; --line: #3d444d;
  --bg: #0d1117; --accent: #4493f8; --bad: #ff7b72; --ok: #3fb950; } }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0;
  color: var(--fg); background: var(--bg); }
header { border-bottom: 1px solid var(--line); padding: .6rem 1.2rem; display: flex; gap: 1.2rem;
  align-items: baseline; }
header strong { font-size: 1.05rem; }
main { padding: 1rem 1.2rem; max-width: 1200px; }
a { color: var(--accent); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .3rem .6rem; border-bottom: 1px solid var(--line);
  white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .id { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: .92em; }
form.filters, form.pick { display: flex; gap: .8rem; flex-wrap: wrap; align-items: end;
  margin: .4rem 0 1rem; }
label { display: flex; flex-direction: column; font-size: .85rem; color: var(--muted); gap: .2rem; }
input, select, button { font: inherit; padding: .25rem .4rem; }
.status { font-weight: 600; }
.status-failed, .status-cancelled, .status-interrupted, .bad { color: var(--bad); }
.status-completed, .good { color: var(--ok); }
.muted { color: var(--muted); }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; }
iframe { width: 100%; height: 80vh; border: 1px solid var(--line); }
nav.pages { margin: 1rem 0; display: flex; gap: 1rem; }
progress { width: 20rem; }
)css";

std::string layout(const std::string& title, const std::string& body, bool refresh = false) {
  std::string out = "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  out += "<link rel=\"icon\" href=\"data:,\">\n";  // no favicon request
  out += fmt::format("<title>{} · llmbench</title>\n", esc(title));
  if (refresh) {
    // Without JavaScript the page reloads itself; with it, ui.js updates it in place.
    out += "<noscript><meta http-equiv=\"refresh\" content=\"2\"></noscript>\n";
  }
  out += "<style>" + std::string(k_css) + "</style>\n";
  out += "<script src=\"/ui.js\" defer></script>\n</head>\n<body>\n";
  out +=
      "<header><strong>llmbench</strong><a href=\"/\">Runs</a><a href=\"/compare\">Compare</a>"
      "<a href=\"/openapi.json\">API</a>";
  out += fmt::format("<span class=\"muted\">{}</span></header>\n<main>\n", build_info::k_version);
  out += body;
  out += "</main>\n</body>\n</html>\n";
  return out;
}

std::string status_span(const std::string& status, const std::string& id = "") {
  return fmt::format("<span class=\"status status-{0}\"{1}>{0}</span>", esc(status),
                     id.empty() ? "" : " id=\"" + id + "\"");
}

std::string duration_text(const store::RunRow& r) {
  if (!r.ended_at_ms || r.status == "queued") {
    return "";
  }
  const double s = static_cast<double>(*r.ended_at_ms - r.started_at_ms) / 1000.0;
  return s < 120 ? fmt::format("{:.1f} s", s) : fmt::format("{:.1f} min", s / 60);
}

std::string when(std::int64_t unix_ms) {
  std::string t = util::iso8601_utc_ms(unix_ms);  // 2026-12-02T16:13:46.123Z
  if (t.size() >= 19) {
    t = t.substr(0, 10) + " " + t.substr(11, 8) + " UTC";
  }
  return t;
}

std::string option(const std::string& value, const std::string& label, const std::string& chosen) {
  return fmt::format("<option value=\"{}\"{}>{}</option>", esc(value),
                     value == chosen ? " selected" : "", esc(label));
}

}  // namespace

std::string runs_page(const RunsView& v) {
  std::string b = "<h1>Runs</h1>\n<form class=\"filters\" method=\"get\" action=\"/\">\n";
  b += "<label>Status<select name=\"status\">" + option("", "any", v.status);
  for (const char* s : {"queued", "running", "completed", "failed", "interrupted", "cancelled"}) {
    b += option(s, s, v.status);
  }
  b += "</select></label>\n";
  b += fmt::format(
      "<label>Suite<input name=\"suite\" value=\"{}\" placeholder=\"suite name\"></label>\n"
      "<label>Tag<input name=\"tag\" value=\"{}\" placeholder=\"KEY=VALUE\"></label>\n"
      "<button type=\"submit\">Filter</button>\n</form>\n",
      esc(v.suite), esc(v.tag));
  if (v.runs.empty()) {
    b += "<p class=\"muted\" id=\"empty\">No runs match.</p>\n";
  } else {
    b += "<table id=\"runs\">\n<thead><tr><th>Run</th><th>Suite</th><th>Status</th>"
         "<th>Started</th><th class=\"num\">Took</th><th class=\"num\">Requests</th>"
         "<th class=\"num\">Errors</th><th>Tags</th></tr></thead>\n<tbody>\n";
    for (const auto& s : v.runs) {
      const auto& r = s.run;
      b += fmt::format(
          "<tr data-run=\"{0}\"><td><a class=\"id\" href=\"/runs/{0}\">{1}</a></td><td>{2}</td>"
          "<td>{3}</td><td>{4}</td><td class=\"num\">{5}</td><td class=\"num\">{6}</td>"
          "<td class=\"num\">{7}</td><td><code>{8}</code></td></tr>\n",
          esc(r.id), esc(r.id.substr(0, 13)), esc(r.suite_name), status_span(r.status),
          when(r.started_at_ms), duration_text(r), s.requests, s.errors,
          esc(r.tags_json == "{}" ? "" : r.tags_json));
    }
    b += "</tbody>\n</table>\n";
  }
  b += "<nav class=\"pages\">";
  const std::string filters =
      fmt::format("status={}&suite={}&tag={}", util::percent_encode(v.status),
                  util::percent_encode(v.suite), util::percent_encode(v.tag));
  if (!v.cursor.empty()) {
    b += fmt::format("<a href=\"/?{}\">Newest</a>", esc(filters));
  }
  if (!v.next_cursor.empty()) {
    b += fmt::format("<a id=\"older\" href=\"/?{}&cursor={}\">Older runs</a>", esc(filters),
                     util::percent_encode(v.next_cursor));
  }
  b += "</nav>\n";
  return layout("Runs", b);
}

std::string run_page(const RunView& v) {
  const auto& r = v.run;
  const bool live = r.status == "queued" || r.status == "running";
  std::string b = fmt::format("<h1>Run <span class=\"id\">{}</span> · {}</h1>\n", esc(v.short_id),
                              esc(r.suite_name));
  b += "<dl class=\"fields\">\n";
  b += fmt::format("<dt>Status</dt><dd>{}</dd>\n", status_span(r.status, "status"));
  b += fmt::format("<dt>Id</dt><dd class=\"id\">{}</dd>\n", esc(r.id));
  b += fmt::format("<dt>{}</dt><dd>{}</dd>\n", r.status == "queued" ? "Submitted" : "Started",
                   when(r.started_at_ms));
  if (r.ended_at_ms) {
    b += fmt::format("<dt>Ended</dt><dd>{} ({})</dd>\n", when(*r.ended_at_ms), duration_text(r));
  }
  b += fmt::format("<dt>Requests stored</dt><dd>{} ({} errors)</dd>\n", v.requests, v.errors);
  b += fmt::format("<dt>Host</dt><dd>{}</dd>\n<dt>llmbench</dt><dd>{}</dd>\n", esc(r.host),
                   esc(r.llmbench_version));
  if (r.tags_json != "{}") {
    b += fmt::format("<dt>Tags</dt><dd><code>{}</code></dd>\n", esc(r.tags_json));
  }
  b += "</dl>\n";
  if (live) {
    const load::Progress p = v.progress.value_or(load::Progress{});
    b += fmt::format(
        "<section id=\"progress\" data-run=\"{}\">\n<h2>Progress</h2>\n"
        "<p><progress id=\"bar\" value=\"{}\" max=\"{}\"></progress></p>\n"
        "<p id=\"progress-text\">{} of {} requests done, {} errors, {} in flight{}{}</p>\n"
        "<p class=\"muted\">The report appears here when the run has ended.</p>\n</section>\n",
        esc(r.id), p.done, std::max<std::int64_t>(p.total, 1), p.done,
        p.total > 0 ? std::to_string(p.total) : "?", p.errors, p.in_flight,
        p.eta_s >= 0 ? fmt::format(", about {:.0f} s to go", p.eta_s) : "",
        p.ttft_p50_ms > 0 ? fmt::format("; TTFT p50 {:.1f} ms, p95 {:.1f} ms ({})", p.ttft_p50_ms,
                                        p.ttft_p95_ms, esc(p.stage))
                          : "");
  }
  const std::string base = "/api/v1/runs/" + util::percent_encode(r.id);
  b += fmt::format(
      "<p>Reports: <a href=\"{0}/report.html\">HTML</a> · <a href=\"{0}/report.md\">Markdown</a> · "
      "<a href=\"{0}/report.json\">JSON</a> · <a href=\"{0}/report.csv\">CSV</a> · "
      "<a href=\"{0}/requests\">requests (JSON)</a> · "
      "<a id=\"compare-link\" href=\"/compare?cand={1}\">compare with another run</a></p>\n",
      base, util::percent_encode(r.id));
  if (!live) {
    b += fmt::format(
        "<iframe id=\"report\" title=\"HTML report\" src=\"{}/report.html\"></iframe>\n", base);
  }
  return layout("Run " + v.short_id, b, live);
}

std::string compare_page(const CompareView& v) {
  std::string b =
      "<h1>Compare two runs</h1>\n<form class=\"pick\" method=\"get\" action=\"/compare\">\n";
  const auto select = [&](const char* name, const char* label, const std::string& chosen) {
    std::string s = fmt::format("<label>{}<select name=\"{}\" id=\"{}\">", label, name, name);
    s += option("", "choose a run", chosen);
    for (const auto& c : v.choices) {
      s += option(c.run.id,
                  fmt::format("{} · {} · {} · {}", c.run.id.substr(0, 13), c.run.suite_name,
                              c.run.status, when(c.run.started_at_ms)),
                  chosen);
    }
    return s + "</select></label>\n";
  };
  b += select("base", "Base (before)", v.base_id.empty() ? v.base : v.base_id);
  b += select("cand", "Candidate (after)", v.cand_id.empty() ? v.cand : v.cand_id);
  b += "<button type=\"submit\" id=\"compare\">Compare</button>\n</form>\n";
  if (!v.error.empty()) {
    b += fmt::format("<p class=\"bad\" id=\"error\">{}</p>\n", esc(v.error));
  } else if (!v.base_id.empty() && !v.cand_id.empty()) {
    b += fmt::format(
        "<p id=\"verdict\">Gates: <strong class=\"{}\">{}</strong> · Regressions: "
        "<strong class=\"{}\">{}</strong> · <a "
        "href=\"/api/v1/diff?base={}&cand={}\">JSON</a></p>\n",
        v.gates_failed ? "bad" : "good", v.gates_failed ? "failed" : "passed",
        v.regressed ? "bad" : "good", v.regressed ? "yes" : "none", util::percent_encode(v.base_id),
        util::percent_encode(v.cand_id));
    b += fmt::format(
        "<iframe id=\"diff\" title=\"diff\" src=\"/compare/diff.html?base={}&cand={}\"></iframe>\n",
        util::percent_encode(v.base_id), util::percent_encode(v.cand_id));
  }
  return layout("Compare", b);
}

std::string login_page(const std::string& error) {
  std::string b =
      "<h1>Sign in</h1>\n<p>This service asks for its token (the one in the "
      "variable of <code>--token-env</code>). It is kept in a cookie for this "
      "browser only.</p>\n";
  if (!error.empty()) {
    b += fmt::format("<p class=\"bad\" id=\"error\">{}</p>\n", esc(error));
  }
  b += "<form class=\"pick\" method=\"post\" action=\"/login\">\n<label>Token<input "
       "type=\"password\" name=\"token\" autocomplete=\"current-password\"></label>\n"
       "<button type=\"submit\">Sign in</button>\n</form>\n";
  return layout("Sign in", b);
}

std::string not_found_page(const std::string& detail) {
  return layout("Not found", fmt::format("<h1>Not found</h1>\n<p id=\"error\">{}</p>\n"
                                         "<p><a href=\"/\">All runs</a></p>\n",
                                         esc(detail)));
}

const std::string& script() {
  static const std::string k_script =
      R"js(// llmbench serve: live progress on a queued or running run's page.
"use strict";
(function () {
  const section = document.getElementById("progress");
  if (!section) return;
  const id = section.dataset.run;
  const bar = document.getElementById("bar");
  const text = document.getElementById("progress-text");
  const status = document.getElementById("status");
  async function poll() {
    try {
      const r = await fetch("/api/v1/runs/" + encodeURIComponent(id) + "/progress",
                            { credentials: "same-origin", cache: "no-store" });
      if (r.ok) {
        const p = await r.json();
        if (p.status !== "queued" && p.status !== "running") {
          location.reload();  // finished: the page now has its report
          return;
        }
        status.textContent = p.status;
        status.className = "status status-" + p.status;
        if (p.progress) {
          const g = p.progress;
          bar.max = Math.max(g.total, 1);
          bar.value = g.done;
          text.textContent = g.done + " of " + (g.total > 0 ? g.total : "?") +
              " requests done, " + g.errors + " errors, " + g.in_flight + " in flight" +
              (g.eta_s >= 0 ? ", about " + Math.round(g.eta_s) + " s to go" : "") +
              (g.ttft_p50_ms > 0 ? "; TTFT p50 " + g.ttft_p50_ms.toFixed(1) + " ms, p95 " +
                                   g.ttft_p95_ms.toFixed(1) + " ms (" + g.stage + ")" : "");
        }
      }
    } catch (e) {
      // The service may be restarting; try again.
    }
    setTimeout(poll, 1000);
  }
  setTimeout(poll, 1000);
})();
)js";
  return k_script;
}

}  // namespace llmbench::server::ui
