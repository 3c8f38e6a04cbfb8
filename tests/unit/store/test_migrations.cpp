#include "llmbench/store/migrations.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <thread>

#include "llmbench/store/database.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench::store;

TEST(Migrations, EachStepSetsItsVersion) {
  llmbench::testing::TempDir dir;
  auto db = Database::open(dir.file("m.db"));
  EXPECT_EQ(db.user_version(), static_cast<int>(migrations().size()));
  EXPECT_GE(latest_schema_version(), 1);
  migrate(db);  // nothing left to do
  EXPECT_EQ(db.user_version(), latest_schema_version());
}

TEST(Migrations, ConcurrentOpenersMigrateOnce) {
  llmbench::testing::TempDir dir;
  const std::string path = dir.file("race.db");
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      try {
        auto db = Database::open(path);
        if (db.user_version() != latest_schema_version()) {
          ++failures;
        }
      } catch (...) {
        ++failures;
      }
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  EXPECT_EQ(failures.load(), 0);
}
