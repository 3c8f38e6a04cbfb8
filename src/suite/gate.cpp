#include "llmbench/suite/gate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <charconv>

namespace llmbench::suite {

namespace {

using std::string_view_literals::operator""sv;

constexpr std::size_t k_max_gate_length = 200;
constexpr std::array k_metrics = {"ttft"sv,       "e2e"sv,    "itl"sv,  "tpot"sv,      "tps"sv,
                                  "throughput"sv, "errors"sv, "cost"sv, "extra_load"sv};
constexpr std::array k_stats = {"p50"sv, "p95"sv, "p99"sv, "mean"sv, "rate"sv, "value"sv};
constexpr std::array k_units = {"%"sv, "pp"sv, "ms"sv, "s"sv, "tok/s"sv, "usd"sv};

bool is_latency(std::string_view metric) {
  return metric == "ttft" || metric == "e2e" || metric == "itl" || metric == "tpot";
}

// The units an absolute limit of `metric` may carry, for the error message.
std::string_view absolute_units(std::string_view metric) {
  if (is_latency(metric)) {
    return "ms or s";
  }
  if (metric == "errors" || metric == "extra_load") {
    return "pp (a change) or % without a sign (the share)";
  }
  if (metric == "cost") {
    return "usd";
  }
  return "tok/s";
}

// A left-to-right reader over the gate text (no regex: the text may come from anywhere).
class Scanner {
 public:
  explicit Scanner(std::string_view text) : m_rest(text) {}
  void skip_space() {
    while (!m_rest.empty() && (m_rest.front() == ' ' || m_rest.front() == '\t')) {
      m_rest.remove_prefix(1);
    }
  }
  // The longest prefix of characters satisfying `pred`.
  template <typename Pred>
  std::string_view take(Pred pred) {
    std::size_t n = 0;
    while (n < m_rest.size() && pred(m_rest[n])) {
      ++n;
    }
    const std::string_view out = m_rest.substr(0, n);
    m_rest.remove_prefix(n);
    return out;
  }
  bool eat(char c) {
    if (!m_rest.empty() && m_rest.front() == c) {
      m_rest.remove_prefix(1);
      return true;
    }
    return false;
  }
  bool done() const { return m_rest.empty(); }

 private:
  std::string_view m_rest;
};

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

template <typename Array>
bool contains(const Array& a, std::string_view v) {
  return std::find(a.begin(), a.end(), v) != a.end();
}

}  // namespace

Result<GateSpec> parse_gate(std::string_view text) {
  const auto fail = [&](std::string_view why) {
    const std::string shown =
        text.size() > 60 ? std::string(text.substr(0, 60)) + "..." : std::string(text);
    return Result<GateSpec>::failure(fmt::format(
        "\"{}\": {} (forms: \"ttft.p95>+10%\", \"errors>+1pp\", \"e2e.p50>+50ms\", "
        "\"e2e.p99>2500ms\"; metrics ttft, e2e, itl, tpot, tps, throughput, errors, cost)",
        shown, why));
  };
  if (text.size() > k_max_gate_length) {
    return fail(fmt::format("a gate is at most {} characters", k_max_gate_length));
  }
  GateSpec g;
  g.text = std::string(text);
  Scanner in(text);
  in.skip_space();
  g.metric = std::string(in.take(is_name_char));
  if (g.metric.empty()) {
    return fail("not a gate");
  }
  if (!contains(k_metrics, g.metric)) {
    return fail(fmt::format("unknown metric \"{}\"", g.metric));
  }
  if (in.eat('.')) {
    g.stat = std::string(in.take(is_name_char));
    if (!contains(k_stats, g.stat)) {
      return fail(
          fmt::format("unknown statistic \"{}\" (p50, p95, p99, mean, rate, value)", g.stat));
    }
  } else {
    g.stat = g.metric == "errors"                                   ? "rate"
             : g.metric == "throughput" || g.metric == "extra_load" ? "value"
             : g.metric == "cost"                                   ? "mean"
                                                                    : "p95";
  }
  in.skip_space();
  if (in.eat('<')) {
    g.below = true;
  } else if (!in.eat('>')) {
    return fail("not a gate (expected > or < after the metric)");
  }
  in.skip_space();
  const bool plus = in.eat('+');
  const bool minus = !plus && in.eat('-');
  const std::string_view number =
      in.take([](char c) { return (c >= '0' && c <= '9') || c == '.'; });
  double value = 0;
  const auto [ptr, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
  if (number.empty() || ec != std::errc() || ptr != number.data() + number.size()) {
    return fail("not a gate (expected a number after the comparison)");
  }
  in.skip_space();
  const std::string_view unit =
      in.take([](char c) { return c == '%' || c == '/' || (c >= 'a' && c <= 'z'); });
  in.skip_space();
  if (!in.done() || (!unit.empty() && !contains(k_units, unit))) {
    return fail("not a gate (units are %, pp, ms, s, tok/s and usd)");
  }
  if (minus) {
    value = -value;
  }
  const bool signed_limit = plus || minus;
  // A bare number is refused: ">+10" could mean 10%, 10 ms or 10 pp, and a gate that guesses
  // passes or fails for the wrong reason.
  if (unit.empty()) {
    return fail(fmt::format("the limit needs a unit: % for a relative change, or {} for {}",
                            absolute_units(g.metric), g.metric));
  }
  if (unit != "%") {
    const bool fits = is_latency(g.metric) ? (unit == "ms" || unit == "s")
                      : g.metric == "errors" || g.metric == "extra_load"
                          ? unit == "pp"
                          : unit == (g.metric == "cost" ? "usd" : "tok/s");
    if (!fits) {
      return fail(fmt::format("{} is not a unit of {} (use % for a relative change, or {})", unit,
                              g.metric, absolute_units(g.metric)));
    }
    if (unit == "pp" && !signed_limit) {
      return fail(
          "pp is a change in percentage points and needs a sign, e.g. errors>+1pp "
          "(the rate itself: errors>5%)");
    }
  }
  if (unit == "%" && !signed_limit && (g.metric == "errors" || g.metric == "extra_load")) {
    // "errors>5%", "extra_load>5%": the candidate's error rate or extra load, in percent.
    g.kind = GateSpec::Kind::value;
    g.limit = value;
  } else if (unit == "%") {
    if (!signed_limit) {
      return fail("a relative limit needs a sign, e.g. >+10%");
    }
    g.kind = GateSpec::Kind::relative;
    g.limit = value / 100.0;
  } else {
    g.kind = signed_limit ? GateSpec::Kind::change : GateSpec::Kind::value;
    g.limit = unit == "s" ? value * 1000.0 : value;
  }
  return g;
}

}  // namespace llmbench::suite
