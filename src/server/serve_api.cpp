#include "serve_api.hpp"

#include <fmt/format.h>

#include <charconv>

#include "llmbench/report/diff.hpp"
#include "llmbench/report/model.hpp"
#include "llmbench/report/writers.hpp"
#include "llmbench/server/serve_submit.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/json_writer.hpp"
#include "llmbench/util/time.hpp"

namespace llmbench::server::serve {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

// application/x-www-form-urlencoded: '+' is a space, %XX a byte (a malformed escape is kept).
}  // namespace

std::string url_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

Query parse_query(std::string_view q) {
  Query out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const std::string_view part = q.substr(0, amp);
    if (!part.empty()) {
      const auto eq = part.find('=');
      out.emplace(url_decode(part.substr(0, eq)),
                  eq == std::string_view::npos ? "" : url_decode(part.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) {
      break;
    }
    q.remove_prefix(amp + 1);
  }
  return out;
}

std::string one(const Query& q, const std::string& key) {
  const auto it = q.find(key);
  return it == q.end() ? "" : it->second;
}

Reply ok(std::string body, std::string content_type) {
  Reply r;
  r.body = std::move(body);
  r.content_type = std::move(content_type);
  return r;
}

Reply problem(http::status status, const std::string& detail, const std::string& members) {
  Reply r;
  r.status = status;
  r.content_type = "application/problem+json";
  const auto reason = http::obsolete_reason(status);
  util::JsonObject o(r.body);
  o.str("type", "about:blank");
  o.str("title", std::string_view(reason.data(), reason.size()));
  o.integer("status", static_cast<std::int64_t>(status));
  o.str("detail", detail);
  if (!members.empty()) {
    r.body += ',' + members;
  }
  o.close();
  return r;
}

namespace {

std::size_t parse_limit(const Query& q, std::size_t fallback, std::size_t max) {
  const std::string text = one(q, "limit");
  if (text.empty()) {
    return fallback;
  }
  std::size_t n = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc() || ptr != text.data() + text.size() || n < 1 || n > max) {
    throw Problem{http::status::bad_request,
                  fmt::format("limit must be an integer from 1 to {}, not \"{}\"", max, text), ""};
  }
  return n;
}

std::optional<std::string> iso(const std::optional<std::int64_t>& unix_ms) {
  return unix_ms ? std::optional<std::string>(util::iso8601_utc_ms(*unix_ms)) : std::nullopt;
}

// A run's own fields, into an object the caller goes on with and closes.
void run_fields(util::JsonObject& o, const store::RunRow& r) {
  o.str("id", r.id);
  o.str("suite", r.suite_name);
  o.str("status", r.status);
  o.str("started_at", util::iso8601_utc_ms(r.started_at_ms));
  o.opt_str("ended_at", iso(r.ended_at_ms));
  o.str("host", r.host);
  o.str("llmbench_version", r.llmbench_version);
  o.opt_str("git_commit", r.git_commit);
  o.raw("tags", r.tags_json.empty() ? "{}" : r.tags_json);
}

void request_json(std::string& out, const store::RequestRow& r) {
  const auto since_send = [&](const std::optional<std::int64_t>& t) -> std::optional<std::int64_t> {
    if (!t || !r.t_send_ns) {
      return std::nullopt;
    }
    return *t - *r.t_send_ns;
  };
  util::JsonObject o(out);
  o.integer("seq", r.seq);
  o.integer("attempt", std::int64_t{r.attempt});
  o.str("target", r.target);
  o.str("prompt_id", r.prompt_id);
  o.str("phase", r.phase);
  o.boolean("warmup", r.warmup);
  o.opt_integer("t_send_ns", r.t_send_ns);
  o.opt_integer("ttfb_ns", since_send(r.t_first_byte_ns));
  o.opt_integer("ttft_ns", r.streamed ? since_send(r.t_first_token_ns) : std::nullopt);
  o.opt_integer("e2e_ns", since_send(r.t_done_ns));
  o.opt_integer("status_code", r.status_code);
  o.opt_integer("input_tokens", r.input_tokens);
  o.opt_integer("cached_input_tokens", r.cached_input_tokens);
  o.opt_integer("output_tokens", r.output_tokens);
  o.opt_integer("reasoning_tokens", r.reasoning_tokens);
  o.opt_str("error_class", r.error_class);
  o.opt_str("error_message", r.error_message);
  o.opt_str("token_source", r.token_source);
  o.opt_str("finish_reason", r.finish_reason);
  o.opt_num("cost_usd", r.cost_usd);
  o.boolean("streamed", r.streamed);
  o.boolean("replayed", r.replayed);
  o.close();
}

}  // namespace

