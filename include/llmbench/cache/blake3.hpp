#pragma once
// BLAKE3 (https://github.com/BLAKE3-team/BLAKE3-specs): hash, keyed hash, derive-key, and
// extended output. Our own portable implementation (no Debian package has a library), checked
// against the official test vectors in ../shared/testdata/blake3/.

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace llmbench::cache {

class Blake3 {
 public:
  static constexpr std::size_t k_key_len = 32;
  static constexpr std::size_t k_out_len = 32;

  Blake3();  // the default hash
  static Blake3 keyed(std::span<const std::uint8_t, k_key_len> key);
  static Blake3 derive_key(std::string_view context);

  Blake3& update(std::span<const std::uint8_t> input);
  Blake3& update(std::string_view input);
  // Any number of output bytes (the extended output function); the hasher is not consumed.
  void finalize(std::span<std::uint8_t> out) const;
  std::array<std::uint8_t, k_out_len> digest() const;
  std::string hex(std::size_t bytes = k_out_len) const;

 private:
  struct ChunkState {
    std::array<std::uint32_t, 8> cv{};
    std::uint64_t chunk_counter = 0;
    std::array<std::uint8_t, 64> block{};
    std::uint8_t block_len = 0;
    std::uint8_t blocks_compressed = 0;
    std::uint32_t flags = 0;
    std::size_t len() const { return 64u * blocks_compressed + block_len; }
  };
  Blake3(const std::array<std::uint32_t, 8>& key, std::uint32_t flags);
  void push_chunk_cv(std::array<std::uint32_t, 8> cv, std::uint64_t total_chunks);

  std::array<std::uint32_t, 8> m_key{};
  std::uint32_t m_flags = 0;
  ChunkState m_chunk;
  std::array<std::array<std::uint32_t, 8>, 54> m_stack{};
  std::uint8_t m_stack_len = 0;
};

// The default 32-byte hash of `data`, as lowercase hex.
std::string blake3_hex(std::string_view data);

}  // namespace llmbench::cache
