#include "llmbench/store/database.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "llmbench/store/migrations.hpp"
#include "llmbench/util/error.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench::store;
using llmbench::testing::TempDir;

namespace {
std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

TEST(Database, CreatesTheSchemaInAnEmptyFile) {
  TempDir dir;
  auto db = Database::open(dir.file("new.db"));
  EXPECT_EQ(db.user_version(), latest_schema_version());
  for (const char* table : {"runs", "run_targets", "requests", "histograms"}) {
    auto st = db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?1");
    st.bind(1, table);
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.int64(0), 1) << table;
  }
  auto mode = db.prepare("PRAGMA journal_mode");
  ASSERT_TRUE(mode.step());
  EXPECT_EQ(mode.text(0), "wal");
  auto fk = db.prepare("PRAGMA foreign_keys");
  ASSERT_TRUE(fk.step());
  EXPECT_EQ(fk.int64(0), 1);
}

TEST(Database, ReopeningIsIdempotent) {
  TempDir dir;
  { auto db = Database::open(dir.file("x.db")); }
  auto db = Database::open(dir.file("x.db"));
  EXPECT_EQ(db.user_version(), latest_schema_version());
}

TEST(Database, MigratesFromAnExistingEmptySqliteFile) {
  TempDir dir;
  const std::string path = dir.file("plain.db");
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "CREATE TABLE unrelated (x)", nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  auto db = Database::open(path);
  EXPECT_EQ(db.user_version(), latest_schema_version());
  db.exec("INSERT INTO unrelated VALUES (1)");  // what was there is kept
}

TEST(Database, RefusesANewerSchemaWithoutTouchingIt) {
  TempDir dir;
  const std::string path = dir.file("future.db");
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  const std::string set = "PRAGMA user_version = " + std::to_string(latest_schema_version() + 1);
  ASSERT_EQ(sqlite3_exec(raw, set.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);
  const std::string before = read_file(path);
  try {
    Database::open(path);
    FAIL() << "a newer schema must be refused";
  } catch (const llmbench::InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("newer than this llmbench understands"), std::string::npos) << msg;
    EXPECT_NE(msg.find("was not changed"), std::string::npos);
  }
  EXPECT_EQ(read_file(path), before);
  EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
}

TEST(Database, UnusablePathsAreInputErrors) {
  TempDir dir;
  EXPECT_THROW(Database::open(dir.file("no/such/folder/x.db")), llmbench::InputError);
  const std::string not_db = dir.write("text.db", std::string(4096, 'x'));
  EXPECT_THROW(Database::open(not_db), llmbench::InputError);
  if (::geteuid() != 0) {  // root writes anywhere; the permission case only means something else
    std::filesystem::create_directories(dir.path() / "ro");
    std::filesystem::permissions(
        dir.path() / "ro", std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
    EXPECT_THROW(Database::open(dir.file("ro/x.db")), llmbench::InputError);
  }
}

TEST(Database, LockHeldPastTheTimeoutIsARunError) {
  TempDir dir;
  auto holder = Database::open(dir.file("busy.db"));
  auto waiter = Database::open(dir.file("busy.db"), OpenOptions{std::chrono::milliseconds(50)});
  holder.exec("BEGIN IMMEDIATE");
  EXPECT_THROW(waiter.exec("BEGIN IMMEDIATE"), llmbench::RunError);
  holder.exec("ROLLBACK");
  EXPECT_NO_THROW(waiter.transaction([] {}));
}

TEST(Database, TransactionRollsBackOnException) {
  TempDir dir;
  auto db = Database::open(dir.file("tx.db"));
  db.exec("CREATE TABLE t (x)");
  EXPECT_THROW(db.transaction([&] {
    db.exec("INSERT INTO t VALUES (1)");
    throw std::runtime_error("boom");
  }),
               std::runtime_error);
  auto st = db.prepare("SELECT COUNT(*) FROM t");
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.int64(0), 0);
}

TEST(Database, StatementBindsAndReadsOptionals) {
  TempDir dir;
  auto db = Database::open(dir.file("st.db"));
  db.exec("CREATE TABLE t (a, b, c)");
  auto ins = db.prepare("INSERT INTO t VALUES (?1, ?2, ?3)");
  ins.bind(1, std::optional<std::int64_t>{}).bind(2, 2.5).bind(3, std::string("x"));
  ins.step();
  auto sel = db.prepare("SELECT a, b, c FROM t");
  ASSERT_TRUE(sel.step());
  EXPECT_FALSE(sel.opt_int64(0));
  EXPECT_EQ(*sel.opt_real(1), 2.5);
  EXPECT_EQ(*sel.opt_text(2), "x");
  EXPECT_FALSE(sel.step());
  EXPECT_THROW(db.prepare("SELEC nonsense"), llmbench::Error);
}

// v10 rebuilds the runs table (new statuses): a v9 history keeps every run and the rows that
// reference them, and a run can then be queued and cancelled.
TEST(Database, MigratingToV10KeepsRunsAndTheirRows) {
  TempDir dir;
  const std::string path = dir.file("v9.db");
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "PRAGMA foreign_keys = ON", nullptr, nullptr, nullptr), SQLITE_OK);
  for (std::size_t v = 0; v < 9; ++v) {
    const std::string sql(migrations()[v]);
    ASSERT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK) << v;
  }
  const char* rows =
      "PRAGMA user_version = 9;"
      "INSERT INTO runs (id, suite_name, suite_hash, suite_text, llmbench_version, "
      "started_at_ms, status) VALUES ('r1', 's', 'h', 't', 'v', 1, 'completed');"
      "INSERT INTO run_targets (run_id, target, provider, model) VALUES ('r1', 'a', 'mock', "
      "'m');"
      "INSERT INTO requests (run_id, seq, target, prompt_id) VALUES ('r1', 0, 'a', 'p');";
  ASSERT_EQ(sqlite3_exec(raw, rows, nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(raw);

  auto db = Database::open(path);
  EXPECT_EQ(db.user_version(), latest_schema_version());
  auto count = [&](const char* sql) {
    auto st = db.prepare(sql);
    EXPECT_TRUE(st.step());
    return st.int64(0);
  };
  EXPECT_EQ(count("SELECT COUNT(*) FROM runs WHERE id = 'r1' AND status = 'completed'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM requests WHERE run_id = 'r1'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM run_targets WHERE run_id = 'r1'"), 1);
  EXPECT_EQ(count("PRAGMA foreign_keys"), 1);
  db.exec("UPDATE runs SET status = 'queued' WHERE id = 'r1'");
  db.exec("UPDATE runs SET status = 'cancelled' WHERE id = 'r1'");
  EXPECT_THROW(db.exec("UPDATE runs SET status = 'paused' WHERE id = 'r1'"), llmbench::Error);
  // Foreign keys still hold: removing the run takes its rows.
  db.exec("DELETE FROM runs WHERE id = 'r1'");
  EXPECT_EQ(count("SELECT COUNT(*) FROM requests"), 0);
}