Api::Api(store::Database& db, std::mutex& db_mu, RunQueue& queue, suite::UntrustedRules rules)
    : m_db(db), m_db_mu(db_mu), m_queue(queue), m_rules(std::move(rules)) {}

std::string Api::resolve(const std::string& ref) {
  std::lock_guard lock(m_db_mu);
  try {
    return store::resolve_run(m_db, ref);
  } catch (const InputError& e) {
    throw Problem{http::status::not_found, e.what(), ""};
  }
}

Reply Api::metrics_text(metrics::Prometheus& prom) {
  std::lock_guard lock(m_db_mu);
  auto st = m_db.prepare("SELECT status, COUNT(*) FROM runs GROUP BY status");
  for (const char* s : {"queued", "running", "completed", "failed", "interrupted", "cancelled"}) {
    prom.set("llmbench_serve_runs", {s}, 0);
  }
  while (st.step()) {
    prom.set("llmbench_serve_runs", {st.text(0)}, static_cast<double>(st.int64(1)));
  }
  prom.set("llmbench_serve_queue_depth", {}, static_cast<double>(m_queue.depth()));
  prom.set("llmbench_serve_runs_in_progress", {}, static_cast<double>(m_queue.running()));
  return ok(prom.render(), "text/plain; version=0.0.4; charset=utf-8");
}

Reply Api::runs(const Query& q) {
  store::RunQuery rq;
  const std::size_t limit = parse_limit(q, 50, 500);
  rq.limit = limit + 1;  // one more: is there a next page?
  rq.after = one(q, "cursor");
  rq.status = one(q, "status");
  rq.suite = one(q, "suite");
  if (const std::string tag = one(q, "tag"); !tag.empty()) {
    const auto eq = tag.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Problem{http::status::bad_request, "tag must be KEY=VALUE", ""};
    }
    rq.tag_key = tag.substr(0, eq);
    rq.tag_value = tag.substr(eq + 1);
  }
  std::lock_guard lock(m_db_mu);
  if (!rq.after.empty() && !store::get_run(m_db, rq.after)) {
    throw Problem{http::status::bad_request,
                  fmt::format("cursor \"{}\" is not a run of this history (use next_cursor of "
                              "the previous page)",
                              rq.after),
                  ""};
  }
  auto page = store::list_runs(m_db, rq);
  const bool more = page.size() > limit;
  page.resize(std::min(page.size(), limit));
  std::string body;
  util::JsonObject o(body);
  o.key("runs");
  body += '[';
  for (std::size_t i = 0; i < page.size(); ++i) {
    body += i > 0 ? "," : "";
    util::JsonObject run(body);
    run_fields(run, page[i].run);
    run.integer("requests", page[i].requests);
    run.integer("errors", page[i].errors);
    run.integer("warmup", page[i].warmup);
    run.close();
  }
  body += ']';
  o.opt_str("next_cursor", more ? std::optional<std::string>(page.back().run.id) : std::nullopt);
  o.close();
  return ok(body);
}

namespace {

void progress_json(util::JsonObject& o, const std::optional<load::Progress>& p) {
  if (!p) {
    o.null("progress");
    return;
  }
  std::string inner;
  util::JsonObject g(inner);
  g.integer("done", p->done);
  g.integer("total", p->total);
  g.integer("errors", p->errors);
  g.integer("in_flight", p->in_flight);
  g.num("eta_s", p->eta_s);
  g.str("stage", p->stage);
  g.num("ttft_p50_ms", p->ttft_p50_ms);
  g.num("ttft_p95_ms", p->ttft_p95_ms);
  g.close();
  o.raw("progress", inner);
}

}  // namespace

Reply Api::run(const std::string& id) {
  std::lock_guard lock(m_db_mu);
  const auto row = store::get_run(m_db, id);
  std::string body;
  util::JsonObject o(body);
  run_fields(o, *row);
  if (row->status == "queued" || row->status == "running") {
    progress_json(o, m_queue.progress(id));
  }
  o.raw("report", report::render_json(report::build_report(m_db, id)));
  o.close();
  return ok(body);
}

