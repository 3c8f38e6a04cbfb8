#pragma once
// Request rows go to SQLite on a thread of their own, so the engine never waits on disk.
// Rows are committed in transactions of up to `batch_size` rows, or whatever is queued when
// the writer wakes, whichever is smaller.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "llmbench/store/database.hpp"
#include "llmbench/store/records.hpp"

namespace llmbench::store {

// A beacon to queue with a request row (opt-in beacons, beacon/): its JSON and install.
struct OutboxEntry {
  std::string install_id;
  std::string body;
};

struct BatchWriterOptions {
  std::size_t batch_size = 4096;
  OpenOptions open;
  // When set, called for every row on the writer's thread; a beacon it returns goes into
  // `beacon_outbox` in the same transaction as the row, so neither exists without the other.
  std::function<std::optional<OutboxEntry>(const RequestRow&)> outbox;
};

class BatchWriter {
 public:
  // Opens its own connection to `db_path` (migrating it if needed) before returning, so a
  // database that cannot be used fails here, before any request is sent.
  explicit BatchWriter(const std::string& db_path, BatchWriterOptions options = {});
  ~BatchWriter();
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  // Thread-safe; never touches the disk.
  void push(RequestRow row);
  // Blocks until every row pushed so far is committed. Throws the writer's error, if any.
  void flush();
  // Flushes, stops the thread, and rethrows the writer's error, if any. Idempotent.
  void close();

  std::uint64_t committed() const { return m_committed.load(); }

 private:
  void run();
  void write_batch(Database& db, Statement& insert, Statement* outbox, Statement& route_insert,
                   Statement& proxy_insert, Statement& clear_counts,
                   std::vector<RequestRow>& batch);
  void rethrow_error();

  std::string m_path;
  BatchWriterOptions m_options;
  std::mutex m_mutex;
  std::condition_variable m_wake;
  std::condition_variable m_done;
  std::vector<RequestRow> m_queue;
  std::uint64_t m_pushed = 0;
  std::atomic<std::uint64_t> m_committed{0};
  bool m_stop = false;
  std::optional<std::string> m_error;
  int m_error_code = 0;
  std::thread m_thread;
  std::optional<Database> m_db;  // opened by the constructor, used by the thread
};

}  // namespace llmbench::store
