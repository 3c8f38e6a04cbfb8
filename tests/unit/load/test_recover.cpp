#include "llmbench/load/recover.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>

#include "llmbench/store/batch_writer.hpp"
#include "llmbench/store/runs.hpp"
#include "llmbench/util/env.hpp"
#include "llmbench/util/process.hpp"
#include "support/temp_dir.hpp"

using namespace llmbench;

namespace {

// The pid of a process that has exited (and been reaped).
std::int64_t dead_pid() {
  const pid_t child = fork();
  if (child == 0) {
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  return child;
}

store::RunRow running(const std::string& id, std::int64_t pid, std::string start,
                      std::string host = util::hostname()) {
  store::RunRow r;
  r.id = id;
  r.suite_name = "s";
  r.llmbench_version = "test";
  r.host = std::move(host);
  r.started_at_ms = 1'700'000'000'000;
  r.pid = pid;
  r.process_start = std::move(start);
  return r;
}

}  // namespace

TEST(Process, ThisProcessIsAliveAndAReapedOneIsNot) {
  const auto self = util::this_process();
  EXPECT_TRUE(util::process_alive(self.pid, self.start));
  EXPECT_FALSE(util::process_alive(dead_pid(), "unknown:1"));
  // Our pid with another start time is a reused pid: another process.
  EXPECT_FALSE(util::process_alive(self.pid, self.start + "0"));
  EXPECT_TRUE(util::process_alive(0, ""));  // no evidence: assume alive
}

// A killed run used to stay `running` with no histograms, so its report showed empty latency
// tables and "no data -> FAIL" (issue 11).
TEST(Recover, ARunWhoseProcessIsGoneIsMarkedInterruptedWithItsHistograms) {
  llmbench::testing::TempDir dir;
  const std::string path = dir.file("runs.db");
  auto db = store::Database::open(path);
  const auto self = util::this_process();
  store::insert_run(db, running("dead", dead_pid(), "gone:1"));
  store::insert_run(db, running("alive", self.pid, self.start));
  store::insert_run(db, running("elsewhere", dead_pid(), "gone:1", "another-host"));
  {
    store::BatchWriter writer(path);
    for (int i = 0; i < 10; ++i) {
      store::RequestRow row;
      row.run_id = "dead";
      row.seq = i;
      row.target = "t";
      row.prompt_id = "p";
      row.phase = "main";
      row.t_send_ns = 1'000'000LL * i;
      row.t_first_token_ns = *row.t_send_ns + 20'000'000;
      row.t_done_ns = *row.t_send_ns + 50'000'000;
      row.output_tokens = 10;
      row.content_events = 10;
      if (i == 9) {
        row.error_class = "connection";
      }
      writer.push(row);
    }
    writer.close();
  }
  const auto recovered = load::recover_interrupted_runs(db);
  ASSERT_EQ(recovered.size(), 1U);
  EXPECT_EQ(recovered[0].id, "dead");
  EXPECT_EQ(recovered[0].requests, 10);
  EXPECT_EQ(store::get_run(db, "dead")->status, "interrupted");
  EXPECT_EQ(store::get_run(db, "dead")->ended_at_ms, 1'700'000'000'000 + 59);
  EXPECT_EQ(store::get_run(db, "alive")->status, "running");
  EXPECT_EQ(store::get_run(db, "elsewhere")->status, "running");
  bool ttft = false;
  for (const auto& h : store::histograms(db, "dead")) {
    if (h.metric == "ttft") {
      ttft = true;
      EXPECT_EQ(h.count, 9);  // the failed request is not a latency
      EXPECT_NEAR(h.p50, 20'000'000, 20'000);
    }
  }
  EXPECT_TRUE(ttft);
  EXPECT_TRUE(load::recover_interrupted_runs(db).empty());  // once
}

// A recovered run's histograms are the live run's: a non-streaming row gives a time to first
// byte and no TTFT, and the server's own timings come back with their overheads.
TEST(Recover, NonStreamingRowsAndServerTimingsComeBackAsTheRunRecordedThem) {
  llmbench::testing::TempDir dir;
  const std::string path = dir.file("runs.db");
  auto db = store::Database::open(path);
  store::insert_run(db, running("dead", dead_pid(), "gone:1"));
  {
    store::BatchWriter writer(path);
    for (int i = 0; i < 4; ++i) {
      store::RequestRow row;
      row.run_id = "dead";
      row.seq = i;
      row.target = i < 2 ? "whole" : "llama";
      row.prompt_id = "p";
      row.t_send_ns = 1'000'000LL * i;
      row.t_first_byte_ns = *row.t_send_ns + 45'000'000;
      row.t_done_ns = *row.t_send_ns + 50'000'000;
      row.output_tokens = 11;
      row.streamed = i >= 2;
      if (row.streamed) {
        row.t_first_token_ns = *row.t_send_ns + 20'000'000;
      }
      row.server_source = "llama.cpp timings";
      row.server_prompt_ns = 18'000'000;
      row.server_decode_ns = 30'000'000;
      row.server_decode_tokens = 11;
      writer.push(row);
    }
    writer.close();
  }
  ASSERT_EQ(load::recover_interrupted_runs(db).size(), 1U);
  std::map<std::string, store::HistogramRow> by;  // "target metric"
  for (const auto& h : store::histograms(db, "dead")) {
    by[h.target + " " + h.metric] = h;
  }
  EXPECT_FALSE(by.contains("whole ttft"));
  EXPECT_EQ(by["whole ttfb"].count, 2);
  EXPECT_NEAR(by["whole ttfb"].p50, 45'000'000, 50'000);
  EXPECT_FALSE(by.contains("llama ttfb"));
  EXPECT_EQ(by["llama ttft"].count, 2);
  EXPECT_NEAR(by["llama server_prompt"].p50, 18'000'000, 20'000);
  EXPECT_NEAR(by["llama server_tpot"].p50, 3'000'000, 3'000);
  EXPECT_NEAR(by["llama overhead_ttft"].p50, 2'000'000, 2'000);
  EXPECT_NEAR(by["whole overhead_e2e"].p50, 2'000'000, 2'000);
}
