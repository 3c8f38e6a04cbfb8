// The send budget shared by every sender of one install: two ledgers on one file (as two
// processes have) draw on one budget, and their turns never overlap.

#include "llmbench/beacon/ledger.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "support/temp_dir.hpp"

using llmbench::beacon::SendLedger;
using llmbench::testing::TempDir;

TEST(SendLedger, TwoLedgersOnOneFileShareTheBudget) {
  TempDir dir;
  const std::string path = dir.file("install.json.sends");
  SendLedger a(path, 60, std::chrono::minutes(1));
  SendLedger b(path, 60, std::chrono::minutes(1));
  {
    auto turn = a.acquire();
    EXPECT_EQ(turn.budget(), 60);
    turn.record(40);
  }
  {
    auto turn = b.acquire();
    EXPECT_EQ(turn.budget(), 20);  // what a spent is gone for b too
    turn.record(20);
    EXPECT_EQ(turn.budget(), 0);
    EXPECT_GT(turn.frees_at_ms(), 0);
  }
  // The window passes: the budget comes back.
  SendLedger quick(dir.file("quick.sends"), 3, std::chrono::milliseconds(50));
  {
    auto turn = quick.acquire();
    turn.record(3);
    EXPECT_EQ(turn.budget(), 0);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(80));
  EXPECT_EQ(quick.acquire().budget(), 3);
}

TEST(SendLedger, TurnsNeverOverlapAndNoneOverspends) {
  TempDir dir;
  const std::string path = dir.file("install.json.sends");
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> granted{0};
  const auto sender = [&] {
    SendLedger ledger(path, 50, std::chrono::minutes(1));  // its own open file, as a process
    for (int i = 0; i < 40; ++i) {
      auto turn = ledger.acquire();
      if (inside.fetch_add(1) != 0) {
        ++overlaps;
      }
      if (turn.budget() > 0) {
        turn.record(1);
        ++granted;
      }
      inside.fetch_sub(1);
    }
  };
  std::thread t1(sender);
  std::thread t2(sender);
  t1.join();
  t2.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_EQ(granted.load(), 50);  // 80 asked, exactly the budget given
}
