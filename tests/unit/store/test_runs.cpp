#include "llmbench/store/runs.hpp"

#include <gtest/gtest.h>

#include "llmbench/store/batch_writer.hpp"
#include "llmbench/util/error.hpp"
#include "support/store_fixtures.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench::store;
using llmbench::testing::make_request;
using llmbench::testing::make_run;

namespace {

void insert_request(Database& db, const RequestRow& r) {
  auto st = db.prepare(
      "INSERT INTO requests (run_id, seq, target, prompt_id, attempt, warmup, error_class) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
  st.bind(1, r.run_id).bind(2, r.seq).bind(3, r.target).bind(4, r.prompt_id).bind(5, r.attempt);
  st.bind(6, std::int64_t{r.warmup ? 1 : 0}).bind(7, r.error_class);
  st.step();
}

}  // namespace

TEST(Runs, ListsNewestFirstWithCounts) {
  llmbench::testing::TempDir dir;
  auto db = Database::open(dir.file("r.db"));
  auto old_run = make_run("old", 1000);
  auto new_run = make_run("new", 2000);
  insert_run(db, old_run);
  insert_run(db, new_run);
  insert_run_target(db, {new_run.id, "t", "mock", "m", "", std::nullopt});
  for (int i = 0; i < 5; ++i) {
    insert_request(db, make_request(new_run.id, i));
  }
  auto failed = make_request(new_run.id, 5);
  failed.error_class = "rate_limited";
  insert_request(db, failed);
  // A retried request: attempt 1 failed, attempt 2 succeeded. It counts once, as a success.
  auto retry1 = make_request(new_run.id, 6);
  retry1.error_class = "rate_limited";
  insert_request(db, retry1);
  auto retry2 = make_request(new_run.id, 6);
  retry2.attempt = 2;
  insert_request(db, retry2);
  auto warm = make_request(new_run.id, 7);
  warm.warmup = true;
  insert_request(db, warm);

  const auto runs = list_runs(db);
  ASSERT_EQ(runs.size(), 2U);
  EXPECT_EQ(runs[0].run.id, new_run.id);
  EXPECT_EQ(runs[0].requests, 7);  // measured: the warmup request is counted apart
  EXPECT_EQ(runs[0].errors, 1);
  EXPECT_EQ(runs[0].warmup, 1);
  EXPECT_EQ(runs[1].run.suite_name, "old");
  EXPECT_EQ(list_runs(db, 1).size(), 1U);

  const auto targets = target_summaries(db, new_run.id);
  ASSERT_EQ(targets.size(), 1U);
  EXPECT_EQ(targets[0].requests, 7);
  EXPECT_EQ(targets[0].warmup, 1);
  EXPECT_EQ(targets[0].errors, 1);
  ASSERT_EQ(targets[0].errors_by_class.size(), 1U);
  EXPECT_EQ(targets[0].errors_by_class[0].first, "rate_limited");

  // Finished, the counts are kept on the run's row, and listings read them.
  finish_run(db, new_run.id, "completed", 3000);
  const auto kept = [&] {
    auto st = db.prepare("SELECT n_requests, n_errors, n_warmup FROM runs WHERE id = ?1");
    st.bind(1, new_run.id);
    EXPECT_TRUE(st.step());
    return std::vector<std::optional<std::int64_t>>{st.opt_int64(0), st.opt_int64(1),
                                                    st.opt_int64(2)};
  };
  EXPECT_EQ(kept(), (std::vector<std::optional<std::int64_t>>{7, 1, 1}));
  EXPECT_EQ(list_runs(db)[0].requests, 7);
  // A row stored after the end (through the batch writer, as every request row is) clears
  // them, and the listing counts it.
  auto late = make_request(new_run.id, 8);
  late.error_class = "timeout";
  {
    BatchWriter writer(dir.file("r.db"));
    writer.push(late);
    writer.close();
  }
  EXPECT_EQ(kept(),
            (std::vector<std::optional<std::int64_t>>{std::nullopt, std::nullopt, std::nullopt}));
  const auto after = list_runs(db)[0];
  EXPECT_EQ(after.requests, 8);
  EXPECT_EQ(after.errors, 2);
  EXPECT_EQ(after.warmup, 1);
}

TEST(Runs, FinishesAndReadsBack) {
  llmbench::testing::TempDir dir;
  auto db = Database::open(dir.file("r.db"));
  auto run = make_run();
  run.git_commit = "abc123";
  run.tags_json = R"({"branch":"main"})";
  insert_run(db, run);
  finish_run(db, run.id, "interrupted", 5000);
  const auto got = get_run(db, run.id);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, "interrupted");
  EXPECT_EQ(*got->ended_at_ms, 5000);
  EXPECT_EQ(*got->git_commit, "abc123");
  EXPECT_EQ(got->suite_text, run.suite_text);
  EXPECT_EQ(got->tags_json, run.tags_json);
  EXPECT_FALSE(get_run(db, "nope"));
  EXPECT_THROW(finish_run(db, run.id, "exploded", 1), llmbench::Error);  // CHECK constraint
}

