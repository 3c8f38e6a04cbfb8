#include "llmbench/beacon/ledger.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "llmbench/util/error.hpp"
#include "llmbench/util/time.hpp"

namespace llmbench::beacon {

SendLedger::SendLedger(std::string path, std::int64_t per_window, std::chrono::milliseconds window)
    : m_path(std::move(path)), m_per_window(per_window), m_window(window) {
  if (m_path.empty()) {
    return;
  }
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(m_path).parent_path(), ec);
  m_fd = ::open(m_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (m_fd < 0) {
    throw RunError(
        fmt::format("cannot open the beacon send ledger {}: {}", m_path, std::strerror(errno)));
  }
}

SendLedger::~SendLedger() {
  if (m_fd >= 0) {
    ::close(m_fd);
  }
}

SendLedger::Turn SendLedger::acquire() {
  if (m_fd >= 0) {
    while (::flock(m_fd, LOCK_EX) != 0) {
      if (errno != EINTR) {
        throw RunError(
            fmt::format("cannot lock the beacon send ledger {}: {}", m_path, std::strerror(errno)));
      }
    }
    load();
  }
  prune(util::unix_ms_now());
  return Turn(*this);
}

void SendLedger::load() {
  m_entries.clear();
  std::string text;
  char buf[4096];
  ::lseek(m_fd, 0, SEEK_SET);
  for (;;) {
    const ssize_t n = ::read(m_fd, buf, sizeof buf);
    if (n <= 0) {
      break;
    }
    text.append(buf, static_cast<std::size_t>(n));
  }
  std::istringstream lines(text);
  Entry e{};
  // A line that does not parse (a torn write of an older version) is skipped: the budget
  // errs towards the limit only by what that line held.
  while (lines >> e.at_ms >> e.beacons) {
    if (e.beacons > 0) {
      m_entries.push_back(e);
    }
  }
}

void SendLedger::save() {
  if (m_fd < 0) {
    return;
  }
  std::string text;
  for (const auto& e : m_entries) {
    text += fmt::format("{} {}\n", e.at_ms, e.beacons);
  }
  if (::ftruncate(m_fd, 0) != 0 || ::lseek(m_fd, 0, SEEK_SET) != 0 ||
      ::write(m_fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
    throw RunError(
        fmt::format("cannot write the beacon send ledger {}: {}", m_path, std::strerror(errno)));
  }
}

void SendLedger::prune(std::int64_t now_ms) {
  std::erase_if(m_entries, [&](const Entry& e) { return e.at_ms <= now_ms - m_window.count(); });
}

SendLedger::Turn::Turn(SendLedger& ledger) : m_ledger(&ledger) {}

SendLedger::Turn::Turn(Turn&& other) noexcept : m_ledger(other.m_ledger) {
  other.m_ledger = nullptr;
}

SendLedger::Turn::~Turn() {
  if (m_ledger != nullptr && m_ledger->m_fd >= 0) {
    ::flock(m_ledger->m_fd, LOCK_UN);
  }
}

std::int64_t SendLedger::Turn::budget() const {
  std::int64_t used = 0;
  for (const auto& e : m_ledger->m_entries) {
    used += e.beacons;
  }
  return std::max<std::int64_t>(0, m_ledger->m_per_window - used);
}

std::int64_t SendLedger::Turn::frees_at_ms() const {
  std::int64_t oldest = util::unix_ms_now();
  for (const auto& e : m_ledger->m_entries) {
    oldest = std::min(oldest, e.at_ms);
  }
  return oldest + m_ledger->m_window.count() + 1;
}

void SendLedger::Turn::record(std::int64_t beacons) {
  if (beacons <= 0) {
    return;
  }
  m_ledger->m_entries.push_back({util::unix_ms_now(), beacons});
  m_ledger->save();
}

}  // namespace llmbench::beacon
