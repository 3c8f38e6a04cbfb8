#pragma once
// The gate syntax shared by `[gate] fail_on` and `--fail-on`: "ttft.p95>+10%" (relative),
// "errors>+1pp" or "e2e.p50>+50ms" (change), "e2e.p99>2500ms" or "errors>5%" (the
// candidate's value). Every limit has a unit that fits its metric: % (relative; unsigned
// only for the error rate), ms or s (latencies), pp (a change of the error rate), tok/s (tps,
// throughput), usd (cost). It is part of the suite format, so `validate` checks it;
// report/diff evaluates it.

#include <string>
#include <string_view>

#include "llmbench/util/result.hpp"

namespace llmbench::suite {

struct GateSpec {
  enum class Kind { relative, change, value };
  std::string text;
  std::string metric;  // ttft, e2e, itl, tpot, tps, throughput, errors, cost, extra_load
  std::string stat;    // p50, p95, p99, mean, rate, value
  Kind kind = Kind::relative;
  bool below = false;  // "<": fails when the quantity falls under the limit (tps, throughput)
  double limit = 0;    // fraction for relative; ms, pp, % or the metric's unit otherwise
};

// A parsed gate, or why `text` is not one (with the forms that are).
Result<GateSpec> parse_gate(std::string_view text);

}  // namespace llmbench::suite
