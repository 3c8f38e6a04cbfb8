#pragma once
// HdrHistogram's V2 encoding: the uncompressed form (cookie 0x1c849313) and the compressed one
// (cookie 0x1c849314, zlib-deflated), and the base64 text of the latter ("HISTF..."), which is
// what `.hlog` files and HdrHistogram tools exchange.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "llmbench/metrics/hdr_histogram.hpp"
#include "llmbench/util/result.hpp"

namespace llmbench::metrics {

std::vector<std::uint8_t> encode_v2(const HdrHistogram& h);
std::vector<std::uint8_t> encode_v2_compressed(const HdrHistogram& h);
std::string encode_base64(const HdrHistogram& h);

// Decodes either V2 form; errors name what is wrong (cookie, length, payload).
Result<HdrHistogram> decode_v2(const std::vector<std::uint8_t>& bytes);
Result<HdrHistogram> decode_base64(std::string_view text);

}  // namespace llmbench::metrics
