#include "llmbench/store/sessions.hpp"

#include <fmt/format.h>

#include <charconv>
#include <map>

#include "llmbench/store/runs.hpp"
#include "llmbench/util/error.hpp"

namespace llmbench::store {

namespace {

constexpr std::string_view k_columns =
    "id, run_id, key_hash, experiment, variant, model_alias, harness, harness_kind, task_card, "
    "label, notes, settings_json, config_path, config_hash, workdir, git_branch, git_commit, "
    "git_dirty, created_at_ms, expires_at_ms, finalized_at_ms, status";

SessionRow read_session(const Statement& st) {
  SessionRow s;
  s.id = st.text(0);
  s.run_id = st.text(1);
  s.key_hash = st.text(2);
  s.experiment = st.opt_text(3);
  s.variant = st.text(4);
  s.model_alias = st.text(5);
  s.harness = st.text(6);
  s.harness_kind = st.text(7);
  s.task_card = st.opt_text(8);
  s.label = st.opt_text(9);
  s.notes = st.opt_text(10);
  s.settings_json = st.text(11);
  s.config_path = st.text(12);
  s.config_hash = st.text(13);
  s.workdir = st.text(14);
  s.git_branch = st.opt_text(15);
  s.git_commit = st.opt_text(16);
  if (const auto dirty = st.opt_int64(17)) {
    s.git_dirty = *dirty != 0;
  }
  s.created_at_ms = st.int64(18);
  s.expires_at_ms = st.opt_int64(19);
  s.finalized_at_ms = st.opt_int64(20);
  s.status = st.text(21);
  return s;
}

std::optional<SessionRow> one(Database& db, std::string_view where, const std::string& value) {
  auto st = db.prepare(fmt::format("SELECT {} FROM sessions WHERE {} = ?1", k_columns, where));
  st.bind(1, value);
  if (!st.step()) {
    return std::nullopt;
  }
  return read_session(st);
}

}  // namespace

void insert_session(Database& db, const SessionRow& s) {
  auto st = db.prepare(fmt::format(
      "INSERT INTO sessions ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, "
      "?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22)",
      k_columns));
  st.bind(1, s.id).bind(2, s.run_id).bind(3, s.key_hash).bind(4, s.experiment);
  st.bind(5, s.variant).bind(6, s.model_alias).bind(7, s.harness).bind(8, s.harness_kind);
  st.bind(9, s.task_card).bind(10, s.label).bind(11, s.notes).bind(12, s.settings_json);
  st.bind(13, s.config_path).bind(14, s.config_hash).bind(15, s.workdir);
  st.bind(16, s.git_branch).bind(17, s.git_commit);
  if (s.git_dirty) {
    st.bind(18, std::int64_t{*s.git_dirty ? 1 : 0});
  } else {
    st.bind_null(18);
  }
  st.bind(19, s.created_at_ms).bind(20, s.expires_at_ms).bind(21, s.finalized_at_ms);
  st.bind(22, s.status);
  st.step();
}

std::optional<SessionRow> session_by_key_hash(Database& db, const std::string& key_hash) {
  return one(db, "key_hash", key_hash);
}

std::optional<SessionRow> get_session(Database& db, const std::string& id) {
  return one(db, "id", id);
}

std::vector<SessionRow> list_sessions(Database& db, const std::string& variant,
                                      const std::string& experiment) {
  auto st = db.prepare(fmt::format(
      "SELECT {} FROM sessions WHERE (?1 = '' OR variant = ?1) AND (?2 = '' OR experiment = ?2) "
      "ORDER BY created_at_ms DESC, id DESC",
      k_columns));
  st.bind(1, variant).bind(2, experiment);
  std::vector<SessionRow> out;
  while (st.step()) {
    out.push_back(read_session(st));
  }
  return out;
}

std::string resolve_session(Database& db, const std::string& reference) {
  if (reference.empty()) {
    throw InputError("a session id is required (see `llmbench session list`)");
  }
  auto st = db.prepare("SELECT id FROM sessions WHERE substr(id, 1, length(?1)) = ?1 LIMIT 6");
  st.bind(1, reference);
  std::vector<std::string> ids;
  while (st.step()) {
    ids.push_back(st.text(0));
  }
  if (ids.empty()) {
    throw InputError(
        fmt::format("no session \"{}\" in this history (see `llmbench session list`)", reference));
  }
  if (ids.size() > 1) {
    throw InputError(fmt::format(
        "\"{}\" names more than one session ({}{}); give more of the id", reference,
        fmt::join(ids.begin(), ids.begin() + std::min<std::size_t>(ids.size(), 5), ", "),
        ids.size() > 5 ? ", ..." : ""));
  }
  return ids.front();
}

bool finalize_session(Database& db, const std::string& id, const std::string& status,
                      std::int64_t at_ms) {
  auto st = db.prepare(
      "UPDATE sessions SET status = ?2, finalized_at_ms = ?3 WHERE id = ?1 AND status = 'active'");
  st.bind(1, id).bind(2, status).bind(3, at_ms);
  st.step();
  return db.changes() == 1;
}

std::string encode_gaps(std::span<const std::int64_t> content_times_ns) {
  std::string out;
  for (std::size_t i = 1; i < content_times_ns.size(); ++i) {
    if (i > 1) {
      out += ',';
    }
    out += std::to_string(content_times_ns[i] - content_times_ns[i - 1]);
  }
  return out;
}

std::vector<std::int64_t> decode_gaps(std::int64_t t_first_token_ns, std::string_view gaps) {
  std::vector<std::int64_t> out{t_first_token_ns};
  std::int64_t t = t_first_token_ns;
  while (!gaps.empty()) {
    const auto comma = gaps.find(',');
    const std::string_view item = gaps.substr(0, comma);
    std::int64_t gap = 0;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), gap);
    if (ec != std::errc() || ptr != item.data() + item.size() || gap < 0) {
      break;  // a damaged list: the times read so far
    }
    t += gap;
    out.push_back(t);
    if (comma == std::string_view::npos) {
      break;
    }
    gaps.remove_prefix(comma + 1);
  }
  return out;
}

