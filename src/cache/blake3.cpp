#include "llmbench/cache/blake3.hpp"

#include <immintrin.h>

#include <algorithm>
#include <bit>
#include <cstring>

#include "llmbench/util/hex.hpp"

namespace llmbench::cache {

namespace {

constexpr std::array<std::uint32_t, 8> k_iv = {0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
                                               0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19};
constexpr std::uint32_t k_chunk_start = 1u << 0;
constexpr std::uint32_t k_chunk_end = 1u << 1;
constexpr std::uint32_t k_parent = 1u << 2;
constexpr std::uint32_t k_root = 1u << 3;
constexpr std::uint32_t k_keyed_hash = 1u << 4;
constexpr std::uint32_t k_derive_key_context = 1u << 5;
constexpr std::uint32_t k_derive_key_material = 1u << 6;
constexpr std::size_t k_block_len = 64;
constexpr std::size_t k_chunk_len = 1024;

using Words16 = std::array<std::uint32_t, 16>;
using Words8 = std::array<std::uint32_t, 8>;

inline std::uint32_t load32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

inline void store32(std::uint8_t* p, std::uint32_t w) {
  p[0] = static_cast<std::uint8_t>(w);
  p[1] = static_cast<std::uint8_t>(w >> 8);
  p[2] = static_cast<std::uint8_t>(w >> 16);
  p[3] = static_cast<std::uint8_t>(w >> 24);
}

inline void g(std::uint32_t* s, int a, int b, int c, int d, std::uint32_t mx, std::uint32_t my) {
  s[a] = s[a] + s[b] + mx;
  s[d] = std::rotr(s[d] ^ s[a], 16);
  s[c] = s[c] + s[d];
  s[b] = std::rotr(s[b] ^ s[c], 12);
  s[a] = s[a] + s[b] + my;
  s[d] = std::rotr(s[d] ^ s[a], 8);
  s[c] = s[c] + s[d];
  s[b] = std::rotr(s[b] ^ s[c], 7);
}

// The message schedule: round r uses the block words permuted r times.
constexpr std::array<std::array<std::uint8_t, 16>, 7> k_schedule = {{
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {2, 6, 3, 10, 7, 0, 4, 13, 1, 11, 12, 5, 9, 14, 15, 8},
    {3, 4, 10, 12, 13, 2, 7, 14, 6, 5, 9, 0, 11, 15, 8, 1},
    {10, 7, 12, 9, 14, 3, 13, 15, 4, 0, 11, 2, 5, 8, 1, 6},
    {12, 13, 9, 11, 15, 10, 14, 8, 7, 2, 5, 3, 0, 1, 6, 4},
    {9, 14, 11, 5, 8, 12, 15, 1, 13, 3, 0, 10, 2, 6, 4, 7},
    {11, 15, 5, 0, 1, 9, 8, 6, 14, 10, 2, 12, 3, 4, 7, 13},
}};

std::array<std::uint32_t, 16> compress(const Words8& cv, const Words16& m, std::uint64_t counter,
                                       std::uint32_t block_len, std::uint32_t flags) {
  std::array<std::uint32_t, 16> s = {cv[0],
                                     cv[1],
                                     cv[2],
                                     cv[3],
                                     cv[4],
                                     cv[5],
                                     cv[6],
                                     cv[7],
                                     k_iv[0],
                                     k_iv[1],
                                     k_iv[2],
                                     k_iv[3],
                                     static_cast<std::uint32_t>(counter),
                                     static_cast<std::uint32_t>(counter >> 32),
                                     block_len,
                                     flags};
  for (const auto& p : k_schedule) {
    g(s.data(), 0, 4, 8, 12, m[p[0]], m[p[1]]);
    g(s.data(), 1, 5, 9, 13, m[p[2]], m[p[3]]);
    g(s.data(), 2, 6, 10, 14, m[p[4]], m[p[5]]);
    g(s.data(), 3, 7, 11, 15, m[p[6]], m[p[7]]);
    g(s.data(), 0, 5, 10, 15, m[p[8]], m[p[9]]);
    g(s.data(), 1, 6, 11, 12, m[p[10]], m[p[11]]);
    g(s.data(), 2, 7, 8, 13, m[p[12]], m[p[13]]);
    g(s.data(), 3, 4, 9, 14, m[p[14]], m[p[15]]);
  }
  for (int i = 0; i < 8; ++i) {
    s[i] ^= s[i + 8];
    s[i + 8] ^= cv[i];
  }
  return s;
}

Words16 words_of(const std::uint8_t* block) {
  Words16 w;
  for (int i = 0; i < 16; ++i) {
    w[i] = load32(block + 4 * i);
  }
  return w;
}

Words8 first8(const std::array<std::uint32_t, 16>& s) {
  Words8 out;
  std::copy_n(s.begin(), 8, out.begin());
  return out;
}

struct Output {
  Words8 input_cv;
  Words16 block;
  std::uint64_t counter;
  std::uint32_t block_len;
  std::uint32_t flags;