Reply Api::progress(const std::string& id) {
  std::lock_guard lock(m_db_mu);
  const auto row = store::get_run(m_db, id);
  std::string body;
  util::JsonObject o(body);
  o.str("id", row->id);
  o.str("status", row->status);
  progress_json(o, m_queue.progress(id));
  o.close();
  return ok(body);
}

Reply Api::requests(const std::string& id, const Query& q) {
  const std::size_t limit = parse_limit(q, 100, 1000);
  std::int64_t seq = 0;
  int attempt = 0;
  if (const std::string cursor = one(q, "cursor"); !cursor.empty()) {
    const auto whole = [](std::string_view text, auto& value) {
      const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
      return ec == std::errc() && ptr == text.data() + text.size();
    };
    const auto dot = cursor.find('.');
    const std::string_view text(cursor);
    if (dot == std::string::npos || !whole(text.substr(0, dot), seq) ||
        !whole(text.substr(dot + 1), attempt)) {
      throw Problem{http::status::bad_request,
                    "cursor must be SEQ.ATTEMPT (next_cursor of the previous page)", ""};
    }
  }
  std::vector<store::RequestRow> page;
  {
    std::lock_guard lock(m_db_mu);
    page = store::request_page(m_db, id, seq, attempt, limit + 1);
  }
  const bool more = page.size() > limit;
  page.resize(std::min(page.size(), limit));
  std::string body;
  util::JsonObject o(body);
  o.key("requests");
  body += '[';
  for (std::size_t i = 0; i < page.size(); ++i) {
    body += i > 0 ? "," : "";
    request_json(body, page[i]);
  }
  body += ']';
  o.opt_str("next_cursor", more ? std::optional<std::string>(
                                      fmt::format("{}.{}", page.back().seq, page.back().attempt))
                                : std::nullopt);
  o.close();
  return ok(body);
}

Reply Api::report(const std::string& id, std::string_view format) {
  if (format != "md" && format != "html" && format != "csv" && format != "json") {
    throw Problem{http::status::not_found,
                  fmt::format("report.{} is not a report format (md, html, csv, json)", format),
                  ""};
  }
  report::RunReport r;
  {
    std::lock_guard lock(m_db_mu);
    r = report::build_report(m_db, id);
  }
  if (format == "md") {
    return ok(report::render_markdown(r), "text/markdown; charset=utf-8");
  }
  if (format == "html") {
    return ok(report::render_html(r), "text/html; charset=utf-8");
  }
  if (format == "csv") {
    return ok(report::render_summary_csv(r), "text/csv; charset=utf-8");
  }
  return ok(report::render_json(r));
}

report::DiffResult Api::compare(const Query& q) {
  const std::string base = one(q, "base");
  const std::string cand = one(q, "cand");
  if (base.empty() || cand.empty()) {
    throw Problem{http::status::bad_request, "diff wants base=RUN and cand=RUN", ""};
  }
  std::vector<report::Gate> gates;
  for (auto [it, end] = q.equal_range("fail_on"); it != end; ++it) {
    gates.push_back(report::parse_gate(it->second));
  }
  const std::string base_id = resolve(base);
  const std::string cand_id = resolve(cand);
  std::lock_guard lock(m_db_mu);
  const auto b = report::load_samples(m_db, base_id);
  const auto c = report::load_samples(m_db, cand_id);
  auto d = report::diff_runs(b, c, {}, std::move(gates), false);
  d.base_short = store::short_id(m_db, d.base.id);
  d.cand_short = store::short_id(m_db, d.cand.id);
  return d;
}

Reply Api::diff(const Query& q) {
  const report::DiffResult d = compare(q);
  if (one(q, "format") == "html") {
    std::lock_guard lock(m_db_mu);
    return ok(report::render_diff_html(d, report::build_report(m_db, d.base.id),
                                       report::build_report(m_db, d.cand.id)),
              "text/html; charset=utf-8");
  }
  std::string body;
  util::JsonObject o(body);
  o.boolean("gates_failed", d.any_gate_failed());
  o.boolean("regressed", d.any_regression());
  o.raw("diff", report::render_diff_json(d));
  o.close();
  return ok(body);
}

