#pragma once
// The run history: create, finish, list, resolve references, remove.

#include <optional>
#include <string>
#include <vector>

#include "llmbench/store/database.hpp"
#include "llmbench/store/records.hpp"

namespace llmbench::store {

void insert_run(Database& db, const RunRow& run);
void insert_run_target(Database& db, const RunTargetRow& target);
void finish_run(Database& db, const std::string& run_id, const std::string& status,
                std::int64_t ended_at_ms);
void insert_histogram(Database& db, const HistogramRow& row);
// The service's queue (docs/serve.md): a submitted run is a row with status `queued` whose
// suite_text is the suite to run. start_queued_run takes it over (status `running`, the
// fields of `run`), false if it is no longer queued; cancel_queued_run marks it `cancelled`,
// false if it was not queued. queued_runs: oldest first (id, suite_name, suite_text,
// tags_json, started_at_ms = when it was submitted).
bool start_queued_run(Database& db, const RunRow& run);
bool cancel_queued_run(Database& db, const std::string& run_id, std::int64_t ended_at_ms);
std::vector<RunRow> queued_runs(Database& db);
// Runs still marked `running` (id, host, pid, process_start, started_at_ms only).
std::vector<RunRow> running_runs(Database& db);
// The last attempt of each request of a run, in order, with the columns the aggregator reads
// (no text).
std::vector<RequestRow> final_attempts(Database& db, const std::string& run_id);

struct RunSummary {
  RunRow run;                 // suite_text left empty in listings
  std::int64_t requests = 0;  // measured requests (final attempts, warmup left out)
  std::int64_t errors = 0;    // of those
  std::int64_t warmup = 0;    // warmup requests (final attempts)
};
// Newest first.
std::vector<RunSummary> list_runs(Database& db, std::size_t limit = 0);
// A page of the history, newest first: runs older than `after` (a run id: the last of the
// previous page), filtered by status, suite name and one tag (`tags_json` key = value);
// an empty field filters nothing.
struct RunQuery {
  std::size_t limit = 0;  // 0: all
  std::string after;
  std::string status;
  std::string suite;
  std::string tag_key;
  std::string tag_value;
};
std::vector<RunSummary> list_runs(Database& db, const RunQuery& query);
// A run's request rows (every attempt) after (`after_seq`, `after_attempt`), in order, at
// most `limit` (no text).
std::vector<RequestRow> request_page(Database& db, const std::string& run_id,
                                     std::int64_t after_seq, int after_attempt, std::size_t limit);
std::optional<RunRow> get_run(Database& db, const std::string& run_id);

struct TargetSummary {
  RunTargetRow target;
  std::int64_t requests = 0;  // measured (not warmup), final attempts
  std::int64_t warmup = 0;
  std::int64_t errors = 0;
  std::vector<std::pair<std::string, std::int64_t>> errors_by_class;
};
std::vector<TargetSummary> target_summaries(Database& db, const std::string& run_id);
std::vector<HistogramRow> histograms(Database& db, const std::string& run_id);

// Names `run_id` as baseline `name` (moving the name if another run had it).
void save_baseline(Database& db, const std::string& name, const std::string& run_id,
                   std::int64_t saved_at_ms);
struct Baseline {
  std::string name;
  std::string run_id;
  std::int64_t saved_at_ms = 0;
};
std::vector<Baseline> list_baselines(Database& db);

// A run reference: a full id, a unique prefix of one, `latest`, or a baseline name. Throws
// InputError naming the candidates when it is unknown or ambiguous.
std::string resolve_run(Database& db, const std::string& reference);
// Removes the run and all its rows; returns false if it did not exist.
bool remove_run(Database& db, const std::string& run_id);

// The shortest prefix length (>= min_len) that tells every id in `ids` apart.
std::size_t unique_prefix_length(const std::vector<std::string>& ids, std::size_t min_len = 8);
// `run_id` abbreviated like git: the shortest prefix (at least 8 characters) no other run in
// the database shares, so it can be pasted back as RUN. UUIDv7s started within a minute share
// their first 8 characters.
std::string short_id(Database& db, const std::string& run_id);
// The one prefix length that tells every run in the database apart (for a listing).
std::size_t short_id_length(Database& db);

}  // namespace llmbench::store
