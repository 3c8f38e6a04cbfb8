#include "llmbench/util/distribution.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "llmbench/util/duration.hpp"

namespace llmbench::util {

namespace {

Result<double> parse_value(std::string_view text, bool duration) {
  while (!text.empty() && text.front() == ' ') {
    text.remove_prefix(1);
  }
  while (!text.empty() && text.back() == ' ') {
    text.remove_suffix(1);
  }
  if (duration) {
    auto d = util::parse_duration(text);
    if (!d) {
      return Result<double>::failure(d.error());
    }
    return static_cast<double>(d->count());
  }
  double v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty() || !std::isfinite(v)) {
    return Result<double>::failure(fmt::format("\"{}\" is not a number", text));
  }
  return v;
}

std::string show(double v, bool duration) {
  return duration ? util::format_duration(Nanos(static_cast<std::int64_t>(std::llround(v))))
                  : fmt::format("{}", v);
}

constexpr std::string_view k_forms =
    "write a value, or uniform:LOW..HIGH, normal:MEAN,STDDEV, lognormal:MEDIAN,SIGMA, "
    "spike:VALUE,P%,SPIKE, or any of them +spike:P%,SPIKE";

// "2%" (or a fraction, "0.02") as a probability in [0, 1].
Result<double> parse_probability(std::string_view text) {
  const bool percent = !text.empty() && text.back() == '%';
  auto v = parse_value(percent ? text.substr(0, text.size() - 1) : text, false);
  if (!v) {
    return v;
  }
  const double p = percent ? *v / 100.0 : *v;
  if (p < 0 || p > 1) {
    return Result<double>::failure(fmt::format("\"{}\" is not a probability (0..100%)", text));
  }
  return p;
}

}  // namespace

Result<Distribution> Distribution::parse(std::string_view spec, bool duration) {
  const auto fail = [&](const std::string& why) {
    return Result<Distribution>::failure(fmt::format("\"{}\": {} ({})", spec, why, k_forms));
  };
  // A spike: "spike:VALUE,P%,SPIKE", or "BASE+spike:P%,SPIKE".
  std::string_view base = spec;
  std::string_view spike;
  if (spec.starts_with("spike:")) {
    const std::string_view args = spec.substr(6);
    const auto comma = args.find(',');
    if (comma == std::string_view::npos) {
      return fail("spike needs VALUE,P%,SPIKE");
    }
    base = args.substr(0, comma);
    spike = args.substr(comma + 1);
  } else if (const auto plus = spec.find("+spike:"); plus != std::string_view::npos) {
    base = spec.substr(0, plus);
    spike = spec.substr(plus + 7);
  }
  auto d = parse_base(base, duration);
  if (!d || spike.empty()) {
    return d ? d : fail(d.error());
  }
  const auto comma = spike.find(',');
  if (comma == std::string_view::npos) {
    return fail("a spike needs P%,SPIKE (e.g. 2%,800ms)");
  }
  auto p = parse_probability(spike.substr(0, comma));
  auto value = parse_value(spike.substr(comma + 1), duration);
  if (!p || !value) {
    return fail(!p ? p.error() : value.error());
  }
  if (*value < 0) {
    return fail("a spike must not be negative");
  }
  d->m_spike_p = *p;
  d->m_spike = *value;
  return d;
}

Result<Distribution> Distribution::parse_base(std::string_view spec, bool duration) {
  const auto fail = [](const std::string& why) { return Result<Distribution>::failure(why); };
  const auto colon = spec.find(':');
  if (colon == std::string_view::npos) {
    auto v = parse_value(spec, duration);
    if (!v) {
      return fail(v.error());
    }
    if (*v < 0) {
      return fail("must not be negative");
    }
    return fixed(*v);
  }
  const std::string_view kind = spec.substr(0, colon);
  const std::string_view args = spec.substr(colon + 1);
  if (kind == "uniform") {
    const auto dots = args.find("..");
    if (dots == std::string_view::npos) {
      return fail("uniform needs LOW..HIGH");
    }
    auto lo = parse_value(args.substr(0, dots), duration);
    auto hi = parse_value(args.substr(dots + 2), duration);
    if (!lo || !hi) {
      return fail(!lo ? lo.error() : hi.error());
    }
    if (*lo < 0 || *hi < *lo) {
      return fail("uniform needs 0 <= LOW <= HIGH");
    }
    return Distribution(Kind::uniform, *lo, *hi);
  }
  if (kind == "normal" || kind == "lognormal") {
    const auto comma = args.find(',');
    if (comma == std::string_view::npos) {
      return fail(std::string(kind) + " needs two parameters separated by a comma");
    }
    auto center = parse_value(args.substr(0, comma), duration);
    // The lognormal's sigma is of the logarithm: a plain number, whatever the unit.
    auto spread = parse_value(args.substr(comma + 1), duration && kind == "normal");
    if (!center || !spread) {
      return fail(!center ? center.error() : spread.error());
    }
    if (*center < 0 || *spread < 0) {
      return fail("parameters must not be negative");
    }
    if (kind == "lognormal" && *center <= 0) {
      return fail("a lognormal's median must be above 0");
    }
    return Distribution(kind == "normal" ? Kind::normal : Kind::lognormal, *center, *spread);
  }
  return fail(fmt::format("unknown distribution \"{}\"", kind));
}

double Distribution::sample(std::mt19937_64& rng) const {
  // (A distribution without a spike draws exactly as it always did.)
  if (m_spike_p > 0 && std::uniform_real_distribution<double>(0.0, 1.0)(rng) < m_spike_p) {
    return m_spike;
  }
  double v = m_a;
  switch (m_kind) {
    case Kind::fixed:
      break;
    case Kind::uniform:
      v = std::uniform_real_distribution<double>(m_a, m_b)(rng);
      break;
    case Kind::normal:
      v = m_b > 0 ? std::normal_distribution<double>(m_a, m_b)(rng) : m_a;
      break;
    case Kind::lognormal:
      v = m_b > 0 ? m_a * std::exp(std::normal_distribution<double>(0.0, m_b)(rng)) : m_a;
      break;
  }
  return std::max(0.0, v);
}

double Distribution::mean() const {
  double base = m_a;
  switch (m_kind) {
    case Kind::fixed:
    case Kind::normal:
      break;
    case Kind::uniform:
      base = (m_a + m_b) / 2;
      break;
    case Kind::lognormal:
      base = m_a * std::exp(m_b * m_b / 2);
      break;
  }
  return (1 - m_spike_p) * base + m_spike_p * m_spike;
}

std::string Distribution::describe(bool duration) const {
  std::string out = "?";
  switch (m_kind) {
    case Kind::fixed:
      out = show(m_a, duration);
      break;
    case Kind::uniform:
      out = fmt::format("uniform:{}..{}", show(m_a, duration), show(m_b, duration));
      break;
    case Kind::normal:
      out = fmt::format("normal:{},{}", show(m_a, duration), show(m_b, duration));
      break;
    case Kind::lognormal:
      out = fmt::format("lognormal:{},{}", show(m_a, duration), m_b);
      break;
  }
  if (m_spike_p > 0) {
    out += fmt::format("+spike:{}%,{}", m_spike_p * 100.0, show(m_spike, duration));
  }
  return out;
}

}  // namespace llmbench::util
