#pragma once
// Request rows go to SQLite on a thread of their own, so the engine never waits on disk.
// Rows are committed in transactions of up to `batch_size` rows, or whatever is queued when
// the writer wakes, whichever is smaller.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "llmbench/store/database.hpp"
#include "llmbench/store/records.hpp"

namespace llmbench::store {

struct BatchWriterOptions {
  std::size_t batch_size = 4096;
  OpenOptions open;
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
  void write_batch(Database& db, Statement& insert, std::vector<RequestRow>& batch);
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
