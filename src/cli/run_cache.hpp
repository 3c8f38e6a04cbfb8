#pragma once
// The response cache as `run` hands it to the runner: lookups read the cache file on the
// loop's thread (a warm hit is ~20 us); recordings go to a writer thread, and in auto mode
// are also kept in memory so the rest of the run replays them. Fingerprints are computed once
// per distinct request body. `llmbench mock --from-cache` uses it too (replay mode, under a
// lock: the server's threads share it).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "llmbench/cache/fingerprint.hpp"
#include "llmbench/cache/store.hpp"
#include "llmbench/load/runner.hpp"
#include "llmbench/suite/suite.hpp"

namespace llmbench::cli {

class RunCache final : public load::ResponseCache {
 public:
  // Opens the cache for `mode` (replay needs an existing file; record and auto create one).
  RunCache(const std::string& path, suite::CacheMode mode, cache::KeyMode key_mode);

  std::shared_ptr<const providers::Recording> lookup(std::string_view provider,
                                                     std::string_view body) override;
  void record(std::string_view provider, std::string_view body,
              providers::Recording recording) override;
  // Flushes hit counts and recordings; returns how many responses were recorded.
  std::int64_t close();

  std::int64_t hits() const { return m_hits; }
  std::int64_t misses() const { return m_misses; }

 private:
  struct Key {
    std::string fingerprint;
    std::string canonical;
  };
  const Key* key_of(std::string_view provider, std::string_view body);

  cache::KeyMode m_key_mode;
  std::optional<cache::CacheStore> m_reader;
  std::optional<cache::CacheWriter> m_writer;
  // Body -> key, one map per protocol; looked up by view, so a lookup copies nothing.
  struct ViewHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  using KeyMap = std::unordered_map<std::string, std::optional<Key>, ViewHash, std::equal_to<>>;
  std::map<std::string, KeyMap, std::less<>> m_keys;
  // What this run has replayed or recorded, by fingerprint: a response asked for again is
  // not read again (its hit is still counted), and in auto mode a response recorded earlier
  // in the run is found before the writer thread has stored it. Bounded: cleared past
  // k_memo_limit entries.
  static constexpr std::size_t k_memo_limit = 4096;
  std::unordered_map<std::string, std::shared_ptr<const providers::Recording>> m_memo;
  std::int64_t m_hits = 0;
  std::int64_t m_misses = 0;
};

}  // namespace llmbench::cli
