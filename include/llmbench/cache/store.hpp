#pragma once
// The response cache's SQLite file (default .llmbench/cache.db): what a request was
// (canonical form, keyed by its fingerprint), what came back (the assembled body and every
// SSE event with its offset from the send), and metadata. Only successful, complete
// responses belong here; the caller never puts an error.
//
// Tables: requests (fingerprint -> canonical request), responses (fingerprint -> body and
// recorded stream), meta (created_at_ms, hit_count, model, system_fingerprint,
// response_duration_ms, ttft_ms, provider, status). Hits are counted in memory and written
// in batches, so a read never waits on a write.
//
// Not yet wired into `llmbench run` (record/replay modes) or a `llmbench cache` command.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "llmbench/store/database.hpp"

namespace llmbench::cache {

struct RecordedEvent {
  std::int64_t offset_us = 0;  // from the send
  std::string text;            // the SSE event as received ("event: ...\ndata: ...")
};

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
  std::int64_t created_at_ms = 0;
  std::int64_t hit_count = 0;
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

  // Stores (or replaces) one response.
  void put(const CachedResponse& response);
  // The response for `fingerprint`, counting a hit; nothing on a miss. Without
  // `with_events` the recorded stream is not read (an instant replay needs only the body).
  std::optional<CachedResponse> get(const std::string& fingerprint, bool with_events = true);
  // Writes counted hits now (also done every 256 hits and on close).
  void flush_hits();
  CacheStats stats();
  // Fingerprints whose stored request no longer hashes to them, or whose response is
  // missing or unreadable: corruption.
  std::vector<std::string> verify();

 private:
  explicit CacheStore(store::Database db);
  struct Reader;  // the prepared lookup and a reusable JSON parser
  store::Database m_db;
  std::unique_ptr<Reader> m_reader;
  std::map<std::string, std::int64_t> m_pending_hits;
  std::int64_t m_pending_total = 0;
};

}  // namespace llmbench::cache
