#include "llmbench/store/migrations.hpp"

#include "llmbench/store/database.hpp"

namespace llmbench::store {

namespace {

// v1: runs, their targets, one row per request, encoded histograms.
constexpr std::string_view k_v1 = R"sql(
CREATE TABLE runs (
  id               TEXT PRIMARY KEY,
  suite_name       TEXT NOT NULL,
  suite_path       TEXT NOT NULL DEFAULT '',
  suite_hash       TEXT NOT NULL,
  suite_text       TEXT NOT NULL,
  llmbench_version TEXT NOT NULL,
  host             TEXT NOT NULL DEFAULT '',
  git_commit       TEXT,
  tags_json        TEXT NOT NULL DEFAULT '{}',
  load_json        TEXT NOT NULL DEFAULT '{}',
  started_at_ms    INTEGER NOT NULL,
  ended_at_ms      INTEGER,
  status           TEXT NOT NULL CHECK (status IN ('running','completed','failed','interrupted'))
);
CREATE INDEX runs_started ON runs (started_at_ms);

CREATE TABLE run_targets (
  run_id   TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  target   TEXT NOT NULL,
  provider TEXT NOT NULL,
  model    TEXT NOT NULL,
  base_url TEXT NOT NULL DEFAULT '',
  region   TEXT,
  PRIMARY KEY (run_id, target)
);

CREATE TABLE requests (
  run_id              TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  seq                 INTEGER NOT NULL,
  target              TEXT NOT NULL,
  prompt_id           TEXT NOT NULL,
  phase               TEXT NOT NULL DEFAULT '',
  attempt             INTEGER NOT NULL DEFAULT 1,
  warmup              INTEGER NOT NULL DEFAULT 0,
  t_sched_ns          INTEGER,
  t_send_ns           INTEGER,
  t_first_byte_ns     INTEGER,
  t_first_token_ns    INTEGER,
  t_done_ns           INTEGER,
  status_code         INTEGER,
  error_class         TEXT,
  error_message       TEXT,
  input_tokens        INTEGER,
  cached_input_tokens INTEGER,
  output_tokens       INTEGER,
  reasoning_tokens    INTEGER,
  token_source        TEXT CHECK (token_source IN ('usage','estimated')),
  content_events      INTEGER NOT NULL DEFAULT 0,
  finish_reason       TEXT,
  cost_usd            REAL,
  request_body        TEXT,
  response_text       TEXT,
  PRIMARY KEY (run_id, seq, attempt)
);

CREATE TABLE histograms (
  run_id  TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  target  TEXT NOT NULL,
  metric  TEXT NOT NULL,
  phase   TEXT NOT NULL DEFAULT '',
  unit    TEXT NOT NULL,
  encoded TEXT NOT NULL,
  count   INTEGER NOT NULL,
  min     REAL,
  mean    REAL,
  p50     REAL,
  p90     REAL,
  p95     REAL,
  p99     REAL,
  max     REAL,
  PRIMARY KEY (run_id, target, metric, phase)
);
)sql";

// v2: baseline names, each pointing at the newest run saved under it.
constexpr std::string_view k_v2 = R"sql(
CREATE TABLE baselines (
  name        TEXT PRIMARY KEY,
  run_id      TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  saved_at_ms INTEGER NOT NULL
);
)sql";

// v3: requests answered from the response cache instead of the network.
constexpr std::string_view k_v3 = R"sql(
ALTER TABLE requests ADD COLUMN replayed INTEGER NOT NULL DEFAULT 0;
)sql";

// v4: the beacon outbox (opt-in latency beacons waiting to be sent, and what became of them),
// and the sender's state (its last error; stopped after a 401).
constexpr std::string_view k_v4 = R"sql(
CREATE TABLE beacon_outbox (
  id            INTEGER PRIMARY KEY,
  run_id        TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  attempt       INTEGER NOT NULL,
  install_id    TEXT NOT NULL,
  body          TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  state         TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued','sent','dropped')),
  sent_at_ms    INTEGER,
  error         TEXT
);
CREATE INDEX beacon_outbox_state ON beacon_outbox (state, id);
CREATE TABLE beacon_state (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
)sql";

// v5: which process runs a run (host is in v1), so a run whose process died can be told
// from one still going and be marked interrupted.
constexpr std::string_view k_v5 = R"sql(
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN process_start TEXT;
)sql";