  Words8 chaining_value() const {
    return first8(compress(input_cv, block, counter, block_len, flags));
  }

  void root_bytes(std::span<std::uint8_t> out) const {
    std::uint64_t block_counter = 0;
    std::size_t pos = 0;
    while (pos < out.size()) {
      const auto words = compress(input_cv, block, block_counter++, block_len, flags | k_root);
      std::uint8_t bytes[64];
      for (int i = 0; i < 16; ++i) {
        store32(bytes + 4 * i, words[i]);
      }
      const std::size_t take = std::min<std::size_t>(64, out.size() - pos);
      std::memcpy(out.data() + pos, bytes, take);
      pos += take;
    }
  }
};

Output parent_output(const Words8& left, const Words8& right, const Words8& key,
                     std::uint32_t flags) {
  Words16 block;
  std::copy(left.begin(), left.end(), block.begin());
  std::copy(right.begin(), right.end(), block.begin() + 8);
  return Output{key, block, 0, k_block_len, k_parent | flags};
}

// -- eight chunks at once (AVX2) ---------------------------------------------------------
//
// Whole chunks are independent until their chaining values meet in the tree, so eight of
// them are compressed side by side, one chunk per 32-bit lane. Used only when the CPU has
// AVX2 (checked at run time) and at least eight whole chunks are known not to end the input.

constexpr std::size_t k_lanes = 8;

#define LLMBENCH_AVX2 __attribute__((target("avx2")))

LLMBENCH_AVX2 inline __m256i rotr16(__m256i x) {
  const __m256i k = _mm256_setr_epi8(2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0,
                                     1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
  return _mm256_shuffle_epi8(x, k);
}
LLMBENCH_AVX2 inline __m256i rotr8(__m256i x) {
  const __m256i k = _mm256_setr_epi8(1, 2, 3, 0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12, 1, 2, 3,
                                     0, 5, 6, 7, 4, 9, 10, 11, 8, 13, 14, 15, 12);
  return _mm256_shuffle_epi8(x, k);
}
LLMBENCH_AVX2 inline __m256i rotr12(__m256i x) {
  return _mm256_or_si256(_mm256_srli_epi32(x, 12), _mm256_slli_epi32(x, 20));
}
LLMBENCH_AVX2 inline __m256i rotr7(__m256i x) {
  return _mm256_or_si256(_mm256_srli_epi32(x, 7), _mm256_slli_epi32(x, 25));
}

LLMBENCH_AVX2 inline void g8(__m256i* v, int a, int b, int c, int d, __m256i mx, __m256i my) {
  v[a] = _mm256_add_epi32(_mm256_add_epi32(v[a], v[b]), mx);
  v[d] = rotr16(_mm256_xor_si256(v[d], v[a]));
  v[c] = _mm256_add_epi32(v[c], v[d]);
  v[b] = rotr12(_mm256_xor_si256(v[b], v[c]));
  v[a] = _mm256_add_epi32(_mm256_add_epi32(v[a], v[b]), my);
  v[d] = rotr8(_mm256_xor_si256(v[d], v[a]));
  v[c] = _mm256_add_epi32(v[c], v[d]);
  v[b] = rotr7(_mm256_xor_si256(v[b], v[c]));
}

// rows[k] holds eight words of lane k; afterwards rows[j] holds word j of every lane.
LLMBENCH_AVX2 inline void transpose8(__m256i* r) {
  const __m256i t0 = _mm256_unpacklo_epi32(r[0], r[1]);
  const __m256i t1 = _mm256_unpackhi_epi32(r[0], r[1]);
  const __m256i t2 = _mm256_unpacklo_epi32(r[2], r[3]);
  const __m256i t3 = _mm256_unpackhi_epi32(r[2], r[3]);
  const __m256i t4 = _mm256_unpacklo_epi32(r[4], r[5]);
  const __m256i t5 = _mm256_unpackhi_epi32(r[4], r[5]);
  const __m256i t6 = _mm256_unpacklo_epi32(r[6], r[7]);
  const __m256i t7 = _mm256_unpackhi_epi32(r[6], r[7]);
  const __m256i u0 = _mm256_unpacklo_epi64(t0, t2);
  const __m256i u1 = _mm256_unpackhi_epi64(t0, t2);
  const __m256i u2 = _mm256_unpacklo_epi64(t1, t3);
  const __m256i u3 = _mm256_unpackhi_epi64(t1, t3);
  const __m256i u4 = _mm256_unpacklo_epi64(t4, t6);
  const __m256i u5 = _mm256_unpackhi_epi64(t4, t6);
  const __m256i u6 = _mm256_unpacklo_epi64(t5, t7);
  const __m256i u7 = _mm256_unpackhi_epi64(t5, t7);
  r[0] = _mm256_permute2x128_si256(u0, u4, 0x20);
  r[1] = _mm256_permute2x128_si256(u1, u5, 0x20);
  r[2] = _mm256_permute2x128_si256(u2, u6, 0x20);
  r[3] = _mm256_permute2x128_si256(u3, u7, 0x20);
  r[4] = _mm256_permute2x128_si256(u0, u4, 0x31);
  r[5] = _mm256_permute2x128_si256(u1, u5, 0x31);
  r[6] = _mm256_permute2x128_si256(u2, u6, 0x31);
  r[7] = _mm256_permute2x128_si256(u3, u7, 0x31);
}

// The chaining values of the eight whole chunks at `input` (numbered counter .. counter+7).
LLMBENCH_AVX2 void hash8_chunks(const std::uint8_t* input, const Words8& key, std::uint64_t counter,
                                std::uint32_t flags, Words8* out) {
  __m256i h[8];
  for (int i = 0; i < 8; ++i) {
    h[i] = _mm256_set1_epi32(static_cast<int>(key[static_cast<std::size_t>(i)]));
  }
  alignas(32) std::uint32_t lo[k_lanes];
  alignas(32) std::uint32_t hi[k_lanes];
  for (std::size_t k = 0; k < k_lanes; ++k) {
    lo[k] = static_cast<std::uint32_t>(counter + k);
    hi[k] = static_cast<std::uint32_t>((counter + k) >> 32);
  }
  const __m256i counter_lo = _mm256_load_si256(reinterpret_cast<const __m256i*>(lo));
  const __m256i counter_hi = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi));
  const __m256i block_len = _mm256_set1_epi32(static_cast<int>(k_block_len));
  for (std::size_t b = 0; b < k_chunk_len / k_block_len; ++b) {
    __m256i m[16];
    for (std::size_t k = 0; k < k_lanes; ++k) {
      const std::uint8_t* block = input + k * k_chunk_len + b * k_block_len;
      m[k] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block));
      m[8 + k] = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(block + 32));
    }
    transpose8(m);
    transpose8(m + 8);
    std::uint32_t block_flags = flags;
    if (b == 0) {
      block_flags |= k_chunk_start;
    }
    if (b + 1 == k_chunk_len / k_block_len) {
      block_flags |= k_chunk_end;
    }
    __m256i v[16] = {h[0],
                     h[1],
                     h[2],
                     h[3],
                     h[4],
                     h[5],
                     h[6],
                     h[7],
                     _mm256_set1_epi32(static_cast<int>(k_iv[0])),
                     _mm256_set1_epi32(static_cast<int>(k_iv[1])),
                     _mm256_set1_epi32(static_cast<int>(k_iv[2])),
                     _mm256_set1_epi32(static_cast<int>(k_iv[3])),
                     counter_lo,
                     counter_hi,
                     block_len,
                     _mm256_set1_epi32(static_cast<int>(block_flags))};
    for (const auto& p : k_schedule) {
      g8(v, 0, 4, 8, 12, m[p[0]], m[p[1]]);
      g8(v, 1, 5, 9, 13, m[p[2]], m[p[3]]);
      g8(v, 2, 6, 10, 14, m[p[4]], m[p[5]]);
      g8(v, 3, 7, 11, 15, m[p[6]], m[p[7]]);
      g8(v, 0, 5, 10, 15, m[p[8]], m[p[9]]);
      g8(v, 1, 6, 11, 12, m[p[10]], m[p[11]]);
      g8(v, 2, 7, 8, 13, m[p[12]], m[p[13]]);
      g8(v, 3, 4, 9, 14, m[p[14]], m[p[15]]);
    }
    for (int i = 0; i < 8; ++i) {
      h[i] = _mm256_xor_si256(v[i], v[i + 8]);
    }
  }
  transpose8(h);  // back to one row per chunk
  for (std::size_t k = 0; k < k_lanes; ++k) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out[k].data()), h[k]);
  }
}

