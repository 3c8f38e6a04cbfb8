#include "llmbench/store/batch_writer.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include "llmbench/store/runs.hpp"
#include "llmbench/util/error.hpp"
#include "support/store_fixtures.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench::store;
using llmbench::testing::make_request;
using llmbench::testing::make_run;

namespace {

std::int64_t count_requests(Database& db, const std::string& run_id) {
  auto st = db.prepare("SELECT COUNT(*), COUNT(DISTINCT seq) FROM requests WHERE run_id = ?1");
  st.bind(1, run_id);
  st.step();
  EXPECT_EQ(st.int64(0), st.int64(1));
  return st.int64(0);
}

}  // namespace

TEST(BatchWriter, CommitsEveryRowWithAllFields) {
  llmbench::testing::TempDir dir;
  const std::string path = dir.file("w.db");
  auto db = Database::open(path);
  const auto run = make_run();
  insert_run(db, run);
  {
    BatchWriter writer(path, {.batch_size = 100, .open = {}, .outbox = {}});
    for (int i = 0; i < 1234; ++i) {
      auto r = make_request(run.id, i);
      if (i == 7) {
        r.error_class = "timeout_ttft";
        r.error_message = "no first token within 5s";
        r.cost_usd = 0.25;
        r.request_body = "{\"model\":\"m\"}";
      }
      writer.push(std::move(r));
    }
    writer.flush();
    EXPECT_EQ(writer.committed(), 1234U);
    EXPECT_EQ(count_requests(db, run.id), 1234);
    writer.close();
    writer.close();  // idempotent
  }
  auto st = db.prepare(
      "SELECT error_class, error_message, cost_usd, request_body, t_first_token_ns, token_source "
      "FROM requests WHERE run_id = ?1 AND seq = 7");
  st.bind(1, run.id);
  ASSERT_TRUE(st.step());
  EXPECT_EQ(st.text(0), "timeout_ttft");
  EXPECT_EQ(st.text(1), "no first token within 5s");
  EXPECT_EQ(st.real(2), 0.25);
  EXPECT_EQ(st.text(3), "{\"model\":\"m\"}");
  EXPECT_EQ(st.int64(4), 7500);
  EXPECT_EQ(st.text(5), "usage");
}

TEST(BatchWriter, AnUnusableDatabaseFailsBeforeAnyRow) {
  llmbench::testing::TempDir dir;
  EXPECT_THROW(BatchWriter(dir.file("missing/dir/w.db")), llmbench::InputError);
}

TEST(BatchWriter, AWriteErrorSurfacesOnCloseWithTheCountLost) {
  llmbench::testing::TempDir dir;
  const std::string path = dir.file("w.db");
  auto db = Database::open(path);  // no run row: the foreign key refuses every request
  BatchWriter writer(path);
  writer.push(make_request("no-such-run", 1));
  try {
    writer.close();
    FAIL() << "the failed write must be reported";
  } catch (const llmbench::Error& e) {
    EXPECT_NE(std::string(e.what()).find("1 request rows not stored"), std::string::npos)
        << e.what();
  }
}

TEST(BatchWriter, TwoProcessesWritingOneDatabaseLoseNothing) {
  llmbench::testing::TempDir dir;
  const std::string path = dir.file("shared.db");
  std::string run_ids[2];
  {
    auto db = Database::open(path);
    for (auto& id : run_ids) {
      const auto run = make_run();
      insert_run(db, run);
      id = run.id;
    }
  }
  constexpr int k_rows = 20'000;
  pid_t children[2];
  for (int p = 0; p < 2; ++p) {
    children[p] = ::fork();
    ASSERT_GE(children[p], 0);
    if (children[p] == 0) {
      int code = 0;
      try {
        // Small batches so the two processes interleave many transactions.
        BatchWriter writer(path, {.batch_size = 64, .open = {}, .outbox = {}});
        for (int i = 0; i < k_rows; ++i) {
          writer.push(make_request(run_ids[p], i));
          if (i % 500 == 0) {
            writer.flush();
          }
        }
        writer.close();
      } catch (...) {
        code = 1;
      }
      ::_exit(code);
    }
  }
  for (const pid_t child : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  auto db = Database::open(path);
  EXPECT_EQ(count_requests(db, run_ids[0]), k_rows);
  EXPECT_EQ(count_requests(db, run_ids[1]), k_rows);
}