// v6: a beacon is `posting` while its request is out (under the send ledger's lock), and
// `uncertain` when the request reached the collector but no answer came, or its sender was
// killed while posting (it may be stored there; it is never resent). SQLite cannot widen a
// CHECK in place: the table is copied into a new one.
constexpr std::string_view k_v6 = R"sql(
CREATE TABLE beacon_outbox_v6 (
  id            INTEGER PRIMARY KEY,
  run_id        TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  attempt       INTEGER NOT NULL,
  install_id    TEXT NOT NULL,
  body          TEXT NOT NULL,
  created_at_ms INTEGER NOT NULL,
  state         TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued','posting','sent','dropped','uncertain')),
  sent_at_ms    INTEGER,
  error         TEXT
);
INSERT INTO beacon_outbox_v6 SELECT id, run_id, seq, attempt, install_id, body, created_at_ms,
  state, sent_at_ms, error FROM beacon_outbox;
DROP TABLE beacon_outbox;
ALTER TABLE beacon_outbox_v6 RENAME TO beacon_outbox;
CREATE INDEX beacon_outbox_state ON beacon_outbox (state, id);
)sql";

// v7: whether an answer was streamed (a non-streaming one has no first-token time), the
// server's own timings where it reports them, and a disagreement between them and the
// client's clock (docs/metrics.md).
constexpr std::string_view k_v7 = R"sql(
ALTER TABLE requests ADD COLUMN streamed INTEGER NOT NULL DEFAULT 1;
ALTER TABLE requests ADD COLUMN server_source TEXT;
ALTER TABLE requests ADD COLUMN server_queue_ns INTEGER;
ALTER TABLE requests ADD COLUMN server_prompt_ns INTEGER;
ALTER TABLE requests ADD COLUMN server_prompt_tokens INTEGER;
ALTER TABLE requests ADD COLUMN server_cached_tokens INTEGER;
ALTER TABLE requests ADD COLUMN server_decode_ns INTEGER;
ALTER TABLE requests ADD COLUMN server_decode_tokens INTEGER;
ALTER TABLE requests ADD COLUMN server_processing_ns INTEGER;
ALTER TABLE requests ADD COLUMN clock_error TEXT;
)sql";

// v8: the member attempts of a route's requests (the request's own row is in requests,
// under the route's name).
constexpr std::string_view k_v8 = R"sql(
CREATE TABLE route_attempts (
  run_id            TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  seq               INTEGER NOT NULL,
  attempt           INTEGER NOT NULL,
  idx               INTEGER NOT NULL,
  member            TEXT NOT NULL,
  role              TEXT NOT NULL CHECK (role IN ('primary','hedge','fallback')),
  start_delay_ns    INTEGER NOT NULL,
  outcome           TEXT NOT NULL CHECK (outcome IN ('won','failed','cancelled','lost')),
  error_class       TEXT,
  status_code       INTEGER,
  t_send_ns         INTEGER,
  t_first_token_ns  INTEGER,
  t_done_ns         INTEGER,
  input_tokens      INTEGER,
  output_tokens     INTEGER,
  cost_usd          REAL,
  cancel_latency_ns INTEGER,
  PRIMARY KEY (run_id, seq, attempt, idx)
);
)sql";

// v9: harness sessions behind the proxy (docs/proxy.md). A session owns a run (its requests
// are that run's rows); its key is kept only as a SHA-256 hash. proxy_requests holds what only
// a proxied request has: its session, endpoint, model names, the client's side of its timing
// and the gaps between its content events (so a session's ITL can be rebuilt from the store).
constexpr std::string_view k_v9 = R"sql(
CREATE TABLE sessions (
  id              TEXT PRIMARY KEY,
  run_id          TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key_hash        TEXT NOT NULL UNIQUE,
  experiment      TEXT,
  variant         TEXT NOT NULL,
  model_alias     TEXT NOT NULL,
  harness         TEXT NOT NULL,
  harness_kind    TEXT NOT NULL,
  task_card       TEXT,
  label           TEXT,
  notes           TEXT,
  settings_json   TEXT NOT NULL DEFAULT '{}',
  config_path     TEXT NOT NULL DEFAULT '',
  config_hash     TEXT NOT NULL DEFAULT '',
  workdir         TEXT NOT NULL DEFAULT '',
  git_branch      TEXT,
  git_commit      TEXT,
  git_dirty       INTEGER,
  created_at_ms   INTEGER NOT NULL,
  expires_at_ms   INTEGER,
  finalized_at_ms INTEGER,
  status          TEXT NOT NULL DEFAULT 'active'
                  CHECK (status IN ('active','completed','abandoned','failed'))
);
CREATE INDEX sessions_variant ON sessions (variant);
CREATE TABLE proxy_requests (
  run_id              TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  seq                 INTEGER NOT NULL,
  session_id          TEXT,
  endpoint            TEXT NOT NULL,
  requested_model     TEXT NOT NULL,
  upstream_model      TEXT NOT NULL,
  t_recv_ns           INTEGER NOT NULL,
  t_client_first_ns   INTEGER,
  t_client_done_ns    INTEGER,
  client_disconnected INTEGER NOT NULL DEFAULT 0,
  content_gaps        TEXT,
  PRIMARY KEY (run_id, seq)
);
)sql";

