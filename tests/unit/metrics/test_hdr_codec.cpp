#include "llmbench/metrics/hdr_codec.hpp"

#include <gtest/gtest.h>

#include <zlib.h>

#include <algorithm>
#include <random>

#include "llmbench/util/base64.hpp"

using namespace llmbench::metrics;

namespace {

// Made by the reference HdrHistogram JavaScript port (npm hdr-histogram-js 3.0.1):
//   build({lowestDiscernibleValue: 1, highestTrackableValue: 3600000000000,
//          numberOfSignificantValueDigits: 3}); record 1..1000 once each, 1000000 ten times;
//   encodeIntoCompressedBase64(h)
constexpr const char* k_reference =
    "HISTFAAAADJ4nJNpmSzMwMD8loGBgZGBgYGZAQIYGRiY3Qx2LGCA85lGwSgYBcMevJ/HKAIAvJ0NgA==";

}  // namespace

TEST(HdrCodec, DecodesTheReferenceImplementationsHistogram) {
  const auto h = decode_base64(k_reference);
  ASSERT_TRUE(h.ok()) << h.error();
  EXPECT_EQ(h->count(), 1010);
  EXPECT_EQ(h->lowest_discernible(), 1);
  EXPECT_EQ(h->highest_trackable(), 3'600'000'000'000);
  EXPECT_EQ(h->significant_digits(), 3);
  // Hand-verified: below 2048 every value has its own bucket; 1,000,000 lies in the bucket
  // [999,936, 1,000,447] (unit 512), so percentiles that land there report 1,000,447.
  EXPECT_EQ(h->value_at_percentile(0), 1);
  EXPECT_EQ(h->value_at_percentile(50), 505);   // the ceil(0.50 * 1010) = 505th value
  EXPECT_EQ(h->value_at_percentile(90), 909);   // the 909th
  EXPECT_EQ(h->value_at_percentile(99), 1000);  // the 1000th
  EXPECT_EQ(h->value_at_percentile(99.5), 1'000'447);
  EXPECT_EQ(h->max(), 1'000'447);
  // Mean over bucket midpoints: (500500 + 10 * 1000192) / 1010, as the reference reports.
  EXPECT_NEAR(h->mean(), 10398.435643564357, 1e-9);
}

TEST(HdrCodec, RoundTripsThroughBothEncodings) {
  HdrHistogram h = HdrHistogram::for_latency_ns();
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> dist(16.0, 1.5);
  for (int i = 0; i < 100'000; ++i) {
    h.record(static_cast<std::int64_t>(dist(rng)));
  }
  for (const auto& bytes : {encode_v2(h), encode_v2_compressed(h)}) {
    const auto back = decode_v2(bytes);
    ASSERT_TRUE(back.ok()) << back.error();
    EXPECT_EQ(back->count(), h.count());
    for (std::size_t i = 0; i < h.counts_length(); ++i) {
      ASSERT_EQ(back->count_at_index(i), h.count_at_index(i)) << "index " << i;
    }
    EXPECT_EQ(back->max(), h.max());
    EXPECT_EQ(back->min(), h.min());
  }
  const std::string text = encode_base64(h);
  EXPECT_EQ(text.rfind("HISTF", 0), 0U);
  const auto back = decode_base64(text);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->value_at_percentile(99.9), h.value_at_percentile(99.9));
}

TEST(HdrCodec, OurEncodingDecodesToTheReferenceValues) {
  const auto reference = decode_base64(k_reference);
  ASSERT_TRUE(reference.ok());
  HdrHistogram ours(1, 3'600'000'000'000, 3);
  for (int i = 1; i <= 1000; ++i) {
    ours.record(i);
  }
  ours.record_n(1'000'000, 10);
  // The counts payload (after the 40-byte header) is fully determined by the format, so ours
  // must equal the reference implementation's byte for byte.
  const auto compressed = *llmbench::util::base64_decode(k_reference);
  const auto reference_raw = decode_v2(compressed);  // proves it inflates; now the raw bytes:
  ASSERT_TRUE(reference_raw.ok());
  std::vector<std::uint8_t> inflated(4096);
  uLongf size = inflated.size();
  ASSERT_EQ(uncompress(inflated.data(), &size, compressed.data() + 8, compressed.size() - 8), Z_OK);
  inflated.resize(size);
  const auto mine = encode_v2(ours);
  ASSERT_EQ(mine.size(), inflated.size());
  EXPECT_TRUE(std::equal(mine.begin() + 40, mine.end(), inflated.begin() + 40));
  EXPECT_TRUE(std::equal(mine.begin(), mine.begin() + 8, inflated.begin()));  // cookie, length
}

TEST(HdrCodec, EmptyHistogramRoundTrips) {
  const HdrHistogram h(1, 1000, 2);
  const auto back = decode_base64(encode_base64(h));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->count(), 0);
  EXPECT_EQ(back->highest_trackable(), 1000);
  EXPECT_EQ(back->significant_digits(), 2);
}

TEST(HdrCodec, RejectsGarbageAndTruncation) {
  EXPECT_FALSE(decode_base64("not base64!").ok());
  EXPECT_FALSE(decode_v2({}).ok());
  EXPECT_FALSE(decode_v2({0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0}).ok());
  auto bytes = *llmbench::util::base64_decode(k_reference);
  auto truncated = bytes;
  truncated.resize(truncated.size() - 5);
  EXPECT_FALSE(decode_v2(truncated).ok());
  auto corrupt = bytes;
  corrupt[12] ^= 0xff;  // inside the zlib stream
  EXPECT_FALSE(decode_v2(corrupt).ok());

  HdrHistogram h(1, 1000, 3);
  h.record(5);
  auto raw = encode_v2(h);
  raw.back() |= 0x80;  // a count whose continuation byte is missing
  EXPECT_FALSE(decode_v2(raw).ok());
  auto bad_header = encode_v2(h);
  bad_header[15] = 9;  // 9 significant digits
  EXPECT_FALSE(decode_v2(bad_header).ok());
}