TEST(Runs, ResolvesReferences) {
  llmbench::testing::TempDir dir;
  auto db = Database::open(dir.file("r.db"));
  EXPECT_THROW(resolve_run(db, "latest"), llmbench::InputError);
  auto a = make_run("a", 1000);
  a.id = "01900000-0000-7000-8000-00000000000a";
  auto b = make_run("b", 2000);
  b.id = "01900000-0000-7000-8000-00000000000b";
  insert_run(db, a);
  insert_run(db, b);
  EXPECT_EQ(resolve_run(db, "latest"), b.id);
  EXPECT_EQ(resolve_run(db, a.id), a.id);
  EXPECT_EQ(resolve_run(db, "01900000-0000-7000-8000-00000000000b"), b.id);
  EXPECT_EQ(resolve_run(db, "01900000-0000-7000-8000-00000000000a"), a.id);
  try {
    resolve_run(db, "0190");
    FAIL();
  } catch (const llmbench::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("ambiguous"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find(a.id), std::string::npos);
  }
  EXPECT_THROW(resolve_run(db, "ffff"), llmbench::InputError);
  EXPECT_THROW(resolve_run(db, "%"), llmbench::InputError);  // wildcards match literally
  EXPECT_THROW(resolve_run(db, ""), llmbench::InputError);
}

TEST(Runs, RemoveTakesEveryRowWithIt) {
  llmbench::testing::TempDir dir;
  auto db = Database::open(dir.file("r.db"));
  auto keep = make_run("keep");
  auto gone = make_run("gone");
  insert_run(db, keep);
  insert_run(db, gone);
  for (const auto* run : {&keep, &gone}) {
    insert_run_target(db, {run->id, "t", "mock", "m", "", std::nullopt});
    insert_request(db, make_request(run->id, 0));
    HistogramRow h;
    h.run_id = run->id;
    h.target = "t";
    h.metric = "ttft";
    h.unit = "ns";
    h.encoded = "HISTF";
    insert_histogram(db, h);
  }
  EXPECT_TRUE(remove_run(db, gone.id));
  EXPECT_FALSE(remove_run(db, gone.id));
  for (const char* table : {"requests", "histograms", "run_targets"}) {
    auto st = db.prepare(std::string("SELECT run_id FROM ") + table);
    ASSERT_TRUE(st.step());
    EXPECT_EQ(st.text(0), keep.id) << table;
    EXPECT_FALSE(st.step()) << table;
  }
  EXPECT_EQ(histograms(db, keep.id).size(), 1U);
}

TEST(Runs, UniquePrefixLength) {
  EXPECT_EQ(unique_prefix_length({}), 8U);
  EXPECT_EQ(unique_prefix_length({"abcdefghij"}), 8U);
  EXPECT_EQ(unique_prefix_length({"0190000000a", "0190000000b"}), 11U);
  EXPECT_EQ(unique_prefix_length({"aaaaaaaaaa", "b", "aaaaaaaaab"}), 10U);
}
