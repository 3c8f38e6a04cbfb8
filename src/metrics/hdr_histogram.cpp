#include "llmbench/metrics/hdr_histogram.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace llmbench::metrics {

namespace {

int sub_bucket_half_magnitude(int digits) {
  const double largest_single_unit = 2.0 * std::pow(10.0, digits);
  return static_cast<int>(std::ceil(std::log2(largest_single_unit))) - 1;
}

int unit_magnitude(std::int64_t lowest) {
  return static_cast<int>(std::floor(std::log2(static_cast<double>(lowest))));
}

}  // namespace

std::optional<std::string> HdrHistogram::layout_error(std::int64_t lowest, std::int64_t highest,
                                                      int digits) {
  if (lowest < 1) {
    return "the lowest discernible value must be at least 1";
  }
  if (highest / 2 < lowest) {
    return "the highest trackable value must be at least twice the lowest";
  }
  if (digits < 1 || digits > 5) {
    return "significant digits must be 1 to 5";
  }
  // As in HdrHistogram_c: the first bucket's top must fit in 63 bits, or the bucket
  // arithmetic overflows.
  if (unit_magnitude(lowest) + sub_bucket_half_magnitude(digits) > 61) {
    return "the lowest discernible value is too large for that many significant digits";
  }
  return std::nullopt;
}

HdrHistogram::HdrHistogram(std::int64_t lowest_discernible, std::int64_t highest_trackable,
                           int significant_digits)
    : m_lowest(lowest_discernible), m_highest(highest_trackable), m_digits(significant_digits) {
  if (const auto why = layout_error(lowest_discernible, highest_trackable, significant_digits)) {
    throw std::invalid_argument("HdrHistogram: " + *why);
  }
  m_unit_magnitude = unit_magnitude(m_lowest);
  m_sub_bucket_half_magnitude = sub_bucket_half_magnitude(m_digits);
  m_sub_bucket_count = 1 << (m_sub_bucket_half_magnitude + 1);
  m_sub_bucket_half_count = m_sub_bucket_count / 2;
  m_sub_bucket_mask = static_cast<std::uint64_t>(m_sub_bucket_count - 1) << m_unit_magnitude;
  m_leading_zero_base = 64 - m_unit_magnitude - m_sub_bucket_half_magnitude - 1;

  std::int64_t smallest_untrackable = static_cast<std::int64_t>(m_sub_bucket_count)
                                      << m_unit_magnitude;
  int buckets = 1;
  while (smallest_untrackable <= m_highest) {
    if (smallest_untrackable > INT64_MAX / 2) {
      ++buckets;
      break;
    }
    smallest_untrackable <<= 1;
    ++buckets;
  }
  m_bucket_count = buckets;
  m_counts.assign(static_cast<std::size_t>((m_bucket_count + 1) * m_sub_bucket_half_count), 0);
}

void HdrHistogram::merge(const HdrHistogram& other) {
  if (other.m_lowest != m_lowest || other.m_highest != m_highest || other.m_digits != m_digits) {
    throw std::invalid_argument("HdrHistogram::merge: histograms have different layouts");
  }
  for (std::size_t i = 0; i < m_counts.size(); ++i) {
    m_counts[i] += other.m_counts[i];
  }
  m_total += other.m_total;
  m_clamped += other.m_clamped;
  m_min = std::min(m_min, other.m_min);
  m_max = std::max(m_max, other.m_max);
}

void HdrHistogram::reset() {
  std::fill(m_counts.begin(), m_counts.end(), 0);
  m_total = 0;
  m_clamped = 0;
  m_min = INT64_MAX;
  m_max = 0;
}

bool HdrHistogram::add_at_index(std::size_t i, std::int64_t count) {
  if (i >= m_counts.size() || count < 0 || count > INT64_MAX - m_counts[i] ||
      count > INT64_MAX - m_total) {
    return false;
  }
  if (count == 0) {
    return true;
  }
  m_counts[i] += count;
  m_total += count;
  const std::int64_t v = value_from_index(i);
  m_min = std::min(m_min, v);
  m_max = std::max(m_max, v);
  return true;
}