std::vector<RequestRow> proxied_requests(Database& db, const std::string& run_id) {
  std::vector<RequestRow> rows = final_attempts(db, run_id);
  auto st = db.prepare(
      "SELECT seq, session_id, endpoint, requested_model, upstream_model, t_recv_ns, "
      "t_client_first_ns, t_client_done_ns, client_disconnected, content_gaps "
      "FROM proxy_requests WHERE run_id = ?1");
  st.bind(1, run_id);
  std::map<std::int64_t, ProxyRow> by_seq;
  while (st.step()) {
    ProxyRow p;
    p.session_id = st.opt_text(1);
    p.endpoint = st.text(2);
    p.requested_model = st.text(3);
    p.upstream_model = st.text(4);
    p.t_recv_ns = st.int64(5);
    p.t_client_first_ns = st.opt_int64(6);
    p.t_client_done_ns = st.opt_int64(7);
    p.client_disconnected = st.int64(8) != 0;
    p.content_gaps = st.opt_text(9).value_or("");
    by_seq.emplace(st.int64(0), std::move(p));
  }
  for (auto& row : rows) {
    if (auto it = by_seq.find(row.seq); it != by_seq.end()) {
      row.proxy = std::move(it->second);
    }
  }
  return rows;
}

namespace {

// The table's columns but run_id and seq, comma-separated.
std::string other_columns(Database& db, std::string_view table) {
  auto st = db.prepare(fmt::format("PRAGMA table_info({})", table));
  std::string out;
  while (st.step()) {
    const std::string name = st.text(1);
    if (name == "run_id" || name == "seq") {
      continue;
    }
    out += out.empty() ? name : ", " + name;
  }
  return out;
}

}  // namespace

std::int64_t copy_run_rows(Database& db, const std::string& from, const std::string& to) {
  std::int64_t offset = 0;
  {
    auto st = db.prepare("SELECT COALESCE(MAX(seq), 0) FROM requests WHERE run_id = ?1");
    st.bind(1, to);
    if (st.step()) {
      offset = st.int64(0);
    }
  }
  std::int64_t copied = 0;
  for (const std::string_view table : {"requests", "proxy_requests", "route_attempts"}) {
    const std::string cols = other_columns(db, table);
    auto st =
        db.prepare(fmt::format("INSERT INTO {0} (run_id, seq, {1}) SELECT ?1, seq + ?2, "
                               "{1} FROM {0} WHERE run_id = ?3",
                               table, cols));
    st.bind(1, to).bind(2, offset).bind(3, from);
    st.step();
    if (table == "requests") {
      copied = db.changes();
    }
  }
  auto targets = db.prepare(
      "INSERT OR IGNORE INTO run_targets (run_id, target, provider, model, base_url, region) "
      "SELECT ?1, target, provider, model, base_url, region FROM run_targets WHERE run_id = ?2");
  targets.bind(1, to).bind(2, from);
  targets.step();
  return copied;
}

}  // namespace llmbench::store
