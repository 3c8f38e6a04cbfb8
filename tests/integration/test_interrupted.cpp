// A run killed with SIGKILL (no chance to clean up) is found by the next command that opens
// the history: marked interrupted, its histograms rebuilt from the rows it stored, so its
// report agrees with them (issue 11).

#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "llmbench/store/database.hpp"
#include "support/background_process.hpp"
#include "support/run_binary.hpp"
#include "support/temp_dir.hpp"

using llmbench::testing::run_llmbench;

namespace {

std::int64_t count(const std::string& db_path, const std::string& sql) {
  auto db = llmbench::store::Database::open(db_path);
  auto st = db.prepare(sql);
  return st.step() ? st.int64(0) : -1;
}

}  // namespace

TEST(Interrupted, AKilledRunIsMarkedInterruptedAndReportsItsRows) {
  llmbench::testing::TempDir dir;
  const auto suite = dir.write("s.toml", R"([suite]
name = "long"
[load]
mode = "concurrency"
concurrency = 2
duration = "10m"
[[targets]]
name = "t"
provider = "mock"
mock = { ttft = "2ms", itl = "1ms", output_tokens = 4 }
[[prompts]]
id = "p"
messages = [{ role = "user", content = "hi" }]
)");
  const std::string runs = dir.file("runs.db");
  llmbench::testing::BackgroundProcess run({"--db", runs, "run", suite, "--no-report"});
  // Wait until some rows are committed, then kill it where it stands.
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < until) {
    if (std::filesystem::exists(runs) && count(runs, "SELECT COUNT(*) FROM requests") >= 20) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  run.stop(SIGKILL);
  const auto stored = count(runs, "SELECT COUNT(*) FROM requests WHERE error_class IS NULL");
  ASSERT_GE(stored, 20);
  EXPECT_EQ(count(runs, "SELECT COUNT(*) FROM runs WHERE status = 'running'"), 1);

  const auto listed = run_llmbench({"--db", runs, "runs", "list"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("interrupted"), std::string::npos) << listed.out;
  EXPECT_NE(listed.err.find("marked interrupted"), std::string::npos) << listed.err;
  EXPECT_EQ(count(runs, "SELECT COUNT(*) FROM runs WHERE status = 'interrupted'"), 1);
  EXPECT_EQ(count(runs, "SELECT count FROM histograms WHERE metric = 'ttft'"), stored);

  const auto report =
      run_llmbench({"--db", runs, "report", "latest", "--format", "md", "--out", "-"});
  ASSERT_EQ(report.exit_code, 0) << report.err;
  EXPECT_EQ(report.out.find("no data"), std::string::npos) << report.out;
  // Said once: the next command finds nothing to recover.
  EXPECT_EQ(run_llmbench({"--db", runs, "runs", "list"}).err.find("marked interrupted"),
            std::string::npos);
}
