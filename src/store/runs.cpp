#include "llmbench/store/runs.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "llmbench/util/error.hpp"

namespace llmbench::store {

namespace {

// How many final attempts (a retried request is one request) of run `run` match `where`.
std::string count_sql(std::string_view run, std::string_view where) {
  return fmt::format(
      "(SELECT COUNT(*) FROM requests q WHERE q.run_id = {} AND {} AND q.attempt = "
      "(SELECT MAX(attempt) FROM requests q2 WHERE q2.run_id = q.run_id AND q2.seq = q.seq))",
      run, where);
}

}  // namespace

void insert_run(Database& db, const RunRow& r) {
  auto st = db.prepare(
      "INSERT INTO runs (id, suite_name, suite_path, suite_hash, suite_text, llmbench_version, "
      "host, git_commit, tags_json, load_json, started_at_ms, ended_at_ms, status, pid, "
      "process_start) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)");
  st.bind(1, r.id).bind(2, r.suite_name).bind(3, r.suite_path).bind(4, r.suite_hash);
  st.bind(5, r.suite_text).bind(6, r.llmbench_version).bind(7, r.host).bind(8, r.git_commit);
  st.bind(9, r.tags_json).bind(10, r.load_json).bind(11, r.started_at_ms).bind(12, r.ended_at_ms);
  st.bind(13, r.status).bind(14, r.pid).bind(15, r.process_start);
  st.step();
}

std::vector<RunRow> running_runs(Database& db) {
  auto st = db.prepare(
      "SELECT id, host, pid, process_start, started_at_ms FROM runs WHERE status = 'running' "
      "ORDER BY started_at_ms");
  std::vector<RunRow> out;
  while (st.step()) {
    RunRow r;
    r.id = st.text(0);
    r.host = st.text(1);
    r.pid = st.opt_int64(2);
    r.process_start = st.opt_text(3);
    r.started_at_ms = st.int64(4);
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<RequestRow> final_attempts(Database& db, const std::string& run_id) {
  auto st = db.prepare(
      "SELECT seq, target, phase, attempt, warmup, t_sched_ns, t_send_ns, t_first_byte_ns, "
      "t_first_token_ns, t_done_ns, error_class, input_tokens, output_tokens, content_events, "
      "cost_usd, streamed, server_source, server_queue_ns, server_prompt_ns, server_decode_ns, "
      "server_decode_tokens, server_processing_ns, clock_error, status_code "
      "FROM requests r WHERE run_id = ?1 AND attempt = (SELECT MAX(attempt) FROM "
      "requests q WHERE q.run_id = r.run_id AND q.seq = r.seq) ORDER BY seq");
  st.bind(1, run_id);
  std::vector<RequestRow> out;
  while (st.step()) {
    RequestRow r;
    r.run_id = run_id;
    r.seq = st.int64(0);
    r.target = st.text(1);
    r.phase = st.text(2);
    r.attempt = static_cast<int>(st.int64(3));
    r.warmup = st.int64(4) != 0;
    r.t_sched_ns = st.opt_int64(5);
    r.t_send_ns = st.opt_int64(6);
    r.t_first_byte_ns = st.opt_int64(7);
    r.t_first_token_ns = st.opt_int64(8);
    r.t_done_ns = st.opt_int64(9);
    r.error_class = st.opt_text(10);
    r.input_tokens = st.opt_int64(11);
    r.output_tokens = st.opt_int64(12);
    r.content_events = st.int64(13);
    r.cost_usd = st.opt_real(14);
    r.streamed = st.int64(15) != 0;
    r.server_source = st.opt_text(16);
    r.server_queue_ns = st.opt_int64(17);
    r.server_prompt_ns = st.opt_int64(18);
    r.server_decode_ns = st.opt_int64(19);
    r.server_decode_tokens = st.opt_int64(20);
    r.server_processing_ns = st.opt_int64(21);
    r.clock_error = st.opt_text(22);
    r.status_code = st.opt_int64(23);
    out.push_back(std::move(r));
  }
  return out;
}

void insert_run_target(Database& db, const RunTargetRow& t) {
  auto st = db.prepare(
      "INSERT INTO run_targets (run_id, target, provider, model, base_url, region) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  st.bind(1, t.run_id).bind(2, t.target).bind(3, t.provider).bind(4, t.model);
  st.bind(5, t.base_url).bind(6, t.region);
  st.step();
}

void finish_run(Database& db, const std::string& run_id, const std::string& status,
                std::int64_t ended_at_ms) {
  // The counts listings show, kept now that no more rows come (the batch writer clears them
  // if one does).
  auto st = db.prepare(
      fmt::format("UPDATE runs SET status = ?2, ended_at_ms = ?3, n_requests = {}, n_errors = {}, "
                  "n_warmup = {} WHERE id = ?1",
                  count_sql("runs.id", "q.warmup = 0"),
                  count_sql("runs.id", "q.warmup = 0 AND q.error_class IS NOT NULL"),
                  count_sql("runs.id", "q.warmup <> 0")));
  st.bind(1, run_id).bind(2, status).bind(3, ended_at_ms);
  st.step();
}

bool start_queued_run(Database& db, const RunRow& r) {
  auto st = db.prepare(
      "UPDATE runs SET status = 'running', suite_name = ?2, suite_path = ?3, suite_hash = ?4, "
      "suite_text = ?5, llmbench_version = ?6, host = ?7, git_commit = ?8, tags_json = ?9, "
      "load_json = ?10, started_at_ms = ?11, pid = ?12, process_start = ?13 "
      "WHERE id = ?1 AND status = 'queued'");
  st.bind(1, r.id).bind(2, r.suite_name).bind(3, r.suite_path).bind(4, r.suite_hash);
  st.bind(5, r.suite_text).bind(6, r.llmbench_version).bind(7, r.host).bind(8, r.git_commit);
  st.bind(9, r.tags_json).bind(10, r.load_json).bind(11, r.started_at_ms).bind(12, r.pid);
  st.bind(13, r.process_start);
  st.step();
  return db.changes() == 1;
}

std::vector<RunRow> queued_runs(Database& db) {
  auto st = db.prepare(
      "SELECT id, suite_name, suite_text, tags_json, started_at_ms FROM runs "
      "WHERE status = 'queued' ORDER BY started_at_ms, id");
  std::vector<RunRow> out;
  while (st.step()) {
    RunRow r;
    r.id = st.text(0);
    r.suite_name = st.text(1);
    r.suite_text = st.text(2);
    r.tags_json = st.text(3);
    r.started_at_ms = st.int64(4);
    r.status = "queued";
    out.push_back(std::move(r));
  }
  return out;
}

bool cancel_queued_run(Database& db, const std::string& run_id, std::int64_t ended_at_ms) {
  auto st = db.prepare(
      "UPDATE runs SET status = 'cancelled', ended_at_ms = ?2 WHERE id = ?1 AND status = "
      "'queued'");
  st.bind(1, run_id).bind(2, ended_at_ms);
  st.step();
  return db.changes() == 1;
}

void insert_histogram(Database& db, const HistogramRow& h) {
  auto st = db.prepare(
      "INSERT OR REPLACE INTO histograms (run_id, target, metric, phase, unit, encoded, count, "
      "min, mean, p50, p90, p95, p99, max) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)");
  st.bind(1, h.run_id).bind(2, h.target).bind(3, h.metric).bind(4, h.phase).bind(5, h.unit);
  st.bind(6, h.encoded).bind(7, h.count).bind(8, h.min).bind(9, h.mean).bind(10, h.p50);
  st.bind(11, h.p90).bind(12, h.p95).bind(13, h.p99).bind(14, h.max);
  st.step();
}

namespace {

constexpr std::string_view k_run_columns =
    "r.id, r.suite_name, r.suite_path, r.suite_hash, r.llmbench_version, r.host, r.git_commit, "
    "r.tags_json, r.load_json, r.started_at_ms, r.ended_at_ms, r.status";

RunRow read_run(const Statement& st) {
  RunRow r;
  r.id = st.text(0);
  r.suite_name = st.text(1);
  r.suite_path = st.text(2);
  r.suite_hash = st.text(3);
  r.llmbench_version = st.text(4);
  r.host = st.text(5);
  r.git_commit = st.opt_text(6);
  r.tags_json = st.text(7);
  r.load_json = st.text(8);
  r.started_at_ms = st.int64(9);
  r.ended_at_ms = st.opt_int64(10);
  r.status = st.text(11);
  return r;
}

}  // namespace

std::vector<RunSummary> list_runs(Database& db, std::size_t limit) {
  RunQuery q;
  q.limit = limit;
  return list_runs(db, q);
}

std::vector<RunSummary> list_runs(Database& db, const RunQuery& q) {
  // Counts are of final attempts only (a retried request is one request), measured and
  // warmup apart, as reports count them: kept on the row when the run ended, else counted.
  auto st = db.prepare(fmt::format(
      "SELECT {}, COALESCE(r.n_requests, {}), COALESCE(r.n_errors, {}), "
      "COALESCE(r.n_warmup, {}) "
      "FROM runs r WHERE (?1 = '' OR (r.started_at_ms, r.id) < "
      " (SELECT c.started_at_ms, c.id FROM runs c WHERE c.id = ?1)) "
      "AND (?2 = '' OR r.status = ?2) AND (?3 = '' OR r.suite_name = ?3) "
      "AND (?4 = '' OR json_extract(r.tags_json, '$.' || json_quote(?4)) = ?5) "
      "ORDER BY r.started_at_ms DESC, r.id DESC{}",
      k_run_columns, count_sql("r.id", "q.warmup = 0"),
      count_sql("r.id", "q.warmup = 0 AND q.error_class IS NOT NULL"),
      count_sql("r.id", "q.warmup <> 0"), q.limit > 0 ? fmt::format(" LIMIT {}", q.limit) : ""));
  st.bind(1, q.after).bind(2, q.status).bind(3, q.suite).bind(4, q.tag_key).bind(5, q.tag_value);
  std::vector<RunSummary> out;
  while (st.step()) {
    RunSummary s;
    s.run = read_run(st);
    s.requests = st.int64(12);
    s.errors = st.int64(13);
    s.warmup = st.int64(14);
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<RequestRow> request_page(Database& db, const std::string& run_id,
                                     std::int64_t after_seq, int after_attempt, std::size_t limit) {
  auto st = db.prepare(
      "SELECT seq, attempt, target, prompt_id, phase, warmup, t_sched_ns, t_send_ns, "
      "t_first_byte_ns, t_first_token_ns, t_done_ns, status_code, error_class, error_message, "
      "input_tokens, cached_input_tokens, output_tokens, reasoning_tokens, token_source, "
      "content_events, finish_reason, cost_usd, replayed, streamed "
      "FROM requests WHERE run_id = ?1 AND (seq, attempt) > (?2, ?3) ORDER BY seq, attempt "
      "LIMIT ?4");
  st.bind(1, run_id).bind(2, after_seq).bind(3, after_attempt);
  st.bind(4, static_cast<std::int64_t>(limit));
  std::vector<RequestRow> out;
  while (st.step()) {
    RequestRow r;
    r.run_id = run_id;
    r.seq = st.int64(0);
    r.attempt = static_cast<int>(st.int64(1));
    r.target = st.text(2);
    r.prompt_id = st.text(3);
    r.phase = st.text(4);
    r.warmup = st.int64(5) != 0;
    r.t_sched_ns = st.opt_int64(6);
    r.t_send_ns = st.opt_int64(7);
    r.t_first_byte_ns = st.opt_int64(8);
    r.t_first_token_ns = st.opt_int64(9);
    r.t_done_ns = st.opt_int64(10);
    r.status_code = st.opt_int64(11);
    r.error_class = st.opt_text(12);
    r.error_message = st.opt_text(13);
    r.input_tokens = st.opt_int64(14);
    r.cached_input_tokens = st.opt_int64(15);
    r.output_tokens = st.opt_int64(16);
    r.reasoning_tokens = st.opt_int64(17);
    r.token_source = st.opt_text(18);
    r.content_events = st.int64(19);
    r.finish_reason = st.opt_text(20);
    r.cost_usd = st.opt_real(21);
    r.replayed = st.int64(22) != 0;
    r.streamed = st.int64(23) != 0;
    out.push_back(std::move(r));
  }
  return out;
}

std::optional<RunRow> get_run(Database& db, const std::string& run_id) {
  auto st =
      db.prepare(fmt::format("SELECT {}, r.suite_text FROM runs r WHERE r.id = ?1", k_run_columns));
  st.bind(1, run_id);
  if (!st.step()) {
    return std::nullopt;
  }
  RunRow r = read_run(st);
  r.suite_text = st.text(12);
  return r;
}

std::vector<TargetSummary> target_summaries(Database& db, const std::string& run_id) {
  std::vector<TargetSummary> out;
  auto targets = db.prepare(
      "SELECT target, provider, model, base_url, region FROM run_targets WHERE run_id = ?1 "
      "ORDER BY rowid");
  targets.bind(1, run_id);
  while (targets.step()) {
    TargetSummary s;
    s.target = {run_id,          targets.text(0), targets.text(1),
                targets.text(2), targets.text(3), targets.opt_text(4)};
    out.push_back(std::move(s));
  }
  auto counts = db.prepare(
      "SELECT target, warmup, COALESCE(error_class, ''), COUNT(*) FROM requests q "
      "WHERE run_id = ?1 AND attempt = (SELECT MAX(attempt) FROM requests q2 "
      "  WHERE q2.run_id = q.run_id AND q2.seq = q.seq) "
      "GROUP BY target, warmup, error_class ORDER BY target, error_class");
  counts.bind(1, run_id);
  while (counts.step()) {
    const std::string target = counts.text(0);
    auto it = std::find_if(out.begin(), out.end(),
                           [&](const TargetSummary& s) { return s.target.target == target; });
    if (it == out.end()) {
      continue;
    }
    const std::int64_t n = counts.int64(3);
    if (counts.int64(1) != 0) {
      it->warmup += n;
      continue;
    }
    it->requests += n;
    const std::string error_class = counts.text(2);
    if (!error_class.empty()) {
      it->errors += n;
      it->errors_by_class.emplace_back(error_class, n);
    }
  }
  return out;
}

std::vector<HistogramRow> histograms(Database& db, const std::string& run_id) {
  auto st = db.prepare(
      "SELECT target, metric, phase, unit, encoded, count, min, mean, p50, p90, p95, p99, max "
      "FROM histograms WHERE run_id = ?1 ORDER BY target, metric, phase");
  st.bind(1, run_id);
  std::vector<HistogramRow> out;
  while (st.step()) {
    HistogramRow h;
    h.run_id = run_id;
    h.target = st.text(0);
    h.metric = st.text(1);
    h.phase = st.text(2);
    h.unit = st.text(3);
    h.encoded = st.text(4);
    h.count = st.int64(5);
    h.min = st.real(6);
    h.mean = st.real(7);
    h.p50 = st.real(8);
    h.p90 = st.real(9);
    h.p95 = st.real(10);
    h.p99 = st.real(11);
    h.max = st.real(12);
    out.push_back(std::move(h));
  }
  return out;
}

void save_baseline(Database& db, const std::string& name, const std::string& run_id,
                   std::int64_t saved_at_ms) {
  auto st = db.prepare(
      "INSERT INTO baselines (name, run_id, saved_at_ms) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (name) DO UPDATE SET run_id = excluded.run_id, "
      "saved_at_ms = excluded.saved_at_ms");
  st.bind(1, name).bind(2, run_id).bind(3, saved_at_ms);
  st.step();
}

std::vector<Baseline> list_baselines(Database& db) {
  auto st = db.prepare("SELECT name, run_id, saved_at_ms FROM baselines ORDER BY name");
  std::vector<Baseline> out;
  while (st.step()) {
    out.push_back({st.text(0), st.text(1), st.int64(2)});
  }
  return out;
}

std::string resolve_run(Database& db, const std::string& reference) {
  if (reference.empty()) {
    throw InputError("empty run reference: give a run id, a prefix of one, or latest");
  }
  {
    auto st = db.prepare("SELECT run_id FROM baselines WHERE name = ?1");
    st.bind(1, reference);
    if (st.step()) {
      return st.text(0);
    }
  }
  if (reference == "latest") {
    auto st = db.prepare("SELECT id FROM runs ORDER BY started_at_ms DESC, id DESC LIMIT 1");
    if (!st.step()) {
      throw InputError(
          fmt::format("there are no runs in {} yet (llmbench run SUITE.toml)", db.path()));
    }
    return st.text(0);
  }
  // Escape LIKE wildcards: a reference is matched literally.
  std::string pattern;
  for (const char c : reference) {
    if (c == '%' || c == '_' || c == '\\') {
      pattern += '\\';
    }
    pattern += c;
  }
  pattern += '%';
  auto st = db.prepare("SELECT id FROM runs WHERE id LIKE ?1 ESCAPE '\\' ORDER BY id LIMIT 6");
  st.bind(1, pattern);
  std::vector<std::string> ids;
  while (st.step()) {
    ids.push_back(st.text(0));
  }
  if (ids.empty()) {
    throw InputError(
        fmt::format("no run matches \"{}\" in {} (see llmbench runs list)", reference, db.path()));
  }
  if (ids.size() > 1) {
    throw InputError(fmt::format(
        "run reference \"{}\" is ambiguous: it matches {}{}; give more "
        "characters",
        reference, fmt::join(ids.begin(), ids.begin() + std::min<std::size_t>(ids.size(), 5), ", "),
        ids.size() > 5 ? ", ..." : ""));
  }
  return ids.front();
}

bool remove_run(Database& db, const std::string& run_id) {
  bool removed = false;
  db.transaction([&] {
    // Children first, explicitly: correct even on a connection without foreign keys.
    for (const char* table : {"requests", "histograms", "run_targets"}) {
      auto st = db.prepare(fmt::format("DELETE FROM {} WHERE run_id = ?1", table));
      st.bind(1, run_id);
      st.step();
    }
    auto st = db.prepare("DELETE FROM runs WHERE id = ?1");
    st.bind(1, run_id);
    st.step();
    removed = db.changes() > 0;
  });
  return removed;
}

std::size_t unique_prefix_length(const std::vector<std::string>& ids, std::size_t min_len) {
  std::vector<std::string> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  std::size_t len = min_len;
  for (std::size_t i = 1; i < sorted.size(); ++i) {
    const auto& a = sorted[i - 1];
    const auto& b = sorted[i];
    std::size_t common = 0;
    while (common < a.size() && common < b.size() && a[common] == b[common]) {
      ++common;
    }
    len = std::max(len, common + 1);
  }
  return len;
}

std::string short_id(Database& db, const std::string& run_id) {
  std::vector<std::string> ids = {run_id};
  for (const char* sql : {"SELECT id FROM runs WHERE id < ?1 ORDER BY id DESC LIMIT 1",
                          "SELECT id FROM runs WHERE id > ?1 ORDER BY id LIMIT 1"}) {
    auto st = db.prepare(sql);
    st.bind(1, run_id);
    if (st.step()) {
      ids.push_back(st.text(0));
    }
  }
  return run_id.substr(0, std::min(run_id.size(), unique_prefix_length(ids)));
}

std::size_t short_id_length(Database& db) {
  std::vector<std::string> ids;
  auto st = db.prepare("SELECT id FROM runs");
  while (st.step()) {
    ids.push_back(st.text(0));
  }
  return unique_prefix_length(ids);
}

}  // namespace llmbench::store