#undef LLMBENCH_AVX2

bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2");
  return yes;
}

}  // namespace

Blake3::Blake3() : Blake3(k_iv, 0) {}

Blake3::Blake3(const std::array<std::uint32_t, 8>& key, std::uint32_t flags)
    : m_key(key), m_flags(flags) {
  m_chunk.cv = key;
  m_chunk.flags = flags;
}

Blake3 Blake3::keyed(std::span<const std::uint8_t, k_key_len> key) {
  Words8 words;
  for (int i = 0; i < 8; ++i) {
    words[i] = load32(key.data() + 4 * i);
  }
  return Blake3(words, k_keyed_hash);
}

Blake3 Blake3::derive_key(std::string_view context) {
  Blake3 context_hasher(k_iv, k_derive_key_context);
  context_hasher.update(context);
  std::array<std::uint8_t, 32> context_key{};
  context_hasher.finalize(context_key);
  Words8 words;
  for (int i = 0; i < 8; ++i) {
    words[i] = load32(context_key.data() + 4 * i);
  }
  return Blake3(words, k_derive_key_material);
}

void Blake3::push_chunk_cv(Words8 cv, std::uint64_t total_chunks) {
  // Merge completed subtrees: one merge for every trailing zero bit of the chunk count.
  while ((total_chunks & 1) == 0) {
    cv = parent_output(m_stack[--m_stack_len], cv, m_key, m_flags).chaining_value();
    total_chunks >>= 1;
  }
  m_stack[m_stack_len++] = cv;
}

