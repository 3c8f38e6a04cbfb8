#include "llmbench/store/database.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <thread>

#include "llmbench/store/migrations.hpp"
#include "llmbench/util/error.hpp"

namespace llmbench::store {

namespace {
constexpr std::chrono::milliseconds k_max_pause{50};
}  // namespace

void throw_sqlite(sqlite3* db, int rc, std::string_view what) {
  const int primary = rc & 0xff;
  const std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string file = db != nullptr && sqlite3_db_filename(db, "main") != nullptr
                               ? sqlite3_db_filename(db, "main")
                               : "";
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) {
    throw RunError(
        fmt::format("database {} stayed locked past its busy timeout while {} ({}); "
                    "another llmbench may be writing to it",
                    file, what, detail));
  }
  if (primary == SQLITE_READONLY || primary == SQLITE_CANTOPEN || primary == SQLITE_PERM) {
    throw InputError(
        fmt::format("database {} cannot be written while {} ({}); choose a writable "
                    "path with --db or LLMBENCH_DB",
                    file, what, detail));
  }
  if (primary == SQLITE_NOTADB || primary == SQLITE_CORRUPT) {
    throw InputError(
        fmt::format("{} is not a usable llmbench database ({}); point --db at "
                    "another file",
                    file, detail));
  }
  if (primary == SQLITE_FULL || primary == SQLITE_IOERR) {
    throw RunError(fmt::format("database {}: I/O failed while {} ({})", file, what, detail));
  }
  throw RunError(fmt::format("database {}: {} failed: {}", file, what, detail));
}

Statement::Statement(sqlite3* db, std::string_view sql) : m_db(db) {
  const int rc = sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &m_stmt, nullptr);
  if (rc != SQLITE_OK) {
    throw_sqlite(db, rc, "preparing a statement");
  }
}

Statement::~Statement() {
  sqlite3_finalize(m_stmt);
}

Statement::Statement(Statement&& other) noexcept : m_db(other.m_db), m_stmt(other.m_stmt) {
  other.m_stmt = nullptr;
}

Statement& Statement::bind(int index, std::int64_t value) {
  sqlite3_bind_int64(m_stmt, index, value);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(m_stmt, index, value);
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  sqlite3_bind_text(m_stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

Statement& Statement::bind_static(int index, std::string_view value) {
  sqlite3_bind_text(m_stmt, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
  return *this;
}

Statement& Statement::bind_null(int index) {
  sqlite3_bind_null(m_stmt, index);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(m_stmt);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  sqlite3_reset(m_stmt);
  throw_sqlite(m_db, rc, "writing or reading rows");
}

void Statement::reset() {
  sqlite3_reset(m_stmt);
  sqlite3_clear_bindings(m_stmt);
}

bool Statement::is_null(int col) const {
  return sqlite3_column_type(m_stmt, col) == SQLITE_NULL;
}

std::int64_t Statement::int64(int col) const {
  return sqlite3_column_int64(m_stmt, col);
}

double Statement::real(int col) const {
  return sqlite3_column_double(m_stmt, col);
}

std::string_view Statement::text_view(int col) const {
  const auto* p = sqlite3_column_text(m_stmt, col);
  if (p == nullptr) {
    return {};
  }
  return {reinterpret_cast<const char*>(p),
          static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col))};
}

std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(m_stmt, col);
  if (p == nullptr) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<std::size_t>(sqlite3_column_bytes(m_stmt, col)));
}

std::optional<std::int64_t> Statement::opt_int64(int col) const {
  return is_null(col) ? std::nullopt : std::optional(int64(col));
}

int Statement::column_count() const {
  return sqlite3_column_count(m_stmt);
}

std::string Statement::column_name(int col) const {
  const char* name = sqlite3_column_name(m_stmt, col);
  return name != nullptr ? name : "";
}

Statement::Type Statement::column_type(int col) const {
  switch (sqlite3_column_type(m_stmt, col)) {
    case SQLITE_INTEGER:
      return Type::integer;
    case SQLITE_FLOAT:
      return Type::real;
    case SQLITE_TEXT:
      return Type::text;
    case SQLITE_BLOB:
      return Type::blob;
    default:
      return Type::null;
  }
}

std::optional<double> Statement::opt_real(int col) const {
  return is_null(col) ? std::nullopt : std::optional(real(col));
}

std::optional<std::string> Statement::opt_text(int col) const {
  return is_null(col) ? std::nullopt : std::optional(text(col));
}

Database Database::open(const std::string& path, const OpenOptions& options) {
  const std::filesystem::path p(path);
  std::error_code ec;
  if (p.has_parent_path() && !std::filesystem::is_directory(p.parent_path(), ec)) {
    throw InputError(
        fmt::format("cannot create database {}: folder {} does not exist (create it "
                    "or choose another --db)",
                    path, p.parent_path().string()));
  }
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  Database db(raw, path);
  if (rc != SQLITE_OK) {
    throw_sqlite(raw, rc, "opening");
  }
  sqlite3_busy_timeout(raw, static_cast<int>(options.busy_timeout.count()));
  sqlite3_extended_result_codes(raw, 1);

  // Refuse a newer schema before anything (even journal_mode) writes to the file.
  const int version = options.run_schema ? db.user_version() : 0;
  if (version > latest_schema_version()) {
    throw InputError(
        fmt::format("database {} has schema version {}, newer than this llmbench "
                    "understands ({}); upgrade llmbench, or use another --db. The "
                    "file was not changed.",
                    path, version, latest_schema_version()));
  }
  // Switching a fresh file to WAL, and a reader meeting another connection's WAL
  // recovery, can return SQLITE_BUSY without consulting the busy handler (SQLite does
  // that to avoid deadlocks), so concurrent openers retry here for the busy timeout.
  const auto deadline = std::chrono::steady_clock::now() + options.busy_timeout;
  for (auto pause = std::chrono::milliseconds(1);; pause = std::min(pause * 2, k_max_pause)) {
    try {
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      db.exec("PRAGMA foreign_keys = ON");
      if (options.run_schema) {
        migrate(db);
      }
      return db;
    } catch (const RunError&) {
      if ((sqlite3_errcode(raw) & 0xff) != SQLITE_BUSY ||
          std::chrono::steady_clock::now() + pause > deadline) {
        throw;
      }
      std::this_thread::sleep_for(pause);
    }
  }
}

Database::~Database() {
  if (m_db != nullptr) {
    sqlite3_close_v2(m_db);
  }
}

Database::Database(Database&& other) noexcept : m_db(other.m_db), m_path(std::move(other.m_path)) {
  other.m_db = nullptr;
}

void Database::exec(std::string_view sql) {
  char* err = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(m_db, text.c_str(), nullptr, nullptr, &err);
  sqlite3_free(err);
  if (rc != SQLITE_OK) {
    throw_sqlite(m_db, rc, "running SQL");
  }
}

int Database::user_version() {
  Statement st(m_db, "PRAGMA user_version");
  st.step();
  return static_cast<int>(st.int64(0));
}

std::int64_t Database::changes() const {
  return sqlite3_changes64(m_db);
}

}  // namespace llmbench::store
