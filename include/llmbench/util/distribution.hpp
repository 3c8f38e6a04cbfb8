#pragma once
// A distribution of delays or counts, written as a spec: the same text in `llmbench mock`
// flags, mock profile files, the mock's request headers and a suite's `mock = {...}`.
//
//   "50ms"                     fixed
//   "uniform:20ms..80ms"       uniform between two values
//   "normal:50ms,5ms"          normal with mean and standard deviation (clamped at 0)
//   "lognormal:50ms,0.3"       lognormal with median and sigma (of the log)
//   "spike:20ms,2%,800ms"      20 ms, except that 2% of draws are 800 ms (a rare spike)
//   "lognormal:20ms,0.8+spike:2%,800ms"   any of the above with a rare spike added
// Counts (output tokens) use the same forms without units: "64", "uniform:16..256".

#include <random>
#include <string>
#include <string_view>

#include "llmbench/util/result.hpp"

namespace llmbench::util {

class Distribution {
 public:
  enum class Kind { fixed, uniform, normal, lognormal };

  static Distribution fixed(double value) { return Distribution(Kind::fixed, value, 0); }
  // `duration`: values carry time units and are held in nanoseconds; else plain numbers.
  static Result<Distribution> parse(std::string_view spec, bool duration);

  double sample(std::mt19937_64& rng) const;  // never negative
  // The expected value (the normal's before clamping at 0), spike included.
  double mean() const;
  Kind kind() const { return m_kind; }
  double a() const { return m_a; }
  double b() const { return m_b; }
  double spike_probability() const { return m_spike_p; }
  double spike_value() const { return m_spike; }
  std::string describe(bool duration) const;

 private:
  Distribution(Kind kind, double a, double b) : m_kind(kind), m_a(a), m_b(b) {}
  static Result<Distribution> parse_base(std::string_view spec, bool duration);
  Kind m_kind;
  double m_a;  // fixed value, uniform low, normal mean, lognormal median
  double m_b;  // uniform high, normal stddev, lognormal sigma
  // A rare spike: with probability m_spike_p a draw is m_spike instead (0: none).
  double m_spike_p = 0;
  double m_spike = 0;
};

}  // namespace llmbench::util