Blake3& Blake3::update(std::string_view input) {
  return update(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(input.data()),
                                              input.size()));
}

Blake3& Blake3::update(std::span<const std::uint8_t> input) {
  const std::uint8_t* p = input.data();
  std::size_t n = input.size();
  while (n > 0) {
    if (m_chunk.len() == k_chunk_len) {
      const std::uint32_t start = m_chunk.blocks_compressed == 0 ? k_chunk_start : 0;
      const Output out{m_chunk.cv, words_of(m_chunk.block.data()), m_chunk.chunk_counter,
                       m_chunk.block_len, m_chunk.flags | start | k_chunk_end};
      const std::uint64_t total = m_chunk.chunk_counter + 1;
      push_chunk_cv(out.chaining_value(), total);
      m_chunk = ChunkState{};
      m_chunk.cv = m_key;
      m_chunk.chunk_counter = total;
      m_chunk.flags = m_flags;
    }
    // At a chunk boundary with more than eight whole chunks to come (so none of them can be
    // the root): eight at a time.
    if (m_chunk.len() == 0 && n > k_lanes * k_chunk_len && has_avx2()) {
      std::array<Words8, k_lanes> cvs;
      while (n > k_lanes * k_chunk_len) {
        hash8_chunks(p, m_key, m_chunk.chunk_counter, m_flags, cvs.data());
        for (std::size_t k = 0; k < k_lanes; ++k) {
          push_chunk_cv(cvs[k], m_chunk.chunk_counter + k + 1);
        }
        m_chunk.chunk_counter += k_lanes;
        p += k_lanes * k_chunk_len;
        n -= k_lanes * k_chunk_len;
      }
      continue;
    }
    // Within a chunk: compress every full block that is known not to be the chunk's last.
    if (m_chunk.block_len == k_block_len) {
      const std::uint32_t start = m_chunk.blocks_compressed == 0 ? k_chunk_start : 0;
      m_chunk.cv = first8(compress(m_chunk.cv, words_of(m_chunk.block.data()),
                                   m_chunk.chunk_counter, k_block_len, m_chunk.flags | start));
      ++m_chunk.blocks_compressed;
      m_chunk.block_len = 0;
    }
    const std::size_t take = std::min(k_block_len - m_chunk.block_len, n);
    std::memcpy(m_chunk.block.data() + m_chunk.block_len, p, take);
    m_chunk.block_len = static_cast<std::uint8_t>(m_chunk.block_len + take);
    p += take;
    n -= take;
  }
  return *this;
}

void Blake3::finalize(std::span<std::uint8_t> out) const {
  std::array<std::uint8_t, 64> last{};
  std::memcpy(last.data(), m_chunk.block.data(), m_chunk.block_len);
  const std::uint32_t start = m_chunk.blocks_compressed == 0 ? k_chunk_start : 0;
  Output output{m_chunk.cv, words_of(last.data()), m_chunk.chunk_counter, m_chunk.block_len,
                m_chunk.flags | start | k_chunk_end};
  for (int i = m_stack_len; i > 0; --i) {
    output = parent_output(m_stack[static_cast<std::size_t>(i - 1)], output.chaining_value(), m_key,
                           m_flags);
  }
  output.root_bytes(out);
}

std::array<std::uint8_t, Blake3::k_out_len> Blake3::digest() const {
  std::array<std::uint8_t, k_out_len> out{};
  finalize(out);
  return out;
}

std::string Blake3::hex(std::size_t bytes) const {
  std::string raw(bytes, '\0');
  finalize(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(raw.data()), raw.size()));
  return util::to_hex(raw);
}

std::string blake3_hex(std::string_view data) {
  return Blake3().update(data).hex();
}

}  // namespace llmbench::cache
