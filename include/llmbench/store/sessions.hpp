#pragma once
// Harness sessions (table sessions) and the proxy's own columns of their requests (table
// proxy_requests). A session owns a run: its requests are that run's rows, so every report,
// `report diff` and `runs export` works on a session as on any run.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "llmbench/store/database.hpp"
#include "llmbench/store/records.hpp"

namespace llmbench::store {

struct SessionRow {
  std::string id;
  std::string run_id;
  std::string key_hash;  // SHA-256 of the session key, hex; the key itself is never stored
  std::optional<std::string> experiment;
  std::string variant;
  std::string model_alias;
  std::string harness;
  std::string harness_kind;
  std::optional<std::string> task_card;
  std::optional<std::string> label;
  std::optional<std::string> notes;
  std::string settings_json = "{}";
  std::string config_path;
  std::string config_hash;
  std::string workdir;
  std::optional<std::string> git_branch;
  std::optional<std::string> git_commit;
  std::optional<bool> git_dirty;
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> expires_at_ms;
  std::optional<std::int64_t> finalized_at_ms;
  std::string status = "active";  // active | completed | abandoned | failed

  // Active and not past its timebox at `now_ms`: its key is accepted.
  bool open_at(std::int64_t now_ms) const {
    return status == "active" && (!expires_at_ms || now_ms < *expires_at_ms);
  }
};

void insert_session(Database& db, const SessionRow& s);
std::optional<SessionRow> session_by_key_hash(Database& db, const std::string& key_hash);
std::optional<SessionRow> get_session(Database& db, const std::string& id);
// Newest first; a filter left empty matches every session.
std::vector<SessionRow> list_sessions(Database& db, const std::string& variant = {},
                                      const std::string& experiment = {});
// A session id, or a unique prefix of one; throws InputError naming the candidates.
std::string resolve_session(Database& db, const std::string& reference);
// Sets the final status and time; false when the session was not active.
bool finalize_session(Database& db, const std::string& id, const std::string& status,
                      std::int64_t at_ms);

// The gaps between content events after the first (`content_times_ns`), as stored.
std::string encode_gaps(std::span<const std::int64_t> content_times_ns);
// Content event times rebuilt from the first token's time and the stored gaps.
std::vector<std::int64_t> decode_gaps(std::int64_t t_first_token_ns, std::string_view gaps);

// A run's final attempts (as store::final_attempts) with their proxy columns where they have
// them, in order.
std::vector<RequestRow> proxied_requests(Database& db, const std::string& run_id);

// Copies the requests (with their proxy columns and route attempts) and targets of `from` into
// run `to`, which must exist, numbering them after the rows `to` has: a variant's sessions
// pooled into one run. Returns the rows copied.
std::int64_t copy_run_rows(Database& db, const std::string& from, const std::string& to);

}  // namespace llmbench::store
