// `llmbench cache` subcommands on real cache files.

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "llmbench/cache/fingerprint.hpp"
#include "llmbench/cache/store.hpp"
#include "llmbench/store/database.hpp"
#include "llmbench/util/time.hpp"
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
      const std::string body = R"({"model":"m","messages":[{"role":"user","content":"hi"}],"n":)" +
                               std::to_string(i) + "}";
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
  EXPECT_NE(verify.out.find("1 of 3 entries corrupt or unreadable"), std::string::npos)
      << verify.out;
}

namespace {

// Entry i's request: a chat body for model m<i % 2> that `replay` (and `verify`) can read.
std::string body_of(int i) {
  return R"({"messages":[{"content":"hi","role":"user"}],"model":"m)" + std::to_string(i % 2) +
         R"(","n":)" + std::to_string(i) + "}";
}

// Fills a cache with `n` entries, entry i made i days before `now_ms`, model m<i % 2>.
void fill(const std::string& path, int n, std::int64_t now_ms) {
  auto store = llmbench::cache::CacheStore::open(path);
  for (int i = 0; i < n; ++i) {
    const std::string body = body_of(i);
    llmbench::cache::CachedResponse r;
    r.provider = "openai";
    r.fingerprint = *llmbench::cache::fingerprint("openai", body);
    r.canonical_request = *llmbench::cache::fingerprint_input("openai", body);
    r.model = "m" + std::to_string(i % 2);
    r.body = std::string(1000, 'x');
    r.events = {{1500, "data: {\"i\":" + std::to_string(i) + "}"}, {2500, "data: [DONE]"}};
    r.ttft_ms = 1;
    r.duration_ms = 3;
    r.created_at_ms = now_ms - std::int64_t{i} * 86'400'000;
    store.put(r);
  }
}

}  // namespace

TEST(CliCache, LsFiltersAndShowFindsByPrefix) {
  llmbench::testing::TempDir dir;
  const std::string path = dir.file("cache.db");
  fill(path, 6, llmbench::util::unix_ms_now());
  const auto all = run_llmbench({"cache", "--cache", path, "ls"});
  ASSERT_EQ(all.exit_code, 0) << all.err;
  EXPECT_NE(all.out.find("6 entries"), std::string::npos) << all.out;
  EXPECT_NE(run_llmbench({"cache", "--cache", path, "ls", "--model", "m1"}).out.find("3 entries"),
            std::string::npos);
  const auto recent = run_llmbench({"cache", "--cache", path, "ls", "--since", "36h"});
  EXPECT_NE(recent.out.find("2 entries"), std::string::npos) << recent.out;
  EXPECT_EQ(run_llmbench({"cache", "--cache", path, "ls", "--since", "last week"}).exit_code, 2);

  const std::string fp = *llmbench::cache::fingerprint("openai", body_of(3));
  const auto shown = run_llmbench({"cache", "--cache", path, "show", fp.substr(0, 12), "--events"});
  ASSERT_EQ(shown.exit_code, 0) << shown.err;
  EXPECT_NE(shown.out.find("fingerprint  " + fp), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find(R"({"body":)" + body_of(3) + R"(,"provider":"openai"})"),
            std::string::npos);
  EXPECT_NE(shown.out.find("1.500 ms  data: {\"i\":3}"), std::string::npos) << shown.out;
  EXPECT_NE(shown.out.find("hits         0"), std::string::npos);  // looking is not a hit
  const auto missing = run_llmbench({"cache", "--cache", path, "show", "ffff"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("no cache entry has a fingerprint starting with ffff"),
            std::string::npos);
  EXPECT_EQ(run_llmbench({"cache", "--cache", path, "show", "not-hex"}).exit_code, 2);
}

TEST(CliCache, ExportImportRoundTripsAndRejectsEditedLines) {
  llmbench::testing::TempDir dir;
  const std::string path = dir.file("cache.db");
  fill(path, 4, 1'700'000'000'000);
  const std::string file = dir.file("cache.jsonl");
  ASSERT_EQ(run_llmbench({"cache", "--cache", path, "export", file}).exit_code, 0);
  const std::string copy = dir.file("copy.db");
  const auto imported = run_llmbench({"cache", "--cache", copy, "import", file});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_NE(imported.out.find("imported 4 entries"), std::string::npos) << imported.out;
  // Same entries, same bytes: exporting the copy gives the same file.
  const auto again = run_llmbench({"cache", "--cache", copy, "export", "-"});
  std::ifstream in(file);
  std::stringstream original;
  original << in.rdbuf();
  EXPECT_EQ(again.out, original.str());
  EXPECT_EQ(run_llmbench({"cache", "--cache", copy, "verify"}).exit_code, 0);
  {
    auto store = llmbench::cache::CacheStore::open(copy);
    const auto r = store.get(*llmbench::cache::fingerprint("openai", body_of(2)));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->events.size(), 2u);
    EXPECT_EQ(r->events[0].offset_us, 1500);
  }
  // An edited request no longer hashes to its fingerprint: refused, naming the line, and
  // nothing of the file is imported.
  std::string text = original.str();
  const auto at = text.find(R"("n":2)");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 5, R"("n":7)");
  const auto edited = dir.write("edited.jsonl", text);
  const std::string fresh = dir.file("fresh.db");
  const auto bad = run_llmbench({"cache", "--cache", fresh, "import", edited});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("edited.jsonl:2: the request does not hash to its fingerprint"),
            std::string::npos)
      << bad.err;
  EXPECT_EQ(llmbench::cache::CacheStore::open(fresh).stats().entries, 0);
}

TEST(CliCache, PruneByAgeAndSize) {
  llmbench::testing::TempDir dir;
  const std::string path = dir.file("cache.db");
  fill(path, 10, llmbench::util::unix_ms_now());
  const auto old = run_llmbench({"cache", "--cache", path, "prune", "--older-than", "7d12h"});
  EXPECT_EQ(old.exit_code, 2);  // one unit per duration
  const auto by_age = run_llmbench({"cache", "--cache", path, "prune", "--older-than", "7.5d"});
  ASSERT_EQ(by_age.exit_code, 0) << by_age.err;
  EXPECT_NE(by_age.out.find("removed 2 entries"), std::string::npos) << by_age.out;
  // Each entry is a little over 1 KB: 3 KB keeps the newest two.
  const auto by_size = run_llmbench({"cache", "--cache", path, "prune", "--max-size", "3KB"});
  ASSERT_EQ(by_size.exit_code, 0) << by_size.err;
  EXPECT_NE(by_size.out.find("removed 6 entries"), std::string::npos) << by_size.out;
  EXPECT_NE(by_size.out.find("2 left"), std::string::npos);
  auto store = llmbench::cache::CacheStore::open(path);
  const auto left = store.list();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].fingerprint, *llmbench::cache::fingerprint("openai", body_of(0)));
  EXPECT_EQ(run_llmbench({"cache", "--cache", path, "prune"}).exit_code, 2);
  EXPECT_EQ(run_llmbench({"cache", "--cache", path, "prune", "--max-size", "lots"}).exit_code, 2);
}