// v10: the service's run states (docs/serve.md): `queued` (submitted, waiting for a worker;
// its suite is in suite_text, so it survives a restart) and `cancelled` (stopped on request,
// what finished kept). And a run's request counts (final attempts: measured, measured that
// failed, warmup), kept when it ends so a page of runs need not count rows; the batch writer clears
// them when it stores a row for an ended run, and listings count again. SQLite cannot change a
// CHECK in place, so runs is rebuilt (the documented 12-step way: migrate() turns foreign keys off
// around it, so the rows that reference runs stay as they are).
constexpr std::string_view k_v10 = R"sql(
CREATE TABLE runs_v10 (
  id               TEXT PRIMARY KEY,
  suite_name       TEXT NOT NULL,
  suite_path       TEXT NOT NULL DEFAULT '',
  suite_hash       TEXT NOT NULL,
  suite_text       TEXT NOT NULL,
  llmbench_version TEXT NOT NULL,
  host             TEXT NOT NULL DEFAULT '',
  git_commit       TEXT,
  tags_json        TEXT NOT NULL DEFAULT '{}',
  load_json        TEXT NOT NULL DEFAULT '{}',
  started_at_ms    INTEGER NOT NULL,
  ended_at_ms      INTEGER,
  status           TEXT NOT NULL CHECK (status IN ('queued','running','completed','failed',
                                                   'interrupted','cancelled')),
  pid              INTEGER,
  process_start    TEXT,
  n_requests       INTEGER,
  n_errors         INTEGER,
  n_warmup         INTEGER
);
INSERT INTO runs_v10 (id, suite_name, suite_path, suite_hash, suite_text, llmbench_version, host,
                      git_commit, tags_json, load_json, started_at_ms, ended_at_ms, status, pid,
                      process_start)
  SELECT id, suite_name, suite_path, suite_hash, suite_text, llmbench_version, host, git_commit,
         tags_json, load_json, started_at_ms, ended_at_ms, status, pid, process_start FROM runs;
DROP TABLE runs;
ALTER TABLE runs_v10 RENAME TO runs;
CREATE INDEX runs_started ON runs (started_at_ms);
CREATE INDEX runs_status ON runs (status);
UPDATE runs SET
  n_requests = (SELECT COUNT(*) FROM requests q WHERE q.run_id = runs.id AND q.warmup = 0 AND
    q.attempt = (SELECT MAX(attempt) FROM requests q2 WHERE q2.run_id = q.run_id AND q2.seq = q.seq)),
  n_errors = (SELECT COUNT(*) FROM requests q WHERE q.run_id = runs.id AND q.warmup = 0 AND
    q.error_class IS NOT NULL AND
    q.attempt = (SELECT MAX(attempt) FROM requests q2 WHERE q2.run_id = q.run_id AND q2.seq = q.seq)),
  n_warmup = (SELECT COUNT(*) FROM requests q WHERE q.run_id = runs.id AND q.warmup <> 0 AND
    q.attempt = (SELECT MAX(attempt) FROM requests q2 WHERE q2.run_id = q.run_id AND q2.seq = q.seq))
  WHERE status NOT IN ('queued', 'running');
)sql";

}  // namespace

const std::vector<std::string_view>& migrations() {
  static const std::vector<std::string_view> all = {k_v1, k_v2, k_v3, k_v4, k_v5,
                                                    k_v6, k_v7, k_v8, k_v9, k_v10};
  return all;
}

void migrate(Database& db) {
  const auto& all = migrations();
  if (db.user_version() >= static_cast<int>(all.size())) {
    return;
  }
  // Off while tables are rebuilt (v10), so dropping the old table cascades to nothing (the
  // new one keeps every id). A no-op inside a transaction, hence here.
  db.exec("PRAGMA foreign_keys = OFF");
  try {
    while (db.user_version() < static_cast<int>(all.size())) {
      db.transaction([&] {
        const int version = db.user_version();  // again, now that we hold the write lock
        if (version >= static_cast<int>(all.size())) {
          return;
        }
        db.exec(all[static_cast<std::size_t>(version)]);
        db.exec("PRAGMA user_version = " + std::to_string(version + 1));
      });
    }
  } catch (...) {
    db.exec("PRAGMA foreign_keys = ON");
    throw;
  }
  db.exec("PRAGMA foreign_keys = ON");
}

}  // namespace llmbench::store
