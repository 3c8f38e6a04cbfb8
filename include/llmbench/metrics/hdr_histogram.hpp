#pragma once
// An HDR histogram (Gil Tene's HdrHistogram): fixed memory, values recorded with a stated
// number of significant decimal digits. The bucket layout is HdrHistogram's own, so the V2
// encoding in hdr_codec.hpp is readable by the reference implementations.

#include <bit>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace llmbench::metrics {

class HdrHistogram {
 public:
  // lowest >= 1, highest >= 2 * lowest, significant digits 1..5, and a layout whose values
  // fit in 63 bits (layout_error); throws std::invalid_argument otherwise.
  HdrHistogram(std::int64_t lowest_discernible, std::int64_t highest_trackable,
               int significant_digits = 3);
  // Why these parameters make no histogram, or nullopt when they do (the decoder checks a
  // header with this before building one).
  static std::optional<std::string> layout_error(std::int64_t lowest_discernible,
                                                 std::int64_t highest_trackable,
                                                 int significant_digits);

  // Latency in nanoseconds up to one hour, 3 significant digits.
  static HdrHistogram for_latency_ns() { return {1, 3'600'000'000'000, 3}; }
  // Token counts, costs in micro-dollars and other counts up to 10^12.
  static HdrHistogram for_counts() { return {1, 1'000'000'000'000, 3}; }

  // Values outside [0, highest] are clamped to the nearest end and counted in clamped().
  void record(std::int64_t value) { record_n(value, 1); }
  void record_n(std::int64_t value, std::int64_t count) {
    if (value < 0 || value > m_highest) [[unlikely]] {
      value = value < 0 ? 0 : m_highest;
      m_clamped += count;
    }
    m_counts[static_cast<std::size_t>(counts_index(value))] += count;
    m_total += count;
    if (value < m_min) {
      m_min = value;
    }
    if (value > m_max) {
      m_max = value;
    }
  }
  // Adds every count of `other`; both must share lowest, highest and digits.
  void merge(const HdrHistogram& other);
  void reset();

  std::int64_t count() const { return m_total; }
  std::int64_t clamped() const { return m_clamped; }
  // Exact recorded extremes, rounded to their bucket (as HdrHistogram reports them).
  std::int64_t min() const;
  std::int64_t max() const;
  double mean() const;
  double stddev() const;
  // Value at `percentile` (0..100): the highest value equivalent to the bucket holding the
  // ceil(p/100 * count)-th recorded value (HdrHistogram's definition). 0 when empty.
  std::int64_t value_at_percentile(double percentile) const;

  struct Bucket {
    std::int64_t value_from;  // lowest equivalent value
    std::int64_t value_to;    // highest equivalent value
    std::int64_t count;
  };
  // Calls `fn` for every bucket with a non-zero count, in increasing value order.
  void for_each_recorded(const std::function<void(const Bucket&)>& fn) const;

  std::int64_t lowest_discernible() const { return m_lowest; }
  std::int64_t highest_trackable() const { return m_highest; }
  int significant_digits() const { return m_digits; }

  // Layout access for the codec.
  std::size_t counts_length() const { return m_counts.size(); }
  std::int64_t count_at_index(std::size_t i) const { return m_counts[i]; }
  // Adds a non-negative count; false (and nothing added) when `i` is out of range or a
  // count or the total would overflow.
  [[nodiscard]] bool add_at_index(std::size_t i, std::int64_t count);
  std::int64_t value_from_index(std::size_t index) const;
  std::int64_t counts_index(std::int64_t value) const {
    const int bucket = m_leading_zero_base -
                       std::countl_zero(static_cast<std::uint64_t>(value) | m_sub_bucket_mask);
    const int sub_bucket = static_cast<int>(value >> (bucket + m_unit_magnitude));
    return (static_cast<std::int64_t>(bucket + 1) << m_sub_bucket_half_magnitude) +
           (sub_bucket - m_sub_bucket_half_count);
  }
  std::int64_t lowest_equivalent(std::int64_t value) const;
  std::int64_t highest_equivalent(std::int64_t value) const;
  std::int64_t median_equivalent(std::int64_t value) const;

 private:
  std::int64_t equivalent_range(std::int64_t value) const;

  std::int64_t m_lowest;
  std::int64_t m_highest;
  int m_digits;
  int m_unit_magnitude = 0;
  int m_sub_bucket_half_magnitude = 0;
  int m_sub_bucket_count = 0;
  int m_sub_bucket_half_count = 0;
  std::uint64_t m_sub_bucket_mask = 0;
  int m_leading_zero_base = 0;
  int m_bucket_count = 0;
  std::vector<std::int64_t> m_counts;
  std::int64_t m_total = 0;
  std::int64_t m_clamped = 0;
  std::int64_t m_min = INT64_MAX;
  std::int64_t m_max = 0;
};

}  // namespace llmbench::metrics