std::int64_t HdrHistogram::value_from_index(std::size_t index) const {
  int bucket = static_cast<int>(index >> m_sub_bucket_half_magnitude) - 1;
  int sub_bucket = static_cast<int>(index & static_cast<std::size_t>(m_sub_bucket_half_count - 1)) +
                   m_sub_bucket_half_count;
  if (bucket < 0) {
    sub_bucket -= m_sub_bucket_half_count;
    bucket = 0;
  }
  return static_cast<std::int64_t>(sub_bucket) << (bucket + m_unit_magnitude);
}

std::int64_t HdrHistogram::equivalent_range(std::int64_t value) const {
  const int bucket =
      m_leading_zero_base - std::countl_zero(static_cast<std::uint64_t>(value) | m_sub_bucket_mask);
  const int sub_bucket = static_cast<int>(value >> (bucket + m_unit_magnitude));
  const int adjusted = sub_bucket >= m_sub_bucket_count ? bucket + 1 : bucket;
  return std::int64_t{1} << (m_unit_magnitude + adjusted);
}

std::int64_t HdrHistogram::lowest_equivalent(std::int64_t value) const {
  const int bucket =
      m_leading_zero_base - std::countl_zero(static_cast<std::uint64_t>(value) | m_sub_bucket_mask);
  const std::int64_t sub_bucket = value >> (bucket + m_unit_magnitude);
  return sub_bucket << (bucket + m_unit_magnitude);
}

std::int64_t HdrHistogram::highest_equivalent(std::int64_t value) const {
  return lowest_equivalent(value) + equivalent_range(value) - 1;
}

std::int64_t HdrHistogram::median_equivalent(std::int64_t value) const {
  return lowest_equivalent(value) + (equivalent_range(value) >> 1);
}

std::int64_t HdrHistogram::min() const {
  return m_total == 0 ? 0 : lowest_equivalent(m_min);
}

std::int64_t HdrHistogram::max() const {
  return m_total == 0 ? 0 : highest_equivalent(m_max);
}

double HdrHistogram::mean() const {
  if (m_total == 0) {
    return 0.0;
  }
  double sum = 0;
  for (std::size_t i = 0; i < m_counts.size(); ++i) {
    if (m_counts[i] != 0) {
      sum += static_cast<double>(median_equivalent(value_from_index(i))) *
             static_cast<double>(m_counts[i]);
    }
  }
  return sum / static_cast<double>(m_total);
}

double HdrHistogram::stddev() const {
  if (m_total == 0) {
    return 0.0;
  }
  const double mu = mean();
  double sum = 0;
  for (std::size_t i = 0; i < m_counts.size(); ++i) {
    if (m_counts[i] != 0) {
      const double dev = static_cast<double>(median_equivalent(value_from_index(i))) - mu;
      sum += dev * dev * static_cast<double>(m_counts[i]);
    }
  }
  return std::sqrt(sum / static_cast<double>(m_total));
}

std::int64_t HdrHistogram::value_at_percentile(double percentile) const {
  if (m_total == 0) {
    return 0;
  }
  const double p = std::clamp(percentile, 0.0, 100.0);
  // The small epsilon keeps 99% of 100 values at the 99th, not the 100th, despite rounding.
  // Compared as doubles first: near 2^63 the product may not fit an integer.
  const double exact = std::ceil(p / 100.0 * static_cast<double>(m_total) - 1e-9);
  const std::int64_t wanted = exact >= static_cast<double>(m_total)
                                  ? m_total
                                  : std::max<std::int64_t>(1, static_cast<std::int64_t>(exact));
  std::int64_t running = 0;
  for (std::size_t i = 0; i < m_counts.size(); ++i) {
    running += m_counts[i];
    if (running >= wanted) {
      const std::int64_t v = value_from_index(i);
      return p == 0.0 ? lowest_equivalent(v) : highest_equivalent(v);
    }
  }
  return max();
}

void HdrHistogram::for_each_recorded(const std::function<void(const Bucket&)>& fn) const {
  for (std::size_t i = 0; i < m_counts.size(); ++i) {
    if (m_counts[i] != 0) {
      const std::int64_t v = value_from_index(i);
      fn(Bucket{lowest_equivalent(v), highest_equivalent(v), m_counts[i]});
    }
  }
}

}  // namespace llmbench::metrics
