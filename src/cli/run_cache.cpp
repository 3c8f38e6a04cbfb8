#include "run_cache.hpp"

#include <fmt/format.h>

#include <filesystem>

#include "llmbench/cache/blake3.hpp"
#include "llmbench/util/error.hpp"
#include "llmbench/util/time.hpp"

namespace llmbench::cli {

RunCache::RunCache(const std::string& path, suite::CacheMode mode, cache::KeyMode key_mode)
    : m_key_mode(key_mode) {
  if (mode == suite::CacheMode::replay && !std::filesystem::exists(path)) {
    throw InputError(fmt::format(
        "--cache-mode replay: no cache at {} (record one first with --cache-mode record or "
        "auto, or give its path with --cache PATH)",
        path));
  }
  if (mode != suite::CacheMode::record) {
    m_reader.emplace(cache::CacheStore::open(path));
  }
  if (mode != suite::CacheMode::replay) {
    m_writer.emplace(path);
  }
}

const RunCache::Key* RunCache::key_of(std::string_view provider, std::string_view body) {
  auto by_provider = m_keys.find(provider);
  if (by_provider == m_keys.end()) {
    by_provider = m_keys.emplace(std::string(provider), KeyMap{}).first;
  }
  KeyMap& keys = by_provider->second;
  auto it = keys.find(body);
  if (it == keys.end()) {
    std::optional<Key> key;
    if (auto canonical = cache::fingerprint_input(provider, body, m_key_mode)) {
      key = Key{cache::blake3_hex(*canonical), std::move(*canonical)};
    }
    it = keys.emplace(std::string(body), std::move(key)).first;
  }
  return it->second ? &*it->second : nullptr;
}

std::shared_ptr<const providers::Recording> RunCache::lookup(std::string_view provider,
                                                             std::string_view body) {
  const Key* key = m_reader ? key_of(provider, body) : nullptr;
  if (key != nullptr) {
    if (const auto it = m_memo.find(key->fingerprint); it != m_memo.end()) {
      ++m_hits;
      m_reader->count_hit(key->fingerprint);
      return it->second;
    }
    if (auto hit = m_reader->get(key->fingerprint)) {
      ++m_hits;
      if (m_memo.size() >= k_memo_limit) {
        m_memo.clear();
      }
      auto shared = std::make_shared<const providers::Recording>(cache::to_recording(*hit));
      m_memo.emplace(key->fingerprint, shared);
      return shared;
    }
  }
  ++m_misses;
  return nullptr;
}

void RunCache::record(std::string_view provider, std::string_view body,
                      providers::Recording recording) {
  const Key* key = m_writer ? key_of(provider, body) : nullptr;
  if (key == nullptr) {
    return;  // replay only, or a body that is not JSON (ours always is)
  }
  if (m_reader) {  // auto: later lookups in this run must see it
    if (m_memo.size() >= k_memo_limit) {
      m_memo.clear();
    }
    m_memo[key->fingerprint] = std::make_shared<const providers::Recording>(recording);
  }
  m_writer->put(cache::from_recording(key->fingerprint, std::string(provider), key->canonical,
                                      std::move(recording), util::unix_ms_now()));
}

std::int64_t RunCache::close() {
  if (m_reader) {
    m_reader->flush_hits();
  }
  return m_writer ? m_writer->close() : 0;
}

}  // namespace llmbench::cli
