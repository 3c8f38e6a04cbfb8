// `llmbench cache stats` and `cache verify` on a real cache file.

#include <gtest/gtest.h>

#include "llmbench/cache/fingerprint.hpp"
#include "llmbench/cache/store.hpp"
#include "llmbench/store/database.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using llmbench::testing::run_llmbench;

TEST(CliCache, StatsAndVerify) {
  llmbench::testing::TempDir dir;
  const std::string path = dir.file("cache.db");
  EXPECT_EQ(run_llmbench({"cache", "--cache", path, "stats"}).exit_code, 2);  // no file yet
  {
    auto store = llmbench::cache::CacheStore::open(path);
    for (int i = 0; i < 3; ++i) {
      const std::string body = R"({"model":"m","n":)" + std::to_string(i) + "}";
      llmbench::cache::CachedResponse r;
      r.provider = "openai";
      r.fingerprint = *llmbench::cache::fingerprint("openai", body);
      r.canonical_request = *llmbench::cache::fingerprint_input("openai", body);
      r.body = "{}";
      r.created_at_ms = 1'700'000'000'000;
      store.put(r);
    }
  }
  const auto stats = run_llmbench({"cache", "--cache", path, "stats"});
  EXPECT_EQ(stats.exit_code, 0) << stats.err;
  EXPECT_NE(stats.out.find("entries  3"), std::string::npos) << stats.out;
  EXPECT_EQ(run_llmbench({"cache", "--cache", path, "verify"}).exit_code, 0);
  {
    llmbench::store::OpenOptions raw;
    raw.run_schema = false;
    auto db = llmbench::store::Database::open(path, raw);
    db.exec("UPDATE requests SET canonical_request = 'tampered' WHERE rowid = 1");
  }
  const auto verify = run_llmbench({"cache", "--cache", path, "verify"});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_NE(verify.out.find("1 of 3 entries corrupt"), std::string::npos) << verify.out;
  const auto later = run_llmbench({"cache", "--cache", path, "ls"});
  EXPECT_EQ(later.exit_code, 2);
  EXPECT_NE(later.err.find("`llmbench cache ls` is not built yet"), std::string::npos);
}
