#include "llmbench/cache/blake3.hpp"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>

#include <string>

#include <vector>
#include "support/shared_testdata.hpp"

using llmbench::cache::Blake3;

namespace {

std::vector<std::uint8_t> input_of(std::size_t len) {
  std::vector<std::uint8_t> in(len);
  for (std::size_t i = 0; i < len; ++i) {
    in[i] = static_cast<std::uint8_t>(i % 251);
  }
  return in;
}

}  // namespace

TEST(Blake3, EveryOfficialVectorInAllThreeModesWithExtendedOutput) {
  LLMBENCH_REQUIRE_SHARED_TESTDATA(testdata);
  const std::string vectors_path = testdata + "/blake3/test_vectors.json";
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.load(vectors_path).get(doc), simdjson::SUCCESS) << vectors_path;
  const std::string_view key_text = doc["key"];
  const std::string_view context = doc["context_string"];
  ASSERT_EQ(key_text.size(), 32u);
  std::array<std::uint8_t, 32> key{};
  std::copy(key_text.begin(), key_text.end(), key.begin());
  std::size_t cases = 0;
  for (simdjson::dom::element c : doc["cases"].get_array()) {
    const auto len = static_cast<std::size_t>(std::int64_t(c["input_len"]));
    const auto in = input_of(len);
    const std::string_view hash = c["hash"];
    const std::string_view keyed = c["keyed_hash"];
    const std::string_view derived = c["derive_key"];
    const std::size_t out_len = hash.size() / 2;  // 131 bytes
    EXPECT_EQ(Blake3().update(in).hex(out_len), hash) << "hash, input_len " << len;
    EXPECT_EQ(Blake3::keyed(key).update(in).hex(out_len), keyed) << "keyed, input_len " << len;
    EXPECT_EQ(Blake3::derive_key(context).update(in).hex(out_len), derived)
        << "derive_key, input_len " << len;
    // The default-length digest is the extended output's first 32 bytes.
    EXPECT_EQ(Blake3().update(in).hex(), hash.substr(0, 64));
    ++cases;
  }
  EXPECT_EQ(cases, 22u);  // every case of the file: 0 bytes to 102,400 (a 100-chunk tree)
}

TEST(Blake3, SplitUpdatesEqualOneUpdate) {
  const auto in = input_of(5000);
  const std::string whole = Blake3().update(in).hex();
  for (const std::size_t step : {1u, 63u, 64u, 65u, 1023u, 1024u, 1025u, 4096u}) {
    Blake3 h;
    for (std::size_t at = 0; at < in.size(); at += step) {
      h.update(std::span<const std::uint8_t>(in).subspan(at, std::min(step, in.size() - at)));
    }
    EXPECT_EQ(h.hex(), whole) << step;
  }
  // Long enough for the eight-chunk path (AVX2), entered at chunk boundaries after splits of
  // every shape, and keyed like the whole.
  const auto big = input_of(100 * 1024 + 17);
  const std::string big_whole = Blake3().update(big).hex();
  for (const std::size_t step : {1000u, 1024u, 8192u, 9000u, 8u * 1024 + 1}) {
    Blake3 h;
    for (std::size_t at = 0; at < big.size(); at += step) {
      h.update(std::span<const std::uint8_t>(big).subspan(at, std::min(step, big.size() - at)));
    }
    EXPECT_EQ(h.hex(), big_whole) << step;
  }
  EXPECT_EQ(llmbench::cache::blake3_hex(""),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
}

TEST(Blake3, AgreesWithB3sum) {
  if (std::system("command -v b3sum > /dev/null 2>&1") != 0) {
    GTEST_SKIP() << "b3sum is not installed (scripts/setup installs Debian's b3sum)";
  }
  const std::string dir = ::testing::TempDir();
  for (const std::size_t len : {0u, 1u, 1024u, 1025u, 65536u, 1u << 20}) {
    const std::string path = dir + "/b3-input-" + std::to_string(len);
    std::string data(len, '\0');
    std::uint64_t x = 0x9E3779B97F4A7C15ull * (len + 1);
    for (auto& c : data) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      c = static_cast<char>(x);
    }
    std::FILE* f = std::fopen(path.c_str(), "wb");
    std::fwrite(data.data(), 1, data.size(), f);
    std::fclose(f);
    std::FILE* p = popen(("b3sum --no-names " + path).c_str(), "r");
    char line[128] = {};
    ASSERT_NE(std::fgets(line, sizeof line, p), nullptr);
    pclose(p);
    EXPECT_EQ(std::string(line).substr(0, 64), llmbench::cache::blake3_hex(data)) << len;
    std::remove(path.c_str());
  }
}
