#include "llmbench/metrics/hdr_codec.hpp"

#include <fmt/format.h>
#include <zlib.h>

#include <bit>
#include <cstring>

#include "llmbench/util/base64.hpp"

namespace llmbench::metrics {

namespace {

constexpr std::uint32_t k_v2_cookie = 0x1c849303 | 0x10;
constexpr std::uint32_t k_v2_compressed_cookie = 0x1c849304 | 0x10;
constexpr std::size_t k_header_size = 40;

void put_u32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(v >> shift));
  }
}
void put_u64(std::vector<std::uint8_t>& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(v >> shift));
  }
}
void set_u32(std::vector<std::uint8_t>& out, std::size_t at, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) {
    out[at + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
  }
}
std::uint64_t get_be(const std::uint8_t* p, int bytes) {
  std::uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) {
    v = (v << 8) | p[i];
  }
  return v;
}

// ZigZag LEB128 as HdrHistogram writes it: 7 bits a byte for 8 bytes, the 9th carries 8 bits.
void put_zigzag(std::vector<std::uint8_t>& out, std::int64_t signed_value) {
  std::uint64_t v = (static_cast<std::uint64_t>(signed_value) << 1) ^
                    static_cast<std::uint64_t>(signed_value >> 63);
  for (int i = 0; i < 8; ++i) {
    if ((v >> 7) == 0) {
      out.push_back(static_cast<std::uint8_t>(v));
      return;
    }
    out.push_back(static_cast<std::uint8_t>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(v));
}

bool get_zigzag(const std::uint8_t*& p, const std::uint8_t* end, std::int64_t& value) {
  std::uint64_t v = 0;
  int shift = 0;
  for (int i = 0; i < 9; ++i) {
    if (p == end) {
      return false;
    }
    const std::uint8_t b = *p++;
    if (i == 8) {
      v |= static_cast<std::uint64_t>(b) << 56;
      break;
    }
    v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
    shift += 7;
    if ((b & 0x80) == 0) {
      break;
    }
  }
  value = static_cast<std::int64_t>((v >> 1) ^ (~(v & 1) + 1));
  return true;
}

}  // namespace

std::vector<std::uint8_t> encode_v2(const HdrHistogram& h) {
  std::vector<std::uint8_t> out;
  out.reserve(k_header_size + 64);
  put_u32(out, k_v2_cookie);
  put_u32(out, 0);  // payload length, set below
  put_u32(out, 0);  // normalizing index offset
  put_u32(out, static_cast<std::uint32_t>(h.significant_digits()));
  put_u64(out, static_cast<std::uint64_t>(h.lowest_discernible()));
  put_u64(out, static_cast<std::uint64_t>(h.highest_trackable()));
  put_u64(out, std::bit_cast<std::uint64_t>(1.0));  // integer-to-double conversion ratio

  if (h.count() > 0) {
    const auto limit = static_cast<std::size_t>(h.counts_index(h.max())) + 1;
    std::size_t i = 0;
    while (i < limit) {
      const std::int64_t count = h.count_at_index(i++);
      if (count == 0) {
        std::int64_t zeros = 1;
        while (i < limit && h.count_at_index(i) == 0) {
          ++zeros;
          ++i;
        }
        put_zigzag(out, zeros > 1 ? -zeros : 0);
      } else {
        put_zigzag(out, count);
      }
    }
  }
  set_u32(out, 4, static_cast<std::uint32_t>(out.size() - k_header_size));
  return out;
}

std::vector<std::uint8_t> encode_v2_compressed(const HdrHistogram& h) {
  const std::vector<std::uint8_t> raw = encode_v2(h);
  uLongf bound = compressBound(static_cast<uLong>(raw.size()));
  std::vector<std::uint8_t> out(8 + bound);
  if (compress2(out.data() + 8, &bound, raw.data(), static_cast<uLong>(raw.size()),
                Z_DEFAULT_COMPRESSION) != Z_OK) {
    throw std::runtime_error("HdrHistogram encode: zlib compression failed");
  }
  out.resize(8 + bound);
  set_u32(out, 0, k_v2_compressed_cookie);
  set_u32(out, 4, static_cast<std::uint32_t>(bound));
  return out;
}

std::string encode_base64(const HdrHistogram& h) {
  return util::base64_encode(encode_v2_compressed(h));
}

