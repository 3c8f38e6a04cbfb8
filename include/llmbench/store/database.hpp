#pragma once
// A thin RAII layer over one SQLite connection. Opening applies the schema migrations.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace llmbench::store {

class Statement {
 public:
  Statement(sqlite3* db, std::string_view sql);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite.
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, std::int64_t{value}); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind_null(int index);
  // Binds text without copying it: `value` must stay alive and unchanged until the next
  // step() or reset().
  Statement& bind_static(int index, std::string_view value);
  Statement& bind_static(int index, const std::string& value) {
    return bind_static(index, std::string_view(value));
  }
  Statement& bind_static(int index, const std::optional<std::string>& value) {
    return value ? bind_static(index, std::string_view(*value)) : bind_null(index);
  }
  template <typename T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind_null(index);
  }

  // True while a row is available; false when done. Throws on errors.
  bool step();
  void reset();

  // Columns are 0-based.
  int column_count() const;
  std::string column_name(int col) const;
  enum class Type { integer, real, text, blob, null };
  Type column_type(int col) const;
  bool is_null(int col) const;
  std::int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  // The same text without a copy; valid until the next step() or reset.
  std::string_view text_view(int col) const;
  std::optional<std::int64_t> opt_int64(int col) const;
  std::optional<double> opt_real(int col) const;
  std::optional<std::string> opt_text(int col) const;

 private:
  sqlite3* m_db;
  sqlite3_stmt* m_stmt = nullptr;
};

struct OpenOptions {
  std::chrono::milliseconds busy_timeout{10'000};
  // false: a file with a schema of its own (the response cache), not the run history.
  bool run_schema = true;
};

class Database {
 public:
  // Opens (creating if needed) and migrates to the current schema. A database written by a
  // newer llmbench is refused without being touched. Errors are llmbench::InputError for a
  // path that cannot be used, llmbench::RunError for a lock held past the busy timeout.
  static Database open(const std::string& path, const OpenOptions& options = {});
  ~Database();
  Database(Database&& other) noexcept;
  Database& operator=(Database&&) = delete;
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(std::string_view sql);
  Statement prepare(std::string_view sql) { return Statement(m_db, sql); }
  int user_version();
  std::int64_t changes() const;
  const std::string& path() const { return m_path; }
  sqlite3* handle() { return m_db; }

  // Runs `fn` inside BEGIN IMMEDIATE ... COMMIT; rolls back if it throws.
  template <typename Fn>
  void transaction(Fn&& fn) {
    exec("BEGIN IMMEDIATE");
    try {
      fn();
    } catch (...) {
      exec("ROLLBACK");
      throw;
    }
    exec("COMMIT");
  }

 private:
  Database(sqlite3* db, std::string path) : m_db(db), m_path(std::move(path)) {}
  sqlite3* m_db;
  std::string m_path;
};

// Throws the llmbench error matching an SQLite result code (RunError for busy/locked).
[[noreturn]] void throw_sqlite(sqlite3* db, int rc, std::string_view what);

}  // namespace llmbench::store
