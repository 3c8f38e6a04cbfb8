#include "llmbench/cache/store.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "llmbench/cache/blake3.hpp"
#include "llmbench/cache/fingerprint.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench;

namespace {

cache::CachedResponse entry(int i) {
  cache::CachedResponse r;
  r.provider = "openai";
  const std::string body =
      R"({"model":"m","messages":[{"role":"user","content":"q)" + std::to_string(i) + R"("}]})";
  r.canonical_request = *cache::fingerprint_input("openai", body);
  r.fingerprint = *cache::fingerprint("openai", body);
  r.model = "m";
  r.body = R"({"choices":[{"message":{"content":"answer )" + std::to_string(i) + R"("}}]})";
  r.events = {{1500, "data: {\"choices\":[{\"delta\":{\"content\":\"answer\"}}]}"},
              {2500, "data: [DONE]"}};
  r.system_fingerprint = "fp_x";
  r.ttft_ms = 2;
  r.duration_ms = 3;
  r.created_at_ms = 1'700'000'000'000 + i;
  return r;
}

}  // namespace

TEST(CacheStore, RoundTripAndBatchedHits) {
  llmbench::testing::TempDir dir;
  const std::string path = dir.file("sub/cache.db");
  {
    auto store = cache::CacheStore::open(path);
    store.put(entry(1));
    EXPECT_FALSE(store.get("0000"));
    const auto got = store.get(entry(1).fingerprint);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->body, entry(1).body);
    ASSERT_EQ(got->events.size(), 2u);
    EXPECT_EQ(got->events[0].offset_us, 1500);
    EXPECT_EQ(got->events[1].text, "data: [DONE]");
    EXPECT_EQ(got->system_fingerprint, "fp_x");
    EXPECT_EQ(got->hit_count, 1);
    store.get(entry(1).fingerprint);
    const auto stats = store.stats();  // flushes the counted hits
    EXPECT_EQ(stats.entries, 1);
    EXPECT_EQ(stats.hits, 2);
    EXPECT_EQ(stats.oldest_ms, 1'700'000'000'001);
  }
  auto reopened = cache::CacheStore::open(path);
  EXPECT_EQ(reopened.get(entry(1).fingerprint)->hit_count, 3);  // hits survived the close
  const auto body_only = reopened.get(entry(1).fingerprint, false);
  ASSERT_TRUE(body_only);
  EXPECT_TRUE(body_only->events.empty());
  EXPECT_EQ(body_only->body, entry(1).body);
  EXPECT_TRUE(reopened.verify().empty());
}

TEST(CacheStore, VerifyFindsCorruption) {
  llmbench::testing::TempDir dir;
  auto store = cache::CacheStore::open(dir.file("cache.db"));
  for (int i = 0; i < 5; ++i) {
    store.put(entry(i));
  }
  store::OpenOptions raw;
  raw.run_schema = false;
  auto db = store::Database::open(dir.file("cache.db"), raw);
  auto tamper = db.prepare(
      "UPDATE requests SET canonical_request = canonical_request || ' ' "
      "WHERE fingerprint = ?");
  tamper.bind(1, entry(2).fingerprint);
  tamper.step();
  auto broken = db.prepare("UPDATE responses SET events_json = '[[1,' WHERE fingerprint = ?");
  broken.bind(1, entry(4).fingerprint);
  broken.step();
  auto bad = store.verify();
  std::sort(bad.begin(), bad.end());
  std::vector<std::string> expected = {entry(2).fingerprint, entry(4).fingerprint};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(bad, expected);
  EXPECT_FALSE(store.get(entry(4).fingerprint));  // unreadable rows are misses, not crashes
}

TEST(CacheStore, TwoProcessesRecordingAtOnceLoseNothing) {
  llmbench::testing::TempDir dir;
  const std::string path = dir.file("cache.db");
  cache::CacheStore::open(path);  // create it first
  pid_t children[2];
  for (int c = 0; c < 2; ++c) {
    children[c] = fork();
    if (children[c] == 0) {
      auto store = cache::CacheStore::open(path);
      for (int i = 0; i < 150; ++i) {
        store.put(entry(c * 1000 + i));
      }
      _exit(0);
    }
  }
  for (const pid_t pid : children) {
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto store = cache::CacheStore::open(path);
  EXPECT_EQ(store.stats().entries, 300);
  EXPECT_TRUE(store.verify().empty());
}

TEST(CacheStore, ExactDurationAndCachesMadeBeforeIt) {
  llmbench::testing::TempDir dir;
  const std::string path = dir.file("old.db");
  {
    // A cache as the first version wrote it: no response_duration_us column.
    store::OpenOptions raw;
    raw.run_schema = false;
    auto db = store::Database::open(path, raw);
    db.exec(
        "CREATE TABLE requests (fingerprint TEXT PRIMARY KEY, provider TEXT NOT NULL, "
        "canonical_request TEXT NOT NULL);"
        "CREATE TABLE responses (fingerprint TEXT PRIMARY KEY, body TEXT NOT NULL, "
        "events_json TEXT NOT NULL);"
        "CREATE TABLE meta (fingerprint TEXT PRIMARY KEY, created_at_ms INTEGER NOT NULL, "
        "hit_count INTEGER NOT NULL DEFAULT 0, model TEXT NOT NULL DEFAULT '', "
        "system_fingerprint TEXT, response_duration_ms INTEGER NOT NULL DEFAULT 0, "
        "ttft_ms INTEGER NOT NULL DEFAULT 0, provider TEXT NOT NULL, status INTEGER NOT NULL);");
  }
  auto store = cache::CacheStore::open(path);
  auto old = entry(1);  // no exact duration: milliseconds it is
  store.put(old);
  auto exact = entry(2);
  exact.duration_us = 3'456;
  store.put(exact);
  EXPECT_EQ(cache::to_recording(*store.get(old.fingerprint)).duration_us, 3'000);
  EXPECT_EQ(cache::to_recording(*store.get(exact.fingerprint)).duration_us, 3'456);
}