Reply Api::baselines() {
  std::string body;
  util::JsonObject o(body);
  o.key("baselines");
  body += '[';
  bool first = true;
  std::lock_guard lock(m_db_mu);
  for (const auto& b : store::list_baselines(m_db)) {
    body += first ? "" : ",";
    first = false;
    util::JsonObject item(body);
    item.str("name", b.name);
    item.str("run_id", b.run_id);
    item.str("saved_at", util::iso8601_utc_ms(b.saved_at_ms));
    item.close();
  }
  body += ']';
  o.close();
  return ok(body);
}

namespace {

std::string diagnostics_json(const std::vector<suite::Diagnostic>& items, suite::Severity which) {
  std::string out = "[";
  for (const auto& d : items) {
    if (d.severity != which) {
      continue;
    }
    out += out.size() > 1 ? "," : "";
    util::JsonObject o(out);
    o.integer("line", std::int64_t{d.pos.line});
    o.integer("column", std::int64_t{d.pos.column});
    o.str("message", d.message);
    o.str("text", d.to_string());
    o.close();
  }
  return out + "]";
}

std::string tags_json(const Query& q) {
  std::string out;
  util::JsonObject o(out);
  for (auto [it, end] = q.equal_range("tag"); it != end; ++it) {
    const auto eq = it->second.find('=');
    if (eq == std::string::npos || eq == 0) {
      throw Problem{http::status::bad_request,
                    fmt::format("tag \"{}\": write KEY=VALUE, e.g. tag=branch=main", it->second),
                    ""};
    }
    o.str(it->second.substr(0, eq), it->second.substr(eq + 1));
  }
  o.close();
  return out;
}

}  // namespace

Reply Api::submit(std::string_view body, std::string_view content_type, const Query& q) {
  const std::string tags = tags_json(q);
  SubmittedSuite submitted;
  try {
    submitted = suite_from_body(body, content_type);
  } catch (const SubmitError& e) {
    throw Problem{e.unsupported ? http::status::unsupported_media_type : http::status::bad_request,
                  e.detail, ""};
  }
  suite::LoadOptions options;
  options.require_api_keys = true;
  options.untrusted = m_rules;
  const auto loaded = suite::load_suite_text(submitted.toml, "submitted.toml", options);
  const auto& items = loaded.diagnostics.items();
  if (!loaded.suite) {
    std::string members = "\"errors\":" + diagnostics_json(items, suite::Severity::error);
    members += ",\"warnings\":" + diagnostics_json(items, suite::Severity::warning);
    if (submitted.kind != BodyKind::toml) {
      members += ",\"suite_toml\":";
      util::append_json_string(members, submitted.toml);
    }
    throw Problem{http::status::unprocessable_entity,
                  fmt::format("the suite has {} error{}; nothing was queued",
                              loaded.diagnostics.error_count(),
                              loaded.diagnostics.error_count() == 1 ? "" : "s"),
                  members};
  }
  const std::string id = m_queue.submit(*loaded.suite, tags);
  const std::string location = "/api/v1/runs/" + id;
  Reply r;
  r.status = http::status::accepted;
  util::JsonObject o(r.body);
  o.str("id", id);
  o.str("status", "queued");
  o.str("location", location);
  o.raw("warnings", diagnostics_json(items, suite::Severity::warning));
  o.close();
  r.headers.set(http::field::location, location);
  return r;
}

Reply Api::remove(const std::string& id) {
  std::optional<store::RunRow> row;
  {
    std::lock_guard lock(m_db_mu);
    row = store::get_run(m_db, id);
  }
  if (row->status == "queued" || row->status == "running") {
    const auto outcome = m_queue.cancel(id);
    if (outcome == RunQueue::Cancel::not_here) {
      throw Problem{http::status::conflict,
                    fmt::format("run {} is {} in another process (host {}, pid {}); stop it "
                                "there, or DELETE again once it has ended",
                                id, row->status, row->host, row->pid.value_or(0)),
                    ""};
    }
    Reply r;
    r.status = outcome == RunQueue::Cancel::was_queued ? http::status::ok : http::status::accepted;
    util::JsonObject o(r.body);
    o.str("id", id);
    o.str("status", outcome == RunQueue::Cancel::was_queued ? "cancelled" : "cancelling");
    o.close();
    return r;
  }
  std::lock_guard lock(m_db_mu);
  store::remove_run(m_db, id);
  Reply r;
  r.status = http::status::no_content;
  r.content_type.clear();
  return r;
}

}  // namespace llmbench::server::serve