Result<HdrHistogram> decode_v2(const std::vector<std::uint8_t>& bytes) {
  using R = Result<HdrHistogram>;
  if (bytes.size() < 8) {
    return R::failure("histogram encoding is shorter than its 8-byte header");
  }
  const auto cookie = static_cast<std::uint32_t>(get_be(bytes.data(), 4));
  if (cookie == k_v2_compressed_cookie) {
    const auto length = get_be(bytes.data() + 4, 4);
    if (length != bytes.size() - 8) {
      return R::failure(
          fmt::format("compressed histogram says {} bytes but holds {}", length, bytes.size() - 8));
    }
    // Inflate in growing steps: the header does not tell the uncompressed size.
    std::vector<std::uint8_t> raw(std::max<std::size_t>(1024, length * 8));
    z_stream zs{};
    if (inflateInit(&zs) != Z_OK) {
      return R::failure("zlib inflateInit failed");
    }
    zs.next_in = const_cast<Bytef*>(bytes.data() + 8);
    zs.avail_in = static_cast<uInt>(length);
    int rc = Z_OK;
    while (true) {
      zs.next_out = raw.data() + zs.total_out;
      zs.avail_out = static_cast<uInt>(raw.size() - zs.total_out);
      rc = inflate(&zs, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        break;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        break;
      }
      if (zs.avail_out == 0) {
        if (raw.size() > (std::size_t{256} << 20)) {
          rc = Z_MEM_ERROR;
          break;
        }
        raw.resize(raw.size() * 2);
      } else if (rc == Z_BUF_ERROR) {
        break;  // input ended before the stream did
      }
    }
    raw.resize(zs.total_out);
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) {
      return R::failure("compressed histogram payload is not a complete zlib stream");
    }
    if (raw.size() >= 4 && get_be(raw.data(), 4) != k_v2_cookie) {
      return R::failure("compressed histogram payload is not an uncompressed V2 histogram");
    }
    return decode_v2(raw);
  }
  if (cookie != k_v2_cookie) {
    return R::failure(fmt::format(
        "unsupported histogram encoding cookie 0x{:08x} (only HdrHistogram V2 is read)", cookie));
  }
  if (bytes.size() < k_header_size) {
    return R::failure("histogram encoding is shorter than its 40-byte V2 header");
  }
  const auto payload = get_be(bytes.data() + 4, 4);
  const auto digits = static_cast<int>(get_be(bytes.data() + 12, 4));
  const auto lowest = static_cast<std::int64_t>(get_be(bytes.data() + 16, 8));
  const auto highest = static_cast<std::int64_t>(get_be(bytes.data() + 24, 8));
  if (payload != bytes.size() - k_header_size) {
    return R::failure(fmt::format("histogram payload says {} bytes but holds {}", payload,
                                  bytes.size() - k_header_size));
  }
  // Bytes 8..11 (normalizing index offset) and 32..39 (integer-to-double ratio) are not read:
  // writers disagree on them (the JavaScript port writes 1 and integer 1) and, as in
  // HdrHistogram_c, they do not change the recorded counts.
  if (const auto why = HdrHistogram::layout_error(lowest, highest, digits)) {
    return R::failure(
        fmt::format("histogram header is invalid (lowest {}, highest {}, digits {}): {}", lowest,
                    highest, digits, *why));
  }
  HdrHistogram h(lowest, highest, digits);
  const std::uint8_t* p = bytes.data() + k_header_size;
  const std::uint8_t* end = bytes.data() + bytes.size();
  std::size_t index = 0;
  while (p < end) {
    std::int64_t v = 0;
    if (!get_zigzag(p, end, v)) {
      return R::failure("histogram payload ends inside a count");
    }
    if (v < 0) {
      // A run of -v empty counts; INT64_MIN has no positive counterpart.
      if (v == INT64_MIN || static_cast<std::uint64_t>(-v) > h.counts_length() - index) {
        return R::failure("histogram payload has more counts than its header allows");
      }
      index += static_cast<std::size_t>(-v);
      continue;
    }
    if (index >= h.counts_length()) {
      return R::failure("histogram payload has more counts than its header allows");
    }
    if (!h.add_at_index(index++, v)) {
      return R::failure("histogram payload's counts add up past 2^63");
    }
  }
  return h;
}

Result<HdrHistogram> decode_base64(std::string_view text) {
  const auto bytes = util::base64_decode(text);
  if (!bytes) {
    return Result<HdrHistogram>::failure("histogram text is not valid base64");
  }
  return decode_v2(*bytes);
}

}  // namespace llmbench::metrics
