// The HdrHistogram V2 decoder (compressed or not, raw or base64, as `runs import` and
// `report` meet it). A decoded histogram answers every question and encodes to the same
// counts.

#include <cstdint>
#include <vector>

#include "fuzz.hpp"
#include "llmbench/metrics/hdr_codec.hpp"

using namespace llmbench;

namespace {

void exercise(const metrics::HdrHistogram& h) {
  (void)h.mean();
  (void)h.stddev();
  (void)h.min();
  (void)h.max();
  for (const double p : {0.0, 50.0, 99.0, 99.99, 100.0}) {
    (void)h.value_at_percentile(p);
  }
  const auto again = metrics::decode_v2(metrics::encode_v2(h));
  if (!again || again->count() != h.count()) {
    fuzz::broken("a decoded histogram does not survive encoding");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::vector<std::uint8_t> bytes(data, data + size);
  if (const auto h = metrics::decode_v2(bytes)) {
    exercise(*h);
  }
  if (const auto h = metrics::decode_base64(fuzz::text(data, size))) {
    exercise(*h);
  }
  return 0;
}
