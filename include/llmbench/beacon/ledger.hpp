#pragma once
// The beacon send budget of one install identity, shared by every process and run database
// on the machine. A collector limits beacons per install (the public ingest: 60 a minute),
// not per database, so two project folders beaconing under the one identity must draw on one
// budget. It lives beside install.json ("install.json.sends"): one line per POST,
// "<unix ms> <beacons>", read and rewritten under an exclusive flock that is held for the
// whole exchange, so two senders never post at once and never overrun the window together.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace llmbench::beacon {

class SendLedger {
 public:
  // `path` "": a ledger of this process only (for tests and library users without a file).
  SendLedger(std::string path, std::int64_t per_window, std::chrono::milliseconds window);
  ~SendLedger();
  SendLedger(const SendLedger&) = delete;
  SendLedger& operator=(const SendLedger&) = delete;

  // The ledger, locked until the turn ends.
  class Turn {
   public:
    ~Turn();
    Turn(Turn&& other) noexcept;
    Turn& operator=(Turn&&) = delete;
    Turn(const Turn&) = delete;
    Turn& operator=(const Turn&) = delete;
    // Beacons that may be posted now without passing the limit.
    std::int64_t budget() const;
    // When budget() grows again (unix ms); only meaningful when it is 0.
    std::int64_t frees_at_ms() const;
    // A POST of `beacons` went out now (whatever its answer): it counts until the window
    // passes.
    void record(std::int64_t beacons);

   private:
    friend class SendLedger;
    explicit Turn(SendLedger& ledger);
    SendLedger* m_ledger;
  };
  // Blocks until no other process holds the ledger. Throws RunError if the file cannot be
  // opened or locked.
  Turn acquire();

 private:
  struct Entry {
    std::int64_t at_ms;
    std::int64_t beacons;
  };
  void load();
  void save();
  void prune(std::int64_t now_ms);

  std::string m_path;
  std::int64_t m_per_window;
  std::chrono::milliseconds m_window;
  int m_fd = -1;
  std::vector<Entry> m_entries;
};

}  // namespace llmbench::beacon
