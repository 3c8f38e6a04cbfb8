#pragma once
// The response cache's SQLite file (default .llmbench/cache.db): what a request was
// (canonical form, keyed by its fingerprint), what came back (the assembled body and every
// SSE event with its offset from the send), and metadata. Only successful, complete
// responses belong here; the caller never puts an error.
//
// Tables: requests (fingerprint -> canonical request), responses (fingerprint -> body and
// recorded stream), meta (created_at_ms, hit_count, model, system_fingerprint,
// response_duration_ms, ttft_ms, provider, status, response_duration_us). Hits are counted in
// memory and written in batches, so a read never waits on a write.
//

#include <condition_variable>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "llmbench/providers/recording.hpp"
#include "llmbench/store/database.hpp"

namespace llmbench::cache {

// One SSE event with its offset from the send (providers/recording.hpp).
using RecordedEvent = providers::RecordedEvent;

struct CachedResponse {
  std::string fingerprint;
  std::string provider;
  std::string canonical_request;  // the exact text the fingerprint hashes
  std::string model;
  long status = 200;
  std::string body;  // the assembled response, as the non-streaming API would return it
  std::vector<RecordedEvent> events;
  std::optional<std::string> system_fingerprint;
  std::int64_t ttft_ms = 0;
  std::int64_t duration_ms = 0;
  std::optional<std::int64_t> duration_us;  // the same, exactly (replay timing needs it)
  std::int64_t created_at_ms = 0;
  std::int64_t hit_count = 0;
};

// Between the cache's rows and the runner's recordings (a stream has events; a
// non-streaming response has only its body).
providers::Recording to_recording(const CachedResponse& cached);
CachedResponse from_recording(std::string fingerprint, std::string provider,
                              std::string canonical_request, providers::Recording recording,
                              std::int64_t created_at_ms);

// One line of `llmbench cache ls`.
struct CacheEntry {
  std::string fingerprint;
  std::string provider;
  std::string model;
  long status = 200;
  std::int64_t created_at_ms = 0;
  std::int64_t hit_count = 0;
  std::int64_t bytes = 0;  // body and recorded stream
  std::int64_t events = 0;
  std::int64_t ttft_ms = 0;
  std::int64_t duration_ms = 0;
};

struct ListFilter {
  std::optional<std::string> model;  // exact model name
  std::optional<std::int64_t> since_ms;
  std::optional<std::int64_t> until_ms;
  std::optional<std::int64_t> limit;
};

struct PruneResult {
  std::int64_t removed = 0;
  std::int64_t bytes_removed = 0;
};

struct ImportResult {
  std::int64_t imported = 0;
  std::int64_t replaced = 0;  // fingerprints that were already in the cache
};

struct CacheStats {
  std::int64_t entries = 0;
  std::int64_t bytes = 0;  // bodies and recorded streams
  std::int64_t hits = 0;
  std::optional<std::int64_t> oldest_ms;
  std::optional<std::int64_t> newest_ms;
};

class CacheStore {
 public:
  // Opens or creates the cache file (and its folder).
  static CacheStore open(const std::string& path);
  ~CacheStore();
  CacheStore(CacheStore&&) noexcept;
  CacheStore& operator=(CacheStore&&) = delete;

  // Stores (or replaces) one response; put_many stores several in one transaction.
  void put(const CachedResponse& response);
  void put_many(std::span<const CachedResponse> responses);
  // The response for `fingerprint`, counting a hit; nothing on a miss. Without
  // `with_events` the recorded stream is not read (an instant replay needs only the body).
  std::optional<CachedResponse> get(const std::string& fingerprint, bool with_events = true);
  // Counts a hit on an entry the caller already holds (batched like get()'s).
  void count_hit(const std::string& fingerprint);
  // Writes counted hits now (also done every 256 hits and on close).
  void flush_hits();
  CacheStats stats();
  // Entries, newest first.
  std::vector<CacheEntry> list(const ListFilter& filter = {});
  // The entry without counting a hit (for `cache show`).
  std::optional<CachedResponse> peek(const std::string& fingerprint);
  // The one fingerprint starting with `prefix`; throws InputError when none or several do.
  std::string resolve(std::string_view prefix);
  // Removes entries created before `older_than_ms` (if given), then the oldest until the
  // cache holds at most `max_bytes` (if given).
  PruneResult prune(std::optional<std::int64_t> older_than_ms,
                    std::optional<std::int64_t> max_bytes);
  // The portable form: one JSON object per line (docs/cache.md). Returns the entries written.
  std::int64_t export_jsonl(std::ostream& out);
  // Reads what export_jsonl wrote. Every line is checked (JSON, fields, and that the request
  // hashes to its fingerprint) before anything is stored; a bad line throws InputError naming
  // `source:line` and nothing is imported.
  ImportResult import_jsonl(std::istream& in, const std::string& source);
  // Fingerprints whose stored request no longer hashes to them, or whose response is
  // missing or unreadable: corruption.
  std::vector<std::string> verify();

 private:
  explicit CacheStore(store::Database db);
  std::optional<CachedResponse> read(const std::string& fingerprint, bool with_events);
  struct Reader;  // the prepared lookup and a reusable JSON parser
  store::Database m_db;
  std::unique_ptr<Reader> m_reader;
  std::map<std::string, std::int64_t> m_pending_hits;
  std::int64_t m_pending_total = 0;
};

// Stores responses on its own thread (and its own connection), so a run's loop never waits
// on the disk: record mode hands each complete response to put() and moves on.
class CacheWriter {
 public:
  explicit CacheWriter(const std::string& path);
  ~CacheWriter();
  CacheWriter(const CacheWriter&) = delete;
  CacheWriter& operator=(const CacheWriter&) = delete;

  void put(CachedResponse response);
  // Writes what is queued and stops; returns how many responses were stored. Throws
  // RunError if the cache could not be written.
  std::int64_t close();

 private:
  void run();

  CacheStore m_store;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::vector<CachedResponse> m_queue;
  bool m_closed = false;
  std::int64_t m_written = 0;
  std::optional<std::string> m_error;
  std::thread m_thread;
};

}  // namespace llmbench::cache
